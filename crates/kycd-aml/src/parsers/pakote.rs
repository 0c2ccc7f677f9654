//! The derived aggregate JSON in `shared/data/sanctions/eu/pakote_all_*.json`
//! (`{metadata, entities:[{name, type, aliases, birthdates, identifiers, source, source_id}]}`).
//! It is *not* an official format; it stands in for the full EU FSF XML, which could not be
//! obtained. Lossy: no nationality, no programmes.

use std::io::Read;

use serde::Deserialize;

use crate::dates::parse_date;
use crate::error::AmlError;
use crate::model::{Entity, EntityKind, NameKind, NameRecord, ParsedList, Source};

#[derive(Deserialize)]
struct Doc {
    #[serde(default)]
    metadata: Option<Meta>,
    entities: Vec<Row>,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    generated: Option<String>,
}

#[derive(Deserialize)]
struct Row {
    name: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    birthdates: Vec<String>,
    #[serde(default)]
    source: Vec<String>,
    #[serde(default)]
    source_id: serde_json::Value,
}

/// Parse the aggregate, keeping rows whose `source` contains `only` (e.g. `EU`), all when `None`.
pub fn parse<R: Read>(r: R, only: Option<&str>) -> Result<ParsedList, AmlError> {
    let doc: Doc = serde_json::from_reader(r).map_err(|e| AmlError::parse("aggregate JSON", e))?;
    let mut out = ParsedList {
        published: doc
            .metadata
            .and_then(|m| m.generated)
            .map(|g| g.chars().take(10).collect()),
        ..Default::default()
    };
    for row in doc.entities {
        if let Some(f) = only
            && !row.source.iter().any(|s| s.eq_ignore_ascii_case(f))
        {
            continue;
        }
        let id = match &row.source_id {
            serde_json::Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        let kind = match row.kind.as_str() {
            "individual" | "person" => EntityKind::Person,
            "entity" | "enterprise" | "organization" => EntityKind::Organization,
            "vessel" => EntityKind::Vessel,
            _ => EntityKind::Unknown,
        };
        let source = if only.is_some_and(|o| o.eq_ignore_ascii_case("EU")) {
            Source::EuFsf
        } else {
            Source::OpenSanctions
        };
        let mut e = Entity::new(source, id, kind);
        e.push_name(NameRecord::new(row.name, NameKind::Primary));
        out.bump("aliases", row.aliases.len());
        for a in row.aliases {
            let k = if a.is_ascii() {
                NameKind::Aka
            } else {
                NameKind::OriginalScript
            };
            e.push_name(NameRecord::new(a, k));
        }
        for b in &row.birthdates {
            if let Some(d) = parse_date(b) {
                e.push_birth_date(d);
            }
        }
        if !row.birthdates.is_empty() {
            out.bump("with_birthdates", 1);
        }
        e.programs = row
            .source
            .iter()
            .map(|s| format!("{s} (derived aggregate)"))
            .collect();
        out.push_named(e);
    }
    out.non_empty("aggregate JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_by_source() {
        let doc = r#"{"metadata":{"generated":"2026-01-28T06:31:48Z"},"entities":[
{"name":"A B","type":"individual","aliases":["C D"],"birthdates":["1960-01-02"],"identifiers":[],"source":["EU","UN"],"source_id":"13"},
{"name":"X Y","type":"entity","aliases":[],"birthdates":[],"identifiers":[],"source":["OFAC"],"source_id":7}]}"#;
        let l = parse(doc.as_bytes(), Some("EU")).unwrap();
        assert_eq!(l.entities.len(), 1);
        assert_eq!(l.entities[0].id, "eu:13");
        assert_eq!(l.published.as_deref(), Some("2026-01-28"));
        let all = parse(doc.as_bytes(), None).unwrap();
        assert_eq!(all.entities[1].list_id, "7");
        assert!(parse("{".as_bytes(), None).is_err());
    }
}
