//! The verification queue and the review queue (filters, keyset paging), and the queue as JSON.

use super::*;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct QueueQuery {
    status: String,
    auto_document: String,
    auto_face: String,
    tag: String,
    from: String,
    to: String,
    q: String,
    partner: String,
    order: String,
    after: String,
    review: String,
}

/// The page size of the queue.
const PAGE: i64 = 50;

fn day_ms(s: &str) -> Result<Option<i64>, Failure> {
    if s.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc().timestamp_millis()))
        .ok_or_else(|| Failure::BadRequest(format!("Not a date (YYYY-MM-DD): {s}")))
}

fn filter_of(op: &Op, q: &QueueQuery, review: bool) -> Result<QueueFilter, Failure> {
    let tag = q.tag.trim().to_uppercase();
    if !tag.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
        return Err(Failure::BadRequest(
            "A tag is letters and underscores.".into(),
        ));
    }
    let partner = match (op.scope(), q.partner.trim()) {
        (Some(p), _) => Some(p),
        (None, "") => None,
        (None, p) => {
            Some(kycd_types::PartnerId(p.parse().map_err(|_| {
                Failure::BadRequest("Unknown partner.".into())
            })?))
        }
    };
    let after = if q.after.is_empty() {
        None
    } else {
        let (t, s) = q
            .after
            .split_once(':')
            .ok_or_else(|| Failure::BadRequest("Bad page cursor.".into()))?;
        Some(QueueCursor {
            created_at: t
                .parse()
                .map_err(|_| Failure::BadRequest("Bad page cursor.".into()))?,
            scan_ref: s.to_string(),
        })
    };
    let search = q.q.trim();
    Ok(QueueFilter {
        partner,
        status: one_of(&q.status, STATUSES, "status")?,
        auto_document: one_of(&q.auto_document, DOC_STATUSES, "document status")?,
        auto_face: one_of(&q.auto_face, FACE_STATUSES, "face status")?,
        tag: (!tag.is_empty()).then_some(tag),
        from_ms: day_ms(&q.from)?,
        to_ms: day_ms(&q.to)?.map(|t| t + 86_400_000),
        search: (!search.is_empty()).then(|| search.chars().take(200).collect()),
        review_only: review,
        order: if review || q.order == "oldest" {
            QueueOrder::Oldest
        } else {
            QueueOrder::Newest
        },
        after,
        limit: PAGE,
    })
}

fn next_link(
    base: &str,
    q: &QueueQuery,
    last: Option<&kycd_store::QueueRow>,
    full: bool,
) -> Option<String> {
    let last = last.filter(|_| full)?;
    let mut pairs: Vec<(&str, &str)> = [
        ("status", q.status.as_str()),
        ("auto_document", q.auto_document.as_str()),
        ("auto_face", q.auto_face.as_str()),
        ("tag", q.tag.as_str()),
        ("from", q.from.as_str()),
        ("to", q.to.as_str()),
        ("q", q.q.as_str()),
        ("partner", q.partner.as_str()),
        ("order", q.order.as_str()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect();
    let cursor = format!("{}:{}", last.created_at, last.scan_ref);
    pairs.push(("after", &cursor));
    let qs: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::guard::urlencode(v)))
        .collect();
    Some(format!("{base}?{}", qs.join("&")))
}

async fn queue_page(state: ConsoleState, op: Op, q: QueueQuery, review: bool) -> Page {
    let filter = filter_of(&op, &q, review)?;
    let rows = state.store.queue(&filter).await?;
    let names = partner_names(&state).await?;
    let counts = state.status_counts(op.scope()).await?;
    let now = now_ms();
    let base = if review {
        "/console/review"
    } else {
        "/console/queue"
    };
    let page = QueuePage {
        nav: nav(&state, &op, if review { "review" } else { "queue" }).await?,
        title: if review { "To review" } else { "Verifications" },
        review_mode: review,
        next_link: next_link(base, &q, rows.last(), rows.len() as i64 == PAGE),
        rows: rows
            .iter()
            .map(|r| {
                QueueLine::of(
                    r,
                    names.get(&r.partner_id).cloned().unwrap_or_default(),
                    now,
                )
            })
            .collect(),
        total: counts.iter().map(|(_, n)| n).sum(),
        counts,
        filters: FilterForm {
            status: q.status,
            auto_document: q.auto_document,
            auto_face: q.auto_face,
            tag: q.tag,
            from: q.from,
            to: q.to,
            q: q.q,
            partner: q.partner,
            order: q.order,
        },
        partners: if op.scope().is_none() {
            let mut p: Vec<(String, String)> = names
                .into_iter()
                .map(|(id, n)| (id.to_string(), n))
                .collect();
            p.sort_by(|a, b| a.1.cmp(&b.1));
            p
        } else {
            Vec::new()
        },
        statuses: STATUSES,
        doc_statuses: DOC_STATUSES,
        face_statuses: FACE_STATUSES,
    };
    Ok(html(page))
}

/// The queue's filter, or a clear 400 for a malformed one.
fn filter(q: Result<Query<QueueQuery>, QueryRejection>) -> Result<QueueQuery, Failure> {
    q.map(|q| q.0)
        .map_err(|e| Failure::BadRequest(format!("Bad filter: {}", e.body_text())))
}

pub(crate) async fn queue(
    State(state): State<ConsoleState>,
    op: Op,
    q: Result<Query<QueueQuery>, QueryRejection>,
) -> Page {
    queue_page(state, op, filter(q)?, false).await
}

pub(crate) async fn review_queue(
    State(state): State<ConsoleState>,
    op: Op,
    q: Result<Query<QueueQuery>, QueryRejection>,
) -> Page {
    queue_page(state, op, filter(q)?, true).await
}

/// The oldest verification waiting for a person (keyboard shortcut `n`).
pub(crate) async fn review_next(State(state): State<ConsoleState>, op: Op) -> Page {
    let mut f = filter_of(&op, &QueueQuery::default(), true)?;
    f.limit = 1;
    let rows = state.store.queue(&f).await?;
    Ok(match rows.first() {
        Some(r) => Redirect::to(&format!("/console/v/{}", r.scan_ref)).into_response(),
        None => Redirect::to("/console/review").into_response(),
    })
}

pub(crate) async fn api_queue(
    State(state): State<ConsoleState>,
    op: Op,
    q: Result<Query<QueueQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    let q = q
        .map(|q| q.0)
        .map_err(|e| Failure::BadRequest(format!("Bad filter: {}", e.body_text())))?;
    let review = q.review == "1" || q.review == "true";
    let filter = filter_of(&op, &q, review)?;
    let rows = state.store.queue(&filter).await?;
    Ok(axum::Json(serde_json::json!({ "rows": rows })).into_response())
}
