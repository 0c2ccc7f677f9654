//! `kycd lists import|update|status|diff` and `kycd screen`: the clap layer and the commands live in
//! `kycd_aml::cli` (shared with the crate's `aml_cli` example); this module only supplies the
//! data dir from the configuration. `kycd aml subjects|stop` list and stop the AML monitoring subjects.

use crate::config::Config;
use anyhow::{Result, bail};
use clap::Subcommand;
pub use kycd_aml::cli::{ListsCommand, ScreenArgs};

/// Runs a lists command.
pub fn lists(cfg: &Config, cmd: ListsCommand) -> Result<()> {
    let mut out = std::io::stdout().lock();
    kycd_aml::cli::run_lists(&cfg.data_dir, cmd, &mut out, &mut std::io::stderr())?;
    Ok(())
}

/// Runs `kycd screen`: one name, or a batch file with exactly one output line per data row.
pub fn screen(cfg: &Config, args: ScreenArgs) -> Result<()> {
    let mut out = std::io::stdout().lock();
    kycd_aml::cli::run_screen(&cfg.data_dir, args, &mut out)?;
    Ok(())
}

/// `kycd aml …`: AML monitoring subjects.
#[derive(Debug, Subcommand)]
pub enum AmlCommand {
    /// Lists the monitored subjects with their alert state (no personal data unless `--names`).
    Subjects {
        /// Also the stopped and expired ones.
        #[arg(long)]
        all: bool,
        /// Show the subjects' names and dates of birth.
        #[arg(long)]
        names: bool,
        /// JSON lines output.
        #[arg(long)]
        json: bool,
    },
    /// Screens every monitored subject in full against the stored lists now (with `--full`, also those already
    /// screened by the current logic), sending the webhooks of changed results; a progress bar on a terminal.
    Rescreen {
        /// Every subject, not only those never screened by the current matching logic.
        #[arg(long)]
        full: bool,
    },
    /// Stops monitoring a subject.
    Stop {
        /// The monitoringId.
        monitoring_id: String,
    },
}

/// Runs an `aml` command.
pub async fn run(cfg: Config, cmd: AmlCommand) -> Result<()> {
    let (store, _) = crate::serve::open_keyed(&cfg).await?;
    match cmd {
        AmlCommand::Subjects { all, names, json } => {
            let mut after: Option<String> = None;
            if !json {
                println!(
                    "{:<36} {:<8} {:<9} {:<13} {:>7} {:<10} {:<36}{}",
                    "monitoringId",
                    "type",
                    "active",
                    "alert",
                    "matches",
                    "expires",
                    "scanRef",
                    if names { " name" } else { "" }
                );
            }
            loop {
                let batch = store.subjects(after.as_deref(), 1000, all, None).await?;
                let Some(last) = batch.last() else { break };
                after = Some(last.monitoring_id.clone());
                for s in batch {
                    let expires =
                        kycd_mrz::Date::from_days_since_epoch(s.expires_at.div_euclid(86_400_000))
                            .to_iso();
                    let name = [Some(s.data.name.as_str()), s.data.surname.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ");
                    if json {
                        let mut v = serde_json::json!({
                            "monitoringId": s.monitoring_id, "type": s.kind, "partnerId": s.partner_id,
                            "isActive": s.active, "alertStatus": s.alert_status, "matches": s.hits,
                            "expiration": expires, "scanRef": s.scan_ref,
                        });
                        if names {
                            v["name"] = name.into();
                            v["dateOfBirth"] = s.data.date_of_birth.clone().into();
                        }
                        println!("{v}");
                    } else {
                        println!(
                            "{:<36} {:<8} {:<9} {:<13} {:>7} {:<10} {:<36}{}",
                            s.monitoring_id,
                            s.kind,
                            if s.active { "yes" } else { "no" },
                            s.alert_status,
                            s.hits.len(),
                            expires,
                            s.scan_ref.as_deref().unwrap_or("-"),
                            if names {
                                format!(" {name}")
                            } else {
                                String::new()
                            }
                        );
                    }
                }
            }
        }
        AmlCommand::Rescreen { full } => {
            use std::io::IsTerminal;
            if full {
                store.reset_subject_screens().await?;
            }
            let service = std::sync::Arc::new(
                kycd_aml::ScreeningService::load(&cfg.data_dir)
                    .map_err(|e| anyhow::anyhow!("cannot load the sanctions lists: {e}"))?,
            );
            let tty = std::io::stderr().is_terminal();
            let monitor = kycd_engines::monitoring::Monitor::new(
                store.clone(),
                service,
                cfg.data_dir.clone(),
                vec![],
                format!("kycd-cli-{}", std::process::id()),
            )
            .with_progress(move |done, total| {
                if tty {
                    eprint!(
                        "\rre-screening {} {done}/{total}",
                        kycd_aml::cli::bar(done as u64, total as u64, 30)
                    );
                }
            });
            // The lease of the monitor: a running server does not screen the same subjects meanwhile.
            let holder = format!("kycd-cli-{}", std::process::id());
            let lease = kycd_engines::monitoring::REFRESH_LEASE;
            if !store
                .take_lease(lease, &holder, kycd_store::now_ms() + 6 * 3600 * 1000)
                .await?
            {
                bail!(
                    "a server is refreshing the lists or re-screening the subjects right now; try again shortly"
                );
            }
            let t = std::time::Instant::now();
            let s = monitor.screen_pending().await;
            store.release_lease(lease, &holder).await?;
            let s = s?;
            if tty {
                eprintln!();
            }
            println!(
                "{}",
                serde_json::json!({"screened": s.screened, "alerts": s.alerts, "seconds": t.elapsed().as_secs_f64()})
            );
        }
        AmlCommand::Stop { monitoring_id } => {
            let Some(s) = store.subject(&monitoring_id).await? else {
                bail!("no AML monitoring '{monitoring_id}'");
            };
            store.stop_subject(s.partner_id, &monitoring_id).await?;
            println!(
                "{}",
                serde_json::json!({"monitoringId": monitoring_id, "isActive": false})
            );
        }
    }
    store.close().await;
    Ok(())
}
