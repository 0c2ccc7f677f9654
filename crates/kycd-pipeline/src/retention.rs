//! Retention (`KYCD_RETENTION_DAYS`): verifications older than the retention period are erased like
//! `/api/v2/delete` does — images, personal data, derived embeddings and hashes — leaving a `DELETED` tombstone.

use kycd_blob::BlobStore;
use kycd_store::{Store, now_ms};
use std::time::Duration;
use tokio::sync::watch;
use tracing::{info, warn};

/// Erases verifications older than `days`.
pub struct RetentionSweeper {
    store: Store,
    blobs: BlobStore,
    days: u64,
    every: Duration,
}

impl RetentionSweeper {
    /// A sweeper (does nothing when `days` is 0).
    pub fn new(store: Store, blobs: BlobStore, days: u64, every: Duration) -> Self {
        Self {
            store,
            blobs,
            days,
            every,
        }
    }

    /// One pass; returns how many verifications were erased.
    pub async fn sweep(&self) -> Result<usize, crate::PipelineError> {
        if self.days == 0 {
            return Ok(0);
        }
        let cutoff = now_ms() - (self.days as i64) * 86_400_000;
        let mut n = 0;
        loop {
            let old = self.store.verifications_created_before(cutoff, 100).await?;
            if old.is_empty() {
                return Ok(n);
            }
            for (scan_ref, partner, _) in old {
                erase_verification(&self.store, &self.blobs, &scan_ref, partner).await?;
                n += 1;
            }
        }
    }

    /// Runs until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        if self.days == 0 {
            return;
        }
        loop {
            match self.sweep().await {
                Ok(0) => {}
                Ok(n) => info!(
                    erased = n,
                    days = self.days,
                    "retention: old verifications erased"
                ),
                Err(e) => warn!(error = %e, "retention sweep failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.every) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                return;
            }
        }
    }
}

/// Erases one verification for good, as `/api/v2/delete`, retention and the console's erase do: its images and
/// derived files first (if that fails the rows stay and the erasure can be repeated), then its personal data,
/// embeddings, keyed hashes, webhook bodies and audit notes, leaving a `DELETED` tombstone; the token's personal
/// settings are scrubbed. Returns false when there was no such verification of `partner`.
pub async fn erase_verification(
    store: &kycd_store::Store,
    blobs: &kycd_blob::BlobStore,
    scan_ref: &str,
    partner: kycd_types::PartnerId,
) -> Result<bool, crate::PipelineError> {
    blobs
        .delete_prefix(&kycd_blob::verification_prefix(scan_ref))
        .await?;
    let erased = store.tombstone_verification(scan_ref, partner).await?;
    // Once more: a master-key rotation that rewrote one of the images between the first deletion and the tombstone
    // must not bring it back (the rotation itself deletes what it rewrites after the tombstone).
    blobs
        .delete_prefix(&kycd_blob::verification_prefix(scan_ref))
        .await?;
    if let Some(mut t) = store.token_by_scan_ref(scan_ref, partner).await? {
        t.settings.scrub_personal_data();
        store
            .update_token_settings(partner, &t.settings, true)
            .await?;
    }
    Ok(erased)
}
