//! UK sanctions list CSV: the legacy OFSI ConList (`Last Updated` line, header, one row per
//! name/alias grouped by `Group ID`) and the FCDO UK Sanctions List CSV (grouped by
//! `Unique ID`, `Name type`, `Alias strength`...). Columns are found by header name.

use std::collections::HashMap;
use std::io::Read;

use super::ofac_csv::field;
use crate::country::to_alpha2;
use crate::dates::parse_date;
use crate::error::AmlError;
use crate::model::{Entity, EntityKind, NameKind, NameRecord, ParsedList, Source, Strength};

fn key(h: &str) -> String {
    h.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

struct Cols(HashMap<String, usize>);

impl Cols {
    fn get<'a>(&self, rec: &'a [String], names: &[&str]) -> &'a str {
        names
            .iter()
            .find_map(|n| self.0.get(&key(n)).and_then(|&i| rec.get(i)))
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// Split `(1) Syria (2) Iraq` / `Syria, Iraq` into items.
fn split_multi(s: &str) -> Vec<String> {
    let mut cleaned = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '(' {
            let mut inner = String::new();
            while let Some(&n) = chars.peek() {
                chars.next();
                if n == ')' {
                    break;
                }
                inner.push(n);
            }
            if inner.chars().all(|c| c.is_ascii_digit()) {
                cleaned.push('|');
            } else {
                cleaned.push('(');
                cleaned.push_str(&inner);
                cleaned.push(')');
            }
        } else {
            cleaned.push(c);
        }
    }
    cleaned
        .split(['|', ';'])
        .map(|p| p.trim().trim_end_matches(',').trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Parse an OFSI ConList or FCDO UK Sanctions List CSV.
pub fn parse<R: Read>(r: R) -> Result<ParsedList, AmlError> {
    parse_inner(r, false)
}

/// Parse an FCDO UK Sanctions List CSV (`UK-Sanctions-List.csv`: a `Report Date` line, then a
/// header with `Unique ID`, `Name 1`…`Name 6`, `Name type`, `Alias strength`, `D.O.B`,
/// `Nationality(/ies)`, `Designation Type`…, one row per name). Rejects other layouts.
pub fn parse_fcdo<R: Read>(r: R) -> Result<ParsedList, AmlError> {
    parse_inner(r, true)
}

fn parse_inner<R: Read>(r: R, require_fcdo: bool) -> Result<ParsedList, AmlError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(r);
    let mut out = ParsedList::default();
    let mut cols: Option<Cols> = None;
    let mut by_group: HashMap<String, usize> = HashMap::new();
    for rec in rdr.byte_records() {
        let rec = rec.map_err(|e| AmlError::parse("UK CSV", e))?;
        let row: Vec<String> = rec.iter().map(field).collect();
        let Some(c) = cols.as_ref() else {
            let first = row.first().map(String::as_str).unwrap_or("");
            let header = row.iter().any(|h| key(h) == "name6");
            if !header
                && (first.eq_ignore_ascii_case("Last Updated") || first.starts_with("Report Date"))
            {
                // `Last Updated,27/04/2020` or `Report Date: 28/01/2026` / `Report Date,…`
                let v = match first.split_once(':') {
                    Some((_, v)) if !v.trim().is_empty() => v.trim().to_string(),
                    _ => row.get(1).cloned().unwrap_or_default(),
                };
                if !v.is_empty() {
                    out.published = parse_date(&v).map(|d| d.display()).or(Some(v));
                }
            }
            if header {
                let map: HashMap<String, usize> =
                    row.iter().enumerate().map(|(i, h)| (key(h), i)).collect();
                if require_fcdo && !map.contains_key("uniqueid") {
                    return Err(AmlError::parse(
                        "UK FCDO CSV",
                        "header has no `Unique ID` column: not the FCDO UK Sanctions List layout",
                    ));
                }
                cols = Some(Cols(map));
            }
            continue;
        };
        let group = c
            .get(&row, &["Group ID", "Unique ID", "OFSI Group ID"])
            .to_string();
        if group.is_empty() {
            continue;
        }
        out.bump("rows", 1);
        let idx = *by_group.entry(group.clone()).or_insert_with(|| {
            let kind = match c
                .get(&row, &["Group Type", "Designation Type"])
                .to_ascii_lowercase()
                .as_str()
            {
                "individual" => EntityKind::Person,
                "ship" | "vessel" => EntityKind::Vessel,
                "entity" => EntityKind::Organization,
                _ => EntityKind::Unknown,
            };
            let mut e = Entity::new(Source::Uk, group.clone(), kind);
            e.push_program(c.get(&row, &["Regime", "Regime Name"]));
            let listed = c.get(&row, &["Listed On", "Date Designated"]);
            e.listed_on = parse_date(listed).map(|d| d.display());
            let upd = c.get(&row, &["Last Updated"]);
            e.last_update = parse_date(upd).map(|d| d.display());
            let info = c.get(&row, &["Other Information", "Position"]);
            e.remarks = (!info.is_empty()).then(|| info.to_string());
            out.entities.push(e);
            out.entities.len() - 1
        });
        let e = &mut out.entities[idx];
        let family = c.get(&row, &["Name 6"]).to_string();
        let given: Vec<&str> = ["Name 1", "Name 2", "Name 3", "Name 4", "Name 5"]
            .iter()
            .map(|n| c.get(&row, &[n]))
            .filter(|s| !s.is_empty())
            .collect();
        let given = given.join(" ");
        let full = [given.as_str(), family.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        let alias_type = c
            .get(&row, &["Alias Type", "Name type"])
            .to_ascii_lowercase();
        let quality = c
            .get(&row, &["Alias Quality", "Alias strength"])
            .to_ascii_lowercase();
        let kind = if alias_type.starts_with("prime") || alias_type == "primary name" {
            NameKind::Primary
        } else if alias_type.contains("former") || alias_type == "fka" {
            NameKind::Fka
        } else {
            NameKind::Aka
        };
        let strength = if quality.contains("low") || quality.contains("weak") {
            Strength::Weak
        } else if quality.is_empty()
            && kind == NameKind::Aka
            && e.kind == EntityKind::Person
            && !full.is_empty()
            && !full.contains(char::is_whitespace)
        {
            // a one-word alias of a person with no stated quality (a bare given name or
            // nickname) only counts on literal matches
            Strength::Weak
        } else {
            Strength::Strong
        };
        if e.gender.is_none() {
            e.gender = match c
                .get(&row, &["Gender"])
                .trim()
                .to_ascii_lowercase()
                .as_str()
            {
                "male" | "m" => Some("male".into()),
                "female" | "f" => Some("female".into()),
                _ => None,
            };
        }
        if !full.is_empty() {
            let rec = NameRecord {
                full,
                given: (!given.is_empty() && !family.is_empty()).then_some(given),
                family: (!family.is_empty()).then_some(family),
                kind,
                strength,
            };
            if kind == NameKind::Primary && !e.names.iter().any(|n| n.kind == NameKind::Primary) {
                e.names.insert(0, rec);
            } else {
                e.push_name(rec);
            }
        }
        let nl = c.get(&row, &["Name Non-Latin Script", "Name non-latin script"]);
        if !nl.is_empty() {
            e.push_name(NameRecord::new(nl, NameKind::OriginalScript));
        }
        for d in split_multi(c.get(&row, &["DOB", "D.O.B"])) {
            if let Some(d) = parse_date(&d) {
                e.push_birth_date(d);
            }
        }
        for n in split_multi(c.get(&row, &["Nationality", "Nationality(/ies)"])) {
            if let Some(code) = to_alpha2(&n) {
                e.push_nationality(code);
            }
        }
    }
    if require_fcdo && cols.is_none() {
        return Err(AmlError::parse("UK FCDO CSV", "no header row found"));
    }
    out.non_empty("UK CSV")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const OFSI: &str = "Last Updated,27/04/2020,,\nName 6,Name 1,Name 2,Name 3,Name 4,Name 5,Title,Name Non-Latin Script,DOB,Nationality,Group Type,Alias Type,Alias Quality,Regime,Listed On,Last Updated,Group ID\n\
HOJATI,Mohsen,,,,,,محسن حجتی,28/09/1955,(1) Iran (2) Iraq,Individual,Prime Alias,,Iran,24/03/2007,27/06/2017,9053\n\
HOJATY,Mohsen,,,,,,,00/00/1955,,Individual,AKA,Low,Iran,24/03/2007,27/06/2017,9053\n";

    const FCDO: &str = "Report Date: 01-Jan-2026\nLast Updated,Unique ID,OFSI Group ID,Name 6,Name 1,Name 2,Name 3,Name 4,Name 5,Name type,Alias strength,Name non-latin script,Designation Type,D.O.B,Nationality(/ies),Regime Name,Date Designated\n\
01/01/2026,RUS0001,123,PUTIN,Vladimir,Vladimirovich,,,,Primary name,,Владимир Путин,Individual,07/10/1952,Russia,Russia,25/02/2022\n\
01/01/2026,RUS0001,123,POUTINE,Vladimir,,,,,Alias,weak,,Individual,,,Russia,25/02/2022\n";

    #[test]
    fn ofsi() {
        let l = parse(OFSI.as_bytes()).unwrap();
        assert_eq!(l.published.as_deref(), Some("2020-04-27"));
        assert_eq!(l.entities.len(), 1);
        let e = &l.entities[0];
        assert_eq!(e.id, "uk:9053");
        assert_eq!(e.names[0].full, "Mohsen HOJATI");
        assert_eq!(e.names.len(), 3);
        assert_eq!(e.names[2].strength, Strength::Weak);
        assert_eq!(e.nationalities, vec!["IR", "IQ"]);
        assert_eq!(e.birth_dates.len(), 2);
    }

    #[test]
    fn fcdo() {
        let l = parse(FCDO.as_bytes()).unwrap();
        let e = &l.entities[0];
        assert_eq!(e.id, "uk:RUS0001");
        assert_eq!(e.names[0].full, "Vladimir Vladimirovich PUTIN");
        assert_eq!(e.nationalities, vec!["RU"]);
        assert!(
            e.names
                .iter()
                .any(|n| n.full == "Vladimir POUTINE" && n.strength == Strength::Weak)
        );
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(s in "[ -~\n]{0,200}") {
            let _ = parse(s.as_bytes());
            let _ = parse(format!("Name 6,Group ID\n{s}").as_bytes());
        }
    }
}
