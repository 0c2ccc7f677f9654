//! What the review console reads: the verification queue (filters, keyset paging that stays fast at millions of
//! rows), the "to review" view, counts and the dashboard's figures.
//!
//! The queue filters on summary columns written with every result ([`Summary`]): statuses and tags only, no
//! personal data, so they need no sealing; the result itself stays sealed in `result_json`.

use crate::{Store, StoreError, flag_col};
use kycd_types::PartnerId;
use serde::Serialize;
use sqlx::Row;

/// The statuses and tags of a result, as the queue filters on them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    pub auto_document: Option<String>,
    pub auto_face: Option<String>,
    pub manual_document: Option<String>,
    pub manual_face: Option<String>,
    /// `,TAG,TAG,` or `None` without tags.
    pub tags: Option<String>,
    /// Waits for a person.
    pub review_pending: bool,
}

impl Summary {
    /// Reads the summary of a webhook body (`status` object) stored with overall status `status`.
    pub(crate) fn of(status: &str, result: &serde_json::Value) -> Self {
        let s = &result["status"];
        let text = |k: &str| s[k].as_str().map(str::to_string);
        let mut tags: Vec<&str> = Vec::new();
        for k in ["fraudTags", "mismatchTags"] {
            if let Some(a) = s[k].as_array() {
                tags.extend(a.iter().filter_map(|t| t.as_str()));
            }
        }
        let manual_document = text("manualDocument");
        let manual_face = text("manualFace");
        let decided = manual_document.is_some() || manual_face.is_some();
        Self {
            auto_document: text("autoDocument"),
            auto_face: text("autoFace"),
            review_pending: !decided && matches!(status, "REVIEWING" | "SUSPECTED"),
            manual_document,
            manual_face,
            tags: (!tags.is_empty()).then(|| format!(",{},", tags.join(","))),
        }
    }
}

/// Queue order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueOrder {
    /// Newest first.
    #[default]
    Newest,
    /// Oldest first (the review queue).
    Oldest,
}

/// A queue position: the last row of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCursor {
    /// Its creation time (ms).
    pub created_at: i64,
    /// Its scanRef.
    pub scan_ref: String,
}

/// The queue's filters.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// Of one partner (always set for an operator bound to a partner).
    pub partner: Option<PartnerId>,
    /// `overall` status (`APPROVED`, `DENIED`, `SUSPECTED`, `REVIEWING`, `EXPIRED`, `DELETED`).
    pub status: Option<String>,
    /// `autoDocument`.
    pub auto_document: Option<String>,
    /// `autoFace`.
    pub auto_face: Option<String>,
    /// A fraud or mismatch tag.
    pub tag: Option<String>,
    /// Created at or after (ms).
    pub from_ms: Option<i64>,
    /// Created before (ms).
    pub to_ms: Option<i64>,
    /// An exact scanRef or clientId.
    pub search: Option<String>,
    /// Only verifications waiting for a person.
    pub review_only: bool,
    /// Order.
    pub order: QueueOrder,
    /// Page after this row.
    pub after: Option<QueueCursor>,
    /// Page size.
    pub limit: i64,
}

/// One queue row (no personal data beyond the partner's own clientId).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueRow {
    /// Verification id.
    pub scan_ref: String,
    /// Partner.
    pub partner_id: i64,
    /// Partner's user id.
    pub client_id: String,
    /// Overall status.
    pub status: String,
    /// `autoDocument`.
    pub auto_document: Option<String>,
    /// `autoFace`.
    pub auto_face: Option<String>,
    /// `manualDocument`.
    pub manual_document: Option<String>,
    /// `manualFace`.
    pub manual_face: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Document type.
    pub document_type: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Waits for a person.
    pub review_pending: bool,
    /// Created (ms).
    pub created_at: i64,
    /// Finished (ms).
    pub finished_at: Option<i64>,
}

/// A value bound to a dynamically built statement.
enum Arg {
    Int(i64),
    Text(String),
}

/// Per-day outcome counts and timing for the dashboard.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DayCounts {
    /// Day start (ms, UTC).
    pub day_ms: i64,
    /// Status → count of verifications created that day.
    pub by_status: Vec<(String, i64)>,
}

/// The dashboard's figures over a window.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DashboardStats {
    /// Per day, oldest first.
    pub days: Vec<DayCounts>,
    /// Finished automatically in the window.
    pub finished: i64,
    /// Approved without a person.
    pub auto_approved: i64,
    /// Waiting for a person.
    pub backlog: i64,
    /// Creation time of the oldest waiting verification (ms).
    pub oldest_waiting_ms: Option<i64>,
    /// Processing time (finish − creation) of the window's finished verifications, ms: p50 and p95.
    pub processing_p50_ms: Option<i64>,
    /// p95.
    pub processing_p95_ms: Option<i64>,
    /// Webhook outbox rows by state in the window.
    pub webhooks: Vec<(String, i64)>,
    /// Webhook attempts in the window that failed (no 2xx).
    pub webhook_failed_attempts: i64,
    /// All webhook attempts in the window.
    pub webhook_attempts: i64,
}

impl Store {
    /// One page of the queue.
    pub async fn queue(&self, f: &QueueFilter) -> Result<Vec<QueueRow>, StoreError> {
        let mut wh: Vec<String> = Vec::new();
        let mut args: Vec<Arg> = Vec::new();
        fn push(wh: &mut Vec<String>, args: &mut Vec<Arg>, cond: &str, a: Arg) {
            args.push(a);
            wh.push(cond.replace('?', &format!("${}", args.len())));
        }
        if let Some(p) = f.partner {
            push(&mut wh, &mut args, "partner_id = ?", Arg::Int(p.0));
        }
        if f.review_only {
            push(&mut wh, &mut args, "review_pending = ?", Arg::Int(1));
        }
        if let Some(s) = &f.status {
            push(&mut wh, &mut args, "status = ?", Arg::Text(s.clone()));
        }
        if let Some(s) = &f.auto_document {
            push(
                &mut wh,
                &mut args,
                "auto_document = ?",
                Arg::Text(s.clone()),
            );
        }
        if let Some(s) = &f.auto_face {
            push(&mut wh, &mut args, "auto_face = ?", Arg::Text(s.clone()));
        }
        if let Some(t) = &f.tag {
            push(
                &mut wh,
                &mut args,
                "tags LIKE ?",
                Arg::Text(format!("%,{t},%")),
            );
        }
        if let Some(t) = f.from_ms {
            push(&mut wh, &mut args, "created_at >= ?", Arg::Int(t));
        }
        if let Some(t) = f.to_ms {
            push(&mut wh, &mut args, "created_at < ?", Arg::Int(t));
        }
        if let Some(s) = &f.search {
            args.push(Arg::Text(s.clone()));
            let n = args.len();
            wh.push(format!("(scan_ref = ${n} OR client_id = ${n})"));
        }
        let (cmp, dir) = match f.order {
            QueueOrder::Newest => ("<", "DESC"),
            QueueOrder::Oldest => (">", "ASC"),
        };
        if let Some(c) = &f.after {
            args.push(Arg::Int(c.created_at));
            let a = args.len();
            args.push(Arg::Text(c.scan_ref.clone()));
            let b = args.len();
            // A row-value comparison: both engines serve it as one index range.
            wh.push(format!("(created_at, scan_ref) {cmp} (${a}, ${b})"));
        }
        args.push(Arg::Int(f.limit.clamp(1, 500)));
        let sql = format!(
            "SELECT scan_ref, partner_id, client_id, status, auto_document, auto_face, manual_document, manual_face, \
             tags, document_type, country, review_pending, created_at, finished_at FROM verifications {} \
             ORDER BY created_at {dir}, scan_ref {dir} LIMIT ${}",
            if wh.is_empty() {
                String::new()
            } else {
                format!("WHERE {}", wh.join(" AND "))
            },
            args.len()
        );
        let mut q = sqlx::query(&sql);
        for a in args {
            q = match a {
                Arg::Int(i) => q.bind(i),
                Arg::Text(s) => q.bind(s),
            };
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(QueueRow {
                    scan_ref: r.try_get("scan_ref")?,
                    partner_id: r.try_get("partner_id")?,
                    client_id: r.try_get("client_id")?,
                    status: r.try_get("status")?,
                    auto_document: r.try_get("auto_document")?,
                    auto_face: r.try_get("auto_face")?,
                    manual_document: r.try_get("manual_document")?,
                    manual_face: r.try_get("manual_face")?,
                    tags: r
                        .try_get::<Option<String>, _>("tags")?
                        .map(|t| {
                            t.split(',')
                                .filter(|s| !s.is_empty())
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default(),
                    document_type: r.try_get("document_type")?,
                    country: r.try_get("country")?,
                    review_pending: flag_col(r, "review_pending")?,
                    created_at: r.try_get("created_at")?,
                    finished_at: r.try_get("finished_at")?,
                })
            })
            .collect()
    }

    /// Number of verifications per overall status (of one partner when given).
    pub async fn status_counts(
        &self,
        partner: Option<PartnerId>,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = scoped(
            "SELECT status, COUNT(*) AS n FROM verifications WHERE 1 = 1 {scope} GROUP BY status ORDER BY status",
            "partner_id",
            1,
            partner,
        );
        let rows = with_scope(sqlx::query(&sql), partner)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
            .collect()
    }

    /// Number of verifications waiting for a person, and the creation time of the oldest.
    pub async fn review_backlog(
        &self,
        partner: Option<PartnerId>,
    ) -> Result<(i64, Option<i64>), StoreError> {
        let sql = scoped(
            "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM verifications WHERE review_pending = 1 {scope}",
            "partner_id",
            1,
            partner,
        );
        let r = with_scope(sqlx::query(&sql), partner)
            .fetch_one(&self.pool)
            .await?;
        Ok((r.try_get("n")?, r.try_get("oldest")?))
    }

    /// The dashboard's figures for verifications created in `[from_ms, to_ms)`.
    pub async fn dashboard(
        &self,
        partner: Option<PartnerId>,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<DashboardStats, StoreError> {
        const DAY: i64 = 86_400_000;
        // Every statement binds the window as $1, $2 and the partner (when scoped) as $3.
        let window = |sql: &str, column: &str| scoped(sql, column, 3, partner);
        let sql = window(
            "SELECT (created_at / 86400000) AS day, status, COUNT(*) AS n FROM verifications \
             WHERE created_at >= $1 AND created_at < $2 {scope} GROUP BY (created_at / 86400000), status",
            "partner_id",
        );
        let rows = windowed(&sql, from_ms, to_ms, partner)
            .fetch_all(&self.pool)
            .await?;
        let mut stats = DashboardStats::default();
        let first = from_ms / DAY;
        let last = (to_ms - 1) / DAY;
        stats.days = (first..=last)
            .map(|d| DayCounts {
                day_ms: d * DAY,
                by_status: Vec::new(),
            })
            .collect();
        for r in &rows {
            let day: i64 = r.try_get("day")?;
            let status: String = r.try_get("status")?;
            let n: i64 = r.try_get("n")?;
            if let Some(d) = stats.days.get_mut((day - first) as usize) {
                d.by_status.push((status, n));
            }
        }
        let sql = window(
            "SELECT COUNT(*) AS finished, \
             COALESCE(SUM(CASE WHEN status = 'APPROVED' AND manual_document IS NULL THEN 1 ELSE 0 END), 0) \
             AS auto_approved FROM verifications WHERE created_at >= $1 AND created_at < $2 {scope} \
             AND finished_at IS NOT NULL",
            "partner_id",
        );
        let r = windowed(&sql, from_ms, to_ms, partner)
            .fetch_one(&self.pool)
            .await?;
        stats.finished = r.try_get("finished")?;
        stats.auto_approved = r.try_get("auto_approved")?;
        (stats.backlog, stats.oldest_waiting_ms) = self.review_backlog(partner).await?;
        // Processing-time percentiles from a histogram the database builds over the covering dashboard index: to
        // the 100 ms under 10 s, to the second under 10 minutes, to the minute above (a 14-day window is tens of
        // thousands of rows at a million a year; only the few hundred buckets leave the database).
        let sql = window(
            "SELECT CASE WHEN finished_at - created_at < 10000 THEN (finished_at - created_at) / 100 * 100 \
             WHEN finished_at - created_at < 600000 THEN (finished_at - created_at) / 1000 * 1000 \
             ELSE (finished_at - created_at) / 60000 * 60000 END AS d, COUNT(*) AS n FROM verifications \
             WHERE created_at >= $1 AND created_at < $2 {scope} AND finished_at IS NOT NULL GROUP BY 1",
            "partner_id",
        );
        let mut buckets: Vec<(i64, i64)> = windowed(&sql, from_ms, to_ms, partner)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("d")?, r.try_get("n")?)))
            .collect::<Result<_, sqlx::Error>>()?;
        buckets.sort_unstable();
        stats.processing_p50_ms = percentile(&buckets, 0.50);
        stats.processing_p95_ms = percentile(&buckets, 0.95);
        let sql = window(
            "SELECT state, COUNT(*) AS n FROM webhook_outbox WHERE created_at >= $1 AND created_at < $2 {scope} \
             GROUP BY state ORDER BY state",
            "partner_id",
        );
        stats.webhooks = windowed(&sql, from_ms, to_ms, partner)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("state")?, r.try_get("n")?)))
            .collect::<Result<_, sqlx::Error>>()?;
        let sql = window(
            "SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN a.status_code IS NULL OR a.status_code < 200 \
             OR a.status_code > 299 THEN 1 ELSE 0 END), 0) AS failed FROM webhook_attempts a \
             JOIN webhook_outbox o ON o.id = a.outbox_id WHERE a.attempted_at >= $1 AND a.attempted_at < $2 {scope}",
            "o.partner_id",
        );
        let r = windowed(&sql, from_ms, to_ms, partner)
            .fetch_one(&self.pool)
            .await?;
        stats.webhook_attempts = r.try_get("n")?;
        stats.webhook_failed_attempts = r.try_get("failed")?;
        Ok(stats)
    }
}

/// The `q` quantile (nearest rank) of the values counted in `buckets` (value, count), sorted by value.
fn percentile(buckets: &[(i64, i64)], q: f64) -> Option<i64> {
    let total: i64 = buckets.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    let rank = (((total - 1) as f64) * q).round() as i64;
    let mut seen = 0;
    buckets.iter().find_map(|&(value, n)| {
        seen += n;
        (seen > rank).then_some(value)
    })
}

/// `sql` with `{scope}` replaced by `AND <column> = $<n>` for one partner, or by nothing for all partners (a
/// literal condition, so each engine plans the partner's index rather than an `IS NULL OR` it cannot resolve).
fn scoped(sql: &str, column: &str, n: usize, partner: Option<PartnerId>) -> String {
    let cond = match partner {
        Some(_) => format!("AND {column} = ${n}"),
        None => String::new(),
    };
    sql.replace("{scope}", &cond)
}

/// A dashboard statement with its window bound as `$1`, `$2` and the partner, when scoped, as `$3`.
fn windowed(
    sql: &str,
    from_ms: i64,
    to_ms: i64,
    partner: Option<PartnerId>,
) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
    with_scope(sqlx::query(sql).bind(from_ms).bind(to_ms), partner)
}

/// Binds the partner of a [`scoped`] statement (its last parameter).
fn with_scope<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    partner: Option<PartnerId>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    match partner {
        Some(p) => q.bind(p.0),
        None => q,
    }
}

#[cfg(test)]
mod tests {
    use super::Summary;
    use serde_json::json;

    #[test]
    fn percentiles_of_a_histogram_are_nearest_ranks() {
        use super::percentile;
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[(0, 0)], 0.5), None);
        assert_eq!(percentile(&[(1600, 1)], 0.95), Some(1600));
        // 1, 2, 2, 3, 3, 3, 4, 4, 4, 4 (×100 ms): the same as sorting the ten values.
        let b = [(100, 1), (200, 2), (300, 3), (400, 4)];
        let sorted = [100, 200, 200, 300, 300, 300, 400, 400, 400, 400];
        for q in [0.0, 0.1, 0.25, 0.5, 0.75, 0.95, 1.0] {
            let expected = sorted[((sorted.len() - 1) as f64 * q).round() as usize];
            assert_eq!(percentile(&b, q), Some(expected), "q = {q}");
        }
    }

    #[test]
    fn summary_reads_statuses_and_tags() {
        let r = json!({"status": {"overall": "SUSPECTED", "autoDocument": "DOC_VALIDATED",
            "autoFace": "FACE_MATCH", "manualDocument": null, "manualFace": null,
            "fraudTags": ["FACE_IN_BLACKLIST"], "mismatchTags": ["NAME"]}});
        let s = Summary::of("SUSPECTED", &r);
        assert_eq!(s.auto_document.as_deref(), Some("DOC_VALIDATED"));
        assert_eq!(s.tags.as_deref(), Some(",FACE_IN_BLACKLIST,NAME,"));
        assert!(s.review_pending);
        let mut decided = r.clone();
        decided["status"]["manualDocument"] = json!("DOC_VALIDATED");
        assert!(!Summary::of("SUSPECTED", &decided).review_pending);
        assert!(!Summary::of("APPROVED", &json!({"status": {}})).review_pending);
        assert_eq!(Summary::of("APPROVED", &json!({})).tags, None);
    }
}
