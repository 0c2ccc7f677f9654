//! Verifications: accepted submissions, their results and their erasure.

use crate::{Store, StoreError, flag, now_ms};
use kycd_types::PartnerId;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::BTreeMap;

/// Where one submitted image is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRef {
    /// Blob key.
    pub key: String,
    /// Media type (`image/jpeg`, `image/png`, `application/pdf`).
    pub mime: String,
    /// Size in bytes.
    pub size: u64,
}

/// A verification to create when a `/process` call is accepted.
#[derive(Debug, Clone)]
pub struct AcceptedVerification {
    /// Owner.
    pub partner_id: PartnerId,
    /// The token being consumed.
    pub auth_token: String,
    /// Verification id.
    pub scan_ref: String,
    /// Partner's user id.
    pub client_id: String,
    /// Selected country (alpha-2).
    pub country: String,
    /// Declared or detected document type.
    pub document_type: Option<String>,
    /// `skipAnalysis` flag.
    pub skip_analysis: bool,
    /// Step → stored image.
    pub images: BTreeMap<String, ImageRef>,
    /// Result of the synchronous photo validation, if it ran.
    pub precheck: Option<serde_json::Value>,
    /// Processing attempts before the job is dead.
    pub max_attempts: i64,
}

/// A stored verification.
#[derive(Debug, Clone)]
pub struct VerificationRow {
    /// Verification id.
    pub scan_ref: String,
    /// Owner.
    pub partner_id: PartnerId,
    /// Partner's user id.
    pub client_id: String,
    /// Token it consumed.
    pub auth_token: String,
    /// Overall status (`REVIEWING` while in progress).
    pub status: String,
    /// Selected country.
    pub country: Option<String>,
    /// Document type.
    pub document_type: Option<String>,
    /// `skipAnalysis`.
    pub skip_analysis: bool,
    /// Step → stored image.
    pub images: BTreeMap<String, ImageRef>,
    /// Synchronous photo-validation outcome.
    pub precheck: Option<serde_json::Value>,
    /// The result (webhook body) once finished.
    pub result: Option<serde_json::Value>,
    /// Creation time (ms).
    pub created_at: i64,
    /// Finish time (ms).
    pub finished_at: Option<i64>,
    /// Erasure time (ms).
    pub deleted_at: Option<i64>,
}

const COLS: &str = "scan_ref, partner_id, client_id, auth_token, status, country, document_type, skip_analysis, \
                    images_json, precheck_json, result_json, created_at, finished_at, deleted_at";

fn parse_json<T: for<'a> Deserialize<'a>>(
    s: Option<String>,
    what: &str,
) -> Result<Option<T>, StoreError> {
    s.map(|s| serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}"))))
        .transpose()
}

fn row(store: &Store, r: &AnyRow) -> Result<VerificationRow, StoreError> {
    let seal = &store.seal;
    Ok(VerificationRow {
        scan_ref: r.try_get("scan_ref")?,
        partner_id: PartnerId(r.try_get("partner_id")?),
        client_id: r.try_get("client_id")?,
        auth_token: r.try_get("auth_token")?,
        status: r.try_get("status")?,
        country: r.try_get("country")?,
        document_type: r.try_get("document_type")?,
        skip_analysis: r.try_get::<i64, _>("skip_analysis")? != 0,
        images: parse_json(r.try_get("images_json")?, "images")?.unwrap_or_default(),
        precheck: parse_json(
            seal.open_text_opt(r.try_get("precheck_json")?, "precheck")?,
            "precheck",
        )?,
        result: parse_json(
            seal.open_text_opt(r.try_get("result_json")?, "result")?,
            "result",
        )?,
        created_at: r.try_get("created_at")?,
        finished_at: r.try_get("finished_at")?,
        deleted_at: r.try_get("deleted_at")?,
    })
}

fn json(v: &impl Serialize) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store {
    /// In one transaction: consumes the token (it must belong to the partner, be unused and unexpired), creates the
    /// verification in `REVIEWING` and enqueues its processing job. Exactly one of several concurrent calls with the
    /// same token succeeds; the others get [`StoreError::TokenNotValid`].
    pub async fn accept_verification(&self, v: &AcceptedVerification) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let used = sqlx::query(
            "UPDATE tokens SET used_at = $1 WHERE auth_token = $2 AND partner_id = $3 AND used_at IS NULL \
             AND expires_at > $1",
        )
        .bind(now)
        .bind(&v.auth_token)
        .bind(v.partner_id.0)
        .execute(&mut *tx)
        .await?;
        if used.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(StoreError::TokenNotValid);
        }
        sqlx::query(&format!(
            "INSERT INTO verifications ({COLS}) VALUES ($1, $2, $3, $4, 'REVIEWING', $5, $6, $7, $8, $9, NULL, $10, \
             NULL, NULL)"
        ))
        .bind(&v.scan_ref)
        .bind(v.partner_id.0)
        .bind(&v.client_id)
        .bind(&v.auth_token)
        .bind(&v.country)
        .bind(&v.document_type)
        .bind(flag(v.skip_analysis))
        .bind(json(&v.images)?)
        .bind(
            v.precheck
                .as_ref()
                .map(|p| json(p).and_then(|s| self.seal.seal_text(s)))
                .transpose()?,
        )
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO jobs (kind, scan_ref, state, attempts, max_attempts, run_after, created_at, updated_at) \
             VALUES ('process', $1, 'queued', 0, $2, $3, $3, $3)",
        )
        .bind(&v.scan_ref)
        .bind(v.max_attempts)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A partner's verification; another partner's is reported as absent.
    pub async fn verification_for_partner(
        &self,
        scan_ref: &str,
        partner: PartnerId,
    ) -> Result<Option<VerificationRow>, StoreError> {
        let r = sqlx::query(&format!(
            "SELECT {COLS} FROM verifications WHERE scan_ref = $1 AND partner_id = $2"
        ))
        .bind(scan_ref)
        .bind(partner.0)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(|r| row(self, r)).transpose()
    }

    /// A verification by id (worker side).
    pub async fn verification(
        &self,
        scan_ref: &str,
    ) -> Result<Option<VerificationRow>, StoreError> {
        let r = sqlx::query(&format!(
            "SELECT {COLS} FROM verifications WHERE scan_ref = $1"
        ))
        .bind(scan_ref)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(|r| row(self, r)).transpose()
    }

    /// Erases a verification's personal data (images are deleted by the caller) and leaves a `DELETED` tombstone.
    /// The result is kept only as its status fields; data, file URLs and images are gone.
    pub async fn tombstone_verification(
        &self,
        scan_ref: &str,
        partner: PartnerId,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query(
            "UPDATE verifications SET status = 'DELETED', images_json = '{}', precheck_json = NULL, \
             result_json = NULL, deleted_at = $1 WHERE scan_ref = $2 AND partner_id = $3",
        )
        .bind(now)
        .bind(scan_ref)
        .bind(partner.0)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 1 {
            // Webhook bodies carry personal data: drop the bodies of every outbox row of this verification.
            sqlx::query("UPDATE webhook_outbox SET body = $1, state = CASE WHEN state = 'pending' THEN 'erased' ELSE state END WHERE scan_ref = $2")
                .bind(Vec::<u8>::new())
                .bind(scan_ref)
                .execute(&mut *tx)
                .await?;
            // Derived personal data: face embeddings and keyed hashes used for duplicate checks.
            crate::fraud::erase_derived_in(&mut tx, scan_ref).await?;
            sqlx::query("UPDATE webhook_attempts SET response_body = NULL WHERE outbox_id IN (SELECT id FROM webhook_outbox WHERE scan_ref = $1)")
                .bind(scan_ref)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
    }

    /// Counts verifications by status (for tests and metrics).
    pub async fn count_verifications(&self, status: &str) -> Result<i64, StoreError> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM verifications WHERE status = $1")
            .bind(status)
            .fetch_one(&self.pool)
            .await?;
        Ok(r.try_get("n")?)
    }
}
