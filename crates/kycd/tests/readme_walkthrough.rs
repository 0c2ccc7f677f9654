//! The README's walkthroughs, run as printed: the shell blocks under "Sandbox: try kycd without a document" and
//! "Walkthrough with curl" are taken from README.md and run with bash against a started server, the second with real
//! photos (a passport photo over the 128 KiB limit of one command-line argument). Only the server address is
//! replaced, and `cargo run --release -p kycd --` runs the binary under test.

mod common;
use common::*;
use std::process::Command;

/// The first shell block of the README section `heading`.
fn walkthrough(heading: &str) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md");
    let section = readme
        .split(heading)
        .nth(1)
        .expect("the walkthrough section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("the walkthrough's shell block");
    block.to_string()
}

/// Runs a README shell block in `work` against the server; returns stdout.
fn run_block(s: &Server, work: &std::path::Path, heading: &str) -> String {
    let script = format!(
        "set -euo pipefail\n\
         cargo() {{ while [ \"$1\" != \"--\" ]; do shift; done; shift; \"$KYCD_BIN\" \"$@\"; }}\n{}\n",
        walkthrough(heading).replace("http://127.0.0.1:8080", &s.base)
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(work)
        .env("KYCD_BIN", BIN)
        .env("KYCD_DATA_DIR", s.data_dir())
        .env("KYCD_MODELS_DIR", models_dir())
        .env("KYCD_LOG", "warn")
        .env_remove("KYCD_DATABASE_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{heading} failed:\n{stdout}\n{stderr}"
    );
    stdout
}

#[test]
fn the_readme_sandbox_walkthrough_works_as_printed() {
    let s = Server::start(&[]);
    let work = tempfile::tempdir().unwrap();
    let stdout = run_block(&s, work.path(), "## Sandbox: try kycd without a document");
    let lines: Vec<&str> = stdout.lines().map(str::trim).collect();
    assert!(
        lines.contains(&"200"),
        "no 200 from /api/v2/process:\n{stdout}"
    );
    // After the dummy manual result the verification is approved.
    assert_eq!(lines.last(), Some(&"APPROVED"), "{stdout}");
    let pdf = std::fs::read(work.path().join("report.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "report.pdf is a PDF");
}

#[test]
fn the_readme_walkthrough_works_as_printed() {
    let s = Server::start(&[]);
    let work = tempfile::tempdir().unwrap();
    let front = data("documents/passporteye/100_pass-lux.jpg");
    assert!(std::fs::metadata(&front).unwrap().len() > 128 * 1024);
    std::fs::copy(front, work.path().join("front.jpg")).unwrap();
    std::fs::copy(
        data("faces/face_recognition/obama2.jpg"),
        work.path().join("selfie.jpg"),
    )
    .unwrap();
    let stdout = run_block(&s, work.path(), "## Walkthrough with curl");
    // Step 3 answered 200 (the `-w '%{http_code}'` line); step 2 wrote a token.
    assert!(
        stdout.lines().any(|l| l.trim() == "200"),
        "no 200 from /api/v2/process:\n{stdout}"
    );
    // Step 4 saved the report.
    let pdf = std::fs::read(work.path().join("report.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "report.pdf is a PDF");
    let token: serde_json::Value =
        serde_json::from_slice(&std::fs::read(work.path().join("token.json")).unwrap()).unwrap();
    assert_eq!(token["authToken"].as_str().map(str::len), Some(40));
    // Step 6 erased the verification: its status is DELETED... or still answered for the tombstone.
    assert!(
        stdout.contains(token["scanRef"].as_str().unwrap()),
        "{stdout}"
    );
}
