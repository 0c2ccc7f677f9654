//! `kycd partner create|list|update|disable|enable|rotate-secret|rotate-signing-key|confirm-signing-key`.
//!
//! Settings changed with `update` apply at once in every process sharing the database: the API reads the partner
//! row per request (its authentication extractor) and the worker per job; nothing caches it.

use crate::config::Config;
use anyhow::{Result, bail};
use base64::Engine;
use clap::{Subcommand, ValueEnum};
use kycd_store::{NewPartner, PartnerRow, PartnerUpdate, Store, StoreError, TokenDefaults, now_ms};
use kycd_types::DocumentType;
use std::time::Duration;

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
        /// A sandbox partner (iDenfy's DEV environment): its tokens may carry `dummyStatus` (APPROVED, DENIED,
        /// SUSPECTED, REVIEWING, EXPIRED); such verifications run no analysis and get a canned result webhook, and
        /// `/api/v2/add-dummy-status` sets their manual result. Give a sandbox partner its own name and keys.
        #[arg(long)]
        sandbox: bool,
        /// Monitor every approved verification of the partner for AML (iDenfy's `autoAmlMonitoring`): after each
        /// list change its holder is screened again and a changed result is sent as an `AML_MONITORING` webhook.
        #[arg(long, value_enum, default_value_t = Switch::Off)]
        aml_monitoring: Switch,
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
        /// Sandbox on or off: whether the partner's tokens may carry `dummyStatus`.
        #[arg(long, value_name = "true|false")]
        sandbox: Option<bool>,
        /// Automatic AML monitoring of approved verifications on or off.
        #[arg(long, value_enum)]
        aml_monitoring: Option<Switch>,
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
    /// Replaces a partner's API secret and prints `{"apiKey", "apiSecret", "previousSecretValidUntil"}` once.
    /// The old secret keeps authenticating until the overlap ends, then only the new one does.
    RotateSecret {
        /// The partner's name, or its API key (as for `update`).
        partner: String,
        /// How long the old secret stays valid: e.g. 24h, 30m, 90s, 1h30m, 7d; 0 stops it at once.
        #[arg(long, default_value = "24h", value_parser = parse_overlap)]
        overlap: Duration,
        /// Rotate even while the overlap of an earlier rotation runs (the secret before the current one then stops
        /// at once).
        #[arg(long)]
        force: bool,
    },
    /// Replaces a partner's webhook signing key and prints `{"apiKey", "signingKey", "previousSigningKeyValidUntil"}`
    /// once. During the overlap `webhook-signature` carries a signature of each key (new first) and
    /// `Idenfy-Signature` stays on the old key until `confirm-signing-key` or the end of the overlap.
    RotateSigningKey {
        /// The partner's name, or its API key (as for `update`).
        partner: String,
        /// How long webhooks are still signed with the old key: e.g. 24h, 30m, 90s; 0 switches at once.
        #[arg(long, default_value = "24h", value_parser = parse_overlap)]
        overlap: Duration,
        /// Rotate even while the overlap of an earlier rotation runs.
        #[arg(long)]
        force: bool,
    },
    /// Records that the partner verifies `Idenfy-Signature` with its new signing key: from the next webhook on it
    /// is made with the new key (`webhook-signature` keeps both until the overlap ends).
    ConfirmSigningKey {
        /// The partner's name, or its API key (as for `update`).
        partner: String,
    },
}

/// The longest overlap `--overlap` accepts.
const MAX_OVERLAP: Duration = Duration::from_secs(365 * 86_400);

/// Parses an overlap such as `24h`, `30m`, `90s`, `1h30m`, `7d` or `0`: one or more whole numbers each followed by
/// a unit (`d`, `h`, `m`, `s`); a bare `0` means none. At most 365 days.
pub(crate) fn parse_overlap(v: &str) -> Result<Duration, String> {
    let v = v.trim();
    let bad = || {
        format!(
            "'{v}' is not a duration: use a number with a unit (d, h, m, s), e.g. 24h, 30m, 90s, 1h30m, or 0"
        )
    };
    if v == "0" {
        return Ok(Duration::ZERO);
    }
    if v.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut rest = v;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        let unit = match rest[digits..].chars().next() {
            Some('d') => 86_400,
            Some('h') => 3_600,
            Some('m') => 60,
            Some('s') => 1,
            _ => return Err(bad()),
        };
        total = n
            .checked_mul(unit)
            .and_then(|secs| total.checked_add(secs))
            .ok_or_else(bad)?;
        rest = &rest[digits + 1..];
    }
    let d = Duration::from_secs(total);
    if d > MAX_OVERLAP {
        return Err(format!("--overlap '{v}' is longer than 365 days"));
    }
    Ok(d)
}

fn overlap_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A time (ms since the epoch) as RFC 3339 UTC, e.g. `2026-12-08T06:30:00Z`.
pub(crate) fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| ms.to_string())
}

/// The end of an overlap that is still running at `now`, as RFC 3339.
fn running(until: Option<i64>, now: i64) -> Option<String> {
    until.filter(|u| *u > now).map(rfc3339)
}

/// The refusal of a rotation: an earlier overlap still runs (with when it ends and how to proceed), or the store's
/// own reason (a name several partners share).
async fn refused(store: &Store, partner: &str, why: String, secret: bool) -> anyhow::Error {
    let now = now_ms();
    let until = match store.partner_by_key_or_name(partner).await {
        Ok(Some(p)) if secret => running(p.prev_secret_until, now),
        Ok(Some(p)) => running(p.prev_signing_key_until, now),
        _ => None,
    };
    match until {
        Some(u) => anyhow::anyhow!(
            "{why}; it ends at {u}. Wait until then, or pass --force to stop the previous {} at once",
            if secret { "secret" } else { "signing key" }
        ),
        None => anyhow::anyhow!("{why}"),
    }
}

fn random_token(bytes: usize) -> Result<String> {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).map_err(|_| anyhow::anyhow!("random generator failed"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}

/// A new API secret: 256 random bits, URL-safe base64.
fn new_api_secret() -> Result<String> {
    random_token(32)
}

/// A new webhook signing key: 32 random bytes as 64 hex characters (the partner signs with the string's bytes).
fn new_signing_key() -> Result<String> {
    let mut sk = [0u8; 32];
    getrandom::fill(&mut sk).map_err(|_| anyhow::anyhow!("random generator failed"))?;
    Ok(hex(&sk))
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
        "manualReview": p.manual_review, "webhookUrl": p.webhook_url, "aml": p.aml, "sandbox": p.sandbox,
        "amlMonitoring": p.aml_monitoring,
        "tokenDefaults": p.token_defaults, "disabled": p.disabled, "createdAt": p.created_at,
        "previousSecretValidUntil": running(p.prev_secret_until, now_ms()),
        "previousSigningKeyValidUntil": running(p.prev_signing_key_until, now_ms()),
        "signingKeyConfirmedAt": p.signing_key_confirmed_at.filter(|_| p.previous_signing_key_enc(now_ms()).is_some())
            .map(rfc3339),
    })
}

/// Runs a partner command.
pub async fn run(cfg: Config, cmd: PartnerCommand) -> Result<()> {
    let (store, keyring) = crate::serve::open_keyed(&cfg).await?;
    let out = match cmd {
        PartnerCommand::Create {
            name,
            direct_processing,
            webhook_url,
            manual_review,
            aml,
            sandbox,
            aml_monitoring,
        } => {
            if name.trim().is_empty() {
                bail!("--name must not be empty");
            }
            if let Some(u) = &webhook_url {
                check_webhook_url(u, cfg.webhook_allow_private)?;
            }
            let api_key = random_token(15)?;
            let api_secret = new_api_secret()?;
            let signing_key = new_signing_key()?;
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
                    sandbox,
                    aml_monitoring: aml_monitoring.on(),
                    token_defaults: TokenDefaults::default(),
                })
                .await?;
            serde_json::json!({
                "apiKey": api_key, "apiSecret": api_secret, "signingKey": signing_key, "sandbox": sandbox,
            })
            .to_string()
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
            sandbox,
            aml_monitoring,
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
                sandbox,
                aml_monitoring: aml_monitoring.map(Switch::on),
                default_expiry_time: clearable(default_expiry_time, parse_expiry_time)?,
                default_documents: clearable(default_documents, parse_documents)?,
                default_country: clearable(default_country, parse_country)?,
            };
            if update.is_empty() {
                bail!(
                    "nothing to change: give at least one of --webhook-url, --manual-review, --aml, \
                     --direct-processing, --sandbox, --aml-monitoring, --default-expiry-time, --default-documents, --default-country"
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
        PartnerCommand::RotateSecret {
            partner,
            overlap,
            force,
        } => {
            let api_secret = new_api_secret()?;
            let hash = keyring.hash_secret(&api_secret);
            match store
                .rotate_partner_secret(&partner, &hash, overlap_ms(overlap), force)
                .await
            {
                Ok(Some(p)) => serde_json::json!({
                    "apiKey": p.api_key, "apiSecret": api_secret,
                    "previousSecretValidUntil": running(p.prev_secret_until, now_ms()),
                })
                .to_string(),
                Ok(None) => bail!("no partner with name or API key '{partner}'"),
                Err(StoreError::Conflict(why)) => {
                    return Err(refused(&store, &partner, why, true).await);
                }
                Err(e) => return Err(e.into()),
            }
        }
        PartnerCommand::RotateSigningKey {
            partner,
            overlap,
            force,
        } => {
            let signing_key = new_signing_key()?;
            let enc = keyring.encrypt(signing_key.as_bytes())?;
            match store
                .rotate_partner_signing_key(&partner, &enc, overlap_ms(overlap), force)
                .await
            {
                Ok(Some(p)) => serde_json::json!({
                    "apiKey": p.api_key, "signingKey": signing_key,
                    "previousSigningKeyValidUntil": running(p.prev_signing_key_until, now_ms()),
                })
                .to_string(),
                Ok(None) => bail!("no partner with name or API key '{partner}'"),
                Err(StoreError::Conflict(why)) => {
                    return Err(refused(&store, &partner, why, false).await);
                }
                Err(e) => return Err(e.into()),
            }
        }
        PartnerCommand::ConfirmSigningKey { partner } => {
            match store.confirm_partner_signing_key(&partner).await {
                Ok(Some(p)) => serde_json::json!({
                    "apiKey": p.api_key,
                    "signingKeyConfirmedAt": p.signing_key_confirmed_at.map(rfc3339),
                    "previousSigningKeyValidUntil": running(p.prev_signing_key_until, now_ms()),
                })
                .to_string(),
                Ok(None) => bail!("no partner with name or API key '{partner}'"),
                Err(StoreError::Conflict(why)) => bail!("{why}"),
                Err(e) => return Err(e.into()),
            }
        }
    };
    store.close().await;
    println!("{out}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlaps_parse() {
        let secs = |v: &str| parse_overlap(v).map(|d| d.as_secs());
        assert_eq!(secs("24h"), Ok(86_400));
        assert_eq!(secs("30m"), Ok(1_800));
        assert_eq!(secs("90s"), Ok(90));
        assert_eq!(secs("0"), Ok(0));
        assert_eq!(secs("0s"), Ok(0));
        assert_eq!(secs(" 7d "), Ok(7 * 86_400));
        assert_eq!(secs("1h30m"), Ok(5_400));
        assert_eq!(secs("1d2h3m4s"), Ok(93_784));
        assert_eq!(secs("365d"), Ok(365 * 86_400));
        for bad in [
            "",
            "h",
            "24",
            "24x",
            "1.5h",
            "-1h",
            "h24",
            "1h30",
            "24 h",
            "366d",
            "99999999999999999999s",
            "18446744073709551615d",
            "２h",
        ] {
            assert!(parse_overlap(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn overlaps_round_trip_over_many_values() {
        // A deterministic sweep standing in for a property test: every split of a duration into d/h/m/s parts
        // parses back to its total, and any trailing garbage is refused.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (d, h, m, s) = (x % 100, (x >> 8) % 48, (x >> 16) % 120, (x >> 24) % 200);
            let text = format!("{d}d{h}h{m}m{s}s");
            let want = d * 86_400 + h * 3_600 + m * 60 + s;
            assert_eq!(
                parse_overlap(&text).map(|d| d.as_secs()),
                Ok(want),
                "{text}"
            );
            assert_eq!(parse_overlap(&format!("{s}s")).map(|d| d.as_secs()), Ok(s));
            assert!(parse_overlap(&format!("{text}{}", d % 10)).is_err());
            assert!(parse_overlap(&format!("{text}q")).is_err());
        }
    }

    #[test]
    fn times_print_as_rfc3339_and_only_while_running() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_796_625_000_000), "2026-12-07T06:30:00Z");
        assert_eq!(running(None, 5), None);
        assert_eq!(running(Some(5), 5), None);
        assert_eq!(
            running(Some(1_000), 5).as_deref(),
            Some("1970-01-01T00:00:01Z")
        );
    }
}
