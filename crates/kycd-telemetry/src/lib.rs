//! Process-wide Prometheus metrics: counters and latency histograms in atomics, rendered in the text exposition
//! format by `/metrics` (gauges read from the database are added by the caller at scrape time).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

/// Histogram bucket upper bounds in seconds.
pub const BUCKETS: [f64; 14] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

type Key = (&'static str, String);

static HISTOGRAMS: LazyLock<Mutex<BTreeMap<Key, Arc<Histogram>>>> = LazyLock::new(Default::default);
static COUNTERS: LazyLock<Mutex<BTreeMap<Key, Arc<AtomicU64>>>> = LazyLock::new(Default::default);
static HELP: LazyLock<Mutex<BTreeMap<&'static str, (&'static str, &'static str)>>> =
    LazyLock::new(Default::default);

fn help(name: &'static str, kind: &'static str, text: &'static str) {
    if let Ok(mut h) = HELP.lock() {
        h.entry(name).or_insert((kind, text));
    }
}

/// Records one observation (seconds) of histogram `name` with a label set such as `route="/api/v2/token"`.
pub fn observe(name: &'static str, text: &'static str, labels: String, secs: f64) {
    help(name, "histogram", text);
    let h = {
        let Ok(mut m) = HISTOGRAMS.lock() else { return };
        m.entry((name, labels)).or_default().clone()
    };
    for (i, b) in BUCKETS.iter().enumerate() {
        if secs <= *b {
            h.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
    }
    h.count.fetch_add(1, Ordering::Relaxed);
    h.sum_micros
        .fetch_add((secs.max(0.0) * 1e6) as u64, Ordering::Relaxed);
}

/// Adds to counter `name`.
pub fn inc(name: &'static str, text: &'static str, labels: String, by: u64) {
    help(name, "counter", text);
    let c = {
        let Ok(mut m) = COUNTERS.lock() else { return };
        m.entry((name, labels)).or_default().clone()
    };
    c.fetch_add(by, Ordering::Relaxed);
}

/// Escapes a label value.
pub fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Renders every metric plus the given gauges `(name, help, labels, value)`.
pub fn render(gauges: &[(&str, &str, String, f64)]) -> String {
    let mut out = String::new();
    let help = HELP.lock().map(|h| h.clone()).unwrap_or_default();
    let mut last = "";
    if let Ok(m) = COUNTERS.lock() {
        for ((name, labels), c) in m.iter() {
            if *name != last {
                let (kind, text) = help.get(name).copied().unwrap_or(("counter", ""));
                let _ = writeln!(out, "# HELP {name} {text}\n# TYPE {name} {kind}");
                last = name;
            }
            let _ = writeln!(out, "{name}{{{labels}}} {}", c.load(Ordering::Relaxed));
        }
    }
    if let Ok(m) = HISTOGRAMS.lock() {
        for ((name, labels), h) in m.iter() {
            if *name != last {
                let (kind, text) = help.get(name).copied().unwrap_or(("histogram", ""));
                let _ = writeln!(out, "# HELP {name} {text}\n# TYPE {name} {kind}");
                last = name;
            }
            let sep = if labels.is_empty() { "" } else { "," };
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {}",
                    h.buckets[i].load(Ordering::Relaxed)
                );
            }
            let count = h.count.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
            let _ = writeln!(
                out,
                "{name}_sum{{{labels}}} {}",
                h.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
            );
            let _ = writeln!(out, "{name}_count{{{labels}}} {count}");
        }
    }
    let mut last = String::new();
    for (name, text, labels, v) in gauges {
        if *name != last {
            let _ = writeln!(out, "# HELP {name} {text}\n# TYPE {name} gauge");
            last = name.to_string();
        }
        let _ = writeln!(out, "{name}{{{labels}}} {v}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_gauges() {
        inc("kycd_test_total", "A test counter.", "kind=\"a\"".into(), 2);
        observe(
            "kycd_test_seconds",
            "A test histogram.",
            "route=\"/x\"".into(),
            0.02,
        );
        observe(
            "kycd_test_seconds",
            "A test histogram.",
            "route=\"/x\"".into(),
            3.0,
        );
        let text = render(&[("kycd_test_gauge", "A gauge.", "state=\"q\"".into(), 5.0)]);
        assert!(text.contains("# TYPE kycd_test_total counter"));
        assert!(text.contains("kycd_test_total{kind=\"a\"} 2"));
        assert!(text.contains("kycd_test_seconds_bucket{route=\"/x\",le=\"0.025\"} 1"));
        assert!(text.contains("kycd_test_seconds_bucket{route=\"/x\",le=\"5\"} 2"));
        assert!(text.contains("kycd_test_seconds_count{route=\"/x\"} 2"));
        assert!(text.contains("kycd_test_gauge{state=\"q\"} 5"));
        assert_eq!(label("a\"b"), "a\\\"b");
    }
}
