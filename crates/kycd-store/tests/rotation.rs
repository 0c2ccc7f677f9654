//! Partner secret rotation (issue 18) on SQLite and, when `KYCD_TEST_POSTGRES_URL` is set, on PostgreSQL: the
//! previous API secret and signing key are kept with the end of their overlap, a second rotation during an overlap
//! is refused unless forced, and confirming the new signing key is recorded once.

use kycd_store::{NewPartner, Store, StoreError, now_ms};

async fn partner(store: &Store, key: &str) {
    store
        .create_partner(NewPartner::new(
            format!("name-{key}"),
            key,
            vec![1; 32],
            vec![2; 40],
        ))
        .await
        .unwrap();
}

const HOUR: i64 = 3_600_000;

async fn secret_rotation_keeps_the_previous_secret_for_the_overlap(store: Store) {
    partner(&store, "k1").await;
    partner(&store, "k2").await;
    let before = now_ms();
    let p = store
        .rotate_partner_secret("name-k1", &[3; 32], HOUR, false)
        .await
        .unwrap()
        .expect("named by its name");
    assert_eq!(p.secret_hash, vec![3; 32]);
    assert_eq!(p.prev_secret_hash.as_deref(), Some(&[1u8; 32][..]));
    let until = p.prev_secret_until.unwrap();
    assert!(
        until >= before + HOUR && until <= now_ms() + HOUR,
        "{until}"
    );
    assert_eq!(p.previous_secret_hash(now_ms()), Some(&[1u8; 32][..]));
    assert_eq!(p.previous_secret_hash(until), None);
    // What is read back is what was written; the other partner is untouched.
    let read = store.partner_by_api_key("k1").await.unwrap().unwrap();
    assert_eq!(read.prev_secret_hash, p.prev_secret_hash);
    assert_eq!(read.prev_secret_until, p.prev_secret_until);
    let other = store.partner_by_api_key("k2").await.unwrap().unwrap();
    assert_eq!(other.secret_hash, vec![1; 32]);
    assert_eq!(other.prev_secret_hash, None);
    assert_eq!(other.prev_secret_until, None);

    // A second rotation during the overlap would stop the secret in use at once: refused, nothing changes.
    match store
        .rotate_partner_secret("k1", &[4; 32], HOUR, false)
        .await
    {
        Err(StoreError::Conflict(why)) => assert!(why.contains("overlap"), "{why}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let read = store.partner_by_api_key("k1").await.unwrap().unwrap();
    assert_eq!(read.secret_hash, vec![3; 32]);
    assert_eq!(read.prev_secret_hash.as_deref(), Some(&[1u8; 32][..]));

    // Forced, with no overlap: only the new secret, no previous one.
    let p = store
        .rotate_partner_secret("k1", &[4; 32], 0, true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.secret_hash, vec![4; 32]);
    assert_eq!(p.prev_secret_hash, None);
    assert_eq!(p.prev_secret_until, None);
    assert_eq!(p.previous_secret_hash(now_ms()), None);

    // No overlap running: a plain rotation goes through and keeps the forced secret as the previous one.
    let p = store
        .rotate_partner_secret("k1", &[5; 32], 60_000, false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.secret_hash, vec![5; 32]);
    assert_eq!(p.previous_secret_hash(now_ms()), Some(&[4u8; 32][..]));

    assert!(
        store
            .rotate_partner_secret("nobody", &[6; 32], HOUR, false)
            .await
            .unwrap()
            .is_none()
    );
}

on_all_backends!(
    secret_rotation,
    secret_rotation_keeps_the_previous_secret_for_the_overlap
);

async fn signing_key_rotation_and_confirmation(store: Store) {
    partner(&store, "k1").await;
    // Nothing to confirm before a rotation.
    assert!(matches!(
        store.confirm_partner_signing_key("k1").await,
        Err(StoreError::Conflict(_))
    ));
    let p = store
        .rotate_partner_signing_key("k1", &[7; 40], HOUR, false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.signing_key_enc, vec![7; 40]);
    assert_eq!(p.prev_signing_key_enc.as_deref(), Some(&[2u8; 40][..]));
    assert_eq!(p.signing_key_confirmed_at, None);
    let now = now_ms();
    assert_eq!(p.previous_signing_key_enc(now), Some(&[2u8; 40][..]));
    assert!(p.idenfy_signs_with_previous_key(now));
    // The API secret is not part of it.
    assert_eq!(p.secret_hash, vec![1; 32]);
    assert_eq!(p.prev_secret_hash, None);

    assert!(matches!(
        store
            .rotate_partner_signing_key("k1", &[8; 40], HOUR, false)
            .await,
        Err(StoreError::Conflict(_))
    ));

    let c = store
        .confirm_partner_signing_key("name-k1")
        .await
        .unwrap()
        .unwrap();
    let first = c.signing_key_confirmed_at.expect("confirmed");
    assert!(!c.idenfy_signs_with_previous_key(now_ms()));
    assert_eq!(
        c.previous_signing_key_enc(now_ms()),
        Some(&[2u8; 40][..]),
        "webhook-signature keeps both keys until the overlap ends"
    );
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let again = store
        .confirm_partner_signing_key("k1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.signing_key_confirmed_at, Some(first));

    // A forced rotation starts a new overlap and a new confirmation.
    let p = store
        .rotate_partner_signing_key("k1", &[8; 40], HOUR, true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.signing_key_enc, vec![8; 40]);
    assert_eq!(p.prev_signing_key_enc.as_deref(), Some(&[7u8; 40][..]));
    assert_eq!(p.signing_key_confirmed_at, None);

    // After the overlap there is nothing left to confirm.
    let p = store
        .rotate_partner_signing_key("k1", &[9; 40], 0, true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.prev_signing_key_enc, None);
    assert_eq!(p.previous_signing_key_enc(now_ms()), None);
    assert!(!p.idenfy_signs_with_previous_key(now_ms()));
    assert!(matches!(
        store.confirm_partner_signing_key("k1").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        store
            .confirm_partner_signing_key("nobody")
            .await
            .unwrap()
            .is_none()
    );
}

on_all_backends!(signing_key_rotation, signing_key_rotation_and_confirmation);
