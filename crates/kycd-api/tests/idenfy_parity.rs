//! iDenfy parity over HTTP against the in-process app (no models): the identification list
//! (`GET /kyc/identifications/`, idenfy-api.md §7.8), questionnaire and video-call tokens at `/api/v2/process`,
//! every documented `tokenType` and the locale list at `/api/v2/token`, and a disabled partner's status code.

use crate::common;
use common::*;
use serde_json::{Value, json};
use std::time::Duration;

const UTO: &str = "documents/passporteye/100_pass-uto.jpg";

fn process_req(token: &str) -> Value {
    json!({ "token": token, "country": "LT", "documentType": "PASSPORT", "images": { "FRONT": b64_file(UTO) } })
}

/// `GET url` (absolute) with the partner's credentials.
async fn get_url(s: &TestApp, p: &Partner, url: &str) -> (u16, Value) {
    let r = s
        .client
        .get(url)
        .basic_auth(&p.api_key, Some(&p.api_secret))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn list(s: &TestApp, p: &Partner, query: &str) -> (u16, Value) {
    get_url(s, p, &format!("{}/kyc/identifications/?{query}", s.base)).await
}

/// Creates a token and returns (scanRef, authToken); tokens are spaced so that their creation times differ.
async fn new_token(s: &TestApp, p: &Partner, req: Value) -> (String, String) {
    tokio::time::sleep(Duration::from_millis(3)).await;
    let t = s.token(p, req).await;
    (
        t["scanRef"].as_str().unwrap().to_string(),
        t["authToken"].as_str().unwrap().to_string(),
    )
}

fn scan_refs(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["scanRef"].as_str().unwrap().to_string())
        .collect()
}

/// Follows `next` from `first` and collects every scanRef, checking each page's links on the way.
async fn walk(s: &TestApp, p: &Partner, first: &str) -> (u64, Vec<String>) {
    let (st, mut page) = list(s, p, first).await;
    assert_eq!(st, 200, "{page}");
    assert!(page["previous"].is_null());
    let count = page["count"].as_u64().unwrap();
    let mut all = scan_refs(&page);
    while let Some(next) = page["next"].as_str().map(str::to_string) {
        let (st, p2) = get_url(s, p, &next).await;
        assert_eq!(st, 200, "{p2}");
        assert!(p2["previous"].is_string(), "{p2}");
        all.extend(scan_refs(&p2));
        page = p2;
    }
    (count, all)
}

#[tokio::test]
async fn identifications_are_listed_newest_first_per_partner_and_client() {
    let s = spawn_app().await;
    let a = s.partner(true).await;
    let b = s.partner(true).await;
    // Interleave the partners so that isolation, not creation order, keeps their lists apart.
    let mut a_refs = Vec::new();
    let mut a_u1 = Vec::new();
    let mut b_refs = Vec::new();
    for i in 0..5 {
        let client = if i % 2 == 0 { "u 1" } else { "u2" };
        let (r, _) = new_token(&s, &a, json!({"clientId": client})).await;
        if client == "u 1" {
            a_u1.push(r.clone());
        }
        a_refs.push(r);
        let (r, _) = new_token(&s, &b, json!({"clientId": "u 1"})).await;
        b_refs.push(r);
    }
    a_refs.reverse();
    a_u1.reverse();
    b_refs.reverse();

    // Page 1 of 3 (perPage 2): the two newest, a next link, no previous.
    let (st, p1) = list(&s, &a, "perPage=2").await;
    assert_eq!(st, 200, "{p1}");
    assert_eq!(p1["count"], 5);
    assert_eq!(scan_refs(&p1), a_refs[..2]);
    assert!(p1["previous"].is_null());
    assert_eq!(
        p1["next"],
        format!("{}/kyc/identifications/?page=2&perPage=2", s.base)
    );
    let item = &p1["results"][0];
    assert_eq!(item.as_object().unwrap().len(), 3, "{item}");
    assert_eq!(item["status"], "ACTIVE");
    assert_eq!(item["suspected"], false);

    // Last page: one row, no next; the previous link leads back.
    let (st, p3) = list(&s, &a, "page=3&perPage=2").await;
    assert_eq!(st, 200);
    assert_eq!(scan_refs(&p3), a_refs[4..]);
    assert!(p3["next"].is_null());
    assert_eq!(
        p3["previous"],
        format!("{}/kyc/identifications/?page=2&perPage=2", s.base)
    );

    // Following the links visits every identification of the partner once, newest first.
    assert_eq!(walk(&s, &a, "perPage=2").await, (5, a_refs.clone()));
    assert_eq!(walk(&s, &b, "perPage=4").await, (5, b_refs.clone()));
    assert_eq!(walk(&s, &a, "").await, (5, a_refs.clone()));

    // clientId filter (percent-encoded in the links), also without the trailing slash.
    let (st, f) = list(&s, &a, "clientId=u%201&perPage=1").await;
    assert_eq!(st, 200);
    assert_eq!(f["count"], 3);
    assert_eq!(
        f["next"],
        format!(
            "{}/kyc/identifications/?clientId=u%201&page=2&perPage=1",
            s.base
        )
    );
    assert_eq!(walk(&s, &a, "clientId=u%201&perPage=1").await, (3, a_u1));
    let (st, f) = get_url(
        &s,
        &a,
        &format!("{}/kyc/identifications?clientId=u2", s.base),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(f["count"], 2);
    let (st, f) = list(&s, &a, "clientId=nobody").await;
    assert_eq!(
        (
            st,
            f["count"].as_u64(),
            f["results"].as_array().map(Vec::len)
        ),
        (200, Some(0), Some(0))
    );

    // A partner with nothing: page 1 exists and is empty, page 2 does not.
    let c = s.partner(false).await;
    let (st, e) = list(&s, &c, "").await;
    assert_eq!(st, 200);
    assert_eq!(
        e,
        json!({"count": 0, "next": null, "previous": null, "results": []})
    );
    assert_error(&list(&s, &c, "page=2").await, 404, "NOT_FOUND");

    // Paging edges: exactly full pages, past the end, oversized and malformed values.
    let (_, full) = list(&s, &a, "perPage=5").await;
    assert!(full["next"].is_null());
    assert_eq!(scan_refs(&full).len(), 5);
    assert_error(&list(&s, &a, "page=2&perPage=5").await, 404, "NOT_FOUND");
    assert_error(&list(&s, &a, "page=4&perPage=2").await, 404, "NOT_FOUND");
    let (st, big) = list(&s, &a, "perPage=100000").await;
    assert_eq!(st, 200);
    assert_eq!(scan_refs(&big), a_refs);
    for bad in [
        "page=0",
        "page=-1",
        "page=x",
        "perPage=0",
        "perPage=1.5",
        "page=1e3",
    ] {
        let e = list(&s, &a, bad).await;
        assert_error(&e, 400, "BAD_VALUE");
    }
    let (st, _) = list(&s, &a, "page=&perPage=&clientId=").await;
    assert_eq!(st, 200);
}

#[tokio::test]
async fn listed_statuses_follow_the_verification() {
    let s = spawn_app().await;
    let p = s.partner(true).await;
    let (expired, _) = new_token(&s, &p, json!({"clientId": "c", "expiryTime": 1})).await;
    let (processed, t) = new_token(&s, &p, json!({"clientId": "c", "tokenType": "DOCUMENT"})).await;
    let (st, v) = s.post_json(&p, "/api/v2/process", &process_req(&t)).await;
    assert_eq!(st, 200, "{v}");
    let (suspected, t) = new_token(&s, &p, json!({"clientId": "c", "tokenType": "DOCUMENT"})).await;
    let (st, v) = s.post_json(&p, "/api/v2/process", &process_req(&t)).await;
    assert_eq!(st, 200, "{v}");
    s.store
        .set_result(
            &suspected,
            "SUSPECTED",
            &json!({"status": {"overall": "SUSPECTED"}}),
        )
        .await
        .unwrap();
    let (deleted, t) = new_token(&s, &p, json!({"clientId": "c", "tokenType": "DOCUMENT"})).await;
    let (st, v) = s.post_json(&p, "/api/v2/process", &process_req(&t)).await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = s
        .post_json(&p, "/api/v2/delete", &json!({"scanRef": deleted}))
        .await;
    assert_eq!(st, 200, "{v}");
    let (active, _) = new_token(&s, &p, json!({"clientId": "c"})).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let (st, page) = list(&s, &p, "clientId=c").await;
    assert_eq!(st, 200, "{page}");
    let got: Vec<(String, String, bool)> = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["scanRef"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
                r["suspected"].as_bool().unwrap(),
            )
        })
        .collect();
    let want = [
        (active, "ACTIVE", false),
        (deleted.clone(), "DELETED", false),
        (suspected.clone(), "SUSPECTED", true),
        (processed, "REVIEWING", false),
        (expired, "EXPIRED", false),
    ]
    .map(|(r, st, sus)| (r, st.to_string(), sus));
    assert_eq!(got, want);
    // The list agrees with `/api/v2/status`.
    for r in [&deleted, &suspected] {
        let (_, st) = s
            .post_json(&p, "/api/v2/status", &json!({"scanRef": r}))
            .await;
        let row = got.iter().find(|g| &g.0 == r).unwrap();
        assert_eq!(st["status"], row.1.as_str());
    }
}

#[tokio::test]
async fn listing_needs_credentials_and_the_get_method() {
    let s = spawn_app().await;
    let p = s.partner(true).await;
    let r = s
        .client
        .get(format!("{}/kyc/identifications/", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let wrong = Partner {
        api_key: p.api_key.clone(),
        api_secret: "nope".into(),
        signing_key: String::new(),
    };
    assert_error(&list(&s, &wrong, "").await, 401, "UNAUTHORIZED");
    assert_error(
        &s.post_json(&p, "/kyc/identifications/", &json!({})).await,
        405,
        "METHOD_NOT_ALLOWED",
    );
    s.disable_partner(&p.api_key).await;
    assert_error(&list(&s, &p, "").await, 403, "PARTNER_CONTRACT_ERROR");
}

#[tokio::test]
async fn a_questionnaire_key_does_not_stop_direct_processing() {
    let s = spawn_app().await;
    let p = s.partner(true).await;
    for q in [json!("onboarding"), Value::Null] {
        let t = s
            .token(
                &p,
                json!({"clientId": "c", "tokenType": "DOCUMENT", "questionnaire": q, "questionnaireRequired": true}),
            )
            .await;
        assert_eq!(t["questionnaire"], q);
        let (st, v) = s
            .post_json(
                &p,
                "/api/v2/process",
                &process_req(t["authToken"].as_str().unwrap()),
            )
            .await;
        assert_eq!(st, 200, "{v}");
        assert!(v.is_null(), "{v}");
    }
}

#[tokio::test]
async fn every_documented_token_type_is_accepted_and_video_calls_are_not_processed() {
    let s = spawn_app().await;
    let p = s.partner(true).await;
    for ty in [
        "IDENTIFICATION",
        "DOCUMENT",
        "VIDEO_CALL",
        "VIDEO_CALL_PHOTOS",
        "VIDEO_CALL_IDENTIFICATION",
    ] {
        let t = s
            .token(
                &p,
                json!({"clientId": "c", "tokenType": ty, "videoCallQuestions": ["Why?"]}),
            )
            .await;
        assert_eq!(t["tokenType"], ty);
        if !ty.starts_with("VIDEO_CALL") {
            continue;
        }
        let auth = t["authToken"].as_str().unwrap();
        let e = s.post_json(&p, "/api/v2/process", &process_req(auth)).await;
        assert_error(&e, 403, "PARTNER_CONTRACT_ERROR");
        let msg = e.1["message"].as_str().unwrap();
        assert!(msg.contains(ty) && msg.contains("video call"), "{msg}");
        // The refusal does not consume the token: it is still listed as ACTIVE.
        let (_, page) = list(&s, &p, "perPage=1").await;
        assert_eq!(page["results"][0]["scanRef"], t["scanRef"]);
        assert_eq!(page["results"][0]["status"], "ACTIVE");
    }
    let e = s
        .post_json(
            &p,
            "/api/v2/token",
            &json!({"clientId": "c", "tokenType": "SELFIE"}),
        )
        .await;
    assert_error(&e, 400, "BAD_VALUE");
    assert!(
        e.1["message"]
            .as_str()
            .unwrap()
            .contains("VIDEO_CALL_PHOTOS")
    );
}

#[tokio::test]
async fn locales_are_resolved_against_idenfys_list() {
    let s = spawn_app().await;
    let p = s.partner(false).await;
    for (sent, echoed) in [
        (json!("lt"), "lt"),
        (json!("ko"), "ko"),
        (json!("PT"), "pt"),
        (Value::Null, "en"),
        // Not on iDenfy's list: falls back to English (§2.1.6).
        (json!("xx"), "en"),
        (json!("en-US"), "en"),
        (json!("english"), "en"),
    ] {
        let t = s.token(&p, json!({"clientId": "c", "locale": sent})).await;
        assert_eq!(t["locale"], echoed);
    }
    let t = s.token(&p, json!({"clientId": "c"})).await;
    assert_eq!(t["locale"], "en");
    // Over iDenfy's 7 characters, or empty.
    for bad in ["portuguese", ""] {
        let e = s
            .post_json(
                &p,
                "/api/v2/token",
                &json!({"clientId": "c", "locale": bad}),
            )
            .await;
        assert_error(&e, 400, "BAD_VALUE");
        assert!(e.1["message"].as_str().unwrap().contains("locale"));
    }
    assert_error(
        &s.post_json(&p, "/api/v2/token", &json!({"clientId": "c", "locale": 7}))
            .await,
        400,
        "JSON_ERROR",
    );
}

#[tokio::test]
async fn a_disabled_partner_is_forbidden_everywhere() {
    let s = spawn_app().await;
    let p = s.partner(true).await;
    let t = s
        .token(&p, json!({"clientId": "c", "tokenType": "DOCUMENT"}))
        .await;
    s.disable_partner(&p.api_key).await;
    let auth = t["authToken"].as_str().unwrap();
    for (path, body) in [
        ("/api/v2/token", json!({"clientId": "c"})),
        ("/api/v2/process", process_req(auth)),
        ("/api/v2/status", json!({"scanRef": t["scanRef"]})),
    ] {
        let e = s.post_json(&p, path, &body).await;
        assert_error(&e, 403, "PARTNER_CONTRACT_ERROR");
        assert_eq!(e.1["message"], "Partner inactive", "{path}");
    }
    // Wrong credentials of a disabled partner say nothing about it.
    let wrong = Partner {
        api_key: p.api_key.clone(),
        api_secret: "nope".into(),
        signing_key: String::new(),
    };
    assert_error(
        &s.post_json(&wrong, "/api/v2/token", &json!({"clientId": "c"}))
            .await,
        401,
        "UNAUTHORIZED",
    );
}
