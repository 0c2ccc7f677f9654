//! Parse + validate throughput of TD3 pairs measured in CPU time (robust on a loaded machine):
//! `cargo run --release -p kycd-mrz --example td3_throughput` under `perf stat -e task-clock`, or
//! read the printed wall-clock figure on an idle machine.

use std::hint::black_box;
use std::time::Instant;

use kycd_mrz::{Date, MrzFields, MrzFormat, ParseOptions, Sex, parse_with_options, render};

fn main() {
    let mut corpus = Vec::new();
    for i in 0..256u32 {
        let mut f = MrzFields::empty(MrzFormat::Td3);
        f.document_code = "P".into();
        f.issuing_state = ["UTO", "DEU", "POL", "D<<"][i as usize % 4].into();
        f.nationality = f.issuing_state;
        f.surname = ["ERIKSSON", "KOWALSKA KWIATKOWSKA", "LIN"][i as usize % 3].into();
        f.given_names = ["ANNA MARIA", "", "MEI HUA"][i as usize % 3].into();
        f.document_number = format!("C{:08}", i * 7919);
        f.birth_date = format!("{:02}{:02}{:02}", (i * 7) % 100, i % 12 + 1, i % 28 + 1).into();
        f.sex = [Sex::Male, Sex::Female][i as usize % 2];
        f.expiry_date = format!(
            "{:02}{:02}{:02}",
            (i * 3) % 40,
            (i + 5) % 12 + 1,
            (i + 9) % 28 + 1
        )
        .into();
        f.optional_data = if i % 2 == 0 {
            format!("ZE{:07}B", i * 31)
        } else {
            String::new()
        };
        let l = render(&f).expect("renderable");
        corpus.push([l[0].clone(), l[1].clone()]);
    }
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
