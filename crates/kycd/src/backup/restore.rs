//! `kycd restore --from DIR`: verify the backup, refuse a non-empty target, copy with checksums, database last.

use super::check::verify_dir;
use super::files::{copy_hashed, safe_join};
use super::{DB_FILE, FileEntry, RestoreArgs, available_master_key, embedded_db};
use crate::config::Config;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// `kycd restore --from DIR`.
pub async fn restore(cfg: Config, args: RestoreArgs) -> Result<()> {
    let db_path = embedded_db(&cfg, "kycd restore")?;
    ensure_empty_target(&cfg, &db_path)?;
    let master = available_master_key(&cfg)?;
    let (manifest, report) = verify_dir(&args.from, master.as_deref()).await?;
    if !report.problems.is_empty() {
        bail!(report.fail_message(&format!(
            "refusing to restore: backup {} is NOT sound",
            args.from.display()
        )));
    }
    let (from, data_dir, db) = (args.from.clone(), cfg.data_dir.clone(), db_path.clone());
    let files = manifest.files.clone();
    tokio::task::spawn_blocking(move || restore_files(&from, &data_dir, &db, &files)).await??;
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "from": args.from.display().to_string(), "dataDir": cfg.data_dir.display().to_string(),
                "counts": manifest.counts, "decrypted": report.decrypted, "backupStartedAt": manifest.started_at,
            })
        );
    } else {
        println!(
            "restored {} into {}: {} verifications, {} partners, {} images, {} lists (backup of {})",
            args.from.display(),
            cfg.data_dir.display(),
            manifest.counts.verifications,
            manifest.counts.partners,
            manifest.counts.blobs,
            manifest.counts.lists,
            manifest.started_at
        );
    }
    if master.is_none() {
        eprintln!(
            "WARNING: no master key is configured here. Before `kycd serve`, put the installation's master key in \
             {} or set KYCD_MASTER_KEY: started without it, kycd would create a new key and could not read the \
             restored images and personal data.",
            cfg.master_key_file.display()
        );
    }
    Ok(())
}

/// Refuses a data dir with anything in it but the master key file, and an existing database file.
pub(super) fn ensure_empty_target(cfg: &Config, db_path: &Path) -> Result<()> {
    if db_path.exists() {
        bail!(
            "refusing to restore: a database already exists at {}",
            db_path.display()
        );
    }
    let rd = match std::fs::read_dir(&cfg.data_dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read {}", cfg.data_dir.display()));
        }
    };
    let key = std::fs::canonicalize(&cfg.master_key_file).ok();
    for e in rd {
        let p = e?.path();
        if key.is_some() && std::fs::canonicalize(&p).ok() == key {
            continue;
        }
        bail!(
            "refusing to restore: the data dir {} is not empty (found {}); restore into an empty data dir",
            cfg.data_dir.display(),
            p.display()
        );
    }
    Ok(())
}

/// Copies the backup's files into the data dir, re-checking each checksum; the database goes last.
pub(super) fn restore_files(
    from: &Path,
    data_dir: &Path,
    db: &Path,
    files: &[FileEntry],
) -> Result<()> {
    let target = |rel: &str| -> Option<PathBuf> {
        if rel == DB_FILE {
            Some(db.to_path_buf())
        } else if rel.starts_with("blobs/") || rel.starts_with("lists/") {
            safe_join(data_dir, rel)
        } else {
            None
        }
    };
    let mut ordered: Vec<&FileEntry> = files.iter().filter(|f| f.path != DB_FILE).collect();
    ordered.extend(files.iter().filter(|f| f.path == DB_FILE));
    for f in ordered {
        let (Some(src), Some(dst)) = (safe_join(from, &f.path), target(&f.path)) else {
            bail!("the manifest lists an unexpected file '{}'", f.path);
        };
        let (size, sha) = copy_hashed(&src, &dst)
            .with_context(|| format!("cannot copy {} to {}", src.display(), dst.display()))?;
        if size != f.size || sha != f.sha256 {
            bail!(
                "{} changed while it was restored (checksum mismatch); the data dir {} is incomplete",
                f.path,
                data_dir.display()
            );
        }
    }
    Ok(())
}
