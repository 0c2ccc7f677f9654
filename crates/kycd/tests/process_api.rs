//! `/api/v2/process` over HTTP against the real server: one test per validation rule of direct-processing.md, the
//! token life cycle and the body limit.

mod common;
use common::*;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn undetectable_document_type_is_a_bad_value() {
    let s = Server::start(&[]);
    let p = s.partner(true);
    let t = s.doc_token(&p).await;
    let mut r = process_req(
        &t,
        json!({"FRONT": b64_file("faces/face_recognition/obama.jpg")}),
    );
    r.as_object_mut().unwrap().remove("documentType");
    let e = s.post_json(&p, "/api/v2/process", &r).await;
    assert_error(&e, 400, "BAD_VALUE");
    assert_eq!(
        e.1["message"],
        "Could not detect document type from FRONT image"
    );
    s.assert_token_still_usable(&p, &t).await;
}

/// Sends a request head (and, when `chunked`, body chunks until the server stops reading) over a raw socket and
/// returns the status line and body of the answer.
async fn raw_oversized(s: &Server, p: &Partner, chunked: bool) -> String {
    use base64::Engine;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    let auth =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", p.api_key, p.api_secret));
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_string()
    } else {
        format!("Content-Length: {}", 25 * 1024 * 1024)
    };
    let head = format!(
        "POST /api/v2/process HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\nContent-Type: application/json\r\n{framing}\r\n\r\n"
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 1024 * 1024];
    if chunked {
        for _ in 0..25 {
            let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
            frame.extend_from_slice(&chunk);
            frame.extend_from_slice(b"\r\n");
            if sock.write_all(&frame).await.is_err() {
                break;
            }
        }
    } else {
        // Only the first megabyte: the server must answer without waiting for (or buffering) the rest.
        let _ = sock.write_all(&chunk).await;
    }
    let mut resp = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        while let Ok(n) = sock.read(&mut buf).await {
            if n == 0 {
                break;
            }
            resp.extend_from_slice(&buf[..n]);
            if resp.windows(11).any(|w| w == b"NOT_SEVERE\"") {
                break;
            }
        }
    })
    .await;
    String::from_utf8_lossy(&resp).to_string()
}

#[tokio::test]
async fn bodies_over_20_mb_get_413_without_being_buffered() {
    let s = Server::start(&[]);
    let p = s.partner(true);
    let t = s.doc_token(&p).await;
    let before = s.rss_kib();
    // Announced length: refused before reading.
    let r = raw_oversized(&s, &p, false).await;
    assert!(r.starts_with("HTTP/1.1 413"), "{r}");
    assert!(r.contains("PAYLOAD_TOO_LARGE"), "{r}");
    // Streamed without a length (chunked): refused once the stream passes the limit.
    let r = raw_oversized(&s, &p, true).await;
    assert!(r.starts_with("HTTP/1.1 413"), "{r}");
    let after = s.rss_kib();
    assert!(
        after < before + 25 * 1024,
        "server RSS grew by {} KiB",
        after.saturating_sub(before)
    );
    s.assert_token_still_usable(&p, &t).await;
}

#[tokio::test]
async fn fifty_concurrent_submissions_with_one_token_give_exactly_one_200() {
    let s = Server::start(&[]);
    concurrent_submissions(&s).await;
}

#[tokio::test]
async fn fifty_concurrent_submissions_on_postgres_give_exactly_one_200() {
    let Some(url) = scratch_postgres().await else {
        eprintln!("KYCD_TEST_POSTGRES_URL not set: PostgreSQL run skipped");
        return;
    };
    let s = Server::start(&[("KYCD_DATABASE_URL", &url)]);
    concurrent_submissions(&s).await;
}

async fn concurrent_submissions(s: &Server) {
    let p = s.partner(true);
    let t = s.doc_token(&p).await;
    let body = process_req(&t, json!({"FRONT": b64_file(UTO)})).to_string();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let client = s.client.clone();
        let url = format!("{}/api/v2/process", s.base);
        let (k, sec, b) = (p.api_key.clone(), p.api_secret.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .basic_auth(k, Some(sec))
                .body(b)
                .send()
                .await
                .unwrap();
            let st = r.status().as_u16();
            (st, r.text().await.unwrap())
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let (st, body) = t.await.unwrap();
        match st {
            200 => ok += 1,
            400 => assert!(body.contains("TOKEN_NOT_VALID"), "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(ok, 1);
}

/// A fresh database on the server named by `KYCD_TEST_POSTGRES_URL`.
pub async fn scratch_postgres() -> Option<String> {
    let admin = std::env::var("KYCD_TEST_POSTGRES_URL").ok()?;
    let name = format!(
        "kycd_t_{}",
        std::process::id() as u64 * 1000 + rand_suffix()
    );
    let out = std::process::Command::new("psql")
        .arg(&admin)
        .arg("-qc")
        .arg(format!("CREATE DATABASE {name}"))
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "cannot create scratch database: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or(admin);
    Some(format!("{base}/{name}"))
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
        % 1000
}

#[tokio::test]
async fn document_type_is_detected_from_front_when_omitted() {
    let s = Server::start(&[]);
    let p = s.partner(true);
    let tok = s
        .token(&p, json!({"clientId": "c1", "tokenType": "DOCUMENT"}))
        .await;
    let mut r = process_req(
        tok["authToken"].as_str().unwrap(),
        json!({"FRONT": b64_file(UTO)}),
    );
    r.as_object_mut().unwrap().remove("documentType");
    let (st, body) = s.post_json(&p, "/api/v2/process", &r).await;
    assert_eq!((st, body), (200, Value::Null));
    let (_, data) = s
        .post_json(&p, "/api/v2/data", &json!({"scanRef": tok["scanRef"]}))
        .await;
    assert_eq!(data["docType"], "PASSPORT");
}

#[tokio::test]
async fn a_front_without_a_document_answers_200_with_an_error_and_consumes_the_token() {
    let s = Server::start(&[]);
    let p = s.partner(true);
    let t = s.doc_token(&p).await;
    let r = process_req(
        &t,
        json!({"FRONT": b64_file("faces/face_recognition/obama.jpg")}),
    );
    let (st, body) = s.post_json(&p, "/api/v2/process", &r).await;
    assert_eq!(st, 200);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Document was not detected"),
        "{body}"
    );
    assert_error(
        &s.post_json(&p, "/api/v2/process", &r).await,
        400,
        "TOKEN_NOT_VALID",
    );
    let mut skip = process_req(
        &s.doc_token(&p).await,
        json!({"FRONT": b64_file("faces/face_recognition/obama.jpg")}),
    );
    skip["skipAnalysis"] = json!(true);
    assert_eq!(
        s.post_json(&p, "/api/v2/process", &skip).await,
        (200, Value::Null)
    );
}
