//! OFAC legacy CSV trio: `sdn.csv` (+ `alt.csv`, `add.csv`, `sdn_comments.csv`). No header,
//! `-0-` means null, trailing `0x1A` record. DOB, nationality, citizenship, gender and
//! some akas live only in the free-text `Remarks` column.

use std::collections::HashMap;
use std::io::Read;

use crate::country::to_alpha2;
use crate::dates::parse_date_expr;
use crate::error::AmlError;
use crate::model::{Entity, EntityKind, NameKind, NameRecord, ParsedList, Source};

/// Decode a CSV field: UTF-8 when valid, Latin-1 otherwise; `-0-` → empty.
pub(crate) fn field(raw: &[u8]) -> String {
    let s = match std::str::from_utf8(raw) {
        Ok(s) => s.to_string(),
        Err(_) => raw.iter().map(|&b| b as char).collect(),
    };
    let t = s.trim();
    if t == "-0-" {
        String::new()
    } else {
        t.to_string()
    }
}

fn reader<R: Read>(r: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(r)
}

/// Split OFAC `LAST, First Middle` into (given, family) for individuals.
pub(crate) fn split_last_first(name: &str) -> (Option<String>, Option<String>) {
    match name.split_once(", ") {
        Some((last, first)) if !first.trim().is_empty() => (
            Some(first.trim().to_string()),
            Some(last.trim().to_string()),
        ),
        _ => (None, None),
    }
}

fn person_name(name: &str, kind: NameKind, is_person: bool) -> NameRecord {
    if is_person && let (Some(g), Some(f)) = split_last_first(name) {
        return NameRecord {
            full: format!("{g} {f}"),
            given: Some(g),
            family: Some(f),
            kind,
            ..Default::default()
        };
    }
    NameRecord::new(name, kind)
}

/// Parse the `Remarks` free text into the entity. Returns (had_dob, had_nationality).
pub(crate) fn apply_remarks(e: &mut Entity, remarks: &str) -> (bool, bool) {
    let (mut dob, mut nat) = (false, false);
    for seg in remarks.split(';') {
        let seg = seg.trim().trim_end_matches('.');
        let seg = seg.strip_prefix("alt. ").unwrap_or(seg);
        if let Some(v) = seg.strip_prefix("DOB ") {
            if let Some(d) = parse_date_expr(v) {
                e.push_birth_date(d);
            }
            dob = true;
        } else if let Some(v) = seg
            .strip_prefix("nationality ")
            .or_else(|| seg.strip_prefix("citizen "))
        {
            if seg.starts_with("nationality ") {
                nat = true;
            }
            let v = v
                .trim_start_matches("possibly ")
                .trim_start_matches("Region: ");
            if let Some(c) = to_alpha2(v) {
                e.push_nationality(c);
            }
        } else if let Some(v) = seg.strip_prefix("Gender ") {
            e.gender = Some(v.trim().to_ascii_lowercase());
        }
    }
    for (marker, kind) in [
        ("a.k.a. '", NameKind::Aka),
        ("f.k.a. '", NameKind::Fka),
        ("n.k.a. '", NameKind::Nka),
    ] {
        let mut rest = remarks;
        while let Some(pos) = rest.find(marker) {
            rest = &rest[pos + marker.len()..];
            let end = closing_quote(rest);
            let name = &rest[..end];
            if !name.trim().is_empty() {
                let is_person = e.kind == EntityKind::Person;
                e.push_name(person_name(name.trim(), kind, is_person));
            }
            rest = &rest[end..];
        }
    }
    (dob, nat)
}

/// Index of the quote closing an alias: a `'` followed by `;`, `.`, `,`, `)` or end.
fn closing_quote(s: &str) -> usize {
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'\'' && matches!(b.get(i + 1), None | Some(b';' | b'.' | b',' | b')' | b' ')) {
            return i;
        }
    }
    s.len()
}

/// Which file of the trio a path is, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfacCsvPart {
    /// `sdn.csv` / `cons_prim.csv`.
    Sdn,
    /// `alt.csv`.
    Alt,
    /// `add.csv`.
    Add,
    /// `sdn_comments.csv`.
    Comments,
}

impl OfacCsvPart {
    /// Guess from a file name.
    pub fn from_file_name(name: &str) -> Self {
        let l = name.to_ascii_lowercase();
        if l.contains("comment") {
            OfacCsvPart::Comments
        } else if l.contains("alt") {
            OfacCsvPart::Alt
        } else if l.contains("add") {
            OfacCsvPart::Add
        } else {
            OfacCsvPart::Sdn
        }
    }
}

/// Parse the trio. `parts` are (part, reader) pairs; `sdn` is required.
pub fn parse<R: Read>(
    source: Source,
    parts: Vec<(OfacCsvPart, R)>,
) -> Result<ParsedList, AmlError> {
    let mut out = ParsedList::default();
    let mut by_num: HashMap<String, usize> = HashMap::new();
    let mut rest = Vec::new();
    for (part, r) in parts {
        if part == OfacCsvPart::Sdn {
            parse_sdn(source, r, &mut out, &mut by_num)?;
        } else {
            rest.push((part, r));
        }
    }
    if out.entities.is_empty() {
        return Err(AmlError::Empty("OFAC sdn.csv".into()));
    }
    for (part, r) in rest {
        let mut rdr = reader(r);
        for rec in rdr.byte_records() {
            let rec = rec.map_err(|e| AmlError::parse("OFAC csv", e))?;
            let num = field(rec.get(0).unwrap_or_default());
            if num.parse::<u64>().is_err() {
                continue; // trailing 0x1A record or blank line
            }
            let Some(&idx) = by_num.get(&num) else {
                out.bump("orphans", 1);
                continue;
            };
            match part {
                OfacCsvPart::Alt => {
                    let kind = match field(rec.get(2).unwrap_or_default())
                        .to_ascii_lowercase()
                        .as_str()
                    {
                        "fka" => NameKind::Fka,
                        "nka" => NameKind::Nka,
                        _ => NameKind::Aka,
                    };
                    let name = field(rec.get(3).unwrap_or_default());
                    let e = &mut out.entities[idx];
                    let is_person = e.kind == EntityKind::Person;
                    e.push_name(person_name(&name, kind, is_person));
                    out.bump("aliases", 1);
                }
                OfacCsvPart::Add => {
                    let country = field(rec.get(4).unwrap_or_default());
                    let _ = to_alpha2(&country); // addresses are counted, not matched on
                    out.bump("addresses", 1);
                }
                OfacCsvPart::Comments => {
                    let ext = field(rec.get(1).unwrap_or_default());
                    let e = &mut out.entities[idx];
                    apply_remarks(e, &ext);
                    let r = e.remarks.get_or_insert_with(String::new);
                    r.push_str(&ext);
                    out.bump("comments", 1);
                }
                OfacCsvPart::Sdn => {}
            }
        }
    }
    Ok(out)
}

fn parse_sdn<R: Read>(
    source: Source,
    r: R,
    out: &mut ParsedList,
    by_num: &mut HashMap<String, usize>,
) -> Result<(), AmlError> {
    let mut rdr = reader(r);
    for rec in rdr.byte_records() {
        let rec = rec.map_err(|e| AmlError::parse("OFAC sdn.csv", e))?;
        let num = field(rec.get(0).unwrap_or_default());
        if num.parse::<u64>().is_err() {
            continue;
        }
        let name = field(rec.get(1).unwrap_or_default());
        let kind = match field(rec.get(2).unwrap_or_default())
            .to_ascii_lowercase()
            .as_str()
        {
            "individual" => EntityKind::Person,
            "vessel" => EntityKind::Vessel,
            "aircraft" => EntityKind::Aircraft,
            _ => EntityKind::Organization,
        };
        let mut e = Entity::new(source, num.clone(), kind);
        e.push_name(person_name(
            &name,
            NameKind::Primary,
            kind == EntityKind::Person,
        ));
        for p in field(rec.get(3).unwrap_or_default()).split("] [") {
            e.push_program(p.trim_matches(['[', ']']));
        }
        let remarks = field(rec.get(11).unwrap_or_default());
        if !remarks.is_empty() {
            let (dob, nat) = apply_remarks(&mut e, &remarks);
            out.bump("remarks_dob", dob as usize);
            out.bump("remarks_nationality", nat as usize);
            e.remarks = Some(remarks);
        }
        let title = field(rec.get(4).unwrap_or_default());
        if !title.is_empty() && e.remarks.is_none() {
            e.remarks = Some(title);
        }
        if by_num.insert(num, out.entities.len()).is_some() {
            out.bump("duplicate_ids", 1);
        }
        out.entities.push(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SDN: &str = "2674,\"ABBAS, Abu\",\"individual\",\"SDGT] [IRGC\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB 10 Dec 1948; alt. DOB circa 1950; nationality Iran; Gender Male; a.k.a. 'ABU ABBAS'.\"\r\n306,\"BANCO NACIONAL DE CUBA\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"a.k.a. 'BNC'.\"\r\n\x1a";
    const ALT: &str =
        "2674,1,\"fka\",\"AL-ABBAS, Muhammad\",-0- \r\n9999,2,\"aka\",\"ORPHAN\",-0- \r\n";

    #[test]
    fn parses_trio_and_remarks() {
        let parts = vec![
            (OfacCsvPart::Sdn, SDN.as_bytes()),
            (OfacCsvPart::Alt, ALT.as_bytes()),
        ];
        let l = parse(Source::OfacSdn, parts).unwrap();
        assert_eq!(l.entities.len(), 2);
        let a = &l.entities[0];
        assert_eq!(a.kind, EntityKind::Person);
        assert_eq!(a.names[0].full, "Abu ABBAS");
        assert_eq!(a.names[0].family.as_deref(), Some("ABBAS"));
        assert_eq!(a.programs, vec!["SDGT", "IRGC"]);
        assert_eq!(a.birth_dates.len(), 2);
        assert_eq!(a.nationalities, vec!["IR"]);
        assert_eq!(a.gender.as_deref(), Some("male"));
        assert!(
            a.names
                .iter()
                .any(|n| n.full == "ABU ABBAS" && n.kind == NameKind::Aka)
        );
        assert!(
            a.names
                .iter()
                .any(|n| n.full == "Muhammad AL-ABBAS" && n.kind == NameKind::Fka)
        );
        assert_eq!(l.entities[1].names[1].full, "BNC");
        assert_eq!(l.stat("orphans"), 1);
        assert_eq!(l.stat("remarks_dob"), 1);
    }

    proptest! {
        #[test]
        fn arbitrary_remarks_never_panic(s in "\\PC{0,80}") {
            let mut e = Entity::new(Source::OfacSdn, "1", EntityKind::Person);
            let _ = apply_remarks(&mut e, &s);
        }

        #[test]
        fn arbitrary_csv_never_panics(s in "[ -~\r\n]{0,200}") {
            let _ = parse(Source::OfacSdn, vec![(OfacCsvPart::Sdn, s.as_bytes())]);
        }
    }
}
