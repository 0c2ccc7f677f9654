//! Derived data for the fraud checks: encrypted face embeddings, keyed hashes of personal data and of images (for
//! duplicate detection across clients) and the partners' blocklists.

use crate::{Store, StoreError, now_ms};
use kycd_types::PartnerId;
use sqlx::Row;

/// One stored face embedding (still encrypted).
#[derive(Debug, Clone)]
pub struct StoredFace {
    /// Row id (monotonic; used for incremental index loads).
    pub id: i64,
    /// Verification the face belongs to.
    pub scan_ref: String,
    /// Its client id.
    pub client_id: String,
    /// Encrypted embedding bytes.
    pub embedding_enc: Vec<u8>,
}

/// A keyed-hash match: another verification with the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMatch {
    /// The other verification.
    pub scan_ref: String,
    /// Its client id.
    pub client_id: String,
}

/// A new blocklist entry.
#[derive(Debug, Clone)]
pub struct NewBlocklistEntry {
    /// Owner.
    pub partner_id: PartnerId,
    /// `SELFIE`, `DOCUMENT` or `DOCUMENT_INFO`.
    pub source: String,
    /// The verification it was made from.
    pub scan_ref: String,
    /// Free-text reason.
    pub reason: Option<String>,
    /// Encrypted face embedding (SELFIE/DOCUMENT).
    pub embedding_enc: Option<Vec<u8>>,
    /// Keyed hash of the personal data (DOCUMENT_INFO).
    pub data_key: Option<String>,
    /// Encrypted personal data as shown in the API answer (DOCUMENT_INFO).
    pub data_enc: Option<Vec<u8>>,
}

/// A stored blocklist entry.
#[derive(Debug, Clone)]
pub struct BlocklistRow {
    /// Row id.
    pub id: i64,
    /// Source.
    pub source: String,
    /// The verification it was made from.
    pub scan_ref: String,
    /// Reason.
    pub reason: Option<String>,
    /// Encrypted embedding.
    pub embedding_enc: Option<Vec<u8>>,
    /// Encrypted personal data.
    pub data_enc: Option<Vec<u8>>,
    /// Creation time (ms).
    pub created_at: i64,
}

fn blocklist_row(r: &sqlx::any::AnyRow) -> Result<BlocklistRow, StoreError> {
    Ok(BlocklistRow {
        id: r.try_get("id")?,
        source: r.try_get("source")?,
        scan_ref: r.try_get("scan_ref")?,
        reason: r.try_get("reason")?,
        embedding_enc: r.try_get("embedding_enc")?,
        data_enc: r.try_get("data_enc")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Deletes a verification's embeddings and keyed hashes inside a transaction (shared with the tombstone).
pub(crate) async fn erase_derived_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    scan_ref: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM face_embeddings WHERE scan_ref = $1")
        .bind(scan_ref)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM personal_keys WHERE scan_ref = $1")
        .bind(scan_ref)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// Stores (or replaces) the encrypted embedding of one face kind (`SELFIE` or `DOC_FACE`) of a verification.
    pub async fn put_face_embedding(
        &self,
        scan_ref: &str,
        partner: PartnerId,
        client_id: &str,
        kind: &str,
        embedding_enc: &[u8],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM face_embeddings WHERE scan_ref = $1 AND kind = $2")
            .bind(scan_ref)
            .bind(kind)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO face_embeddings (scan_ref, partner_id, client_id, kind, embedding_enc, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(scan_ref)
        .bind(partner.0)
        .bind(client_id)
        .bind(kind)
        .bind(embedding_enc.to_vec())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The encrypted embedding of one face kind of a verification.
    pub async fn face_embedding(
        &self,
        scan_ref: &str,
        kind: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let r = sqlx::query(
            "SELECT embedding_enc FROM face_embeddings WHERE scan_ref = $1 AND kind = $2",
        )
        .bind(scan_ref)
        .bind(kind)
        .fetch_optional(&self.pool)
        .await?;
        Ok(r.map(|r| r.try_get("embedding_enc")).transpose()?)
    }

    /// A partner's stored faces of one kind with a row id above `after_id`, oldest first, at most `limit`.
    pub async fn face_embeddings_after(
        &self,
        partner: PartnerId,
        kind: &str,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<StoredFace>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, scan_ref, client_id, embedding_enc FROM face_embeddings \
             WHERE partner_id = $1 AND kind = $2 AND id > $3 ORDER BY id LIMIT $4",
        )
        .bind(partner.0)
        .bind(kind)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredFace {
                    id: r.try_get("id")?,
                    scan_ref: r.try_get("scan_ref")?,
                    client_id: r.try_get("client_id")?,
                    embedding_enc: r.try_get("embedding_enc")?,
                })
            })
            .collect()
    }

    /// Which of `scan_refs` still have a stored face of `kind` (drops erased verifications from cached hits).
    pub async fn faces_present(
        &self,
        scan_refs: &[String],
        kind: &str,
    ) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for s in scan_refs {
            let r = sqlx::query(
                "SELECT 1 AS one FROM face_embeddings WHERE scan_ref = $1 AND kind = $2",
            )
            .bind(s)
            .bind(kind)
            .fetch_optional(&self.pool)
            .await?;
            if r.is_some() {
                out.push(s.clone());
            }
        }
        Ok(out)
    }

    /// Records keyed hashes (`kind` → hex) of a verification for later duplicate lookups.
    pub async fn put_keys(
        &self,
        scan_ref: &str,
        partner: PartnerId,
        client_id: &str,
        keys: &[(String, String)],
    ) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        for (kind, key) in keys {
            sqlx::query(
                "INSERT INTO personal_keys (scan_ref, partner_id, client_id, kind, key_hash, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(scan_ref)
            .bind(partner.0)
            .bind(client_id)
            .bind(kind)
            .bind(key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Other verifications of the partner with the same keyed hash, excluding `exclude_scan_ref`.
    pub async fn key_matches(
        &self,
        partner: PartnerId,
        kind: &str,
        key: &str,
        exclude_scan_ref: &str,
    ) -> Result<Vec<KeyMatch>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT scan_ref, client_id FROM personal_keys \
             WHERE partner_id = $1 AND kind = $2 AND key_hash = $3 AND scan_ref <> $4 ORDER BY scan_ref LIMIT 100",
        )
        .bind(partner.0)
        .bind(kind)
        .bind(key)
        .bind(exclude_scan_ref)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(KeyMatch {
                    scan_ref: r.try_get("scan_ref")?,
                    client_id: r.try_get("client_id")?,
                })
            })
            .collect()
    }

    /// Erases the derived fraud data of a verification (embeddings and keyed hashes).
    pub async fn erase_derived(&self, scan_ref: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        erase_derived_in(&mut tx, scan_ref).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a blocklist entry; an entry for the same source and verification is replaced. Returns the stored row.
    pub async fn add_blocklist(&self, e: &NewBlocklistEntry) -> Result<BlocklistRow, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM blocklist WHERE partner_id = $1 AND source = $2 AND scan_ref = $3",
        )
        .bind(e.partner_id.0)
        .bind(&e.source)
        .bind(&e.scan_ref)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO blocklist (partner_id, source, scan_ref, reason, embedding_enc, data_key, data_enc, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(e.partner_id.0)
        .bind(&e.source)
        .bind(&e.scan_ref)
        .bind(&e.reason)
        .bind(e.embedding_enc.clone())
        .bind(&e.data_key)
        .bind(e.data_enc.clone())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let r = sqlx::query(
            "SELECT id, source, scan_ref, reason, embedding_enc, data_enc, created_at FROM blocklist \
             WHERE partner_id = $1 AND source = $2 AND scan_ref = $3",
        )
        .bind(e.partner_id.0)
        .bind(&e.source)
        .bind(&e.scan_ref)
        .fetch_one(&mut *tx)
        .await?;
        let row = blocklist_row(&r)?;
        tx.commit().await?;
        Ok(row)
    }

    /// Removes a blocklist entry; true when one existed.
    pub async fn remove_blocklist(
        &self,
        partner: PartnerId,
        source: &str,
        scan_ref: &str,
    ) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "DELETE FROM blocklist WHERE partner_id = $1 AND source = $2 AND scan_ref = $3",
        )
        .bind(partner.0)
        .bind(source)
        .bind(scan_ref)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    /// A partner's blocklist entries of one source.
    pub async fn blocklist(
        &self,
        partner: PartnerId,
        source: &str,
    ) -> Result<Vec<BlocklistRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, source, scan_ref, reason, embedding_enc, data_enc, created_at FROM blocklist \
             WHERE partner_id = $1 AND source = $2 ORDER BY id",
        )
        .bind(partner.0)
        .bind(source)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(blocklist_row).collect()
    }

    /// Blocklist sources that a verification is the origin of (for the `*_IN_BLACKLIST` tags).
    pub async fn blocklist_sources_of(&self, scan_ref: &str) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT source FROM blocklist WHERE scan_ref = $1 ORDER BY source")
            .bind(scan_ref)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("source")?)).collect()
    }

    /// `DOCUMENT_INFO` entries of the partner with the given keyed hash of personal data.
    pub async fn blocklist_data_matches(
        &self,
        partner: PartnerId,
        data_key: &str,
        exclude_scan_ref: &str,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT scan_ref FROM blocklist WHERE partner_id = $1 AND source = 'DOCUMENT_INFO' AND data_key = $2 \
             AND scan_ref <> $3 ORDER BY id",
        )
        .bind(partner.0)
        .bind(data_key)
        .bind(exclude_scan_ref)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("scan_ref")?)).collect()
    }

    /// Verifications created before `before_ms` that are not erased yet: (scanRef, partner, authToken), at most
    /// `limit`, oldest first.
    pub async fn verifications_created_before(
        &self,
        before_ms: i64,
        limit: i64,
    ) -> Result<Vec<(String, PartnerId, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT scan_ref, partner_id, auth_token FROM verifications WHERE deleted_at IS NULL AND created_at < $1 \
             ORDER BY created_at LIMIT $2",
        )
        .bind(before_ms)
        .bind(limit)
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
        image: &crate::ImageRef,
        max_attempts: i64,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query(
            "SELECT images_json FROM verifications WHERE scan_ref = $1 AND partner_id = $2 AND deleted_at IS NULL \
             AND finished_at IS NOT NULL",
        )
        .bind(scan_ref)
        .bind(partner.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(r) = r else {
            tx.rollback().await?;
            return Ok(false);
        };
        let text: String = r.try_get("images_json")?;
        let mut images: std::collections::BTreeMap<String, crate::ImageRef> =
            serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("images: {e}")))?;
        images.insert(step.to_string(), image.clone());
        let json =
            serde_json::to_string(&images).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let u = sqlx::query(
            "UPDATE verifications SET images_json = $1, status = 'REVIEWING', finished_at = NULL WHERE scan_ref = $2 \
             AND finished_at IS NOT NULL",
        )
        .bind(json)
        .bind(scan_ref)
        .execute(&mut *tx)
        .await?;
        if u.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO jobs (kind, scan_ref, state, attempts, max_attempts, run_after, created_at, updated_at) \
             VALUES ('reprocess', $1, 'queued', 0, $2, $3, $3, $3)",
        )
        .bind(scan_ref)
        .bind(max_attempts)
        .bind(now)
        .execute(&mut *tx)
        .await?;
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
        let body = self.seal.seal_text(
            serde_json::to_string(result).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        )?;
        sqlx::query("UPDATE verifications SET status = $1, result_json = $2 WHERE scan_ref = $3 AND deleted_at IS NULL")
            .bind(status)
            .bind(body)
            .bind(scan_ref)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
