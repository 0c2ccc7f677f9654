//! Exact entry counts for every file in shared/data/sanctions, against the README's figures.

use crate::common;

use common::parse;
use kycd_aml::parsers::Format;
use kycd_aml::{EntityKind, NameKind, Source, Strength};

#[test]
fn ofac_sdn_2024_csv() {
    let l = parse(Format::OfacCsv, &["ofac_sdn_2024/sdn.csv"]);
    assert_eq!(l.entities.len(), 14_965);
    assert_eq!(l.count_kind(EntityKind::Person), 6_854);
    assert_eq!(l.count_kind(EntityKind::Organization), 6_884);
    assert_eq!(l.count_kind(EntityKind::Vessel), 851);
    assert_eq!(l.count_kind(EntityKind::Aircraft), 376);
    assert_eq!(l.stat("remarks_dob"), 6_736);
    assert_eq!(l.stat("remarks_nationality"), 4_704);
    assert!(l.entities.iter().all(|e| e.source == Source::OfacSdn));
    let with_dob = l
        .entities
        .iter()
        .filter(|e| !e.birth_dates.is_empty())
        .count();
    assert!(with_dob >= 6_700, "{with_dob} entities with a parsed DOB");
    let with_nat = l
        .entities
        .iter()
        .filter(|e| !e.nationalities.is_empty())
        .count();
    assert!(
        with_nat >= 4_600,
        "{with_nat} entities with a mapped nationality"
    );
}

#[test]
fn ofac_sdn_2021_trio() {
    let l = parse(
        Format::OfacCsv,
        &[
            "ofac_sdn_2021/sdn.csv",
            "ofac_sdn_2021/alt.csv",
            "ofac_sdn_2021/add.csv",
            "ofac_sdn_2021/sdn_comments.csv",
        ],
    );
    assert_eq!(l.entities.len(), 8_976);
    assert_eq!(l.stat("aliases"), 11_910);
    assert_eq!(l.stat("addresses"), 13_837);
    assert_eq!(l.stat("comments"), 5);
    assert_eq!(l.stat("orphans"), 0);
    let with_alias = l
        .entities
        .iter()
        .filter(|e| e.names.iter().any(|n| n.kind != NameKind::Primary))
        .count();
    assert!(with_alias >= 4_139, "{with_alias}");
}

#[test]
fn ofac_consolidated_xml() {
    let l = parse(Format::OfacXml, &["ofac_consolidated/CONSOLIDATED.XML"]);
    assert_eq!(l.entities.len(), 442);
    assert_eq!(l.count_kind(EntityKind::Organization), 363);
    assert_eq!(l.count_kind(EntityKind::Person), 79);
    assert_eq!(l.stat("akas"), 1_144);
    assert_eq!(l.published.as_deref(), Some("2026-01-08"));
    assert!(
        l.entities
            .iter()
            .all(|e| e.source == Source::OfacConsolidated)
    );
}

#[test]
fn un_consolidated_xml() {
    let l = parse(Format::UnXml, &["un/consolidated.xml"]);
    assert_eq!(l.entities.len(), 1_003);
    assert_eq!(l.count_kind(EntityKind::Person), 730);
    assert_eq!(l.count_kind(EntityKind::Organization), 273);
    assert_eq!(l.stat("alias_elements"), 3_043);
    assert_eq!(l.stat("alias_good"), 1_524);
    assert_eq!(l.stat("alias_low"), 615);
    let orig = l
        .entities
        .iter()
        .filter(|e| {
            e.kind == EntityKind::Person
                && e.names.iter().any(|n| n.kind == NameKind::OriginalScript)
        })
        .count();
    assert_eq!(orig, 336);
    assert_eq!(l.published.as_deref(), Some("2026-02-27"));
    let weak = l
        .entities
        .iter()
        .flat_map(|e| &e.names)
        .filter(|n| n.strength == Strength::Weak)
        .count();
    assert!(weak > 500, "{weak}");
    let with_nat = l
        .entities
        .iter()
        .filter(|e| !e.nationalities.is_empty())
        .count();
    assert!(with_nat >= 590, "{with_nat}");
}

#[test]
fn eu_fsf_sample_xml() {
    let l = parse(Format::EuXml, &["eu/sample_fsf_1_1.xml"]);
    assert_eq!(l.entities.len(), 7);
    assert_eq!(l.published.as_deref(), Some("2020-04-15"));
}

#[test]
fn eu_derived_aggregate() {
    let l = parse(Format::EuAggregateJson, &["eu/pakote_all_2026-01-28.json"]);
    assert_eq!(l.entities.len(), 5_795);
    assert_eq!(l.count_kind(EntityKind::Person), 4_302);
    assert_eq!(l.count_kind(EntityKind::Organization), 1_493);
    assert_eq!(l.stat("aliases"), 23_786);
    assert_eq!(l.stat("with_birthdates"), 3_275);
}

#[test]
fn uk_ofsi_sample_csv() {
    let l = parse(Format::UkCsv, &["uk/sample_ofsi_conlist.csv"]);
    assert_eq!(l.stat("rows"), 23);
    assert_eq!(l.entities.len(), 6);
    assert_eq!(l.published.as_deref(), Some("2020-04-27"));
}

#[test]
fn opensanctions_ftm_sample() {
    let l = parse(Format::Ftm, &["opensanctions/sample_entities.ftm.json"]);
    assert_eq!(l.entities.len(), 6);
    assert_eq!(l.stat("skipped_schema"), 1);
    assert_eq!(l.count_kind(EntityKind::Person), 4);
}
