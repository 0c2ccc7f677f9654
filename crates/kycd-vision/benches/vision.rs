//! Criterion bench: decode → MRZ fields on a 1.9 MP passport photo (needs the models; run
//! `scripts/setup.sh` first). `cargo bench -p kycd-vision`. For p50/p95 over the whole shared set use
//! `bench/vision/latency.sh`.
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let models = std::env::var_os("KYCD_MODELS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../../models").into());
    let engine = match kycd_vision::OcrEngine::load(&kycd_vision::EngineConfig::new(models)) {
        Ok(e) => e,
        Err(e) => panic!("{e}"),
    };
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/documents/passporteye/100_pass-lux.jpg"
    );
    let bytes = std::fs::read(path).expect("shared data");
    let mut g = c.benchmark_group("vision");
    g.sample_size(10);
    g.bench_function("decode_to_mrz_fields_1.9MP", |b| {
        b.iter(|| {
            let img = kycd_vision::decode_image(&bytes, &Default::default()).expect("decode");
            kycd_vision::read_mrz(&engine, &img, &Default::default()).expect("read")
        })
    });
    g.bench_function("decode_only_1.9MP", |b| {
        b.iter(|| kycd_vision::decode_image(&bytes, &Default::default()).expect("decode"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
