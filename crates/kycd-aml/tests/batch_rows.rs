//! Issue 19, batch defect: `kycd screen --batch FILE.csv --json` prints exactly one line per
//! data row, in file order, with its row number, for every CSV file placed under
//! `shared/data/sanctions/benchmarks` (row counts from that folder's README). Runs the same
//! library function the binary prints through ([`screen_batch_with`]) over a UN-list index.

use crate::common;

use std::path::PathBuf;

use common::{data, un};
use kycd_aml::Index;
use kycd_aml::cli::{BatchOptions, ScreenCommon, screen_batch_with};
use serde_json::Value;

/// Data rows per file, from `shared/data/sanctions/README.md` ("Matching benchmarks").
const ROWS: [(&str, usize); 8] = [
    ("nomenklatura_name_bench_cases.csv", 826),
    ("nomenklatura_ofac_sls_fixtures.csv", 170),
    ("watchman_cross_script_pairs.csv", 22),
    ("yente_negatives_global.csv", 50_000),
    ("yente_negatives_us.csv", 50_000),
    ("yente_positives_un_treated.csv", 683),
    ("yente_positives_un_untreated.csv", 683),
    ("yente_positives_us_congress_untreated.csv", 1_254),
];

fn benchmark_csvs() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data("benchmarks"))
        .expect("benchmarks folder")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
        .collect();
    files.sort();
    files
}

fn options(file: PathBuf, names_only: bool) -> BatchOptions {
    BatchOptions {
        common: ScreenCommon {
            data_dir: PathBuf::new(),
            json: true,
            threshold: None,
            any_kind: false,
            pad_to_names: None,
        },
        file,
        names_only,
        repeat: 1,
    }
}

#[test]
fn every_benchmark_row_gets_exactly_one_line_in_order() {
    let ix = Index::build(un(), vec![]);
    let files = benchmark_csvs();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ROWS.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>(),
        "the benchmark folder changed: update ROWS from its README"
    );
    for (path, (file, expected)) in files.into_iter().zip(ROWS) {
        let raw = std::fs::read_to_string(&path).unwrap();
        let raw_lines: Vec<&str> = raw.lines().collect();
        let mut out = Vec::new();
        let (lines, stats) = screen_batch_with(&ix, 0.0, &options(path, false), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let objects: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{file}: {e}: {l}")))
            .collect();
        let (last, rows) = objects.split_last().expect("output");
        assert!(last.get("stats").is_some(), "{file}: stats line last");
        assert_eq!(rows.len(), expected, "{file}: one line per data row");
        assert_eq!(lines.len(), expected, "{file}");
        let mut errors = 0;
        let mut prev_line = 0;
        for (i, v) in rows.iter().enumerate() {
            assert_eq!(v["row"].as_u64(), Some(i as u64 + 1), "{file}: row order");
            let line = v["line"].as_u64().expect("line number");
            assert!(line > prev_line, "{file}: file order at row {}", i + 1);
            prev_line = line;
            match (v.get("hits"), v.get("error")) {
                (Some(hits), None) => {
                    assert!(hits.is_array());
                    // the name screened is the one written on that line of the file (CSV
                    // doubles the quotes inside a quoted field)
                    let name = v["query"]["name"].as_str().unwrap();
                    assert!(!name.is_empty());
                    let raw_line = raw_lines[line as usize - 1];
                    assert!(
                        raw_line.contains(name) || raw_line.contains(&name.replace('"', "\"\"")),
                        "{file} row {}: {name:?} is not on line {line}",
                        i + 1
                    );
                }
                (None, Some(e)) => {
                    errors += 1;
                    assert!(e["code"].is_string() && e["message"].is_string(), "{v}");
                }
                _ => panic!("{file}: a line has hits or an error, not both: {v}"),
            }
        }
        assert_eq!(stats.rows, expected, "{file}");
        assert_eq!(stats.errors, errors, "{file}");
        assert_eq!(stats.queries + stats.errors, expected, "{file}");
        assert_eq!(last["stats"]["rows"].as_u64(), Some(expected as u64));
        // every row of the placed files has a name and readable qualifiers
        assert_eq!(errors, 0, "{file}: rows not screened");
        println!(
            "{file}: {expected} rows, {} lines, {} with hits",
            rows.len(),
            stats.alerts
        );
    }
}

/// The rows the binary used to drop: the single-token names of the UN positives each get a
/// line, and the treated (typo'd) `AFIZ` still finds the mononym `FAIZ` (UN TAi.036) through
/// the DOB and nationality that corroborate it, but not by name alone.
#[test]
fn single_token_rows_are_screened() {
    let ix = Index::build(un(), vec![]);
    let path = data("benchmarks/yente_positives_un_treated.csv");
    for names_only in [false, true] {
        let mut out = Vec::new();
        let (lines, _) =
            screen_batch_with(&ix, 0.0, &options(path.clone(), names_only), &mut out).unwrap();
        let afiz = lines
            .iter()
            .find_map(|l| {
                l.result()
                    .filter(|r| r.query.name == "AFIZ")
                    .map(|r| (l, r))
            })
            .expect("AFIZ has a line");
        assert_eq!((afiz.0.row, afiz.0.line), (142, 143));
        let found = afiz.1.hits.iter().any(|h| h.entity_id == "un:TAi.036");
        assert_eq!(found, !names_only, "{:?}", afiz.1.hits);
        for name in ["MATIULLAH", "HIDAYATULLAH", "AWLIJAN", "SHAMSUDDIN"] {
            assert!(
                lines
                    .iter()
                    .any(|l| l.result().is_some_and(|r| r.query.name == name)),
                "{name}"
            );
        }
    }
}
