//! The duplicate-face cache: every partner's stored face embeddings (selfies and document portraits) decrypted into
//! one [`FaceIndex`] per partner and kind, loaded incrementally by row id before each search, so any number of
//! worker processes see each other's faces through the database. Hits are re-checked against the database so
//! erased verifications never count.

use crate::fraud::face_index::FaceIndex;
use kycd_store::{Keyring, Store};
use kycd_types::PartnerId;
use std::collections::HashMap;
use tokio::sync::Mutex;

/// Selfie embeddings (`DUPLICATE_FACE`).
pub const KIND_SELFIE: &str = "SELFIE";
/// Document-portrait embeddings (`DUPLICATE_DOC_FACE`).
pub const KIND_DOC_FACE: &str = "DOC_FACE";

#[derive(Default)]
struct Shard {
    /// The highest stored row id loaded so far.
    last_id: i64,
    index: FaceIndex,
}

/// In-memory face index per (partner, kind).
#[derive(Default)]
pub struct FaceCache {
    shards: Mutex<HashMap<(i64, String), Shard>>,
}

/// Encodes an embedding for storage (little-endian f32), then encrypts it.
pub fn seal(keyring: &Keyring, v: &[f32]) -> Option<Vec<u8>> {
    let mut b = Vec::with_capacity(v.len() * 4);
    for x in v {
        b.extend_from_slice(&x.to_le_bytes());
    }
    keyring.encrypt(&b).ok()
}

/// Decrypts and decodes a stored embedding.
pub fn open(keyring: &Keyring, enc: &[u8]) -> Option<Vec<f32>> {
    let b = keyring.decrypt(enc).ok()?;
    if b.len() % 4 != 0 || b.is_empty() {
        return None;
    }
    Some(
        b.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

/// Euclidean distance (None when the dimensions differ).
pub fn distance(a: &[f32], b: &[f32]) -> Option<f32> {
    (a.len() == b.len()).then(|| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y) * (x - y))
            .sum::<f32>()
            .sqrt()
    })
}

impl FaceCache {
    /// scanRefs of the partner's stored faces of `kind` within `threshold` of `query`, skipping `client_id` (the same
    /// client is never a duplicate) and `own_scan_ref`; at most `limit`, nearest first.
    #[allow(clippy::too_many_arguments)]
    pub async fn search(
        &self,
        store: &Store,
        keyring: &Keyring,
        partner: PartnerId,
        kind: &str,
        query: &[f32],
        threshold: f32,
        client_id: &str,
        own_scan_ref: &str,
        limit: usize,
    ) -> Result<Vec<String>, kycd_store::StoreError> {
        let mut shards = self.shards.lock().await;
        let shard = shards.entry((partner.0, kind.to_string())).or_default();
        loop {
            let rows = store
                .face_embeddings_after(partner, kind, shard.last_id, 5000)
                .await?;
            if rows.is_empty() {
                break;
            }
            for r in rows {
                shard.last_id = shard.last_id.max(r.id);
                if let Some(v) = open(keyring, &r.embedding_enc) {
                    shard.index.insert(&r.scan_ref, &r.client_id, &v);
                }
            }
        }
        // The brute-force scan is CPU work (tens of ms at a million faces): keep it off the async workers.
        let refs: Vec<String> = tokio::task::block_in_place(|| {
            shard
                .index
                .search(query, threshold, Some(client_id), limit.saturating_add(1))
                .into_iter()
                .map(|h| h.reference)
                .filter(|r| r != own_scan_ref)
                .take(limit)
                .collect()
        });
        drop(shards);
        // Erased verifications lose their embeddings in the database: drop stale hits (and from the cache).
        let present = store.faces_present(&refs, kind).await?;
        if present.len() != refs.len() {
            let mut shards = self.shards.lock().await;
            if let Some(shard) = shards.get_mut(&(partner.0, kind.to_string())) {
                for gone in refs.iter().filter(|r| !present.contains(r)) {
                    shard.index.remove_reference(gone);
                }
            }
        }
        Ok(present)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip() {
        let k = Keyring::from_master(&[7u8; 32]).unwrap();
        let v = vec![0.5f32, -1.25, 3.0];
        let enc = seal(&k, &v).unwrap();
        assert_eq!(open(&k, &enc), Some(v));
        let other = Keyring::from_master(&[8u8; 32]).unwrap();
        assert_eq!(open(&other, &enc), None);
    }

    #[test]
    fn distance_is_euclidean() {
        assert_eq!(distance(&[0.0, 3.0], &[4.0, 0.0]), Some(5.0));
        assert_eq!(distance(&[0.0], &[1.0, 2.0]), None);
    }
}
