//! Dates: every date written on a row (numeric day-first or month-first, ISO, or with an
//! English/French/German month name), and the bill's issue date chosen by its label, avoiding due
//! dates and billing periods.

use chrono::NaiveDate;

use crate::ExtractedDate;
use crate::layout::Fragment;
use crate::normalize::fold;

const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("sept", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("janvier", 1),
    ("fevrier", 2),
    ("mars", 3),
    ("avril", 4),
    ("mai", 5),
    ("juin", 6),
    ("juillet", 7),
    ("aout", 8),
    ("septembre", 9),
    ("octobre", 10),
    ("novembre", 11),
    ("decembre", 12),
    ("januar", 1),
    ("februar", 2),
    ("marz", 3),
    ("juni", 6),
    ("juli", 7),
    ("oktober", 10),
    ("dezember", 12),
];

fn month_of(w: &str) -> Option<u32> {
    let w = w.trim_end_matches('.');
    if w.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .find(|(name, _)| {
            *name == w || (w.len() >= 3 && name.starts_with(w) && w.len() <= name.len())
        })
        .map(|(_, m)| *m)
}

fn year_of(v: u32) -> Option<i32> {
    match v {
        1990..=2100 => Some(v as i32),
        0..=99 => Some(2000 + v as i32),
        _ => None,
    }
}

/// All dates in a row, with their byte offset, given whether day-first is preferred.
pub fn dates_in(text: &str, day_first: bool) -> Vec<(usize, NaiveDate)> {
    let f = fold(text);
    let mut out = Vec::new();
    let toks: Vec<(usize, &str)> = f
        .split_whitespace()
        .map(|t| (t.as_ptr() as usize - f.as_ptr() as usize, t))
        .collect();
    for (k, &(pos, tok)) in toks.iter().enumerate() {
        let t = tok.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        // Numeric: d/m/y, m/d/y, y-m-d (separators / . -).
        let parts: Vec<&str> = t.split(['/', '.', '-']).collect();
        if parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.len() <= 4 && p.chars().all(|c| c.is_ascii_digit()))
        {
            let v: Vec<u32> = parts.iter().filter_map(|p| p.parse().ok()).collect();
            if v.len() == 3 {
                let d = if parts[0].len() == 4 {
                    NaiveDate::from_ymd_opt(v[0] as i32, v[1], v[2])
                } else if parts[2].len() == 4 || parts[2].len() == 2 {
                    let y = year_of(v[2]);
                    let (dd, mm) = if v[0] > 12 {
                        (v[0], v[1])
                    } else if v[1] > 12 {
                        (v[1], v[0])
                    } else if day_first {
                        (v[0], v[1])
                    } else {
                        (v[1], v[0])
                    };
                    y.and_then(|y| NaiveDate::from_ymd_opt(y, mm, dd))
                } else {
                    None
                };
                if let Some(d) = d {
                    out.push((pos, d));
                }
            }
            continue;
        }
        // Textual: "July 6, 2011", "Jul 06 2011", "6 July 2011", "29 janvier 2021".
        if let Some(m) = month_of(t) {
            let num = |i: usize| -> Option<u32> {
                toks.get(i)
                    .map(|(_, s)| s.trim_matches(|c: char| !c.is_ascii_digit()))
                    .filter(|s| !s.is_empty() && s.len() <= 4)
                    .and_then(|s| s.parse().ok())
            };
            let d = if let (Some(day), Some(y)) = (num(k + 1), num(k + 2))
                && (1..=31).contains(&day)
                && y >= 1990
            {
                NaiveDate::from_ymd_opt(y as i32, m, day)
            } else if k > 0
                && let (Some(day), Some(y)) = (num(k - 1), num(k + 1))
                && (1..=31).contains(&day)
                && y >= 1990
            {
                NaiveDate::from_ymd_opt(y as i32, m, day)
            } else {
                None
            };
            if let Some(d) = d {
                out.push((pos, d));
            }
        }
    }
    out
}

const ISSUE_LABELS: &[&str] = &[
    "invoice date",
    "date of issue",
    "issue date",
    "issued",
    "statement date",
    "bill date",
    "billing date",
    "date facture",
    "date de facture",
    "facture du",
    "emise le",
    "etabli le",
    "rechnungsdatum",
    "data wystawienia",
    "israsymo data",
    "dated",
    "statement balance",
    "balance as of",
    "as of",
    "date:",
    "date :",
    "date",
];
const DUE_LABELS: &[&str] = &[
    "due",
    "echeance",
    "payer avant",
    "a payer",
    "pay by",
    "preleve",
    "a partir du",
    "fallig",
    "payable",
    "termin",
    "avant le",
];
const PERIOD_LABELS: &[&str] = &[
    "period",
    "from",
    "periode",
    "service",
    "prochain",
    "prochaine",
    "next",
    "releve",
    "reading",
    " au ",
    " to ",
    "through",
    "thru",
];

/// Picks the issue date: a labelled issue date beats an unlabelled one; due dates and billing
/// periods are avoided; ties go to the most frequent, then the latest date.
pub fn find_issue_date(rows: &[Fragment], day_first: bool) -> Option<ExtractedDate> {
    let mut found: Vec<(f32, NaiveDate, Option<String>, f32)> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let dates = dates_in(&r.text, day_first);
        if dates.is_empty() {
            continue;
        }
        let f = fold(&r.text);
        // The label of a table cell is the nearest row above that overlaps it horizontally.
        let prev = (0..i)
            .rev()
            .take(40)
            .find(|&j| {
                let o = &rows[j];
                o.y1 <= r.y0 + 0.3 * r.h()
                    && r.y0 - o.y1 < 3.0 * r.h()
                    && o.x0 < r.x1
                    && r.x0 < o.x1
            })
            .map(|j| fold(&rows[j].text))
            .unwrap_or_default();
        for (pos, d) in dates {
            let before = &f[..pos.min(f.len())];
            let mut s = 0.0;
            let mut label = None;
            if let Some(l) = ISSUE_LABELS.iter().find(|l| before.contains(*l)) {
                s += if *l == "date" { 2.0 } else { 3.0 };
                label = Some((*l).to_string());
            } else if let Some(l) = ISSUE_LABELS
                .iter()
                .find(|l| prev.contains(*l) && **l != "date")
            {
                s += 1.5;
                label = Some((*l).to_string());
            }
            if DUE_LABELS
                .iter()
                .any(|l| before.contains(l) || (before.trim().is_empty() && prev.contains(l)))
            {
                s -= 3.0;
            }
            if PERIOD_LABELS.iter().any(|l| f.contains(l)) {
                s -= 1.0;
            }
            found.push((s, d, label, r.confidence));
        }
    }
    let count = |d: NaiveDate| found.iter().filter(|x| x.1 == d).count();
    let best = found.iter().max_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then(count(a.1).cmp(&count(b.1)))
            .then(a.1.cmp(&b.1))
    })?;
    let certainty = if best.0 >= 3.0 {
        0.9
    } else if best.0 > 0.0 {
        0.7
    } else {
        0.4
    };
    Some(ExtractedDate {
        date: best.1,
        label: best.2.clone(),
        confidence: best.3 * certainty,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).expect("date");
        assert_eq!(dates_in("Facture du 29/01/2021", true)[0].1, d(2021, 1, 29));
        assert_eq!(
            dates_in("Statement date 07/06/2011", false)[0].1,
            d(2011, 7, 6)
        );
        assert_eq!(dates_in("Issued July 6, 2011", false)[0].1, d(2011, 7, 6));
        assert_eq!(dates_in("le 29 janvier 2021", true)[0].1, d(2021, 1, 29));
        assert_eq!(dates_in("Date: 2018-09-25", true)[0].1, d(2018, 9, 25));
        assert!(dates_in("Invoice 1234567890", true).is_empty());
    }
}
