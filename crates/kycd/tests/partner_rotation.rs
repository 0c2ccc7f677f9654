//! `kycd partner rotate-secret|rotate-signing-key|confirm-signing-key` against the real binary and a running
//! server (issue 18): the new secret is printed once, both secrets authenticate during the overlap and only the new
//! one after, a second rotation during an overlap is refused unless `--force`, and the signing-key rotation state
//! shows in `partner list`.

mod common;
use common::*;
use serde_json::{Value, json};
use std::process::Command;
use std::time::Duration;

/// Runs a partner command that must fail; returns its stderr.
fn cli_fails(s: &Server, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env("KYCD_DATA_DIR", s.data_dir())
        .env("KYCD_LOG", "warn")
        .env_remove("KYCD_DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success(), "kycd {args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn cli_json(s: &Server, args: &[&str]) -> Value {
    serde_json::from_str(s.cli(args).trim()).unwrap()
}

fn time_ms(v: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("a time: {v}")))
        .unwrap()
        .timestamp_millis()
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn with_secret(p: &Partner, secret: &str) -> Partner {
    Partner {
        api_key: p.api_key.clone(),
        api_secret: secret.into(),
        signing_key: p.signing_key.clone(),
    }
}

async fn token_status(s: &Server, p: &Partner) -> u16 {
    s.post_json(p, "/api/v2/token", &json!({"clientId": "c"}))
        .await
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_secret_overlaps_then_only_the_new_secret_works() {
    let s = Server::start(&[]);
    let old = s.partner(false);
    assert_eq!(token_status(&s, &old).await, 201);

    let v = cli_json(
        &s,
        &["partner", "rotate-secret", &old.api_key, "--overlap", "5s"],
    );
    assert_eq!(v["apiKey"], old.api_key.as_str(), "{v}");
    let secret = v["apiSecret"].as_str().unwrap();
    assert!(secret.len() >= 43 && secret != old.api_secret, "{v}");
    let until = time_ms(&v["previousSecretValidUntil"]);
    let new = with_secret(&old, secret);

    assert_eq!(
        token_status(&s, &old).await,
        201,
        "old secret during the overlap"
    );
    assert_eq!(
        token_status(&s, &new).await,
        201,
        "new secret during the overlap"
    );
    assert!(
        now_ms() < until,
        "requests ran inside the overlap (machine too slow?)"
    );
    assert_eq!(token_status(&s, &with_secret(&old, "nope")).await, 401);

    // The list shows the running overlap; rotating again now is refused and changes nothing.
    let list = cli_json(&s, &["partner", "list"]);
    assert_eq!(
        list[0]["previousSecretValidUntil"],
        v["previousSecretValidUntil"]
    );
    let err = cli_fails(&s, &["partner", "rotate-secret", "test"]);
    assert!(err.contains("--force") && err.contains("overlap"), "{err}");
    assert_eq!(token_status(&s, &new).await, 201);

    // The printed time is whole seconds (rounded down): wait past the next one.
    tokio::time::sleep(Duration::from_millis(
        u64::try_from((until + 1_100 - now_ms()).max(0)).unwrap(),
    ))
    .await;
    assert_eq!(
        token_status(&s, &old).await,
        401,
        "old secret after the overlap"
    );
    assert_eq!(
        token_status(&s, &new).await,
        201,
        "new secret after the overlap"
    );
    assert_eq!(
        cli_json(&s, &["partner", "list"])[0]["previousSecretValidUntil"],
        Value::Null
    );

    // --overlap 0: the current secret stops at once.
    let v = cli_json(&s, &["partner", "rotate-secret", "test", "--overlap", "0"]);
    assert_eq!(v["previousSecretValidUntil"], Value::Null, "{v}");
    assert_eq!(token_status(&s, &new).await, 401);
    let newest = with_secret(&old, v["apiSecret"].as_str().unwrap());
    assert_eq!(token_status(&s, &newest).await, 201);

    let err = cli_fails(&s, &["partner", "rotate-secret", "test", "--overlap", "24"]);
    assert!(err.contains("not a duration"), "{err}");
    let err = cli_fails(&s, &["partner", "rotate-secret", "nobody"]);
    assert!(err.contains("no partner"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_signing_key_then_confirm() {
    let s = Server::start(&[]);
    let p = s.partner(false);
    let err = cli_fails(&s, &["partner", "confirm-signing-key", &p.api_key]);
    assert!(err.contains("overlap"), "{err}");

    let before = now_ms();
    let v = cli_json(&s, &["partner", "rotate-signing-key", "test"]);
    assert_eq!(v["apiKey"], p.api_key.as_str(), "{v}");
    let key = v["signingKey"].as_str().unwrap();
    assert_eq!(key.len(), 64, "{v}");
    assert!(key.bytes().all(|c| c.is_ascii_hexdigit()) && key != p.signing_key);
    // The default overlap is 24 hours.
    let until = time_ms(&v["previousSigningKeyValidUntil"]);
    let day = 86_400_000;
    assert!(
        until > before + day - 2_000 && until <= now_ms() + day,
        "{v}"
    );
    assert_eq!(
        cli_json(&s, &["partner", "list"])[0]["signingKeyConfirmedAt"],
        Value::Null
    );

    let err = cli_fails(&s, &["partner", "rotate-signing-key", "test"]);
    assert!(err.contains("--force"), "{err}");

    let c = cli_json(&s, &["partner", "confirm-signing-key", "test"]);
    assert_eq!(c["apiKey"], p.api_key.as_str());
    assert!(
        time_ms(&c["signingKeyConfirmedAt"]) >= before - 1_000,
        "{c}"
    );
    assert_eq!(
        c["previousSigningKeyValidUntil"],
        v["previousSigningKeyValidUntil"]
    );
    let list = cli_json(&s, &["partner", "list"]);
    assert_eq!(list[0]["signingKeyConfirmedAt"], c["signingKeyConfirmedAt"]);

    // Forced, without overlap: a new key and no rotation left to confirm.
    let f = cli_json(
        &s,
        &[
            "partner",
            "rotate-signing-key",
            "test",
            "--overlap",
            "0",
            "--force",
        ],
    );
    assert_eq!(f["previousSigningKeyValidUntil"], Value::Null, "{f}");
    assert_ne!(f["signingKey"], v["signingKey"]);
    assert!(cli_fails(&s, &["partner", "confirm-signing-key", "test"]).contains("overlap"));
}
