//! The audit log: every operator action, append-only.
//!
//! There is no update or delete of `audit_log` in the code, with one exception required by erasure: when a
//! verification is erased, the free-text `note` of its entries (which may hold personal data) is cleared in the same
//! transaction ([`crate::Store::tombstone_verification`]); the fact of the action, who did it and when, stays.

use crate::operators::OperatorRow;
use crate::{Store, StoreError, now_ms};
use kycd_types::PartnerId;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

/// An operator action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AuditAction {
    /// Logged in.
    Login,
    /// A failed login (wrong password, locked, disabled).
    LoginFailed,
    /// Logged out.
    Logout,
    /// Opened a verification (its personal data and images).
    ViewVerification,
    /// Recorded a manual decision.
    Decision,
    /// Added a blocklist entry.
    BlocklistAdd,
    /// Removed a blocklist entry.
    BlocklistRemove,
    /// Replayed webhooks.
    WebhookReplay,
    /// Erased a verification.
    Erase,
    /// Exported the audit log.
    AuditExport,
    /// Created an operator.
    OperatorCreate,
    /// Disabled an operator.
    OperatorDisable,
    /// Enabled an operator.
    OperatorEnable,
    /// Reset an operator's password.
    OperatorResetPassword,
}

impl AuditAction {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            AuditAction::Login => "login",
            AuditAction::LoginFailed => "login_failed",
            AuditAction::Logout => "logout",
            AuditAction::ViewVerification => "view_verification",
            AuditAction::Decision => "decision",
            AuditAction::BlocklistAdd => "blocklist_add",
            AuditAction::BlocklistRemove => "blocklist_remove",
            AuditAction::WebhookReplay => "webhook_replay",
            AuditAction::Erase => "erase",
            AuditAction::AuditExport => "audit_export",
            AuditAction::OperatorCreate => "operator_create",
            AuditAction::OperatorDisable => "operator_disable",
            AuditAction::OperatorEnable => "operator_enable",
            AuditAction::OperatorResetPassword => "operator_reset_password",
        }
    }
}

/// An entry to append.
#[derive(Debug, Clone)]
pub struct NewAuditEntry<'a> {
    /// Who (`None` for a failed login of an unknown e-mail, or the command line).
    pub operator: Option<&'a OperatorRow>,
    /// The e-mail given (for failed logins) or `cli` when no operator is known.
    pub actor: &'a str,
    /// What.
    pub action: AuditAction,
    /// The partner concerned.
    pub partner_id: Option<PartnerId>,
    /// The verification concerned.
    pub scan_ref: Option<&'a str>,
    /// Non-personal detail (statuses before/after, counts, target operator).
    pub detail: Option<String>,
    /// The operator's note (may hold personal data; erased with the verification).
    pub note: Option<&'a str>,
    /// Source address of the request.
    pub source_ip: Option<String>,
}

/// A stored entry.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRow {
    /// Sequence number.
    pub id: i64,
    /// When (ms).
    pub created_at: i64,
    /// Who.
    pub operator_email: String,
    /// What.
    pub action: String,
    /// Partner.
    pub partner_id: Option<i64>,
    /// Verification.
    pub scan_ref: Option<String>,
    /// Detail.
    pub detail: Option<String>,
    /// Note.
    pub note: Option<String>,
    /// Source address.
    pub source_ip: Option<String>,
}

fn row(r: &AnyRow) -> Result<AuditRow, StoreError> {
    Ok(AuditRow {
        id: r.try_get("id")?,
        created_at: r.try_get("created_at")?,
        operator_email: r.try_get("operator_email")?,
        action: r.try_get("action")?,
        partner_id: r.try_get("partner_id")?,
        scan_ref: r.try_get("scan_ref")?,
        detail: r.try_get("detail")?,
        note: r.try_get("note")?,
        source_ip: r.try_get("source_ip")?,
    })
}

const COLS: &str =
    "id, created_at, operator_email, action, partner_id, scan_ref, detail, note, source_ip";

impl Store {
    /// Appends an audit entry.
    pub async fn audit(&self, e: &NewAuditEntry<'_>) -> Result<(), StoreError> {
        bound!(
            "INSERT INTO audit_log (created_at, operator_id, operator_email, action, partner_id, scan_ref, detail, \
             note, source_ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            now_ms(),
            e.operator.map(|o| o.id.0),
            e.operator.map_or(e.actor, |o| o.email.as_str()),
            e.action.as_str(),
            e.partner_id.map(|p| p.0),
            e.scan_ref,
            e.detail.as_deref(),
            e.note,
            e.source_ip.as_deref()
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Audit entries, newest first: of one verification, or all; `before` is the id to page from; of one partner
    /// when `partner` is given.
    pub async fn audit_entries(
        &self,
        scan_ref: Option<&str>,
        partner: Option<PartnerId>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let sql = format!(
            "SELECT {COLS} FROM audit_log WHERE ($1 IS NULL OR scan_ref = $1) AND ($2 IS NULL OR partner_id = $2) \
             AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"
        );
        bound!(&sql, scan_ref, partner.map(|p| p.0), before, limit)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(row)
            .collect()
    }
}
