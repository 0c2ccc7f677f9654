//! What reading a bill gives: the fields found (holder name, address, issue date, issuer) with
//! where the text came from, and the parts of the webhook they become
//! (`data.additionalData.<STEP>`, `manualAddress`, `status.additionalSteps`).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::compare::{self, BillComparison};
use crate::layout::Fragment;

/// Where the text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BillSource {
    /// The text layer of a PDF.
    PdfText,
    /// OCR of the largest image embedded in page 1 of a PDF.
    PdfEmbeddedImage,
    /// OCR of page 1 rasterised by `pdftoppm`.
    PdfRendered,
    /// OCR of a JPEG/PNG.
    Image,
}

/// `iDenfy step status` (`status.additionalSteps`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StepStatus {
    /// The bill was read and nothing contradicts the expected data.
    Valid,
    /// Address or name do not match, or the bill is older than 3 months.
    Invalid,
    /// No address could be read from the file.
    NotFound,
}

/// A text field read from the bill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtractedField {
    /// The text as printed.
    pub value: String,
    /// 0..1.
    pub confidence: f32,
}

/// The postal address read from the bill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtractedAddress {
    /// Address lines as printed (street lines, postcode/city line, country line).
    pub lines: Vec<String>,
    /// Postcode as printed.
    pub postcode: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State or province (US/CA).
    pub region: Option<String>,
    /// ISO alpha-2 country when printed or implied by the postcode format.
    pub country: Option<String>,
    /// 0..1.
    pub confidence: f32,
}

impl ExtractedAddress {
    /// The lines joined with ", " (the `manualAddress` / `additionalData` value), at most 255
    /// characters.
    pub fn single_line(&self) -> String {
        let s = self
            .lines
            .iter()
            .map(|l| l.trim().trim_end_matches(','))
            .collect::<Vec<_>>()
            .join(", ");
        s.chars().take(255).collect()
    }
}

/// The issue date read from the bill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtractedDate {
    /// The date (`YYYY-MM-DD` in JSON).
    pub date: NaiveDate,
    /// The label it was found with (folded), if any.
    pub label: Option<String>,
    /// 0..1.
    pub confidence: f32,
}

/// Everything read from one bill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillExtraction {
    /// Where the text came from.
    pub source: BillSource,
    /// The holder's name.
    pub holder_name: Option<ExtractedField>,
    /// The holder's postal address.
    pub address: Option<ExtractedAddress>,
    /// The issue (statement/invoice) date.
    pub issue_date: Option<ExtractedDate>,
    /// The issuing company.
    pub issuer: Option<ExtractedField>,
    /// Number of text lines read on the page.
    pub text_lines: usize,
    /// Time spent, in milliseconds.
    pub elapsed_ms: u64,
    /// The text rows read (reading order), for audit and debugging.
    #[serde(skip)]
    pub rows: Vec<Fragment>,
}

impl BillExtraction {
    /// `manualAddress` of the webhook.
    pub fn manual_address(&self) -> Option<String> {
        self.address.as_ref().map(ExtractedAddress::single_line)
    }

    /// `additionalData.UTILITY_BILL` for an EXTRACT step: `{"<field>": {"value": ...}}` for each
    /// configured field (`address`, `name`/`fullName`, `issueDate`, `issuer`; other names give
    /// `null`).
    pub fn to_additional_data(&self, fields: &[&str]) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for f in fields {
            let v = match *f {
                "address" => self.manual_address(),
                "name" | "fullName" => self.holder_name.as_ref().map(|n| n.value.clone()),
                "issueDate" => self
                    .issue_date
                    .as_ref()
                    .map(|d| d.date.format("%Y-%m-%d").to_string()),
                "issuer" => self.issuer.as_ref().map(|i| i.value.clone()),
                _ => None,
            };
            m.insert((*f).to_string(), serde_json::json!({ "value": v }));
        }
        serde_json::Value::Object(m)
    }

    /// Step status of an EXTRACT step (no comparison): NOT_FOUND without an address, VALID
    /// otherwise (INVALID when a reference date shows the bill is older than 3 months).
    pub fn extract_status(&self, reference_date: Option<NaiveDate>) -> StepStatus {
        if self.address.is_none() {
            return StepStatus::NotFound;
        }
        let check = compare::check_date(self.issue_date.as_ref().map(|d| d.date), reference_date);
        if check.date_valid == Some(false) {
            StepStatus::Invalid
        } else {
            StepStatus::Valid
        }
    }
}

/// Overall step status from an extraction and, for COMPARE steps, its comparison.
pub fn step_status(
    extraction: &BillExtraction,
    comparison: Option<&BillComparison>,
    reference_date: Option<NaiveDate>,
) -> StepStatus {
    match comparison {
        Some(c) => c.status,
        None => extraction.extract_status(reference_date),
    }
}

/// Everything the webhook needs from one bill: `data.additionalData.<STEP>`, `manualAddress` and
/// `status.additionalSteps`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookParts {
    /// Value of `data.additionalData.<STEP>` (e.g. `UTILITY_BILL`).
    pub additional_data: serde_json::Value,
    /// `manualAddress` (the address read from the bill, ≤ 255 characters).
    pub manual_address: Option<String>,
    /// `status.additionalSteps`.
    pub step_status: StepStatus,
}

/// Builds the webhook parts of an EXTRACT step (`comparison` = `None`) or a COMPARE step.
/// `fields` are the step's configured `fields` (default `["address"]` when empty).
pub fn webhook_parts(
    extraction: &BillExtraction,
    comparison: Option<&BillComparison>,
    fields: &[&str],
    reference_date: Option<NaiveDate>,
) -> WebhookParts {
    let fields: &[&str] = if fields.is_empty() {
        &["address"]
    } else {
        fields
    };
    WebhookParts {
        additional_data: match comparison {
            Some(c) => c.to_additional_data(extraction, fields),
            None => extraction.to_additional_data(fields),
        },
        manual_address: extraction.manual_address(),
        step_status: step_status(extraction, comparison, reference_date),
    }
}
