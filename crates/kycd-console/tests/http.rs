//! The console over HTTP, in process (no models): authentication, partner scoping, CSRF, escaping, lockout, roles,
//! decisions, erasure and the audit log, against the real router over a temporary SQLite store and blob folder.

use kycd_console::{ConsoleConfig, ConsoleState, hash_password};
use kycd_store::{
    AcceptedVerification, ImageRef, JobOutcome, Keyring, NewPartner, NewToken, OperatorRole, Store,
    now_ms,
};
use kycd_types::PartnerId;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;
use std::collections::BTreeMap;

const PASSWORD: &str = "correct horse battery staple";

struct App {
    base: String,
    client: reqwest::Client,
    store: Store,
    partner_a: PartnerId,
    partner_b: PartnerId,
    _dir: tempfile::TempDir,
}

fn data(rel: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel)
}

async fn spawn(config: ConsoleConfig) -> App {
    let dir = tempfile::tempdir().unwrap();
    let keyring = Keyring::from_master(&[9u8; 32]).unwrap();
    let db = dir.path().join("kycd.db");
    let store = Store::connect(&format!("sqlite://{}?mode=rwc", db.display()), 4)
        .await
        .unwrap()
        .with_encryption(keyring.clone());
    let blobs = kycd_blob::BlobStore::local(dir.path().join("blobs"))
        .unwrap()
        .with_envelope(&keyring.blob_kek());
    let mut ids = Vec::new();
    for name in ["acme", "globex"] {
        ids.push(
            store
                .create_partner(NewPartner {
                    webhook_url: Some("https://example.com/hook".into()),
                    ..NewPartner::new(
                        name,
                        format!("key-{name}"),
                        vec![1; 32],
                        keyring.encrypt(&[2; 32]).unwrap(),
                    )
                })
                .await
                .unwrap()
                .id,
        );
    }
    let hash = hash_password(PASSWORD).unwrap();
    for (email, role, partner) in [
        ("admin@bank.example", OperatorRole::Admin, None),
        ("rev@acme.example", OperatorRole::Reviewer, Some(ids[0])),
        ("view@acme.example", OperatorRole::Viewer, Some(ids[0])),
    ] {
        store
            .create_operator(email, &hash, role, partner)
            .await
            .unwrap();
    }
    let state = ConsoleState::new(store.clone(), blobs.clone(), keyring, config);
    let app = kycd_console::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    App {
        base,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        store,
        partner_a: ids[0],
        partner_b: ids[1],
        _dir: dir,
    }
}

fn insecure() -> ConsoleConfig {
    ConsoleConfig {
        insecure_cookies: true,
        ..Default::default()
    }
}

impl App {
    /// A finished SUSPECTED verification of `partner` with a FACE image; returns its scanRef.
    async fn verification(&self, partner: PartnerId, client_id: &str, first_name: &str) -> String {
        let auth = uuid::Uuid::new_v4().to_string();
        let scan = uuid::Uuid::new_v4().to_string();
        let settings = serde_json::from_value(json!({
            "authToken": auth, "scanRef": scan, "clientId": client_id, "tokenType": "IDENTIFICATION",
            "documents": ["PASSPORT"], "allowedDocuments": {}, "expiryTime": 3600, "sessionLength": 600,
            "locale": "en", "utilityBill": false, "videoCallQuestions": [], "faceMatchingThresholdModifier": 0.0,
            "firstName": first_name
        }))
        .unwrap();
        self.store
            .insert_token(&NewToken {
                partner_id: partner,
                settings,
                created_at: now_ms(),
                expires_at: now_ms() + 60_000,
            })
            .await
            .unwrap();
        let bytes = std::fs::read(data("faces/deepface/img1.jpg")).unwrap();
        let key = kycd_blob::image_key(&scan, "FACE", "jpg");
        let blobs = kycd_blob::BlobStore::local(self._dir.path().join("blobs"))
            .unwrap()
            .with_envelope(&Keyring::from_master(&[9u8; 32]).unwrap().blob_kek());
        blobs.put(&key, bytes.clone().into()).await.unwrap();
        let mut images = BTreeMap::new();
        images.insert(
            "FACE".to_string(),
            ImageRef {
                key,
                mime: "image/jpeg".into(),
                size: bytes.len() as u64,
            },
        );
        self.store
            .accept_verification(&AcceptedVerification {
                partner_id: partner,
                auth_token: auth,
                scan_ref: scan.clone(),
                client_id: client_id.into(),
                country: "LT".into(),
                document_type: Some("PASSPORT".into()),
                skip_analysis: false,
                images,
                precheck: None,
                max_attempts: 2,
            })
            .await
            .unwrap();
        let job = self.store.claim_job("test", 60_000).await.unwrap().unwrap();
        let status: kycd_types::webhook::StatusBlock = serde_json::from_value(json!({
            "overall": "SUSPECTED", "suspicionReasons": [], "fraudTags": ["DUPLICATE_FACE"],
            "mismatchTags": [], "autoFace": "FACE_MATCH", "manualFace": null,
            "autoDocument": "DOC_VALIDATED", "manualDocument": null, "additionalSteps": null}))
        .unwrap();
        let mut result =
            serde_json::to_value(kycd_pipeline::result::base_result(&scan, client_id, status))
                .unwrap();
        result["data"]["docFirstName"] = json!(first_name);
        result["data"]["docLastName"] = json!("EXAMPLE");
        result["kycd"] = json!({"rules": [{"rule": "fraud.duplicate_face", "produced": "DUPLICATE_FACE", "detail": "same face"}]});
        assert!(
            self.store
                .complete_job(
                    &job,
                    &JobOutcome {
                        status: "SUSPECTED".into(),
                        result,
                        outbox: None
                    }
                )
                .await
                .unwrap()
        );
        scan
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut r = self.client.get(format!("{}{path}", self.base));
        if let Some(c) = cookie {
            r = r.header(COOKIE, c);
        }
        r.send().await.unwrap()
    }

    /// The body of a page the operator may open.
    async fn page(&self, path: &str, cookie: Option<&str>) -> String {
        self.get(path, cookie).await.text().await.unwrap()
    }

    async fn post(
        &self,
        path: &str,
        cookie: Option<&str>,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut r = self.client.post(format!("{}{path}", self.base)).form(form);
        if let Some(c) = cookie {
            r = r.header(COOKIE, c);
        }
        r.send().await.unwrap()
    }

    /// Fetches the login form: the login CSRF cookie (`name=value`) and the form's token.
    async fn login_form(&self) -> (String, String) {
        let r = self.get("/console/login", None).await;
        let cookie = set_cookie(&r, "kycd_login").unwrap();
        let body = r.text().await.unwrap();
        (
            cookie.split(';').next().unwrap().to_string(),
            hidden(&body, "csrf"),
        )
    }

    async fn try_login(&self, email: &str, password: &str) -> reqwest::Response {
        let (cookie, csrf) = self.login_form().await;
        self.post(
            "/console/login",
            Some(&cookie),
            &[
                ("email", email),
                ("password", password),
                ("csrf", &csrf),
                ("next", "/console/queue"),
            ],
        )
        .await
    }

    /// Logs in; returns the session cookie (`name=value`) and the session's CSRF token.
    async fn login(&self, email: &str) -> (String, String) {
        let r = self.try_login(email, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login of {email}");
        assert_eq!(r.headers()[LOCATION], "/console/queue");
        let cookie = set_cookie(&r, "kycd_session").unwrap();
        let cookie = cookie.split(';').next().unwrap().to_string();
        let page = self
            .get("/console/queue", Some(&cookie))
            .await
            .text()
            .await
            .unwrap();
        (cookie, hidden(&page, "csrf"))
    }

    async fn manual_face(&self, scan: &str) -> serde_json::Value {
        self.store
            .verification(scan)
            .await
            .unwrap()
            .unwrap()
            .result
            .unwrap()["status"]["manualFace"]
            .clone()
    }

    async fn audit_actions(&self, scan: &str) -> Vec<String> {
        self.store
            .audit_entries(Some(scan), None, None, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.action)
            .collect()
    }
}

fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field in {html}"))
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn without_a_session_pages_redirect_to_login_and_the_api_is_401() {
    let app = spawn(insecure()).await;
    let scan = app.verification(app.partner_a, "c1", "ANA").await;
    for path in [
        "/console".to_string(),
        "/console/queue".into(),
        "/console/review".into(),
        "/console/review/next".into(),
        format!("/console/v/{scan}"),
        format!("/console/v/{scan}/file/FACE"),
        format!("/console/v/{scan}/report.pdf"),
        "/console/audit".into(),
        "/console/audit.csv".into(),
    ] {
        let r = app.get(&path, None).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(
            r.headers()[LOCATION]
                .to_str()
                .unwrap()
                .starts_with("/console/login"),
            "{path}"
        );
    }
    for path in [
        "/console/api/queue".to_string(),
        format!("/console/api/verifications/{scan}"),
    ] {
        assert_eq!(
            app.get(&path, None).await.status(),
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    for path in ["decision", "replay", "blocklist", "erase"] {
        let r = app
            .post(&format!("/console/v/{scan}/{path}"), None, &[("csrf", "x")])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
    }
    // A forged session cookie is no session.
    let r = app.get("/console/queue", Some("kycd_session=forged")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app.get("/console/login", None).await;
    let h = r.headers();
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(
        !r.text().await.unwrap().contains("onclick="),
        "no inline handlers"
    );
}

#[tokio::test]
async fn session_cookie_flags_and_logout() {
    let app = spawn(ConsoleConfig::default()).await;
    let (cookie, csrf) = app.login_form().await;
    let r = app
        .post(
            "/console/login",
            Some(&cookie),
            &[
                ("email", "ADMIN@bank.example"),
                ("password", PASSWORD),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let c = set_cookie(&r, "kycd_session").unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/console"] {
        assert!(c.contains(flag), "{flag} missing in {c}");
    }
    let app = spawn(insecure()).await;
    let (cookie, csrf) = app.login("admin@bank.example").await;
    assert_eq!(
        app.get("/console", Some(&cookie)).await.status(),
        StatusCode::OK
    );
    // Logout needs the CSRF token; afterwards the cookie is worthless.
    let r = app
        .post("/console/logout", Some(&cookie), &[("csrf", "wrong")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = app
        .post("/console/logout", Some(&cookie), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        set_cookie(&r, "kycd_session")
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        app.get("/console", Some(&cookie)).await.status(),
        StatusCode::SEE_OTHER
    );
    // A login form posted without its CSRF cookie is refused.
    let r = app
        .post(
            "/console/login",
            None,
            &[
                ("email", "admin@bank.example"),
                ("password", PASSWORD),
                ("csrf", "x"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(set_cookie(&r, "kycd_session").is_none());
}

#[tokio::test]
async fn another_partners_verification_and_images_are_404() {
    let app = spawn(insecure()).await;
    let mine = app.verification(app.partner_a, "c-a", "ANA").await;
    let theirs = app.verification(app.partner_b, "c-b", "BOB").await;
    let (cookie, _) = app.login("rev@acme.example").await;
    assert_eq!(
        app.get(&format!("/console/v/{mine}"), Some(&cookie))
            .await
            .status(),
        StatusCode::OK
    );
    let img = app
        .get(&format!("/console/v/{mine}/file/FACE"), Some(&cookie))
        .await;
    assert_eq!(img.status(), StatusCode::OK);
    assert_eq!(img.headers()["content-type"], "image/jpeg");
    assert_eq!(
        img.bytes().await.unwrap().to_vec(),
        std::fs::read(data("faces/deepface/img1.jpg")).unwrap(),
        "decrypted"
    );
    // The report of the verification, the same PDF as /api/v2/generate-pdf, with the selfie embedded.
    let page = app.page(&format!("/console/v/{mine}"), Some(&cookie)).await;
    assert!(page.contains(&format!("/console/v/{mine}/report.pdf")));
    let report = app
        .get(&format!("/console/v/{mine}/report.pdf"), Some(&cookie))
        .await;
    assert_eq!(report.status(), StatusCode::OK);
    assert_eq!(report.headers()["content-type"], "application/pdf");
    assert!(
        report.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let pdf = report.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let path =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("console-{mine}.pdf"));
    std::fs::write(&path, &pdf).unwrap();
    let text = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils, installed by scripts/setup.sh)");
    let _ = std::fs::remove_file(&path);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains(&mine),
        "the report names its verification"
    );
    for path in [
        format!("/console/v/{theirs}"),
        format!("/console/v/{theirs}/report.pdf"),
        format!("/console/v/{theirs}/file/FACE"),
        format!("/console/api/verifications/{theirs}"),
        format!("/console/v/{mine}/file/FRONT"),
        "/console/v/does-not-exist".into(),
    ] {
        assert_eq!(
            app.get(&path, Some(&cookie)).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let q = app
        .get("/console/api/queue", Some(&cookie))
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let rows = q["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["scanRef"], mine.as_str());
    // The partner filter cannot widen a bound operator's scope.
    let q = app
        .get(
            &format!("/console/api/queue?partner={}", app.partner_b.0),
            Some(&cookie),
        )
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert!(
        q["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["scanRef"] == mine.as_str())
    );
    // An admin without a partner sees both.
    let (admin, _) = app.login("admin@bank.example").await;
    assert_eq!(
        app.get(&format!("/console/v/{theirs}"), Some(&admin))
            .await
            .status(),
        StatusCode::OK
    );
    // Opening a verification is recorded.
    assert!(
        app.audit_actions(&mine)
            .await
            .contains(&"view_verification".to_string())
    );
}

#[tokio::test]
async fn forms_without_the_csrf_token_change_nothing() {
    let app = spawn(insecure()).await;
    let scan = app.verification(app.partner_a, "c1", "ANA").await;
    let (cookie, csrf) = app.login("rev@acme.example").await;
    for token in [None, Some("wrong"), Some("")] {
        let mut form = vec![
            ("face", "FACE_MATCH"),
            ("document", "DOC_VALIDATED"),
            ("note", "looks fine"),
        ];
        if let Some(t) = token {
            form.push(("csrf", t));
        }
        let r = app
            .post(&format!("/console/v/{scan}/decision"), Some(&cookie), &form)
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{token:?}");
    }
    assert_eq!(app.manual_face(&scan).await, serde_json::Value::Null);
    assert!(
        !app.audit_actions(&scan)
            .await
            .contains(&"decision".to_string())
    );
    assert!(
        app.store
            .webhooks_for(&scan, None)
            .await
            .unwrap()
            .is_empty()
    );
    // A note is required.
    let r = app
        .post(
            &format!("/console/v/{scan}/decision"),
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("face", "FACE_MATCH"),
                ("document", "DOC_VALIDATED"),
                ("note", " "),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // With the token it works: the same path as `kycd review decide`.
    let r = app
        .post(
            &format!("/console/v/{scan}/decision"),
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("face", "FACE_MATCH"),
                ("document", "DOC_VALIDATED"),
                ("note", "same person, genuine document"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.manual_face(&scan).await, "FACE_MATCH");
    let hooks = app.store.webhooks_for(&scan, None).await.unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].event_type, "IDENTIFICATION_MANUAL_FINISHED");
    let audit = app
        .store
        .audit_entries(Some(&scan), None, None, 10)
        .await
        .unwrap();
    let d = audit.iter().find(|a| a.action == "decision").unwrap();
    assert_eq!(d.note.as_deref(), Some("same person, genuine document"));
    assert!(
        d.detail.as_deref().unwrap().contains("before: SUSPECTED"),
        "{:?}",
        d.detail
    );
    assert_eq!(d.operator_email, "rev@acme.example");
    // It left the review queue.
    assert_eq!(
        app.store
            .review_backlog(Some(app.partner_a))
            .await
            .unwrap()
            .0,
        0
    );
}

#[tokio::test]
async fn submitted_values_are_rendered_inert() {
    let app = spawn(insecure()).await;
    let evil = "<script>alert(1)</script>";
    let scan = app
        .verification(app.partner_a, evil, "<img src=x onerror=alert(2)>")
        .await;
    let (cookie, _) = app.login("rev@acme.example").await;
    for path in [
        format!("/console/v/{scan}"),
        "/console/queue".into(),
        "/console/review".into(),
    ] {
        let page = app.get(&path, Some(&cookie)).await.text().await.unwrap();
        assert!(!page.contains("<script>alert"), "{path}");
        assert!(!page.contains("<img src=x"), "{path}");
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
                || page.contains("&#60;script&#62;"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn twenty_wrong_passwords_lock_the_operator_out() {
    let app = spawn(insecure()).await;
    for _ in 0..20 {
        let r = app
            .try_login("rev@acme.example", "not the password at all")
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(set_cookie(&r, "kycd_session").is_none());
    }
    let r = app.try_login("rev@acme.example", PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "the right password is refused while locked"
    );
    let op = app
        .store
        .operator_by_email("rev@acme.example")
        .await
        .unwrap()
        .unwrap();
    assert!(op.locked_until.unwrap() > now_ms() + 60_000);
    let failed = app
        .store
        .audit_entries(None, None, None, 100)
        .await
        .unwrap()
        .iter()
        .filter(|a| a.action == "login_failed")
        .count();
    assert_eq!(failed, 21);
    // Another operator is not affected.
    app.login("view@acme.example").await;
}

#[tokio::test]
async fn a_viewer_cannot_decide_and_only_an_admin_erases() {
    let app = spawn(insecure()).await;
    let scan = app.verification(app.partner_a, "c1", "ANA").await;
    let (viewer, csrf) = app.login("view@acme.example").await;
    let page = app.page(&format!("/console/v/{scan}"), Some(&viewer)).await;
    assert!(
        !page.contains("id=\"decision\""),
        "no decision form for a viewer"
    );
    let r = app
        .post(
            &format!("/console/v/{scan}/decision"),
            Some(&viewer),
            &[
                ("csrf", &csrf),
                ("face", "FACE_MATCH"),
                ("document", "DOC_VALIDATED"),
                ("note", "x"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.manual_face(&scan).await, serde_json::Value::Null);
    assert_eq!(
        app.get("/console/audit", Some(&viewer)).await.status(),
        StatusCode::FORBIDDEN
    );
    let (rev, rcsrf) = app.login("rev@acme.example").await;
    let r = app
        .post(
            &format!("/console/v/{scan}/erase"),
            Some(&rev),
            &[("csrf", &rcsrf), ("confirm", &scan)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The admin erases after typing the scanRef; images and personal data go, the audit trail stays.
    let (admin, acsrf) = app.login("admin@bank.example").await;
    let r = app
        .post(
            &format!("/console/v/{scan}/erase"),
            Some(&admin),
            &[("csrf", &acsrf), ("confirm", "nope")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = app
        .post(
            &format!("/console/v/{scan}/erase"),
            Some(&admin),
            &[("csrf", &acsrf), ("confirm", &scan)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let v = app.store.verification(&scan).await.unwrap().unwrap();
    assert_eq!(v.status, "DELETED");
    assert_eq!(
        app.get(&format!("/console/v/{scan}/file/FACE"), Some(&admin))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let actions = app.audit_actions(&scan).await;
    assert!(
        actions.contains(&"erase".to_string())
            && actions.contains(&"view_verification".to_string())
    );
    // The audit log page and its CSV export.
    let csv = app.get("/console/audit.csv", Some(&admin)).await;
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("id,at,operator,action"));
    assert!(csv.contains("\"erase\"") && csv.contains("\"decision\"") == csv.contains("decision"));
    assert!(
        app.page("/console/audit", Some(&admin))
            .await
            .contains("erase")
    );
}

#[tokio::test]
async fn queue_review_and_dashboard_render() {
    let app = spawn(insecure()).await;
    let a = app.verification(app.partner_a, "c1", "ANA").await;
    let b = app.verification(app.partner_a, "c2", "EVA").await;
    let (cookie, _) = app.login("rev@acme.example").await;
    let review = app.page("/console/review", Some(&cookie)).await;
    let (ia, ib) = (review.find(&a).unwrap(), review.find(&b).unwrap());
    assert!(ia < ib, "oldest first");
    let r = app.get("/console/review/next", Some(&cookie)).await;
    assert_eq!(r.headers()[LOCATION], format!("/console/v/{a}").as_str());
    let q = app
        .get(
            "/console/queue?tag=duplicate_face&status=suspected",
            Some(&cookie),
        )
        .await;
    assert_eq!(q.status(), StatusCode::OK);
    assert!(q.text().await.unwrap().contains(&b));
    assert_eq!(
        app.get("/console/queue?status=BOGUS", Some(&cookie))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get("/console/queue?after=zzz", Some(&cookie))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get("/console/queue?from=2026-13-01", Some(&cookie))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    let dash = app.page("/console", Some(&cookie)).await;
    assert!(
        dash.contains("<svg class=\"chart\"") && dash.contains("SUSPECTED: 2"),
        "{dash}"
    );
    assert_eq!(
        app.get("/console/static/console.js", None).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn duplicates_and_matched_blocklist_entries_are_shown_with_links() {
    let app = spawn(insecure()).await;
    let blocked = app.verification(app.partner_a, "c1", "ANA").await;
    let probe = app.verification(app.partner_a, "c2", "ANA").await;
    app.store
        .add_blocklist(&kycd_store::NewBlocklistEntry {
            partner_id: app.partner_a,
            source: "DOCUMENT_INFO".into(),
            scan_ref: blocked.clone(),
            reason: Some("stolen passport <b>".into()),
            embedding_enc: None,
            data_key: Some("dk".into()),
            data_enc: None,
        })
        .await
        .unwrap();
    // What the fraud stage records when the same document is seen again and its data is blocklisted.
    let row = app.store.verification(&probe).await.unwrap().unwrap();
    let mut result = row.result.unwrap();
    result["kycd"]["fraud"] = json!({
        "duplicatePersonalData": [blocked], "reusedImages": [blocked],
        "faceBlacklisted": [], "docFaceBlacklisted": [], "dataBlacklisted": [blocked],
    });
    app.store
        .set_result(&probe, "SUSPECTED", &result)
        .await
        .unwrap();

    let (cookie, _) = app.login("rev@acme.example").await;
    let page = app
        .page(&format!("/console/v/{probe}"), Some(&cookie))
        .await;
    let link = format!("<a href=\"/console/v/{blocked}\">{blocked}</a>");
    for kind in ["Same document number and date of birth", "Same image file"] {
        let at = page.find(kind).unwrap_or_else(|| panic!("{kind} missing"));
        let line = &page[page[..at].rfind("<li>").unwrap()..at];
        assert!(line.contains(&link), "{line}");
        assert!(
            line.contains(&format!("/console/v/{blocked}/file/FACE")),
            "thumbnail: {line}"
        );
    }
    let matches = &page[page
        .find("blocklist-matches")
        .expect("matched entries table")..];
    let table = &matches[..matches.find("</table>").expect("end of the table")];
    assert!(table.contains("Personal data"), "{table}");
    assert!(table.contains("DOCUMENT_INFO"), "{table}");
    assert!(table.contains(&link), "{table}");
    assert!(
        table.contains("stolen passport &#60;b&#62;")
            || table.contains("stolen passport &lt;b&gt;"),
        "escaped reason: {table}"
    );
    assert!(!page.contains("stolen passport <b>"));

    let origin = app
        .page(&format!("/console/v/{blocked}"), Some(&cookie))
        .await;
    assert!(origin.contains("Blocklisted from this verification"));
    assert!(origin.contains("No blocklist entry matched."));

    // Removed since: the entry no longer shows as matched.
    assert!(
        app.store
            .remove_blocklist(app.partner_a, "DOCUMENT_INFO", &blocked)
            .await
            .unwrap()
    );
    let page = app
        .page(&format!("/console/v/{probe}"), Some(&cookie))
        .await;
    assert!(page.contains("No blocklist entry matched."));
}
