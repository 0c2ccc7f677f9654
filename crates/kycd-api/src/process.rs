//! `POST /api/v2/process`: the validation order of direct-processing.md, then the atomic accept.
//!
//! 1 auth and 2 body size happen before this module (extractor, [`crate::body::read_limited`]); the numbered
//! comments below are the remaining rules, in order. The first failing rule decides the error, and nothing before
//! the final transaction consumes the token.

use crate::ingest::{self, ImageValue, ParsedBody};
use crate::media::{self, MediaError, MediaKind};
use crate::{ApiFailure, AppState};
use axum::body::Body;
use axum::http::HeaderMap;
use bytes::Bytes;
use kycd_pipeline::PhotoValidation;
use kycd_store::{AcceptedVerification, ImageRef, PartnerRow, now_ms};
use kycd_types::{ApiError, DocumentType, ErrorIdentifier, TokenType, step};
use std::collections::BTreeMap;

/// How an accepted request is answered.
#[derive(Debug)]
pub enum Accepted {
    /// `200` with an empty body.
    Ok,
    /// `200` with an error body: the photo validation failed (the token is consumed all the same).
    PhotoValidationFailed(ApiError),
}

fn err(id: ErrorIdentifier, msg: impl Into<String>) -> ApiFailure {
    ApiFailure::new(id, msg)
}

/// Canonical order in which images are checked: FRONT, BACK, FACE, the bills, then custom steps by name.
fn step_rank(name: &str) -> (usize, String) {
    (
        step::BUILT_IN
            .iter()
            .position(|s| *s == name)
            .unwrap_or(step::BUILT_IN.len()),
        name.to_string(),
    )
}

struct Image {
    step: String,
    bytes: Bytes,
    kind: MediaKind,
}

fn media_error(step_name: &str, e: MediaError) -> ApiFailure {
    let id = match e {
        MediaError::Base64 => ErrorIdentifier::EncodingError,
        _ => ErrorIdentifier::BadValue,
    };
    err(id, format!("Image for step '{step_name}' {e}."))
}

/// Handles one `/process` call for an authenticated partner, reading the body as it streams in: rule 2 (size
/// limit, nothing past it is read) and rule 3 (UTF-8, JSON, field types; images decoded from base64 on the way)
/// happen in one pass over the incoming chunks, so no copy of the whole body is ever made.
pub async fn process_streaming(
    state: &AppState,
    partner: &PartnerRow,
    headers: &HeaderMap,
    body: Body,
) -> Result<Accepted, ApiFailure> {
    let parsed = ingest::read_and_parse(headers, body, state.config.max_process_body).await?;
    process_parsed(state, partner, parsed).await
}

/// Rules 4–14 and the accept, after rule 3.
async fn process_parsed(
    state: &AppState,
    partner: &PartnerRow,
    parsed: ParsedBody,
) -> Result<Accepted, ApiFailure> {
    // 4. token present.
    let token_str = parsed
        .token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| err(ErrorIdentifier::MissingValue, "Field 'token' is required."))?;
    // 5. direct processing enabled for the partner.
    if !partner.direct_processing {
        return Err(err(
            ErrorIdentifier::PartnerContractError,
            "Direct processing is not enabled for this partner.",
        ));
    }
    // 6. the token exists for this partner, unused and unexpired.
    let now = now_ms();
    let token = match state
        .store
        .token_for_partner(&token_str, partner.id)
        .await?
    {
        Some(t) if t.is_usable(now) && t.deleted_at.is_none() => t,
        _ => {
            return Err(err(
                ErrorIdentifier::TokenNotValid,
                "Token is not valid: unknown, expired or already used.",
            ));
        }
    };
    // 7. token restrictions that direct processing cannot satisfy.
    if token.nfc_required {
        return Err(err(
            ErrorIdentifier::PartnerContractError,
            "Token requires NFC reading, which is not possible with direct processing.",
        ));
    }
    // Only questionnaire answers attached to the token refuse direct processing (idenfy-api.md §2.2, §3.1); a
    // `questionnaire` key on the token does not. kycd has no hosted questionnaire, so no answers are ever attached.
    if token.settings.token_type.is_video_call() {
        return Err(err(
            ErrorIdentifier::PartnerContractError,
            format!(
                "Token type '{}' needs a live video call with an agent, which direct processing cannot provide; \
                 use an IDENTIFICATION or DOCUMENT token.",
                token.settings.token_type
            ),
        ));
    }
    // 8. country.
    let country = parsed
        .country
        .ok_or_else(|| {
            err(
                ErrorIdentifier::MissingValue,
                "Field 'country' is required.",
            )
        })?
        .to_ascii_uppercase();
    if !kycd_mrz::country::is_alpha2(&country) {
        return Err(err(
            ErrorIdentifier::BadValue,
            "Field 'country' must be a valid ISO 3166-1 alpha-2 code.",
        ));
    }
    // 9. documentType.
    let declared: Option<DocumentType> = match parsed.document_type {
        None => None,
        Some(d) => match d.parse::<DocumentType>() {
            Ok(t) if DocumentType::DIRECT_PROCESSING.contains(&t) => Some(t),
            Ok(t) if t.is_digital_id() => {
                return Err(err(
                    ErrorIdentifier::BadValue,
                    format!(
                        "Document type '{d}' is a digital ID and cannot be processed from images."
                    ),
                ));
            }
            _ => {
                return Err(err(
                    ErrorIdentifier::BadValue,
                    format!(
                        "Field 'documentType' must be one of ID_CARD, PASSPORT, DRIVER_LICENSE, RESIDENCE_PERMIT; got '{d}'."
                    ),
                ));
            }
        },
    };
    // 10. images is an object whose keys are known steps.
    let mut images = parsed
        .images
        .ok_or_else(|| err(ErrorIdentifier::MissingValue, "Field 'images' is required."))?;
    let custom_steps = token.settings.all_additional_step_names();
    for (k, _) in &images {
        let known = step::BUILT_IN.contains(&k.as_str()) || custom_steps.iter().any(|s| s == k);
        if !known {
            return Err(err(
                ErrorIdentifier::BadValue,
                format!("Unknown image step '{k}'."),
            ));
        }
    }
    images.retain(|(_, v)| v.is_some());
    images.sort_by_key(|(k, _)| step_rank(k));
    // 11. every image decodes and is PNG, JPEG or (unencrypted) PDF by its content.
    let max_pixels = state.config.max_image_pixels;
    let decoded: Vec<Image> = tokio::task::spawn_blocking(move || {
        images
            .into_iter()
            .map(|(k, v)| {
                match v {
                    Some(ImageValue::Decoded(b)) => media::inspect_decoded(b, max_pixels),
                    Some(ImageValue::Text(t)) => media::inspect(&t, max_pixels),
                    None => media::inspect("", max_pixels),
                }
                .map(|(bytes, kind)| Image {
                    step: k.clone(),
                    bytes: Bytes::from(bytes),
                    kind,
                })
                .map_err(|e| media_error(&k, e))
            })
            .collect::<Result<Vec<_>, _>>()
    })
    .await??;
    let has = |s: &str| decoded.iter().any(|i| i.step == s);
    // 12. required steps.
    let missing = |s: &str| {
        err(
            ErrorIdentifier::MissingValue,
            format!("No image provided for step '{s}'"),
        )
    };
    if !has(step::FRONT) {
        return Err(missing(step::FRONT));
    }
    if declared.is_some_and(|d| d.has_back()) && !has(step::BACK) {
        return Err(missing(step::BACK));
    }
    if token.settings.token_type == TokenType::Identification && !has(step::FACE) {
        return Err(missing(step::FACE));
    }
    for (name, _) in token.settings.additional_steps_for(&country, declared) {
        if !has(&name) {
            return Err(missing(&name));
        }
    }
    let front = decoded
        .iter()
        .find(|i| i.step == step::FRONT)
        .map(|i| (i.bytes.clone(), i.kind));
    let face = decoded
        .iter()
        .find(|i| i.step == step::FACE)
        .map(|i| (i.bytes.clone(), i.kind));
    let (front_bytes, front_kind) = front.ok_or_else(|| missing(step::FRONT))?;
    // A sandbox token (`dummyStatus`) was validated like any other up to here; it runs no analysis (no detection,
    // no photo validation) and keeps none of its images: its canned result needs none (kycd_pipeline::sandbox).
    let dummy = token.settings.dummy_status.is_some();
    // 13. document type auto-detection.
    let document_type = match declared {
        Some(d) => d,
        None if dummy => token
            .settings
            .documents
            .iter()
            .find(|d| DocumentType::DIRECT_PROCESSING.contains(d))
            .cloned()
            .unwrap_or(DocumentType::Passport),
        None => {
            let inspector = state.checks.inspector.clone();
            let (b, k) = (front_bytes.clone(), front_kind);
            let detected =
                tokio::task::spawn_blocking(move || inspector.detect_document_type(&b, k.mime()))
                    .await?;
            let d = detected.ok_or_else(|| {
                err(
                    ErrorIdentifier::BadValue,
                    "Could not detect document type from FRONT image",
                )
            })?;
            if d.has_back() && !has(step::BACK) {
                return Err(missing(step::BACK));
            }
            d
        }
    };
    // 14. synchronous photo validation, unless skipped.
    let precheck = if parsed.skip_analysis || dummy {
        None
    } else {
        let inspector = state.checks.inspector.clone();
        let face = face.clone();
        let (b, k) = (front_bytes.clone(), front_kind);
        Some(
            tokio::task::spawn_blocking(move || {
                inspector.validate_photos(
                    (&b, k.mime()),
                    face.as_ref().map(|(fb, fk)| (fb, fk.mime())),
                )
            })
            .await?,
        )
    };
    // Store the images under a prefix unique to this request, then accept in one transaction.
    let scan_ref = token.settings.scan_ref.clone();
    let request_prefix = format!(
        "{}/{}",
        kycd_blob::verification_prefix(&scan_ref),
        uuid::Uuid::new_v4().simple()
    );
    // The images are handed to the blob store as the only references to their buffers, so that they are
    // sealed in place rather than copied.
    drop((front_bytes, face));
    let mut refs = BTreeMap::new();
    let kept = if dummy { Vec::new() } else { decoded };
    for img in kept {
        let key = format!("{request_prefix}/{}.{}", img.step, img.kind.ext());
        let size = img.bytes.len() as u64;
        state.blobs.put(&key, img.bytes).await?;
        refs.insert(
            img.step,
            ImageRef {
                key,
                mime: img.kind.mime().into(),
                size,
            },
        );
    }
    let accepted = AcceptedVerification {
        partner_id: partner.id,
        auth_token: token_str,
        scan_ref: scan_ref.clone(),
        client_id: token.settings.client_id.clone(),
        country,
        document_type: Some(document_type.as_str().to_string()),
        skip_analysis: parsed.skip_analysis,
        images: refs,
        precheck: precheck.map(|p| serde_json::to_value(p).unwrap_or_default()),
        max_attempts: state.config.job_max_attempts,
    };
    if let Err(e) = state.store.accept_verification(&accepted).await {
        // Lost a race for the token (or the database failed): this request's images must not linger.
        if let Err(de) = state.blobs.delete_prefix(&request_prefix).await {
            tracing::warn!(error = %de, "could not remove images of a refused request");
        }
        return Err(e.into());
    }
    if let Some(w) = &state.wake_workers {
        w.notify_waiters();
    }
    tracing::info!(scan_ref = %scan_ref, "verification accepted");
    Ok(match precheck {
        Some(PhotoValidation {
            document_found: Some(false),
            ..
        }) => Accepted::PhotoValidationFailed(ApiError {
            identifier: ErrorIdentifier::BadValue,
            message: "Document was not detected in the FRONT image.".into(),
        }),
        Some(PhotoValidation {
            face_found: Some(false),
            ..
        }) if token.settings.token_type == TokenType::Identification => {
            Accepted::PhotoValidationFailed(ApiError {
                identifier: ErrorIdentifier::BadValue,
                message: "Face was not detected in the FACE image.".into(),
            })
        }
        _ => Accepted::Ok,
    })
}
