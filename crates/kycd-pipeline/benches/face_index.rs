//! 1:N duplicate search over synthetic embeddings (100 k and 1 M), exact brute force.
//! `cargo bench -p kycd-pipeline --bench face_index`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use kycd_pipeline::fraud::face_index::FaceIndex;

/// kycd-face's duplicate threshold (`DUPLICATE_THRESHOLD`, the match threshold of 128-d dlib embeddings).
const DUPLICATE_THRESHOLD: f32 = 0.56;
const EMBEDDING_DIM: usize = 128;

/// Deterministic pseudo-random embeddings with roughly the scale of dlib's (norm ≈ 1).
fn synth(seed: u64) -> Vec<f32> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut v = vec![0f32; EMBEDDING_DIM];
    for o in v.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *o = ((x >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.3;
    }
    v
}

fn bench_search(c: &mut Criterion) {
    let mut group = c.benchmark_group("duplicate_search");
    group.sample_size(20);
    for &n in &[100_000usize, 1_000_000] {
        let mut idx = FaceIndex::new();
        for i in 0..n as u64 {
            idx.insert(
                &format!("scan{i}"),
                &format!("client{}", i % 50_000),
                &synth(i),
            );
        }
        // query: a stored face slightly perturbed (one true duplicate, other clientId)
        let mut q = synth(n as u64 / 2);
        q[0] += 0.01;
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                let hits = idx.search(&q, DUPLICATE_THRESHOLD, Some("other-client"), 10);
                assert_eq!(hits.len(), 1);
                hits
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_search);
criterion_main!(benches);
