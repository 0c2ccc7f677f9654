//! The webhook body of a verification (idenfy-api.md §8.1): statuses, data, file URLs and the outbox row that
//! delivers it; and the short-lived signed URLs kycd serves the files under.

use crate::decision::review::needs_review;
use crate::run::Evaluated;
use kycd_store::{JobOutcome, Keyring, OutboxEntry, PartnerRow, VerificationRow, now_ms};
use kycd_types::token::TokenSettings;
use kycd_types::webhook::IdentificationResult;
use kycd_types::{DocumentType, EventType, OverallStatus};
use std::collections::BTreeMap;

/// Builds the short-lived signed URLs kycd serves files under.
#[derive(Clone, Debug)]
pub struct FileUrls {
    /// Public base URL, e.g. `http://127.0.0.1:8080`.
    pub base: String,
    /// Keys.
    pub keyring: Keyring,
    /// Lifetime of a URL in seconds.
    pub ttl_secs: i64,
}

impl FileUrls {
    /// A signed URL for one step's file, valid for `ttl_secs`.
    pub fn url(&self, scan_ref: &str, step: &str) -> String {
        let expires = now_ms() / 1000 + self.ttl_secs;
        let sig = self.keyring.file_url_signature(scan_ref, step, expires);
        format!(
            "{}/api/v2/files/{scan_ref}/{step}?expires={expires}&signature={sig}",
            self.base.trim_end_matches('/')
        )
    }

    /// The `fileUrls` map of a verification: every stored step.
    pub fn map(&self, v: &VerificationRow) -> BTreeMap<String, Option<String>> {
        v.images
            .keys()
            .map(|step| (step.clone(), Some(self.url(&v.scan_ref, step))))
            .collect()
    }
}

/// The stored result and its `IDENTIFICATION_AUTO_FINISHED` webhook for an evaluated verification; `REVIEWING`
/// (not final) when it waits for a person.
pub fn job_outcome(
    files: &FileUrls,
    v: &VerificationRow,
    token: &TokenSettings,
    partner: &PartnerRow,
    ev: Evaluated,
) -> JobOutcome {
    let Evaluated {
        overall,
        mut status,
        mut data,
        aml,
        additional_steps,
        evidence,
        portrait: _,
        readings: _,
    } = ev;
    let review = needs_review(partner, token, overall);
    if review {
        status.overall = OverallStatus::Reviewing;
    }
    data.selected_country = v.country.clone();
    if data.doc_type.is_none() {
        data.doc_type = v
            .document_type
            .as_deref()
            .and_then(|d| d.parse::<DocumentType>().ok());
    }
    let step_names: Vec<String> = additional_steps.keys().cloned().collect();
    let mut file_urls = BTreeMap::new();
    let mut step_urls = BTreeMap::new();
    for step in v.images.keys() {
        let url = Some(files.url(&v.scan_ref, step));
        if step_names.contains(step) {
            step_urls.insert(step.clone(), url.clone());
        }
        file_urls.insert(step.clone(), url);
    }
    let mut result = base_result(&v.scan_ref, &v.client_id, status);
    result.is_final = !review;
    result.data = data;
    result.file_urls = file_urls;
    result.additional_step_pdf_urls = step_urls;
    result.aml = aml;
    result.external_ref = token.external_ref.clone();
    result.start_time = v.created_at / 1000;
    result.additional_steps = (!additional_steps.is_empty()).then_some(additional_steps);
    result.kycd = Some(evidence);
    let body = serde_json::to_vec(&result).unwrap_or_default();
    let value = serde_json::to_value(&result).unwrap_or(serde_json::Value::Null);
    let stored_status = if review {
        OverallStatus::Reviewing
    } else {
        overall
    };
    JobOutcome {
        status: stored_status.as_str().to_string(),
        result: value,
        outbox: Some(OutboxEntry {
            webhook_id: format!("msg_{}", uuid::Uuid::new_v4().simple()),
            scan_ref: v.scan_ref.clone(),
            partner_id: v.partner_id,
            event_type: EventType::IdentificationAutoFinished.as_str().to_string(),
            url: token
                .callback_url
                .clone()
                .or_else(|| partner.webhook_url.clone()),
            body,
        }),
    }
}

/// A webhook body with every key present: `final: true`, the given status, empty data, no files.
pub fn base_result(
    scan_ref: &str,
    client_id: &str,
    status: kycd_types::webhook::StatusBlock,
) -> IdentificationResult {
    let now = now_ms() / 1000;
    IdentificationResult::new(scan_ref, client_id, status, now, now)
}
