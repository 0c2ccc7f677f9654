//! `kycd backup --to DIR`, `kycd backup --verify DIR`, `kycd restore --from DIR` and `kycd store check`.
//!
//! A backup of an embedded installation is a directory:
//!
//! ```text
//! DIR/manifest.json   format, times, counts, where the master key is (never the key), SHA-256 of every file
//! DIR/kycd.db         the database as of one instant (`VACUUM INTO`, taken while the service writes)
//! DIR/blobs/…         every image the database refers to, copied as stored (sealed envelopes stay sealed)
//! DIR/lists/…         the sanctions/PEP list store (entities, metadata, generation stamp)
//! ```
//!
//! Why it is consistent without stopping the service: the database copy is one read transaction; images are
//! written *before* the transaction that refers to them commits and are never rewritten (each upload has a key of
//! its own), so every image the copy refers to is on disk when the copy is done. The one thing that removes images
//! is an erasure (API delete or retention), which deletes the blobs first and then tombstones the row: an image
//! missing during the copy is waited for as an erasure and the erasure is applied to the copy too; an image missing
//! for a verification that stays live fails the backup. The manifest is written last: a directory without it is an
//! incomplete backup, refused by `--verify` and `restore`.
//!
//! Here: the command-line arguments, the manifest and taking a backup; [`check`] holds `--verify` and
//! `kycd store check`, [`restore`] the restore, [`files`] hashed copies and paths.
//! Just over ~600 lines because the manifest's types (every count and checksum a restore checks) live with the
//! backup that writes them.

mod check;
mod files;
mod restore;

pub use check::store;
use check::verify_dir;
use files::{copy_hashed, hash_file, hex, prepare_empty_dir, safe_join};
pub use restore::restore;

use crate::config::Config;
use anyhow::{Context, Result, bail};
use kycd_store::{Keyring, Store, VerificationImages, now_ms};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The manifest's file name in a backup directory.
pub const MANIFEST: &str = "manifest.json";
/// The manifest format written by this version.
pub const FORMAT: &str = "kycd-backup/1";
/// The database file's name in a backup directory.
const DB_FILE: &str = "kycd.db";
/// How long a backup waits for the erasure of a verification whose images disappeared during the copy.
const ERASURE_WAIT: Duration = Duration::from_secs(15);
/// Problems listed in an error message (all are in `--json` output).
const SHOWN: usize = 20;

/// `kycd backup`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["to", "verify"])))]
pub struct BackupArgs {
    /// Takes a consistent backup of the running embedded installation (SQLite + local blobs) into DIR, which must
    /// be absent or empty. The master key is not written there.
    #[arg(long, value_name = "DIR")]
    to: Option<PathBuf>,
    /// Checks the backup in DIR: manifest checksums, database integrity, every verification's images present, and,
    /// when the master key is available (KYCD_MASTER_KEY or the key file), that each image decrypts.
    #[arg(long, value_name = "DIR")]
    verify: Option<PathBuf>,
    /// Prints the result as JSON.
    #[arg(long)]
    json: bool,
}

/// `kycd restore`.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup directory (made by `kycd backup --to`). It is verified before anything is written; the target is
    /// the configured data dir (KYCD_DATA_DIR), which must be empty (a master key file alone is allowed).
    #[arg(long, value_name = "DIR")]
    from: PathBuf,
    /// Prints the result as JSON.
    #[arg(long)]
    json: bool,
}

/// `kycd store …`.
#[derive(Debug, clap::Subcommand)]
pub enum StoreCommand {
    /// Consistency check of the live store (SQLite or PostgreSQL, local blobs or S3; the service may be running):
    /// every verification's images exist and decrypt with the master key; SQLite's integrity check. Exits with
    /// status 1 when anything is wrong.
    Check {
        /// Only checks that the images exist (no master key needed, nothing is downloaded).
        #[arg(long)]
        no_decrypt: bool,
        /// Images checked at once.
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
        concurrency: u16,
        /// Prints the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// One file of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path relative to the backup directory, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
}

/// What a backup holds, in numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Verifications in the database.
    pub verifications: u64,
    /// … with a result.
    pub verifications_finished: u64,
    /// … still being processed when the copy was taken (their jobs are in the copy and run after a restore).
    pub verifications_in_progress: u64,
    /// … erased (`DELETED` tombstones, no images).
    pub verifications_erased: u64,
    /// Partners.
    pub partners: u64,
    /// Tokens.
    pub tokens: u64,
    /// Images the verifications refer to.
    pub images: u64,
    /// Files under `blobs/`: the images and derived files (document portrait, readings).
    pub blobs: u64,
    /// Their bytes (as stored: sealed).
    pub blob_bytes: u64,
    /// Sanctions/PEP lists.
    pub lists: u64,
    /// Their entities.
    pub list_entities: u64,
    /// Files in the backup (manifest excluded).
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// Where the master key is (it is never in the backup).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MasterKeyNote {
    /// Always false.
    pub included: bool,
    /// Where the installation takes it from.
    pub location: String,
    /// A one-way check value of the key (first 8 bytes of a SHA-256 over a key derived from it), so that a check
    /// can tell a wrong key from damaged images; absent when the key was not available to the backup.
    pub key_check: Option<String>,
}

/// `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The kycd version that wrote it.
    pub kycd_version: String,
    /// When the database copy began (RFC 3339, UTC): every verification with a result before then is in it.
    pub started_at: String,
    /// When the backup was complete.
    pub finished_at: String,
    /// Duration in milliseconds.
    pub duration_ms: u64,
    /// The data dir it was taken from.
    pub source_data_dir: String,
    /// The newest migration applied to the database.
    pub schema_version: Option<i64>,
    /// The master key is not included; where it is.
    pub master_key: MasterKeyNote,
    /// Summary counts.
    pub counts: Counts,
    /// Row count of every table.
    pub tables: BTreeMap<String, i64>,
    /// Verifications erased while the backup ran (erased in the copy too).
    pub erased_during_backup: Vec<String>,
    /// Every file with its checksum.
    pub files: Vec<FileEntry>,
}

/// `kycd backup`.
pub async fn backup(cfg: Config, args: BackupArgs) -> Result<()> {
    match (args.to, args.verify) {
        (Some(dir), None) => {
            let m = take(&cfg, &dir).await?;
            if args.json {
                let summary = serde_json::json!({
                    "dir": dir.display().to_string(), "startedAt": m.started_at, "finishedAt": m.finished_at,
                    "durationMs": m.duration_ms, "counts": m.counts, "masterKey": m.master_key,
                    "erasedDuringBackup": m.erased_during_backup,
                });
                println!("{summary}");
            } else {
                println!(
                    "backup written to {} in {:.1} s: {} verifications ({} with a result, {} in progress, {} erased), \
                     {} partners, {} images ({} bytes), {} lists; {} files, {} bytes",
                    dir.display(),
                    m.duration_ms as f64 / 1000.0,
                    m.counts.verifications,
                    m.counts.verifications_finished,
                    m.counts.verifications_in_progress,
                    m.counts.verifications_erased,
                    m.counts.partners,
                    m.counts.blobs,
                    m.counts.blob_bytes,
                    m.counts.lists,
                    m.counts.files,
                    m.counts.bytes
                );
            }
            eprintln!("{}", key_reminder(&m.master_key.location));
            Ok(())
        }
        (None, Some(dir)) => {
            let key = available_master_key(&cfg)?;
            let (_, report) = verify_dir(&dir, key.as_deref()).await?;
            if args.json {
                println!("{}", serde_json::to_string(&report)?);
            }
            if !report.problems.is_empty() {
                bail!(report.fail_message(&format!("backup {} is NOT sound", dir.display())));
            }
            if !args.json {
                println!(
                    "backup {} is sound: {} files match their checksums, the database passes its integrity check, \
                     {} verifications, {} images present{}",
                    dir.display(),
                    report.files_checked,
                    report.verifications,
                    report.images,
                    if report.decrypted {
                        " and decrypt with the master key"
                    } else {
                        " (not decrypted: no master key available)"
                    }
                );
            }
            Ok(())
        }
        _ => bail!("give exactly one of --to DIR and --verify DIR"),
    }
}

/// The SQLite file of an embedded installation, or why the command does not apply.
fn embedded_db(cfg: &Config, command: &str) -> Result<PathBuf> {
    if cfg.s3.is_some() {
        bail!(
            "`{command}` handles embedded installations (SQLite + local blobs); with S3 blob storage follow the \
             PostgreSQL + S3 procedure of the README's Backups section and check with `kycd store check`"
        );
    }
    let rest = cfg
        .database_url
        .strip_prefix("sqlite://")
        .or_else(|| cfg.database_url.strip_prefix("sqlite:"));
    let Some(rest) = rest else {
        bail!(
            "`{command}` handles embedded installations (SQLite); for PostgreSQL use pg_dump / PITR as described in \
             the README's Backups section and check with `kycd store check`"
        );
    };
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        bail!("KYCD_DATABASE_URL names no database file");
    }
    Ok(PathBuf::from(path))
}

/// Where the master key comes from, in words.
fn key_location(cfg: &Config) -> String {
    if std::env::var("KYCD_MASTER_KEY").is_ok_and(|v| !v.trim().is_empty()) {
        "the KYCD_MASTER_KEY environment variable".into()
    } else {
        format!(
            "the key file {} (KYCD_MASTER_KEY_FILE)",
            cfg.master_key_file.display()
        )
    }
}

fn key_reminder(location: &str) -> String {
    format!(
        "NOTE: the master key is NOT in the backup. It is in {location}. Back it up separately (a password manager \
         or secrets store, not next to the backup): without it the images and personal data of the backup cannot \
         be read."
    )
}

/// The master key when it is configured; unlike [`Config::master_key`] never generates one.
fn available_master_key(cfg: &Config) -> Result<Option<Vec<u8>>> {
    let from_env = std::env::var("KYCD_MASTER_KEY").is_ok_and(|v| !v.trim().is_empty());
    if from_env || cfg.master_key_file.is_file() {
        Ok(Some(cfg.master_key()?))
    } else {
        Ok(None)
    }
}

/// The check value of a master key recorded in the manifest.
fn key_check(master: &[u8]) -> Result<String> {
    let ring = Keyring::from_master(master)?;
    let mut h = Sha256::new();
    h.update(b"kycd/backup-key-check/v1");
    h.update(ring.blob_kek());
    Ok(hex(&h.finalize()[..8]))
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// Takes a backup into `dir`.
async fn take(cfg: &Config, dir: &Path) -> Result<Manifest> {
    if let Some(key) = available_master_key(cfg)?
        && cfg.previous_master_key(&key)?.is_some()
    {
        bail!(
            "a master-key rotation is under way ({} exists): finish it with `kycd keys rotate` first — a backup \
             taken now would hold images sealed with both keys",
            cfg.previous_key_file().display()
        );
    }
    let db_path = embedded_db(cfg, "kycd backup")?;
    if !db_path.is_file() {
        bail!(
            "no database at {} (is KYCD_DATA_DIR / KYCD_DATABASE_URL right?)",
            db_path.display()
        );
    }
    prepare_empty_dir(dir)?;
    let clock = Instant::now();
    let started = now_ms();
    let live = Store::connect(&cfg.database_url, 2)
        .await
        .context("cannot open the live database")?;
    let db_dest = dir.join(DB_FILE);
    live.vacuum_into(&db_dest)
        .await
        .context("database copy (VACUUM INTO) failed")?;
    let copy = Store::open_sqlite_file(&db_dest, true).await?;
    let verifications = copy.all_verification_images().await?;

    // Images: every image the copy refers to, copied as stored; then whatever else each verification keeps in the
    // blob store (the derived portrait and readings of the review console), when present.
    let scans: Vec<String> = verifications
        .iter()
        .filter(|v| !v.erased)
        .map(|v| v.scan_ref.clone())
        .collect();
    let items: Vec<(String, String)> = verifications
        .iter()
        .filter(|v| !v.erased)
        .flat_map(|v| {
            v.images
                .values()
                .map(|i| (v.scan_ref.clone(), i.key.clone()))
        })
        .collect();
    let (src_root, dst_root) = (cfg.data_dir.join("blobs"), dir.join("blobs"));
    let (mut copied, missing) = tokio::task::spawn_blocking(move || {
        let (mut copied, missing) = copy_blobs(&src_root, &dst_root, items)?;
        let have: BTreeSet<String> = copied.iter().map(|(_, f)| f.path.clone()).collect();
        copied.extend(copy_other_blobs(&src_root, &dst_root, &scans, &have)?);
        Ok::<_, anyhow::Error>((copied, missing))
    })
    .await??;

    // Images that disappeared: erasures running during the copy, applied to the copy as well.
    let mut by_scan: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (scan, key) in missing {
        by_scan.entry(scan).or_default().push(key);
    }
    let mut erased_during = BTreeSet::new();
    let mut lost = Vec::new();
    for (scan, keys) in by_scan {
        let Some(v) = verifications.iter().find(|v| v.scan_ref == scan) else {
            continue;
        };
        if wait_erased(&live, &scan).await? {
            copy.copy_erasure_from(&live, &scan, v.partner_id).await?;
            erased_during.insert(scan);
        } else {
            lost.extend(keys.into_iter().map(|k| format!("{scan}: {k}")));
        }
    }
    if !lost.is_empty() {
        bail!(
            "{} image(s) referred to by live verifications are missing from {} (the backup in {} is incomplete; \
             run `kycd store check`): {}",
            lost.len(),
            cfg.data_dir.join("blobs").display(),
            dir.display(),
            lost.iter()
                .take(SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !erased_during.is_empty() {
        let (keep, drop): (Vec<_>, Vec<_>) = copied
            .into_iter()
            .partition(|(scan, _)| !erased_during.contains(scan));
        for (_, f) in drop {
            if let Some(p) = safe_join(dir, &f.path) {
                std::fs::remove_file(&p)
                    .with_context(|| format!("cannot remove {}", p.display()))?;
            }
        }
        copied = keep;
    }
    let verifications = if erased_during.is_empty() {
        verifications
    } else {
        copy.all_verification_images().await?
    };
    let tables = copy.table_counts().await?;
    let schema_version = copy.schema_version().await?;
    copy.close().await;
    live.close().await;

    let mut files: Vec<FileEntry> = copied.into_iter().map(|(_, f)| f).collect();
    let (blobs, blob_bytes) = (
        files.len() as u64,
        files.iter().map(|f| f.size).sum::<u64>(),
    );
    let (size, sha256) = hash_file(&db_dest)?;
    files.push(FileEntry {
        path: DB_FILE.into(),
        size,
        sha256,
    });
    let (src, dst) = (cfg.data_dir.clone(), dir.to_path_buf());
    files.extend(tokio::task::spawn_blocking(move || copy_lists(&src, &dst)).await??);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let metas = kycd_aml::store::status(dir)?;

    let master_key = MasterKeyNote {
        included: false,
        location: key_location(cfg),
        key_check: available_master_key(cfg)?
            .map(|k| key_check(&k))
            .transpose()?,
    };
    let count = |f: &dyn Fn(&VerificationImages) -> bool| -> u64 {
        verifications.iter().filter(|v| f(v)).count() as u64
    };
    let counts = Counts {
        verifications: verifications.len() as u64,
        verifications_finished: count(&|v| v.finished && !v.erased),
        verifications_in_progress: count(&|v| !v.finished && !v.erased),
        verifications_erased: count(&|v| v.erased),
        partners: tables.get("partners").copied().unwrap_or(0).max(0) as u64,
        tokens: tables.get("tokens").copied().unwrap_or(0).max(0) as u64,
        images: verifications
            .iter()
            .filter(|v| !v.erased)
            .map(|v| v.images.len() as u64)
            .sum(),
        blobs,
        blob_bytes,
        lists: metas.len() as u64,
        list_entities: metas.iter().map(|m| m.entity_count as u64).sum(),
        files: files.len() as u64,
        bytes: files.iter().map(|f| f.size).sum(),
    };
    let finished = now_ms();
    let manifest = Manifest {
        format: FORMAT.into(),
        kycd_version: env!("CARGO_PKG_VERSION").into(),
        started_at: rfc3339(started),
        finished_at: rfc3339(finished),
        duration_ms: clock.elapsed().as_millis() as u64,
        source_data_dir: cfg.data_dir.display().to_string(),
        schema_version,
        master_key,
        counts,
        tables,
        erased_during_backup: erased_during.into_iter().collect(),
        files,
    };
    write_manifest(dir, &manifest)?;
    Ok(manifest)
}

/// Copies each `(scanRef, key)` image from the local blob root to the backup; returns the copies and the missing.
#[allow(clippy::type_complexity)]
fn copy_blobs(
    src_root: &Path,
    dst_root: &Path,
    items: Vec<(String, String)>,
) -> Result<(Vec<(String, FileEntry)>, Vec<(String, String)>)> {
    let (mut copied, mut missing) = (Vec::new(), Vec::new());
    let mut seen = BTreeSet::new();
    for (scan, key) in items {
        if !seen.insert(key.clone()) {
            continue;
        }
        let src = kycd_blob::local_file(src_root, &key)?;
        let dst = kycd_blob::local_file(dst_root, &key)?;
        match copy_hashed(&src, &dst) {
            Ok((size, sha256)) => copied.push((
                scan,
                FileEntry {
                    path: format!("blobs/{key}"),
                    size,
                    sha256,
                },
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => missing.push((scan, key)),
            Err(e) => return Err(e).with_context(|| format!("cannot copy {}", src.display())),
        }
    }
    Ok((copied, missing))
}

/// Copies the other files under each verification's blob prefix (derived files), skipping `already` copied paths
/// and the staging files of writes in progress (`…#n`); files that vanish meanwhile (an erasure) are skipped.
fn copy_other_blobs(
    src_root: &Path,
    dst_root: &Path,
    scans: &[String],
    already: &BTreeSet<String>,
) -> Result<Vec<(String, FileEntry)>> {
    let mut out = Vec::new();
    for scan in scans {
        let prefix = kycd_blob::verification_prefix(scan);
        let dir = kycd_blob::local_file(src_root, &prefix)?;
        let mut keys = Vec::new();
        match files::walk(src_root, &dir, &mut keys) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
        }
        for key in keys {
            let path = format!("blobs/{key}");
            if key.contains('#') || already.contains(&path) {
                continue;
            }
            let (src, dst) = (
                kycd_blob::local_file(src_root, &key)?,
                kycd_blob::local_file(dst_root, &key)?,
            );
            match copy_hashed(&src, &dst) {
                Ok((size, sha256)) => out.push((scan.clone(), FileEntry { path, size, sha256 })),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("cannot copy {}", src.display())),
            }
        }
    }
    Ok(out)
}

/// Waits (a bounded time) for the live store to finish erasing `scan_ref`; whether it did.
async fn wait_erased(live: &Store, scan_ref: &str) -> Result<bool> {
    let until = Instant::now() + ERASURE_WAIT;
    loop {
        match live.verification_erased(scan_ref).await? {
            Some(true) | None => return Ok(true),
            Some(false) if Instant::now() >= until => return Ok(false),
            Some(false) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Copies the list store (`<data dir>/lists`) consistently: retried while a list update changes it under the copy.
fn copy_lists(data_dir: &Path, dest: &Path) -> Result<Vec<FileEntry>> {
    let src = kycd_aml::store::lists_dir(data_dir);
    if !src.is_dir() {
        return Ok(Vec::new());
    }
    let out = kycd_aml::store::lists_dir(dest);
    for _ in 0..10 {
        let before = kycd_aml::store::fingerprint(data_dir)?;
        if out.exists() {
            std::fs::remove_dir_all(&out)?;
        }
        std::fs::create_dir_all(&out)?;
        let mut files = Vec::new();
        let mut vanished = false;
        for e in std::fs::read_dir(&src)? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            let wanted = name == kycd_aml::store::GENERATION_FILE
                || name.ends_with(".jsonl")
                || name.ends_with(".meta.json");
            if name.starts_with('.') || !wanted || !e.file_type()?.is_file() {
                continue;
            }
            match copy_hashed(&e.path(), &out.join(&name)) {
                Ok((size, sha256)) => files.push(FileEntry {
                    path: format!("lists/{name}"),
                    size,
                    sha256,
                }),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => vanished = true,
                Err(err) => return Err(err).context(format!("cannot copy list file {name}")),
            }
        }
        let after = kycd_aml::store::fingerprint(data_dir)?;
        if !vanished && before == after && lists_complete(dest)? {
            return Ok(files);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    bail!("the sanctions lists kept changing during the backup (a list update running?); try again")
}

/// Whether each copied list's entity file has the number of entities its metadata says.
fn lists_complete(dir: &Path) -> Result<bool> {
    use std::io::BufRead;
    for m in kycd_aml::store::status(dir)? {
        let p = kycd_aml::store::lists_dir(dir).join(format!("{}.jsonl", m.key));
        let Ok(f) = std::fs::File::open(&p) else {
            return Ok(false);
        };
        let mut n = 0usize;
        for line in std::io::BufReader::new(f).lines() {
            if !line?.trim().is_empty() {
                n += 1;
            }
        }
        if n != m.entity_count {
            return Ok(false);
        }
    }
    Ok(true)
}

fn write_manifest(dir: &Path, m: &Manifest) -> Result<()> {
    let tmp = dir.join(format!(".{MANIFEST}.tmp"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&serde_json::to_vec_pretty(m)?)?;
    f.write_all(b"\n")?;
    f.sync_all()?;
    std::fs::rename(&tmp, dir.join(MANIFEST))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_check_tells_keys_apart_and_reveals_nothing_of_them() {
        let a = key_check(&[1u8; 32]).unwrap();
        assert_eq!(a.len(), 16);
        assert_eq!(a, key_check(&[1u8; 32]).unwrap());
        assert_ne!(a, key_check(&[2u8; 32]).unwrap());
        assert!(key_check(&[1u8; 31]).is_err());
    }
}
