//! The partner's AML switch: a verification that would pass is screened when the partner has AML on and the token's
//! `checkAml` is set, and never screened (no `AML` array, no AML tags) when the partner has AML off.

mod common;
use bytes::Bytes;
use kycd_pipeline::checks::{
    AmlFacts, AmlScreener, CheckError, DocData, DocumentAnalyzer, DocumentFacts,
};
use kycd_pipeline::{Checks, Evaluated, Run};
use kycd_store::{Keyring, NewPartner, Store, VerificationRow};
use kycd_types::TokenType;
use kycd_types::token::TokenSettings;
use kycd_types::{DocumentStatus, FraudTag, OverallStatus, PartnerId};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Reads every document as a valid passport.
struct ValidPassport;

impl DocumentAnalyzer for ValidPassport {
    fn analyze(
        &self,
        _front: (&[u8], &str),
        _back: Option<(&[u8], &str)>,
        _skip_quality: bool,
    ) -> Result<DocumentFacts, CheckError> {
        Ok(common::passport())
    }
    fn editing_software(&self, _bytes: &[u8]) -> Option<String> {
        None
    }
    fn perceptual_hash(&self, _bytes: &[u8], _mime: &str) -> Option<u64> {
        None
    }
}

/// Finds everyone on a list.
struct EveryoneListed;

impl AmlScreener for EveryoneListed {
    fn screen(&self, _holder: &DocData) -> AmlFacts {
        AmlFacts {
            hit: true,
            failed: false,
            detail: "test list".into(),
            array: vec![json!({"status": {"serviceSuspected": true}, "data": []})],
        }
    }
}

fn token(scan_ref: &str) -> TokenSettings {
    TokenSettings::minimal("t", scan_ref, "c", TokenType::Document)
}

async fn run() -> (Run, PartnerId) {
    let store = Store::connect("sqlite::memory:", 1).await.unwrap();
    let p = store
        .create_partner(NewPartner::new("p", "p", vec![0; 32], vec![0; 32]))
        .await
        .unwrap();
    let checks = Checks {
        document: Some(Arc::new(ValidPassport)),
        aml: Some(Arc::new(EveryoneListed)),
        ..Checks::default()
    };
    let run = Run {
        checks,
        store,
        keyring: Keyring::from_master(&[3u8; 32]).unwrap(),
        faces: Default::default(),
    };
    (run, p.id)
}

async fn evaluate(run: &Run, partner: PartnerId, partner_aml: bool) -> Evaluated {
    let scan_ref = uuid::Uuid::new_v4().to_string();
    let t = token(&scan_ref);
    let v = VerificationRow {
        scan_ref: scan_ref.clone(),
        partner_id: partner,
        client_id: "c".into(),
        auth_token: "t".into(),
        status: "REVIEWING".into(),
        country: None,
        document_type: None,
        skip_analysis: false,
        images: BTreeMap::new(),
        precheck: None,
        result: None,
        created_at: kycd_store::now_ms(),
        finished_at: None,
        deleted_at: None,
    };
    let mut images = BTreeMap::new();
    images.insert(
        "FRONT".to_string(),
        (Bytes::from_static(b"front"), "image/jpeg".to_string()),
    );
    assert!(t.flag("checkAml"), "the token asks for AML screening");
    run.evaluate(&v, &t, images, partner_aml).await.unwrap()
}

fn aml_tags(e: &Evaluated) -> Vec<FraudTag> {
    e.status
        .fraud_tags
        .iter()
        .filter(|t| matches!(t, FraudTag::AmlFailed | FraudTag::AmlSuspection))
        .cloned()
        .collect()
}

#[tokio::test]
async fn partner_with_aml_on_is_screened() {
    let (run, partner) = run().await;
    let e = evaluate(&run, partner, true).await;
    assert_eq!(e.status.auto_document, DocumentStatus::DocValidated);
    assert_eq!(aml_tags(&e), vec![FraudTag::AmlSuspection]);
    assert_eq!(e.aml.as_ref().map(Vec::len), Some(1));
    assert_eq!(e.overall, OverallStatus::Suspected);
}

#[tokio::test]
async fn partner_with_aml_off_is_not_screened_even_when_the_token_asks() {
    let (run, partner) = run().await;
    let e = evaluate(&run, partner, false).await;
    assert_eq!(e.status.auto_document, DocumentStatus::DocValidated);
    assert!(aml_tags(&e).is_empty(), "{:?}", e.status.fraud_tags);
    assert!(e.aml.is_none(), "no AML array: {:?}", e.aml);
    assert_eq!(e.overall, OverallStatus::Approved);
    assert!(e.evidence["fraud"]["aml"].is_null());
}
