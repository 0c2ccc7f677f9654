//! `kycd lists import|update|status` and `kycd screen`: thin wrappers over `kycd_aml::cli`.

use crate::config::Config;
use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use kycd_aml::cli::{
    self, BatchOptions, ImportOptions, ScreenCommon, ScreenOptions, UpdateOptions,
};
use kycd_aml::update::UpdateEvent;
use std::io::Write;
use std::path::PathBuf;

/// Sanctions/PEP list management.
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
}

/// `kycd screen` flags.
#[derive(Debug, Args)]
pub struct ScreenArgs {
    /// Full name to screen.
    #[arg(long, conflicts_with = "batch", required_unless_present = "batch")]
    name: Option<String>,
    /// Date of birth (YYYY-MM-DD, or YYYY).
    #[arg(long)]
    dob: Option<String>,
    /// Nationality (ISO alpha-2).
    #[arg(long)]
    nationality: Option<String>,
    /// Gender (`male`/`female`).
    #[arg(long)]
    gender: Option<String>,
    /// A CSV file of queries (columns as the yente benchmark files).
    #[arg(long)]
    batch: Option<PathBuf>,
    /// JSON output.
    #[arg(long)]
    json: bool,
    /// Alert threshold, 0–100.
    #[arg(long)]
    threshold: Option<u8>,
    /// Ignore DOB/nationality columns of the batch file.
    #[arg(long)]
    names_only: bool,
}

/// Runs a lists command.
pub fn lists(cfg: &Config, cmd: ListsCommand) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match cmd {
        ListsCommand::Import { format, key, paths } => {
            let format = format
                .parse()
                .map_err(|e| anyhow::anyhow!("--format: {e}"))?;
            cli::lists_import(
                &ImportOptions {
                    data_dir: cfg.data_dir.clone(),
                    format,
                    paths,
                    key,
                },
                &mut out,
            )?;
        }
        ListsCommand::Update => {
            let mut err = std::io::stderr();
            let report = cli::lists_update(
                &UpdateOptions {
                    data_dir: cfg.data_dir.clone(),
                    sources: None,
                },
                &mut out,
                &mut |ev| {
                    let _ = match ev {
                        UpdateEvent::Started { key, url, .. } => {
                            writeln!(err, "downloading {key} from {url}")
                        }
                        UpdateEvent::Progress { key, bytes, total } => match total {
                            Some(t) if t > 0 => {
                                write!(err, "\r{key}: {:>3}% ({bytes} bytes)", bytes * 100 / t)
                            }
                            _ => write!(err, "\r{key}: {bytes} bytes"),
                        },
                        UpdateEvent::Updated(m) => {
                            writeln!(err, "\r{}: stored ({} entities)", m.key, m.entity_count)
                        }
                        UpdateEvent::Failed { key, error } => {
                            writeln!(err, "\r{key}: FAILED: {error}")
                        }
                    };
                },
            )?;
            if report.updated.is_empty() && !report.failed.is_empty() {
                bail!("no list could be updated");
            }
        }
        ListsCommand::Status { json } => {
            cli::lists_status(&cfg.data_dir, json, &mut out)?;
        }
    }
    Ok(())
}

/// Runs `kycd screen`.
pub fn screen(cfg: &Config, a: ScreenArgs) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let common = ScreenCommon {
        data_dir: cfg.data_dir.clone(),
        json: a.json,
        threshold: a.threshold,
        any_kind: false,
        pad_to_names: None,
    };
    if let Some(file) = a.batch {
        cli::screen_batch(
            &BatchOptions {
                common,
                file,
                names_only: a.names_only,
                all_rows: false,
                repeat: 1,
            },
            &mut out,
        )?;
    } else if let Some(name) = a.name {
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
    Ok(())
}
