//! The face stage: the selfie against the document portrait (or the whole FRONT when no portrait was cropped).

use crate::PipelineError;
use crate::checks::{DocumentFacts, FaceFacts, PhotoValidation};
use crate::run::{Images, Run};
use bytes::Bytes;
use kycd_types::token::TokenSettings;
use kycd_types::{DocumentStatus, FaceStatus, TokenType};

/// Matches the selfie; `None` for DOCUMENT tokens, without a face engine, or when there is nothing to match against.
pub async fn match_selfie(
    run: &Run,
    token: &TokenSettings,
    precheck: Option<PhotoValidation>,
    images: &Images,
    document: Option<&DocumentFacts>,
) -> Result<Option<FaceFacts>, PipelineError> {
    if token.token_type == TokenType::Document {
        return Ok(None);
    }
    if precheck.is_some_and(|p| p.face_found == Some(false)) {
        return Ok(Some(FaceFacts {
            status: FaceStatus::NoFaceFound,
            doc_face_missing: false,
            same_photo: false,
            distance: None,
            detail: "no face found in FACE".into(),
            selfie_embedding: None,
            doc_embedding: None,
            evidence: serde_json::Value::Null,
        }));
    }
    let (Some(matcher), Some(selfie)) = (run.checks.face.clone(), images.get("FACE").cloned())
    else {
        return Ok(None);
    };
    let front = images.get("FRONT").map(|f| f.0.clone());
    let target: Option<Bytes> = match document {
        Some(d) if d.failure == Some(DocumentStatus::DocNotFound) => None,
        Some(d) => d
            .portrait
            .clone()
            .or_else(|| d.upright_front.clone())
            .map(Bytes::from)
            .or(front),
        None => front,
    };
    let Some(target) = target else {
        return Ok(None);
    };
    let modifier = token.face_matching_threshold_modifier;
    let facts = run
        .cpu(move || matcher.check(&selfie.0, &target, modifier))
        .await??;
    Ok(Some(facts))
}
