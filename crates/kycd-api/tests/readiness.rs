//! `/readyz` says when no sanctions/PEP lists are loaded (issue 19: a fresh server must say so loudly).

use crate::common;
use common::*;
use kycd_api::ApiConfig;
use kycd_pipeline::checks::DocData;
use kycd_pipeline::{AmlFacts, AmlScreener, Checks};
use std::sync::Arc;

/// A screener whose list store is empty or not, as the real one reports it.
struct Lists(bool);

impl AmlScreener for Lists {
    fn lists_loaded(&self) -> bool {
        self.0
    }
    fn screen(&self, _holder: &DocData) -> AmlFacts {
        AmlFacts {
            hit: false,
            failed: !self.0,
            detail: String::new(),
            array: vec![],
        }
    }
}

async fn readyz(loaded: Option<bool>) -> (u16, String) {
    let checks = Checks {
        aml: loaded.map(|l| Arc::new(Lists(l)) as Arc<dyn AmlScreener>),
        ..Checks::default()
    };
    let s = spawn_app_with_checks(ApiConfig::default(), checks).await;
    let r = s
        .client
        .get(format!("{}/readyz", s.base))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn readiness_warns_when_no_lists_are_loaded() {
    let (status, body) = readyz(Some(false)).await;
    assert_eq!(status, 200);
    assert!(
        body.starts_with("ready\nwarning: no sanctions/PEP lists"),
        "{body}"
    );
    assert!(body.contains("kycd lists update"), "{body}");
    assert_eq!(readyz(Some(true)).await, (200, "ready".to_string()));
    assert_eq!(readyz(None).await, (200, "ready".to_string()));
}
