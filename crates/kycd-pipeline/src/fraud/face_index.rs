//! The in-memory 1:N face index of the duplicate search (`DUPLICATE_FACE` / `DUPLICATE_DOC_FACE`): exact brute force
//! over the embeddings, stored contiguously; the scan is split across threads for large indexes. Measured with
//! `cargo bench -p kycd-pipeline --bench face_index` (100 k and 1 M faces). [`crate::faces::FaceCache`] keeps one
//! per partner and kind, loaded from the store.

use std::collections::HashMap;

fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// One hit of a search.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexHit {
    /// The reference given at insertion (e.g. the verification's `scanRef`).
    pub reference: String,
    /// The clientId of the verification that owns the stored face.
    pub client_id: String,
    /// Euclidean distance to the query.
    pub distance: f32,
}

/// Exact in-memory face index (all embeddings of one index have the dimension of the first one).
#[derive(Default)]
pub struct FaceIndex {
    dim: usize,
    vectors: Vec<f32>,
    references: Vec<String>,
    client_of: Vec<u32>,
    clients: Vec<String>,
    client_ids: HashMap<String, u32>,
    by_reference: HashMap<String, Vec<usize>>,
}

/// Below this many vectors a search runs on the calling thread only.
const PARALLEL_MIN: usize = 50_000;

impl FaceIndex {
    /// Empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of stored faces.
    pub fn len(&self) -> usize {
        self.references.len()
    }

    /// The embeddings' dimension (0 while empty).
    pub fn dim(&self) -> usize {
        self.dim
    }

    fn vector(&self, i: usize) -> &[f32] {
        &self.vectors[i * self.dim..(i + 1) * self.dim]
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }

    /// Adds one face; false (nothing stored) when its dimension differs from the index's. A reference may own
    /// several faces (e.g. several selfies).
    pub fn insert(&mut self, reference: &str, client_id: &str, embedding: &[f32]) -> bool {
        if embedding.is_empty() || (self.dim != 0 && embedding.len() != self.dim) {
            return false;
        }
        self.dim = embedding.len();
        let cid = match self.client_ids.get(client_id) {
            Some(&c) => c,
            None => {
                let c = self.clients.len() as u32;
                self.clients.push(client_id.to_owned());
                self.client_ids.insert(client_id.to_owned(), c);
                c
            }
        };
        let slot = self.references.len();
        self.vectors.extend_from_slice(embedding);
        self.references.push(reference.to_owned());
        self.client_of.push(cid);
        self.by_reference
            .entry(reference.to_owned())
            .or_default()
            .push(slot);
        true
    }

    /// Removes every face stored under `reference` (e.g. on `/api/v2/delete`). Returns how many.
    pub fn remove_reference(&mut self, reference: &str) -> usize {
        let Some(mut slots) = self.by_reference.remove(reference) else {
            return 0;
        };
        // Remove from the highest slot down so swap_remove never moves a slot still to be removed.
        slots.sort_unstable_by(|a, b| b.cmp(a));
        let dim = self.dim;
        for &slot in &slots {
            let last = self.references.len() - 1;
            if slot != last {
                let (head, tail) = self.vectors.split_at_mut(last * dim);
                head[slot * dim..(slot + 1) * dim].copy_from_slice(&tail[..dim]);
            }
            self.vectors.truncate(last * dim);
            self.references.swap_remove(slot);
            self.client_of.swap_remove(slot);
            if slot != last {
                // the former last element now lives at `slot`
                let moved_ref = &self.references[slot];
                if let Some(v) = self.by_reference.get_mut(moved_ref) {
                    for s in v.iter_mut() {
                        if *s == last {
                            *s = slot;
                        }
                    }
                }
            }
        }
        slots.len()
    }

    /// All stored faces within `max_distance` of `query` whose clientId differs from
    /// `exclude_client_id` (the same clientId is a re-verification, never a duplicate),
    /// nearest first, at most `limit` hits (one per reference).
    pub fn search(
        &self,
        query: &[f32],
        max_distance: f32,
        exclude_client_id: Option<&str>,
        limit: usize,
    ) -> Vec<IndexHit> {
        if query.len() != self.dim {
            return Vec::new();
        }
        let excluded = exclude_client_id.and_then(|c| self.client_ids.get(c).copied());
        let max_sq = max_distance * max_distance;
        let n = self.len();
        let threads = if n >= PARALLEL_MIN {
            std::thread::available_parallelism()
                .map_or(1, |p| p.get())
                .min(8)
        } else {
            1
        };
        let scan = |range: std::ops::Range<usize>| -> Vec<(usize, f32)> {
            let mut out = Vec::new();
            for i in range {
                let d = squared_distance(query, self.vector(i));
                if d <= max_sq && Some(self.client_of[i]) != excluded {
                    out.push((i, d));
                }
            }
            out
        };
        let mut found: Vec<(usize, f32)> = if threads <= 1 {
            scan(0..n)
        } else {
            let chunk = n.div_ceil(threads);
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let r = (t * chunk).min(n)..((t + 1) * chunk).min(n);
                        s.spawn(move || scan(r))
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_default())
                    .collect()
            })
        };
        found.sort_by(|a, b| a.1.total_cmp(&b.1));
        let mut seen = std::collections::HashSet::new();
        let mut hits = Vec::new();
        for (i, d) in found {
            if hits.len() >= limit {
                break;
            }
            if !seen.insert(self.references[i].as_str()) {
                continue;
            }
            hits.push(IndexHit {
                reference: self.references[i].clone(),
                client_id: self.clients[self.client_of[i] as usize].clone(),
                distance: d.sqrt(),
            });
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emb(seed: u32) -> Vec<f32> {
        let mut v = vec![0f32; 128];
        let mut x = seed.wrapping_mul(2654435761).wrapping_add(1);
        for o in v.iter_mut() {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            *o = (x as f32 / u32::MAX as f32 - 0.5) * 0.2;
        }
        v
    }

    #[test]
    fn finds_near_duplicate_of_other_client_only() {
        let mut idx = FaceIndex::new();
        for i in 0..100 {
            idx.insert(&format!("scan{i}"), &format!("client{}", i % 10), &emb(i));
        }
        let q = emb(42);
        let hits = idx.search(&q, 0.01, None, 10);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].reference, "scan42");
        assert_eq!(hits[0].client_id, "client2");
        // the same clientId is never a duplicate
        assert!(idx.search(&q, 0.01, Some("client2"), 10).is_empty());
        assert_eq!(idx.search(&q, 0.01, Some("client3"), 10).len(), 1);
    }

    #[test]
    fn remove_reference_keeps_others_searchable() {
        let mut idx = FaceIndex::new();
        for i in 0..20 {
            idx.insert(&format!("scan{}", i % 7), "c", &emb(i));
        }
        let removed = idx.remove_reference("scan3");
        assert_eq!(removed, 3); // i = 3, 10, 17
        assert_eq!(idx.len(), 17);
        for i in 0..20u32 {
            let hits = idx.search(&emb(i), 1e-4, None, 5);
            if i % 7 == 3 {
                assert!(hits.is_empty(), "{i} should be gone");
            } else {
                assert_eq!(hits.len(), 1, "{i}");
                assert_eq!(hits[0].reference, format!("scan{}", i % 7));
            }
        }
        assert_eq!(idx.remove_reference("scan3"), 0);
    }

    #[test]
    fn parallel_scan_matches_serial() {
        let mut idx = FaceIndex::new();
        for i in 0..(PARALLEL_MIN as u32 + 123) {
            idx.insert(&format!("r{i}"), &format!("c{}", i % 1000), &emb(i));
        }
        let q = emb(777);
        let hits = idx.search(&q, 0.5, None, usize::MAX);
        let serial: usize = (0..idx.len())
            .filter(|&i| squared_distance(&q, idx.vector(i)) <= 0.25)
            .count();
        assert_eq!(hits.len(), serial);
        assert_eq!(hits[0].reference, "r777");
        assert!(hits.windows(2).all(|w| w[0].distance <= w[1].distance));
    }

    #[test]
    fn embeddings_of_another_dimension_are_refused() {
        let mut idx = FaceIndex::new();
        assert!(!idx.insert("r", "c", &[]));
        assert!(idx.insert("r", "c", &emb(1)));
        assert!(!idx.insert("r", "c", &[1.0, 2.0, 3.0]));
        assert_eq!(idx.len(), 1);
        assert!(idx.search(&[1.0, 2.0], 10.0, None, 5).is_empty());
    }
}
