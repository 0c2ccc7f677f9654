//! OFAC `SDN.XML` / `CONSOLIDATED.XML` (`sdnList` schema, any namespace).

use std::io::BufRead;

use super::xml::{XEvent, XmlWalker};
use crate::country::to_alpha2;
use crate::dates::parse_date_expr;
use crate::error::AmlError;
use crate::model::{Entity, EntityKind, NameKind, NameRecord, ParsedList, Source, Strength};

#[derive(Default)]
struct Aka {
    first: String,
    last: String,
    kind: NameKind,
    weak: bool,
}

fn name_record(first: &str, last: &str, kind: NameKind, weak: bool) -> Option<NameRecord> {
    let full = match (first.is_empty(), last.is_empty()) {
        (true, true) => return None,
        (true, false) => last.to_string(),
        (false, true) => first.to_string(),
        (false, false) => format!("{first} {last}"),
    };
    Some(NameRecord {
        full,
        given: (!first.is_empty()).then(|| first.to_string()),
        family: (!last.is_empty() && !first.is_empty()).then(|| last.to_string()),
        kind,
        strength: if weak {
            Strength::Weak
        } else {
            Strength::Strong
        },
    })
}

/// Parse an `sdnList` document.
pub fn parse<R: BufRead>(source: Source, r: R) -> Result<ParsedList, AmlError> {
    let mut w = XmlWalker::new(r, "OFAC XML");
    let mut out = ParsedList::default();
    let mut path: Vec<String> = Vec::new();
    let mut cur: Option<Entity> = None;
    let (mut first, mut last) = (String::new(), String::new());
    let mut aka: Option<Aka> = None;
    while let Some(ev) = w.next_event()? {
        match ev {
            XEvent::Start { name, .. } => {
                match name.as_str() {
                    "sdnEntry" => {
                        cur = Some(Entity::new(source, "", EntityKind::Unknown));
                        first.clear();
                        last.clear();
                    }
                    "aka" if cur.is_some() => aka = Some(Aka::default()),
                    _ => {}
                }
                path.push(name);
            }
            XEvent::End { name, text } => {
                path.pop();
                let parent = path.last().map(String::as_str).unwrap_or("");
                if let Some(a) = aka.as_mut() {
                    match name.as_str() {
                        "firstName" => a.first = text,
                        "lastName" => a.last = text,
                        "category" => a.weak = text.eq_ignore_ascii_case("weak"),
                        "type" => {
                            a.kind = match text.as_str() {
                                "f.k.a." => NameKind::Fka,
                                "n.k.a." => NameKind::Nka,
                                _ => NameKind::Aka,
                            }
                        }
                        "aka" => {
                            if let (Some(a), Some(e)) = (aka.take(), cur.as_mut())
                                && let Some(n) = name_record(&a.first, &a.last, a.kind, a.weak)
                            {
                                e.push_name(n);
                                out.bump("akas", 1);
                            }
                        }
                        _ => {}
                    }
                    continue;
                }
                if name == "Publish_Date" {
                    out.published = Some(us_date_to_iso(&text));
                    continue;
                }
                let Some(e) = cur.as_mut() else { continue };
                match (name.as_str(), parent) {
                    ("uid", "sdnEntry") => {
                        e.list_id = text;
                        e.id = format!("{}:{}", source.id_prefix(), e.list_id);
                    }
                    ("firstName", "sdnEntry") => first = text,
                    ("lastName", "sdnEntry") => last = text,
                    ("sdnType", "sdnEntry") => {
                        e.kind = match text.to_ascii_lowercase().as_str() {
                            "individual" => EntityKind::Person,
                            "vessel" => EntityKind::Vessel,
                            "aircraft" => EntityKind::Aircraft,
                            _ => EntityKind::Organization,
                        }
                    }
                    ("program", _) => e.push_program(&text),
                    ("remarks", "sdnEntry") => e.remarks = Some(text),
                    ("country", "nationality" | "citizenship") => {
                        if let Some(c) = to_alpha2(&text) {
                            e.push_nationality(c);
                        }
                    }
                    ("dateOfBirth", _) => {
                        if let Some(d) = parse_date_expr(&text) {
                            e.push_birth_date(d);
                        }
                    }
                    ("sdnEntry", _) => {
                        if let Some(mut e) = cur.take() {
                            if let Some(n) = name_record(&first, &last, NameKind::Primary, false) {
                                e.names.insert(0, n);
                            }
                            out.push_named(e);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    out.non_empty("OFAC XML")
}

/// `01/08/2026` (US month/day/year) → `2026-01-08`; anything else is returned unchanged.
fn us_date_to_iso(s: &str) -> String {
    let p: Vec<&str> = s.split('/').collect();
    if let [m, d, y] = p.as_slice()
        && let (Ok(m), Ok(d), Ok(y)) = (m.parse::<u8>(), d.parse::<u8>(), y.parse::<u16>())
    {
        return format!("{y:04}-{m:02}-{d:02}");
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DOC: &str = r#"<?xml version="1.0"?><sdnList xmlns="x"><publshInformation><Publish_Date>01/08/2026</Publish_Date></publshInformation>
<sdnEntry><uid>9639</uid><firstName>Ismail</firstName><lastName>HANIYA</lastName><sdnType>Individual</sdnType>
<programList><program>NS-PLC</program></programList>
<akaList><aka><uid>1</uid><type>a.k.a.</type><category>weak</category><lastName>ABU AL-ABD</lastName></aka></akaList>
<nationalityList><nationality><uid>2</uid><country>Palestinian</country></nationality></nationalityList>
<dateOfBirthList><dateOfBirthItem><uid>3</uid><dateOfBirth>12 Feb 1961</dateOfBirth></dateOfBirthItem></dateOfBirthList>
</sdnEntry></sdnList>"#;

    #[test]
    fn parses_entry() {
        let l = parse(Source::OfacConsolidated, DOC.as_bytes()).unwrap();
        assert_eq!(l.published.as_deref(), Some("2026-01-08"));
        let e = &l.entities[0];
        assert_eq!(e.id, "ofac-cons:9639");
        assert_eq!(e.names[0].full, "Ismail HANIYA");
        assert_eq!(e.names[1].strength, Strength::Weak);
        assert_eq!(e.nationalities, vec!["PS"]);
        assert_eq!(e.birth_dates[0].day, Some(12));
        assert_eq!(e.programs, vec!["NS-PLC"]);
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(s in "[<>/a-zA-Z =\"&;#0-9]{0,120}") {
            let _ = parse(Source::OfacSdn, s.as_bytes());
        }
    }
}
