//! Blocklists: the partner's blocked faces (selfies and document portraits) and personal data, matched against
//! every would-be-approved verification (`FACE_BLACKLISTED`, `DOC_FACE_BLACKLISTED`, `DATA_BLACKLISTED`); and the
//! entries themselves, made from a finished verification (`/api/v2/blocklist`, the console).

use super::FraudFacts;
use super::duplicates::personal_key;
use crate::PipelineError;
use crate::checks::FaceFacts;
use crate::decision::review::stored_result;
use crate::faces::{KIND_DOC_FACE, KIND_SELFIE, distance, open};
use crate::run::Run;
use kycd_store::{BlocklistRow, Keyring, NewBlocklistEntry, Store, VerificationRow};
use kycd_types::{FraudTag, PartnerId};

/// Blocklisted faces (selfie and document-portrait entries alike) within `threshold` of this verification's faces.
pub async fn faces(
    run: &Run,
    v: &VerificationRow,
    face: &FaceFacts,
    threshold: f32,
    f: &mut FraudFacts,
) -> Result<(), PipelineError> {
    let mut entries = run.store.blocklist(v.partner_id, "SELFIE").await?;
    entries.extend(run.store.blocklist(v.partner_id, "DOCUMENT").await?);
    let near = |probe: &Option<Vec<f32>>, blocked: &[f32]| {
        probe
            .as_deref()
            .and_then(|s| distance(s, blocked))
            .is_some_and(|d| d <= threshold)
    };
    for entry in entries.iter().filter(|e| e.scan_ref != v.scan_ref) {
        let Some(b) = entry
            .embedding_enc
            .as_deref()
            .and_then(|e| open(&run.keyring, e))
        else {
            continue;
        };
        if near(&face.selfie_embedding, &b) {
            f.face_blacklisted.push(entry.scan_ref.clone());
        }
        if near(&face.doc_embedding, &b) {
            f.doc_face_blacklisted.push(entry.scan_ref.clone());
        }
    }
    Ok(())
}

/// Blocklist sources (`SELFIE`, `DOCUMENT`, `DOCUMENT_INFO`).
pub const BLOCKLIST_SOURCES: [&str; 3] = ["SELFIE", "DOCUMENT", "DOCUMENT_INFO"];

/// Why a blocklist entry could not be made.
#[derive(Debug, thiserror::Error)]
pub enum BlocklistError {
    /// Unknown or deleted verification.
    #[error("verification not found")]
    NotFound,
    /// The verification has no such face or data.
    #[error("{0}")]
    NothingToBlock(String),
    /// Store failure.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
}

impl From<kycd_store::StoreError> for BlocklistError {
    fn from(e: kycd_store::StoreError) -> Self {
        Self::Pipeline(e.into())
    }
}

fn tag_for(source: &str) -> FraudTag {
    match source {
        "SELFIE" => FraudTag::FaceInBlacklist,
        "DOCUMENT" => FraudTag::DocFaceInBlacklist,
        _ => FraudTag::DataInBlacklist,
    }
}

/// Adds a blocklist entry made from a partner's verification, and tags the source verification
/// (`FACE_IN_BLACKLIST`, `DOC_FACE_IN_BLACKLIST`, `DATA_IN_BLACKLIST`). Returns the entry and, for DOCUMENT_INFO, the
/// personal data it holds.
pub async fn add_to_blocklist(
    store: &Store,
    keyring: &Keyring,
    partner: PartnerId,
    scan_ref: &str,
    source: &str,
    reason: Option<String>,
) -> Result<(BlocklistRow, Option<serde_json::Value>), BlocklistError> {
    let v = store
        .verification_for_partner(scan_ref, partner)
        .await?
        .filter(|v| v.deleted_at.is_none())
        .ok_or(BlocklistError::NotFound)?;
    let mut result = stored_result(&v).map_err(|_| {
        BlocklistError::NothingToBlock("the verification has not finished processing".into())
    })?;
    // A sandbox verification's data is canned (crate::sandbox): it must never match a real one.
    if result.kycd.as_ref().is_some_and(|k| k["sandbox"] == true) {
        return Err(BlocklistError::NothingToBlock(
            "a sandbox verification holds no real face or personal data: it cannot be blocklisted"
                .into(),
        ));
    }
    let mut entry = NewBlocklistEntry {
        partner_id: partner,
        source: source.to_string(),
        scan_ref: scan_ref.to_string(),
        reason,
        embedding_enc: None,
        data_key: None,
        data_enc: None,
    };
    let mut data = None;
    match source {
        "SELFIE" | "DOCUMENT" => {
            let kind = if source == "SELFIE" {
                KIND_SELFIE
            } else {
                KIND_DOC_FACE
            };
            let enc = store.face_embedding(scan_ref, kind).await?.ok_or_else(|| {
                BlocklistError::NothingToBlock(format!(
                    "no {} face was found in this verification",
                    if source == "SELFIE" {
                        "selfie"
                    } else {
                        "document"
                    }
                ))
            })?;
            entry.embedding_enc = Some(enc);
        }
        _ => {
            let d = &result.data;
            let key = personal_key(keyring, d.doc_number.as_deref(), d.doc_dob.as_deref())
                .ok_or_else(|| {
                    BlocklistError::NothingToBlock(
                        "no document number and date of birth were read".into(),
                    )
                })?;
            let full_name = d.full_name.clone().or_else(|| {
                let n = format!(
                    "{} {}",
                    d.doc_first_name.as_deref().unwrap_or(""),
                    d.doc_last_name.as_deref().unwrap_or("")
                );
                (!n.trim().is_empty()).then(|| n.trim().to_string())
            });
            let info = serde_json::json!({
                "fullName": full_name,
                "dateOfBirth": d.doc_dob,
                "personalNumber": d.doc_personal_code,
                "documentNumber": d.doc_number,
                "nationality": d.doc_nationality,
            });
            entry.data_key = Some(key);
            entry.data_enc = Some(
                keyring
                    .encrypt(info.to_string().as_bytes())
                    .map_err(|e| PipelineError::Check(e.to_string()))?,
            );
            data = Some(info);
        }
    }
    let row = store.add_blocklist(&entry).await?;
    let tag = tag_for(source);
    if !result.status.fraud_tags.contains(&tag) {
        result.status.fraud_tags.push(tag);
        let value =
            serde_json::to_value(&result).map_err(|e| PipelineError::Check(e.to_string()))?;
        store.set_result(scan_ref, &v.status, &value).await?;
    }
    Ok((row, data))
}

/// Removes a blocklist entry and its tag from the source verification; false when there was none.
pub async fn remove_from_blocklist(
    store: &Store,
    partner: PartnerId,
    scan_ref: &str,
    source: &str,
) -> Result<bool, BlocklistError> {
    let removed = store.remove_blocklist(partner, source, scan_ref).await?;
    if removed
        && let Some(v) = store.verification_for_partner(scan_ref, partner).await?
        && let Ok(mut result) = stored_result(&v)
    {
        let tag = tag_for(source);
        result.status.fraud_tags.retain(|t| *t != tag);
        let value =
            serde_json::to_value(&result).map_err(|e| PipelineError::Check(e.to_string()))?;
        store.set_result(scan_ref, &v.status, &value).await?;
    }
    Ok(removed)
}
