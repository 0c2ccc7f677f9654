//! Field finding on positioned text lines (from a PDF text layer or from OCR): postal address
//! blocks anchored on a postcode/city line, the holder's name above the block, the issue date by
//! its label, and the issuer by company words and letterhead position.

use chrono::NaiveDate;

use crate::normalize::fold;
use crate::{ExtractedAddress, ExtractedDate, ExtractedField};

/// A piece of text with its box (any unit, y downwards) and a read confidence in 0..1.
#[derive(Debug, Clone, PartialEq)]
pub struct Fragment {
    /// The text.
    pub text: String,
    /// Left.
    pub x0: f32,
    /// Top.
    pub y0: f32,
    /// Right.
    pub x1: f32,
    /// Bottom.
    pub y1: f32,
    /// Confidence of the reading (1 for a PDF text layer).
    pub confidence: f32,
}

impl Fragment {
    fn h(&self) -> f32 {
        (self.y1 - self.y0).max(1.0)
    }
}

/// Merges fragments on the same row that are close horizontally (OCR boxes split at wide spaces)
/// and returns rows sorted top to bottom, left to right.
pub fn merge_rows(mut frags: Vec<Fragment>) -> Vec<Fragment> {
    frags.retain(|f| !f.text.trim().is_empty());
    frags.sort_by(|a, b| {
        let ca = (a.y0 + a.y1) / 2.0;
        let cb = (b.y0 + b.y1) / 2.0;
        ca.total_cmp(&cb).then(a.x0.total_cmp(&b.x0))
    });
    let mut rows: Vec<Fragment> = Vec::new();
    'next: for f in frags {
        for r in rows.iter_mut().rev().take(12) {
            let overlap = (r.y1.min(f.y1) - r.y0.max(f.y0)).max(0.0);
            let hmin = r.h().min(f.h());
            let hmax = r.h().max(f.h());
            let gap = f.x0 - r.x1;
            if overlap >= 0.5 * hmin && gap > -0.5 * hmax && gap < 1.2 * hmax {
                let n = r.text.chars().count() as f32;
                let m = f.text.chars().count() as f32;
                r.confidence = (r.confidence * n + f.confidence * m) / (n + m).max(1.0);
                r.text.push(' ');
                r.text.push_str(f.text.trim());
                r.x1 = r.x1.max(f.x1);
                r.y0 = r.y0.min(f.y0);
                r.y1 = r.y1.max(f.y1);
                continue 'next;
            }
        }
        rows.push(Fragment {
            text: f.text.trim().to_string(),
            ..f
        });
    }
    rows.sort_by(|a, b| a.y0.total_cmp(&b.y0).then(a.x0.total_cmp(&b.x0)));
    rows
}

const US_STATES: &[(&str, &str)] = &[
    ("al", "alabama"),
    ("ak", "alaska"),
    ("az", "arizona"),
    ("ar", "arkansas"),
    ("ca", "california"),
    ("co", "colorado"),
    ("ct", "connecticut"),
    ("de", "delaware"),
    ("dc", "district of columbia"),
    ("fl", "florida"),
    ("ga", "georgia"),
    ("hi", "hawaii"),
    ("id", "idaho"),
    ("il", "illinois"),
    ("in", "indiana"),
    ("ia", "iowa"),
    ("ks", "kansas"),
    ("ky", "kentucky"),
    ("la", "louisiana"),
    ("me", "maine"),
    ("md", "maryland"),
    ("ma", "massachusetts"),
    ("mi", "michigan"),
    ("mn", "minnesota"),
    ("ms", "mississippi"),
    ("mo", "missouri"),
    ("mt", "montana"),
    ("ne", "nebraska"),
    ("nv", "nevada"),
    ("nh", "new hampshire"),
    ("nj", "new jersey"),
    ("nm", "new mexico"),
    ("ny", "new york"),
    ("nc", "north carolina"),
    ("nd", "north dakota"),
    ("oh", "ohio"),
    ("ok", "oklahoma"),
    ("or", "oregon"),
    ("pa", "pennsylvania"),
    ("ri", "rhode island"),
    ("sc", "south carolina"),
    ("sd", "south dakota"),
    ("tn", "tennessee"),
    ("tx", "texas"),
    ("ut", "utah"),
    ("vt", "vermont"),
    ("va", "virginia"),
    ("wa", "washington"),
    ("wv", "west virginia"),
    ("wi", "wisconsin"),
    ("wy", "wyoming"),
];

const CA_PROVINCES: &[&str] = &[
    "on", "qc", "bc", "ab", "mb", "sk", "ns", "nb", "nl", "pe", "yt", "nt", "nu",
];

/// Country names (folded) to alpha-2.
const COUNTRIES: &[(&str, &str)] = &[
    ("usa", "US"),
    ("united states", "US"),
    ("united states of america", "US"),
    ("canada", "CA"),
    ("france", "FR"),
    ("united kingdom", "GB"),
    ("uk", "GB"),
    ("great britain", "GB"),
    ("germany", "DE"),
    ("deutschland", "DE"),
    ("lithuania", "LT"),
    ("lietuva", "LT"),
    ("latvia", "LV"),
    ("latvija", "LV"),
    ("estonia", "EE"),
    ("eesti", "EE"),
    ("poland", "PL"),
    ("polska", "PL"),
    ("spain", "ES"),
    ("espana", "ES"),
    ("italy", "IT"),
    ("italia", "IT"),
    ("netherlands", "NL"),
    ("nederland", "NL"),
    ("belgium", "BE"),
    ("belgique", "BE"),
    ("ireland", "IE"),
    ("portugal", "PT"),
    ("austria", "AT"),
    ("switzerland", "CH"),
    ("suisse", "CH"),
];

/// Country alpha-2 for a row that is only a country name.
pub fn country_of_row(text: &str) -> Option<&'static str> {
    let f = fold(text);
    let f: String = f
        .chars()
        .map(|c| if c.is_ascii_alphabetic() { c } else { ' ' })
        .collect();
    let f = f.split_whitespace().collect::<Vec<_>>().join(" ");
    COUNTRIES.iter().find(|(n, _)| *n == f).map(|(_, c)| *c)
}

/// A postcode/city line.
#[derive(Debug, Clone, PartialEq)]
pub struct PostLine {
    /// The postcode as written (trimmed).
    pub postcode: String,
    /// City.
    pub city: Option<String>,
    /// State/province code or name, when written.
    pub region: Option<String>,
    /// Country inferred from the format (US ZIP + state, Canadian, UK), when unambiguous.
    pub country: Option<&'static str>,
    /// Whether the same line starts with a street part (number + words before the city).
    pub has_street: bool,
}

fn clean_tok(t: &str) -> String {
    t.trim_matches(|c: char| !c.is_alphanumeric() && c != '-')
        .to_string()
}

fn is_zip(t: &str) -> bool {
    let b = t.as_bytes();
    (b.len() == 5 && b.iter().all(u8::is_ascii_digit))
        || (b.len() == 10
            && b[5] == b'-'
            && b[..5].iter().all(u8::is_ascii_digit)
            && b[6..].iter().all(u8::is_ascii_digit))
}

fn is_ca_postcode(a: &str, b: Option<&str>) -> Option<usize> {
    let shape = |s: &[u8], alpha_first: bool| {
        s.len() == 3
            && s.iter().enumerate().all(|(i, c)| {
                if (i % 2 == 0) == alpha_first {
                    c.is_ascii_alphabetic()
                } else {
                    c.is_ascii_digit()
                }
            })
    };
    let a = a.as_bytes();
    if a.len() == 6 && shape(&a[..3], true) && shape(&a[3..], false) {
        return Some(1);
    }
    if let Some(b) = b
        && shape(a, true)
        && shape(b.as_bytes(), false)
    {
        return Some(2);
    }
    None
}

fn is_uk_postcode(a: &str, b: &str) -> bool {
    let a = a.as_bytes();
    let b = b.as_bytes();
    let outward = (2..=4).contains(&a.len())
        && a[0].is_ascii_alphabetic()
        && a.iter().any(u8::is_ascii_digit)
        && a.iter().all(u8::is_ascii_alphanumeric);
    let inward = b.len() == 3
        && b[0].is_ascii_digit()
        && b[1].is_ascii_alphabetic()
        && b[2].is_ascii_alphabetic();
    outward && inward
}

fn is_eu_postcode(t: &str) -> bool {
    let b = t.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match b.len() {
        4 | 5 => digits(b),
        // PL 00-950
        6 => b[2] == b'-' && digits(&b[..2]) && digits(&b[3..]),
        // LT-12345, LV-1010, D-10115, F-75001
        7 | 8 => {
            let dash = b.iter().position(|&c| c == b'-');
            matches!(dash, Some(1 | 2))
                && b[..dash.unwrap_or(0)].iter().all(u8::is_ascii_alphabetic)
                && digits(&b[dash.unwrap_or(0) + 1..])
                && (4..=5).contains(&(b.len() - dash.unwrap_or(0) - 1))
        }
        _ => false,
    }
}

/// Street-type words (folded) that cannot be a city.
fn is_street_word(w: &str) -> bool {
    matches!(
        crate::normalize::expand_abbreviation(w),
        "street"
            | "road"
            | "avenue"
            | "boulevard"
            | "drive"
            | "lane"
            | "court"
            | "place"
            | "square"
            | "highway"
            | "parkway"
            | "way"
            | "rue"
            | "allee"
            | "chemin"
            | "impasse"
            | "quai"
            | "cours"
            | "apartment"
            | "suite"
            | "pmb"
            | "box"
            | "floor"
    )
}

/// Recognises a postcode/city line in the usual formats: `CITY, ST 12345(-6789)`,
/// `CITY, Statename 12345`, `CITY, ON A1A 1A1`, `CITY AB1 2CD`, `12345 CITY`, `LT-12345 CITY`.
pub fn parse_post_line(text: &str) -> Option<PostLine> {
    let folded = fold(text);
    let toks: Vec<String> = folded.split_whitespace().map(clean_tok).collect();
    // Printed tokens for the output; transliteration can change the token count (e.g. CJK), in
    // which case the folded tokens are used instead.
    let mut raw: Vec<&str> = text.split_whitespace().collect();
    if raw.len() != toks.len() {
        raw = folded.split_whitespace().collect();
    }
    if toks.is_empty() || toks.len() > 14 {
        return None;
    }
    let n = toks.len();
    let has_digit_before = |i: usize| {
        toks[..i]
            .iter()
            .any(|t| t.chars().any(|c| c.is_ascii_digit()))
    };
    let join_raw = |from: usize, to: usize| -> Option<String> {
        let s = raw
            .get(from..to)?
            .iter()
            .map(|t| t.trim_matches(|c: char| c == ',' || c == ';'))
            .collect::<Vec<_>>()
            .join(" ");
        let s = s.trim().to_string();
        (!s.is_empty()).then_some(s)
    };
    // City: the words before `end` back to the previous comma (or to the start / a digit token).
    let city_before = |end: usize| -> (Option<String>, bool) {
        let mut start = end;
        while start > 0 {
            let t = &toks[start - 1];
            if t.is_empty() || t.chars().any(|c| c.is_ascii_digit()) || is_street_word(t) {
                break;
            }
            start -= 1;
            if raw
                .get(start.saturating_sub(1))
                .is_some_and(|r| r.ends_with(','))
                && start > 0
            {
                break;
            }
            if end - start >= 3 {
                break;
            }
        }
        (join_raw(start, end), start > 0 && has_digit_before(start))
    };
    // US / CA at the end of the line.
    let last = &toks[n - 1];
    if n >= 2 && is_zip(last) {
        // State code or name before the ZIP.
        let prev = toks[n - 2].as_str();
        let two = if n >= 3 {
            format!("{} {}", toks[n - 3], toks[n - 2])
        } else {
            String::new()
        };
        let (region_len, region) = if let Some((c, _)) = US_STATES.iter().find(|(c, _)| *c == prev)
        {
            (1, Some(c.to_uppercase()))
        } else if let Some((c, _)) = US_STATES.iter().find(|(_, name)| *name == prev) {
            (1, Some(c.to_uppercase()))
        } else if let Some((c, _)) = US_STATES.iter().find(|(_, name)| *name == two) {
            (2, Some(c.to_uppercase()))
        } else {
            (0, None)
        };
        if region.is_some() {
            let end = n - 1 - region_len;
            let (city, has_street) = city_before(end);
            return Some(PostLine {
                postcode: raw[n - 1]
                    .trim_matches(|c: char| !c.is_alphanumeric())
                    .to_string(),
                city,
                region,
                country: Some("US"),
                has_street,
            });
        }
    }
    for k in [2usize, 1] {
        if n > k {
            let a = &toks[n - k];
            let b = if k == 2 {
                Some(toks[n - 1].as_str())
            } else {
                None
            };
            if is_ca_postcode(a, b) == Some(k) {
                // "ON M6P 3K9" or "ON, Canada, M6P 3K9".
                let mut p = n - k - 1;
                if toks[p] == "canada" && p > 0 {
                    p -= 1;
                }
                let prov = toks[p].as_str();
                if CA_PROVINCES.contains(&prov) {
                    let (city, has_street) = city_before(p);
                    return Some(PostLine {
                        postcode: raw[n - k..].join(" ").to_uppercase(),
                        city,
                        region: Some(prov.to_uppercase()),
                        country: Some("CA"),
                        has_street,
                    });
                }
            }
        }
    }
    if n >= 3 && is_uk_postcode(&toks[n - 2], &toks[n - 1]) {
        let (city, has_street) = city_before(n - 2);
        if city.is_some() {
            return Some(PostLine {
                postcode: raw[n - 2..].join(" ").to_uppercase(),
                city,
                region: None,
                country: Some("GB"),
                has_street,
            });
        }
    }
    // EU: postcode followed by 1..4 city words (after an optional street part ending with a comma).
    for i in 0..n.saturating_sub(1) {
        if !is_eu_postcode(&toks[i]) {
            continue;
        }
        if i > 0 && !raw[i - 1].ends_with(',') {
            continue;
        }
        let city_words: Vec<&String> = toks[i + 1..].iter().collect();
        if city_words.is_empty()
            || city_words.len() > 4
            || city_words
                .iter()
                .any(|w| w.is_empty() || w.chars().any(|c| c.is_ascii_digit()) || is_street_word(w))
            || !city_words[0]
                .chars()
                .all(|c| c.is_alphabetic() || c == '-' || c == '\'')
        {
            continue;
        }
        return Some(PostLine {
            postcode: raw[i]
                .trim_matches(|c: char| !c.is_alphanumeric() && c != '-')
                .to_string(),
            city: join_raw(i + 1, n),
            region: None,
            country: None,
            has_street: i > 0 && has_digit_before(i),
        });
    }
    None
}

/// Whether a row looks like the start of a street line: a house number and a word, or a street
/// keyword.
fn is_street_row(text: &str) -> bool {
    let f = fold(text);
    let toks: Vec<String> = f
        .split_whitespace()
        .map(clean_tok)
        .filter(|t| !t.is_empty())
        .collect();
    if toks.is_empty() || toks.len() > 12 {
        return false;
    }
    let has_num = toks
        .iter()
        .any(|t| t.chars().next().is_some_and(|c| c.is_ascii_digit()) && t.len() <= 6);
    let has_word = toks
        .iter()
        .any(|t| t.chars().filter(char::is_ascii_alphabetic).count() >= 2);
    let kw = toks.iter().any(|t| is_street_word(t));
    has_word && (has_num || kw)
}

const LABEL_WORDS: &[&str] = &[
    "address",
    "adresse",
    "lieu",
    "consommation",
    "billing",
    "account",
    "compte",
    "invoice",
    "facture",
    "reference",
    "total",
    "montant",
    "page",
    "date",
    "amount",
    "due",
    "balance",
    "statement",
    "period",
    "number",
    "tel",
    "phone",
    "email",
    "www",
    "http",
    "payment",
    "paiement",
];

const COMPANY_WORDS: &[&str] = &[
    "inc",
    "llc",
    "ltd",
    "limited",
    "co",
    "corp",
    "corporation",
    "company",
    "gmbh",
    "ag",
    "sa",
    "sas",
    "sarl",
    "plc",
    "uab",
    "ab",
    "oy",
    "bv",
    "nv",
    "spa",
    "srl",
    "utilities",
    "utility",
    "electric",
    "electricity",
    "energy",
    "energie",
    "gas",
    "water",
    "telecom",
    "designs",
    "bank",
    "services",
    "department",
    "dept",
    "support",
    "customer service",
    "edf",
    "engie",
    "enedis",
];

fn words_of(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn is_company_row(text: &str) -> bool {
    let w = words_of(text);
    w.iter().any(|x| COMPANY_WORDS.contains(&x.as_str()))
}

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
        .any(|x| LABEL_WORDS.contains(&x.as_str()) || COMPANY_WORDS.contains(&x.as_str()))
        && country_of_row(t).is_none()
}

const ISSUER_MARKERS: &[&str] = &[
    "cedex",
    "tsa",
    "box",
    "department",
    "dept",
    "support",
    "remit",
    "remittance",
    "payments",
    "payment",
    "www",
    "http",
    "https",
    "tel",
    "phone",
    "fax",
    "correspondence",
    "bp",
    "cs",
];

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

/// A scored address candidate.
#[derive(Debug, Clone)]
struct Candidate {
    rows: Vec<usize>,
    post: PostLine,
    name_row: Option<usize>,
    country_row: Option<usize>,
    score: f32,
}

/// Same block column: left edges (or, for right-aligned letterheads, right edges) line up.
fn aligned(a: &Fragment, b: &Fragment) -> bool {
    let tol = (2.0 * a.h().max(b.h())).max(8.0);
    (a.x0 - b.x0).abs() <= tol || (a.x1 - b.x1).abs() <= tol * 0.5
}

/// Vertical distance from `upper`'s centre to `lower`'s centre in units of the taller box: about
/// 1 for consecutive lines of a block, whether the boxes are tight (PDF) or padded (OCR).
fn pitch(upper: &Fragment, lower: &Fragment) -> f32 {
    let cu = (upper.y0 + upper.y1) / 2.0;
    let cl = (lower.y0 + lower.y1) / 2.0;
    (cl - cu) / upper.h().max(lower.h())
}

/// `upper` is the line just above `lower` in the same left-aligned block.
fn line_above(upper: &Fragment, lower: &Fragment) -> bool {
    aligned(upper, lower) && (0.5..=2.3).contains(&pitch(upper, lower))
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
    let key = crate::normalize::address_tokens(&text);
    let repeats = all
        .iter()
        .filter(|t| crate::normalize::address_tokens(t) == key)
        .count();
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

const STRONG_COMPANY: &[&str] = &[
    "inc",
    "llc",
    "ltd",
    "limited",
    "co",
    "corp",
    "corporation",
    "company",
    "gmbh",
    "ag",
    "sa",
    "sas",
    "sarl",
    "plc",
    "uab",
    "ab",
    "oy",
    "bv",
    "nv",
    "spa",
    "srl",
    "utilities",
    "utility",
];
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
        if w.iter()
            .any(|x| COMPANY_WORDS.contains(&x.as_str()) && !STRONG_COMPANY.contains(&x.as_str()))
        {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_lines() {
        let p = parse_post_line("ANYTOWN, PA 18062").expect("us");
        assert_eq!(
            (p.postcode.as_str(), p.city.as_deref(), p.country),
            ("18062", Some("ANYTOWN"), Some("US"))
        );
        let p = parse_post_line("Detroit, Michigan 12345").expect("us name");
        assert_eq!(p.region.as_deref(), Some("MI"));
        let p = parse_post_line("ON, Canada, M5H 2H7").expect("ca with country");
        assert_eq!((p.postcode.as_str(), p.city), ("M5H 2H7", None));
        let p = parse_post_line("Toronto, ON, M6P 3K9").expect("ca");
        assert_eq!(
            (p.postcode.as_str(), p.city.as_deref()),
            ("M6P 3K9", Some("Toronto"))
        );
        let p = parse_post_line("75001 PARIS").expect("fr");
        assert_eq!(
            (p.postcode.as_str(), p.city.as_deref()),
            ("75001", Some("PARIS"))
        );
        let p = parse_post_line("2 North 9th Street CPC-GENN1, Allentown, PA 18101-1175")
            .expect("one line");
        assert!(p.has_street);
        assert_eq!(p.city.as_deref(), Some("Allentown"));
        let p = parse_post_line("London SW1A 2AA").expect("uk");
        assert_eq!(p.country, Some("GB"));
        let p = parse_post_line("LT-01103 Vilnius").expect("lt");
        assert_eq!(p.postcode, "LT-01103");
        assert!(parse_post_line("1234 Market Street PMB 4321").is_none());
        assert!(parse_post_line("0 800 555 123").is_none());
        assert!(parse_post_line("Total 1479,85").is_none());
    }

    proptest::proptest! {
        #[test]
        fn field_finders_never_panic(texts in proptest::collection::vec(".{0,40}", 0..12), ys in proptest::collection::vec(0f32..500.0, 12)) {
            let rows: Vec<Fragment> = texts
                .iter()
                .zip(&ys)
                .map(|(t, y)| row(t, (*y * 7.0) % 300.0, *y))
                .collect();
            let rows = merge_rows(rows);
            let (found, others) = find_address(&rows);
            let _ = found;
            let _ = find_issue_date(&rows, true);
            let _ = find_issuer(&rows, 500.0, &[], &others);
            for t in &texts {
                let _ = parse_post_line(t);
                let _ = dates_in(t, false);
            }
        }

        #[test]
        fn post_line_round_trip(zip in 10_000u32..99_999, city in "[A-Z][a-z]{2,12}", st in proptest::sample::select(vec!["PA", "NY", "CA", "TX"])) {
            let p = parse_post_line(&format!("{city}, {st} {zip}")).expect("parsed");
            proptest::prop_assert_eq!(p.postcode, zip.to_string());
            proptest::prop_assert_eq!(p.city, Some(city));
        }
    }

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

    fn row(text: &str, x: f32, y: f32) -> Fragment {
        Fragment {
            text: text.into(),
            x0: x,
            y0: y,
            x1: x + 8.0 * text.len() as f32,
            y1: y + 12.0,
            confidence: 1.0,
        }
    }

    #[test]
    fn picks_the_holder_block_not_the_issuer() {
        let rows = merge_rows(vec![
            row("ACME Energy Ltd", 40.0, 20.0),
            row("Customer Support Department", 40.0, 36.0),
            row("PO Box 12", 40.0, 52.0),
            row("12345 DEMOCITY CEDEX", 40.0, 68.0),
            row("JOHN DOE", 320.0, 100.0),
            row("123 RUE DE L'IMAGINAIRE", 320.0, 116.0),
            row("75001 PARIS", 320.0, 132.0),
            row("Invoice date: 29/01/2021", 40.0, 200.0),
            row("Due date: 15/02/2021", 40.0, 216.0),
        ]);
        let (found, others) = find_address(&rows);
        let (addr, name) = found.expect("address");
        assert_eq!(addr.lines, vec!["123 RUE DE L'IMAGINAIRE", "75001 PARIS"]);
        assert_eq!(name.expect("name").value, "JOHN DOE");
        let date = find_issue_date(&rows, true).expect("date");
        assert_eq!(date.date, NaiveDate::from_ymd_opt(2021, 1, 29).expect("d"));
        let issuer = find_issuer(&rows, 800.0, &[], &others).expect("issuer");
        assert_eq!(issuer.value, "ACME Energy Ltd");
    }
}
