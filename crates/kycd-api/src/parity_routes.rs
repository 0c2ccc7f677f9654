//! Thin handlers of the iDenfy endpoints beyond the verification flow: sandbox manual results, the PDF report, the
//! standalone proof-of-address check and AML monitoring (kept apart from `router.rs`, which holds the verification
//! flow).

use crate::auth::AuthPartner;
use crate::body::read_limited;
use crate::error::json_response;
use crate::{ApiFailure, AppState};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use kycd_types::error::ErrorEnvelope;

/// The routes of this module.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/add-dummy-status", post(add_dummy_status))
        .route("/api/v2/generate-pdf", post(generate_pdf))
        .route("/api/v2/poa-checks/", post(poa_check))
        .route("/api/v2/poa-checks", post(poa_check))
        .route("/api/v2/add-aml-user", post(add_aml_user))
        .route("/api/v2/remove-aml-user", post(remove_aml_user))
}

/// Sandbox partners only: sets the manual result of a dummy verification and fires its
/// `IDENTIFICATION_MANUAL_FINISHED` webhook (`FACE_MATCH` + `DOC_VALIDATED` approve it).
#[utoipa::path(
    post,
    path = "/api/v2/add-dummy-status",
    operation_id = "addDummyStatus",
    tag = "sandbox",
    request_body(content = crate::openapi::AddDummyStatusRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Set; the manual webhook is on its way. Empty body."),
        (status = 400, description = "`ENCODING_ERROR` (not UTF-8), `JSON_ERROR` (not a JSON object, wrong field \
            type), `MISSING_VALUE` (a required field), `BAD_VALUE` (an unknown status, or not a dummy \
            verification), `PARTNER_ERROR` (no automatic result yet: call `/api/v2/process` first) or \
            `PERMISSIONS_ERROR` (a production partner: `This endpoint is not available for PRODUCTION partners.`).",
            body = ErrorEnvelope),
        crate::openapi::NotFoundScanRef,
        crate::openapi::SmallBodyTooLarge,
        crate::openapi::AuthErrors,
    ),
    security(("apiKeyPair" = [])),
)]
pub(crate) async fn add_dummy_status(
    State(state): State<AppState>,
    AuthPartner(partner): AuthPartner,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiFailure> {
    let bytes = read_limited(&headers, body, state.config.max_small_body).await?;
    crate::sandbox::add_dummy_status(&state, &partner, &bytes).await?;
    Ok(StatusCode::OK.into_response())
}

/// The verification report as a PDF: data, statuses, the rules that fired with their evidence, AML results, the
/// document and face images and the time line. iDenfy does not document the response shape; kycd answers
/// `{"pdf": "<base64>"}`.
#[utoipa::path(
    post,
    path = "/api/v2/generate-pdf",
    operation_id = "generatePdf",
    tag = "retrieval",
    request_body(content = crate::openapi::ScanRefRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The report (shape not documented by iDenfy: `{\"pdf\": \"<base64>\"}`).",
            body = crate::report::PdfResponse),
        (status = 400, description = "`ENCODING_ERROR` (not UTF-8), `JSON_ERROR` (not a JSON object, wrong field \
            type), `MISSING_VALUE` (no `scanRef`), `BAD_VALUE` (empty `scanRef`) or `PARTNER_ERROR` (the token was \
            never used: nothing to report).", body = ErrorEnvelope),
        crate::openapi::NotFoundScanRef,
        crate::openapi::SmallBodyTooLarge,
        crate::openapi::AuthErrors,
    ),
    security(("apiKeyPair" = [])),
)]
pub(crate) async fn generate_pdf(
    State(state): State<AppState>,
    AuthPartner(partner): AuthPartner,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiFailure> {
    let bytes = read_limited(&headers, body, state.config.max_small_body).await?;
    Ok(json_response(
        StatusCode::OK,
        &crate::report::generate(&state, &partner, &bytes).await?,
    ))
}

/// A standalone proof-of-address check of one letter (utility bill, bank statement …) against the provided name
/// and address (also served without the trailing slash). Nothing of the file is kept.
#[utoipa::path(
    post,
    path = "/api/v2/poa-checks/",
    operation_id = "createPoaCheck",
    tag = "verification",
    request_body(content = crate::openapi::PoaCheckRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The findings; any value is `null` when the letter does not show it.",
            body = crate::poa::PoaCheckResponse),
        (status = 400, description = "`ENCODING_ERROR` (not UTF-8, or `file` not base64), `JSON_ERROR` (not a JSON \
            object, wrong field type), `MISSING_VALUE` (no `file`) or `BAD_VALUE` (not a JPEG, PNG or \
            unencrypted PDF, over the pixel limit, unreadable, or a provided value over 255 characters).",
            body = ErrorEnvelope),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`: the body is over the limit (20 MiB by default, `KYCD_MAX_BODY_MB`).", body = ErrorEnvelope),
        crate::openapi::AuthErrors,
    ),
    security(("apiKeyPair" = [])),
)]
pub(crate) async fn poa_check(
    State(state): State<AppState>,
    AuthPartner(partner): AuthPartner,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiFailure> {
    let bytes = read_limited(&headers, body, state.config.max_process_body).await?;
    Ok(json_response(
        StatusCode::CREATED,
        &crate::poa::check(&state, &partner, &bytes).await?,
    ))
}

/// Starts AML monitoring of a verified identity (`scanRef`) or of a person or company given by hand. The subject is
/// screened within seconds and again after every list change; a changed result arrives as the `AML_MONITORING`
/// webhook (idenfy-api.md §8.1).
#[utoipa::path(
    post,
    path = "/api/v2/add-aml-user",
    operation_id = "addAmlUser",
    tag = "monitoring",
    request_body(content = crate::openapi::AddAmlUserRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Monitoring started (or, for a verification already monitored, extended).",
            body = crate::monitoring::MonitoringSubject),
        (status = 400, description = "`ENCODING_ERROR` (not UTF-8), `JSON_ERROR` (not a JSON object, wrong field \
            type), `MISSING_VALUE` (neither `scanRef` nor `name`), `BAD_VALUE` (unknown `type`, a date or country \
            code that is not valid, a value too long) or `PARTNER_ERROR` (the verification has no result or no \
            name).", body = ErrorEnvelope),
        crate::openapi::NotFoundScanRef,
        crate::openapi::SmallBodyTooLarge,
        crate::openapi::AuthErrors,
    ),
    security(("apiKeyPair" = [])),
)]
pub(crate) async fn add_aml_user(
    State(state): State<AppState>,
    AuthPartner(partner): AuthPartner,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiFailure> {
    let bytes = read_limited(&headers, body, state.config.max_small_body).await?;
    Ok(json_response(
        StatusCode::CREATED,
        &crate::monitoring::add(&state, &partner, &bytes).await?,
    ))
}

/// Stops the AML monitoring of a subject (kycd extension): no further screens, no further webhooks.
#[utoipa::path(
    post,
    path = "/api/v2/remove-aml-user",
    operation_id = "removeAmlUser",
    tag = "monitoring",
    request_body(content = crate::openapi::RemoveAmlUserRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Stopped.", body = crate::monitoring::MonitoringSubject),
        (status = 400, description = "`ENCODING_ERROR`, `JSON_ERROR` or `MISSING_VALUE` (no `monitoringId`).",
            body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`: no such monitoring for the partner.", body = ErrorEnvelope),
        crate::openapi::SmallBodyTooLarge,
        crate::openapi::AuthErrors,
    ),
    security(("apiKeyPair" = [])),
)]
pub(crate) async fn remove_aml_user(
    State(state): State<AppState>,
    AuthPartner(partner): AuthPartner,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiFailure> {
    let bytes = read_limited(&headers, body, state.config.max_small_body).await?;
    Ok(json_response(
        StatusCode::OK,
        &crate::monitoring::remove(&state, &partner, &bytes).await?,
    ))
}
