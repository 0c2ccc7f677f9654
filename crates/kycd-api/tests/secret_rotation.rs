//! API-secret rotation (issue 18, `kycd partner rotate-secret`): during the overlap both the previous and the new
//! secret authenticate; once it ends only the new one does. The running server reads the partner per request, so
//! a rotation applies from the next request on.

use crate::common;

use common::{Api, Partner, assert_error, spawn_app};
use kycd_store::{Keyring, now_ms};
use serde_json::json;
use std::time::Duration;

/// The master key `spawn_app` derives its keyring from.
fn keyring() -> Keyring {
    Keyring::from_master(&[7u8; 32]).unwrap()
}

fn with_secret(p: &Partner, secret: &str) -> Partner {
    Partner {
        api_key: p.api_key.clone(),
        api_secret: secret.into(),
        signing_key: p.signing_key.clone(),
    }
}

async fn token_status(
    app: &common::TestApp,
    p: &Partner,
    client: &str,
) -> (u16, serde_json::Value) {
    app.post_json(p, "/api/v2/token", &json!({ "clientId": client }))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_and_new_secret_work_during_the_overlap_and_only_the_new_one_after() {
    let app = spawn_app().await;
    let old = app.partner(true).await;
    let other = app.partner(true).await;
    let new = with_secret(&old, "the-new-secret-of-this-partner");
    assert_error(&token_status(&app, &new, "c0").await, 401, "UNAUTHORIZED");

    // A short overlap, so that its end is reached within the test.
    let overlap = Duration::from_secs(4);
    let rotated = app
        .store
        .rotate_partner_secret(
            &old.api_key,
            &keyring().hash_secret(&new.api_secret),
            i64::try_from(overlap.as_millis()).unwrap(),
            false,
        )
        .await
        .unwrap()
        .expect("the partner exists");
    let until = rotated.prev_secret_until.expect("an overlap");

    assert_eq!(
        token_status(&app, &old, "c1").await.0,
        201,
        "old secret in the overlap"
    );
    assert_eq!(
        token_status(&app, &new, "c2").await.0,
        201,
        "new secret in the overlap"
    );
    assert!(
        now_ms() < until,
        "the requests above ran inside the overlap (machine too slow?)"
    );
    assert_error(
        &token_status(&app, &with_secret(&old, "wrong"), "c3").await,
        401,
        "UNAUTHORIZED",
    );
    // The previous secret of one partner is nobody else's.
    assert_error(
        &token_status(&app, &with_secret(&other, &old.api_secret), "c4").await,
        401,
        "UNAUTHORIZED",
    );
    assert_eq!(token_status(&app, &other, "c5").await.0, 201);

    // After the overlap: only the new secret.
    let wait = until - now_ms() + 100;
    tokio::time::sleep(Duration::from_millis(u64::try_from(wait.max(0)).unwrap())).await;
    assert_error(&token_status(&app, &old, "c6").await, 401, "UNAUTHORIZED");
    assert_eq!(token_status(&app, &new, "c7").await.0, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_without_overlap_stops_the_old_secret_at_once() {
    let app = spawn_app().await;
    let old = app.partner(false).await;
    let new = with_secret(&old, "another-new-secret");
    let rotated = app
        .store
        .rotate_partner_secret(
            &old.api_key,
            &keyring().hash_secret(&new.api_secret),
            0,
            false,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rotated.prev_secret_hash, None);
    assert_error(&token_status(&app, &old, "c1").await, 401, "UNAUTHORIZED");
    assert_eq!(token_status(&app, &new, "c2").await.0, 201);

    // A disabled partner answers 403 for the previous secret too, as for the current one.
    let newer = with_secret(&old, "a-third-secret");
    app.store
        .rotate_partner_secret(
            &old.api_key,
            &keyring().hash_secret(&newer.api_secret),
            3_600_000,
            false,
        )
        .await
        .unwrap()
        .unwrap();
    app.disable_partner(&old.api_key).await;
    assert_error(
        &token_status(&app, &new, "c3").await,
        403,
        "PARTNER_CONTRACT_ERROR",
    );
    assert_error(
        &token_status(&app, &newer, "c4").await,
        403,
        "PARTNER_CONTRACT_ERROR",
    );
}
