//! Document reading with kycd-vision: FRONT (and BACK for an ID card's MRZ) → fields, MRZ status, quality
//! verdict, document portrait and evidence.

use crate::tamper::{dhash, editing_software, has_specimen_word};
use kycd_pipeline::{CheckError, DocData, DocumentAnalyzer, DocumentFacts};
use kycd_types::{DocSex, DocumentStatus};
use kycd_vision::{DecodeLimits, MrzStatus, OcrEngine, ReadOptions};
use serde_json::json;
use std::sync::Arc;

/// Decodes a document image (PDFs: the first page's embedded image).
pub fn decode_document(
    bytes: &[u8],
    mime: &str,
    limits: &DecodeLimits,
) -> Result<image::RgbImage, String> {
    if mime == "application/pdf" {
        // The first page's embedded image (scans and photos saved as PDF), else the page rasterised.
        let limits_pixels = limits.max_pixels;
        return match kycd_pdf::first_page_image(bytes).map_err(|e| format!("PDF: {e}"))? {
            Some((img, _)) => kycd_vision::decode_image(&img, limits).map_err(|e| e.to_string()),
            None => {
                let img =
                    kycd_pdf::render_first_page(bytes, 200).map_err(|e| format!("PDF: {e}"))?;
                if u64::from(img.width()) * u64::from(img.height()) > limits_pixels {
                    return Err("the rendered PDF page is over the pixel limit".into());
                }
                Ok(img)
            }
        };
    }
    kycd_vision::decode_image(bytes, limits).map_err(|e| e.to_string())
}

/// Document reading with kycd-vision.
pub struct VisionAnalyzer {
    ocr: Arc<OcrEngine>,
    limits: DecodeLimits,
}

impl VisionAnalyzer {
    /// Builds the analyzer.
    pub fn new(ocr: Arc<OcrEngine>, max_pixels: u64) -> Self {
        Self {
            ocr,
            limits: DecodeLimits {
                max_pixels,
                ..DecodeLimits::default()
            },
        }
    }
}

fn sex(s: &str) -> Option<DocSex> {
    match s {
        "M" => Some(DocSex::Male),
        "F" => Some(DocSex::Female),
        _ => None,
    }
}

fn failure(
    status: DocumentStatus,
    detail: impl Into<String>,
    evidence: serde_json::Value,
) -> DocumentFacts {
    DocumentFacts {
        failure: Some(status),
        failure_detail: detail.into(),
        evidence,
        ..DocumentFacts::default()
    }
}

fn status_of(code: &str) -> DocumentStatus {
    code.parse().unwrap_or(DocumentStatus::DocError)
}

impl DocumentAnalyzer for VisionAnalyzer {
    fn analyze(
        &self,
        front: (&[u8], &str),
        back: Option<(&[u8], &str)>,
        skip_quality: bool,
    ) -> Result<DocumentFacts, CheckError> {
        let img = match decode_document(front.0, front.1, &self.limits) {
            Ok(i) => i,
            Err(e) => {
                return Ok(failure(
                    DocumentStatus::DocNotFound,
                    format!("FRONT could not be decoded: {e}"),
                    json!({"decode": "failed"}),
                ));
            }
        };
        let opts = ReadOptions {
            skip_quality,
            ..ReadOptions::default()
        };
        let reading = kycd_vision::read_document(&self.ocr, &img, &opts)
            .map_err(|e| CheckError::engine("document", e))?;
        let quality = reading.quality.as_ref().map(|q| json!({
            "metrics": q.metrics, "issues": q.issues.iter().map(|i| i.idenfy_code()).collect::<Vec<_>>(),
            "documentFound": q.document_found,
        }));
        // The MRZ of an ID card is usually on the back.
        let mut mrz = reading.mrz.clone();
        let mut mrz_side = "FRONT";
        if !mrz.valid()
            && let Some((b, m)) = back
            && let Ok(bimg) = decode_document(b, m, &self.limits)
        {
            let r = kycd_vision::read_mrz(&self.ocr, &bimg, &opts.mrz)
                .map_err(|e| CheckError::engine("document", e))?;
            if r.valid() || (r.found() && !mrz.found()) {
                mrz = r;
                mrz_side = "BACK";
            }
        }
        let evidence = json!({
            "mrz": {
                "side": mrz_side,
                "status": mrz.status.idenfy_code(),
                "format": mrz.format_name(),
                "repaired": mrz.was_repaired(),
                "rotation": mrz.rotation.degrees(),
            },
            "quality": quality,
            "detectedType": reading.doc_type.map(|t| t.as_str()),
            "vizFields": reading.viz.eu_driving_licence || reading.viz.us_driving_licence,
            "portraitFound": reading.portrait.is_some(),
            "vizMismatches": reading.mismatches.iter().map(|m| m.field).collect::<Vec<_>>(),
        });
        if let Some(q) = &reading.quality
            && let Some(issue) = q.issues.first()
        {
            return Ok(failure(
                status_of(issue.idenfy_code()),
                format!("quality gate: {}", issue.idenfy_code()),
                evidence,
            ));
        }
        let viz = &reading.viz;
        let has_viz = viz.surname.is_some() && viz.document_number.is_some();
        let mut data = if mrz.valid()
            && let Some(r) = &mrz.repaired
        {
            let d = r.mrz.document_data();
            DocData {
                first_name: d.doc_first_name,
                last_name: d.doc_last_name,
                number: d.doc_number,
                personal_code: d.doc_personal_code,
                dob: d.doc_dob,
                expiry: d.doc_expiry,
                date_of_issue: viz.date_of_issue.clone(),
                sex: d
                    .doc_sex
                    .as_str()
                    .parse()
                    .ok()
                    .filter(|s| *s != DocSex::Undefined),
                nationality: d.doc_nationality,
                issuing_country: d.doc_issuing_country,
                doc_type: Some(d.doc_type),
            }
        } else if mrz.status == MrzStatus::NotFound && has_viz {
            // Documents without an MRZ (EU driving licences): the visual zone alone.
            DocData {
                first_name: viz.given_names.clone(),
                last_name: viz.surname.clone(),
                number: viz.document_number.clone(),
                personal_code: None,
                dob: viz.date_of_birth.clone(),
                expiry: viz.date_of_expiry.clone(),
                date_of_issue: viz.date_of_issue.clone(),
                sex: viz.sex.as_deref().and_then(sex),
                nationality: None,
                issuing_country: None,
                doc_type: reading.doc_type,
            }
        } else {
            let code = mrz.status.idenfy_code().unwrap_or("MRZ_NOT_FOUND");
            return Ok(failure(status_of(code), format!("MRZ: {code}"), evidence));
        };
        if data.doc_type.is_none() {
            data.doc_type = reading.doc_type;
        }
        let specimen_text = has_specimen_word(reading.lines.iter().map(|l| l.text.as_str()));
        let portrait = reading.portrait.as_ref().and_then(|p| {
            let mut out = std::io::Cursor::new(Vec::new());
            p.write_to(&mut out, image::ImageFormat::Png).ok()?;
            Some(out.into_inner())
        });
        Ok(DocumentFacts {
            failure: None,
            failure_detail: String::new(),
            data,
            viz_mismatches: reading
                .mismatches
                .iter()
                .map(|m| m.field.to_string())
                .collect(),
            specimen_text,
            portrait,
            evidence,
        })
    }

    fn editing_software(&self, bytes: &[u8]) -> Option<String> {
        editing_software(bytes)
    }

    fn perceptual_hash(&self, bytes: &[u8], mime: &str) -> Option<u64> {
        if mime == "application/pdf" {
            return None;
        }
        let img = kycd_vision::decode_image(bytes, &self.limits).ok()?;
        Some(dhash(&img))
    }
}
