//! MRZ exact-read accuracy over the shared documents whose MRZ check digits are all valid (52 images).
//!
//! Needs the OCR models: run `scripts/setup.sh` first (CI does). Without them the test FAILS.
//! Run: `cargo test -p kycd-vision --test mrz_accuracy -- --nocapture` (prints the per-format table).

mod support;

use std::collections::BTreeMap;

use kycd_vision::{EngineConfig, MrzOptions, MrzStatus, OcrEngine, decode_file, read_mrz};
use support::manifest;

/// Exact reads achieved when this test was written (51/52); a regression below fails.
const FLOOR_EXACT: usize = 51;

fn engine() -> OcrEngine {
    let cfg = EngineConfig::new(manifest::models_dir());
    match OcrEngine::load(&cfg) {
        Ok(e) => e,
        Err(e) => panic!(
            "OCR models are required for this test ({e}); run scripts/setup.sh (models dir: {})",
            cfg.models_dir.display()
        ),
    }
}

#[test]
fn mrz_exact_read_rate_on_valid_documents() {
    let engine = engine();
    let docs: Vec<_> = manifest::load_manifest()
        .into_iter()
        .filter(manifest::Doc::all_valid)
        .collect();
    assert_eq!(
        docs.len(),
        52,
        "the shared set has 52 images with valid check digits"
    );
    let mut table: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    let started = std::time::Instant::now();
    for d in &docs {
        let img = decode_file(&d.path(), &Default::default())
            .unwrap_or_else(|e| panic!("{}: {e}", d.file));
        let r = read_mrz(&engine, &img, &MrzOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", d.file));
        let lines = r.lines();
        let exact = d.mrz.iter().any(|m| m.lines == lines);
        let e = table.entry(d.format_label()).or_default();
        e.1 += 1;
        if exact {
            e.0 += 1;
            assert_eq!(
                r.status,
                MrzStatus::Valid,
                "{}: exact but not valid",
                d.file
            );
        } else {
            failures.push(format!("{} ({:?}): {:?}", d.file, r.status, lines));
        }
    }
    let total: usize = table.values().map(|v| v.1).sum();
    let exact: usize = table.values().map(|v| v.0).sum();
    println!("MRZ exact-read rate (all lines identical to the ground truth):");
    println!(
        "{:<8} {:>6} {:>6} {:>8}",
        "format", "exact", "total", "rate"
    );
    for (f, (ok, n)) in &table {
        println!(
            "{f:<8} {ok:>6} {n:>6} {:>7.1}%",
            100.0 * *ok as f64 / *n as f64
        );
    }
    println!(
        "{:<8} {exact:>6} {total:>6} {:>7.1}%   ({:.1} s)",
        "all",
        100.0 * exact as f64 / total as f64,
        started.elapsed().as_secs_f64()
    );
    for f in &failures {
        println!("  miss: {f}");
    }
    assert!(
        exact >= FLOOR_EXACT,
        "MRZ exact reads regressed: {exact}/{total} < {FLOOR_EXACT}; misses: {failures:#?}"
    );
}
