//! At-rest encryption of the personal data kept in database columns: token settings (prefill data), photo
//! validation, results and webhook bodies. Sealed values are AES-256-GCM under a key derived from the master key;
//! text columns hold `kycd:sealed:v1:` + base64, byte columns `KYCDSEAL1` + nonce + ciphertext. Values written
//! without encryption (older data, or a store opened without a keyring) are read as they are.

use crate::StoreError;
use crate::keys::Keyring;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::sync::Arc;

const TEXT_PREFIX: &str = "kycd:sealed:v1:";
const BYTES_MAGIC: &[u8] = b"KYCDSEAL1";

/// Seals and opens column values; a no-op without a keyring.
#[derive(Clone, Default)]
pub(crate) struct Sealer(Option<Arc<Keyring>>);

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealer(enabled: {})", self.0.is_some())
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!(
        "{what}: sealed value failed authentication (wrong master key?)"
    ))
}

impl Sealer {
    pub(crate) fn new(k: Keyring) -> Self {
        Self(Some(Arc::new(k)))
    }

    pub(crate) fn enabled(&self) -> bool {
        self.0.is_some()
    }

    pub(crate) fn keyring(&self) -> Option<&Keyring> {
        self.0.as_deref()
    }

    /// A sealed text value re-sealed with the current key when the previous key sealed it (`None`: already current,
    /// or not sealed at all). Fails when no key opens it.
    pub(crate) fn reseal_text(
        &self,
        stored: &str,
        what: &str,
    ) -> Result<Option<String>, StoreError> {
        let (Some(k), Some(b64)) = (&self.0, stored.strip_prefix(TEXT_PREFIX)) else {
            return Ok(None);
        };
        let c = STANDARD.decode(b64).map_err(|_| corrupt(what))?;
        match k.decrypt_which(&c).map_err(|_| corrupt(what))? {
            (_, true) => Ok(None),
            (p, false) => {
                let c = k
                    .encrypt(&p)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok(Some(format!("{TEXT_PREFIX}{}", STANDARD.encode(c))))
            }
        }
    }

    /// Like [`Sealer::reseal_text`] for byte columns: `magic` is the prefix of the format (`KYCDSEAL1` for sealed
    /// columns, empty for values the keyring encrypted directly, such as signing keys and embeddings).
    pub(crate) fn reseal_bytes(
        &self,
        stored: &[u8],
        raw: bool,
        what: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(k) = &self.0 else { return Ok(None) };
        let magic = if raw { &[][..] } else { BYTES_MAGIC };
        let Some(c) = stored.strip_prefix(magic) else {
            return Ok(None);
        };
        if c.is_empty() {
            return Ok(None);
        }
        match k.decrypt_which(c).map_err(|_| corrupt(what))? {
            (_, true) => Ok(None),
            (p, false) => {
                let mut out = magic.to_vec();
                out.extend(
                    k.encrypt(&p)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                );
                Ok(Some(out))
            }
        }
    }

    pub(crate) fn seal_text(&self, plain: String) -> Result<String, StoreError> {
        let Some(k) = &self.0 else { return Ok(plain) };
        let c = k
            .encrypt(plain.as_bytes())
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(format!("{TEXT_PREFIX}{}", STANDARD.encode(c)))
    }

    pub(crate) fn open_text(&self, stored: String, what: &str) -> Result<String, StoreError> {
        let Some(b64) = stored.strip_prefix(TEXT_PREFIX) else {
            return Ok(stored);
        };
        let k = self.0.as_ref().ok_or_else(|| corrupt(what))?;
        let c = STANDARD.decode(b64).map_err(|_| corrupt(what))?;
        let p = k.decrypt(&c).map_err(|_| corrupt(what))?;
        String::from_utf8(p).map_err(|_| corrupt(what))
    }

    pub(crate) fn open_text_opt(
        &self,
        stored: Option<String>,
        what: &str,
    ) -> Result<Option<String>, StoreError> {
        stored.map(|s| self.open_text(s, what)).transpose()
    }

    pub(crate) fn seal_bytes(&self, plain: &[u8]) -> Result<Vec<u8>, StoreError> {
        let Some(k) = &self.0 else {
            return Ok(plain.to_vec());
        };
        if plain.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = BYTES_MAGIC.to_vec();
        out.extend(
            k.encrypt(plain)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        );
        Ok(out)
    }

    pub(crate) fn open_bytes(&self, stored: Vec<u8>, what: &str) -> Result<Vec<u8>, StoreError> {
        let Some(c) = stored.strip_prefix(BYTES_MAGIC) else {
            return Ok(stored);
        };
        let k = self.0.as_ref().ok_or_else(|| corrupt(what))?;
        k.decrypt(c).map_err(|_| corrupt(what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_bytes_round_trip_and_plain_values_pass_through() {
        let s = Sealer::new(Keyring::from_master(&[2u8; 32]).unwrap());
        let t = s.seal_text("{\"firstName\":\"JONAS\"}".into()).unwrap();
        assert!(t.starts_with(TEXT_PREFIX) && !t.contains("JONAS"));
        assert_eq!(
            s.open_text(t.clone(), "x").unwrap(),
            "{\"firstName\":\"JONAS\"}"
        );
        assert_eq!(s.open_text("{}".into(), "x").unwrap(), "{}");
        let b = s.seal_bytes(b"body").unwrap();
        assert!(b.starts_with(BYTES_MAGIC));
        assert_eq!(s.open_bytes(b.clone(), "x").unwrap(), b"body");
        assert_eq!(s.open_bytes(b"plain".to_vec(), "x").unwrap(), b"plain");
        assert!(s.seal_bytes(b"").unwrap().is_empty());
        // Wrong key or no key: a clear error, not garbage.
        let other = Sealer::new(Keyring::from_master(&[3u8; 32]).unwrap());
        assert!(other.open_text(t.clone(), "x").is_err());
        assert!(Sealer::default().open_bytes(b, "x").is_err());
        let plain = Sealer::default();
        assert_eq!(plain.seal_text("a".into()).unwrap(), "a");
    }
}
