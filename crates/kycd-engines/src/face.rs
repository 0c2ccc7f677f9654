//! Face matching with kycd-face: selfie ↔ document portrait.

use kycd_face::FacePool;
use kycd_pipeline::{CheckError, FaceFacts, FaceMatcher};
use serde_json::json;
use std::sync::Arc;

/// Face matching with kycd-face.
pub struct FaceEngineMatcher {
    pool: Arc<FacePool>,
}

impl FaceEngineMatcher {
    /// Builds the matcher.
    pub fn new(pool: Arc<FacePool>) -> Self {
        Self { pool }
    }
}

impl FaceMatcher for FaceEngineMatcher {
    fn check(
        &self,
        selfie: &[u8],
        document: &[u8],
        modifier: f64,
    ) -> Result<FaceFacts, CheckError> {
        let c = self
            .pool
            .with(|e| e.check_bytes(selfie, document, modifier))
            .map_err(|e| CheckError::engine("face", e))?;
        let status = c.verdict.face_status.clone();
        let same_photo = c.verdict.same_photo.as_ref().is_some_and(|s| s.same_photo);
        Ok(FaceFacts {
            status,
            doc_face_missing: c.verdict.document_status.is_some(),
            same_photo,
            distance: c.verdict.distance,
            detail: format!(
                "selfie faces {}, document faces {}",
                c.selfie.faces.len(),
                c.document.faces.len()
            ),
            selfie_embedding: c.selfie.primary.as_ref().map(|p| p.embedding.0.to_vec()),
            doc_embedding: c.document.primary.as_ref().map(|p| p.embedding.0.to_vec()),
            evidence: json!({
                "selfieFaces": c.selfie.faces.len(),
                "selfieProminentFaces": c.selfie.prominent_faces,
                "documentFaces": c.document.faces.len(),
                "selfieIssue": c.selfie.issue.map(|i| format!("{i:?}")),
                "thresholds": {
                    "matchMax": kycd_face::effective_thresholds(modifier).match_max,
                    "mismatchMin": kycd_face::effective_thresholds(modifier).mismatch_min,
                },
                "samePhoto": c.verdict.same_photo,
            }),
        })
    }

    fn duplicate_threshold(&self) -> f32 {
        kycd_face::thresholds::DUPLICATE_THRESHOLD
    }
}
