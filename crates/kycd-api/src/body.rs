//! Reading request bodies within a size limit, while streaming: a body over the limit is never buffered past it.

use crate::ApiFailure;
use axum::body::Body;
use axum::http::HeaderMap;
use bytes::Bytes;
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

/// The size `Content-Length` announces (None when absent or unreadable: the streamed size is checked instead);
/// `PAYLOAD_TOO_LARGE` at once when it is over `limit`.
pub(crate) fn announced_within(
    headers: &HeaderMap,
    limit: usize,
) -> Result<Option<usize>, ApiFailure> {
    let announced = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match announced {
        Some(n) if n > limit as u64 => Err(too_large(limit)),
        // At most `limit`, so it fits.
        n => Ok(n.map(|n| n as usize)),
    }
}

/// Reads the whole body, refusing at once when `Content-Length` announces more than `limit` and stopping as soon
/// as the streamed bytes pass it. The buffer grows by doubling but never past `limit` (nor past the announced
/// size), so refusing a chunked body over the limit costs at most `limit` bytes once, freed with the refusal.
pub async fn read_limited(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, ApiFailure> {
    let announced = announced_within(headers, limit)?;
    let mut buf: Vec<u8> = Vec::new();
    if let Some(n) = announced {
        // At most `limit` (checked above); a client that sends more than it announced is refused below.
        buf.reserve_exact(n);
    }
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ApiFailure::new(
                ErrorIdentifier::EncodingError,
                format!("Body could not be read: {e}"),
            )
        })?;
        if let Ok(data) = frame.into_data() {
            let needed = buf.len() + data.len();
            if needed > limit {
                return Err(too_large(limit));
            }
            grow_within(&mut buf, needed, limit);
            buf.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(buf))
}

/// Makes room for `needed` bytes: doubling (from 8 KiB) for amortised appends, but capped at `limit`, so the
/// buffer never reserves more than the largest body that can be accepted.
fn grow_within(buf: &mut Vec<u8>, needed: usize, limit: usize) {
    if needed <= buf.capacity() {
        return;
    }
    let target = needed
        .max(buf.capacity().saturating_mul(2))
        .max(8 * 1024)
        .min(limit)
        .max(needed);
    buf.reserve_exact(target - buf.len());
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

/// An optional text field of a parsed body: absent, `null` or blank is `None`; the value is trimmed; over `max`
/// characters is `BAD_VALUE`; another JSON type is `JSON_ERROR`.
pub(crate) fn opt_text(
    o: &serde_json::Map<String, serde_json::Value>,
    field: &str,
    max: usize,
) -> Result<Option<String>, ApiFailure> {
    use serde_json::Value;
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max => {
            Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty()))
        }
        Some(Value::String(_)) => Err(ApiFailure::new(
            ErrorIdentifier::BadValue,
            format!("Field '{field}' must be at most {max} characters."),
        )),
        Some(_) => Err(ApiFailure::new(
            ErrorIdentifier::JsonError,
            format!("Field '{field}' must be a string or null."),
        )),
    }
}

/// A required, non-empty string field: missing or null is `MISSING_VALUE`, empty is `BAD_VALUE`, another JSON type
/// is `JSON_ERROR`.
pub(crate) fn req_text<'a>(
    o: &'a serde_json::Map<String, serde_json::Value>,
    field: &str,
) -> Result<&'a str, ApiFailure> {
    use serde_json::Value;
    match o.get(field) {
        None | Some(Value::Null) => Err(ApiFailure::new(
            ErrorIdentifier::MissingValue,
            format!("Field '{field}' is required."),
        )),
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) => Err(ApiFailure::new(
            ErrorIdentifier::BadValue,
            format!("Field '{field}' must not be empty."),
        )),
        Some(_) => Err(ApiFailure::new(
            ErrorIdentifier::JsonError,
            format!("Field '{field}' must be a string."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunked(parts: Vec<Vec<u8>>) -> Body {
        Body::from_stream(futures::stream::iter(
            parts
                .into_iter()
                .map(|p| Ok::<_, std::io::Error>(Bytes::from(p))),
        ))
    }

    #[test]
    fn growth_never_passes_the_limit() {
        let limit = 100_000;
        let mut buf = Vec::new();
        let mut len = 0;
        while len < limit {
            len = (len + 7_000).min(limit);
            grow_within(&mut buf, len, limit);
            assert!(buf.capacity() >= len);
            assert!(buf.capacity() <= limit, "{} > {limit}", buf.capacity());
            buf.resize(len, 0);
        }
    }

    #[tokio::test]
    async fn a_chunked_body_over_the_limit_is_refused_and_one_within_is_read_whole() {
        let headers = HeaderMap::new();
        let parts = vec![vec![1u8; 40_000]; 3];
        let err = read_limited(&headers, chunked(parts.clone()), 100_000).await;
        assert!(
            matches!(&err, Err(ApiFailure::Client(e)) if e.identifier == ErrorIdentifier::PayloadTooLarge),
            "{err:?}"
        );
        let ok = read_limited(&headers, chunked(parts), 120_000)
            .await
            .unwrap();
        assert_eq!(ok.len(), 120_000);
        assert!(ok.iter().all(|&b| b == 1));
    }
}
