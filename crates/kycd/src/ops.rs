//! Operator commands: `kycd review decide`, `kycd webhooks list|replay`.

use crate::config::Config;
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use kycd_pipeline::decision::review::{ManualDecision, decide_manually};
use kycd_types::{DocumentStatus, FaceStatus};

/// `kycd review …`.
#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Records a manual decision and sends `IDENTIFICATION_MANUAL_FINISHED`.
    Decide {
        /// Verification id.
        scan_ref: String,
        /// `manualFace` (e.g. FACE_MATCH, FACE_MISMATCH).
        #[arg(long)]
        face: String,
        /// `manualDocument` (e.g. DOC_VALIDATED, DOC_EXPIRED).
        #[arg(long)]
        document: String,
    },
}

/// `kycd webhooks …`.
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Lists a verification's webhooks with every delivery attempt.
    List {
        /// Verification id.
        scan_ref: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Sends a verification's webhooks again (the running deliverer picks them up at once).
    Replay {
        /// Verification id.
        scan_ref: String,
    },
}

fn known<T: std::str::FromStr + std::fmt::Debug>(
    value: &str,
    what: &str,
    is_unknown: impl Fn(&T) -> bool,
) -> Result<T> {
    let v: T = value
        .parse()
        .map_err(|_| anyhow::anyhow!("invalid {what}: {value}"))?;
    if is_unknown(&v) {
        bail!("unknown {what}: {value}");
    }
    Ok(v)
}

/// Runs `kycd review`.
pub async fn review(cfg: Config, cmd: ReviewCommand) -> Result<()> {
    let ReviewCommand::Decide {
        scan_ref,
        face,
        document,
    } = cmd;
    let face: FaceStatus = known(&face.to_uppercase(), "face status", |f| {
        matches!(f, FaceStatus::Unknown(_))
    })?;
    let document: DocumentStatus = known(&document.to_uppercase(), "document status", |d| {
        matches!(d, DocumentStatus::Unknown(_))
    })?;
    let store = crate::serve::open_store(&cfg).await?;
    let overall = decide_manually(&store, &scan_ref, &ManualDecision { face, document })
        .await
        .with_context(|| format!("cannot record the decision for {scan_ref}"))?;
    println!(
        "{scan_ref}: {} (IDENTIFICATION_MANUAL_FINISHED queued)",
        overall.as_str()
    );
    store.close().await;
    Ok(())
}

/// Runs `kycd webhooks`.
pub async fn webhooks(cfg: Config, cmd: WebhooksCommand) -> Result<()> {
    let store = crate::serve::open_store(&cfg).await?;
    match cmd {
        WebhooksCommand::List { scan_ref, json } => {
            let rows = store.webhooks_for(&scan_ref, None).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if rows.is_empty() {
                println!("no webhooks for {scan_ref}");
            } else {
                for w in &rows {
                    println!(
                        "{}  {}  {}  attempts {}  {}",
                        w.webhook_id,
                        w.event_type,
                        w.state,
                        w.attempts,
                        w.url.as_deref().unwrap_or("(no URL)")
                    );
                    for a in &w.attempt_log {
                        println!(
                            "    at {}  status {}  {} ms  {}",
                            a.attempted_at,
                            a.status_code.map_or("-".to_string(), |c| c.to_string()),
                            a.duration_ms,
                            a.error.as_deref().unwrap_or("")
                        );
                    }
                }
            }
        }
        WebhooksCommand::Replay { scan_ref } => {
            let n = store.replay_webhooks(&scan_ref, None).await?;
            if n == 0 {
                bail!("no webhooks to replay for {scan_ref}");
            }
            println!("{n} webhook(s) of {scan_ref} queued for delivery");
        }
    }
    store.close().await;
    Ok(())
}
