//! `kycd partner create|list|disable|enable`.

use crate::config::Config;
use crate::serve::open_store;
use anyhow::{Result, bail};
use base64::Engine;
use clap::Subcommand;
use kycd_store::{Keyring, NewPartner};

/// Partner management commands.
#[derive(Debug, Subcommand)]
pub enum PartnerCommand {
    /// Creates a partner and prints `{"apiKey", "apiSecret", "signingKey"}` once.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Enables direct processing (`/api/v2/process`) for this partner.
        #[arg(long)]
        direct_processing: bool,
        /// Default webhook URL.
        #[arg(long)]
        webhook_url: Option<String>,
        /// Hold every automatic result for manual review (`final: false`).
        #[arg(long)]
        manual_review: bool,
    },
    /// Lists partners (without secrets).
    List,
    /// Disables a partner: its credentials stop working.
    Disable {
        /// The partner's API key.
        api_key: String,
    },
    /// Re-enables a disabled partner.
    Enable {
        /// The partner's API key.
        api_key: String,
    },
}

fn random_token(bytes: usize) -> Result<String> {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).map_err(|_| anyhow::anyhow!("random generator failed"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs a partner command.
pub async fn run(cfg: Config, cmd: PartnerCommand) -> Result<()> {
    let keyring = Keyring::from_master(&cfg.master_key()?)?;
    let store = open_store(&cfg).await?;
    let out = match cmd {
        PartnerCommand::Create {
            name,
            direct_processing,
            webhook_url,
            manual_review,
        } => {
            if name.trim().is_empty() {
                bail!("--name must not be empty");
            }
            if let Some(u) = &webhook_url
                && !(u.starts_with("https://")
                    || (cfg.webhook_allow_private && u.starts_with("http://")))
            {
                bail!(
                    "--webhook-url must be an https:// URL (http:// only with KYCD_WEBHOOK_ALLOW_PRIVATE=true)"
                );
            }
            let api_key = random_token(15)?;
            let api_secret = random_token(32)?; // 256 bits
            let mut sk = [0u8; 32];
            getrandom::fill(&mut sk).map_err(|_| anyhow::anyhow!("random generator failed"))?;
            let signing_key = hex(&sk);
            store
                .create_partner(NewPartner {
                    name,
                    api_key: api_key.clone(),
                    secret_hash: keyring.hash_secret(&api_secret).to_vec(),
                    signing_key_enc: keyring.encrypt(signing_key.as_bytes())?,
                    direct_processing,
                    manual_review,
                    webhook_url,
                })
                .await?;
            serde_json::json!({ "apiKey": api_key, "apiSecret": api_secret, "signingKey": signing_key }).to_string()
        }
        PartnerCommand::List => {
            let list: Vec<_> = store
                .list_partners()
                .await?
                .into_iter()
                .map(|p| {
                    serde_json::json!({
                        "id": p.id, "name": p.name, "apiKey": p.api_key, "directProcessing": p.direct_processing,
                        "manualReview": p.manual_review, "webhookUrl": p.webhook_url, "disabled": p.disabled,
                        "createdAt": p.created_at,
                    })
                })
                .collect();
            serde_json::to_string_pretty(&list)?
        }
        PartnerCommand::Disable { api_key } => {
            if !store.set_partner_disabled(&api_key, true).await? {
                bail!("no partner with API key '{api_key}'");
            }
            serde_json::json!({ "apiKey": api_key, "disabled": true }).to_string()
        }
        PartnerCommand::Enable { api_key } => {
            if !store.set_partner_disabled(&api_key, false).await? {
                bail!("no partner with API key '{api_key}'");
            }
            serde_json::json!({ "apiKey": api_key, "disabled": false }).to_string()
        }
    };
    store.close().await;
    println!("{out}");
    Ok(())
}
