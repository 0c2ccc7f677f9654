//! The issuer: the company that sent the bill, found by its legal form or sector words, by
//! standing just above another address block (letterhead, remittance or sender address), or as
//! the largest word at the top of the page (a logo).

use crate::ExtractedField;
use crate::layout::{Fragment, line_above};
use crate::vocab::{ISSUER_MARKERS, LABEL_WORDS, STRONG_COMPANY, WEAK_COMPANY, words_of};

/// First words of sentences and labels, not of a company name.
const NOT_ISSUER_START: &[&str] = &[
    "your",
    "votre",
    "vos",
    "our",
    "total",
    "payable",
    "this",
    "the",
    "customer",
    "service",
    "services",
    "department",
    "support",
    "amount",
    "thank",
    "merci",
];

/// The issuer: rows scored by company words (legal-form suffixes count most), by standing just
/// above another address block (letterhead, remittance or sender address) and by repetition;
/// rows that read like a sentence or a label are skipped. Without a positive score, the largest
/// text in the top fifth of the page (a logo word).
pub fn find_issuer(
    rows: &[Fragment],
    page_h: f32,
    exclude: &[String],
    other_blocks: &[usize],
) -> Option<ExtractedField> {
    let above_block: Vec<usize> = other_blocks
        .iter()
        .filter_map(|&b| (0..b).rev().find(|&j| line_above(&rows[j], &rows[b])))
        .collect();
    let mut best: Option<(f32, usize)> = None;
    for (i, r) in rows.iter().enumerate() {
        let near_block = above_block.contains(&i);
        if (r.y1 > page_h * 0.45 && !near_block) || exclude.iter().any(|e| e == &r.text) {
            continue;
        }
        let w = words_of(&r.text);
        let letters = r.text.chars().filter(|c| c.is_alphabetic()).count();
        if letters < 3
            || w.is_empty()
            || w.len() > 6
            || r.text.trim_end().ends_with(':')
            || r.text.chars().any(|c| c.is_ascii_digit())
        {
            continue;
        }
        let mut s = 0.0f32;
        if w.iter().any(|x| STRONG_COMPANY.contains(&x.as_str())) {
            s += 2.0;
        }
        if w.iter().any(|x| WEAK_COMPANY.contains(&x.as_str())) {
            s += 1.0;
        }
        if near_block {
            s += 2.5;
        }
        let key = r.text.to_lowercase();
        if rows.iter().filter(|o| o.text.to_lowercase() == key).count() > 1 {
            s += 1.0;
        }
        if NOT_ISSUER_START.contains(&w[0].as_str())
            || w.iter()
                .any(|x| ISSUER_MARKERS.contains(&x.as_str()) || LABEL_WORDS.contains(&x.as_str()))
        {
            s -= 4.0;
        }
        if s <= 0.0 {
            continue;
        }
        if best.is_none_or(|(bs, bi)| s > bs || (s == bs && r.h() > rows[bi].h())) {
            best = Some((s, i));
        }
    }
    if let Some((s, i)) = best {
        return Some(ExtractedField {
            value: rows[i].text.trim().to_string(),
            confidence: rows[i].confidence * (0.4 + 0.1 * s).min(0.9),
        });
    }
    let logo = rows
        .iter()
        .filter(|r| r.y1 <= page_h * 0.2)
        .filter(|r| {
            let letters = r.text.chars().filter(|c| c.is_alphabetic()).count();
            letters >= 3
                && !r.text.chars().any(|c| c.is_ascii_digit())
                && r.text.split_whitespace().count() <= 4
        })
        .max_by(|a, b| a.h().total_cmp(&b.h()))?;
    Some(ExtractedField {
        value: logo.text.trim().to_string(),
        confidence: logo.confidence * 0.5,
    })
}
