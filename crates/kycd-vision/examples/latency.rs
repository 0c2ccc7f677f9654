//! Per-document latency over the 52 valid shared documents (release build recommended):
//! decode → MRZ fields, and decode → full reading (MRZ + quality + visual zone + type + portrait).
//! `cargo run --release -p kycd-vision --example latency` (see bench/vision/latency.sh).
#[path = "../tests/support/manifest.rs"]
mod manifest;

use std::time::Instant;

use kycd_vision::{MrzOptions, OcrEngine, ReadOptions, decode_image, read_document, read_mrz};

fn pct(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * q).round() as usize] * 1000.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let engine = OcrEngine::load(&kycd_vision::EngineConfig::new(manifest::models_dir()))?;
    let docs: Vec<_> = manifest::load_manifest()
        .into_iter()
        .filter(manifest::Doc::all_valid)
        .collect();
    let (mut mrz_t, mut full_t, mut big_mrz, mut big_full) = (vec![], vec![], vec![], vec![]);
    for d in &docs {
        let bytes = std::fs::read(d.path())?;
        let t = Instant::now();
        let img = decode_image(&bytes, &Default::default())?;
        let r = read_mrz(&engine, &img, &MrzOptions::default())?;
        let a = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let img = decode_image(&bytes, &Default::default())?;
        let full = read_document(&engine, &img, &ReadOptions::default())?;
        let b = t.elapsed().as_secs_f64();
        let mp = img.width() as f64 * img.height() as f64 / 1e6;
        println!(
            "{:<60} {:4.1} MP  mrz {:6.0} ms  full {:6.0} ms  {:?} {:?}",
            d.file,
            mp,
            a * 1000.0,
            b * 1000.0,
            r.status,
            full.doc_type
        );
        mrz_t.push(a);
        full_t.push(b);
        if mp >= 1.5 {
            big_mrz.push(a);
            big_full.push(b);
        }
    }
    println!(
        "decode→MRZ fields     n={} p50 {:.0} ms p95 {:.0} ms",
        mrz_t.len(),
        pct(&mut mrz_t, 0.5),
        pct(&mut mrz_t, 0.95)
    );
    println!(
        "decode→full reading   n={} p50 {:.0} ms p95 {:.0} ms",
        full_t.len(),
        pct(&mut full_t, 0.5),
        pct(&mut full_t, 0.95)
    );
    if !big_mrz.is_empty() {
        println!(
            "≥1.5 MP photos MRZ    n={} p50 {:.0} ms p95 {:.0} ms",
            big_mrz.len(),
            pct(&mut big_mrz, 0.5),
            pct(&mut big_mrz, 0.95)
        );
        println!(
            "≥1.5 MP photos full   n={} p50 {:.0} ms p95 {:.0} ms",
            big_full.len(),
            pct(&mut big_full, 0.5),
            pct(&mut big_full, 0.95)
        );
    }
    Ok(())
}
