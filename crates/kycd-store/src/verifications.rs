//! Verifications and their state changes: acceptance (token consumed, job queued), results set after the fact,
//! reopening with a new file (reprocess job), retention listing, the partner's identification list and erasure.

use crate::jobs::{JobKind, enqueue_job_in};
use crate::{Store, StoreError, flag, flag_col, json, now_ms};
use kycd_types::PartnerId;
use kycd_types::token::TokenSettings;
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
        skip_analysis: flag_col(r, "skip_analysis")?,
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

/// One identification of a partner's list (`GET /kyc/identifications/`): a token and, once `/process` accepted
/// it, its verification. iDenfy issues the scanRef with the token, so an unused token is listed too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentificationListRow {
    /// Verification id.
    pub scan_ref: String,
    /// Partner's user id.
    pub client_id: String,
    /// Token creation time (ms): the list's order.
    pub created_at: i64,
    /// Token expiry (ms).
    pub token_expires_at: i64,
    /// When the token was consumed (ms).
    pub token_used_at: Option<i64>,
    /// When the token's personal data was erased (ms).
    pub token_deleted_at: Option<i64>,
    /// The verification's overall status (`REVIEWING` while in progress, `DELETED` once erased); `None` while
    /// no verification exists for the token.
    pub verification_status: Option<String>,
}

/// One page of a partner's identifications, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentificationPage {
    /// How many identifications match the filter in all.
    pub total: i64,
    /// The rows of the page.
    pub rows: Vec<IdentificationListRow>,
}

impl Store {
    /// In one transaction: consumes the token (it must belong to the partner, be unused and unexpired), creates the
    /// verification in `REVIEWING` and enqueues its processing job. Exactly one of several concurrent calls with the
    /// same token succeeds; the others get [`StoreError::TokenNotValid`].
    pub async fn accept_verification(&self, v: &AcceptedVerification) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let used = bound!(
            "UPDATE tokens SET used_at = $1 WHERE auth_token = $2 AND partner_id = $3 AND used_at IS NULL \
             AND expires_at > $1",
            now,
            &v.auth_token,
            v.partner_id.0
        )
        .execute(&mut *tx)
        .await?;
        if used.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(StoreError::TokenNotValid);
        }
        let precheck = v.precheck.as_ref().map(|p| self.seal_json(p)).transpose()?;
        let sql = format!(
            "INSERT INTO verifications ({COLS}) VALUES ($1, $2, $3, $4, 'REVIEWING', $5, $6, $7, $8, $9, NULL, $10, \
             NULL, NULL)"
        );
        bound!(
            &sql,
            &v.scan_ref,
            v.partner_id.0,
            &v.client_id,
            &v.auth_token,
            &v.country,
            &v.document_type,
            flag(v.skip_analysis),
            json(&v.images)?,
            precheck,
            now
        )
        .execute(&mut *tx)
        .await?;
        enqueue_job_in(&mut tx, JobKind::Process, &v.scan_ref, v.max_attempts, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A verification by id, of `partner` only when one is given.
    async fn verification_of(
        &self,
        scan_ref: &str,
        partner: Option<PartnerId>,
    ) -> Result<Option<VerificationRow>, StoreError> {
        let sql = format!(
            "SELECT {COLS} FROM verifications WHERE scan_ref = $1 AND ($2 < 0 OR partner_id = $2)"
        );
        let r = bound!(&sql, scan_ref, partner.map_or(-1, |p| p.0))
            .fetch_optional(&self.pool)
            .await?;
        r.as_ref().map(|r| row(self, r)).transpose()
    }

    /// A partner's verification; another partner's is reported as absent.
    pub async fn verification_for_partner(
        &self,
        scan_ref: &str,
        partner: PartnerId,
    ) -> Result<Option<VerificationRow>, StoreError> {
        self.verification_of(scan_ref, Some(partner)).await
    }

    /// A verification by id (worker side).
    pub async fn verification(
        &self,
        scan_ref: &str,
    ) -> Result<Option<VerificationRow>, StoreError> {
        self.verification_of(scan_ref, None).await
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
        let r = bound!(
            "UPDATE verifications SET status = 'DELETED', images_json = '{}', precheck_json = NULL, \
             result_json = NULL, review_pending = 0, deleted_at = $1 WHERE scan_ref = $2 AND partner_id = $3",
            now,
            scan_ref,
            partner.0
        )
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 1 {
            // Webhook bodies carry personal data: drop the bodies of every outbox row of this verification.
            bound!(
                "UPDATE webhook_outbox SET body = $1, \
                 state = CASE WHEN state = 'pending' THEN 'erased' ELSE state END WHERE scan_ref = $2",
                Vec::<u8>::new(),
                scan_ref
            )
            .execute(&mut *tx)
            .await?;
            // Derived personal data: face embeddings and keyed hashes used for duplicate checks.
            crate::fraud::erase_derived_in(&mut tx, scan_ref).await?;
            crate::monitoring::erase_subjects_in(&mut tx, scan_ref).await?;
            // The audit log keeps the fact of every action on this verification, not the operators' notes.
            bound!(
                "UPDATE audit_log SET note = NULL WHERE scan_ref = $1",
                scan_ref
            )
            .execute(&mut *tx)
            .await?;
            bound!(
                "UPDATE webhook_attempts SET response_body = NULL \
                 WHERE outbox_id IN (SELECT id FROM webhook_outbox WHERE scan_ref = $1)",
                scan_ref
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
    }

    /// A page of `partner`'s identifications (of one `client_id` when given): at most `limit` rows after skipping
    /// `offset`, newest token first (ties broken by scanRef, descending), with the total count. Served by the
    /// `tokens_partner_created` / `tokens_partner_client_created` indexes.
    pub async fn list_identifications(
        &self,
        partner: PartnerId,
        client_id: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<IdentificationPage, StoreError> {
        let (offset, limit) = (offset.max(0), limit.max(0));
        let filter = if client_id.is_some() {
            "t.partner_id = $1 AND t.client_id = $2"
        } else {
            "t.partner_id = $1"
        };
        let count_sql = format!("SELECT COUNT(*) AS n FROM tokens t WHERE {filter}");
        let page_sql = format!(
            "SELECT t.scan_ref, t.client_id, t.created_at, t.expires_at, t.used_at, t.deleted_at, \
             v.status AS v_status FROM tokens t LEFT JOIN verifications v ON v.scan_ref = t.scan_ref \
             WHERE {filter} ORDER BY t.created_at DESC, t.scan_ref DESC LIMIT {limit} OFFSET {offset}"
        );
        let mut tx = self.pool.begin().await?;
        let (count, page) = match client_id {
            Some(c) => (
                bound!(&count_sql, partner.0, c).fetch_one(&mut *tx).await?,
                bound!(&page_sql, partner.0, c).fetch_all(&mut *tx).await?,
            ),
            None => (
                bound!(&count_sql, partner.0).fetch_one(&mut *tx).await?,
                bound!(&page_sql, partner.0).fetch_all(&mut *tx).await?,
            ),
        };
        tx.commit().await?;
        let rows = page
            .iter()
            .map(|r| {
                Ok(IdentificationListRow {
                    scan_ref: r.try_get("scan_ref")?,
                    client_id: r.try_get("client_id")?,
                    created_at: r.try_get("created_at")?,
                    token_expires_at: r.try_get("expires_at")?,
                    token_used_at: r.try_get("used_at")?,
                    token_deleted_at: r.try_get("deleted_at")?,
                    verification_status: r.try_get("v_status")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(IdentificationPage {
            total: count.try_get("n")?,
            rows,
        })
    }

    /// Counts verifications by status (for tests and metrics).
    pub async fn count_verifications(&self, status: &str) -> Result<i64, StoreError> {
        self.count_where("verifications", "status", status).await
    }

    /// Verifications created before `before_ms` that are not erased yet: (scanRef, partner, authToken), at most
    /// `limit`, oldest first.
    pub async fn verifications_created_before(
        &self,
        before_ms: i64,
        limit: i64,
    ) -> Result<Vec<(String, PartnerId, String)>, StoreError> {
        let rows = bound!(
            "SELECT scan_ref, partner_id, auth_token FROM verifications WHERE deleted_at IS NULL AND created_at < $1 \
             ORDER BY created_at LIMIT $2",
            before_ms,
            limit
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("scan_ref")?,
                    PartnerId(r.try_get("partner_id")?),
                    r.try_get("auth_token")?,
                ))
            })
            .collect()
    }

    /// Adds (or replaces) one step's file of a finished verification and queues it for processing again (the
    /// `reprocess` job). Returns false when the verification is unknown, erased, another partner's or not finished.
    pub async fn reopen_with_file(
        &self,
        scan_ref: &str,
        partner: PartnerId,
        step: &str,
        image: &ImageRef,
        max_attempts: i64,
    ) -> Result<bool, StoreError> {
        self.reopen_with_file_and_settings(scan_ref, partner, step, image, max_attempts, None)
            .await
    }

    /// [`Self::reopen_with_file`], also replacing the token's settings (new `additionalData`) in the same
    /// transaction: either the file, the settings and the job are all stored, or nothing is.
    pub async fn reopen_with_file_and_settings(
        &self,
        scan_ref: &str,
        partner: PartnerId,
        step: &str,
        image: &ImageRef,
        max_attempts: i64,
        settings: Option<&TokenSettings>,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let r = bound!(
            "SELECT images_json FROM verifications WHERE scan_ref = $1 AND partner_id = $2 AND deleted_at IS NULL \
             AND finished_at IS NOT NULL",
            scan_ref,
            partner.0
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(r) = r else {
            tx.rollback().await?;
            return Ok(false);
        };
        let mut images: BTreeMap<String, ImageRef> =
            parse_json(r.try_get("images_json")?, "images")?.unwrap_or_default();
        images.insert(step.to_string(), image.clone());
        let u = bound!(
            "UPDATE verifications SET images_json = $1, status = 'REVIEWING', finished_at = NULL, review_pending = 0 WHERE scan_ref = $2 \
             AND finished_at IS NOT NULL",
            json(&images)?,
            scan_ref
        )
        .execute(&mut *tx)
        .await?;
        if u.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some(settings) = settings {
            let t = bound!(
                "UPDATE tokens SET settings_json = $1 WHERE auth_token = $2 AND partner_id = $3",
                self.seal_json(settings)?,
                &settings.auth_token,
                partner.0
            )
            .execute(&mut *tx)
            .await?;
            if t.rows_affected() != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
        }
        enqueue_job_in(&mut tx, JobKind::Reprocess, scan_ref, max_attempts, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Replaces the stored result JSON of a finished verification (tags added after the fact, manual review).
    pub async fn set_result(
        &self,
        scan_ref: &str,
        status: &str,
        result: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let body = self.seal_json(result)?;
        let sum = crate::console::Summary::of(status, result);
        bound!(
            "UPDATE verifications SET status = $1, result_json = $2, auto_document = $3, auto_face = $4, \
             manual_document = $5, manual_face = $6, tags = $7, review_pending = $8 \
             WHERE scan_ref = $9 AND deleted_at IS NULL",
            status,
            body,
            sum.auto_document,
            sum.auto_face,
            sum.manual_document,
            sum.manual_face,
            sum.tags,
            flag(sum.review_pending),
            scan_ref
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
