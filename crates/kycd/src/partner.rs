//! `kycd partner create|list|update|disable|enable`.
//!
//! Settings changed with `update` apply at once in every process sharing the database: the API reads the partner
//! row per request (its authentication extractor) and the worker per job; nothing caches it.

use crate::config::Config;
use crate::serve::open_store;
use anyhow::{Result, bail};
use base64::Engine;
use clap::{Subcommand, ValueEnum};
use kycd_store::{Keyring, NewPartner, PartnerRow, PartnerUpdate, StoreError, TokenDefaults};
use kycd_types::DocumentType;

/// An on/off switch on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

impl Switch {
    fn on(self) -> bool {
        self == Switch::On
    }
}

/// The longest `expiryTime` `/api/v2/token` accepts (30 days), in seconds.
const MAX_EXPIRY_TIME: i64 = 2_592_000;

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
        /// AML screening (sanctions and PEP lists) as part of this partner's service; with `off` no verification
        /// of the partner is screened, whatever its token's `checkAml` says.
        #[arg(long, value_enum, default_value_t = Switch::On)]
        aml: Switch,
    },
    /// Lists partners (without secrets).
    List,
    /// Changes a partner's settings; only the options given change. The change applies at once to new tokens,
    /// new verification jobs and new webhooks in every process sharing the database.
    Update {
        /// The partner's name, or its API key. Names are not unique: when several partners share the name, the
        /// command refuses and the partner must be named by its API key.
        partner: String,
        /// Default webhook URL (https://; http:// only with KYCD_WEBHOOK_ALLOW_PRIVATE=true); an empty value
        /// removes it.
        #[arg(long)]
        webhook_url: Option<String>,
        /// Hold every automatic result for manual review (`final: false`).
        #[arg(long, value_name = "true|false")]
        manual_review: Option<bool>,
        /// AML screening on or off for this partner.
        #[arg(long, value_enum)]
        aml: Option<Switch>,
        /// Direct processing (`/api/v2/process`) on or off.
        #[arg(long, value_name = "true|false")]
        direct_processing: Option<bool>,
        /// Default `expiryTime` of new tokens, in seconds (1 to 2592000); an empty value removes the default.
        #[arg(long, value_name = "SECS")]
        default_expiry_time: Option<String>,
        /// Default `documents` of new tokens, comma-separated (PASSPORT,ID_CARD,DRIVER_LICENSE,RESIDENCE_PERMIT,
        /// ...); an empty value removes the default.
        #[arg(long, value_name = "TYPES")]
        default_documents: Option<String>,
        /// Default `country` of new tokens (ISO 3166-1 alpha-2, e.g. LT); an empty value removes the default.
        #[arg(long, value_name = "CC")]
        default_country: Option<String>,
    },
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

/// The webhook URL rule of `create` and `update`: https://, or http:// when private webhooks are allowed.
fn check_webhook_url(url: &str, allow_private: bool) -> Result<()> {
    if !(url.starts_with("https://") || (allow_private && url.starts_with("http://")))
        || url.chars().any(char::is_whitespace)
    {
        bail!(
            "--webhook-url must be an https:// URL (http:// only with KYCD_WEBHOOK_ALLOW_PRIVATE=true)"
        );
    }
    Ok(())
}

/// `Some(None)` for an empty value (remove the setting), `Some(Some(v))` for a valid one.
fn clearable<T>(
    value: Option<String>,
    parse: impl FnOnce(&str) -> Result<T>,
) -> Result<Option<Option<T>>> {
    match value.as_deref().map(str::trim) {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(v) => Ok(Some(Some(parse(v)?))),
    }
}

fn parse_expiry_time(v: &str) -> Result<i64> {
    match v.parse::<i64>() {
        Ok(n) if (1..=MAX_EXPIRY_TIME).contains(&n) => Ok(n),
        _ => bail!(
            "--default-expiry-time must be a whole number of seconds from 1 to {MAX_EXPIRY_TIME}, not '{v}'"
        ),
    }
}

fn parse_documents(v: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for item in v.split(',').map(str::trim) {
        let Ok(d) = item.to_ascii_uppercase().parse::<DocumentType>() else {
            bail!(
                "--default-documents: unknown document type '{item}' (expected names such as PASSPORT, ID_CARD, \
                 DRIVER_LICENSE, RESIDENCE_PERMIT, comma-separated)"
            );
        };
        let name = d.as_str().to_string();
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(out)
}

fn parse_country(v: &str) -> Result<String> {
    let up = v.to_ascii_uppercase();
    if !kycd_mrz::country::is_alpha2(&up) {
        bail!("--default-country must be an ISO 3166-1 alpha-2 code such as LT, not '{v}'");
    }
    Ok(up)
}

/// A partner as printed by `list` and `update` (no secrets).
fn partner_json(p: &PartnerRow) -> serde_json::Value {
    serde_json::json!({
        "id": p.id, "name": p.name, "apiKey": p.api_key, "directProcessing": p.direct_processing,
        "manualReview": p.manual_review, "webhookUrl": p.webhook_url, "aml": p.aml,
        "tokenDefaults": p.token_defaults, "disabled": p.disabled, "createdAt": p.created_at,
    })
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
            aml,
        } => {
            if name.trim().is_empty() {
                bail!("--name must not be empty");
            }
            if let Some(u) = &webhook_url {
                check_webhook_url(u, cfg.webhook_allow_private)?;
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
                    aml: aml.on(),
                    token_defaults: TokenDefaults::default(),
                })
                .await?;
            serde_json::json!({ "apiKey": api_key, "apiSecret": api_secret, "signingKey": signing_key }).to_string()
        }
        PartnerCommand::List => {
            let list: Vec<_> = store
                .list_partners()
                .await?
                .iter()
                .map(partner_json)
                .collect();
            serde_json::to_string_pretty(&list)?
        }
        PartnerCommand::Update {
            partner,
            webhook_url,
            manual_review,
            aml,
            direct_processing,
            default_expiry_time,
            default_documents,
            default_country,
        } => {
            let update = PartnerUpdate {
                webhook_url: clearable(webhook_url, |u| {
                    check_webhook_url(u, cfg.webhook_allow_private)?;
                    Ok(u.to_string())
                })?,
                manual_review,
                aml: aml.map(Switch::on),
                direct_processing,
                default_expiry_time: clearable(default_expiry_time, parse_expiry_time)?,
                default_documents: clearable(default_documents, parse_documents)?,
                default_country: clearable(default_country, parse_country)?,
            };
            if update.is_empty() {
                bail!(
                    "nothing to change: give at least one of --webhook-url, --manual-review, --aml, \
                     --direct-processing, --default-expiry-time, --default-documents, --default-country"
                );
            }
            match store.update_partner(&partner, &update).await {
                Ok(Some(p)) => serde_json::to_string_pretty(&partner_json(&p))?,
                Ok(None) => bail!("no partner with name or API key '{partner}'"),
                // Several partners share the name.
                Err(StoreError::Conflict(why)) => bail!("{why}"),
                Err(e) => return Err(e.into()),
            }
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
