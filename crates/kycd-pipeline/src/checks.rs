//! The interfaces through which the checks plug into the pipeline and the API.

use bytes::Bytes;
use kycd_types::DocumentType;
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

/// The installed check engines.
#[derive(Clone)]
pub struct Checks {
    /// Synchronous inspection (type detection, photo validation).
    pub inspector: Arc<dyn DocumentInspector>,
}

impl Default for Checks {
    fn default() -> Self {
        Self {
            inspector: Arc::new(NoInspector),
        }
    }
}

impl std::fmt::Debug for Checks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checks")
            .field("inspector", &self.inspector.name())
            .finish()
    }
}
