//! Operator authentication: argon2id password hashes, random session ids (stored only as their SHA-256), CSRF
//! tokens, and a per-address login throttle on top of the per-operator lockout kept in the store.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Why a password cannot be set or checked.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Shorter than 12 characters.
    #[error("the password must have at least 12 characters")]
    TooShort,
    /// Hashing failed (no randomness, bad parameters).
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Random bytes from the OS.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // The OS RNG does not fail on the supported platforms; a zeroed buffer would only weaken one id, and the
    // failure is logged.
    if let Err(e) = getrandom::fill(&mut b) {
        tracing::error!(error = %e, "OS random number generator failed");
    }
    b
}

/// An argon2id PHC string of `password`.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < 12 {
        return Err(PasswordError::TooShort);
    }
    let salt = SaltString::encode_b64(&random_bytes::<16>())
        .map_err(|e| PasswordError::Hash(e.to_string()))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string (constant time in the password).
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A random 20-character password (about 119 bits) from an alphabet without look-alike characters.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    random_bytes::<20>()
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// A new session id (the cookie value) and the hash the store keeps.
pub(crate) fn new_session_id() -> (String, String) {
    let id = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
    let hash = session_hash(&id);
    (id, hash)
}

/// The stored form of a session id.
pub(crate) fn session_hash(id: &str) -> String {
    hex(&Sha256::digest(id.as_bytes()))
}

/// A new CSRF token.
pub(crate) fn new_csrf_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<24>())
}

/// Constant-time equality of two tokens.
pub(crate) fn tokens_equal(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Login attempts per source address in a sliding minute.
pub(crate) struct LoginThrottle {
    per_minute: u32,
    seen: Mutex<HashMap<IpAddr, Vec<Instant>>>,
}

impl LoginThrottle {
    pub(crate) fn new(per_minute: u32) -> Self {
        Self {
            per_minute: per_minute.max(1),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Records an attempt from `ip`; false when the address is over its budget.
    pub(crate) fn allow(&self, ip: Option<IpAddr>) -> bool {
        let Some(ip) = ip else { return true };
        let now = Instant::now();
        let window = Duration::from_secs(60);
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > 10_000 {
            seen.retain(|_, v| v.last().is_some_and(|t| now.duration_since(*t) < window));
        }
        let v = seen.entry(ip).or_default();
        v.retain(|t| now.duration_since(*t) < window);
        if v.len() >= self.per_minute as usize {
            return false;
        }
        v.push(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterx", &h));
        assert!(!verify_password("x", "not a phc string"));
        assert!(matches!(
            hash_password("short"),
            Err(PasswordError::TooShort)
        ));
        assert_ne!(h, hash_password("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn generated_passwords_are_long_and_distinct() {
        let a = generate_password();
        assert_eq!(a.len(), 20);
        assert_ne!(a, generate_password());
        assert!(hash_password(&a).is_ok());
    }

    #[test]
    fn session_ids_are_stored_hashed() {
        let (id, hash) = new_session_id();
        assert_eq!(hash, session_hash(&id));
        assert_ne!(id, hash);
        assert_eq!(hash.len(), 64);
        assert!(tokens_equal(&id, &id));
        assert!(!tokens_equal(&id, &new_session_id().0));
    }

    #[test]
    fn throttle_limits_per_address() {
        let t = LoginThrottle::new(3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!((0..3).all(|_| t.allow(Some(a))));
        assert!(!t.allow(Some(a)));
        assert!(t.allow(Some(b)));
        assert!(t.allow(None));
    }
}
