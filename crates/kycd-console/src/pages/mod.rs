//! The console's handlers. Each one authenticates (the [`Op`] extractor), checks the operator's role and partner
//! scope, calls the store or one pipeline service, appends to the audit log when it reads personal data or changes
//! something, and renders a template.
//!
//! A verification of another partner is answered exactly like an unknown one (404), never 403 with a hint.
//!
//! Submodules by page: `login` (login, logout), `dashboard`, `queue` (the queue, the review queue and their
//! JSON), `verification` (the page, its images and JSON), `actions` (decision, replay, blocklist, erase), `audit`
//! (the log and its CSV export). This module holds what they share: the error page, the header, the access checks
//! and the audit helper.

use crate::guard::{
    LOGIN_COOKIE, NoSession, Op, SESSION_COOKIE, client_ip, cookie, session_cookie,
};
use crate::views::*;
use crate::{ConsoleState, auth, charts};
mod actions;
mod audit;
mod dashboard;
mod login;
mod queue;
mod verification;

pub(crate) use actions::{blocklist, decide, erase, replay};
pub(crate) use audit::{audit_csv, audit_page};
pub(crate) use dashboard::dashboard;
pub(crate) use login::{login, login_form, logout};
pub(crate) use queue::{api_queue, queue, review_next, review_queue};
pub(crate) use verification::{api_verification, file, portrait, report, verification};

use askama::Template;
use axum::Form;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kycd_pipeline::decision::review::{ManualDecision, decide_manually};
use kycd_pipeline::fraud::blocklists::{
    BLOCKLIST_SOURCES, add_to_blocklist, remove_from_blocklist,
};
use kycd_store::{
    AuditAction, NewAuditEntry, OperatorRole, QueueCursor, QueueFilter, QueueOrder,
    VerificationRow, now_ms,
};
use kycd_types::{DocumentStatus, FaceStatus};
use serde::Deserialize;
use std::collections::HashMap;

/// Overall statuses the queue filters on.
const STATUSES: &[&str] = &[
    "APPROVED",
    "DENIED",
    "SUSPECTED",
    "REVIEWING",
    "EXPIRED",
    "DELETED",
];
/// `manualDocument` values a reviewer may record (and the queue's `autoDocument` filter).
const DOC_STATUSES: &[&str] = &[
    "DOC_VALIDATED",
    "DOC_INFO_MISMATCH",
    "DOC_EXPIRED",
    "DOC_FAKE",
    "DOC_DAMAGED",
    "DOC_NOT_SUPPORTED",
    "DOC_NOT_FOUND",
    "DOC_NOT_FULLY_VISIBLE",
    "DOC_TOO_BLURRY",
    "DOC_GLARED",
    "DOC_FACE_NOT_FOUND",
    "MRZ_NOT_FOUND",
    "MRZ_INVALID",
    "MRZ_OCR_READING_ERROR",
    "DOC_NAME_MISMATCH",
    "DOC_DOB_MISMATCH",
    "DOC_TYPE_MISMATCH",
    "DOC_COUNTRY_MISMATCH",
];
/// `manualFace` values a reviewer may record.
const FACE_STATUSES: &[&str] = &[
    "FACE_MATCH",
    "FACE_MISMATCH",
    "FAKE_FACE",
    "FACE_NOT_FOUND",
    "FACE_TOO_BLURRY",
    "FACE_GLARED",
    "FACE_UNCERTAIN",
    "NO_FACE_FOUND",
];

/// An error page or status; never a panic, never a stack trace.
pub(crate) enum Failure {
    NotFound,
    Forbidden(&'static str),
    BadRequest(String),
    TooMany,
    Internal,
}

macro_rules! internal_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Failure {
            fn from(e: $t) -> Self {
                tracing::error!(error = %e, "console request failed");
                Failure::Internal
            }
        }
    )*};
}
internal_from!(
    kycd_store::StoreError,
    kycd_pipeline::PipelineError,
    kycd_report::ReportError,
    tokio::task::JoinError
);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (code, title, message) = match self {
            Failure::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here, or you do not have access to it.".to_string(),
            ),
            Failure::Forbidden(m) => (StatusCode::FORBIDDEN, "Not allowed", m.to_string()),
            Failure::BadRequest(m) => (StatusCode::BAD_REQUEST, "Cannot do that", m),
            Failure::TooMany => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                "Too many login attempts from your address. Wait a minute and try again.".into(),
            ),
            Failure::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The request failed; it was logged. Try again.".into(),
            ),
        };
        (
            code,
            html(MessagePage {
                title: title.into(),
                message,
            }),
        )
            .into_response()
    }
}

type Page = Result<Response, Failure>;

fn html(t: impl Template) -> Response {
    match t.render() {
        Ok(body) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "console template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn nav(state: &ConsoleState, op: &Op, active: &'static str) -> Result<Nav, Failure> {
    let backlog = state.backlog_count(op.scope()).await?;
    let scope = match op.scope() {
        Some(p) => state
            .store
            .partner_by_id(p)
            .await?
            .map_or_else(String::new, |p| p.name),
        None => "all partners".into(),
    };
    Ok(Nav {
        email: op.operator().email.clone(),
        role: op.operator().role.to_string(),
        csrf: op.session.csrf_token.clone(),
        active,
        backlog,
        is_admin: op.can(OperatorRole::Admin),
        scope,
    })
}

async fn partner_names(state: &ConsoleState) -> Result<HashMap<i64, String>, Failure> {
    Ok(state
        .store
        .list_partners()
        .await?
        .into_iter()
        .map(|p| (p.id.0, p.name))
        .collect())
}

/// The verification if the operator may see it; 404 otherwise.
async fn visible(
    state: &ConsoleState,
    op: &Op,
    scan_ref: &str,
) -> Result<VerificationRow, Failure> {
    if scan_ref.len() > 100 {
        return Err(Failure::NotFound);
    }
    match state.store.verification(scan_ref).await? {
        Some(v) if op.sees(v.partner_id) => Ok(v),
        _ => Err(Failure::NotFound),
    }
}

/// The verification a form acts on: the form's CSRF token checked, the operator's role at least `role`, the
/// verification visible to the operator.
async fn acting_on(
    state: &ConsoleState,
    op: &Op,
    scan_ref: &str,
    csrf: &str,
    role: OperatorRole,
) -> Result<VerificationRow, Failure> {
    check_csrf(op, csrf)?;
    require(op, role)?;
    visible(state, op, scan_ref).await
}

/// `value` upper-cased when it is one of `allowed`; `None` when empty; a clear error otherwise.
fn one_of(value: &str, allowed: &[&str], what: &str) -> Result<Option<String>, Failure> {
    let v = value.trim().to_uppercase();
    if v.is_empty() {
        Ok(None)
    } else if allowed.contains(&v.as_str()) {
        Ok(Some(v))
    } else {
        Err(Failure::BadRequest(format!("Unknown {what}: {value}")))
    }
}

fn check_csrf(op: &Op, token: &str) -> Result<(), Failure> {
    if auth::tokens_equal(&op.session.csrf_token, token) {
        Ok(())
    } else {
        Err(Failure::BadRequest(
            "The form expired or did not come from this console (CSRF check). Reload the page and try again."
                .into(),
        ))
    }
}

fn require(op: &Op, role: OperatorRole) -> Result<(), Failure> {
    if op.can(role) {
        Ok(())
    } else {
        Err(Failure::Forbidden(match role {
            OperatorRole::Admin => "Only an admin may do this.",
            _ => "Your role may look but not decide or change anything.",
        }))
    }
}

async fn audit(
    state: &ConsoleState,
    op: &Op,
    action: AuditAction,
    v: Option<&VerificationRow>,
    detail: Option<String>,
    note: Option<&str>,
) -> Result<(), Failure> {
    state
        .store
        .audit(&NewAuditEntry {
            operator: Some(op.operator()),
            actor: "",
            action,
            partner_id: v.map(|v| v.partner_id).or(op.scope()),
            scan_ref: v.map(|v| v.scan_ref.as_str()),
            detail,
            note,
            source_ip: op.ip.map(|i| i.to_string()),
        })
        .await?;
    Ok(())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct CsrfForm {
    pub(crate) csrf: String,
}

pub(crate) async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/console.css"),
    )
        .into_response()
}

pub(crate) async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/console.js"),
    )
        .into_response()
}

pub(crate) async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return NoSession::Api.into_response();
    }
    Failure::NotFound.into_response()
}

impl ConsoleState {
    /// The number of verifications waiting for review, cached for a few seconds: the header shows it on every page,
    /// and the queue pages themselves are exact.
    pub(crate) async fn backlog_count(
        &self,
        scope: Option<kycd_types::PartnerId>,
    ) -> Result<i64, Failure> {
        let key = scope.map(|p| p.0);
        if let Some((at, n)) = self
            .backlog
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .copied()
            && at.elapsed() < std::time::Duration::from_secs(5)
        {
            return Ok(n);
        }
        let (n, _) = self.store.review_backlog(scope).await?;
        self.backlog
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, (std::time::Instant::now(), n));
        Ok(n)
    }

    /// Counts per status, cached for a few seconds (a GROUP BY over millions of rows on every queue page would
    /// dominate its time; the counts are a guide, the rows are exact).
    pub(crate) async fn status_counts(
        &self,
        scope: Option<kycd_types::PartnerId>,
    ) -> Result<Vec<(String, i64)>, Failure> {
        let key = scope.map(|p| p.0);
        if let Some((at, v)) = self
            .counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned()
            && at.elapsed() < std::time::Duration::from_secs(15)
        {
            return Ok(v);
        }
        let v = self.store.status_counts(scope).await?;
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, (std::time::Instant::now(), v.clone()));
        Ok(v)
    }
}
