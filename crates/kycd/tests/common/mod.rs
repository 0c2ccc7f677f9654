//! Test harness: starts the real `kycd` binary on a free port with a temporary data dir, creates partners through
//! the CLI, and talks to it over HTTP.
#![allow(dead_code)]

use base64::Engine;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_kycd");

/// Path of a file in the shared test data.
pub fn data(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel)
}

/// The models installed by `scripts/setup.sh` (`$KYCD_MODELS_DIR`, default `<repo>/models`).
pub fn models_dir() -> PathBuf {
    std::env::var_os("KYCD_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models")))
}

pub fn b64_file(rel: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(std::fs::read(data(rel)).unwrap())
}

pub struct Partner {
    pub api_key: String,
    pub api_secret: String,
    pub signing_key: String,
}

pub struct Server {
    pub dir: tempfile::TempDir,
    pub child: Option<Child>,
    pub base: String,
    pub env: Vec<(String, String)>,
    pub client: reqwest::Client,
}

impl Server {
    /// Starts `kycd serve` with extra environment.
    pub fn start(extra: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let env: Vec<(String, String)> = extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut s = Server {
            dir,
            child: None,
            base: String::new(),
            env,
            client: reqwest::Client::new(),
        };
        s.spawn(&["serve"]);
        s
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("KYCD_DATA_DIR", self.data_dir())
            .env("KYCD_BIND", "127.0.0.1:0")
            .env("KYCD_LOG_FORMAT", "json")
            .env("KYCD_LOG", "warn")
            .env("KYCD_MODELS_DIR", models_dir())
            .env_remove("KYCD_DATABASE_URL");
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// (Re)starts the server process with the given arguments and waits for its address.
    pub fn spawn(&mut self, args: &[&str]) {
        use std::io::{BufRead, BufReader};
        let mut child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("kycd listening on ") {
                    let _ = tx.send(addr.to_string());
                }
            }
        });
        let wants_http = !args.contains(&"worker");
        if wants_http {
            self.base = rx
                .recv_timeout(Duration::from_secs(60))
                .expect("server did not start");
        }
        self.child = Some(child);
    }

    /// Runs a CLI command against the same data dir and returns stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = self.command(args).output().unwrap();
        assert!(
            out.status.success(),
            "kycd {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn partner(&self, direct_processing: bool) -> Partner {
        let mut args = vec!["partner", "create", "--name", "test"];
        if direct_processing {
            args.push("--direct-processing");
        }
        let v: Value = serde_json::from_str(self.cli(&args).trim()).unwrap();
        Partner {
            api_key: v["apiKey"].as_str().unwrap().into(),
            api_secret: v["apiSecret"].as_str().unwrap().into(),
            signing_key: v["signingKey"].as_str().unwrap().into(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Resident memory of the server process in KiB.
    pub fn rss_kib(&self) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        s.lines()
            .find(|l| l.starts_with("VmRSS:"))
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap()
    }

    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub async fn post(
        &self,
        p: &Partner,
        path: &str,
        body: impl Into<reqwest::Body>,
    ) -> (u16, String) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .basic_auth(&p.api_key, Some(&p.api_secret))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    pub async fn post_json(&self, p: &Partner, path: &str, body: &Value) -> (u16, Value) {
        let (s, t) = self.post(p, path, body.to_string()).await;
        (
            s,
            if t.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&t).unwrap_or(Value::String(t))
            },
        )
    }

    pub async fn token(&self, p: &Partner, req: Value) -> Value {
        let (s, v) = self.post_json(p, "/api/v2/token", &req).await;
        assert_eq!(s, 201, "token creation failed: {v}");
        v
    }

    /// Polls `/api/v2/status` until the verification is no longer in progress.
    pub async fn wait_finished(&self, p: &Partner, scan_ref: &str, timeout: Duration) -> Value {
        let start = Instant::now();
        loop {
            let (s, v) = self
                .post_json(p, "/api/v2/status", &json!({ "scanRef": scan_ref }))
                .await;
            assert_eq!(s, 200, "{v}");
            if v["status"] != "REVIEWING" && v["status"] != "ACTIVE" {
                return v;
            }
            assert!(
                start.elapsed() < timeout,
                "verification {scan_ref} not finished within {timeout:?}: {v}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Checks an error response: status code, identifier and the four envelope keys.
pub fn assert_error(resp: &(u16, Value), status: u16, identifier: &str) {
    let (s, v) = resp;
    assert_eq!(*s, status, "{v}");
    assert_eq!(v["identifier"], identifier, "{v}");
    assert_eq!(v["severity"], "NOT_SEVERE");
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(v.get("documentation").is_some());
}
