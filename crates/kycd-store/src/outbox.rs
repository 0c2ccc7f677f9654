//! The webhook outbox: one row per webhook to deliver, written in the same transaction as the result, claimed by
//! deliverers with a lease, with every delivery attempt recorded.

use crate::{Store, StoreError, now_ms};
use kycd_types::PartnerId;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

/// A webhook to enqueue.
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    /// Stable message id (Standard Webhooks `webhook-id`), the same on every retry.
    pub webhook_id: String,
    /// Verification.
    pub scan_ref: String,
    /// Partner (whose signing key signs it).
    pub partner_id: PartnerId,
    /// `Idenfy-Event-Type`.
    pub event_type: String,
    /// Target URL (token `callbackUrl` or the partner default); None = nowhere to send.
    pub url: Option<String>,
    /// Exact body bytes to send and sign.
    pub body: Vec<u8>,
}

/// A delivery this deliverer holds the lease on.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    /// Outbox row id.
    pub id: i64,
    /// Message id.
    pub webhook_id: String,
    /// Verification.
    pub scan_ref: String,
    /// Partner.
    pub partner_id: PartnerId,
    /// Event type.
    pub event_type: String,
    /// Target URL.
    pub url: Option<String>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Attempts made before this one.
    pub attempts: i64,
    /// When the row was created (ms).
    pub created_at: i64,
}

/// The outcome of one attempt.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    /// HTTP status, if a response came.
    pub status_code: Option<i64>,
    /// Wall time of the attempt.
    pub duration_ms: i64,
    /// Transport error or refusal reason.
    pub error: Option<String>,
    /// Truncated response body.
    pub response_body: Option<String>,
    /// New state: `delivered`, `pending` (retry at `next_attempt_at`), `failed` (gave up), `disabled` (410).
    pub new_state: &'static str,
    /// When to retry (ms), for `pending`.
    pub next_attempt_at: i64,
}

/// A webhook as listed to operators.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookRow {
    /// Outbox row id.
    pub id: i64,
    /// Message id.
    pub webhook_id: String,
    /// Verification.
    pub scan_ref: String,
    /// Event type.
    pub event_type: String,
    /// Target URL.
    pub url: Option<String>,
    /// `pending`, `delivered`, `failed`, `disabled`, `erased`.
    pub state: String,
    /// Attempts so far.
    pub attempts: i64,
    /// Creation time (ms).
    pub created_at: i64,
    /// Delivery time (ms).
    pub delivered_at: Option<i64>,
    /// Next attempt (ms).
    pub next_attempt_at: i64,
    /// Every attempt.
    pub attempt_log: Vec<WebhookAttemptRow>,
}

/// One recorded attempt.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookAttemptRow {
    /// When (ms).
    pub attempted_at: i64,
    /// HTTP status.
    pub status_code: Option<i64>,
    /// Duration.
    pub duration_ms: i64,
    /// Error.
    pub error: Option<String>,
    /// Truncated response body.
    pub response_body: Option<String>,
}

pub(crate) async fn insert_outbox(
    tx: &mut Transaction<'static, Any>,
    o: &OutboxEntry,
    now: i64,
    seal: &crate::seal::Sealer,
) -> Result<(), StoreError> {
    let body = seal.seal_bytes(&o.body)?;
    bound!(
        "INSERT INTO webhook_outbox (webhook_id, scan_ref, partner_id, event_type, url, body, state, attempts, \
         next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7)",
        &o.webhook_id,
        &o.scan_ref,
        o.partner_id.0,
        &o.event_type,
        &o.url,
        body,
        now
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn claimed(r: &AnyRow) -> Result<ClaimedDelivery, sqlx::Error> {
    Ok(ClaimedDelivery {
        id: r.try_get("id")?,
        webhook_id: r.try_get("webhook_id")?,
        scan_ref: r.try_get("scan_ref")?,
        partner_id: PartnerId(r.try_get("partner_id")?),
        event_type: r.try_get("event_type")?,
        url: r.try_get("url")?,
        body: r.try_get("body")?,
        attempts: r.try_get("attempts")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    /// Enqueues a webhook outside a job (expiry events, manual decisions).
    pub async fn enqueue_webhook(&self, o: &OutboxEntry) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        insert_outbox(&mut tx, o, now_ms(), &self.seal).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Claims the oldest due delivery for `lease_ms`.
    pub async fn claim_delivery(
        &self,
        lease_ms: i64,
    ) -> Result<Option<ClaimedDelivery>, StoreError> {
        let now = now_ms();
        let lock = self.skip_locked();
        let sql = format!(
            "UPDATE webhook_outbox SET lease_until = $1 WHERE id = (SELECT id FROM webhook_outbox \
             WHERE state = 'pending' AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until < $2) \
             ORDER BY next_attempt_at, id LIMIT 1{lock}) \
             RETURNING id, webhook_id, scan_ref, partner_id, event_type, url, body, attempts, created_at"
        );
        let r = bound!(&sql, now + lease_ms, now)
            .fetch_optional(&self.pool)
            .await?;
        let Some(mut d) = r.as_ref().map(claimed).transpose()? else {
            return Ok(None);
        };
        d.body = self.seal.open_bytes(d.body, "webhook body")?;
        Ok(Some(d))
    }

    /// Claims the oldest due delivery for `lease_ms`, like [`Self::claim_delivery`], and returns the lease's
    /// expiry (ms) with it: the token that [`Self::extend_delivery_lease`] and [`Self::release_delivery`] check, so
    /// a deliverer that lost its lease never touches the row of the one that took it over.
    pub async fn claim_delivery_leased(
        &self,
        lease_ms: i64,
    ) -> Result<Option<(ClaimedDelivery, i64)>, StoreError> {
        let now = now_ms();
        let lease_until = now.saturating_add(lease_ms);
        let lock = self.skip_locked();
        let sql = format!(
            "UPDATE webhook_outbox SET lease_until = $1 WHERE id = (SELECT id FROM webhook_outbox \
             WHERE state = 'pending' AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until < $2) \
             ORDER BY next_attempt_at, id LIMIT 1{lock}) \
             RETURNING id, webhook_id, scan_ref, partner_id, event_type, url, body, attempts, created_at"
        );
        let r = bound!(&sql, lease_until, now)
            .fetch_optional(&self.pool)
            .await?;
        let Some(mut d) = r.as_ref().map(claimed).transpose()? else {
            return Ok(None);
        };
        d.body = self.seal.open_bytes(d.body, "webhook body")?;
        Ok(Some((d, lease_until)))
    }

    /// Extends a delivery lease held since `lease_until` (the token from [`Self::claim_delivery_leased`] or the
    /// previous extension) by `lease_ms` from now; the new token, or None when the lease was lost (taken over,
    /// recorded or released).
    pub async fn extend_delivery_lease(
        &self,
        id: i64,
        lease_until: i64,
        lease_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        // Strictly later than the old token, so a token is never reused for the same row.
        let next = now_ms().saturating_add(lease_ms).max(lease_until + 1);
        let ok = self
            .changes_one(bound!(
                "UPDATE webhook_outbox SET lease_until = $1 WHERE id = $2 AND lease_until = $3 AND state = 'pending'",
                next,
                id,
                lease_until
            ))
            .await?;
        Ok(ok.then_some(next))
    }

    /// Gives a claimed delivery back at once (a graceful stop) without recording an attempt: due again now, so any
    /// deliverer claims it on its next poll. False when the lease was already lost or the attempt recorded.
    pub async fn release_delivery(&self, id: i64, lease_until: i64) -> Result<bool, StoreError> {
        self.changes_one(bound!(
            "UPDATE webhook_outbox SET lease_until = NULL WHERE id = $1 AND lease_until = $2 AND state = 'pending'",
            id,
            lease_until
        ))
        .await
    }

    /// Records an attempt and moves the row to its new state, in one transaction.
    pub async fn record_attempt(
        &self,
        d: &ClaimedDelivery,
        a: &AttemptRecord,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        bound!(
            "UPDATE webhook_outbox SET state = $1, attempts = attempts + 1, next_attempt_at = $2, lease_until = NULL, \
             delivered_at = CASE WHEN $1 = 'delivered' THEN $3 ELSE delivered_at END WHERE id = $4",
            a.new_state,
            a.next_attempt_at,
            now,
            d.id
        )
        .execute(&mut *tx)
        .await?;
        bound!(
            "INSERT INTO webhook_attempts (outbox_id, attempted_at, status_code, duration_ms, error, response_body) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            d.id,
            now,
            a.status_code,
            a.duration_ms,
            &a.error,
            &a.response_body
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Webhooks of a verification (all partners when `partner` is None), with their attempts.
    pub async fn webhooks_for(
        &self,
        scan_ref: &str,
        partner: Option<PartnerId>,
    ) -> Result<Vec<WebhookRow>, StoreError> {
        let rows = bound!(
            "SELECT id, webhook_id, scan_ref, event_type, url, state, attempts, created_at, delivered_at, \
             next_attempt_at FROM webhook_outbox WHERE scan_ref = $1 AND ($2 < 0 OR partner_id = $2) ORDER BY id",
            scan_ref,
            partner.map(|p| p.0).unwrap_or(-1)
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let attempts = bound!(
                "SELECT attempted_at, status_code, duration_ms, error, response_body FROM webhook_attempts \
                 WHERE outbox_id = $1 ORDER BY id",
                id
            )
            .fetch_all(&self.pool)
            .await?;
            let attempt_log = attempts
                .iter()
                .map(|a| {
                    Ok(WebhookAttemptRow {
                        attempted_at: a.try_get("attempted_at")?,
                        status_code: a.try_get("status_code")?,
                        duration_ms: a.try_get("duration_ms")?,
                        error: a.try_get("error")?,
                        response_body: a.try_get("response_body")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?;
            out.push(WebhookRow {
                id,
                webhook_id: r.try_get("webhook_id")?,
                scan_ref: r.try_get("scan_ref")?,
                event_type: r.try_get("event_type")?,
                url: r.try_get("url")?,
                state: r.try_get("state")?,
                attempts: r.try_get("attempts")?,
                created_at: r.try_get("created_at")?,
                delivered_at: r.try_get("delivered_at")?,
                next_attempt_at: r.try_get("next_attempt_at")?,
                attempt_log,
            });
        }
        Ok(out)
    }

    /// Makes a verification's webhooks due again now (replay); returns how many were re-queued. Erased webhooks
    /// (of deleted verifications) are not replayed.
    pub async fn replay_webhooks(
        &self,
        scan_ref: &str,
        partner: Option<PartnerId>,
    ) -> Result<u64, StoreError> {
        let r = bound!(
            "UPDATE webhook_outbox SET state = 'pending', attempts = 0, next_attempt_at = $1, lease_until = NULL \
             WHERE scan_ref = $2 AND ($3 < 0 OR partner_id = $3) AND state <> 'erased'",
            now_ms(),
            scan_ref,
            partner.map(|p| p.0).unwrap_or(-1)
        )
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// Number of outbox rows in a state.
    pub async fn count_webhooks(&self, state: &str) -> Result<i64, StoreError> {
        self.count_where("webhook_outbox", "state", state).await
    }
}
