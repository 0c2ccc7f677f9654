//! A verification's life: accepted, processed by the worker, read back (status, data, files), deleted; and a job
//! accepted before a `kill -9` is processed after the restart.

mod common;
use common::*;
use serde_json::json;
use std::time::Duration;

const UTO: &str = "documents/passporteye/100_pass-uto.jpg";

#[tokio::test]
async fn a_verification_is_processed_read_back_and_erased() {
    let s = Server::start(&[]);
    let p = s.partner(true);
    let tok = s
        .token(&p, json!({"clientId": "c1", "firstName": "Anna"}))
        .await;
    let (auth, scan) = (
        tok["authToken"].as_str().unwrap(),
        tok["scanRef"].as_str().unwrap(),
    );
    let active = s
        .post_json(&p, "/api/v2/status", &json!({"scanRef": scan}))
        .await;
    assert_eq!(active.1["status"], "ACTIVE");
    assert_error(
        &s.post_json(&p, "/api/v2/delete", &json!({"scanRef": scan}))
            .await,
        400,
        "PARTNER_ERROR",
    );
    let body = json!({"authToken": auth, "country": "SE", "documentType": "PASSPORT",
        "images": {"FRONT": b64_file(UTO), "FACE": b64_file("faces/face_recognition/obama.jpg")}});
    assert_eq!(s.post_json(&p, "/api/v2/process", &body).await.0, 200);
    let st = s.wait_finished(&p, scan, Duration::from_secs(30)).await;
    assert_eq!(st["scanRef"], scan);
    assert_eq!(st["clientId"], "c1");
    assert!(
        st["autoDocument"].is_string() && st["autoFace"].is_string(),
        "{st}"
    );
    let (code, data) = s
        .post_json(&p, "/api/v2/data", &json!({"scanRef": scan}))
        .await;
    assert_eq!(code, 200);
    assert_eq!(data["selectedCountry"], "SE");
    assert_eq!(data["docType"], "PASSPORT");
    assert!(data.as_object().unwrap().contains_key("docFirstName"));
    let (_, files) = s
        .post_json(&p, "/api/v2/files", &json!({"scanRef": scan}))
        .await;
    let front_url = files["FRONT"].as_str().unwrap().to_string();
    let got = s.client.get(&front_url).send().await.unwrap();
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(got.headers()["content-type"], "image/jpeg");
    assert_eq!(
        got.bytes().await.unwrap().as_ref(),
        std::fs::read(common::data(UTO)).unwrap().as_slice()
    );
    let tampered = front_url.replace("FRONT", "FACE");
    assert_eq!(
        s.client
            .get(&tampered)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    // Another partner cannot see it.
    let other = s.partner(true);
    assert_error(
        &s.post_json(&other, "/api/v2/status", &json!({"scanRef": scan}))
            .await,
        404,
        "NOT_FOUND",
    );
    // Deletion.
    let (code, body) = s
        .post_json(&p, "/api/v2/delete", &json!({"scanRef": scan}))
        .await;
    assert_eq!((code, body), (200, serde_json::Value::Null));
    let st = s
        .post_json(&p, "/api/v2/status", &json!({"scanRef": scan}))
        .await;
    assert_eq!(st.1["status"], "DELETED");
    let (_, data) = s
        .post_json(&p, "/api/v2/data", &json!({"scanRef": scan}))
        .await;
    assert!(
        data["docType"].is_null() && data["selectedCountry"].is_null(),
        "{data}"
    );
    assert_eq!(
        s.client
            .get(&front_url)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    let blobs = s.data_dir().join("blobs/verifications").join(scan);
    assert!(
        !blobs.exists()
            || std::fs::read_dir(&blobs)
                .unwrap()
                .all(|e| e.unwrap().path().is_dir())
    );
}

#[tokio::test]
async fn a_job_accepted_before_kill_9_is_processed_after_restart() {
    let mut s = Server::start(&[]);
    s.kill9();
    // API only: the job is accepted and stays queued.
    s.spawn(&["serve", "--role", "api"]);
    let p = s.partner(true);
    let tok = s
        .token(&p, json!({"clientId": "c1", "tokenType": "DOCUMENT"}))
        .await;
    let body = json!({"token": tok["authToken"], "country": "LT", "documentType": "PASSPORT", "images": {"FRONT": b64_file(UTO)}});
    assert_eq!(s.post_json(&p, "/api/v2/process", &body).await.0, 200);
    let scan = tok["scanRef"].as_str().unwrap().to_string();
    let st = s
        .post_json(&p, "/api/v2/status", &json!({"scanRef": scan}))
        .await;
    assert_eq!(st.1["status"], "REVIEWING");
    s.kill9();
    s.spawn(&["serve"]);
    let st = s.wait_finished(&p, &scan, Duration::from_secs(30)).await;
    assert_ne!(st["status"], "REVIEWING");
}

#[tokio::test]
async fn a_job_whose_worker_died_mid_lease_is_reclaimed() {
    // Lease of 1 s: a worker killed while holding it leaves the job claimable again.
    let mut s = Server::start(&[("KYCD_JOB_LEASE_SECS", "1")]);
    let p = s.partner(true);
    s.kill9();
    s.spawn(&["serve", "--role", "api"]);
    let tok = s
        .token(&p, json!({"clientId": "c1", "tokenType": "DOCUMENT"}))
        .await;
    let body = json!({"token": tok["authToken"], "country": "LT", "documentType": "PASSPORT", "images": {"FRONT": b64_file(UTO)}});
    assert_eq!(s.post_json(&p, "/api/v2/process", &body).await.0, 200);
    // Simulate a worker that claimed the job and died: take the lease directly in the database.
    let db = s.data_dir().join("kycd.db");
    let out = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg("UPDATE jobs SET state='running', attempts=1, lease_owner='dead-worker', lease_until=(strftime('%s','now')*1000+1000)")
        .output()
        .expect("sqlite3 CLI (installed by scripts/setup.sh)");
    assert!(
        out.status.success(),
        "lease takeover failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    s.kill9();
    s.spawn(&["serve"]);
    let scan = tok["scanRef"].as_str().unwrap();
    let st = s.wait_finished(&p, scan, Duration::from_secs(30)).await;
    assert_ne!(st["status"], "REVIEWING");
}
