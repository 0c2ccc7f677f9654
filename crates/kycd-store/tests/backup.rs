//! The store side of backups: a `VACUUM INTO` copy holds every committed verification with its image references,
//! opens read-only without migrating, and takes an erasure the live store finished after the copy; the paged image
//! walk and the table counts also work on PostgreSQL (when `KYCD_TEST_POSTGRES_URL` is set).

use kycd_store::{AcceptedVerification, ImageRef, NewPartner, NewToken, Store, now_ms};
use kycd_types::token::TokenSettings;
use kycd_types::{PartnerId, TokenType};
use std::collections::BTreeMap;

async fn partner(store: &Store) -> PartnerId {
    store
        .create_partner(NewPartner {
            aml: false,
            ..NewPartner::new("p", "p", vec![1; 32], vec![2; 40])
        })
        .await
        .unwrap()
        .id
}

fn settings(auth: &str, scan: &str) -> TokenSettings {
    serde_json::from_value(serde_json::json!({
        "authToken": auth, "scanRef": scan, "clientId": "client-1", "personScanRef": "client-1",
        "externalRef": null, "tokenType": TokenType::Identification, "firstName": "Secretname", "lastName": null,
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

/// Accepts one verification with a FRONT image; returns its scanRef.
async fn accept(store: &Store, p: PartnerId, n: usize) -> String {
    let scan = format!("scan-{n:04}-{}", uuid::Uuid::new_v4().simple());
    let auth = format!("auth-{scan}");
    store
        .insert_token(&NewToken {
            partner_id: p,
            settings: settings(&auth, &scan),
            created_at: now_ms(),
            expires_at: now_ms() + 60_000,
        })
        .await
        .unwrap();
    let mut images = BTreeMap::new();
    images.insert(
        "FRONT".to_string(),
        ImageRef {
            key: format!("verifications/{scan}/r/FRONT.png"),
            mime: "image/png".into(),
            size: 10 + n as u64,
        },
    );
    store
        .accept_verification(&AcceptedVerification {
            partner_id: p,
            auth_token: auth,
            scan_ref: scan.clone(),
            client_id: "client-1".into(),
            country: "LT".into(),
            document_type: Some("PASSPORT".into()),
            skip_analysis: true,
            images,
            precheck: None,
            max_attempts: 2,
        })
        .await
        .unwrap();
    scan
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vacuum_copy_holds_the_committed_state_and_takes_a_later_erasure() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("kycd.db").display());
    let live = Store::connect(&url, 4).await.unwrap();
    let p = partner(&live).await;
    let mut scans = Vec::new();
    for n in 0..3 {
        scans.push(accept(&live, p, n).await);
    }
    let copy_path = dir.path().join("backup.db");
    live.vacuum_into(&copy_path).await.unwrap();
    // Written after the copy: not in it.
    let late = accept(&live, p, 9).await;

    let copy = Store::open_sqlite_file(&copy_path, true).await.unwrap();
    let all = copy.all_verification_images().await.unwrap();
    assert_eq!(
        all.iter().map(|v| v.scan_ref.clone()).collect::<Vec<_>>(),
        scans
    );
    assert!(all.iter().all(|v| !v.erased && !v.finished));
    assert_eq!(all[1].images["FRONT"].size, 11);
    assert_eq!(copy.table_counts().await.unwrap()["verifications"], 3);
    assert_eq!(live.table_counts().await.unwrap()["verifications"], 4);
    assert_eq!(copy.verification_erased(&late).await.unwrap(), None);
    // Paging by scanRef.
    let page = copy.verification_images_page(&scans[0], 1).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].scan_ref, scans[1]);

    // The live store erases scans[1] (verification, then the token's settings).
    assert!(live.tombstone_verification(&scans[1], p).await.unwrap());
    let mut t = live
        .token_by_scan_ref(&scans[1], p)
        .await
        .unwrap()
        .expect("token");
    t.settings.scrub_personal_data();
    live.update_token_settings(p, &t.settings, true)
        .await
        .unwrap();
    assert_eq!(
        live.verification_erased(&scans[1]).await.unwrap(),
        Some(true)
    );
    assert!(copy.copy_erasure_from(&live, &scans[1], p).await.unwrap());
    let v = copy.verification(&scans[1]).await.unwrap().unwrap();
    assert_eq!(v.status, "DELETED");
    assert!(v.images.is_empty());
    let tok = copy.token_by_scan_ref(&scans[1], p).await.unwrap().unwrap();
    assert_eq!(tok.settings.first_name, None, "the token is scrubbed too");
    assert_eq!(
        copy.verification_erased(&scans[0]).await.unwrap(),
        Some(false)
    );
    assert!(copy.integrity_problems().await.unwrap().is_empty());
    copy.close().await;
    // A finished copy is one self-contained file (rollback journal, nothing left beside it).
    assert!(!dir.path().join("backup.db-wal").exists());
    let ro = Store::open_sqlite_file(&copy_path, false).await.unwrap();
    assert_eq!(ro.all_verification_images().await.unwrap().len(), 3);
    assert!(ro.integrity_problems().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_walk_and_counts_work_on_postgres() {
    let Ok(admin) = std::env::var("KYCD_TEST_POSTGRES_URL") else {
        eprintln!("KYCD_TEST_POSTGRES_URL not set: PostgreSQL run skipped");
        return;
    };
    let name = format!("kycd_t_{}", uuid::Uuid::new_v4().simple());
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .unwrap();
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or(admin.clone());
    let store = Store::connect(&format!("{base}/{name}"), 4).await.unwrap();
    let p = partner(&store).await;
    let a = accept(&store, p, 1).await;
    let b = accept(&store, p, 2).await;
    let all = store.all_verification_images().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].scan_ref, a);
    assert_eq!(
        all[1].images["FRONT"].key,
        format!("verifications/{b}/r/FRONT.png")
    );
    let counts = store.table_counts().await.unwrap();
    assert_eq!(counts["verifications"], 2);
    assert_eq!(counts["partners"], 1);
    assert!(!counts.contains_key("_sqlx_migrations"));
    assert!(store.schema_version().await.unwrap().is_some());
    assert!(store.integrity_problems().await.unwrap().is_empty());
    assert!(
        store
            .vacuum_into(std::path::Path::new("/tmp/x"))
            .await
            .is_err()
    );
    store.close().await;
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&pool)
        .await;
}
