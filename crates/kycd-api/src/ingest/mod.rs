//! Reading and parsing the `/api/v2/process` body in one pass, while it streams in.
//!
//! The body is read chunk by chunk (the size limit is enforced on the way, as in [`crate::body::read_limited`])
//! and handed to a parser on a blocking thread. The parser is a small pull parser for the one shape this endpoint
//! takes: a top-level object with the known keys `token`/`authToken`, `country`, `documentType`, `skipAnalysis`
//! and `images` (`{STEP: base64 string}`); any other key's value is validated as JSON and skipped. Image strings
//! are never materialised: their base64 text is decoded by the SIMD decoder straight into the image buffer as the
//! chunks arrive, so a 20 MB body costs one pass over its bytes.
//!
//! Exactness is kept by construction: the fast parser only *accepts* input that the reference parser
//! ([`parse_body_reference`], serde_json) accepts with the same values, and it rejects everything else — invalid
//! UTF-8 or JSON, wrong field types, duplicate known keys, lone surrogates — by falling back to the reference
//! parser over the whole body (kept as the received chunks, no copy), which produces today's exact error. Image
//! values in anything but canonical padded standard base64 (line breaks, URL-safe alphabet, missing padding,
//! leading or trailing blanks) are kept as text and decoded later by [`crate::media::decode_base64`], exactly as
//! before.

use crate::{ApiFailure, body::too_large};
use axum::body::Body;
use axum::http::HeaderMap;
use bytes::Bytes;
use http_body_util::BodyExt;
use kycd_types::ErrorIdentifier;

/// An image value after rule 3: either already decoded (canonical base64, decoded while the body streamed in) or
/// the JSON string's text, to be decoded at rule 11 by [`crate::media::decode_base64`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageValue {
    /// The bytes the canonical base64 text decodes to (a `data:*;base64,` prefix already removed).
    Decoded(Vec<u8>),
    /// The string as sent (unescaped from JSON).
    Text(String),
}

/// The body's fields after rule 3 (UTF-8, JSON, field types).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedBody {
    /// `token`, or `authToken` when `token` is absent or null.
    pub token: Option<String>,
    /// `country` as sent.
    pub country: Option<String>,
    /// `documentType` as sent.
    pub document_type: Option<String>,
    /// `skipAnalysis` (absent or null: false).
    pub skip_analysis: bool,
    /// `images` by step, in key order (a repeated key: the last one wins); `None` for a null image.
    pub images: Option<Vec<(String, Option<ImageValue>)>>,
}

fn err(id: ErrorIdentifier, msg: impl Into<String>) -> ApiFailure {
    ApiFailure::new(id, msg)
}

mod base64;
mod fast;
mod reader;
mod reference;
#[cfg(test)]
mod tests;

use fast::*;
use reader::*;
pub use reference::parse_body_reference;

/// Rule 3 over a body already in memory.
#[cfg(any(test, feature = "fuzzing"))]
pub fn parse_body(bytes: Bytes) -> Result<ParsedBody, ApiFailure> {
    let n = bytes.len();
    parse_pieces(vec![bytes], Some(n))
}

/// Rule 3 over a body already in memory, received as `pieces` (the chunks the parser sees one by one), with the
/// announced size `size_hint`; same result as [`parse_body`] over the concatenation.
#[cfg(any(test, feature = "fuzzing"))]
pub fn parse_pieces(
    pieces: Vec<Bytes>,
    size_hint: Option<usize>,
) -> Result<ParsedBody, ApiFailure> {
    parse_source(Pieces::new(pieces), size_hint)
        .unwrap_or_else(|| Err(ApiFailure::Internal("body source abandoned".into())))
}

/// Rules 2 and 3 while the body streams in: `PAYLOAD_TOO_LARGE` as soon as the announced or received size passes
/// `limit` (nothing past it is read), then the parsed body (parsing runs on a blocking thread, chunk by chunk, as
/// the bytes arrive).
pub async fn read_and_parse(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<ParsedBody, ApiFailure> {
    let hint = crate::body::announced_within(headers, limit)?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Msg>(64);
    let parser = tokio::task::spawn_blocking(move || {
        parse_source(
            Channel {
                rx,
                aborted: false,
                ended: false,
            },
            hint,
        )
    });
    let mut body = body;
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ApiFailure::new(
                ErrorIdentifier::EncodingError,
                format!("Body could not be read: {e}"),
            )
        })?;
        if let Ok(data) = frame.into_data() {
            total += data.len();
            if total > limit {
                return Err(too_large(limit));
            }
            if data.is_empty() {
                continue;
            }
            if tx.send(Msg::Chunk(data)).await.is_err() {
                break; // the parser is gone: its join result says why
            }
        }
    }
    // Ignoring a send failure is right: the parser is gone and its join result says why.
    let _ = tx.send(Msg::End).await;
    drop(tx);
    parser
        .await?
        .unwrap_or_else(|| Err(ApiFailure::Internal("body parser stopped early".into())))
}
