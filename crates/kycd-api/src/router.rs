//! Routes and thin handlers.

use crate::auth::AuthPartner;
use crate::body::read_limited;
use crate::error::{error_response, json_response};
use crate::process::Accepted;
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
        .route(
            "/api/v2/upload-additional-step",
            post(upload_additional_step),
        )
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
    match crate::process::process_streaming(&state, &partner, &headers, body).await? {
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

async fn add_blocklist(
    State(state): State<AppState>,
    AuthPartner(partner): AuthPartner,
    Path((scan_ref, source)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiFailure> {
    let bytes = small_body(&state, &headers, body).await?;
    Ok(created(
        crate::blocklist::add(&state, &partner, &scan_ref, &source, &bytes).await?,
    ))
}

async fn remove_blocklist(
    State(state): State<AppState>,
    AuthPartner(partner): AuthPartner,
    Path((scan_ref, source)): Path<(String, String)>,
) -> Result<Response, ApiFailure> {
    crate::blocklist::remove(&state, &partner, &scan_ref, &source).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
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
    use kycd_pipeline::telemetry::{label, observe};
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

/// Prometheus metrics: process counters and histograms plus queue gauges read from the database.
async fn metrics(State(state): State<AppState>) -> Response {
    let mut gauges = Vec::new();
    for st in ["queued", "running", "done", "dead"] {
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
    let text = kycd_pipeline::telemetry::render(&gauges);
    let mut r = (StatusCode::OK, text).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
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
