//! kycd-webhook: delivers the durable webhook outbox.
//!
//! Each outbox row is posted with the exact stored body bytes and signed two ways with the partner's signing key
//! (the UTF-8 bytes of the key string handed to the partner):
//! - `Idenfy-Signature`: lowercase hex HMAC-SHA256 of the body (iDenfy-compatible), see [`sign`];
//! - Standard Webhooks `webhook-id` (stable across retries), `webhook-timestamp` and `webhook-signature`
//!   (`v1,` + base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`), see [`standard_signature`].
//!
//! Failed attempts are retried on a [`RetrySchedule`] with ±20 % jitter, `Retry-After` (clamped into `[d, 2d]`) and a
//! 60 s floor after overload answers; 2xx delivers, 410 disables, redirects are not followed. Targets are checked by
//! the SSRF guard in [`ssrf`]. Every attempt is recorded through [`kycd_store::Store::record_attempt`].

mod deliver;
pub mod schedule;
mod sign;
pub mod ssrf;

pub use deliver::{Deliverer, DelivererConfig, MAX_RESPONSE_BODY, WebhookError};
pub use schedule::{FailureKind, RetrySchedule, ScheduleError};
pub use sign::{sign, standard_signature, verify, verify_standard};
