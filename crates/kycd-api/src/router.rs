//! Routes and thin handlers.
//!
//! Over ~600 lines because each handler carries its `#[utoipa::path]` attribute (the OpenAPI document is generated
//! from them); the handlers themselves are a few lines each and call one service function.

use crate::auth::AuthPartner;
use crate::body::read_limited;
use crate::error::{error_response, json_response};
use crate::process::Accepted;
use crate::{ApiFailure, AppState, retrieval, token};
use axum::Router;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kycd_types::error::ErrorEnvelope;
use kycd_types::{ApiError, ErrorIdentifier};

/// The application router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v2/token", post(create_token))
        .route("/api/v2/process", post(process_verification))
        .route("/api/v2/status", post(get_status))
        .route("/api/v2/data", post(get_data))
        .route("/api/v2/files", post(get_files))
        .route("/api/v2/files/{scan_ref}/{step}", get(download_file))
        .route("/api/v2/delete", post(delete_verification))
        .route("/api/v2/webhooks/replay", post(replay_webhooks))
        .route(
            "/api/v2/upload-additional-step",
            post(upload_additional_step),
        )
        .route("/kyc/identifications/", get(list_identifications))
        .route("/kyc/identifications", get(list_identifications))
        .route(
            "/kyc/identifications/{scan_ref}/blocklists/{source}/",
            post(add_blocklist).delete(remove_blocklist),
        )
        .route(
            "/kyc/identifications/{scan_ref}/blocklists/{source}",
            post(add_blocklist).delete(remove_blocklist),
        )
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/readyz", get(readyz))
        .route("/api/openapi.json", get(openapi_json))
        .merge(crate::parity_routes::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(record_latency))
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

async fn small_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<bytes::Bytes, ApiFailure> {
    read_limited(headers, body, state.config.max_small_body).await
}

/// The path parameters, or `BAD_VALUE` in the envelope when they cannot be decoded (e.g. percent-encoded bytes
/// that are not UTF-8) instead of axum's plain-text rejection.
fn path_params<T>(path: Result<Path<T>, PathRejection>) -> Result<T, ApiFailure> {
    path.map(|Path(t)| t).map_err(|e| {
        ApiFailure::new(
            ErrorIdentifier::BadValue,
            format!("Invalid path parameter: {}", e.body_text()),
        )
    })
}

fn created(v: &impl serde::Serialize) -> Response {
    json_response(StatusCode::CREATED, v)
}

/// Creates a verification session (token) for one user of the partner.
#[utoipa::path(
    post,
    path = "/api/v2/token",
    operation_id = "createToken",
    tag = "verification",
    request_body(content = crate::openapi::TokenRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The effective token.", body = crate::token::TokenCreated,
            links(
                ("process" = (operation_id = "processVerification",
                    request_body = json!({"token": "$response.body#/authToken", "country": "LT"}),
                    description = "Upload the images for this token.")),
                ("status" = (operation_id = "getStatus",
                    request_body = json!({"scanRef": "$response.body#/scanRef"}))),
                ("data" = (operation_id = "getData",
                    request_body = json!({"scanRef": "$response.body#/scanRef"}))),
                ("files" = (operation_id = "getFiles",
                    request_body = json!({"scanRef": "$response.body#/scanRef"}))),
                ("delete" = (operation_id = "deleteVerification",
                    request_body = json!({"scanRef": "$response.body#/scanRef"}))),
                ("replay" = (operation_id = "replayWebhooks",
                    request_body = json!({"scanRef": "$response.body#/scanRef"}))),
                ("blocklist" = (operation_id = "addBlocklistEntry",
                    parameters(("scan_ref" = "$response.body#/scanRef"))))
            )),
        (status = 400, description = "`ENCODING_ERROR` (not UTF-8), `JSON_ERROR` (not a JSON object, wrong field type), `MISSING_VALUE` (no `clientId`), `BAD_VALUE` (a value out of its constraints) or `PERMISSIONS_ERROR` (`dummyStatus` from a production partner).", body = ErrorEnvelope),
        crate::openapi::SmallBodyTooLarge,
        crate::openapi::AuthErrors,
    ),
    security(("apiKeyPair" = [])),
)]
async fn create_token(
    State(state): State<AppState>,
    AuthPartner(partner): AuthPartner,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiFailure> {
    let bytes = small_body(&state, &headers, body).await?;
    Ok(created(
        &token::create_token(&state, &partner, &bytes).await?,
    ))
}

/// Direct processing: uploads the images of an unused token; the result arrives by webhook.
#[utoipa::path(
    post,
    path = "/api/v2/process",
    operation_id = "processVerification",
    tag = "verification",
    request_body(content = crate::openapi::ProcessRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Accepted: processing started. The body is empty, or, when the synchronous \
            photo validation found no document or no face, the error envelope (`BAD_VALUE`) with status 200 — \
            the token is consumed either way.", body = ErrorEnvelope),
        (status = 400, description = "`ENCODING_ERROR` (not UTF-8), `JSON_ERROR` (not a JSON object, wrong field type), `MISSING_VALUE` (no token, country, images or a required step), `TOKEN_NOT_VALID` (unknown, used or expired token) or `BAD_VALUE` (country, document type, image step or image content).", body = ErrorEnvelope),
        crate::openapi::Unauthorized,
        (status = 403, description = "`PARTNER_CONTRACT_ERROR`: the partner is inactive (`Partner inactive`), direct processing is not enabled for the partner, the token requires NFC, or the token is of a video-call type (`VIDEO_CALL`, `VIDEO_CALL_PHOTOS`, `VIDEO_CALL_IDENTIFICATION`), which needs a live agent.", body = ErrorEnvelope),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`: the body is over the limit (20 MiB by default, `KYCD_MAX_BODY_MB`).", body = ErrorEnvelope),
        crate::openapi::RateLimited,
        crate::openapi::Internal,
    ),
    security(("apiKeyPair" = [])),
)]
async fn process_verification(
    State(state): State<AppState>,
    AuthPartner(partner): AuthPartner,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiFailure> {
    match crate::process::process_streaming(&state, &partner, &headers, body).await? {
        Accepted::Ok => Ok(StatusCode::OK.into_response()),
        Accepted::PhotoValidationFailed(e) => Ok(json_response(StatusCode::OK, &e.envelope())),
    }
}

/// The status of a verification (or of its token while unused).
#[utoipa::path(
    post,
    path = "/api/v2/status",
    operation_id = "getStatus",
    tag = "retrieval",
    request_body(content = crate::openapi::ScanRefRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The status.", body = crate::retrieval::StatusResponse),
        crate::openapi::ScanRefBadRequest,
        crate::openapi::NotFoundScanRef,
        crate::openapi::SmallBodyTooLarge,
        crate::openapi::AuthErrors,
    ),
    security(("apiKeyPair" = [])),
)]
async fn get_status(
    State(state): State<AppState>,
    AuthPartner(partner): AuthPartner,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiFailure> {
    let bytes = small_body(&state, &headers, body).await?;
    Ok(json_response(
        StatusCode::OK,
        &retrieval::status(&state, &partner, &bytes).await?,
    ))
}

/// The document data of a verification: the webhook `data` object plus `scanRef` and `clientId`.
#[utoipa::path(
    post,
    path = "/api/v2/data",
    operation_id = "getData",
    tag = "retrieval",
    request_body(content = crate::openapi::ScanRefRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The data.", body = crate::retrieval::DataResponse),
        crate::openapi::ScanRefBadRequest,
        crate::openapi::NotFoundScanRef,
        crate::openapi::SmallBodyTooLarge,
        crate::openapi::AuthErrors,
    ),
    security(("apiKeyPair" = [])),
)]
async fn get_data(
    State(state): State<AppState>,
    AuthPartner(partner): AuthPartner,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiFailure> {
    let bytes = small_body(&state, &headers, body).await?;
    Ok(json_response(
        StatusCode::OK,
        &retrieval::data(&state, &partner, &bytes).await?,
    ))
}

/// Fresh signed, short-lived URLs of a verification's stored files.
#[utoipa::path(
    post,
    path = "/api/v2/files",
    operation_id = "getFiles",
    tag = "retrieval",
    request_body(content = crate::openapi::ScanRefRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "URLs by step.", body = crate::retrieval::FilesResponse),
        crate::openapi::ScanRefBadRequest,
        crate::openapi::NotFoundScanRef,
        crate::openapi::SmallBodyTooLarge,
        crate::openapi::AuthErrors,
    ),
    security(("apiKeyPair" = [])),
)]
async fn get_files(
    State(state): State<AppState>,
    AuthPartner(partner): AuthPartner,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiFailure> {
    let bytes = small_body(&state, &headers, body).await?;
    Ok(json_response(
        StatusCode::OK,
        &retrieval::files(&state, &partner, &bytes).await?,
    ))
}

/// Erases a verification's images and personal data for good, leaving a `DELETED` tombstone.
#[utoipa::path(
    post,
    path = "/api/v2/delete",
    operation_id = "deleteVerification",
    tag = "retrieval",
    request_body(content = crate::openapi::ScanRefRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Deleted; empty body."),
        (status = 400, description = "`ENCODING_ERROR` (not UTF-8), `JSON_ERROR` (not a JSON object, wrong field type), `MISSING_VALUE` (no `scanRef`), `BAD_VALUE` (empty `scanRef`) or `PARTNER_ERROR` (the token is still usable).", body = ErrorEnvelope),
        crate::openapi::NotFoundScanRef,
        crate::openapi::SmallBodyTooLarge,
        crate::openapi::AuthErrors,
    ),
    security(("apiKeyPair" = [])),
)]
async fn delete_verification(
    State(state): State<AppState>,
    AuthPartner(partner): AuthPartner,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiFailure> {
    let bytes = small_body(&state, &headers, body).await?;
    retrieval::delete(&state, &partner, &bytes).await?;
    Ok(StatusCode::OK.into_response())
}

/// Makes a verification's webhooks due again (kycd extension).
#[utoipa::path(
    post,
    path = "/api/v2/webhooks/replay",
    operation_id = "replayWebhooks",
    tag = "retrieval",
    request_body(content = crate::openapi::ScanRefRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "How many deliveries were made due.", body = crate::retrieval::ReplayResponse),
        crate::openapi::ScanRefBadRequest,
        crate::openapi::NotFoundScanRef,
        crate::openapi::SmallBodyTooLarge,
        crate::openapi::AuthErrors,
    ),
    security(("apiKeyPair" = [])),
)]
async fn replay_webhooks(
    State(state): State<AppState>,
    AuthPartner(partner): AuthPartner,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiFailure> {
    let bytes = small_body(&state, &headers, body).await?;
    Ok(json_response(
        StatusCode::OK,
        &retrieval::replay(&state, &partner, &bytes).await?,
    ))
}

/// A late or repeated upload of an additional-step file of a finished verification, which is then processed again
/// (the new result arrives as an `IDENTIFICATION_RESUBMITTED` webhook).
#[utoipa::path(
    post,
    path = "/api/v2/upload-additional-step",
    operation_id = "uploadAdditionalStep",
    tag = "verification",
    request_body(content = crate::openapi::UploadAdditionalStepRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Stored and re-queued; empty body."),
        (status = 400, description = "`ENCODING_ERROR` (not UTF-8), `JSON_ERROR` (not a JSON object, wrong field type), `MISSING_VALUE` (a required field), `BAD_VALUE` (unknown step, bad image) or `PARTNER_ERROR` (still being processed).", body = ErrorEnvelope),
        crate::openapi::NotFoundScanRef,
        (status = 413, description = "`PAYLOAD_TOO_LARGE`: the body is over the limit (20 MiB by default, `KYCD_MAX_BODY_MB`).", body = ErrorEnvelope),
        crate::openapi::AuthErrors,
    ),
    security(("apiKeyPair" = [])),
)]
async fn upload_additional_step(
    State(state): State<AppState>,
    AuthPartner(partner): AuthPartner,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiFailure> {
    let bytes = read_limited(&headers, body, state.config.max_process_body).await?;
    crate::additional::upload(&state, &partner, &bytes).await?;
    Ok(StatusCode::OK.into_response())
}

/// The partner's identifications, newest first, a page at a time (also served without the trailing slash).
#[utoipa::path(
    get,
    path = "/kyc/identifications/",
    operation_id = "listIdentifications",
    tag = "retrieval",
    params(
        ("clientId" = Option<String>, Query, description = "Only this user's identifications (empty: all)."),
        ("page" = Option<u64>, Query, description = "Page number, from 1 (default 1).", minimum = 1),
        ("perPage" = Option<u64>, Query, description = "Identifications per page (default 10); a value over \
            100 is served as 100.", minimum = 1),
    ),
    responses(
        (status = 200, description = "One page. Every token is an identification: one not yet processed is \
            `ACTIVE` or `EXPIRED`, a deleted one `DELETED` or `EXPIRED-DELETED`.",
            body = crate::listing::IdentificationList),
        (status = 400, description = "`BAD_VALUE`: `page` or `perPage` is not a positive integer, or the query \
            string cannot be decoded.", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`: `page` is past the last page (page 1 always exists).",
            body = ErrorEnvelope),
        crate::openapi::AuthErrors,
    ),
    security(("apiKeyPair" = [])),
)]
async fn list_identifications(
    State(state): State<AppState>,
    AuthPartner(partner): AuthPartner,
    query: Result<Query<std::collections::HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiFailure> {
    let Query(q) = query.map_err(|e| {
        ApiFailure::new(
            ErrorIdentifier::BadValue,
            format!("Invalid query string: {}", e.body_text()),
        )
    })?;
    let q = crate::listing::ListQuery::parse(&q)?;
    Ok(json_response(
        StatusCode::OK,
        &crate::listing::list(&state, &partner, &q).await?,
    ))
}

/// Adds a verification's face or personal data to the partner's blocklist (also served without the trailing slash).
#[utoipa::path(
    post,
    path = "/kyc/identifications/{scan_ref}/blocklists/{source}/",
    operation_id = "addBlocklistEntry",
    tag = "blocklist",
    params(
        ("scan_ref" = String, Path, description = "The verification's id."),
        ("source" = String, Path, description = "What to blocklist: `SELFIE` (the selfie face), `DOCUMENT` \
            (the document portrait) or `DOCUMENT_INFO` (the personal data).",
            pattern = "^(SELFIE|DOCUMENT|DOCUMENT_INFO)$"),
    ),
    request_body(content = crate::openapi::BlocklistRequest, content_type = "application/json", description = "Optional; an empty body gives no reason."),
    responses(
        (status = 201, description = "The entry.", body = crate::blocklist::BlocklistEntry),
        (status = 400, description = "`ENCODING_ERROR` (not UTF-8), `JSON_ERROR` (not a JSON object, wrong field type), `BAD_VALUE` (unknown source, a path parameter that is not UTF-8, reason too long) or `PARTNER_ERROR` (nothing to blocklist: no face or no personal data read).", body = ErrorEnvelope),
        crate::openapi::NotFoundScanRef,
        crate::openapi::SmallBodyTooLarge,
        crate::openapi::AuthErrors,
    ),
    security(("apiKeyPair" = [])),
)]
async fn add_blocklist(
    State(state): State<AppState>,
    AuthPartner(partner): AuthPartner,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiFailure> {
    let (scan_ref, source) = path_params(path)?;
    let bytes = small_body(&state, &headers, body).await?;
    Ok(created(
        &crate::blocklist::add(&state, &partner, &scan_ref, &source, &bytes).await?,
    ))
}

/// Removes a blocklist entry (also served without the trailing slash).
#[utoipa::path(
    delete,
    path = "/kyc/identifications/{scan_ref}/blocklists/{source}/",
    operation_id = "removeBlocklistEntry",
    tag = "blocklist",
    params(
        ("scan_ref" = String, Path, description = "The verification's id."),
        ("source" = String, Path, description = "What to blocklist: `SELFIE` (the selfie face), `DOCUMENT` \
            (the document portrait) or `DOCUMENT_INFO` (the personal data).",
            pattern = "^(SELFIE|DOCUMENT|DOCUMENT_INFO)$"),
    ),
    responses(
        (status = 204, description = "Removed."),
        (status = 400, description = "`BAD_VALUE`: unknown source, or a path parameter that is not UTF-8.", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`: no such verification or entry.", body = ErrorEnvelope),
        crate::openapi::AuthErrors,
    ),
    security(("apiKeyPair" = [])),
)]
async fn remove_blocklist(
    State(state): State<AppState>,
    AuthPartner(partner): AuthPartner,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiFailure> {
    let (scan_ref, source) = path_params(path)?;
    crate::blocklist::remove(&state, &partner, &scan_ref, &source).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Serves one stored file to the holder of a valid, unexpired signed URL (as listed by `/api/v2/files` and the
/// webhook `fileUrls`); no Basic authentication.
#[utoipa::path(
    get,
    path = "/api/v2/files/{scan_ref}/{step}",
    operation_id = "downloadFile",
    tag = "retrieval",
    params(
        ("scan_ref" = String, Path, description = "The verification's id."),
        ("step" = String, Path, description = "The step, e.g. `FRONT`."),
        ("expires" = i64, Query, description = "Expiry of the link (Unix seconds)."),
        ("signature" = String, Query, description = "The link's signature."),
    ),
    responses(
        (status = 200, description = "The file, with its stored media type.", content(
            ("image/jpeg"), ("image/png"), ("application/pdf"),
        )),
        (status = 400, description = "`BAD_VALUE`: a path parameter is not valid UTF-8 once percent-decoded.", body = ErrorEnvelope),
        (status = 401, description = "`UNAUTHORIZED`: the link is invalid or has expired, or the file does not exist.", body = ErrorEnvelope),
        crate::openapi::Internal,
    ),
)]
async fn download_file(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, ApiFailure> {
    let (scan_ref, step) = path_params(path)?;
    let expires = q
        .get("expires")
        .and_then(|e| e.parse::<i64>().ok())
        .unwrap_or(0);
    let signature = q.get("signature").map(String::as_str).unwrap_or("");
    let (mime, bytes) = retrieval::download(&state, &scan_ref, &step, expires, signature).await?;
    let mut r = (StatusCode::OK, bytes).into_response();
    if let Ok(v) = HeaderValue::from_str(&mime) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(r)
}

/// Request latency by route template and status class.
async fn record_latency(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let t0 = std::time::Instant::now();
    let r = next.run(req).await;
    use kycd_telemetry::{label, observe};
    observe(
        "kycd_http_request_duration_seconds",
        "HTTP request latency by route, method and status.",
        format!(
            "route=\"{}\",method=\"{}\",status=\"{}\"",
            label(&route),
            label(&method),
            r.status().as_u16()
        ),
        t0.elapsed().as_secs_f64(),
    );
    r
}

/// Prometheus metrics: request latency by route, jobs and webhooks by state, stage durations.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition format 0.0.4.", body = String, content_type = "text/plain; version=0.0.4"),
    ),
)]
async fn metrics(State(state): State<AppState>) -> Response {
    let mut gauges = Vec::new();
    for st in kycd_store::JobState::ALL {
        if let Ok(n) = state.store.count_jobs(st).await {
            gauges.push((
                "kycd_jobs",
                "Verification jobs by state.",
                format!("state=\"{st}\""),
                n as f64,
            ));
        }
    }
    for st in ["pending", "delivered", "failed", "disabled"] {
        if let Ok(n) = state.store.count_webhooks(st).await {
            gauges.push((
                "kycd_webhooks",
                "Webhook outbox rows by state.",
                format!("state=\"{st}\""),
                n as f64,
            ));
        }
    }
    let text = kycd_telemetry::render(&gauges);
    let mut r = (StatusCode::OK, text).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

/// Liveness: the process answers.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "operations",
    responses(
        (status = 200, description = "Alive.", body = String, content_type = "text/plain", example = "ok"),
    ),
)]
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers. A server without sanctions/PEP lists is ready but says so on a second line.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Ready; a second line `warning: …` when no sanctions/PEP lists are loaded.", body = String, content_type = "text/plain", example = "ready"),
        (status = 503, description = "The database is unavailable.", body = String, content_type = "text/plain", example = "database unavailable"),
    ),
)]
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) if state.checks.aml.as_ref().is_some_and(|a| !a.lists_loaded()) => (
            StatusCode::OK,
            "ready\nwarning: no sanctions/PEP lists are loaded: verifications of partners with AML on get \
             AML_FAILED; run `kycd lists update` (or `kycd partner update NAME --aml off`)",
        )
            .into_response(),
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// This OpenAPI 3.1 document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    operation_id = "openapi",
    tag = "operations",
    responses(
        (status = 200, description = "The document.", body = Object, content_type = "application/json"),
    ),
)]
async fn openapi_json() -> Response {
    let mut r = (StatusCode::OK, crate::openapi::SERVED.as_str()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

async fn not_found() -> Response {
    error_response(&ApiError::new(
        ErrorIdentifier::NotFound,
        "No such endpoint.",
    ))
}

async fn method_not_allowed() -> Response {
    error_response(&ApiError::new(
        ErrorIdentifier::MethodNotAllowed,
        "Method not allowed for this endpoint.",
    ))
}
