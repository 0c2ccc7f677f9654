//! Token expiry: an unused token whose `expiryTime` passed produces one `IDENTIFICATION_EXPIRED` webhook with
//! `overall: EXPIRED` (idenfy-api.md §5.2–5.3). Claiming is atomic in the store, so any number of sweepers can run.

use crate::result::base_result;
use kycd_store::{OutboxEntry, Store, now_ms};
use kycd_types::webhook::StatusBlock;
use kycd_types::{EventType, OverallStatus};
use std::time::Duration;
use tokio::sync::watch;
use tracing::{info, warn};

/// Periodically turns expired unused tokens into `IDENTIFICATION_EXPIRED` webhooks.
pub struct ExpirySweeper {
    store: Store,
    every: Duration,
}

impl ExpirySweeper {
    /// A sweeper that runs every `every`.
    pub fn new(store: Store, every: Duration) -> Self {
        Self { store, every }
    }

    /// One pass: returns how many tokens were reported.
    pub async fn sweep(&self) -> Result<usize, kycd_store::StoreError> {
        let mut n = 0;
        loop {
            let rows = self.store.take_expired_tokens(now_ms(), 100).await?;
            if rows.is_empty() {
                return Ok(n);
            }
            for t in rows {
                let s = &t.settings;
                let Some(partner) = self.store.partner_by_id(t.partner_id).await? else {
                    continue;
                };
                let status = StatusBlock::not_analysed(OverallStatus::Expired);
                let mut result = base_result(&s.scan_ref, &s.client_id, status);
                result.external_ref = s.external_ref.clone();
                result.start_time = t.created_at / 1000;
                result.finish_time = t.expires_at / 1000;
                let body = serde_json::to_vec(&result).unwrap_or_default();
                self.store
                    .enqueue_webhook(&OutboxEntry {
                        webhook_id: format!("msg_{}", uuid::Uuid::new_v4().simple()),
                        scan_ref: s.scan_ref.clone(),
                        partner_id: t.partner_id,
                        event_type: EventType::IdentificationExpired.as_str().to_string(),
                        url: s
                            .callback_url
                            .clone()
                            .or_else(|| partner.webhook_url.clone()),
                        body,
                    })
                    .await?;
                n += 1;
            }
        }
    }

    /// Runs until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            match self.sweep().await {
                Ok(0) => {}
                Ok(n) => info!(tokens = n, "expired tokens reported"),
                Err(e) => warn!(error = %e, "token expiry sweep failed"),
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
