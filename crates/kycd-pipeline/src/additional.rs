//! The additional-steps stage: proof-of-address documents (`UTILITY_BILL` …) uploaded, read (`EXTRACT`) or
//! compared with the expected data and the document holder (`COMPARE`).

use crate::PipelineError;
use crate::checks::BillFacts;
use crate::run::{Images, Run};
use kycd_store::VerificationRow;
use kycd_types::token::TokenSettings;
use kycd_types::{AdditionalStepsStatus, DocumentType, MismatchTag};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The steps' findings and their processing types (`data.additionalSteps` of the webhook).
#[derive(Debug, Clone, Default)]
pub struct AdditionalSteps {
    /// One finding per step.
    pub bills: Vec<BillFacts>,
    /// Step name → processing type.
    pub step_types: BTreeMap<String, Option<String>>,
}

fn facts(step: &str, ty: &str, status: AdditionalStepsStatus) -> BillFacts {
    BillFacts {
        step: step.to_string(),
        step_type: ty.to_string(),
        status,
        mismatch_tags: vec![],
        data: Value::Null,
        evidence: Value::Null,
    }
}

/// Checks every additional step the token asks for (for the selected country and document type).
pub async fn check(
    run: &Run,
    v: &VerificationRow,
    token: &TokenSettings,
    declared_type: Option<DocumentType>,
    images: &Images,
    holder: Option<String>,
    today: &str,
) -> Result<AdditionalSteps, PipelineError> {
    let steps = token.additional_steps_for(v.country.as_deref().unwrap_or(""), declared_type);
    let mut out = AdditionalSteps::default();
    for (step, ty) in &steps {
        let ty = ty.clone().unwrap_or_else(|| "UPLOAD".into());
        out.step_types.insert(step.clone(), Some(ty.clone()));
        out.bills.push(
            one(
                run,
                step,
                &ty,
                images.get(step),
                token,
                holder.clone(),
                today,
            )
            .await?,
        );
    }
    Ok(out)
}

async fn one(
    run: &Run,
    step: &str,
    ty: &str,
    image: Option<&(bytes::Bytes, String)>,
    token: &TokenSettings,
    holder: Option<String>,
    today: &str,
) -> Result<BillFacts, PipelineError> {
    let Some((bytes, mime)) = image.cloned() else {
        let mut f = facts(step, ty, AdditionalStepsStatus::NotFound);
        f.mismatch_tags.push((
            MismatchTag::AdditionalStepNotFound,
            "the step's file was not submitted".into(),
        ));
        return Ok(f);
    };
    if ty == "UPLOAD" {
        let mut f = facts(step, ty, AdditionalStepsStatus::Valid);
        f.evidence = json!({ "stored": true, "analysed": false });
        return Ok(f);
    }
    let Some(checker) = run.checks.bill.clone() else {
        let mut f = facts(step, ty, AdditionalStepsStatus::Invalid);
        f.mismatch_tags.push((
            MismatchTag::InvalidAdditionalStep,
            "no bill reader installed".into(),
        ));
        return Ok(f);
    };
    let expected = token
        .additional_data
        .as_ref()
        .and_then(|d| d.get(step))
        .cloned();
    let (step, ty, today) = (step.to_string(), ty.to_string(), today.to_string());
    run.cpu(move || {
        checker.check(
            &step,
            &ty,
            &bytes,
            &mime,
            expected.as_ref(),
            holder.as_deref(),
            &today,
        )
    })
    .await
}
