//! The document stage: FRONT (and BACK) → fields, MRZ, quality verdict and the document portrait.

use crate::PipelineError;
use crate::checks::{DocumentFacts, PhotoValidation};
use crate::run::{Images, Run};
use kycd_store::VerificationRow;
use kycd_types::DocumentStatus;

/// Reads the document; `None` when no document engine is installed or no FRONT was submitted.
pub async fn read(
    run: &Run,
    v: &VerificationRow,
    precheck: Option<PhotoValidation>,
    images: &Images,
) -> Result<Option<DocumentFacts>, PipelineError> {
    if precheck.is_some_and(|p| p.document_found == Some(false)) {
        return Ok(Some(DocumentFacts {
            failure: Some(DocumentStatus::DocNotFound),
            failure_detail: "no document found in FRONT".into(),
            ..DocumentFacts::default()
        }));
    }
    let (Some(engine), Some(front)) = (run.checks.document.clone(), images.get("FRONT").cloned())
    else {
        return Ok(None);
    };
    let back = images.get("BACK").cloned();
    let skip = v.skip_analysis;
    let facts = run
        .cpu(move || {
            engine.analyze(
                (&front.0[..], front.1.as_str()),
                back.as_ref().map(|(b, m)| (&b[..], m.as_str())),
                skip,
            )
        })
        .await??;
    Ok(Some(facts))
}
