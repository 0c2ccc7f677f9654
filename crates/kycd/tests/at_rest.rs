//! At-rest encryption and S3 blob storage: images are sealed (AES-256-GCM envelope) in the blob store, personal data
//! is sealed in the database, everything still reads back through the API; and the same flow on an S3-compatible
//! server when `KYCD_TEST_S3_ENDPOINT` is set (scripts/test.sh starts one on loopback).

mod common;
use common::*;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

const UTO: &str = "documents/passporteye/100_pass-uto.jpg";
const FACE: &str = "faces/face_recognition/obama.jpg";

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                files_under(&p, out);
            } else {
                out.push(p);
            }
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// One verification with unusual prefill names; returns (scanRef, /data response).
async fn run_one(s: &Server, p: &Partner) -> (String, Value) {
    let tok = s
        .token(
            p,
            json!({"clientId": "enc-1", "firstName": "Zygfrydas", "lastName": "Qwertyuiopsson"}),
        )
        .await;
    let scan = tok["scanRef"].as_str().unwrap().to_string();
    let body = json!({"authToken": tok["authToken"], "country": "SE", "documentType": "PASSPORT",
        "images": {"FRONT": b64_file(UTO), "FACE": b64_file(FACE)}});
    let r = s.post_json(p, "/api/v2/process", &body).await;
    assert_eq!(r.0, 200, "{:?}", r.1);
    let st = s.wait_finished(p, &scan, Duration::from_secs(120)).await;
    assert!(st["autoDocument"].is_string(), "{st}");
    let (code, got_data) = s
        .post_json(p, "/api/v2/data", &json!({"scanRef": scan}))
        .await;
    assert_eq!(code, 200, "{got_data}");
    // Images come back byte-exact through the signed file links.
    let (_, files) = s
        .post_json(p, "/api/v2/files", &json!({"scanRef": scan}))
        .await;
    for (step, rel) in [("FRONT", UTO), ("FACE", FACE)] {
        let url = files[step].as_str().unwrap();
        let got = s.client.get(url).send().await.unwrap();
        assert_eq!(got.status().as_u16(), 200);
        assert_eq!(
            got.bytes().await.unwrap().as_ref(),
            std::fs::read(data(rel)).unwrap().as_slice(),
            "{step} differs after the round trip through the envelope"
        );
    }
    (scan, got_data)
}

#[tokio::test]
async fn images_and_personal_data_are_sealed_at_rest() {
    let s = Server::start(&[]);
    let p = s.partner(true);
    let (_scan, vdata) = run_one(&s, &p).await;

    let mut files = Vec::new();
    files_under(&s.data_dir(), &mut files);
    let blobs: Vec<_> = files
        .iter()
        .filter(|f| f.starts_with(s.data_dir().join("blobs")))
        .collect();
    // FRONT and FACE, and what the worker derived for the reviewer: the document portrait and the per-zone fields.
    assert_eq!(blobs.len(), 4, "{blobs:?}");
    assert!(
        blobs.iter().any(|b| b.ends_with("derived/portrait.png")),
        "{blobs:?}"
    );
    assert!(
        blobs.iter().any(|b| b.ends_with("derived/readings.json")),
        "{blobs:?}"
    );
    let front = std::fs::read(data(UTO)).unwrap();
    for b in &blobs {
        let raw = std::fs::read(b).unwrap();
        assert!(
            raw.starts_with(b"KYCDENV1"),
            "{} is not sealed",
            b.display()
        );
        assert!(
            !contains(&raw, &front[..256]),
            "{} holds image bytes",
            b.display()
        );
    }
    // Prefill names, the document's name read by OCR and the result never reach the database files in clear, nor
    // the derived blobs (the per-zone fields hold the names).
    let mut needles: Vec<String> = vec!["Qwertyuiopsson".into(), "Zygfrydas".into()];
    for k in ["docLastName", "docFirstName", "docNumber"] {
        if let Some(v) = vdata[k].as_str().filter(|v| v.len() >= 4) {
            needles.push(v.to_string());
        }
    }
    assert!(needles.len() > 2, "OCR read no name or number: {vdata}");
    for f in files.iter().filter(|f| {
        f.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("kycd.db"))
            || f.starts_with(s.data_dir().join("blobs"))
    }) {
        let raw = std::fs::read(f).unwrap();
        for n in &needles {
            assert!(
                !contains(&raw, n.as_bytes()),
                "{} holds '{n}' in clear",
                f.display()
            );
        }
    }
}

#[tokio::test]
async fn s3_blob_storage_when_configured() {
    let Ok(endpoint) = std::env::var("KYCD_TEST_S3_ENDPOINT") else {
        eprintln!("KYCD_TEST_S3_ENDPOINT not set: S3 integration test skipped");
        return;
    };
    let bucket = std::env::var("KYCD_TEST_S3_BUCKET").unwrap_or_else(|_| "kycd-test".into());
    let prefix = format!("it-{}", std::process::id());
    let s = Server::start(&[
        ("KYCD_S3_BUCKET", &bucket),
        ("KYCD_S3_ENDPOINT", &endpoint),
        ("KYCD_S3_ACCESS_KEY_ID", "test"),
        ("KYCD_S3_SECRET_ACCESS_KEY", "test"),
        ("KYCD_S3_PREFIX", &prefix),
    ]);
    let p = s.partner(true);
    let (scan, _) = run_one(&s, &p).await;
    // Nothing was written to the local blob folder.
    let mut local = Vec::new();
    files_under(&s.data_dir().join("blobs"), &mut local);
    assert!(local.is_empty(), "{local:?}");
    // The objects are in the bucket, sealed.
    let store = kycd_blob::BlobStore::s3(&kycd_blob::S3Config {
        bucket,
        endpoint: Some(endpoint),
        region: None,
        access_key_id: Some("test".into()),
        secret_access_key: Some("test".into()),
        prefix: Some(prefix),
    })
    .unwrap();
    let keys = store
        .list(&kycd_blob::verification_prefix(&scan))
        .await
        .unwrap();
    // FRONT, FACE and the derived portrait and per-zone fields, all sealed.
    assert_eq!(keys.len(), 4, "{keys:?}");
    for k in &keys {
        assert!(store.get_raw(k).await.unwrap().starts_with(b"KYCDENV1"));
    }
    // Deletion erases them from the bucket.
    let (code, v) = s
        .post_json(&p, "/api/v2/delete", &json!({"scanRef": scan}))
        .await;
    assert_eq!(code, 200, "{v}");
    assert!(
        store
            .list(&kycd_blob::verification_prefix(&scan))
            .await
            .unwrap()
            .is_empty()
    );
}
