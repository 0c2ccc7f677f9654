//! `POST|DELETE /kyc/identifications/{scanRef}/blocklists/{SELFIE|DOCUMENT|DOCUMENT_INFO}/` (idenfy-api.md §7.10).

use crate::{ApiFailure, AppState};
use kycd_pipeline::review::{
    BLOCKLIST_SOURCES, BlocklistError, add_to_blocklist, remove_from_blocklist,
};
use kycd_store::PartnerRow;
use kycd_types::ErrorIdentifier;
use serde_json::{Value, json};

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
) -> Result<Value, ApiFailure> {
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
    Ok(match data {
        None => json!({
            "id": row.scan_ref,
            "reason": row.reason,
            "created": iso(row.created_at),
            "faceImageUrl": state.files.url(scan_ref, if source == "SELFIE" { "FACE" } else { "FRONT" }),
        }),
        Some(d) => json!({
            "id": row.id,
            "fullName": d["fullName"],
            "dateOfBirth": d["dateOfBirth"],
            "personalNumber": d["personalNumber"],
            "documentNumber": d["documentNumber"],
            "nationality": d["nationality"],
            "reason": row.reason,
            "created": iso(row.created_at),
        }),
    })
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
}
