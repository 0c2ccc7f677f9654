//! The AML stage: the document holder screened against the sanctions and PEP lists.

use crate::PipelineError;
use crate::checks::{AmlFacts, DocumentFacts};
use crate::run::Run;

/// Screens the holder read from the document. Without an engine or a document the check fails (`AML_FAILED`)
/// rather than passing silently.
pub async fn screen(
    run: &Run,
    document: Option<&DocumentFacts>,
) -> Result<AmlFacts, PipelineError> {
    let (Some(screener), Some(d)) = (run.checks.aml.clone(), document) else {
        return Ok(AmlFacts {
            hit: false,
            failed: true,
            detail: "no AML screening engine is configured".into(),
            array: Vec::new(),
        });
    };
    let holder = d.data.clone();
    run.cpu(move || screener.screen(&holder)).await
}

/// How long a subject is monitored (iDenfy: one year).
pub const MONITORING_PERIOD_MS: i64 = 365 * 24 * 3600 * 1000;

/// Starts AML monitoring of an approved verification's holder when the partner monitors every approved verification
/// (`kycd partner update NAME --aml-monitoring on`, iDenfy's `autoAmlMonitoring`) and has the AML service. A
/// verification already monitored keeps its subject.
pub async fn monitor_approved(
    store: &kycd_store::Store,
    partner: &kycd_store::PartnerRow,
    scan_ref: &str,
    data: &kycd_types::webhook::DataBlock,
) -> Result<(), PipelineError> {
    if !(partner.aml && partner.aml_monitoring) {
        return Ok(());
    }
    let name = data.doc_first_name.clone().unwrap_or_default();
    if name.trim().is_empty()
        && data
            .doc_last_name
            .as_deref()
            .is_none_or(|s| s.trim().is_empty())
    {
        return Ok(());
    }
    store
        .add_subject(&kycd_store::NewSubject {
            partner_id: partner.id,
            scan_ref: Some(scan_ref.to_string()),
            kind: "PERSON".into(),
            data: kycd_store::SubjectData {
                name,
                surname: data.doc_last_name.clone(),
                nationality: data.doc_nationality.clone(),
                date_of_birth: data.doc_dob.clone(),
                country: None,
            },
            expires_at: kycd_store::now_ms() + MONITORING_PERIOD_MS,
        })
        .await?;
    Ok(())
}
