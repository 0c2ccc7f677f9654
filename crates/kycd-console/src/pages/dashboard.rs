//! The dashboard: outcomes per day, automatic pass rate, review backlog, processing time, webhook health.

use super::*;

pub(crate) async fn dashboard(State(state): State<ConsoleState>, op: Op) -> Page {
    const DAYS: i64 = 14;
    const DAY: i64 = 86_400_000;
    let now = now_ms();
    let to = (now / DAY + 1) * DAY;
    let from = to - DAYS * DAY;
    let s = state.store.dashboard(op.scope(), from, to).await?;
    let attempts_failed = if s.webhook_attempts == 0 {
        "no deliveries".to_string()
    } else {
        format!(
            "{:.1} % of {} attempts failed",
            100.0 * s.webhook_failed_attempts as f64 / s.webhook_attempts as f64,
            s.webhook_attempts
        )
    };
    let page = DashboardPage {
        nav: nav(&state, &op, "dashboard").await?,
        window_days: DAYS,
        chart: charts::daily_outcomes(&s.days),
        legend: charts::STACK
            .iter()
            .map(|s| (*s, format!("c-{}", s.to_lowercase())))
            .collect(),
        finished: s.finished,
        pass_rate: if s.finished == 0 {
            "–".into()
        } else {
            format!(
                "{:.1} %",
                100.0 * s.auto_approved as f64 / s.finished as f64
            )
        },
        backlog: s.backlog,
        oldest_waiting: s
            .oldest_waiting_ms
            .map_or("–".into(), |t| duration(now - t)),
        p50: s.processing_p50_ms.map_or("–".into(), duration),
        p95: s.processing_p95_ms.map_or("–".into(), duration),
        webhook_bar: charts::proportions(&s.webhooks),
        webhooks: s.webhooks,
        webhook_failure_rate: attempts_failed,
    };
    Ok(html(page))
}
