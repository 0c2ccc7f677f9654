//! Duplicates: the same face, document or image in another customer's verification (`DUPLICATE_FACE`,
//! `DUPLICATE_DOC_FACE`, `DUPLICATE_PERSONAL_DATA`, image reuse). The same client re-verifying is never a duplicate.

use super::FraudFacts;
use super::tampering::ImageHash;
use crate::PipelineError;
use crate::checks::FaceFacts;
use crate::faces::{KIND_DOC_FACE, KIND_SELFIE};
use crate::run::Run;
use kycd_store::{Keyring, VerificationRow};
use kycd_types::text::alnum_upper;

/// How many duplicates of one kind are reported at most.
const MAX_DUPLICATES: usize = 20;

/// The keyed-hash input identifying a person's document for `DUPLICATE_PERSONAL_DATA` and `DATA_BLACKLISTED`:
/// document number and date of birth.
pub fn personal_key(keyring: &Keyring, number: Option<&str>, dob: Option<&str>) -> Option<String> {
    let n = alnum_upper(number?);
    let d = dob?;
    (!n.is_empty() && !d.is_empty()).then(|| keyring.keyed_hash("personal", &format!("{n}|{d}")))
}

/// Other customers' verifications whose selfie or document portrait is this face.
pub async fn faces(
    run: &Run,
    v: &VerificationRow,
    face: &FaceFacts,
    threshold: f32,
    f: &mut FraudFacts,
) -> Result<(), PipelineError> {
    for (kind, embedding, out) in [
        (KIND_SELFIE, &face.selfie_embedding, &mut f.duplicate_faces),
        (
            KIND_DOC_FACE,
            &face.doc_embedding,
            &mut f.duplicate_doc_faces,
        ),
    ] {
        if let Some(e) = embedding {
            *out = run
                .faces
                .search(
                    &run.store,
                    &run.keyring,
                    v.partner_id,
                    kind,
                    e,
                    threshold,
                    &v.client_id,
                    &v.scan_ref,
                    MAX_DUPLICATES,
                )
                .await?;
        }
    }
    Ok(())
}

/// Other customers' verifications of the same document (number and date of birth, as a keyed hash).
pub async fn personal_data(
    run: &Run,
    v: &VerificationRow,
    key: &str,
) -> Result<Vec<String>, PipelineError> {
    Ok(run
        .store
        .key_matches(v.partner_id, "PERSONAL", key, &v.scan_ref)
        .await?
        .into_iter()
        .filter(|m| m.client_id != v.client_id)
        .map(|m| m.scan_ref)
        .collect())
}

/// Other customers' verifications that contained one of these images (byte-identical or perceptually identical).
pub async fn reused_images(
    run: &Run,
    v: &VerificationRow,
    hashes: &[ImageHash],
) -> Result<Vec<String>, PipelineError> {
    let mut reused: Vec<String> = Vec::new();
    for h in hashes {
        let key = run.keyring.keyed_hash("image", &h.value);
        for m in run
            .store
            .key_matches(v.partner_id, h.kind, &key, &v.scan_ref)
            .await?
        {
            if m.client_id != v.client_id && !reused.contains(&m.scan_ref) {
                reused.push(m.scan_ref);
            }
        }
    }
    Ok(reused)
}
