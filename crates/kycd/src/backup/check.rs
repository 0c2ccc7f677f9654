//! Checks: `kycd backup --verify DIR` (manifest checksums, database integrity, images present and decrypting) and
//! `kycd store check` (the same image check over a live store, any backend).

use super::files::{hash_file, safe_join, walk};
use super::{
    DB_FILE, FORMAT, FileEntry, MANIFEST, Manifest, SHOWN, StoreCommand, available_master_key,
    embedded_db, key_check,
};
use crate::config::Config;
use anyhow::{Context, Result, bail};
use futures::StreamExt;
use kycd_blob::{BlobError, BlobStore};
use kycd_store::{Keyring, Store, VerificationImages};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

/// How long `kycd store check` gives erasures in flight before reporting their missing images.
const ERASURE_GRACE: Duration = Duration::from_secs(2);

/// The outcome of a check.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckReport {
    /// Verifications seen.
    pub verifications: u64,
    /// … with a result.
    pub verifications_finished: u64,
    /// … erased.
    pub verifications_erased: u64,
    /// Images checked.
    pub images: u64,
    /// Whether images were decrypted (false: existence only).
    pub decrypted: bool,
    /// Files whose checksum was checked (backups only).
    pub files_checked: u64,
    /// What is wrong; empty when all is well.
    pub problems: Vec<String>,
}

impl CheckReport {
    pub(super) fn fail_message(&self, what: &str) -> String {
        let mut s = format!("{what}: {} problem(s)", self.problems.len());
        for p in self.problems.iter().take(SHOWN) {
            s.push_str("\n  - ");
            s.push_str(p);
        }
        if self.problems.len() > SHOWN {
            s.push_str(&format!(
                "\n  … and {} more (use --json for all)",
                self.problems.len() - SHOWN
            ));
        }
        s
    }
}

/// Reads and checks the manifest of a backup directory.
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let p = dir.join(MANIFEST);
    let text = std::fs::read(&p).with_context(|| {
        format!(
            "{} has no {MANIFEST}: not a kycd backup, or an incomplete one",
            dir.display()
        )
    })?;
    let m: Manifest = serde_json::from_slice(&text)
        .with_context(|| format!("{} is not a kycd backup manifest", p.display()))?;
    if m.format != FORMAT {
        bail!(
            "{} has format '{}', this kycd reads '{FORMAT}'",
            p.display(),
            m.format
        );
    }
    Ok(m)
}

/// Checks a backup directory; `master` decrypts the images when given.
pub async fn verify_dir(dir: &Path, master: Option<&[u8]>) -> Result<(Manifest, CheckReport)> {
    let manifest = read_manifest(dir)?;
    let mut report = CheckReport::default();
    // Files: each listed file matches its checksum; nothing unlisted.
    let (root, files) = (dir.to_path_buf(), manifest.files.clone());
    let (checked, mut problems) =
        tokio::task::spawn_blocking(move || check_files(&root, &files)).await??;
    report.files_checked = checked;
    report.problems.append(&mut problems);
    let listed: BTreeSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();

    // Database: opens, passes SQLite's checks, and its counts are the manifest's.
    let db = dir.join(DB_FILE);
    let store = match Store::open_sqlite_file(&db, false).await {
        Ok(s) => s,
        Err(e) => {
            report
                .problems
                .push(format!("the database does not open: {e}"));
            return Ok((manifest, report));
        }
    };
    let checked = async {
        let integrity = store.integrity_problems().await?;
        let all = store.all_verification_images().await?;
        Ok::<_, kycd_store::StoreError>((integrity, all))
    }
    .await;
    store.close().await;
    let (integrity, verifications) = match checked {
        Ok(x) => x,
        Err(e) => {
            report
                .problems
                .push(format!("the database cannot be read: {e}"));
            return Ok((manifest, report));
        }
    };
    report.problems.extend(integrity);
    report.verifications = verifications.len() as u64;
    report.verifications_finished = verifications
        .iter()
        .filter(|v| v.finished && !v.erased)
        .count() as u64;
    report.verifications_erased = verifications.iter().filter(|v| v.erased).count() as u64;
    if report.verifications != manifest.counts.verifications {
        report.problems.push(format!(
            "the database holds {} verifications, the manifest says {}",
            report.verifications, manifest.counts.verifications
        ));
    }
    // Images: each one referred to is in the backup.
    for v in verifications.iter().filter(|v| !v.erased) {
        for (step, img) in &v.images {
            if !listed.contains(format!("blobs/{}", img.key).as_str()) {
                report.problems.push(format!(
                    "{} {step}: image {} is not in the backup",
                    v.scan_ref, img.key
                ));
            }
        }
    }
    // … and decrypts with the master key.
    let Some(master) = master else {
        report.images = verifications
            .iter()
            .filter(|v| !v.erased)
            .map(|v| v.images.len() as u64)
            .sum();
        return Ok((manifest, report));
    };
    if let Some(want) = &manifest.master_key.key_check
        && *want != key_check(master)?
    {
        report.problems.push(
            "the master key available here is not the one of this backup: images cannot be decrypted".into(),
        );
        return Ok((manifest, report));
    }
    let blobs = BlobStore::local(dir.join("blobs"))?
        .with_envelope(&Keyring::from_master(master)?.blob_kek());
    let (n, failures) = check_images(&blobs, &verifications, true, 4).await;
    report.images = n;
    report.decrypted = true;
    report.problems.extend(
        failures
            .into_iter()
            .filter(|f| listed.contains(format!("blobs/{}", f.key).as_str()))
            .map(|f| f.to_string()),
    );
    // The other files under blobs/ (derived files of the review console) decrypt too.
    let referenced: BTreeSet<String> = verifications
        .iter()
        .flat_map(|v| v.images.values().map(|i| format!("blobs/{}", i.key)))
        .collect();
    let others: Vec<String> = manifest
        .files
        .iter()
        .filter_map(|f| f.path.strip_prefix("blobs/"))
        .filter(|k| !referenced.contains(&format!("blobs/{k}")))
        .map(str::to_string)
        .collect();
    let failures: Vec<String> = futures::stream::iter(others)
        .map(|key| {
            let blobs = &blobs;
            async move {
                match blobs.get(&key).await {
                    Ok(_) => None,
                    Err(e) => Some(format!("blobs/{key} does not decrypt: {e}")),
                }
            }
        })
        .buffer_unordered(4)
        .filter_map(|f| async move { f })
        .collect()
        .await;
    report.problems.extend(failures);
    Ok((manifest, report))
}

/// Checks every listed file's size and SHA-256 and looks for unlisted files; (files checked, problems).
pub(super) fn check_files(root: &Path, files: &[FileEntry]) -> Result<(u64, Vec<String>)> {
    let mut problems = Vec::new();
    let mut checked = 0;
    for f in files {
        let Some(p) = safe_join(root, &f.path) else {
            problems.push(format!("manifest lists an unsafe path '{}'", f.path));
            continue;
        };
        match hash_file(&p) {
            Ok((size, sha)) if size == f.size && sha == f.sha256 => checked += 1,
            Ok((size, _)) if size != f.size => problems.push(format!(
                "{}: {size} bytes, the manifest says {}",
                f.path, f.size
            )),
            Ok(_) => problems.push(format!("{}: checksum mismatch", f.path)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                problems.push(format!("{}: missing", f.path))
            }
            Err(e) => problems.push(format!("{}: unreadable: {e}", f.path)),
        }
    }
    let listed: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let mut present = Vec::new();
    walk(root, root, &mut present)?;
    for p in present {
        if p != MANIFEST && !listed.contains(p.as_str()) {
            problems.push(format!("{p}: not listed in the manifest"));
        }
    }
    Ok((checked, problems))
}

/// One image that failed a check.
pub(super) struct ImageFailure {
    scan_ref: String,
    step: String,
    key: String,
    what: String,
    /// The object does not exist (rather than failing to read or open).
    missing: bool,
}

impl std::fmt::Display for ImageFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: image {} {}",
            self.scan_ref, self.step, self.key, self.what
        )
    }
}

/// Checks the images of the verifications that are not erased: present (and, with `decrypt`, read, opened and of
/// the recorded size), `concurrency` at a time. Returns how many were checked and the failures.
pub(super) async fn check_images(
    blobs: &BlobStore,
    verifications: &[VerificationImages],
    decrypt: bool,
    concurrency: usize,
) -> (u64, Vec<ImageFailure>) {
    let items: Vec<(String, String, kycd_store::ImageRef)> = verifications
        .iter()
        .filter(|v| !v.erased)
        .flat_map(|v| {
            v.images
                .iter()
                .map(|(s, i)| (v.scan_ref.clone(), s.clone(), i.clone()))
        })
        .collect();
    let n = items.len() as u64;
    let failures = futures::stream::iter(items)
        .map(|(scan_ref, step, img)| async move {
            let what = if decrypt {
                match blobs.get(&img.key).await {
                    Ok(b) if b.len() as u64 == img.size => None,
                    Ok(b) => Some(format!(
                        "decrypts to {} bytes, {} recorded",
                        b.len(),
                        img.size
                    )),
                    Err(BlobError::NotFound(_)) => Some("is missing".into()),
                    Err(e @ BlobError::Envelope { .. }) => Some(format!("does not decrypt: {e}")),
                    Err(e) => Some(format!("cannot be read: {e}")),
                }
            } else {
                match blobs.exists(&img.key).await {
                    Ok(true) => None,
                    Ok(false) => Some("is missing".into()),
                    Err(e) => Some(format!("cannot be checked: {e}")),
                }
            };
            what.map(|what| ImageFailure {
                missing: what == "is missing",
                scan_ref,
                step,
                key: img.key,
                what,
            })
        })
        .buffer_unordered(concurrency.max(1))
        .filter_map(|f| async move { f })
        .collect::<Vec<_>>()
        .await;
    (n, failures)
}

/// `kycd store check`.
pub async fn store(cfg: Config, action: StoreCommand) -> Result<()> {
    let StoreCommand::Check {
        no_decrypt,
        concurrency,
        json,
    } = action;
    let master = if no_decrypt {
        None
    } else {
        Some(available_master_key(&cfg)?.context(
            "no master key configured (KYCD_MASTER_KEY or the key file): set it, or pass --no-decrypt to check \
             only that the images exist",
        )?)
    };
    if cfg.database_url.starts_with("sqlite:")
        && !embedded_db(&cfg, "kycd store check")
            .map(|p| p.is_file())
            .unwrap_or(true)
    {
        bail!("no database at {}", cfg.database_url);
    }
    let store = Store::connect(&cfg.database_url, cfg.db_max_connections.clamp(1, 4))
        .await
        .with_context(|| {
            format!(
                "cannot open database {}",
                kycd_store::redact(&cfg.database_url)
            )
        })?;
    let mut blobs = match &cfg.s3 {
        Some(s3) => {
            BlobStore::s3(s3).with_context(|| format!("cannot open S3 bucket '{}'", s3.bucket))?
        }
        None => BlobStore::local(cfg.data_dir.join("blobs")).context("cannot open blob storage")?,
    };
    if let Some(m) = &master {
        // During a master-key rotation, images still under the previous key open too.
        let ring = Keyring::from_masters(m, cfg.previous_master_key(m)?.as_deref())?;
        blobs = blobs.with_envelope_keys(&ring.blob_kek(), ring.previous_blob_kek().as_ref());
    }
    let mut report = CheckReport {
        decrypted: master.is_some(),
        problems: store.integrity_problems().await?,
        ..CheckReport::default()
    };
    let mut after = String::new();
    loop {
        let page = store.verification_images_page(&after, 500).await?;
        let Some(last) = page.last() else { break };
        after = last.scan_ref.clone();
        report.verifications += page.len() as u64;
        report.verifications_finished +=
            page.iter().filter(|v| v.finished && !v.erased).count() as u64;
        report.verifications_erased += page.iter().filter(|v| v.erased).count() as u64;
        let (n, failures) = check_images(&blobs, &page, master.is_some(), concurrency.into()).await;
        report.images += n;
        // An erasure deletes the images first, then tombstones the row: an image missing because its verification
        // was being erased is not a problem once the erasure is done (given a moment, once per page).
        if failures.iter().any(|f| f.missing) {
            tokio::time::sleep(ERASURE_GRACE).await;
        }
        for f in failures {
            if f.missing && store.verification_erased(&f.scan_ref).await? != Some(false) {
                continue;
            }
            report.problems.push(f.to_string());
        }
    }
    store.close().await;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    }
    if !report.problems.is_empty() {
        bail!(report.fail_message("the store is NOT consistent"));
    }
    if !json {
        println!(
            "store is consistent: {} verifications ({} with a result, {} erased), {} images present{}",
            report.verifications,
            report.verifications_finished,
            report.verifications_erased,
            report.images,
            if report.decrypted {
                " and decrypt with the master key"
            } else {
                " (not decrypted: --no-decrypt)"
            }
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_find_tampered_missing_and_unlisted_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("blobs")).unwrap();
        std::fs::write(root.join("blobs/x"), b"hello").unwrap();
        std::fs::write(root.join("kycd.db"), b"db").unwrap();
        let mut files = vec![
            FileEntry {
                path: "blobs/x".into(),
                size: 5,
                sha256: hash_file(&root.join("blobs/x")).unwrap().1,
            },
            FileEntry {
                path: "kycd.db".into(),
                size: 2,
                sha256: hash_file(&root.join("kycd.db")).unwrap().1,
            },
        ];
        assert_eq!(check_files(root, &files).unwrap(), (2, vec![]));
        std::fs::write(root.join("blobs/x"), b"hellO").unwrap();
        std::fs::write(root.join("extra"), b"?").unwrap();
        files.push(FileEntry {
            path: "lists/GENERATION".into(),
            size: 1,
            sha256: String::new(),
        });
        let (n, problems) = check_files(root, &files).unwrap();
        assert_eq!(n, 1);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("checksum mismatch")));
        assert!(problems.iter().any(|p| p.contains("missing")));
        assert!(problems.iter().any(|p| p.contains("not listed")));
    }
}
