//! A fixed pool of [`FaceEngine`]s for concurrent callers (the dlib network is not `Sync`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::FaceError;
use crate::engine::{EngineConfig, FaceEngine};
use crate::models::ModelPaths;

/// `n` independent engines behind mutexes; each call takes a free one (or waits for one).
/// Each engine holds its own copy of the two models (31.6 MB of model files).
pub struct FacePool {
    engines: Vec<Mutex<FaceEngine>>,
    next: AtomicUsize,
}

impl FacePool {
    /// Loads `size` engines (at least one).
    pub fn new(paths: &ModelPaths, config: EngineConfig, size: usize) -> Result<Self, FaceError> {
        let engines = (0..size.max(1))
            .map(|_| FaceEngine::new(paths, config.clone()).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            engines,
            next: AtomicUsize::new(0),
        })
    }

    /// Number of engines.
    pub fn size(&self) -> usize {
        self.engines.len()
    }

    /// Runs `f` with a free engine.
    pub fn with<R>(&self, f: impl FnOnce(&FaceEngine) -> R) -> R {
        let n = self.engines.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        for i in 0..n {
            if let Ok(guard) = self.engines[(start + i) % n].try_lock() {
                return f(&guard);
            }
        }
        // All busy: wait for ours. A poisoned engine is still usable (dlib state is per call).
        let guard = self.engines[start]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&guard)
    }
}
