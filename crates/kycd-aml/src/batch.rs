//! Batch screening of CSV files of names (the yente benchmark layout and the other files under
//! `shared/data/sanctions/benchmarks`) and the timing statistics printed by `kycd screen --batch`.
//!
//! Every data row of the file yields exactly one [`BatchLine`], in file order, carrying its
//! 1-based data-row number: a row that cannot be screened (no name, a date of birth or
//! nationality that cannot be read, text that is not UTF-8) gets a [`RowError`] instead of
//! being skipped.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::country::to_alpha2;
use crate::dates::parse_date;
use crate::error::AmlError;
use crate::index::Index;
use crate::model::EntityKind;
use crate::screen::{Query, ScreenConfig, ScreenResult};

/// Timing and alert statistics of a batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BatchStats {
    /// Data rows in the file (screened + errors).
    pub rows: usize,
    /// Rows that could not be screened (each has an `error` on its line).
    pub errors: usize,
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

/// Statistics over the screened results `results` (with their µs timings) of a batch of
/// `rows` rows, `rows - results.len()` of which could not be screened.
pub(crate) fn stats_from<'a>(
    rows: usize,
    results: impl IntoIterator<Item = (&'a ScreenResult, f64)>,
    ix: &Index,
    build_ms: f64,
) -> BatchStats {
    let (mut times, mut alerts, mut above) = (Vec::new(), 0, 0);
    for (r, t) in results {
        times.push(t);
        alerts += usize::from(r.is_alert());
        above += usize::from(r.hits.iter().any(|h| h.above_threshold));
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let total: f64 = times.iter().sum();
    let n = times.len();
    BatchStats {
        rows,
        errors: rows.saturating_sub(n),
        queries: n,
        alerts,
        alerts_above_threshold: above,
        alerts_per_1000: if n == 0 {
            0.0
        } else {
            alerts as f64 * 1000.0 / n as f64
        },
        p50_us: percentile(&times, 0.50),
        p90_us: percentile(&times, 0.90),
        p99_us: percentile(&times, 0.99),
        max_us: times.last().copied().unwrap_or(0.0),
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
            "{} rows, {} not screened; {} queries, {} with hits ({:.2} per 1,000; {} at/above threshold); per query p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs, max {:.1} µs, mean {:.1} µs; {:.0} queries/s",
            s.rows,
            s.errors,
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

/// Why a batch row could not be screened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// Stable code: `empty_name`, `invalid_encoding`, `invalid_date_of_birth`,
    /// `invalid_nationality`.
    pub code: &'static str,
    /// Human explanation, with the offending value.
    pub message: String,
}

impl RowError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        RowError {
            code,
            message: message.into(),
        }
    }
}

/// One data row of a batch file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    /// 1-based data-row number (the header, `#` comment lines and blank lines do not count).
    pub row: usize,
    /// 1-based line of the file where the record starts.
    pub line: u64,
    /// Name to screen (empty when the row has none).
    pub name: String,
    /// Date-of-birth column.
    pub dob: Option<String>,
    /// Nationality column mapped to alpha-2 (country names and codes accepted).
    pub nationality: Option<String>,
    /// Gender column.
    pub gender: Option<String>,
    /// Set when the row cannot be screened.
    pub error: Option<RowError>,
}

impl BatchRow {
    /// The query of this row (`names_only` drops DOB, nationality and gender; `any_kind`
    /// matches organisations and vessels too).
    pub fn query(&self, names_only: bool, any_kind: bool) -> Query {
        let keep = |v: &Option<String>| if names_only { None } else { v.clone() };
        Query {
            name: self.name.clone(),
            birth_date: keep(&self.dob),
            nationality: keep(&self.nationality),
            gender: keep(&self.gender),
            kind: person_kind(any_kind),
        }
    }
}

/// The kind filter of the CLI: persons only unless `any_kind`.
pub(crate) fn person_kind(any_kind: bool) -> Option<EntityKind> {
    (!any_kind).then_some(EntityKind::Person)
}

/// Header cells that hold the name to screen, in order of preference: the yente benchmark
/// layout (`full_name`, else `first_name middle_name last_name`), plain `name`, OFAC's
/// fixture `query_name`, `query`, and the first name of a labelled pair file (`name1`).
const NAME_COLUMNS: [&str; 5] = ["full_name", "name", "query_name", "query", "name1"];
const PART_COLUMNS: [&str; 3] = ["first_name", "middle_name", "last_name"];

/// Column positions of a batch file.
#[derive(Debug, Default)]
struct Columns {
    name: Option<usize>,
    parts: [Option<usize>; 3],
    dob: Option<usize>,
    nationality: Option<usize>,
    gender: Option<usize>,
}

impl Columns {
    /// The columns named by a header record, or `None` when the record names no name column
    /// (then the file has no header and its first column is the name).
    fn from_header(cells: &[String]) -> Option<Columns> {
        let col = |n: &str| cells.iter().position(|h| h.trim().eq_ignore_ascii_case(n));
        let c = Columns {
            name: NAME_COLUMNS.iter().find_map(|n| col(n)),
            parts: PART_COLUMNS.map(col),
            dob: col("date_of_birth").or_else(|| col("dob")),
            nationality: col("nationality"),
            gender: col("gender"),
        };
        (c.name.is_some() || c.parts.iter().any(Option::is_some)).then_some(c)
    }

    fn headerless() -> Columns {
        Columns {
            name: Some(0),
            ..Columns::default()
        }
    }

    fn row(&self, row: usize, line: u64, cells: Result<Vec<String>, RowError>) -> BatchRow {
        let mut out = BatchRow {
            row,
            line,
            name: String::new(),
            dob: None,
            nationality: None,
            gender: None,
            error: None,
        };
        let cells = match cells {
            Ok(c) => c,
            Err(e) => {
                out.error = Some(e);
                return out;
            }
        };
        let get = |i: Option<usize>| {
            i.and_then(|i| cells.get(i))
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        out.name = get(self.name).unwrap_or_else(|| {
            self.parts
                .iter()
                .filter_map(|&p| get(p))
                .collect::<Vec<_>>()
                .join(" ")
        });
        out.dob = get(self.dob);
        out.gender = get(self.gender);
        let nationality = get(self.nationality);
        out.nationality = nationality
            .as_deref()
            .and_then(to_alpha2)
            .map(str::to_string);
        out.error = if out.name.is_empty() {
            Some(RowError::new("empty_name", "the row has no name to screen"))
        } else if let Some(d) = out.dob.as_deref().filter(|d| parse_date(d).is_none()) {
            Some(RowError::new(
                "invalid_date_of_birth",
                format!("date of birth {d:?} is not YYYY-MM-DD, YYYY-MM or YYYY"),
            ))
        } else {
            nationality.filter(|_| out.nationality.is_none()).map(|n| {
                RowError::new(
                    "invalid_nationality",
                    format!("nationality {n:?} is not a known country name or code"),
                )
            })
        };
        out
    }
}

/// Read a batch file: a CSV with a header naming its columns (`full_name` or
/// `first_name`/`middle_name`/`last_name`, `name`, `query_name`, `query` or `name1`;
/// optional `date_of_birth`, `nationality`, `gender`), or without a header, the name then
/// being the first column. Lines starting with `#` are comments; blank lines are skipped.
/// Returns one [`BatchRow`] per data row; a row that cannot be screened carries its
/// [`RowError`]. Only a file that cannot be read at all is an error.
pub fn read_batch(path: &Path) -> Result<Vec<BatchRow>, AmlError> {
    let what = || path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| AmlError::io(path, e))?;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .comment(Some(b'#'))
        .from_reader(bytes.as_slice());
    let mut columns: Option<Columns> = None;
    let mut rows = Vec::new();
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(AmlError::parse(what(), e)),
        }
        let line = rec
            .position()
            .map_or(0, |p| record_line(&bytes, p.byte(), p.line()));
        let cells: Result<Vec<String>, RowError> = rec
            .iter()
            .map(|c| {
                std::str::from_utf8(c).map(str::to_string).map_err(|_| {
                    RowError::new("invalid_encoding", format!("line {line} is not UTF-8"))
                })
            })
            .collect();
        let cols = match &columns {
            Some(c) => c,
            None => {
                let found = cells.as_deref().ok().and_then(Columns::from_header);
                let header = found.is_some();
                let c = columns.insert(found.unwrap_or_else(Columns::headerless));
                if header {
                    continue;
                }
                c
            }
        };
        rows.push(cols.row(rows.len() + 1, line, cells));
    }
    Ok(rows)
}

/// The line a record starts on. The reader reports where it started reading, which is
/// before the comment and blank lines it skipped: step over those.
fn record_line(bytes: &[u8], mut at: u64, mut line: u64) -> u64 {
    while let Some(rest) = usize::try_from(at).ok().and_then(|a| bytes.get(a..)) {
        let skip = match rest {
            [b'#', ..] => rest.iter().position(|&b| b == b'\n').map(|i| i + 1),
            [b'\n', ..] => Some(1),
            [b'\r', b'\n', ..] => Some(2),
            [b'\r', ..] => Some(1),
            _ => None,
        };
        match skip {
            Some(n) => {
                at += n as u64;
                line += 1;
            }
            None => break,
        }
    }
    line
}

/// The outcome of one batch row.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchLine {
    /// 1-based data-row number.
    pub row: usize,
    /// 1-based line of the file.
    pub line: u64,
    /// The screening result, or why the row could not be screened.
    pub outcome: Result<ScreenResult, RowError>,
    /// Screening time in µs (0 for a row that was not screened).
    pub micros: f64,
}

impl BatchLine {
    /// The result, when the row was screened.
    pub fn result(&self) -> Option<&ScreenResult> {
        self.outcome.as_ref().ok()
    }
}

/// One JSON object per row: `{"row", "line", "query", "hits", "threshold"}` for a screened
/// row, `{"row", "line", "error": {"code", "message"}}` for a row that was not.
impl Serialize for BatchLine {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("row", &self.row)?;
        m.serialize_entry("line", &self.line)?;
        match &self.outcome {
            Ok(r) => {
                m.serialize_entry("query", &r.query)?;
                m.serialize_entry("hits", &r.hits)?;
                m.serialize_entry("threshold", &r.threshold)?;
            }
            Err(e) => m.serialize_entry("error", e)?,
        }
        m.end()
    }
}

/// Screen every row against a prebuilt index: one [`BatchLine`] per row, in order.
pub fn run_batch(
    ix: &Index,
    cfg: &ScreenConfig,
    rows: &[BatchRow],
    names_only: bool,
    any_kind: bool,
) -> Vec<BatchLine> {
    rows.iter()
        .map(|r| {
            let (outcome, micros) = match &r.error {
                Some(e) => (Err(e.clone()), 0.0),
                None => {
                    let q = r.query(names_only, any_kind);
                    let t = Instant::now();
                    let res = ix.screen(&q, cfg);
                    (Ok(res), t.elapsed().as_secs_f64() * 1e6)
                }
            };
            BatchLine {
                row: r.row,
                line: r.line,
                outcome,
                micros,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_bytes(s: &[u8]) -> Vec<BatchRow> {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("kycd-aml-batch-{}-{n}.csv", std::process::id()));
        std::fs::write(&p, s).unwrap();
        let rows = read_batch(&p).unwrap();
        let _ = std::fs::remove_file(&p);
        rows
    }

    fn read_str(s: &str) -> Vec<BatchRow> {
        read_bytes(s.as_bytes())
    }

    #[test]
    fn every_row_is_kept_with_its_number() {
        let rows = read_str(
            "full_name,date_of_birth,nationality\nAFIZ,1969,af\n,1970,\nJOHN DOE,last spring,\nJANE ROE,,Atlantis\n\"SALEK, ABDULHAI\",1965,Afghanistan\n",
        );
        assert_eq!(rows.len(), 5);
        assert_eq!(
            rows.iter().map(|r| (r.row, r.line)).collect::<Vec<_>>(),
            [(1, 2), (2, 3), (3, 4), (4, 5), (5, 6)]
        );
        assert_eq!(rows[0].name, "AFIZ");
        assert_eq!(rows[0].nationality.as_deref(), Some("AF"));
        assert!(rows[0].error.is_none());
        assert_eq!(rows[1].error.as_ref().unwrap().code, "empty_name");
        assert_eq!(
            rows[2].error.as_ref().unwrap().code,
            "invalid_date_of_birth"
        );
        assert_eq!(rows[3].error.as_ref().unwrap().code, "invalid_nationality");
        assert_eq!(rows[4].nationality.as_deref(), Some("AF"));
    }

    #[test]
    fn headerless_files_with_comments() {
        let rows = read_str("# a comment\n\nمحمد علي,Mohamed Ali,0.9\n\n# more\nIvan Ivanov,x,1\n");
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].row, rows[0].line), (1, 3));
        assert_eq!(rows[0].name, "محمد علي");
        assert_eq!(
            (rows[1].row, rows[1].line, rows[1].name.as_str()),
            (2, 6, "Ivan Ivanov")
        );
    }

    #[test]
    fn name_parts_and_other_name_columns() {
        let rows = read_str("first_name,middle_name,last_name\nJohn,,Smith\n");
        assert_eq!(rows[0].name, "John Smith");
        let rows = read_str("query_name,result_name\nVLADIMIR PUTIN,\"PUTIN, Vladimir\"\n");
        assert_eq!(rows[0].name, "VLADIMIR PUTIN");
    }

    #[test]
    fn invalid_utf8_is_a_row_error() {
        let rows = read_bytes(b"full_name\nA\xff B\nC D\n");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].error.as_ref().unwrap().code, "invalid_encoding");
        assert_eq!(rows[1].name, "C D");
    }

    #[test]
    fn json_line_shape() {
        let line = BatchLine {
            row: 3,
            line: 4,
            outcome: Err(RowError::new("empty_name", "no name")),
            micros: 0.0,
        };
        assert_eq!(
            serde_json::to_string(&line).unwrap(),
            r#"{"row":3,"line":4,"error":{"code":"empty_name","message":"no name"}}"#
        );
    }
}
