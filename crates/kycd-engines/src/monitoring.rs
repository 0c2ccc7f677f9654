//! AML monitoring: the scheduled list refresh and the re-screening of every monitored subject after a list change.
//!
//! One process of a fleet at a time holds the `lists-refresh` lease in the store and runs [`Monitor::refresh`]:
//! download (official URLs or `KYCD_LISTS_MIRROR_URL`), keep the previous list when a download or parse fails or a
//! list shrinks suspiciously (kycd_aml::update), record the refresh, reload the index, then re-screen
//! **incrementally**: each subject's earlier matches minus the entities the refresh changed or removed, plus its
//! matches among an index of only the added and changed entities. Subjects never screened, or screened by another
//! version of the matching logic, are screened against the whole index ([`Monitor::screen_pending`]). A subject
//! whose matches changed gets an `AML_MONITORING` webhook through the signed, retried outbox.

use kycd_aml::monitor::{self, MATCHER_VERSION, Subject, par_map};
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
/// Setting holding how many records of the refresh history the subjects have been re-screened against.
const HISTORY_CURSOR: &str = "aml.history_applied";
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
    /// Called with (screened, to screen) as a full screen proceeds (`kycd aml rescreen` draws a progress bar).
    progress: Option<Arc<dyn Fn(usize, usize) + Send + Sync>>,
    /// The subjects as last screened, kept in memory by the lease holder so that an incremental re-screen does not
    /// read and open every subject again.
    cache: Arc<tokio::sync::Mutex<SubjectCache>>,
}

/// One subject in [`SubjectCache`].
struct Cached {
    subject: Subject,
    /// The words of its name in [`SubjectCache::vocab`].
    words: Box<[u32]>,
    hits: Vec<String>,
}

/// The active subjects screened by this matching logic, by `monitoringId`.
#[derive(Default)]
struct SubjectCache {
    loaded: bool,
    subjects: std::collections::HashMap<String, Cached>,
    vocab: monitor::Vocabulary,
}

impl SubjectCache {
    fn insert(&mut self, id: String, subject: Subject, hits: Vec<String>) {
        let words = self.vocab.words_of(&subject.name);
        self.subjects.insert(
            id,
            Cached {
                subject,
                words,
                hits,
            },
        );
    }
}

impl Monitor {
    /// The monitor of one process.
    pub fn new(
        store: Store,
        service: Arc<ScreeningService>,
        data_dir: PathBuf,
        sources: Vec<UpdateSource>,
        holder: String,
    ) -> Self {
        Monitor {
            store,
            service,
            data_dir,
            sources,
            holder,
            progress: None,
            cache: Arc::default(),
        }
    }

    /// Reports the progress of full screens to `f` (screened so far, to screen).
    pub fn with_progress(mut self, f: impl Fn(usize, usize) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Loads the subjects into memory (once; later passes keep the copy up to date).
    pub async fn warm(&self) -> Result<(), MonitorError> {
        let mut cache = self.cache.lock().await;
        self.load_cache(&mut cache).await
    }

    /// Fills the cache from the store (every active subject screened by this logic), once.
    async fn load_cache(&self, cache: &mut SubjectCache) -> Result<(), MonitorError> {
        if cache.loaded {
            return Ok(());
        }
        cache.subjects.clear();
        let mut batches = self.read_subjects(false);
        while let Some(batch) = batches.recv().await {
            for s in batch?.into_iter().filter(|s| s.matcher == MATCHER_VERSION) {
                let subject = Self::subject(&s);
                cache.insert(s.monitoring_id, subject, s.hits);
            }
        }
        cache.loaded = true;
        Ok(())
    }

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

    /// One pass, when this process holds the lease: screens the new subjects, refreshes the lists when `refresh`,
    /// and applies every list change recorded since the last pass (a refresh's, or a `kycd lists update|import` run
    /// by another process on the same data dir) to the monitored subjects.
    pub async fn pass(&self, refresh: bool) -> Result<PassStats, MonitorError> {
        let lease_until = now_ms() + 30 * 60 * 1000;
        if !self
            .store
            .take_lease(REFRESH_LEASE, &self.holder, lease_until)
            .await?
        {
            // Another process works the subjects meanwhile: this cache will be stale when the lease comes back.
            self.cache.lock().await.loaded = false;
            return Ok(PassStats::default());
        }
        let out = self.pass_held(refresh).await;
        self.store
            .release_lease(REFRESH_LEASE, &self.holder)
            .await?;
        out
    }

    async fn pass_held(&self, refresh: bool) -> Result<PassStats, MonitorError> {
        let mut stats = self.screen_pending().await?;
        // The subjects in memory before any change arrives, so that the re-screen after one is incremental only.
        self.warm().await?;
        if refresh {
            let report = self.download().await?;
            stats.lists_updated = report.updated.len();
            stats.lists_failed = report.failed.len();
            for (key, e) in &report.failed {
                tracing::warn!(list = %key, error = %e, "list refresh failed; the previous version is kept");
            }
        }
        let applied = self.catch_up().await?;
        stats.entities_changed += applied.entities_changed;
        stats.screened += applied.screened;
        stats.alerts += applied.alerts;
        Ok(stats)
    }

    /// Downloads, checks and stores the lists (kycd_aml::update), on a plain thread: a download that hangs must not
    /// hold up a graceful stop.
    async fn download(&self) -> Result<UpdateReport, MonitorError> {
        let (dir, sources) = (self.data_dir.clone(), self.sources.clone());
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("kycd-lists-refresh".into())
            .spawn(move || {
                let _ = tx.send(kycd_aml::update::update(&dir, &sources, &mut |_| {}));
            })
            .map_err(|e| MonitorError::Task(e.to_string()))?;
        Ok(rx.await.map_err(|e| MonitorError::Task(e.to_string()))??)
    }

    /// Applies the list changes recorded in the refresh history since the last pass (the position is kept in the
    /// store, so a restart resumes it): the index is reloaded and the subjects re-screened against what changed.
    async fn catch_up(&self) -> Result<PassStats, MonitorError> {
        let dir = self.data_dir.clone();
        let history = tokio::task::spawn_blocking(move || monitor::history(&dir))
            .await
            .map_err(|e| MonitorError::Task(e.to_string()))??;
        let Some(done) = self.store.setting(HISTORY_CURSOR).await? else {
            // A fresh installation: the subjects are screened in full by the pending pass.
            self.store
                .set_setting(HISTORY_CURSOR, &history.len().to_string())
                .await?;
            return Ok(PassStats::default());
        };
        let done: usize = done.parse().unwrap_or(0).min(history.len());
        if done == history.len() {
            return Ok(PassStats::default());
        }
        let dir = self.data_dir.clone();
        let records = history[done..].to_vec();
        let changed = tokio::task::spawn_blocking(move || monitor::diffs_of(&dir, &records))
            .await
            .map_err(|e| MonitorError::Task(e.to_string()))??;
        let mut stats = PassStats::default();
        if !changed.is_empty() {
            // The new lists are served at once by this process (others reload them from the data dir).
            let service = self.service.clone();
            tokio::task::spawn_blocking(move || service.reload())
                .await
                .map_err(|e| MonitorError::Task(e.to_string()))??;
            stats = self.apply_changes(&changed).await?;
        }
        self.store
            .set_setting(HISTORY_CURSOR, &history.len().to_string())
            .await?;
        Ok(stats)
    }

    /// Re-screens the active subjects after list changes `(list key, diff)` (the index already serves the new
    /// lists): incrementally those screened by this matching logic, in full the others.
    pub async fn apply_changes(
        &self,
        changed: &[(String, monitor::ListDiff)],
    ) -> Result<PassStats, MonitorError> {
        let mut stats = PassStats::default();
        let mut delta_entities = Vec::new();
        let mut stale = std::collections::BTreeSet::new();
        for (key, d) in changed {
            stats.entities_changed += d.added.len() + d.changed.len() + d.removed.len();
            tracing::info!(list = %key, added = d.added.len(), changed = d.changed.len(), removed = d.removed.len(),
                "list changed; re-screening monitored subjects");
            stale.extend(d.stale_ids());
            delta_entities.extend(d.added.iter().chain(&d.changed).cloned());
        }
        let delta = Index::build(delta_entities, vec![]);
        let mut cache = self.cache.lock().await;
        self.load_cache(&mut cache).await?;
        // Every cached subject against the changed entities only, on every core; a subject none of whose words the
        // changed entities can match keeps its matches (minus the stale ones) without a screen.
        let cfg = self.service.config();
        let changed_ids: Vec<(String, Vec<String>)> = tokio::task::block_in_place(|| {
            let reach = cache.vocab.reach(&delta);
            let all: Vec<(&String, &Cached)> = cache.subjects.iter().collect();
            par_map(&all, |(id, c)| {
                let may = reach.may_match(&c.words);
                if stale.is_empty() && !may {
                    return None;
                }
                let found = if may {
                    reach.matches(&c.words, &cfg, &c.subject)
                } else {
                    Vec::new()
                };
                let m = monitor::incremental_matches(&c.hits, &stale, found);
                (m != c.hits).then(|| ((*id).clone(), m))
            })
        });
        stats.screened += cache.subjects.len();
        // Only the subjects whose matches changed are read back, recorded and alerted.
        let mut writes = Vec::new();
        for (id, hits) in changed_ids {
            match self.store.subject(&id).await? {
                Some(s) if s.active => {
                    let status = if hits.is_empty() {
                        "NOT_SUSPECTED"
                    } else {
                        "SUSPECTED"
                    };
                    self.alert(&s, &hits, status).await?;
                    stats.alerts += 1;
                    writes.push((id.clone(), hits.clone(), status.to_string()));
                    if let Some(c) = cache.subjects.get_mut(&id) {
                        c.hits = hits;
                    }
                }
                // Stopped or erased since it was cached.
                _ => {
                    cache.subjects.remove(&id);
                }
            }
        }
        if !writes.is_empty() {
            self.store
                .set_subject_screens(&writes, MATCHER_VERSION)
                .await?;
        }
        drop(cache);
        let pending = self.screen_pending().await?;
        stats.screened += pending.screened;
        stats.alerts += pending.alerts;
        Ok(stats)
    }

    /// Screens in full every active subject never screened, or screened by an older version of the matching logic;
    /// records every screen and enqueues a webhook for each subject whose matches changed. Reading the next batch,
    /// screening this one (off the async runtime, on every core) and writing the previous one's results overlap.
    pub async fn screen_pending(&self) -> Result<PassStats, MonitorError> {
        let index = self.service.index();
        let total = match &self.progress {
            Some(_) => usize::try_from(self.store.count_subjects(Some(MATCHER_VERSION)).await?)
                .unwrap_or(0),
            None => 0,
        };
        let cfg = self.service.config();
        let (mut screened, mut alerts) = (0, 0);
        self.store.expire_subjects(now_ms()).await?;
        let mut batches = self.read_subjects(true);
        let mut writing: Option<tokio::task::JoinHandle<Result<(), StoreError>>> = None;
        // One full screen for every batch: each word of the names is prepared against the index once.
        let full = Arc::new(std::sync::Mutex::new(monitor::FullScreen::new(index)));
        while let Some(batch) = batches.recv().await {
            let batch = batch?;
            let (full, cfg) = (full.clone(), cfg.clone());
            let results = tokio::task::spawn_blocking(move || {
                let subjects: Vec<Subject> = batch.iter().map(Self::subject).collect();
                let found = full
                    .lock()
                    .map_err(|_| MonitorError::Task("a full screen panicked".into()))?
                    .matches(&cfg, &subjects);
                Ok::<_, MonitorError>(batch.into_iter().zip(found).collect::<Vec<_>>())
            })
            .await
            .map_err(|e| MonitorError::Task(e.to_string()))??;
            let mut writes = Vec::new();
            let mut screened_now = std::collections::HashMap::new();
            for (s, hits) in results {
                screened += 1;
                screened_now.insert(s.monitoring_id.clone(), Self::subject(&s));
                let status = if hits.is_empty() {
                    "NOT_SUSPECTED"
                } else {
                    "SUSPECTED"
                };
                let changed = hits != s.hits;
                // Only what changed is written (an incremental pass over unchanged subjects writes nothing).
                if changed || s.matcher != MATCHER_VERSION || s.alert_status != status {
                    writes.push((s.monitoring_id.clone(), hits.clone(), status.to_string()));
                }
                // A first screen without matches is the expected state: no alert for it.
                if changed && !(s.matcher == 0 && hits.is_empty()) {
                    alerts += 1;
                    self.alert(&s, &hits, status).await?;
                }
            }
            if let Some(p) = &self.progress {
                p(screened, total);
            }
            {
                let mut cache = self.cache.lock().await;
                if cache.loaded {
                    for (id, hits, _) in &writes {
                        if let Some(subject) = screened_now.remove(id) {
                            cache.insert(id.clone(), subject, hits.clone());
                        }
                    }
                }
            }
            // One write in flight at a time, in order, while the next batch is screened.
            if let Some(w) = writing.take() {
                w.await.map_err(|e| MonitorError::Task(e.to_string()))??;
            }
            if !writes.is_empty() {
                let store = self.store.clone();
                writing = Some(tokio::spawn(async move {
                    store.set_subject_screens(&writes, MATCHER_VERSION).await
                }));
            }
        }
        if let Some(w) = writing {
            w.await.map_err(|e| MonitorError::Task(e.to_string()))??;
        }
        Ok(PassStats {
            screened,
            alerts,
            ..PassStats::default()
        })
    }

    /// The active subjects (`pending`: only those never screened or screened by an older matching logic, version
    /// after version) in `monitoring_id` order, in batches read ahead by a task of their own; a failed read ends the
    /// stream with its error.
    fn read_subjects(
        &self,
        pending: bool,
    ) -> tokio::sync::mpsc::Receiver<Result<Vec<SubjectRow>, StoreError>> {
        let (tx, rx) = tokio::sync::mpsc::channel(2);
        let store = self.store.clone();
        tokio::spawn(async move {
            let versions: Vec<Option<i64>> = if pending {
                (0..MATCHER_VERSION).map(Some).collect()
            } else {
                vec![None]
            };
            for version in versions {
                let mut after: Option<String> = None;
                loop {
                    let batch = match version {
                        Some(v) => store.subjects_screened_by(v, after.as_deref(), BATCH).await,
                        None => store.subjects(after.as_deref(), BATCH, false, None).await,
                    };
                    match batch {
                        Ok(b) if b.is_empty() => break,
                        Ok(b) => {
                            after = b.last().map(|s| s.monitoring_id.clone());
                            if tx.send(Ok(b)).await.is_err() {
                                return;
                            }
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e)).await;
                            return;
                        }
                    }
                }
            }
        });
        rx
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
            let due = refresh_every
                .is_some_and(|every| last_refresh.is_none_or(|t| t.elapsed() >= every));
            if due {
                last_refresh = Some(Instant::now());
            }
            match self.pass(due).await {
                Ok(s) if s.entities_changed + s.lists_failed + s.alerts > 0 => tracing::info!(
                    updated = s.lists_updated,
                    failed = s.lists_failed,
                    changed = s.entities_changed,
                    screened = s.screened,
                    alerts = s.alerts,
                    "AML monitoring pass"
                ),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "AML monitoring pass failed; the previous lists are kept")
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
