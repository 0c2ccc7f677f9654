//! The match decision: the iDenfy face status ([`FaceStatus`], defined once in `kycd-types`) of a selfie ↔
//! document-portrait comparison.

use kycd_types::{DocumentStatus, FaceStatus};
use serde::Serialize;

use crate::engine::{AnalysisIssue, FaceAnalysis, FaceSample};
use crate::thresholds::{
    MATCH_THRESHOLD, MISMATCH_THRESHOLD, MODIFIER_RANGE, SAME_PHOTO_MAX_DISTANCE, SAME_PHOTO_NCC,
};

/// Thresholds after applying `faceMatchingThresholdModifier`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EffectiveThresholds {
    /// distance ≤ this → `FACE_MATCH`
    pub match_max: f32,
    /// distance > this → `FACE_MISMATCH`; in between → `FACE_UNCERTAIN`
    pub mismatch_min: f32,
}

/// Applies the token's `faceMatchingThresholdModifier` (default 1): both distance thresholds
/// are multiplied by it, so values above 1 accept more distant faces (more lenient) and values
/// below 1 are stricter. Non-finite values mean 1; the factor is clamped to
/// [`MODIFIER_RANGE`].
pub fn effective_thresholds(modifier: f64) -> EffectiveThresholds {
    let m = if modifier.is_finite() {
        modifier as f32
    } else {
        1.0
    };
    let m = m.clamp(MODIFIER_RANGE.0, MODIFIER_RANGE.1);
    EffectiveThresholds {
        match_max: MATCH_THRESHOLD * m,
        mismatch_min: MISMATCH_THRESHOLD * m,
    }
}

/// Status for a distance between two analysed faces.
pub fn status_for_distance(distance: f32, modifier: f64) -> FaceStatus {
    let t = effective_thresholds(modifier);
    if !distance.is_finite() {
        FaceStatus::FaceMismatch
    } else if distance <= t.match_max {
        FaceStatus::FaceMatch
    } else if distance > t.mismatch_min {
        FaceStatus::FaceMismatch
    } else {
        FaceStatus::FaceUncertain
    }
}

/// Evidence that the selfie is the document portrait itself (or a crop/rescale of it).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SamePhotoEvidence {
    /// Normalised cross-correlation of the two aligned grey chips.
    pub chip_ncc: f32,
    /// Embedding distance.
    pub distance: f32,
    /// True when `chip_ncc` ≥ [`SAME_PHOTO_NCC`] and `distance` ≤ [`SAME_PHOTO_MAX_DISTANCE`].
    pub same_photo: bool,
}

/// Compares two analysed faces at pixel level (see [`SamePhotoEvidence`]).
pub fn same_photo_evidence(a: &FaceSample, b: &FaceSample) -> SamePhotoEvidence {
    let chip_ncc = a.chip.ncc(&b.chip);
    let distance = a.embedding.distance(&b.embedding);
    SamePhotoEvidence {
        chip_ncc,
        distance,
        same_photo: chip_ncc >= SAME_PHOTO_NCC && distance <= SAME_PHOTO_MAX_DISTANCE,
    }
}

/// Outcome of the selfie ↔ document-portrait check.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaceVerdict {
    /// Value for `autoFace`: `FACE_MATCH`, `FACE_MISMATCH`, `FACE_UNCERTAIN`, `NO_FACE_FOUND`,
    /// `TOO_MANY_FACES`, `FACE_TOO_BLURRY` or `FACE_GLARED`.
    pub face_status: FaceStatus,
    /// `Some(DocumentStatus::DocFaceNotFound)` when the document has no usable portrait; the face step raises no
    /// other document status.
    pub document_status: Option<DocumentStatus>,
    /// Embedding distance when both faces were found.
    pub distance: Option<f32>,
    /// Same-photo evidence when both faces were found (for the decision engine).
    pub same_photo: Option<SamePhotoEvidence>,
}

/// Decides the face status of a verification from the selfie and document analyses.
///
/// Order: selfie problems first (`NO_FACE_FOUND`, `TOO_MANY_FACES`, `FACE_TOO_BLURRY`,
/// `FACE_GLARED`); then a missing document portrait (`FACE_MISMATCH` + `DOC_FACE_NOT_FOUND`);
/// then the distance (`FACE_MATCH` / `FACE_UNCERTAIN` / `FACE_MISMATCH`, see
/// [`status_for_distance`]).
pub fn decide(selfie: &FaceAnalysis, document: &FaceAnalysis, modifier: f64) -> FaceVerdict {
    let doc_missing = document.primary.is_none();
    let document_status = doc_missing.then_some(DocumentStatus::DocFaceNotFound);
    let issue_status = selfie.issue.map(|i| match i {
        AnalysisIssue::NoFaceFound => FaceStatus::NoFaceFound,
        AnalysisIssue::TooManyFaces => FaceStatus::TooManyFaces,
        AnalysisIssue::FaceTooBlurry => FaceStatus::FaceTooBlurry,
        AnalysisIssue::FaceGlared => FaceStatus::FaceGlared,
    });
    let (distance, same_photo) = match (&selfie.primary, &document.primary) {
        (Some(s), Some(d)) => {
            let ev = same_photo_evidence(s, d);
            (Some(ev.distance), Some(ev))
        }
        _ => (None, None),
    };
    let face_status = match (issue_status, distance) {
        (Some(st), _) => st,
        (None, None) => FaceStatus::FaceMismatch,
        (None, Some(d)) => status_for_distance(d, modifier),
    };
    FaceVerdict {
        face_status,
        document_status,
        distance,
        same_photo,
    }
}

/// JSON shape of `kycd face compare A B --json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CompareReport {
    /// Faces detected in A.
    #[serde(rename = "facesA")]
    pub faces_a: usize,
    /// Faces detected in B.
    #[serde(rename = "facesB")]
    pub faces_b: usize,
    /// Embedding distance of the main faces (null when a face is missing).
    pub distance: Option<f32>,
    /// True iff `status` is `FACE_MATCH`.
    #[serde(rename = "match")]
    pub is_match: bool,
    pub status: FaceStatus,
}

impl CompareReport {
    /// Builds the report from the analyses of A (treated as the selfie) and B.
    pub fn from_analyses(a: &FaceAnalysis, b: &FaceAnalysis, modifier: f64) -> Self {
        let v = decide(a, b, modifier);
        let status = if b.primary.is_none() && a.issue.is_none() {
            FaceStatus::NoFaceFound
        } else {
            v.face_status
        };
        Self {
            faces_a: a.faces.len(),
            faces_b: b.faces.len(),
            distance: v.distance,
            is_match: status == FaceStatus::FaceMatch,
            status,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_bands() {
        assert_eq!(status_for_distance(0.3, 1.0), FaceStatus::FaceMatch);
        assert_eq!(
            status_for_distance(MATCH_THRESHOLD, 1.0),
            FaceStatus::FaceMatch
        );
        let mid = (MATCH_THRESHOLD + MISMATCH_THRESHOLD) / 2.0;
        assert_eq!(status_for_distance(mid, 1.0), FaceStatus::FaceUncertain);
        assert_eq!(status_for_distance(0.9, 1.0), FaceStatus::FaceMismatch);
        assert_eq!(status_for_distance(f32::NAN, 1.0), FaceStatus::FaceMismatch);
    }

    #[test]
    fn modifier_scales_thresholds() {
        let d = MATCH_THRESHOLD * 1.1;
        assert_ne!(status_for_distance(d, 1.0), FaceStatus::FaceMatch);
        assert_eq!(status_for_distance(d, 1.2), FaceStatus::FaceMatch);
        assert_ne!(
            status_for_distance(MATCH_THRESHOLD * 0.95, 0.9),
            FaceStatus::FaceMatch
        );
        // clamped and sanitised
        assert_eq!(
            effective_thresholds(100.0),
            effective_thresholds(MODIFIER_RANGE.1 as f64)
        );
        assert_eq!(effective_thresholds(f64::NAN), effective_thresholds(1.0));
    }

    #[test]
    fn wire_names() {
        assert_eq!(
            serde_json::to_string(&FaceStatus::TooManyFaces).unwrap(),
            "\"TOO_MANY_FACES\""
        );
        assert_eq!(FaceStatus::FaceUncertain.as_str(), "FACE_UNCERTAIN");
        assert_eq!(
            serde_json::to_string(&DocumentStatus::DocFaceNotFound).unwrap(),
            "\"DOC_FACE_NOT_FOUND\""
        );
        let r = CompareReport {
            faces_a: 1,
            faces_b: 2,
            distance: Some(0.5),
            is_match: true,
            status: FaceStatus::FaceMatch,
        };
        let j = serde_json::to_value(&r).unwrap();
        for k in ["facesA", "facesB", "distance", "match", "status"] {
            assert!(j.get(k).is_some(), "{k}");
        }
    }
}
