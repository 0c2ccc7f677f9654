//! kycd-console: the review console, served by `kycd serve` under `/console` (API roles only).
//!
//! Another front end over the same services as the HTTP API: it reads the store, serves the images decrypted from
//! the blob store through authenticated routes, and records decisions with the same
//! [`kycd_pipeline::decision::review::decide_manually`] as `kycd review decide`. Pages are server-rendered with
//! askama (compiled, auto-escaping templates); the one stylesheet and script are embedded in the binary, so the
//! console works offline and needs no CDN.
//!
//! Modules: `auth` (passwords, sessions, CSRF, login throttling), `guard` (the session extractor and the security
//! headers), `pages` (the handlers), `views` (what the templates show), `charts` (server-rendered SVG).

mod auth;
mod charts;
mod guard;
mod pages;
mod views;

pub use auth::{PasswordError, generate_password, hash_password, verify_password};

use axum::Router;
use axum::routing::{get, post};
use kycd_blob::BlobStore;
use kycd_store::{Keyring, Store};
use std::sync::Arc;
use std::time::Duration;

/// Console settings.
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    /// Session cookies without `Secure` (plain-http loopback only: `KYCD_CONSOLE_INSECURE_COOKIES=true`).
    pub insecure_cookies: bool,
    /// A session ends after this long without a request.
    pub idle_timeout: Duration,
    /// A session ends this long after login, whatever its use.
    pub absolute_timeout: Duration,
    /// Consecutive failed logins that lock an operator.
    pub max_failed_logins: i64,
    /// How long a locked operator stays locked.
    pub lockout: Duration,
    /// Login attempts allowed per source address per minute.
    pub login_attempts_per_minute: u32,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            insecure_cookies: false,
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(12 * 3600),
            max_failed_logins: 10,
            lockout: Duration::from_secs(15 * 60),
            login_attempts_per_minute: 30,
        }
    }
}

/// What the console's handlers share.
#[derive(Clone)]
pub struct ConsoleState {
    /// Database.
    pub store: Store,
    /// Images (decrypted on the fly).
    pub blobs: BlobStore,
    /// Server keys (blocklist entries of personal data).
    pub keyring: Keyring,
    /// Settings.
    pub config: Arc<ConsoleConfig>,
    /// Per-address login throttle.
    pub(crate) throttle: Arc<auth::LoginThrottle>,
    /// Status counts per partner scope, with when they were read.
    pub(crate) counts: Arc<StatusCounts>,
    /// The review backlog per partner scope (the header's badge on every page), with when it was read.
    pub(crate) backlog: Arc<Backlog>,
}

type Backlog = std::sync::Mutex<std::collections::HashMap<Option<i64>, (std::time::Instant, i64)>>;

type StatusCounts = std::sync::Mutex<
    std::collections::HashMap<Option<i64>, (std::time::Instant, Vec<(String, i64)>)>,
>;

impl ConsoleState {
    /// The console's state over the same store, blobs and keys as the API.
    pub fn new(store: Store, blobs: BlobStore, keyring: Keyring, config: ConsoleConfig) -> Self {
        let throttle = Arc::new(auth::LoginThrottle::new(config.login_attempts_per_minute));
        Self {
            store,
            blobs,
            keyring,
            config: Arc::new(config),
            throttle,
            counts: Arc::default(),
            backlog: Arc::default(),
        }
    }
}

/// The console's routes under `/console`, to be merged into the API's router.
pub fn router(state: ConsoleState) -> Router {
    Router::new().nest("/console", pages(state)).route(
        "/console/",
        get(|| async { axum::response::Redirect::to("/console") }),
    )
}

fn pages(state: ConsoleState) -> Router {
    Router::new()
        .route("/", get(pages::dashboard))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/queue", get(pages::queue))
        .route("/review", get(pages::review_queue))
        .route("/review/next", get(pages::review_next))
        .route("/v/{scan_ref}", get(pages::verification))
        .route("/v/{scan_ref}/file/{step}", get(pages::file))
        .route("/v/{scan_ref}/portrait", get(pages::portrait))
        .route("/v/{scan_ref}/report.pdf", get(pages::report))
        .route("/v/{scan_ref}/decision", post(pages::decide))
        .route("/v/{scan_ref}/replay", post(pages::replay))
        .route("/v/{scan_ref}/blocklist", post(pages::blocklist))
        .route("/v/{scan_ref}/erase", post(pages::erase))
        .route("/audit", get(pages::audit_page))
        .route("/audit.csv", get(pages::audit_csv))
        .route("/api/queue", get(pages::api_queue))
        .route(
            "/api/verifications/{scan_ref}",
            get(pages::api_verification),
        )
        .route("/static/console.css", get(pages::stylesheet))
        .route("/static/console.js", get(pages::script))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn(guard::security_headers))
        .with_state(state)
}
