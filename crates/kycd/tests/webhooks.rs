//! The result webhook end to end: a receiver in the test verifies `Idenfy-Signature` byte-exactly.

mod common;
use axum::body::Bytes;
use axum::http::HeaderMap;
use common::*;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test]
async fn one_signed_webhook_per_verification_delivered_after_retries() {
    let (url, got) = receiver_failing(3).await;
    let s = Server::start(&[
        ("KYCD_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("KYCD_WEBHOOK_RETRY_SCHEDULE", "0.2,0.2,0.2,0.2"),
    ]);
    let p = s.partner(true);
    let tok = s.token(&p, json!({"clientId": "c1", "tokenType": "DOCUMENT", "callbackUrl": url, "externalRef": "ext-1"})).await;
    let body = json!({"token": tok["authToken"], "country": "SE", "documentType": "PASSPORT",
        "images": {"FRONT": b64_file("documents/passporteye/100_pass-uto.jpg")}});
    assert_eq!(s.post_json(&p, "/api/v2/process", &body).await.0, 200);
    let start = Instant::now();
    while got.lock().unwrap().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no webhook delivered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let got = got.lock().unwrap();
    assert_eq!(got.len(), 1, "exactly one webhook per verification");
    let (headers, raw) = &got[0];
    assert_eq!(headers["idenfy-event-type"], "IDENTIFICATION_AUTO_FINISHED");
    assert_eq!(
        headers["idenfy-signature"].to_str().unwrap(),
        hex_hmac(p.signing_key.as_bytes(), raw)
    );
    assert!(headers.contains_key("webhook-id") && headers.contains_key("webhook-signature"));
    let v: serde_json::Value = serde_json::from_slice(raw).unwrap();
    assert_eq!(v["scanRef"], tok["scanRef"]);
    assert_eq!(v["externalRef"], "ext-1");
    assert_eq!(v["clientId"], "c1");
    assert!(v["status"]["overall"].is_string());
    for k in [
        "final",
        "platform",
        "status",
        "data",
        "fileUrls",
        "additionalStepPdfUrls",
        "AML",
        "LID",
        "scanRef",
        "externalRef",
        "clientId",
        "startTime",
        "finishTime",
        "manualAddressMatch",
    ] {
        assert!(v.get(k).is_some(), "webhook lacks {k}");
    }
}

/// The receiver is down while the result is produced and while kycd restarts (kill -9): the durable outbox still
/// delivers the webhook once the receiver is back.
#[tokio::test]
async fn webhook_survives_receiver_outage_and_server_restart() {
    // Reserve a port for the receiver, then close it: deliveries are refused until it listens again.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/hook");
    let mut s = Server::start(&[
        ("KYCD_WEBHOOK_ALLOW_PRIVATE", "true"),
        (
            "KYCD_WEBHOOK_RETRY_SCHEDULE",
            "0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5",
        ),
    ]);
    let p = s.partner(true);
    let tok = s
        .token(
            &p,
            json!({"clientId": "c-down", "tokenType": "DOCUMENT", "callbackUrl": url}),
        )
        .await;
    let body = json!({"token": tok["authToken"], "country": "LT", "documentType": "PASSPORT",
        "images": {"FRONT": b64_file("documents/passporteye/100_pass-uto.jpg")}});
    assert_eq!(s.post_json(&p, "/api/v2/process", &body).await.0, 200);
    let scan = tok["scanRef"].as_str().unwrap().to_string();
    s.wait_finished(&p, &scan, Duration::from_secs(60)).await;
    // At least one failed attempt is recorded, then the server dies.
    let start = Instant::now();
    loop {
        let list: serde_json::Value =
            serde_json::from_str(&s.cli(&["webhooks", "list", &scan, "--json"])).unwrap();
        if list[0]["attemptLog"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
        {
            assert_ne!(list[0]["state"], "delivered");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no attempt recorded"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    s.kill9();
    // The receiver comes back, then kycd restarts.
    let got: Received = Arc::default();
    let g = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let g = g.clone();
            async move {
                g.lock().unwrap().push((headers, body));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    s.spawn(&["serve"]);
    let start = Instant::now();
    while got.lock().unwrap().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "not delivered after the restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let got = got.lock().unwrap();
    let (headers, raw) = &got[0];
    assert_eq!(
        headers["idenfy-signature"].to_str().unwrap(),
        hex_hmac(p.signing_key.as_bytes(), raw)
    );
    let v: serde_json::Value = serde_json::from_slice(raw).unwrap();
    assert_eq!(v["scanRef"], scan.as_str());
}
