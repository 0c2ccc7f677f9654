//! Login (argon2id check, lockout, per-address throttle, a fresh session) and logout.

use super::*;

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
