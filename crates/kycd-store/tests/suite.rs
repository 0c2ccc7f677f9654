//! The store test suite: every test runs on SQLite and, when `KYCD_TEST_POSTGRES_URL` is set, on PostgreSQL
//! (each test in a scratch database of its own).

use crate::common;
use common::*;
use kycd_store::{
    AcceptedVerification, AttemptRecord, ImageRef, JobOutcome, NewBlocklistEntry, NewPartner,
    NewToken, OutboxEntry, PartnerUpdate, Store, StoreError, TokenDefaults, now_ms,
};
use kycd_types::PartnerId;

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
                direct_processing: false,
                ..NewPartner::new("dup", "key-a", vec![], vec![])
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
    assert_eq!(
        store
            .count_jobs(kycd_store::JobState::Queued)
            .await
            .unwrap(),
        1
    );
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
    assert_eq!(
        store
            .count_jobs(kycd_store::JobState::Queued)
            .await
            .unwrap(),
        1
    );
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
    assert_eq!(
        store.count_jobs(kycd_store::JobState::Done).await.unwrap(),
        1
    );
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
    assert_eq!(
        store.count_jobs(kycd_store::JobState::Dead).await.unwrap(),
        1
    );
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

/// Values sealed with key 4, counted then re-sealed by a rotation to key 5 in batches of one row, readable by key 5
/// alone afterwards (the pepper kept), and no longer by key 4.
async fn a_rotation_reseals_every_encrypted_value_and_keeps_the_pepper(store: Store) {
    use kycd_store::{Keyring, NewPartner};
    let old = Keyring::from_master(&[4u8; 32]).unwrap();
    let s_old = store.clone().with_encryption(old.clone());
    s_old.store_pepper().await.unwrap();
    let a = s_old
        .create_partner(NewPartner {
            webhook_url: Some("https://example.com/hook".into()),
            ..NewPartner::new(
                "rot",
                "rot",
                old.hash_secret("secret").to_vec(),
                old.encrypt(b"signing key").unwrap(),
            )
        })
        .await
        .unwrap()
        .id;
    let mut scans = Vec::new();
    for i in 0..2 {
        let auth = format!("rot-{i}");
        let scan = uuid::Uuid::new_v4().to_string();
        let mut st = settings(&auth, &scan);
        st.first_name = Some("Zygfrydas".into());
        s_old
            .insert_token(&NewToken {
                partner_id: a,
                settings: st,
                created_at: now_ms(),
                expires_at: now_ms() + 60_000,
            })
            .await
            .unwrap();
        s_old
            .accept_verification(&accepted(a, &auth, &scan))
            .await
            .unwrap();
        let job = s_old.claim_job("w1", 60_000).await.unwrap().unwrap();
        let outcome = JobOutcome {
            status: "APPROVED".into(),
            result: serde_json::json!({"scanRef": scan, "data": {"docFirstName": "Zygfrydas"}}),
            outbox: Some(webhook(
                &format!("msg_rot_{i}"),
                &scan,
                a,
                "IDENTIFICATION_AUTO_FINISHED",
                b"{}",
            )),
        };
        assert!(s_old.complete_job(&job, &outcome).await.unwrap());
        scans.push(scan);
    }

    let rot = Keyring::from_masters(&[5u8; 32], Some(&[4u8; 32])).unwrap();
    let s_rot = store.clone().with_encryption(rot.clone());
    assert!(s_rot.load_pepper().await.unwrap());
    assert_eq!(rot.hash_secret("secret"), old.hash_secret("secret"));
    let walk = |check_only: bool| {
        let s_rot = s_rot.clone();
        async move {
            let mut under_old = 0;
            for i in 0..Store::rekey_columns().len() {
                let mut cursor: Option<String> = None;
                loop {
                    let b = s_rot
                        .rekey_batch(i, cursor.as_deref(), 1, check_only)
                        .await
                        .unwrap();
                    under_old += b.previous;
                    assert_eq!(b.raced, 0);
                    if b.done {
                        break;
                    }
                    cursor = b.cursor;
                }
            }
            under_old
        }
    };
    // key material 1 + signing key 1 + 2 tokens + 2 results + 2 webhook bodies.
    assert_eq!(walk(true).await, 8, "counted, not changed");
    assert_eq!(walk(true).await, 8);
    assert_eq!(walk(false).await, 8);
    assert_eq!(walk(true).await, 0, "nothing left under the old key");

    let new_only = Keyring::from_master(&[5u8; 32]).unwrap();
    let s_new = store.clone().with_encryption(new_only.clone());
    assert!(s_new.load_pepper().await.unwrap());
    assert_eq!(new_only.hash_secret("secret"), old.hash_secret("secret"));
    for scan in &scans {
        let v = s_new.verification(scan).await.unwrap().unwrap();
        assert_eq!(v.result.unwrap()["data"]["docFirstName"], "Zygfrydas");
    }
    let t = s_new.token_for_partner("rot-0", a).await.unwrap().unwrap();
    assert_eq!(t.settings.first_name.as_deref(), Some("Zygfrydas"));
    let p = s_new.partner_by_key_or_name("rot").await.unwrap().unwrap();
    assert_eq!(
        new_only.decrypt(&p.signing_key_enc).unwrap(),
        b"signing key"
    );
    assert_eq!(
        s_new.claim_delivery(60_000).await.unwrap().unwrap().body,
        b"{}"
    );
    // The old key alone opens nothing any more.
    let s_old_only = store
        .clone()
        .with_encryption(Keyring::from_master(&[4u8; 32]).unwrap());
    assert!(s_old_only.load_pepper().await.is_err());
    assert!(s_old_only.verification(&scans[0]).await.is_err());

    // The rotation's progress record.
    assert_eq!(store.key_rotation_state().await.unwrap(), None);
    let st = serde_json::json!({"oldKey": "a", "newKey": "b", "column": 3});
    store.set_key_rotation_state(&st).await.unwrap();
    store.set_key_rotation_state(&st).await.unwrap();
    assert_eq!(store.key_rotation_state().await.unwrap(), Some(st));
}
on_all_backends!(
    key_rotation,
    a_rotation_reseals_every_encrypted_value_and_keeps_the_pepper
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
    let found = store
        .blocklist_entry(a, "DOCUMENT_INFO", &scan)
        .await
        .unwrap()
        .expect("the entry");
    assert_eq!(
        (found.id, found.reason.as_deref()),
        (again.id, Some("fraud"))
    );
    for (partner, source) in [(PartnerId(a.0 + 1_000), "DOCUMENT_INFO"), (a, "SELFIE")] {
        assert!(
            store
                .blocklist_entry(partner, source, &scan)
                .await
                .unwrap()
                .is_none()
        );
    }
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

async fn partner_settings_are_defaulted_updated_and_cleared(store: Store) {
    // A partner written before the settings existed gets AML on and no token defaults (the migration's defaults).
    sqlx::query(
        "INSERT INTO partners (name, api_key, secret_hash, signing_key_enc, created_at) \
         VALUES ('old', 'key-old', $1, $2, 0)",
    )
    .bind(vec![1u8; 32])
    .bind(vec![2u8; 40])
    .execute(store.pool())
    .await
    .unwrap();
    let old = store.partner_by_api_key("key-old").await.unwrap().unwrap();
    assert!(old.aml);
    assert!(!old.sandbox, "an existing partner is a production partner");
    assert!(old.token_defaults.is_empty());
    // A partner is found by its name as well as by its API key.
    let by_name = store
        .update_partner(
            "old",
            &PartnerUpdate {
                manual_review: Some(true),
                ..PartnerUpdate::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((by_name.id, by_name.manual_review), (old.id, true));

    let id = partner(&store, "key-s").await;
    let u = PartnerUpdate {
        aml: Some(false),
        default_expiry_time: Some(Some(86_400)),
        default_documents: Some(Some(vec!["PASSPORT".into(), "ID_CARD".into()])),
        default_country: Some(Some("LT".into())),
        ..PartnerUpdate::default()
    };
    let p = store.update_partner("key-s", &u).await.unwrap().unwrap();
    assert_eq!(p.id, id);
    assert!(!p.aml);
    assert_eq!(
        p.token_defaults,
        TokenDefaults {
            expiry_time: Some(86_400),
            documents: Some(vec!["PASSPORT".into(), "ID_CARD".into()]),
            country: Some("LT".into()),
        }
    );
    // Untouched settings keep their values; what is read back is what was written.
    assert!(p.direct_processing && !p.manual_review);
    assert_eq!(p.webhook_url.as_deref(), Some("https://example.com/hook"));
    let again = store.partner_by_id(id).await.unwrap().unwrap();
    assert_eq!(again.token_defaults, p.token_defaults);
    assert!(!again.aml);
    // Sandbox on, then off: the other settings stay.
    let sandbox = |on| PartnerUpdate {
        sandbox: Some(on),
        ..PartnerUpdate::default()
    };
    let p = store
        .update_partner("key-s", &sandbox(true))
        .await
        .unwrap()
        .unwrap();
    assert!(p.sandbox && !p.aml);
    assert!(store.partner_by_id(id).await.unwrap().unwrap().sandbox);
    let p = store
        .update_partner("key-s", &sandbox(false))
        .await
        .unwrap()
        .unwrap();
    assert!(!p.sandbox);

    // `Some(None)` removes one default and the webhook URL; other defaults stay.
    let p = store
        .update_partner(
            "key-s",
            &PartnerUpdate {
                webhook_url: Some(None),
                manual_review: Some(true),
                direct_processing: Some(false),
                aml: Some(true),
                default_country: Some(None),
                ..PartnerUpdate::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.webhook_url, None);
    assert!(p.manual_review && !p.direct_processing && p.aml);
    assert_eq!(p.token_defaults.country, None);
    assert_eq!(p.token_defaults.expiry_time, Some(86_400));

    // Unknown partner; a name shared by two partners is refused, their API keys still work.
    assert!(
        store
            .update_partner("nobody", &PartnerUpdate::default())
            .await
            .unwrap()
            .is_none()
    );
    for key in ["twin-1", "twin-2"] {
        store
            .create_partner(NewPartner {
                direct_processing: false,
                ..NewPartner::new("twin", key, vec![1; 32], vec![2; 40])
            })
            .await
            .unwrap();
    }
    assert!(matches!(
        store
            .update_partner(
                "twin",
                &PartnerUpdate {
                    aml: Some(false),
                    ..PartnerUpdate::default()
                }
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    let t = store
        .update_partner(
            "twin-2",
            &PartnerUpdate {
                aml: Some(false),
                ..PartnerUpdate::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert!(!t.aml);
    assert!(
        store
            .partner_by_api_key("twin-1")
            .await
            .unwrap()
            .unwrap()
            .aml
    );
}
on_all_backends!(
    partner_settings,
    partner_settings_are_defaulted_updated_and_cleared
);

async fn concurrent_partner_updates_of_different_settings_all_apply(store: Store) {
    let id = partner(&store, "key-c").await;
    let updates = vec![
        PartnerUpdate {
            webhook_url: Some(Some("https://example.com/new".into())),
            ..PartnerUpdate::default()
        },
        PartnerUpdate {
            manual_review: Some(true),
            ..PartnerUpdate::default()
        },
        PartnerUpdate {
            aml: Some(false),
            ..PartnerUpdate::default()
        },
        PartnerUpdate {
            direct_processing: Some(false),
            ..PartnerUpdate::default()
        },
        PartnerUpdate {
            default_expiry_time: Some(Some(60)),
            ..PartnerUpdate::default()
        },
        PartnerUpdate {
            default_documents: Some(Some(vec!["PASSPORT".into()])),
            ..PartnerUpdate::default()
        },
        PartnerUpdate {
            default_country: Some(Some("DE".into())),
            ..PartnerUpdate::default()
        },
    ];
    let tasks: Vec<_> = updates
        .into_iter()
        .map(|u| {
            let s = store.clone();
            tokio::spawn(async move { s.update_partner("key-c", &u).await })
        })
        .collect();
    for t in futures::future::join_all(tasks).await {
        assert!(t.unwrap().unwrap().is_some());
    }
    let p = store.partner_by_id(id).await.unwrap().unwrap();
    assert_eq!(p.webhook_url.as_deref(), Some("https://example.com/new"));
    assert!(p.manual_review && !p.aml && !p.direct_processing);
    assert_eq!(
        p.token_defaults,
        TokenDefaults {
            expiry_time: Some(60),
            documents: Some(vec!["PASSPORT".into()]),
            country: Some("DE".into()),
        }
    );
}
on_all_backends!(
    concurrent_partner_updates,
    concurrent_partner_updates_of_different_settings_all_apply
);

/// Stores a token of `client` created at `created_at` (ms); its scanRef.
async fn listed_token(
    store: &Store,
    p: PartnerId,
    auth: &str,
    client: &str,
    created_at: i64,
) -> String {
    let scan = uuid::Uuid::new_v4().to_string();
    let mut s = settings(auth, &scan);
    s.client_id = client.into();
    store
        .insert_token(&NewToken {
            partner_id: p,
            settings: s,
            created_at,
            expires_at: created_at + 3_600_000,
        })
        .await
        .unwrap();
    scan
}

async fn identifications_are_listed_per_partner_newest_first(store: Store) {
    let a = partner(&store, "list-a").await;
    let b = partner(&store, "list-b").await;
    let t0 = now_ms();
    // Partner a: 7 tokens, clients alternating; two share a creation time (the scanRef breaks the tie).
    let mut a_all = Vec::new();
    for i in 0..7i64 {
        let client = if i % 2 == 0 { "even" } else { "odd" };
        let at = if i == 6 { t0 + 5 } else { t0 + i };
        let auth = format!("la{i}");
        let scan = listed_token(&store, a, &auth, client, at).await;
        a_all.push((at, scan, client, auth));
        listed_token(&store, b, &format!("lb{i}"), client, at).await;
    }
    a_all.sort_by(|x, y| (y.0, &y.1).cmp(&(x.0, &x.1)));
    let newest_first: Vec<String> = a_all.iter().map(|x| x.1.clone()).collect();
    // One accepted, then erased: it keeps its place with the verification's status.
    let used = &a_all[2];
    store
        .accept_verification(&AcceptedVerification {
            client_id: used.2.into(),
            ..accepted(a, &used.3, &used.1)
        })
        .await
        .unwrap();
    let page = |client: Option<&'static str>, offset: i64, limit: i64| {
        let store = store.clone();
        async move {
            store
                .list_identifications(a, client, offset, limit)
                .await
                .unwrap()
        }
    };
    let all = page(None, 0, 100).await;
    assert_eq!(all.total, 7);
    let got: Vec<String> = all.rows.iter().map(|r| r.scan_ref.clone()).collect();
    assert_eq!(got, newest_first);
    assert!(
        all.rows
            .windows(2)
            .all(|w| w[0].created_at >= w[1].created_at)
    );
    // Pages of 3: 3 + 3 + 1, then nothing; the total is the same on every page.
    let mut paged = Vec::new();
    for (offset, want) in [(0, 3), (3, 3), (6, 1), (7, 0), (70, 0)] {
        let p = page(None, offset, 3).await;
        assert_eq!((p.total, p.rows.len()), (7, want), "offset {offset}");
        paged.extend(p.rows.into_iter().map(|r| r.scan_ref));
    }
    assert_eq!(paged, newest_first);
    assert_eq!(page(None, 0, 0).await.rows.len(), 0);
    // clientId filter.
    let even = page(Some("even"), 0, 100).await;
    assert_eq!(even.total, 4);
    assert!(even.rows.iter().all(|r| r.client_id == "even"));
    let want: Vec<&String> = a_all
        .iter()
        .filter(|x| x.2 == "even")
        .map(|x| &x.1)
        .collect();
    assert_eq!(
        even.rows.iter().map(|r| &r.scan_ref).collect::<Vec<_>>(),
        want
    );
    assert_eq!(page(Some("odd"), 2, 2).await.rows.len(), 1);
    assert_eq!(page(Some("nobody"), 0, 10).await.total, 0);
    // Partner isolation: b sees only its own 7, none of a's.
    let bl = store.list_identifications(b, None, 0, 100).await.unwrap();
    assert_eq!(bl.total, 7);
    assert!(bl.rows.iter().all(|r| !newest_first.contains(&r.scan_ref)));
    let c = partner(&store, "list-c").await;
    let empty = store.list_identifications(c, None, 0, 10).await.unwrap();
    assert_eq!((empty.total, empty.rows.len()), (0, 0));
    // Token and verification state per row.
    let row_of = |rows: &[kycd_store::IdentificationListRow], s: &str| {
        rows.iter().find(|r| r.scan_ref == s).cloned().unwrap()
    };
    let r = row_of(&all.rows, &newest_first[0]);
    assert_eq!(r.verification_status, None);
    assert_eq!(r.token_used_at, None);
    assert_eq!(r.token_expires_at, r.created_at + 3_600_000);
    let r = row_of(&page(None, 0, 100).await.rows, &used.1);
    assert_eq!(r.verification_status.as_deref(), Some("REVIEWING"));
    assert!(r.token_used_at.is_some());
    assert!(store.tombstone_verification(&used.1, a).await.unwrap());
    let r = row_of(&page(None, 0, 100).await.rows, &used.1);
    assert_eq!(r.verification_status.as_deref(), Some("DELETED"));
}
on_all_backends!(listing, identifications_are_listed_per_partner_newest_first);

/// A finished verification of `p` with `status` and the given `status` object; returns its scanRef.
async fn finished(store: &Store, p: PartnerId, status: &str, block: serde_json::Value) -> String {
    let auth = uuid::Uuid::new_v4().to_string();
    let scan = token(store, p, &auth, 60_000).await;
    store
        .accept_verification(&accepted(p, &auth, &scan))
        .await
        .unwrap();
    let job = store.claim_job("w", 60_000).await.unwrap().unwrap();
    assert_eq!(job.scan_ref, scan);
    let outcome = JobOutcome {
        status: status.into(),
        result: serde_json::json!({"status": block, "data": {"docFirstName": "ANA"}}),
        outbox: None,
    };
    assert!(store.complete_job(&job, &outcome).await.unwrap());
    scan
}

async fn operators_sessions_and_lockout(store: Store) {
    use kycd_store::OperatorRole;
    let a = partner(&store, "a").await;
    let op = store
        .create_operator(
            "ana@bank.example",
            "$argon2id$x",
            OperatorRole::Reviewer,
            Some(a),
        )
        .await
        .unwrap();
    assert_eq!(op.partner_id, Some(a));
    assert!(matches!(
        store
            .create_operator("ana@bank.example", "$argon2id$y", OperatorRole::Admin, None)
            .await,
        Err(StoreError::Conflict(_))
    ));
    // Lockout after 3 consecutive failures; a successful login (session start) clears the count.
    assert_eq!(
        store.record_failed_login(op.id, 3, 60_000).await.unwrap(),
        None
    );
    assert_eq!(
        store.record_failed_login(op.id, 3, 60_000).await.unwrap(),
        None
    );
    assert!(
        store
            .record_failed_login(op.id, 3, 60_000)
            .await
            .unwrap()
            .is_some()
    );
    let o = store
        .operator_by_email("ana@bank.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(o.failed_logins, 3);
    assert!(o.locked_until.unwrap() > now_ms());
    store
        .start_session(op.id, "hash-1", "csrf-1")
        .await
        .unwrap();
    let o = store
        .operator_by_email("ana@bank.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((o.failed_logins, o.locked_until), (0, None));
    // A live session; idle and absolute expiry end it.
    let s = store
        .session("hash-1", 60_000, 60_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.csrf_token, "csrf-1");
    assert_eq!(s.operator.email, "ana@bank.example");
    assert!(
        store
            .session("nope", 60_000, 60_000)
            .await
            .unwrap()
            .is_none()
    );
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert!(
        store.session("hash-1", 60_000, 5).await.unwrap().is_none(),
        "absolute expiry"
    );
    assert!(
        store
            .session("hash-1", 60_000, 60_000)
            .await
            .unwrap()
            .is_none(),
        "expired sessions are deleted"
    );
    store
        .start_session(op.id, "hash-2", "csrf-2")
        .await
        .unwrap();
    assert!(
        store
            .session("hash-2", 5_000, 60_000)
            .await
            .unwrap()
            .is_some()
    );
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert!(
        store.session("hash-2", 5, 60_000).await.unwrap().is_none(),
        "idle expiry"
    );
    // Disabling ends sessions; a password reset too.
    store
        .start_session(op.id, "hash-3", "csrf-3")
        .await
        .unwrap();
    assert!(
        store
            .set_operator_disabled("ana@bank.example", true)
            .await
            .unwrap()
    );
    assert!(
        store
            .session("hash-3", 60_000, 60_000)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .set_operator_disabled("ana@bank.example", false)
            .await
            .unwrap()
    );
    store
        .start_session(op.id, "hash-4", "csrf-4")
        .await
        .unwrap();
    assert!(
        store
            .set_operator_password("ana@bank.example", "$argon2id$z")
            .await
            .unwrap()
    );
    assert!(
        store
            .session("hash-4", 60_000, 60_000)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !store
            .set_operator_password("nobody@bank.example", "x")
            .await
            .unwrap()
    );
    assert_eq!(store.list_operators().await.unwrap().len(), 1);
}

on_all_backends!(operators, operators_sessions_and_lockout);

async fn queue_filters_pages_and_review(store: Store) {
    use kycd_store::{QueueCursor, QueueFilter, QueueOrder};
    let a = partner(&store, "a").await;
    let b = partner(&store, "b").await;
    let ok = serde_json::json!({"autoDocument": "DOC_VALIDATED", "autoFace": "FACE_MATCH",
        "fraudTags": [], "mismatchTags": []});
    let dup = serde_json::json!({"autoDocument": "DOC_VALIDATED", "autoFace": "FACE_MATCH",
        "fraudTags": ["DUPLICATE_FACE"], "mismatchTags": ["NAME"]});
    let mut approved = Vec::new();
    for _ in 0..5 {
        approved.push(finished(&store, a, "APPROVED", ok.clone()).await);
    }
    let suspected = finished(&store, a, "SUSPECTED", dup.clone()).await;
    let other = finished(&store, b, "SUSPECTED", dup.clone()).await;
    let all = |f: QueueFilter| {
        let store = store.clone();
        async move { store.queue(&QueueFilter { limit: 50, ..f }).await.unwrap() }
    };
    assert_eq!(all(QueueFilter::default()).await.len(), 7);
    let mine = all(QueueFilter {
        partner: Some(a),
        ..Default::default()
    })
    .await;
    assert_eq!(mine.len(), 6);
    assert!(mine.iter().all(|r| r.partner_id == a.0));
    // Review queue: SUSPECTED without a manual decision, oldest first, per partner.
    let review = all(QueueFilter {
        review_only: true,
        order: QueueOrder::Oldest,
        ..Default::default()
    })
    .await;
    assert_eq!(
        review
            .iter()
            .map(|r| r.scan_ref.clone())
            .collect::<Vec<_>>(),
        vec![suspected.clone(), other.clone()]
    );
    let review_a = all(QueueFilter {
        review_only: true,
        partner: Some(a),
        ..Default::default()
    })
    .await;
    assert_eq!(review_a.len(), 1);
    assert_eq!(
        review_a[0].tags,
        vec!["DUPLICATE_FACE".to_string(), "NAME".to_string()]
    );
    assert_eq!(store.review_backlog(Some(a)).await.unwrap().0, 1);
    // Tag, status and search filters.
    assert_eq!(
        all(QueueFilter {
            tag: Some("DUPLICATE_FACE".into()),
            ..Default::default()
        })
        .await
        .len(),
        2
    );
    assert_eq!(
        all(QueueFilter {
            tag: Some("DUPLICATE".into()),
            ..Default::default()
        })
        .await
        .len(),
        0
    );
    assert_eq!(
        all(QueueFilter {
            status: Some("APPROVED".into()),
            ..Default::default()
        })
        .await
        .len(),
        5
    );
    assert_eq!(
        all(QueueFilter {
            search: Some(approved[2].clone()),
            ..Default::default()
        })
        .await
        .len(),
        1
    );
    assert_eq!(
        all(QueueFilter {
            search: Some("client-1".into()),
            partner: Some(b),
            ..Default::default()
        })
        .await
        .len(),
        1
    );
    // Keyset paging visits every row once, in both orders.
    for order in [QueueOrder::Newest, QueueOrder::Oldest] {
        let mut seen = Vec::new();
        let mut after: Option<QueueCursor> = None;
        loop {
            let page = store
                .queue(&QueueFilter {
                    order,
                    after: after.clone(),
                    limit: 2,
                    ..Default::default()
                })
                .await
                .unwrap();
            if page.is_empty() {
                break;
            }
            let last = page.last().unwrap();
            after = Some(QueueCursor {
                created_at: last.created_at,
                scan_ref: last.scan_ref.clone(),
            });
            seen.extend(page.into_iter().map(|r| r.scan_ref));
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!((seen.len(), unique.len()), (7, 7), "{order:?}");
    }
    // A manual decision takes the verification out of the review queue.
    let decided = serde_json::json!({"status": {"autoDocument": "DOC_VALIDATED", "autoFace": "FACE_MATCH",
        "manualDocument": "DOC_VALIDATED", "manualFace": "FACE_MATCH", "fraudTags": ["DUPLICATE_FACE"]}});
    store
        .set_result(&suspected, "SUSPECTED", &decided)
        .await
        .unwrap();
    assert_eq!(store.review_backlog(Some(a)).await.unwrap().0, 0);
    let row = &all(QueueFilter {
        search: Some(suspected.clone()),
        ..Default::default()
    })
    .await[0];
    assert_eq!(row.manual_face.as_deref(), Some("FACE_MATCH"));
    // Counts and the dashboard.
    let counts = store.status_counts(Some(a)).await.unwrap();
    assert_eq!(
        counts,
        vec![("APPROVED".to_string(), 5), ("SUSPECTED".to_string(), 1)]
    );
    let day = 86_400_000;
    let d = store
        .dashboard(None, (now_ms() / day - 6) * day, (now_ms() / day + 1) * day)
        .await
        .unwrap();
    assert_eq!(d.days.len(), 7);
    assert_eq!(d.finished, 7);
    assert_eq!(d.auto_approved, 5);
    assert_eq!(d.backlog, 1);
    assert!(d.processing_p50_ms.is_some() && d.processing_p95_ms >= d.processing_p50_ms);
    let today: i64 = d
        .days
        .last()
        .unwrap()
        .by_status
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert_eq!(today, 7);
}

on_all_backends!(console_queue, queue_filters_pages_and_review);

async fn audit_is_kept_and_notes_erased_with_the_verification(store: Store) {
    use kycd_store::{AuditAction, NewAuditEntry, OperatorRole};
    let a = partner(&store, "a").await;
    let op = store
        .create_operator("ana@bank.example", "$argon2id$x", OperatorRole::Admin, None)
        .await
        .unwrap();
    let scan = finished(&store, a, "SUSPECTED", serde_json::json!({})).await;
    for (action, note) in [
        (AuditAction::ViewVerification, None),
        (AuditAction::Decision, Some("passport of Ana Example")),
    ] {
        store
            .audit(&NewAuditEntry {
                operator: Some(&op),
                actor: "",
                action,
                partner_id: Some(a),
                scan_ref: Some(&scan),
                detail: Some("before: SUSPECTED → after: APPROVED".into()),
                note,
                source_ip: Some("127.0.0.1".into()),
            })
            .await
            .unwrap();
    }
    let rows = store
        .audit_entries(Some(&scan), None, None, 10)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].action, "decision");
    assert_eq!(rows[0].note.as_deref(), Some("passport of Ana Example"));
    assert_eq!(rows[0].operator_email, "ana@bank.example");
    assert!(store.tombstone_verification(&scan, a).await.unwrap());
    let rows = store
        .audit_entries(Some(&scan), None, None, 10)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2, "the fact of each action stays");
    assert!(rows.iter().all(|r| r.note.is_none()), "notes are erased");
    assert_eq!(
        rows[0].detail.as_deref(),
        Some("before: SUSPECTED → after: APPROVED")
    );
    assert_eq!(
        store
            .audit_entries(None, Some(a), Some(rows[0].id), 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

on_all_backends!(
    audit_log,
    audit_is_kept_and_notes_erased_with_the_verification
);
