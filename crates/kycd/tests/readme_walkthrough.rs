//! The README's walkthrough, run as printed: the shell block under "Walkthrough with curl" is taken from README.md
//! and run with bash against a started server, with real photos (a passport photo over the 128 KiB limit of one
//! command-line argument). Only the server address is replaced, and `cargo run --release -p kycd --` runs the binary
//! under test.

mod common;
use common::*;
use std::process::Command;

fn walkthrough() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md");
    let section = readme
        .split("## Walkthrough with curl")
        .nth(1)
        .expect("the walkthrough section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("the walkthrough's shell block");
    block.to_string()
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
    let script = format!(
        "set -euo pipefail\n\
         cargo() {{ while [ \"$1\" != \"--\" ]; do shift; done; shift; \"$KYCD_BIN\" \"$@\"; }}\n{}\n",
        walkthrough().replace("http://127.0.0.1:8080", &s.base)
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(work.path())
        .env("KYCD_BIN", BIN)
        .env("KYCD_DATA_DIR", s.data_dir())
        .env("KYCD_MODELS_DIR", models_dir())
        .env("KYCD_LOG", "warn")
        .env_remove("KYCD_DATABASE_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "walkthrough failed:\n{stdout}\n{stderr}"
    );
    // Step 3 answered 200 (the `-w '%{http_code}'` line); step 2 wrote a token.
    assert!(
        stdout.lines().any(|l| l.trim() == "200"),
        "no 200 from /api/v2/process:\n{stdout}\n{stderr}"
    );
    let token: serde_json::Value =
        serde_json::from_slice(&std::fs::read(work.path().join("token.json")).unwrap()).unwrap();
    assert_eq!(token["authToken"].as_str().map(str::len), Some(40));
    // Step 6 erased the verification: its status is DELETED... or still answered for the tombstone.
    assert!(
        stdout.contains(token["scanRef"].as_str().unwrap()),
        "{stdout}"
    );
}
