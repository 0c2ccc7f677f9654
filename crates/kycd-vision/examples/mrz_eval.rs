//! MRZ evaluation over the shared documents with per-file output:
//! `cargo run --release -p kycd-vision --example mrz_eval [-- FILTER]`
#[path = "../tests/support/manifest.rs"]
mod manifest;

use kycd_vision::{MrzOptions, OcrEngine, decode_file, read_mrz};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let filter = std::env::args().nth(1).unwrap_or_default();
    let engine = OcrEngine::load(&kycd_vision::EngineConfig::new(manifest::models_dir()))?;
    let docs = manifest::load_manifest();
    let (mut n, mut ok) = (0, 0);
    let mut times = Vec::new();
    for d in docs.iter().filter(|d| d.file.contains(&filter)) {
        let t = std::time::Instant::now();
        let img = decode_file(&d.path(), &Default::default())?;
        let r = read_mrz(&engine, &img, &MrzOptions::default())?;
        let dt = t.elapsed();
        let lines = r.lines();
        let exact = d.mrz.iter().any(|m| m.lines == lines);
        if d.all_valid() {
            n += 1;
            ok += usize::from(exact);
            times.push(dt.as_secs_f64());
        }
        println!(
            "{} {:<60} {:>5} {:?} {:?} rot={} {:.0}ms",
            if exact {
                "OK "
            } else if d.all_valid() {
                "BAD"
            } else {
                "-- "
            },
            d.file,
            d.format_label_or_none(),
            r.status,
            r.format_name(),
            r.rotation.degrees(),
            dt.as_secs_f64() * 1000.0
        );
        if !exact && d.all_valid() {
            for (a, b) in d.mrz[0]
                .lines
                .iter()
                .zip(lines.iter().chain(std::iter::repeat(&String::new())))
            {
                println!("      want {a}\n      got  {b}");
            }
            if let Some(c) = &r.candidate {
                println!("      raw  {:?} checks {:?}", c.raw, c.checks);
            }
        }
    }
    times.sort_by(f64::total_cmp);
    let p = |q: f64| {
        times
            .get(((times.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "exact {ok}/{n}; p50 {:.0} ms p95 {:.0} ms",
        p(0.5) * 1000.0,
        p(0.95) * 1000.0
    );
    Ok(())
}

trait Label {
    fn format_label_or_none(&self) -> String;
}
impl Label for manifest::Doc {
    fn format_label_or_none(&self) -> String {
        if self.mrz.is_empty() {
            "-".into()
        } else {
            self.format_label()
        }
    }
}
