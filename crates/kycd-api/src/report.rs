//! `POST /api/v2/generate-pdf` (idenfy-api.md §7.6): the verification report as a base64 PDF (kycd_report). iDenfy
//! does not document the response shape; kycd answers `{"pdf": "<base64>"}`.

use crate::retrieval::{lookup, scan_ref_of};
use crate::{ApiFailure, AppState};
use base64::Engine as _;
use kycd_store::{PartnerRow, now_ms};
use kycd_types::ErrorIdentifier;
use serde::Serialize;

/// The `200` body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PdfResponse {
    /// The report, a PDF encoded in base64 (standard alphabet, padded).
    pub pdf: String,
}

/// Makes the report of one of the partner's verifications.
pub async fn generate(
    state: &AppState,
    partner: &PartnerRow,
    body: &[u8],
) -> Result<PdfResponse, ApiFailure> {
    let scan_ref = scan_ref_of(body)?;
    let (v, _) = lookup(state, partner, &scan_ref).await?;
    let v = v.ok_or_else(|| {
        ApiFailure::new(
            ErrorIdentifier::PartnerError,
            format!(
                "Verification '{scan_ref}' has no submitted images yet: there is nothing to report."
            ),
        )
    })?;
    let t0 = std::time::Instant::now();
    let input = kycd_report::load(&state.store, &state.blobs, v, now_ms())
        .await
        .map_err(|e| ApiFailure::Internal(format!("report: {e}")))?;
    let pdf = tokio::task::spawn_blocking(move || kycd_report::render(&input))
        .await?
        .map_err(|e| ApiFailure::Internal(format!("report: {e}")))?;
    kycd_telemetry::observe(
        "kycd_report_duration_seconds",
        "Duration of verification report generation (load and render).",
        String::new(),
        t0.elapsed().as_secs_f64(),
    );
    tracing::info!(scan_ref = %scan_ref, bytes = pdf.len(), "report generated");
    Ok(PdfResponse {
        pdf: base64::engine::general_purpose::STANDARD.encode(pdf),
    })
}
