//! Delivery leases (issue 18): the lease on a row is renewed while a slow attempt runs (so it can be shorter than the
//! request timeout), and a deliverer stopped gracefully while an attempt hangs releases the row at once, so another
//! deliverer sends it without waiting for the lease to lapse.

mod common;
use kycd_store::{Keyring, OutboxEntry, Store};
use kycd_webhook::{Deliverer, DelivererConfig, RetrySchedule};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A receiver that accepts connections and never answers; counts the connections.
async fn silent_receiver() -> (String, Arc<AtomicUsize>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            h.fetch_add(1, Ordering::SeqCst);
            open.push(s); // held open, never answered
        }
    });
    (format!("http://{addr}/hook"), hits)
}

async fn setup(url: &str) -> (tempfile::TempDir, Store, Keyring) {
    let common::Env {
        dir,
        store,
        keyring,
        partner,
    } = common::store_with_partner(b"signing-key").await;
    store
        .enqueue_webhook(&OutboxEntry {
            webhook_id: "msg_1".into(),
            scan_ref: "scan-1".into(),
            partner_id: partner.id,
            event_type: "IDENTIFICATION_AUTO_FINISHED".into(),
            url: Some(url.into()),
            body: br#"{"final":true}"#.to_vec(),
        })
        .await
        .unwrap();
    (dir, store, keyring)
}

fn cfg(lease: Duration, timeout: Duration, grace: Duration) -> DelivererConfig {
    DelivererConfig {
        schedule: "1".parse::<RetrySchedule>().unwrap(),
        allow_private: true,
        concurrency: 2,
        poll: Duration::from_millis(20),
        lease,
        timeout,
        shutdown_grace: grace,
    }
}

async fn wait_hits(hits: &AtomicUsize, n: usize) {
    let until = Instant::now() + Duration::from_secs(10);
    while hits.load(Ordering::SeqCst) < n {
        assert!(Instant::now() < until, "the receiver never saw the attempt");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[test]
fn the_default_delivery_lease_is_30_s_and_the_grace_3_s() {
    let c = DelivererConfig::default();
    assert_eq!(c.lease, Duration::from_secs(30));
    assert_eq!(c.shutdown_grace, Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_attempt_keeps_its_lease_past_the_lease_length() {
    let (url, hits) = silent_receiver().await;
    let (_dir, store, keyring) = setup(&url).await;
    let lease = Duration::from_secs(1);
    let d = Deliverer::new(
        store.clone(),
        keyring,
        cfg(lease, Duration::from_secs(30), Duration::ZERO),
    )
    .unwrap();
    let (tx, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(d.run(rx));
    wait_hits(&hits, 1).await;
    // Two and a half leases later the row is still held (renewed every third of the lease).
    tokio::time::sleep(lease * 5 / 2).await;
    assert!(
        store.claim_delivery(60_000).await.unwrap().is_none(),
        "the lease of an attempt in flight lapsed"
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "no second deliverer attempt"
    );
    tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_releases_a_hanging_delivery_at_once() {
    let (url, hits) = silent_receiver().await;
    let (_dir, store, keyring) = setup(&url).await;
    // A long lease: only the release lets the row be claimed again quickly.
    let d = Deliverer::new(
        store.clone(),
        keyring,
        cfg(
            Duration::from_secs(60),
            Duration::from_secs(30),
            Duration::from_millis(200),
        ),
    )
    .unwrap();
    let (tx, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(d.run(rx));
    wait_hits(&hits, 1).await;
    assert!(
        store.claim_delivery(60_000).await.unwrap().is_none(),
        "held while in flight"
    );
    let stop = Instant::now();
    tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the deliverer stops after its grace period")
        .unwrap();
    assert!(
        stop.elapsed() < Duration::from_secs(5),
        "{:?}",
        stop.elapsed()
    );
    let again = store
        .claim_delivery(60_000)
        .await
        .unwrap()
        .expect("released at once for another deliverer");
    assert_eq!(again.webhook_id, "msg_1");
    assert_eq!(again.attempts, 0, "an abandoned attempt is not recorded");
}
