//! The session guard every console route but the login form goes through, and the security headers of every
//! console response.

use crate::ConsoleState;
use crate::auth::session_hash;
use axum::extract::{ConnectInfo, FromRequestParts, OriginalUri, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use kycd_store::{OperatorRole, OperatorRow, SessionRow};
use kycd_types::PartnerId;
use std::net::{IpAddr, SocketAddr};

/// Name of the session cookie.
pub(crate) const SESSION_COOKIE: &str = "kycd_session";
/// Name of the login form's double-submit CSRF cookie.
pub(crate) const LOGIN_COOKIE: &str = "kycd_login";

/// An authenticated request: the operator, the session's CSRF token and the source address.
pub(crate) struct Op {
    pub session: SessionRow,
    pub session_hash: String,
    pub ip: Option<IpAddr>,
}

impl Op {
    pub(crate) fn operator(&self) -> &OperatorRow {
        &self.session.operator
    }

    /// The partner the operator is bound to (`None`: all partners).
    pub(crate) fn scope(&self) -> Option<PartnerId> {
        self.session.operator.partner_id
    }

    /// Whether the operator may see verifications of `partner`.
    pub(crate) fn sees(&self, partner: PartnerId) -> bool {
        self.scope().is_none_or(|p| p == partner)
    }

    pub(crate) fn can(&self, role: OperatorRole) -> bool {
        self.session.operator.role >= role
    }
}

/// Why a request has no session.
pub(crate) enum NoSession {
    /// A page: to the login form, coming back afterwards.
    Page(String),
    /// A console API call.
    Api,
    /// The store failed.
    Failed,
}

impl IntoResponse for NoSession {
    fn into_response(self) -> Response {
        match self {
            NoSession::Page(next) => {
                let next = if next.starts_with("/console") && !next.starts_with("/console/login") {
                    format!("?next={}", urlencode(&next))
                } else {
                    String::new()
                };
                Redirect::to(&format!("/console/login{next}")).into_response()
            }
            NoSession::Api => (
                StatusCode::UNAUTHORIZED,
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"message":"Log in to the console first.","identifier":"UNAUTHORIZED"}"#,
            )
                .into_response(),
            NoSession::Failed => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    }
}

pub(crate) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The value of cookie `name`.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub(crate) fn client_ip(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

impl FromRequestParts<ConsoleState> for Op {
    type Rejection = NoSession;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ConsoleState,
    ) -> Result<Self, Self::Rejection> {
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.clone(), |u| u.0.clone());
        let is_api = path.path().starts_with("/console/api/");
        let reject = || {
            if is_api {
                NoSession::Api
            } else {
                NoSession::Page(
                    path.path_and_query()
                        .map_or("/console", |p| p.as_str())
                        .to_string(),
                )
            }
        };
        let Some(id) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(reject());
        };
        let hash = session_hash(id);
        let cfg = &state.config;
        match state
            .store
            .session(
                &hash,
                cfg.idle_timeout.as_millis() as i64,
                cfg.absolute_timeout.as_millis() as i64,
            )
            .await
        {
            Ok(Some(session)) => Ok(Op {
                session,
                session_hash: hash,
                ip: client_ip(parts),
            }),
            Ok(None) => Err(reject()),
            Err(e) => {
                tracing::error!(error = %e, "console session lookup failed");
                Err(NoSession::Failed)
            }
        }
    }
}

/// The `Set-Cookie` value of a session cookie (`max_age` 0 clears it).
pub(crate) fn session_cookie(name: &str, value: &str, max_age: u64, insecure: bool) -> String {
    format!(
        "{name}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if insecure { "" } else { "; Secure" }
    )
}

/// Security headers on every console response: a strict Content-Security-Policy (no inline script or style, no
/// framing), no sniffing, no referrer, no caching of personal data.
pub(crate) async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cookies() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; kycd_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn cookie_flags() {
        let c = session_cookie(SESSION_COOKIE, "x", 60, false);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Secure"));
        assert!(!session_cookie(SESSION_COOKIE, "x", 60, true).contains("Secure"));
    }

    #[test]
    fn encodes_next_paths() {
        assert_eq!(urlencode("/console/v/a b?x=1"), "/console/v/a%20b%3Fx%3D1");
    }
}
