//! The store test suite: every test runs on SQLite and, when `KYCD_TEST_POSTGRES_URL` is set, on PostgreSQL
//! (each test in a scratch database of its own).

use kycd_store::{
    AcceptedVerification, AttemptRecord, ImageRef, JobOutcome, NewBlocklistEntry, NewPartner,
    NewToken, OutboxEntry, Store, StoreError, now_ms,
};
use kycd_types::token::TokenSettings;
use kycd_types::{PartnerId, TokenType};
use std::collections::BTreeMap;

struct Db {
    store: Store,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("kycd.db").display());
    Db {
        store: Store::connect(&url, 8).await.unwrap(),
        _dir: Some(dir),
    }
}

async fn postgres() -> Option<Db> {
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
                super::$f(super::sqlite().await.store).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                match super::postgres().await {
                    Some(db) => super::$f(db.store).await,
                    None => eprintln!("KYCD_TEST_POSTGRES_URL not set: PostgreSQL run skipped"),
                }
            }
        }
    };
}

async fn partner(store: &Store, key: &str) -> PartnerId {
    store
        .create_partner(NewPartner {
            name: key.into(),
            api_key: key.into(),
            secret_hash: vec![1; 32],
            signing_key_enc: vec![2; 40],
            direct_processing: true,
            manual_review: false,
            webhook_url: Some("https://example.com/hook".into()),
        })
        .await
        .unwrap()
        .id
}

fn settings(auth: &str, scan: &str) -> TokenSettings {
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

async fn token(store: &Store, p: PartnerId, auth: &str, expires_in_ms: i64) -> String {
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

fn accepted(p: PartnerId, auth: &str, scan: &str) -> AcceptedVerification {
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

/// Partner `a` with an accepted verification (token `t`): its id and the scanRef.
async fn accepted_in(store: &Store) -> (PartnerId, String) {
    let a = partner(store, "a").await;
    let scan = token(store, a, "t", 60_000).await;
    store
        .accept_verification(&accepted(a, "t", &scan))
        .await
        .unwrap();
    (a, scan)
}

/// A webhook of `scan` for partner `a` to `https://example.com/h`.
fn webhook(id: &str, scan: &str, a: PartnerId, event: &str, body: &[u8]) -> OutboxEntry {
    OutboxEntry {
        webhook_id: id.into(),
        scan_ref: scan.into(),
        partner_id: a,
        event_type: event.into(),
        url: Some("https://example.com/h".into()),
        body: body.to_vec(),
    }
}

async fn partners_are_created_found_and_disabled(store: Store) {
    let id = partner(&store, "key-a").await;
    let p = store.partner_by_api_key("key-a").await.unwrap().unwrap();
    assert_eq!(p.id, id);
    assert!(p.direct_processing && !p.disabled);
    assert!(matches!(
        store
            .create_partner(NewPartner {
                name: "dup".into(),
                api_key: "key-a".into(),
                secret_hash: vec![],
                signing_key_enc: vec![],
                direct_processing: false,
                manual_review: false,
                webhook_url: None
            })
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(store.set_partner_disabled("key-a", true).await.unwrap());
    assert!(
        store
            .partner_by_api_key("key-a")
            .await
            .unwrap()
            .unwrap()
            .disabled
    );
    assert!(!store.set_partner_disabled("nope", true).await.unwrap());
    assert_eq!(store.list_partners().await.unwrap().len(), 1);
}
on_all_backends!(partners, partners_are_created_found_and_disabled);

async fn a_token_is_consumed_once_and_only_by_its_partner(store: Store) {
    let a = partner(&store, "a").await;
    let b = partner(&store, "b").await;
    let scan = token(&store, a, "tok1", 60_000).await;
    assert!(matches!(
        store.accept_verification(&accepted(b, "tok1", &scan)).await,
        Err(StoreError::TokenNotValid)
    ));
    store
        .accept_verification(&accepted(a, "tok1", &scan))
        .await
        .unwrap();
    assert!(matches!(
        store.accept_verification(&accepted(a, "tok1", &scan)).await,
        Err(StoreError::TokenNotValid)
    ));
    let v = store
        .verification_for_partner(&scan, a)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.status, "REVIEWING");
    assert!(
        store
            .verification_for_partner(&scan, b)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.count_jobs("queued").await.unwrap(), 1);
    let scan2 = token(&store, a, "tok2", -1).await;
    assert!(matches!(
        store
            .accept_verification(&accepted(a, "tok2", &scan2))
            .await,
        Err(StoreError::TokenNotValid)
    ));
    assert!(store.token_for_partner("tok2", b).await.unwrap().is_none());
}
on_all_backends!(
    token_consumption,
    a_token_is_consumed_once_and_only_by_its_partner
);

async fn fifty_concurrent_accepts_of_one_token_succeed_exactly_once(store: Store) {
    let a = partner(&store, "a").await;
    let scan = token(&store, a, "race", 60_000).await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let s = store.clone();
        let scan = scan.clone();
        tasks.push(tokio::spawn(async move {
            s.accept_verification(&accepted(a, "race", &scan)).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => ok += 1,
            Err(StoreError::TokenNotValid) => {}
            Err(StoreError::Db(e))
                if e.to_string().contains("UNIQUE") || e.to_string().contains("duplicate") =>
            {
                panic!("a second verification was attempted: {e}")
            }
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(store.count_jobs("queued").await.unwrap(), 1);
}
on_all_backends!(
    concurrent_accepts,
    fifty_concurrent_accepts_of_one_token_succeed_exactly_once
);

async fn jobs_are_leased_finished_once_and_reclaimed_after_lease_expiry(store: Store) {
    let (a, scan) = accepted_in(&store).await;
    let j1 = store.claim_job("w1", 50).await.unwrap().unwrap();
    assert_eq!(j1.scan_ref, scan);
    assert!(
        store.claim_job("w2", 50).await.unwrap().is_none(),
        "a leased job is not claimable"
    );
    tokio::time::sleep(std::time::Duration::from_millis(80)).await;
    let j2 = store
        .claim_job("w2", 60_000)
        .await
        .unwrap()
        .expect("expired lease is claimable");
    assert_eq!(j2.attempts, 2);
    let outcome = JobOutcome {
        status: "DENIED".into(),
        result: serde_json::json!({"scanRef": scan}),
        outbox: Some(webhook(
            "msg_1",
            &scan,
            a,
            "IDENTIFICATION_AUTO_FINISHED",
            b"{}",
        )),
    };
    assert!(
        !store.complete_job(&j1, &outcome).await.unwrap(),
        "the worker that lost its lease writes nothing"
    );
    assert!(store.complete_job(&j2, &outcome).await.unwrap());
    let v = store.verification(&scan).await.unwrap().unwrap();
    assert_eq!(v.status, "DENIED");
    assert_eq!(store.count_webhooks("pending").await.unwrap(), 1);
    assert_eq!(store.count_jobs("done").await.unwrap(), 1);
}
on_all_backends!(
    job_leases,
    jobs_are_leased_finished_once_and_reclaimed_after_lease_expiry
);

async fn failed_jobs_retry_then_die_and_can_be_redriven(store: Store) {
    let (_, scan) = accepted_in(&store).await;
    let j = store.claim_job("w", 60_000).await.unwrap().unwrap();
    store.fail_job(&j, "boom", 0).await.unwrap();
    let j = store.claim_job("w", 60_000).await.unwrap().unwrap();
    assert!(j.is_last_attempt());
    store.fail_job(&j, "boom", 0).await.unwrap();
    assert!(store.claim_job("w", 60_000).await.unwrap().is_none());
    assert_eq!(store.count_jobs("dead").await.unwrap(), 1);
    assert_eq!(store.redrive_dead_jobs(Some(&scan)).await.unwrap(), 1);
    assert!(store.claim_job("w", 60_000).await.unwrap().is_some());
}
on_all_backends!(job_retries, failed_jobs_retry_then_die_and_can_be_redriven);

async fn outbox_rows_are_claimed_attempted_and_replayed(store: Store) {
    let a = partner(&store, "a").await;
    let entry = webhook("msg_x", "s1", a, "IDENTIFICATION_EXPIRED", b"{\"a\":1}");
    store.enqueue_webhook(&entry).await.unwrap();
    let d = store.claim_delivery(60_000).await.unwrap().unwrap();
    assert_eq!(d.body, b"{\"a\":1}");
    assert!(store.claim_delivery(60_000).await.unwrap().is_none());
    let retry = AttemptRecord {
        status_code: Some(500),
        duration_ms: 3,
        error: None,
        response_body: Some("oops".into()),
        new_state: "pending",
        next_attempt_at: now_ms() - 1,
    };
    store.record_attempt(&d, &retry).await.unwrap();
    let d = store.claim_delivery(60_000).await.unwrap().unwrap();
    assert_eq!(d.attempts, 1);
    let ok = AttemptRecord {
        status_code: Some(200),
        new_state: "delivered",
        error: None,
        ..retry
    };
    store.record_attempt(&d, &ok).await.unwrap();
    let list = store.webhooks_for("s1", Some(a)).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].state, "delivered");
    assert_eq!(list[0].attempt_log.len(), 2);
    assert_eq!(store.replay_webhooks("s1", Some(a)).await.unwrap(), 1);
    assert!(store.claim_delivery(60_000).await.unwrap().is_some());
}
on_all_backends!(outbox, outbox_rows_are_claimed_attempted_and_replayed);

async fn deletion_leaves_a_tombstone_without_personal_data(store: Store) {
    let (a, scan) = accepted_in(&store).await;
    assert!(store.tombstone_verification(&scan, a).await.unwrap());
    let v = store.verification(&scan).await.unwrap().unwrap();
    assert_eq!(v.status, "DELETED");
    assert!(v.result.is_none() && v.images.is_empty() && v.deleted_at.is_some());
    let b = partner(&store, "b").await;
    assert!(!store.tombstone_verification(&scan, b).await.unwrap());
}
on_all_backends!(deletion, deletion_leaves_a_tombstone_without_personal_data);

async fn personal_data_columns_are_sealed_with_encryption_on(store: Store) {
    let store = store.with_encryption(kycd_store::Keyring::from_master(&[6u8; 32]).unwrap());
    assert!(store.encrypted());
    let a = partner(&store, "a").await;
    let scan = uuid::Uuid::new_v4().to_string();
    let mut s = settings("t", &scan);
    s.first_name = Some("Zygfrydas".into());
    store
        .insert_token(&NewToken {
            partner_id: a,
            settings: s,
            created_at: now_ms(),
            expires_at: now_ms() + 60_000,
        })
        .await
        .unwrap();
    let t = store.token_for_partner("t", a).await.unwrap().unwrap();
    assert_eq!(t.settings.first_name.as_deref(), Some("Zygfrydas"));
    store
        .accept_verification(&accepted(a, "t", &scan))
        .await
        .unwrap();
    let job = store.claim_job("w1", 60_000).await.unwrap().unwrap();
    let outcome = JobOutcome {
        status: "APPROVED".into(),
        result: serde_json::json!({"scanRef": scan, "data": {"docFirstName": "Zygfrydas"}}),
        outbox: Some(webhook(
            "msg_sealed",
            &scan,
            a,
            "IDENTIFICATION_AUTO_FINISHED",
            b"{\"docFirstName\":\"Zygfrydas\"}",
        )),
    };
    assert!(store.complete_job(&job, &outcome).await.unwrap());
    let v = store.verification(&scan).await.unwrap().unwrap();
    assert_eq!(v.result.unwrap()["data"]["docFirstName"], "Zygfrydas");
    let d = store.claim_delivery(60_000).await.unwrap().unwrap();
    assert_eq!(d.body, b"{\"docFirstName\":\"Zygfrydas\"}");
    // In the columns themselves the name is nowhere.
    for sql in [
        "SELECT settings_json AS v FROM tokens",
        "SELECT result_json AS v FROM verifications",
    ] {
        let rows = sqlx::query(sql).fetch_all(store.pool()).await.unwrap();
        for r in rows {
            let v: String = sqlx::Row::try_get(&r, "v").unwrap();
            assert!(
                v.starts_with("kycd:sealed:v1:") && !v.contains("Zygfrydas"),
                "{v}"
            );
        }
    }
    let rows = sqlx::query("SELECT body FROM webhook_outbox")
        .fetch_all(store.pool())
        .await
        .unwrap();
    for r in rows {
        let b: Vec<u8> = sqlx::Row::try_get(&r, "body").unwrap();
        assert!(b.starts_with(b"KYCDSEAL1"));
    }
    // A store opened with another master key refuses to read, rather than returning garbage.
    let other = store.with_encryption(kycd_store::Keyring::from_master(&[7u8; 32]).unwrap());
    assert!(other.verification(&scan).await.is_err());
}
on_all_backends!(
    sealed_columns,
    personal_data_columns_are_sealed_with_encryption_on
);

async fn fraud_data_is_stored_matched_and_erased(store: Store) {
    let (a, scan) = accepted_in(&store).await;
    let b = partner(&store, "b").await;
    assert_eq!(store.partner_by_id(b).await.unwrap().unwrap().api_key, "b");
    store
        .put_face_embedding(&scan, a, "client-1", "SELFIE", &[1, 2])
        .await
        .unwrap();
    store
        .put_face_embedding(&scan, a, "client-1", "SELFIE", &[3, 4])
        .await
        .unwrap();
    assert_eq!(
        store.face_embedding(&scan, "SELFIE").await.unwrap(),
        Some(vec![3, 4])
    );
    let faces = store
        .face_embeddings_after(a, "SELFIE", 0, 10)
        .await
        .unwrap();
    assert_eq!(faces.len(), 1);
    assert!(
        store
            .face_embeddings_after(b, "SELFIE", 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let keys = [("DOC".to_string(), "k1".to_string())];
    store.put_keys(&scan, a, "client-1", &keys).await.unwrap();
    store.put_keys("other", a, "client-2", &keys).await.unwrap();
    let m = store.key_matches(a, "DOC", "k1", &scan).await.unwrap();
    assert_eq!((m.len(), m[0].scan_ref.as_str()), (1, "other"));
    store.erase_derived(&scan).await.unwrap();
    assert!(
        store
            .faces_present(std::slice::from_ref(&scan), "SELFIE")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .key_matches(a, "DOC", "k1", "other")
            .await
            .unwrap()
            .is_empty()
    );

    let entry = NewBlocklistEntry {
        partner_id: a,
        source: "DOCUMENT_INFO".into(),
        scan_ref: scan.clone(),
        reason: Some("fraud".into()),
        embedding_enc: None,
        data_key: Some("dk".into()),
        data_enc: Some(vec![9]),
    };
    store.add_blocklist(&entry).await.unwrap();
    let again = store.add_blocklist(&entry).await.unwrap();
    let list = store.blocklist(a, "DOCUMENT_INFO").await.unwrap();
    assert_eq!((list.len(), list[0].id), (1, again.id));
    assert_eq!(
        store.blocklist_sources_of(&scan).await.unwrap(),
        ["DOCUMENT_INFO"]
    );
    assert_eq!(
        store.blocklist_data_matches(a, "dk", "x").await.unwrap(),
        std::slice::from_ref(&scan)
    );
    assert!(
        store
            .remove_blocklist(a, "DOCUMENT_INFO", &scan)
            .await
            .unwrap()
    );
    assert!(
        !store
            .remove_blocklist(a, "DOCUMENT_INFO", &scan)
            .await
            .unwrap()
    );
}
on_all_backends!(fraud_data, fraud_data_is_stored_matched_and_erased);

async fn finished_verifications_are_reopened_and_results_replaced(store: Store) {
    let (a, scan) = accepted_in(&store).await;
    let image = ImageRef {
        key: "k".into(),
        mime: "application/pdf".into(),
        size: 3,
    };
    assert!(
        !store
            .reopen_with_file(&scan, a, "UTILITY_BILL", &image, 2)
            .await
            .unwrap(),
        "an unfinished verification is not reopened"
    );
    let job = store.claim_job("w", 60_000).await.unwrap().unwrap();
    let outcome = JobOutcome {
        status: "APPROVED".into(),
        result: serde_json::json!({"scanRef": scan}),
        outbox: None,
    };
    assert!(store.complete_job(&job, &outcome).await.unwrap());
    let b = partner(&store, "b").await;
    assert!(
        !store
            .reopen_with_file(&scan, b, "UTILITY_BILL", &image, 2)
            .await
            .unwrap()
    );
    assert!(
        store
            .reopen_with_file(&scan, a, "UTILITY_BILL", &image, 2)
            .await
            .unwrap()
    );
    let v = store.verification(&scan).await.unwrap().unwrap();
    assert_eq!((v.status.as_str(), v.finished_at), ("REVIEWING", None));
    assert_eq!(v.images["UTILITY_BILL"], image);
    let job = store.claim_job("w", 60_000).await.unwrap().unwrap();
    assert_eq!(job.kind, kycd_store::JobKind::Reprocess);
    store.fail_job(&job, "x", 0).await.unwrap();
    let job = store.claim_job("w", 60_000).await.unwrap().unwrap();
    store.fail_job(&job, "x", 0).await.unwrap();
    assert_eq!(store.redrive_dead_jobs(None).await.unwrap(), 1);
    store
        .set_result(&scan, "DENIED", &serde_json::json!({"manual": true}))
        .await
        .unwrap();
    let v = store
        .verification_for_partner(&scan, a)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (v.status.as_str(), v.result.unwrap()["manual"].as_bool()),
        ("DENIED", Some(true))
    );
    let old = store
        .verifications_created_before(now_ms() + 1, 10)
        .await
        .unwrap();
    assert_eq!(old, [(scan.clone(), a, "t".to_string())]);
    assert!(store.token_by_scan_ref(&scan, a).await.unwrap().is_some());
    token(&store, a, "gone", -1).await;
    let expired = store.take_expired_tokens(now_ms(), 10).await.unwrap();
    assert_eq!(expired.len(), 1);
    assert!(
        store
            .take_expired_tokens(now_ms(), 10)
            .await
            .unwrap()
            .is_empty()
    );
}
on_all_backends!(
    reopen_and_results,
    finished_verifications_are_reopened_and_results_replaced
);
