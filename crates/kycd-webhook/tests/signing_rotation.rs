//! Signing-key rotation (issue 18, `kycd partner rotate-signing-key`): during the overlap every webhook carries a
//! Standard Webhooks signature of each key in `webhook-signature` (new first), each verifying with its own key, and
//! `Idenfy-Signature` stays on the previous key until the partner confirms the new one or the overlap ends. Real
//! deliveries to an in-process receiver on 127.0.0.1 over a real SQLite store.

mod common;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use kycd_store::{Keyring, OutboxEntry, PartnerRow, Store, now_ms};
use kycd_webhook::{Deliverer, DelivererConfig, verify, verify_standard};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const OLD_KEY: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
const NEW_KEY: &str = "f9e8d7c6b5a4938271605f4e3d2c1b0af9e8d7c6b5a4938271605f4e3d2c1b0a";
const NEWER_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const BODY: &[u8] = br#"{"final":true,"status":{"overall":"APPROVED"},"scanRef":"scan-r"}"#;

type Seen = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

async fn hook(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> StatusCode {
    seen.lock().unwrap().push((headers, body));
    StatusCode::OK
}

async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = Router::new()
        .route("/hook", post(hook))
        .with_state(seen.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (format!("http://{addr}/hook"), seen)
}

struct Env {
    _dir: tempfile::TempDir,
    store: Store,
    keyring: Keyring,
    partner: PartnerRow,
    deliverer: Deliverer,
    url: String,
    seen: Seen,
}

async fn env() -> Env {
    let common::Env {
        dir,
        store,
        keyring,
        partner,
    } = common::store_with_partner(OLD_KEY.as_bytes()).await;
    let deliverer = Deliverer::new(
        store.clone(),
        keyring.clone(),
        DelivererConfig {
            allow_private: true,
            ..Default::default()
        },
    )
    .unwrap();
    let (url, seen) = receiver().await;
    Env {
        _dir: dir,
        store,
        keyring,
        partner,
        deliverer,
        url,
        seen,
    }
}

/// What one delivery carried: `(Idenfy-Signature, webhook-signature entries, webhook-id, webhook-timestamp, body)`.
struct Delivered {
    idenfy: String,
    standard: String,
    id: String,
    ts: i64,
    body: Bytes,
}

impl Delivered {
    fn entries(&self) -> Vec<&str> {
        self.standard.split(' ').collect()
    }
    /// Whether the one `webhook-signature` entry `i` verifies with `key`.
    fn entry_verifies(&self, i: usize, key: &str) -> bool {
        verify_standard(
            key.as_bytes(),
            &self.id,
            self.ts,
            &self.body,
            self.entries()[i],
        )
    }
    fn idenfy_verifies(&self, key: &str) -> bool {
        verify(key.as_bytes(), &self.body, &self.idenfy)
    }
}

impl Env {
    /// Enqueues one webhook and delivers it now.
    async fn deliver(&self, n: u32) -> Delivered {
        self.store
            .enqueue_webhook(&OutboxEntry {
                webhook_id: format!("msg_rot_{n}"),
                scan_ref: format!("scan-{n}"),
                partner_id: self.partner.id,
                event_type: "IDENTIFICATION_AUTO_FINISHED".into(),
                url: Some(self.url.clone()),
                body: BODY.to_vec(),
            })
            .await
            .unwrap();
        assert!(self.deliverer.deliver_next().await.unwrap(), "a due row");
        let (headers, body) = self.seen.lock().unwrap().pop().expect("received");
        let h = |n: &str| headers.get(n).unwrap().to_str().unwrap().to_string();
        assert_eq!(h("webhook-id"), format!("msg_rot_{n}"));
        Delivered {
            idenfy: h("idenfy-signature"),
            standard: h("webhook-signature"),
            id: h("webhook-id"),
            ts: h("webhook-timestamp").parse().unwrap(),
            body,
        }
    }

    async fn rotate(&self, key: &str, overlap_ms: i64, force: bool) -> PartnerRow {
        self.store
            .rotate_partner_signing_key(
                &self.partner.api_key,
                &self.keyring.encrypt(key.as_bytes()).unwrap(),
                overlap_ms,
                force,
            )
            .await
            .unwrap()
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_the_overlap_webhooks_verify_with_either_key_and_idenfy_switches_on_confirmation() {
    let e = env().await;

    // Before: one key, one signature.
    let d = e.deliver(1).await;
    assert_eq!(d.entries().len(), 1);
    assert!(d.entry_verifies(0, OLD_KEY));
    assert!(d.idenfy_verifies(OLD_KEY));

    // Rotated with a long overlap: both signatures (new first), Idenfy-Signature still the old key's.
    e.rotate(NEW_KEY, 3_600_000, false).await;
    let d = e.deliver(2).await;
    assert_eq!(d.entries().len(), 2, "{}", d.standard);
    assert!(
        d.entry_verifies(0, NEW_KEY),
        "the new key's signature first"
    );
    assert!(!d.entry_verifies(0, OLD_KEY));
    assert!(d.entry_verifies(1, OLD_KEY), "then the previous key's");
    assert!(!d.entry_verifies(1, NEW_KEY));
    // A receiver holding either key accepts the whole header.
    for key in [OLD_KEY, NEW_KEY] {
        assert!(verify_standard(
            key.as_bytes(),
            &d.id,
            d.ts,
            &d.body,
            &d.standard
        ));
    }
    assert!(!verify_standard(
        NEWER_KEY.as_bytes(),
        &d.id,
        d.ts,
        &d.body,
        &d.standard
    ));
    assert!(
        d.idenfy_verifies(OLD_KEY),
        "Idenfy-Signature stays on the old key"
    );
    assert!(!d.idenfy_verifies(NEW_KEY));

    // The partner confirms: Idenfy-Signature moves to the new key; both Standard signatures remain.
    e.store
        .confirm_partner_signing_key(&e.partner.api_key)
        .await
        .unwrap()
        .unwrap();
    let d = e.deliver(3).await;
    assert!(
        d.idenfy_verifies(NEW_KEY),
        "confirmed: Idenfy-Signature on the new key"
    );
    assert!(!d.idenfy_verifies(OLD_KEY));
    assert_eq!(d.entries().len(), 2);
    assert!(d.entry_verifies(0, NEW_KEY) && d.entry_verifies(1, OLD_KEY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_confirmation_the_end_of_the_overlap_switches_to_the_new_key_alone() {
    let e = env().await;
    let overlap_ms = 3_000;
    let p = e.rotate(NEW_KEY, overlap_ms, false).await;
    let until = p.prev_signing_key_until.unwrap();
    let d = e.deliver(1).await;
    assert!(
        now_ms() < until,
        "delivered inside the overlap (machine too slow?)"
    );
    assert_eq!(d.entries().len(), 2);
    assert!(d.entry_verifies(0, NEW_KEY) && d.entry_verifies(1, OLD_KEY));
    assert!(d.idenfy_verifies(OLD_KEY));

    tokio::time::sleep(Duration::from_millis(
        u64::try_from((until - now_ms() + 100).max(0)).unwrap(),
    ))
    .await;
    let d = e.deliver(2).await;
    assert_eq!(d.entries().len(), 1, "{}", d.standard);
    assert!(d.entry_verifies(0, NEW_KEY));
    assert!(
        d.idenfy_verifies(NEW_KEY),
        "the overlap ended: Idenfy-Signature on the new key"
    );
    assert!(!d.idenfy_verifies(OLD_KEY));

    // A rotation without overlap switches everything at once.
    e.rotate(NEWER_KEY, 0, false).await;
    let d = e.deliver(3).await;
    assert_eq!(d.entries().len(), 1);
    assert!(d.entry_verifies(0, NEWER_KEY));
    assert!(d.idenfy_verifies(NEWER_KEY));
}
