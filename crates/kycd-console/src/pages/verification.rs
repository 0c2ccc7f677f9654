//! One verification: the page, its images decrypted on the fly, and its JSON.

use super::*;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct NoticeQuery {
    done: String,
}

pub(crate) async fn verification(
    State(state): State<ConsoleState>,
    op: Op,
    Path(scan_ref): Path<String>,
    q: Result<Query<NoticeQuery>, QueryRejection>,
) -> Page {
    let v = visible(&state, &op, &scan_ref).await?;
    audit(
        &state,
        &op,
        AuditAction::ViewVerification,
        Some(&v),
        Some(format!(
            "images: {}",
            v.images.keys().cloned().collect::<Vec<_>>().join(", ")
        )),
        None,
    )
    .await?;
    let token = state
        .store
        .token_by_scan_ref(&v.scan_ref, v.partner_id)
        .await?;
    let result = v.result.clone().unwrap_or(serde_json::Value::Null);
    let status = &result["status"];
    let txt = |x: &serde_json::Value| x.as_str().unwrap_or("").to_string();
    let list = |x: &serde_json::Value| -> Vec<String> {
        x.as_array()
            .map(|a| a.iter().map(txt).collect())
            .unwrap_or_default()
    };
    let face_ev = &result["kycd"]["face"];
    let face = (!face_ev.is_null()).then(|| {
        let d = face_ev["distance"].as_f64();
        let t = face_ev["details"]["thresholds"]["matchMax"].as_f64();
        FaceLine {
            status: txt(&face_ev["status"]),
            distance: d.map_or("–".into(), |d| format!("{d:.3}")),
            similarity: d.map_or("–".into(), |d| {
                format!("{:.0} %", 100.0 * (1.0 - d).clamp(0.0, 1.0))
            }),
            threshold: t.map_or("–".into(), |t| format!("distance ≤ {t:.3} is a match")),
            selfie: v
                .images
                .contains_key("FACE")
                .then(|| format!("/console/v/{}/file/FACE", v.scan_ref)),
            portrait: None,
        }
    });
    // The document side: the portrait the face match used when the reader cropped one, else the whole FRONT.
    let face = match face {
        Some(mut f) => {
            let cropped = state
                .blobs
                .exists(&kycd_blob::portrait_key(&v.scan_ref))
                .await
                .unwrap_or(false);
            f.portrait = if cropped {
                Some(format!("/console/v/{}/portrait", v.scan_ref))
            } else {
                v.images
                    .contains_key("FRONT")
                    .then(|| format!("/console/v/{}/file/FRONT", v.scan_ref))
            };
            Some(f)
        }
        None => None,
    };
    let duplicates = duplicates(&state, &op, &result).await?;
    let (blocklist_matches, blocklisted) = blocklist(&state, &v, &result).await?;
    // The fields per zone, stored beside the images by the worker (absent for older verifications).
    let readings: Option<serde_json::Value> =
        match state.blobs.get(&kycd_blob::readings_key(&v.scan_ref)).await {
            Ok(b) => serde_json::from_slice(&b).ok(),
            Err(_) => None,
        };
    let webhooks = state
        .store
        .webhooks_for(&v.scan_ref, Some(v.partner_id))
        .await?;
    let names = partner_names(&state).await?;
    let page = VerificationPage {
        nav: nav(&state, &op, "queue").await?,
        partner: names.get(&v.partner_id.0).cloned().unwrap_or_default(),
        client_id: v.client_id.clone(),
        status: v.status.clone(),
        auto_document: txt(&status["autoDocument"]),
        auto_face: txt(&status["autoFace"]),
        manual_document: txt(&status["manualDocument"]),
        manual_face: txt(&status["manualFace"]),
        fraud_tags: list(&status["fraudTags"]),
        mismatch_tags: list(&status["mismatchTags"]),
        created: when(v.created_at),
        finished: v
            .finished_at
            .map(when)
            .unwrap_or_else(|| "processing".into()),
        deleted: v.deleted_at.is_some(),
        images: images(&v),
        fields: fields(&result, token.as_ref(), readings.as_ref()),
        face,
        rules: rules(&result),
        aml: aml(&result),
        duplicates,
        blocklist_matches,
        blocklisted,
        webhooks: crate::views::webhooks(&webhooks),
        token: token.as_ref().map(token_settings).unwrap_or_default(),
        audit: state
            .store
            .audit_entries(Some(&v.scan_ref), None, None, 50)
            .await?
            .iter()
            .map(AuditLine::of)
            .collect(),
        can_decide: op.can(OperatorRole::Reviewer) && v.result.is_some() && v.deleted_at.is_none(),
        can_erase: op.can(OperatorRole::Admin) && v.deleted_at.is_none(),
        face_options: FACE_STATUSES,
        doc_options: DOC_STATUSES,
        sources: &BLOCKLIST_SOURCES,
        notice: q.ok().and_then(|q| match q.0.done.as_str() {
            "decision" => Some(
                "Decision recorded; IDENTIFICATION_MANUAL_FINISHED is on its way to the partner."
                    .into(),
            ),
            "replay" => Some("Webhooks queued for delivery again.".into()),
            "blocklist" => Some("Blocklist updated.".into()),
            _ => None,
        }),
        scan_ref: v.scan_ref,
    };
    Ok(html(page))
}

/// The other customers' verifications this one duplicates: the same face (selfie or document portrait), the
/// same document (number and date of birth) or the same image, each linked, with the other selfie as a thumbnail
/// when the operator may see it.
async fn duplicates(
    state: &ConsoleState,
    op: &Op,
    result: &serde_json::Value,
) -> Result<Vec<DuplicateLine>, Failure> {
    let fraud = &result["kycd"]["fraud"];
    let mut out: Vec<DuplicateLine> = Vec::new();
    for (kind, found) in [
        ("Same face", &result["data"]["duplicateFaces"]),
        (
            "Same document portrait",
            &result["data"]["duplicateDocFaces"],
        ),
        (
            "Same document number and date of birth",
            &fraud["duplicatePersonalData"],
        ),
        ("Same image file", &fraud["reusedImages"]),
    ] {
        for other in found
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str())
        {
            let thumb = match out.iter().find(|d| d.scan_ref == other) {
                Some(seen) => seen.thumb.clone(),
                None => match state.store.verification(other).await? {
                    Some(o) if op.sees(o.partner_id) && o.images.contains_key("FACE") => {
                        Some(format!("/console/v/{other}/file/FACE"))
                    }
                    _ => None,
                },
            };
            out.push(DuplicateLine {
                kind,
                scan_ref: other.to_string(),
                thumb,
            });
        }
    }
    Ok(out)
}

/// The blocklist entries this verification matched (from the fraud evidence: the verifications the entries were
/// made from), and the entries made from this verification.
async fn blocklist(
    state: &ConsoleState,
    v: &VerificationRow,
    result: &serde_json::Value,
) -> Result<(Vec<BlocklistLine>, Vec<BlocklistLine>), Failure> {
    let line = |matched, e: &kycd_store::BlocklistRow| BlocklistLine {
        matched,
        source: e.source.clone(),
        scan_ref: e.scan_ref.clone(),
        reason: e.reason.clone().unwrap_or_default(),
        added: when(e.created_at),
    };
    let fraud = &result["kycd"]["fraud"];
    let mut matches = Vec::new();
    for (matched, key, sources) in [
        ("Selfie", "faceBlacklisted", &["SELFIE", "DOCUMENT"][..]),
        (
            "Document portrait",
            "docFaceBlacklisted",
            &["SELFIE", "DOCUMENT"][..],
        ),
        ("Personal data", "dataBlacklisted", &["DOCUMENT_INFO"][..]),
    ] {
        let mut origins: Vec<&str> = fraud[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str())
            .collect();
        origins.dedup();
        for origin in origins {
            // An entry removed since the check is not shown: it no longer blocks anything.
            for source in sources {
                if let Some(e) = state
                    .store
                    .blocklist_entry(v.partner_id, source, origin)
                    .await?
                {
                    matches.push(line(matched, &e));
                }
            }
        }
    }
    let mut own = Vec::new();
    for source in BLOCKLIST_SOURCES {
        if let Some(e) = state
            .store
            .blocklist_entry(v.partner_id, source, &v.scan_ref)
            .await?
        {
            own.push(line("", &e));
        }
    }
    Ok((matches, own))
}

pub(crate) async fn api_verification(
    State(state): State<ConsoleState>,
    op: Op,
    Path(scan_ref): Path<String>,
) -> Result<Response, Failure> {
    let v = visible(&state, &op, &scan_ref).await?;
    audit(
        &state,
        &op,
        AuditAction::ViewVerification,
        Some(&v),
        Some("api".into()),
        None,
    )
    .await?;
    Ok(axum::Json(serde_json::json!({
        "scanRef": v.scan_ref,
        "clientId": v.client_id,
        "status": v.status,
        "createdAt": v.created_at,
        "finishedAt": v.finished_at,
        "result": v.result,
    }))
    .into_response())
}

/// One stored file, decrypted on the fly, to an operator who may see the verification.
pub(crate) async fn file(
    State(state): State<ConsoleState>,
    op: Op,
    Path((scan_ref, step)): Path<(String, String)>,
) -> Page {
    let v = visible(&state, &op, &scan_ref).await?;
    let image = v.images.get(&step).ok_or(Failure::NotFound)?;
    serve_blob(&state, &op, &v, &image.key, &image.mime, &step).await
}

/// The document portrait the face match used.
pub(crate) async fn portrait(
    State(state): State<ConsoleState>,
    op: Op,
    Path(scan_ref): Path<String>,
) -> Page {
    let v = visible(&state, &op, &scan_ref).await?;
    let key = kycd_blob::portrait_key(&v.scan_ref);
    serve_blob(&state, &op, &v, &key, "image/png", "PORTRAIT").await
}

/// The verification report (PDF), the same document as `POST /api/v2/generate-pdf`, as a download.
pub(crate) async fn report(
    State(state): State<ConsoleState>,
    op: Op,
    Path(scan_ref): Path<String>,
) -> Page {
    let v = visible(&state, &op, &scan_ref).await?;
    audit(
        &state,
        &op,
        AuditAction::ViewVerification,
        Some(&v),
        Some("report PDF".into()),
        None,
    )
    .await?;
    let name = format!("attachment; filename=\"kycd-report-{}.pdf\"", v.scan_ref);
    let input = kycd_report::load(&state.store, &state.blobs, v, kycd_store::now_ms()).await?;
    let pdf = tokio::task::spawn_blocking(move || kycd_report::render(&input)).await??;
    Ok(private_file("application/pdf", name, pdf))
}

/// A file for the operator's browser only: never cached.
fn private_file(mime: &str, disposition: String, body: impl IntoResponse) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

async fn serve_blob(
    state: &ConsoleState,
    op: &Op,
    v: &VerificationRow,
    key: &str,
    mime: &str,
    what: &str,
) -> Page {
    let bytes = state.blobs.get(key).await.map_err(|e| {
        tracing::warn!(error = %e, "console: stored file unreadable");
        Failure::NotFound
    })?;
    let detail = Some(format!("file {what}"));
    audit(
        state,
        op,
        AuditAction::ViewVerification,
        Some(v),
        detail,
        None,
    )
    .await?;
    Ok(private_file(mime, "inline".into(), bytes))
}
