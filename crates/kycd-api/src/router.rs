//! Routes and thin handlers.

use crate::auth::AuthPartner;
use crate::body::read_limited;
use crate::error::{error_response, json_response};
use crate::process::{Accepted, process};
use crate::{ApiFailure, AppState, retrieval, token};
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
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
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
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

fn created(v: serde_json::Value) -> Response {
    json_response(StatusCode::CREATED, &v)
}

async fn create_token(
    State(state): State<AppState>,
    AuthPartner(partner): AuthPartner,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiFailure> {
    let bytes = small_body(&state, &headers, body).await?;
    Ok(created(
        token::create_token(&state, &partner, &bytes).await?,
    ))
}

async fn process_verification(
    State(state): State<AppState>,
    AuthPartner(partner): AuthPartner,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiFailure> {
    let bytes = read_limited(&headers, body, state.config.max_process_body).await?;
    match process(&state, &partner, bytes).await? {
        Accepted::Ok => Ok(StatusCode::OK.into_response()),
        Accepted::PhotoValidationFailed(e) => Ok(json_response(StatusCode::OK, &e.envelope())),
    }
}

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

async fn download_file(
    State(state): State<AppState>,
    Path((scan_ref, step)): Path<(String, String)>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, ApiFailure> {
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

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
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
