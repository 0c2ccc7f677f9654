//! UK Sanctions List XML as published by the FCDO (`UK-Sanctions-List.xml`), the single
//! official UK list since 2026-01-28 (it replaced OFSI's Consolidated List).
//!
//! Layout (no namespace): a `Designations` root holding `DateGenerated` and one
//! `Designation` per subject. Each designation carries `UniqueID` (e.g. `AFG0006`,
//! `RUS1234`), `OFSIGroupID`, `UNReferenceNumber`, `LastUpdated`, `DateDesignated`,
//! `RegimeName`, `IndividualEntityShip` (`Individual` / `Entity` / `Ship`),
//! `Names/Name/{Name1..Name6, NameType, AliasStrength}`,
//! `NonLatinNames/NonLatinName/{NameNonLatinScript, NonLatinScriptType,
//! NonLatinScriptLanguage}`, `OtherInformation`, `UKStatementofReasons`, and for
//! individuals `IndividualDetails/Individual/{DOBs/DOB, Nationalities/Nationality,
//! Genders/Gender, Positions/Position, BirthDetails/...}`; ships carry `ShipDetails/Ship/...`.
//!
//! Quirks handled: `Name6` is the family name of a person but the whole name of an entity,
//! ship or unsplit alias; `NameType` comes in several casings (`Primary Name`,
//! `Primary name`, `ALias`...); `Primary name variation` is a strong alias; unknown date
//! parts are written `dd` / `mm` (`dd/mm/1945`, `dd/03/1958`) or `00`; nationalities are
//! country names. Dates are `dd/mm/yyyy`.

use std::io::BufRead;

use super::xml::{XEvent, XmlWalker};
use crate::country::to_alpha2;
use crate::dates::parse_date;
use crate::error::AmlError;
use crate::model::{Entity, EntityKind, NameKind, NameRecord, ParsedList, Source, Strength};

/// One `Names/Name` element being read.
#[derive(Default)]
struct NameParts {
    parts: [String; 6],
    name_type: String,
    strength: String,
}

/// One `Designation` being read.
#[derive(Default)]
struct Designation {
    unique_id: String,
    kind: String,
    names: Vec<NameParts>,
    non_latin: Vec<String>,
    regimes: Vec<String>,
    dobs: Vec<String>,
    nationalities: Vec<String>,
    genders: Vec<String>,
    positions: Vec<String>,
    un_reference: String,
    other_information: String,
    listed_on: String,
    last_updated: String,
}

fn kind_of(s: &str) -> EntityKind {
    match s.trim().to_ascii_lowercase().as_str() {
        "individual" => EntityKind::Person,
        "entity" => EntityKind::Organization,
        "ship" | "vessel" => EntityKind::Vessel,
        "aircraft" => EntityKind::Aircraft,
        _ => EntityKind::Unknown,
    }
}

fn iso(s: &str) -> Option<String> {
    parse_date(s).map(|d| d.display())
}

/// A name element to a record, or `None` when it has no text. `kind` of the entity decides
/// the fallback strength of an alias whose `AliasStrength` is blank: a one-word alias of a
/// person is weak (a bare given name or nickname), anything else strong.
fn name_record(n: &NameParts, entity: EntityKind, stats: &mut ParsedList) -> Option<NameRecord> {
    let given: Vec<&str> = n.parts[..5]
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    let given = given.join(" ");
    let family = n.parts[5].trim().to_string();
    let full = match (given.is_empty(), family.is_empty()) {
        (true, true) => return None,
        (false, true) => given.clone(),
        (true, false) => family.clone(),
        (false, false) => format!("{given} {family}"),
    };
    let ty = n.name_type.trim().to_ascii_lowercase();
    let kind = if ty == "primary name" || ty.is_empty() {
        NameKind::Primary
    } else if ty.contains("former") || ty.contains("f.k.a") {
        NameKind::Fka
    } else {
        // "alias", "primary name variation", anything new
        NameKind::Aka
    };
    let q = n.strength.trim().to_ascii_lowercase();
    let strength = if q.contains("low") || q.contains("weak") {
        Strength::Weak
    } else if q.is_empty()
        && kind == NameKind::Aka
        && entity == EntityKind::Person
        && !full.contains(char::is_whitespace)
    {
        stats.bump("aliases_single_word_weak", 1);
        Strength::Weak
    } else {
        Strength::Strong
    };
    let split = !given.is_empty() && !family.is_empty();
    Some(NameRecord {
        full,
        given: split.then_some(given),
        family: split.then_some(family),
        kind,
        strength,
    })
}

fn finish(d: Designation, out: &mut ParsedList) {
    let id = d.unique_id.trim().to_string();
    if id.is_empty() {
        out.bump("skipped_no_unique_id", 1);
        return;
    }
    let kind = kind_of(&d.kind);
    let mut e = Entity::new(Source::Uk, id, kind);
    for n in &d.names {
        let Some(rec) = name_record(n, kind, out) else {
            continue;
        };
        // the list repeats names in other casings ("Primary name variation")
        if e.names
            .iter()
            .any(|x| x.full.to_lowercase() == rec.full.to_lowercase())
        {
            out.bump("names_duplicate", 1);
            continue;
        }
        let has_primary = e.names.iter().any(|x| x.kind == NameKind::Primary);
        match rec.kind {
            NameKind::Primary if !has_primary => e.names.insert(0, rec),
            NameKind::Primary => e.push_name(NameRecord {
                kind: NameKind::Aka,
                ..rec
            }),
            _ => e.push_name(rec),
        }
    }
    for nl in &d.non_latin {
        out.bump("names_non_latin", 1);
        e.push_name(NameRecord::new(nl.as_str(), NameKind::OriginalScript));
    }
    if e.names.is_empty() {
        out.bump("skipped_no_name", 1);
        return;
    }
    // an entry whose only names are aliases: promote the first one
    if e.names[0].kind != NameKind::Primary && !e.names.iter().any(|n| n.kind == NameKind::Primary)
    {
        e.names[0].kind = NameKind::Primary;
    }
    for dob in &d.dobs {
        match parse_date(dob) {
            Some(spec) => {
                if spec.day.is_none() {
                    out.bump("dob_partial", 1);
                }
                out.bump("dob", 1);
                e.push_birth_date(spec);
            }
            None => out.bump("dob_unparsed", 1),
        }
    }
    for n in &d.nationalities {
        match to_alpha2(n) {
            Some(code) => e.push_nationality(code),
            None => out.bump("nationality_unmapped", 1),
        }
    }
    e.gender = d
        .genders
        .iter()
        .find_map(|g| match g.trim().to_ascii_lowercase().as_str() {
            "male" | "m" => Some("male".to_string()),
            "female" | "f" => Some("female".to_string()),
            _ => None,
        });
    for r in &d.regimes {
        e.push_program(r);
    }
    e.listed_on = iso(&d.listed_on);
    e.last_update = iso(&d.last_updated);
    let mut remarks: Vec<String> = Vec::new();
    if !d.positions.is_empty() {
        remarks.push(d.positions.join("; "));
    }
    if !d.un_reference.is_empty() {
        remarks.push(format!("UN ref {}", d.un_reference));
    }
    if !d.other_information.is_empty() {
        remarks.push(d.other_information.clone());
    }
    e.remarks = (!remarks.is_empty()).then(|| remarks.join(" | "));
    out.bump(
        match kind {
            EntityKind::Person => "individuals",
            EntityKind::Organization => "entities",
            EntityKind::Vessel => "ships",
            _ => "other_kind",
        },
        1,
    );
    out.entities.push(e);
}

/// Parse the FCDO UK Sanctions List XML. Fails with [`AmlError::Empty`] when the input
/// holds no `Designation` (e.g. an error page or another list's format).
pub fn parse<R: BufRead>(r: R) -> Result<ParsedList, AmlError> {
    let mut w = XmlWalker::new(r, "UK Sanctions List XML");
    let mut out = ParsedList::default();
    let mut path: Vec<String> = Vec::new();
    let mut cur: Option<Designation> = None;
    let mut name: Option<NameParts> = None;
    while let Some(ev) = w.next_event()? {
        match ev {
            XEvent::Start { name: tag, .. } => {
                match tag.as_str() {
                    "Designation" => {
                        if cur.is_some() {
                            return Err(AmlError::parse(
                                "UK Sanctions List XML",
                                "nested Designation",
                            ));
                        }
                        cur = Some(Designation::default());
                    }
                    "Name" if cur.is_some() && path.last().map(String::as_str) == Some("Names") => {
                        name = Some(NameParts::default());
                    }
                    _ => {}
                }
                path.push(tag);
            }
            XEvent::End { name: tag, text } => {
                path.pop();
                if let Some(n) = name.as_mut() {
                    match tag.as_str() {
                        "Name1" | "Name2" | "Name3" | "Name4" | "Name5" | "Name6" => {
                            let i = usize::from(tag.as_bytes()[4] - b'1');
                            n.parts[i] = text;
                        }
                        "NameType" => n.name_type = text,
                        "AliasStrength" => n.strength = text,
                        "Name" => {
                            if let (Some(n), Some(d)) = (name.take(), cur.as_mut()) {
                                d.names.push(n);
                            }
                        }
                        _ => {}
                    }
                    continue;
                }
                let Some(d) = cur.as_mut() else {
                    if tag == "DateGenerated" && !text.is_empty() {
                        out.published = iso(&text).or(Some(text));
                    }
                    continue;
                };
                let push = |v: &mut Vec<String>, t: String| {
                    if !t.is_empty() && !v.contains(&t) {
                        v.push(t);
                    }
                };
                // Only the designation's own children for the single-valued fields: the
                // same element names do not occur deeper today, but stay safe if they do.
                let direct = path.last().map(String::as_str) == Some("Designation");
                match tag.as_str() {
                    "UniqueID" if direct => d.unique_id = text,
                    "IndividualEntityShip" if direct => d.kind = text,
                    "UNReferenceNumber" if direct => d.un_reference = text,
                    "OtherInformation" if direct => d.other_information = text,
                    "DateDesignated" if direct => d.listed_on = text,
                    "LastUpdated" if direct => d.last_updated = text,
                    "RegimeName" => push(&mut d.regimes, text),
                    "NameNonLatinScript" => push(&mut d.non_latin, text),
                    "DOB" => push(&mut d.dobs, text),
                    "Nationality" => push(&mut d.nationalities, text),
                    "Gender" => push(&mut d.genders, text),
                    "Position" => push(&mut d.positions, text),
                    "Designation" => {
                        if let Some(d) = cur.take() {
                            out.bump("designations", 1);
                            finish(d, &mut out);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    if cur.is_some() {
        return Err(AmlError::parse(
            "UK Sanctions List XML",
            "input ends inside a Designation (truncated file?)",
        ));
    }
    out.non_empty("UK Sanctions List XML")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DOC: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Designations><DateGenerated>20/08/2026</DateGenerated>
<Designation>
  <LastUpdated>14/04/2026</LastUpdated><DateDesignated>25/01/2001</DateDesignated>
  <UniqueID>AFG9001</UniqueID><UNReferenceNumber>TAi.999</UNReferenceNumber>
  <Names>
    <Name><Name1>KARIM</Name1><Name2>JAN</Name2><Name6>ZADRAN</Name6><NameType>Primary Name</NameType></Name>
    <Name><Name1>Karim</Name1><Name2>Jan</Name2><Name6>Zadran</Name6><NameType>Primary name variation</NameType></Name>
    <Name><Name6>Karimullah</Name6><NameType>ALias</NameType></Name>
    <Name><Name6>Haji Karim Zadran</Name6><NameType>Alias</NameType><AliasStrength>Low quality a.k.a</AliasStrength></Name>
  </Names>
  <NonLatinNames><NonLatinName><NameNonLatinScript>کریم جان ځدراڼ</NameNonLatinScript></NonLatinName></NonLatinNames>
  <RegimeName>The Afghanistan (Sanctions) (EU Exit) Regulations 2020</RegimeName>
  <IndividualEntityShip>Individual</IndividualEntityShip>
  <IndividualDetails><Individual>
    <DOBs><DOB>dd/mm/1961</DOB><DOB>02/03/1962</DOB></DOBs>
    <Nationalities><Nationality>Afghanistan</Nationality></Nationalities>
    <Genders><Gender>Male</Gender></Genders>
  </Individual></IndividualDetails>
</Designation>
</Designations>"#;

    #[test]
    fn parses_individual() {
        let l = parse(DOC.as_bytes()).unwrap();
        assert_eq!(l.published.as_deref(), Some("2026-08-20"));
        assert_eq!(l.entities.len(), 1);
        let e = &l.entities[0];
        assert_eq!(e.id, "uk:AFG9001");
        assert_eq!(e.kind, EntityKind::Person);
        assert_eq!(e.names[0].full, "KARIM JAN ZADRAN");
        assert_eq!(e.names[0].kind, NameKind::Primary);
        assert_eq!(e.names[0].given.as_deref(), Some("KARIM JAN"));
        assert_eq!(e.names[0].family.as_deref(), Some("ZADRAN"));
        // the mixed-case variation is a duplicate
        assert_eq!(l.stat("names_duplicate"), 1);
        let alias = e.names.iter().find(|n| n.full == "Karimullah").unwrap();
        assert_eq!(alias.strength, Strength::Weak);
        let low = e
            .names
            .iter()
            .find(|n| n.full == "Haji Karim Zadran")
            .unwrap();
        assert_eq!(low.strength, Strength::Weak);
        assert_eq!(low.family, None);
        assert!(
            e.names
                .iter()
                .any(|n| n.kind == NameKind::OriginalScript && n.full == "کریم جان ځدراڼ")
        );
        assert_eq!(e.birth_dates.len(), 2);
        assert_eq!(e.birth_dates[0].display(), "1961");
        assert_eq!(e.birth_dates[1].display(), "1962-03-02");
        assert_eq!(e.nationalities, vec!["AF"]);
        assert_eq!(e.gender.as_deref(), Some("male"));
        assert_eq!(e.listed_on.as_deref(), Some("2001-01-25"));
        assert_eq!(e.last_update.as_deref(), Some("2026-04-14"));
        assert_eq!(e.remarks.as_deref(), Some("UN ref TAi.999"));
        assert_eq!(l.stat("dob_partial"), 1);
    }

    #[test]
    fn wrong_format_and_truncation_are_errors() {
        assert!(matches!(
            parse(r#"<CONSOLIDATED_LIST dateGenerated="x"/>"#.as_bytes()),
            Err(AmlError::Empty(_))
        ));
        let cut = &DOC[..DOC.find("<Genders>").unwrap()];
        assert!(parse(cut.as_bytes()).is_err());
        // a designation without UniqueID is skipped, not invented
        let no_id = DOC.replace("<UniqueID>AFG9001</UniqueID>", "");
        assert!(matches!(parse(no_id.as_bytes()), Err(AmlError::Empty(_))));
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(s in "[<>/a-zA-Z0-9 =\"&;#]{0,160}") {
            let _ = parse(s.as_bytes());
        }

        #[test]
        fn truncated_document_never_panics(cut in 0usize..2000) {
            let bytes = DOC.as_bytes();
            let _ = parse(&bytes[..cut.min(bytes.len())]);
        }

        #[test]
        fn arbitrary_field_text_never_panics(t in "\\PC{0,40}") {
            let esc = t.replace('&', "&amp;").replace('<', "&lt;");
            let doc = DOC
                .replace("dd/mm/1961", &esc)
                .replace("Afghanistan</Nationality>", &format!("{esc}</Nationality>"))
                .replace("<Name6>Karimullah</Name6>", &format!("<Name6>{esc}</Name6>"));
            let _ = parse(doc.as_bytes());
        }
    }
}
