//! UN Security Council consolidated list XML (`CONSOLIDATED_LIST`).

use std::io::BufRead;

use super::xml::{XEvent, XmlWalker, attr};
use crate::country::to_alpha2;
use crate::dates::parse_date;
use crate::error::AmlError;
use crate::model::{
    DateSpec, Entity, EntityKind, NameKind, NameRecord, ParsedList, Source, Strength,
};

#[derive(Default)]
struct Dob {
    kind: String,
    date: String,
    year: String,
    from: String,
    to: String,
}

impl Dob {
    fn spec(&self) -> Option<DateSpec> {
        let mut d = if !self.from.is_empty() || !self.to.is_empty() {
            let a = self.from.parse::<u16>().ok();
            let b = self.to.parse::<u16>().ok();
            let (lo, hi) = match (a, b) {
                (Some(a), Some(b)) => (a.min(b), a.max(b)),
                (Some(a), None) | (None, Some(a)) => (a, a),
                (None, None) => return None,
            };
            DateSpec {
                year_from: lo,
                year_to: hi,
                month: None,
                day: None,
                circa: false,
            }
        } else if !self.date.is_empty() {
            parse_date(&self.date)?
        } else {
            parse_date(&self.year)?
        };
        d.circa = self.kind.eq_ignore_ascii_case("APPROXIMATELY");
        Some(d)
    }
}

/// Parse the UN consolidated XML.
pub fn parse<R: BufRead>(r: R) -> Result<ParsedList, AmlError> {
    let mut w = XmlWalker::new(r, "UN XML");
    let mut out = ParsedList::default();
    let mut path: Vec<String> = Vec::new();
    let mut cur: Option<Entity> = None;
    let mut parts: [String; 4] = Default::default();
    let mut alias: Option<(String, String)> = None; // (quality, name)
    let mut dob: Option<Dob> = None;
    while let Some(ev) = w.next_event()? {
        match ev {
            XEvent::Start { name, attrs } => {
                match name.as_str() {
                    "CONSOLIDATED_LIST" => {
                        out.published =
                            attr(&attrs, "dateGenerated").map(|d| d.chars().take(10).collect())
                    }
                    "INDIVIDUAL" | "ENTITY" if path.len() == 2 => {
                        let kind = if name == "INDIVIDUAL" {
                            EntityKind::Person
                        } else {
                            EntityKind::Organization
                        };
                        cur = Some(Entity::new(Source::UnSc, "", kind));
                        parts = Default::default();
                    }
                    "INDIVIDUAL_ALIAS" | "ENTITY_ALIAS" => {
                        alias = Some(Default::default());
                        out.bump("alias_elements", 1);
                    }
                    "INDIVIDUAL_DATE_OF_BIRTH" => dob = Some(Dob::default()),
                    _ => {}
                }
                path.push(name);
            }
            XEvent::End { name, text } => {
                path.pop();
                let parent = path.last().map(String::as_str).unwrap_or("");
                if let Some(a) = alias.as_mut() {
                    match name.as_str() {
                        "QUALITY" => a.0 = text,
                        "ALIAS_NAME" => a.1 = text,
                        "INDIVIDUAL_ALIAS" | "ENTITY_ALIAS" => {
                            if let (Some((q, n)), Some(e)) = (alias.take(), cur.as_mut()) {
                                let weak = q.eq_ignore_ascii_case("low");
                                if e.kind == EntityKind::Person && !q.is_empty() {
                                    out.bump(if weak { "alias_low" } else { "alias_good" }, 1);
                                }
                                let kind = if q == "f.k.a." {
                                    NameKind::Fka
                                } else {
                                    NameKind::Aka
                                };
                                let strength = if weak {
                                    Strength::Weak
                                } else {
                                    Strength::Strong
                                };
                                e.push_name(NameRecord {
                                    full: n,
                                    kind,
                                    strength,
                                    ..Default::default()
                                });
                            }
                        }
                        _ => {}
                    }
                    continue;
                }
                if let Some(d) = dob.as_mut() {
                    match name.as_str() {
                        "TYPE_OF_DATE" => d.kind = text,
                        "DATE" => d.date = text,
                        "YEAR" => d.year = text,
                        "FROM_YEAR" => d.from = text,
                        "TO_YEAR" => d.to = text,
                        "INDIVIDUAL_DATE_OF_BIRTH" => {
                            if let (Some(d), Some(e)) = (dob.take(), cur.as_mut())
                                && let Some(s) = d.spec()
                            {
                                e.push_birth_date(s);
                            }
                        }
                        _ => {}
                    }
                    continue;
                }
                let Some(e) = cur.as_mut() else { continue };
                match (name.as_str(), parent) {
                    ("FIRST_NAME", _) => parts[0] = text,
                    ("SECOND_NAME", _) => parts[1] = text,
                    ("THIRD_NAME", _) => parts[2] = text,
                    ("FOURTH_NAME", _) => parts[3] = text,
                    ("REFERENCE_NUMBER", _) => {
                        e.id = format!("un:{text}");
                        e.list_id = text;
                    }
                    ("UN_LIST_TYPE", _) => e.push_program(&format!("UN {text}")),
                    ("LISTED_ON", _) => e.listed_on = Some(text),
                    ("GENDER", _) => e.gender = Some(text.to_ascii_lowercase()),
                    ("COMMENTS1", _) if !text.is_empty() => e.remarks = Some(text),
                    ("NAME_ORIGINAL_SCRIPT", _) if !text.is_empty() => {
                        e.push_name(NameRecord::new(text, NameKind::OriginalScript));
                    }
                    ("VALUE", "NATIONALITY") => {
                        if text != "na"
                            && let Some(c) = to_alpha2(&text)
                        {
                            e.push_nationality(c);
                        }
                    }
                    ("VALUE", "LAST_DAY_UPDATED")
                        if e.last_update.as_deref().is_none_or(|l| l < text.as_str()) =>
                    {
                        e.last_update = Some(text);
                    }
                    ("INDIVIDUAL" | "ENTITY", _) if path.len() == 2 => {
                        if let Some(mut e) = cur.take() {
                            let given = parts[0].trim().to_string();
                            let rest: Vec<&str> = parts[1..]
                                .iter()
                                .map(|s| s.trim())
                                .filter(|s| !s.is_empty())
                                .collect();
                            let full: Vec<&str> = std::iter::once(given.as_str())
                                .chain(rest.iter().copied())
                                .filter(|s| !s.is_empty())
                                .collect();
                            let rec = NameRecord {
                                full: full.join(" "),
                                given: (!given.is_empty() && !rest.is_empty())
                                    .then(|| given.clone()),
                                family: (!rest.is_empty()).then(|| rest.join(" ")),
                                kind: NameKind::Primary,
                                strength: Strength::Strong,
                            };
                            if !rec.full.is_empty() {
                                e.names.insert(0, rec);
                            }
                            out.push_named(e);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    out.non_empty("UN XML")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DOC: &str = r#"<CONSOLIDATED_LIST dateGenerated="2026-02-27T00:00:09.554Z"><INDIVIDUALS><INDIVIDUAL>
<FIRST_NAME>GASTON</FIRST_NAME><SECOND_NAME>IYAMUREMYE</SECOND_NAME><UN_LIST_TYPE>DRC</UN_LIST_TYPE>
<REFERENCE_NUMBER>CDi.003</REFERENCE_NUMBER><LISTED_ON>2010-12-01</LISTED_ON>
<NATIONALITY><VALUE>Rwanda</VALUE></NATIONALITY>
<INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>Rumuli</ALIAS_NAME></INDIVIDUAL_ALIAS>
<INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Victor Rumuri</ALIAS_NAME></INDIVIDUAL_ALIAS>
<INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>BETWEEN</TYPE_OF_DATE><FROM_YEAR>1973</FROM_YEAR><TO_YEAR>1974</TO_YEAR></INDIVIDUAL_DATE_OF_BIRTH>
<INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1978-04-28</DATE></INDIVIDUAL_DATE_OF_BIRTH>
</INDIVIDUAL></INDIVIDUALS><ENTITIES><ENTITY><FIRST_NAME>ADF</FIRST_NAME><REFERENCE_NUMBER>CDe.001</REFERENCE_NUMBER>
<ENTITY_ALIAS><QUALITY>f.k.a.</QUALITY><ALIAS_NAME>Allied Forces</ALIAS_NAME></ENTITY_ALIAS></ENTITY></ENTITIES></CONSOLIDATED_LIST>"#;

    #[test]
    fn parses() {
        let l = parse(DOC.as_bytes()).unwrap();
        assert_eq!(l.published.as_deref(), Some("2026-02-27"));
        assert_eq!(l.entities.len(), 2);
        let g = &l.entities[0];
        assert_eq!(g.id, "un:CDi.003");
        assert_eq!(g.names[0].full, "GASTON IYAMUREMYE");
        assert_eq!(g.names[1].strength, Strength::Weak);
        assert_eq!(g.nationalities, vec!["RW"]);
        assert_eq!(g.birth_dates[0].year_to, 1974);
        assert_eq!(g.birth_dates[1], DateSpec::ymd(1978, 4, 28));
        assert_eq!(l.entities[1].kind, EntityKind::Organization);
        assert_eq!(l.entities[1].names[1].kind, NameKind::Fka);
        assert_eq!(l.stat("alias_elements"), 3);
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(s in "[<>/A-Z_ =\"&;#0-9]{0,120}") {
            let _ = parse(s.as_bytes());
        }
    }
}
