//! kycd-bill: the proof-of-address reader. It serves the `UTILITY_BILL` additional step of an
//! identification (iDenfy's `additionalSteps`) and standalone proof-of-address checks: a utility
//! bill, bank statement or similar letter is read and its holder's name, postal address, issue
//! date and issuer are checked against what the partner expects.
//!
//! - [`extract()`] reads a bill: a text PDF by its text layer; a scanned PDF by its page as pixels
//!   ([`kycd_pdf::first_page_raster`]: the embedded scan, else the page rendered with `pdftoppm`);
//!   a JPEG/PNG by OCR. The rows of text ([`layout`]) go through the field finders: postcode/city
//!   and street lines ([`postal`]), the holder's address block and name ([`address`]), the issue
//!   date ([`dates`]) and the issuer ([`issuer`]).
//! - [`compare()`] checks the fields against the partner's `additionalData` and the document
//!   holder (`MATCH` / `NOT_MATCH` / `NOT_FOUND` / `NO_DATA`, with [`normalize`]d addresses and
//!   names) and gives the step status (`VALID` / `INVALID` / `NOT_FOUND`).
//! - [`poa::check`] is the standalone proof-of-address check (`/api/v2/poa-checks/`): kind of letter, country,
//!   recency, and the provided name and address compared.
//! - [`webhook_parts`] shapes both for the webhook (`data.additionalData.UTILITY_BILL`,
//!   `manualAddress`, `status.additionalSteps`).

pub mod address;
pub mod compare;
pub mod dates;
mod extract;
pub mod issuer;
pub mod layout;
pub mod normalize;
mod outcome;
pub mod poa;
pub mod postal;
mod vocab;

use kycd_pdf::PdfError;
use kycd_vision::VisionError;

pub use compare::{
    BillComparison, DateCheck, ExpectedFields, FieldComparison, FieldStatus, compare,
    compare_address, compare_name,
};
pub use extract::{ExtractOptions, extract, extract_with, fields_from_rows, ocr_rows};
pub use layout::Fragment;
pub use outcome::{
    BillExtraction, BillSource, ExtractedAddress, ExtractedDate, ExtractedField, StepStatus,
    WebhookParts, step_status, webhook_parts,
};

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
