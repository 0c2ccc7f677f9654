//! kycd-face: face detection, selfie ↔ document-portrait matching and duplicate-face search.
//!
//! Pipeline (all CPU, offline, single-threaded per call): decode (size-limited; large JPEGs with
//! DCT scaling) → dlib HOG detection on a downscaled copy (a larger scale on a miss; documents
//! also at other scales and rotations) → 5-point landmarks on a crop of the decoded image →
//! dlib ResNet 128-d embedding of the aligned 150 px chip → Euclidean distance against
//! calibrated thresholds ([`thresholds`]). Evaluation and figures: `bench/face/README.md`.
//!
//! Models come from `scripts/setup.sh` (`scripts/models/face.sh`) in `$KYCD_MODELS_DIR`
//! (default `./models`).
//!
//! Entry points for the service:
//! * [`FaceEngine`] (one per worker thread; not `Sync`) or [`FacePool`] (N engines behind mutexes).
//! * Verification job: [`FaceEngine::check_bytes`]`(selfie, document_or_portrait, modifier)` →
//!   [`FaceCheck`] with both analyses and a [`FaceVerdict`]: `face_status` for `autoFace`
//!   (`FACE_MATCH`, `FACE_MISMATCH`, `FACE_UNCERTAIN`, `NO_FACE_FOUND`, `TOO_MANY_FACES`,
//!   `FACE_TOO_BLURRY`, `FACE_GLARED`), `document_status` = `DOC_FACE_NOT_FOUND` when the
//!   document has no portrait, the distance and [`SamePhotoEvidence`] (selfie = the document
//!   portrait itself). `DOCUMENT` tokens: do not call it, report
//!   [`kycd_types::FaceStatus::FaceNotChecked`]. The statuses are `kycd-types`' [`kycd_types::FaceStatus`] and
//!   [`kycd_types::DocumentStatus`].
//!   Lower level: [`FaceEngine::analyze_bytes`] with [`ImageKind::Selfie`] / [`ImageKind::Document`],
//!   then [`FaceEngine::verify`] or [`decide`].
//! * CLI `kycd face compare A B [--json]`: [`compare_images`] → [`CompareReport`] (serialises to
//!   `{"facesA", "facesB", "distance", "match", "status"}`).
//! * Storage: [`Embedding::to_bytes`] / [`Embedding::from_bytes`] (516 bytes, `KFE1` + 128 LE f32).
//! * Duplicates / blocklists: the embeddings are searched with `thresholds::DUPLICATE_THRESHOLD` by the
//!   pipeline's one face index (`kycd_pipeline::fraud::face_index`).

use std::path::PathBuf;

mod chip;
mod decision;
mod embedding;
mod engine;
mod models;
mod pool;
pub mod thresholds;

pub use chip::{CHIP_SIDE, FaceChip};
pub use decision::{
    CompareReport, EffectiveThresholds, FaceVerdict, SamePhotoEvidence, decide,
    effective_thresholds, same_photo_evidence, status_for_distance,
};
pub use embedding::{EMBEDDING_DIM, Embedding};
pub use engine::{
    AnalysisIssue, EngineConfig, FaceAnalysis, FaceBox, FaceCheck, FaceEngine, FaceSample,
    ImageKind, decode_image, decode_image_scaled, wants_grey_selfie,
};
pub use models::{ENCODER_FILE, LANDMARKS_FILE, ModelPaths};
pub use pool::FacePool;

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum FaceError {
    #[error(
        "face model file missing: {0} (run scripts/setup.sh, or set KYCD_MODELS_DIR to the directory it filled)"
    )]
    ModelMissing(PathBuf),
    #[error("cannot load face model: {0}")]
    ModelLoad(String),
    #[error("cannot decode image: {0}")]
    Decode(String),
    #[error("invalid embedding: {0}")]
    BadEmbedding(String),
}

/// `kycd face compare A B`: analyses A as a selfie and B as a second photo or a document
/// (B is first searched like a selfie, which is cheap; when that finds nothing, with the
/// document passes: larger scales and rotations), and returns the report. `modifier` is the
/// token's `faceMatchingThresholdModifier` (1 = default). Only A's quality problems set the
/// status (`TOO_MANY_FACES`, ...); for B the largest face is used.
pub fn compare_images(
    engine: &FaceEngine,
    a: &[u8],
    b: &[u8],
    modifier: f64,
) -> Result<CompareReport, FaceError> {
    let fa = engine.analyze_bytes(a, ImageKind::Selfie)?;
    let mut fb = engine.analyze_bytes(b, ImageKind::Selfie)?;
    if fb.primary.is_none() {
        fb = engine.analyze_bytes(b, ImageKind::Document)?;
    }
    Ok(CompareReport::from_analyses(&fa, &fb, modifier))
}
