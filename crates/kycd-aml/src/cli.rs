//! The `kycd lists …` and `kycd screen …` commands: their clap definitions
//! ([`ListsCommand`], [`ScreenArgs`]) and dispatch ([`run_lists`], [`run_screen`]), shared by
//! the `kycd` binary and the crate's `aml_cli` example, over plain functions that each take a
//! typed option struct and a writer (usable from tests without a terminal).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, Subcommand};

pub use crate::batch::{
    BatchLine, BatchRow, BatchStats, RowError, peak_rss_kb, read_batch, run_batch,
};
use crate::batch::{person_kind, print_stats, stats_from};
use crate::error::AmlError;
use crate::index::Index;
use crate::model::ListMeta;
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
    let key = opts.key.clone().unwrap_or_else(|| {
        store::default_key(
            crate::parsers::source_for(opts.format, &opts.paths),
            &opts.paths,
        )
    });
    let previous = crate::monitor::stored_entities(&opts.data_dir, &key)?;
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
    // Recorded like a refresh, so that a running server re-screens the monitored subjects against the change.
    let diff = crate::monitor::diff(&previous, &list.entities);
    let source = opts
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    crate::monitor::record(
        &opts.data_dir,
        &[crate::monitor::RefreshRecord::updated(
            &meta, &source, &diff,
        )],
    )?;
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

/// `kycd lists diff`: the last change of each list (or every recorded refresh with `all`), with the entities it
/// added, changed and removed.
pub fn lists_diff(
    data_dir: &Path,
    json: bool,
    all: bool,
    out: &mut dyn Write,
) -> Result<Vec<crate::monitor::RefreshRecord>, AmlError> {
    let mut records = crate::monitor::history(data_dir)?;
    if !all {
        // Per list, its last change (or a failure since): the refreshes that found the same file are recorded but
        // say nothing new.
        let mut last: std::collections::BTreeMap<String, crate::monitor::RefreshRecord> =
            Default::default();
        for r in records.into_iter().filter(|r| r.status != "unchanged") {
            last.insert(r.key.clone(), r);
        }
        records = last.into_values().collect();
    }
    if json {
        serde_json::to_writer_pretty(&mut *out, &records)?;
        writeln!(out)?;
        return Ok(records);
    }
    if records.is_empty() {
        writeln!(
            out,
            "no refresh recorded yet (kycd lists update, or kycd serve with KYCD_LISTS_REFRESH)"
        )?;
    }
    for r in &records {
        writeln!(
            out,
            "{} {} {}: {} entities, +{} added, ~{} changed, -{} removed{}",
            r.at,
            r.key,
            r.status,
            r.entities,
            r.added.len(),
            r.changed.len(),
            r.removed.len(),
            r.error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        )?;
        for (sign, list) in [("+", &r.added), ("~", &r.changed), ("-", &r.removed)] {
            for e in list {
                writeln!(out, "  {sign} {} {}", e.id, e.caption)?;
            }
        }
    }
    Ok(records)
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
    /// CSV file of queries (see [`read_batch`] for the accepted layouts).
    pub file: PathBuf,
    /// Ignore DOB, nationality and gender columns (name-only screening).
    pub names_only: bool,
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

/// `query "NAME" dob=… nationality=…: N hit(s)` and the explained hits, after `prefix`.
fn print_hits(out: &mut dyn Write, prefix: &str, r: &ScreenResult) -> std::io::Result<()> {
    writeln!(
        out,
        "{prefix}query {:?}{}{}: {} hit(s)",
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

/// `kycd screen --name …`.
pub fn screen_one(opts: &ScreenOptions, out: &mut dyn Write) -> Result<ScreenResult, AmlError> {
    let q = Query {
        name: opts.name.clone(),
        birth_date: opts.dob.clone(),
        nationality: opts.nationality.clone(),
        gender: opts.gender.clone(),
        kind: person_kind(opts.common.any_kind),
    };
    q.validate()?;
    let (ix, build_ms) = load_index(&opts.common)?;
    let cfg = config(&opts.common);
    let t = Instant::now();
    let r = ix.screen(&q, &cfg);
    let micros = t.elapsed().as_secs_f64() * 1e6;
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
        print_hits(out, "", &r)?;
    }
    print_stats(
        out,
        &stats_from(1, [(&r, micros)], &ix, build_ms),
        opts.common.json,
    )?;
    Ok(r)
}

/// Print one batch line: a JSON object (`--json`), or `row N (line L): …` with the explained
/// hits or the error.
pub fn print_batch_line(out: &mut dyn Write, l: &BatchLine, json: bool) -> Result<(), AmlError> {
    if json {
        serde_json::to_writer(&mut *out, l)?;
        writeln!(out)?;
        return Ok(());
    }
    let prefix = format!("row {} (line {}): ", l.row, l.line);
    match &l.outcome {
        Ok(r) => print_hits(out, &prefix, r)?,
        Err(e) => writeln!(out, "{prefix}error {}: {}", e.code, e.message)?,
    }
    Ok(())
}

/// Screen the batch file of `opts` against a prebuilt index and print exactly one line per
/// data row, in file order (with `--json`, one JSON object per row: see [`BatchLine`]), then
/// the statistics. `build_ms` is reported in the statistics.
pub fn screen_batch_with(
    ix: &Index,
    build_ms: f64,
    opts: &BatchOptions,
    out: &mut dyn Write,
) -> Result<(Vec<BatchLine>, BatchStats), AmlError> {
    let rows = read_batch(&opts.file)?;
    let cfg = config(&opts.common);
    let (names_only, any_kind) = (opts.names_only, opts.common.any_kind);
    let mut lines = run_batch(ix, &cfg, &rows, names_only, any_kind);
    for _ in 1..opts.repeat.max(1) {
        for (l, again) in lines
            .iter_mut()
            .zip(run_batch(ix, &cfg, &rows, names_only, any_kind))
        {
            l.micros = l.micros.min(again.micros);
        }
    }
    let json = opts.common.json;
    if opts.repeat > 1 && !json {
        writeln!(out, "timing: fastest of {} passes per query", opts.repeat)?;
    }
    for l in &lines {
        print_batch_line(out, l, json)?;
    }
    if !json {
        let mut order: Vec<&BatchLine> = lines.iter().filter(|l| l.outcome.is_ok()).collect();
        order.sort_by(|a, b| b.micros.total_cmp(&a.micros));
        for l in order.iter().take(5) {
            let name = l.result().map_or("", |r| r.query.name.as_str());
            writeln!(out, "slow: {:.0} µs row {} {name:?}", l.micros, l.row)?;
        }
    }
    let stats = stats_from(
        rows.len(),
        lines.iter().filter_map(|l| Some((l.result()?, l.micros))),
        ix,
        build_ms,
    );
    print_stats(out, &stats, json)?;
    Ok((lines, stats))
}

/// `kycd screen --batch FILE.csv`: loads the stored lists, then [`screen_batch_with`].
pub fn screen_batch(opts: &BatchOptions, out: &mut dyn Write) -> Result<BatchStats, AmlError> {
    // a file that cannot be read fails before the (slower) index build
    std::fs::metadata(&opts.file).map_err(|e| AmlError::io(&opts.file, e))?;
    let (ix, build_ms) = load_index(&opts.common)?;
    Ok(screen_batch_with(&ix, build_ms, opts, out)?.1)
}

/// `kycd lists …`: list management (the clap layer shared by the `kycd` binary and the
/// `aml_cli` example).
#[derive(Debug, Subcommand)]
pub enum ListsCommand {
    /// Imports list files into the data dir (`<data dir>/lists`).
    Import {
        /// `ofac-csv`, `ofac-xml`, `un-xml`, `eu-xml`, `uk-csv` (OFSI ConList), `uk-xml` / `uk-fcdo-csv` (FCDO UK
        /// Sanctions List), `ftm` (or `eu-aggregate-json`).
        #[arg(long)]
        format: String,
        /// Store under this key instead of the format's default.
        #[arg(long)]
        key: Option<String>,
        /// Files (the OFAC CSV trio may be given together: sdn.csv alt.csv add.csv).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Downloads the official publishers' current files; a failed list keeps its previous version.
    Update,
    /// Shows the stored lists: sources, dates, counts.
    Status {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Shows what the last change of each list added, changed and removed (`--all`: every recorded refresh).
    Diff {
        /// JSON output (the refresh records).
        #[arg(long)]
        json: bool,
        /// Every recorded refresh, oldest first, not only the last one per list.
        #[arg(long)]
        all: bool,
    },
}

/// `kycd screen …` flags.
#[derive(Debug, Args)]
pub struct ScreenArgs {
    /// Full name to screen.
    #[arg(long, conflicts_with = "batch", required_unless_present = "batch")]
    pub name: Option<String>,
    /// Date of birth (YYYY-MM-DD, or YYYY).
    #[arg(long)]
    pub dob: Option<String>,
    /// Nationality (ISO alpha-2 / alpha-3 or country name).
    #[arg(long)]
    pub nationality: Option<String>,
    /// Gender (`male`/`female`).
    #[arg(long)]
    pub gender: Option<String>,
    /// A CSV file of queries (yente benchmark columns, or a header with `name`/`query_name`,
    /// or no header with the name first); prints one line per data row, in order.
    #[arg(long)]
    pub batch: Option<PathBuf>,
    /// JSON output (with --batch: one JSON object per row, then the statistics).
    #[arg(long)]
    pub json: bool,
    /// Alert threshold, 0–100 (default 85).
    #[arg(long)]
    pub threshold: Option<u8>,
    /// Also match organisations, vessels and aircraft (default: persons only).
    #[arg(long)]
    pub any_kind: bool,
    /// Ignore the DOB/nationality/gender columns of the batch file.
    #[arg(long)]
    pub names_only: bool,
    /// Benchmarking: screen the batch N times and keep each query's fastest time.
    #[arg(long, default_value_t = 1, hide = true)]
    pub repeat: usize,
    /// Benchmarking: pad the index with synthetic typo copies up to N names.
    #[arg(long, hide = true)]
    pub pad_to_names: Option<usize>,
}

/// Print an update event on a terminal (progress on one rewritten line).
/// A text progress bar of `width` cells: `[#########.........]`.
pub fn bar(done: u64, total: u64, width: usize) -> String {
    let filled = if total == 0 {
        width
    } else {
        ((done.min(total) as u128 * width as u128) / total as u128) as usize
    };
    format!("[{}{}]", "#".repeat(filled), ".".repeat(width - filled))
}

pub fn print_update_event(err: &mut dyn Write, ev: &UpdateEvent) -> std::io::Result<()> {
    match ev {
        UpdateEvent::Started { key, url, .. } => writeln!(err, "downloading {key} from {url}"),
        UpdateEvent::Progress { key, bytes, total } => match total {
            Some(t) if *t > 0 => write!(
                err,
                "\r{key}: {} {:>3}% {:.1} MB",
                bar(*bytes, *t, 30),
                bytes * 100 / t,
                *bytes as f64 / 1e6
            ),
            _ => write!(err, "\r{key}: {:.1} MB", *bytes as f64 / 1e6),
        },
        UpdateEvent::Updated(m) => {
            writeln!(err, "\r{}: stored ({} entities)", m.key, m.entity_count)
        }
        UpdateEvent::Failed { key, error } => writeln!(err, "\r{key}: FAILED: {error}"),
    }
}

/// Run a `lists` command on the lists under `data_dir`: results to `out`, download progress
/// to `err`. Fails when every list of an update failed.
pub fn run_lists(
    data_dir: &Path,
    cmd: ListsCommand,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), AmlError> {
    match cmd {
        ListsCommand::Import { format, key, paths } => {
            lists_import(
                &ImportOptions {
                    data_dir: data_dir.to_path_buf(),
                    format: format.parse()?,
                    paths,
                    key,
                },
                out,
            )?;
        }
        ListsCommand::Update => {
            let report = lists_update(
                &UpdateOptions {
                    data_dir: data_dir.to_path_buf(),
                    sources: None,
                },
                out,
                &mut |ev| {
                    let _ = print_update_event(err, &ev);
                },
            )?;
            if report.updated.is_empty() && !report.failed.is_empty() {
                return Err(AmlError::Invalid("no list could be updated".into()));
            }
        }
        ListsCommand::Status { json } => {
            lists_status(data_dir, json, out)?;
        }
        ListsCommand::Diff { json, all } => {
            lists_diff(data_dir, json, all, out)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Run `screen` against the lists under `data_dir`.
pub fn run_screen(data_dir: &Path, a: ScreenArgs, out: &mut dyn Write) -> Result<(), AmlError> {
    let common = ScreenCommon {
        data_dir: data_dir.to_path_buf(),
        json: a.json,
        threshold: a.threshold,
        any_kind: a.any_kind,
        pad_to_names: a.pad_to_names,
    };
    if let Some(file) = a.batch {
        screen_batch(
            &BatchOptions {
                common,
                file,
                names_only: a.names_only,
                repeat: a.repeat,
            },
            out,
        )?;
    } else {
        screen_one(
            &ScreenOptions {
                common,
                name: a.name.unwrap_or_default(),
                dob: a.dob,
                nationality: a.nationality,
                gender: a.gender,
            },
            out,
        )?;
    }
    out.flush()?;
    Ok(())
}
