//! Test harness: starts the real `kycd` binary on a free port with a temporary data dir, creates partners through
//! the CLI, and talks to it over HTTP.
#![allow(dead_code)]

use base64::Engine;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use kycd_testkit::*;

pub const BIN: &str = env!("CARGO_BIN_EXE_kycd");

/// The models installed by `scripts/setup.sh` (`$KYCD_MODELS_DIR`, default `<repo>/models`).
pub fn models_dir() -> PathBuf {
    std::env::var_os("KYCD_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models")))
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
            // No list downloads from the publishers in tests (a test that wants them sets a mirror).
            .env("KYCD_LISTS_REFRESH", "off")
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

impl Api for Server {
    fn base(&self) -> &str {
        &self.base
    }

    fn http(&self) -> &reqwest::Client {
        &self.client
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A synthetic passport (see [`passport`]).
pub struct Doc {
    pub front_b64: String,
    pub surname: String,
    pub number: String,
    pub country: String,
}

/// A clean synthetic passport of a real-country issuer, unexpired, with `portrait` as the holder photo.
pub fn passport(portrait_rel: &str) -> Doc {
    passport_of(portrait_rel, None)
}

/// [`passport`] of a given holder: surname, given names, date of birth `YYYY-MM-DD` and nationality (ICAO code).
#[allow(dead_code)]
pub fn passport_of(portrait_rel: &str, holder: Option<(&str, &str, &str, &str)>) -> Doc {
    use base64::Engine;
    let generator =
        kycd_synth::Generator::load().expect("OCR-B font (scripts/setup.sh installs fonts-ocr-b)");
    let portrait = image::open(data(portrait_rel)).unwrap().to_rgb8();
    let today = kycd_mrz::Date::today().to_iso();
    for seed in 1..500u64 {
        let truth = generator
            .truth(seed, kycd_synth::DocKind::Passport)
            .unwrap();
        let Some(c) = kycd_mrz::country::by_alpha3(&truth.issuing_state) else {
            continue;
        };
        if truth.expiry.iso() <= today {
            continue;
        }
        let spec = kycd_synth::Spec::new(
            seed,
            kycd_synth::DocKind::Passport,
            kycd_synth::Level::Clean,
        )
        .with_portrait(&portrait);
        let truth = match holder {
            None => truth,
            Some((surname, given, birth, nationality)) => {
                let mut t = truth;
                t.nationality = nationality.to_string();
                t.mrz_fields.nationality = nationality.to_string().into();
                let p = |i: std::ops::Range<usize>| birth[i].parse::<u32>().unwrap();
                let birth = kycd_synth::Ymd {
                    year: p(0..4),
                    month: p(5..7),
                    day: p(8..10),
                };
                t.with_holder(surname, given, birth).unwrap()
            }
        };
        let doc = generator.generate_with(&spec, truth.clone(), None).unwrap();
        let front = &doc.viz_side().unwrap().photo.jpeg;
        return Doc {
            front_b64: base64::engine::general_purpose::STANDARD.encode(front),
            surname: truth.surname.clone(),
            number: truth.document_number.clone(),
            country: c.alpha2.to_string(),
        };
    }
    panic!("no suitable seed");
}

/// Submits `doc` with `selfie` for `client`, waits for the result: the scanRef and `{status, data}`.
pub async fn verify(
    s: &Server,
    p: &Partner,
    client: &str,
    doc: &Doc,
    selfie: &str,
) -> (String, Value) {
    let tok = s.token(p, json!({"clientId": client})).await;
    let body = json!({"authToken": tok["authToken"], "country": doc.country,
        "images": {"FRONT": doc.front_b64, "FACE": b64_file(selfie)}});
    let r = s.post_json(p, "/api/v2/process", &body).await;
    assert_eq!(r.0, 200, "{:?}", r.1);
    let scan = tok["scanRef"].as_str().unwrap().to_string();
    s.wait_finished(p, &scan, Duration::from_secs(120)).await;
    let (_, st) = s
        .post_json(p, "/api/v2/status", &json!({"scanRef": scan}))
        .await;
    let (_, data) = s
        .post_json(p, "/api/v2/data", &json!({"scanRef": scan}))
        .await;
    (scan, json!({"status": st, "data": data}))
}

/// What a test webhook receiver got: headers and raw body of each delivery, in order.
pub type Received =
    std::sync::Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, axum::body::Bytes)>>>;

/// A webhook receiver on a free port answering 200; returns its URL and what it received.
pub async fn receiver() -> (String, Received) {
    receiver_failing(0).await
}

/// A webhook receiver that answers 500 to the first `fail_first` calls, then 200.
pub async fn receiver_failing(fail_first: usize) -> (String, Received) {
    use axum::body::Bytes;
    use axum::http::HeaderMap;
    let got: Received = Received::default();
    let g = got.clone();
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let g = g.clone();
            let calls = calls.clone();
            async move {
                let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if n < fail_first {
                    return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                }
                g.lock().unwrap().push((headers, body));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), got)
}

/// Lower-case hex HMAC-SHA256 (the `Idenfy-Signature` of a webhook body).
pub fn hex_hmac(key: &[u8], body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut m = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).unwrap();
    m.update(body);
    m.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A distinct small PNG for verification `n` (`salt` tells FRONT from FACE).
pub fn png(n: u32, salt: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(96, 64, |x, y| {
        image::Rgb([
            (x * 7 + n) as u8,
            (y * 13 + (n >> 8)) as u8,
            salt ^ (n as u8) ^ ((x * y) as u8),
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

pub fn sha256(b: &[u8]) -> String {
    <sha2::Sha256 as sha2::Digest>::digest(b)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One verification submitted by [`submit_small`] and the images sent.
#[derive(Clone)]
pub struct Sent {
    pub scan: String,
    pub images: std::collections::BTreeMap<&'static str, Vec<u8>>,
}

/// Submits verification `n` of client `{client}-{n}` with two small distinct PNGs and `skipAnalysis` (quick to
/// process, still through the whole pipeline); `prefill` adds first and last names to the token.
pub async fn submit_small(s: &Server, p: &Partner, client: &str, n: u32, prefill: bool) -> Sent {
    let mut req = json!({"clientId": format!("{client}-{n}")});
    if prefill {
        // Names hold letters only: the number spelled in letters.
        let letters: String = n
            .to_string()
            .bytes()
            .map(|d| char::from(b'A' + (d - b'0')))
            .collect();
        req["firstName"] = json!("JONAS");
        req["lastName"] = json!(format!("TESTAS{letters}"));
    }
    let tok = s.token(p, req).await;
    let scan = tok["scanRef"].as_str().unwrap().to_string();
    let images =
        std::collections::BTreeMap::from([("FRONT", png(n, 0x11)), ("FACE", png(n, 0xA5))]);
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let body = json!({"authToken": tok["authToken"], "country": "LT", "documentType": "PASSPORT",
        "skipAnalysis": true, "images": {"FRONT": b64(&images["FRONT"]), "FACE": b64(&images["FACE"])}});
    let (code, v) = s.post_json(p, "/api/v2/process", &body).await;
    assert_eq!(code, 200, "{v}");
    Sent { scan, images }
}
