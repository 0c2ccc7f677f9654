//! Releasing and renewing leases (issue 18), on SQLite and, when `KYCD_TEST_POSTGRES_URL` is set, on PostgreSQL:
//! a released job is queued and due at once without its attempt counted, only by its owner; a delivery lease is
//! renewed and released only with its current token.

use crate::common;
use common::*;
use kycd_store::{AcceptedVerification, NewToken, OutboxEntry, Store, now_ms};
use kycd_types::PartnerId;
use std::collections::BTreeMap;

async fn accepted_in(store: &Store) -> (PartnerId, String) {
    let p = partner(store, "p").await;
    let scan = uuid::Uuid::new_v4().to_string();
    store
        .insert_token(&NewToken {
            partner_id: p,
            settings: settings("t", &scan),
            created_at: now_ms(),
            expires_at: now_ms() + 60_000,
        })
        .await
        .unwrap();
    store
        .accept_verification(&AcceptedVerification {
            partner_id: p,
            auth_token: "t".into(),
            scan_ref: scan.clone(),
            client_id: "client-1".into(),
            country: "LT".into(),
            document_type: Some("PASSPORT".into()),
            skip_analysis: false,
            images: BTreeMap::new(),
            precheck: None,
            max_attempts: 2,
        })
        .await
        .unwrap();
    (p, scan)
}

async fn a_released_job_is_due_at_once_and_its_attempt_is_not_counted(store: Store) {
    let (_, scan) = accepted_in(&store).await;
    let held = store.claim_job("w1", 600_000).await.unwrap().unwrap();
    assert_eq!(held.attempts, 1);
    assert!(store.claim_job("w2", 600_000).await.unwrap().is_none());
    // Only the owner may release it.
    let mut other = held.clone();
    other.owner = "w2".into();
    assert!(!store.release_job(&other).await.unwrap());
    assert!(store.release_job(&held).await.unwrap());
    assert!(!store.release_job(&held).await.unwrap(), "released twice");
    assert_eq!(
        store
            .count_jobs(kycd_store::JobState::Queued)
            .await
            .unwrap(),
        1
    );
    let again = store
        .claim_job("w2", 600_000)
        .await
        .unwrap()
        .expect("claimable at once");
    assert_eq!(again.scan_ref, scan);
    assert_eq!(again.attempts, 1, "the released attempt is not counted");
    // The old owner can no longer renew it.
    assert!(!store.extend_job_lease(&held, 600_000).await.unwrap());
}
on_all_backends!(
    job_release,
    a_released_job_is_due_at_once_and_its_attempt_is_not_counted
);

async fn delivery_leases_are_renewed_and_released_with_their_token_only(store: Store) {
    let (p, scan) = accepted_in(&store).await;
    store
        .enqueue_webhook(&OutboxEntry {
            webhook_id: "msg_1".into(),
            scan_ref: scan,
            partner_id: p,
            event_type: "IDENTIFICATION_AUTO_FINISHED".into(),
            url: Some("https://example.com/h".into()),
            body: b"{}".to_vec(),
        })
        .await
        .unwrap();
    let (d, token) = store
        .claim_delivery_leased(600_000)
        .await
        .unwrap()
        .expect("due");
    assert!(token > now_ms());
    assert!(
        store
            .claim_delivery_leased(600_000)
            .await
            .unwrap()
            .is_none()
    );
    let next = store
        .extend_delivery_lease(d.id, token, 600_000)
        .await
        .unwrap()
        .expect("renewed");
    assert!(next > token);
    assert!(
        store
            .extend_delivery_lease(d.id, token, 600_000)
            .await
            .unwrap()
            .is_none(),
        "a stale token renews nothing"
    );
    assert!(!store.release_delivery(d.id, token).await.unwrap());
    assert!(store.release_delivery(d.id, next).await.unwrap());
    let (again, _) = store
        .claim_delivery_leased(600_000)
        .await
        .unwrap()
        .expect("released rows are due at once");
    assert_eq!(again.id, d.id);
    assert_eq!(again.attempts, 0);
}
on_all_backends!(
    delivery_leases,
    delivery_leases_are_renewed_and_released_with_their_token_only
);
