//! iDenfy parity over HTTP against the real server: the sandbox flow (dummy tokens, canned signed webhooks, the
//! manual webhook of `/api/v2/add-dummy-status`), the PDF report of a real verification, and the standalone
//! proof-of-address check on real letters.

mod common;
use base64::Engine as _;
use common::*;
use serde_json::{Value, json};
use std::process::Command;
use std::time::{Duration, Instant};

fn sandbox_partner(s: &Server) -> Partner {
    let v: Value = serde_json::from_str(
        s.cli(&[
            "partner",
            "create",
            "--name",
            "sandbox",
            "--direct-processing",
            "--sandbox",
        ])
        .trim(),
    )
    .unwrap();
    assert_eq!(v["sandbox"], true);
    Partner {
        api_key: v["apiKey"].as_str().unwrap().into(),
        api_secret: v["apiSecret"].as_str().unwrap().into(),
        signing_key: v["signingKey"].as_str().unwrap().into(),
    }
}

/// Waits for the webhook of `event` for `scan_ref`, checks its signature and returns its body.
async fn hook(got: &Received, p: &Partner, scan_ref: &str, event: &str) -> Value {
    let start = Instant::now();
    loop {
        let found = got.lock().unwrap().iter().find_map(|(h, raw)| {
            let v: Value = serde_json::from_slice(raw).ok()?;
            (v["scanRef"] == scan_ref && h["idenfy-event-type"] == event).then(|| {
                assert_eq!(
                    h["idenfy-signature"].to_str().unwrap(),
                    hex_hmac(p.signing_key.as_bytes(), raw),
                    "signature of the exact body bytes"
                );
                v
            })
        });
        if let Some(v) = found {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no {event} webhook for {scan_ref}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn small_images() -> Value {
    let b64 = |b: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(b);
    json!({"FRONT": b64(png(1, 1)), "FACE": b64(png(1, 2))})
}

#[tokio::test]
async fn sandbox_dummies_deliver_canned_signed_webhooks() {
    let (url, got) = receiver().await;
    let s = Server::start(&[
        ("KYCD_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("KYCD_WEBHOOK_RETRY_SCHEDULE", "0.2,0.2,0.2"),
    ]);
    let sb = sandbox_partner(&s);
    let prod = s.partner(true);

    // A production partner keeps the documented error, on both endpoints.
    assert_error(
        &s.post_json(
            &prod,
            "/api/v2/token",
            &json!({"clientId": "c", "dummyStatus": "APPROVED"}),
        )
        .await,
        400,
        "PERMISSIONS_ERROR",
    );
    assert_error(
        &s.post_json(
            &prod,
            "/api/v2/add-dummy-status",
            &json!({"scanRef": "x", "manualFaceMatchResult": "FACE_MATCH", "manualDocumentValidity": "DOC_VALIDATED"}),
        )
        .await,
        400,
        "PERMISSIONS_ERROR",
    );
    // An unknown dummy status.
    assert_error(
        &s.post_json(
            &sb,
            "/api/v2/token",
            &json!({"clientId": "c", "dummyStatus": "MAYBE"}),
        )
        .await,
        400,
        "BAD_VALUE",
    );

    let cases = [
        ("APPROVED", "APPROVED", true),
        ("DENIED", "DENIED", true),
        ("SUSPECTED", "SUSPECTED", true),
        ("REVIEWING", "REVIEWING", false),
    ];
    let mut reviewing = String::new();
    for (dummy, overall, is_final) in cases {
        let tok = s
            .token(
                &sb,
                json!({"clientId": format!("c-{dummy}"), "dummyStatus": dummy, "callbackUrl": url,
                       "firstName": "Anna", "lastName": "Sample", "documentNumber": "AB123456"}),
            )
            .await;
        assert_eq!(
            tok["message"],
            "Dummy token and verification created successfully"
        );
        assert_eq!(tok["dummyStatus"], dummy);
        let scan = tok["scanRef"].as_str().unwrap().to_string();
        // `/process` validates exactly as in production: an IDENTIFICATION token needs FACE.
        let missing_face = s
            .post_json(
                &sb,
                "/api/v2/process",
                &json!({"token": tok["authToken"], "country": "LT", "documentType": "PASSPORT",
                        "images": {"FRONT": small_images()["FRONT"]}}),
            )
            .await;
        assert_error(&missing_face, 400, "MISSING_VALUE");
        let (code, _) = s
            .post_json(
                &sb,
                "/api/v2/process",
                &json!({"token": tok["authToken"], "country": "LT", "documentType": "PASSPORT",
                        "images": small_images()}),
            )
            .await;
        assert_eq!(code, 200);
        let v = hook(&got, &sb, &scan, "IDENTIFICATION_AUTO_FINISHED").await;
        assert_eq!(v["status"]["overall"], overall, "{dummy}: {v}");
        assert_eq!(v["final"], is_final, "{dummy}");
        assert_eq!(v["data"]["docFirstName"], "ANNA");
        assert_eq!(v["data"]["docNumber"], "AB123456");
        assert_eq!(v["data"]["docType"], "PASSPORT");
        assert_eq!(v["kycd"]["sandbox"], true);
        // Nothing of the images is kept.
        assert!(
            v["fileUrls"].as_object().is_some_and(|m| m.is_empty()),
            "{v}"
        );
        // Canned data never becomes a blocklist entry that real verifications could match.
        let (code, r) = s
            .post_json(
                &sb,
                &format!("/kyc/identifications/{scan}/blocklists/DOCUMENT_INFO/"),
                &json!({"reason": "test"}),
            )
            .await;
        assert_eq!(
            (code, r["identifier"].as_str()),
            (400, Some("PARTNER_ERROR")),
            "{r}"
        );
        if dummy == "REVIEWING" {
            reviewing = scan;
        }
    }

    // The manual result: validated, then delivered as IDENTIFICATION_MANUAL_FINISHED.
    let bad = s
        .post_json(
            &sb,
            "/api/v2/add-dummy-status",
            &json!({"scanRef": reviewing, "manualFaceMatchResult": "FACE_OK", "manualDocumentValidity": "DOC_VALIDATED"}),
        )
        .await;
    assert_error(&bad, 400, "BAD_VALUE");
    assert_error(
        &s.post_json(
            &sb,
            "/api/v2/add-dummy-status",
            &json!({"scanRef": "nope", "manualFaceMatchResult": "FACE_MATCH", "manualDocumentValidity": "DOC_VALIDATED"}),
        )
        .await,
        404,
        "NOT_FOUND",
    );
    let unused = s
        .token(
            &sb,
            json!({"clientId": "c-unused", "dummyStatus": "APPROVED"}),
        )
        .await;
    assert_error(
        &s.post_json(
            &sb,
            "/api/v2/add-dummy-status",
            &json!({"scanRef": unused["scanRef"], "manualFaceMatchResult": "FACE_MATCH", "manualDocumentValidity": "DOC_VALIDATED"}),
        )
        .await,
        400,
        "PARTNER_ERROR",
    );
    let (code, body) = s
        .post_json(
            &sb,
            "/api/v2/add-dummy-status",
            &json!({"scanRef": reviewing, "manualFaceMatchResult": "FACE_MATCH", "manualDocumentValidity": "DOC_VALIDATED"}),
        )
        .await;
    assert_eq!((code, body), (200, Value::Null));
    let v = hook(&got, &sb, &reviewing, "IDENTIFICATION_MANUAL_FINISHED").await;
    assert_eq!(v["status"]["overall"], "APPROVED", "{v}");
    assert_eq!(v["status"]["manualFace"], "FACE_MATCH");
    assert_eq!(v["status"]["manualDocument"], "DOC_VALIDATED");
    assert_eq!(v["final"], true);
    let st = s
        .post_json(&sb, "/api/v2/status", &json!({"scanRef": reviewing}))
        .await;
    assert_eq!(st.1["status"], "APPROVED");

    // EXPIRED: the token is born expired and the expiry webhook follows without any /process.
    let tok = s
        .token(
            &sb,
            json!({"clientId": "c-exp", "dummyStatus": "EXPIRED", "callbackUrl": url}),
        )
        .await;
    let scan = tok["scanRef"].as_str().unwrap();
    let v = hook(&got, &sb, scan, "IDENTIFICATION_EXPIRED").await;
    assert_eq!(v["status"]["overall"], "EXPIRED");
    let late = s
        .post_json(
            &sb,
            "/api/v2/process",
            &json!({"token": tok["authToken"], "country": "LT", "documentType": "PASSPORT", "images": small_images()}),
        )
        .await;
    assert_error(&late, 400, "TOKEN_NOT_VALID");
}

/// Runs a tool (`{}` in `args` is the file) and returns its stdout.
fn run(tool: &str, args: &[&str], file: &std::path::Path) -> String {
    let out = Command::new(tool)
        .args(args.iter().map(|a| {
            if *a == "{}" {
                file.as_os_str()
            } else {
                std::ffi::OsStr::new(a)
            }
        }))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn the_pdf_report_of_a_real_verification() {
    let s = Server::start(&[]);
    let p = s.partner(true);
    let tok = s
        .token(
            &p,
            json!({"clientId": "c-report", "externalRef": "case-77"}),
        )
        .await;
    let scan = tok["scanRef"].as_str().unwrap().to_string();
    // Nothing submitted yet: nothing to report.
    assert_error(
        &s.post_json(&p, "/api/v2/generate-pdf", &json!({"scanRef": scan}))
            .await,
        400,
        "PARTNER_ERROR",
    );
    let body = json!({"token": tok["authToken"], "country": "SE", "documentType": "PASSPORT",
        "images": {"FRONT": b64_file("documents/passporteye/100_pass-uto.jpg"),
                   "FACE": b64_file("faces/face_recognition/obama.jpg")}});
    assert_eq!(s.post_json(&p, "/api/v2/process", &body).await.0, 200);
    s.wait_finished(&p, &scan, Duration::from_secs(60)).await;
    let (_, data) = s
        .post_json(&p, "/api/v2/data", &json!({"scanRef": scan}))
        .await;
    let doc_number = data["docNumber"]
        .as_str()
        .expect("the passport's number is read")
        .to_string();

    let (code, r) = s
        .post_json(&p, "/api/v2/generate-pdf", &json!({"scanRef": scan}))
        .await;
    assert_eq!(code, 200, "{r}");
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(r["pdf"].as_str().unwrap())
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let path = s.dir.path().join("report.pdf");
    std::fs::write(&path, &pdf).unwrap();
    run("qpdf", &["--check", "{}"], &path);
    let text = run("pdftotext", &["-layout", "{}", "-"], &path);
    for want in [
        scan.as_str(),
        doc_number.as_str(),
        "c-report",
        "case-77",
        "FRONT",
        "FACE",
    ] {
        assert!(
            text.contains(want),
            "{want:?} not in the report text:\n{text}"
        );
    }
    // The images are embedded (FRONT and FACE at least; the portrait when the reader cropped one).
    let listed = run("pdfimages", &["-list", "{}"], &path);
    let images = listed
        .lines()
        .skip(2)
        .filter(|l| !l.trim().is_empty())
        .count();
    assert!(images >= 2, "{images} images embedded:\n{listed}");

    // Another partner gets 404.
    let other = s.partner(true);
    assert_error(
        &s.post_json(&other, "/api/v2/generate-pdf", &json!({"scanRef": scan}))
            .await,
        404,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn standalone_proof_of_address_checks() {
    let s = Server::start(&[]);
    let p = s.partner(false);
    // A text PDF (EDF, France): every provided value matches; issued in 2021, so not recent.
    let (code, r) = s
        .post_json(
            &p,
            "/api/v2/poa-checks/",
            &json!({"file": b64_file("bills/mindee/energy_bill_fra__edf_sample.pdf"),
                    "providedName": "John Doe", "providedAddress": "123 Rue de l'Imaginaire, 75001 Paris"}),
        )
        .await;
    assert_eq!(code, 201, "{r}");
    assert_eq!(r["overallStatus"], "MATCH", "{r}");
    assert_eq!(
        (r["nameMatch"].as_bool(), r["addressMatch"].as_bool()),
        (Some(true), Some(true)),
        "{r}"
    );
    assert_eq!(r["issueDate"], "2021-01-29");
    assert_eq!(r["dateValid"], false);
    assert_eq!(r["country"], "FR");
    assert_eq!(r["documentType"], "UTILITY_BILL");
    assert_eq!(r["isScreenshot"], false);
    assert!(r["id"].as_str().is_some_and(|i| i.len() == 36) && r["created"].is_string());
    for key in [
        "hasLogo",
        "orgName",
        "orgAddress",
        "documentTypeSupported",
        "countrySupported",
        "file",
        "name",
        "address",
    ] {
        assert!(
            r.as_object().unwrap().contains_key(key),
            "{key} missing: {r}"
        );
    }
    // A photographed bill (PPL, US) against another person's name: NO_MATCH.
    let (code, r) = s
        .post_json(
            &p,
            "/api/v2/poa-checks",
            &json!({"file": b64_file("bills/mindee/proof_of_address__ppl_electric_sample.jpg"),
                    "providedAddress": "123 Main St, Anytown, PA 18062", "providedName": "Jiro Doi"}),
        )
        .await;
    assert_eq!(code, 201, "{r}");
    assert_eq!(r["addressMatch"], true, "{r}");
    assert_eq!(r["overallStatus"], "NO_MATCH", "{r}");
    assert_eq!(r["country"], "US");
    assert_eq!(r["isScreenshot"], false);
    // Nothing provided: NOT_COMPARED.
    let (_, r) = s
        .post_json(
            &p,
            "/api/v2/poa-checks/",
            &json!({"file": b64_file("bills/mindee/energy_bill_fra__edf_sample.pdf")}),
        )
        .await;
    assert_eq!(r["overallStatus"], "NOT_COMPARED", "{r}");
    assert!(r["nameMatch"].is_null() && r["addressMatch"].is_null());
    // Bad input: each answered in the envelope.
    for (body, status, id) in [
        (json!({}), 400, "MISSING_VALUE"),
        (json!({"file": 5}), 400, "JSON_ERROR"),
        (json!({"file": "***"}), 400, "ENCODING_ERROR"),
        (json!({"file": "R0lGODlhAQABAAAAACw="}), 400, "BAD_VALUE"),
        (
            json!({"file": b64_file("bills/mindee/energy_bill_fra__edf_sample.pdf"), "providedName": "x".repeat(256)}),
            400,
            "BAD_VALUE",
        ),
    ] {
        assert_error(
            &s.post_json(&p, "/api/v2/poa-checks/", &body).await,
            status,
            id,
        );
    }
}
