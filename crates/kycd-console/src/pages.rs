//! The console's handlers. Each one authenticates (the [`Op`] extractor), checks the operator's role and partner
//! scope, calls the store or one pipeline service, appends to the audit log when it reads personal data or changes
//! something, and renders a template.
//!
//! A verification of another partner is answered exactly like an unknown one (404), never 403 with a hint.

use crate::guard::{
    LOGIN_COOKIE, NoSession, Op, SESSION_COOKIE, client_ip, cookie, session_cookie,
};
use crate::views::*;
use crate::{ConsoleState, auth, charts};
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
internal_from!(kycd_store::StoreError, kycd_pipeline::PipelineError);

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
    let (backlog, _) = state.store.review_backlog(op.scope()).await?;
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

// ---- login / logout ----

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct NextQuery {
    next: String,
}

/// A safe place to go after login: a console path, never another origin.
fn safe_next(next: &str) -> String {
    if (next == "/console" || next.starts_with("/console/") || next.starts_with("/console?"))
        && !next.contains("\\")
    {
        next.to_string()
    } else {
        "/console".to_string()
    }
}

fn login_page(
    state: &ConsoleState,
    error: Option<String>,
    next: &str,
    email: &str,
    code: StatusCode,
) -> Response {
    let csrf = auth::new_csrf_token();
    let mut res = html(LoginPage {
        error,
        next: safe_next(next),
        csrf: csrf.clone(),
        email: email.to_string(),
    });
    *res.status_mut() = code;
    if let Ok(v) = session_cookie(LOGIN_COOKIE, &csrf, 3600, state.config.insecure_cookies).parse()
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub(crate) async fn login_form(
    State(state): State<ConsoleState>,
    q: Result<Query<NextQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    login_page(&state, None, &q.next, "", StatusCode::OK)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct LoginForm {
    email: String,
    password: String,
    csrf: String,
    next: String,
}

pub(crate) async fn login(State(state): State<ConsoleState>, req: Request) -> Page {
    let (parts, body) = req.into_parts();
    let ip = client_ip(&parts);
    let form: LoginForm = match axum::body::to_bytes(body, 64 * 1024)
        .await
        .ok()
        .and_then(|b| serde_urlencoded_form(&b))
    {
        Some(f) => f,
        None => {
            return Err(Failure::BadRequest(
                "The login form could not be read.".into(),
            ));
        }
    };
    let cookie_token = cookie(&parts.headers, LOGIN_COOKIE).unwrap_or("");
    if cookie_token.is_empty() || !auth::tokens_equal(cookie_token, &form.csrf) {
        return Ok(login_page(
            &state,
            Some("The login form expired. Try again.".into()),
            &form.next,
            &form.email,
            StatusCode::BAD_REQUEST,
        ));
    }
    if !state.throttle.allow(ip) {
        return Err(Failure::TooMany);
    }
    let email = form.email.trim().to_lowercase();
    let operator = state.store.operator_by_email(&email).await?;
    let password = form.password.clone();
    let phc = operator.as_ref().map(|o| o.password_hash.clone());
    // Hash even for an unknown e-mail, so the answer takes as long either way.
    let matches = tokio::task::spawn_blocking(move || match phc {
        Some(h) => auth::verify_password(&password, &h),
        None => {
            let _ = auth::verify_password(&password, dummy_hash());
            false
        }
    })
    .await
    .unwrap_or(false);
    let now = now_ms();
    let failed = |detail: &str| NewAuditEntry {
        operator: operator.as_ref(),
        actor: &email,
        action: AuditAction::LoginFailed,
        partner_id: None,
        scan_ref: None,
        detail: Some(detail.to_string()),
        note: None,
        source_ip: ip.map(|i| i.to_string()),
    };
    let refuse = |state: &ConsoleState| {
        login_page(
            state,
            Some(format!(
                "Wrong e-mail or password, or the account is locked or disabled. After {} failed attempts an \
                 account is locked for {} minutes.",
                state.config.max_failed_logins,
                state.config.lockout.as_secs() / 60
            )),
            &form.next,
            &form.email,
            StatusCode::UNAUTHORIZED,
        )
    };
    let Some(op) = operator.as_ref() else {
        state.store.audit(&failed("unknown operator")).await?;
        return Ok(refuse(&state));
    };
    if op.disabled {
        state.store.audit(&failed("disabled")).await?;
        return Ok(refuse(&state));
    }
    if op.locked_until.is_some_and(|t| t > now) {
        state.store.audit(&failed("locked")).await?;
        return Ok(refuse(&state));
    }
    if !matches {
        let locked = state
            .store
            .record_failed_login(
                op.id,
                state.config.max_failed_logins,
                state.config.lockout.as_millis() as i64,
            )
            .await?;
        let detail = if locked.is_some() {
            "wrong password; locked"
        } else {
            "wrong password"
        };
        state.store.audit(&failed(detail)).await?;
        return Ok(refuse(&state));
    }
    let (id, hash) = auth::new_session_id();
    state
        .store
        .start_session(op.id, &hash, &auth::new_csrf_token())
        .await?;
    state
        .store
        .audit(&NewAuditEntry {
            operator: Some(op),
            actor: "",
            action: AuditAction::Login,
            partner_id: op.partner_id,
            scan_ref: None,
            detail: None,
            note: None,
            source_ip: ip.map(|i| i.to_string()),
        })
        .await?;
    let insecure = state.config.insecure_cookies;
    let max_age = state.config.absolute_timeout.as_secs();
    let mut res = Redirect::to(&safe_next(&form.next)).into_response();
    for c in [
        session_cookie(SESSION_COOKIE, &id, max_age, insecure),
        session_cookie(LOGIN_COOKIE, "", 0, insecure),
    ] {
        if let Ok(v) = c.parse() {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(res)
}

/// An argon2id hash of a random password, verified against for unknown e-mails so that they cost the same time.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| auth::hash_password(&auth::generate_password()).unwrap_or_default())
}

fn serde_urlencoded_form<T: for<'de> Deserialize<'de>>(b: &[u8]) -> Option<T> {
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{}", std::str::from_utf8(b).ok()?).parse().ok()?,
    )
    .ok()
    .map(|q| q.0)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct CsrfForm {
    csrf: String,
}

pub(crate) async fn logout(
    State(state): State<ConsoleState>,
    op: Op,
    Form(f): Form<CsrfForm>,
) -> Page {
    check_csrf(&op, &f.csrf)?;
    state.store.end_session(&op.session_hash).await?;
    audit(&state, &op, AuditAction::Logout, None, None, None).await?;
    let mut res = Redirect::to("/console/login").into_response();
    if let Ok(v) = session_cookie(SESSION_COOKIE, "", 0, state.config.insecure_cookies).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

// ---- dashboard ----

pub(crate) async fn dashboard(State(state): State<ConsoleState>, op: Op) -> Page {
    const DAYS: i64 = 14;
    const DAY: i64 = 86_400_000;
    let now = now_ms();
    let to = (now / DAY + 1) * DAY;
    let from = to - DAYS * DAY;
    let s = state.store.dashboard(op.scope(), from, to).await?;
    let attempts_failed = if s.webhook_attempts == 0 {
        "no deliveries".to_string()
    } else {
        format!(
            "{:.1} % of {} attempts failed",
            100.0 * s.webhook_failed_attempts as f64 / s.webhook_attempts as f64,
            s.webhook_attempts
        )
    };
    let page = DashboardPage {
        nav: nav(&state, &op, "dashboard").await?,
        window_days: DAYS,
        chart: charts::daily_outcomes(&s.days),
        legend: charts::STACK
            .iter()
            .map(|s| (*s, format!("c-{}", s.to_lowercase())))
            .collect(),
        finished: s.finished,
        pass_rate: if s.finished == 0 {
            "–".into()
        } else {
            format!(
                "{:.1} %",
                100.0 * s.auto_approved as f64 / s.finished as f64
            )
        },
        backlog: s.backlog,
        oldest_waiting: s
            .oldest_waiting_ms
            .map_or("–".into(), |t| duration(now - t)),
        p50: s.processing_p50_ms.map_or("–".into(), duration),
        p95: s.processing_p95_ms.map_or("–".into(), duration),
        webhook_bar: charts::proportions(&s.webhooks),
        webhooks: s.webhooks,
        webhook_failure_rate: attempts_failed,
    };
    Ok(html(page))
}

// ---- queue ----

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct QueueQuery {
    status: String,
    auto_document: String,
    auto_face: String,
    tag: String,
    from: String,
    to: String,
    q: String,
    partner: String,
    order: String,
    after: String,
    review: String,
}

/// The page size of the queue.
const PAGE: i64 = 50;

fn day_ms(s: &str) -> Result<Option<i64>, Failure> {
    if s.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc().timestamp_millis()))
        .ok_or_else(|| Failure::BadRequest(format!("Not a date (YYYY-MM-DD): {s}")))
}

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

fn filter_of(op: &Op, q: &QueueQuery, review: bool) -> Result<QueueFilter, Failure> {
    let tag = q.tag.trim().to_uppercase();
    if !tag.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
        return Err(Failure::BadRequest(
            "A tag is letters and underscores.".into(),
        ));
    }
    let partner = match (op.scope(), q.partner.trim()) {
        (Some(p), _) => Some(p),
        (None, "") => None,
        (None, p) => {
            Some(kycd_types::PartnerId(p.parse().map_err(|_| {
                Failure::BadRequest("Unknown partner.".into())
            })?))
        }
    };
    let after = if q.after.is_empty() {
        None
    } else {
        let (t, s) = q
            .after
            .split_once(':')
            .ok_or_else(|| Failure::BadRequest("Bad page cursor.".into()))?;
        Some(QueueCursor {
            created_at: t
                .parse()
                .map_err(|_| Failure::BadRequest("Bad page cursor.".into()))?,
            scan_ref: s.to_string(),
        })
    };
    let search = q.q.trim();
    Ok(QueueFilter {
        partner,
        status: one_of(&q.status, STATUSES, "status")?,
        auto_document: one_of(&q.auto_document, DOC_STATUSES, "document status")?,
        auto_face: one_of(&q.auto_face, FACE_STATUSES, "face status")?,
        tag: (!tag.is_empty()).then_some(tag),
        from_ms: day_ms(&q.from)?,
        to_ms: day_ms(&q.to)?.map(|t| t + 86_400_000),
        search: (!search.is_empty()).then(|| search.chars().take(200).collect()),
        review_only: review,
        order: if review || q.order == "oldest" {
            QueueOrder::Oldest
        } else {
            QueueOrder::Newest
        },
        after,
        limit: PAGE,
    })
}

fn next_link(
    base: &str,
    q: &QueueQuery,
    last: Option<&kycd_store::QueueRow>,
    full: bool,
) -> Option<String> {
    let last = last.filter(|_| full)?;
    let mut pairs: Vec<(&str, &str)> = [
        ("status", q.status.as_str()),
        ("auto_document", q.auto_document.as_str()),
        ("auto_face", q.auto_face.as_str()),
        ("tag", q.tag.as_str()),
        ("from", q.from.as_str()),
        ("to", q.to.as_str()),
        ("q", q.q.as_str()),
        ("partner", q.partner.as_str()),
        ("order", q.order.as_str()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect();
    let cursor = format!("{}:{}", last.created_at, last.scan_ref);
    pairs.push(("after", &cursor));
    let qs: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::guard::urlencode(v)))
        .collect();
    Some(format!("{base}?{}", qs.join("&")))
}

async fn queue_page(state: ConsoleState, op: Op, q: QueueQuery, review: bool) -> Page {
    let filter = filter_of(&op, &q, review)?;
    let rows = state.store.queue(&filter).await?;
    let names = partner_names(&state).await?;
    let counts = state.status_counts(op.scope()).await?;
    let now = now_ms();
    let base = if review {
        "/console/review"
    } else {
        "/console/queue"
    };
    let page = QueuePage {
        nav: nav(&state, &op, if review { "review" } else { "queue" }).await?,
        title: if review { "To review" } else { "Verifications" },
        review_mode: review,
        next_link: next_link(base, &q, rows.last(), rows.len() as i64 == PAGE),
        rows: rows
            .iter()
            .map(|r| {
                QueueLine::of(
                    r,
                    names.get(&r.partner_id).cloned().unwrap_or_default(),
                    now,
                )
            })
            .collect(),
        total: counts.iter().map(|(_, n)| n).sum(),
        counts,
        filters: FilterForm {
            status: q.status,
            auto_document: q.auto_document,
            auto_face: q.auto_face,
            tag: q.tag,
            from: q.from,
            to: q.to,
            q: q.q,
            partner: q.partner,
            order: q.order,
        },
        partners: if op.scope().is_none() {
            let mut p: Vec<(String, String)> = names
                .into_iter()
                .map(|(id, n)| (id.to_string(), n))
                .collect();
            p.sort_by(|a, b| a.1.cmp(&b.1));
            p
        } else {
            Vec::new()
        },
        statuses: STATUSES,
        doc_statuses: DOC_STATUSES,
        face_statuses: FACE_STATUSES,
    };
    Ok(html(page))
}

pub(crate) async fn queue(
    State(state): State<ConsoleState>,
    op: Op,
    q: Result<Query<QueueQuery>, QueryRejection>,
) -> Page {
    let q = q
        .map(|q| q.0)
        .map_err(|e| Failure::BadRequest(format!("Bad filter: {}", e.body_text())))?;
    queue_page(state, op, q, false).await
}

pub(crate) async fn review_queue(
    State(state): State<ConsoleState>,
    op: Op,
    q: Result<Query<QueueQuery>, QueryRejection>,
) -> Page {
    let q = q
        .map(|q| q.0)
        .map_err(|e| Failure::BadRequest(format!("Bad filter: {}", e.body_text())))?;
    queue_page(state, op, q, true).await
}

/// The oldest verification waiting for a person (keyboard shortcut `n`).
pub(crate) async fn review_next(State(state): State<ConsoleState>, op: Op) -> Page {
    let mut f = filter_of(&op, &QueueQuery::default(), true)?;
    f.limit = 1;
    let rows = state.store.queue(&f).await?;
    Ok(match rows.first() {
        Some(r) => Redirect::to(&format!("/console/v/{}", r.scan_ref)).into_response(),
        None => Redirect::to("/console/review").into_response(),
    })
}

pub(crate) async fn api_queue(
    State(state): State<ConsoleState>,
    op: Op,
    q: Result<Query<QueueQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    let q = q
        .map(|q| q.0)
        .map_err(|e| Failure::BadRequest(format!("Bad filter: {}", e.body_text())))?;
    let review = q.review == "1" || q.review == "true";
    let filter = filter_of(&op, &q, review)?;
    let rows = state.store.queue(&filter).await?;
    Ok(axum::Json(serde_json::json!({ "rows": rows })).into_response())
}

// ---- a verification ----

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct NoticeQuery {
    done: String,
}

pub(crate) async fn verification(
    State(state): State<ConsoleState>,
    op: Op,
    Path(scan_ref): Path<String>,
    q: Result<Query<NoticeQuery>, QueryRejection>,
) -> Page {
    let v = visible(&state, &op, &scan_ref).await?;
    audit(
        &state,
        &op,
        AuditAction::ViewVerification,
        Some(&v),
        Some(format!(
            "images: {}",
            v.images.keys().cloned().collect::<Vec<_>>().join(", ")
        )),
        None,
    )
    .await?;
    let token = state
        .store
        .token_by_scan_ref(&v.scan_ref, v.partner_id)
        .await?;
    let result = v.result.clone().unwrap_or(serde_json::Value::Null);
    let status = &result["status"];
    let txt = |x: &serde_json::Value| x.as_str().unwrap_or("").to_string();
    let list = |x: &serde_json::Value| -> Vec<String> {
        x.as_array()
            .map(|a| a.iter().map(txt).collect())
            .unwrap_or_default()
    };
    let face_ev = &result["kycd"]["face"];
    let face = (!face_ev.is_null()).then(|| {
        let d = face_ev["distance"].as_f64();
        let t = face_ev["details"]["thresholds"]["matchMax"].as_f64();
        FaceLine {
            status: txt(&face_ev["status"]),
            distance: d.map_or("–".into(), |d| format!("{d:.3}")),
            similarity: d.map_or("–".into(), |d| {
                format!("{:.0} %", 100.0 * (1.0 - d).clamp(0.0, 1.0))
            }),
            threshold: t.map_or("–".into(), |t| format!("distance ≤ {t:.3} is a match")),
            selfie: v
                .images
                .contains_key("FACE")
                .then(|| format!("/console/v/{}/file/FACE", v.scan_ref)),
            portrait: None,
        }
    });
    // The document side: the portrait the face match used when the reader cropped one, else the whole FRONT.
    let face = match face {
        Some(mut f) => {
            let cropped = state
                .blobs
                .exists(&kycd_blob::portrait_key(&v.scan_ref))
                .await
                .unwrap_or(false);
            f.portrait = if cropped {
                Some(format!("/console/v/{}/portrait", v.scan_ref))
            } else {
                v.images
                    .contains_key("FRONT")
                    .then(|| format!("/console/v/{}/file/FRONT", v.scan_ref))
            };
            Some(f)
        }
        None => None,
    };
    let mut duplicates = Vec::new();
    for (kind, key) in [
        ("Same face", "duplicateFaces"),
        ("Same document portrait", "duplicateDocFaces"),
    ] {
        for other in list(&result["data"][key]) {
            let thumb = match state.store.verification(&other).await? {
                Some(o) if op.sees(o.partner_id) && o.images.contains_key("FACE") => {
                    Some(format!("/console/v/{other}/file/FACE"))
                }
                _ => None,
            };
            duplicates.push(DuplicateLine {
                kind,
                scan_ref: other,
                thumb,
            });
        }
    }
    // The fields per zone, stored beside the images by the worker (absent for older verifications).
    let readings: Option<serde_json::Value> =
        match state.blobs.get(&kycd_blob::readings_key(&v.scan_ref)).await {
            Ok(b) => serde_json::from_slice(&b).ok(),
            Err(_) => None,
        };
    let webhooks = state
        .store
        .webhooks_for(&v.scan_ref, Some(v.partner_id))
        .await?;
    let names = partner_names(&state).await?;
    let page = VerificationPage {
        nav: nav(&state, &op, "queue").await?,
        partner: names.get(&v.partner_id.0).cloned().unwrap_or_default(),
        client_id: v.client_id.clone(),
        status: v.status.clone(),
        auto_document: txt(&status["autoDocument"]),
        auto_face: txt(&status["autoFace"]),
        manual_document: txt(&status["manualDocument"]),
        manual_face: txt(&status["manualFace"]),
        fraud_tags: list(&status["fraudTags"]),
        mismatch_tags: list(&status["mismatchTags"]),
        created: when(v.created_at),
        finished: v
            .finished_at
            .map(when)
            .unwrap_or_else(|| "processing".into()),
        deleted: v.deleted_at.is_some(),
        images: images(&v),
        fields: fields(&result, token.as_ref(), readings.as_ref()),
        face,
        rules: rules(&result),
        aml: aml(&result),
        duplicates,
        blocklisted: state.store.blocklist_sources_of(&v.scan_ref).await?,
        webhooks: crate::views::webhooks(&webhooks),
        token: token.as_ref().map(token_settings).unwrap_or_default(),
        audit: state
            .store
            .audit_entries(Some(&v.scan_ref), None, None, 50)
            .await?
            .iter()
            .map(AuditLine::of)
            .collect(),
        can_decide: op.can(OperatorRole::Reviewer) && v.result.is_some() && v.deleted_at.is_none(),
        can_erase: op.can(OperatorRole::Admin) && v.deleted_at.is_none(),
        face_options: FACE_STATUSES,
        doc_options: DOC_STATUSES,
        sources: &BLOCKLIST_SOURCES,
        notice: q.ok().and_then(|q| match q.0.done.as_str() {
            "decision" => Some(
                "Decision recorded; IDENTIFICATION_MANUAL_FINISHED is on its way to the partner."
                    .into(),
            ),
            "replay" => Some("Webhooks queued for delivery again.".into()),
            "blocklist" => Some("Blocklist updated.".into()),
            _ => None,
        }),
        scan_ref: v.scan_ref,
    };
    Ok(html(page))
}

pub(crate) async fn api_verification(
    State(state): State<ConsoleState>,
    op: Op,
    Path(scan_ref): Path<String>,
) -> Result<Response, Failure> {
    let v = visible(&state, &op, &scan_ref).await?;
    audit(
        &state,
        &op,
        AuditAction::ViewVerification,
        Some(&v),
        Some("api".into()),
        None,
    )
    .await?;
    Ok(axum::Json(serde_json::json!({
        "scanRef": v.scan_ref,
        "clientId": v.client_id,
        "status": v.status,
        "createdAt": v.created_at,
        "finishedAt": v.finished_at,
        "result": v.result,
    }))
    .into_response())
}

/// One stored file, decrypted on the fly, to an operator who may see the verification.
pub(crate) async fn file(
    State(state): State<ConsoleState>,
    op: Op,
    Path((scan_ref, step)): Path<(String, String)>,
) -> Page {
    let v = visible(&state, &op, &scan_ref).await?;
    let image = v.images.get(&step).ok_or(Failure::NotFound)?;
    serve_blob(&state, &op, &v, &image.key, &image.mime, &step).await
}

/// The document portrait the face match used.
pub(crate) async fn portrait(
    State(state): State<ConsoleState>,
    op: Op,
    Path(scan_ref): Path<String>,
) -> Page {
    let v = visible(&state, &op, &scan_ref).await?;
    let key = kycd_blob::portrait_key(&v.scan_ref);
    serve_blob(&state, &op, &v, &key, "image/png", "PORTRAIT").await
}

async fn serve_blob(
    state: &ConsoleState,
    op: &Op,
    v: &VerificationRow,
    key: &str,
    mime: &str,
    what: &str,
) -> Page {
    let bytes = state.blobs.get(key).await.map_err(|e| {
        tracing::warn!(error = %e, "console: stored file unreadable");
        Failure::NotFound
    })?;
    let detail = Some(format!("file {what}"));
    audit(
        state,
        op,
        AuditAction::ViewVerification,
        Some(v),
        detail,
        None,
    )
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
            (header::CONTENT_DISPOSITION, "inline".to_string()),
        ],
        bytes,
    )
        .into_response())
}

// ---- actions ----

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DecisionForm {
    csrf: String,
    face: String,
    document: String,
    note: String,
}

pub(crate) async fn decide(
    State(state): State<ConsoleState>,
    op: Op,
    Path(scan_ref): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Page {
    let v = acting_on(&state, &op, &scan_ref, &f.csrf, OperatorRole::Reviewer).await?;
    let note = f.note.trim();
    if note.is_empty() {
        return Err(Failure::BadRequest(
            "A decision needs a note: say why.".into(),
        ));
    }
    if note.chars().count() > 2000 {
        return Err(Failure::BadRequest(
            "The note is longer than 2000 characters.".into(),
        ));
    }
    let face = one_of(&f.face, FACE_STATUSES, "face status")?
        .ok_or_else(|| Failure::BadRequest("Choose a face status.".into()))?;
    let document = one_of(&f.document, DOC_STATUSES, "document status")?
        .ok_or_else(|| Failure::BadRequest("Choose a document status.".into()))?;
    if v.result.is_none() || v.deleted_at.is_some() {
        return Err(Failure::BadRequest(
            "This verification has no result to decide on.".into(),
        ));
    }
    let before = v.result.as_ref().map(|r| {
        format!(
            "{} (face {}, document {})",
            v.status,
            r["status"]["autoFace"].as_str().unwrap_or("-"),
            r["status"]["autoDocument"].as_str().unwrap_or("-")
        )
    });
    let decision = ManualDecision {
        face: face
            .parse::<FaceStatus>()
            .map_err(|_| Failure::BadRequest("face".into()))?,
        document: document
            .parse::<DocumentStatus>()
            .map_err(|_| Failure::BadRequest("document".into()))?,
    };
    let overall = decide_manually(&state.store, &v.scan_ref, &decision)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "console decision failed");
            Failure::Internal
        })?;
    audit(
        &state,
        &op,
        AuditAction::Decision,
        Some(&v),
        Some(format!(
            "before: {} → after: {} (face {face}, document {document})",
            before.unwrap_or_default(),
            overall.as_str()
        )),
        Some(note),
    )
    .await?;
    Ok(Redirect::to(&format!("/console/v/{}?done=decision", v.scan_ref)).into_response())
}

pub(crate) async fn replay(
    State(state): State<ConsoleState>,
    op: Op,
    Path(scan_ref): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Page {
    let v = acting_on(&state, &op, &scan_ref, &f.csrf, OperatorRole::Reviewer).await?;
    let n = state
        .store
        .replay_webhooks(&v.scan_ref, Some(v.partner_id))
        .await?;
    audit(
        &state,
        &op,
        AuditAction::WebhookReplay,
        Some(&v),
        Some(format!("{n} webhook(s)")),
        None,
    )
    .await?;
    Ok(Redirect::to(&format!("/console/v/{}?done=replay", v.scan_ref)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct BlocklistForm {
    csrf: String,
    source: String,
    action: String,
    reason: String,
}

pub(crate) async fn blocklist(
    State(state): State<ConsoleState>,
    op: Op,
    Path(scan_ref): Path<String>,
    Form(f): Form<BlocklistForm>,
) -> Page {
    let v = acting_on(&state, &op, &scan_ref, &f.csrf, OperatorRole::Reviewer).await?;
    let source = one_of(&f.source, &BLOCKLIST_SOURCES, "blocklist source")?
        .ok_or_else(|| Failure::BadRequest("Choose what to block.".into()))?;
    let reason = f.reason.trim();
    let action = match f.action.as_str() {
        "add" => {
            add_to_blocklist(
                &state.store,
                &state.keyring,
                v.partner_id,
                &v.scan_ref,
                &source,
                (!reason.is_empty()).then(|| reason.chars().take(500).collect()),
            )
            .await
            .map_err(|e| Failure::BadRequest(e.to_string()))?;
            AuditAction::BlocklistAdd
        }
        "remove" => {
            remove_from_blocklist(&state.store, v.partner_id, &v.scan_ref, &source)
                .await
                .map_err(|e| Failure::BadRequest(e.to_string()))?;
            AuditAction::BlocklistRemove
        }
        _ => return Err(Failure::BadRequest("Add or remove?".into())),
    };
    audit(
        &state,
        &op,
        action,
        Some(&v),
        Some(source),
        (!reason.is_empty()).then_some(reason),
    )
    .await?;
    Ok(Redirect::to(&format!("/console/v/{}?done=blocklist", v.scan_ref)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct EraseForm {
    csrf: String,
    confirm: String,
}

pub(crate) async fn erase(
    State(state): State<ConsoleState>,
    op: Op,
    Path(scan_ref): Path<String>,
    Form(f): Form<EraseForm>,
) -> Page {
    let v = acting_on(&state, &op, &scan_ref, &f.csrf, OperatorRole::Admin).await?;
    if f.confirm.trim() != v.scan_ref {
        return Err(Failure::BadRequest(
            "To erase, type the verification's scanRef into the confirmation field.".into(),
        ));
    }
    kycd_pipeline::retention::erase_verification(
        &state.store,
        &state.blobs,
        &v.scan_ref,
        v.partner_id,
    )
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "console erase failed");
        Failure::Internal
    })?;
    audit(&state, &op, AuditAction::Erase, Some(&v), None, None).await?;
    Ok(Redirect::to(&format!("/console/v/{}", v.scan_ref)).into_response())
}

// ---- audit log ----

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct AuditQuery {
    before: Option<i64>,
}

pub(crate) async fn audit_log(
    state: &ConsoleState,
    op: &Op,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<kycd_store::AuditRow>, Failure> {
    Ok(state
        .store
        .audit_entries(None, op.scope(), before, limit)
        .await?)
}

pub(crate) async fn audit_page(
    State(state): State<ConsoleState>,
    op: Op,
    q: Result<Query<AuditQuery>, QueryRejection>,
) -> Page {
    require(&op, OperatorRole::Admin)?;
    let before = q.ok().and_then(|q| q.0.before);
    let rows = audit_log(&state, &op, before, 100).await?;
    let next_link = (rows.len() == 100)
        .then(|| {
            rows.last()
                .map(|r| format!("/console/audit?before={}", r.id))
        })
        .flatten();
    Ok(html(AuditPage {
        nav: nav(&state, &op, "audit").await?,
        rows: rows.iter().map(AuditLine::of).collect(),
        next_link,
    }))
}

fn csv_field(s: &str) -> String {
    // Quote every field; neutralise spreadsheet formulas.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub(crate) async fn audit_csv(State(state): State<ConsoleState>, op: Op) -> Page {
    require(&op, OperatorRole::Admin)?;
    audit(&state, &op, AuditAction::AuditExport, None, None, None).await?;
    let mut out = String::from("id,at,operator,action,partner_id,scan_ref,detail,note,source_ip\n");
    let mut before = None;
    loop {
        let rows = audit_log(&state, &op, before, 1000).await?;
        for r in &rows {
            let line = [
                r.id.to_string(),
                when(r.created_at),
                r.operator_email.clone(),
                r.action.clone(),
                r.partner_id.map(|p| p.to_string()).unwrap_or_default(),
                r.scan_ref.clone().unwrap_or_default(),
                r.detail.clone().unwrap_or_default(),
                r.note.clone().unwrap_or_default(),
                r.source_ip.clone().unwrap_or_default(),
            ]
            .iter()
            .map(|f| csv_field(f))
            .collect::<Vec<_>>()
            .join(",");
            out.push_str(&line);
            out.push('\n');
        }
        match rows.last() {
            Some(r) if rows.len() == 1000 => before = Some(r.id),
            _ => break,
        }
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"kycd-audit.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}

// ---- static files and fallbacks ----

pub(crate) async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/console.css"),
    )
        .into_response()
}

pub(crate) async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/console.js"),
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
