//! Per-document latency (release build): decode → MRZ fields (`read_mrz`) and decode → full reading
//! (`read_document`: MRZ + quality + visual zone + type + portrait), p50/p95 over the 52 shared
//! documents with valid MRZs and over a 2 MP group (the shared photos of ≥ 1.5 MP plus shared pages
//! re-encoded at 2.0 MP). Wall time and process CPU time (all threads) are both reported: on a busy
//! machine CPU time is the stable figure.
//!
//! `cargo run --release -p kycd-vision --example latency [-- [--repeat N] [--verbose] [--all-2mp] [FILTER]]`
//! (`--all-2mp`: every document re-encoded as a 2.0 MP JPEG first, so the 2 MP group is all 52)
//! (see bench/vision/latency.sh). `KYCD_OCR_THREADS=1|2` sets ONNX Runtime intra-op threads.
#[path = "../tests/support/manifest.rs"]
mod manifest;
#[path = "../tests/support/tools.rs"]
mod tools;

use std::time::Instant;

use kycd_vision::{MrzOptions, OcrEngine, ReadOptions, decode_image, read_document, read_mrz};
use tools::{cpu_seconds, two_mp};

fn pct(v: &[f64], q: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * q).round() as usize] * 1000.0
}

#[derive(Default)]
struct Series {
    wall: Vec<f64>,
    cpu: Vec<f64>,
}

impl Series {
    fn push(&mut self, wall: f64, cpu: f64) {
        self.wall.push(wall);
        self.cpu.push(cpu);
    }
    fn print(&self, label: &str) {
        if self.wall.is_empty() {
            return;
        }
        println!(
            "{label:<24} n={:<3} wall p50 {:5.0} ms  p95 {:5.0} ms   cpu p50 {:5.0} ms  p95 {:5.0} ms",
            self.wall.len(),
            pct(&self.wall, 0.5),
            pct(&self.wall, 0.95),
            pct(&self.cpu, 0.5),
            pct(&self.cpu, 0.95),
        );
    }
}

/// Times `f` (best of `repeat` runs by wall time); returns (wall s, cpu s, value of the last run).
fn timed<T>(repeat: usize, mut f: impl FnMut() -> T) -> (f64, f64, T) {
    let mut best = (f64::MAX, f64::MAX);
    let mut last = None;
    for _ in 0..repeat.max(1) {
        let (t, c) = (Instant::now(), cpu_seconds());
        let v = f();
        let (w, cc) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
        if w < best.0 {
            best = (w, cc);
        }
        last = Some(v);
    }
    match last {
        Some(v) => (best.0, best.1, v),
        None => unreachable!("repeat ≥ 1"),
    }
}

/// (label, encoded bytes, ground-truth MRZ blocks, synthetic 2 MP re-encoding).
type Input = (String, Vec<u8>, Vec<Vec<String>>, bool);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut repeat = 1usize;
    let mut verbose = false;
    let mut all_2mp = false;
    let mut filter = String::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--repeat" => repeat = args.next().and_then(|v| v.parse().ok()).unwrap_or(1),
            "--verbose" | "-v" => verbose = true,
            "--all-2mp" => all_2mp = true,
            _ => filter = a,
        }
    }
    let cfg = kycd_vision::EngineConfig::new(manifest::models_dir());
    println!("ONNX Runtime intra-op threads: {}", cfg.intra_threads);
    let engine = OcrEngine::load(&cfg)?;
    let docs: Vec<_> = manifest::load_manifest()
        .into_iter()
        .filter(manifest::Doc::all_valid)
        .filter(|d| d.file.contains(&filter))
        .collect();
    let mut inputs: Vec<Input> = Vec::new();
    for d in &docs {
        let truth = d.mrz.iter().map(|m| m.lines.clone()).collect();
        if all_2mp {
            // Every document re-encoded at 2.0 MP: the 2 MP group is then the whole set.
            inputs.push((format!("{} @2MP", d.file), two_mp(&d.path())?, truth, false));
        } else {
            inputs.push((d.file.clone(), std::fs::read(d.path())?, truth, false));
        }
    }
    for name in [
        "passporteye/passport-td3.jpg",
        "ultimatemrz/Passport-Australia_1280x720.jpg",
    ] {
        if let Some(d) = docs.iter().find(|d| d.file == name && !all_2mp) {
            let truth = d.mrz.iter().map(|m| m.lines.clone()).collect();
            inputs.push((format!("{name} @2MP"), two_mp(&d.path())?, truth, true));
        }
    }
    let (mut mrz_all, mut full_all, mut mrz_2mp, mut full_2mp) = (
        Series::default(),
        Series::default(),
        Series::default(),
        Series::default(),
    );
    let (mut exact, mut n) = (0usize, 0usize);
    for (file, bytes, truth, synthetic) in &inputs {
        engine.reset_stats();
        let (a, ac, r) = timed(repeat, || {
            let img = decode_image(bytes, &Default::default()).expect("decode");
            read_mrz(&engine, &img, &MrzOptions::default()).expect("read_mrz")
        });
        let mrz_stats = engine.stats();
        engine.reset_stats();
        let (b, bc, (mp, full)) = timed(repeat, || {
            let img = decode_image(bytes, &Default::default()).expect("decode");
            let mp = img.width() as f64 * img.height() as f64 / 1e6;
            let full = read_document(&engine, &img, &ReadOptions::default()).expect("read");
            (mp, full)
        });
        let full_stats = engine.stats();
        let ok =
            truth.iter().any(|t| *t == r.lines()) && truth.iter().any(|t| *t == full.mrz.lines());
        println!(
            "{:<62} {:4.1} MP  mrz {:5.0} ms (cpu {:5.0})  full {:5.0} ms (cpu {:5.0})  {} {:?} {:?}",
            file,
            mp,
            a * 1000.0,
            ac * 1000.0,
            b * 1000.0,
            bc * 1000.0,
            if ok { "exact" } else { "MISS " },
            r.status,
            full.doc_type
        );
        if verbose {
            let per = |s: kycd_vision::OcrStats| {
                let k = repeat.max(1) as u64;
                format!(
                    "det {}x {:.2} MP {} ms | rec {} batches {} lines {} cols {} ms",
                    s.det_runs / k,
                    s.det_pixels as f64 / k as f64 / 1e6,
                    s.det_micros / k / 1000,
                    s.rec_runs / k,
                    s.rec_lines / k,
                    s.rec_columns / k,
                    s.rec_micros / k / 1000
                )
            };
            println!("    mrz:  {}", per(mrz_stats));
            println!("    full: {}", per(full_stats));
        }
        if !synthetic {
            n += 1;
            exact += usize::from(ok);
            mrz_all.push(a, ac);
            full_all.push(b, bc);
        }
        if *synthetic || mp >= 1.5 {
            mrz_2mp.push(a, ac);
            full_2mp.push(b, bc);
        }
    }
    println!("MRZ exact (read_mrz and read_document agree with the truth): {exact}/{n}");
    mrz_all.print("decode→MRZ fields");
    full_all.print("decode→full reading");
    mrz_2mp.print("2 MP photos, MRZ");
    full_2mp.print("2 MP photos, full");
    Ok(())
}
