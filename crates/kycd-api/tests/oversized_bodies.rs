//! Rule 2 on `/api/v2/process` for a 25 MB body over the 20 MB limit, sent with `Content-Length` and sent chunked
//! (no `Content-Length`): both are refused with 413 `PAYLOAD_TOO_LARGE` in the iDenfy error envelope, and a chunked
//! body within the limit is still parsed (its rule-3/4 error, not a 413).

use crate::common;
use crate::raw_http;

use common::{assert_error, spawn_app};
use raw_http::{Framing, post_large};
use serde_json::Value;

const MB: usize = 1024 * 1024;

async fn post(
    app: &common::TestApp,
    p: &common::Partner,
    total: usize,
    framing: Framing,
) -> (u16, Value) {
    let addr = app.base.trim_start_matches("http://").to_string();
    let (user, pass) = (p.api_key.clone(), p.api_secret.clone());
    let (s, body) = tokio::task::spawn_blocking(move || {
        post_large(&addr, "/api/v2/process", &user, &pass, total, framing)
    })
    .await
    .unwrap();
    (
        s,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_25_mb_body_is_refused_with_413_chunked_or_not() {
    let app = spawn_app().await;
    let p = app.partner(true).await;
    let chunked = post(&app, &p, 25 * MB, Framing::Chunked).await;
    assert_error(&chunked, 413, "PAYLOAD_TOO_LARGE");
    let announced = post(&app, &p, 25 * MB, Framing::Length).await;
    assert_error(&announced, 413, "PAYLOAD_TOO_LARGE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_within_the_limit_is_parsed_not_refused() {
    let app = spawn_app().await;
    let p = app.partner(true).await;
    // A truncated JSON document of 1 MB: read whole, then refused by the parser, never as too large.
    let (status, body) = post(&app, &p, MB, Framing::Chunked).await;
    assert_ne!(status, 413, "{body}");
    assert!((400..500).contains(&status), "{status} {body}");
    assert_ne!(body["identifier"], "PAYLOAD_TOO_LARGE", "{body}");
}
