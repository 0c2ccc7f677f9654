//! The fraud stage: what makes a verification that reads well suspicious.
//!
//! * [`consistency`] — the document against itself and against the token: prefill fields, age limits, MRZ ↔ visual
//!   zone.
//! * [`tampering`] — signs of an edited or made-up image: editing software in the metadata, specimen identities,
//!   image hashes (for reuse).
//! * [`duplicates`] — the same face, document or image in other customers' verifications.
//! * [`blocklists`] — faces and personal data the partner blocked; also the blocklist management itself.
//!
//! Each is a function from its inputs to findings; [`crate::decision`] turns findings into tags.

pub mod blocklists;
pub mod consistency;
pub mod duplicates;
pub mod face_index;
pub mod tampering;

use crate::PipelineError;
use crate::checks::{DocumentFacts, FaceFacts};
use crate::run::Run;
use kycd_store::VerificationRow;

/// What the duplicate and blocklist searches found (they run only for would-be-approved verifications).
#[derive(Debug, Clone, Default)]
pub struct FraudFacts {
    /// Earlier verifications (other clientIds) whose selfie matches this selfie.
    pub duplicate_faces: Vec<String>,
    /// Earlier verifications (other clientIds) whose document portrait matches this one.
    pub duplicate_doc_faces: Vec<String>,
    /// Earlier verifications (other clientIds) with the same document number and date of birth.
    pub duplicate_personal_data: Vec<String>,
    /// Blocklisted selfies matched (scanRefs of the entries).
    pub face_blacklisted: Vec<String>,
    /// Blocklisted document portraits matched.
    pub doc_face_blacklisted: Vec<String>,
    /// Blocklisted personal data matched.
    pub data_blacklisted: Vec<String>,
    /// Other clients' verifications that contained byte-identical or perceptually identical images.
    pub reused_images: Vec<String>,
}

/// Runs the duplicate and blocklist searches for a verification.
pub async fn search(
    run: &Run,
    v: &VerificationRow,
    document: Option<&DocumentFacts>,
    face: Option<&FaceFacts>,
    hashes: &[tampering::ImageHash],
) -> Result<FraudFacts, PipelineError> {
    let mut f = FraudFacts::default();
    let threshold = run.checks.face.as_ref().map(|m| m.duplicate_threshold());
    if let (Some(face), Some(th)) = (face, threshold) {
        duplicates::faces(run, v, face, th, &mut f).await?;
        blocklists::faces(run, v, face, th, &mut f).await?;
    }
    if let Some(d) = document
        && let Some(k) = duplicates::personal_key(
            &run.keyring,
            d.data.number.as_deref(),
            d.data.dob.as_deref(),
        )
    {
        f.duplicate_personal_data = duplicates::personal_data(run, v, &k).await?;
        f.data_blacklisted = run
            .store
            .blocklist_data_matches(v.partner_id, &k, &v.scan_ref)
            .await?;
    }
    f.reused_images = duplicates::reused_images(run, v, hashes).await?;
    Ok(f)
}
