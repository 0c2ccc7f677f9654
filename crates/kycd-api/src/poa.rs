//! `POST /api/v2/poa-checks/` (idenfy-api.md §7.11): a standalone proof-of-address check on the bill reader, outside
//! any identification. The letter is read and compared in memory and nothing of it is kept: the response is the
//! only record (so `file` is `null`).

use crate::body::opt_text;
use crate::media::{self, MediaError, MediaKind};
use crate::{ApiFailure, AppState};
use kycd_pipeline::PoaProvided;
use kycd_store::{PartnerRow, now_ms};
use kycd_types::ErrorIdentifier;
use kycd_types::poa::PoaFindings;
use serde::Serialize;
use serde_json::Value;

/// The `201` body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PoaCheckResponse {
    /// Id of this check (UUID).
    pub id: String,
    /// When it was made (RFC 3339, UTC).
    pub created: String,
    /// What the letter shows and how it compares.
    #[serde(flatten)]
    pub findings: PoaFindings,
    /// A link to the stored file: kycd keeps nothing of a standalone check, so always `null`.
    pub file: Option<String>,
}

/// Reads the request, checks the letter off the async runtime, and answers with the findings.
pub async fn check(
    state: &AppState,
    _partner: &PartnerRow,
    body: &[u8],
) -> Result<PoaCheckResponse, ApiFailure> {
    let o = crate::body::parse_object(body)?;
    let file = match o.get("file") {
        None | Some(Value::Null) => {
            return Err(ApiFailure::new(
                ErrorIdentifier::MissingValue,
                "Field 'file' is required.",
            ));
        }
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(ApiFailure::new(
                ErrorIdentifier::JsonError,
                "Field 'file' must be a base64 string.",
            ));
        }
    };
    let name = opt_text(&o, "providedName", 255)?;
    let address = opt_text(&o, "providedAddress", 255)?;
    let max_pixels = state.config.max_image_pixels;
    let (bytes, kind) = tokio::task::spawn_blocking(move || media::inspect(&file, max_pixels))
        .await?
        .map_err(|e| {
            let id = match e {
                MediaError::Base64 => ErrorIdentifier::EncodingError,
                _ => ErrorIdentifier::BadValue,
            };
            ApiFailure::new(id, format!("Field 'file' {e}."))
        })?;
    let pixels = match kind {
        MediaKind::Pdf => None,
        k => Some(media::image_dimensions(&bytes, k).map_err(|e| {
            ApiFailure::new(ErrorIdentifier::BadValue, format!("Field 'file' {e}."))
        })?),
    };
    let bill = state
        .checks
        .bill
        .clone()
        .ok_or_else(|| ApiFailure::Internal("no bill reader is installed".into()))?;
    let today = kycd_pipeline::run::today();
    let _slot = state
        .checks
        .cpu_slots
        .acquire()
        .await
        .map_err(|e| ApiFailure::Internal(format!("CPU slots closed: {e}")))?;
    let t0 = std::time::Instant::now();
    let findings = tokio::task::spawn_blocking(move || {
        bill.proof_of_address(
            &bytes,
            kind.mime(),
            pixels,
            PoaProvided {
                name: name.as_deref(),
                address: address.as_deref(),
            },
            &today,
        )
    })
    .await?;
    kycd_telemetry::observe(
        "kycd_poa_check_duration_seconds",
        "Duration of standalone proof-of-address checks.",
        String::new(),
        t0.elapsed().as_secs_f64(),
    );
    let findings = findings.map_err(|e| {
        // The file is a valid JPEG, PNG or PDF that the reader cannot read (e.g. an image the decoder refuses).
        ApiFailure::new(
            ErrorIdentifier::BadValue,
            format!("Field 'file' could not be read: {e}."),
        )
    })?;
    let created = chrono::DateTime::from_timestamp_millis(now_ms())
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default();
    tracing::info!(overall = %findings.overall_status, "proof-of-address check");
    Ok(PoaCheckResponse {
        id: uuid::Uuid::new_v4().to_string(),
        created,
        findings,
        file: None,
    })
}
