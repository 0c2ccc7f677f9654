//! Test support shared by the HTTP tests of `kycd-api` (the in-process app) and of `kycd` (the real binary): the
//! shared test data, a partner's credentials, and the API calls and assertions both harnesses make. A dev-dependency
//! only; nothing here is part of the service.

use base64::Engine;
use serde_json::{Value, json};
use std::path::PathBuf;

/// Path of a file in the shared test data (`../shared/data` beside the repository).
pub fn data(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel)
}

/// A shared test file, base64.
pub fn b64_file(rel: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(std::fs::read(data(rel)).unwrap())
}

/// A shared passport photo that validates (used where any readable document will do).
pub const UTO: &str = "documents/passporteye/100_pass-uto.jpg";

/// A partner's credentials.
pub struct Partner {
    pub api_key: String,
    pub api_secret: String,
    pub signing_key: String,
}

/// A `/api/v2/process` body for a Lithuanian passport with these images.
pub fn process_req(token: &str, images: Value) -> Value {
    json!({ "token": token, "country": "lt", "documentType": "PASSPORT", "images": images })
}

/// The partner API calls of a running kycd, whichever way it was started.
#[allow(async_fn_in_trait)]
pub trait Api {
    /// `http://host:port` of the API.
    fn base(&self) -> &str;
    /// The HTTP client.
    fn http(&self) -> &reqwest::Client;

    /// POSTs a JSON body with the partner's credentials: status and body text.
    async fn post(&self, p: &Partner, path: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
        let r = self
            .http()
            .post(format!("{}{path}", self.base()))
            .basic_auth(&p.api_key, Some(&p.api_secret))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    /// POSTs JSON: status and the parsed body (`Null` when empty, the text as a string when not JSON).
    async fn post_json(&self, p: &Partner, path: &str, body: &Value) -> (u16, Value) {
        let (s, t) = self.post(p, path, body.to_string()).await;
        let v = if t.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&t).unwrap_or(Value::String(t))
        };
        (s, v)
    }

    /// Creates a token (asserting `201`) and returns the response.
    async fn token(&self, p: &Partner, req: Value) -> Value {
        let (s, v) = self.post_json(p, "/api/v2/token", &req).await;
        assert_eq!(s, 201, "token creation failed: {v}");
        v
    }

    /// A fresh `DOCUMENT` token's `authToken`.
    async fn doc_token(&self, p: &Partner) -> String {
        self.token(p, json!({ "clientId": "c1", "tokenType": "DOCUMENT" }))
            .await["authToken"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// After a failed validation the token is still usable: a correct request with it is accepted.
    async fn assert_token_still_usable(&self, p: &Partner, token: &str) {
        let body = process_req(token, json!({ "FRONT": b64_file(UTO) }));
        let (st, v) = self.post_json(p, "/api/v2/process", &body).await;
        assert_eq!(st, 200, "token was consumed by a failed validation: {v}");
    }
}

/// Checks an error response: status code, identifier and the four envelope keys.
pub fn assert_error(resp: &(u16, Value), status: u16, identifier: &str) {
    let (s, v) = resp;
    assert_eq!(*s, status, "{v}");
    assert_eq!(v["identifier"], identifier, "{v}");
    assert_eq!(v["severity"], "NOT_SEVERE");
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(v.get("documentation").is_some());
}
