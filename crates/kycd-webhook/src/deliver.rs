//! The deliverer: claims outbox rows, signs and posts them, and records every attempt.

use crate::schedule::{FailureKind, RetrySchedule, parse_retry_after, random_unit};
use crate::sign::{sign, standard_signatures};
use crate::ssrf::{GuardedResolver, check_url, find_refusal};
use kycd_store::{AttemptRecord, ClaimedDelivery, Keyring, Store, now_ms};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
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
    /// Lease on a claimed row, 30 s by default. It is renewed every third of itself while the attempt runs (so it
    /// may be shorter than `timeout`); a deliverer that dies stops renewing and its row is due again within one lease.
    pub lease: Duration,
    /// Per-request timeout (connect + send + response body), 15 s by default.
    pub timeout: Duration,
    /// On shutdown, how long in-flight attempts may still finish (and be recorded) before they are abandoned and
    /// their rows released for another deliverer at once; 3 s by default.
    pub shutdown_grace: Duration,
}

impl Default for DelivererConfig {
    fn default() -> Self {
        Self {
            schedule: RetrySchedule::default(),
            allow_private: false,
            concurrency: 8,
            poll: Duration::from_secs(1),
            lease: Duration::from_secs(30),
            timeout: Duration::from_secs(15),
            shutdown_grace: Duration::from_secs(3),
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
    /// Rows this deliverer holds a lease on: outbox id → the current lease token (its `lease_until`).
    held: Mutex<HashMap<i64, i64>>,
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
                held: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Notify this to make the deliverer look for due rows now (after enqueuing or replaying).
    pub fn waker(&self) -> Arc<Notify> {
        self.inner.waker.clone()
    }

    /// Runs until `shutdown` becomes true (or its sender is dropped): claims due rows, delivers up to `concurrency`
    /// at once and records each attempt. On shutdown it stops claiming, lets in-flight deliveries finish for up to
    /// `shutdown_grace`, then abandons the rest and releases their leases so another deliverer sends them at once.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let permits = Arc::new(Semaphore::new(self.inner.cfg.concurrency.max(1)));
        let mut tasks = JoinSet::new();
        let lease_ms = self.lease_ms();
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
            match self.inner.store.claim_delivery_leased(lease_ms).await {
                Ok(Some((d, lease_until))) => {
                    self.hold(d.id, lease_until);
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
        let grace = self.inner.cfg.shutdown_grace;
        let drained =
            tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
        }
        self.release_held().await;
    }

    fn lease_ms(&self) -> i64 {
        i64::try_from(self.inner.cfg.lease.as_millis()).unwrap_or(i64::MAX)
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<i64, i64>> {
        // A poisoned map is still a valid map (no invariant spans an update).
        self.inner.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn hold(&self, id: i64, lease_until: i64) {
        self.held().insert(id, lease_until);
    }

    /// Gives back every row still leased (attempts abandoned at shutdown): due again at once for any deliverer.
    async fn release_held(&self) {
        let rows: Vec<(i64, i64)> = self.held().drain().collect();
        for (id, lease_until) in rows {
            match self.inner.store.release_delivery(id, lease_until).await {
                Ok(true) => tracing::info!(outbox_id = id, "stopping: webhook delivery released"),
                Ok(false) => {}
                Err(e) => tracing::warn!(
                    outbox_id = id, error = %e,
                    "stopping: could not release a webhook delivery; it is retried when its lease ends"
                ),
            }
        }
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
        match self
            .inner
            .store
            .claim_delivery_leased(self.lease_ms())
            .await?
        {
            Some((d, lease_until)) => {
                self.hold(d.id, lease_until);
                self.deliver(&d).await;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The attempt for a held row, renewing its lease every third of the lease while it runs.
    async fn attempt_with_heartbeat(&self, d: &ClaimedDelivery) -> Outcome {
        let lease_ms = self.lease_ms();
        let beat = (self.inner.cfg.lease / 3).max(Duration::from_millis(200));
        let work = self.attempt(d);
        tokio::pin!(work);
        let mut tick = tokio::time::interval(beat);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                o = &mut work => return o,
                _ = tick.tick() => {
                    let Some(token) = self.held().get(&d.id).copied() else { continue };
                    match self.inner.store.extend_delivery_lease(d.id, token, lease_ms).await {
                        Ok(Some(next)) => self.hold(d.id, next),
                        Ok(None) => {
                            tracing::warn!(webhook_id = %d.webhook_id, "webhook lease lost during the attempt");
                            self.held().remove(&d.id);
                        }
                        Err(e) => tracing::warn!(
                            webhook_id = %d.webhook_id, error = %e, "could not extend the webhook lease"
                        ),
                    }
                }
            }
        }
    }

    /// One attempt for a claimed row, recorded through the store. Store failures are logged; the lease then lapses
    /// and the row is attempted again (at-least-once).
    async fn deliver(&self, d: &ClaimedDelivery) {
        let started = Instant::now();
        let outcome = self.attempt_with_heartbeat(d).await;
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let rec = self.record_for(d, outcome, duration_ms);
        tracing::info!(
            webhook_id = %d.webhook_id, scan_ref = %d.scan_ref, attempt = d.attempts + 1,
            status = ?rec.status_code, state = rec.new_state, error = ?rec.error, "webhook attempt"
        );
        if let Err(e) = self.inner.store.record_attempt(d, &rec).await {
            tracing::error!(webhook_id = %d.webhook_id, error = %e, "recording webhook attempt failed");
        }
        // Recorded (or left to lapse after a store failure): nothing to release at shutdown.
        self.held().remove(&d.id);
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
        if !key.current.is_empty() {
            put(
                &mut headers,
                "idenfy-signature",
                &sign(key.idenfy(), &d.body),
            );
            put(
                &mut headers,
                "webhook-signature",
                &standard_signatures(&key.standard(), &d.webhook_id, ts, &d.body),
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

    async fn signing_key(&self, d: &ClaimedDelivery) -> Result<SigningKeys, Outcome> {
        // A wrong master key is an operator error that can be fixed: keep retrying.
        let decrypt = |enc: &[u8], what: &str| {
            self.inner
                .keyring
                .decrypt(enc)
                .map_err(|e| Outcome::transient(format!("{what}: {e}"), FailureKind::Other))
        };
        match self.inner.store.partner_by_id(d.partner_id).await {
            Ok(Some(p)) => {
                let now = now_ms();
                let previous = match p.previous_signing_key_enc(now) {
                    Some(enc) => Some(decrypt(enc, "previous signing key")?),
                    None => None,
                };
                Ok(SigningKeys {
                    current: decrypt(&p.signing_key_enc, "signing key")?,
                    idenfy_previous: previous.is_some() && p.idenfy_signs_with_previous_key(now),
                    previous,
                })
            }
            Ok(None) => Err(Outcome::refused("partner no longer exists")),
            Err(e) => Err(Outcome::transient(
                format!("store: {e}"),
                FailureKind::Other,
            )),
        }
    }
}

/// The keys a webhook is signed with at the time of its attempt. Outside a rotation only `current`. During the
/// overlap of `kycd partner rotate-signing-key`, `webhook-signature` carries a signature of each key (the new one
/// first), and `Idenfy-Signature`, which holds one, stays on the previous key until the partner confirms the new one
/// (`kycd partner confirm-signing-key`) or the overlap ends.
#[derive(Debug)]
struct SigningKeys {
    current: Vec<u8>,
    previous: Option<Vec<u8>>,
    idenfy_previous: bool,
}

impl SigningKeys {
    /// The key of `Idenfy-Signature`.
    fn idenfy(&self) -> &[u8] {
        match &self.previous {
            Some(p) if self.idenfy_previous => p,
            _ => &self.current,
        }
    }

    /// The keys of `webhook-signature`, the new one first.
    fn standard(&self) -> Vec<&[u8]> {
        let mut keys = vec![self.current.as_slice()];
        keys.extend(self.previous.as_deref());
        keys
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
