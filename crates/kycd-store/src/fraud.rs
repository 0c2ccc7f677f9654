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

const BLOCKLIST_COLS: &str = "id, source, scan_ref, reason, embedding_enc, data_enc, created_at";

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

/// Deletes the blocklist entry of one source made from one verification; returns how many rows went.
async fn delete_blocklist<'e>(
    ex: impl sqlx::Executor<'e, Database = sqlx::Any>,
    partner: PartnerId,
    source: &str,
    scan_ref: &str,
) -> Result<u64, StoreError> {
    let r = bound!(
        "DELETE FROM blocklist WHERE partner_id = $1 AND source = $2 AND scan_ref = $3",
        partner.0,
        source,
        scan_ref
    )
    .execute(ex)
    .await?;
    Ok(r.rows_affected())
}

/// Deletes a verification's embeddings and keyed hashes inside a transaction (shared with the tombstone).
pub(crate) async fn erase_derived_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    scan_ref: &str,
) -> Result<(), StoreError> {
    bound!("DELETE FROM face_embeddings WHERE scan_ref = $1", scan_ref)
        .execute(&mut **tx)
        .await?;
    bound!("DELETE FROM personal_keys WHERE scan_ref = $1", scan_ref)
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
        bound!(
            "DELETE FROM face_embeddings WHERE scan_ref = $1 AND kind = $2",
            scan_ref,
            kind
        )
        .execute(&mut *tx)
        .await?;
        bound!(
            "INSERT INTO face_embeddings (scan_ref, partner_id, client_id, kind, embedding_enc, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            scan_ref,
            partner.0,
            client_id,
            kind,
            embedding_enc.to_vec(),
            now_ms()
        )
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
        let r = bound!(
            "SELECT embedding_enc FROM face_embeddings WHERE scan_ref = $1 AND kind = $2",
            scan_ref,
            kind
        )
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
        let rows = bound!(
            "SELECT id, scan_ref, client_id, embedding_enc FROM face_embeddings \
             WHERE partner_id = $1 AND kind = $2 AND id > $3 ORDER BY id LIMIT $4",
            partner.0,
            kind,
            after_id,
            limit
        )
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
            let r = bound!(
                "SELECT 1 AS one FROM face_embeddings WHERE scan_ref = $1 AND kind = $2",
                s,
                kind
            )
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
            bound!(
                "INSERT INTO personal_keys (scan_ref, partner_id, client_id, kind, key_hash, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                scan_ref,
                partner.0,
                client_id,
                kind,
                key,
                now
            )
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
        let rows = bound!(
            "SELECT DISTINCT scan_ref, client_id FROM personal_keys \
             WHERE partner_id = $1 AND kind = $2 AND key_hash = $3 AND scan_ref <> $4 ORDER BY scan_ref LIMIT 100",
            partner.0,
            kind,
            key,
            exclude_scan_ref
        )
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
        delete_blocklist(&mut *tx, e.partner_id, &e.source, &e.scan_ref).await?;
        bound!(
            "INSERT INTO blocklist (partner_id, source, scan_ref, reason, embedding_enc, data_key, data_enc, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            e.partner_id.0,
            &e.source,
            &e.scan_ref,
            &e.reason,
            e.embedding_enc.clone(),
            &e.data_key,
            e.data_enc.clone(),
            now_ms()
        )
        .execute(&mut *tx)
        .await?;
        let sql = one_entry_sql();
        let r = bound!(&sql, e.partner_id.0, &e.source, &e.scan_ref)
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
        Ok(delete_blocklist(&self.pool, partner, source, scan_ref).await? > 0)
    }

    /// A partner's blocklist entries of one source.
    pub async fn blocklist(
        &self,
        partner: PartnerId,
        source: &str,
    ) -> Result<Vec<BlocklistRow>, StoreError> {
        let sql = format!(
            "SELECT {BLOCKLIST_COLS} FROM blocklist WHERE partner_id = $1 AND source = $2 ORDER BY id"
        );
        let rows = bound!(&sql, partner.0, source)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(blocklist_row).collect()
    }

    /// A partner's blocklist entry of one source made from one verification (one indexed lookup).
    pub async fn blocklist_entry(
        &self,
        partner: PartnerId,
        source: &str,
        scan_ref: &str,
    ) -> Result<Option<BlocklistRow>, StoreError> {
        let sql = one_entry_sql();
        let row = bound!(&sql, partner.0, source, scan_ref)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(blocklist_row).transpose()
    }

    /// `DOCUMENT_INFO` entries of the partner with the given keyed hash of personal data.
    pub async fn blocklist_data_matches(
        &self,
        partner: PartnerId,
        data_key: &str,
        exclude_scan_ref: &str,
    ) -> Result<Vec<String>, StoreError> {
        let rows = bound!(
            "SELECT scan_ref FROM blocklist WHERE partner_id = $1 AND source = 'DOCUMENT_INFO' AND data_key = $2 \
             AND scan_ref <> $3 ORDER BY id",
            partner.0,
            data_key,
            exclude_scan_ref
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("scan_ref")?)).collect()
    }
}

/// One blocklist entry by its key (partner, source, verification): the unique index `blocklist_source`.
fn one_entry_sql() -> String {
    format!(
        "SELECT {BLOCKLIST_COLS} FROM blocklist WHERE partner_id = $1 AND source = $2 AND scan_ref = $3"
    )
}
