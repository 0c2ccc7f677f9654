//! AML monitoring subjects (idenfy-api.md §7.14): `POST /api/v2/add-aml-user` with a `scanRef` (its verified
//! identity) or manual data (`type: PERSON` with `name`, `surname`, `nationality`, `dateOfBirth`; `type: COMPANY`
//! with `name`, `country`), and `POST /api/v2/remove-aml-user` (kycd extension) to stop monitoring one. The subject
//! is screened in full within seconds and again after every list change; a changed result arrives as the
//! `AML_MONITORING` webhook.

use crate::body::opt_text;
use crate::retrieval::lookup;
use crate::{ApiFailure, AppState};
use kycd_store::{NewSubject, PartnerRow, SubjectData, SubjectRow, now_ms};
use kycd_types::ErrorIdentifier;
use serde::Serialize;
use serde_json::{Map, Value};

/// The `201` body of `add-aml-user` and the `200` body of `remove-aml-user`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MonitoringSubject {
    /// Id of the monitoring (the `monitoringId` of its webhooks).
    pub monitoring_id: String,
    /// `PERSON` or `COMPANY`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Still monitored.
    pub is_active: bool,
    /// End of the monitoring, `YYYY-MM-DD` (one year).
    pub expiration: String,
    /// The verification it comes from.
    pub scan_ref_list: Vec<String>,
    /// `NOT_CHECKED` until the first screen, then `NOT_SUSPECTED` or `SUSPECTED`.
    pub alert_status: String,
}

impl From<SubjectRow> for MonitoringSubject {
    fn from(s: SubjectRow) -> Self {
        MonitoringSubject {
            monitoring_id: s.monitoring_id,
            kind: s.kind,
            is_active: s.active,
            expiration: kycd_mrz::Date::from_days_since_epoch(s.expires_at.div_euclid(86_400_000))
                .to_iso(),
            scan_ref_list: s.scan_ref.into_iter().collect(),
            alert_status: s.alert_status,
        }
    }
}

fn country(o: &Map<String, Value>, field: &str) -> Result<Option<String>, ApiFailure> {
    opt_text(o, field, 3)?
        .map(|c| {
            let up = c.to_ascii_uppercase();
            kycd_mrz::country::is_alpha2(&up)
                .then_some(up)
                .ok_or_else(|| {
                    ApiFailure::new(
                        ErrorIdentifier::BadValue,
                        format!("Field '{field}' must be an ISO 3166-1 alpha-2 code."),
                    )
                })
        })
        .transpose()
}

/// Starts monitoring a subject of the partner.
pub async fn add(
    state: &AppState,
    partner: &PartnerRow,
    body: &[u8],
) -> Result<MonitoringSubject, ApiFailure> {
    let o = crate::body::parse_object(body)?;
    let expires_at = now_ms() + kycd_pipeline::aml::MONITORING_PERIOD_MS;
    let subject = match opt_text(&o, "scanRef", 100)? {
        Some(scan_ref) => {
            // A verified identity: PERSON, from the verification's data.
            let (v, _) = lookup(state, partner, &scan_ref).await?;
            let result = v
                .filter(|v| v.deleted_at.is_none())
                .and_then(|v| v.result)
                .ok_or_else(|| {
                    ApiFailure::new(
                        ErrorIdentifier::PartnerError,
                        format!("Verification '{scan_ref}' has no result yet: nothing to monitor."),
                    )
                })?;
            let d = &result["data"];
            let s = |k: &str| d[k].as_str().map(str::to_string);
            let name = s("docFirstName").unwrap_or_default();
            if name.is_empty() && s("docLastName").is_none() {
                return Err(ApiFailure::new(
                    ErrorIdentifier::PartnerError,
                    format!("No name was read in verification '{scan_ref}': nothing to monitor."),
                ));
            }
            NewSubject {
                partner_id: partner.id,
                scan_ref: Some(scan_ref),
                kind: "PERSON".into(),
                data: SubjectData {
                    name,
                    surname: s("docLastName"),
                    nationality: s("docNationality"),
                    date_of_birth: s("docDob"),
                    country: None,
                },
                expires_at,
            }
        }
        None => {
            let kind = opt_text(&o, "type", 20)?
                .unwrap_or_else(|| "PERSON".into())
                .to_ascii_uppercase();
            let name = opt_text(&o, "name", 200)?.ok_or_else(|| {
                ApiFailure::new(
                    ErrorIdentifier::MissingValue,
                    "Field 'scanRef' or 'name' is required.",
                )
            })?;
            let data = match kind.as_str() {
                "PERSON" => {
                    let dob = opt_text(&o, "dateOfBirth", 10)?;
                    if let Some(d) = &dob
                        && !crate::token::is_iso_date(d)
                    {
                        return Err(ApiFailure::new(
                            ErrorIdentifier::BadValue,
                            "Field 'dateOfBirth' must be a date YYYY-MM-DD.",
                        ));
                    }
                    SubjectData {
                        name,
                        surname: opt_text(&o, "surname", 200)?,
                        nationality: country(&o, "nationality")?,
                        date_of_birth: dob,
                        country: None,
                    }
                }
                "COMPANY" => SubjectData {
                    name,
                    country: country(&o, "country")?,
                    ..SubjectData::default()
                },
                other => {
                    return Err(ApiFailure::new(
                        ErrorIdentifier::BadValue,
                        format!("Field 'type' must be PERSON or COMPANY; got '{other}'."),
                    ));
                }
            };
            NewSubject {
                partner_id: partner.id,
                scan_ref: None,
                kind,
                data,
                expires_at,
            }
        }
    };
    let row = state.store.add_subject(&subject).await?;
    tracing::info!(monitoring_id = %row.monitoring_id, "AML monitoring started");
    Ok(row.into())
}

/// Stops monitoring one of the partner's subjects.
pub async fn remove(
    state: &AppState,
    partner: &PartnerRow,
    body: &[u8],
) -> Result<MonitoringSubject, ApiFailure> {
    let o = crate::body::parse_object(body)?;
    let id = opt_text(&o, "monitoringId", 100)?.ok_or_else(|| {
        ApiFailure::new(
            ErrorIdentifier::MissingValue,
            "Field 'monitoringId' is required.",
        )
    })?;
    let not_found = || {
        ApiFailure::new(
            ErrorIdentifier::NotFound,
            format!("AML monitoring '{id}' was not found."),
        )
    };
    if !state.store.stop_subject(partner.id, &id).await? {
        return Err(not_found());
    }
    let row = state.store.subject(&id).await?.ok_or_else(not_found)?;
    Ok(row.into())
}
