//! Backups and consistency checks.
//!
//! * [`Store::vacuum_into`]: a consistent copy of a live SQLite database, taken with `VACUUM INTO` in one read
//!   transaction while the service goes on writing (WAL readers do not block writers).
//! * [`Store::open_sqlite_file`]: a store over such a copy, opened without migrating it (a backup is checked as it
//!   was taken), read-only for checks or writable while a backup is being finished.
//! * [`Store::table_counts`], [`Store::schema_version`], [`Store::integrity_problems`]: what a backup manifest
//!   records and what a check compares.
//! * [`Store::verification_images_page`]: every verification's image references, paged by scanRef, so a check
//!   can walk a live store of any size on either engine.
//! * [`Store::copy_erasure_from`]: applies to a backup copy an erasure that the live store finished while the
//!   backup was being taken (its images were already gone when they were copied).

use crate::verifications::ImageRef;
use crate::{Backend, Store, StoreError, seal};
use kycd_types::PartnerId;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Executor, Row};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Backup errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The operation needs an SQLite database.
    #[error("{0} needs an SQLite database")]
    NotSqlite(&'static str),
    /// The file path cannot be put in a database URL.
    #[error("unusable database file path (not UTF-8): {0}")]
    BadPath(String),
    /// Store failure.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for BackupError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Db(e))
    }
}

/// One verification's stored images and state, as a backup or a check needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationImages {
    /// Verification id.
    pub scan_ref: String,
    /// Owner.
    pub partner_id: PartnerId,
    /// Overall status.
    pub status: String,
    /// Whether it has a result (`finished_at` set).
    pub finished: bool,
    /// Whether its personal data was erased (a `DELETED` tombstone: no images any more).
    pub erased: bool,
    /// Step → stored image.
    pub images: BTreeMap<String, ImageRef>,
}

/// Whether a table name is a plain identifier (safe to put in SQL text).
fn plain_identifier(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Store {
    /// Opens an existing SQLite database file **without** applying migrations. `writable = false` opens it
    /// read-only and immutable (nothing is written next to it, not even a lock file); `writable = true` is for a
    /// backup copy being finished and switches it to the rollback journal so that it stays one self-contained file.
    /// Never use `writable = true` on the live database.
    pub async fn open_sqlite_file(path: &Path, writable: bool) -> Result<Self, BackupError> {
        let Some(text) = path.to_str() else {
            return Err(BackupError::BadPath(path.display().to_string()));
        };
        if !path.is_file() {
            return Err(StoreError::NotFound(format!("database file {text}")).into());
        }
        install_default_drivers();
        // The URL's path is percent-decoded: escape what would otherwise end it or be decoded.
        let encoded = text
            .replace('%', "%25")
            .replace('?', "%3F")
            .replace('#', "%23");
        let url = if writable {
            format!("sqlite://{encoded}?mode=rw")
        } else {
            format!("sqlite://{encoded}?mode=ro&immutable=true")
        };
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA busy_timeout = 30000").await?;
                    if writable {
                        conn.execute("PRAGMA journal_mode = DELETE").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        Ok(Self {
            pool,
            backend: Backend::Sqlite,
            seal: seal::Sealer::default(),
        })
    }

    /// Writes a consistent copy of the SQLite database to `dest` (which must not exist) with `VACUUM INTO`: one
    /// read transaction, so the copy is the database as of one instant while writers go on.
    pub async fn vacuum_into(&self, dest: &Path) -> Result<(), BackupError> {
        if self.backend != Backend::Sqlite {
            return Err(BackupError::NotSqlite("VACUUM INTO"));
        }
        let dest = dest.to_string_lossy().into_owned();
        bound!("VACUUM INTO $1", dest).execute(&self.pool).await?;
        Ok(())
    }

    /// Row count of every table of the schema (migration bookkeeping excluded), by table name.
    pub async fn table_counts(&self) -> Result<BTreeMap<String, i64>, StoreError> {
        let list_sql = match self.backend {
            Backend::Sqlite => {
                "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                 AND name NOT LIKE '_sqlx%'"
            }
            Backend::Postgres => {
                "SELECT CAST(table_name AS TEXT) AS t FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name NOT LIKE '_sqlx%'"
            }
        };
        let names: Vec<String> = sqlx::query(list_sql)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("t"))
            .collect::<Result<_, _>>()?;
        let mut out = BTreeMap::new();
        for name in names.into_iter().filter(|n| plain_identifier(n)) {
            let r = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {name}"))
                .fetch_one(&self.pool)
                .await?;
            out.insert(name, r.try_get::<i64, _>("n")?);
        }
        Ok(out)
    }

    /// The newest applied migration, `None` for an empty database.
    pub async fn schema_version(&self) -> Result<Option<i64>, StoreError> {
        let r = sqlx::query("SELECT MAX(version) AS v FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&self.pool)
            .await;
        match r {
            Ok(r) => Ok(r.try_get::<Option<i64>, _>("v")?),
            Err(sqlx::Error::Database(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// SQLite's own checks of the file: `PRAGMA integrity_check` and `PRAGMA foreign_key_check`. Returns what is
    /// wrong (empty: the database is sound). PostgreSQL checks its pages itself; nothing is reported there.
    pub async fn integrity_problems(&self) -> Result<Vec<String>, StoreError> {
        if self.backend != Backend::Sqlite {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for r in sqlx::query("PRAGMA integrity_check")
            .fetch_all(&self.pool)
            .await?
        {
            let line: String = r.try_get(0)?;
            if line != "ok" {
                out.push(format!("integrity_check: {line}"));
            }
        }
        for r in sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(&self.pool)
            .await?
        {
            let table: String = r.try_get(0)?;
            let parent: String = r.try_get(2)?;
            out.push(format!(
                "foreign_key_check: a row of {table} refers to a missing row of {parent}"
            ));
        }
        Ok(out)
    }

    /// Up to `limit` verifications with a scanRef greater than `after` (use `""` first), in scanRef order, with
    /// their image references. Images are not sealed in the database, so no key is needed.
    pub async fn verification_images_page(
        &self,
        after: &str,
        limit: i64,
    ) -> Result<Vec<VerificationImages>, StoreError> {
        let rows = bound!(
            "SELECT scan_ref, partner_id, status, images_json, finished_at, deleted_at FROM verifications \
             WHERE scan_ref > $1 ORDER BY scan_ref LIMIT $2",
            after,
            limit.max(1)
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let scan_ref: String = r.try_get("scan_ref")?;
                let images_json: String = r.try_get("images_json")?;
                let images = serde_json::from_str(&images_json)
                    .map_err(|e| StoreError::Corrupt(format!("images of {scan_ref}: {e}")))?;
                Ok(VerificationImages {
                    partner_id: PartnerId(r.try_get("partner_id")?),
                    status: r.try_get("status")?,
                    finished: r.try_get::<Option<i64>, _>("finished_at")?.is_some(),
                    erased: r.try_get::<Option<i64>, _>("deleted_at")?.is_some(),
                    images,
                    scan_ref,
                })
            })
            .collect()
    }

    /// Every verification with its image references (pages of 1000).
    pub async fn all_verification_images(&self) -> Result<Vec<VerificationImages>, StoreError> {
        let mut out = Vec::new();
        loop {
            let after = out
                .last()
                .map(|v: &VerificationImages| v.scan_ref.clone())
                .unwrap_or_default();
            let page = self.verification_images_page(&after, 1000).await?;
            let done = page.len() < 1000;
            out.extend(page);
            if done {
                return Ok(out);
            }
        }
    }

    /// Whether a verification is erased: `Some(true)` tombstoned, `Some(false)` present, `None` unknown.
    pub async fn verification_erased(&self, scan_ref: &str) -> Result<Option<bool>, StoreError> {
        let r = bound!(
            "SELECT deleted_at FROM verifications WHERE scan_ref = $1",
            scan_ref
        )
        .fetch_optional(&self.pool)
        .await?;
        r.map(|r| Ok(r.try_get::<Option<i64>, _>("deleted_at")?.is_some()))
            .transpose()
    }

    /// Applies to this store (a backup copy) the erasure of `scan_ref` that `live` has finished: the verification
    /// becomes a `DELETED` tombstone with its derived data and webhook bodies dropped, and its token takes the live
    /// token's scrubbed settings (copied as stored, so no key is needed). Returns whether the live token was
    /// already scrubbed (false: only the verification was erased in the copy).
    pub async fn copy_erasure_from(
        &self,
        live: &Store,
        scan_ref: &str,
        partner: PartnerId,
    ) -> Result<bool, StoreError> {
        self.tombstone_verification(scan_ref, partner).await?;
        let token = bound!(
            "SELECT settings_json, deleted_at FROM tokens WHERE scan_ref = $1",
            scan_ref
        )
        .fetch_optional(&live.pool)
        .await?;
        let Some(token) = token else {
            return Ok(false);
        };
        let deleted_at: Option<i64> = token.try_get("deleted_at")?;
        let Some(deleted_at) = deleted_at else {
            return Ok(false);
        };
        let settings: String = token.try_get("settings_json")?;
        bound!(
            "UPDATE tokens SET settings_json = $1, deleted_at = $2 WHERE scan_ref = $3",
            settings,
            deleted_at,
            scan_ref
        )
        .execute(&self.pool)
        .await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_identifiers_reach_sql_text() {
        assert!(plain_identifier("webhook_outbox"));
        assert!(!plain_identifier("x; DROP TABLE partners"));
        assert!(!plain_identifier(""));
    }

    #[tokio::test]
    async fn vacuum_into_copies_a_store_that_opens_read_only() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("live.db").display());
        let live = Store::connect(&url, 2).await.unwrap();
        let copy = dir.path().join("copy.db");
        live.vacuum_into(&copy).await.unwrap();
        assert!(
            live.vacuum_into(&copy).await.is_err(),
            "an existing file is not overwritten"
        );
        let ro = Store::open_sqlite_file(&copy, false).await.unwrap();
        assert!(ro.integrity_problems().await.unwrap().is_empty());
        assert_eq!(
            ro.table_counts().await.unwrap(),
            live.table_counts().await.unwrap()
        );
        assert!(
            ro.table_counts()
                .await
                .unwrap()
                .contains_key("verifications")
        );
        assert_eq!(
            ro.schema_version().await.unwrap(),
            live.schema_version().await.unwrap()
        );
        assert!(ro.schema_version().await.unwrap().is_some());
        assert!(ro.all_verification_images().await.unwrap().is_empty());
        // Read-only: writing fails.
        assert!(
            sqlx::query("DELETE FROM partners")
                .execute(&ro.pool)
                .await
                .is_err()
        );
        ro.close().await;
        assert!(
            Store::open_sqlite_file(&dir.path().join("missing.db"), false)
                .await
                .is_err()
        );
    }
}
