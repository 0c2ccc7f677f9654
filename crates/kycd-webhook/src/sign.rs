//! Webhook signatures: iDenfy's `Idenfy-Signature` (hex HMAC-SHA256 of the body) and the Standard Webhooks
//! `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`), both keyed with the partner's
//! signing key bytes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length (long keys are hashed, short ones padded), so this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
}

fn standard_mac(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut m = mac(key);
    m.update(id.as_bytes());
    m.update(b".");
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// `Idenfy-Signature`: lowercase hex HMAC-SHA256(key, body) over the exact body bytes (64 characters).
pub fn sign(key: &[u8], body: &[u8]) -> String {
    let mut m = mac(key);
    m.update(body);
    to_hex(&m.finalize().into_bytes())
}

/// Checks an `Idenfy-Signature` value in constant time (as receivers should). Upper-case hex is accepted.
pub fn verify(key: &[u8], body: &[u8], signature_hex: &str) -> bool {
    let Some(sig) = from_hex(signature_hex.trim()) else {
        return false;
    };
    let mut m = mac(key);
    m.update(body);
    m.verify_slice(&sig).is_ok()
}

/// Standard Webhooks `webhook-signature`: `v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")).
pub fn standard_signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "v1,{}",
        B64.encode(
            standard_mac(key, id, timestamp, body)
                .finalize()
                .into_bytes()
        )
    )
}

/// A Standard Webhooks `webhook-signature` header with one `v1,` signature per key, space-separated, in the order
/// given (during a signing-key rotation: the new key first, then the previous one). Receivers accept the message when
/// any entry verifies with a key they hold.
pub fn standard_signatures(keys: &[&[u8]], id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter()
        .map(|k| standard_signature(k, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks a Standard Webhooks `webhook-signature` header (space-separated list; any `v1,` entry may match).
pub fn verify_standard(key: &[u8], id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    header
        .split_whitespace()
        .filter_map(|s| s.strip_prefix("v1,"))
        .any(|b64| match B64.decode(b64) {
            Ok(sig) => standard_mac(key, id, timestamp, body)
                .verify_slice(&sig)
                .is_ok(),
            Err(_) => false,
        })
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let nib = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    s.as_bytes()
        .chunks_exact(2)
        .map(|p| Some(nib(p[0])? << 4 | nib(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_vector() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn bad_hex_is_rejected() {
        let s = sign(b"k", b"body");
        assert!(verify(b"k", b"body", &s));
        assert!(verify(b"k", b"body", &s.to_uppercase()));
        assert!(!verify(b"k", b"body", &s[..63]));
        assert!(!verify(b"k", b"body", "zz"));
        assert!(!verify(b"k", b"body", ""));
        assert!(!verify_standard(b"k", "id", 1, b"body", "v1,!!notbase64"));
        assert!(!verify_standard(b"k", "id", 1, b"body", "v2,abc"));
    }

    proptest! {
        #[test]
        fn signature_round_trip(
            key in proptest::collection::vec(any::<u8>(), 1..80),
            other in proptest::collection::vec(any::<u8>(), 1..80),
            body in proptest::collection::vec(any::<u8>(), 0..400),
            flip in any::<prop::sample::Index>(),
            bit in 0u8..8,
            id in "[a-z0-9_]{1,30}",
            ts in 0i64..4_000_000_000,
        ) {
            let sig = sign(&key, &body);
            prop_assert_eq!(sig.len(), 64);
            prop_assert!(sig.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
            prop_assert!(verify(&key, &body, &sig));
            let std_sig = standard_signature(&key, &id, ts, &body);
            prop_assert!(verify_standard(&key, &id, ts, &body, &std_sig));
            if other != key {
                prop_assert!(!verify(&other, &body, &sig));
                prop_assert!(!verify_standard(&other, &id, ts, &body, &std_sig));
            }
            prop_assert!(!verify_standard(&key, &id, ts + 1, &body, &std_sig));
            let both = standard_signatures(&[&key, &other], &id, ts, &body);
            prop_assert_eq!(both.split(' ').next(), Some(std_sig.as_str()));
            prop_assert_eq!(both.split(' ').count(), 2);
            prop_assert!(verify_standard(&key, &id, ts, &body, &both));
            prop_assert!(verify_standard(&other, &id, ts, &body, &both));
            if !body.is_empty() {
                let mut tampered = body.clone();
                let i = flip.index(tampered.len());
                tampered[i] ^= 1 << bit;
                prop_assert!(!verify(&key, &tampered, &sig));
                prop_assert!(!verify_standard(&key, &id, ts, &tampered, &std_sig));
            }
        }
    }
}
