//! Manual review (`kycd review decide`) and blocklist entries made from a finished verification.

use crate::PipelineError;
use crate::decision::core_passes;
use crate::faces::KIND_DOC_FACE;
use crate::faces::KIND_SELFIE;
use crate::run::personal_key;
use kycd_store::{BlocklistRow, Keyring, NewBlocklistEntry, OutboxEntry, Store, VerificationRow};
use kycd_types::webhook::IdentificationResult;
use kycd_types::{
    DocumentStatus, EventType, FaceStatus, FraudTag, OverallStatus, PartnerId, TokenType,
};

/// A manual decision: the reviewer's face and document statuses.
#[derive(Debug, Clone)]
pub struct ManualDecision {
    /// `manualFace`.
    pub face: FaceStatus,
    /// `manualDocument`.
    pub document: DocumentStatus,
}

fn stored_result(v: &VerificationRow) -> Result<IdentificationResult, PipelineError> {
    let r = v.result.clone().ok_or_else(|| {
        PipelineError::Missing(format!("verification {} has no result yet", v.scan_ref))
    })?;
    serde_json::from_value(r).map_err(|e| PipelineError::Check(format!("stored result: {e}")))
}

/// Records a manual decision: sets `manualFace`/`manualDocument`, recomputes `overall` from the manual values and
/// the tags (idenfy-api.md §6.1), marks the result final and enqueues `IDENTIFICATION_MANUAL_FINISHED`.
pub async fn decide_manually(
    store: &Store,
    scan_ref: &str,
    d: &ManualDecision,
) -> Result<OverallStatus, PipelineError> {
    let v = store
        .verification(scan_ref)
        .await?
        .filter(|v| v.deleted_at.is_none())
        .ok_or_else(|| PipelineError::Missing(format!("verification {scan_ref}")))?;
    let mut result = stored_result(&v)?;
    let token = store.token_for_partner(&v.auth_token, v.partner_id).await?;
    let token_type = token
        .map(|t| t.settings.token_type)
        .unwrap_or(TokenType::Identification);
    let overall = if !core_passes(token_type, &d.face, &d.document) {
        OverallStatus::Denied
    } else if result.status.fraud_tags.is_empty() && result.status.mismatch_tags.is_empty() {
        OverallStatus::Approved
    } else {
        OverallStatus::Suspected
    };
    result.status.manual_face = Some(d.face.clone());
    result.status.manual_document = Some(d.document.clone());
    result.status.overall = overall;
    result.is_final = true;
    result.finish_time = kycd_store::now_ms() / 1000;
    let partner = store
        .partner_by_id(v.partner_id)
        .await?
        .ok_or_else(|| PipelineError::Missing("partner".into()))?;
    let url = store
        .token_for_partner(&v.auth_token, v.partner_id)
        .await?
        .and_then(|t| t.settings.callback_url)
        .or(partner.webhook_url);
    let value = serde_json::to_value(&result).map_err(|e| PipelineError::Check(e.to_string()))?;
    store.set_result(scan_ref, overall.as_str(), &value).await?;
    store
        .enqueue_webhook(&OutboxEntry {
            webhook_id: format!("msg_{}", uuid::Uuid::new_v4().simple()),
            scan_ref: scan_ref.to_string(),
            partner_id: v.partner_id,
            event_type: EventType::IdentificationManualFinished.as_str().to_string(),
            url,
            body: serde_json::to_vec(&result).map_err(|e| PipelineError::Check(e.to_string()))?,
        })
        .await?;
    Ok(overall)
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
