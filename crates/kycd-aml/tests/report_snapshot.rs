//! The webhook-shaped `AML` array for a hit and for no hit, compared with checked-in JSON.
//! Regenerate after an intended change with `UPDATE_SNAPSHOTS=1 cargo test -p kycd-aml --test aml report_snapshot::`.

use crate::common;

use std::path::PathBuf;

use kycd_aml::{Index, Query, ScreenConfig, aml_array, fraud_tag};

const CHECK_DATE: &str = "2026-01-02 03:04:05";

fn snapshot(name: &str, aml: &[kycd_aml::AmlServiceResult]) {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots")).join(name);
    let text = serde_json::to_string_pretty(aml).unwrap() + "\n";
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, expected, "snapshot {name} differs");
}

#[test]
fn aml_array_hit_and_no_hit() {
    let ix = Index::build(common::un(), vec![]);
    let cfg = ScreenConfig::default();
    let hit = ix.screen(
        &Query {
            birth_date: Some("1948".into()),
            nationality: Some("RW".into()),
            ..Query::person("Gaston Iyamuremye")
        },
        &cfg,
    );
    assert_eq!(hit.hits.len(), 1);
    let aml = aml_array(&hit, CHECK_DATE, "AML-TEST-1", &[]);
    assert_eq!(fraud_tag(&aml), Some("AML_SUSPECTION"));
    snapshot("aml_hit.json", &aml);

    let none = ix.screen(
        &Query {
            birth_date: Some("1990-05-17".into()),
            ..Query::person("Jane Example")
        },
        &cfg,
    );
    assert!(none.hits.is_empty());
    let aml = aml_array(&none, CHECK_DATE, "AML-TEST-2", &[]);
    assert_eq!(fraud_tag(&aml), None);
    snapshot("aml_no_hit.json", &aml);

    // a whitelisted entity is reported but does not make the check suspected
    let wl = aml_array(
        &hit,
        CHECK_DATE,
        "AML-TEST-3",
        &[hit.hits[0].entity_id.clone()],
    );
    assert!(wl[0].data[0].whitelisted);
    assert_eq!(wl[0].status.overall_status, "NOT_SUSPECTED");
}
