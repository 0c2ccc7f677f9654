//! Criterion benchmark of one screening over OFAC 2024 + UN + EU (derived), padded with
//! synthetic typo copies to 100k names. The headline latency figures come from
//! `bench/aml/latency.sh` (the batch screen function over 50,000 queries).

use std::path::PathBuf;

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use kycd_aml::parsers::{Format, parse_paths};
use kycd_aml::synth::synthetic_typo_copies;
use kycd_aml::{Index, Query, ScreenConfig};

fn data(rel: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/sanctions/"
    ))
    .join(rel)
}

fn index() -> Index {
    let mut v = Vec::new();
    for (f, p) in [
        (Format::OfacCsv, "ofac_sdn_2024/sdn.csv"),
        (Format::UnXml, "un/consolidated.xml"),
        (Format::EuAggregateJson, "eu/pakote_all_2026-01-28.json"),
    ] {
        v.extend(parse_paths(f, &[data(p)]).expect("placed data").1.entities);
    }
    let extra = synthetic_typo_copies(&v, 100_000);
    v.extend(extra);
    Index::build(v, vec![])
}

fn bench(c: &mut Criterion) {
    let ix = index();
    let cfg = ScreenConfig::default();
    let queries = [
        Query {
            birth_date: Some("1952-10-07".into()),
            nationality: Some("RU".into()),
            ..Query::person("Vladimir Putin")
        },
        Query::person("Patricia Lucas Wheeler"),
        Query::person("Mohammad Ali Hassan"),
        Query::person("Владимир Путин"),
    ];
    for q in &queries {
        c.bench_function(&format!("screen {:?}", q.name), |b| {
            b.iter(|| ix.screen(black_box(q), &cfg))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
