//! Batch screening of yente-style benchmark CSVs and the timing statistics printed by
//! `kycd screen --batch`.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use crate::country::to_alpha2;
use crate::error::AmlError;
use crate::index::Index;
use crate::model::EntityKind;
use crate::screen::{Query, ScreenConfig, ScreenResult};

/// Timing and alert statistics of a batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BatchStats {
    /// Queries screened.
    pub queries: usize,
    /// Queries with at least one reported hit.
    pub alerts: usize,
    /// Queries with a hit at or above the threshold.
    pub alerts_above_threshold: usize,
    /// Alerts per 1,000 queries.
    pub alerts_per_1000: f64,
    /// Median µs per screen.
    pub p50_us: f64,
    /// 90th percentile µs.
    pub p90_us: f64,
    /// 99th percentile µs.
    pub p99_us: f64,
    /// Maximum µs.
    pub max_us: f64,
    /// Mean µs.
    pub mean_us: f64,
    /// Queries per second (screening time only, one thread).
    pub qps: f64,
    /// Names in the index.
    pub index_names: usize,
    /// Entities in the index.
    pub index_entities: usize,
    /// Index build time, ms.
    pub build_ms: f64,
    /// Peak resident set size of the process, kB (Linux).
    pub peak_rss_kb: Option<u64>,
}

/// Peak RSS (VmHWM) of this process in kB, on Linux.
pub fn peak_rss_kb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

pub(crate) fn stats_from(
    times_us: &mut [f64],
    alerts: usize,
    above: usize,
    ix: &Index,
    build_ms: f64,
) -> BatchStats {
    times_us.sort_by(|a, b| a.total_cmp(b));
    let total: f64 = times_us.iter().sum();
    let n = times_us.len();
    BatchStats {
        queries: n,
        alerts,
        alerts_above_threshold: above,
        alerts_per_1000: if n == 0 {
            0.0
        } else {
            alerts as f64 * 1000.0 / n as f64
        },
        p50_us: percentile(times_us, 0.50),
        p90_us: percentile(times_us, 0.90),
        p99_us: percentile(times_us, 0.99),
        max_us: times_us.last().copied().unwrap_or(0.0),
        mean_us: if n == 0 { 0.0 } else { total / n as f64 },
        qps: if total > 0.0 {
            n as f64 / (total / 1e6)
        } else {
            0.0
        },
        index_names: ix.name_count(),
        index_entities: ix.entities().len(),
        build_ms,
        peak_rss_kb: peak_rss_kb(),
    }
}

pub(crate) fn print_stats(out: &mut dyn Write, s: &BatchStats, json: bool) -> Result<(), AmlError> {
    if json {
        serde_json::to_writer(&mut *out, &serde_json::json!({ "stats": s }))?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "index: {} entities, {} names, built in {:.0} ms; peak RSS {} kB",
            s.index_entities,
            s.index_names,
            s.build_ms,
            s.peak_rss_kb
                .map(|k| k.to_string())
                .unwrap_or_else(|| "?".into())
        )?;
        writeln!(
            out,
            "{} queries, {} with hits ({:.2} per 1,000; {} at/above threshold); per query p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs, max {:.1} µs, mean {:.1} µs; {:.0} queries/s",
            s.queries,
            s.alerts,
            s.alerts_per_1000,
            s.alerts_above_threshold,
            s.p50_us,
            s.p90_us,
            s.p99_us,
            s.max_us,
            s.mean_us,
            s.qps
        )?;
    }
    Ok(())
}

/// One row of a benchmark CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    /// Name to screen.
    pub name: String,
    /// DOB column.
    pub dob: Option<String>,
    /// Nationality column mapped to alpha-2 (country names and codes accepted).
    pub nationality: Option<String>,
    /// Gender column.
    pub gender: Option<String>,
}

/// Read a yente-style benchmark CSV.
pub fn read_batch(path: &Path) -> Result<Vec<BatchRow>, AmlError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| AmlError::parse(path.display().to_string(), e))?;
    let headers = rdr
        .headers()
        .map_err(|e| AmlError::parse(path.display().to_string(), e))?
        .clone();
    let col = |n: &str| headers.iter().position(|h| h.trim() == n);
    let (full, first, middle, last) = (
        col("full_name"),
        col("first_name"),
        col("middle_name"),
        col("last_name"),
    );
    let (dob, nat, gender) = (col("date_of_birth"), col("nationality"), col("gender"));
    if full.is_none() && last.is_none() {
        return Err(AmlError::parse(
            path.display().to_string(),
            "no full_name / last_name column",
        ));
    }
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| AmlError::parse(path.display().to_string(), e))?;
        let get = |i: Option<usize>| {
            i.and_then(|i| rec.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let name = get(full).unwrap_or_else(|| {
            [get(first), get(middle), get(last)]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
        });
        if name.is_empty() {
            continue;
        }
        rows.push(BatchRow {
            name,
            dob: get(dob),
            nationality: get(nat).and_then(|n| to_alpha2(&n)).map(str::to_string),
            gender: get(gender),
        });
    }
    Ok(rows)
}

/// Screen rows against a prebuilt index; returns results and per-query µs.
pub fn run_batch(
    ix: &Index,
    cfg: &ScreenConfig,
    rows: &[BatchRow],
    names_only: bool,
    any_kind: bool,
) -> (Vec<ScreenResult>, Vec<f64>) {
    let mut results = Vec::with_capacity(rows.len());
    let mut times = Vec::with_capacity(rows.len());
    for r in rows {
        let q = Query {
            name: r.name.clone(),
            birth_date: if names_only { None } else { r.dob.clone() },
            nationality: if names_only {
                None
            } else {
                r.nationality.clone()
            },
            gender: if names_only { None } else { r.gender.clone() },
            kind: if any_kind {
                None
            } else {
                Some(EntityKind::Person)
            },
        };
        let t = Instant::now();
        let res = ix.screen(&q, cfg);
        times.push(t.elapsed().as_secs_f64() * 1e6);
        results.push(res);
    }
    (results, times)
}
