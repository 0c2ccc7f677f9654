//! CPU cost of the individual operations on one image (release build), for profiling:
//! `cargo run --release -p kycd-vision --example profile_ops -- IMAGE [REPEAT]`.
#[path = "../tests/support/tools.rs"]
mod tools;

use kycd_vision::{DetParams, OcrEngine, ReadOptions, decode_image};
use tools::cpu_seconds;

fn measure<T>(label: &str, repeat: usize, mut f: impl FnMut() -> T) -> T {
    let mut best_cpu = f64::MAX;
    let mut best_wall = f64::MAX;
    let mut last = None;
    for _ in 0..repeat {
        let (c, t) = (cpu_seconds(), std::time::Instant::now());
        last = Some(f());
        best_cpu = best_cpu.min(cpu_seconds() - c);
        best_wall = best_wall.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{label:<40} cpu {:7.1} ms  wall {:7.1} ms",
        best_cpu * 1000.0,
        best_wall * 1000.0
    );
    match last {
        Some(v) => v,
        None => unreachable!(),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: profile_ops IMAGE [REPEAT]")?;
    let repeat: usize = args.next().and_then(|v| v.parse().ok()).unwrap_or(3);
    let cfg = kycd_vision::EngineConfig::from_env();
    println!("threads {}", cfg.intra_threads);
    let engine = OcrEngine::load(&cfg)?;
    let bytes = std::fs::read(&path)?;
    let img = measure("decode", repeat, || {
        decode_image(&bytes, &Default::default()).expect("decode")
    });
    println!("{}x{}", img.width(), img.height());
    for side in [480u32, 640, 800, 960] {
        let p = DetParams {
            min_long_side: side,
            max_long_side: side,
            ..Default::default()
        };
        let boxes = measure(&format!("detect {side}"), repeat, || {
            engine.detect_with(&img, &p).expect("det")
        });
        println!("   {} boxes", boxes.len());
    }
    let boxes = engine.detect(&img)?;
    let lines = measure("recognize all", repeat, || {
        engine.recognize(&img, &boxes).expect("rec")
    });
    let cols: u32 = lines
        .iter()
        .map(|l| {
            let (w, h) = l.bbox.quad.size();
            (48.0 * w / h.max(1.0)) as u32
        })
        .sum();
    println!("   {} lines, {} columns", lines.len(), cols);
    let mut widest = boxes.clone();
    widest.sort_by(|a, b| b.quad.size().0.total_cmp(&a.quad.size().0));
    widest.truncate(2);
    measure("recognize 2 widest", repeat, || {
        engine.recognize(&img, &widest).expect("rec").len()
    });
    measure("document quad", repeat, || {
        kycd_vision::detect_document_quad(&img)
    });
    measure("quality assess", repeat, || {
        kycd_vision::assess(&img, Default::default(), &Default::default())
    });
    measure("read_mrz", repeat, || {
        kycd_vision::read_mrz(&engine, &img, &Default::default()).expect("mrz")
    });
    measure("read_document", repeat, || {
        kycd_vision::read_document(&engine, &img, &ReadOptions::default()).expect("doc")
    });
    Ok(())
}
