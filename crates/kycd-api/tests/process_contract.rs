//! `/api/v2/process` contract over HTTP against the in-process app (no models): one test per validation rule of
//! direct-processing.md and the token life cycle. The rules that need the models (document-type detection, photo
//! validation) are tested against the real binary in `crates/kycd/tests/process_api.rs`.

use crate::common;
use common::*;
use kycd_api::ApiConfig;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn requests_without_valid_credentials_are_unauthorized() {
    let s = spawn_app().await;
    let p = s.partner(true).await;
    let r = s
        .client
        .post(format!("{}/api/v2/process", s.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["identifier"], "UNAUTHORIZED");
    let wrong = Partner {
        api_key: p.api_key.clone(),
        api_secret: "nope".into(),
        signing_key: String::new(),
    };
    assert_error(
        &s.post_json(&wrong, "/api/v2/process", &json!({})).await,
        401,
        "UNAUTHORIZED",
    );
    let r = s
        .client
        .post(format!("{}/api/v2/token", s.base))
        .header("authorization", "Basic !!!")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // A disabled partner with valid credentials is not unauthorized but forbidden: iDenfy answers
    // `403 Partner inactive` (idenfy-api.md §4.3); the envelope's 403 identifier is PARTNER_CONTRACT_ERROR.
    s.disable_partner(&p.api_key).await;
    assert_error(
        &s.post_json(&p, "/api/v2/token", &json!({"clientId": "x"}))
            .await,
        403,
        "PARTNER_CONTRACT_ERROR",
    );
}

#[tokio::test]
async fn wrong_method_and_unknown_paths_use_the_envelope() {
    let s = spawn_app().await;
    let r = s
        .client
        .get(format!("{}/api/v2/process", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["identifier"], "METHOD_NOT_ALLOWED");
    let r = s
        .client
        .post(format!("{}/api/v2/nope", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

#[tokio::test]
async fn body_encoding_and_json_errors() {
    let s = spawn_app().await;
    let p = s.partner(true).await;
    let t = s.doc_token(&p).await;
    let (st, body) = s
        .post(&p, "/api/v2/process", vec![0xffu8, 0xfe, 0x00])
        .await;
    assert_error(
        &(st, serde_json::from_str(&body).unwrap()),
        400,
        "ENCODING_ERROR",
    );
    let (st, body) = s.post(&p, "/api/v2/process", "{\"token\": ").await;
    assert_error(
        &(st, serde_json::from_str(&body).unwrap()),
        400,
        "JSON_ERROR",
    );
    assert_error(
        &s.post_json(&p, "/api/v2/process", &json!([1])).await,
        400,
        "JSON_ERROR",
    );
    assert_error(
        &s.post_json(&p, "/api/v2/process", &json!({"token": t, "images": "x"}))
            .await,
        400,
        "JSON_ERROR",
    );
    assert_error(
        &s.post_json(
            &p,
            "/api/v2/process",
            &json!({"token": t, "skipAnalysis": 1}),
        )
        .await,
        400,
        "JSON_ERROR",
    );
    s.assert_token_still_usable(&p, &t).await;
}

#[tokio::test]
async fn missing_token_is_a_missing_value() {
    let s = spawn_app().await;
    let p = s.partner(true).await;
    let r = s
        .post_json(
            &p,
            "/api/v2/process",
            &json!({"country": "LT", "images": {}}),
        )
        .await;
    assert_error(&r, 400, "MISSING_VALUE");
    assert!(r.1["message"].as_str().unwrap().contains("token"));
}

#[tokio::test]
async fn partner_without_direct_processing_gets_a_contract_error() {
    let s = spawn_app().await;
    let p = s.partner(false).await;
    let t = s.doc_token(&p).await;
    assert_error(
        &s.post_json(
            &p,
            "/api/v2/process",
            &process_req(&t, json!({"FRONT": b64_file(UTO)})),
        )
        .await,
        403,
        "PARTNER_CONTRACT_ERROR",
    );
}

#[tokio::test]
async fn unknown_foreign_reused_and_expired_tokens_are_not_valid() {
    let s = spawn_app().await;
    let a = s.partner(true).await;
    let b = s.partner(true).await;
    let img = json!({"FRONT": b64_file(UTO)});
    assert_error(
        &s.post_json(
            &a,
            "/api/v2/process",
            &process_req("doesnotexist", img.clone()),
        )
        .await,
        400,
        "TOKEN_NOT_VALID",
    );
    let t = s.doc_token(&a).await;
    assert_error(
        &s.post_json(&b, "/api/v2/process", &process_req(&t, img.clone()))
            .await,
        400,
        "TOKEN_NOT_VALID",
    );
    let (st, body) = s
        .post_json(&a, "/api/v2/process", &process_req(&t, img.clone()))
        .await;
    assert_eq!(
        (st, body),
        (200, Value::Null),
        "success answers 200 with an empty body"
    );
    assert_error(
        &s.post_json(&a, "/api/v2/process", &process_req(&t, img.clone()))
            .await,
        400,
        "TOKEN_NOT_VALID",
    );
    let short = s
        .token(
            &a,
            json!({"clientId": "c", "tokenType": "DOCUMENT", "expiryTime": 1}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_error(
        &s.post_json(
            &a,
            "/api/v2/process",
            &process_req(short["authToken"].as_str().unwrap(), img),
        )
        .await,
        400,
        "TOKEN_NOT_VALID",
    );
}

/// NFC-required tokens are refused; a questionnaire key is not (only attached answers would be, idenfy-api.md
/// §2.2, and kycd never attaches any).
#[tokio::test]
async fn nfc_and_questionnaire_tokens_cannot_be_processed_directly() {
    let s = spawn_app().await;
    let p = s.partner(true).await;
    let img = json!({"FRONT": b64_file(UTO)});
    let nfc = s
        .token(
            &p,
            json!({"clientId": "c", "tokenType": "DOCUMENT", "nfcRequired": true}),
        )
        .await;
    assert_error(
        &s.post_json(
            &p,
            "/api/v2/process",
            &process_req(nfc["authToken"].as_str().unwrap(), img.clone()),
        )
        .await,
        403,
        "PARTNER_CONTRACT_ERROR",
    );
    let q = s
        .token(
            &p,
            json!({"clientId": "c", "tokenType": "DOCUMENT", "questionnaire": "onboarding"}),
        )
        .await;
    let (st, v) = s
        .post_json(
            &p,
            "/api/v2/process",
            &process_req(q["authToken"].as_str().unwrap(), img),
        )
        .await;
    assert_eq!(st, 200, "{v}");
}

#[tokio::test]
async fn country_and_document_type_are_validated() {
    let s = spawn_app().await;
    let p = s.partner(true).await;
    let t = s.doc_token(&p).await;
    let img = json!({"FRONT": b64_file(UTO)});
    let mut r = process_req(&t, img.clone());
    r["country"] = json!("XX");
    let e = s.post_json(&p, "/api/v2/process", &r).await;
    assert_error(&e, 400, "BAD_VALUE");
    assert!(e.1["message"].as_str().unwrap().contains("country"));
    r.as_object_mut().unwrap().remove("country");
    assert_error(
        &s.post_json(&p, "/api/v2/process", &r).await,
        400,
        "MISSING_VALUE",
    );
    for bad in ["VISA", "SMART_ID", "BANK_ID_SE", "passport-ish"] {
        let mut r = process_req(&t, img.clone());
        r["documentType"] = json!(bad);
        let e = s.post_json(&p, "/api/v2/process", &r).await;
        assert_error(&e, 400, "BAD_VALUE");
        assert!(e.1["message"].as_str().unwrap().contains(bad));
    }
    s.assert_token_still_usable(&p, &t).await;
}

#[tokio::test]
async fn image_keys_encoding_and_formats_are_checked() {
    let s = spawn_app().await;
    let p = s.partner(true).await;
    let t = s.doc_token(&p).await;
    let e = s
        .post_json(
            &p,
            "/api/v2/process",
            &process_req(&t, json!({"FRONT": b64_file(UTO), "SELFIE2": "x"})),
        )
        .await;
    assert_error(&e, 400, "BAD_VALUE");
    assert!(e.1["message"].as_str().unwrap().contains("SELFIE2"));
    let e = s
        .post_json(
            &p,
            "/api/v2/process",
            &process_req(&t, json!({"FRONT": "@@@ not base64 @@@"})),
        )
        .await;
    assert_error(&e, 400, "ENCODING_ERROR");
    assert!(e.1["message"].as_str().unwrap().contains("FRONT"));
    let gif = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    );
    assert_error(
        &s.post_json(
            &p,
            "/api/v2/process",
            &process_req(&t, json!({"FRONT": gif})),
        )
        .await,
        400,
        "BAD_VALUE",
    );
    // A JPEG claimed as PNG by its data URI is still judged by its bytes (and accepted later below).
    let enc = s
        .post_json(
            &p,
            "/api/v2/process",
            &process_req(
                &t,
                json!({"FRONT": b64_file("pdf/pypdf/r6-user-password.pdf")}),
            ),
        )
        .await;
    assert_error(&enc, 400, "BAD_VALUE");
    assert!(enc.1["message"].as_str().unwrap().contains("encrypted"));
    let owner_only = b64_file("pdf/pypdf/r4-owner-password.pdf");
    assert_error(
        &s.post_json(
            &p,
            "/api/v2/process",
            &process_req(&t, json!({"FRONT": owner_only})),
        )
        .await,
        400,
        "BAD_VALUE",
    );
    let mut r = process_req(
        &t,
        json!({"FRONT": format!("data:image/png;base64,{}", b64_file(UTO))}),
    );
    r["documentType"] = json!("PASSPORT");
    let (st, _) = s.post_json(&p, "/api/v2/process", &r).await;
    assert_eq!(st, 200);
}

#[tokio::test]
async fn images_over_the_pixel_limit_are_refused() {
    let s = spawn_app_with(ApiConfig {
        max_image_pixels: 100_000,
        ..ApiConfig::default()
    })
    .await;
    let p = s.partner(true).await;
    let t = s.doc_token(&p).await;
    let e = s
        .post_json(
            &p,
            "/api/v2/process",
            &process_req(&t, json!({"FRONT": b64_file(UTO)})),
        )
        .await;
    assert_error(&e, 400, "BAD_VALUE");
    assert!(e.1["message"].as_str().unwrap().contains("pixels"));
}

#[tokio::test]
async fn required_steps_are_enforced() {
    let s = spawn_app().await;
    let p = s.partner(true).await;
    let t = s.doc_token(&p).await;
    let mut r = process_req(&t, json!({"BACK": b64_file(UTO)}));
    let e = s.post_json(&p, "/api/v2/process", &r).await;
    assert_error(&e, 400, "MISSING_VALUE");
    assert_eq!(e.1["message"], "No image provided for step 'FRONT'");
    r["documentType"] = json!("ID_CARD");
    r["images"] = json!({"FRONT": b64_file("documents/passporteye/100_id-che.jpg")});
    let e = s.post_json(&p, "/api/v2/process", &r).await;
    assert_error(&e, 400, "MISSING_VALUE");
    assert_eq!(e.1["message"], "No image provided for step 'BACK'");
    let ident = s.token(&p, json!({"clientId": "c"})).await;
    let e = s
        .post_json(
            &p,
            "/api/v2/process",
            &process_req(
                ident["authToken"].as_str().unwrap(),
                json!({"FRONT": b64_file(UTO)}),
            ),
        )
        .await;
    assert_error(&e, 400, "MISSING_VALUE");
    assert_eq!(e.1["message"], "No image provided for step 'FACE'");
    let bill = s
        .token(&p, json!({"clientId": "c", "tokenType": "DOCUMENT", "additionalSteps": {"ALL": {"ALL": {"UTILITY_BILL": {"type": "UPLOAD"}}}}}))
        .await;
    let e = s
        .post_json(
            &p,
            "/api/v2/process",
            &process_req(
                bill["authToken"].as_str().unwrap(),
                json!({"FRONT": b64_file(UTO)}),
            ),
        )
        .await;
    assert_eq!(e.1["message"], "No image provided for step 'UTILITY_BILL'");
    let ok = process_req(
        bill["authToken"].as_str().unwrap(),
        json!({"FRONT": b64_file(UTO), "UTILITY_BILL": b64_file("pdf/pypdf/unencrypted.pdf")}),
    );
    assert_eq!(s.post_json(&p, "/api/v2/process", &ok).await.0, 200);
    s.assert_token_still_usable(&p, &t).await;
}
