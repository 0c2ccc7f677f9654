//! Configuration: compiled-in defaults < optional TOML file (`--config`) < `KYCD_*` environment variables,
//! validated at start so the process fails fast with a clear message.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Data directory: SQLite file, blobs, master key, lists.
    pub data_dir: PathBuf,
    /// Listen address.
    pub bind: String,
    /// Database URL (`sqlite://…` or `postgres://…`).
    pub database_url: String,
    /// Allow loopback/private and plain-http webhook targets.
    pub webhook_allow_private: bool,
    /// Console session cookies without `Secure`, for plain-http loopback (`KYCD_CONSOLE_INSECURE_COOKIES`).
    pub console_insecure_cookies: bool,
    /// Delays between webhook attempts (after the first, immediate one).
    pub webhook_retry_schedule: kycd_webhook::RetrySchedule,
    /// Public base URL (file links, redirect URL); defaults to `http://<bound address>`.
    pub public_url: Option<String>,
    /// Master key file (32 bytes, base64); generated on first start.
    pub master_key_file: PathBuf,
    /// Model files.
    pub models_dir: PathBuf,
    /// In-process worker concurrency.
    pub workers: usize,
    /// CPU-bound check work (decoding, OCR, face models) running at once across this process's jobs.
    pub cpu_slots: usize,
    /// Job lease length (seconds), 15 by default (measured: `bench/fleet.py`); workers renew it every third of itself, so a dead worker's job
    /// is claimable again within one lease of its death and a graceful stop releases it at once.
    pub job_lease_secs: u64,
    /// Processing attempts before a job is dead.
    pub job_max_attempts: i64,
    /// `/process` body limit (MB).
    pub max_body_mb: usize,
    /// Image pixel limit.
    pub max_image_pixels: u64,
    /// Lifetime of file links (seconds).
    pub file_url_ttl_secs: i64,
    /// `json` or `pretty`.
    pub log_format: String,
    /// Database pool size.
    pub db_max_connections: u32,
    /// Per-partner requests per second (0 = unlimited).
    pub rate_limit_rps: f64,
    /// Per-partner burst size.
    pub rate_limit_burst: f64,
    /// Erase verifications older than this many days (0 = keep).
    pub retention_days: u64,
    /// S3-compatible blob storage (`KYCD_S3_BUCKET` set); `None` keeps blobs in `<data dir>/blobs`.
    pub s3: Option<kycd_blob::S3Config>,
    /// How often `kycd serve` refreshes the sanctions lists itself (`KYCD_LISTS_REFRESH`, e.g. `30s`, `15m`, `6h`;
    /// default `24h`, first at start); `None` (`off`) disables it.
    pub lists_refresh: Option<std::time::Duration>,
    /// A plain HTTP(S) folder holding the publishers' file names, used instead of their URLs
    /// (`KYCD_LISTS_MIRROR_URL`, for air-gapped sites).
    pub lists_mirror_url: Option<String>,
}

/// The `[s3]` table of the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct S3File {
    bucket: Option<String>,
    endpoint: Option<String>,
    region: Option<String>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    prefix: Option<String>,
}

/// The TOML file: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    bind: Option<String>,
    database_url: Option<String>,
    webhook_allow_private: Option<bool>,
    console_insecure_cookies: Option<bool>,
    webhook_retry_schedule: Option<String>,
    public_url: Option<String>,
    master_key_file: Option<PathBuf>,
    models_dir: Option<PathBuf>,
    workers: Option<usize>,
    cpu_slots: Option<usize>,
    job_lease_secs: Option<u64>,
    job_max_attempts: Option<i64>,
    max_body_mb: Option<usize>,
    max_image_pixels: Option<u64>,
    file_url_ttl_secs: Option<i64>,
    log_format: Option<String>,
    db_max_connections: Option<u32>,
    rate_limit_rps: Option<f64>,
    rate_limit_burst: Option<f64>,
    retention_days: Option<u64>,
    lists_refresh: Option<String>,
    lists_mirror_url: Option<String>,
    s3: Option<S3File>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse_bool(name: &str, v: &str) -> Result<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => bail!("{name} must be true or false, got '{v}'"),
    }
}

fn parse_num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T> {
    v.trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("{name} must be a number, got '{v}'"))
}

impl Config {
    /// Loads the configuration.
    pub fn load(file: Option<&Path>) -> Result<Self> {
        let f: FileConfig = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read config file {}", p.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("invalid config file {}", p.display()))?
            }
            None => FileConfig::default(),
        };
        let data_dir = env("KYCD_DATA_DIR")
            .map(PathBuf::from)
            .or(f.data_dir)
            .unwrap_or_else(|| "./kycd-data".into());
        let bind = env("KYCD_BIND")
            .or(f.bind)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let database_url = env("KYCD_DATABASE_URL")
            .or(f.database_url)
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", data_dir.join("kycd.db").display()));
        let console_insecure_cookies = match env("KYCD_CONSOLE_INSECURE_COOKIES") {
            Some(v) => parse_bool("KYCD_CONSOLE_INSECURE_COOKIES", &v)?,
            None => f.console_insecure_cookies.unwrap_or(false),
        };
        let webhook_allow_private = match env("KYCD_WEBHOOK_ALLOW_PRIVATE") {
            Some(v) => parse_bool("KYCD_WEBHOOK_ALLOW_PRIVATE", &v)?,
            None => f.webhook_allow_private.unwrap_or(false),
        };
        let webhook_retry_schedule = match env("KYCD_WEBHOOK_RETRY_SCHEDULE")
            .or(f.webhook_retry_schedule)
        {
            Some(v) => v.parse().map_err(|e| {
                anyhow::anyhow!(
                    "KYCD_WEBHOOK_RETRY_SCHEDULE must be comma-separated seconds (e.g. 1,2,5): {e}"
                )
            })?,
            None => kycd_webhook::RetrySchedule::default(),
        };
        let num = |name: &str, file: Option<u64>, default: u64| -> Result<u64> {
            match env(name) {
                Some(v) => parse_num(name, &v),
                None => Ok(file.unwrap_or(default)),
            }
        };
        let cfg = Config {
            master_key_file: env("KYCD_MASTER_KEY_FILE")
                .map(PathBuf::from)
                .or(f.master_key_file)
                .unwrap_or_else(|| data_dir.join("master.key")),
            models_dir: env("KYCD_MODELS_DIR")
                .map(PathBuf::from)
                .or(f.models_dir)
                .unwrap_or_else(|| "./models".into()),
            public_url: env("KYCD_PUBLIC_URL").or(f.public_url),
            workers: num("KYCD_WORKERS", f.workers.map(|v| v as u64), 2)? as usize,
            cpu_slots: num(
                "KYCD_CPU_SLOTS",
                f.cpu_slots.map(|v| v as u64),
                kycd_pipeline::checks::default_cpu_slots() as u64,
            )? as usize,
            job_lease_secs: num("KYCD_JOB_LEASE_SECS", f.job_lease_secs, 15)?,
            job_max_attempts: num(
                "KYCD_JOB_MAX_ATTEMPTS",
                f.job_max_attempts.map(|v| v as u64),
                5,
            )? as i64,
            max_body_mb: num("KYCD_MAX_BODY_MB", f.max_body_mb.map(|v| v as u64), 20)? as usize,
            max_image_pixels: num("KYCD_MAX_IMAGE_PIXELS", f.max_image_pixels, 40_000_000)?,
            file_url_ttl_secs: num(
                "KYCD_FILE_URL_TTL_SECS",
                f.file_url_ttl_secs.map(|v| v as u64),
                3600,
            )? as i64,
            log_format: env("KYCD_LOG_FORMAT")
                .or(f.log_format)
                .unwrap_or_else(|| "json".into()),
            db_max_connections: num(
                "KYCD_DB_MAX_CONNECTIONS",
                f.db_max_connections.map(u64::from),
                8,
            )? as u32,
            rate_limit_rps: match env("KYCD_RATE_LIMIT_RPS") {
                Some(v) => parse_num("KYCD_RATE_LIMIT_RPS", &v)?,
                None => f.rate_limit_rps.unwrap_or(200.0),
            },
            rate_limit_burst: match env("KYCD_RATE_LIMIT_BURST") {
                Some(v) => parse_num("KYCD_RATE_LIMIT_BURST", &v)?,
                None => f.rate_limit_burst.unwrap_or(400.0),
            },
            retention_days: num("KYCD_RETENTION_DAYS", f.retention_days, 0)?,
            lists_refresh: match env("KYCD_LISTS_REFRESH").or(f.lists_refresh) {
                None => Some(std::time::Duration::from_secs(24 * 3600)),
                Some(v) if v.trim().eq_ignore_ascii_case("off") => None,
                Some(v) => match crate::partner::parse_overlap(&v) {
                    Ok(d) if !d.is_zero() => Some(d),
                    _ => bail!(
                        "KYCD_LISTS_REFRESH must be a duration such as 30s, 15m or 6h, or off; got '{v}'"
                    ),
                },
            },
            lists_mirror_url: env("KYCD_LISTS_MIRROR_URL").or(f.lists_mirror_url),
            s3: {
                let fs = f.s3.unwrap_or_default();
                env("KYCD_S3_BUCKET")
                    .or(fs.bucket)
                    .map(|bucket| kycd_blob::S3Config {
                        bucket,
                        endpoint: env("KYCD_S3_ENDPOINT").or(fs.endpoint),
                        region: env("KYCD_S3_REGION").or(fs.region),
                        access_key_id: env("KYCD_S3_ACCESS_KEY_ID").or(fs.access_key_id),
                        secret_access_key: env("KYCD_S3_SECRET_ACCESS_KEY")
                            .or(fs.secret_access_key),
                        prefix: env("KYCD_S3_PREFIX").or(fs.prefix),
                    })
            },
            data_dir,
            bind,
            database_url,
            webhook_allow_private,
            console_insecure_cookies,
            webhook_retry_schedule,
        };
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<()> {
        self.bind.parse::<SocketAddr>().map_err(|_| {
            anyhow::anyhow!(
                "KYCD_BIND must be an address like 127.0.0.1:8080, got '{}'",
                self.bind
            )
        })?;
        if !(self.database_url.starts_with("sqlite:") || self.database_url.starts_with("postgres"))
        {
            bail!("KYCD_DATABASE_URL must start with sqlite:// or postgres://");
        }
        if self.cpu_slots == 0 {
            bail!("KYCD_CPU_SLOTS must be at least 1");
        }
        if self.job_lease_secs == 0 {
            bail!("KYCD_JOB_LEASE_SECS must be at least 1");
        }
        if !(self.rate_limit_rps.is_finite() && self.rate_limit_rps >= 0.0) {
            bail!("KYCD_RATE_LIMIT_RPS must be 0 (unlimited) or a positive number");
        }
        if !(self.rate_limit_burst.is_finite() && self.rate_limit_burst >= 1.0) {
            bail!("KYCD_RATE_LIMIT_BURST must be at least 1");
        }
        if self.job_max_attempts < 1 {
            bail!("KYCD_JOB_MAX_ATTEMPTS must be at least 1");
        }
        if self.max_body_mb == 0 || self.max_body_mb > 1024 {
            bail!("KYCD_MAX_BODY_MB must be between 1 and 1024");
        }
        if !matches!(self.log_format.as_str(), "json" | "pretty") {
            bail!("KYCD_LOG_FORMAT must be json or pretty");
        }
        if let Some(u) = &self.public_url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            bail!("KYCD_PUBLIC_URL must be an http(s) URL");
        }
        if let Some(s3) = &self.s3 {
            if let Some(e) = &s3.endpoint
                && !(e.starts_with("http://") || e.starts_with("https://"))
            {
                bail!("KYCD_S3_ENDPOINT must be an http(s) URL, got '{e}'");
            }
            if s3.access_key_id.is_some() != s3.secret_access_key.is_some() {
                bail!("set both KYCD_S3_ACCESS_KEY_ID and KYCD_S3_SECRET_ACCESS_KEY, or neither");
            }
        }
        Ok(())
    }

    /// Opens the blob storage: the S3 bucket when configured, else `<data dir>/blobs`; sealed with the envelope key
    /// derived from the master key.
    pub fn blob_store(&self, keyring: &kycd_store::Keyring) -> Result<kycd_blob::BlobStore> {
        let b = match &self.s3 {
            Some(s3) => kycd_blob::BlobStore::s3(s3)
                .with_context(|| format!("cannot open S3 bucket '{}'", s3.bucket))?,
            None => kycd_blob::BlobStore::local(self.data_dir.join("blobs"))
                .context("cannot open blob storage")?,
        };
        Ok(b.with_envelope_keys(&keyring.blob_kek(), keyring.previous_blob_kek().as_ref()))
    }

    /// The options of the check engines.
    pub fn engine_options(&self, face_pool: usize) -> kycd_engines::EngineOptions {
        kycd_engines::EngineOptions {
            models_dir: self.models_dir.clone(),
            data_dir: self.data_dir.clone(),
            face_pool,
            max_image_pixels: self.max_image_pixels,
            cpu_slots: self.cpu_slots,
        }
    }

    /// Loads the master key, generating it (mode 0600) on first start.
    pub fn master_key(&self) -> Result<Vec<u8>> {
        if let Some(k) = env("KYCD_MASTER_KEY") {
            return decode_key(&k, "KYCD_MASTER_KEY");
        }
        let path = &self.master_key_file;
        if let Some(key) = read_key_file(path)? {
            return Ok(key);
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let key = new_master_key()?;
        write_private(path, encode_key(&key).as_bytes())?;
        tracing::info!(path = %path.display(), "generated a new master key");
        Ok(key)
    }

    /// Whether the master key comes from the environment (`KYCD_MASTER_KEY`) rather than the key file.
    pub fn master_key_from_env(&self) -> bool {
        env("KYCD_MASTER_KEY").is_some()
    }

    /// Where the previous master key is kept during a rotation of the key file: beside it, `.previous` appended.
    pub fn previous_key_file(&self) -> PathBuf {
        let mut p = self.master_key_file.clone().into_os_string();
        p.push(".previous");
        PathBuf::from(p)
    }

    /// The previous master key during a rotation: `KYCD_MASTER_KEY_PREVIOUS` when the key comes from the
    /// environment, else the `.previous` file beside the key file. `None` outside a rotation (or when it equals the
    /// current key, as during the swap of the files).
    pub fn previous_master_key(&self, current: &[u8]) -> Result<Option<Vec<u8>>> {
        let prev = if self.master_key_from_env() {
            env("KYCD_MASTER_KEY_PREVIOUS")
                .map(|k| decode_key(&k, "KYCD_MASTER_KEY_PREVIOUS"))
                .transpose()?
        } else {
            read_key_file(&self.previous_key_file())?
        };
        Ok(prev.filter(|p| p != current))
    }

    /// The keyring of the configured master key (and previous key, during a rotation). The pepper is the derived
    /// one until [`kycd_store::Store::load_pepper`] replaces it: open the store with [`crate::serve::open_keyed`].
    pub fn keyring(&self) -> Result<kycd_store::Keyring> {
        let current = self.master_key()?;
        let previous = self.previous_master_key(&current)?;
        Ok(kycd_store::Keyring::from_masters(
            &current,
            previous.as_deref(),
        )?)
    }
}

/// A fresh random master key.
pub fn new_master_key() -> Result<Vec<u8>> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|_| anyhow::anyhow!("random generator failed"))?;
    Ok(key.to_vec())
}

/// A master key as written to key files and `KYCD_MASTER_KEY`: base64.
pub fn encode_key(key: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(key)
}

fn decode_key(text: &str, what: &str) -> Result<Vec<u8>> {
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .with_context(|| format!("{what} is not base64"))?;
    if key.len() != 32 {
        bail!("{what} must hold 32 bytes (base64)");
    }
    Ok(key)
}

/// A key file's key, `None` when the file does not exist.
pub fn read_key_file(path: &Path) -> Result<Option<Vec<u8>>> {
    if !path.exists() {
        return Ok(None);
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    decode_key(&text, &path.display().to_string()).map(Some)
}

/// Writes a key file (mode 0600, synced), replacing none: the file must not exist.
pub fn write_key_file(path: &Path, key: &[u8]) -> Result<()> {
    write_private(path, encode_key(key).as_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(data)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    std::fs::write(path, data).with_context(|| format!("cannot create {}", path.display()))
}

/// Loads the check engines (models and lists) once, with `face_pool` face engines.
pub fn load_engines(cfg: &Config, face_pool: usize) -> Result<kycd_engines::Engines> {
    Ok(kycd_engines::Engines::load(cfg.engine_options(face_pool))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_and_numbers_are_validated() {
        assert!(parse_bool("X", "true").unwrap());
        assert!(!parse_bool("X", "0").unwrap());
        assert!(parse_bool("X", "maybe").is_err());
        assert!(parse_num::<u64>("X", "12").is_ok());
        assert!(parse_num::<u64>("X", "twelve").is_err());
    }
}
