//! The audit log page and its CSV export (admins).

use super::*;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct AuditQuery {
    before: Option<i64>,
}

pub(crate) async fn audit_log(
    state: &ConsoleState,
    op: &Op,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<kycd_store::AuditRow>, Failure> {
    Ok(state
        .store
        .audit_entries(None, op.scope(), before, limit)
        .await?)
}

pub(crate) async fn audit_page(
    State(state): State<ConsoleState>,
    op: Op,
    q: Result<Query<AuditQuery>, QueryRejection>,
) -> Page {
    require(&op, OperatorRole::Admin)?;
    let before = q.ok().and_then(|q| q.0.before);
    let rows = audit_log(&state, &op, before, 100).await?;
    let next_link = (rows.len() == 100)
        .then(|| {
            rows.last()
                .map(|r| format!("/console/audit?before={}", r.id))
        })
        .flatten();
    Ok(html(AuditPage {
        nav: nav(&state, &op, "audit").await?,
        rows: rows.iter().map(AuditLine::of).collect(),
        next_link,
    }))
}

fn csv_field(s: &str) -> String {
    // Quote every field; neutralise spreadsheet formulas.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub(crate) async fn audit_csv(State(state): State<ConsoleState>, op: Op) -> Page {
    require(&op, OperatorRole::Admin)?;
    audit(&state, &op, AuditAction::AuditExport, None, None, None).await?;
    let mut out = String::from("id,at,operator,action,partner_id,scan_ref,detail,note,source_ip\n");
    let mut before = None;
    loop {
        let rows = audit_log(&state, &op, before, 1000).await?;
        for r in &rows {
            let line = [
                r.id.to_string(),
                when(r.created_at),
                r.operator_email.clone(),
                r.action.clone(),
                r.partner_id.map(|p| p.to_string()).unwrap_or_default(),
                r.scan_ref.clone().unwrap_or_default(),
                r.detail.clone().unwrap_or_default(),
                r.note.clone().unwrap_or_default(),
                r.source_ip.clone().unwrap_or_default(),
            ]
            .iter()
            .map(|f| csv_field(f))
            .collect::<Vec<_>>()
            .join(",");
            out.push_str(&line);
            out.push('\n');
        }
        match rows.last() {
            Some(r) if rows.len() == 1000 => before = Some(r.id),
            _ => break,
        }
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"kycd-audit.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}
