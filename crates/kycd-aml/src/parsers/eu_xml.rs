//! EU Financial Sanctions Files XML 1.1 (`export/sanctionEntity`).

use std::io::BufRead;

use super::xml::{XEvent, XmlWalker, attr};
use crate::country::to_alpha2;
use crate::dates::parse_date;
use crate::error::AmlError;
use crate::model::{
    DateSpec, Entity, EntityKind, NameKind, NameRecord, ParsedList, Source, Strength,
};

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn birthdate(attrs: &[(String, String)]) -> Option<DateSpec> {
    let mut d = if let Some(full) = non_empty(attr(attrs, "birthdate")) {
        parse_date(&full)?
    } else {
        let y: u16 = attr(attrs, "year")?.trim().parse().ok()?;
        let m = attr(attrs, "monthOfYear")
            .and_then(|m| m.trim().parse::<u8>().ok())
            .filter(|m| (1..=12).contains(m));
        let day = attr(attrs, "dayOfMonth")
            .and_then(|m| m.trim().parse::<u8>().ok())
            .filter(|d| (1..=31).contains(d));
        DateSpec {
            year_from: y,
            year_to: y,
            month: m,
            day: m.and(day),
            circa: false,
        }
    };
    d.circa = attr(attrs, "circa") == Some("true");
    Some(d)
}

/// Parse an FSF XML export.
pub fn parse<R: BufRead>(r: R) -> Result<ParsedList, AmlError> {
    let mut w = XmlWalker::new(r, "EU FSF XML");
    let mut out = ParsedList::default();
    let mut cur: Option<Entity> = None;
    while let Some(ev) = w.next_event()? {
        match ev {
            XEvent::Start { name, attrs } => match name.as_str() {
                "export" => {
                    out.published =
                        attr(&attrs, "generationDate").map(|d| d.chars().take(10).collect())
                }
                "sanctionEntity" => {
                    let id = non_empty(attr(&attrs, "euReferenceNumber"))
                        .or_else(|| non_empty(attr(&attrs, "logicalId")))
                        .unwrap_or_default();
                    let mut e = Entity::new(Source::EuFsf, id, EntityKind::Unknown);
                    e.listed_on = non_empty(attr(&attrs, "designationDate"));
                    if let Some(un) = non_empty(attr(&attrs, "unitedNationId")) {
                        e.remarks = Some(format!("UN ref {un}"));
                    }
                    cur = Some(e);
                }
                _ => {
                    let Some(e) = cur.as_mut() else { continue };
                    match name.as_str() {
                        "regulation" => {
                            if let Some(p) = attr(&attrs, "programme") {
                                e.push_program(&format!("EU {p}"));
                            }
                        }
                        "subjectType" => {
                            e.kind = match attr(&attrs, "code") {
                                Some("person") => EntityKind::Person,
                                Some("enterprise") => EntityKind::Organization,
                                _ => EntityKind::Unknown,
                            }
                        }
                        "nameAlias" => {
                            let whole = non_empty(attr(&attrs, "wholeName"));
                            let first = non_empty(attr(&attrs, "firstName"));
                            let middle = non_empty(attr(&attrs, "middleName"));
                            let last = non_empty(attr(&attrs, "lastName"));
                            let given = match (&first, &middle) {
                                (Some(f), Some(m)) => Some(format!("{f} {m}")),
                                (Some(f), None) => Some(f.clone()),
                                (None, m) => m.clone(),
                            };
                            let full = whole.or_else(|| {
                                let v: Vec<&str> = [given.as_deref(), last.as_deref()]
                                    .into_iter()
                                    .flatten()
                                    .collect();
                                (!v.is_empty()).then(|| v.join(" "))
                            });
                            let Some(full) = full else { continue };
                            let weak = attr(&attrs, "strong") == Some("false");
                            let lang = attr(&attrs, "nameLanguage").unwrap_or("");
                            let kind = if e.names.is_empty() {
                                NameKind::Primary
                            } else if !lang.is_empty() && !full.is_ascii() {
                                NameKind::OriginalScript
                            } else {
                                NameKind::Aka
                            };
                            if let Some(g) = attr(&attrs, "gender").filter(|g| !g.is_empty()) {
                                e.gender = Some(if g == "M" {
                                    "male".into()
                                } else if g == "F" {
                                    "female".into()
                                } else {
                                    g.into()
                                });
                            }
                            if e.remarks.is_none() {
                                e.remarks = non_empty(attr(&attrs, "function"));
                            }
                            e.push_name(NameRecord {
                                full,
                                given: given.filter(|_| last.is_some()),
                                family: last,
                                kind,
                                strength: if weak {
                                    Strength::Weak
                                } else {
                                    Strength::Strong
                                },
                            });
                            out.bump("name_aliases", 1);
                        }
                        "citizenship" => {
                            if let Some(c) = attr(&attrs, "countryIso2Code").and_then(to_alpha2) {
                                e.push_nationality(c);
                            }
                        }
                        "birthdate" => {
                            if let Some(d) = birthdate(&attrs) {
                                e.push_birth_date(d);
                            }
                        }
                        _ => {}
                    }
                }
            },
            XEvent::End { name, .. } => {
                if name == "sanctionEntity"
                    && let Some(e) = cur.take()
                {
                    out.push_named(e);
                }
            }
        }
    }
    out.non_empty("EU FSF XML")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DOC: &str = r#"<export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate="2020-04-15T15:29:22.497+02:00">
<sanctionEntity designationDate="2008-07-03" unitedNationId="" euReferenceNumber="EU.2026.82" logicalId="5295">
<regulation programme="TAQA"/><subjectType code="person" classificationCode="P"/>
<nameAlias firstName="Abid" middleName="" lastName="Hammadou" wholeName="Abid Hammadou" gender="M" strong="true" nameLanguage=""/>
<nameAlias wholeName="Youcef Adel" strong="false" nameLanguage=""/>
<citizenship countryIso2Code="DZ"/>
<birthdate circa="true" year="1958" countryIso2Code="DZ"/>
</sanctionEntity></export>"#;

    #[test]
    fn parses() {
        let l = parse(DOC.as_bytes()).unwrap();
        assert_eq!(l.published.as_deref(), Some("2020-04-15"));
        let e = &l.entities[0];
        assert_eq!(e.id, "eu:EU.2026.82");
        assert_eq!(e.kind, EntityKind::Person);
        assert_eq!(e.names[0].family.as_deref(), Some("Hammadou"));
        assert_eq!(e.names[1].strength, Strength::Weak);
        assert_eq!(e.nationalities, vec!["DZ"]);
        assert!(e.birth_dates[0].circa);
        assert_eq!(e.programs, vec!["EU TAQA"]);
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(s in "[<>/a-zA-Z =\"&;#0-9]{0,120}") {
            let _ = parse(s.as_bytes());
        }
    }
}
