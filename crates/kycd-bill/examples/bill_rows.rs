//! Prints what `kycd_bill::extract` reads from a file: the rows in reading order and the fields.
//! `cargo run -p kycd-bill --example bill_rows -- FILE [MIME]` (needs `scripts/setup.sh`).

use kycd_vision::{EngineConfig, OcrEngine};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: bill_rows FILE [MIME]");
        std::process::exit(2);
    };
    let mime = args.next().unwrap_or_default();
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let engine = OcrEngine::load(&EngineConfig::from_env()).unwrap_or_else(|e| panic!("{e}"));
    let ex = kycd_bill::extract(&bytes, &mime, &engine).unwrap_or_else(|e| panic!("{e}"));
    for r in &ex.rows {
        println!(
            "{:7.1} {:7.1} {:7.1} {:5.1} {:.2} | {}",
            r.x0,
            r.y0,
            r.x1,
            r.y1 - r.y0,
            r.confidence,
            r.text
        );
    }
    println!("{}", serde_json::to_string_pretty(&ex).unwrap_or_default());
}
