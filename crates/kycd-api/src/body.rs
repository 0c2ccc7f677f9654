//! Reading request bodies within a size limit, while streaming: a body over the limit is never buffered past it.

use crate::ApiFailure;
use axum::body::Body;
use axum::http::HeaderMap;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use kycd_types::ErrorIdentifier;

/// The `PAYLOAD_TOO_LARGE` failure for `limit`.
pub(crate) fn too_large(limit: usize) -> ApiFailure {
    ApiFailure::new(
        ErrorIdentifier::PayloadTooLarge,
        format!(
            "Request body is larger than the limit of {} MB.",
            limit / (1024 * 1024)
        ),
    )
}

/// Reads the whole body, refusing at once when `Content-Length` announces more than `limit` and stopping as soon
/// as the streamed bytes pass it.
pub async fn read_limited(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, ApiFailure> {
    let announced = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let mut buf =
        BytesMut::with_capacity(announced.map(|n| n as usize).unwrap_or(8 * 1024).min(limit));
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ApiFailure::new(
                ErrorIdentifier::EncodingError,
                format!("Body could not be read: {e}"),
            )
        })?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(too_large(limit));
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

/// Parses a small JSON object body: `ENCODING_ERROR` when it is not UTF-8, `JSON_ERROR` when it is not a JSON
/// object.
pub fn parse_object(
    bytes: &[u8],
) -> Result<serde_json::Map<String, serde_json::Value>, ApiFailure> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        ApiFailure::new(
            ErrorIdentifier::EncodingError,
            "Request body is not valid UTF-8.",
        )
    })?;
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiFailure::new(
            ErrorIdentifier::JsonError,
            "Request body must be a JSON object.",
        )),
        Err(e) => Err(ApiFailure::new(
            ErrorIdentifier::JsonError,
            format!("Request body is not valid JSON: {e}"),
        )),
    }
}
