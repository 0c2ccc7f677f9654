//! Error mapping: every failure becomes the iDenfy envelope; internals never leak to the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kycd_types::{ApiError, ErrorIdentifier};

/// A handler failure: either an error the partner caused (shown as is) or an internal one (logged, hidden).
#[derive(Debug)]
pub enum ApiFailure {
    /// A client-facing error.
    Client(ApiError),
    /// Something unexpected; the client sees `INTERNAL_ERROR` with a reference id.
    Internal(String),
}

/// The `429` failure of the rate limiter; `Retry-After` carries `secs`.
pub fn rate_limited(secs: u64) -> ApiFailure {
    ApiFailure::new(
        ErrorIdentifier::TooManyRequests,
        format!("Too many requests. Retry after {secs} s."),
    )
}

/// Seconds to wait, as written by [`rate_limited`].
fn retry_after(message: &str) -> Option<u64> {
    message
        .strip_prefix("Too many requests. Retry after ")?
        .strip_suffix(" s.")?
        .parse()
        .ok()
}

impl ApiFailure {
    /// Shorthand for a client error.
    pub fn new(id: ErrorIdentifier, msg: impl Into<String>) -> Self {
        ApiFailure::Client(ApiError::new(id, msg))
    }
}

impl From<ApiError> for ApiFailure {
    fn from(e: ApiError) -> Self {
        ApiFailure::Client(e)
    }
}

impl From<kycd_store::StoreError> for ApiFailure {
    fn from(e: kycd_store::StoreError) -> Self {
        match e {
            kycd_store::StoreError::TokenNotValid => ApiFailure::new(
                ErrorIdentifier::TokenNotValid,
                "Token is not valid: unknown, expired or already used.",
            ),
            other => ApiFailure::Internal(format!("store: {other}")),
        }
    }
}

impl From<kycd_blob::BlobError> for ApiFailure {
    fn from(e: kycd_blob::BlobError) -> Self {
        ApiFailure::Internal(format!("blob: {e}"))
    }
}

impl From<kycd_pipeline::PipelineError> for ApiFailure {
    fn from(e: kycd_pipeline::PipelineError) -> Self {
        match e {
            kycd_pipeline::PipelineError::Store(s) => s.into(),
            other => ApiFailure::Internal(format!("pipeline: {other}")),
        }
    }
}

impl From<tokio::task::JoinError> for ApiFailure {
    fn from(e: tokio::task::JoinError) -> Self {
        ApiFailure::Internal(format!("worker task: {e}"))
    }
}

/// Renders an [`ApiError`] with its status code.
pub fn error_response(e: &ApiError) -> Response {
    let status =
        StatusCode::from_u16(e.identifier.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    json_response(status, &e.envelope())
}

/// A JSON response with the given status.
pub fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut r = (status, bytes).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        match self {
            ApiFailure::Client(e) => {
                let mut r = error_response(&e);
                if e.identifier == ErrorIdentifier::TooManyRequests {
                    let secs = retry_after(&e.message).unwrap_or(60);
                    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                        r.headers_mut().insert(header::RETRY_AFTER, v);
                    }
                }
                r
            }
            ApiFailure::Internal(detail) => {
                let reference = uuid::Uuid::new_v4().simple().to_string();
                tracing::error!(error = %detail, reference = %reference, "internal error");
                error_response(&ApiError::new(
                    ErrorIdentifier::InternalError,
                    format!("Internal error. Reference: {reference}"),
                ))
            }
        }
    }
}
