//! What a reviewer or admin changes: a manual decision, a webhook replay, blocklist entries, an erasure.

use super::*;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DecisionForm {
    csrf: String,
    face: String,
    document: String,
    note: String,
}

pub(crate) async fn decide(
    State(state): State<ConsoleState>,
    op: Op,
    Path(scan_ref): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Page {
    let v = acting_on(&state, &op, &scan_ref, &f.csrf, OperatorRole::Reviewer).await?;
    let note = f.note.trim();
    if note.is_empty() {
        return Err(Failure::BadRequest(
            "A decision needs a note: say why.".into(),
        ));
    }
    if note.chars().count() > 2000 {
        return Err(Failure::BadRequest(
            "The note is longer than 2000 characters.".into(),
        ));
    }
    let face = one_of(&f.face, FACE_STATUSES, "face status")?
        .ok_or_else(|| Failure::BadRequest("Choose a face status.".into()))?;
    let document = one_of(&f.document, DOC_STATUSES, "document status")?
        .ok_or_else(|| Failure::BadRequest("Choose a document status.".into()))?;
    if v.result.is_none() || v.deleted_at.is_some() {
        return Err(Failure::BadRequest(
            "This verification has no result to decide on.".into(),
        ));
    }
    let before = v.result.as_ref().map(|r| {
        format!(
            "{} (face {}, document {})",
            v.status,
            r["status"]["autoFace"].as_str().unwrap_or("-"),
            r["status"]["autoDocument"].as_str().unwrap_or("-")
        )
    });
    let decision = ManualDecision {
        face: face
            .parse::<FaceStatus>()
            .map_err(|_| Failure::BadRequest("face".into()))?,
        document: document
            .parse::<DocumentStatus>()
            .map_err(|_| Failure::BadRequest("document".into()))?,
    };
    let overall = decide_manually(&state.store, &v.scan_ref, &decision)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "console decision failed");
            Failure::Internal
        })?;
    audit(
        &state,
        &op,
        AuditAction::Decision,
        Some(&v),
        Some(format!(
            "before: {} → after: {} (face {face}, document {document})",
            before.unwrap_or_default(),
            overall.as_str()
        )),
        Some(note),
    )
    .await?;
    Ok(Redirect::to(&format!("/console/v/{}?done=decision", v.scan_ref)).into_response())
}

pub(crate) async fn replay(
    State(state): State<ConsoleState>,
    op: Op,
    Path(scan_ref): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Page {
    let v = acting_on(&state, &op, &scan_ref, &f.csrf, OperatorRole::Reviewer).await?;
    let n = state
        .store
        .replay_webhooks(&v.scan_ref, Some(v.partner_id))
        .await?;
    audit(
        &state,
        &op,
        AuditAction::WebhookReplay,
        Some(&v),
        Some(format!("{n} webhook(s)")),
        None,
    )
    .await?;
    Ok(Redirect::to(&format!("/console/v/{}?done=replay", v.scan_ref)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct BlocklistForm {
    csrf: String,
    source: String,
    action: String,
    reason: String,
}

pub(crate) async fn blocklist(
    State(state): State<ConsoleState>,
    op: Op,
    Path(scan_ref): Path<String>,
    Form(f): Form<BlocklistForm>,
) -> Page {
    let v = acting_on(&state, &op, &scan_ref, &f.csrf, OperatorRole::Reviewer).await?;
    let source = one_of(&f.source, &BLOCKLIST_SOURCES, "blocklist source")?
        .ok_or_else(|| Failure::BadRequest("Choose what to block.".into()))?;
    let reason = f.reason.trim();
    let action = match f.action.as_str() {
        "add" => {
            add_to_blocklist(
                &state.store,
                &state.keyring,
                v.partner_id,
                &v.scan_ref,
                &source,
                (!reason.is_empty()).then(|| reason.chars().take(500).collect()),
            )
            .await
            .map_err(|e| Failure::BadRequest(e.to_string()))?;
            AuditAction::BlocklistAdd
        }
        "remove" => {
            remove_from_blocklist(&state.store, v.partner_id, &v.scan_ref, &source)
                .await
                .map_err(|e| Failure::BadRequest(e.to_string()))?;
            AuditAction::BlocklistRemove
        }
        _ => return Err(Failure::BadRequest("Add or remove?".into())),
    };
    audit(
        &state,
        &op,
        action,
        Some(&v),
        Some(source),
        (!reason.is_empty()).then_some(reason),
    )
    .await?;
    Ok(Redirect::to(&format!("/console/v/{}?done=blocklist", v.scan_ref)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct EraseForm {
    csrf: String,
    confirm: String,
}

pub(crate) async fn erase(
    State(state): State<ConsoleState>,
    op: Op,
    Path(scan_ref): Path<String>,
    Form(f): Form<EraseForm>,
) -> Page {
    let v = acting_on(&state, &op, &scan_ref, &f.csrf, OperatorRole::Admin).await?;
    if f.confirm.trim() != v.scan_ref {
        return Err(Failure::BadRequest(
            "To erase, type the verification's scanRef into the confirmation field.".into(),
        ));
    }
    kycd_pipeline::retention::erase_verification(
        &state.store,
        &state.blobs,
        &v.scan_ref,
        v.partner_id,
    )
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "console erase failed");
        Failure::Internal
    })?;
    audit(&state, &op, AuditAction::Erase, Some(&v), None, None).await?;
    Ok(Redirect::to(&format!("/console/v/{}", v.scan_ref)).into_response())
}
