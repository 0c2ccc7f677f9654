//! Issue 18, "Backups": a backup taken while verifications are being submitted and processed, restored into a fresh
//! data dir. Every verification that had a result before the backup began is there with byte-identical images
//! (SHA-256 of the files served by the restored service), `kycd backup --verify` passes, a tampered backup fails it,
//! restoring into a non-empty data dir is refused, and `kycd store check` passes on the live and the restored store
//! and catches a missing image.
//!
//! The number of verifications is `KYCD_BACKUP_TEST_N` (default 200). Images are small generated PNGs sent with
//! `skipAnalysis`, so processing is quick in a debug build while still going through the whole pipeline.

mod common;
use base64::Engine;
use common::*;
use futures::StreamExt;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Runs the kycd CLI on `data_dir` (the environment of the test server).
fn kycd(data_dir: &Path, args: &[&str]) -> Output {
    kycd_env(data_dir, args, &[])
}

/// [`kycd`] with extra environment.
fn kycd_env(data_dir: &Path, args: &[&str], extra: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args)
        .env("KYCD_DATA_DIR", data_dir)
        .env("KYCD_LOG_FORMAT", "json")
        .env("KYCD_LOG", "warn")
        .env("KYCD_MODELS_DIR", models_dir())
        .env_remove("KYCD_DATABASE_URL")
        .env_remove("KYCD_MASTER_KEY")
        .env_remove("KYCD_MASTER_KEY_FILE")
        .env_remove("KYCD_S3_BUCKET");
    for (k, v) in extra {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn ok(o: &Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn failed(o: &Output, what: &str) -> String {
    assert!(
        !o.status.success(),
        "{what} succeeded: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
}

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                dir_size(&e.path())
            } else {
                e.metadata().unwrap().len()
            }
        })
        .sum()
}

async fn submit(s: &Server, p: &Partner, n: u32) -> Sent {
    submit_small(s, p, "backup", n, false).await
}

async fn status(s: &Server, p: &Partner, scan: &str) -> Value {
    let (code, v) = s
        .post_json(p, "/api/v2/status", &json!({ "scanRef": scan }))
        .await;
    assert_eq!(code, 200, "{v}");
    v
}

fn finished(v: &Value) -> bool {
    v["status"] != "REVIEWING" && v["status"] != "ACTIVE"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_under_load_restores_every_finished_verification() {
    let n: u32 = std::env::var("KYCD_BACKUP_TEST_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let mut s = Arc::new(Server::start(&[
        ("KYCD_WORKERS", "2"),
        ("KYCD_RATE_LIMIT_RPS", "0"),
    ]));
    // The list store is part of the backup: import a real list first.
    s.cli(&[
        "lists",
        "import",
        "--format",
        "un-xml",
        data("sanctions/un/consolidated.xml").to_str().unwrap(),
    ]);
    let p = Arc::new(s.partner(true));

    // Submissions run in the background, 4 at a time: the first half at once, the second half from the moment the
    // backup starts (the gate), so that verifications are being accepted and processed while it runs.
    let sent: Arc<Mutex<Vec<Sent>>> = Arc::default();
    let gate = Arc::new(tokio::sync::Notify::new());
    let submit_range = |range: std::ops::Range<u32>| {
        let (s, p, sent) = (s.clone(), p.clone(), sent.clone());
        async move {
            futures::stream::iter(range)
                .map(|i| {
                    let (s, p) = (s.clone(), p.clone());
                    async move { submit(&s, &p, i).await }
                })
                .buffer_unordered(4)
                .for_each(|v| {
                    sent.lock().unwrap().push(v);
                    async {}
                })
                .await;
        }
    };
    let submitter = {
        let (first, second, gate) = (submit_range(0..n / 2), submit_range(n / 2..n), gate.clone());
        tokio::spawn(async move {
            first.await;
            gate.notified().await;
            second.await;
        })
    };

    // Wait until some have a result, then note which ones have one: those must all survive.
    let want = (n / 5).clamp(1, 40) as usize;
    let started = Instant::now();
    let mut done: BTreeMap<String, Value> = BTreeMap::new();
    loop {
        let snapshot: Vec<Sent> = sent.lock().unwrap().clone();
        for v in &snapshot {
            if !done.contains_key(&v.scan) {
                let st = status(&s, &p, &v.scan).await;
                if finished(&st) {
                    done.insert(v.scan.clone(), st);
                }
            }
        }
        if done.len() >= want {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "only {} of {n} finished in 300 s",
            done.len()
        );
        // Polling is kept light: every status call costs the server CPU that processing needs.
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
    let waited = started.elapsed().as_secs_f64();
    // Accepted (their /process answered 200) before the backup began: in the copy, finished or not.
    let accepted_before: Vec<Sent> = sent.lock().unwrap().clone();
    assert!((accepted_before.len() as u32) < n);
    gate.notify_one();

    let backup_root = tempfile::tempdir().unwrap();
    let bdir = backup_root.path().join("b1");
    let t0 = Instant::now();
    let out = {
        let (data_dir, bdir) = (s.data_dir(), bdir.clone());
        tokio::task::spawn_blocking(move || {
            kycd(
                &data_dir,
                &["backup", "--to", bdir.to_str().unwrap(), "--json"],
            )
        })
        .await
        .unwrap()
    };
    let backup_secs = t0.elapsed().as_secs_f64();
    let sent_during = sent.lock().unwrap().len() - accepted_before.len();
    let summary: Value = serde_json::from_str(ok(&out, "kycd backup").trim()).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("master key is NOT in the backup")
            && stderr.contains(s.data_dir().join("master.key").to_str().unwrap()),
        "{stderr}"
    );
    submitter.await.unwrap();

    // The manifest: counts, checksums, and no key material.
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(bdir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["format"], "kycd-backup/1");
    assert_eq!(manifest["masterKey"]["included"], false);
    let counts = &manifest["counts"];
    let in_backup = counts["verifications"].as_u64().unwrap();
    assert!(in_backup >= accepted_before.len() as u64, "{counts}");
    assert!(counts["verificationsFinished"].as_u64().unwrap() >= done.len() as u64);
    assert_eq!(counts["partners"], 1);
    assert_eq!(
        counts["images"].as_u64().unwrap(),
        2 * in_backup,
        "{counts}"
    );
    assert!(
        counts["blobs"].as_u64().unwrap() >= 2 * in_backup,
        "{counts}"
    );
    assert!(
        counts["lists"].as_u64().unwrap() >= 1 && counts["listEntities"].as_u64().unwrap() > 100
    );
    let files = manifest["files"].as_array().unwrap();
    assert_eq!(files.len() as u64, counts["files"].as_u64().unwrap());
    assert!(
        files
            .iter()
            .all(|f| f["sha256"].as_str().unwrap().len() == 64)
    );
    let key = std::fs::read_to_string(s.data_dir().join("master.key")).unwrap();
    let mut all_files = Vec::new();
    walk(&bdir, &mut all_files);
    assert!(!all_files.iter().any(|f| f.ends_with("master.key")));
    for f in &all_files {
        let raw = std::fs::read(f).unwrap();
        assert!(
            !raw.windows(key.trim().len())
                .any(|w| w == key.trim().as_bytes()),
            "{} holds the master key",
            f.display()
        );
    }
    let size = dir_size(&bdir);
    eprintln!(
        "FIGURES backup: n={n}, {waited:.1} s until the backup began, accepted before={}, with a result before={}, accepted during the backup={sent_during}, \
         in backup={in_backup}, wall {backup_secs:.2} s (manifest durationMs={}), size {size} bytes ({} files)",
        accepted_before.len(),
        done.len(),
        summary["durationMs"],
        files.len()
    );

    // --verify passes (the master key is in the data dir: images are decrypted too).
    let v = kycd(
        &s.data_dir(),
        &["backup", "--verify", bdir.to_str().unwrap(), "--json"],
    );
    let report: Value = serde_json::from_str(ok(&v, "kycd backup --verify").trim()).unwrap();
    assert_eq!(report["problems"], json!([]), "{report}");
    assert_eq!(report["decrypted"], true);
    assert_eq!(report["images"].as_u64().unwrap(), 2 * in_backup);
    assert_eq!(report["filesChecked"].as_u64().unwrap(), files.len() as u64);

    // The live consistency check passes on the running service.
    let live = kycd(&s.data_dir(), &["store", "check", "--json"]);
    let live: Value = serde_json::from_str(ok(&live, "kycd store check").trim()).unwrap();
    assert_eq!(live["problems"], json!([]));
    assert_eq!(live["verifications"].as_u64().unwrap(), n as u64);

    // Restoring into a non-empty data dir is refused.
    let refused = failed(
        &kycd(
            &s.data_dir(),
            &["restore", "--from", bdir.to_str().unwrap()],
        ),
        "restore into the live data dir",
    );
    assert!(refused.contains("refusing to restore"), "{refused}");

    // Tampering: one flipped byte in one image fails --verify (checksum) …
    let blob = all_files
        .iter()
        .find(|f| {
            f.components().any(|c| c.as_os_str() == "blobs")
                && !f.components().any(|c| c.as_os_str() == "derived")
                && f.is_file()
        })
        .unwrap()
        .clone();
    let rel = blob.strip_prefix(&bdir).unwrap().to_path_buf();
    let t1 = backup_root.path().join("tampered-bytes");
    copy_dir(&bdir, &t1);
    let mut raw = std::fs::read(t1.join(&rel)).unwrap();
    let last = raw.len() - 1;
    raw[last] ^= 0x01;
    std::fs::write(t1.join(&rel), &raw).unwrap();
    let e = failed(
        &kycd(&s.data_dir(), &["backup", "--verify", t1.to_str().unwrap()]),
        "--verify of a tampered backup",
    );
    assert!(e.contains("checksum mismatch"), "{e}");
    // … and so does the same change with the manifest's checksum "fixed": the image no longer decrypts.
    let mut m: Value =
        serde_json::from_slice(&std::fs::read(t1.join("manifest.json")).unwrap()).unwrap();
    let rel_s = rel.to_str().unwrap().replace('\\', "/");
    for f in m["files"].as_array_mut().unwrap() {
        if f["path"] == rel_s.as_str() {
            f["sha256"] = json!(sha256(&raw));
        }
    }
    std::fs::write(t1.join("manifest.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    let e = failed(
        &kycd(&s.data_dir(), &["backup", "--verify", t1.to_str().unwrap()]),
        "--verify of a re-signed tampered backup",
    );
    assert!(e.contains("does not decrypt"), "{e}");
    // A backup without its database fails too, and restore refuses a backup that does not verify.
    let t2 = backup_root.path().join("tampered-db");
    copy_dir(&bdir, &t2);
    std::fs::remove_file(t2.join("kycd.db")).unwrap();
    let e = failed(
        &kycd(&s.data_dir(), &["backup", "--verify", t2.to_str().unwrap()]),
        "--verify without database",
    );
    assert!(e.contains("kycd.db: missing"), "{e}");
    // With the master key configured, restore decrypts every image first: the re-signed tampered backup is refused
    // and nothing is written but the key that was there.
    let empty = tempfile::tempdir().unwrap();
    let target = empty.path().join("data");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::copy(s.data_dir().join("master.key"), target.join("master.key")).unwrap();
    let e = failed(
        &kycd(&target, &["restore", "--from", t1.to_str().unwrap()]),
        "restore of a tampered backup",
    );
    assert!(
        e.contains("refusing to restore") && e.contains("does not decrypt"),
        "{e}"
    );
    assert_eq!(std::fs::read_dir(&target).unwrap().count(), 1);
    let e = failed(
        &kycd(&target, &["restore", "--from", t2.to_str().unwrap()]),
        "restore of a backup without its database",
    );
    assert!(e.contains("refusing to restore"), "{e}");

    // The original service stops (its remaining queue would compete with the restored one for the CPU).
    Arc::get_mut(&mut s).expect("the submitter is done").kill9();

    // Restore into a fresh data dir holding only the master key, then start the service on it.
    let mut s2 = Server {
        dir: tempfile::tempdir().unwrap(),
        child: None,
        base: String::new(),
        env: vec![
            ("KYCD_WORKERS".into(), "2".into()),
            ("KYCD_RATE_LIMIT_RPS".into(), "0".into()),
        ],
        client: reqwest::Client::new(),
    };
    std::fs::create_dir_all(s2.data_dir()).unwrap();
    std::fs::copy(
        s.data_dir().join("master.key"),
        s2.data_dir().join("master.key"),
    )
    .unwrap();
    let t0 = Instant::now();
    ok(
        &kycd(
            &s2.data_dir(),
            &["restore", "--from", bdir.to_str().unwrap()],
        ),
        "kycd restore",
    );
    let restore_secs = t0.elapsed().as_secs_f64();
    s2.spawn(&["serve"]);
    let mut checked = 0;
    for (scan, before) in &done {
        let after = status(&s2, &p, scan).await;
        assert_eq!(after["status"], before["status"], "{scan}");
        assert_eq!(after["autoDocument"], before["autoDocument"], "{scan}");
        assert_eq!(after["autoFace"], before["autoFace"], "{scan}");
        let sent_v = accepted_before.iter().find(|v| &v.scan == scan).unwrap();
        let (code, urls) = s2
            .post_json(&p, "/api/v2/files", &json!({ "scanRef": scan }))
            .await;
        assert_eq!(code, 200, "{urls}");
        for (step, bytes) in &sent_v.images {
            let url = urls[*step]
                .as_str()
                .unwrap_or_else(|| panic!("{scan} {step}: {urls}"));
            let got = s2.client.get(url).send().await.unwrap();
            assert_eq!(got.status().as_u16(), 200, "{scan} {step}");
            assert_eq!(
                sha256(&got.bytes().await.unwrap()),
                sha256(bytes),
                "{scan} {step} differs after the restore"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 2 * done.len());
    // Accepted before the backup but still in progress then: restored with their jobs, and they finish.
    // (A sample: processing all of them would dominate the test's time.)
    for v in accepted_before
        .iter()
        .filter(|v| !done.contains_key(&v.scan))
        .take(5)
    {
        s2.wait_finished(&p, &v.scan, Duration::from_secs(120))
            .await;
    }
    eprintln!(
        "FIGURES restore: {in_backup} verifications in {restore_secs:.2} s; {} finished ones checked with {checked} \
         images identical",
        done.len()
    );

    // The restored store is consistent; a lost image is caught.
    let c = kycd(&s2.data_dir(), &["store", "check"]);
    assert!(ok(&c, "store check (restored)").contains("store is consistent"));
    std::fs::remove_file(s2.data_dir().join(&rel)).unwrap();
    let e = failed(
        &kycd(&s2.data_dir(), &["store", "check", "--no-decrypt"]),
        "store check with a lost image",
    );
    assert!(e.contains("is missing"), "{e}");
}

/// `kycd store check` on a fleet's backends (PostgreSQL + S3), when `KYCD_TEST_POSTGRES_URL` and
/// `KYCD_TEST_S3_ENDPOINT` are set (scripts/test.sh sets both): passes on a consistent store, reports a lost object
/// and a wrong master key; `kycd backup` refuses these backends and points at the README's procedure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_check_on_postgres_and_s3() {
    let (Ok(admin), Ok(endpoint)) = (
        std::env::var("KYCD_TEST_POSTGRES_URL"),
        std::env::var("KYCD_TEST_S3_ENDPOINT"),
    ) else {
        eprintln!(
            "KYCD_TEST_POSTGRES_URL / KYCD_TEST_S3_ENDPOINT not set: fleet store check skipped"
        );
        return;
    };
    let suffix = format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
            % 1_000_000_000
    );
    let name = format!("kycd_t_backup_{suffix}");
    let out = Command::new("psql")
        .arg(&admin)
        .arg("-qc")
        .arg(format!("CREATE DATABASE {name}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    let bucket = std::env::var("KYCD_TEST_S3_BUCKET").unwrap_or_else(|_| "kycd-test".into());
    let prefix = format!("backup-it-{suffix}");
    let env: Vec<(&str, &str)> = vec![
        ("KYCD_DATABASE_URL", &url),
        ("KYCD_S3_BUCKET", &bucket),
        ("KYCD_S3_ENDPOINT", &endpoint),
        ("KYCD_S3_ACCESS_KEY_ID", "test"),
        ("KYCD_S3_SECRET_ACCESS_KEY", "test"),
        ("KYCD_S3_PREFIX", &prefix),
        ("KYCD_RATE_LIMIT_RPS", "0"),
    ];
    let s = Server::start(&env);
    let p = s.partner(true);
    let mut scans = Vec::new();
    for i in 0..3 {
        scans.push(submit(&s, &p, i).await.scan);
    }
    for scan in &scans {
        s.wait_finished(&p, scan, Duration::from_secs(120)).await;
    }
    let c = kycd_env(&s.data_dir(), &["store", "check", "--json"], &env);
    let report: Value = serde_json::from_str(ok(&c, "store check (fleet)").trim()).unwrap();
    assert_eq!(report["problems"], json!([]), "{report}");
    assert_eq!(report["verifications"], 3);
    assert_eq!(report["images"], 6);
    assert_eq!(report["decrypted"], true);

    // `kycd backup` is for embedded installations.
    let b = tempfile::tempdir().unwrap();
    let e = failed(
        &kycd_env(
            &s.data_dir(),
            &["backup", "--to", b.path().join("x").to_str().unwrap()],
            &env,
        ),
        "backup of a fleet",
    );
    assert!(e.contains("README") && e.contains("store check"), "{e}");

    // Another master key: every image is reported as not decrypting.
    let mut wrong = env.clone();
    let other_key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    wrong.push(("KYCD_MASTER_KEY", &other_key));
    let e = failed(
        &kycd_env(&s.data_dir(), &["store", "check"], &wrong),
        "store check with another key",
    );
    assert!(
        e.contains("6 problem(s)") && e.contains("does not decrypt"),
        "{e}"
    );

    // A lost object is reported.
    let blobs = kycd_blob::BlobStore::s3(&kycd_blob::S3Config {
        bucket: bucket.clone(),
        endpoint: Some(endpoint.clone()),
        region: None,
        access_key_id: Some("test".into()),
        secret_access_key: Some("test".into()),
        prefix: Some(prefix.clone()),
    })
    .unwrap();
    let keys: Vec<String> = blobs
        .list(&kycd_blob::verification_prefix(&scans[1]))
        .await
        .unwrap()
        .into_iter()
        .filter(|k| !k.contains("/derived/"))
        .collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    blobs.delete(&keys[0]).await.unwrap();
    let e = failed(
        &kycd_env(&s.data_dir(), &["store", "check", "--no-decrypt"], &env),
        "store check with a lost object",
    );
    assert!(
        e.contains("1 problem(s)") && e.contains("is missing") && e.contains(&scans[1]),
        "{e}"
    );
    drop(s);
    let _ = Command::new("psql")
        .arg(&admin)
        .arg("-qc")
        .arg(format!("DROP DATABASE IF EXISTS {name}"))
        .output();
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}
