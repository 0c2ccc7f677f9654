//! What the pages show, built from the stored rows: one askama template per page, auto-escaped (every value from a
//! submission — names, clientId, OCR text — is escaped; only the server-made SVG charts are marked safe).

use askama::Template;
use kycd_store::{AuditRow, QueueRow, TokenRow, VerificationRow, WebhookRow};
use serde_json::Value;

/// A time (ms since the epoch) as `YYYY-MM-DD HH:MM:SS` UTC.
pub(crate) fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// A duration (ms) for people: `850 ms`, `12.4 s`, `3 min`, `5 h`, `2 d`.
pub(crate) fn duration(ms: i64) -> String {
    match ms {
        m if m < 1_000 => format!("{m} ms"),
        m if m < 60_000 => format!("{:.1} s", m as f64 / 1000.0),
        m if m < 3_600_000 => format!("{} min", m / 60_000),
        m if m < 172_800_000 => format!("{} h", m / 3_600_000),
        m => format!("{} d", m / 86_400_000),
    }
}

/// The header every page but the login form has.
pub(crate) struct Nav {
    pub email: String,
    pub role: String,
    pub csrf: String,
    pub active: &'static str,
    pub backlog: i64,
    pub is_admin: bool,
    pub scope: String,
}

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage {
    pub error: Option<String>,
    pub next: String,
    pub csrf: String,
    pub email: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub(crate) struct DashboardPage {
    pub nav: Nav,
    pub window_days: i64,
    pub chart: String,
    pub legend: Vec<(&'static str, String)>,
    pub finished: i64,
    pub pass_rate: String,
    pub backlog: i64,
    pub oldest_waiting: String,
    pub p50: String,
    pub p95: String,
    pub webhook_bar: String,
    pub webhooks: Vec<(String, i64)>,
    pub webhook_failure_rate: String,
}

/// One queue line.
pub(crate) struct QueueLine {
    pub scan_ref: String,
    pub client_id: String,
    pub partner: String,
    pub status: String,
    pub auto_document: String,
    pub auto_face: String,
    pub manual: String,
    pub tags: Vec<String>,
    pub document: String,
    pub created: String,
    pub age: String,
}

impl QueueLine {
    pub(crate) fn of(r: &QueueRow, partner: String, now: i64) -> Self {
        Self {
            scan_ref: r.scan_ref.clone(),
            client_id: r.client_id.clone(),
            partner,
            status: r.status.clone(),
            auto_document: r.auto_document.clone().unwrap_or_default(),
            auto_face: r.auto_face.clone().unwrap_or_default(),
            manual: match (&r.manual_face, &r.manual_document) {
                (None, None) => String::new(),
                (f, d) => format!(
                    "{} / {}",
                    f.as_deref().unwrap_or("-"),
                    d.as_deref().unwrap_or("-")
                ),
            },
            tags: r.tags.clone(),
            document: [r.document_type.as_deref(), r.country.as_deref()]
                .iter()
                .flatten()
                .copied()
                .collect::<Vec<_>>()
                .join(" · "),
            created: when(r.created_at),
            age: duration(now - r.created_at),
        }
    }
}

/// The queue's filter values, echoed into the form.
#[derive(Default, Clone)]
pub(crate) struct FilterForm {
    pub status: String,
    pub auto_document: String,
    pub auto_face: String,
    pub tag: String,
    pub from: String,
    pub to: String,
    pub q: String,
    pub partner: String,
    pub order: String,
}

#[derive(Template)]
#[template(path = "queue.html")]
pub(crate) struct QueuePage {
    pub nav: Nav,
    pub title: &'static str,
    pub review_mode: bool,
    pub rows: Vec<QueueLine>,
    pub filters: FilterForm,
    pub counts: Vec<(String, i64)>,
    pub total: i64,
    pub next_link: Option<String>,
    pub partners: Vec<(String, String)>,
    pub statuses: &'static [&'static str],
    pub doc_statuses: &'static [&'static str],
    pub face_statuses: &'static [&'static str],
}

/// One field of the document: as read, as the partner prefilled it, and the final value.
pub(crate) struct FieldLine {
    pub name: &'static str,
    pub mrz: String,
    pub viz: String,
    pub prefill: String,
    pub value: String,
    pub mismatch: bool,
    /// Why the row is flagged: the decision's mismatch tag, or the visual zone disagreeing with the MRZ.
    pub flag: String,
}

pub(crate) struct ImageLine {
    pub step: String,
    pub url: String,
    pub pdf: bool,
}

pub(crate) struct RuleLine {
    pub rule: String,
    pub produced: String,
    pub detail: String,
    pub passing: bool,
}

pub(crate) struct AmlLine {
    pub name: String,
    pub list: String,
    pub score: String,
    pub explanation: String,
}

pub(crate) struct DuplicateLine {
    pub kind: &'static str,
    pub scan_ref: String,
    /// A thumbnail of the other verification's selfie when the operator may see it.
    pub thumb: Option<String>,
}

/// A blocklist entry: one this verification matched, or one made from it.
pub(crate) struct BlocklistLine {
    /// What of this verification matched it ("Selfie", "Document portrait", "Personal data"); empty for an entry
    /// made from this verification.
    pub matched: &'static str,
    /// The entry's source (`SELFIE`, `DOCUMENT`, `DOCUMENT_INFO`).
    pub source: String,
    /// The verification the entry was made from.
    pub scan_ref: String,
    pub reason: String,
    pub added: String,
}

pub(crate) struct WebhookLine {
    pub id: String,
    pub event: String,
    pub state: String,
    pub attempts: i64,
    pub last: String,
}

pub(crate) struct AuditLine {
    pub at: String,
    pub who: String,
    pub action: String,
    pub scan_ref: String,
    pub detail: String,
    pub note: String,
}

impl AuditLine {
    pub(crate) fn of(a: &AuditRow) -> Self {
        Self {
            at: when(a.created_at),
            who: a.operator_email.clone(),
            action: a.action.clone(),
            scan_ref: a.scan_ref.clone().unwrap_or_default(),
            detail: a.detail.clone().unwrap_or_default(),
            note: a.note.clone().unwrap_or_default(),
        }
    }
}

/// The face comparison.
pub(crate) struct FaceLine {
    pub status: String,
    pub distance: String,
    pub similarity: String,
    pub threshold: String,
    pub selfie: Option<String>,
    pub portrait: Option<String>,
}

#[derive(Template)]
#[template(path = "verification.html")]
pub(crate) struct VerificationPage {
    pub nav: Nav,
    pub scan_ref: String,
    pub client_id: String,
    pub partner: String,
    pub status: String,
    pub auto_document: String,
    pub auto_face: String,
    pub manual_document: String,
    pub manual_face: String,
    pub fraud_tags: Vec<String>,
    pub mismatch_tags: Vec<String>,
    pub created: String,
    pub finished: String,
    pub deleted: bool,
    pub images: Vec<ImageLine>,
    pub fields: Vec<FieldLine>,
    pub face: Option<FaceLine>,
    pub rules: Vec<RuleLine>,
    pub aml: Vec<AmlLine>,
    pub duplicates: Vec<DuplicateLine>,
    /// Blocklist entries this verification matched.
    pub blocklist_matches: Vec<BlocklistLine>,
    /// Blocklist entries made from this verification.
    pub blocklisted: Vec<BlocklistLine>,
    pub webhooks: Vec<WebhookLine>,
    pub token: Vec<(String, String)>,
    pub audit: Vec<AuditLine>,
    pub can_decide: bool,
    pub can_erase: bool,
    pub face_options: &'static [&'static str],
    pub doc_options: &'static [&'static str],
    pub sources: &'static [&'static str],
    pub notice: Option<String>,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub(crate) struct AuditPage {
    pub nav: Nav,
    pub rows: Vec<AuditLine>,
    pub next_link: Option<String>,
}

#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage {
    pub title: String,
    pub message: String,
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A row of the fields table.
struct FieldSpec {
    label: &'static str,
    /// Key in the webhook `data` object (the final value).
    data: &'static str,
    /// Key in the per-zone readings (`DocData`'s serialised name).
    reading: &'static str,
    /// The mismatch tag the decision gives this field.
    tag: Option<&'static str>,
    /// Its name in the visual-zone ↔ MRZ comparison.
    viz: &'static str,
}

const FIELDS: [FieldSpec; 10] = [
    FieldSpec {
        label: "First name",
        data: "docFirstName",
        reading: "first_name",
        tag: Some("NAME"),
        viz: "given_names",
    },
    FieldSpec {
        label: "Last name",
        data: "docLastName",
        reading: "last_name",
        tag: Some("SURNAME"),
        viz: "surname",
    },
    FieldSpec {
        label: "Date of birth",
        data: "docDob",
        reading: "dob",
        tag: Some("DATE_OF_BIRTH"),
        viz: "date_of_birth",
    },
    FieldSpec {
        label: "Document number",
        data: "docNumber",
        reading: "number",
        tag: Some("DOCUMENT_NUMBER"),
        viz: "document_number",
    },
    FieldSpec {
        label: "Personal code",
        data: "docPersonalCode",
        reading: "personal_code",
        tag: Some("PERSONAL_CODE"),
        viz: "personal_code",
    },
    FieldSpec {
        label: "Expiry",
        data: "docExpiry",
        reading: "expiry",
        tag: Some("EXPIRY_DATE"),
        viz: "date_of_expiry",
    },
    FieldSpec {
        label: "Sex",
        data: "docSex",
        reading: "sex",
        tag: Some("SEX"),
        viz: "sex",
    },
    FieldSpec {
        label: "Nationality",
        data: "docNationality",
        reading: "nationality",
        tag: Some("NATIONALITY"),
        viz: "nationality",
    },
    FieldSpec {
        label: "Issuing country",
        data: "docIssuingCountry",
        reading: "issuing_country",
        tag: None,
        viz: "issuing_country",
    },
    FieldSpec {
        label: "Document type",
        data: "docType",
        reading: "doc_type",
        tag: None,
        viz: "doc_type",
    },
];

/// The partner's prefill of a field (token settings), by `data` key.
fn prefill(t: &kycd_types::token::TokenSettings, data_key: &str) -> Option<String> {
    match data_key {
        "docFirstName" => t.first_name.clone(),
        "docLastName" => t.last_name.clone(),
        "docDob" => t.date_of_birth.clone(),
        "docNumber" => t.document_number.clone(),
        "docPersonalCode" => t.personal_number.clone(),
        "docExpiry" => t.date_of_expiry.clone(),
        "docSex" => t.sex.clone(),
        "docNationality" => t.nationality.clone(),
        _ => None,
    }
}

/// The document fields: as the MRZ and the visual zone printed them (`readings`, stored beside the images), the
/// partner's prefill, and the final value; a row is flagged when the decision tagged it (mismatch tags) or the
/// visual zone disagreed with the MRZ on it. Without stored readings (older verifications) the read value is shown
/// under the zone it came from.
pub(crate) fn fields(
    result: &Value,
    token: Option<&TokenRow>,
    readings: Option<&Value>,
) -> Vec<FieldLine> {
    let data = &result["data"];
    let evidence = &result["kycd"]["document"];
    let source = text(&evidence["fields"]["source"]);
    let tags: Vec<String> = result["status"]["mismatchTags"]
        .as_array()
        .map(|a| a.iter().map(text).collect())
        .unwrap_or_default();
    let viz: Vec<String> = evidence["vizMismatches"]
        .as_array()
        .map(|a| a.iter().map(|x| text(x).to_lowercase()).collect())
        .unwrap_or_default();
    FIELDS
        .iter()
        .map(|f| {
            let value = text(&data[f.data]);
            let (mrz, vz) = match readings {
                Some(r) => (
                    text(&r["mrz"][f.reading]),
                    text(&r["visualZone"][f.reading]),
                ),
                None if source == "MRZ" => (value.clone(), String::new()),
                None if source == "VISUAL_ZONE" => (String::new(), value.clone()),
                None => (String::new(), String::new()),
            };
            let tagged = f.tag.is_some_and(|t| tags.iter().any(|x| x == t));
            let viz_disagrees = viz.iter().any(|v| v == f.viz);
            FieldLine {
                name: f.label,
                mrz,
                viz: vz,
                prefill: token
                    .and_then(|t| prefill(&t.settings, f.data))
                    .unwrap_or_default(),
                value,
                mismatch: tagged || viz_disagrees,
                flag: match (tagged, viz_disagrees) {
                    (true, _) => format!("{} tag", f.tag.unwrap_or_default()),
                    (false, true) => "visual zone ≠ MRZ".into(),
                    _ => String::new(),
                },
            }
        })
        .collect()
}

/// The rules that fired, passing ones marked.
pub(crate) fn rules(result: &Value) -> Vec<RuleLine> {
    result["kycd"]["rules"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    let produced = text(&r["produced"]);
                    RuleLine {
                        rule: text(&r["rule"]),
                        passing: matches!(
                            produced.as_str(),
                            "DOC_VALIDATED" | "FACE_MATCH" | "APPROVED" | "VALID"
                        ),
                        produced,
                        detail: text(&r["detail"]),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// AML hits with the matched list entry, its list and the score explanation.
pub(crate) fn aml(result: &Value) -> Vec<AmlLine> {
    let mut out = Vec::new();
    for check in result["AML"].as_array().into_iter().flatten() {
        for hit in check["data"].as_array().into_iter().flatten() {
            out.push(AmlLine {
                name: format!("{} {}", text(&hit["name"]), text(&hit["surname"]))
                    .trim()
                    .to_string(),
                list: [
                    text(&hit["listName"]),
                    text(&hit["listNumber"]),
                    text(&hit["suspicion"]),
                ]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" · "),
                score: text(&hit["score"]),
                explanation: [
                    text(&hit["reason"]),
                    text(&hit["dob"]),
                    text(&hit["nationality"]),
                    text(&hit["category"]),
                    text(&hit["pepLevel"]),
                ]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" · "),
            });
        }
    }
    out
}

/// The token's settings a reviewer cares about, as label/value pairs.
pub(crate) fn token_settings(token: &TokenRow) -> Vec<(String, String)> {
    let s = &token.settings;
    let mut out = vec![
        ("Type".to_string(), s.token_type.as_str().to_string()),
        ("Locale".to_string(), s.locale.clone()),
    ];
    if !s.documents.is_empty() {
        out.push((
            "Documents".into(),
            s.documents
                .iter()
                .map(|d| d.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    if let Some(a) = &s.additional_steps {
        out.push(("Additional steps".into(), a.to_string()));
    }
    if s.utility_bill {
        out.push(("Utility bill".into(), "required".into()));
    }
    if s.face_matching_threshold_modifier != 0.0 {
        out.push((
            "Face threshold modifier".into(),
            s.face_matching_threshold_modifier.to_string(),
        ));
    }
    for (k, v) in &s.flags {
        if *v {
            out.push((k.clone(), "on".into()));
        }
    }
    if let Some(u) = &s.callback_url {
        out.push(("Callback URL".into(), u.clone()));
    }
    out
}

/// The webhook delivery history.
pub(crate) fn webhooks(rows: &[WebhookRow]) -> Vec<WebhookLine> {
    rows.iter()
        .map(|w| WebhookLine {
            id: w.webhook_id.clone(),
            event: w.event_type.clone(),
            state: w.state.clone(),
            attempts: w.attempts,
            last: w
                .attempt_log
                .last()
                .map(|a| {
                    format!(
                        "{} · {} · {} ms{}",
                        when(a.attempted_at),
                        a.status_code
                            .map_or("no response".into(), |c| format!("HTTP {c}")),
                        a.duration_ms,
                        a.error
                            .as_deref()
                            .map(|e| format!(" · {e}"))
                            .unwrap_or_default()
                    )
                })
                .unwrap_or_default(),
        })
        .collect()
}

/// The images a reviewer sees, in the order they read a case.
pub(crate) fn images(v: &VerificationRow) -> Vec<ImageLine> {
    const ORDER: [&str; 4] = ["FRONT", "BACK", "FACE", "UTILITY_BILL"];
    let mut steps: Vec<&String> = v.images.keys().collect();
    steps.sort_by_key(|s| ORDER.iter().position(|o| o == s).unwrap_or(ORDER.len()));
    steps
        .into_iter()
        .map(|step| ImageLine {
            step: step.clone(),
            url: format!("/console/v/{}/file/{}", v.scan_ref, step),
            pdf: v.images[step].mime == "application/pdf",
        })
        .collect()
}
