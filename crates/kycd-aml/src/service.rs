//! The handle a server holds: an immutable index behind `arc-swap`, replaced atomically on
//! reload (in-flight screenings keep the snapshot they started with).
//!
//! # Hot reload
//!
//! `kycd lists import` / `kycd lists update` run as separate processes and write into
//! `<data_dir>/lists/`: each list's entities and metadata are renamed into place, then the
//! generation stamp `<data_dir>/lists/GENERATION` is replaced (also by rename). A running
//! server notices this cheaply with [`ScreeningService::reload_if_changed`], which reads the
//! stamp and the small metadata files, and only when they changed rebuilds the index off to
//! the side and swaps it in. A failed rebuild (corrupt or half-written file) keeps the
//! current index and is retried on the next call.
//!
//! In `kycd serve`:
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::Duration;
//! use kycd_aml::service::{ReloadEvent, ScreeningService};
//!
//! # fn main() -> Result<(), kycd_aml::AmlError> {
//! let svc = Arc::new(ScreeningService::load("/var/lib/kycd")?); // empty dir: empty service
//! if svc.is_empty() {
//!     eprintln!("AML: {}", svc.list_summary()); // "no sanctions lists loaded ..."
//! }
//! // Keep the handle for the server's lifetime (dropping it stops the thread).
//! let _watcher = svc.clone().spawn_watcher_with(Duration::from_secs(30), |ev| match ev {
//!     ReloadEvent::Reloaded(s) => eprintln!("AML lists reloaded: {s}"),
//!     ReloadEvent::Failed { error, .. } => eprintln!("AML reload failed, old index kept: {error}"),
//! })?;
//! // per verification: the webhook's `AML` array (a failed check when no list is loaded)
//! let aml = svc.aml_entry(&kycd_aml::Query::person("Jane Doe"), "2026-01-01 00:00:00", "AML-1", &[]);
//! # let _ = aml; Ok(()) }
//! ```
//!
//! From async code, call [`ScreeningService::reload_if_changed`] through
//! `tokio::task::spawn_blocking` (it reads files and may build an index for about a second),
//! or simply use the watcher thread above, which does not touch the async runtime.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use arc_swap::ArcSwap;

use crate::error::AmlError;
use crate::index::Index;
use crate::model::ListMeta;
use crate::report::{AmlServiceResult, aml_array, aml_failed};
use crate::screen::{Query, ScreenConfig, ScreenResult};
use crate::store::{self, load_all};

/// Error message of the `AML` entry when no list is loaded.
pub const NO_LISTS_MESSAGE: &str =
    "no sanctions lists loaded: run `kycd lists update` or `kycd lists import`";

/// What the service currently screens against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListSummary {
    /// The lists of the current index (empty when none is loaded).
    pub lists: Vec<ListMeta>,
    /// Entities in the current index.
    pub entity_count: usize,
    /// Names (primary + aliases) in the current index.
    pub name_count: usize,
    /// The store fingerprint the index was built from (generation stamp and list
    /// checksums), `None` for an index not loaded from a data dir.
    pub generation: Option<String>,
    /// When the current index was loaded (UTC, `YYYY-MM-DD HH:MM:SS`).
    pub loaded_at: String,
}

impl ListSummary {
    /// True when no list is loaded: screenings find nothing, and the check must be reported
    /// as not successful rather than clean.
    pub fn is_empty(&self) -> bool {
        self.lists.is_empty() || self.entity_count == 0
    }
}

impl fmt::Display for ListSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str(NO_LISTS_MESSAGE);
        }
        write!(
            f,
            "{} list(s), {} entities, {} names (loaded {}):",
            self.lists.len(),
            self.entity_count,
            self.name_count,
            self.loaded_at
        )?;
        for m in &self.lists {
            write!(
                f,
                " {} [{} published {}, imported {}, {} entities];",
                m.key,
                m.source.list_name(),
                m.published.as_deref().unwrap_or("-"),
                m.imported_at,
                m.entity_count
            )?;
        }
        Ok(())
    }
}

/// One index snapshot with where it came from.
struct Loaded {
    index: Arc<Index>,
    generation: Option<String>,
    loaded_at: String,
}

/// Reported by the watcher thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadEvent {
    /// A new index was swapped in.
    Reloaded(ListSummary),
    /// The store changed but the rebuild failed; the previous index stays in use.
    Failed {
        /// What went wrong.
        error: String,
        /// Consecutive failures so far (the watcher backs off up to 32 periods).
        consecutive: u32,
    },
}

/// A running reload watcher thread. Dropping it (or calling [`ReloadWatcher::stop`]) stops
/// the thread; [`ReloadWatcher::detach`] lets it run for the rest of the process.
#[must_use = "dropping the watcher stops it; keep it or call detach()"]
pub struct ReloadWatcher {
    stop: Option<mpsc::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

impl ReloadWatcher {
    /// Stop the thread and wait for it (at most one in-progress reload).
    pub fn stop(mut self) {
        self.shutdown();
    }

    /// Let the thread run until the process exits.
    pub fn detach(mut self) {
        if let Some(tx) = self.stop.take() {
            std::mem::forget(tx);
        }
        self.handle.take();
    }

    fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for ReloadWatcher {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Shared screening service.
pub struct ScreeningService {
    data_dir: Option<PathBuf>,
    current: ArcSwap<Loaded>,
    config: ArcSwap<ScreenConfig>,
    /// Serialises reloads (one rebuild at a time; concurrent callers wait, then see the
    /// fresh fingerprint and return `false`).
    reload_lock: Mutex<()>,
}

fn lock(m: &Mutex<()>) -> MutexGuard<'_, ()> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Build an index from the store; `NoLists` becomes an empty index when `allow_empty`.
fn build(dir: &Path, allow_empty: bool) -> Result<Loaded, AmlError> {
    // fingerprint first: a write that lands during the build changes it again afterwards,
    // so the next check reloads (never the other way round)
    let generation = store::fingerprint(dir)?;
    let (entities, metas) = match load_all(dir) {
        Ok(v) => v,
        Err(AmlError::NoLists(_)) if allow_empty => (Vec::new(), Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(Loaded {
        index: Arc::new(Index::build(entities, metas)),
        generation: Some(generation),
        loaded_at: store::utc_now(),
    })
}

impl ScreeningService {
    /// Load every list stored under `data_dir` and build the index. A data dir with no list
    /// (or that does not exist yet) gives a working but empty service: [`Self::is_empty`] is
    /// true, screenings find nothing and [`Self::aml_entry`] reports a failed check. A
    /// corrupt stored list is an error.
    pub fn load(data_dir: impl AsRef<Path>) -> Result<Self, AmlError> {
        let dir = data_dir.as_ref().to_path_buf();
        let loaded = build(&dir, true)?;
        Ok(ScreeningService {
            data_dir: Some(dir),
            current: ArcSwap::from_pointee(loaded),
            config: ArcSwap::from_pointee(ScreenConfig::default()),
            reload_lock: Mutex::new(()),
        })
    }

    /// Wrap an already-built index (tests, benchmarks). Such a service has no data dir, so
    /// it cannot reload.
    pub fn from_index(index: Index) -> Self {
        ScreeningService {
            data_dir: None,
            current: ArcSwap::from_pointee(Loaded {
                index: Arc::new(index),
                generation: None,
                loaded_at: store::utc_now(),
            }),
            config: ArcSwap::from_pointee(ScreenConfig::default()),
            reload_lock: Mutex::new(()),
        }
    }

    fn dir(&self) -> Result<&Path, AmlError> {
        self.data_dir
            .as_deref()
            .ok_or_else(|| AmlError::Invalid("service has no data dir".into()))
    }

    /// Rebuild from the data dir unconditionally and swap atomically. On error (including
    /// "no lists stored": a server never drops to an empty index by itself) the current
    /// index stays.
    pub fn reload(&self) -> Result<(), AmlError> {
        let dir = self.dir()?;
        let _g = lock(&self.reload_lock);
        let loaded = build(dir, false)?;
        self.current.store(Arc::new(loaded));
        Ok(())
    }

    /// Reload only when the store changed since the current index was built (generation
    /// stamp or any list's metadata differ). Returns `Ok(true)` when a new index was swapped
    /// in, `Ok(false)` when nothing changed, and an error when the store changed but the
    /// rebuild failed, in which case the current index stays and the next call tries again.
    /// Cheap when nothing changed: one small file plus the lists' metadata files are read.
    pub fn reload_if_changed(&self) -> Result<bool, AmlError> {
        let dir = self.dir()?;
        let _g = lock(&self.reload_lock);
        let now = store::fingerprint(dir)?;
        if self.current.load().generation.as_deref() == Some(now.as_str()) {
            return Ok(false);
        }
        let loaded = build(dir, false)?;
        self.current.store(Arc::new(loaded));
        Ok(true)
    }

    /// Start a thread that calls [`Self::reload_if_changed`] every `every` (after a failure
    /// it waits 2, 4 … up to 32 periods before retrying the same broken store). Events are
    /// discarded; use [`Self::spawn_watcher_with`] to log them.
    pub fn spawn_watcher(self: Arc<Self>, every: Duration) -> std::io::Result<ReloadWatcher> {
        self.spawn_watcher_with(every, |_| {})
    }

    /// Like [`Self::spawn_watcher`], reporting every swap and every failure to `on_event`
    /// (called on the watcher thread).
    pub fn spawn_watcher_with(
        self: Arc<Self>,
        every: Duration,
        mut on_event: impl FnMut(ReloadEvent) + Send + 'static,
    ) -> std::io::Result<ReloadWatcher> {
        let every = every.max(Duration::from_millis(10));
        let (tx, rx) = mpsc::channel::<()>();
        let handle = std::thread::Builder::new()
            .name("kycd-aml-reload".into())
            .spawn(move || {
                let mut failures: u32 = 0;
                loop {
                    let wait = every.saturating_mul(2u32.pow(failures.min(5)));
                    match rx.recv_timeout(wait) {
                        Err(RecvTimeoutError::Timeout) => {}
                        // stop requested, or the watcher handle was dropped
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                    }
                    match self.reload_if_changed() {
                        Ok(false) => failures = 0,
                        Ok(true) => {
                            failures = 0;
                            on_event(ReloadEvent::Reloaded(self.list_summary()));
                        }
                        Err(e) => {
                            failures = failures.saturating_add(1);
                            on_event(ReloadEvent::Failed {
                                error: e.to_string(),
                                consecutive: failures,
                            });
                        }
                    }
                }
            })?;
        Ok(ReloadWatcher {
            stop: Some(tx),
            handle: Some(handle),
        })
    }

    /// Current index snapshot (stays valid, unchanged, across later reloads).
    pub fn index(&self) -> Arc<Index> {
        self.current.load().index.clone()
    }

    /// True when no list is loaded (screenings can only come back empty).
    pub fn is_empty(&self) -> bool {
        let cur = self.current.load();
        cur.index.lists().is_empty() || cur.index.entities().is_empty()
    }

    /// What the service currently screens against; its `Display` says "no sanctions lists
    /// loaded …" when empty.
    pub fn list_summary(&self) -> ListSummary {
        let cur = self.current.load();
        ListSummary {
            lists: cur.index.lists().to_vec(),
            entity_count: cur.index.entities().len(),
            name_count: cur.index.name_count(),
            generation: cur.generation.clone(),
            loaded_at: cur.loaded_at.clone(),
        }
    }

    /// Current configuration.
    pub fn config(&self) -> Arc<ScreenConfig> {
        self.config.load_full()
    }

    /// Replace the configuration (threshold, weights).
    pub fn set_config(&self, cfg: ScreenConfig) {
        self.config.store(Arc::new(cfg));
    }

    /// Screen one query against the current snapshot. With no list loaded the result is
    /// empty; use [`Self::screen_checked`] or [`Self::aml_entry`] to tell that apart from a
    /// clean result.
    pub fn screen(&self, q: &Query) -> ScreenResult {
        let cfg = self.config.load();
        // the guard keeps this snapshot alive even if a reload swaps in a new one meanwhile
        self.current.load().index.screen(q, &cfg)
    }

    /// Screen, failing with [`AmlError::NoListsLoaded`] when no list is loaded.
    pub fn screen_checked(&self, q: &Query) -> Result<ScreenResult, AmlError> {
        let cfg = self.config.load();
        let cur = self.current.load();
        if cur.index.lists().is_empty() || cur.index.entities().is_empty() {
            return Err(AmlError::NoListsLoaded);
        }
        Ok(cur.index.screen(q, &cfg))
    }

    /// The webhook's `AML` array for one subject: the hits ([`aml_array`]), or a check that
    /// was not successful ([`aml_failed`], `checkSuccessful: false`, fraud tag `AML_FAILED`)
    /// when no list is loaded or there is no name to screen, never a clean result in those
    /// cases. A date of birth or nationality that cannot be read (e.g. an MRZ test country)
    /// is left out of the query: qualifiers only lower scores, so dropping one can never hide
    /// a hit.
    pub fn aml_entry(
        &self,
        q: &Query,
        check_date: &str,
        uid: &str,
        whitelist: &[String],
    ) -> Vec<AmlServiceResult> {
        if q.name.trim().is_empty() {
            return aml_failed("no name to screen", uid);
        }
        let mut q = q.clone();
        if q.birth_date
            .as_deref()
            .is_some_and(|d| crate::dates::parse_date(d).is_none())
        {
            q.birth_date = None;
        }
        if q.nationality
            .as_deref()
            .is_some_and(|n| crate::country::to_alpha2(n).is_none())
        {
            q.nationality = None;
        }
        match self.screen_checked(&q) {
            Ok(r) => aml_array(&r, check_date, uid, whitelist),
            Err(e) => aml_failed(&e.to_string(), uid),
        }
    }

    /// Swap in a new index (tests, benchmarks). It carries no store fingerprint, so a later
    /// [`Self::reload_if_changed`] on a service with a data dir rebuilds from the store.
    pub fn replace(&self, index: Index) {
        self.current.store(Arc::new(Loaded {
            index: Arc::new(index),
            generation: None,
            loaded_at: store::utc_now(),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Entity, EntityKind, NameKind, NameRecord, Source};

    fn meta(key: &str, n: usize) -> ListMeta {
        ListMeta {
            source: Source::UnSc,
            key: key.into(),
            format: "un-xml".into(),
            published: Some("2026-02-27".into()),
            imported_at: "2026-03-01 00:00:00".into(),
            sha256: String::new(),
            entity_count: n,
            name_count: n,
            inputs: vec![],
        }
    }

    #[test]
    fn empty_index_service() {
        let svc = ScreeningService::from_index(Index::build(vec![], vec![]));
        assert!(svc.is_empty());
        assert!(svc.list_summary().is_empty());
        assert_eq!(svc.list_summary().to_string(), NO_LISTS_MESSAGE);
        assert!(!svc.screen(&Query::person("Any Body")).is_alert());
        assert!(matches!(
            svc.screen_checked(&Query::person("Any Body")),
            Err(AmlError::NoListsLoaded)
        ));
        // no data dir: reloading is an error, not a silent no-op
        assert!(matches!(svc.reload_if_changed(), Err(AmlError::Invalid(_))));
        assert!(svc.reload().is_err());
    }

    #[test]
    fn summary_and_replace() {
        let mut e = Entity::new(Source::UnSc, "QDi.1", EntityKind::Person);
        e.push_name(NameRecord::new("Zarko Petrovicius", NameKind::Primary));
        let svc = ScreeningService::from_index(Index::build(vec![e], vec![meta("un-sc", 1)]));
        assert!(!svc.is_empty());
        let s = svc.list_summary();
        assert_eq!(
            (s.entity_count, s.name_count, s.generation.clone()),
            (1, 1, None)
        );
        let text = s.to_string();
        assert!(text.starts_with("1 list(s), 1 entities, 1 names"), "{text}");
        assert!(text.contains("un-sc [UN published 2026-02-27"), "{text}");
        assert!(
            svc.screen_checked(&Query::person("Zarko Petrovicius"))
                .unwrap()
                .is_alert()
        );
        let before = svc.index();
        svc.replace(Index::build(vec![], vec![]));
        assert!(svc.is_empty());
        // the old snapshot is untouched
        assert_eq!(before.entities().len(), 1);
    }

    #[test]
    fn watcher_without_data_dir_reports_failures_and_stops_on_drop() {
        let svc = Arc::new(ScreeningService::from_index(Index::build(vec![], vec![])));
        let (tx, rx) = mpsc::channel();
        let w = svc
            .clone()
            .spawn_watcher_with(Duration::from_millis(10), move |ev| {
                let _ = tx.send(ev);
            })
            .unwrap();
        let ev = rx.recv_timeout(Duration::from_secs(30)).unwrap();
        assert!(
            matches!(ev, ReloadEvent::Failed { consecutive: 1, .. }),
            "{ev:?}"
        );
        drop(w);
        // the thread is gone: the sender it owned is dropped
        loop {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(_) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(Arc::strong_count(&svc), 1);
    }
}
