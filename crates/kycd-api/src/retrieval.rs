//! `/api/v2/status`, `/api/v2/data`, `/api/v2/files`, `/api/v2/delete`, the signed file downloads and webhook replay.

use crate::{ApiFailure, AppState};
use kycd_store::{PartnerRow, TokenRow, VerificationRow, now_ms};
use kycd_types::ErrorIdentifier;
use kycd_types::webhook::DataBlock;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// `200` body of `POST /api/v2/status` (idenfy-api.md §7.1).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusResponse {
    /// Overall status; `ACTIVE`, `EXPIRED`, `DELETED` or `EXPIRED-DELETED` while no verification exists.
    #[schema(value_type = kycd_types::OverallStatus)]
    pub status: String,
    /// Automatic document result (`null` until processed).
    #[schema(value_type = Option<kycd_types::DocumentStatus>)]
    pub auto_document: Value,
    /// Automatic face result (`null` until processed).
    #[schema(value_type = Option<kycd_types::FaceStatus>)]
    pub auto_face: Value,
    /// Manual document result (`null` until reviewed).
    #[schema(value_type = Option<kycd_types::DocumentStatus>)]
    pub manual_document: Value,
    /// Manual face result (`null` until reviewed).
    #[schema(value_type = Option<kycd_types::FaceStatus>)]
    pub manual_face: Value,
    /// Fraud tags (empty when none).
    #[schema(value_type = Vec<kycd_types::FraudTag>)]
    pub fraud_tags: Value,
    /// Mismatch tags (empty when none).
    #[schema(value_type = Vec<kycd_types::MismatchTag>)]
    pub mismatch_tags: Value,
    /// The verification's id.
    pub scan_ref: String,
    /// The partner's user id.
    pub client_id: String,
}

/// `200` body of `POST /api/v2/data`: the webhook `data` object plus `scanRef` and `clientId` (§7.2).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataResponse {
    /// The document data (every key present, `null` where unknown).
    #[serde(flatten)]
    pub data: DataBlock,
    /// The verification's id.
    pub scan_ref: String,
    /// The partner's user id.
    pub client_id: String,
}

/// `200` body of `POST /api/v2/files`: a fresh signed URL per stored file, keyed by step (`FRONT`, `BACK`, `FACE`,
/// `UTILITY_BILL`, custom steps …), plus `additionalStepPdfUrls`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FilesResponse {
    /// Signed download URL by step name.
    #[serde(flatten)]
    pub files: BTreeMap<String, Option<String>>,
    /// Empty: the files of additional steps are listed under their step names.
    pub additional_step_pdf_urls: BTreeMap<String, Option<String>>,
}

/// `200` body of `POST /api/v2/webhooks/replay`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReplayResponse {
    /// The verification's id.
    pub scan_ref: String,
    /// How many webhook deliveries were made due again.
    pub replayed: u64,
}

pub(crate) fn scan_ref_of(body: &[u8]) -> Result<String, ApiFailure> {
    let o = crate::body::parse_object(body)?;
    Ok(crate::body::req_text(&o, "scanRef")?.to_string())
}

fn not_found(scan_ref: &str) -> ApiFailure {
    ApiFailure::new(
        ErrorIdentifier::NotFound,
        format!("Verification with scanRef '{scan_ref}' was not found."),
    )
}

/// A scanRef's verification and/or token (both belong to the partner, or neither is returned).
pub(crate) async fn lookup(
    state: &AppState,
    partner: &PartnerRow,
    scan_ref: &str,
) -> Result<(Option<VerificationRow>, TokenRow), ApiFailure> {
    let token = state
        .store
        .token_by_scan_ref(scan_ref, partner.id)
        .await?
        .ok_or_else(|| not_found(scan_ref))?;
    let v = state
        .store
        .verification_for_partner(scan_ref, partner.id)
        .await?;
    Ok((v, token))
}

fn token_status(t: &TokenRow) -> &'static str {
    unused_token_status(t.used_at, t.expires_at, t.deleted_at, now_ms())
}

/// The overall status of a scanRef that has no verification: `ACTIVE` or `EXPIRED` by the token's expiry,
/// `DELETED` or `EXPIRED-DELETED` once erased (also used by the identification list).
pub(crate) fn unused_token_status(
    used_at: Option<i64>,
    expires_at: i64,
    deleted_at: Option<i64>,
    now: i64,
) -> &'static str {
    let expired = used_at.is_none() && expires_at <= now;
    match (deleted_at.is_some(), expired) {
        (true, true) => "EXPIRED-DELETED",
        (true, false) => "DELETED",
        (false, true) => "EXPIRED",
        (false, false) => "ACTIVE",
    }
}

/// `POST /api/v2/status`.
pub async fn status(
    state: &AppState,
    partner: &PartnerRow,
    body: &[u8],
) -> Result<StatusResponse, ApiFailure> {
    let scan_ref = scan_ref_of(body)?;
    let (v, token) = lookup(state, partner, &scan_ref).await?;
    let client_id = token.settings.client_id.clone();
    let Some(v) = v else {
        return Ok(StatusResponse {
            status: token_status(&token).to_string(),
            auto_document: Value::Null,
            auto_face: Value::Null,
            manual_document: Value::Null,
            manual_face: Value::Null,
            fraud_tags: json!([]),
            mismatch_tags: json!([]),
            scan_ref,
            client_id,
        });
    };
    let st = v
        .result
        .as_ref()
        .map(|r| r["status"].clone())
        .unwrap_or(Value::Null);
    let pick = |k: &str| st.get(k).cloned().unwrap_or(Value::Null);
    let list = |k: &str| {
        st.get(k)
            .cloned()
            .filter(Value::is_array)
            .unwrap_or_else(|| json!([]))
    };
    Ok(StatusResponse {
        status: v.status,
        auto_document: pick("autoDocument"),
        auto_face: pick("autoFace"),
        manual_document: pick("manualDocument"),
        manual_face: pick("manualFace"),
        fraud_tags: list("fraudTags"),
        mismatch_tags: list("mismatchTags"),
        scan_ref: v.scan_ref,
        client_id: v.client_id,
    })
}

/// `POST /api/v2/data`: the webhook `data` object plus `scanRef` and `clientId`.
pub async fn data(
    state: &AppState,
    partner: &PartnerRow,
    body: &[u8],
) -> Result<Value, ApiFailure> {
    let scan_ref = scan_ref_of(body)?;
    let (v, token) = lookup(state, partner, &scan_ref).await?;
    // A finished verification answers its stored `data` object as it was written (older results may carry keys
    // this version does not know); otherwise the empty block, with what is known before processing ends.
    let mut data = match v
        .as_ref()
        .and_then(|v| v.result.as_ref())
        .and_then(|r| r.get("data"))
        .cloned()
    {
        Some(d) => d,
        None => {
            let mut d = DataBlock::default();
            if let Some(v) = v.as_ref().filter(|v| v.deleted_at.is_none()) {
                d.selected_country = v.country.clone();
                d.doc_type = v.document_type.as_deref().and_then(|t| t.parse().ok());
            }
            let out = DataResponse {
                data: d,
                scan_ref,
                client_id: token.settings.client_id,
            };
            return serde_json::to_value(out).map_err(|e| ApiFailure::Internal(e.to_string()));
        }
    };
    if let Value::Object(m) = &mut data {
        m.insert("scanRef".into(), Value::String(scan_ref));
        m.insert("clientId".into(), Value::String(token.settings.client_id));
    }
    Ok(data)
}

/// `POST /api/v2/files`: fresh signed URLs (valid for the configured lifetime) for every stored file.
pub async fn files(
    state: &AppState,
    partner: &PartnerRow,
    body: &[u8],
) -> Result<FilesResponse, ApiFailure> {
    let scan_ref = scan_ref_of(body)?;
    let (v, _) = lookup(state, partner, &scan_ref).await?;
    Ok(FilesResponse {
        files: v.map(|v| state.files.map(&v)).unwrap_or_default(),
        additional_step_pdf_urls: BTreeMap::new(),
    })
}

/// `POST /api/v2/delete`: erases images and personal data for good; leaves a `DELETED` tombstone.
pub async fn delete(state: &AppState, partner: &PartnerRow, body: &[u8]) -> Result<(), ApiFailure> {
    let scan_ref = scan_ref_of(body)?;
    let (v, token) = lookup(state, partner, &scan_ref).await?;
    if v.is_none() && token.is_usable(now_ms()) {
        return Err(ApiFailure::new(
            ErrorIdentifier::PartnerError,
            "Token has not expired yet.",
        ));
    }
    kycd_pipeline::retention::erase_verification(&state.store, &state.blobs, &scan_ref, partner.id)
        .await?;
    tracing::info!(scan_ref = %scan_ref, "verification deleted");
    Ok(())
}

/// `GET /api/v2/files/{scanRef}/{step}?expires=&signature=`: serves one stored file to a holder of a valid,
/// unexpired signed URL.
pub async fn download(
    state: &AppState,
    scan_ref: &str,
    step: &str,
    expires: i64,
    signature: &str,
) -> Result<(String, bytes::Bytes), ApiFailure> {
    let forbidden = || {
        ApiFailure::new(
            ErrorIdentifier::Unauthorized,
            "File link is invalid or has expired.",
        )
    };
    if expires < now_ms() / 1000
        || !state
            .keyring
            .verify_file_url(scan_ref, step, expires, signature)
    {
        return Err(forbidden());
    }
    let v = state
        .store
        .verification(scan_ref)
        .await?
        .ok_or_else(forbidden)?;
    let img = v.images.get(step).ok_or_else(forbidden)?;
    let bytes = state.blobs.get(&img.key).await?;
    Ok((img.mime.clone(), bytes))
}

/// `POST /api/v2/webhooks/replay`: makes a verification's webhooks due again.
pub async fn replay(
    state: &AppState,
    partner: &PartnerRow,
    body: &[u8],
) -> Result<ReplayResponse, ApiFailure> {
    let scan_ref = scan_ref_of(body)?;
    lookup(state, partner, &scan_ref).await?;
    let replayed = state
        .store
        .replay_webhooks(&scan_ref, Some(partner.id))
        .await?;
    Ok(ReplayResponse { scan_ref, replayed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_bodies_keep_their_wire_keys() {
        let s = serde_json::to_value(StatusResponse {
            status: "ACTIVE".into(),
            auto_document: Value::Null,
            auto_face: Value::Null,
            manual_document: Value::Null,
            manual_face: Value::Null,
            fraud_tags: json!([]),
            mismatch_tags: json!([]),
            scan_ref: "s".into(),
            client_id: "c".into(),
        })
        .unwrap();
        let keys: Vec<_> = s.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "autoDocument",
                "autoFace",
                "clientId",
                "fraudTags",
                "manualDocument",
                "manualFace",
                "mismatchTags",
                "scanRef",
                "status"
            ]
        );
        let f = serde_json::to_value(FilesResponse {
            files: BTreeMap::from([("FRONT".to_string(), Some("http://x/f".to_string()))]),
            additional_step_pdf_urls: BTreeMap::new(),
        })
        .unwrap();
        assert_eq!(
            f,
            json!({"FRONT": "http://x/f", "additionalStepPdfUrls": {}})
        );
        let d = serde_json::to_value(DataResponse {
            data: DataBlock::default(),
            scan_ref: "s".into(),
            client_id: "c".into(),
        })
        .unwrap();
        assert_eq!(d.as_object().unwrap().len(), 43);
        assert_eq!(d["scanRef"], "s");
        assert!(d["docFirstName"].is_null());
        let r = serde_json::to_value(ReplayResponse {
            scan_ref: "s".into(),
            replayed: 2,
        })
        .unwrap();
        assert_eq!(r, json!({"scanRef": "s", "replayed": 2}));
    }
}
