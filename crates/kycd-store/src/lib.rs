//! kycd-store: everything kycd keeps in its database.
//!
//! One [`Store`] over an [`sqlx::AnyPool`] serves both engines: SQLite (the embedded default, a file in the data
//! dir) and PostgreSQL (scale-out). Queries are written once with `$n` placeholders; the few statements whose
//! concurrency semantics differ (queue claims) have an engine-specific form. The job queue and the webhook outbox
//! are tables written in the same transaction as the state change that causes them.
//!
//! Modules by table: partners, tokens, verifications (acceptance, results, reopening, erasure),
//! jobs (the processing queue), outbox (webhooks), fraud (face embeddings, keyed hashes, blocklists), operators and
//! audit (the review console's people and their actions), console (the queue and dashboard reads); `seal` and
//! [`keys`] encrypt personal data at rest.

/// `sqlx::query(sql)` with the arguments bound in order to `$1`, `$2`, …
macro_rules! bound {
    ($sql:expr $(, $arg:expr)* $(,)?) => {
        sqlx::query($sql)$(.bind($arg))*
    };
}

mod audit;
pub mod backup;
mod console;
mod fraud;
mod jobs;
pub mod keys;
mod monitoring;
mod operators;
mod outbox;
mod partners;
mod rekey;
mod seal;
mod tokens;
mod verifications;

pub use audit::{AuditAction, AuditRow, NewAuditEntry};
pub use backup::{BackupError, VerificationImages};
pub use console::{DashboardStats, DayCounts, QueueCursor, QueueFilter, QueueOrder, QueueRow};
pub use fraud::{BlocklistRow, KeyMatch, NewBlocklistEntry, StoredFace};
pub use jobs::{ClaimedJob, JobKind, JobOutcome, JobState};
pub use keys::{KeyError, Keyring};
pub use monitoring::{NewSubject, SubjectData, SubjectRow};
pub use operators::{OperatorId, OperatorRole, OperatorRow, SessionRow};
pub use outbox::{AttemptRecord, ClaimedDelivery, OutboxEntry, WebhookAttemptRow, WebhookRow};
pub use partners::{NewPartner, PartnerRow, PartnerUpdate, TokenDefaults};
pub use rekey::RekeyBatch;
pub use tokens::{NewToken, TokenRow};
pub use verifications::{
    AcceptedVerification, IdentificationListRow, IdentificationPage, ImageRef, VerificationRow,
};

use serde::Serialize;
use sqlx::any::{AnyPoolOptions, AnyRow, install_default_drivers};
use sqlx::{AnyPool, Executor, Row};
use std::time::Duration;

/// Store errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The token is unknown, of another partner, expired or already used.
    #[error("token not valid")]
    TokenNotValid,
    /// A unique key already exists.
    #[error("already exists: {0}")]
    Conflict(String),
    /// A row was not found.
    #[error("not found: {0}")]
    NotFound(String),
    /// The database URL is not usable.
    #[error("unsupported database URL (expected sqlite:// or postgres://): {0}")]
    BadUrl(String),
    /// A stored JSON column did not parse.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// Database failure.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Migration failure.
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A call the store cannot serve as asked (a bad cursor, no master key where one is needed).
    #[error("invalid store request: {0}")]
    Invalid(String),
}

/// Which engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    seal: seal::Sealer,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`) and applies the migrations.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::BadUrl(redact(url)));
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA busy_timeout = 30000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        let store = Self {
            pool,
            backend,
            seal: seal::Sealer::default(),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => {
                sqlx::migrate!("./migrations/sqlite")
                    .run(&self.pool)
                    .await?
            }
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    /// Encrypts personal data written from now on (token settings, photo validation, results, webhook bodies) with
    /// a key derived from the master key; values are decrypted on read. Face embeddings are always encrypted.
    pub fn with_encryption(mut self, keyring: Keyring) -> Self {
        self.seal = seal::Sealer::new(keyring);
        self
    }

    /// Whether personal data columns are encrypted at rest.
    pub fn encrypted(&self) -> bool {
        self.seal.enabled()
    }

    /// The engine in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The underlying pool (for health checks).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Cheap liveness query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The row lock of a queue claim: PostgreSQL skips rows other claimers hold; SQLite has one writer anyway.
    pub(crate) fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }

    /// Runs a statement on the pool; whether it changed exactly one row.
    pub(crate) async fn changes_one<'q>(
        &self,
        q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> Result<bool, StoreError> {
        Ok(q.execute(&self.pool).await?.rows_affected() == 1)
    }

    /// A value as JSON, sealed when encryption is on.
    pub(crate) fn seal_json(&self, v: &impl Serialize) -> Result<String, StoreError> {
        self.seal.seal_text(json(v)?)
    }

    /// Number of rows of `table` whose `column` equals `value`.
    pub(crate) async fn count_where(
        &self,
        table: &str,
        column: &str,
        value: &str,
    ) -> Result<i64, StoreError> {
        let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} = $1");
        let r = bound!(&sql, value).fetch_one(&self.pool).await?;
        Ok(r.try_get("n")?)
    }
}

/// Removes a password from a database URL for display.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// A boolean as stored (0/1 integer on both engines).
pub(crate) fn flag(v: bool) -> i64 {
    i64::from(v)
}

/// A boolean column (0/1 integer).
pub(crate) fn flag_col(r: &AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    Ok(r.try_get::<i64, _>(column)? != 0)
}

/// A value as JSON text.
pub(crate) fn json(v: &impl Serialize) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Maps a unique-key violation to [`StoreError::Conflict`] about `what`.
pub(crate) fn conflict(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(what.into()),
        e => e.into(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
