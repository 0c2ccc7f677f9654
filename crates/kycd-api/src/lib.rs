//! kycd-api: the iDenfy-compatible HTTP API.
//!
//! Handlers are thin: they authenticate, read the body within its limit, call one service function and map the
//! result. Every error leaves as the iDenfy envelope (`{"message","identifier","documentation","severity"}`).

mod additional;
mod auth;
mod blocklist;
mod body;
mod error;
mod ingest;
mod listing;
pub mod media;
mod monitoring;
pub mod openapi;
mod parity_routes;
mod poa;
mod process;
pub mod ratelimit;
mod report;
mod retrieval;
mod router;
mod sandbox;
mod token;

pub use error::ApiFailure;
pub use router::router;

/// The `/api/v2/process` body parser, exposed for the fuzz targets in `fuzz/` (not a stable API).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::ingest::{
        ImageValue, ParsedBody, parse_body, parse_body_reference, parse_pieces, read_and_parse,
    };
}

use kycd_blob::BlobStore;
use kycd_pipeline::Checks;
use kycd_pipeline::result::FileUrls;
use kycd_store::{Keyring, Store};
use std::sync::Arc;
use tokio::sync::Notify;

/// API settings.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Largest accepted `/api/v2/process` body (bytes).
    pub max_process_body: usize,
    /// Largest accepted body of the other endpoints (bytes).
    pub max_small_body: usize,
    /// Largest accepted image, in pixels (decompression-bomb guard).
    pub max_image_pixels: u64,
    /// Public base URL (for `redirectUrl` and file URLs).
    pub public_url: String,
    /// Whether plain-http and private/loopback callback URLs are allowed (tests, private deployments).
    pub allow_private_webhooks: bool,
    /// Processing attempts before a job is dead.
    pub job_max_attempts: i64,
    /// Per-partner requests per second (0 = unlimited).
    pub rate_limit_rps: f64,
    /// Per-partner burst.
    pub rate_limit_burst: f64,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            max_process_body: 20 * 1024 * 1024,
            max_small_body: 1024 * 1024,
            max_image_pixels: 40_000_000,
            public_url: "http://127.0.0.1:8080".into(),
            allow_private_webhooks: false,
            job_max_attempts: 5,
            rate_limit_rps: 0.0,
            rate_limit_burst: 1.0,
        }
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// Database.
    pub store: Store,
    /// Image storage.
    pub blobs: BlobStore,
    /// Server keys.
    pub keyring: Keyring,
    /// Installed checks (synchronous inspection).
    pub checks: Checks,
    /// Signed file URLs.
    pub files: FileUrls,
    /// Settings.
    pub config: Arc<ApiConfig>,
    /// Wakes in-process workers after a job is enqueued.
    pub wake_workers: Option<Arc<Notify>>,
    /// Per-partner rate limit.
    pub limiter: Arc<ratelimit::RateLimiter>,
}
