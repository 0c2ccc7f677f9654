//! Proof of address (utility bills) for the additional steps `EXTRACT` and `COMPARE`, with kycd-bill.

use kycd_pipeline::{BillChecker, BillFacts, CheckError, PoaProvided};
use kycd_types::poa::PoaFindings;
use kycd_types::{AdditionalStepsStatus, MismatchTag};
use kycd_vision::OcrEngine;
use serde_json::json;
use std::sync::Arc;

/// Utility bills (additional steps EXTRACT / COMPARE) with kycd-bill.
pub struct BillEngine {
    ocr: Arc<OcrEngine>,
}

impl BillEngine {
    /// Builds the bill reader.
    pub fn new(ocr: Arc<OcrEngine>) -> Self {
        Self { ocr }
    }
}

impl BillChecker for BillEngine {
    fn proof_of_address(
        &self,
        bytes: &[u8],
        mime: &str,
        pixels: Option<(u32, u32)>,
        provided: PoaProvided<'_>,
        today: &str,
    ) -> Result<PoaFindings, CheckError> {
        let ex = kycd_bill::extract(bytes, mime, &self.ocr)
            .map_err(|e| CheckError::engine("bill", e))?;
        // An image is a screen capture when it has exactly a screen's size; a PDF with a text layer was made by
        // software, not captured; a scanned PDF cannot tell.
        let is_screenshot = match pixels {
            Some((w, h)) => Some(kycd_bill::poa::screen_sized(w, h)),
            None => (ex.source == kycd_bill::BillSource::PdfText).then_some(false),
        };
        Ok(kycd_bill::poa::check(
            &ex,
            &kycd_bill::poa::PoaRequest {
                name: provided.name,
                address: provided.address,
                reference_date: chrono::NaiveDate::parse_from_str(today, "%Y-%m-%d").ok(),
                is_screenshot,
            },
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn check(
        &self,
        step: &str,
        step_type: &str,
        bytes: &[u8],
        mime: &str,
        expected: Option<&serde_json::Value>,
        holder: Option<&str>,
        today: &str,
    ) -> BillFacts {
        let reference = chrono::NaiveDate::parse_from_str(today, "%Y-%m-%d").ok();
        let ex = match kycd_bill::extract(bytes, mime, &self.ocr) {
            Ok(e) => e,
            Err(e) => {
                return BillFacts {
                    step: step.to_string(),
                    step_type: step_type.to_string(),
                    status: AdditionalStepsStatus::Invalid,
                    mismatch_tags: vec![(
                        MismatchTag::InvalidAdditionalStep,
                        format!("the file could not be read: {e}"),
                    )],
                    data: serde_json::Value::Null,
                    evidence: json!({ "error": e.to_string() }),
                };
            }
        };
        let mut fields: Vec<String> = expected
            .and_then(|e| e.as_object())
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        if fields.is_empty() {
            fields.push("address".into());
        }
        let field_refs: Vec<&str> = fields.iter().map(String::as_str).collect();
        let comparison = (step_type == "COMPARE").then(|| {
            kycd_bill::compare(
                &ex,
                &kycd_bill::ExpectedFields {
                    address: expected
                        .and_then(|e| e.get("address"))
                        .and_then(|a| a.as_str())
                        .map(str::to_string),
                    full_name: holder.map(str::to_string),
                    reference_date: reference,
                },
            )
        });
        let parts = kycd_bill::webhook_parts(&ex, comparison.as_ref(), &field_refs, reference);
        let status = match parts.step_status {
            kycd_bill::StepStatus::Valid => AdditionalStepsStatus::Valid,
            kycd_bill::StepStatus::Invalid => AdditionalStepsStatus::Invalid,
            kycd_bill::StepStatus::NotFound => AdditionalStepsStatus::NotFound,
        };
        let mut tags = Vec::new();
        if status == AdditionalStepsStatus::NotFound {
            tags.push((
                MismatchTag::AdditionalStepNotFound,
                "no address could be read from the file".to_string(),
            ));
        }
        if let Some(c) = &comparison {
            use kycd_bill::FieldStatus;
            if c.address.status == FieldStatus::NotMatch {
                tags.push((
                    MismatchTag::UtilityAddress,
                    "the address differs from the expected one".into(),
                ));
            }
            if c.name.status == FieldStatus::NotMatch {
                tags.push((
                    MismatchTag::UtilityName,
                    "the name differs from the document holder".into(),
                ));
            }
            if c.issue_date.date_valid == Some(false) {
                tags.push((
                    MismatchTag::ExpiredUtilityBill,
                    "the bill is older than 3 months".into(),
                ));
            }
        }
        let mut data = parts.additional_data;
        if let Some(m) = data.as_object_mut()
            && let Some(addr) = &parts.manual_address
        {
            m.entry("manualAddress").or_insert_with(|| json!(addr));
        }
        BillFacts {
            step: step.to_string(),
            step_type: step_type.to_string(),
            status,
            mismatch_tags: tags,
            data,
            evidence: json!({
                "source": ex.source,
                "addressConfidence": ex.address.as_ref().map(|a| a.confidence),
                "issueDate": comparison.as_ref().map(|c| json!({"ageDays": c.issue_date.age_days, "valid": c.issue_date.date_valid})),
                "ms": ex.elapsed_ms,
            }),
        }
    }
}
