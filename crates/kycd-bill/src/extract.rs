//! Reading a bill end to end: the text of page 1 (a PDF's text layer; else the page as pixels
//! from [`kycd_pdf::first_page_raster`], OCRed; a JPEG/PNG OCRed), merged into rows, then the
//! field finders ([`crate::address`], [`crate::dates`], [`crate::issuer`]) on those rows.

use std::time::Instant;

use image::RgbImage;
use kycd_pdf::{PdfDocument, PdfError, RasterSource};
use kycd_vision::{DecodeLimits, DetParams, OcrEngine, VisionError};

use crate::layout::{Fragment, merge_rows};
use crate::{BillError, BillExtraction, BillSource, address, dates, issuer};

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

/// Reads a bill.
pub fn extract_with(
    bytes: &[u8],
    mime: &str,
    ocr: &OcrEngine,
    opts: &ExtractOptions,
) -> Result<BillExtraction, BillError> {
    let start = Instant::now();
    let (source, rows, page_h) = if kycd_pdf::is_pdf(bytes) {
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

/// A password-protected PDF is [`BillError::Encrypted`]; other PDF errors pass through.
fn pdf_error(e: PdfError) -> BillError {
    match e {
        PdfError::PasswordRequired => BillError::Encrypted,
        other => BillError::Pdf(other),
    }
}

/// Rows of page 1 of a PDF and the page height: the text layer when it holds at least three
/// lines and 40 letters or digits, else OCR of the page as pixels.
fn read_pdf(
    bytes: &[u8],
    ocr: &OcrEngine,
    opts: &ExtractOptions,
) -> Result<(BillSource, Vec<Fragment>, f32), BillError> {
    let doc = PdfDocument::parse(bytes).map_err(pdf_error)?;
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
        return Ok((BillSource::PdfText, merge_rows(rows), content.height));
    }
    let raster = kycd_pdf::first_page_raster(bytes, opts.render_dpi, opts.decode.max_pixels)
        .map_err(pdf_error)?;
    let source = match raster.source {
        RasterSource::Embedded => BillSource::PdfEmbeddedImage,
        RasterSource::Rendered => BillSource::PdfRendered,
    };
    let h = raster.image.height() as f32;
    Ok((source, ocr_rows(&raster.image, ocr, opts)?, h))
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
    Ok(merge_rows(frags))
}

/// Finds the fields on already-read rows (reading order, y downwards) of a page of height
/// `page_h` (same unit as the rows).
pub fn fields_from_rows(source: BillSource, rows: Vec<Fragment>, page_h: f32) -> BillExtraction {
    let (found, other_blocks) = address::find_address(&rows);
    let (address, holder_name) = match found {
        Some((a, n)) => (Some(a), n),
        None => (None, None),
    };
    let day_first = !matches!(
        address.as_ref().and_then(|a| a.country.as_deref()),
        Some("US")
    );
    let issue_date = dates::find_issue_date(&rows, day_first);
    let mut exclude: Vec<String> = address
        .as_ref()
        .map(|a| a.lines.clone())
        .unwrap_or_default();
    if let Some(n) = &holder_name {
        exclude.push(n.value.clone());
    }
    let issuer = issuer::find_issuer(&rows, page_h, &exclude, &other_blocks);
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

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::address::find_address;
    use crate::dates::{dates_in, find_issue_date};
    use crate::issuer::find_issuer;
    use crate::layout::row;
    use crate::postal::parse_post_line;

    proptest::proptest! {
        #[test]
        fn field_finders_never_panic(texts in proptest::collection::vec(".{0,40}", 0..12), ys in proptest::collection::vec(0f32..500.0, 12)) {
            let rows: Vec<Fragment> = texts
                .iter()
                .zip(&ys)
                .map(|(t, y)| row(t, (*y * 7.0) % 300.0, *y))
                .collect();
            let rows = merge_rows(rows);
            let (found, others) = find_address(&rows);
            let _ = found;
            let _ = find_issue_date(&rows, true);
            let _ = find_issuer(&rows, 500.0, &[], &others);
            let _ = fields_from_rows(BillSource::PdfText, rows.clone(), 500.0);
            for t in &texts {
                let _ = parse_post_line(t);
                let _ = dates_in(t, false);
            }
        }
    }

    #[test]
    fn picks_the_holder_block_not_the_issuer() {
        let rows = merge_rows(vec![
            row("ACME Energy Ltd", 40.0, 20.0),
            row("Customer Support Department", 40.0, 36.0),
            row("PO Box 12", 40.0, 52.0),
            row("12345 DEMOCITY CEDEX", 40.0, 68.0),
            row("JOHN DOE", 320.0, 100.0),
            row("123 RUE DE L'IMAGINAIRE", 320.0, 116.0),
            row("75001 PARIS", 320.0, 132.0),
            row("Invoice date: 29/01/2021", 40.0, 200.0),
            row("Due date: 15/02/2021", 40.0, 216.0),
        ]);
        let (found, others) = find_address(&rows);
        let (addr, name) = found.expect("address");
        assert_eq!(addr.lines, vec!["123 RUE DE L'IMAGINAIRE", "75001 PARIS"]);
        assert_eq!(name.expect("name").value, "JOHN DOE");
        let date = find_issue_date(&rows, true).expect("date");
        assert_eq!(date.date, NaiveDate::from_ymd_opt(2021, 1, 29).expect("d"));
        let issuer = find_issuer(&rows, 800.0, &[], &others).expect("issuer");
        assert_eq!(issuer.value, "ACME Energy Ltd");
    }
}
