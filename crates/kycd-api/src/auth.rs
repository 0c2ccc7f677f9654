//! HTTP Basic authentication of partners (`Authorization: Basic base64(apiKey:apiSecret)`).

use crate::{ApiFailure, AppState};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use kycd_store::PartnerRow;
use kycd_types::ErrorIdentifier;

/// The authenticated partner.
#[derive(Debug, Clone)]
pub struct AuthPartner(pub PartnerRow);

fn unauthorized(msg: &str) -> ApiFailure {
    ApiFailure::new(ErrorIdentifier::Unauthorized, msg)
}

impl FromRequestParts<AppState> for AuthPartner {
    type Rejection = ApiFailure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| unauthorized("Invalid authorization credentials"))?;
        let value = header
            .to_str()
            .map_err(|_| unauthorized("Invalid authorization credentials"))?;
        let encoded = value
            .strip_prefix("Basic ")
            .or_else(|| value.strip_prefix("basic "))
            .ok_or_else(|| unauthorized("Invalid authorization credentials"))?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| unauthorized("Invalid authorization credentials"))?;
        let decoded = String::from_utf8(decoded)
            .map_err(|_| unauthorized("Invalid authorization credentials"))?;
        let (key, secret) = decoded
            .split_once(':')
            .ok_or_else(|| unauthorized("Invalid authorization credentials"))?;
        let partner = state.store.partner_by_api_key(key).await?;
        // Hash even when the key is unknown so both paths cost the same.
        let stored = partner
            .as_ref()
            .map(|p| p.secret_hash.clone())
            .unwrap_or_else(|| vec![0u8; 32]);
        let ok = state.keyring.verify_secret(secret, &stored);
        match partner {
            Some(p) if ok && !p.disabled => {
                state
                    .limiter
                    .check(p.id.0)
                    .map_err(crate::error::rate_limited)?;
                Ok(AuthPartner(p))
            }
            // iDenfy answers a disabled account with 403 `Partner inactive` (idenfy-api.md §4.3); kycd's envelope
            // needs an identifier, and the 403 one is `PARTNER_CONTRACT_ERROR`.
            Some(p) if ok && p.disabled => Err(ApiFailure::new(
                ErrorIdentifier::PartnerContractError,
                "Partner inactive",
            )),
            _ => Err(unauthorized("Invalid authorization credentials")),
        }
    }
}
