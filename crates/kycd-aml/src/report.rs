//! The webhook-shaped `AML` array (iDenfy v2 legacy shape, idenfy-api.md §8.1).

use serde::{Deserialize, Serialize};

use crate::dates::MONTHS;
use crate::model::Topic;
use crate::screen::{Hit, ScreenResult};

/// Per-service status flags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmlStatus {
    /// A record was found.
    pub service_suspected: bool,
    /// False when an error occurred.
    pub check_successful: bool,
    /// A service exists for the country.
    pub service_found: bool,
    /// The service was actually called.
    pub service_used: bool,
    /// `SUSPECTED` / `NOT_SUSPECTED`.
    pub overall_status: String,
}

/// One AML data item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmlData {
    /// Given name(s), upper case.
    pub name: String,
    /// Family name, upper case.
    pub surname: String,
    /// Country name(s), upper case, or `UNKNOWN`.
    pub nationality: String,
    /// Date of birth as listed (`30 AUG 1954`, `1956`).
    pub dob: Option<String>,
    /// `SANCTION` / `PEPS` / `OTHER`.
    pub suspicion: String,
    /// Programme / position.
    pub reason: Option<String>,
    /// List reference number.
    pub list_number: Option<String>,
    /// List name (`OFAC`, `UN`, `EU`, `UK`...).
    pub list_name: Option<String>,
    /// 0–100.
    pub score: u8,
    /// Last update of the entry / list (`YYYY-MM-DD`).
    pub last_update: Option<String>,
    /// Exit date (delisting), unknown for current lists.
    pub exit_date: Option<String>,
    /// Natural person.
    pub is_person: bool,
    /// Currently listed.
    pub is_active: bool,
    /// Linked document.
    pub linked_document: Option<String>,
    /// PEP level.
    pub pep_level: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Match explanation (match types and per-feature scores).
    pub other_information: Option<String>,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub check_date: String,
    /// Whitelisted by the partner.
    pub whitelisted: bool,
}

/// One service result of the `AML` array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmlServiceResult {
    /// Status flags.
    pub status: AmlStatus,
    /// Hits.
    pub data: Vec<AmlData>,
    /// `AML_NAMES_CHECK`.
    pub service_name: String,
    /// `AML`.
    pub service_group_type: String,
    /// Unique within one request.
    pub uid: String,
    /// Error message when the check failed.
    pub error_message: Option<String>,
}

/// `1954-08-30` → `30 AUG 1954`; `1954-08` → `AUG 1954`; others unchanged.
fn vendor_dob(d: &str) -> String {
    let p: Vec<&str> = d.split('-').collect();
    let month = |m: &str| {
        m.parse::<usize>()
            .ok()
            .and_then(|m| MONTHS.get(m.wrapping_sub(1)))
            .copied()
    };
    match p.as_slice() {
        [y, m, dd] if y.len() == 4 => match month(m) {
            Some(mn) => format!("{dd} {mn} {y}"),
            None => d.to_string(),
        },
        [y, m] if y.len() == 4 && m.len() == 2 => match month(m) {
            Some(mn) => format!("{mn} {y}"),
            None => d.to_string(),
        },
        _ => d.replace("..", "-"),
    }
}

fn split_name(h: &Hit) -> (String, String) {
    match (&h.given_name, &h.family_name) {
        (Some(g), Some(f)) => (g.to_uppercase(), f.to_uppercase()),
        _ => match h.caption.rsplit_once(' ') {
            Some((g, f)) if h.kind == crate::model::EntityKind::Person => {
                (g.to_uppercase(), f.to_uppercase())
            }
            _ => (h.caption.to_uppercase(), String::new()),
        },
    }
}

fn data_item(h: &Hit, check_date: &str) -> AmlData {
    let (name, surname) = split_name(h);
    let nationality = if h.nationalities.is_empty() {
        "UNKNOWN".to_string()
    } else {
        h.nationalities
            .iter()
            .map(|c| {
                kycd_mrz::country::by_alpha2(c)
                    .map(|c| c.name.to_uppercase())
                    .unwrap_or_else(|| c.clone())
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (suspicion, reason, category) = match h.topic {
        Topic::Sanction => {
            let r = if h.programs.is_empty() {
                None
            } else {
                Some(h.programs.join("; ").to_uppercase())
            };
            ("SANCTION", r, None)
        }
        Topic::Pep | Topic::Rca => {
            let cat = if h.topic == Topic::Rca { "RCA" } else { "PEP" };
            (
                "PEPS",
                h.remarks.as_ref().map(|r| r.to_uppercase()),
                Some(cat.to_string()),
            )
        }
        Topic::Other => ("OTHER", h.remarks.as_ref().map(|r| r.to_uppercase()), None),
    };
    let mut info = vec![format!("match: {}", h.match_types.join(","))];
    for f in &h.features {
        info.push(format!("{} {:+.2}: {}", f.feature, f.score, f.detail));
    }
    if h.dob_contradicted {
        info.push("exact name match with contradicting date of birth".into());
    }
    AmlData {
        name,
        surname,
        nationality,
        dob: h.birth_dates.first().map(|d| vendor_dob(d)),
        suspicion: suspicion.into(),
        reason,
        list_number: Some(h.list_id.clone()),
        list_name: Some(h.source.list_name().to_string()),
        score: h.score_100(),
        last_update: h.last_update.clone(),
        exit_date: None,
        is_person: h.kind == crate::model::EntityKind::Person,
        is_active: true,
        linked_document: None,
        pep_level: None,
        category,
        other_information: Some(info.join(" | ")),
        check_date: check_date.to_string(),
        whitelisted: false,
    }
}

/// The `AML` array for one screening (one service result, `AML_NAMES_CHECK`).
/// `whitelist` holds entity ids the partner has cleared: they are reported with
/// `whitelisted: true` and do not make the check suspected.
pub fn aml_array(
    result: &ScreenResult,
    check_date: &str,
    uid: &str,
    whitelist: &[String],
) -> Vec<AmlServiceResult> {
    let data: Vec<AmlData> = result
        .hits
        .iter()
        .map(|h| {
            let mut d = data_item(h, check_date);
            d.whitelisted = whitelist.iter().any(|w| w == &h.entity_id);
            d
        })
        .collect();
    let suspected = data.iter().any(|d| !d.whitelisted);
    vec![AmlServiceResult {
        status: AmlStatus {
            service_suspected: suspected,
            check_successful: true,
            service_found: true,
            service_used: true,
            overall_status: if suspected {
                "SUSPECTED"
            } else {
                "NOT_SUSPECTED"
            }
            .into(),
        },
        data,
        service_name: "AML_NAMES_CHECK".into(),
        service_group_type: "AML".into(),
        uid: uid.into(),
        error_message: None,
    }]
}

/// The `AML` array when the check could not run.
pub fn aml_failed(error: &str, uid: &str) -> Vec<AmlServiceResult> {
    vec![AmlServiceResult {
        status: AmlStatus {
            service_suspected: false,
            check_successful: false,
            service_found: true,
            service_used: true,
            overall_status: "NOT_SUSPECTED".into(),
        },
        data: Vec::new(),
        service_name: "AML_NAMES_CHECK".into(),
        service_group_type: "AML".into(),
        uid: uid.into(),
        error_message: Some(error.into()),
    }]
}

/// The fraud tag the verification gets from its AML results: `AML_SUSPECTION` on a hit,
/// `AML_FAILED` on an error, none otherwise. A suspected result makes the verification
/// `SUSPECTED`.
pub fn fraud_tag(results: &[AmlServiceResult]) -> Option<&'static str> {
    if results.iter().any(|r| r.status.service_suspected) {
        Some("AML_SUSPECTION")
    } else if results.iter().any(|r| !r.status.check_successful) {
        Some("AML_FAILED")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dob_format() {
        assert_eq!(vendor_dob("1954-08-30"), "30 AUG 1954");
        assert_eq!(vendor_dob("1954-08"), "AUG 1954");
        assert_eq!(vendor_dob("1956"), "1956");
        assert_eq!(vendor_dob("1973..1974"), "1973-1974");
    }

    #[test]
    fn failed_tag() {
        let r = aml_failed("index not loaded", "U1");
        assert_eq!(fraud_tag(&r), Some("AML_FAILED"));
        assert_eq!(r[0].status.overall_status, "NOT_SUSPECTED");
    }
}
