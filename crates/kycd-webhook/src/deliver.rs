//! The deliverer: claims outbox rows, signs and posts them, and records every attempt.

use crate::schedule::{FailureKind, RetrySchedule, parse_retry_after, random_unit};
use crate::sign::{sign, standard_signature};
use crate::ssrf::{GuardedResolver, check_url, find_refusal};
use kycd_store::{AttemptRecord, ClaimedDelivery, Keyring, Store, now_ms};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;

/// Largest response body kept per attempt.
pub const MAX_RESPONSE_BODY: usize = 1024;

/// Deliverer errors (construction only; delivery failures are recorded as attempts).
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The HTTP client could not be built (TLS backend).
    #[error("cannot build HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// Deliverer settings.
#[derive(Debug, Clone)]
pub struct DelivererConfig {
    /// Delays between attempts (`KYCD_WEBHOOK_RETRY_SCHEDULE`).
    pub schedule: RetrySchedule,
    /// Allow plain http and private/loopback targets (tests, private networks).
    pub allow_private: bool,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// Idle poll interval when no row is due and nobody wakes the deliverer.
    pub poll: Duration,
    /// Lease on a claimed row; must exceed `timeout` plus DNS time, or another deliverer may re-send it.
    pub lease: Duration,
    /// Per-request timeout (connect + send + response body), 15 s by default.
    pub timeout: Duration,
}

impl Default for DelivererConfig {
    fn default() -> Self {
        Self {
            schedule: RetrySchedule::default(),
            allow_private: false,
            concurrency: 8,
            poll: Duration::from_secs(1),
            lease: Duration::from_secs(60),
            timeout: Duration::from_secs(15),
        }
    }
}

/// Delivers webhook outbox rows.
#[derive(Debug, Clone)]
pub struct Deliverer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    keyring: Keyring,
    cfg: DelivererConfig,
    client: reqwest::Client,
    waker: Arc<Notify>,
}

/// What one attempt decided (before it is written).
#[derive(Debug, Clone, PartialEq)]
struct Outcome {
    status: Option<u16>,
    error: Option<String>,
    body: Option<String>,
    /// Terminal state, or None = retry per schedule.
    terminal: Option<&'static str>,
    kind: FailureKind,
    retry_after: Option<Duration>,
}

impl Outcome {
    fn refused(e: impl ToString) -> Self {
        Self {
            status: None,
            error: Some(e.to_string()),
            body: None,
            terminal: Some("failed"),
            kind: FailureKind::Other,
            retry_after: None,
        }
    }
    fn transient(e: impl ToString, kind: FailureKind) -> Self {
        Self {
            status: None,
            error: Some(e.to_string()),
            body: None,
            terminal: None,
            kind,
            retry_after: None,
        }
    }
}

impl Deliverer {
    /// Builds the deliverer and its HTTP client (rustls, no redirects, no system proxy, guarded DNS).
    pub fn new(store: Store, keyring: Keyring, cfg: DelivererConfig) -> Result<Self, WebhookError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout)
            .dns_resolver(Arc::new(GuardedResolver {
                allow_private: cfg.allow_private,
            }))
            .user_agent(concat!("kycd-webhook/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                keyring,
                cfg,
                client,
                waker: Arc::new(Notify::new()),
            }),
        })
    }

    /// Notify this to make the deliverer look for due rows now (after enqueuing or replaying).
    pub fn waker(&self) -> Arc<Notify> {
        self.inner.waker.clone()
    }

    /// Runs until `shutdown` becomes true (or its sender is dropped): claims due rows, delivers up to `concurrency`
    /// at once and records each attempt. On shutdown it stops claiming and waits for in-flight deliveries.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let permits = Arc::new(Semaphore::new(self.inner.cfg.concurrency.max(1)));
        let mut tasks = JoinSet::new();
        let lease_ms = i64::try_from(self.inner.cfg.lease.as_millis()).unwrap_or(i64::MAX);
        loop {
            // A dropped sender counts as shutdown (otherwise `changed()` would return at once forever).
            if *shutdown.borrow() || shutdown.has_changed().is_err() {
                break;
            }
            while tasks.try_join_next().is_some() {}
            let permit = tokio::select! {
                p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
                r = shutdown.changed() => { if r.is_err() { break; } continue; }
            };
            match self.inner.store.claim_delivery(lease_ms).await {
                Ok(Some(d)) => {
                    let me = self.clone();
                    tasks.spawn(async move {
                        me.deliver(&d).await;
                        drop(permit);
                    });
                }
                Ok(None) => {
                    drop(permit);
                    self.idle(&mut shutdown).await;
                }
                Err(e) => {
                    drop(permit);
                    tracing::warn!(error = %e, "webhook claim failed");
                    self.idle(&mut shutdown).await;
                }
            }
        }
        while tasks.join_next().await.is_some() {}
    }

    async fn idle(&self, shutdown: &mut watch::Receiver<bool>) {
        tokio::select! {
            _ = self.inner.waker.notified() => {}
            _ = tokio::time::sleep(self.inner.cfg.poll) => {}
            _ = shutdown.changed() => {}
        }
    }

    /// Claims and delivers at most one due row; returns whether there was one. For CLI tools and tests; servers use
    /// [`Self::run`].
    pub async fn deliver_next(&self) -> Result<bool, kycd_store::StoreError> {
        let lease_ms = i64::try_from(self.inner.cfg.lease.as_millis()).unwrap_or(i64::MAX);
        match self.inner.store.claim_delivery(lease_ms).await? {
            Some(d) => {
                self.deliver(&d).await;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// One attempt for a claimed row, recorded through the store. Store failures are logged; the lease then lapses
    /// and the row is attempted again (at-least-once).
    async fn deliver(&self, d: &ClaimedDelivery) {
        let started = Instant::now();
        let outcome = self.attempt(d).await;
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let rec = self.record_for(d, outcome, duration_ms);
        tracing::info!(
            webhook_id = %d.webhook_id, scan_ref = %d.scan_ref, attempt = d.attempts + 1,
            status = ?rec.status_code, state = rec.new_state, error = ?rec.error, "webhook attempt"
        );
        if let Err(e) = self.inner.store.record_attempt(d, &rec).await {
            tracing::error!(webhook_id = %d.webhook_id, error = %e, "recording webhook attempt failed");
        }
    }

    fn record_for(&self, d: &ClaimedDelivery, o: Outcome, duration_ms: i64) -> AttemptRecord {
        let now = now_ms();
        let (new_state, next_attempt_at) = match o.terminal {
            Some(state) => (state, now),
            None => match self.inner.cfg.schedule.scheduled(d.attempts) {
                None => ("failed", now),
                Some(scheduled) => {
                    let delay = self.inner.cfg.schedule.next_delay(
                        scheduled,
                        o.kind,
                        o.retry_after,
                        random_unit(),
                    );
                    (
                        "pending",
                        now.saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX)),
                    )
                }
            },
        };
        AttemptRecord {
            status_code: o.status.map(i64::from),
            duration_ms,
            error: o.error,
            response_body: o.body,
            new_state,
            next_attempt_at,
        }
    }

    async fn attempt(&self, d: &ClaimedDelivery) -> Outcome {
        let Some(url) = d.url.as_deref() else {
            return Outcome::refused("no webhook URL configured");
        };
        let url = match check_url(url, self.inner.cfg.allow_private) {
            Ok(u) => u,
            Err(r) => return Outcome::refused(r),
        };
        let key = match self.signing_key(d).await {
            Ok(k) => k,
            Err(o) => return o,
        };
        let ts = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|t| t.as_secs())
            .unwrap_or(0);
        let ts = i64::try_from(ts).unwrap_or(i64::MAX);
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let put = |h: &mut HeaderMap, name: &'static str, v: &str| {
            if let Ok(v) = HeaderValue::from_str(v) {
                h.insert(name, v);
            }
        };
        put(&mut headers, "idenfy-event-type", &d.event_type);
        put(&mut headers, "webhook-id", &d.webhook_id);
        put(&mut headers, "webhook-timestamp", &ts.to_string());
        if !key.is_empty() {
            put(&mut headers, "idenfy-signature", &sign(&key, &d.body));
            put(
                &mut headers,
                "webhook-signature",
                &standard_signature(&key, &d.webhook_id, ts, &d.body),
            );
        }
        let resp = self
            .inner
            .client
            .post(url)
            .headers(headers)
            .body(d.body.clone())
            .send()
            .await;
        let mut resp = match resp {
            Ok(r) => r,
            Err(e) => {
                if let Some(r) = find_refusal(&e) {
                    return Outcome::refused(r);
                }
                let kind = if e.is_timeout() {
                    FailureKind::Overload
                } else {
                    FailureKind::Other
                };
                return Outcome::transient(error_chain(&e), kind);
            }
        };
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let (body, body_err) = read_truncated(&mut resp).await;
        let code = status.as_u16();
        let mut o = Outcome {
            status: Some(code),
            error: None,
            body,
            terminal: None,
            kind: FailureKind::Other,
            retry_after,
        };
        if status.is_success() {
            o.terminal = Some("delivered");
            o.retry_after = None;
        } else if status == StatusCode::GONE {
            o.terminal = Some("disabled");
            o.error = Some("receiver answered 410 Gone: endpoint disabled".into());
        } else {
            if matches!(code, 429 | 502 | 504) || body_err.as_ref().is_some_and(|e| e.is_timeout())
            {
                o.kind = FailureKind::Overload;
            }
            o.error = Some(if status.is_redirection() {
                format!("redirect {code} not followed")
            } else {
                format!("receiver answered {code}")
            });
        }
        o
    }

    async fn signing_key(&self, d: &ClaimedDelivery) -> Result<Vec<u8>, Outcome> {
        match self.inner.store.partner_by_id(d.partner_id).await {
            Ok(Some(p)) => self.inner.keyring.decrypt(&p.signing_key_enc).map_err(|e| {
                // A wrong master key is an operator error that can be fixed: keep retrying.
                Outcome::transient(format!("signing key: {e}"), FailureKind::Other)
            }),
            Ok(None) => Err(Outcome::refused("partner no longer exists")),
            Err(e) => Err(Outcome::transient(
                format!("store: {e}"),
                FailureKind::Other,
            )),
        }
    }
}

/// Reads at most [`MAX_RESPONSE_BODY`] bytes of the response (the rest is not read), lossily as UTF-8.
async fn read_truncated(resp: &mut reqwest::Response) -> (Option<String>, Option<reqwest::Error>) {
    let mut buf = Vec::new();
    let mut err = None;
    while buf.len() < MAX_RESPONSE_BODY {
        match resp.chunk().await {
            Ok(Some(c)) => buf.extend_from_slice(&c),
            Ok(None) => break,
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    buf.truncate(MAX_RESPONSE_BODY);
    let s = String::from_utf8_lossy(&buf).into_owned();
    (if s.is_empty() { None } else { Some(s) }, err)
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
