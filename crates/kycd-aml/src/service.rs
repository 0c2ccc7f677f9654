//! The handle a server holds: an immutable index behind `arc-swap`, replaced atomically on
//! reload (in-flight screenings keep the snapshot they started with).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::error::AmlError;
use crate::index::Index;
use crate::screen::{Query, ScreenConfig, ScreenResult};
use crate::store::load_all;

/// Shared screening service.
pub struct ScreeningService {
    data_dir: Option<PathBuf>,
    index: ArcSwap<Index>,
    config: ArcSwap<ScreenConfig>,
}

impl ScreeningService {
    /// Load every list stored under `data_dir` and build the index.
    pub fn load(data_dir: impl AsRef<Path>) -> Result<Self, AmlError> {
        let dir = data_dir.as_ref().to_path_buf();
        let (entities, metas) = load_all(&dir)?;
        Ok(ScreeningService {
            data_dir: Some(dir),
            index: ArcSwap::from_pointee(Index::build(entities, metas)),
            config: ArcSwap::from_pointee(ScreenConfig::default()),
        })
    }

    /// Wrap an already-built index (tests, benchmarks).
    pub fn from_index(index: Index) -> Self {
        ScreeningService {
            data_dir: None,
            index: ArcSwap::from_pointee(index),
            config: ArcSwap::from_pointee(ScreenConfig::default()),
        }
    }

    /// Rebuild from the data dir and swap atomically. On error the current index stays.
    pub fn reload(&self) -> Result<(), AmlError> {
        let dir = self
            .data_dir
            .as_ref()
            .ok_or_else(|| AmlError::Invalid("service has no data dir".into()))?;
        let (entities, metas) = load_all(dir)?;
        self.index.store(Arc::new(Index::build(entities, metas)));
        Ok(())
    }

    /// Swap in a new index.
    pub fn replace(&self, index: Index) {
        self.index.store(Arc::new(index));
    }

    /// Current index snapshot.
    pub fn index(&self) -> Arc<Index> {
        self.index.load_full()
    }

    /// Current configuration.
    pub fn config(&self) -> Arc<ScreenConfig> {
        self.config.load_full()
    }

    /// Replace the configuration (threshold, weights).
    pub fn set_config(&self, cfg: ScreenConfig) {
        self.config.store(Arc::new(cfg));
    }

    /// Screen one query against the current snapshot.
    pub fn screen(&self, q: &Query) -> ScreenResult {
        let cfg = self.config.load();
        self.index.load().screen(q, &cfg)
    }
}
