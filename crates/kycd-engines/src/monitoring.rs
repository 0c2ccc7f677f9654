//! AML monitoring: the scheduled list refresh and the re-screening of every monitored subject after a list change.
//!
//! One process of a fleet at a time holds the `lists-refresh` lease in the store and runs [`Monitor::refresh`]:
//! download (official URLs or `KYCD_LISTS_MIRROR_URL`), keep the previous list when a download or parse fails or a
//! list shrinks suspiciously (kycd_aml::update), record the refresh, reload the index, then re-screen
//! **incrementally**: each subject's earlier matches minus the entities the refresh changed or removed, plus its
//! matches among an index of only the added and changed entities. Subjects never screened, or screened by another
//! version of the matching logic, are screened against the whole index ([`Monitor::screen_pending`]). A subject
//! whose matches changed gets an `AML_MONITORING` webhook through the signed, retried outbox.

use kycd_aml::monitor::{self, MATCHER_VERSION, Subject};
use kycd_aml::update::{UpdateReport, UpdateSource};
use kycd_aml::{Index, ScreeningService};
use kycd_store::{OutboxEntry, Store, StoreError, SubjectRow, now_ms};
use kycd_types::EventType;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Name of the store lease of the list refresher.
pub const REFRESH_LEASE: &str = "lists-refresh";
const BATCH: i64 = 2_000;

/// Why a monitoring pass failed (the next pass tries again).
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The lists.
    #[error(transparent)]
    Aml(#[from] kycd_aml::AmlError),
    /// A blocking task died.
    #[error("monitoring task: {0}")]
    Task(String),
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassStats {
    /// Lists replaced.
    pub lists_updated: usize,
    /// Lists whose download or parse failed (previous version kept).
    pub lists_failed: usize,
    /// Entities added, changed or removed over all lists.
    pub entities_changed: usize,
    /// Subjects screened.
    pub screened: usize,
    /// Subjects whose result changed (one webhook each).
    pub alerts: usize,
}

/// The monitoring service of one process.
#[derive(Clone)]
pub struct Monitor {
    /// Database (subjects, leases, outbox).
    pub store: Store,
    /// The screening index this process serves.
    pub service: Arc<ScreeningService>,
    /// Data dir holding the lists.
    pub data_dir: PathBuf,
    /// Where the lists come from.
    pub sources: Vec<UpdateSource>,
    /// This process (lease holder name).
    pub holder: String,
}

impl Monitor {
    /// The subject as screened.
    fn subject(s: &SubjectRow) -> Subject {
        let d = &s.data;
        Subject {
            name: [Some(d.name.as_str()), d.surname.as_deref()]
                .into_iter()
                .flatten()
                .filter(|p| !p.trim().is_empty())
                .collect::<Vec<_>>()
                .join(" "),
            birth_date: d.date_of_birth.clone(),
            nationality: d.nationality.clone().or_else(|| d.country.clone()),
            company: s.kind == "COMPANY",
        }
    }

    /// Refreshes the lists once (when this process gets the lease) and re-screens what changed.
    pub async fn refresh(&self) -> Result<PassStats, MonitorError> {
        let lease_until = now_ms() + 30 * 60 * 1000;
        if !self
            .store
            .take_lease(REFRESH_LEASE, &self.holder, lease_until)
            .await?
        {
            return Ok(PassStats::default());
        }
        let out = self.refresh_held().await;
        self.store
            .release_lease(REFRESH_LEASE, &self.holder)
            .await?;
        out
    }

    async fn refresh_held(&self) -> Result<PassStats, MonitorError> {
        let (dir, sources) = (self.data_dir.clone(), self.sources.clone());
        // A plain thread, not the blocking pool: a download that hangs must not hold up a graceful stop.
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("kycd-lists-refresh".into())
            .spawn(move || {
                let _ = tx.send(kycd_aml::update::update(&dir, &sources, &mut |_| {}));
            })
            .map_err(|e| MonitorError::Task(e.to_string()))?;
        let report: UpdateReport = rx.await.map_err(|e| MonitorError::Task(e.to_string()))??;
        let mut stats = PassStats {
            lists_updated: report.updated.len(),
            lists_failed: report.failed.len(),
            ..PassStats::default()
        };
        for (key, e) in &report.failed {
            tracing::warn!(list = %key, error = %e, "list refresh failed; the previous version is kept");
        }
        let changed: Vec<_> = report
            .diffs
            .into_iter()
            .filter(|(_, d)| !d.is_empty())
            .collect();
        if changed.is_empty() {
            return Ok(stats);
        }
        // The new lists are served at once by this process (others reload them from the data dir).
        let service = self.service.clone();
        tokio::task::spawn_blocking(move || service.reload())
            .await
            .map_err(|e| MonitorError::Task(e.to_string()))??;
        let mut delta_entities = Vec::new();
        let mut stale = std::collections::BTreeSet::new();
        for (key, d) in &changed {
            stats.entities_changed += d.added.len() + d.changed.len() + d.removed.len();
            tracing::info!(list = %key, added = d.added.len(), changed = d.changed.len(), removed = d.removed.len(),
                "list changed; re-screening monitored subjects");
            stale.extend(d.stale_ids());
            delta_entities.extend(d.added.iter().chain(&d.changed).cloned());
        }
        let delta = Arc::new(Index::build(delta_entities, vec![]));
        let stale = Arc::new(stale);
        // Subjects screened by this matching logic: incrementally. The others are screened in full just after.
        let (screened, alerts) = self
            .rescreen(move |s, cfg| {
                monitor::incremental_matches(&s.hits, &stale, &delta, cfg, &Self::subject(s))
            })
            .await?;
        stats.screened += screened;
        stats.alerts += alerts;
        let pending = self.screen_pending().await?;
        stats.screened += pending.screened;
        stats.alerts += pending.alerts;
        Ok(stats)
    }

    /// Screens in full every active subject never screened, or screened by another version of the matching logic.
    pub async fn screen_pending(&self) -> Result<PassStats, MonitorError> {
        let index = self.service.index();
        let (screened, alerts) = self
            .rescreen_where(
                |s| s.matcher != MATCHER_VERSION,
                move |s, cfg| monitor::matches(&index, cfg, &Self::subject(s)),
            )
            .await?;
        Ok(PassStats {
            screened,
            alerts,
            ..PassStats::default()
        })
    }

    async fn rescreen(
        &self,
        matches: impl Fn(&SubjectRow, &kycd_aml::ScreenConfig) -> Vec<String> + Send + Sync + 'static,
    ) -> Result<(usize, usize), MonitorError> {
        self.rescreen_where(|s| s.matcher == MATCHER_VERSION, matches)
            .await
    }

    /// Walks the active subjects `which` selects in batches, screening each with `matches` off the async runtime;
    /// records every screen and enqueues a webhook for each subject whose matches changed.
    async fn rescreen_where(
        &self,
        which: impl Fn(&SubjectRow) -> bool + Send + Sync + 'static,
        matches: impl Fn(&SubjectRow, &kycd_aml::ScreenConfig) -> Vec<String> + Send + Sync + 'static,
    ) -> Result<(usize, usize), MonitorError> {
        let which = Arc::new(which);
        let matches = Arc::new(matches);
        let cfg = self.service.config();
        let (mut screened, mut alerts) = (0, 0);
        let mut after: Option<String> = None;
        let now = now_ms();
        self.store.expire_subjects(now).await?;
        loop {
            let batch = self
                .store
                .subjects(after.as_deref(), BATCH, false, None)
                .await?;
            let Some(last) = batch.last() else { break };
            after = Some(last.monitoring_id.clone());
            let (which, matches, cfg) = (which.clone(), matches.clone(), cfg.clone());
            let results: Vec<(SubjectRow, Vec<String>)> = tokio::task::spawn_blocking(move || {
                batch
                    .into_iter()
                    .filter(|s| which(s))
                    .map(|s| {
                        let m = matches(&s, &cfg);
                        (s, m)
                    })
                    .collect()
            })
            .await
            .map_err(|e| MonitorError::Task(e.to_string()))?;
            for (s, hits) in results {
                screened += 1;
                let status = if hits.is_empty() {
                    "NOT_SUSPECTED"
                } else {
                    "SUSPECTED"
                };
                let changed = hits != s.hits;
                // A first screen without matches is the expected state: no alert for it.
                let alert = changed && !(s.matcher == 0 && hits.is_empty());
                self.store
                    .set_subject_screen(&s.monitoring_id, &hits, status, MATCHER_VERSION)
                    .await?;
                if alert {
                    alerts += 1;
                    self.alert(&s, &hits, status).await?;
                }
            }
        }
        Ok((screened, alerts))
    }

    /// Enqueues the `AML_MONITORING` webhook of a subject whose result changed.
    async fn alert(
        &self,
        s: &SubjectRow,
        hits: &[String],
        status: &str,
    ) -> Result<(), MonitorError> {
        let Some(partner) = self.store.partner_by_id(s.partner_id).await? else {
            return Ok(());
        };
        let body = monitoring_body(&self.service, s, hits, status);
        self.store
            .enqueue_webhook(&OutboxEntry {
                webhook_id: format!("msg_{}", uuid::Uuid::new_v4().simple()),
                scan_ref: s
                    .scan_ref
                    .clone()
                    .unwrap_or_else(|| s.monitoring_id.clone()),
                partner_id: s.partner_id,
                event_type: EventType::AmlMonitoring.as_str().to_string(),
                url: partner.webhook_url.clone(),
                body: serde_json::to_vec(&body).unwrap_or_default(),
            })
            .await?;
        tracing::info!(monitoring_id = %s.monitoring_id, status, matches = hits.len(), "AML monitoring alert");
        Ok(())
    }

    /// Runs the monitor until shutdown: pending subjects are screened every `pending_every`; the lists are refreshed
    /// every `refresh_every` (when given), counted from the last refresh this process made.
    pub async fn run(
        self,
        refresh_every: Option<Duration>,
        pending_every: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut last_refresh: Option<Instant> = None;
        loop {
            if let Err(e) = self.screen_pending().await {
                tracing::warn!(error = %e, "AML monitoring: screening new subjects failed");
            }
            if let Some(every) = refresh_every
                && last_refresh.is_none_or(|t| t.elapsed() >= every)
            {
                last_refresh = Some(Instant::now());
                match self.refresh().await {
                    Ok(s) if s.entities_changed + s.lists_failed > 0 => tracing::info!(
                        updated = s.lists_updated,
                        failed = s.lists_failed,
                        changed = s.entities_changed,
                        screened = s.screened,
                        alerts = s.alerts,
                        "lists refreshed"
                    ),
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "list refresh failed; the previous lists are kept")
                    }
                }
            }
            let wait = refresh_every.map_or(pending_every, |e| e.min(pending_every));
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => return,
            }
            if *shutdown.borrow() {
                return;
            }
        }
    }
}

/// The `AML_MONITORING` body (idenfy-api.md §8.1): who, whether still monitored, the alert state and the matches
/// as AML v2 items.
pub fn monitoring_body(
    service: &ScreeningService,
    s: &SubjectRow,
    hits: &[String],
    status: &str,
) -> Value {
    let d = &s.data;
    let subject = Monitor::subject(s);
    let today = kycd_aml::store::utc_now();
    let q = kycd_aml::Query {
        name: subject.name,
        birth_date: subject.birth_date,
        nationality: subject.nationality,
        gender: None,
        kind: None,
    };
    let mut found = service.screen(&q);
    found.hits.retain(|h| hits.contains(&h.entity_id));
    let results: Vec<Value> = kycd_aml::aml_array(&found, &today, "monitoring", &[])
        .into_iter()
        .flat_map(|r| r.data)
        .filter_map(|item| serde_json::to_value(item).ok())
        .collect();
    let expiration = chrono_date(s.expires_at);
    json!({
        "monitoringId": s.monitoring_id,
        "name": d.name,
        "surname": d.surname,
        "nationality": d.nationality.clone().or_else(|| d.country.clone()),
        "dob": d.date_of_birth,
        "isActive": s.active,
        "expiration": expiration,
        "scanRefList": s.scan_ref.iter().collect::<Vec<_>>(),
        "alertStatus": status,
        "results": results,
    })
}

/// `YYYY-MM-DD` of a time in ms.
fn chrono_date(ms: i64) -> String {
    kycd_mrz::Date::from_days_since_epoch(ms.div_euclid(86_400_000)).to_iso()
}
