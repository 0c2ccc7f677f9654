//! Manual review: which automatic results wait for a person (`REVIEWING`), and a person's decision
//! (`kycd review decide`, the console), derived by the same [`decide`] as the automatic one.

use super::{CheckResults, decide};
use crate::PipelineError;
use kycd_store::{OutboxEntry, PartnerRow, Store, VerificationRow};
use kycd_types::token::TokenSettings;
use kycd_types::webhook::IdentificationResult;
use kycd_types::{DocumentStatus, DummyStatus, EventType, FaceStatus, OverallStatus, TokenType};

/// Whether an automatic result waits for a person: the partner reviews everything, the token asks for review of
/// successful (`reviewSuccessful`) or failed (`reviewFailed`) verifications, or a sandbox token asked for a
/// `REVIEWING` dummy.
pub fn needs_review(partner: &PartnerRow, token: &TokenSettings, overall: OverallStatus) -> bool {
    partner.manual_review
        || token.dummy_status == Some(DummyStatus::Reviewing)
        || (overall == OverallStatus::Approved && token.flag("reviewSuccessful"))
        || (overall != OverallStatus::Approved && token.flag("reviewFailed"))
}

/// A manual decision: the reviewer's face and document statuses.
#[derive(Debug, Clone)]
pub struct ManualDecision {
    /// `manualFace`.
    pub face: FaceStatus,
    /// `manualDocument`.
    pub document: DocumentStatus,
}

/// The stored webhook body of a finished verification.
pub(crate) fn stored_result(v: &VerificationRow) -> Result<IdentificationResult, PipelineError> {
    let r = v.result.clone().ok_or_else(|| {
        PipelineError::Missing(format!("verification {} has no result yet", v.scan_ref))
    })?;
    serde_json::from_value(r).map_err(|e| PipelineError::Check(format!("stored result: {e}")))
}

/// Records a manual decision: sets `manualFace`/`manualDocument`, derives `overall` from the manual values and the
/// tags with [`decide`] (idenfy-api.md §6.1), marks the result final and enqueues `IDENTIFICATION_MANUAL_FINISHED`.
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
    let token = store
        .token_for_partner(&v.auth_token, v.partner_id)
        .await?
        .map(|t| t.settings);
    let (overall, _) = decide(&CheckResults {
        token_type: token
            .as_ref()
            .map_or(TokenType::Identification, |t| t.token_type),
        face: d.face.clone(),
        document: d.document.clone(),
        fraud_tags: result.status.fraud_tags.clone(),
        mismatch_tags: result.status.mismatch_tags.clone(),
        additional_steps: result.status.additional_steps,
    });
    result.status.manual_face = Some(d.face.clone());
    result.status.manual_document = Some(d.document.clone());
    result.status.overall = overall;
    result.is_final = true;
    result.finish_time = kycd_store::now_ms() / 1000;
    let partner = store
        .partner_by_id(v.partner_id)
        .await?
        .ok_or_else(|| PipelineError::Missing("partner".into()))?;
    let url = token
        .and_then(|t| t.callback_url)
        .or_else(|| partner.webhook_url.clone());
    let value = serde_json::to_value(&result).map_err(|e| PipelineError::Check(e.to_string()))?;
    store.set_result(scan_ref, overall.as_str(), &value).await?;
    if overall == OverallStatus::Approved {
        crate::aml::monitor_approved(store, &partner, scan_ref, &result.data).await?;
    }
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
