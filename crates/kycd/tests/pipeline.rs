//! The verification job end to end on real documents: document reading, decision rules and their evidence,
//! blocklist endpoints, manual review, webhook CLI and token-expiry webhooks. A receiver in the test verifies
//! `Idenfy-Signature` byte-exactly.

mod common;
use common::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Waits until `n` webhooks arrived; checks every signature; returns (event type, body) pairs.
async fn webhooks(got: &Received, p: &Partner, n: usize) -> Vec<(String, Value)> {
    let start = Instant::now();
    while got.lock().unwrap().len() < n {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "expected {n} webhook(s), got {}",
            got.lock().unwrap().len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    got.lock()
        .unwrap()
        .iter()
        .map(|(h, raw)| {
            assert_eq!(
                h["idenfy-signature"].to_str().unwrap(),
                hex_hmac(p.signing_key.as_bytes(), raw),
                "signature of the exact body bytes"
            );
            (
                h["idenfy-event-type"].to_str().unwrap().to_string(),
                serde_json::from_slice(raw).unwrap(),
            )
        })
        .collect()
}

fn rules(v: &Value) -> Vec<String> {
    v["kycd"]["rules"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| r["rule"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn submit(
    s: &Server,
    p: &Partner,
    token: Value,
    images: Value,
    country: &str,
    doc_type: Option<&str>,
) -> String {
    let tok = s.token(p, token).await;
    let mut body = json!({"authToken": tok["authToken"], "country": country, "images": images});
    if let Some(t) = doc_type {
        body["documentType"] = json!(t);
    }
    let r = s.post_json(p, "/api/v2/process", &body).await;
    assert_eq!(r.0, 200, "{:?}", r.1);
    tok["scanRef"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn documents_are_read_and_decided_with_evidence() {
    let (url, got) = receiver().await;
    let s = Server::start(&[("KYCD_WEBHOOK_ALLOW_PRIVATE", "true")]);
    let p = s.partner(true);
    // 1. The ICAO specimen passport: read from the MRZ, recognised as a specimen.
    let a = submit(
        &s,
        &p,
        json!({"clientId": "c-a", "tokenType": "DOCUMENT", "callbackUrl": url}),
        json!({"FRONT": b64_file("documents/passporteye/100_pass-uto.jpg")}),
        "LT",
        Some("PASSPORT"),
    )
    .await;
    let hooks = webhooks(&got, &p, 1).await;
    let (ev, v) = &hooks[0];
    assert_eq!(ev, "IDENTIFICATION_AUTO_FINISHED");
    assert_eq!(v["scanRef"], a.as_str());
    assert_eq!(v["final"], true);
    assert_eq!(v["data"]["docLastName"], "ERIKSSON");
    assert_eq!(v["data"]["docNumber"], "L898902C3");
    assert_eq!(v["data"]["docType"], "PASSPORT");
    assert_eq!(v["data"]["selectedCountry"], "LT");
    assert_eq!(v["status"]["autoDocument"], "DOC_FAKE", "{}", v["kycd"]);
    assert_eq!(v["status"]["autoFace"], "FACE_NOT_CHECKED");
    assert_eq!(v["status"]["overall"], "DENIED");
    assert!(rules(v).contains(&"specimen".to_string()), "{}", v["kycd"]);
    assert_eq!(v["kycd"]["document"]["mrz"]["format"], "TD3");
    // Fraud checks do not run for a denied verification.
    assert!(v["AML"].is_null());

    // 2. A declared type that differs from the document: DOC_TYPE_MISMATCH.
    submit(
        &s,
        &p,
        json!({"clientId": "c-b", "tokenType": "DOCUMENT", "callbackUrl": url}),
        json!({"FRONT": b64_file("documents/passporteye/100_pass-uto.jpg"),
               "BACK": b64_file("documents/passporteye/100_pass-uto.jpg")}),
        "LT",
        Some("ID_CARD"),
    )
    .await;
    let hooks = webhooks(&got, &p, 2).await;
    let v = &hooks[1].1;
    assert_eq!(
        v["status"]["autoDocument"], "DOC_TYPE_MISMATCH",
        "{}",
        v["kycd"]
    );
    assert_eq!(v["status"]["overall"], "DENIED");
    assert!(rules(v).contains(&"declared-type".to_string()));

    // 3. A token that only allows ID cards: DOC_TYPE_MISMATCH from the token restriction.
    submit(
        &s,
        &p,
        json!({"clientId": "c-c", "tokenType": "DOCUMENT", "callbackUrl": url, "documents": ["ID_CARD", "PASSPORT"]}),
        json!({"FRONT": b64_file("documents/passporteye/100_pass-uto.jpg")}),
        "LT",
        None,
    )
    .await;
    let hooks = webhooks(&got, &p, 3).await;
    let v = &hooks[2].1;
    // PASSPORT is allowed here, so the specimen rule decides.
    assert_eq!(v["status"]["autoDocument"], "DOC_FAKE");

    // 4. /api/v2/data serves the same document fields.
    let (code, d) = s
        .post_json(&p, "/api/v2/data", &json!({"scanRef": a}))
        .await;
    assert_eq!(code, 200);
    assert_eq!(d["docLastName"], "ERIKSSON");
}

#[tokio::test]
async fn blocklist_endpoints_tag_the_source_and_can_be_removed() {
    let s = Server::start(&[]);
    let p = s.partner(true);
    let scan = submit(
        &s,
        &p,
        json!({"clientId": "c-1", "tokenType": "DOCUMENT"}),
        json!({"FRONT": b64_file("documents/passporteye/100_pass-uto.jpg")}),
        "LT",
        Some("PASSPORT"),
    )
    .await;
    s.wait_finished(&p, &scan, Duration::from_secs(90)).await;
    let path = format!("/kyc/identifications/{scan}/blocklists/DOCUMENT_INFO/");
    let (code, v) = s
        .post_json(&p, &path, &json!({"reason": "fraud ring"}))
        .await;
    assert_eq!(code, 201, "{v}");
    assert_eq!(v["documentNumber"], "L898902C3");
    assert_eq!(v["dateOfBirth"], "1974-08-12");
    assert_eq!(v["reason"], "fraud ring");
    assert!(v["id"].is_number() && v["created"].is_string());
    let (_, st) = s
        .post_json(&p, "/api/v2/status", &json!({"scanRef": scan}))
        .await;
    assert!(
        st["fraudTags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "DATA_IN_BLACKLIST"),
        "{st}"
    );
    // A DOCUMENT token has no selfie: nothing to block.
    let (code, v) = s
        .post_json(
            &p,
            &format!("/kyc/identifications/{scan}/blocklists/SELFIE/"),
            &json!({}),
        )
        .await;
    assert_eq!(
        (code, v["identifier"].as_str()),
        (400, Some("PARTNER_ERROR")),
        "{v}"
    );
    // Bad source, unknown verification.
    let (code, v) = s
        .post_json(
            &p,
            &format!("/kyc/identifications/{scan}/blocklists/PASSPORT/"),
            &json!({}),
        )
        .await;
    assert_eq!((code, v["identifier"].as_str()), (400, Some("BAD_VALUE")));
    let (code, _) = s
        .post_json(
            &p,
            "/kyc/identifications/nope/blocklists/DOCUMENT_INFO/",
            &json!({}),
        )
        .await;
    assert_eq!(code, 404);
    // Another partner cannot see it.
    let other = s.partner(true);
    let (code, _) = s.post_json(&other, &path, &json!({})).await;
    assert_eq!(code, 404);
    // DELETE → 204, and the tag is gone; a second DELETE → 404.
    let del = |path: String| {
        let c = s.client.clone();
        let base = s.base.clone();
        let (k, sec) = (p.api_key.clone(), p.api_secret.clone());
        async move {
            c.delete(format!("{base}{path}"))
                .basic_auth(k, Some(sec))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(del(path.clone()).await, 204);
    assert_eq!(del(path.clone()).await, 404);
    let (_, st) = s
        .post_json(&p, "/api/v2/status", &json!({"scanRef": scan}))
        .await;
    assert!(
        !st["fraudTags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "DATA_IN_BLACKLIST"),
        "{st}"
    );
}

#[tokio::test]
async fn manual_review_and_webhook_cli() {
    let (url, got) = receiver().await;
    let s = Server::start(&[("KYCD_WEBHOOK_ALLOW_PRIVATE", "true")]);
    let p = s.partner(true);
    let scan = submit(
        &s,
        &p,
        json!({"clientId": "c-r", "tokenType": "DOCUMENT", "callbackUrl": url, "reviewFailed": true}),
        json!({"FRONT": b64_file("documents/passporteye/100_pass-uto.jpg")}),
        "LT",
        Some("PASSPORT"),
    )
    .await;
    let hooks = webhooks(&got, &p, 1).await;
    let v = &hooks[0].1;
    assert_eq!(hooks[0].0, "IDENTIFICATION_AUTO_FINISHED");
    assert_eq!(v["final"], false);
    assert_eq!(v["status"]["overall"], "REVIEWING");
    assert!(v["status"]["manualDocument"].is_null());

    let out = s.cli(&[
        "review",
        "decide",
        &scan,
        "--face",
        "FACE_NOT_CHECKED",
        "--document",
        "DOC_VALIDATED",
    ]);
    assert!(out.contains("APPROVED"), "{out}");
    let hooks = webhooks(&got, &p, 2).await;
    let (ev, v) = &hooks[1];
    assert_eq!(ev, "IDENTIFICATION_MANUAL_FINISHED");
    assert_eq!(v["final"], true);
    assert_eq!(v["status"]["overall"], "APPROVED");
    assert_eq!(v["status"]["manualDocument"], "DOC_VALIDATED");
    assert_eq!(v["status"]["autoDocument"], "DOC_FAKE");
    let (_, st) = s
        .post_json(&p, "/api/v2/status", &json!({"scanRef": scan}))
        .await;
    assert_eq!(st["status"], "APPROVED", "{st}");

    // Invalid statuses are refused.
    let out = std::process::Command::new(BIN)
        .args([
            "review",
            "decide",
            &scan,
            "--face",
            "NOPE",
            "--document",
            "DOC_VALIDATED",
        ])
        .env("KYCD_DATA_DIR", s.data_dir())
        .output()
        .unwrap();
    assert!(!out.status.success());

    // `kycd webhooks list` shows both with their attempts; `replay` sends them again.
    let list: Value = serde_json::from_str(&s.cli(&["webhooks", "list", &scan, "--json"])).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(
        list.iter()
            .all(|w| w["state"] == "delivered" && w["attemptLog"].as_array().unwrap().len() == 1)
    );
    let out = s.cli(&["webhooks", "replay", &scan]);
    assert!(out.contains("2 webhook(s)"), "{out}");
    webhooks(&got, &p, 4).await;
}

#[tokio::test]
async fn unused_token_expiry_sends_identification_expired() {
    let (url, got) = receiver().await;
    let s = Server::start(&[("KYCD_WEBHOOK_ALLOW_PRIVATE", "true")]);
    let p = s.partner(true);
    let tok = s
        .token(
            &p,
            json!({"clientId": "c-x", "expiryTime": 1, "callbackUrl": url, "externalRef": "e-x"}),
        )
        .await;
    let hooks = webhooks(&got, &p, 1).await;
    let (ev, v) = &hooks[0];
    assert_eq!(ev, "IDENTIFICATION_EXPIRED");
    assert_eq!(v["status"]["overall"], "EXPIRED");
    assert_eq!(v["scanRef"], tok["scanRef"]);
    assert_eq!(v["externalRef"], "e-x");
    // Only once.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(got.lock().unwrap().len(), 1);
}

/// Every key of the public go-idenfy client's sample webhook (`testdata/webhook.1.json` of gboddin/go-idenfy)
/// exists in kycd's payload with the same JSON type (or null where kycd has no value).
#[tokio::test]
async fn payload_has_the_go_idenfy_key_set() {
    const TOP: &[(&str, &str)] = &[
        ("clientId", "string"),
        ("scanRef", "string"),
        ("externalRef", "string"),
        ("platform", "string"),
        ("startTime", "number"),
        ("finishTime", "number"),
        ("clientIp", "string"),
        ("clientIpCountry", "string"),
        ("clientLocation", "string"),
        ("final", "boolean"),
        ("status", "object"),
        ("data", "object"),
        ("fileUrls", "object"),
        ("additionalStepPdfUrls", "object"),
        ("AML", "array"),
        ("LID", "array"),
    ];
    const STATUS: &[(&str, &str)] = &[
        ("overall", "string"),
        ("suspicionReasons", "array"),
        ("mismatchTags", "array"),
        ("fraudTags", "array"),
        ("autoDocument", "string"),
        ("autoFace", "string"),
        ("manualDocument", "string"),
        ("manualFace", "string"),
        ("additionalSteps", "null"),
    ];
    const DATA: &[(&str, &str)] = &[
        ("docFirstName", "string"),
        ("docLastName", "string"),
        ("docNumber", "string"),
        ("docPersonalCode", "string"),
        ("docExpiry", "string"),
        ("docDob", "string"),
        ("docDateOfIssue", "string"),
        ("docType", "string"),
        ("docSex", "string"),
        ("docNationality", "string"),
        ("docIssuingCountry", "string"),
        ("docTemporaryAddress", "null"),
        ("docBirthName", "null"),
        ("birthPlace", "string"),
        ("authority", "string"),
        ("address", "string"),
        ("fullName", "string"),
        ("selectedCountry", "string"),
        ("mothersMaidenName", "null"),
        ("driverLicenseCategory", "null"),
        ("manuallyDataChanged", "boolean"),
        ("orgFirstName", "string"),
        ("orgLastName", "string"),
        ("orgNationality", "string"),
        ("orgBirthPlace", "string"),
        ("orgAuthority", "null"),
        ("orgAddress", "null"),
        ("orgTemporaryAddress", "null"),
        ("orgMothersMaidenName", "null"),
        ("orgBirthName", "null"),
        ("ageEstimate", "string"),
        ("clientIpProxyRiskLevel", "string"),
        ("duplicateDocFaces", "null"),
        ("duplicateFaces", "null"),
        ("additionalData", "object"),
        ("manualAddress", "null"),
        ("manualAddressMatch", "boolean"),
        ("registryCenterCheck", "null"),
        ("addressVerification", "null"),
    ];
    fn ty(v: &Value) -> &'static str {
        match v {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
    fn check(obj: &Value, keys: &[(&str, &str)], at: &str) {
        for (k, want) in keys {
            let got = obj.get(*k).unwrap_or_else(|| panic!("{at}.{k} is missing"));
            assert!(
                ty(got) == *want || got.is_null() || *want == "null",
                "{at}.{k}: go-idenfy has {want}, kycd sent {}",
                ty(got)
            );
        }
    }
    let (url, got) = receiver().await;
    let s = Server::start(&[("KYCD_WEBHOOK_ALLOW_PRIVATE", "true")]);
    let p = s.partner(true);
    submit(
        &s,
        &p,
        json!({"clientId": "c-g", "callbackUrl": url}),
        json!({"FRONT": b64_file("documents/passporteye/100_pass-uto.jpg"),
               "FACE": b64_file("faces/deepface/img1.jpg")}),
        "LT",
        None,
    )
    .await;
    let hooks = webhooks(&got, &p, 1).await;
    let v = &hooks[0].1;
    check(v, TOP, "");
    check(&v["status"], STATUS, "status");
    check(&v["data"], DATA, "data");
    // The selfie is not the specimen's holder and the document is a specimen.
    assert_eq!(v["status"]["overall"], "DENIED");
    assert!(v["fileUrls"]["FRONT"].is_string() && v["fileUrls"]["FACE"].is_string());
}

/// A utility bill as a COMPARE additional step: read from the PDF's text layer, compared with the token's
/// `additionalData`, dated (older than 3 months → EXPIRED_UTILITY_BILL); then a re-upload through
/// `/api/v2/upload-additional-step` with new `additionalData` → `IDENTIFICATION_RESUBMITTED`.
#[tokio::test]
async fn utility_bill_compare_and_reupload() {
    let (url, got) = receiver().await;
    let s = Server::start(&[("KYCD_WEBHOOK_ALLOW_PRIVATE", "true")]);
    let p = s.partner(true);
    let scan = submit(
        &s,
        &p,
        json!({"clientId": "c-bill", "tokenType": "DOCUMENT", "callbackUrl": url,
               "additionalSteps": {"ALL": {"ALL": {"UTILITY_BILL": {"type": "COMPARE"}}}},
               "additionalData": {"UTILITY_BILL": {"address": "123 Rue de l'Imaginaire, 75001 Paris"}}}),
        json!({"FRONT": b64_file("documents/passporteye/100_pass-uto.jpg"),
               "UTILITY_BILL": b64_file("bills/mindee/energy_bill_fra__edf_sample.pdf")}),
        "LT",
        Some("PASSPORT"),
    )
    .await;
    let hooks = webhooks(&got, &p, 1).await;
    let v = &hooks[0].1;
    assert_eq!(v["additionalSteps"]["UTILITY_BILL"], "COMPARE", "{v}");
    assert!(v["additionalStepPdfUrls"]["UTILITY_BILL"].is_string());
    assert!(v["fileUrls"]["UTILITY_BILL"].is_string());
    let bill = &v["data"]["additionalData"]["UTILITY_BILL"];
    assert_eq!(bill["address"]["status"], "MATCH", "{bill}");
    assert_eq!(v["status"]["additionalSteps"], "INVALID", "{}", v["status"]);
    let mt: Vec<String> = v["status"]["mismatchTags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    assert!(mt.contains(&"EXPIRED_UTILITY_BILL".to_string()), "{mt:?}");

    // Re-upload with another expected address: processed again, new result as IDENTIFICATION_RESUBMITTED.
    let (code, r) = s
        .post_json(
            &p,
            "/api/v2/upload-additional-step",
            &json!({"scanRef": scan, "step": "UTILITY_BILL",
                    "image": b64_file("bills/mindee/energy_bill_fra__edf_sample.pdf"),
                    "additionalData": {"address": "1954 Bloor Street West, Toronto, ON M6P 3K9"}}),
        )
        .await;
    assert_eq!(code, 200, "{r}");
    let hooks = webhooks(&got, &p, 2).await;
    let (ev, v) = &hooks[1];
    assert_eq!(ev, "IDENTIFICATION_RESUBMITTED");
    let bill = &v["data"]["additionalData"]["UTILITY_BILL"];
    assert_eq!(bill["address"]["status"], "NOT_MATCH", "{bill}");
    assert!(
        v["status"]["mismatchTags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "UTILITY_ADDRESS"),
        "{}",
        v["status"]
    );
    // A step the token does not have, and an unknown verification.
    let (code, r) = s
        .post_json(&p, "/api/v2/upload-additional-step",
            &json!({"scanRef": scan, "step": "PASSPORT_SCAN", "image": b64_file("bills/mindee/us_mail__envelope.jpg")}))
        .await;
    assert_eq!(
        (code, r["identifier"].as_str()),
        (400, Some("BAD_VALUE")),
        "{r}"
    );
    let (code, _) = s
        .post_json(&p, "/api/v2/upload-additional-step",
            &json!({"scanRef": "nope", "step": "UTILITY_BILL", "image": b64_file("bills/mindee/us_mail__envelope.jpg")}))
        .await;
    assert_eq!(code, 404);
}
