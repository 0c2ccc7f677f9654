//! Standalone proof-of-address checks (iDenfy's `POST /api/v2/poa-checks/`, idenfy-api.md §7.11): what kind of
//! letter it is, where it was issued, whether it is recent, and whether the holder's name and address match what the
//! partner provided. Every value is `None` when the letter does not show it.

use crate::compare::{ExpectedFields, FieldStatus, compare};
use crate::normalize::fold;
use crate::outcome::BillExtraction;
use chrono::NaiveDate;
use kycd_types::poa::{PoaFindings, PoaOverallStatus};

/// Kinds of proof-of-address letters and the words (folded, lower case; English, French, German, Spanish,
/// Lithuanian) that name them. A contact line ("by telephone", "on the internet") appears on every kind of letter, so
/// such words are not used.
const KINDS: &[(&str, &[&str])] = &[
    (
        "UTILITY_BILL",
        &[
            "electric",
            "electricity",
            "electricite",
            "electricidad",
            "elektros",
            "strom",
            "energy",
            "energie",
            "gas",
            "gaz",
            "dujos",
            "water",
            "eau",
            "wasser",
            "agua",
            "vanduo",
            "sewer",
            "utilities",
            "utility",
            "kwh",
            "meter",
            "compteur",
            "consumption",
            "consommation",
            "verbrauch",
            "heating",
            "chauffage",
        ],
    ),
    (
        "BANK_STATEMENT",
        &[
            "bank statement",
            "account statement",
            "statement of account",
            "releve de compte",
            "kontoauszug",
            "iban",
            "bic",
            "sort code",
            "opening balance",
            "closing balance",
            "solde",
        ],
    ),
    (
        "TAX_DOCUMENT",
        &[
            "council tax",
            "tax notice",
            "tax return",
            "tax assessment",
            "tax bill",
            "property tax",
            "avis d'impot",
            "steuerbescheid",
            "mokesciu",
        ],
    ),
    (
        "TELECOM_BILL",
        &[
            "broadband",
            "mobile plan",
            "data usage",
            "call charges",
            "roaming",
            "telecom",
            "fibre",
            "fiber",
        ],
    ),
    (
        "INSURANCE_DOCUMENT",
        &[
            "insurance",
            "policy number",
            "premium",
            "assurance",
            "versicherung",
            "draudimas",
        ],
    ),
];

/// The kinds accepted as proof of address.
pub const SUPPORTED_KINDS: &[&str] = &[
    "UTILITY_BILL",
    "BANK_STATEMENT",
    "TAX_DOCUMENT",
    "TELECOM_BILL",
    "INSURANCE_DOCUMENT",
];

/// Screen sizes (pixels, portrait or landscape) of common phones, tablets and monitors: an image of exactly such a
/// size is a screen capture, not a photograph or a scan.
const SCREEN_SIZES: &[(u32, u32)] = &[
    (750, 1334),
    (828, 1792),
    (1080, 1920),
    (1080, 2340),
    (1080, 2400),
    (1125, 2436),
    (1170, 2532),
    (1179, 2556),
    (1242, 2208),
    (1242, 2688),
    (1284, 2778),
    (1290, 2796),
    (1440, 2560),
    (1440, 3040),
    (1440, 3200),
    (1536, 2048),
    (1620, 2160),
    (1640, 2360),
    (1668, 2388),
    (2048, 2732),
    (1280, 720),
    (1366, 768),
    (1440, 900),
    (1536, 864),
    (1600, 900),
    (1680, 1050),
    (1920, 1080),
    (1920, 1200),
    (2560, 1440),
    (2560, 1600),
    (2880, 1800),
    (3024, 1964),
    (3456, 2234),
    (3840, 2160),
];

/// Whether an image of `width` × `height` pixels has the exact size of a device screen.
pub fn screen_sized(width: u32, height: u32) -> bool {
    SCREEN_SIZES
        .iter()
        .any(|&(w, h)| (w, h) == (width, height) || (h, w) == (width, height))
}

/// The kind of letter its text names (`UTILITY_BILL`, `BANK_STATEMENT`, …), if any: the kind with the most of its
/// words on the letter.
pub fn document_kind(ex: &BillExtraction) -> Option<&'static str> {
    let text = ex
        .rows
        .iter()
        .map(|r| fold(&r.text))
        .collect::<Vec<_>>()
        .join("\n");
    let has_word = |w: &str| {
        text.match_indices(w).any(|(i, _)| {
            let before = text[..i].chars().next_back();
            let after = text[i + w.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
    };
    // The kind with the most distinct words found; the earlier kind on a tie.
    let mut best: Option<(&'static str, usize)> = None;
    for (kind, words) in KINDS {
        let n = words.iter().filter(|w| has_word(w)).count();
        if n > 0 && best.is_none_or(|(_, b)| n > b) {
            best = Some((kind, n));
        }
    }
    best.map(|(k, _)| k)
}

/// Country-code top-level domains of the countries whose postal formats kycd reads, with their ISO codes.
const DOMAINS: &[(&str, &str)] = &[
    ("fr", "FR"),
    ("de", "DE"),
    ("lt", "LT"),
    ("lv", "LV"),
    ("ee", "EE"),
    ("pl", "PL"),
    ("es", "ES"),
    ("it", "IT"),
    ("nl", "NL"),
    ("be", "BE"),
    ("at", "AT"),
    ("ch", "CH"),
    ("uk", "GB"),
    ("ie", "IE"),
    ("pt", "PT"),
    ("se", "SE"),
    ("dk", "DK"),
    ("fi", "FI"),
    ("no", "NO"),
    ("cz", "CZ"),
    ("sk", "SK"),
    ("ca", "CA"),
    ("us", "US"),
];

/// The country the letter's web and e-mail addresses point to (`www.edf.fr` → `FR`), when they all agree: the
/// fallback for an address whose postcode format several countries share (`75001 PARIS`).
pub fn country_of_domains(ex: &BillExtraction) -> Option<&'static str> {
    let mut found: Option<&'static str> = None;
    for r in &ex.rows {
        let text = r.text.to_ascii_lowercase();
        for word in
            text.split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '(' || c == ')')
        {
            let host = word.rsplit('@').next().unwrap_or(word);
            let host = host.split('/').next().unwrap_or(host).trim_end_matches('.');
            if !(word.contains('@') || host.starts_with("www.")) {
                continue;
            }
            let Some(tld) = host.rsplit('.').next() else {
                continue;
            };
            if let Some((_, cc)) = DOMAINS.iter().find(|(d, _)| *d == tld) {
                match found {
                    Some(f) if f != *cc => return None,
                    _ => found = Some(cc),
                }
            }
        }
    }
    found
}

/// The provided name and address, and the day the 3-month rule counts from.
#[derive(Debug, Clone, Default)]
pub struct PoaRequest<'a> {
    /// `providedName`.
    pub name: Option<&'a str>,
    /// `providedAddress`.
    pub address: Option<&'a str>,
    /// Today.
    pub reference_date: Option<NaiveDate>,
    /// Whether the file is a screen capture (the caller knows the file's kind and size).
    pub is_screenshot: Option<bool>,
}

/// Checks a read letter against the request.
pub fn check(ex: &BillExtraction, req: &PoaRequest<'_>) -> PoaFindings {
    let provided = |v: Option<&str>| {
        v.map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let c = compare(
        ex,
        &ExpectedFields {
            address: provided(req.address),
            full_name: provided(req.name),
            reference_date: req.reference_date,
        },
    );
    let as_match = |s: FieldStatus| match s {
        FieldStatus::Match => Some(true),
        FieldStatus::NotMatch => Some(false),
        FieldStatus::NotFound | FieldStatus::NoData => None,
    };
    let compared: Vec<FieldStatus> = [c.name.status, c.address.status]
        .into_iter()
        .filter(|s| *s != FieldStatus::NoData)
        .collect();
    let overall_status = if compared.is_empty() {
        PoaOverallStatus::NotCompared
    } else if compared.iter().all(|s| *s == FieldStatus::Match) {
        PoaOverallStatus::Match
    } else {
        PoaOverallStatus::NoMatch
    };
    let document_type = document_kind(ex);
    let country = ex
        .address
        .as_ref()
        .and_then(|a| a.country.clone())
        .or_else(|| country_of_domains(ex).map(str::to_string));
    PoaFindings {
        issue_date: c.issue_date.value.clone(),
        document_type: document_type.map(str::to_string),
        document_type_supported: document_type.map(|k| SUPPORTED_KINDS.contains(&k)),
        // The country is supported when its postal format gave the holder's address.
        country_supported: country.as_ref().map(|_| ex.address.is_some()),
        country,
        has_logo: None,
        is_screenshot: req.is_screenshot,
        name_match: as_match(c.name.status),
        address_match: as_match(c.address.status),
        date_valid: c.issue_date.date_valid,
        overall_status,
        name: c.name.value,
        address: c.address.value,
        org_name: ex.issuer.as_ref().map(|i| i.value.clone()),
        org_address: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::fields_from_rows;
    use crate::layout::Fragment;
    use crate::outcome::BillSource;

    fn letter(lines: &[&str]) -> BillExtraction {
        let rows = lines
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let y0 = 60.0 + 30.0 * i as f32;
                Fragment {
                    text: (*t).to_string(),
                    x0: 40.0,
                    y0,
                    x1: 40.0 + 9.0 * t.len() as f32,
                    y1: y0 + 20.0,
                    confidence: 1.0,
                }
            })
            .collect();
        fields_from_rows(BillSource::PdfText, rows, 1100.0)
    }

    fn sample() -> BillExtraction {
        letter(&[
            "Northwind Energy Ltd",
            "Electricity bill",
            "Statement date: 02/11/2026",
            "JANE DOE",
            "12 HIGH STREET",
            "LONDON SW1A 1AA",
            "Amount due 54.20",
        ])
    }

    #[test]
    fn kinds_by_their_words() {
        let ex = sample();
        assert_eq!(document_kind(&ex), Some("UTILITY_BILL"));
        assert_eq!(
            document_kind(&letter(&["Monthly account statement", "IBAN LT12 1000"])),
            Some("BANK_STATEMENT")
        );
        // The letter's own words outvote a contact line.
        assert_eq!(
            document_kind(&letter(&[
                "Facture Électricité",
                "Consommation 340 kWh",
                "Par téléphone"
            ])),
            Some("UTILITY_BILL")
        );
        // A word inside another word does not count ("gas" in "Las Vegas").
        assert_eq!(document_kind(&letter(&["Las Vegas"])), None);
    }

    #[test]
    fn provided_values_decide_the_overall_status() {
        let ex = sample();
        let today = NaiveDate::from_ymd_opt(2026, 12, 7);
        let none = check(
            &ex,
            &PoaRequest {
                reference_date: today,
                ..Default::default()
            },
        );
        assert_eq!(none.overall_status, PoaOverallStatus::NotCompared);
        assert_eq!(none.name_match, None);
        assert_eq!(none.issue_date.as_deref(), Some("2026-11-02"));
        assert_eq!(none.date_valid, Some(true));
        assert_eq!(none.country.as_deref(), Some("GB"));
        let good = check(
            &ex,
            &PoaRequest {
                name: Some("Jane Doe"),
                address: Some("12 High Street, London SW1A 1AA"),
                reference_date: today,
                is_screenshot: Some(false),
            },
        );
        assert_eq!(good.overall_status, PoaOverallStatus::Match, "{good:?}");
        assert_eq!(
            (good.name_match, good.address_match),
            (Some(true), Some(true))
        );
        let bad = check(
            &ex,
            &PoaRequest {
                name: Some("John Smith"),
                address: Some("12 High Street, London SW1A 1AA"),
                reference_date: today,
                is_screenshot: None,
            },
        );
        assert_eq!(bad.overall_status, PoaOverallStatus::NoMatch);
        assert_eq!(bad.name_match, Some(false));
    }

    #[test]
    fn country_from_web_and_mail_addresses() {
        let ex = letter(&["e-mail : support@fictiocorp.com", "www.edf.fr /entreprises"]);
        assert_eq!(country_of_domains(&ex), Some("FR"));
        let ex = letter(&["www.example.co.uk", "help@example.de"]);
        assert_eq!(country_of_domains(&ex), None, "two countries disagree");
        assert_eq!(country_of_domains(&letter(&["Paris.fr is a city"])), None);
    }

    #[test]
    fn screen_sizes_either_way_round() {
        assert!(screen_sized(1170, 2532));
        assert!(screen_sized(2532, 1170));
        assert!(!screen_sized(735, 945));
    }
}
