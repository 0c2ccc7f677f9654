//! Per-partner token defaults (`kycd partner update --default-...`): `/api/v2/token` fills `expiryTime`,
//! `documents` and `country` from them when the request does not give them, from the next request on.

use crate::common;

use common::{Api, spawn_app};
use kycd_store::PartnerUpdate;
use serde_json::json;

#[tokio::test]
async fn token_requests_take_the_partners_defaults_where_they_give_nothing() {
    let app = spawn_app().await;
    let p = app.partner(true).await;

    // No defaults: the API's own.
    let t = app.token(&p, json!({"clientId": "c1"})).await;
    assert_eq!(t["expiryTime"], 3600, "{t}");
    assert_eq!(t["country"], serde_json::Value::Null, "{t}");
    assert_eq!(t["documents"].as_array().map(Vec::len), Some(4), "{t}");

    let updated = app
        .store
        .update_partner(
            &p.api_key,
            &PartnerUpdate {
                default_expiry_time: Some(Some(86_400)),
                default_documents: Some(Some(vec!["PASSPORT".into()])),
                default_country: Some(Some("LT".into())),
                ..PartnerUpdate::default()
            },
        )
        .await
        .unwrap()
        .expect("the partner exists");
    assert_eq!(updated.token_defaults.expiry_time, Some(86_400));

    // The running server reads the partner per request: the defaults apply to the very next token.
    let t = app.token(&p, json!({"clientId": "c2"})).await;
    assert_eq!(t["expiryTime"], 86_400, "{t}");
    assert_eq!(t["documents"], json!(["PASSPORT"]), "{t}");
    assert_eq!(t["country"], "LT", "{t}");

    // What the request gives wins; `null` counts as not given.
    let t = app
        .token(
            &p,
            json!({"clientId": "c3", "expiryTime": 600, "country": "lv", "documents": null}),
        )
        .await;
    assert_eq!(t["expiryTime"], 600, "{t}");
    assert_eq!(t["country"], "LV", "{t}");
    assert_eq!(t["documents"], json!(["PASSPORT"]), "{t}");

    // Removing a default brings the API's own back.
    app.store
        .update_partner(
            &p.api_key,
            &PartnerUpdate {
                default_country: Some(None),
                ..PartnerUpdate::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    let t = app.token(&p, json!({"clientId": "c4"})).await;
    assert_eq!(t["country"], serde_json::Value::Null, "{t}");
    assert_eq!(t["expiryTime"], 86_400, "{t}");
}

#[tokio::test]
async fn defaults_of_one_partner_do_not_reach_another() {
    let app = spawn_app().await;
    let a = app.partner(true).await;
    let b = app.partner(true).await;
    app.store
        .update_partner(
            &a.api_key,
            &PartnerUpdate {
                default_expiry_time: Some(Some(120)),
                ..PartnerUpdate::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        app.token(&a, json!({"clientId": "x"})).await["expiryTime"],
        120
    );
    assert_eq!(
        app.token(&b, json!({"clientId": "x"})).await["expiryTime"],
        3600
    );
}
