//! Postal addresses line by line: the postcode/city line in the usual national formats (US ZIP
//! with state, Canadian, UK, European `12345 CITY` / `LT-12345 CITY`), street lines, and a line
//! that is only a country name.

use crate::normalize::{expand_abbreviation, fold};

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
        expand_abbreviation(w),
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
pub(crate) fn is_street_row(text: &str) -> bool {
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

    #[test]
    fn street_and_country_rows() {
        assert!(is_street_row("123 RUE DE L'IMAGINAIRE"));
        assert!(is_street_row("Apt 4, Willow Court"));
        assert!(!is_street_row("JOHN DOE"));
        assert_eq!(country_of_row("United States"), Some("US"));
        assert_eq!(country_of_row("LIETUVA."), Some("LT"));
        assert_eq!(country_of_row("Paris"), None);
    }

    proptest::proptest! {
        #[test]
        fn post_line_round_trip(zip in 10_000u32..99_999, city in "[A-Z][a-z]{2,12}", st in proptest::sample::select(vec!["PA", "NY", "CA", "TX"])) {
            let p = parse_post_line(&format!("{city}, {st} {zip}")).expect("parsed");
            proptest::prop_assert_eq!(p.postcode, zip.to_string());
            proptest::prop_assert_eq!(p.city, Some(city));
        }
    }
}
