//! End-to-end delivery against a real in-process HTTP receiver on 127.0.0.1 and a real SQLite store.

mod common;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use common::{Env, store_with_partner};
use kycd_store::{OutboxEntry, WebhookRow};
use kycd_webhook::{Deliverer, DelivererConfig, RetrySchedule, verify, verify_standard};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SIGNING_KEY: &str = "5f2b9c0d7e1a4b3c8d6e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e";
const BODY: &[u8] =
    br#"{"final":true,"status":{"overall":"APPROVED"},"scanRef":"scan-1","clientId":"c\u00e9 1"}"#;

#[derive(Debug, Clone)]
struct Seen {
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Default)]
struct Recv {
    /// Status codes to answer on /hook, in order; 200 once exhausted.
    script: Mutex<Vec<u16>>,
    seen: Mutex<Vec<Seen>>,
    target_hits: Mutex<u32>,
}

async fn hook(State(r): State<Arc<Recv>>, headers: HeaderMap, body: Bytes) -> Response {
    r.seen.lock().unwrap().push(Seen { headers, body });
    let code = {
        let mut s = r.script.lock().unwrap();
        if s.is_empty() { 200 } else { s.remove(0) }
    };
    (
        StatusCode::from_u16(code).unwrap(),
        format!("answer {code} ").repeat(300),
    )
        .into_response()
}

async fn redirect(State(r): State<Arc<Recv>>, headers: HeaderMap, body: Bytes) -> Response {
    r.seen.lock().unwrap().push(Seen { headers, body });
    (StatusCode::FOUND, [(header::LOCATION, "/target")], "moved").into_response()
}

async fn target(State(r): State<Arc<Recv>>) -> StatusCode {
    *r.target_hits.lock().unwrap() += 1;
    StatusCode::OK
}

async fn slow() -> StatusCode {
    tokio::time::sleep(Duration::from_secs(3)).await;
    StatusCode::OK
}

async fn receiver(script: Vec<u16>) -> (String, Arc<Recv>) {
    let r = Arc::new(Recv {
        script: Mutex::new(script),
        ..Default::default()
    });
    let app = Router::new()
        .route("/hook", post(hook))
        .route("/redirect", post(redirect))
        .route("/target", post(target).get(target))
        .route("/slow", post(slow))
        .with_state(r.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (format!("http://{addr}"), r)
}

async fn env() -> Env {
    store_with_partner(SIGNING_KEY.as_bytes()).await
}

impl Env {
    async fn enqueue(&self, scan_ref: &str, url: Option<String>) {
        self.store
            .enqueue_webhook(&OutboxEntry {
                webhook_id: format!("msg_{scan_ref}"),
                scan_ref: scan_ref.into(),
                partner_id: self.partner.id,
                event_type: "IDENTIFICATION_AUTO_FINISHED".into(),
                url,
                body: BODY.to_vec(),
            })
            .await
            .unwrap();
    }

    /// Runs a deliverer until the row of `scan_ref` leaves `pending`, then shuts it down gracefully.
    async fn run_until_settled(&self, scan_ref: &str, cfg: DelivererConfig) -> WebhookRow {
        let d = Deliverer::new(self.store.clone(), self.keyring.clone(), cfg).unwrap();
        let waker = d.waker();
        let (tx, rx) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(d.run(rx));
        waker.notify_one();
        let row = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let rows = self.store.webhooks_for(scan_ref, None).await.unwrap();
                if rows[0].state != "pending" {
                    return rows[0].clone();
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("row settles");
        tx.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("deliverer stops")
            .unwrap();
        row
    }
}

fn cfg(schedule: &str, allow_private: bool) -> DelivererConfig {
    DelivererConfig {
        schedule: schedule.parse::<RetrySchedule>().unwrap(),
        allow_private,
        concurrency: 2,
        poll: Duration::from_millis(20),
        ..Default::default()
    }
}

fn check_signed(s: &Seen, webhook_id: &str) {
    let h = |n: &str| {
        s.headers
            .get(n)
            .unwrap_or_else(|| panic!("missing {n}"))
            .to_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(&s.body[..], BODY, "body bytes sent exactly");
    let sig = h("idenfy-signature");
    assert_eq!(sig.len(), 64);
    assert!(
        verify(SIGNING_KEY.as_bytes(), &s.body, &sig),
        "Idenfy-Signature verifies byte-exactly"
    );
    assert!(!verify(b"another key", &s.body, &sig));
    assert_eq!(h("idenfy-event-type"), "IDENTIFICATION_AUTO_FINISHED");
    assert_eq!(h("content-type"), "application/json");
    assert_eq!(h("webhook-id"), webhook_id);
    let ts: i64 = h("webhook-timestamp").parse().unwrap();
    let now = kycd_store::now_ms() / 1000;
    assert!((now - ts).abs() < 60);
    assert!(verify_standard(
        SIGNING_KEY.as_bytes(),
        webhook_id,
        ts,
        &s.body,
        &h("webhook-signature")
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fails_three_times_then_delivered_on_fourth_attempt() {
    let e = env().await;
    let (base, recv) = receiver(vec![500, 500, 500]).await;
    e.enqueue("scan-1", Some(format!("{base}/hook"))).await;
    let row = e
        .run_until_settled("scan-1", cfg("0.05,0.05,0.05", true))
        .await;
    assert_eq!(row.state, "delivered");
    assert_eq!(row.attempts, 4);
    assert!(row.delivered_at.is_some());
    let codes: Vec<_> = row.attempt_log.iter().map(|a| a.status_code).collect();
    assert_eq!(codes, vec![Some(500), Some(500), Some(500), Some(200)]);
    for a in &row.attempt_log[..3] {
        assert_eq!(a.error.as_deref(), Some("receiver answered 500"));
        let body = a.response_body.as_deref().unwrap();
        assert!(
            body.starts_with("answer 500") && body.len() == kycd_webhook::MAX_RESPONSE_BODY,
            "truncated body"
        );
    }
    assert!(row.attempt_log[3].error.is_none());
    let seen = recv.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 4, "one request per attempt");
    for s in &seen {
        check_signed(s, "msg_scan-1");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exhausted_schedule_fails() {
    let e = env().await;
    let (base, recv) = receiver(vec![503, 503, 503]).await;
    e.enqueue("scan-f", Some(format!("{base}/hook"))).await;
    let row = e.run_until_settled("scan-f", cfg("0.02,0.02", true)).await;
    assert_eq!(row.state, "failed");
    assert_eq!(row.attempts, 3);
    assert_eq!(recv.seen.lock().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_disables_without_retry() {
    let e = env().await;
    let (base, recv) = receiver(vec![410]).await;
    e.enqueue("scan-g", Some(format!("{base}/hook"))).await;
    let row = e
        .run_until_settled("scan-g", cfg("0.02,0.02,0.02", true))
        .await;
    assert_eq!(row.state, "disabled");
    assert_eq!(row.attempts, 1);
    assert_eq!(row.attempt_log[0].status_code, Some(410));
    assert_eq!(recv.seen.lock().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_is_not_followed() {
    let e = env().await;
    let (base, recv) = receiver(vec![]).await;
    e.enqueue("scan-r", Some(format!("{base}/redirect"))).await;
    let row = e.run_until_settled("scan-r", cfg("0.02", true)).await;
    assert_eq!(row.state, "failed", "3xx counts as a failure");
    assert_eq!(row.attempts, 2);
    assert!(row.attempt_log.iter().all(|a| a.status_code == Some(302)));
    assert_eq!(
        row.attempt_log[0].error.as_deref(),
        Some("redirect 302 not followed")
    );
    assert_eq!(recv.seen.lock().unwrap().len(), 2);
    assert_eq!(
        *recv.target_hits.lock().unwrap(),
        0,
        "redirect target never contacted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_refused_without_allow_private() {
    let e = env().await;
    let (base, recv) = receiver(vec![]).await;
    let port = base.rsplit(':').next().unwrap().to_string();
    // IP literal over https (checked before connecting), a name resolving to loopback (checked by the resolver),
    // and plain http (refused by scheme).
    e.enqueue("scan-ip", Some(format!("https://127.0.0.1:{port}/hook")))
        .await;
    e.enqueue("scan-name", Some(format!("https://localhost:{port}/hook")))
        .await;
    e.enqueue("scan-http", Some(format!("{base}/hook"))).await;
    for scan in ["scan-ip", "scan-name", "scan-http"] {
        let row = e.run_until_settled(scan, cfg("0.02,0.02", false)).await;
        assert_eq!(row.state, "failed", "{scan}");
        assert_eq!(row.attempts, 1, "{scan}: refusals are not retried");
        let err = row.attempt_log[0].error.clone().unwrap();
        let want = if scan == "scan-http" {
            "refused URL scheme"
        } else {
            "is loopback, private"
        };
        assert!(err.contains(want), "{scan}: {err}");
        assert_eq!(row.attempt_log[0].status_code, None);
    }
    assert!(
        recv.seen.lock().unwrap().is_empty(),
        "receiver never contacted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_url_fails_with_reason() {
    let e = env().await;
    e.enqueue("scan-n", None).await;
    let row = e.run_until_settled("scan-n", cfg("0.02", true)).await;
    assert_eq!(row.state, "failed");
    assert_eq!(row.attempts, 1);
    assert_eq!(
        row.attempt_log[0].error.as_deref(),
        Some("no webhook URL configured")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_is_recorded_and_retried() {
    let e = env().await;
    let (base, _recv) = receiver(vec![]).await;
    e.enqueue("scan-t", Some(format!("{base}/slow"))).await;
    let mut c = cfg("0.02", true);
    c.timeout = Duration::from_millis(300);
    let row = e.run_until_settled("scan-t", c).await;
    assert_eq!(row.state, "failed");
    assert_eq!(row.attempts, 2);
    for a in &row.attempt_log {
        assert_eq!(a.status_code, None);
        assert!(
            a.duration_ms >= 250 && a.duration_ms < 3000,
            "{}",
            a.duration_ms
        );
        assert!(
            a.error.as_deref().unwrap().contains("timed out")
                || a.error.as_deref().unwrap().contains("timeout")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_rows_delivered_concurrently_once_each() {
    let e = env().await;
    let (base, recv) = receiver(vec![]).await;
    for i in 0..20 {
        e.enqueue(&format!("scan-m{i}"), Some(format!("{base}/hook")))
            .await;
    }
    e.run_until_settled("scan-m19", cfg("0.02", true)).await;
    for i in 0..20 {
        let rows = e
            .store
            .webhooks_for(&format!("scan-m{i}"), None)
            .await
            .unwrap();
        assert_eq!(rows[0].state, "delivered");
        assert_eq!(rows[0].attempts, 1);
    }
    let seen = recv.seen.lock().unwrap();
    assert_eq!(seen.len(), 20);
    let mut ids: Vec<_> = seen
        .iter()
        .map(|s| s.headers["webhook-id"].to_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20);
}
