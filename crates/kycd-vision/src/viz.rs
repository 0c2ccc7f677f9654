//! Visual-zone (printed) field extraction from OCR lines: labelled fields of passports and ID cards
//! (name, date of birth, expiry, document number, sex) and the numbered fields of EU driving licences
//! (1 surname, 2 given names, 3 date and place of birth, 4a issue date, 4b expiry, 5 licence number), and
//! the US/Canadian (AAMVA) licence design, which numbers its fields the same way but puts the licence
//! number in 4d and prints dates month first.

use serde::Serialize;

use crate::ocr::TextLine;

/// Fields read from the visual zone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VizFields {
    /// Surname.
    pub surname: Option<String>,
    /// Given names.
    pub given_names: Option<String>,
    /// Date of birth, ISO `YYYY-MM-DD` when it could be parsed.
    pub date_of_birth: Option<String>,
    /// Expiry, ISO.
    pub date_of_expiry: Option<String>,
    /// Issue date, ISO (driving licences).
    pub date_of_issue: Option<String>,
    /// Document / licence number.
    pub document_number: Option<String>,
    /// `M`, `F` or `X`.
    pub sex: Option<String>,
    /// True when the fields come from EU driving-licence numbered fields.
    pub eu_driving_licence: bool,
    /// True when the fields come from the numbered fields of a US/Canadian (AAMVA) driving licence.
    pub us_driving_licence: bool,
}

fn upper_letters(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_uppercase().next().unwrap_or(c)
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

const MONTHS: [(&str, u32); 24] = [
    ("JAN", 1),
    ("FEB", 2),
    ("MAR", 3),
    ("APR", 4),
    ("MAY", 5),
    ("JUN", 6),
    ("JUL", 7),
    ("AUG", 8),
    ("SEP", 9),
    ("OCT", 10),
    ("NOV", 11),
    ("DEC", 12),
    ("JANV", 1),
    ("FEV", 2),
    ("MARS", 3),
    ("AVR", 4),
    ("MAI", 5),
    ("JUIN", 6),
    ("JUIL", 7),
    ("AOUT", 8),
    ("SEPT", 9),
    ("OKT", 10),
    ("DEZ", 12),
    ("MAR", 3),
];

/// Parses common printed date forms: `12.08.1974`, `12 08 1974`, `12/08/1974`, `12 AUG 74`,
/// `12 AUGUST/AOUT 74`, `1974-08-12`. Two-digit years pivot on `pivot` (years above → 19xx).
pub fn parse_date(text: &str, pivot: u32) -> Option<String> {
    let t = text.to_uppercase();
    let toks: Vec<String> = t
        .split(|c: char| !c.is_alphanumeric())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let year = |y: &str| -> Option<u32> {
        let v: u32 = y.parse().ok()?;
        match y.len() {
            4 if (1900..2100).contains(&v) => Some(v),
            2 => Some(if v > pivot { 1900 + v } else { 2000 + v }),
            _ => None,
        }
    };
    let ok = |d: u32, m: u32| (1..=31).contains(&d) && (1..=12).contains(&m);
    for w in toks.windows(3) {
        let (a, b, c) = (&w[0], &w[1], &w[2]);
        if a.len() == 4
            && let (Some(y), Ok(m), Ok(d)) = (year(a), b.parse::<u32>(), c.parse::<u32>())
            && ok(d, m)
        {
            return Some(format!("{y:04}-{m:02}-{d:02}"));
        }
        let Ok(d) = a.parse::<u32>() else { continue };
        let m = b.parse::<u32>().ok().or_else(|| {
            MONTHS
                .iter()
                .find(|(name, _)| b.starts_with(name))
                .map(|&(_, m)| m)
        });
        if let (Some(m), Some(y)) = (m, year(c))
            && ok(d, m)
        {
            return Some(format!("{y:04}-{m:02}-{d:02}"));
        }
    }
    // 12 AUGUST/AOUT 74: month token followed by another month token.
    for w in toks.windows(4) {
        if let (Ok(d), Some(&(_, m)), Some(y)) = (
            w[0].parse::<u32>(),
            MONTHS.iter().find(|(name, _)| w[1].starts_with(name)),
            year(&w[3]),
        ) && ok(d, m)
        {
            return Some(format!("{y:04}-{m:02}-{d:02}"));
        }
    }
    None
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Label {
    Surname,
    Given,
    Birth,
    Expiry,
    Number,
    Sex,
}

fn label_of(text: &str) -> Option<Label> {
    let t = upper_letters(text);
    let has = |k: &[&str]| k.iter().any(|w| t.contains(w));
    if has(&[
        "DATE OF BIRTH",
        "DATE DE NAISSANCE",
        "GEBURTSDATUM",
        "FECHA DE NACIMIENTO",
        "NAISSANCE",
        "DATE OF BIRTIH",
        "BIRTH",
    ]) {
        Some(Label::Birth)
    } else if has(&[
        "DATE OF EXPIRY",
        "EXPIRATION",
        "EXPIRY",
        "GÜLTIG BIS",
        "VALID UNTIL",
        "VALIDEZ",
        "VALABLE JUSQU",
    ]) {
        Some(Label::Expiry)
    } else if has(&[
        "GIVEN NAME",
        "PRÉNOM",
        "PRENOM",
        "VORNAME",
        "NOMBRE",
        "FORENAME",
    ]) {
        Some(Label::Given)
    } else if has(&["SURNAME", "NOM", "NAME", "APELLIDO"]) && !has(&["PLACE"]) {
        Some(Label::Surname)
    } else if has(&[
        "PASSPORT NO",
        "PASSPORT NUMBER",
        "DOCUMENT NO",
        "DOCUMENT NUMBER",
        "N DU DOCUMENT",
        "NO DU PASSEPORT",
        "N DE PASSEPORT",
        "CARD NO",
        "DLN",
        "DNI NUM",
    ]) {
        Some(Label::Number)
    } else if has(&["SEX", "SEXE", "GESCHLECHT", "SEXO"]) && t.len() < 30 {
        Some(Label::Sex)
    } else {
        None
    }
}

/// Extracts visual-zone fields. `pivot` is the two-digit-year pivot for birth dates (e.g. the current
/// two-digit year); expiry dates always resolve to 20xx.
pub fn extract_fields(lines: &[TextLine], pivot: u32) -> VizFields {
    if let Some(dl) = aamva_driving_licence(lines, pivot) {
        return dl;
    }
    if let Some(dl) = eu_driving_licence(lines, pivot) {
        return dl;
    }
    let mut f = VizFields::default();
    for (i, l) in lines.iter().enumerate() {
        let Some(label) = label_of(&l.text) else {
            continue;
        };
        let value = value_below(lines, i);
        let Some(v) = value else { continue };
        let text = v.text.trim().to_string();
        match label {
            Label::Surname if f.surname.is_none() && label_of(&text).is_none() => {
                f.surname = Some(upper_letters(&text));
            }
            Label::Given if f.given_names.is_none() && label_of(&text).is_none() => {
                f.given_names = Some(upper_letters(&text));
            }
            Label::Birth if f.date_of_birth.is_none() => f.date_of_birth = parse_date(&text, pivot),
            Label::Expiry if f.date_of_expiry.is_none() => f.date_of_expiry = parse_date(&text, 99),
            Label::Number if f.document_number.is_none() => {
                let n = number_chars(&text);
                if n.len() >= 5 {
                    f.document_number = Some(n);
                }
            }
            Label::Sex if f.sex.is_none() => {
                let s = upper_letters(&text);
                if let Some(c) = s.split(' ').find_map(|w| match w {
                    "M" | "F" | "X" => Some(w.to_string()),
                    _ => None,
                }) {
                    f.sex = Some(c);
                }
            }
            _ => {}
        }
    }
    f
}

/// The value line for the label at index `i`: the nearest line just below it whose left edge is near
/// the label's left edge (within ~3 label heights).
fn value_below(lines: &[TextLine], i: usize) -> Option<&TextLine> {
    let l = &lines[i];
    let (x0, y0, _, y1) = l.bbox.quad.bounds();
    let h = (y1 - y0).max(1.0);
    lines
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != i)
        .filter_map(|(_, m)| {
            let (mx0, my0, _, _) = m.bbox.quad.bounds();
            let dy = my0 - y0;
            (dy > 0.5 * h && dy < 3.0 * h && (mx0 - x0).abs() < 4.0 * h).then_some((dy, m))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, m)| m)
}

/// EU driving licence: lines starting with the field numbers `1.`, `2.`, `3.`, `4a.`, `4b.`, `5.`.
fn eu_driving_licence(lines: &[TextLine], pivot: u32) -> Option<VizFields> {
    let mut f = VizFields {
        eu_driving_licence: true,
        ..Default::default()
    };
    let mut hits = 0;
    let mut sorted: Vec<&TextLine> = lines.iter().collect();
    sorted.sort_by(|a, b| a.bbox.quad.bounds().1.total_cmp(&b.bbox.quad.bounds().1));
    for l in sorted {
        let t = l.text.trim();
        let (num, rest) = match t.split_once(['.', ' ']) {
            Some((n, r)) => (n.trim().to_lowercase(), r.trim()),
            None => continue,
        };
        if rest.is_empty() {
            continue;
        }
        match num.as_str() {
            "1" if f.surname.is_none() => f.surname = Some(upper_letters(rest)),
            "2" if f.given_names.is_none() => f.given_names = Some(upper_letters(rest)),
            "3" if f.date_of_birth.is_none() => f.date_of_birth = parse_date(rest, pivot),
            "4a" if f.date_of_issue.is_none() => f.date_of_issue = parse_date(rest, 99),
            "4b" if f.date_of_expiry.is_none() => f.date_of_expiry = parse_date(rest, 99),
            "5" if f.document_number.is_none() => f.document_number = Some(number_chars(rest)),
            _ => continue,
        }
        hits += 1;
    }
    (hits >= 3 && f.surname.is_some()).then_some(f)
}

/// A US date, month first (`02/01/1957` is 1 February), in the numeric forms; other forms as
/// [`parse_date`].
pub fn parse_date_us(text: &str, pivot: u32) -> Option<String> {
    let toks: Vec<&str> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .collect();
    for w in toks.windows(3) {
        let (Ok(m), Ok(d)) = (w[0].parse::<u32>(), w[1].parse::<u32>()) else {
            continue;
        };
        if w[0].len() > 2 || w[1].len() > 2 || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            continue;
        }
        let y = match (w[2].len(), w[2].parse::<u32>()) {
            (4, Ok(y)) if (1900..2100).contains(&y) => y,
            (2, Ok(y)) => {
                if y > pivot {
                    1900 + y
                } else {
                    2000 + y
                }
            }
            _ => continue,
        };
        return Some(format!("{y:04}-{m:02}-{d:02}"));
    }
    parse_date(text, pivot)
}

/// Field numbers of the AAMVA card design, and the label words printed after them.
const AAMVA_FIELDS: &[&str] = &[
    "1", "2", "3", "4a", "4b", "4c", "4d", "5", "8", "9", "9a", "12", "15", "16", "17", "18", "19",
];
const AAMVA_LABELS: &[&str] = &[
    "DOB", "EXP", "ISS", "SEX", "DLN", "LIC", "NO", "DD", "HGT", "WGT", "EYES", "HAIR", "CLASS",
    "END", "REST",
];

/// Splits an OCR line of an AAMVA card into `(field number, value)` pieces: a field number starts a
/// piece at the start of the line, or anywhere when it carries a letter (`4b`) or is followed by a
/// label word (`19 HAIR`); the label word itself is dropped from the value.
fn aamva_pieces(text: &str) -> Vec<(String, String)> {
    let toks: Vec<&str> = text.split_whitespace().collect();
    let is_label =
        |t: &str| AAMVA_LABELS.contains(&t.trim_end_matches([':', '.']).to_uppercase().as_str());
    let mut out: Vec<(String, Vec<&str>)> = Vec::new();
    for (k, t) in toks.iter().enumerate() {
        let n = t.trim_end_matches('.').to_lowercase();
        let starts = AAMVA_FIELDS.contains(&n.as_str())
            && (k == 0
                || n.ends_with(|c: char| c.is_ascii_alphabetic())
                || toks.get(k + 1).is_some_and(|x| is_label(x)));
        if starts {
            out.push((n, Vec::new()));
        } else if let Some((_, v)) = out.last_mut() {
            if v.is_empty() && is_label(t) {
                continue;
            }
            v.push(t);
        }
    }
    out.into_iter().map(|(n, v)| (n, v.join(" "))).collect()
}

/// The line just right of `l` on the same row (a field number printed in its own box).
fn value_right<'a>(lines: &'a [TextLine], l: &TextLine) -> Option<&'a TextLine> {
    let (_, y0, x1, y1) = l.bbox.quad.bounds();
    let (cy, h) = ((y0 + y1) / 2.0, (y1 - y0).max(1.0));
    lines
        .iter()
        .filter_map(|m| {
            let (mx0, my0, _, my1) = m.bbox.quad.bounds();
            let dx = mx0 - x1;
            ((((my0 + my1) / 2.0) - cy).abs() < 0.6 * h && dx > -0.3 * h && dx < 4.0 * h)
                .then_some((dx, m))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, m)| m)
}

/// US/Canadian driving licence (AAMVA design): `1` surname, `2` given names, `3 DOB`, `4a ISS`,
/// `4b EXP`, `4d DLN` (the licence number; `5 DD` is the document discriminator), `15 SEX`; dates month
/// first. Recognised by a `4d`/`DLN` field together with `USA` or the US spelling `LICENSE`.
fn aamva_driving_licence(lines: &[TextLine], pivot: u32) -> Option<VizFields> {
    let words = |l: &TextLine| -> Vec<String> {
        l.text
            .split(|c: char| !c.is_alphanumeric())
            .map(str::to_uppercase)
            .collect()
    };
    let has_number_field = lines
        .iter()
        .any(|l| words(l).iter().any(|w| w == "DLN" || w == "4D"));
    let american = lines
        .iter()
        .any(|l| words(l).iter().any(|w| w == "USA" || w == "LICENSE"));
    if !(has_number_field && american) {
        return None;
    }
    let mut f = VizFields {
        us_driving_licence: true,
        ..Default::default()
    };
    let mut hits = 0;
    let mut sorted: Vec<&TextLine> = lines.iter().collect();
    sorted.sort_by(|a, b| a.bbox.quad.bounds().1.total_cmp(&b.bbox.quad.bounds().1));
    for l in sorted {
        for (num, value) in aamva_pieces(l.text.trim()) {
            let value = if value.is_empty() {
                match value_right(lines, l) {
                    Some(m) if aamva_pieces(&m.text).is_empty() => m.text.trim().to_string(),
                    _ => continue,
                }
            } else {
                value
            };
            let set = match num.as_str() {
                "1" if f.surname.is_none() => {
                    f.surname = Some(upper_letters(&value));
                    true
                }
                "2" if f.given_names.is_none() => {
                    f.given_names = Some(upper_letters(&value));
                    true
                }
                "3" if f.date_of_birth.is_none() => {
                    f.date_of_birth = parse_date_us(&value, pivot);
                    f.date_of_birth.is_some()
                }
                "4a" if f.date_of_issue.is_none() => {
                    f.date_of_issue = parse_date_us(&value, 99);
                    f.date_of_issue.is_some()
                }
                "4b" if f.date_of_expiry.is_none() => {
                    f.date_of_expiry = parse_date_us(&value, 99);
                    f.date_of_expiry.is_some()
                }
                "4d" if f.document_number.is_none() => {
                    let n = number_chars(&value);
                    let ok = n.len() >= 4;
                    if ok {
                        f.document_number = Some(n);
                    }
                    ok
                }
                "15" if f.sex.is_none() => {
                    f.sex = upper_letters(&value)
                        .split(' ')
                        .find(|w| matches!(*w, "M" | "F" | "X"))
                        .map(str::to_string);
                    f.sex.is_some()
                }
                _ => false,
            };
            hits += usize::from(set);
        }
    }
    (hits >= 3 && f.surname.is_some()).then_some(f)
}

/// A printed document number: its letters and digits, upper case, with the Greek capitals the recogniser writes for
/// Latin look-alikes (`Ρ` for `P`) read as those letters.
fn number_chars(text: &str) -> String {
    text.chars()
        .map(crate::mrz_text::latin_of_greek)
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_numbers_read_greek_look_alikes_as_latin() {
        assert_eq!(number_chars("m50\u{3A1}74029-4"), "M50P740294");
        assert_eq!(number_chars(" TE 445 26Z8 "), "TE44526Z8");
        // Other scripts' letters are not part of a number.
        assert_eq!(number_chars("AB\u{3A6}12"), "AB12");
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("12 AUGUST/AOUT 74", 26).as_deref(),
            Some("1974-08-12")
        );
        assert_eq!(parse_date("01.01.1980", 26).as_deref(), Some("1980-01-01"));
        assert_eq!(parse_date("13 07 1990", 26).as_deref(), Some("1990-07-13"));
        assert_eq!(
            parse_date("15 APR/AVR 12", 99).as_deref(),
            Some("2012-04-15")
        );
        assert_eq!(parse_date("02/01/1957", 26).as_deref(), Some("1957-01-02"));
        assert_eq!(
            parse_date("4b. 31.12.2018", 99).as_deref(),
            Some("2018-12-31")
        );
        assert_eq!(parse_date("no date here", 26), None);
        assert_eq!(parse_date("45.13.2020", 26), None);
    }

    fn line(text: &str, x: f32, y: f32, w: f32) -> TextLine {
        use crate::geometry::Quad;
        use crate::ocr::TextBox;
        TextLine {
            text: text.into(),
            confidence: 0.99,
            char_conf: vec![0.99; text.chars().count()],
            bbox: TextBox {
                quad: Quad::axis_aligned(x, y, x + w, y + 30.0),
                score: 1.0,
            },
        }
    }

    #[test]
    fn us_licence_fields_month_first_and_4d_number() {
        let lines = vec![
            line("Arizona", 60.0, 20.0, 380.0),
            line("USA", 900.0, 35.0, 81.0),
            line("DRIVER LICENSE", 500.0, 35.0, 339.0),
            line("4d DLN D12345678", 645.0, 165.0, 296.0),
            line("3 DOB 02/01/1957", 645.0, 205.0, 299.0),
            line("1 SAMPLE", 360.0, 250.0, 181.0),
            line("2", 360.0, 290.0, 27.0),
            line("JELANI", 385.0, 288.0, 136.0),
            line("123 MAIN STREET", 390.0, 325.0, 232.0),
            line("4b EXP 02/01/2018 4a ISS 01/10/2013", 356.0, 400.0, 590.0),
            line("15 SEX M", 360.0, 447.0, 132.0),
            line("16 HGT 5'-08\" 19 HAIR BRO", 360.0, 475.0, 354.0),
            line("5 DD 1234567890123456", 380.0, 585.0, 294.0),
        ];
        let f = extract_fields(&lines, 26);
        assert!(f.us_driving_licence && !f.eu_driving_licence);
        assert_eq!(f.surname.as_deref(), Some("SAMPLE"));
        assert_eq!(f.given_names.as_deref(), Some("JELANI"));
        assert_eq!(f.date_of_birth.as_deref(), Some("1957-02-01"));
        assert_eq!(f.date_of_expiry.as_deref(), Some("2018-02-01"));
        assert_eq!(f.date_of_issue.as_deref(), Some("2013-01-10"));
        assert_eq!(f.document_number.as_deref(), Some("D12345678"));
        assert_eq!(f.sex.as_deref(), Some("M"));
    }

    #[test]
    fn eu_licence_is_not_taken_for_a_us_one() {
        let lines = vec![
            line("DRIVING LICENCE", 300.0, 20.0, 300.0),
            line("1. MARTIN", 300.0, 100.0, 200.0),
            line("2. PAUL", 300.0, 140.0, 200.0),
            line("3. 14.07.1981 UTOPIA", 300.0, 180.0, 260.0),
            line("4a. 01.01.2013 4c. UTOPIA", 300.0, 220.0, 300.0),
            line("4b. 31.12.2018", 300.0, 260.0, 200.0),
            line("5. 13AA00002", 300.0, 300.0, 200.0),
        ];
        let f = extract_fields(&lines, 26);
        assert!(f.eu_driving_licence && !f.us_driving_licence);
        assert_eq!(f.date_of_birth.as_deref(), Some("1981-07-14"));
        assert_eq!(f.document_number.as_deref(), Some("13AA00002"));
    }

    #[test]
    fn us_dates() {
        assert_eq!(
            parse_date_us("02/01/1957", 26).as_deref(),
            Some("1957-02-01")
        );
        assert_eq!(
            parse_date_us("EXP 12/31/25", 99).as_deref(),
            Some("2025-12-31")
        );
        // Not a month-first date: falls back to the day-first forms.
        assert_eq!(
            parse_date_us("31.12.2018", 99).as_deref(),
            Some("2018-12-31")
        );
        assert_eq!(
            parse_date_us("14 JUL 1981", 26).as_deref(),
            Some("1981-07-14")
        );
    }

    proptest::proptest! {
        #[test]
        fn parse_date_us_never_panics(s in "\\PC{0,40}") {
            if let Some(d) = parse_date_us(&s, 26) {
                proptest::prop_assert_eq!(d.len(), 10);
            }
        }

        #[test]
        fn parse_date_never_panics(s in "\\PC{0,40}") {
            if let Some(d) = parse_date(&s, 26) {
                proptest::prop_assert_eq!(d.len(), 10);
            }
        }
    }
}
