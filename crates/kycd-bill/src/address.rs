//! The holder's address block: every postcode/city line anchors a candidate block (street lines
//! above it, a name line above those, a country line below); candidates are scored against the
//! issuer's letterhead and remittance addresses, and the best one is the holder's.

use crate::layout::{Fragment, aligned, line_above, pitch};
use crate::normalize::{address_tokens, fold};
use crate::postal::{PostLine, country_of_row, is_street_row, parse_post_line};
use crate::vocab::{ISSUER_MARKERS, LABEL_WORDS, is_company_row, is_company_word, words_of};
use crate::{ExtractedAddress, ExtractedField};

/// Labels printed above the holder's block.
const RECIPIENT_LABELS: &[&str] = &[
    "bill to",
    "billed to",
    "invoice to",
    "ship to",
    "deliver to",
    "service address",
    "customer address",
    "account holder",
    "nom du client",
    "titulaire",
    "adresse de facturation",
    "recipient",
    "to:",
];

/// Whether a row looks like a person's name (or an anonymised holder such as "CUSTOMER").
fn is_name_row(text: &str) -> bool {
    let t = text.trim();
    if t.ends_with(':') || t.len() > 48 {
        return false;
    }
    let toks: Vec<&str> = t.split_whitespace().collect();
    if toks.is_empty() || toks.len() > 5 {
        return false;
    }
    if !toks.iter().all(|w| {
        w.chars()
            .all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '’' | '.' | ','))
    }) {
        return false;
    }
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    if letters < 3 {
        return false;
    }
    let w = words_of(t);
    !w.iter()
        .any(|x| LABEL_WORDS.contains(&x.as_str()) || is_company_word(x))
        && country_of_row(t).is_none()
}

/// A scored address candidate.
#[derive(Debug, Clone)]
struct Candidate {
    rows: Vec<usize>,
    post: PostLine,
    name_row: Option<usize>,
    country_row: Option<usize>,
    score: f32,
}

fn build_candidate(rows: &[Fragment], i: usize, post: PostLine) -> Candidate {
    let pr = &rows[i];
    let mut block = vec![i];
    let mut name_row = None;
    if !post.has_street {
        // Walk up: street rows (1..3) aligned with the postcode line and close vertically.
        let mut cur = i;
        let mut streets = 0;
        for j in (0..i).rev() {
            let r = &rows[j];
            if !aligned(r, pr) {
                continue;
            }
            let p = pitch(r, &rows[cur]);
            if p > 2.3 {
                break;
            }
            if p < 0.5 {
                continue;
            }
            if streets < 3 && is_street_row(&r.text) && parse_post_line(&r.text).is_none() {
                block.insert(0, j);
                streets += 1;
                cur = j;
                continue;
            }
            if streets > 0 && is_name_row(&r.text) {
                name_row = Some(j);
            }
            break;
        }
    } else {
        for j in (0..i).rev() {
            let r = &rows[j];
            if aligned(r, pr) && pitch(r, pr) >= 0.5 {
                if line_above(r, pr) && is_name_row(&r.text) {
                    name_row = Some(j);
                }
                break;
            }
        }
    }
    let country_row = rows
        .iter()
        .enumerate()
        .skip(i + 1)
        .take(4)
        .find(|(_, r)| line_above(pr, r))
        .filter(|(_, r)| country_of_row(&r.text).is_some())
        .map(|(j, _)| j);
    Candidate {
        rows: block,
        post,
        name_row,
        country_row,
        score: 0.0,
    }
}

fn score(rows: &[Fragment], c: &mut Candidate, all: &[String]) {
    let mut s = 0.0f32;
    let has_street = c.post.has_street || c.rows.len() > 1;
    if has_street {
        s += 2.0;
    }
    if c.name_row.is_some() {
        s += 1.5;
    }
    let text: String = c
        .rows
        .iter()
        .map(|&j| rows[j].text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let w = words_of(&text);
    if w.iter().any(|x| ISSUER_MARKERS.contains(&x.as_str())) {
        s -= 2.5;
    }
    if let Some(n) = c.name_row
        && is_company_row(&rows[n].text)
    {
        s -= 2.5;
    }
    // Company name just above the block (the issuer's letterhead or remittance address).
    let first = c.rows[0];
    if let Some(above) = (0..first)
        .rev()
        .find(|&j| line_above(&rows[j], &rows[first]))
        && is_company_row(&rows[above].text)
    {
        s -= 2.0;
    }
    // A recipient label shortly above.
    let top = c.name_row.unwrap_or(first);
    if rows[top.saturating_sub(3)..=top]
        .iter()
        .any(|r| RECIPIENT_LABELS.iter().any(|l| fold(&r.text).contains(l)))
    {
        s += 1.0;
    }
    // The holder's address is often printed twice (statement and payment stub).
    let key = address_tokens(&text);
    let repeats = all.iter().filter(|t| address_tokens(t) == key).count();
    if repeats > 1 {
        s += 1.0;
    }
    c.score = s;
}

/// The holder's address, its name line, and the first rows of the other address blocks (issuer,
/// remittance and sender addresses: the issuer's name is usually just above one of them).
pub type AddressFinding = (
    Option<(ExtractedAddress, Option<ExtractedField>)>,
    Vec<usize>,
);

/// Finds the holder's address (and name) among the rows.
pub fn find_address(rows: &[Fragment]) -> AddressFinding {
    let mut cands: Vec<Candidate> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| parse_post_line(&r.text).map(|p| build_candidate(rows, i, p)))
        .collect();
    let texts: Vec<String> = cands
        .iter()
        .map(|c| {
            c.rows
                .iter()
                .map(|&j| rows[j].text.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    for c in &mut cands {
        score(rows, c, &texts);
    }
    // Best score; ties go to the first on the page.
    let mut best_i = None::<usize>;
    for (i, c) in cands.iter().enumerate() {
        if best_i.is_none_or(|b| c.score > cands[b].score) {
            best_i = Some(i);
        }
    }
    let Some(best_i) = best_i else {
        return (None, Vec::new());
    };
    let others: Vec<usize> = cands
        .iter()
        .enumerate()
        .filter(|(i, c)| *i != best_i && c.rows[0] != cands[best_i].rows[0])
        .map(|(_, c)| c.rows[0])
        .collect();
    let best = cands.swap_remove(best_i);
    let mut lines: Vec<String> = best.rows.iter().map(|&j| rows[j].text.clone()).collect();
    let mut conf: f32 =
        best.rows.iter().map(|&j| rows[j].confidence).sum::<f32>() / best.rows.len() as f32;
    let mut country = best.post.country.map(str::to_string);
    if let Some(cr) = best.country_row {
        lines.push(rows[cr].text.clone());
        country = country_of_row(&rows[cr].text)
            .map(str::to_string)
            .or(country);
    }
    // Heuristic certainty from the score: 2 (street only) → 0.6, 3.5+ (street and name) → 0.9.
    let certainty = (0.45 + best.score * 0.13).clamp(0.2, 0.95);
    conf *= certainty;
    let name = best.name_row.map(|n| ExtractedField {
        value: rows[n].text.trim().trim_end_matches(',').to_string(),
        confidence: rows[n].confidence * certainty,
    });
    (
        Some((
            ExtractedAddress {
                lines,
                postcode: Some(best.post.postcode.clone()),
                city: best.post.city.clone(),
                region: best.post.region.clone(),
                country,
                confidence: conf,
            },
            name,
        )),
        others,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rows() {
        for (text, is_name) in [
            ("JOHN DOE", true),
            ("Mme Zoé O’Brien-Dupont", true),
            ("Account number:", false),
            ("ACME Energy Ltd", false),
            ("123 Main Street", false),
            ("CANADA", false),
        ] {
            assert_eq!(is_name_row(text), is_name, "{text}");
        }
    }
}
