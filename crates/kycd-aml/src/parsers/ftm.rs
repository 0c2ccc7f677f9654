//! OpenSanctions FollowTheMoney JSON lines (`entities.ftm.json`, `targets.nested.json`).
//! Also the import path for PEP datasets: `topics` `role.pep` / `role.rca` become
//! [`Topic::Pep`] / [`Topic::Rca`].

use std::collections::HashMap;
use std::io::BufRead;

use serde::Deserialize;

use crate::country::to_alpha2;
use crate::dates::parse_date;
use crate::error::AmlError;
use crate::model::{Entity, EntityKind, NameKind, NameRecord, ParsedList, Source, Strength, Topic};

#[derive(Deserialize)]
struct Line {
    id: String,
    #[serde(default)]
    caption: Option<String>,
    schema: String,
    #[serde(default)]
    properties: HashMap<String, serde_json::Value>,
    #[serde(default)]
    datasets: Vec<String>,
    #[serde(default)]
    last_change: Option<String>,
    #[serde(default)]
    first_seen: Option<String>,
}

fn strings(props: &HashMap<String, serde_json::Value>, key: &str) -> Vec<String> {
    match props.get(key) {
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// Parse FtM JSON lines. Lines that are not screenable subjects (Sanction, Address, ...) are
/// skipped and counted under `skipped_schema`.
pub fn parse<R: BufRead>(r: R) -> Result<ParsedList, AmlError> {
    let mut out = ParsedList::default();
    for (no, line) in r.lines().enumerate() {
        let line = line.map_err(|e| AmlError::parse("FtM JSON", e))?;
        if line.trim().is_empty() {
            continue;
        }
        let l: Line = serde_json::from_str(&line)
            .map_err(|e| AmlError::parse("FtM JSON", format!("line {}: {e}", no + 1)))?;
        let kind = match l.schema.as_str() {
            "Person" => EntityKind::Person,
            "Organization" | "Company" | "LegalEntity" | "PublicBody" => EntityKind::Organization,
            "Vessel" => EntityKind::Vessel,
            "Airplane" => EntityKind::Aircraft,
            _ => {
                out.bump("skipped_schema", 1);
                continue;
            }
        };
        let p = &l.properties;
        let mut e = Entity::new(Source::OpenSanctions, l.id.clone(), kind);
        let firsts = strings(p, "firstName");
        let lasts = strings(p, "lastName");
        if let Some(c) = &l.caption {
            let mut rec = NameRecord::new(c.clone(), NameKind::Primary);
            if let (Some(f), Some(la)) = (firsts.first(), lasts.first())
                && c.contains(f.as_str())
                && c.contains(la.as_str())
            {
                rec.given = Some(f.clone());
                rec.family = Some(la.clone());
            }
            e.push_name(rec);
        }
        for n in strings(p, "name") {
            let kind = if n.is_ascii() {
                NameKind::Aka
            } else {
                NameKind::OriginalScript
            };
            e.push_name(NameRecord::new(n, kind));
        }
        for n in strings(p, "alias") {
            e.push_name(NameRecord::new(n, NameKind::Aka));
        }
        for n in strings(p, "previousName") {
            e.push_name(NameRecord::new(n, NameKind::Fka));
        }
        for n in strings(p, "weakAlias") {
            e.push_name(NameRecord {
                full: n,
                kind: NameKind::Aka,
                strength: Strength::Weak,
                ..Default::default()
            });
        }
        for d in strings(p, "birthDate") {
            if let Some(d) = parse_date(&d) {
                e.push_birth_date(d);
            }
        }
        for c in strings(p, "nationality")
            .into_iter()
            .chain(strings(p, "citizenship"))
        {
            if let Some(c) = to_alpha2(&c) {
                e.push_nationality(c);
            }
        }
        e.gender = strings(p, "gender").into_iter().next();
        let topics = strings(p, "topics");
        e.topic = if topics
            .iter()
            .any(|t| t == "sanction" || t.starts_with("sanction."))
        {
            Topic::Sanction
        } else if topics.iter().any(|t| t == "role.pep") {
            Topic::Pep
        } else if topics.iter().any(|t| t == "role.rca") {
            Topic::Rca
        } else {
            Topic::Other
        };
        for d in &l.datasets {
            e.push_program(d);
        }
        for pr in strings(p, "program") {
            e.push_program(&pr);
        }
        let mut remarks: Vec<String> = strings(p, "position");
        remarks.extend(strings(p, "notes"));
        e.remarks = (!remarks.is_empty()).then(|| remarks.join("; "));
        e.last_update = l
            .last_change
            .as_deref()
            .map(|d| d.chars().take(10).collect());
        e.listed_on = l
            .first_seen
            .as_deref()
            .map(|d| d.chars().take(10).collect());
        out.push_named(e);
    }
    out.non_empty("FtM JSON")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_person_and_pep() {
        let doc = r#"{"id":"NK-1","caption":"Vitaly KUZMENKO","schema":"Person","properties":{"name":["Виталий КУЗЬМЕНКО"],"firstName":["Vitaly"],"lastName":["KUZMENKO"],"birthDate":["1971-01-22"],"nationality":["ru"],"topics":["sanction"]},"datasets":["eu_fsf"]}
{"id":"Q1","caption":"Jane Doe","schema":"Person","properties":{"topics":["role.pep"],"position":["Minister"]},"datasets":["peps"]}
{"id":"s1","schema":"Sanction","properties":{}}
"#;
        let l = parse(doc.as_bytes()).unwrap();
        assert_eq!(l.entities.len(), 2);
        assert_eq!(l.entities[0].names[0].family.as_deref(), Some("KUZMENKO"));
        assert_eq!(l.entities[0].names[1].kind, NameKind::OriginalScript);
        assert_eq!(l.entities[0].nationalities, vec!["RU"]);
        assert_eq!(l.entities[1].topic, Topic::Pep);
        assert_eq!(l.entities[1].remarks.as_deref(), Some("Minister"));
        assert_eq!(l.stat("skipped_schema"), 1);
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,120}") {
            let _ = parse(s.as_bytes());
        }
    }
}
