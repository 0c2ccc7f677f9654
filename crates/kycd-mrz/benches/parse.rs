//! Parse + validate throughput on TD3 line pairs (one core).
//!
//! Run: `cargo bench -p kycd-mrz --bench parse`. Criterion reports elements/s (= TD3 pairs/s).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kycd_mrz::{Date, ParseOptions, find_in_text, parse_with_options, parse_with_repair};

mod support;
use support::corpus;

fn bench(c: &mut Criterion) {
    let corpus = corpus();
    let opts = ParseOptions::with_reference_date(Date::new(2026, 1, 1).expect("date"));
    let mut g = c.benchmark_group("td3");
    g.throughput(Throughput::Elements(corpus.len() as u64));
    g.bench_function("parse_validate_256_pairs", |b| {
        b.iter(|| {
            let mut valid = 0usize;
            for pair in &corpus {
                let m = parse_with_options(&[pair[0].as_str(), pair[1].as_str()], &opts)
                    .expect("parses");
                valid += usize::from(m.is_valid());
            }
            assert_eq!(valid, corpus.len());
            black_box(valid)
        })
    });
    g.finish();

    // OCR repair paths (single MRZ per iteration).
    let mut g = c.benchmark_group("repair");
    g.throughput(Throughput::Elements(1));
    let l1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
    g.bench_function("td3_type_confusions", |b| {
        b.iter(|| {
            let r = parse_with_repair(&[l1, "L898902C36UT07408122F12O4159ZE184226B<<<<<10"], &opts)
                .expect("layout");
            black_box(r.status)
        })
    });
    g.bench_function("td3_doc_number_confusion", |b| {
        b.iter(|| {
            let r = parse_with_repair(&[l1, "L89B902C36UTO7408122F1204159ZE184226B<<<<<10"], &opts)
                .expect("layout");
            black_box(r.status)
        })
    });
    g.bench_function("td3_missing_character", |b| {
        b.iter(|| {
            let r = parse_with_repair(&[l1, "L89890C36UTO7408122F1204159ZE184226B<<<<<10"], &opts)
                .expect("layout");
            black_box(r.status)
        })
    });
    let text = "REPUBLIC OF UTOPIA\nPASSPORT  PASSEPORT\nSurname ERIKSSON\nGiven names ANNA MARIA\n\
                Nationality UTOPIAN\nDate of birth 12 AUG 1974\n\
                P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n\
                L898902C36UTO7408122F1204159ZE184226B<<<<<10\n";
    g.bench_function("find_in_page_text", |b| {
        b.iter(|| black_box(find_in_text(text, &opts).expect("found").result.status))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
