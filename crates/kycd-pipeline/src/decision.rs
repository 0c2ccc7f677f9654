//! The iDenfy decision: `overall` from the face and document statuses and the tags (idenfy-api.md §6.1).

use kycd_types::webhook::StatusBlock;
use kycd_types::{
    AdditionalStepsStatus, DocumentStatus, FaceStatus, FraudTag, MismatchTag, OverallStatus,
    TokenType,
};

/// What the checks found.
#[derive(Debug, Clone)]
pub struct CheckResults {
    /// Token type (DOCUMENT tokens have no face check).
    pub token_type: TokenType,
    /// Automatic face status.
    pub face: FaceStatus,
    /// Automatic document status.
    pub document: DocumentStatus,
    /// Fraud tags.
    pub fraud_tags: Vec<FraudTag>,
    /// Mismatch tags.
    pub mismatch_tags: Vec<MismatchTag>,
    /// Additional-step review result.
    pub additional_steps: Option<AdditionalStepsStatus>,
}

/// Whether the face status passes for this token type.
fn face_passes(token_type: TokenType, face: &FaceStatus) -> bool {
    match token_type {
        TokenType::Document => matches!(face, FaceStatus::FaceNotChecked | FaceStatus::FaceMatch),
        _ => *face == FaceStatus::FaceMatch,
    }
}

/// Derives `overall`: face and document pass → APPROVED, or SUSPECTED when any fraud or mismatch tag exists;
/// anything else → DENIED.
pub fn decide(r: &CheckResults) -> (OverallStatus, StatusBlock) {
    let passes = face_passes(r.token_type, &r.face) && r.document == DocumentStatus::DocValidated;
    let overall = if !passes {
        OverallStatus::Denied
    } else if !r.fraud_tags.is_empty() || !r.mismatch_tags.is_empty() {
        OverallStatus::Suspected
    } else {
        OverallStatus::Approved
    };
    let status = StatusBlock {
        overall,
        fraud_tags: r.fraud_tags.clone(),
        mismatch_tags: r.mismatch_tags.clone(),
        auto_face: r.face.clone(),
        manual_face: None,
        auto_document: r.document.clone(),
        manual_document: None,
        additional_steps: r.additional_steps,
        suspicion_reasons: vec![],
    };
    (overall, status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> CheckResults {
        CheckResults {
            token_type: TokenType::Identification,
            face: FaceStatus::FaceMatch,
            document: DocumentStatus::DocValidated,
            fraud_tags: vec![],
            mismatch_tags: vec![],
            additional_steps: None,
        }
    }

    #[test]
    fn clean_match_is_approved() {
        assert_eq!(decide(&base()).0, OverallStatus::Approved);
    }

    #[test]
    fn any_tag_makes_it_suspected() {
        let mut r = base();
        r.fraud_tags.push(FraudTag::AmlSuspection);
        assert_eq!(decide(&r).0, OverallStatus::Suspected);
        let mut r = base();
        r.mismatch_tags.push(MismatchTag::Name);
        assert_eq!(decide(&r).0, OverallStatus::Suspected);
    }

    #[test]
    fn failing_face_or_document_is_denied() {
        let mut r = base();
        r.face = FaceStatus::FaceMismatch;
        assert_eq!(decide(&r).0, OverallStatus::Denied);
        let mut r = base();
        r.document = DocumentStatus::DocNotAnalysed;
        r.face = FaceStatus::FaceNotChecked;
        assert_eq!(decide(&r).0, OverallStatus::Denied);
    }

    #[test]
    fn document_tokens_need_no_face() {
        let mut r = base();
        r.token_type = TokenType::Document;
        r.face = FaceStatus::FaceNotChecked;
        assert_eq!(decide(&r).0, OverallStatus::Approved);
    }
}
