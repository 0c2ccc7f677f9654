//! In-process test app (zero2prod's `spawn_app`): the real router on `127.0.0.1:0` over a temporary SQLite file and
//! blob folder, with no check engines installed (no models are loaded), for the contract tests of the API.
#![allow(dead_code)]

use kycd_api::{ApiConfig, AppState};
use kycd_store::{Keyring, NewPartner, Store};
use std::sync::Arc;

pub use kycd_testkit::*;

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
                direct_processing,
                ..NewPartner::new(
                    "test",
                    api_key.clone(),
                    self.keyring.hash_secret(&api_secret).to_vec(),
                    self.keyring.encrypt(signing_key.as_bytes()).unwrap(),
                )
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
}

impl Api for TestApp {
    fn base(&self) -> &str {
        &self.base
    }

    fn http(&self) -> &reqwest::Client {
        &self.client
    }
}
