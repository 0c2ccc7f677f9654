//! Server-rendered SVG charts for the dashboard (no script, no external library). Labels are status names and
//! numbers; they are escaped all the same.

use kycd_store::DayCounts;
use std::fmt::Write;

/// Status → CSS class of its colour (the stylesheet defines them).
fn class_of(status: &str) -> &'static str {
    match status {
        "APPROVED" => "c-approved",
        "DENIED" => "c-denied",
        "SUSPECTED" => "c-suspected",
        "REVIEWING" => "c-reviewing",
        "EXPIRED" => "c-expired",
        _ => "c-other",
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The order statuses stack in.
pub(crate) const STACK: [&str; 6] = [
    "APPROVED",
    "REVIEWING",
    "SUSPECTED",
    "DENIED",
    "EXPIRED",
    "DELETED",
];

/// A stacked bar per day: verifications created that day by overall status.
pub(crate) fn daily_outcomes(days: &[DayCounts]) -> String {
    let (w, h, left, bottom, top) = (720.0_f64, 220.0_f64, 40.0, 24.0, 10.0);
    let busiest = days
        .iter()
        .map(|d| d.by_status.iter().map(|(_, n)| *n).sum::<i64>())
        .max()
        .unwrap_or(0);
    // Four gridlines at whole numbers: the scale's top is the busiest day rounded up to a multiple of 4.
    let max = (((busiest.max(1) + 3) / 4) * 4) as f64;
    let plot_h = h - bottom - top;
    let slot = (w - left) / days.len().max(1) as f64;
    let bar = (slot * 0.7).max(1.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="Verifications per day by outcome">"#
    );
    for i in 0..=4 {
        let y = top + plot_h * (1.0 - i as f64 / 4.0);
        let v = (max * i as f64 / 4.0).round();
        let _ = write!(
            s,
            r#"<line class="grid" x1="{left}" x2="{w}" y1="{y:.1}" y2="{y:.1}"/><text class="axis" x="{x:.1}" y="{ty:.1}" text-anchor="end">{v}</text>"#,
            x = left - 6.0,
            ty = y + 4.0
        );
    }
    for (i, d) in days.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let mut y = top + plot_h;
        let mut ordered: Vec<&(String, i64)> = d.by_status.iter().collect();
        ordered.sort_by_key(|(st, _)| STACK.iter().position(|x| x == st).unwrap_or(STACK.len()));
        for (status, n) in ordered {
            let bh = plot_h * (*n as f64) / max;
            y -= bh;
            let _ = write!(
                s,
                r#"<rect class="{}" x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{bh:.1}"><title>{}: {n}</title></rect>"#,
                class_of(status),
                esc(status)
            );
        }
        if days.len() <= 16 || i % (days.len() / 8).max(1) == 0 {
            let label = chrono::DateTime::from_timestamp_millis(d.day_ms)
                .map(|t| t.format("%d %b").to_string())
                .unwrap_or_default();
            let _ = write!(
                s,
                r#"<text class="axis" x="{cx:.1}" y="{ly:.1}" text-anchor="middle">{}</text>"#,
                esc(&label),
                cx = x + bar / 2.0,
                ly = h - 6.0
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// A horizontal proportion bar (e.g. webhook deliveries by state).
pub(crate) fn proportions(parts: &[(String, i64)]) -> String {
    let total: i64 = parts.iter().map(|(_, n)| *n).sum();
    let mut s = String::from(
        r#"<svg class="bar" viewBox="0 0 400 18" preserveAspectRatio="none" role="img" aria-label="Proportions">"#,
    );
    if total > 0 {
        let mut x = 0.0;
        for (name, n) in parts {
            let w = 400.0 * (*n as f64) / total as f64;
            let class = match name.as_str() {
                "delivered" => "c-approved",
                "failed" | "dead" => "c-denied",
                "pending" => "c-reviewing",
                _ => "c-other",
            };
            let _ = write!(
                s,
                r#"<rect class="{class}" x="{x:.2}" y="0" width="{w:.2}" height="18"><title>{}: {n}</title></rect>"#,
                esc(name)
            );
            x += w;
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_busiest_day() {
        let days = vec![
            DayCounts {
                day_ms: 0,
                by_status: vec![("APPROVED".into(), 10), ("DENIED".into(), 10)],
            },
            DayCounts {
                day_ms: 86_400_000,
                by_status: vec![("APPROVED".into(), 5)],
            },
        ];
        let svg = daily_outcomes(&days);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("APPROVED: 10") && svg.contains("DENIED: 10"));
        // The scale's top is 20 (a multiple of 4), so the busiest day fills the plot height (220 - 24 - 10 = 186):
        // two bars of 93; the gridlines are labelled 0, 5, 10, 15, 20.
        assert!(svg.contains(r#"height="93.0""#), "{svg}");
        assert!(
            svg.contains(">15</text>") && svg.contains(">20</text>"),
            "{svg}"
        );
    }

    #[test]
    fn labels_are_escaped() {
        let svg = proportions(&[("<b>".into(), 1)]);
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert!(!proportions(&[]).contains("<rect"));
    }
}
