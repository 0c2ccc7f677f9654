//! Server-side secrets derived from the master key: the pepper that keys API-secret hashes and lookup hashes, and
//! the AES-256-GCM key that encrypts personal data, signing keys and embeddings at rest (and wraps blob data keys).
//!
//! A master-key rotation (`kycd keys rotate`) changes the encryption key only. The pepper cannot change — API secrets
//! and lookup values are hashed with it and their plaintexts are gone — so the first rotation stores the original
//! pepper in the database, encrypted like any other value, and it is re-wrapped with the rest. During a rotation the
//! keyring holds the previous key as well: values and blobs still sealed with it open, new ones are sealed with the
//! current key. Clones share their keys, so a running server picks up a rotated key everywhere at once.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use arc_swap::ArcSwap;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;
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

/// Keys derived from the master key (and, during a rotation, the previous one). Cheap to clone; clones share keys.
#[derive(Clone)]
pub struct Keyring {
    m: Arc<ArcSwap<Material>>,
}

#[derive(Clone)]
struct Material {
    pepper: [u8; 32],
    enc: [u8; 32],
    previous_enc: Option<[u8; 32]>,
}

fn enc_of(master: &[u8]) -> Result<[u8; 32], KeyError> {
    if master.len() != 32 {
        return Err(KeyError::BadLength(master.len()));
    }
    Ok(derive(master, b"kycd/at-rest-encryption/v1"))
}

fn check_of(enc: &[u8; 32]) -> String {
    derive(enc, b"kycd/key-check/v1")[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn open_with(key: &[u8; 32], data: &[u8]) -> Result<Vec<u8>, KeyError> {
    if data.len() < 12 + 16 {
        return Err(KeyError::Decrypt);
    }
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| KeyError::Decrypt)?;
    cipher
        .decrypt(Nonce::from_slice(&data[..12]), &data[12..])
        .map_err(|_| KeyError::Decrypt)
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
        Self::from_masters(master, None)
    }

    /// The keyring of a rotation: seals with `current`, also opens what `previous` sealed. The pepper is derived
    /// from `previous` when given (the key whose pepper every hash so far was made with, before the first rotation
    /// has stored it), else from `current`, until [`crate::Store::load_pepper`] replaces it with the stored one.
    pub fn from_masters(current: &[u8], previous: Option<&[u8]>) -> Result<Self, KeyError> {
        let m = Material {
            pepper: derive(previous.unwrap_or(current), b"kycd/api-secret-pepper/v1"),
            enc: enc_of(current)?,
            previous_enc: previous.map(enc_of).transpose()?,
        };
        Ok(Self {
            m: Arc::new(ArcSwap::from_pointee(m)),
        })
    }

    /// Replaces the master keys of this keyring and of all its clones, keeping the pepper (a running server
    /// picking up a rotated key).
    pub fn install(&self, current: &[u8], previous: Option<&[u8]>) -> Result<(), KeyError> {
        let m = Material {
            pepper: self.m.load().pepper,
            enc: enc_of(current)?,
            previous_enc: previous.map(enc_of).transpose()?,
        };
        self.m.store(Arc::new(m));
        Ok(())
    }

    pub(crate) fn pepper(&self) -> [u8; 32] {
        self.m.load().pepper
    }

    pub(crate) fn set_pepper(&self, pepper: [u8; 32]) {
        let mut m = Material::clone(&self.m.load());
        m.pepper = pepper;
        self.m.store(Arc::new(m));
    }

    /// Whether a previous master key is held (a rotation is under way).
    pub fn rotating(&self) -> bool {
        self.m.load().previous_enc.is_some()
    }

    /// A short public fingerprint of the current master key (names a key without revealing it).
    pub fn key_check(&self) -> String {
        check_of(&self.m.load().enc)
    }

    /// The fingerprint of the previous master key, during a rotation.
    pub fn previous_key_check(&self) -> Option<String> {
        self.m.load().previous_enc.as_ref().map(check_of)
    }

    /// The key-encryption key of the blob envelope (wraps each image's own data key).
    pub fn blob_kek(&self) -> [u8; 32] {
        derive(&self.m.load().enc, b"kycd/blob-envelope-kek/v1")
    }

    /// The blob KEK of the previous master key, during a rotation.
    pub fn previous_blob_kek(&self) -> Option<[u8; 32]> {
        self.m
            .load()
            .previous_enc
            .map(|e| derive(&e, b"kycd/blob-envelope-kek/v1"))
    }

    /// Keyed hash of an API secret (HMAC-SHA256 with the pepper).
    pub fn hash_secret(&self, secret: &str) -> [u8; 32] {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.pepper()).expect("hmac key");
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Keyed hash (hex HMAC-SHA256 with a key derived for `domain`) of personal data used for duplicate and
    /// blocklist lookups, so the lookup tables never hold the values themselves.
    pub fn keyed_hash(&self, domain: &str, value: &str) -> String {
        let key = derive(
            &self.pepper(),
            format!("kycd/lookup/{domain}/v1").as_bytes(),
        );
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
        url_signature(&self.m.load().enc, scan_ref, step, expires)
    }

    /// Constant-time check of a file URL signature (one signed with the previous key too, during a rotation).
    pub fn verify_file_url(&self, scan_ref: &str, step: &str, expires: i64, sig: &str) -> bool {
        let m = self.m.load();
        std::iter::once(&m.enc)
            .chain(m.previous_enc.iter())
            .any(|enc| {
                let want = url_signature(enc, scan_ref, step, expires);
                want.len() == sig.len() && bool::from(want.as_bytes().ct_eq(sig.as_bytes()))
            })
    }

    /// Encrypts with AES-256-GCM; output is `nonce || ciphertext`.
    pub fn encrypt(&self, plain: &[u8]) -> Result<Vec<u8>, KeyError> {
        let cipher =
            Aes256Gcm::new_from_slice(&self.m.load().enc).map_err(|_| KeyError::Decrypt)?;
        let nonce: [u8; 12] = random_bytes()?;
        let mut out = nonce.to_vec();
        out.extend(
            cipher
                .encrypt(Nonce::from_slice(&nonce), plain)
                .map_err(|_| KeyError::Decrypt)?,
        );
        Ok(out)
    }

    /// Decrypts `nonce || ciphertext` (sealed with the current key or, during a rotation, the previous one).
    pub fn decrypt(&self, data: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.decrypt_which(data).map(|(p, _)| p)
    }

    /// Decrypts, telling whether the current key (`true`) or the previous one sealed the value.
    pub fn decrypt_which(&self, data: &[u8]) -> Result<(Vec<u8>, bool), KeyError> {
        let m = self.m.load();
        if let Ok(p) = open_with(&m.enc, data) {
            return Ok((p, true));
        }
        match &m.previous_enc {
            Some(prev) => open_with(prev, data).map(|p| (p, false)),
            None => Err(KeyError::Decrypt),
        }
    }
}

fn url_signature(enc: &[u8; 32], scan_ref: &str, step: &str, expires: i64) -> String {
    let key = derive(enc, b"kycd/file-url/v1");
    let mut mac = <HmacSha256 as Mac>::new_from_slice(&key).expect("hmac key");
    mac.update(format!("{scan_ref}/{step}/{expires}").as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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

    #[test]
    fn a_rotating_keyring_opens_both_keys_and_seals_with_the_new_one() {
        let old = Keyring::from_master(&[1u8; 32]).unwrap();
        let sealed_old = old.encrypt(b"embedding").unwrap();
        let url = old.file_url_signature("S", "FRONT", 10);
        let rot = Keyring::from_masters(&[2u8; 32], Some(&[1u8; 32])).unwrap();
        assert!(rot.rotating());
        assert_eq!(rot.previous_key_check(), Some(old.key_check()));
        assert_eq!(
            rot.decrypt_which(&sealed_old).unwrap(),
            (b"embedding".to_vec(), false)
        );
        let sealed_new = rot.encrypt(b"embedding").unwrap();
        assert_eq!(
            rot.decrypt_which(&sealed_new).unwrap(),
            (b"embedding".to_vec(), true)
        );
        assert!(old.decrypt(&sealed_new).is_err());
        assert!(rot.verify_file_url("S", "FRONT", 10, &url));
        assert_eq!(rot.previous_blob_kek(), Some(old.blob_kek()));
        // Before any pepper is stored (a fleet's first rotation), the hashes made with the old key still verify.
        assert_eq!(rot.hash_secret("s"), old.hash_secret("s"));
        // The pepper survives installing new keys, in every clone.
        rot.set_pepper(old.pepper());
        let clone = rot.clone();
        clone.install(&[3u8; 32], None).unwrap();
        assert!(!rot.rotating());
        assert_eq!(rot.hash_secret("s"), old.hash_secret("s"));
        assert!(rot.decrypt(&sealed_new).is_err());
        assert!(Keyring::from_masters(&[2u8; 32], Some(&[1u8; 31])).is_err());
    }
}
