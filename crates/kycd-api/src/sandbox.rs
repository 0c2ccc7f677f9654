//! `POST /api/v2/add-dummy-status` (idenfy-api.md §7.12): a sandbox partner sets the manual result of a dummy
//! verification, which fires the `IDENTIFICATION_MANUAL_FINISHED` webhook exactly as a reviewer's decision does
//! (kycd_pipeline::decision::review::decide_manually). Production partners get the wrong-environment error.

use crate::retrieval::{lookup, scan_ref_of};
use crate::{ApiFailure, AppState};
use kycd_pipeline::decision::review::{ManualDecision, decide_manually};
use kycd_store::PartnerRow;
use kycd_types::{DocumentStatus, ErrorIdentifier, FaceStatus};
use serde_json::Value;
use std::str::FromStr;

/// The wrong-environment error of dummy calls by a production partner (idenfy-api.md §4.4).
pub(crate) fn not_for_production() -> ApiFailure {
    ApiFailure::new(
        ErrorIdentifier::PermissionsError,
        "This endpoint is not available for PRODUCTION partners.",
    )
}

/// A required field holding one of the known values of a status vocabulary.
fn status_field<T: FromStr + PartialEq>(
    o: &serde_json::Map<String, Value>,
    field: &str,
    known: &[T],
    names: impl Iterator<Item = &'static str>,
) -> Result<T, ApiFailure> {
    let s = match o.get(field) {
        None | Some(Value::Null) => {
            return Err(ApiFailure::new(
                ErrorIdentifier::MissingValue,
                format!("Field '{field}' is required."),
            ));
        }
        Some(Value::String(s)) => s,
        Some(_) => {
            return Err(ApiFailure::new(
                ErrorIdentifier::JsonError,
                format!("Field '{field}' must be a string."),
            ));
        }
    };
    match s.parse::<T>() {
        Ok(v) if known.contains(&v) => Ok(v),
        _ => Err(ApiFailure::new(
            ErrorIdentifier::BadValue,
            format!(
                "Field '{field}' must be one of {}; got '{s}'.",
                names.collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// Sets the manual result of a sandbox partner's dummy verification and enqueues its manual webhook.
pub async fn add_dummy_status(
    state: &AppState,
    partner: &PartnerRow,
    body: &[u8],
) -> Result<(), ApiFailure> {
    if !partner.sandbox {
        return Err(not_for_production());
    }
    let scan_ref = scan_ref_of(body)?;
    let o = crate::body::parse_object(body)?;
    let face = status_field(
        &o,
        "manualFaceMatchResult",
        FaceStatus::ALL,
        FaceStatus::ALL.iter().map(FaceStatus::as_str),
    )?;
    let document = status_field(
        &o,
        "manualDocumentValidity",
        DocumentStatus::ALL,
        DocumentStatus::ALL.iter().map(DocumentStatus::as_str),
    )?;
    let (v, token) = lookup(state, partner, &scan_ref).await?;
    if token.settings.dummy_status.is_none() {
        return Err(ApiFailure::new(
            ErrorIdentifier::BadValue,
            format!(
                "Verification '{scan_ref}' is not a dummy verification: create its token with 'dummyStatus'."
            ),
        ));
    }
    let processed = v.is_some_and(|v| v.result.is_some() && v.deleted_at.is_none());
    if !processed {
        return Err(ApiFailure::new(
            ErrorIdentifier::PartnerError,
            format!(
                "Verification '{scan_ref}' has no automatic result yet: submit it with /api/v2/process and wait for \
                 its webhook."
            ),
        ));
    }
    let overall = decide_manually(&state.store, &scan_ref, &ManualDecision { face, document })
        .await
        .map_err(|e| ApiFailure::Internal(format!("dummy manual result: {e}")))?;
    tracing::info!(scan_ref = %scan_ref, overall = %overall, "dummy manual result set");
    Ok(())
}
