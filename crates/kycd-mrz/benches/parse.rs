//! Parse + validate throughput on TD3 line pairs (one core).
//!
//! Run: `cargo bench -p kycd-mrz --bench parse`. Criterion reports elements/s (= TD3 pairs/s).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kycd_mrz::{
    Date, MrzFields, MrzFormat, ParseOptions, Sex, find_in_text, parse_with_options,
    parse_with_repair, render,
};

/// A fixed set of distinct valid TD3 pairs (generated with the renderer).
fn corpus() -> Vec<[String; 2]> {
    let surnames = [
        "ERIKSSON",
        "MUSTERMANN",
        "KOWALSKA KWIATKOWSKA",
        "LIN",
        "VIRTANEN",
        "O NEILL",
    ];
    let given = [
        "ANNA MARIA",
        "ERIKA",
        "JOANNA",
        "MEI HUA",
        "",
        "JOHN PAUL GEORGE",
    ];
    let states = ["UTO", "DEU", "POL", "TWN", "FIN", "IRL", "D<<", "GBR"];
    let mut out = Vec::new();
    for i in 0..256u32 {
        let mut f = MrzFields::empty(MrzFormat::Td3);
        f.document_code = if i % 5 == 0 { "PD".into() } else { "P".into() };
        f.issuing_state = states[i as usize % states.len()].into();
        f.nationality = states[(i as usize / 3) % states.len()].into();
        f.surname = surnames[i as usize % surnames.len()].into();
        f.given_names = given[(i as usize / 2) % given.len()].into();
        f.document_number = format!("C{:08}", i * 7919 % 100_000_000);
        f.birth_date = format!("{:02}{:02}{:02}", (i * 7) % 100, i % 12 + 1, i % 28 + 1).into();
        f.sex = [Sex::Male, Sex::Female, Sex::NotGiven][i as usize % 3];
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
        let lines = render(&f).expect("renderable");
        out.push([lines[0].clone(), lines[1].clone()]);
    }
    out
}

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
