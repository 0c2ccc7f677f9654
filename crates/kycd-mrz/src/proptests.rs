//! Property tests: render/parse round trip, OCR-confusion repair, robustness on arbitrary input.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

use crate::date::Date;
use crate::layout::{Field, MrzFormat};
use crate::model::MrzFields;
use crate::parse::{ParseOptions, parse_with_options};
use crate::render::render;
use crate::repair::fix::{Class, class_map, effective_checks, partners};
use crate::repair::{RepairStatus, parse_with_repair};
use crate::testgen::{any_fields, fields};
use crate::{find_all_in_text, names};

fn opts() -> ParseOptions {
    ParseOptions::with_reference_date(Date::new(2026, 1, 1).expect("date"))
}

fn lines_of(f: &MrzFields) -> Vec<String> {
    render(f).expect("renderable")
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(|s| s.as_str()).collect()
}

/// Where an OCR confusion can be injected so that the damage is detectable (check digits or
/// field types), with the injected character.
fn eligible(format: MrzFormat, lines: &[Vec<u8>]) -> Vec<(usize, usize, u8)> {
    let classes = class_map(format);
    let checks = effective_checks(format, lines);
    let covered = |p: (usize, usize)| checks.iter().any(|c| c.positions.contains(&p));
    let layout = format.layout();
    let name_spans: Vec<_> = layout
        .fields
        .iter()
        .filter(|f| matches!(f.field, Field::Name | Field::Surname | Field::GivenNames))
        .map(|f| f.span)
        .collect();
    let mut out = Vec::new();
    for (li, line) in lines.iter().enumerate() {
        for (col, &c) in line.iter().enumerate() {
            let to: &[u8] = match classes[li][col] {
                Class::Numeric | Class::CheckDigit { .. } => match c {
                    b'0' => b"OQ",
                    b'1' => b"I",
                    b'8' => b"B",
                    b'5' => b"S",
                    b'2' => b"Z",
                    b'6' => b"G",
                    _ => b"",
                },
                Class::Alpha | Class::Name | Class::Code => match c {
                    b'O' => b"0",
                    b'I' => b"1",
                    b'B' => b"8",
                    b'S' => b"5",
                    b'Z' => b"2",
                    b'G' => b"6",
                    _ => b"",
                },
                Class::Free if covered((li, col)) => partners(c),
                _ => b"",
            };
            for &t in to {
                out.push((li, col, t));
            }
            // `<` read as `K` after the end of a name (at least `<<<` before it, fillers after).
            if c == b'<'
                && classes[li][col] == Class::Name
                && let Some(span) = name_spans
                    .iter()
                    .find(|s| s.line as usize == li && (s.start as usize..s.end()).contains(&col))
            {
                let field = &line[span.start as usize..span.end()];
                let rel = col - span.start as usize;
                let clean_tail = names::text_after_end(field).is_none();
                if let Some(ts) = field.windows(3).position(|w| w == b"<<<")
                    && clean_tail
                    && rel >= ts + 3
                {
                    out.push((li, col, b'K'));
                }
            }
        }
    }
    out
}

fn inject(format: MrzFormat, original: &[String], picks: &[usize]) -> Option<Vec<String>> {
    let mut lines: Vec<Vec<u8>> = original.iter().map(|s| s.as_bytes().to_vec()).collect();
    let mut used: Vec<(usize, usize)> = Vec::new();
    for &p in picks {
        // Distinct positions: two confusions on one character would be a different confusion.
        let el: Vec<_> = eligible(format, &lines)
            .into_iter()
            .filter(|e| !used.contains(&(e.0, e.1)))
            .collect();
        if el.is_empty() {
            return None;
        }
        let (li, col, to) = el[p % el.len()];
        used.push((li, col));
        lines[li][col] = to;
    }
    Some(
        lines
            .into_iter()
            .map(|l| String::from_utf8(l).expect("ascii"))
            .collect(),
    )
}

#[derive(Debug, Default)]
struct Tally {
    restored: usize,
    ambiguous: usize,
    unrepairable: usize,
    undetectable: usize,
}

/// Checks the repair of one corrupted MRZ: never a wrong trusted result.
fn check_repair(
    original: &[String],
    corrupted: &[String],
    tally: &mut Tally,
) -> Result<(), TestCaseError> {
    let r = parse_with_repair(&refs(corrupted), &opts())
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    match r.status {
        RepairStatus::Valid => {
            // Two confusions cancelled out in one check digit: nothing to detect.
            prop_assert_eq!(&r.mrz.lines, corrupted);
            tally.undetectable += 1;
        }
        RepairStatus::Repaired => {
            prop_assert_eq!(
                &r.mrz.lines,
                original,
                "wrong repair of {:?}: {:?}",
                corrupted,
                r.corrections
            );
            tally.restored += 1;
        }
        RepairStatus::Ambiguous => {
            prop_assert!(!r.mrz.is_valid() || r.mrz.lines != original);
            if r.alternatives.len() < 8 {
                prop_assert!(
                    r.alternatives.iter().any(|a| a == original),
                    "truth missing from {:?}",
                    r.alternatives
                );
            }
            tally.ambiguous += 1;
        }
        RepairStatus::Unrepairable => tally.unrepairable += 1,
    }
    Ok(())
}

proptest! {
    // 256 cases by default; `PROPTEST_CASES=5000 cargo test -p kycd-mrz proptests` for a longer run.
    #![proptest_config(Config { max_global_rejects: 1_000_000, ..Config::default() })]

    #[test]
    fn render_parse_round_trip(f in any_fields()) {
        let lines = lines_of(&f);
        for l in &lines {
            prop_assert_eq!(l.len(), f.format.line_len());
        }
        let m = parse_with_options(&refs(&lines), &opts()).expect("parses");
        prop_assert!(m.is_valid(), "{:?} {:?}", lines, m.checks);
        prop_assert_eq!(&m.fields, &f);
        prop_assert_eq!(m.lines, lines);
    }

    #[test]
    fn dates_are_iso_with_inferred_century(f in fields(MrzFormat::Td3)) {
        let m = parse_with_options(&refs(&lines_of(&f)), &opts()).expect("parses");
        let b = m.birth_date.expect("generated dates exist");
        let e = m.expiry_date.expect("generated dates exist");
        prop_assert!(b <= Date::new(2026, 1, 1).expect("date"));
        prop_assert!(e <= Date::new(2046, 1, 1).expect("date"));
        prop_assert_eq!(&b.to_iso()[2..4], &f.birth_date[0..2]);
        prop_assert_eq!(&e.to_iso()[5..7], &f.expiry_date[2..4]);
    }

    #[test]
    fn confusions_are_restored_or_reported(f in any_fields(), picks in prop::collection::vec(any::<usize>(), 1..=2)) {
        let original = lines_of(&f);
        if let Some(corrupted) = inject(f.format, &original, &picks) {
            check_repair(&original, &corrupted, &mut Tally::default())?;
        }
    }

    #[test]
    fn case_spaces_and_filler_runs_are_repaired(
        f in any_fields(),
        line_pick in any::<usize>(),
        run_pick in any::<usize>(),
        delta in prop::sample::select(vec![-2i32, -1, 1, 2]),
        lower in prop::collection::vec(any::<usize>(), 0..4),
        spaces in prop::collection::vec(any::<usize>(), 0..3),
    ) {
        let original = lines_of(&f);
        let mut lines: Vec<Vec<u8>> = original.iter().map(|s| s.as_bytes().to_vec()).collect();
        let li = line_pick % lines.len();
        let name_only = match f.format {
            MrzFormat::Td1 => li == 2,
            MrzFormat::FrenchId | MrzFormat::DrivingLicence => false,
            _ => li == 0,
        };
        // Filler runs of length >= 2 (name lines: only the trailing run).
        let line = &lines[li];
        let mut runs = Vec::new();
        let mut i = 0;
        while i < line.len() {
            if line[i] == b'<' {
                let s = i;
                while i < line.len() && line[i] == b'<' { i += 1; }
                if i - s >= 2 && (!name_only || i == line.len()) && i - s > delta.unsigned_abs() as usize {
                    runs.push((s, i));
                }
            } else {
                i += 1;
            }
        }
        prop_assume!(!runs.is_empty());
        let (s, _) = runs[run_pick % runs.len()];
        if delta < 0 {
            for _ in 0..delta.unsigned_abs() { lines[li].remove(s); }
        } else {
            for _ in 0..delta { lines[li].insert(s, b'<'); }
        }
        let mut text: Vec<String> = lines.into_iter().map(|l| String::from_utf8(l).expect("ascii")).collect();
        for &p in &lower {
            let l = &mut text[p % original.len()];
            *l = l.chars().enumerate().map(|(j, c)| if j == p % 30 { c.to_ascii_lowercase() } else { c }).collect();
        }
        for &p in &spaces {
            let l = &mut text[p % original.len()];
            let at = p % l.len();
            l.insert(at, ' ');
        }
        let r = parse_with_repair(&refs(&text), &opts()).expect("layout found");
        match r.status {
            RepairStatus::Repaired => prop_assert_eq!(&r.mrz.lines, &original, "{:?}", r.corrections),
            RepairStatus::Ambiguous => {
                if r.alternatives.len() < 8 {
                    prop_assert!(r.alternatives.contains(&original), "{:?}", r.alternatives);
                }
            }
            other => prop_assert!(false, "unexpected {:?} for {:?}", other, text),
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let lines: Vec<&str> = text.lines().collect();
        let _ = parse_with_options(&lines, &opts());
        let _ = parse_with_repair(&lines, &opts());
        let _ = find_all_in_text(&text, &opts());
    }

    #[test]
    fn mrz_alphabet_lines_never_panic(lines in prop::collection::vec("[A-Z0-9<a-z ]{26,46}", 1..4)) {
        let r: Vec<&str> = lines.iter().map(|s| s.as_str()).collect();
        let _ = parse_with_options(&r, &opts());
        if let Ok(rep) = parse_with_repair(&r, &opts()) {
            // A trusted result always validates.
            if rep.is_trusted() {
                prop_assert!(rep.mrz.is_valid());
            }
        }
    }
}

/// Repair statistics over a fixed random sample (deterministic seed): no wrong result ever, and
/// the share of restored MRZs stays high.
#[test]
fn repair_statistics() {
    let mut runner = TestRunner::deterministic();
    let strategy = (any_fields(), prop::collection::vec(any::<usize>(), 1..=1));
    for injections in [1usize, 2] {
        let mut tally = Tally::default();
        let mut cases = 0;
        for _ in 0..300 {
            let (f, mut picks) = strategy.new_tree(&mut runner).expect("value").current();
            picks.resize(injections, picks[0].wrapping_mul(31).wrapping_add(7));
            let original = lines_of(&f);
            let Some(corrupted) = inject(f.format, &original, &picks) else {
                continue;
            };
            cases += 1;
            check_repair(&original, &corrupted, &mut tally).expect("never a wrong repair");
        }
        println!("{injections} confusion(s), {cases} cases: {tally:?}");
        let restored = tally.restored as f64 / cases as f64;
        let floor = if injections == 1 { 0.80 } else { 0.60 };
        assert!(
            restored >= floor,
            "{injections}: restored only {restored:.2}: {tally:?}"
        );
    }
}
