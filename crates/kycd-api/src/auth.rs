//! HTTP Basic authentication of partners (`Authorization: Basic base64(apiKey:apiSecret)`).

use crate::{ApiFailure, AppState};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use kycd_store::{Keyring, PartnerRow};
use kycd_types::ErrorIdentifier;

/// The authenticated partner.
#[derive(Debug, Clone)]
pub struct AuthPartner(pub PartnerRow);

fn unauthorized(msg: &str) -> ApiFailure {
    ApiFailure::new(ErrorIdentifier::Unauthorized, msg)
}

/// Whether `secret` is the partner's API secret at `now` (ms): the current one, or during the overlap of a rotation
/// (`kycd partner rotate-secret`) the previous one too. Both are checked in constant time, the previous one only
/// while it is still valid.
fn secret_matches(keyring: &Keyring, p: &PartnerRow, secret: &str, now: i64) -> bool {
    let current = keyring.verify_secret(secret, &p.secret_hash);
    let previous = p
        .previous_secret_hash(now)
        .is_some_and(|h| keyring.verify_secret(secret, h));
    current | previous
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
        let ok = match &partner {
            Some(p) => secret_matches(&state.keyring, p, secret, kycd_store::now_ms()),
            None => state.keyring.verify_secret(secret, &[0u8; 32]),
        };
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

#[cfg(test)]
mod tests {
    use super::*;
    use kycd_store::TokenDefaults;
    use kycd_types::PartnerId;

    #[test]
    fn previous_secret_counts_only_during_its_overlap() {
        let k = Keyring::from_master(&[3u8; 32]).unwrap();
        let mut p = PartnerRow {
            id: PartnerId(1),
            name: "p".into(),
            api_key: "key".into(),
            secret_hash: k.hash_secret("new").to_vec(),
            signing_key_enc: Vec::new(),
            direct_processing: false,
            manual_review: false,
            webhook_url: None,
            disabled: false,
            created_at: 0,
            aml: true,
            sandbox: false,
            aml_monitoring: false,
            token_defaults: TokenDefaults::default(),
            prev_secret_hash: Some(k.hash_secret("old").to_vec()),
            prev_secret_until: Some(1_000),
            prev_signing_key_enc: None,
            prev_signing_key_until: None,
            signing_key_confirmed_at: None,
        };
        assert!(secret_matches(&k, &p, "new", 0));
        assert!(secret_matches(&k, &p, "old", 999));
        assert!(!secret_matches(&k, &p, "old", 1_000));
        assert!(secret_matches(&k, &p, "new", 1_000));
        assert!(!secret_matches(&k, &p, "other", 0));
        p.prev_secret_until = None;
        assert!(!secret_matches(&k, &p, "old", 0));
    }
}
