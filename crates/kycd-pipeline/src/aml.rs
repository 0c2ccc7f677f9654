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
    let x = d.data.clone();
    run.cpu(move || {
        screener.screen(
            x.first_name.as_deref(),
            x.last_name.as_deref(),
            x.dob.as_deref(),
            x.nationality.as_deref(),
            x.sex.as_ref().map(|s| s.as_str()),
        )
    })
    .await
}
