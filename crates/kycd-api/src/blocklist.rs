//! `POST|DELETE /kyc/identifications/{scanRef}/blocklists/{SELFIE|DOCUMENT|DOCUMENT_INFO}/` (idenfy-api.md §7.10).

use crate::{ApiFailure, AppState};
use kycd_pipeline::fraud::blocklists::{
    BLOCKLIST_SOURCES, BlocklistError, add_to_blocklist, remove_from_blocklist,
};
use kycd_store::PartnerRow;
use kycd_types::ErrorIdentifier;
use serde::Serialize;
use serde_json::Value;

/// `201` body of a `SELFIE` or `DOCUMENT` entry (a face image).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlocklistFaceEntry {
    /// The scanRef of the verification whose face image was blocklisted.
    pub id: String,
    /// The reason given, if any.
    pub reason: Option<String>,
    /// When the entry was made (UTC, `YYYY-MM-DDTHH:MM:SSZ`).
    #[schema(format = DateTime)]
    pub created: String,
    /// A signed, short-lived URL of the blocklisted image.
    #[schema(format = "uri")]
    pub face_image_url: String,
}

/// `201` body of a `DOCUMENT_INFO` entry (personal data).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlocklistDataEntry {
    /// The entry's id.
    pub id: i64,
    /// Full name as read from the document.
    pub full_name: Option<String>,
    /// Date of birth (`YYYY-MM-DD`).
    #[schema(format = Date)]
    pub date_of_birth: Option<String>,
    /// Personal number.
    pub personal_number: Option<String>,
    /// Document number.
    pub document_number: Option<String>,
    /// Nationality (ISO 3166-1 alpha-2).
    pub nationality: Option<String>,
    /// The reason given, if any.
    pub reason: Option<String>,
    /// When the entry was made (UTC, `YYYY-MM-DDTHH:MM:SSZ`).
    #[schema(format = DateTime)]
    pub created: String,
}

/// `201` body of `POST /kyc/identifications/{scanRef}/blocklists/{source}/`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum BlocklistEntry {
    /// `SELFIE` or `DOCUMENT`.
    Face(BlocklistFaceEntry),
    /// `DOCUMENT_INFO`.
    Data(BlocklistDataEntry),
}

fn source_of(s: &str) -> Result<&'static str, ApiFailure> {
    BLOCKLIST_SOURCES
        .iter()
        .find(|x| **x == s)
        .copied()
        .ok_or_else(|| {
            ApiFailure::new(
                ErrorIdentifier::BadValue,
                format!(
                    "Blocklist source must be one of SELFIE, DOCUMENT, DOCUMENT_INFO, got '{s}'."
                ),
            )
        })
}

fn failure(e: BlocklistError, scan_ref: &str) -> ApiFailure {
    match e {
        BlocklistError::NotFound => ApiFailure::new(
            ErrorIdentifier::NotFound,
            format!("Verification with scanRef '{scan_ref}' was not found."),
        ),
        BlocklistError::NothingToBlock(m) => ApiFailure::new(ErrorIdentifier::PartnerError, m),
        BlocklistError::Pipeline(e) => ApiFailure::Internal(e.to_string()),
    }
}

fn iso(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let d = kycd_mrz::Date::from_days_since_epoch(days);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        d.to_iso(),
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Adds an entry; answers the 201 body.
pub async fn add(
    state: &AppState,
    partner: &PartnerRow,
    scan_ref: &str,
    source: &str,
    body: &[u8],
) -> Result<BlocklistEntry, ApiFailure> {
    let source = source_of(source)?;
    let reason = if body.iter().all(|b| b.is_ascii_whitespace()) {
        None
    } else {
        let o = crate::body::parse_object(body)?;
        match o.get("reason") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.chars().count() <= 1000 => Some(s.clone()),
            Some(Value::String(_)) => {
                return Err(ApiFailure::new(
                    ErrorIdentifier::BadValue,
                    "Field 'reason' must be at most 1000 characters.",
                ));
            }
            Some(_) => {
                return Err(ApiFailure::new(
                    ErrorIdentifier::JsonError,
                    "Field 'reason' must be a string or null.",
                ));
            }
        }
    };
    let (row, data) = add_to_blocklist(
        &state.store,
        &state.keyring,
        partner.id,
        scan_ref,
        source,
        reason,
    )
    .await
    .map_err(|e| failure(e, scan_ref))?;
    let text = |k: &str| d_str(data.as_ref(), k);
    Ok(match &data {
        None => BlocklistEntry::Face(BlocklistFaceEntry {
            face_image_url: state
                .files
                .url(scan_ref, if source == "SELFIE" { "FACE" } else { "FRONT" }),
            id: row.scan_ref,
            reason: row.reason,
            created: iso(row.created_at),
        }),
        Some(_) => BlocklistEntry::Data(BlocklistDataEntry {
            id: row.id,
            full_name: text("fullName"),
            date_of_birth: text("dateOfBirth"),
            personal_number: text("personalNumber"),
            document_number: text("documentNumber"),
            nationality: text("nationality"),
            reason: row.reason,
            created: iso(row.created_at),
        }),
    })
}

/// A string value of the blocklisted personal data (`null` when absent or not a string).
fn d_str(data: Option<&Value>, key: &str) -> Option<String> {
    data.and_then(|d| d.get(key))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Removes an entry (404 when there is none).
pub async fn remove(
    state: &AppState,
    partner: &PartnerRow,
    scan_ref: &str,
    source: &str,
) -> Result<(), ApiFailure> {
    let source = source_of(source)?;
    let removed = remove_from_blocklist(&state.store, partner.id, scan_ref, source)
        .await
        .map_err(|e| failure(e, scan_ref))?;
    if removed {
        Ok(())
    } else {
        Err(ApiFailure::new(
            ErrorIdentifier::NotFound,
            format!("No {source} blocklist entry for scanRef '{scan_ref}'."),
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso_times() {
        assert_eq!(super::iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::iso(1_764_115_200_000), "2025-11-26T00:00:00Z");
    }

    #[test]
    fn entries_serialise_to_the_idenfy_shapes() {
        use super::*;
        let face = serde_json::to_value(BlocklistEntry::Face(BlocklistFaceEntry {
            id: "s".into(),
            reason: None,
            created: iso(0),
            face_image_url: "http://x/f".into(),
        }))
        .unwrap();
        let keys: Vec<_> = face.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["created", "faceImageUrl", "id", "reason"]);
        assert!(face["reason"].is_null());
        let data = serde_json::json!({"fullName": "A B", "dateOfBirth": null, "nationality": 5});
        assert_eq!(d_str(Some(&data), "fullName").as_deref(), Some("A B"));
        assert_eq!(d_str(Some(&data), "dateOfBirth"), None);
        assert_eq!(d_str(Some(&data), "nationality"), None);
        assert_eq!(d_str(None, "fullName"), None);
        let entry = serde_json::to_value(BlocklistEntry::Data(BlocklistDataEntry {
            id: 7,
            full_name: d_str(Some(&data), "fullName"),
            date_of_birth: None,
            personal_number: None,
            document_number: None,
            nationality: None,
            reason: Some("r".into()),
            created: iso(0),
        }))
        .unwrap();
        assert_eq!(entry.as_object().unwrap().len(), 8);
        assert_eq!(entry["id"], 7);
        assert_eq!(entry["fullName"], "A B");
    }
}
