//! The effective verification token (the flat `/api/v2/token` shape, idenfy-api.md §2).
//!
//! The same object is stored with the verification, echoed in the `201` response and read by the pipeline
//! (prefill comparison, restrictions, feature flags).

use crate::enums::{DocumentType, TokenType};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Boolean feature/check overrides accepted by `/api/v2/token` (idenfy-api.md §2.1.7), with kycd's defaults.
pub const FLAG_DEFAULTS: &[(&str, bool)] = &[
    ("checkLiveness", false),
    ("reviewSuccessful", false),
    ("reviewFailed", false),
    ("driverLicenseBack", true),
    ("autoAmlMonitoring", false),
    ("checkAml", true),
    ("checkLid", false),
    ("checkCriminal", false),
    ("checkIpProxy", false),
    ("checkFaceBlacklist", true),
    ("checkDocFaceBlacklist", true),
    ("checkPersonBlacklist", true),
    ("checkDuplicateFaces", true),
    ("checkDuplicateDocFaces", true),
    ("checkDuplicatePersonalData", true),
    ("checkDriverLicense", false),
    ("verifyAddress", false),
    ("verifyEmail", false),
    ("verifyPhone", false),
    ("verifyBank", false),
    ("verifyBankAccounts", false),
    ("verifyBankBalances", false),
    ("verifyBankTransactions", false),
    ("bankCardVerification", false),
    ("bankCardPdfUpload", false),
    ("allowBsnMasking", false),
    ("nfcRequired", false),
    ("nfcOptional", false),
    ("generateDigitString", false),
    ("showInstructions", true),
    ("questionnaireRequired", true),
];

/// `country` of a token: one code or a list of allowed codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum CountryRestriction {
    /// One pre-selected country.
    One(String),
    /// Several allowed countries.
    Many(Vec<String>),
}

impl CountryRestriction {
    /// Whether `code` (alpha-2, upper case) is allowed.
    pub fn allows(&self, code: &str) -> bool {
        match self {
            CountryRestriction::One(c) => c == code,
            CountryRestriction::Many(v) => v.iter().any(|c| c == code),
        }
    }
}

/// The effective token: every request field with defaults filled in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenSettings {
    /// Session token.
    pub auth_token: String,
    /// Verification id.
    pub scan_ref: String,
    /// Partner's user id.
    pub client_id: String,
    /// Legacy alias of `clientId`.
    pub person_scan_ref: Option<String>,
    /// Echoed partner reference.
    pub external_ref: Option<String>,
    /// Token type.
    pub token_type: TokenType,
    /// Prefill: first name (upper-cased).
    pub first_name: Option<String>,
    /// Prefill: last name (upper-cased).
    pub last_name: Option<String>,
    /// Prefill: date of birth `YYYY-MM-DD`.
    pub date_of_birth: Option<String>,
    /// Prefill: sex `M`/`F`.
    pub sex: Option<String>,
    /// Prefill: nationality (alpha-2).
    pub nationality: Option<String>,
    /// Prefill: personal number.
    pub personal_number: Option<String>,
    /// Prefill: document number.
    pub document_number: Option<String>,
    /// Prefill: expiry date.
    pub date_of_expiry: Option<String>,
    /// Prefill: issue date.
    pub date_of_issue: Option<String>,
    /// Prefill: address.
    pub address: Option<String>,
    /// Country restriction.
    pub country: Option<CountryRestriction>,
    /// Allowed document types.
    pub documents: Vec<DocumentType>,
    /// Allowed documents per country (`{"ALL": [...]}`).
    pub allowed_documents: BTreeMap<String, Vec<DocumentType>>,
    /// Registry-centre countries.
    pub registry_centers_countries: Option<Vec<String>>,
    /// Seconds the token stays valid before use.
    pub expiry_time: i64,
    /// Seconds the user has once started.
    pub session_length: i64,
    /// Success redirect.
    pub success_url: Option<String>,
    /// Error redirect.
    pub error_url: Option<String>,
    /// Unverified redirect.
    pub unverified_url: Option<String>,
    /// Per-token webhook URL.
    pub callback_url: Option<String>,
    /// UI locale.
    pub locale: String,
    /// UI theme id.
    pub theme: Option<String>,
    /// Questionnaire key.
    pub questionnaire: Option<String>,
    /// Risk-assessment profile.
    pub risk_assessment_profile: Option<String>,
    /// Legacy utility-bill shortcut.
    pub utility_bill: bool,
    /// Additional steps (§2.3), as given.
    pub additional_steps: Option<serde_json::Value>,
    /// Data for EXTRACT/COMPARE steps.
    pub additional_data: Option<serde_json::Value>,
    /// Video-call questions (legacy).
    pub video_call_questions: Vec<String>,
    /// Face-matching threshold modifier (1 = default).
    pub face_matching_threshold_modifier: f64,
    /// Minimum age.
    pub age_limit: Option<i64>,
    /// Maximum age.
    pub age_max: Option<i64>,
    /// 8-digit code for the mobile app.
    pub digit_string: Option<String>,
    /// Browser redirect URL.
    pub redirect_url: Option<String>,
    /// Sandbox partners only: the canned result of this token's verification (no analysis runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dummy_status: Option<crate::DummyStatus>,
    /// Boolean feature flags (`check*`, `verify*`, `review*`, `nfc*`, …) with defaults filled in.
    #[serde(flatten)]
    pub flags: BTreeMap<String, bool>,
}

impl TokenSettings {
    /// A token with nothing set but its identities and type: no prefill, no restrictions, no URLs, the default
    /// lifetimes (3600 s unused, 600 s per session), locale `en`, threshold modifier 1 and every flag at its default
    /// ([`FLAG_DEFAULTS`]). For runs that make tokens without `POST /api/v2/token` (`kycd verify`, tests).
    pub fn minimal(
        auth_token: impl Into<String>,
        scan_ref: impl Into<String>,
        client_id: impl Into<String>,
        token_type: TokenType,
    ) -> Self {
        Self {
            auth_token: auth_token.into(),
            scan_ref: scan_ref.into(),
            client_id: client_id.into(),
            person_scan_ref: None,
            external_ref: None,
            token_type,
            first_name: None,
            last_name: None,
            date_of_birth: None,
            sex: None,
            nationality: None,
            personal_number: None,
            document_number: None,
            date_of_expiry: None,
            date_of_issue: None,
            address: None,
            country: None,
            documents: Vec::new(),
            allowed_documents: BTreeMap::new(),
            registry_centers_countries: None,
            expiry_time: 3600,
            session_length: 600,
            success_url: None,
            error_url: None,
            unverified_url: None,
            callback_url: None,
            locale: "en".into(),
            theme: None,
            questionnaire: None,
            risk_assessment_profile: None,
            utility_bill: false,
            additional_steps: None,
            additional_data: None,
            video_call_questions: Vec::new(),
            face_matching_threshold_modifier: 1.0,
            age_limit: None,
            age_max: None,
            digit_string: None,
            redirect_url: None,
            dummy_status: None,
            flags: FLAG_DEFAULTS
                .iter()
                .map(|(k, d)| ((*k).to_string(), *d))
                .collect(),
        }
    }

    /// Erases the personal data a token may carry (prefill fields and additional data).
    pub fn scrub_personal_data(&mut self) {
        self.first_name = None;
        self.last_name = None;
        self.date_of_birth = None;
        self.sex = None;
        self.nationality = None;
        self.personal_number = None;
        self.document_number = None;
        self.date_of_expiry = None;
        self.date_of_issue = None;
        self.address = None;
        self.additional_data = None;
    }

    /// A boolean flag's effective value (unknown flags are false).
    pub fn flag(&self, name: &str) -> bool {
        self.flags.get(name).copied().unwrap_or(false)
    }

    /// The additional steps configured for a country and document type: `(step name, type)` pairs, where the type
    /// is `UPLOAD` when not given. `utilityBill: true` adds `UTILITY_BILL`.
    pub fn additional_steps_for(
        &self,
        country: &str,
        doc: Option<DocumentType>,
    ) -> Vec<(String, Option<String>)> {
        let mut out: Vec<(String, Option<String>)> = Vec::new();
        if let Some(serde_json::Value::Object(by_country)) = &self.additional_steps {
            for (ck, by_doc) in by_country {
                if ck != "ALL" && !ck.eq_ignore_ascii_case(country) {
                    continue;
                }
                let serde_json::Value::Object(by_doc) = by_doc else {
                    continue;
                };
                for (dk, steps) in by_doc {
                    let doc_ok =
                        dk == "ALL" || doc.is_some_and(|d| d.as_str() == dk) || doc.is_none();
                    if !doc_ok {
                        continue;
                    }
                    let serde_json::Value::Object(steps) = steps else {
                        continue;
                    };
                    for (name, cfg) in steps {
                        if out.iter().any(|(n, _)| n == name) {
                            continue;
                        }
                        let ty = cfg.get("type").and_then(|t| t.as_str()).map(str::to_string);
                        out.push((name.clone(), ty));
                    }
                }
            }
        }
        if self.utility_bill
            && !out
                .iter()
                .any(|(n, _)| n == crate::enums::step::UTILITY_BILL)
        {
            out.push((
                crate::enums::step::UTILITY_BILL.to_string(),
                Some("UPLOAD".into()),
            ));
        }
        out
    }

    /// Every step name configured anywhere in `additionalSteps` (any country, any document).
    pub fn all_additional_step_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(serde_json::Value::Object(by_country)) = &self.additional_steps {
            for by_doc in by_country.values() {
                if let serde_json::Value::Object(by_doc) = by_doc {
                    for steps in by_doc.values() {
                        if let serde_json::Value::Object(steps) = steps {
                            for name in steps.keys() {
                                if !out.contains(name) {
                                    out.push(name.clone());
                                }
                            }
                        }
                    }
                }
            }
        }
        if self.utility_bill && !out.iter().any(|n| n == crate::enums::step::UTILITY_BILL) {
            out.push(crate::enums::step::UTILITY_BILL.to_string());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_token_has_every_flag_at_its_default_and_round_trips() {
        let t = TokenSettings::minimal("a", "s", "c", TokenType::Document);
        for (name, default) in FLAG_DEFAULTS {
            assert_eq!(t.flag(name), *default, "{name}");
        }
        assert_eq!(t.flags.len(), FLAG_DEFAULTS.len());
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(json["tokenType"], "DOCUMENT");
        assert_eq!(json["showInstructions"], true);
        let back: TokenSettings = serde_json::from_value(json).unwrap();
        assert_eq!(back, t);
    }
}
