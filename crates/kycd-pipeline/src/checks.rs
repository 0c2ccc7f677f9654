//! The interfaces through which the checks plug into the pipeline and the API.

use bytes::Bytes;
use kycd_types::poa::PoaFindings;
use kycd_types::{
    AdditionalStepsStatus, DocSex, DocumentStatus, DocumentType, FaceStatus, MismatchTag,
};
use serde::Serialize;
use std::sync::Arc;

/// Synchronous photo validation done in `/api/v2/process` (step 14 of direct-processing.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhotoValidation {
    /// Whether a document was found in FRONT; None when no detector is installed.
    pub document_found: Option<bool>,
    /// Whether a face was found in FACE; None when no detector is installed or no FACE was sent.
    pub face_found: Option<bool>,
}

/// Fast checks on the submitted images that `/api/v2/process` runs before accepting them. CPU-bound: callers run
/// them off the async runtime.
pub trait DocumentInspector: Send + Sync {
    /// Detects the document type from the FRONT image, or None when it cannot tell.
    fn detect_document_type(&self, front: &Bytes, mime: &str) -> Option<DocumentType>;
    /// Looks for a document in FRONT and a face in FACE.
    fn validate_photos(
        &self,
        front: (&Bytes, &str),
        face: Option<(&Bytes, &str)>,
    ) -> PhotoValidation;
    /// A short name for logs and the result evidence.
    fn name(&self) -> &'static str;
}

/// The inspector used while no document-vision engine is installed: it can detect nothing and validates nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoInspector;

impl DocumentInspector for NoInspector {
    fn detect_document_type(&self, _front: &Bytes, _mime: &str) -> Option<DocumentType> {
        None
    }
    fn validate_photos(
        &self,
        _front: (&Bytes, &str),
        _face: Option<(&Bytes, &str)>,
    ) -> PhotoValidation {
        PhotoValidation::default()
    }
    fn name(&self) -> &'static str {
        "none"
    }
}

/// The document fields read from a document (webhook `data` names in the comments).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DocData {
    /// `docFirstName`.
    pub first_name: Option<String>,
    /// `docLastName`.
    pub last_name: Option<String>,
    /// `docNumber`.
    pub number: Option<String>,
    /// `docPersonalCode`.
    pub personal_code: Option<String>,
    /// `docDob` (`YYYY-MM-DD`).
    pub dob: Option<String>,
    /// `docExpiry` (`YYYY-MM-DD`).
    pub expiry: Option<String>,
    /// `docDateOfIssue` (`YYYY-MM-DD`).
    pub date_of_issue: Option<String>,
    /// `docSex`.
    pub sex: Option<DocSex>,
    /// `docNationality` (alpha-2).
    pub nationality: Option<String>,
    /// `docIssuingCountry` (alpha-2).
    pub issuing_country: Option<String>,
    /// `docType`.
    pub doc_type: Option<DocumentType>,
}

/// The fields as each zone of the document printed them, before they were merged into [`DocData`]: shown to the
/// reviewer side by side (stored sealed beside the images, never sent in a webhook).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Readings {
    /// From the machine-readable zone (after repair), when one was read.
    pub mrz: Option<DocData>,
    /// From the visual zone, when it was read.
    pub visual_zone: Option<DocData>,
}

/// What the document analysis found.
#[derive(Debug, Clone, Default)]
pub struct DocumentFacts {
    /// A non-passing status from the image analysis (`DOC_NOT_FOUND`, `DOC_TOO_BLURRY`, `DOC_GLARED`,
    /// `DOC_NOT_FULLY_VISIBLE`, `MRZ_NOT_FOUND`, `MRZ_OCR_READING_ERROR`, `MRZ_INVALID`, …); `None` when read.
    pub failure: Option<DocumentStatus>,
    /// Why (no personal data).
    pub failure_detail: String,
    /// Fields.
    pub data: DocData,
    /// The first issue the quality gates found (`DOC_GLARED`, `DOC_TOO_BLURRY`, `DOC_NOT_FULLY_VISIBLE`, …); the
    /// decision judges whether it rejects.
    pub quality_issue: Option<DocumentStatus>,
    /// The MRZ was read and every check digit validates.
    pub mrz_valid: bool,
    /// The expiry date passed its own check digit (or was read from a document without an MRZ).
    pub expiry_checked: bool,
    /// Fields on which the visual zone disagrees with the MRZ.
    pub viz_mismatches: Vec<String>,
    /// The fields per zone, for the reviewer.
    pub readings: Readings,
    /// The word SPECIMEN (or a translation) is printed on the document.
    pub specimen_text: bool,
    /// The document portrait, encoded (PNG), when located (`None`: the face is looked for on FRONT).
    pub portrait: Option<Vec<u8>>,
    /// FRONT turned upright (JPEG), when the reader had to turn it to read it and located no portrait: the face
    /// stage looks for the portrait there, since a face detector finds upright faces only (an upside-down card's
    /// portrait was matched as a mismatch). `None`: FRONT was upright, or the portrait was located.
    pub upright_front: Option<Vec<u8>>,
    /// Evidence for the `kycd` object (scores, MRZ format, quality metrics; no personal data).
    pub evidence: serde_json::Value,
}

/// What the face check found.
#[derive(Debug, Clone)]
pub struct FaceFacts {
    /// `autoFace`.
    pub status: FaceStatus,
    /// No face on the document (`DOC_FACE_NOT_FOUND`).
    pub doc_face_missing: bool,
    /// The selfie is the document portrait itself.
    pub same_photo: bool,
    /// Selfie ↔ document distance.
    pub distance: Option<f32>,
    /// Why (no personal data).
    pub detail: String,
    /// Selfie embedding (Euclidean space of the face engine).
    pub selfie_embedding: Option<Vec<f32>>,
    /// Document-portrait embedding.
    pub doc_embedding: Option<Vec<f32>>,
    /// Evidence for the `kycd` object.
    pub evidence: serde_json::Value,
}

/// AML screening outcome.
#[derive(Debug, Clone)]
pub struct AmlFacts {
    /// A hit above the threshold.
    pub hit: bool,
    /// The check could not run (no lists loaded, no name read).
    pub failed: bool,
    /// Why (list names and scores only).
    pub detail: String,
    /// The webhook `AML` array.
    pub array: Vec<serde_json::Value>,
}

/// One additional step's (utility bill …) outcome.
#[derive(Debug, Clone)]
pub struct BillFacts {
    /// Step name (`UTILITY_BILL`, …).
    pub step: String,
    /// Step type (`UPLOAD`, `EXTRACT`, `COMPARE`).
    pub step_type: String,
    /// `VALID` / `INVALID` / `NOT_FOUND`.
    pub status: AdditionalStepsStatus,
    /// Mismatch tags with a detail (no personal data).
    pub mismatch_tags: Vec<(MismatchTag, String)>,
    /// What goes into `data.additionalData.<STEP>`.
    pub data: serde_json::Value,
    /// Evidence.
    pub evidence: serde_json::Value,
}

/// Why a check engine could not produce findings (a finding such as "no MRZ" is not an error: it is in the facts).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// The engine failed on this input (model runtime error, resource exhausted).
    #[error("{engine} engine failed: {message}")]
    Engine {
        /// Which engine (`document`, `face`, …).
        engine: &'static str,
        /// What it said (no personal data).
        message: String,
    },
}

impl CheckError {
    /// An engine failure.
    pub fn engine(engine: &'static str, message: impl std::fmt::Display) -> Self {
        Self::Engine {
            engine,
            message: message.to_string(),
        }
    }
}

/// Reads a document (CPU-bound; the worker runs it off the async runtime).
pub trait DocumentAnalyzer: Send + Sync {
    /// Analyses FRONT (and BACK when given). `skip_quality` is iDenfy's `skipAnalysis`.
    fn analyze(
        &self,
        front: (&[u8], &str),
        back: Option<(&[u8], &str)>,
        skip_quality: bool,
    ) -> Result<DocumentFacts, CheckError>;
    /// Editing software named in an image's metadata (EXIF Software / XMP CreatorTool), if any.
    fn editing_software(&self, bytes: &[u8]) -> Option<String>;
    /// A 64-bit perceptual hash of an image (for reuse detection), when it decodes.
    fn perceptual_hash(&self, bytes: &[u8], mime: &str) -> Option<u64>;
}

/// Matches a selfie against the document (CPU-bound).
pub trait FaceMatcher: Send + Sync {
    /// Selfie ↔ document portrait (or the whole FRONT when `document` is the document image).
    fn check(&self, selfie: &[u8], document: &[u8], modifier: f64)
    -> Result<FaceFacts, CheckError>;
    /// Euclidean distance at or below which two stored faces count as the same person (duplicates, blocklists).
    fn duplicate_threshold(&self) -> f32;
}

/// Sanctions/PEP screening.
pub trait AmlScreener: Send + Sync {
    /// Whether any sanctions/PEP list is loaded (without lists every screening fails with `AML_FAILED`).
    fn lists_loaded(&self) -> bool {
        true
    }
    /// Screens the holder read from a document (names, date of birth, nationality, sex).
    fn screen(&self, holder: &DocData) -> AmlFacts;
}

/// Reads and compares an additional-step document (utility bill).
pub trait BillChecker: Send + Sync {
    /// `step_type` is `EXTRACT` or `COMPARE`; `expected` is `additionalData.<STEP>` of the token; `holder` the
    /// document holder's full name; `today` `YYYY-MM-DD`.
    #[allow(clippy::too_many_arguments)]
    fn check(
        &self,
        step: &str,
        step_type: &str,
        bytes: &[u8],
        mime: &str,
        expected: Option<&serde_json::Value>,
        holder: Option<&str>,
        today: &str,
    ) -> BillFacts;
    /// A standalone proof-of-address check (`/api/v2/poa-checks/`): reads the letter (`pixels`: an image's width
    /// and height, `None` for a PDF) and compares the provided name and address; `today` `YYYY-MM-DD`.
    fn proof_of_address(
        &self,
        bytes: &[u8],
        mime: &str,
        pixels: Option<(u32, u32)>,
        provided: PoaProvided<'_>,
        today: &str,
    ) -> Result<PoaFindings, CheckError>;
}

/// What a standalone proof-of-address check compares the letter with (`providedName`, `providedAddress`).
#[derive(Debug, Clone, Copy, Default)]
pub struct PoaProvided<'a> {
    /// The holder's name.
    pub name: Option<&'a str>,
    /// The holder's address.
    pub address: Option<&'a str>,
}

/// The installed check engines.
#[derive(Clone)]
pub struct Checks {
    /// Synchronous inspection (type detection, photo validation).
    pub inspector: Arc<dyn DocumentInspector>,
    /// Document reading.
    pub document: Option<Arc<dyn DocumentAnalyzer>>,
    /// Face matching.
    pub face: Option<Arc<dyn FaceMatcher>>,
    /// AML screening.
    pub aml: Option<Arc<dyn AmlScreener>>,
    /// Utility bills.
    pub bill: Option<Arc<dyn BillChecker>>,
    /// Permits for the CPU-bound check work of verification jobs (image decoding, OCR, face models),
    /// shared by all jobs of the process: as many as there are cores by default, so that extra
    /// concurrent jobs queue instead of each holding its decoded images and model buffers at once.
    pub cpu_slots: Arc<tokio::sync::Semaphore>,
}

/// Default number of [`Checks::cpu_slots`]: the cores this process may use.
pub fn default_cpu_slots() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

impl Default for Checks {
    fn default() -> Self {
        Self {
            inspector: Arc::new(NoInspector),
            document: None,
            face: None,
            aml: None,
            bill: None,
            cpu_slots: Arc::new(tokio::sync::Semaphore::new(default_cpu_slots())),
        }
    }
}

impl std::fmt::Debug for Checks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checks")
            .field("inspector", &self.inspector.name())
            .field("document", &self.document.is_some())
            .field("face", &self.face.is_some())
            .field("aml", &self.aml.is_some())
            .field("bill", &self.bill.is_some())
            .finish()
    }
}
