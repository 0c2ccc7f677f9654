//! Server-side secrets derived from one master key: the pepper that keys API-secret hashes and the AES-256-GCM key
//! that encrypts webhook signing keys at rest.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Key errors.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The master key is not 32 bytes.
    #[error("master key must be 32 bytes, got {0}")]
    BadLength(usize),
    /// Ciphertext failed authentication.
    #[error("encrypted value failed authentication (wrong master key?)")]
    Decrypt,
    /// The OS random generator failed.
    #[error("random generator failed")]
    Random,
}

/// Keys derived from the master key.
#[derive(Clone)]
pub struct Keyring {
    pepper: [u8; 32],
    enc: [u8; 32],
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring(**redacted**)")
    }
}

fn derive(master: &[u8], label: &[u8]) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(master).expect("hmac accepts any key length");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

/// `n` random bytes from the OS.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], KeyError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|_| KeyError::Random)?;
    Ok(b)
}

impl Keyring {
    /// Derives the keyring from a 32-byte master key.
    pub fn from_master(master: &[u8]) -> Result<Self, KeyError> {
        if master.len() != 32 {
            return Err(KeyError::BadLength(master.len()));
        }
        Ok(Self {
            pepper: derive(master, b"kycd/api-secret-pepper/v1"),
            enc: derive(master, b"kycd/at-rest-encryption/v1"),
        })
    }

    /// The key-encryption key of the blob envelope (wraps each image's own data key).
    pub fn blob_kek(&self) -> [u8; 32] {
        derive(&self.enc, b"kycd/blob-envelope-kek/v1")
    }

    /// Keyed hash of an API secret (HMAC-SHA256 with the pepper).
    pub fn hash_secret(&self, secret: &str) -> [u8; 32] {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.pepper).expect("hmac key");
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Keyed hash (hex HMAC-SHA256 with a key derived for `domain`) of personal data used for duplicate and
    /// blocklist lookups, so the lookup tables never hold the values themselves.
    pub fn keyed_hash(&self, domain: &str, value: &str) -> String {
        let key = derive(&self.pepper, format!("kycd/lookup/{domain}/v1").as_bytes());
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&key).expect("hmac key");
        mac.update(value.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Constant-time check of `secret` against a stored hash.
    pub fn verify_secret(&self, secret: &str, stored: &[u8]) -> bool {
        let h = self.hash_secret(secret);
        stored.len() == h.len() && bool::from(h.ct_eq(stored))
    }

    /// Signature of a short-lived file URL: hex HMAC-SHA256 over `scan_ref/step/expires` with a derived key.
    pub fn file_url_signature(&self, scan_ref: &str, step: &str, expires: i64) -> String {
        let key = derive(&self.enc, b"kycd/file-url/v1");
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&key).expect("hmac key");
        mac.update(format!("{scan_ref}/{step}/{expires}").as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Constant-time check of a file URL signature.
    pub fn verify_file_url(&self, scan_ref: &str, step: &str, expires: i64, sig: &str) -> bool {
        let want = self.file_url_signature(scan_ref, step, expires);
        want.len() == sig.len() && bool::from(want.as_bytes().ct_eq(sig.as_bytes()))
    }

    /// Encrypts with AES-256-GCM; output is `nonce || ciphertext`.
    pub fn encrypt(&self, plain: &[u8]) -> Result<Vec<u8>, KeyError> {
        let cipher = Aes256Gcm::new_from_slice(&self.enc).map_err(|_| KeyError::Decrypt)?;
        let nonce: [u8; 12] = random_bytes()?;
        let mut out = nonce.to_vec();
        out.extend(
            cipher
                .encrypt(Nonce::from_slice(&nonce), plain)
                .map_err(|_| KeyError::Decrypt)?,
        );
        Ok(out)
    }

    /// Decrypts `nonce || ciphertext`.
    pub fn decrypt(&self, data: &[u8]) -> Result<Vec<u8>, KeyError> {
        if data.len() < 12 + 16 {
            return Err(KeyError::Decrypt);
        }
        let cipher = Aes256Gcm::new_from_slice(&self.enc).map_err(|_| KeyError::Decrypt)?;
        cipher
            .decrypt(Nonce::from_slice(&data[..12]), &data[12..])
            .map_err(|_| KeyError::Decrypt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_hash_verifies_and_rejects() {
        let k = Keyring::from_master(&[7u8; 32]).unwrap();
        let h = k.hash_secret("s3cret");
        assert!(k.verify_secret("s3cret", &h));
        assert!(!k.verify_secret("s3creT", &h));
        let other = Keyring::from_master(&[8u8; 32]).unwrap();
        assert!(!other.verify_secret("s3cret", &h));
    }

    #[test]
    fn encryption_round_trips_and_detects_tampering() {
        let k = Keyring::from_master(&[1u8; 32]).unwrap();
        let mut c = k.encrypt(b"signing key").unwrap();
        assert_eq!(k.decrypt(&c).unwrap(), b"signing key");
        let last = c.len() - 1;
        c[last] ^= 1;
        assert!(k.decrypt(&c).is_err());
        assert!(Keyring::from_master(&[0u8; 31]).is_err());
    }
}
