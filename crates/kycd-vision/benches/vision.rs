//! Criterion bench (needs the models; run `scripts/setup.sh` first): `cargo bench -p kycd-vision`.
//!
//! * decode → MRZ fields (`read_mrz`) and decode → full reading (`read_document`) on a 1.9 MP passport
//!   photo and on a 2.0 MP re-encoding of a shared passport page;
//! * decode alone.
//!
//! For p50/p95 per image over the whole shared set use `bench/vision/latency.sh`.
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "../tests/support/tools.rs"]
mod tools;

fn shared(rel: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/documents/"
    ))
    .join(rel)
}

fn bench(c: &mut Criterion) {
    let models = std::env::var_os("KYCD_MODELS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../../models").into());
    let engine = match kycd_vision::OcrEngine::load(&kycd_vision::EngineConfig::new(models)) {
        Ok(e) => e,
        Err(e) => panic!("{e}"),
    };
    let inputs = [
        (
            "1.9MP_photo",
            std::fs::read(shared("passporteye/100_pass-lux.jpg")).expect("shared data"),
        ),
        (
            "2.0MP_page",
            tools::two_mp(&shared("passporteye/passport-td3.jpg")).expect("shared data"),
        ),
    ];
    let mut g = c.benchmark_group("vision");
    g.sample_size(10);
    for (name, bytes) in &inputs {
        g.bench_function(format!("decode_to_mrz_fields_{name}"), |b| {
            b.iter(|| {
                let img = kycd_vision::decode_image(bytes, &Default::default()).expect("decode");
                kycd_vision::read_mrz(&engine, &img, &Default::default()).expect("read")
            })
        });
        g.bench_function(format!("decode_to_full_reading_{name}"), |b| {
            b.iter(|| {
                let img = kycd_vision::decode_image(bytes, &Default::default()).expect("decode");
                kycd_vision::read_document(&engine, &img, &Default::default()).expect("read")
            })
        });
        g.bench_function(format!("decode_only_{name}"), |b| {
            b.iter(|| kycd_vision::decode_image(bytes, &Default::default()).expect("decode"))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
