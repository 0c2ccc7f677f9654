//! Shared helpers for the integration tests (paths into shared/data, list loading).
#![allow(dead_code)]

use std::path::PathBuf;

use kycd_aml::parsers::{Format, parse_paths};
use kycd_aml::{Entity, ParsedList};

pub fn data(rel: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/sanctions/"
    ))
    .join(rel)
}

pub fn parse(format: Format, rels: &[&str]) -> ParsedList {
    let paths: Vec<PathBuf> = rels.iter().map(|r| data(r)).collect();
    parse_paths(format, &paths)
        .unwrap_or_else(|e| panic!("{rels:?}: {e}"))
        .1
}

pub fn un() -> Vec<Entity> {
    parse(Format::UnXml, &["un/consolidated.xml"]).entities
}

/// OFAC 2024 SDN + UN + EU (derived aggregate), the negatives gate configuration.
pub fn ofac_un_eu() -> Vec<Entity> {
    let mut v = parse(Format::OfacCsv, &["ofac_sdn_2024/sdn.csv"]).entities;
    v.extend(un());
    v.extend(parse(Format::EuAggregateJson, &["eu/pakote_all_2026-01-28.json"]).entities);
    v
}

/// Every placed list.
pub fn all_lists() -> Vec<Entity> {
    let mut v = ofac_un_eu();
    v.extend(
        parse(
            Format::OfacCsv,
            &[
                "ofac_sdn_2021/sdn.csv",
                "ofac_sdn_2021/alt.csv",
                "ofac_sdn_2021/add.csv",
                "ofac_sdn_2021/sdn_comments.csv",
            ],
        )
        .entities,
    );
    v.extend(parse(Format::OfacXml, &["ofac_consolidated/CONSOLIDATED.XML"]).entities);
    v.extend(parse(Format::EuXml, &["eu/sample_fsf_1_1.xml"]).entities);
    v.extend(parse(Format::UkCsv, &["uk/sample_ofsi_conlist.csv"]).entities);
    v.extend(parse(Format::Ftm, &["opensanctions/sample_entities.ftm.json"]).entities);
    v
}
