//! 128-d face embeddings and their stable byte encoding (for the store).

use crate::FaceError;

/// Number of dimensions of a dlib ResNet face embedding.
pub const EMBEDDING_DIM: usize = 128;

/// Magic + version prefix of the byte encoding (`"KFE1"`).
const MAGIC: [u8; 4] = *b"KFE1";

/// A 128-d face embedding (dlib ResNet, Euclidean metric; the same face gives distances
/// well below [`crate::thresholds::MATCH_THRESHOLD`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Embedding(pub [f32; EMBEDDING_DIM]);

impl Embedding {
    /// Length in bytes of [`Embedding::to_bytes`]: 4-byte magic `KFE1` + 128 little-endian `f32`.
    pub const BYTE_LEN: usize = 4 + EMBEDDING_DIM * 4;

    /// Builds an embedding from a slice of exactly 128 finite values.
    pub fn from_slice(values: &[f32]) -> Result<Self, FaceError> {
        if values.len() != EMBEDDING_DIM {
            return Err(FaceError::BadEmbedding(format!(
                "expected {EMBEDDING_DIM} values, got {}",
                values.len()
            )));
        }
        if values.iter().any(|v| !v.is_finite()) {
            return Err(FaceError::BadEmbedding("non-finite value".into()));
        }
        let mut out = [0f32; EMBEDDING_DIM];
        out.copy_from_slice(values);
        Ok(Self(out))
    }

    /// The values.
    pub fn as_slice(&self) -> &[f32] {
        &self.0
    }

    /// Euclidean distance (the metric the dlib model was trained for).
    pub fn distance(&self, other: &Self) -> f32 {
        squared_distance(&self.0, &other.0).sqrt()
    }

    /// Stable encoding for persistence: `b"KFE1"` followed by 128 little-endian `f32`
    /// ([`Embedding::BYTE_LEN`] bytes). Encrypt it like any other personal data.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::BYTE_LEN);
        out.extend_from_slice(&MAGIC);
        for v in &self.0 {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Decodes [`Embedding::to_bytes`]; rejects wrong length, wrong magic and non-finite values.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FaceError> {
        if bytes.len() != Self::BYTE_LEN {
            return Err(FaceError::BadEmbedding(format!(
                "expected {} bytes, got {}",
                Self::BYTE_LEN,
                bytes.len()
            )));
        }
        if bytes[..4] != MAGIC {
            return Err(FaceError::BadEmbedding(
                "bad magic (not a KFE1 embedding)".into(),
            ));
        }
        let mut out = [0f32; EMBEDDING_DIM];
        for (o, chunk) in out.iter_mut().zip(bytes[4..].chunks_exact(4)) {
            let v = f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            if !v.is_finite() {
                return Err(FaceError::BadEmbedding("non-finite value".into()));
            }
            *o = v;
        }
        Ok(Self(out))
    }
}

/// Squared Euclidean distance; written so that the compiler vectorises it.
#[inline]
pub(crate) fn squared_distance(a: &[f32; EMBEDDING_DIM], b: &[f32; EMBEDDING_DIM]) -> f32 {
    let mut acc = [0f32; 8];
    for (ca, cb) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for i in 0..8 {
            let d = ca[i] - cb[i];
            acc[i] += d * d;
        }
    }
    acc.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn emb(seed: f32) -> Embedding {
        let mut v = [0f32; EMBEDDING_DIM];
        for (i, x) in v.iter_mut().enumerate() {
            *x = ((i as f32 + seed) * 0.37).sin() * 0.1;
        }
        Embedding(v)
    }

    #[test]
    fn bytes_roundtrip() {
        let e = emb(1.0);
        let b = e.to_bytes();
        assert_eq!(b.len(), Embedding::BYTE_LEN);
        assert_eq!(Embedding::from_bytes(&b).unwrap(), e);
    }

    #[test]
    fn rejects_bad_bytes() {
        let e = emb(2.0);
        let mut b = e.to_bytes();
        assert!(Embedding::from_bytes(&b[..b.len() - 1]).is_err());
        b[0] = b'X';
        assert!(Embedding::from_bytes(&b).is_err());
        let mut b = e.to_bytes();
        b[4..8].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(Embedding::from_bytes(&b).is_err());
    }

    #[test]
    fn distance_matches_naive() {
        let (a, b) = (emb(1.0), emb(5.0));
        let naive: f32 =
            a.0.iter()
                .zip(b.0.iter())
                .map(|(x, y)| (x - y) * (x - y))
                .sum::<f32>()
                .sqrt();
        assert!((a.distance(&b) - naive).abs() < 1e-5);
        assert_eq!(a.distance(&a), 0.0);
    }

    #[test]
    fn from_slice_checks_len() {
        assert!(Embedding::from_slice(&[0.0; 127]).is_err());
        assert!(Embedding::from_slice(&[0.0; 128]).is_ok());
    }

    proptest! {
        #[test]
        fn from_bytes_never_panics(data in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = Embedding::from_bytes(&data);
        }

        #[test]
        fn roundtrip_any(values in proptest::collection::vec(-10.0f32..10.0, EMBEDDING_DIM)) {
            let e = Embedding::from_slice(&values).unwrap();
            prop_assert_eq!(Embedding::from_bytes(&e.to_bytes()).unwrap(), e);
        }
    }
}
