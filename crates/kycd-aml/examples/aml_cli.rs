//! Stand-alone CLI with the same flags as `kycd lists …` / `kycd screen …`, for testing the
//! library end to end before the binary is wired.
//!
//! ```text
//! cargo run --release -p kycd-aml --example aml_cli -- --data-dir /tmp/aml lists import --format un-xml consolidated.xml
//! cargo run --release -p kycd-aml --example aml_cli -- --data-dir /tmp/aml lists status
//! cargo run --release -p kycd-aml --example aml_cli -- --data-dir /tmp/aml screen --name "Vladimir Putin" --dob 1952-10-07
//! cargo run --release -p kycd-aml --example aml_cli -- --data-dir /tmp/aml screen --batch negatives.csv
//! ```

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use kycd_aml::cli::{
    self, BatchOptions, ImportOptions, ScreenCommon, ScreenOptions, UpdateOptions,
};
use kycd_aml::update::UpdateEvent;
use kycd_aml::{AmlError, Format};

#[derive(Parser)]
#[command(name = "aml_cli", about = "kycd AML screening (library example)")]
struct Cli {
    /// Data directory (lists are stored in <data-dir>/lists/).
    #[arg(long, default_value = "./data")]
    data_dir: PathBuf,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Manage sanctions / PEP lists.
    Lists {
        #[command(subcommand)]
        cmd: ListsCmd,
    },
    /// Screen a name or a CSV batch.
    Screen(ScreenArgs),
}

#[derive(Subcommand)]
enum ListsCmd {
    /// Import list files.
    Import {
        /// ofac-csv | ofac-xml | un-xml | eu-xml | uk-csv | ftm | eu-aggregate-json
        #[arg(long)]
        format: String,
        /// Store key (default from the source).
        #[arg(long)]
        key: Option<String>,
        /// Input files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Download the official lists.
    Update,
    /// Show stored lists.
    Status {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct ScreenArgs {
    /// Full name.
    #[arg(long, conflicts_with = "batch", required_unless_present = "batch")]
    name: Option<String>,
    /// Date of birth YYYY-MM-DD.
    #[arg(long)]
    dob: Option<String>,
    /// Nationality (ISO alpha-2).
    #[arg(long)]
    nationality: Option<String>,
    /// Gender (male/female).
    #[arg(long)]
    gender: Option<String>,
    /// CSV file (yente benchmark columns).
    #[arg(long)]
    batch: Option<PathBuf>,
    /// JSON output.
    #[arg(long)]
    json: bool,
    /// Threshold 0-100 (default 85).
    #[arg(long)]
    threshold: Option<u8>,
    /// Also match organisations, vessels, aircraft.
    #[arg(long)]
    any_kind: bool,
    /// Batch: ignore DOB / nationality / gender columns.
    #[arg(long)]
    names_only: bool,
    /// Batch: print every row.
    #[arg(long)]
    all_rows: bool,
    /// Batch: screen the file N times, keep each query's fastest time.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Benchmark only: pad the index with synthetic typo copies up to N names.
    #[arg(long)]
    pad_to_names: Option<usize>,
}

fn run(cli: Cli) -> Result<(), AmlError> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cli.cmd {
        Cmd::Lists {
            cmd: ListsCmd::Import { format, key, paths },
        } => {
            let format: Format = format.parse()?;
            cli::lists_import(
                &ImportOptions {
                    data_dir: cli.data_dir,
                    format,
                    paths,
                    key,
                },
                &mut out,
            )?;
        }
        Cmd::Lists {
            cmd: ListsCmd::Update,
        } => {
            let mut progress = |ev: UpdateEvent| {
                if let UpdateEvent::Progress { key, bytes, total } = &ev {
                    let pct = total
                        .map(|t| format!(" ({:.0}%)", *bytes as f64 * 100.0 / t.max(1) as f64))
                        .unwrap_or_default();
                    eprint!("\r{key}: {} kB{pct}   ", bytes / 1024);
                } else if let UpdateEvent::Failed { key, error } = &ev {
                    eprintln!("\r{key}: failed: {error}");
                } else if let UpdateEvent::Updated(m) = &ev {
                    eprintln!("\r{}: done", m.key);
                }
            };
            let r = cli::lists_update(
                &UpdateOptions {
                    data_dir: cli.data_dir,
                    sources: None,
                },
                &mut out,
                &mut progress,
            )?;
            if r.updated.is_empty() && !r.failed.is_empty() {
                return Err(AmlError::Invalid("every list failed to update".into()));
            }
        }
        Cmd::Lists {
            cmd: ListsCmd::Status { json },
        } => {
            cli::lists_status(&cli.data_dir, json, &mut out)?;
        }
        Cmd::Screen(a) => {
            let common = ScreenCommon {
                data_dir: cli.data_dir,
                json: a.json,
                threshold: a.threshold,
                any_kind: a.any_kind,
                pad_to_names: a.pad_to_names,
            };
            if let Some(file) = a.batch {
                cli::screen_batch(
                    &BatchOptions {
                        common,
                        file,
                        names_only: a.names_only,
                        all_rows: a.all_rows,
                        repeat: a.repeat,
                    },
                    &mut out,
                )?;
            } else {
                let name = a.name.unwrap_or_default();
                cli::screen_one(
                    &ScreenOptions {
                        common,
                        name,
                        dob: a.dob,
                        nationality: a.nationality,
                        gender: a.gender,
                    },
                    &mut out,
                )?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
