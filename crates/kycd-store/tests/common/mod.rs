//! The store tests' harness: a store on SQLite and, when `KYCD_TEST_POSTGRES_URL` is set, on PostgreSQL (each test
//! in a scratch database of its own), and the partners, tokens and verifications the tests start from.
#![allow(dead_code)]

use kycd_store::{AcceptedVerification, NewPartner, NewToken, Store, now_ms};
use kycd_types::token::TokenSettings;
use kycd_types::{PartnerId, TokenType};
use std::collections::BTreeMap;

pub struct Db {
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("kycd.db").display());
    Db {
        store: Store::connect(&url, 8).await.unwrap(),
        _dir: Some(dir),
    }
}

pub async fn postgres() -> Option<Db> {
    let admin = std::env::var("KYCD_TEST_POSTGRES_URL").ok()?;
    let name = format!("kycd_t_{}", uuid::Uuid::new_v4().simple());
    let admin_store_url = admin.clone();
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&admin_store_url)
        .await
        .expect("connect KYCD_TEST_POSTGRES_URL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or(admin);
    Some(Db {
        store: Store::connect(&format!("{base}/{name}"), 8).await.unwrap(),
        _dir: None,
    })
}

/// Runs `f` against every configured backend.
macro_rules! on_all_backends {
    ($name:ident, $f:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$f($crate::common::sqlite().await.store).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                match $crate::common::postgres().await {
                    Some(db) => super::$f(db.store).await,
                    None => eprintln!("KYCD_TEST_POSTGRES_URL not set: PostgreSQL run skipped"),
                }
            }
        }
    };
}

/// A partner whose name and API key are `key`.
pub async fn partner(store: &Store, key: &str) -> PartnerId {
    store
        .create_partner(NewPartner {
            webhook_url: Some("https://example.com/hook".into()),
            ..NewPartner::new(key, key, vec![1; 32], vec![2; 40])
        })
        .await
        .unwrap()
        .id
}

/// Token settings of client `client-1` with token `auth` for verification `scan`.
pub fn settings(auth: &str, scan: &str) -> TokenSettings {
    serde_json::from_value(serde_json::json!({
        "authToken": auth, "scanRef": scan, "clientId": "client-1", "personScanRef": "client-1",
        "externalRef": null, "tokenType": TokenType::Identification, "firstName": null, "lastName": null,
        "dateOfBirth": null, "sex": null, "nationality": null, "personalNumber": null, "documentNumber": null,
        "dateOfExpiry": null, "dateOfIssue": null, "address": null, "country": null, "documents": ["PASSPORT"],
        "allowedDocuments": {"ALL": ["PASSPORT"]}, "registryCentersCountries": null, "expiryTime": 3600,
        "sessionLength": 600, "successUrl": null, "errorUrl": null, "unverifiedUrl": null, "callbackUrl": null,
        "locale": "en", "theme": null, "questionnaire": null, "riskAssessmentProfile": null, "utilityBill": false,
        "additionalSteps": null, "additionalData": null, "videoCallQuestions": [],
        "faceMatchingThresholdModifier": 1.0, "ageLimit": null, "ageMax": null, "digitString": null,
        "redirectUrl": null, "checkAml": true
    }))
    .unwrap()
}

/// A token `auth` of partner `p`; returns its new scanRef.
pub async fn token(store: &Store, p: PartnerId, auth: &str, expires_in_ms: i64) -> String {
    let scan = uuid::Uuid::new_v4().to_string();
    store
        .insert_token(&NewToken {
            partner_id: p,
            settings: settings(auth, &scan),
            created_at: now_ms(),
            expires_at: now_ms() + expires_in_ms,
        })
        .await
        .unwrap();
    scan
}

/// The verification to accept for token `auth` of partner `p`.
pub fn accepted(p: PartnerId, auth: &str, scan: &str) -> AcceptedVerification {
    AcceptedVerification {
        partner_id: p,
        auth_token: auth.into(),
        scan_ref: scan.into(),
        client_id: "client-1".into(),
        country: "LT".into(),
        document_type: Some("PASSPORT".into()),
        skip_analysis: false,
        images: BTreeMap::new(),
        precheck: None,
        max_attempts: 2,
    }
}
