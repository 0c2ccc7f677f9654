//! Parse + validate throughput of TD3 pairs measured in CPU time (robust on a loaded machine):
//! `cargo run --release -p kycd-mrz --example td3_throughput` under `perf stat -e task-clock`, or
//! read the printed wall-clock figure on an idle machine. The corpus is the `parse` bench's (256 distinct TD3 pairs,
//! `benches/support`).

use std::hint::black_box;
use std::time::Instant;

use kycd_mrz::{Date, ParseOptions, parse_with_options};

#[path = "../benches/support/mod.rs"]
mod support;
use support::corpus;

fn main() {
    let corpus = corpus();
    let opts = ParseOptions::with_reference_date(Date::new(2026, 1, 1).expect("date"));
    let rounds = 8_000usize;
    let start = Instant::now();
    let mut valid = 0usize;
    for _ in 0..rounds {
        for p in &corpus {
            let m = parse_with_options(&[p[0].as_str(), p[1].as_str()], &opts).expect("parses");
            valid += usize::from(m.is_valid());
        }
    }
    let n = rounds * corpus.len();
    assert_eq!(black_box(valid), n);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{n} TD3 pairs in {secs:.3} s wall: {:.2} M pairs/s (wall clock)",
        n as f64 / secs / 1e6
    );
}
