//! Parsing of the date-of-birth notations used by the lists and by queries.

use crate::model::DateSpec;

/// English month abbreviations, upper case (`JAN` … `DEC`).
pub(crate) const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

fn month_from_name(s: &str) -> Option<u8> {
    let prefix = s.get(..3)?;
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(prefix))
        .map(|i| i as u8 + 1)
}

fn year(s: &str) -> Option<u16> {
    let s = s.trim();
    if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: u16 = s.parse().ok()?;
    (1800..=2100).contains(&y).then_some(y)
}

fn small(s: &str, max: u8) -> Option<u8> {
    let s = s.trim();
    if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: u8 = s.parse().ok()?;
    (1..=max).contains(&v).then_some(v)
}

/// Parse one date: ISO (`1960-06-29`, `1960-6`, `1960`), OFAC (`12 Mar 1960`, `Mar 1960`),
/// UK (`28/09/1955`, `10/00/1983`, `00/00/1936`). Unknown day/month parts (`00`) are dropped;
/// invalid days (e.g. `32`) are dropped too, keeping year and month.
pub fn parse_date(s: &str) -> Option<DateSpec> {
    let s = s.trim().trim_end_matches(['.', ',']);
    if s.is_empty() {
        return None;
    }
    if let Some(y) = year(s) {
        return Some(DateSpec::year(y));
    }
    // ISO-like
    if s.as_bytes().get(4) == Some(&b'-') {
        let mut it = s.splitn(3, '-');
        let y = year(it.next()?)?;
        let m = it.next().and_then(|m| small(m, 12));
        let d = it.next().and_then(|d| small(d.get(..2.min(d.len()))?, 31));
        return Some(DateSpec::partial(y, m, d));
    }
    // UK dd/mm/yyyy
    if s.contains('/') {
        let parts: Vec<&str> = s.split('/').collect();
        if parts.len() == 3 {
            let y = year(parts[2])?;
            return Some(DateSpec::partial(
                y,
                small(parts[1], 12),
                small(parts[0], 31),
            ));
        }
        return None;
    }
    // OFAC "12 Mar 1960" / "Mar 1960"
    let parts: Vec<&str> = s.split_whitespace().collect();
    match parts.as_slice() {
        [d, m, y] => Some(DateSpec::partial(
            year(y)?,
            Some(month_from_name(m)?),
            small(d, 31),
        )),
        [m, y] => Some(DateSpec::partial(year(y)?, Some(month_from_name(m)?), None)),
        _ => None,
    }
}

/// Parse a date expression with optional `circa` / `approximately` prefix and `A to B` or
/// `A-B` year ranges (OFAC remarks: `circa 1960`, `1960 to 1962`, `circa 1979-1982`).
pub fn parse_date_expr(s: &str) -> Option<DateSpec> {
    let mut s = s.trim();
    let mut circa = false;
    for p in [
        "circa ",
        "approximately ",
        "approx. ",
        "ca. ",
        "c. ",
        "about ",
    ] {
        if let Some(rest) = s
            .strip_prefix(p)
            .or_else(|| s.strip_prefix(&p.to_ascii_uppercase()[..]))
        {
            s = rest.trim();
            circa = true;
        }
    }
    let range = s.split_once(" to ").or_else(|| {
        let (a, b) = s.split_once('-')?;
        (year(a).is_some() && year(b).is_some()).then_some((a, b))
    });
    if let Some((a, b)) = range {
        let a = parse_date(a)?;
        let b = parse_date(b)?;
        let (lo, hi) = (a.year_from.min(b.year_from), a.year_to.max(b.year_to));
        return Some(DateSpec {
            year_from: lo,
            year_to: hi,
            month: None,
            day: None,
            circa,
        });
    }
    let mut d = parse_date(s)?;
    d.circa = circa;
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats() {
        assert_eq!(parse_date("1960-06-29"), Some(DateSpec::ymd(1960, 6, 29)));
        assert_eq!(parse_date("1969-7-16"), Some(DateSpec::ymd(1969, 7, 16)));
        assert_eq!(parse_date("12 Mar 1960"), Some(DateSpec::ymd(1960, 3, 12)));
        assert_eq!(parse_date("1960"), Some(DateSpec::year(1960)));
        assert_eq!(parse_date("28/09/1955"), Some(DateSpec::ymd(1955, 9, 28)));
        let p = parse_date("10/00/1983").unwrap();
        assert_eq!((p.year_from, p.month, p.day), (1983, None, None));
        let p = parse_date("00/04/1984").unwrap();
        assert_eq!((p.month, p.day), (Some(4), None));
        let p = parse_date("1974-01-32").unwrap();
        assert_eq!((p.month, p.day), (Some(1), None));
        assert_eq!(parse_date("Mar 1960").unwrap().month, Some(3));
        assert_eq!(parse_date("garbage"), None);
    }

    #[test]
    fn expressions() {
        let d = parse_date_expr("circa 1960").unwrap();
        assert!(d.circa);
        let d = parse_date_expr("1960 to 1962").unwrap();
        assert_eq!((d.year_from, d.year_to), (1960, 1962));
        let d = parse_date_expr("01 Jan 1960 to 31 Dec 1962").unwrap();
        assert_eq!((d.year_from, d.year_to), (1960, 1962));
        let d = parse_date_expr("circa 1979-1982").unwrap();
        assert_eq!((d.year_from, d.year_to, d.circa), (1979, 1982, true));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,24}") {
            let _ = parse_date_expr(&s);
        }

        #[test]
        fn iso_roundtrip(y in 1900u16..2050, m in 1u8..=12, d in 1u8..=28) {
            let s = format!("{y:04}-{m:02}-{d:02}");
            prop_assert_eq!(parse_date(&s), Some(DateSpec::ymd(y, m, d)));
            prop_assert_eq!(DateSpec::ymd(y, m, d).display(), s);
        }
    }
}
