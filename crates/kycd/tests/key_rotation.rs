//! Issue 18, "Master-key rotation": `kycd keys rotate` on a running embedded installation, with verifications being
//! submitted meanwhile, killed (`kill -9`) in the middle and run again to the end. While it is interrupted the
//! service answers with both keys; at the end nothing is sealed with the old key, the `.previous` key file is gone,
//! and a server started with the new key alone serves every result and every image byte-identical, and the
//! partner's API secret (hashed with the pepper the rotation keeps) still authenticates.

mod common;
use common::*;
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

async fn submit(s: &Server, p: &Partner, n: u32) -> Sent {
    submit_small(s, p, "rotation", n, true).await
}

/// Every verification finished, with its images served byte-identical.
async fn assert_all_readable(s: &Server, p: &Partner, sent: &[Sent], when: &str) {
    for v in sent {
        let st = s.wait_finished(p, &v.scan, Duration::from_secs(120)).await;
        assert!(st["status"].is_string(), "{when}: {st}");
        let (code, urls) = s
            .post_json(p, "/api/v2/files", &json!({ "scanRef": v.scan }))
            .await;
        assert_eq!(code, 200, "{when}: {urls}");
        for (step, bytes) in &v.images {
            let url = urls[*step]
                .as_str()
                .unwrap_or_else(|| panic!("{when}: {urls}"));
            let got = s.client.get(url).send().await.unwrap();
            assert_eq!(got.status().as_u16(), 200, "{when}: {} {step}", v.scan);
            assert_eq!(
                sha256(&got.bytes().await.unwrap()),
                sha256(bytes),
                "{when}: {} {step} differs",
                v.scan
            );
        }
    }
}

fn keys_command(s: &Server, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env("KYCD_DATA_DIR", s.data_dir())
        .env("KYCD_LOG", "warn")
        .env("KYCD_MODELS_DIR", models_dir())
        .env_remove("KYCD_DATABASE_URL")
        .env_remove("KYCD_MASTER_KEY")
        .env_remove("KYCD_MASTER_KEY_FILE");
    c
}

fn key_status(s: &Server) -> Value {
    let out = keys_command(s, &["keys", "status", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rotation_under_traffic_survives_a_kill_and_the_old_key_is_then_not_needed() {
    let mut s = Server::start(&[("KYCD_WORKERS", "2"), ("KYCD_RATE_LIMIT_RPS", "0")]);
    let p = s.partner(true);
    let mut sent = Vec::new();
    for n in 0..24 {
        sent.push(submit(&s, &p, n).await);
    }
    assert_all_readable(&s, &p, &sent, "before the rotation").await;
    let key_file = s.data_dir().join("master.key");
    let prev_file = s.data_dir().join("master.key.previous");
    let old_key = std::fs::read_to_string(&key_file).unwrap();
    let before = key_status(&s);
    assert!(before["previousKey"].is_null(), "{before}");
    assert!(before["rotation"].is_null(), "{before}");

    // Slow batches, so that the rotation is caught in the middle.
    let mut rotate = keys_command(&s, &["keys", "rotate", "--batch", "2", "--pause-ms", "100"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Live traffic while it runs.
    let mut n = 100;
    let started = Instant::now();
    let mid = loop {
        sent.push(submit(&s, &p, n).await);
        n += 1;
        let st = key_status(&s);
        if st["rotation"]["valuesRewrapped"].as_u64().unwrap_or(0) >= 6 {
            break st;
        }
        assert!(
            rotate.try_wait().unwrap().is_none(),
            "the rotation ended before it could be interrupted: {st}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the rotation made no progress: {st}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    rotate.kill().unwrap();
    rotate.wait().unwrap();
    assert_eq!(mid["rotation"]["state"], "in_progress", "{mid}");
    assert_eq!(mid["previousKey"], before["currentKey"], "{mid}");
    assert_ne!(mid["currentKey"], before["currentKey"], "{mid}");
    assert!(
        prev_file.is_file(),
        "the old key is kept while the rotation is unfinished"
    );
    assert_eq!(std::fs::read_to_string(&prev_file).unwrap(), old_key);

    // No backup in the middle of a rotation (it would need both keys).
    let bdir = s.dir.path().join("backup");
    let out = keys_command(&s, &["backup", "--to", bdir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("rotation is under way"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Interrupted: the running service reads everything, old key or new, and keeps accepting work.
    for _ in 0..4 {
        sent.push(submit(&s, &p, n).await);
        n += 1;
    }
    assert_all_readable(&s, &p, &sent, "with the rotation interrupted").await;

    // Run again: it resumes and finishes.
    let out = keys_command(&s, &["keys", "rotate"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}\n{stdout}");
    assert!(stderr.contains("resuming the rotation"), "{stderr}");
    assert!(
        stdout.contains("nothing is sealed with the old key"),
        "{stdout}"
    );
    let done = key_status(&s);
    assert_eq!(done["rotation"]["state"], "done", "{done}");
    assert!(done["previousKey"].is_null(), "{done}");
    assert!(
        done["rotation"]["valuesRewrapped"].as_u64().unwrap() > 24 * 2,
        "{done}"
    );
    assert!(
        done["rotation"]["blobsRewrapped"].as_u64().unwrap() >= 24 * 2,
        "{done}"
    );
    assert!(
        !prev_file.exists(),
        "the old key file is deleted at the end"
    );
    assert_ne!(std::fs::read_to_string(&key_file).unwrap(), old_key);
    assert_all_readable(&s, &p, &sent, "after the rotation").await;

    // A fresh start with the new key alone: every result and image, and the old API secret still works.
    s.kill9();
    s.spawn(&["serve"]);
    assert_all_readable(&s, &p, &sent, "restarted without the old key").await;
    let check = s.cli(&["store", "check", "--json"]);
    let report: Value = serde_json::from_str(check.trim()).unwrap();
    assert_eq!(report["problems"], json!([]), "{report}");
    // Work after the rotation too.
    let last = vec![submit(&s, &p, 999).await];
    assert_all_readable(&s, &p, &last, "new work after the rotation").await;

    // A second rotation in one go (no interruption) also works.
    let out = keys_command(&s, &["keys", "rotate"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_all_readable(&s, &p, &last, "after a second rotation").await;
    s.kill9();
    s.spawn(&["serve"]);
    assert_all_readable(&s, &p, &sent, "restarted after a second rotation").await;
}
