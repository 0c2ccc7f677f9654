//! The FCDO "UK Sanctions List" formats (XML and CSV) on hand-written fixtures in the
//! published layout: counts, fields, import through the CLI function, screening.

use crate::common;

use std::path::PathBuf;

use kycd_aml::cli::{ImportOptions, lists_import};
use kycd_aml::parsers::{Format, parse_paths};
use kycd_aml::{EntityKind, NameKind, Query, ScreeningService, Source, Strength};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")).join(name)
}

fn tmp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kycd-aml-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn uk_xml_fixture_counts_and_fields() {
    let (source, l) =
        parse_paths(Format::UkXml, &[fixture("uk_sanctions_list_sample.xml")]).unwrap();
    assert_eq!(source, Source::Uk);
    assert_eq!(l.published.as_deref(), Some("2026-08-20"));
    assert_eq!(l.stat("designations"), 6);
    assert_eq!(l.entities.len(), 6);
    assert_eq!(l.count_kind(EntityKind::Person), 4);
    assert_eq!(l.count_kind(EntityKind::Organization), 1);
    assert_eq!(l.count_kind(EntityKind::Vessel), 1);
    assert_eq!(l.stat("names_non_latin"), 5);
    assert_eq!(l.stat("names_duplicate"), 1);
    assert_eq!(l.stat("dob_unparsed"), 1, "15/08/19yy");
    assert_eq!(l.stat("nationality_unmapped"), 0);

    // individual: aliases of every strength, Cyrillic name, partial DOBs, two nationalities
    let e = &l.entities[0];
    assert_eq!(e.id, "uk:RUS9901");
    assert_eq!(e.list_id, "RUS9901");
    assert_eq!(e.kind, EntityKind::Person);
    assert_eq!(e.names[0].full, "Arkady Semyonovich BELOTSERKOVSKY");
    assert_eq!(e.names[0].kind, NameKind::Primary);
    assert_eq!(e.names[0].given.as_deref(), Some("Arkady Semyonovich"));
    assert_eq!(e.names[0].family.as_deref(), Some("BELOTSERKOVSKY"));
    let names: Vec<(&str, NameKind, Strength)> = e
        .names
        .iter()
        .map(|n| (n.full.as_str(), n.kind, n.strength))
        .collect();
    assert_eq!(
        names,
        vec![
            (
                "Arkady Semyonovich BELOTSERKOVSKY",
                NameKind::Primary,
                Strength::Strong
            ),
            (
                "Arkadiy Semenovich BELOTSERKOVSKIY",
                NameKind::Aka,
                Strength::Strong
            ),
            ("Arkasha", NameKind::Aka, Strength::Weak),
            ("Arkady BELYI", NameKind::Aka, Strength::Weak),
            (
                "Аркадий Семёнович БЕЛОЦЕРКОВСКИЙ",
                NameKind::OriginalScript,
                Strength::Strong
            ),
        ]
    );
    let dobs: Vec<String> = e.birth_dates.iter().map(|d| d.display()).collect();
    assert_eq!(dobs, vec!["1964-06-12", "1965", "1966-05"]);
    assert_eq!(e.nationalities, vec!["RU", "CY"]);
    assert_eq!(e.gender.as_deref(), Some("male"));
    assert_eq!(
        e.programs,
        vec!["The Russia (Sanctions) (EU Exit) Regulations 2019"]
    );
    assert_eq!(e.listed_on.as_deref(), Some("2022-03-15"));
    assert_eq!(e.last_update.as_deref(), Some("2026-04-14"));
    assert!(
        e.remarks
            .as_deref()
            .unwrap()
            .starts_with("Chairman of the board")
    );

    // Arabic name, unknown day and month, an unparseable DOB dropped
    let e = &l.entities[1];
    assert_eq!(e.id, "uk:SYR9902");
    assert!(e.names.iter().any(|n| n.full == "خالد محمود الحفار"));
    assert_eq!(e.birth_dates.len(), 1);
    assert_eq!(e.birth_dates[0].display(), "1958");
    assert_eq!(e.nationalities, vec!["SY"]);
    assert_eq!(e.gender, None);

    // Korean, UN reference kept in the remarks
    let e = &l.entities[2];
    assert_eq!(e.nationalities, vec!["KP"]);
    assert!(e.names.iter().any(|n| n.full == "박철수"));
    assert_eq!(e.remarks.as_deref(), Some("UN ref KPi.999"));

    // entity: Name6 holds the whole name, not a family name; two non-Latin names
    let e = &l.entities[3];
    assert_eq!(e.kind, EntityKind::Organization);
    assert_eq!(e.names[0].full, "NORTHERN LIGHT PRECISION ENGINEERING LLC");
    assert_eq!(e.names[0].family, None);
    assert_eq!(e.names.len(), 5);
    // a one-word alias of an organisation stays strong (abbreviation)
    assert_eq!(
        e.names.iter().find(|n| n.full == "NLPE").unwrap().strength,
        Strength::Strong
    );
    assert!(e.birth_dates.is_empty());

    // ship
    let e = &l.entities[4];
    assert_eq!(e.kind, EntityKind::Vessel);
    assert_eq!(e.caption(), "AURORA STAR");
    assert_eq!(e.names.len(), 2);

    // only an alias given: promoted to the primary name; day with unknown month dropped
    let e = &l.entities[5];
    assert_eq!(e.names[0].full, "María José OSORIO PEÑA");
    assert_eq!(e.names[0].kind, NameKind::Primary);
    assert_eq!(e.birth_dates[0].display(), "1980");
    assert_eq!(e.gender.as_deref(), Some("female"));
    assert_eq!(e.nationalities, vec!["NI"]);
}

#[test]
fn uk_fcdo_csv_fixture() {
    let (source, l) = parse_paths(
        Format::UkFcdoCsv,
        &[fixture("uk_sanctions_list_sample.csv")],
    )
    .unwrap();
    assert_eq!(source, Source::Uk);
    assert_eq!(l.published.as_deref(), Some("2026-08-20"));
    assert_eq!(l.stat("rows"), 6);
    assert_eq!(l.entities.len(), 2);
    let e = &l.entities[0];
    assert_eq!(e.id, "uk:RUS9901");
    assert_eq!(e.kind, EntityKind::Person);
    assert_eq!(e.names[0].full, "Arkady Semyonovich BELOTSERKOVSKY");
    assert_eq!(e.names[0].kind, NameKind::Primary);
    let weak: Vec<&str> = e
        .names
        .iter()
        .filter(|n| n.strength == Strength::Weak)
        .map(|n| n.full.as_str())
        .collect();
    assert_eq!(weak, vec!["Arkasha", "Arkady BELYI"]);
    assert!(
        e.names
            .iter()
            .any(|n| n.kind == NameKind::OriginalScript && n.full.starts_with("Аркадий"))
    );
    let dobs: Vec<String> = e.birth_dates.iter().map(|d| d.display()).collect();
    assert_eq!(dobs, vec!["1964-06-12", "1965", "1966-05"]);
    assert_eq!(e.nationalities, vec!["RU"]);
    assert_eq!(e.gender.as_deref(), Some("male"));
    assert_eq!(l.entities[1].kind, EntityKind::Vessel);
    assert_eq!(l.entities[1].names.len(), 2);

    // the same file through the lenient `uk-csv` format gives the same entities
    let (_, lenient) =
        parse_paths(Format::UkCsv, &[fixture("uk_sanctions_list_sample.csv")]).unwrap();
    assert_eq!(lenient.entities, l.entities);
    // `uk-fcdo-csv` refuses the legacy OFSI layout
    assert!(
        parse_paths(
            Format::UkFcdoCsv,
            &[common::data("uk/sample_ofsi_conlist.csv")]
        )
        .is_err()
    );
}

#[test]
fn format_names() {
    assert_eq!("uk-xml".parse::<Format>().unwrap(), Format::UkXml);
    assert_eq!("uk-fcdo-csv".parse::<Format>().unwrap(), Format::UkFcdoCsv);
    let err = "uk".parse::<Format>().unwrap_err().to_string();
    assert!(
        err.contains("uk-xml") && err.contains("uk-fcdo-csv"),
        "{err}"
    );
    // wrong file for the format: an error, not an empty list
    assert!(parse_paths(Format::UkXml, &[common::data("un/consolidated.xml")]).is_err());
    assert!(parse_paths(Format::UkXml, &[fixture("uk_sanctions_list_sample.csv")]).is_err());
}

#[test]
fn import_uk_xml_and_screen() {
    let dir = tmp_dir("uk-import");
    let mut out = Vec::new();
    let meta = lists_import(
        &ImportOptions {
            data_dir: dir.clone(),
            format: "uk-xml".parse().unwrap(),
            paths: vec![fixture("uk_sanctions_list_sample.xml")],
            key: None,
        },
        &mut out,
    )
    .unwrap();
    assert_eq!(meta.key, "uk");
    assert_eq!(meta.format, "uk-xml");
    assert_eq!(meta.entity_count, 6);
    assert_eq!(meta.published.as_deref(), Some("2026-08-20"));
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("imported uk (uk-xml): 6 entities"),
        "{text}"
    );

    let svc = ScreeningService::load(&dir).unwrap();
    let hit = |q: &Query| {
        svc.screen(q)
            .hits
            .into_iter()
            .find(|h| h.above_threshold)
            .map(|h| h.list_id)
    };
    // alias transliteration, reordered
    assert_eq!(
        hit(&Query::person("BELOTSERKOVSKIY Arkadiy")).as_deref(),
        Some("RUS9901")
    );
    // the Cyrillic original-script name
    assert_eq!(
        hit(&Query::person("Аркадий БЕЛОЦЕРКОВСКИЙ")).as_deref(),
        Some("RUS9901")
    );
    assert_eq!(
        hit(&Query::person("Khaled Al Haffar")).as_deref(),
        Some("SYR9902")
    );
    assert_eq!(hit(&Query::person("Jonathan Smithfield")), None);
    let _ = std::fs::remove_dir_all(&dir);
}

mod truncation {
    use super::fixture;
    use kycd_aml::parsers::{uk_csv, uk_xml};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Any prefix of the published layouts (an interrupted download) is an error or a
        /// smaller list, never a panic; the XML parser never accepts a cut inside a
        /// designation.
        #[test]
        fn truncated_fixtures_never_panic(frac in 0.0f64..1.0) {
            let xml = std::fs::read(fixture("uk_sanctions_list_sample.xml")).unwrap();
            let cut = (xml.len() as f64 * frac) as usize;
            let last_end = String::from_utf8_lossy(&xml).rfind("</Designation>").unwrap()
                + "</Designation>".len();
            if let Ok(l) = uk_xml::parse(&xml[..cut]) {
                prop_assert!(cut >= last_end || l.entities.len() < 6);
            }
            let csv = std::fs::read(fixture("uk_sanctions_list_sample.csv")).unwrap();
            let cut = (csv.len() as f64 * frac) as usize;
            let _ = uk_csv::parse_fcdo(&csv[..cut]);
        }

        /// Random bytes spliced into the XML fixture never panic.
        #[test]
        fn corrupted_xml_never_panics(pos in 0usize..12_000, junk in proptest::collection::vec(any::<u8>(), 1..16)) {
            let mut xml = std::fs::read(fixture("uk_sanctions_list_sample.xml")).unwrap();
            let pos = pos.min(xml.len());
            xml.splice(pos..pos, junk);
            let _ = uk_xml::parse(xml.as_slice());
        }
    }
}
