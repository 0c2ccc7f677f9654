//! Fuzz target: the `/api/v2/process` body parser (`kycd-api/src/ingest.rs`).
//!
//! The input is an 8-byte control header followed by the body:
//!
//! | byte | meaning                                                                                  |
//! |------|------------------------------------------------------------------------------------------|
//! | 0    | bits 0-1: number of cut points (0-3); bit 2: fixed-size chunks of `1 + byte 7 % 13`       |
//! |      | bytes instead; bit 3: announce `Content-Length`; bit 4: body limit of `byte 7` bytes      |
//! | 1-6  | three little-endian u16 cut points (chunk boundaries)                                    |
//! | 7    | chunk size / limit parameter                                                             |
//!
//! The parser's documented contract is checked, not only the absence of panics: the streaming fast parser
//! accepts exactly what the serde_json reference parser ([`parse_body_reference`]) accepts, with the same fields,
//! and fails with the reference's error otherwise, however the body is split into chunks. Images the fast path
//! decoded must be the bytes the reference text decodes to. The async path [`read_and_parse`] (chunks through a
//! channel to a blocking thread) must give the same result, or `PAYLOAD_TOO_LARGE` when the body is over its limit.
//!
//! Run: `scripts/fuzz.sh 300 process_body` (or `RUSTC_BOOTSTRAP=1 cargo fuzz run process_body` in `fuzz/`).

#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, header};
use bytes::Bytes;
use kycd_api::ApiFailure;
use kycd_api::fuzzing::{
    ImageValue, ParsedBody, parse_body, parse_body_reference, parse_pieces, read_and_parse,
};
use kycd_api::media::{MediaError, decode_base64};
use libfuzzer_sys::fuzz_target;

const HEADER: usize = 8;
/// The limit when the fuzz input does not choose a small one (larger than any input libFuzzer makes here).
const BIG_LIMIT: usize = 64 << 20;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .max_blocking_threads(2)
            .build()
            .expect("tokio runtime")
    })
}

/// The result as the client sees it: `ok`, or the error's identifier and message.
fn ident(r: &Result<ParsedBody, ApiFailure>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(ApiFailure::Client(e)) => format!("{}: {}", e.identifier.as_str(), e.message),
        Err(ApiFailure::Internal(s)) => format!("internal: {s}"),
    }
}

/// The image bytes as the pipeline obtains them (rule 11's base64 step).
fn decoded(v: &ImageValue) -> Result<Vec<u8>, MediaError> {
    match v {
        ImageValue::Decoded(b) if b.is_empty() => Err(MediaError::Empty),
        ImageValue::Decoded(b) => Ok(b.clone()),
        ImageValue::Text(t) => decode_base64(t),
    }
}

/// `got` (a fast-path result) is the reference result `want`, up to images the fast path decoded itself.
fn assert_same(
    what: &str,
    got: &Result<ParsedBody, ApiFailure>,
    want: &Result<ParsedBody, ApiFailure>,
) {
    assert_eq!(ident(got), ident(want), "{what}: Ok/Err or error differs");
    let (Ok(got), Ok(want)) = (got, want) else {
        return;
    };
    assert_eq!(got.token, want.token, "{what}: token");
    assert_eq!(got.country, want.country, "{what}: country");
    assert_eq!(
        got.document_type, want.document_type,
        "{what}: documentType"
    );
    assert_eq!(
        got.skip_analysis, want.skip_analysis,
        "{what}: skipAnalysis"
    );
    assert_eq!(
        got.images.is_some(),
        want.images.is_some(),
        "{what}: images present"
    );
    let (gi, wi) = (
        got.images.as_deref().unwrap_or_default(),
        want.images.as_deref().unwrap_or_default(),
    );
    assert_eq!(gi.len(), wi.len(), "{what}: number of images");
    for ((gk, gv), (wk, wv)) in gi.iter().zip(wi) {
        assert_eq!(gk, wk, "{what}: image keys");
        match (gv, wv) {
            (None, None) => {}
            (Some(ImageValue::Text(g)), Some(ImageValue::Text(w))) => {
                assert_eq!(g, w, "{what}: image {gk} text")
            }
            (Some(g @ ImageValue::Decoded(gb)), Some(w @ ImageValue::Text(wt))) => {
                // Decoded on the fast path only when the text is canonical base64 (after a `data:` prefix), and
                // then exactly to the canonical decoder's bytes.
                let payload = wt
                    .strip_prefix("data:")
                    .map_or(wt.as_str(), |d| d.split_once(',').map_or("", |(_, b)| b));
                assert_eq!(
                    Some(gb),
                    base64_simd::STANDARD.decode_to_vec(payload).ok().as_ref(),
                    "{what}: image {gk} decoded bytes"
                );
                assert_eq!(
                    decoded(g),
                    decoded(w),
                    "{what}: image {gk} as the pipeline sees it"
                );
            }
            _ => panic!("{what}: image {gk} differs: {gv:?} vs {wv:?}"),
        }
    }
}

/// Splits `body` into chunks as the control header says.
fn chunks(body: &[u8], ctl: &[u8]) -> Vec<Bytes> {
    if ctl[0] & 4 != 0 {
        let size = 1 + usize::from(ctl[7] % 13);
        return body.chunks(size).map(Bytes::copy_from_slice).collect();
    }
    let n = usize::from(ctl[0] & 3);
    let mut cuts: Vec<usize> = (0..n)
        .map(|i| {
            usize::from(u16::from_le_bytes([ctl[1 + 2 * i], ctl[2 + 2 * i]])) % (body.len() + 1)
        })
        .collect();
    cuts.sort_unstable();
    let mut out = Vec::with_capacity(n + 1);
    let mut at = 0;
    for c in cuts {
        out.push(Bytes::copy_from_slice(&body[at..c]));
        at = c;
    }
    out.push(Bytes::copy_from_slice(&body[at..]));
    out
}

fuzz_target!(|data: &[u8]| {
    if data.len() < HEADER {
        return;
    }
    let (ctl, body) = data.split_at(HEADER);
    let reference = parse_body_reference(body);

    // One piece, as a body already in memory.
    let whole = parse_body(Bytes::copy_from_slice(body));
    assert_same("parse_body", &whole, &reference);

    // The same body in chunks at fuzz-chosen offsets, with or without the announced size.
    let pieces = chunks(body, ctl);
    let announce = ctl[0] & 8 != 0;
    let chunked = parse_pieces(pieces.clone(), announce.then_some(body.len()));
    assert_same("parse_pieces", &chunked, &reference);

    // The async path of the handler: chunks through the channel to the parser thread, under a limit.
    let limit = if ctl[0] & 16 != 0 {
        usize::from(ctl[7])
    } else {
        BIG_LIMIT
    };
    let mut headers = HeaderMap::new();
    if announce {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    }
    let stream = futures::stream::iter(pieces.into_iter().map(Ok::<_, std::convert::Infallible>));
    let streamed = runtime().block_on(read_and_parse(&headers, Body::from_stream(stream), limit));
    if body.len() > limit {
        assert!(
            ident(&streamed).starts_with("PAYLOAD_TOO_LARGE: "),
            "read_and_parse over the limit: {}",
            ident(&streamed)
        );
    } else {
        assert_same("read_and_parse", &streamed, &reference);
    }
});
