//! The real check engines behind the pipeline's interfaces: document reading (kycd-vision), face matching
//! (kycd-face) and AML screening (kycd-aml).

use kycd_face::FacePool;
use kycd_pipeline::{
    AmlFacts, AmlScreener, DocData, DocumentAnalyzer, DocumentFacts, FaceFacts, FaceMatcher,
};
use kycd_types::{DocSex, DocumentStatus, DocumentType, FaceStatus};
use kycd_vision::{DecodeLimits, MrzStatus, OcrEngine, ReadOptions};
use serde_json::json;
use std::sync::Arc;

/// Words printed on specimen documents.
const SPECIMEN_WORDS: &[&str] = &[
    "SPECIMEN",
    "SPÉCIMEN",
    "MUSTER",
    "MUESTRA",
    "CAMPIONE",
    "WZÓR",
    "WZOR",
    "PARAUGS",
    "PAVYZDYS",
    "NÄIDIS",
    "MINTA",
    "VZOR",
    "UZORAK",
    "ESEMPIO",
    "EXEMPLAR",
    "MALLI",
    "PRØVE",
    "PROV",
    "MODELO",
];

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

fn doc_type(t: kycd_vision::DocType) -> Option<DocumentType> {
    t.as_str().parse().ok()
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
    ) -> Result<DocumentFacts, String> {
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
        let reading =
            kycd_vision::read_document(&self.ocr, &img, &opts).map_err(|e| e.to_string())?;
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
            let r =
                kycd_vision::read_mrz(&self.ocr, &bimg, &opts.mrz).map_err(|e| e.to_string())?;
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
                doc_type: doc_type(d.doc_type),
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
                doc_type: reading.doc_type.and_then(doc_type),
            }
        } else {
            let code = mrz.status.idenfy_code().unwrap_or("MRZ_NOT_FOUND");
            return Ok(failure(status_of(code), format!("MRZ: {code}"), evidence));
        };
        if data.doc_type.is_none() {
            data.doc_type = reading.doc_type.and_then(doc_type);
        }
        let specimen_text = reading.lines.iter().any(|l| {
            let t = l.text.to_uppercase();
            t.split(|c: char| !c.is_alphanumeric())
                .any(|w| SPECIMEN_WORDS.contains(&w))
        });
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

/// Names of image editors looked for in EXIF `Software` / XMP `CreatorTool` (cameras and phones write their own
/// firmware names there; editors write theirs).
const EDITORS: &[&str] = &[
    "photoshop",
    "gimp",
    "lightroom",
    "affinity photo",
    "pixelmator",
    "paint.net",
    "corel",
    "paintshop",
    "snapseed",
    "facetune",
    "picsart",
    "photopea",
    "krita",
    "canva",
    "fotor",
    "photoscape",
    "luminar",
];

/// The editing software named in an image's metadata (EXIF Software tag or XMP CreatorTool), if any.
pub fn editing_software(bytes: &[u8]) -> Option<String> {
    // Metadata sits in the first segments of a JPEG/PNG; look at a bounded prefix only.
    let head = &bytes[..bytes.len().min(256 * 1024)];
    let text = String::from_utf8_lossy(head).to_lowercase();
    EDITORS
        .iter()
        .find(|e| text.contains(*e))
        .map(|e| e.to_string())
}

/// 64-bit difference hash of a 9×8 grey thumbnail (robust to re-encoding and resizing).
pub fn dhash(img: &image::RgbImage) -> u64 {
    let grey = image::imageops::grayscale(img);
    let small = image::imageops::resize(&grey, 9, 8, image::imageops::FilterType::Triangle);
    let mut h = 0u64;
    for y in 0..8 {
        for x in 0..8 {
            let a = small.get_pixel(x, y)[0];
            let b = small.get_pixel(x + 1, y)[0];
            h = (h << 1) | u64::from(a > b);
        }
    }
    h
}

/// Face matching with kycd-face.
pub struct FaceEngineMatcher {
    pool: Arc<FacePool>,
}

impl FaceEngineMatcher {
    /// Builds the matcher.
    pub fn new(pool: Arc<FacePool>) -> Self {
        Self { pool }
    }
}

impl FaceMatcher for FaceEngineMatcher {
    fn check(&self, selfie: &[u8], document: &[u8], modifier: f64) -> Result<FaceFacts, String> {
        let c = self
            .pool
            .with(|e| e.check_bytes(selfie, document, modifier))
            .map_err(|e| e.to_string())?;
        let status: FaceStatus = c
            .verdict
            .face_status
            .as_str()
            .parse()
            .unwrap_or(FaceStatus::FaceError);
        let same_photo = c.verdict.same_photo.as_ref().is_some_and(|s| s.same_photo);
        Ok(FaceFacts {
            status,
            doc_face_missing: c.verdict.document_status.is_some(),
            same_photo,
            distance: c.verdict.distance,
            detail: format!(
                "selfie faces {}, document faces {}",
                c.selfie.faces.len(),
                c.document.faces.len()
            ),
            selfie_embedding: c.selfie.primary.as_ref().map(|p| p.embedding.0.to_vec()),
            doc_embedding: c.document.primary.as_ref().map(|p| p.embedding.0.to_vec()),
            evidence: json!({
                "selfieFaces": c.selfie.faces.len(),
                "selfieProminentFaces": c.selfie.prominent_faces,
                "documentFaces": c.document.faces.len(),
                "selfieIssue": c.selfie.issue.map(|i| format!("{i:?}")),
                "thresholds": {
                    "matchMax": kycd_face::effective_thresholds(modifier).match_max,
                    "mismatchMin": kycd_face::effective_thresholds(modifier).mismatch_min,
                },
                "samePhoto": c.verdict.same_photo,
            }),
        })
    }

    fn duplicate_threshold(&self) -> f32 {
        kycd_face::thresholds::DUPLICATE_THRESHOLD
    }
}

/// AML screening from the in-memory index.
pub struct AmlEngine {
    service: Arc<kycd_aml::ScreeningService>,
}

impl AmlEngine {
    /// Builds the screener.
    pub fn new(service: Arc<kycd_aml::ScreeningService>) -> Self {
        Self { service }
    }
}

impl AmlScreener for AmlEngine {
    fn screen(
        &self,
        first_name: Option<&str>,
        last_name: Option<&str>,
        dob: Option<&str>,
        nationality: Option<&str>,
        sex: Option<&str>,
    ) -> AmlFacts {
        let uid = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
        let today = kycd_mrz::Date::today().to_iso();
        let name = format!("{} {}", first_name.unwrap_or(""), last_name.unwrap_or(""))
            .trim()
            .to_string();
        let q = kycd_aml::Query {
            name,
            birth_date: dob.map(str::to_string),
            nationality: nationality.map(str::to_string),
            gender: sex.map(|s| {
                if s == "MALE" {
                    "male".to_string()
                } else {
                    "female".to_string()
                }
            }),
            kind: None,
        };
        let array = self.service.aml_entry(&q, &today, &uid, &[]);
        let hit = array.iter().any(|a| a.status.service_suspected);
        let failed = !hit && array.iter().any(|a| !a.status.check_successful);
        let detail = if failed {
            array
                .iter()
                .filter_map(|a| a.error_message.clone())
                .next()
                .unwrap_or_else(|| "AML check failed".into())
        } else {
            let hits: Vec<String> = array
                .iter()
                .flat_map(|a| a.data.iter())
                .filter(|d| !d.whitelisted)
                .map(|d| format!("{} {}", d.list_name.as_deref().unwrap_or("list"), d.score))
                .collect();
            if hits.is_empty() {
                "no hits".into()
            } else {
                format!("{} hit(s): {}", hits.len(), hits.join(", "))
            }
        };
        AmlFacts {
            hit,
            failed,
            detail,
            array: array
                .iter()
                .filter_map(|r| serde_json::to_value(r).ok())
                .collect(),
        }
    }
}

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

impl kycd_pipeline::BillChecker for BillEngine {
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
    ) -> kycd_pipeline::BillFacts {
        use kycd_pipeline::BillFacts;
        use kycd_types::{AdditionalStepsStatus, MismatchTag};
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

/// The utility-bill reader.
pub fn bill_checker(ocr: Arc<OcrEngine>) -> Option<Arc<dyn kycd_pipeline::BillChecker>> {
    Some(Arc::new(BillEngine::new(ocr)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editing_software_is_found_in_metadata() {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1];
        jpeg.extend_from_slice(b"Exif\0\0....Adobe Photoshop 25.0 (Windows)....");
        assert_eq!(editing_software(&jpeg).as_deref(), Some("photoshop"));
        let camera = b"\xFF\xD8\xFF\xE1Exif\0\0 Software: iPhone 15 Pro 17.1";
        assert_eq!(editing_software(camera), None);
    }

    #[test]
    fn dhash_survives_resizing_and_differs_between_images() {
        let img = image::RgbImage::from_fn(200, 120, |x, y| {
            image::Rgb([(x % 256) as u8, (y * 2 % 256) as u8, 40])
        });
        let small = image::imageops::resize(&img, 100, 60, image::imageops::FilterType::Triangle);
        let hd = (dhash(&img) ^ dhash(&small)).count_ones();
        assert!(hd <= 4, "hamming {hd}");
        let other = image::RgbImage::from_fn(200, 120, |x, y| {
            image::Rgb([(y % 256) as u8, (x * 3 % 256) as u8, 200])
        });
        assert!((dhash(&img) ^ dhash(&other)).count_ones() > 10);
    }
}
