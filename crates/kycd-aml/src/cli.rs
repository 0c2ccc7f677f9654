//! Plain functions behind the `kycd lists …` and `kycd screen …` subcommands. Each takes a
//! typed option struct and a writer, so the binary's clap layer stays thin.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub use crate::batch::{BatchRow, BatchStats, peak_rss_kb, read_batch, run_batch};
use crate::batch::{print_stats, stats_from};
use crate::error::AmlError;
use crate::index::Index;
use crate::model::{EntityKind, ListMeta};
use crate::parsers::Format;
use crate::report::aml_array;
use crate::screen::{Hit, Query, ScreenConfig, ScreenResult};
use crate::store;
use crate::synth::synthetic_typo_copies;
use crate::update::{UpdateEvent, UpdateReport, UpdateSource, official_sources, update};

/// `kycd lists import`.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Data dir (lists go to `<data_dir>/lists/`).
    pub data_dir: PathBuf,
    /// Input format.
    pub format: Format,
    /// Input files.
    pub paths: Vec<PathBuf>,
    /// Store key override (default from the source).
    pub key: Option<String>,
}

/// Import files into the store and print a summary line.
pub fn lists_import(opts: &ImportOptions, out: &mut dyn Write) -> Result<ListMeta, AmlError> {
    let (meta, list) = store::import(
        &opts.data_dir,
        opts.format,
        &opts.paths,
        opts.key.as_deref(),
    )?;
    writeln!(
        out,
        "imported {} ({}): {} entities, {} names, published {}, sha256 {}",
        meta.key,
        meta.format,
        meta.entity_count,
        meta.name_count,
        meta.published.as_deref().unwrap_or("-"),
        &meta.sha256[..16.min(meta.sha256.len())]
    )?;
    if !list.stats.is_empty() {
        let s: Vec<String> = list.stats.iter().map(|(k, v)| format!("{k}={v}")).collect();
        writeln!(out, "  parser stats: {}", s.join(", "))?;
    }
    Ok(meta)
}

/// `kycd lists update`.
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// Data dir.
    pub data_dir: PathBuf,
    /// Sources (default: the official publishers).
    pub sources: Option<Vec<UpdateSource>>,
}

/// Download and store the current lists; `progress` receives every event (drive a progress
/// bar with it); a summary is written to `out`. Failed lists keep their previous version.
pub fn lists_update(
    opts: &UpdateOptions,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(UpdateEvent),
) -> Result<UpdateReport, AmlError> {
    let sources = opts.sources.clone().unwrap_or_else(official_sources);
    let report = update(&opts.data_dir, &sources, progress)?;
    for m in &report.updated {
        writeln!(
            out,
            "updated {}: {} entities, {} names, published {}",
            m.key,
            m.entity_count,
            m.name_count,
            m.published.as_deref().unwrap_or("-")
        )?;
    }
    for (k, e) in &report.failed {
        writeln!(out, "FAILED {k}: {e} (previous version kept)")?;
    }
    Ok(report)
}

/// `kycd lists status`: one line per stored list (or JSON).
pub fn lists_status(
    data_dir: &Path,
    json: bool,
    out: &mut dyn Write,
) -> Result<Vec<ListMeta>, AmlError> {
    let metas = store::status(data_dir)?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &metas)?;
        writeln!(out)?;
    } else if metas.is_empty() {
        writeln!(
            out,
            "no lists stored under {}",
            store::lists_dir(data_dir).display()
        )?;
    } else {
        writeln!(
            out,
            "{:<28} {:<18} {:<12} {:<20} {:>8} {:>8}",
            "list", "source", "published", "imported (UTC)", "entities", "names"
        )?;
        for m in &metas {
            writeln!(
                out,
                "{:<28} {:<18} {:<12} {:<20} {:>8} {:>8}",
                m.key,
                m.source.list_name(),
                m.published.as_deref().unwrap_or("-"),
                m.imported_at,
                m.entity_count,
                m.name_count
            )?;
        }
    }
    Ok(metas)
}

/// Shared screening flags.
#[derive(Debug, Clone)]
pub struct ScreenCommon {
    /// Data dir with imported lists.
    pub data_dir: PathBuf,
    /// JSON output.
    pub json: bool,
    /// Threshold 0–100 (default 85).
    pub threshold: Option<u8>,
    /// Match organisations/vessels too (default: persons only).
    pub any_kind: bool,
    /// Pad the index with synthetic typo copies up to this many names (benchmarking only).
    pub pad_to_names: Option<usize>,
}

/// `kycd screen --name`.
#[derive(Debug, Clone)]
pub struct ScreenOptions {
    /// Common flags.
    pub common: ScreenCommon,
    /// Name.
    pub name: String,
    /// `YYYY-MM-DD`.
    pub dob: Option<String>,
    /// Nationality (alpha-2 / alpha-3 / name).
    pub nationality: Option<String>,
    /// Gender.
    pub gender: Option<String>,
}

/// `kycd screen --batch`.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Common flags.
    pub common: ScreenCommon,
    /// CSV with yente benchmark columns (`full_name,first_name,middle_name,last_name,gender,
    /// date_of_birth,place_of_birth,nationality`).
    pub file: PathBuf,
    /// Ignore DOB, nationality and gender columns (name-only screening).
    pub names_only: bool,
    /// Print every row, not only rows with hits.
    pub all_rows: bool,
    /// Screen the whole file this many times and keep each query's fastest time (filters
    /// out scheduler preemption on a shared machine); 1 = a single pass.
    pub repeat: usize,
}

fn config(c: &ScreenCommon) -> ScreenConfig {
    let mut cfg = ScreenConfig::default();
    if let Some(t) = c.threshold {
        cfg.threshold = f32::from(t.min(100)) / 100.0;
    }
    cfg
}

/// Load the stored lists (optionally padded) and build the index; returns it with the build time.
pub fn load_index(c: &ScreenCommon) -> Result<(Index, f64), AmlError> {
    let (mut entities, metas) = store::load_all(&c.data_dir)?;
    if let Some(n) = c.pad_to_names {
        let extra = synthetic_typo_copies(&entities, n);
        entities.extend(extra);
    }
    let t = Instant::now();
    let ix = Index::build(entities, metas);
    Ok((ix, t.elapsed().as_secs_f64() * 1e3))
}

fn print_hits(out: &mut dyn Write, r: &ScreenResult) -> std::io::Result<()> {
    writeln!(
        out,
        "query {:?}{}{}: {} hit(s)",
        r.query.name,
        r.query
            .birth_date
            .as_deref()
            .map(|d| format!(" dob={d}"))
            .unwrap_or_default(),
        r.query
            .nationality
            .as_deref()
            .map(|d| format!(" nationality={d}"))
            .unwrap_or_default(),
        r.hits.len()
    )?;
    for (i, h) in r.hits.iter().enumerate() {
        print_hit(out, i + 1, h)?;
    }
    Ok(())
}

fn print_hit(out: &mut dyn Write, n: usize, h: &Hit) -> std::io::Result<()> {
    writeln!(
        out,
        "  {n}. [{:>3}] {} {} {:?} ({:?}, {:?}{}){}",
        h.score_100(),
        h.source.list_name(),
        h.list_id,
        h.caption,
        h.kind,
        h.topic,
        if h.programs.is_empty() {
            String::new()
        } else {
            format!("; {}", h.programs.join(", "))
        },
        if h.dob_contradicted {
            " [EXACT NAME, CONTRADICTING DOB]"
        } else {
            ""
        }
    )?;
    writeln!(out, "       match: {}", h.match_types.join(", "))?;
    for f in &h.features {
        writeln!(
            out,
            "       {:<22} {:+.2}  {}",
            f.feature, f.score, f.detail
        )?;
    }
    Ok(())
}

/// Screen one name against a prebuilt index (no I/O besides `out`).
pub fn screen_with(ix: &Index, cfg: &ScreenConfig, q: &Query) -> ScreenResult {
    ix.screen(q, cfg)
}

/// `kycd screen --name …`.
pub fn screen_one(opts: &ScreenOptions, out: &mut dyn Write) -> Result<ScreenResult, AmlError> {
    let (ix, build_ms) = load_index(&opts.common)?;
    let q = Query {
        name: opts.name.clone(),
        birth_date: opts.dob.clone(),
        nationality: opts.nationality.clone(),
        gender: opts.gender.clone(),
        kind: if opts.common.any_kind {
            None
        } else {
            Some(EntityKind::Person)
        },
    };
    q.validate()?;
    let cfg = config(&opts.common);
    let t = Instant::now();
    let r = ix.screen(&q, &cfg);
    let mut times = [t.elapsed().as_secs_f64() * 1e6];
    let alerts = usize::from(r.is_alert());
    let above = usize::from(r.hits.iter().any(|h| h.above_threshold));
    if opts.common.json {
        let aml = aml_array(&r, &store::utc_now(), "AML-1", &[]);
        #[derive(serde::Serialize)]
        struct Out<'a> {
            result: &'a ScreenResult,
            #[serde(rename = "AML")]
            aml: &'a [crate::report::AmlServiceResult],
        }
        serde_json::to_writer(
            &mut *out,
            &Out {
                result: &r,
                aml: &aml,
            },
        )?;
        writeln!(out)?;
    } else {
        print_hits(out, &r)?;
    }
    print_stats(
        out,
        &stats_from(&mut times, alerts, above, &ix, build_ms),
        opts.common.json,
    )?;
    Ok(r)
}

/// `kycd screen --batch FILE.csv`: screens every row, prints rows with hits (with per-feature
/// explanations), then timing statistics.
pub fn screen_batch(opts: &BatchOptions, out: &mut dyn Write) -> Result<BatchStats, AmlError> {
    let rows = read_batch(&opts.file)?;
    let (ix, build_ms) = load_index(&opts.common)?;
    let cfg = config(&opts.common);
    let (results, mut times) = run_batch(&ix, &cfg, &rows, opts.names_only, opts.common.any_kind);
    for _ in 1..opts.repeat.max(1) {
        let (_, again) = run_batch(&ix, &cfg, &rows, opts.names_only, opts.common.any_kind);
        for (t, a) in times.iter_mut().zip(again) {
            *t = t.min(a);
        }
    }
    if opts.repeat > 1 && !opts.common.json {
        writeln!(out, "timing: fastest of {} passes per query", opts.repeat)?;
    }
    let mut alerts = 0;
    let mut above = 0;
    for r in &results {
        alerts += usize::from(r.is_alert());
        above += usize::from(r.hits.iter().any(|h| h.above_threshold));
        if r.is_alert() || opts.all_rows {
            if opts.common.json {
                serde_json::to_writer(&mut *out, r)?;
                writeln!(out)?;
            } else {
                print_hits(out, r)?;
            }
        }
    }
    if !opts.common.json {
        let mut order: Vec<usize> = (0..times.len()).collect();
        order.sort_by(|&a, &b| times[b].total_cmp(&times[a]));
        for &i in order.iter().take(5) {
            writeln!(out, "slow: {:.0} µs {:?}", times[i], rows[i].name)?;
        }
    }
    let stats = stats_from(&mut times, alerts, above, &ix, build_ms);
    print_stats(out, &stats, opts.common.json)?;
    Ok(stats)
}
