//! The OpenAPI document: the checked-in copy (`openapi/openapi.json`) must equal the one generated from the code,
//! every route of the router must be documented, and the router must serve the same bytes at
//! `GET /api/openapi.json` without credentials.
//!
//! Regenerate the checked-in copy with `KYCD_UPDATE_OPENAPI=1 cargo test -p kycd-api --test http openapi::`.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use tower::ServiceExt;

const REGENERATE: &str = "KYCD_UPDATE_OPENAPI=1 cargo test -p kycd-api --test http openapi::";

fn checked_in_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../openapi/openapi.json"
    ))
}

#[test]
fn checked_in_document_matches_the_code() {
    let generated = kycd_api::openapi::to_json();
    let path = checked_in_path();
    if std::env::var_os("KYCD_UPDATE_OPENAPI").is_some() {
        std::fs::create_dir_all(path.parent().expect("openapi/ has a parent")).unwrap();
        std::fs::write(&path, &generated).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    if on_disk != generated {
        let line = on_disk
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| on_disk.lines().count().min(generated.lines().count()))
            + 1;
        panic!(
            "openapi/openapi.json differs from the document generated from the code (first difference at line \
             {line}). Regenerate it with `{REGENERATE}` and commit the result."
        );
    }
}

#[test]
fn document_is_openapi_3_1_with_basic_auth() {
    let v: serde_json::Value = serde_json::from_str(&kycd_api::openapi::to_json()).unwrap();
    assert_eq!(v["openapi"], "3.1.0");
    let scheme = &v["components"]["securitySchemes"][kycd_api::openapi::SECURITY_SCHEME];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "basic");
    // Every operation but the unauthenticated ones requires the scheme and documents 401 with the envelope.
    let open = [
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/openapi.json",
        "/api/v2/files/{scan_ref}/{step}",
    ];
    for (path, item) in v["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let secured = op.get("security").is_some();
            assert_eq!(secured, !open.contains(&path.as_str()), "{method} {path}");
            if secured {
                assert_eq!(
                    op["responses"]["401"]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorEnvelope",
                    "{method} {path}"
                );
                assert!(op["responses"]["429"]["headers"]["Retry-After"].is_object());
            }
        }
    }
    // The token flags come from the parser's own list.
    let schemas = &v["components"]["schemas"];
    let token_req = &schemas["TokenRequest"]["properties"];
    let settings = &schemas["TokenSettings"];
    for (flag, default) in kycd_types::token::FLAG_DEFAULTS {
        assert_eq!(token_req[*flag]["default"], *default, "{flag}");
        assert_eq!(settings["properties"][*flag]["type"], "boolean", "{flag}");
    }
    // `TokenCreated` is `allOf` [TokenSettings, {message: string}]: TokenSettings must not constrain other keys.
    assert!(settings.get("additionalProperties").is_none());
    assert_eq!(
        schemas["TokenCreated"]["allOf"][0]["$ref"],
        "#/components/schemas/TokenSettings"
    );
}

/// The `(method, path)` pairs registered in `router.rs` and `parity_routes.rs`, read from their source (an alias
/// without the trailing slash of a registered path excepted): a route added without documentation fails this test.
fn routes_in_router_source() -> BTreeSet<(String, String)> {
    let sources = [
        (include_str!("../src/router.rs"), ".fallback("),
        (include_str!("../src/parity_routes.rs"), "\n}\n"),
    ];
    let mut out = BTreeSet::new();
    for (src, end) in sources {
        let body = src
            .split_once("Router::new()")
            .and_then(|(_, rest)| rest.split_once(end))
            .map(|(routes, _)| routes)
            .expect("a Router built from .route() calls");
        for seg in body.split(".route(").skip(1) {
            let path = seg.split('"').nth(1).expect("a route path literal");
            for m in ["get", "post", "delete", "put", "patch"] {
                if seg.contains(&format!("{m}(")) {
                    out.insert((m.to_string(), path.to_string()));
                }
            }
        }
    }
    let aliases: Vec<_> = out
        .iter()
        .filter(|(m, p)| !p.ends_with('/') && out.contains(&(m.clone(), format!("{p}/"))))
        .cloned()
        .collect();
    for a in aliases {
        out.remove(&a);
    }
    out
}

#[test]
fn every_route_is_documented() {
    let v: serde_json::Value = serde_json::from_str(&kycd_api::openapi::to_json()).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in v["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    let routes = routes_in_router_source();
    assert!(routes.len() >= 15, "{routes:?}");
    assert_eq!(routes, documented);
}

async fn test_state(dir: &std::path::Path) -> kycd_api::AppState {
    let keyring = kycd_store::Keyring::from_master(&[7u8; 32]).unwrap();
    let db = dir.join("kycd.db");
    let store = kycd_store::Store::connect(&format!("sqlite://{}?mode=rwc", db.display()), 1)
        .await
        .unwrap();
    let config = kycd_api::ApiConfig::default();
    kycd_api::AppState {
        store,
        blobs: kycd_blob::BlobStore::local(dir.join("blobs")).unwrap(),
        keyring: keyring.clone(),
        checks: kycd_pipeline::Checks::default(),
        files: kycd_pipeline::result::FileUrls {
            base: config.public_url.clone(),
            keyring,
            ttl_secs: 3600,
        },
        limiter: Arc::new(kycd_api::ratelimit::RateLimiter::new(0.0, 1.0)),
        config: Arc::new(config),
        wake_workers: None,
    }
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("kycd-api-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A path parameter that is not UTF-8 once percent-decoded is answered as documented (`400` with the envelope),
/// not with axum's plain-text rejection.
#[tokio::test]
async fn undecodable_path_parameters_answer_the_envelope() {
    let dir = scratch_dir("path");
    let app = kycd_api::router(test_state(&dir).await);
    let resp = app
        .oneshot(
            Request::get("/api/v2/files/%FF%28/FRONT?expires=1&signature=x")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.headers()[header::CONTENT_TYPE].to_str().unwrap(),
        "application/json"
    );
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["identifier"], "BAD_VALUE");
    assert_eq!(v["severity"], "NOT_SEVERE");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn router_serves_the_generated_document_without_credentials() {
    let dir = scratch_dir("openapi");
    let app = kycd_api::router(test_state(&dir).await);
    let resp = app
        .oneshot(
            Request::get("/api/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()[header::CONTENT_TYPE].to_str().unwrap(),
        "application/json"
    );
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        std::str::from_utf8(&body).unwrap(),
        kycd_api::openapi::to_json()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
