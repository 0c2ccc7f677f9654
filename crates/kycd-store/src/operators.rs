//! Console operators (people; separate from partners, which are API clients) and their sessions.
//!
//! The store keeps what the console hands it: an argon2id PHC string, never a password, and the SHA-256 of a
//! session id, never the id itself (a leaked database does not yield live sessions).

use crate::{Store, StoreError, conflict, flag, flag_col, now_ms};
use kycd_types::PartnerId;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::fmt;
use std::str::FromStr;

/// What an operator may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OperatorRole {
    /// Reads verifications and their images.
    Viewer,
    /// Also decides, replays webhooks and edits blocklists.
    Reviewer,
    /// Also erases verifications and reads the audit log.
    Admin,
}

impl OperatorRole {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            OperatorRole::Viewer => "viewer",
            OperatorRole::Reviewer => "reviewer",
            OperatorRole::Admin => "admin",
        }
    }
}

impl fmt::Display for OperatorRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OperatorRole {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(OperatorRole::Viewer),
            "reviewer" => Ok(OperatorRole::Reviewer),
            "admin" => Ok(OperatorRole::Admin),
            other => Err(StoreError::Corrupt(format!(
                "unknown operator role {other}"
            ))),
        }
    }
}

/// Operator id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct OperatorId(pub i64);

/// A stored operator.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorRow {
    /// Id.
    pub id: OperatorId,
    /// Login (lower-cased e-mail address).
    pub email: String,
    /// argon2id PHC string.
    #[serde(skip)]
    pub password_hash: String,
    /// Role.
    pub role: OperatorRole,
    /// The one partner whose verifications the operator sees; `None`: all partners.
    pub partner_id: Option<PartnerId>,
    /// Disabled operators cannot log in; their sessions end.
    pub disabled: bool,
    /// Consecutive failed logins.
    pub failed_logins: i64,
    /// Locked out until (ms).
    pub locked_until: Option<i64>,
    /// Creation time (ms).
    pub created_at: i64,
}

/// A live console session with its operator.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// The operator.
    pub operator: OperatorRow,
    /// The session's CSRF token (forms echo it).
    pub csrf_token: String,
    /// Creation time (ms): absolute expiry.
    pub created_at: i64,
    /// Last request (ms): idle expiry.
    pub last_seen_at: i64,
}

const COLS: &str = "o.id, o.email, o.password_hash, o.role, o.partner_id, o.disabled, o.failed_logins, \
                    o.locked_until, o.created_at";

fn row(r: &AnyRow) -> Result<OperatorRow, StoreError> {
    Ok(OperatorRow {
        id: OperatorId(r.try_get("id")?),
        email: r.try_get("email")?,
        password_hash: r.try_get("password_hash")?,
        role: r.try_get::<String, _>("role")?.parse()?,
        partner_id: r.try_get::<Option<i64>, _>("partner_id")?.map(PartnerId),
        disabled: flag_col(r, "disabled")?,
        failed_logins: r.try_get("failed_logins")?,
        locked_until: r.try_get("locked_until")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    /// Creates an operator; [`StoreError::Conflict`] when the e-mail exists.
    pub async fn create_operator(
        &self,
        email: &str,
        password_hash: &str,
        role: OperatorRole,
        partner_id: Option<PartnerId>,
    ) -> Result<OperatorRow, StoreError> {
        let now = now_ms();
        bound!(
            "INSERT INTO operators (email, password_hash, role, partner_id, created_at, password_set_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
            email,
            password_hash,
            role.as_str(),
            partner_id.map(|p| p.0),
            now
        )
        .execute(&self.pool)
        .await
        .map_err(conflict("operator"))?;
        self.operator_by_email(email)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("operator {email}")))
    }

    /// The operator with this e-mail.
    pub async fn operator_by_email(&self, email: &str) -> Result<Option<OperatorRow>, StoreError> {
        let sql = format!("SELECT {COLS} FROM operators o WHERE o.email = $1");
        bound!(&sql, email)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| row(&r))
            .transpose()
    }

    /// Every operator, by e-mail.
    pub async fn list_operators(&self) -> Result<Vec<OperatorRow>, StoreError> {
        let sql = format!("SELECT {COLS} FROM operators o ORDER BY o.email");
        bound!(&sql)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(row)
            .collect()
    }

    /// Disables (or re-enables) an operator; a disabled operator's sessions end at once.
    pub async fn set_operator_disabled(
        &self,
        email: &str,
        disabled: bool,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let r = bound!(
            "UPDATE operators SET disabled = $1 WHERE email = $2",
            flag(disabled),
            email
        )
        .execute(&mut *tx)
        .await?;
        if disabled {
            bound!(
                "DELETE FROM console_sessions WHERE operator_id IN (SELECT id FROM operators WHERE email = $1)",
                email
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
    }

    /// Replaces an operator's password hash, clears the lockout and ends every session of the operator.
    pub async fn set_operator_password(
        &self,
        email: &str,
        password_hash: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let r = bound!(
            "UPDATE operators SET password_hash = $1, password_set_at = $2, failed_logins = 0, locked_until = NULL \
             WHERE email = $3",
            password_hash,
            now_ms(),
            email
        )
        .execute(&mut *tx)
        .await?;
        bound!(
            "DELETE FROM console_sessions WHERE operator_id IN (SELECT id FROM operators WHERE email = $1)",
            email
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
    }

    /// Counts a failed login; after `max_failures` consecutive failures the operator is locked for `lock_ms`.
    /// Returns the operator's lock time when this failure locked it.
    pub async fn record_failed_login(
        &self,
        id: OperatorId,
        max_failures: i64,
        lock_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        let now = now_ms();
        bound!(
            "UPDATE operators SET failed_logins = failed_logins + 1, \
             locked_until = CASE WHEN failed_logins + 1 >= $1 THEN $2 ELSE locked_until END WHERE id = $3",
            max_failures,
            now + lock_ms,
            id.0
        )
        .execute(&self.pool)
        .await?;
        let r = bound!("SELECT locked_until FROM operators WHERE id = $1", id.0)
            .fetch_one(&self.pool)
            .await?;
        Ok(r.try_get::<Option<i64>, _>("locked_until")?
            .filter(|t| *t > now))
    }

    /// Starts a session after a successful login: clears the failure count, stores the session.
    pub async fn start_session(
        &self,
        id: OperatorId,
        id_hash: &str,
        csrf_token: &str,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        bound!(
            "UPDATE operators SET failed_logins = 0, locked_until = NULL WHERE id = $1",
            id.0
        )
        .execute(&mut *tx)
        .await?;
        bound!(
            "INSERT INTO console_sessions (id_hash, operator_id, csrf_token, created_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $4)",
            id_hash,
            id.0,
            csrf_token,
            now
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live session with this id hash: not older than `absolute_ms`, used within `idle_ms`, of an enabled
    /// operator. Expired sessions are deleted; a live one has its last-seen time refreshed.
    pub async fn session(
        &self,
        id_hash: &str,
        idle_ms: i64,
        absolute_ms: i64,
    ) -> Result<Option<SessionRow>, StoreError> {
        let now = now_ms();
        let sql = format!(
            "SELECT {COLS}, s.csrf_token, s.created_at AS s_created, s.last_seen_at FROM console_sessions s \
             JOIN operators o ON o.id = s.operator_id WHERE s.id_hash = $1"
        );
        let Some(r) = bound!(&sql, id_hash).fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let s = SessionRow {
            operator: row(&r)?,
            csrf_token: r.try_get("csrf_token")?,
            created_at: r.try_get("s_created")?,
            last_seen_at: r.try_get("last_seen_at")?,
        };
        if s.operator.disabled || now - s.created_at > absolute_ms || now - s.last_seen_at > idle_ms
        {
            self.end_session(id_hash).await?;
            return Ok(None);
        }
        // Refresh at most every few seconds: a page load with its images is one write, not ten.
        if now - s.last_seen_at > 5_000 {
            bound!(
                "UPDATE console_sessions SET last_seen_at = $1 WHERE id_hash = $2",
                now,
                id_hash
            )
            .execute(&self.pool)
            .await?;
        }
        Ok(Some(s))
    }

    /// Ends a session (logout).
    pub async fn end_session(&self, id_hash: &str) -> Result<(), StoreError> {
        bound!("DELETE FROM console_sessions WHERE id_hash = $1", id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
