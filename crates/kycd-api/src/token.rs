//! `POST /api/v2/token`: validation of the flat iDenfy token request and creation of the session.
//!
//! Over ~600 lines only through its tests (the code is ~560 lines): the request's ~60 fields are validated in one
//! pass, in the order iDenfy reports errors, and the table tests sit next to it.

use crate::{ApiFailure, AppState};
use kycd_store::{NewToken, PartnerRow, now_ms};
use kycd_types::token::{CountryRestriction, FLAG_DEFAULTS, TokenSettings};
use kycd_types::{
    DocumentType, DummyStatus, ErrorIdentifier, Locale, ScanRef, StepType, TokenType,
};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

type Obj = Map<String, Value>;

/// `201` body of `POST /api/v2/token` (idenfy-api.md §2.4): the effective token, every field with its default
/// filled in, plus `message`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct TokenCreated {
    /// The effective token.
    #[serde(flatten)]
    pub settings: TokenSettings,
    /// `Token created successfully` (a sandbox dummy: `Dummy token and verification created successfully`).
    #[schema(example = "Token created successfully")]
    pub message: String,
}

fn bad(msg: impl Into<String>) -> ApiFailure {
    ApiFailure::new(ErrorIdentifier::BadValue, msg)
}

fn wrong_type(field: &str, ty: &str) -> ApiFailure {
    ApiFailure::new(
        ErrorIdentifier::JsonError,
        format!("Field '{field}' must be {ty}."),
    )
}

/// An optional string field (null = absent).
fn opt_str(o: &Obj, field: &str) -> Result<Option<String>, ApiFailure> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(wrong_type(field, "a string")),
    }
}

fn opt_bool(o: &Obj, field: &str) -> Result<Option<bool>, ApiFailure> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(wrong_type(field, "a boolean")),
    }
}

fn opt_int(o: &Obj, field: &str) -> Result<Option<i64>, ApiFailure> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| wrong_type(field, "an integer")),
        Some(_) => Err(wrong_type(field, "an integer")),
    }
}

fn len_between(field: &str, v: &str, min: usize, max: usize) -> Result<(), ApiFailure> {
    let n = v.chars().count();
    if n < min || n > max {
        return Err(bad(format!(
            "Field '{field}' must be between {min} and {max} characters long."
        )));
    }
    Ok(())
}

/// `A, B, C` for an error message.
fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    it.collect::<Vec<_>>().join(", ")
}

/// A valid `YYYY-MM-DD` calendar date.
pub fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (
        s[0..4].parse::<u32>(),
        s[5..7].parse::<u32>(),
        s[8..10].parse::<u32>(),
    ) else {
        return false;
    };
    if !(1..=12).contains(&m) || d == 0 || y == 0 {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let dim = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][(m - 1) as usize];
    d <= dim
}

fn date_field(o: &Obj, field: &str) -> Result<Option<String>, ApiFailure> {
    let v = opt_str(o, field)?;
    if let Some(d) = &v
        && !is_iso_date(d)
    {
        return Err(bad(format!(
            "Field '{field}' must be a date in YYYY-MM-DD format."
        )));
    }
    Ok(v)
}

fn name_field(o: &Obj, field: &str) -> Result<Option<String>, ApiFailure> {
    let Some(v) = opt_str(o, field)? else {
        return Ok(None);
    };
    len_between(field, &v, 1, 100)?;
    if v.chars()
        .any(|c| c.is_ascii_digit() || "~!@#$%^*()_+={}[]|:;\",<>/?".contains(c))
    {
        return Err(bad(format!(
            "Field '{field}' must not contain digits or special characters."
        )));
    }
    Ok(Some(v.to_uppercase()))
}

fn country_code(field: &str, v: &str) -> Result<String, ApiFailure> {
    let up = v.to_ascii_uppercase();
    if !kycd_mrz::country::is_alpha2(&up) {
        return Err(bad(format!(
            "Field '{field}' must be a valid ISO 3166-1 alpha-2 code."
        )));
    }
    Ok(up)
}

fn url_field(
    o: &Obj,
    field: &str,
    https_only: bool,
    allow_private: bool,
) -> Result<Option<String>, ApiFailure> {
    let Some(v) = opt_str(o, field)? else {
        return Ok(None);
    };
    len_between(field, &v, 5, 2048)?;
    let lower = v.to_ascii_lowercase();
    let https = lower.starts_with("https://");
    let http = lower.starts_with("http://");
    if !(https || http) || v.chars().any(char::is_whitespace) {
        return Err(bad(format!("Field '{field}' must be a valid URL.")));
    }
    if https_only && !https && !allow_private {
        return Err(bad(format!("Field '{field}' must be an HTTPS URL.")));
    }
    Ok(Some(v))
}

fn doc_types(field: &str, v: &Value) -> Result<Vec<DocumentType>, ApiFailure> {
    let Value::Array(items) = v else {
        return Err(wrong_type(field, "a list of strings"));
    };
    let mut out = Vec::new();
    for i in items {
        let Value::String(s) = i else {
            return Err(wrong_type(field, "a list of strings"));
        };
        let d: DocumentType = s.parse().map_err(|_| {
            bad(format!(
                "Field '{field}' has an unknown document type '{s}'."
            ))
        })?;
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

fn validate_additional_steps(v: &Value) -> Result<(), ApiFailure> {
    let Value::Object(by_country) = v else {
        return Err(wrong_type("additionalSteps", "an object"));
    };
    for (country, by_doc) in by_country {
        if country != "ALL" {
            country_code("additionalSteps", country)?;
        }
        let Value::Object(by_doc) = by_doc else {
            return Err(wrong_type("additionalSteps", "an object of objects"));
        };
        for (doc, steps) in by_doc {
            if doc != "ALL" && doc.parse::<DocumentType>().is_err() {
                return Err(bad(format!(
                    "Field 'additionalSteps' has an unknown document type '{doc}'."
                )));
            }
            let Value::Object(steps) = steps else {
                return Err(wrong_type("additionalSteps", "an object of objects"));
            };
            for (name, cfg) in steps {
                if name.is_empty()
                    || name.len() > 100
                    || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    return Err(bad(format!(
                        "Additional step name '{name}' must be 1-100 letters, digits or '_'."
                    )));
                }
                let Value::Object(cfg) = cfg else {
                    return Err(wrong_type("additionalSteps", "an object of objects"));
                };
                if let Some(t) = opt_str(cfg, "type")?
                    && t.parse::<StepType>().is_err()
                {
                    return Err(bad(format!(
                        "Additional step '{name}' has an unknown type '{t}'."
                    )));
                }
                if let Some(f) = cfg.get("fields")
                    && !f.is_null()
                    && !matches!(f, Value::Array(a) if a.iter().all(Value::is_string))
                {
                    return Err(wrong_type("additionalSteps.fields", "a list of strings"));
                }
            }
        }
    }
    Ok(())
}

/// 40 random alphanumeric characters.
fn new_auth_token() -> Result<String, ApiFailure> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(40);
    while out.len() < 40 {
        let mut buf = [0u8; 64];
        getrandom::fill(&mut buf)
            .map_err(|_| ApiFailure::Internal("random generator failed".into()))?;
        // Rejection sampling keeps the distribution uniform.
        for b in buf {
            if (b as usize) < 248 && out.len() < 40 {
                out.push(ALPHABET[b as usize % 62] as char);
            }
        }
    }
    Ok(out)
}

fn digit_string() -> Result<String, ApiFailure> {
    let mut buf = [0u8; 8];
    getrandom::fill(&mut buf)
        .map_err(|_| ApiFailure::Internal("random generator failed".into()))?;
    Ok(buf.iter().map(|b| char::from(b'0' + b % 10)).collect())
}

/// Validates the request and builds the effective token.
/// `sandbox`: the partner is a sandbox partner, whose tokens may carry `dummyStatus`.
pub fn build_settings(
    o: &Obj,
    allow_private: bool,
    public_url: &str,
    sandbox: bool,
) -> Result<TokenSettings, ApiFailure> {
    let client_id = match opt_str(o, "clientId")? {
        Some(c) => c,
        None => opt_str(o, "personScanRef")?.ok_or_else(|| {
            ApiFailure::new(
                ErrorIdentifier::MissingValue,
                "Field 'clientId' is required.",
            )
        })?,
    };
    if client_id.is_empty() || client_id.len() > 100 || !client_id.is_ascii() {
        return Err(bad("Field 'clientId' must be 1 to 100 ASCII characters."));
    }
    let external_ref = opt_str(o, "externalRef")?;
    if let Some(e) = &external_ref {
        len_between("externalRef", e, 0, 40)?;
    }
    // Every documented type is accepted (§2.1.1, §6.11), as iDenfy clients send them; `/api/v2/process` refuses
    // the video-call types, which need a live agent.
    let token_type = match opt_str(o, "tokenType")? {
        None => TokenType::Identification,
        Some(t) => t.parse::<TokenType>().map_err(|_| {
            bad(format!(
                "Field 'tokenType' must be one of {}; got '{t}'.",
                names(TokenType::ALL.iter().map(TokenType::as_str))
            ))
        })?,
    };
    // `dummyStatus` is for sandbox partners only (iDenfy's DEV environment); production partners get the documented
    // wrong-environment error whatever the value.
    let dummy_status = match opt_str(o, "dummyStatus")? {
        None => None,
        Some(_) if !sandbox => {
            return Err(ApiFailure::new(
                ErrorIdentifier::PermissionsError,
                "This endpoint is not available for PRODUCTION partners.",
            ));
        }
        Some(d) => Some(d.parse::<DummyStatus>().map_err(|_| {
            bad(format!(
                "Field 'dummyStatus' must be one of {}; got '{d}'.",
                names(DummyStatus::ALL.iter().map(DummyStatus::as_str))
            ))
        })?),
    };
    let sex = opt_str(o, "sex")?;
    if let Some(s) = &sex
        && s != "M"
        && s != "F"
    {
        return Err(bad("Field 'sex' must be 'M' or 'F'."));
    }
    let nationality = match opt_str(o, "nationality")? {
        Some(n) if n.eq_ignore_ascii_case("ALL") => None,
        Some(n) => Some(country_code("nationality", &n)?),
        None => None,
    };
    let personal_number = opt_str(o, "personalNumber")?;
    if let Some(p) = &personal_number {
        len_between("personalNumber", p, 1, 50)?;
    }
    let document_number = opt_str(o, "documentNumber")?;
    if let Some(p) = &document_number {
        len_between("documentNumber", p, 1, 50)?;
    }
    let address = opt_str(o, "address")?;
    if let Some(a) = &address {
        len_between("address", a, 1, 255)?;
    }
    let country = match o.get("country") {
        None | Some(Value::Null) => None,
        Some(Value::String(c)) => Some(CountryRestriction::One(country_code("country", c)?)),
        Some(Value::Array(list)) => {
            let mut v = Vec::new();
            for c in list {
                let Value::String(c) = c else {
                    return Err(wrong_type("country", "a string or a list of strings"));
                };
                v.push(country_code("country", c)?);
            }
            Some(CountryRestriction::Many(v))
        }
        Some(_) => return Err(wrong_type("country", "a string or a list of strings")),
    };
    let documents = match o.get("documents") {
        None | Some(Value::Null) => DocumentType::DIRECT_PROCESSING.to_vec(),
        Some(v) => {
            let d = doc_types("documents", v)?;
            if d.is_empty() {
                return Err(bad("Field 'documents' must not be empty."));
            }
            d
        }
    };
    let registry_centers_countries = match o.get("registryCentersCountries") {
        None | Some(Value::Null) => None,
        Some(Value::Array(list)) => Some(
            list.iter()
                .map(|c| match c {
                    Value::String(c) => country_code("registryCentersCountries", c),
                    _ => Err(wrong_type("registryCentersCountries", "a list of strings")),
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => return Err(wrong_type("registryCentersCountries", "a list of strings")),
    };
    let expiry_time = opt_int(o, "expiryTime")?.unwrap_or(3600);
    if !(1..=2_592_000).contains(&expiry_time) {
        return Err(bad(
            "Field 'expiryTime' must be between 1 and 2592000 seconds.",
        ));
    }
    let session_length = opt_int(o, "sessionLength")?.unwrap_or(600);
    if !(60..=3600).contains(&session_length) {
        return Err(bad(
            "Field 'sessionLength' must be between 60 and 3600 seconds.",
        ));
    }
    // idenfy-api.md §2.1.6: `locale` is a string of at most 7 characters; one of iDenfy's locales is kept, any
    // other falls back to English, as iDenfy does (clients sending e.g. `uk` keep working).
    let locale = match opt_str(o, "locale")? {
        None => Locale::En,
        Some(l) if l.is_empty() || l.chars().count() > 7 => {
            return Err(bad(format!(
                "Field 'locale' must be 1 to 7 characters, one of {} (others fall back to en).",
                names(Locale::ALL.iter().map(Locale::as_str))
            )));
        }
        Some(l) => l
            .to_ascii_lowercase()
            .parse::<Locale>()
            .unwrap_or(Locale::En),
    }
    .as_str()
    .to_string();
    let utility_bill = opt_bool(o, "utilityBill")?;
    let additional_steps = match o.get("additionalSteps") {
        None | Some(Value::Null) => None,
        Some(v) => {
            validate_additional_steps(v)?;
            Some(v.clone())
        }
    };
    if utility_bill == Some(true) && additional_steps.is_some() {
        return Err(bad(
            "Fields 'utilityBill' and 'additionalSteps' cannot be combined.",
        ));
    }
    let additional_data = match o.get("additionalData") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => {
            if additional_steps.is_none() && utility_bill != Some(true) {
                return Err(bad(
                    "Field 'additionalData' is only valid together with 'additionalSteps'.",
                ));
            }
            Some(v.clone())
        }
        Some(_) => return Err(wrong_type("additionalData", "an object")),
    };
    let face_matching_threshold_modifier = match o.get("faceMatchingThresholdModifier") {
        None | Some(Value::Null) => 1.0,
        Some(Value::Number(n)) => n.as_f64().unwrap_or(1.0),
        Some(_) => return Err(wrong_type("faceMatchingThresholdModifier", "a number")),
    };
    if !(face_matching_threshold_modifier > 0.0 && face_matching_threshold_modifier <= 2.0) {
        return Err(bad(
            "Field 'faceMatchingThresholdModifier' must be greater than 0 and at most 2.",
        ));
    }
    let age_limit = opt_int(o, "ageLimit")?;
    let age_max = opt_int(o, "ageMax")?;
    for (f, v) in [("ageLimit", age_limit), ("ageMax", age_max)] {
        if v.is_some_and(|a| !(0..=150).contains(&a)) {
            return Err(bad(format!("Field '{f}' must be between 0 and 150.")));
        }
    }
    let video_call_questions = match o.get("videoCallQuestions") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(_) => return Err(wrong_type("videoCallQuestions", "a list of strings")),
    };
    let mut flags = BTreeMap::new();
    for (name, default) in FLAG_DEFAULTS {
        flags.insert((*name).to_string(), opt_bool(o, name)?.unwrap_or(*default));
    }
    let auth_token = new_auth_token()?;
    let digit_string = if flags["generateDigitString"] {
        Some(digit_string()?)
    } else {
        None
    };
    let allowed_documents = BTreeMap::from([(
        match &country {
            Some(CountryRestriction::One(c)) => c.clone(),
            _ => "ALL".to_string(),
        },
        documents.clone(),
    )]);
    Ok(TokenSettings {
        redirect_url: Some(format!(
            "{}/api/v2/redirect?authToken={auth_token}",
            public_url.trim_end_matches('/')
        )),
        auth_token,
        scan_ref: ScanRef::generate().into_inner(),
        person_scan_ref: Some(client_id.clone()),
        client_id,
        external_ref,
        token_type,
        first_name: name_field(o, "firstName")?,
        last_name: name_field(o, "lastName")?,
        date_of_birth: date_field(o, "dateOfBirth")?,
        sex,
        nationality,
        personal_number,
        document_number,
        date_of_expiry: date_field(o, "dateOfExpiry")?,
        date_of_issue: date_field(o, "dateOfIssue")?,
        address,
        country,
        documents,
        allowed_documents,
        registry_centers_countries,
        expiry_time,
        session_length,
        success_url: url_field(o, "successUrl", false, allow_private)?,
        error_url: url_field(o, "errorUrl", false, allow_private)?,
        unverified_url: url_field(o, "unverifiedUrl", false, allow_private)?,
        callback_url: url_field(o, "callbackUrl", true, allow_private)?,
        locale,
        theme: opt_str(o, "theme")?,
        questionnaire: opt_str(o, "questionnaire")?,
        risk_assessment_profile: opt_str(o, "riskAssessmentProfile")?,
        utility_bill: utility_bill.unwrap_or(false),
        additional_steps,
        additional_data,
        video_call_questions,
        face_matching_threshold_modifier,
        age_limit,
        age_max,
        digit_string,
        dummy_status,
        flags,
    })
}

/// Fills `expiryTime`, `documents` and `country` from the partner's token defaults (`kycd partner update
/// --default-...`) where the request does not give them (`null` counts as not given); the result is then validated
/// like any request.
fn with_partner_defaults(mut o: Obj, partner: &PartnerRow) -> Obj {
    let d = &partner.token_defaults;
    let defaults = [
        ("expiryTime", d.expiry_time.map(Value::from)),
        ("documents", d.documents.clone().map(Value::from)),
        ("country", d.country.clone().map(Value::from)),
    ];
    for (key, value) in defaults {
        if let Some(value) = value
            && o.get(key).is_none_or(Value::is_null)
        {
            o.insert(key.to_string(), value);
        }
    }
    o
}

/// Creates a token for `partner`; returns the `201` response body.
pub async fn create_token(
    state: &AppState,
    partner: &PartnerRow,
    body: &[u8],
) -> Result<TokenCreated, ApiFailure> {
    let o = with_partner_defaults(crate::body::parse_object(body)?, partner);
    let settings = build_settings(
        &o,
        state.config.allow_private_webhooks,
        &state.config.public_url,
        partner.sandbox,
    )?;
    let now = now_ms();
    // An EXPIRED dummy is born expired: the expiry sweeper delivers its `IDENTIFICATION_EXPIRED` webhook at once.
    let expires_at = match settings.dummy_status {
        Some(DummyStatus::Expired) => now,
        _ => now + settings.expiry_time * 1000,
    };
    state
        .store
        .insert_token(&NewToken {
            partner_id: partner.id,
            expires_at,
            created_at: now,
            settings: settings.clone(),
        })
        .await?;
    tracing::info!(scan_ref = %settings.scan_ref, dummy = settings.dummy_status.is_some(), "token created");
    let message = if settings.dummy_status.is_some() {
        "Dummy token and verification created successfully"
    } else {
        "Token created successfully"
    };
    Ok(TokenCreated {
        settings,
        message: message.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(v: Value) -> Result<TokenSettings, ApiFailure> {
        build_settings(v.as_object().unwrap(), false, "http://kycd", false)
    }

    fn id_of(r: Result<TokenSettings, ApiFailure>) -> &'static str {
        match r {
            Err(ApiFailure::Client(e)) => e.identifier.as_str(),
            Err(ApiFailure::Internal(_)) => "internal",
            Ok(_) => "ok",
        }
    }

    #[test]
    fn minimal_request_gets_defaults() {
        let s = build(serde_json::json!({"clientId": "u1"})).unwrap();
        assert_eq!(s.auth_token.len(), 40);
        assert!(s.auth_token.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(s.scan_ref.len(), 36);
        assert_eq!(s.expiry_time, 3600);
        assert_eq!(s.token_type, TokenType::Identification);
        assert!(s.flag("checkAml"));
        assert_eq!(s.documents.len(), 4);
        assert_eq!(
            s.redirect_url.unwrap(),
            format!("http://kycd/api/v2/redirect?authToken={}", s.auth_token)
        );
    }

    #[test]
    fn created_body_is_the_settings_plus_message() {
        let settings = build(serde_json::json!({"clientId": "u1"})).unwrap();
        let flat = serde_json::to_value(&settings).unwrap();
        let body = serde_json::to_value(TokenCreated {
            settings,
            message: "Token created successfully".into(),
        })
        .unwrap();
        let mut want = flat.as_object().unwrap().clone();
        want.insert("message".into(), "Token created successfully".into());
        assert_eq!(body, Value::Object(want));
        assert_eq!(body["checkAml"], true);
    }

    #[test]
    fn names_are_upper_cased_and_codes_normalised() {
        let s = build(
            serde_json::json!({"clientId": "u1", "firstName": "John Tom", "nationality": "lt",
            "country": ["de", "FR"]}),
        )
        .unwrap();
        assert_eq!(s.first_name.as_deref(), Some("JOHN TOM"));
        assert_eq!(s.nationality.as_deref(), Some("LT"));
        assert_eq!(
            s.country,
            Some(CountryRestriction::Many(vec!["DE".into(), "FR".into()]))
        );
        let s = build(serde_json::json!({"clientId": "u1", "nationality": "ALL"})).unwrap();
        assert_eq!(s.nationality, None);
    }

    #[test]
    fn every_constrained_field_is_validated() {
        use serde_json::json;
        let cases = [
            (json!({}), "MISSING_VALUE"),
            (json!({"clientId": 5}), "JSON_ERROR"),
            (json!({"clientId": "ü"}), "BAD_VALUE"),
            (json!({"clientId": "x".repeat(101)}), "BAD_VALUE"),
            (
                json!({"clientId": "u", "externalRef": "x".repeat(41)}),
                "BAD_VALUE",
            ),
            (json!({"clientId": "u", "firstName": "J0hn"}), "BAD_VALUE"),
            (json!({"clientId": "u", "lastName": "Doe;"}), "BAD_VALUE"),
            (
                json!({"clientId": "u", "dateOfBirth": "1990-02-30"}),
                "BAD_VALUE",
            ),
            (json!({"clientId": "u", "sex": "X"}), "BAD_VALUE"),
            (json!({"clientId": "u", "nationality": "XX"}), "BAD_VALUE"),
            (json!({"clientId": "u", "country": "ZZ"}), "BAD_VALUE"),
            (json!({"clientId": "u", "documents": ["NOPE"]}), "BAD_VALUE"),
            (json!({"clientId": "u", "expiryTime": 0}), "BAD_VALUE"),
            (
                json!({"clientId": "u", "expiryTime": 2_592_001}),
                "BAD_VALUE",
            ),
            (json!({"clientId": "u", "sessionLength": 59}), "BAD_VALUE"),
            (
                json!({"clientId": "u", "callbackUrl": "http://example.com/hook"}),
                "BAD_VALUE",
            ),
            (
                json!({"clientId": "u", "successUrl": "ftp://x"}),
                "BAD_VALUE",
            ),
            (
                json!({"clientId": "u", "tokenType": "VIDEO_CHAT"}),
                "BAD_VALUE",
            ),
            (
                json!({"clientId": "u", "locale": "portuguese"}),
                "BAD_VALUE",
            ),
            (json!({"clientId": "u", "locale": ""}), "BAD_VALUE"),
            (json!({"clientId": "u", "locale": 5}), "JSON_ERROR"),
            (json!({"clientId": "u", "checkAml": "yes"}), "JSON_ERROR"),
            (
                json!({"clientId": "u", "utilityBill": true, "additionalSteps": {"ALL": {"ALL": {"UTILITY_BILL": {}}}}}),
                "BAD_VALUE",
            ),
            (
                json!({"clientId": "u", "additionalData": {"UTILITY_BILL": {"address": "x"}}}),
                "BAD_VALUE",
            ),
            (
                json!({"clientId": "u", "additionalSteps": {"ALL": {"ALL": {"UTILITY_BILL": {"type": "SCAN"}}}}}),
                "BAD_VALUE",
            ),
            (
                json!({"clientId": "u", "faceMatchingThresholdModifier": 0}),
                "BAD_VALUE",
            ),
            (json!({"clientId": "u", "ageLimit": 200}), "BAD_VALUE"),
            (
                json!({"clientId": "u", "dummyStatus": "APPROVED"}),
                "PERMISSIONS_ERROR",
            ),
        ];
        for (req, want) in cases {
            assert_eq!(id_of(build(req.clone())), want, "{req}");
        }
    }

    #[test]
    fn dummy_status_is_for_sandbox_partners_only() {
        let o = serde_json::json!({"clientId": "u", "dummyStatus": "REVIEWING"});
        let o = o.as_object().unwrap();
        let s = build_settings(o, false, "http://kycd", true).unwrap();
        assert_eq!(s.dummy_status, Some(DummyStatus::Reviewing));
        assert_eq!(
            serde_json::to_value(&s).unwrap()["dummyStatus"],
            "REVIEWING"
        );
        assert_eq!(
            id_of(build_settings(o, false, "http://kycd", false)),
            "PERMISSIONS_ERROR"
        );
        let bad = serde_json::json!({"clientId": "u", "dummyStatus": "MAYBE"});
        assert_eq!(
            id_of(build_settings(
                bad.as_object().unwrap(),
                false,
                "http://kycd",
                true
            )),
            "BAD_VALUE"
        );
        // Tokens without it serialise as before.
        let plain = build(serde_json::json!({"clientId": "u"})).unwrap();
        assert!(
            serde_json::to_value(&plain)
                .unwrap()
                .get("dummyStatus")
                .is_none()
        );
    }

    #[test]
    fn every_documented_token_type_and_locale_is_accepted() {
        for t in TokenType::ALL {
            let s = build(serde_json::json!({"clientId": "u", "tokenType": t.as_str()})).unwrap();
            assert_eq!(s.token_type, *t);
        }
        for l in Locale::ALL {
            let s = build(serde_json::json!({"clientId": "u", "locale": l.as_str()})).unwrap();
            assert_eq!(s.locale, l.as_str());
        }
        let s = build(serde_json::json!({"clientId": "u", "locale": "DE"})).unwrap();
        assert_eq!(s.locale, "de");
        let s = build(serde_json::json!({"clientId": "u", "locale": null})).unwrap();
        assert_eq!(s.locale, "en");
    }

    #[test]
    fn additional_steps_are_resolved_per_country_and_document() {
        let s = build(serde_json::json!({"clientId": "u",
            "additionalSteps": {"ALL": {"ALL": {"UTILITY_BILL": {"type": "COMPARE", "fields": ["address"]}}},
                                "LT": {"PASSPORT": {"SELFIE_WITH_DOC": {}}}},
            "additionalData": {"UTILITY_BILL": {"address": "Main St 1"}}}))
        .unwrap();
        let lt = s.additional_steps_for("LT", Some(DocumentType::Passport));
        assert_eq!(lt.len(), 2);
        let de = s.additional_steps_for("DE", Some(DocumentType::Passport));
        assert_eq!(
            de,
            vec![("UTILITY_BILL".to_string(), Some("COMPARE".to_string()))]
        );
        assert_eq!(s.all_additional_step_names().len(), 2);
    }
}
