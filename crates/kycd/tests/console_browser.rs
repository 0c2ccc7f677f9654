//! The review console in a real headless Chromium (Debian's `chromium` + `chromium-driver`, installed by
//! `scripts/setup.sh`), driven over WebDriver: a reviewer logs in through the form, finds a SUSPECTED verification
//! in the "to review" queue, checks that its images rendered and its fields are shown, decides, and the partner's
//! receiver gets a correctly signed `IDENTIFICATION_MANUAL_FINISHED`; the audit trail shows the decision; after
//! logout the page redirects to the login form. Screenshots of the queue, the verification page and the dashboard
//! are saved under `target/tmp/console-screenshots/` (the README shows them, copied to `docs/screenshots/`).

mod common;
use common::*;
use fantoccini::{ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// chromedriver on a free port, killed on drop.
struct Driver(Child, u16);

impl Driver {
    fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (scripts/setup.sh installs chromium-driver)");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver(child, port)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn screenshots() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[tokio::test]
async fn a_reviewer_decides_a_suspected_verification_in_the_browser() {
    let (hook, received) = receiver().await;
    let s = Server::start(&[
        ("KYCD_CONSOLE_INSECURE_COOKIES", "true"),
        ("KYCD_WEBHOOK_ALLOW_PRIVATE", "true"),
    ]);
    let created: Value = serde_json::from_str(
        s.cli(&[
            "partner",
            "create",
            "--name",
            "acme",
            "--direct-processing",
            "--aml",
            "off",
            "--webhook-url",
            &hook,
        ])
        .trim(),
    )
    .unwrap();
    let p = Partner {
        api_key: created["apiKey"].as_str().unwrap().into(),
        api_secret: created["apiSecret"].as_str().unwrap().into(),
        signing_key: created["signingKey"].as_str().unwrap().into(),
    };
    let out = s.cli(&[
        "operator",
        "create",
        "--email",
        "Rita@Acme.example",
        "--role",
        "reviewer",
        "--partner",
        "acme",
    ]);
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("one-time password: "))
        .expect("a one-time password is printed")
        .to_string();

    // The same person and document under two clientIds: the second is SUSPECTED (duplicates).
    let doc = passport("faces/deepface/img1.jpg");
    let (first, v) = verify(&s, &p, "client-a", &doc, "faces/deepface/img2.jpg").await;
    assert_eq!(v["status"]["status"], "APPROVED", "{v}");
    let (scan, v) = verify(&s, &p, "client-b", &doc, "faces/deepface/img4.jpg").await;
    assert_eq!(v["status"]["status"], "SUSPECTED", "{v}");

    let driver = Driver::start();
    // fantoccini's client is built with rustls (unused on this loopback http session): pick its crypto provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let caps: serde_json::Map<String, Value> = serde_json::from_value(json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1100", "--force-device-scale-factor=1"]
        }
    }))
    .unwrap();
    let c = ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.1))
        .await
        .expect("WebDriver session in chromium");
    let base = &s.base;
    let shots = screenshots();

    // Log in through the form (e-mail case does not matter).
    c.goto(&format!("{base}/console/review")).await.unwrap();
    assert!(
        c.current_url()
            .await
            .unwrap()
            .path()
            .starts_with("/console/login")
    );
    c.find(Locator::Css("#email"))
        .await
        .unwrap()
        .send_keys("rita@acme.example")
        .await
        .unwrap();
    c.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(&password)
        .await
        .unwrap();
    c.find(Locator::Css("#login"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("table#queue"))
        .await
        .unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/console/review");

    // The SUSPECTED verification is in the review queue; the APPROVED one is not.
    let queue = c
        .find(Locator::Css("table#queue"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        queue.contains(&scan) && queue.contains("client-b"),
        "{queue}"
    );
    assert!(!queue.contains(&first), "{queue}");
    std::fs::write(shots.join("queue.png"), c.screenshot().await.unwrap()).unwrap();

    // Open it: images rendered, fields shown.
    c.find(Locator::LinkText(&scan))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Css("#fields")).await.unwrap();
    let start = Instant::now();
    let sizes = loop {
        let v = c
            .execute(
                "return Array.from(document.querySelectorAll('main img[src]')).map(i => [i.alt, i.complete, i.naturalWidth, i.getAttribute('src')]);",
                vec![],
            )
            .await
            .unwrap();
        let all: Vec<(String, bool, u64, String)> = serde_json::from_value(v).unwrap();
        if all.iter().all(|(_, done, _, _)| *done) || start.elapsed() > Duration::from_secs(20) {
            break all;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        sizes.iter().any(|(alt, _, _, _)| alt == "FRONT")
            && sizes.iter().any(|(alt, _, _, _)| alt == "FACE"),
        "{sizes:?}"
    );
    // The face comparison shows the portrait the match used, cropped by the document reader.
    assert!(
        sizes
            .iter()
            .any(|(alt, _, _, src)| alt == "document" && src.ends_with("/portrait")),
        "{sizes:?}"
    );
    for (alt, _, w, _) in &sizes {
        assert!(*w > 0, "image {alt} did not render: {sizes:?}");
    }
    let fields = c
        .find(Locator::Css("#fields"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        fields.contains(&doc.surname) && fields.contains(&doc.number),
        "{fields}"
    );
    let rules = c
        .find(Locator::Css("#rules"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(rules.contains("DUPLICATE_FACE"), "{rules}");
    // The duplicates link to the first customer's verification, each with its selfie (rendered above).
    let dups = c
        .execute(
            "return Array.from(document.querySelectorAll('ul.dups li')).map(li => [li.textContent, \
             li.querySelector('a').getAttribute('href'), !!li.querySelector('img.thumb')]);",
            vec![],
        )
        .await
        .unwrap();
    let dups: Vec<(String, String, bool)> = serde_json::from_value(dups).unwrap();
    for kind in ["Same face", "Same document number and date of birth"] {
        assert!(
            dups.iter().any(|(text, href, thumb)| text.contains(kind)
                && *href == format!("/console/v/{first}")
                && *thumb),
            "{kind}: {dups:?}"
        );
    }
    // The report link downloads the PDF, with the operator's session (fetched by the page itself).
    let report = c
        .execute(
            "const a = document.querySelector('#report'); return fetch(a.href).then(r => r.arrayBuffer().then(b => \
             [a.textContent, r.status, r.headers.get('content-type'), new TextDecoder().decode(new Uint8Array(b).slice(0, 5))]));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        report,
        serde_json::json!(["Download report (PDF)", 200, "application/pdf", "%PDF-"]),
        "{report}"
    );
    std::fs::write(
        shots.join("verification.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();

    // Decide with the keyboard shortcut (a = FACE_MATCH + DOC_VALIDATED) and a note.
    c.find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("a")
        .await
        .unwrap();
    let face = c
        .find(Locator::Css("#decision-face"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(face.as_deref(), Some("FACE_MATCH"));
    c.find(Locator::Css("#decision-note"))
        .await
        .unwrap()
        .send_keys("Same customer re-registering; document genuine.")
        .await
        .unwrap();
    c.find(Locator::Css("#decide"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Css(".notice")).await.unwrap();
    let overall = c
        .find(Locator::Css("#overall"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let trail = c
        .find(Locator::Css("#trail"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        trail.contains("decision") && trail.contains("Same customer re-registering"),
        "{trail}"
    );
    assert!(trail.contains("rita@acme.example"), "{trail}");

    // The partner's receiver gets a correctly signed IDENTIFICATION_MANUAL_FINISHED.
    let start = Instant::now();
    let (headers, body) = loop {
        let found = received.lock().unwrap().iter().find_map(|(h, b)| {
            let v: Value = serde_json::from_slice(b).ok()?;
            (v["scanRef"] == scan.as_str() && v["status"]["manualFace"] == "FACE_MATCH")
                .then(|| (h.clone(), b.clone()))
        });
        if let Some(f) = found {
            break f;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no manual webhook received"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        headers["idenfy-signature"].to_str().unwrap(),
        hex_hmac(p.signing_key.as_bytes(), &body)
    );
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["status"]["manualDocument"], "DOC_VALIDATED");
    assert_eq!(
        v["status"]["overall"].as_str().unwrap(),
        overall.trim(),
        "page and webhook agree"
    );
    assert!(
        headers.get("webhook-id").is_some_and(|_| true)
            || headers.get("idenfy-signature").is_some()
    );

    // The dashboard, then logout: the verification page goes back to the login form.
    c.goto(&format!("{base}/console")).await.unwrap();
    c.wait()
        .for_element(Locator::Css("svg.chart"))
        .await
        .unwrap();
    std::fs::write(shots.join("dashboard.png"), c.screenshot().await.unwrap()).unwrap();
    c.find(Locator::Css("#logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#login-form"))
        .await
        .unwrap();
    c.goto(&format!("{base}/console/v/{scan}")).await.unwrap();
    let url = c.current_url().await.unwrap();
    assert_eq!(url.path(), "/console/login", "{url}");
    c.close().await.unwrap();
}
