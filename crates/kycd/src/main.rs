//! The `kycd` binary: CLI, configuration, telemetry and wiring of the concrete backends.

mod aml;
mod backup;
mod config;
mod keys;
mod operator;
mod ops;
mod partner;
mod serve;
mod verify;
mod vision;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// kycd — self-hosted identity verification, wire-compatible with iDenfy's KYC API.
#[derive(Debug, Parser)]
#[command(name = "kycd", version, about)]
struct Cli {
    /// Optional TOML configuration file (environment variables override it).
    #[arg(long, global = true, env = "KYCD_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the HTTP API and the in-process workers.
    Serve {
        /// `all` (API + workers, default), `api` (no workers) or `worker` (no HTTP API).
        #[arg(long, default_value = "all", value_parser = ["all", "api", "worker"])]
        role: String,
    },
    /// Manages partners (API clients).
    Partner {
        #[command(subcommand)]
        action: partner::PartnerCommand,
    },
    /// Applies database migrations and exits.
    Migrate,
    /// Sanctions and PEP lists: import, update, status.
    Lists {
        #[command(subcommand)]
        action: aml::ListsCommand,
    },
    /// Screens a name (or a CSV batch) against the stored sanctions/PEP lists.
    Screen(aml::ScreenArgs),
    /// AML monitoring: the monitored subjects and their alert state.
    Aml {
        #[command(subcommand)]
        action: aml::AmlCommand,
    },
    /// Machine-readable zone tools.
    Mrz {
        #[command(subcommand)]
        action: vision::MrzCommand,
    },
    /// Face tools.
    Face {
        #[command(subcommand)]
        action: vision::FaceCommand,
    },
    /// Runs the whole verification pipeline offline on files and prints the webhook-shaped result.
    Verify(verify::VerifyArgs),
    /// Review-console operators (people): create, list, disable, enable, reset-password.
    Operator {
        #[command(subcommand)]
        action: operator::OperatorCommand,
    },
    /// Manual review.
    Review {
        #[command(subcommand)]
        action: ops::ReviewCommand,
    },
    /// Webhook deliveries: list attempts, replay.
    Webhooks {
        #[command(subcommand)]
        action: ops::WebhooksCommand,
    },
    /// Backups of an embedded installation (SQLite + local blobs), taken while it runs: `--to DIR` takes one,
    /// `--verify DIR` checks one. The master key is never written to a backup.
    Backup(backup::BackupArgs),
    /// Restores a backup (`kycd backup --to`) into an empty data dir, after verifying it.
    Restore(backup::RestoreArgs),
    /// Master key: `kycd keys rotate` introduces a new one and re-wraps every data key online; `kycd keys status`.
    Keys {
        #[command(subcommand)]
        action: keys::KeysCommand,
    },
    /// Store consistency: `kycd store check` verifies that every verification's images exist and decrypt.
    Store {
        #[command(subcommand)]
        action: backup::StoreCommand,
    },
}

/// Large image buffers (decoded uploads, RGB frames) are allocated and freed all the time. glibc raises its mmap
/// threshold after each large free, after which such buffers come from the heap arenas and their pages are kept
/// (RSS measured 1.34 GiB instead of 1.09 GiB under 8 concurrent 20 MB uploads with 4 pipelines). A fixed 1 MiB
/// threshold keeps them in their own mappings, returned to the OS on free.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: mallopt only changes allocator parameters; it is called first thing in main, before other threads.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 4 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

fn main() {
    tune_allocator();
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("kycd: error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    let cfg = config::Config::load(cli.config.as_deref())?;
    serve::init_tracing(&cfg);
    match cli.command {
        Command::Lists { action } => return aml::lists(&cfg, action),
        Command::Screen(args) => return aml::screen(&cfg, args),
        Command::Mrz { action } => return vision::mrz(&cfg.models_dir, action),
        Command::Face { action } => return vision::face(&cfg.models_dir, action),
        _ => {}
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match cli.command {
            Command::Serve { role } => serve::serve(cfg, &role).await,
            Command::Partner { action } => partner::run(cfg, action).await,
            Command::Verify(args) => verify::verify(cfg, args).await,
            Command::Operator { action } => operator::run(cfg, action).await,
            Command::Review { action } => ops::review(cfg, action).await,
            Command::Webhooks { action } => ops::webhooks(cfg, action).await,
            Command::Backup(args) => backup::backup(cfg, args).await,
            Command::Restore(args) => backup::restore(cfg, args).await,
            Command::Store { action } => backup::store(cfg, action).await,
            Command::Keys { action } => keys::run(cfg, action).await,
            Command::Aml { action } => aml::run(cfg, action).await,
            Command::Migrate => {
                let store = serve::open_store(&cfg).await?;
                store.close().await;
                println!("migrations applied");
                Ok(())
            }
            Command::Lists { .. }
            | Command::Screen(_)
            | Command::Mrz { .. }
            | Command::Face { .. } => Ok(()),
        }
    })
}
