//! AML monitoring end to end: `kycd serve` refreshes the UN list from a local mirror on a short schedule; a
//! verification approved while one real entry was missing from the list is monitored automatically; when the mirror
//! serves the list with that entry again, the subject is re-screened and the partner gets exactly one signed
//! `AML_MONITORING` webhook, none for the other subjects. A truncated file and a failed download keep the old list
//! and send nothing; a list imported by hand (`kycd lists import`) is applied too.

mod common;
use axum::http::StatusCode;
use common::*;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The listed person whose entry the older list lacks (UN reference CDi.006).
const REFERENCE: &str = "CDi.006";
const HOLDER: (&str, &str, &str, &str) = ("KATANGA", "GERMAIN", "1978-04-28", "COD");

/// The UN consolidated list without the entry `REFERENCE`, and the full list.
fn lists() -> (String, String) {
    let full = std::fs::read_to_string(data("sanctions/un/consolidated.xml")).unwrap();
    let at = full
        .find(&format!("<REFERENCE_NUMBER>{REFERENCE}</REFERENCE_NUMBER>"))
        .unwrap();
    let start = full[..at].rfind("<INDIVIDUAL>").unwrap();
    let end = at + full[at..].find("</INDIVIDUAL>").unwrap() + "</INDIVIDUAL>".len();
    let older = format!("{}{}", &full[..start], &full[end..]);
    (older, full)
}

/// What the mirror serves as `consolidated.xml`.
#[derive(Clone)]
enum Serving {
    File(String),
    Error,
}

/// A plain HTTP folder with the UN file name (the other publishers' files are missing: 404).
async fn mirror(serving: Arc<Mutex<Serving>>) -> String {
    let app = axum::Router::new().route(
        "/lists/consolidated.xml",
        axum::routing::get(move || {
            let serving = serving.clone();
            async move {
                match serving.lock().unwrap().clone() {
                    Serving::File(body) => (StatusCode::OK, body),
                    Serving::Error => (StatusCode::INTERNAL_SERVER_ERROR, String::new()),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/lists/")
}

fn un_entities(s: &Server) -> u64 {
    let v: Value = serde_json::from_str(&s.cli(&["lists", "status", "--json"])).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "un-sc")
        .and_then(|m| m["entity_count"].as_u64())
        .unwrap_or(0)
}

fn subjects(s: &Server) -> Vec<Value> {
    s.cli(&["aml", "subjects", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The AML_MONITORING webhooks received so far, signature checked.
fn monitoring_hooks(got: &Received, p: &Partner) -> Vec<Value> {
    got.lock()
        .unwrap()
        .iter()
        .filter(|(h, _)| h["idenfy-event-type"] == "AML_MONITORING")
        .map(|(h, raw)| {
            assert_eq!(
                h["idenfy-signature"].to_str().unwrap(),
                hex_hmac(p.signing_key.as_bytes(), raw)
            );
            serde_json::from_slice(raw).unwrap()
        })
        .collect()
}

async fn until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out: {what}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn a_list_change_alerts_the_monitored_subject_once() {
    let (older, newer) = lists();
    let serving = Arc::new(Mutex::new(Serving::File(older.clone())));
    let mirror_url = mirror(serving.clone()).await;
    let (hook_url, got) = receiver().await;
    let s = Server::start(&[
        ("KYCD_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("KYCD_WEBHOOK_RETRY_SCHEDULE", "0.2,0.2,0.2"),
        ("KYCD_LISTS_REFRESH", "2s"),
        ("KYCD_LISTS_MIRROR_URL", &mirror_url),
    ]);
    // The first refresh stores the older list.
    until("the older list stored", 60, || un_entities(&s) > 0).await;
    let old_count = un_entities(&s);

    let v: Value = serde_json::from_str(
        s.cli(&[
            "partner",
            "create",
            "--name",
            "monitored",
            "--direct-processing",
            "--webhook-url",
            &hook_url,
            "--aml-monitoring",
            "on",
        ])
        .trim(),
    )
    .unwrap();
    let p = Partner {
        api_key: v["apiKey"].as_str().unwrap().into(),
        api_secret: v["apiSecret"].as_str().unwrap().into(),
        signing_key: v["signingKey"].as_str().unwrap().into(),
    };
    // Approved while the list lacks the entry: monitored automatically.
    let doc = passport_of("faces/deepface/img1.jpg", Some(HOLDER));
    let (scan, v) = verify(&s, &p, "client-k", &doc, "faces/deepface/img2.jpg").await;
    assert_eq!(v["status"]["status"], "APPROVED", "{v}");
    // A subject given by hand, who is on no list.
    let (code, added) = s
        .post_json(
            &p,
            "/api/v2/add-aml-user",
            &json!({"type": "PERSON", "name": "Anna", "surname": "Lindqvist", "dateOfBirth": "1991-05-05",
                    "nationality": "SE"}),
        )
        .await;
    assert_eq!(code, 201, "{added}");
    assert_eq!(added["alertStatus"], "NOT_CHECKED");
    // Bad input is refused in the envelope.
    assert_error(
        &s.post_json(
            &p,
            "/api/v2/add-aml-user",
            &json!({"type": "SHIP", "name": "X"}),
        )
        .await,
        400,
        "BAD_VALUE",
    );
    assert_error(
        &s.post_json(&p, "/api/v2/add-aml-user", &json!({})).await,
        400,
        "MISSING_VALUE",
    );
    // Both are screened in full: nothing found, no alert.
    until("both subjects screened", 60, || {
        let subs = subjects(&s);
        subs.len() == 2 && subs.iter().all(|x| x["alertStatus"] == "NOT_SUSPECTED")
    })
    .await;
    let monitored = subjects(&s)
        .into_iter()
        .find(|x| x["scanRef"] == scan.as_str())
        .expect("the approved verification is monitored");

    // A truncated file, then a failed download: the older list stays and nothing is sent.
    *serving.lock().unwrap() = Serving::File(newer[..newer.len() / 3].to_string());
    tokio::time::sleep(Duration::from_secs(6)).await;
    *serving.lock().unwrap() = Serving::Error;
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(un_entities(&s), old_count);
    assert!(monitoring_hooks(&got, &p).is_empty());

    // The newer list: one webhook, for the approved holder only.
    *serving.lock().unwrap() = Serving::File(newer);
    until("an AML_MONITORING webhook", 90, || {
        !monitoring_hooks(&got, &p).is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let hooks = monitoring_hooks(&got, &p);
    assert_eq!(hooks.len(), 1, "exactly one webhook: {hooks:?}");
    let h = &hooks[0];
    assert_eq!(h["monitoringId"], monitored["monitoringId"]);
    assert_eq!(h["scanRefList"], json!([scan]));
    assert_eq!(h["alertStatus"], "SUSPECTED");
    assert_eq!(h["isActive"], true);
    assert_eq!(h["surname"], "KATANGA");
    let results = h["results"].as_array().unwrap();
    assert!(
        results.iter().any(
            |r| r["surname"].as_str().is_some_and(|x| x.contains("KATANGA"))
                || r["name"].as_str().is_some_and(|x| x.contains("KATANGA"))
        ),
        "{h}"
    );
    assert_eq!(un_entities(&s), old_count + 1);
    // The refresh is recorded with the entry it added.
    let diff: Value = serde_json::from_str(&s.cli(&["lists", "diff", "--json"])).unwrap();
    let un = diff
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "un-sc")
        .unwrap();
    assert_eq!(un["status"], "updated");
    assert!(
        un["added"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"].as_str().unwrap().ends_with(REFERENCE))
    );
    // A list imported by hand while the server runs is applied as well: the entry is gone again, and so is the
    // match (a second webhook, NOT_SUSPECTED).
    *serving.lock().unwrap() = Serving::Error;
    let file = s.dir.path().join("consolidated.xml");
    std::fs::write(&file, &older).unwrap();
    s.cli(&[
        "lists",
        "import",
        "--format",
        "un-xml",
        "--key",
        "un-sc",
        file.to_str().unwrap(),
    ]);
    until("the second webhook", 60, || {
        monitoring_hooks(&got, &p).len() == 2
    })
    .await;
    let second = &monitoring_hooks(&got, &p)[1];
    assert_eq!(second["monitoringId"], monitored["monitoringId"]);
    assert_eq!(second["alertStatus"], "NOT_SUSPECTED");
    assert_eq!(second["results"], json!([]));
    // The alert state is kept; stopping the monitoring ends it.
    let subs = subjects(&s);
    let m = subs.iter().find(|x| x["scanRef"] == scan.as_str()).unwrap();
    assert_eq!(m["alertStatus"], "NOT_SUSPECTED");
    let (code, stopped) = s
        .post_json(
            &p,
            "/api/v2/remove-aml-user",
            &json!({"monitoringId": m["monitoringId"]}),
        )
        .await;
    assert_eq!(
        (code, &stopped["isActive"]),
        (200, &json!(false)),
        "{stopped}"
    );
    // Erasing the verification erases its subject.
    let other_subject = added["monitoringId"].as_str().unwrap().to_string();
    s.post_json(&p, "/api/v2/delete", &json!({"scanRef": scan}))
        .await;
    let all: Vec<Value> = s
        .cli(&["aml", "subjects", "--json", "--all"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["monitoringId"], other_subject.as_str());
}
