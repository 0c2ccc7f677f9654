//! In-process test app (zero2prod's `spawn_app`): the real router on `127.0.0.1:0` over a temporary SQLite file and
//! blob folder, with no check engines installed (no models are loaded), for the contract tests of the API.
#![allow(dead_code)]

use base64::Engine;
use kycd_api::{ApiConfig, AppState};
use kycd_store::{Keyring, NewPartner, Store};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

/// Path of a file in the shared test data.
pub fn data(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel)
}

/// A shared test file, base64.
pub fn b64_file(rel: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(std::fs::read(data(rel)).unwrap())
}

/// A partner's credentials.
pub struct Partner {
    pub api_key: String,
    pub api_secret: String,
    pub signing_key: String,
}

/// The running app.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Store,
    keyring: Keyring,
    _dir: tempfile::TempDir,
}

/// Starts the app with the default API configuration.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(ApiConfig::default()).await
}

/// Starts the app with the given API configuration.
pub async fn spawn_app_with(config: ApiConfig) -> TestApp {
    spawn_app_with_checks(config, kycd_pipeline::Checks::default()).await
}

/// Starts the app with the given API configuration and check engines.
pub async fn spawn_app_with_checks(config: ApiConfig, checks: kycd_pipeline::Checks) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let keyring = Keyring::from_master(&[7u8; 32]).unwrap();
    let db = dir.path().join("kycd.db");
    let store = Store::connect(&format!("sqlite://{}?mode=rwc", db.display()), 4)
        .await
        .unwrap()
        .with_encryption(keyring.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState {
        store: store.clone(),
        blobs: kycd_blob::BlobStore::local(dir.path().join("blobs"))
            .unwrap()
            .with_envelope(&keyring.blob_kek()),
        keyring: keyring.clone(),
        checks,
        files: kycd_pipeline::result::FileUrls {
            base: base.clone(),
            keyring: keyring.clone(),
            ttl_secs: 3600,
        },
        limiter: Arc::new(kycd_api::ratelimit::RateLimiter::new(
            config.rate_limit_rps,
            config.rate_limit_burst,
        )),
        config: Arc::new(ApiConfig {
            public_url: base.clone(),
            ..config
        }),
        wake_workers: None,
    };
    tokio::spawn(async move {
        axum::serve(listener, kycd_api::router(state))
            .await
            .unwrap();
    });
    TestApp {
        base,
        client: reqwest::Client::new(),
        store,
        keyring,
        _dir: dir,
    }
}

fn random_hex(bytes: usize) -> String {
    (0..bytes).map(|_| format!("{:02x}", rand_byte())).collect()
}

fn rand_byte() -> u8 {
    let mut b = [0u8; 1];
    getrandom::fill(&mut b).unwrap();
    b[0]
}

impl TestApp {
    /// Creates a partner as `kycd partner create` does.
    pub async fn partner(&self, direct_processing: bool) -> Partner {
        let api_key = random_hex(15);
        let api_secret = random_hex(32);
        let signing_key = random_hex(32);
        self.store
            .create_partner(NewPartner {
                name: "test".into(),
                api_key: api_key.clone(),
                secret_hash: self.keyring.hash_secret(&api_secret).to_vec(),
                signing_key_enc: self.keyring.encrypt(signing_key.as_bytes()).unwrap(),
                direct_processing,
                manual_review: false,
                webhook_url: None,
                aml: true,
                sandbox: false,
                aml_monitoring: false,
                token_defaults: Default::default(),
            })
            .await
            .unwrap();
        Partner {
            api_key,
            api_secret,
            signing_key,
        }
    }

    /// Disables a partner as `kycd partner disable` does.
    pub async fn disable_partner(&self, api_key: &str) {
        assert!(
            self.store
                .set_partner_disabled(api_key, true)
                .await
                .unwrap()
        );
    }

    pub async fn post(
        &self,
        p: &Partner,
        path: &str,
        body: impl Into<reqwest::Body>,
    ) -> (u16, String) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .basic_auth(&p.api_key, Some(&p.api_secret))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    pub async fn post_json(&self, p: &Partner, path: &str, body: &Value) -> (u16, Value) {
        let (s, t) = self.post(p, path, body.to_string()).await;
        (
            s,
            if t.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&t).unwrap_or(Value::String(t))
            },
        )
    }

    pub async fn token(&self, p: &Partner, req: Value) -> Value {
        let (s, v) = self.post_json(p, "/api/v2/token", &req).await;
        assert_eq!(s, 201, "token creation failed: {v}");
        v
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
