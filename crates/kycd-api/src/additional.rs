//! `POST /api/v2/upload-additional-step` (idenfy-api.md §7.7): a late or repeated upload of an additional-step file
//! (utility bill …) for a finished verification. The file is stored, new `additionalData` replaces the token's, and
//! the verification is processed again; the new result arrives as an `IDENTIFICATION_RESUBMITTED` webhook.

use crate::body::req_text;
use crate::media::{MediaError, inspect};
use crate::{ApiFailure, AppState};
use kycd_store::{ImageRef, PartnerRow};
use kycd_types::ErrorIdentifier;
use serde_json::Value;

/// Handles the upload.
pub async fn upload(state: &AppState, partner: &PartnerRow, body: &[u8]) -> Result<(), ApiFailure> {
    let o = crate::body::parse_object(body)?;
    let scan_ref = req_text(&o, "scanRef")?.to_string();
    let step = req_text(&o, "step")?.to_string();
    let image = req_text(&o, "image")?;
    let additional = match o.get("additionalData") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(_) => {
            return Err(ApiFailure::new(
                ErrorIdentifier::JsonError,
                "Field 'additionalData' must be an object.",
            ));
        }
    };
    let not_found = || {
        ApiFailure::new(
            ErrorIdentifier::NotFound,
            format!("Verification with scanRef '{scan_ref}' was not found."),
        )
    };
    let mut token = state
        .store
        .token_by_scan_ref(&scan_ref, partner.id)
        .await?
        .ok_or_else(not_found)?;
    let v = state
        .store
        .verification_for_partner(&scan_ref, partner.id)
        .await?
        .filter(|v| v.deleted_at.is_none())
        .ok_or_else(not_found)?;
    if !token.settings.all_additional_step_names().contains(&step) {
        return Err(ApiFailure::new(
            ErrorIdentifier::BadValue,
            format!("Step '{step}' is not an additional step of this verification."),
        ));
    }
    if v.finished_at.is_none() {
        return Err(ApiFailure::new(
            ErrorIdentifier::PartnerError,
            "The verification is still being processed.",
        ));
    }
    let max_pixels = state.config.max_image_pixels;
    let image = image.to_string();
    let (bytes, kind) = tokio::task::spawn_blocking(move || inspect(&image, max_pixels))
        .await?
        .map_err(|e| {
            let id = match e {
                MediaError::Base64 => ErrorIdentifier::EncodingError,
                _ => ErrorIdentifier::BadValue,
            };
            ApiFailure::new(id, format!("Image for step '{step}' {e}."))
        })?;
    let key = format!(
        "{}/{}/{}.{}",
        kycd_blob::verification_prefix(&scan_ref),
        uuid::Uuid::new_v4().simple(),
        step,
        kind.ext()
    );
    let size = bytes.len() as u64;
    state.blobs.put(&key, bytes::Bytes::from(bytes)).await?;
    let settings = additional.map(|a| {
        let mut all = match token.settings.additional_data.take() {
            Some(Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        };
        all.insert(step.clone(), a);
        token.settings.additional_data = Some(Value::Object(all));
        &token.settings
    });
    // The file, the new additionalData and the job are stored in one transaction.
    let reopened = state
        .store
        .reopen_with_file_and_settings(
            &scan_ref,
            partner.id,
            &step,
            &ImageRef {
                key,
                mime: kind.mime().into(),
                size,
            },
            state.config.job_max_attempts,
            settings,
        )
        .await?;
    if !reopened {
        return Err(ApiFailure::new(
            ErrorIdentifier::PartnerError,
            "The verification is still being processed.",
        ));
    }
    if let Some(w) = &state.wake_workers {
        w.notify_one();
    }
    tracing::info!(scan_ref = %scan_ref, step = %step, "additional step uploaded");
    Ok(())
}
