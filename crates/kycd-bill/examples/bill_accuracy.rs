//! Extraction accuracy and per-bill latency on the shared bills and on synthetic bills.
//!
//! `cargo run --release -p kycd-bill --example bill_accuracy [-- RUNS]` (needs `scripts/setup.sh`).
//! For each bill: the address comparison with the ground truth, holder name, issuer, issue date,
//! and the p50 / max latency over RUNS runs (default 3).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use kycd_bill::{ExpectedFields, FieldStatus, compare, extract};
use support::*;

struct Case {
    label: String,
    bytes: Vec<u8>,
    mime: &'static str,
    address: String,
    name: String,
    date: Option<String>,
    issuer: Vec<String>,
}

/// CPU time of this process (user + system) in milliseconds, from /proc (Linux); 0 elsewhere.
/// On a loaded machine wall time says little: CPU time bounds what one bill costs.
fn cpu_ms() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the ")" of the command name: state is field 3, utime 14, stime 15.
    let Some(rest) = stat.rsplit(')').next() else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Linux reports in clock ticks of 1/100 s.
    (ticks(11) + ticks(12)) * 10.0
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3)
        .max(1);
    let mut cases = vec![
        Case {
            label: "ppl_electric.jpg".into(),
            bytes: data("bills/mindee/proof_of_address__ppl_electric_sample.jpg"),
            mime: "image/jpeg",
            address: "123 MAIN ST, ANYTOWN, PA 18062".into(),
            name: "CUSTOMER".into(),
            date: Some("2011-07-06".into()),
            issuer: vec!["ppl".into()],
        },
        Case {
            label: "edf.pdf (text)".into(),
            bytes: data("bills/mindee/energy_bill_fra__edf_sample.pdf"),
            mime: "application/pdf",
            address: "123 RUE DE L’IMAGINAIRE, 75001 PARIS".into(),
            name: "JOHN DOE".into(),
            date: Some("2021-01-29".into()),
            issuer: vec!["edf".into(), "fictiocorp".into()],
        },
        Case {
            label: "turnpike_invoice.jpg".into(),
            bytes: data("bills/mindee/proof_address__turnpike_invoice.jpg"),
            mime: "image/jpeg",
            address: "1954 Bloor Street West, Toronto, ON, M6P 3K9, Canada".into(),
            name: "Jiro Doi".into(),
            date: Some("2018-09-25".into()),
            issuer: vec!["turnpike".into()],
        },
        Case {
            label: "us_mail_envelope.jpg".into(),
            bytes: data("bills/mindee/us_mail__envelope.jpg"),
            mime: "image/jpeg",
            address: "1234 Market Street PMB 4321, Detroit, Michigan 12345".into(),
            name: "Jane Doe".into(),
            date: None,
            issuer: vec!["company zed".into()],
        },
    ];
    for (tag, b) in [("us", us_bill()), ("eu", eu_bill())] {
        let addr = format!("{}, {}", b.street, b.city_line);
        let page = render(&b, 150.0);
        let date = Some(b.issue_date.clone());
        let issuer = vec![b.issuer[..8].to_lowercase()];
        cases.push(Case {
            label: format!("synthetic {tag} text.pdf"),
            bytes: text_pdf(&b),
            mime: "application/pdf",
            address: addr.clone(),
            name: b.holder.clone(),
            date: date.clone(),
            issuer: issuer.clone(),
        });
        cases.push(Case {
            label: format!("synthetic {tag} scanned.pdf"),
            bytes: scanned_pdf(&jpeg(&page, 85), page.width(), page.height()),
            mime: "application/pdf",
            address: addr.clone(),
            name: b.holder.clone(),
            date: date.clone(),
            issuer: issuer.clone(),
        });
        cases.push(Case {
            label: format!("synthetic {tag} photo.jpg"),
            bytes: photo_like(&page),
            mime: "image/jpeg",
            address: addr,
            name: b.holder.clone(),
            date: date.clone(),
            issuer: issuer.clone(),
        });
    }
    // KYCD_BILL_DUMP=DIR writes every input there (to look at, or to feed to the bill_rows example).
    if let Some(dir) = std::env::var_os("KYCD_BILL_DUMP") {
        for (i, c) in cases.iter().enumerate() {
            let ext = if c.mime == "application/pdf" {
                "pdf"
            } else {
                "jpg"
            };
            let p = std::path::Path::new(&dir).join(format!("{i:02}.{ext}"));
            std::fs::write(&p, &c.bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        }
    }
    let t = Instant::now();
    let engine = engine();
    println!("OCR engine loaded in {} ms", t.elapsed().as_millis());
    println!(
        "{:<30} {:<18} {:>7} {:>6} {:>6} {:>6} {:>8} {:>8} {:>8}",
        "bill", "source", "address", "name", "issuer", "date", "p50 ms", "max ms", "cpu ms"
    );
    let (mut a_ok, mut n_ok, mut i_ok, mut d_ok, mut d_n) = (0, 0, 0, 0, 0);
    for c in &cases {
        let mut times = Vec::new();
        let mut last = None;
        let cpu0 = cpu_ms();
        for _ in 0..runs {
            let t = Instant::now();
            let ex = extract(&c.bytes, c.mime, engine).expect("extract");
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            last = Some(ex);
        }
        let cpu = (cpu_ms() - cpu0) / runs as f64;
        let ex = last.expect("one run");
        times.sort_by(f64::total_cmp);
        let cmp = compare(
            &ex,
            &ExpectedFields {
                address: Some(c.address.clone()),
                full_name: Some(c.name.clone()),
                reference_date: None,
            },
        );
        let a = cmp.address.status == FieldStatus::Match;
        let n = cmp.name.status == FieldStatus::Match;
        let issuer = ex
            .issuer
            .as_ref()
            .map(|i| i.value.to_lowercase())
            .unwrap_or_default();
        let i = c.issuer.iter().any(|w| issuer.contains(w));
        let d = c
            .date
            .as_ref()
            .map(|d| cmp.issue_date.value.as_ref() == Some(d));
        a_ok += usize::from(a);
        n_ok += usize::from(n);
        i_ok += usize::from(i);
        if let Some(d) = d {
            d_n += 1;
            d_ok += usize::from(d);
        }
        let yn = |b: bool| if b { "ok" } else { "MISS" };
        println!(
            "{:<30} {:<18} {:>7} {:>6} {:>6} {:>6} {:>8.0} {:>8.0} {:>8.0}",
            c.label,
            format!("{:?}", ex.source),
            yn(a),
            yn(n),
            yn(i),
            d.map_or("-", yn),
            times[times.len() / 2],
            times[times.len() - 1],
            cpu
        );
        if !(a && n && i && d.unwrap_or(true)) {
            println!(
                "    read: address={:?} name={:?} issuer={:?} date={:?}",
                ex.manual_address(),
                ex.holder_name.as_ref().map(|x| &x.value),
                ex.issuer.as_ref().map(|x| &x.value),
                cmp.issue_date.value
            );
        }
    }
    let n = cases.len();
    println!(
        "accuracy: address {a_ok}/{n}, holder name {n_ok}/{n}, issuer {i_ok}/{n}, issue date {d_ok}/{d_n}"
    );
}
