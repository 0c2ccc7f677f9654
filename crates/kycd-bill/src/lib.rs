//! kycd-bill: proof-of-address (utility bill) reading for iDenfy's `UTILITY_BILL` additional step.
//!
//! [`extract`] reads a bill (text PDF by its text layer; scanned PDF by its page image, or by the
//! page rasterised with `pdftoppm`; JPEG/PNG by OCR) and finds the holder's name, the postal
//! address, the issue date and the issuer. [`compare()`] checks them against the partner's
//! `additionalData` and the document holder (`MATCH` / `NOT_MATCH` / `NOT_FOUND` / `NO_DATA`) and
//! gives the step status (`VALID` / `INVALID` / `NOT_FOUND`). The output types serialise to the
//! shapes of the webhook (`data.additionalData.UTILITY_BILL`, `manualAddress`,
//! `status.additionalSteps`).

pub mod compare;
pub mod extract;
pub mod normalize;

use std::time::Instant;

use chrono::NaiveDate;
use image::RgbImage;
use kycd_pdf::{PdfDocument, PdfError};
use kycd_vision::{DecodeLimits, DetParams, OcrEngine, VisionError};
use serde::{Deserialize, Serialize};

pub use compare::{
    BillComparison, DateCheck, ExpectedFields, FieldComparison, FieldStatus, compare,
    compare_address, compare_name,
};
pub use extract::Fragment;

/// Errors of bill reading (an unreadable bill is not an error: it gives empty fields).
#[derive(Debug, thiserror::Error)]
pub enum BillError {
    /// The file is not JPEG, PNG or PDF.
    #[error("unsupported bill format: {0}")]
    UnsupportedFormat(String),
    /// The PDF is password-protected.
    #[error("PDF is password-protected")]
    Encrypted,
    /// The PDF is malformed or over a limit.
    #[error(transparent)]
    Pdf(#[from] PdfError),
    /// The image could not be decoded or OCR failed.
    #[error(transparent)]
    Vision(#[from] VisionError),
}

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

/// Options of [`extract_with`].
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    /// Image decoding limits.
    pub decode: DecodeLimits,
    /// DPI used when a PDF page has to be rasterised.
    pub render_dpi: u32,
    /// Longest side given to the text detector (bills have small print: larger than the ID
    /// documents' default).
    pub det_max_side: u32,
    /// OCR lines below this confidence are dropped.
    pub min_line_confidence: f32,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            decode: DecodeLimits::default(),
            render_dpi: 150,
            det_max_side: 1600,
            min_line_confidence: 0.5,
        }
    }
}

/// Reads a bill with the default options. `mime` is advisory: the format is sniffed from the
/// bytes (`application/pdf`, `image/jpeg`, `image/png`).
pub fn extract(bytes: &[u8], mime: &str, ocr: &OcrEngine) -> Result<BillExtraction, BillError> {
    extract_with(bytes, mime, ocr, &ExtractOptions::default())
}

fn is_pdf(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
}

/// Reads a bill.
pub fn extract_with(
    bytes: &[u8],
    mime: &str,
    ocr: &OcrEngine,
    opts: &ExtractOptions,
) -> Result<BillExtraction, BillError> {
    let start = Instant::now();
    let (source, rows, page_h) = if is_pdf(bytes) {
        read_pdf(bytes, ocr, opts)?
    } else {
        let img = kycd_vision::decode_image(bytes, &opts.decode).map_err(|e| match e {
            VisionError::UnsupportedFormat(f) => {
                BillError::UnsupportedFormat(format!("{f} (declared {mime})"))
            }
            other => BillError::Vision(other),
        })?;
        let h = img.height() as f32;
        (BillSource::Image, ocr_rows(&img, ocr, opts)?, h)
    };
    let mut out = fields_from_rows(source, rows, page_h);
    out.elapsed_ms = start.elapsed().as_millis() as u64;
    Ok(out)
}

fn read_pdf(
    bytes: &[u8],
    ocr: &OcrEngine,
    opts: &ExtractOptions,
) -> Result<(BillSource, Vec<Fragment>, f32), BillError> {
    let doc = PdfDocument::parse(bytes).map_err(|e| match e {
        PdfError::PasswordRequired => BillError::Encrypted,
        other => BillError::Pdf(other),
    })?;
    if doc.requires_password() {
        return Err(BillError::Encrypted);
    }
    let content = doc.page_content(1)?;
    let alnum: usize = content
        .lines
        .iter()
        .map(|l| l.text.chars().filter(|c| c.is_alphanumeric()).count())
        .sum();
    if content.lines.len() >= 3 && alnum >= 40 {
        let rows = content
            .lines
            .iter()
            .map(|l| Fragment {
                text: l.text.clone(),
                x0: l.x0,
                y0: l.y0,
                x1: l.x1,
                y1: l.y1,
                confidence: 1.0,
            })
            .collect();
        return Ok((
            BillSource::PdfText,
            extract::merge_rows(rows),
            content.height,
        ));
    }
    // No usable text layer: the scan embedded in the page when it covers a good part of it, else
    // the rasterised page (vector-only pages, small or tiled images), else any embedded image.
    let embedded = doc.page_image(1)?;
    if let Some(img) = embedded.as_ref().filter(|i| i.page_coverage >= 0.3) {
        let rgb = kycd_pdf::decode_embedded(img)?;
        let h = rgb.height() as f32;
        return Ok((BillSource::PdfEmbeddedImage, ocr_rows(&rgb, ocr, opts)?, h));
    }
    match kycd_pdf::render_first_page(bytes, opts.render_dpi) {
        Ok(rgb) => {
            let h = rgb.height() as f32;
            Ok((BillSource::PdfRendered, ocr_rows(&rgb, ocr, opts)?, h))
        }
        Err(PdfError::RendererMissing(tool)) => match embedded {
            Some(img) => {
                let rgb = kycd_pdf::decode_embedded(&img)?;
                let h = rgb.height() as f32;
                Ok((BillSource::PdfEmbeddedImage, ocr_rows(&rgb, ocr, opts)?, h))
            }
            None => Err(PdfError::RendererMissing(tool).into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// OCR of a page image into merged rows.
pub fn ocr_rows(
    img: &RgbImage,
    ocr: &OcrEngine,
    opts: &ExtractOptions,
) -> Result<Vec<Fragment>, BillError> {
    let long = img.width().max(img.height());
    let det = DetParams {
        min_long_side: 960,
        max_long_side: long.clamp(960, opts.det_max_side.max(960)),
        ..DetParams::default()
    };
    let boxes = ocr.detect_with(img, &det)?;
    let lines = ocr.recognize(img, &boxes)?;
    let frags = lines
        .into_iter()
        .filter(|l| l.confidence >= opts.min_line_confidence && !l.text.trim().is_empty())
        .map(|l| {
            let (x0, y0, x1, y1) = l.bbox.quad.bounds();
            Fragment {
                text: l.text,
                x0,
                y0,
                x1,
                y1,
                confidence: l.confidence,
            }
        })
        .collect();
    Ok(extract::merge_rows(frags))
}

/// Finds the fields on already-read rows (reading order, y downwards) of a page of height
/// `page_h` (same unit as the rows).
pub fn fields_from_rows(source: BillSource, rows: Vec<Fragment>, page_h: f32) -> BillExtraction {
    let (found, other_blocks) = extract::find_address(&rows);
    let (address, holder_name) = match found {
        Some((a, n)) => (Some(a), n),
        None => (None, None),
    };
    let day_first = !matches!(
        address.as_ref().and_then(|a| a.country.as_deref()),
        Some("US")
    );
    let issue_date = extract::find_issue_date(&rows, day_first);
    let mut exclude: Vec<String> = address
        .as_ref()
        .map(|a| a.lines.clone())
        .unwrap_or_default();
    if let Some(n) = &holder_name {
        exclude.push(n.value.clone());
    }
    let issuer = extract::find_issuer(&rows, page_h, &exclude, &other_blocks);
    BillExtraction {
        source,
        holder_name,
        address,
        issue_date,
        issuer,
        text_lines: rows.len(),
        elapsed_ms: 0,
        rows,
    }
}
