//! Consistency: the document against the token's prefilled data and age limits, and the MRZ against the visual
//! zone. Each disagreement is a [`Finding`]; the decision turns them into mismatch tags.

use crate::checks::DocumentFacts;
use kycd_types::text::{alnum_upper, name_tokens};
use kycd_types::token::TokenSettings;
use kycd_types::{DocSex, MismatchTag};

/// One disagreement found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The tag it makes; `None` for a disagreement recorded as evidence only.
    pub tag: Option<MismatchTag>,
    /// Rule id (for the `kycd.rules` evidence).
    pub rule: &'static str,
    /// Human-readable detail (no personal data).
    pub detail: String,
}

impl Finding {
    fn tag(tag: MismatchTag, rule: &'static str, detail: impl Into<String>) -> Self {
        Self {
            tag: Some(tag),
            rule,
            detail: detail.into(),
        }
    }
}

/// Whether a prefilled name agrees with the document's: the same tokens in any order, where a document token may be
/// a truncation (MRZ names are cut at the line length) or the prefill may omit middle names.
pub fn names_agree(prefill: &str, document: &str) -> bool {
    let p = name_tokens(prefill);
    let d = name_tokens(document);
    if p.is_empty() || d.is_empty() {
        return true;
    }
    if p.concat() == d.concat() {
        return true;
    }
    // Every prefill token is on the document (or is a prefix-truncation of one / the other way round).
    p.iter().all(|t| {
        d.iter().any(|u| {
            u == t
                || (u.len() >= 3 && t.starts_with(u.as_str()))
                || (t.len() >= 3 && u.starts_with(t.as_str()))
        })
    })
}

/// `YYYY-MM-DD` → (y, m, d).
pub fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = s.get(0..4)?.parse().ok()?;
    let m = s.get(5..7)?.parse().ok()?;
    let d = s.get(8..10)?.parse().ok()?;
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

/// Age in whole years on `today`.
pub fn age_on(dob: &str, today: &str) -> Option<i64> {
    let (by, bm, bd) = parse_date(dob)?;
    let (ty, tm, td) = parse_date(today)?;
    let mut age = i64::from(ty - by);
    if (tm, td) < (bm, bd) {
        age -= 1;
    }
    (age >= 0).then_some(age)
}

fn sex_code(s: &str) -> Option<DocSex> {
    match s.trim().to_ascii_uppercase().as_str() {
        "M" | "MALE" => Some(DocSex::Male),
        "F" | "FEMALE" => Some(DocSex::Female),
        _ => None,
    }
}

/// Every disagreement between the document and the token (prefill, age limits) and within the document (MRZ ↔
/// visual zone), in a fixed order.
pub fn check(token: &TokenSettings, doc: &DocumentFacts, today: &str) -> Vec<Finding> {
    let d = &doc.data;
    let t = token;
    let mut out = Vec::new();
    let names = [
        (
            t.first_name.as_deref(),
            d.first_name.as_deref(),
            MismatchTag::Name,
            "first name",
        ),
        (
            t.last_name.as_deref(),
            d.last_name.as_deref(),
            MismatchTag::Surname,
            "last name",
        ),
    ];
    for (p, v, tag, what) in names {
        if let (Some(p), Some(v)) = (p, v)
            && !names_agree(p, v)
        {
            out.push(Finding::tag(
                tag,
                "prefill",
                format!("{what} differs from the document"),
            ));
        }
    }
    let codes = [
        (
            t.date_of_birth.as_deref(),
            d.dob.as_deref(),
            MismatchTag::DateOfBirth,
            "date of birth",
        ),
        (
            t.document_number.as_deref(),
            d.number.as_deref(),
            MismatchTag::DocumentNumber,
            "document number",
        ),
        (
            t.personal_number.as_deref(),
            d.personal_code.as_deref(),
            MismatchTag::PersonalCode,
            "personal number",
        ),
        (
            t.date_of_expiry.as_deref(),
            d.expiry.as_deref(),
            MismatchTag::ExpiryDate,
            "expiry date",
        ),
        (
            t.date_of_issue.as_deref(),
            d.date_of_issue.as_deref(),
            MismatchTag::DateOfIssue,
            "date of issue",
        ),
    ];
    for (p, v, tag, what) in codes {
        if let (Some(p), Some(v)) = (p, v)
            && alnum_upper(p) != alnum_upper(v)
        {
            out.push(Finding::tag(
                tag,
                "prefill",
                format!("{what} differs from the document"),
            ));
        }
    }
    if let (Some(p), Some(v)) = (t.nationality.as_deref(), d.nationality.as_deref())
        && !p.eq_ignore_ascii_case(v)
    {
        out.push(Finding::tag(
            MismatchTag::Nationality,
            "prefill",
            "nationality differs from the document",
        ));
    }
    if let (Some(p), Some(v)) = (t.sex.as_deref().and_then(sex_code), d.sex)
        && v != DocSex::Undefined
        && p != v
    {
        out.push(Finding::tag(
            MismatchTag::Sex,
            "prefill",
            "sex differs from the document",
        ));
    }
    age_limits(t, d.dob.as_deref(), today, &mut out);
    visual_zone(doc, &mut out);
    out
}

fn age_limits(t: &TokenSettings, dob: Option<&str>, today: &str, out: &mut Vec<Finding>) {
    if t.age_limit.is_none() && t.age_max.is_none() {
        return;
    }
    match dob.and_then(|dob| age_on(dob, today)) {
        None => out.push(Finding::tag(
            MismatchTag::UnknownAge,
            "age",
            "an age limit is set but no date of birth was read",
        )),
        Some(age) => {
            if let Some(min) = t.age_limit
                && age < min
            {
                out.push(Finding::tag(
                    MismatchTag::UnderAge,
                    "age",
                    format!("age {age} below the limit {min}"),
                ));
            }
            if let Some(max) = t.age_max
                && age > max
            {
                out.push(Finding::tag(
                    MismatchTag::OverAge,
                    "age",
                    format!("age {age} above the maximum {max}"),
                ));
            }
        }
    }
}

/// MRZ and visual zone disagree. A single differing field is within the visual-zone OCR's error rate (measured on
/// synthetic documents: about one field in four misread on clean photos), so it is recorded as evidence only; two
/// or more differing fields make the tag.
fn visual_zone(doc: &DocumentFacts, out: &mut Vec<Finding>) {
    match doc.viz_mismatches.len() {
        0 => {}
        1 => out.push(Finding {
            tag: None,
            rule: "mrz-vs-visual-zone",
            detail: format!(
                "visual zone disagrees with the MRZ on one field ({}); within OCR error, not tagged",
                doc.viz_mismatches[0]
            ),
        }),
        _ => out.push(Finding::tag(
            MismatchTag::DocInfoMismatch,
            "mrz-vs-visual-zone",
            format!(
                "visual zone disagrees with the MRZ on: {}",
                doc.viz_mismatches.join(", ")
            ),
        )),
    }
}
