//! Comparison of an extraction with the partner's `additionalData` and the verification's
//! document holder, in iDenfy's vocabulary.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::normalize::{AddressTokens, address_tokens, is_country_word, name_tokens, word_close};
use crate::{BillExtraction, StepStatus};

/// Result of one compared field (iDenfy `additionalData.<STEP>.<field>.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FieldStatus {
    /// The value on the bill equals the expected one.
    Match,
    /// A value was read and differs from the expected one.
    NotMatch,
    /// Nothing could be read from the bill for this field.
    NotFound,
    /// No expected value was given to compare with.
    NoData,
}

/// What the bill is compared with.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpectedFields {
    /// `additionalData.UTILITY_BILL.address` sent by the partner.
    pub address: Option<String>,
    /// The holder's full name (from the identity document, or the partner's data).
    pub full_name: Option<String>,
    /// "Today" for the age check (the verification's time); `None` skips the age check.
    pub reference_date: Option<NaiveDate>,
}

/// One compared field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldComparison {
    /// The value read from the bill.
    pub value: Option<String>,
    /// The comparison outcome.
    pub status: FieldStatus,
}

/// The age check of the bill's issue date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DateCheck {
    /// Issue date read from the bill (`YYYY-MM-DD`).
    pub value: Option<String>,
    /// Age in days at the reference date.
    pub age_days: Option<i64>,
    /// `true` when the bill is at most 3 months old (and not dated in the future); `None` when
    /// either date is unknown.
    pub date_valid: Option<bool>,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillComparison {
    /// Address on the bill vs `ExpectedFields::address`.
    pub address: FieldComparison,
    /// Holder name on the bill vs `ExpectedFields::full_name`.
    pub name: FieldComparison,
    /// Issue date and the 3-month rule.
    pub issue_date: DateCheck,
    /// Overall step status (`status.additionalSteps`).
    pub status: StepStatus,
}

impl BillComparison {
    /// `additionalData.UTILITY_BILL` for a COMPARE step: for each configured field name a
    /// `{"value", "status"}` object. Known names: `address`, `name`/`fullName`, `issueDate`,
    /// `issuer`; other names get `{"value": null, "status": "NOT_FOUND"}`.
    pub fn to_additional_data(&self, extraction: &BillExtraction, fields: &[&str]) -> Value {
        let mut m = Map::new();
        for f in fields {
            let (value, status) = match *f {
                "address" => (self.address.value.clone(), self.address.status),
                "name" | "fullName" => (self.name.value.clone(), self.name.status),
                "issueDate" => (
                    self.issue_date.value.clone(),
                    match self.issue_date.date_valid {
                        Some(true) => FieldStatus::Match,
                        Some(false) => FieldStatus::NotMatch,
                        None if self.issue_date.value.is_none() => FieldStatus::NotFound,
                        None => FieldStatus::NoData,
                    },
                ),
                "issuer" => {
                    let v = extraction.issuer.as_ref().map(|i| i.value.clone());
                    let s = if v.is_some() {
                        FieldStatus::NoData
                    } else {
                        FieldStatus::NotFound
                    };
                    (v, s)
                }
                _ => (None, FieldStatus::NotFound),
            };
            m.insert(
                (*f).to_string(),
                json!({ "value": value, "status": status }),
            );
        }
        Value::Object(m)
    }
}

/// Address comparison: every number (house, unit, postcode) must be present on both sides
/// exactly (a ZIP+4 matches its 5-digit ZIP), and at least 75 % of the words of each side must be
/// found on the other (one OCR error allowed in long words; country names that only one side
/// writes are ignored).
pub fn compare_address(found: &str, expected: &str) -> FieldStatus {
    let a = address_tokens(found);
    let b = address_tokens(expected);
    if b.numbers.is_empty() && b.words.is_empty() {
        return FieldStatus::NoData;
    }
    if a.numbers.is_empty() && a.words.is_empty() {
        return FieldStatus::NotFound;
    }
    if addresses_match(&a, &b) {
        FieldStatus::Match
    } else {
        FieldStatus::NotMatch
    }
}

fn number_eq(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    // ZIP+4 vs ZIP.
    let zip = |s: &str| {
        s.len() == 10 && s.as_bytes()[5] == b'-' && s[..5].chars().all(|c| c.is_ascii_digit())
    };
    (zip(a) && &a[..5] == b) || (zip(b) && &b[..5] == a)
}

fn numbers_match(a: &[String], b: &[String]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut used = vec![false; b.len()];
    for x in a {
        match b
            .iter()
            .enumerate()
            .position(|(j, y)| !used[j] && number_eq(x, y))
        {
            Some(j) => used[j] = true,
            None => return false,
        }
    }
    true
}

fn coverage(from: &AddressTokens, to: &AddressTokens, other_has_country: bool) -> f32 {
    let words: Vec<&String> = from
        .words
        .iter()
        .filter(|w| other_has_country || !is_country_word(w))
        .collect();
    if words.is_empty() {
        return 1.0;
    }
    let hit = words
        .iter()
        .filter(|w| to.words.iter().any(|t| word_close(w, t)))
        .count();
    hit as f32 / words.len() as f32
}

fn addresses_match(a: &AddressTokens, b: &AddressTokens) -> bool {
    if !numbers_match(&a.numbers, &b.numbers) {
        return false;
    }
    let a_country = a.words.iter().any(|w| is_country_word(w));
    let b_country = b.words.iter().any(|w| is_country_word(w));
    coverage(a, b, b_country) >= 0.75 && coverage(b, a, a_country) >= 0.75
}

/// Name comparison: the token sets must be equal, allowing one OCR error in long tokens, or one
/// side may have one extra (middle) name when both have at least two tokens.
pub fn compare_name(found: &str, expected: &str) -> FieldStatus {
    let a = name_tokens(found);
    let b = name_tokens(expected);
    if b.is_empty() {
        return FieldStatus::NoData;
    }
    if a.is_empty() {
        return FieldStatus::NotFound;
    }
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    let hits = short
        .iter()
        .filter(|s| long.iter().any(|l| word_close(s, l)))
        .count();
    let ok = hits == short.len()
        && (long.len() == short.len() || (short.len() >= 2 && long.len() - short.len() <= 1));
    if ok {
        FieldStatus::Match
    } else {
        FieldStatus::NotMatch
    }
}

/// Age check: at most 3 calendar months before `reference`, and not after it.
pub fn check_date(issue: Option<NaiveDate>, reference: Option<NaiveDate>) -> DateCheck {
    let value = issue.map(|d| d.format("%Y-%m-%d").to_string());
    match (issue, reference) {
        (Some(d), Some(r)) => {
            let limit = r
                .checked_sub_months(Months::new(3))
                .unwrap_or(NaiveDate::MIN);
            DateCheck {
                value,
                age_days: Some((r - d).num_days()),
                date_valid: Some(d >= limit && d <= r),
            }
        }
        _ => DateCheck {
            value,
            age_days: None,
            date_valid: None,
        },
    }
}

/// Compares an extraction with the expected fields.
pub fn compare(extraction: &BillExtraction, expected: &ExpectedFields) -> BillComparison {
    let found_address = extraction.address.as_ref().map(|a| a.single_line());
    let address = FieldComparison {
        status: match (&found_address, &expected.address) {
            (_, None) => FieldStatus::NoData,
            (_, Some(e)) if e.trim().is_empty() => FieldStatus::NoData,
            (None, Some(_)) => FieldStatus::NotFound,
            (Some(f), Some(e)) => compare_address(f, e),
        },
        value: found_address,
    };
    let found_name = extraction.holder_name.as_ref().map(|n| n.value.clone());
    let name = FieldComparison {
        status: match (&found_name, &expected.full_name) {
            (_, None) => FieldStatus::NoData,
            (_, Some(e)) if e.trim().is_empty() => FieldStatus::NoData,
            (None, Some(_)) => FieldStatus::NotFound,
            (Some(f), Some(e)) => compare_name(f, e),
        },
        value: found_name,
    };
    let issue_date = check_date(
        extraction.issue_date.as_ref().map(|d| d.date),
        expected.reference_date,
    );
    let status = step_status_of(extraction, &address, &name, &issue_date);
    BillComparison {
        address,
        name,
        issue_date,
        status,
    }
}

/// `status.additionalSteps`: NOT_FOUND when no address could be read from the bill; INVALID when
/// the address or the name does not match or the bill is older than 3 months; VALID otherwise.
fn step_status_of(
    extraction: &BillExtraction,
    address: &FieldComparison,
    name: &FieldComparison,
    date: &DateCheck,
) -> StepStatus {
    if extraction.address.is_none() {
        return StepStatus::NotFound;
    }
    if address.status == FieldStatus::NotMatch
        || name.status == FieldStatus::NotMatch
        || date.date_valid == Some(false)
    {
        return StepStatus::Invalid;
    }
    StepStatus::Valid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_tolerance_and_strictness() {
        use FieldStatus::*;
        let cases = [
            (
                "123 MAIN ST, ANYTOWN, PA 18062",
                "123 Main Street, Anytown PA 18062, USA",
                Match,
            ),
            (
                "123 MAIN ST, ANYTOWN, PA 18062",
                "Anytown, 123 Main St., PA 18062",
                Match,
            ),
            (
                "123 MAIN ST, ANYTOWN, PA 18062",
                "124 Main Street, Anytown PA 18062",
                NotMatch,
            ),
            (
                "123 MAIN ST, ANYTOWN, PA 18062",
                "123 Main Street, Anytown PA 18063",
                NotMatch,
            ),
            (
                "123 MAIN ST, ANYTOWN, PA 18062",
                "827 Hausman Road, Allentown, PA 18104",
                NotMatch,
            ),
            (
                "123 RUE DE L’IMAGINAIRE, 75001 PARIS",
                "123 rue de l'Imaginaire 75001 Paris France",
                Match,
            ),
            (
                "12 AVENUE DES RÊVES, 75000 PARIS",
                "12 av des reves, 75000 Paris",
                Match,
            ),
            (
                "1954 Bloor Street West, Toronto, ON, M6P 3K9, Canada",
                "1954 Bloor St W, Toronto ON M6P3K9",
                Match,
            ),
            ("12 Main St Apt 4", "12 Main St Apt 5", NotMatch),
            (
                "18101-1175 Allentown PA 2 North 9th Street",
                "2 N 9th St, Allentown PA 18101",
                Match,
            ),
        ];
        for (found, exp, want) in cases {
            assert_eq!(compare_address(found, exp), want, "{found} vs {exp}");
        }
        assert_eq!(compare_address("", "1 Main St"), NotFound);
        assert_eq!(compare_address("1 Main St", "  "), NoData);
    }

    #[test]
    fn names() {
        use FieldStatus::*;
        assert_eq!(compare_name("JOHN DOE", "John Doe"), Match);
        assert_eq!(compare_name("DOE JOHN", "John Doe"), Match);
        assert_eq!(compare_name("Mr John Q Doe", "John Doe"), Match);
        assert_eq!(compare_name("CUSTOMER", "John Doe"), NotMatch);
        assert_eq!(compare_name("Jane Doe", "John Doe"), NotMatch);
        assert_eq!(compare_name("Jöhn Döe", "JOHN DOE"), Match);
    }

    #[test]
    fn three_month_rule() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        assert_eq!(
            check_date(d("2021-01-29"), d("2021-04-29")).date_valid,
            Some(true)
        );
        assert_eq!(
            check_date(d("2021-01-28"), d("2021-04-29")).date_valid,
            Some(false)
        );
        assert_eq!(
            check_date(d("2021-05-01"), d("2021-04-29")).date_valid,
            Some(false)
        );
        assert_eq!(check_date(None, d("2021-04-29")).date_valid, None);
        assert_eq!(
            check_date(d("2021-01-29"), d("2021-02-08")).age_days,
            Some(10)
        );
    }
}
