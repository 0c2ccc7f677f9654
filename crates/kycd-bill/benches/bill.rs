//! Criterion latency of `kycd_bill::extract` per input kind (needs `scripts/setup.sh`):
//! `cargo bench -p kycd-bill --bench bill`.

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use support::*;

fn bench(c: &mut Criterion) {
    let engine = engine();
    let synth = us_bill();
    let page = render(&synth, 150.0);
    let inputs: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "edf_text_pdf",
            data("bills/mindee/energy_bill_fra__edf_sample.pdf"),
            "application/pdf",
        ),
        (
            "ppl_jpeg_ocr",
            data("bills/mindee/proof_of_address__ppl_electric_sample.jpg"),
            "image/jpeg",
        ),
        (
            "envelope_jpeg_ocr",
            data("bills/mindee/us_mail__envelope.jpg"),
            "image/jpeg",
        ),
        (
            "synthetic_scanned_pdf",
            scanned_pdf(&jpeg(&page, 85), page.width(), page.height()),
            "application/pdf",
        ),
    ];
    let mut g = c.benchmark_group("bill_extract");
    g.sample_size(10);
    for (name, bytes, mime) in &inputs {
        g.bench_function(*name, |b| {
            b.iter(|| kycd_bill::extract(bytes, mime, engine).expect("extract"));
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
