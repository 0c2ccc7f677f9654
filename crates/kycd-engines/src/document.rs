//! Document reading with kycd-vision: FRONT (and BACK for an ID card's MRZ) → fields, MRZ status, quality
//! verdict, document portrait and evidence.

use crate::tamper::{dhash, editing_software, has_specimen_word};
use kycd_pipeline::{CheckError, DocData, DocumentAnalyzer, DocumentFacts};
use kycd_types::{DocSex, DocumentStatus};
use kycd_vision::{DecodeLimits, MrzStatus, OcrEngine, ReadOptions};
use serde_json::json;
use std::sync::Arc;

/// An MRZ that does not validate under a glare blob covering at least this share of its zone
/// ([`kycd_vision::mrz_glare`]) is `DOC_GLARED`: about one character in a line of a three-line block.
const MRZ_GLARE: f32 = 0.015;

/// Decodes a document image (PDFs: page 1 through kycd-pdf, the one PDF decoder).
pub fn decode_document(
    bytes: &[u8],
    mime: &str,
    limits: &DecodeLimits,
) -> Result<image::RgbImage, String> {
    if mime == "application/pdf" {
        return kycd_pdf::first_page_raster(bytes, 200, limits.max_pixels)
            .map(|r| r.image)
            .map_err(|e| format!("PDF: {e}"));
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

/// The fields of an MRZ reading (the visual zone's date of issue, which the MRZ does not hold).
fn mrz_data(r: &kycd_mrz::Repaired, viz: &kycd_vision::VizFields) -> DocData {
    let d = r.mrz.document_data();
    DocData {
        dob: four_digit_year(d.doc_dob, viz.date_of_birth.as_deref()),
        expiry: four_digit_year(d.doc_expiry, viz.date_of_expiry.as_deref()),
        first_name: d.doc_first_name,
        last_name: d.doc_last_name,
        number: d.doc_number,
        personal_code: d.doc_personal_code,
        date_of_issue: viz.date_of_issue.clone(),
        sex: Some(d.doc_sex).filter(|s| *s != DocSex::Undefined),
        nationality: d.doc_nationality,
        issuing_country: d.doc_issuing_country,
        doc_type: Some(d.doc_type),
    }
}

/// An MRZ date (`YYYY-MM-DD` with the century inferred from a two-digit year) corrected by the visual zone's
/// four-digit date when both name the same day of the year and the same two-digit year: a passport printed
/// "05 DEC 2068" expires in 2068, not in 1968.
fn four_digit_year(mrz: Option<String>, viz: Option<&str>) -> Option<String> {
    match (mrz, viz) {
        (Some(m), Some(v)) if m.len() == 10 && v.len() == 10 && m[2..] == v[2..] => {
            Some(v.to_string())
        }
        (m, _) => m,
    }
}

/// The fields of the visual zone (documents without an MRZ, such as EU driving licences).
/// Whether the visual zone sides with the MRZ as read (`raw`) against its repair (`repaired`) at a character the
/// repair changed. Numbers of different lengths (a shifted reading) count as siding with the raw reading when the
/// visual zone is more than one slip away from the repair.
fn repair_outvoted(raw: &str, repaired: &str, viz: &str) -> bool {
    let clean = |s: &str| -> Vec<char> {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect()
    };
    let (raw, rep, viz) = (clean(raw), clean(repaired), clean(viz));
    if raw.len() == rep.len() && rep.len() == viz.len() {
        (0..rep.len()).any(|i| raw[i] != rep[i] && viz[i] == raw[i])
    } else {
        let s = |v: &[char]| ocr_fold(&v.iter().collect::<String>());
        kycd_types::text::edit_distance(&s(&viz), &s(&rep)) > 1
    }
}

/// A document number with the characters OCR confuses most folded together (`O`/`0`, `I`/`1`, `Z`/`2`, `S`/`5`,
/// `B`/`8`), upper case, letters and digits only.
fn ocr_fold(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' => '1',
            'Z' => '2',
            'S' => '5',
            'B' => '8',
            c => c,
        })
        .collect()
}

fn viz_data(viz: &kycd_vision::VizFields, doc_type: Option<kycd_types::DocumentType>) -> DocData {
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
        doc_type,
    }
}

impl VisionAnalyzer {
    /// Reads the page's red ink alone (under the rotation the page was read in) and looks for specimen markings in
    /// it; `false` without enough red ink (no extra OCR pass then).
    fn red_overprint(
        &self,
        img: &image::RgbImage,
        rotation: kycd_vision::Rotation,
    ) -> Result<bool, CheckError> {
        let Some(ink) = crate::tamper::red_ink(img) else {
            return Ok(false);
        };
        let ink = rotation.apply(&ink);
        let boxes = self
            .ocr
            .detect(&ink)
            .map_err(|e| CheckError::engine("document", e))?;
        let lines = self
            .ocr
            .recognize(&ink, &boxes)
            .map_err(|e| CheckError::engine("document", e))?;
        Ok(has_specimen_word(lines.iter().map(|l| l.text.as_str())))
    }
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
        let mut settled_by_visual_zone = reading.settled_by_visual_zone;
        let viz = &reading.viz;
        let mut back_img = None;
        if !mrz.valid()
            && let Some((b, m)) = back
            && let Ok(bimg) = decode_document(b, m, &self.limits)
        {
            let mut r = kycd_vision::read_mrz(&self.ocr, &bimg, &opts.mrz)
                .map_err(|e| CheckError::engine("document", e))?;
            let settled = kycd_vision::settle_with_visual_zone(&mut r, viz, &opts.mrz);
            if r.valid() || (r.found() && !mrz.found()) {
                mrz = r;
                mrz_side = "BACK";
                settled_by_visual_zone = settled;
                back_img = Some(bimg);
            }
        }
        // Glare over an MRZ that does not validate: the spot hid characters, and the customer is asked for another
        // photograph (DOC_GLARED) rather than told the document is invalid.
        let mrz_glare = if mrz.valid() {
            None
        } else {
            kycd_vision::mrz_glare(back_img.as_ref().unwrap_or(&img), &mrz)
        };
        let mrz_glared = mrz_glare.is_some_and(|g| g >= MRZ_GLARE);
        let has_viz = viz.surname.is_some() && viz.document_number.is_some();
        // The visual zone against the MRZ, also when the MRZ is on the other side.
        let mismatches = if mrz_side == "FRONT" {
            reading.mismatches.clone()
        } else {
            kycd_vision::compare_fields(&mrz, viz)
        };
        // A repair that rewrote the MRZ into another valid one is confirmed by nothing but its check digits, which a
        // wrong rewrite passes one time in ten. Where the repair changed a character of the document number and the
        // visual zone printed what the MRZ itself read there, two readings agree against the repair, which is then
        // not trusted (documents whose number check digit is wrong were "repaired" 822109947 → B22109947 and
        // 1702440N7 → I702440N7 while their visual zones read 822109947 and 170244PON, and approved). A visual zone
        // slip alone (OLSK3TE6V against 0LSK3TE6V) contradicts nothing.
        let raw_number = mrz.candidate.as_ref().and_then(|c| {
            let lines: Vec<&str> = c.lines.iter().map(String::as_str).collect();
            kycd_mrz::parse(&lines).ok()?.document_data().doc_number
        });
        let repair_contradicted = mrz.was_repaired()
            && mismatches.iter().any(|m| {
                m.field == "document_number"
                    && raw_number
                        .as_deref()
                        .is_some_and(|raw| repair_outvoted(raw, &m.mrz, &m.viz))
            });
        // What was read, whatever the verdict: the MRZ (also a best-effort reading whose check digits fail),
        // else the visual zone. A rejected document still reports its fields.
        let (mut data, source) = if let Some(r) = &mrz.repaired {
            (mrz_data(r, viz), "MRZ")
        } else if has_viz {
            (viz_data(viz, reading.doc_type), "VISUAL_ZONE")
        } else {
            (DocData::default(), "NONE")
        };
        if data.doc_type.is_none() {
            data.doc_type = reading.doc_type;
        }
        let readings = kycd_pipeline::checks::Readings {
            mrz: mrz.repaired.as_ref().map(|r| mrz_data(r, viz)),
            visual_zone: has_viz.then(|| viz_data(viz, reading.doc_type)),
        };
        let evidence = json!({
            "mrz": {
                "side": mrz_side,
                "status": mrz.status.idenfy_code(),
                "format": mrz.format_name(),
                "repaired": mrz.was_repaired(),
                "repair": mrz.repaired.as_ref().map(|r| format!("{:?}", r.status)),
                "alternatives": mrz.repaired.as_ref().map_or(0, |r| r.alternatives.len()),
                "settledByVisualZone": settled_by_visual_zone,
                "rotation": mrz.rotation.degrees(),
                "confidence": mrz.candidate.as_ref().map(|c| c.confidence),
                "glare": mrz_glare,
            },
            "fields": {
                "source": source,
                "checkDigitsValid": source == "MRZ" && mrz.valid() && !repair_contradicted,
                "failedChecks": mrz.repaired.as_ref().filter(|_| !mrz.valid()).map(|r| {
                    r.mrz.checks.failing().iter().map(|c| format!("{c:?}")).collect::<Vec<_>>()
                }),
            },
            "quality": quality,
            "detectedType": reading.doc_type.map(|t| t.as_str()),
            "vizFields": reading.viz.eu_driving_licence || reading.viz.us_driving_licence,
            "portraitFound": reading.portrait.is_some(),
            "vizMismatches": mismatches.iter().map(|m| m.field).collect::<Vec<_>>(),
            "repairContradicted": repair_contradicted,
        });
        // Whether a quality issue rejects the document is the decision's rule (it weighs what was read); the
        // reading only reports the first issue found.
        let quality_issue = reading
            .quality
            .as_ref()
            .and_then(|q| q.issues.first())
            .map(|i| status_of(i.idenfy_code()));
        let failure: Option<(DocumentStatus, String)> = if repair_contradicted {
            Some((
                DocumentStatus::MrzInvalid,
                "MRZ: MRZ_INVALID (validates only after a repair the printed document number contradicts)".into(),
            ))
        } else if mrz.valid() || (mrz.status == MrzStatus::NotFound && has_viz) {
            None
        } else if mrz_glared {
            Some((
                DocumentStatus::DocGlared,
                format!(
                    "glare hides part of the MRZ ({:.0} % of its zone saturated; MRZ: {})",
                    100.0 * mrz_glare.unwrap_or(0.0),
                    mrz.status.idenfy_code().unwrap_or("MRZ_NOT_FOUND")
                ),
            ))
        } else {
            let code = mrz.status.idenfy_code().unwrap_or("MRZ_NOT_FOUND");
            Some((status_of(code), format!("MRZ: {code}")))
        };
        let specimen_text = has_specimen_word(reading.lines.iter().map(|l| l.text.as_str()))
            || self.red_overprint(&img, reading.mrz.rotation)?;
        let portrait = reading.portrait.as_ref().and_then(|p| {
            let mut out = std::io::Cursor::new(Vec::new());
            p.write_to(&mut out, image::ImageFormat::Png).ok()?;
            Some(out.into_inner())
        });
        // An ID card front photographed sideways or upside down has no portrait the reader locates (it finds it
        // from the MRZ): the face stage gets the page as the reader turned it to read it.
        let upright_front = match reading.mrz.rotation {
            _ if portrait.is_some() => None,
            kycd_vision::Rotation::R0 => None,
            r => {
                let mut out = Vec::new();
                let encoded = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
                    .encode_image(&r.apply(&img));
                encoded.ok().map(|()| out)
            }
        };
        let expiry_checked = match source {
            "MRZ" => mrz.repaired.as_ref().is_some_and(|r| {
                !r.mrz
                    .checks
                    .failing()
                    .contains(&kycd_mrz::CheckedField::ExpiryDate)
                    && r.mrz
                        .checks
                        .get(kycd_mrz::CheckedField::ExpiryDate)
                        .is_some()
            }),
            "VISUAL_ZONE" => true,
            _ => false,
        };
        let (failure, failure_detail) = match failure {
            Some((s, d)) => (Some(s), d),
            None => (None, String::new()),
        };
        Ok(DocumentFacts {
            failure,
            failure_detail,
            data,
            quality_issue,
            mrz_valid: mrz.valid() && !repair_contradicted,
            expiry_checked,
            viz_mismatches: mismatches.iter().map(|m| m.field.to_string()).collect(),
            specimen_text,
            portrait,
            upright_front,
            evidence,
            readings,
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

#[cfg(test)]
mod tests {
    use super::{four_digit_year, ocr_fold, repair_outvoted};

    #[test]
    fn a_repair_is_outvoted_only_where_both_readings_agree_against_it() {
        // (raw MRZ reading, repaired, visual zone) as read on synthetic ID cards.
        // Wrong repairs of a bad check digit: the visual zone has what the MRZ read.
        assert!(repair_outvoted("822109947", "B22109947", "822109947"));
        assert!(repair_outvoted("1702440N7", "I702440N7", "170244PON"));
        // A right repair: the visual zone agrees with the repair, or slipped elsewhere.
        assert!(!repair_outvoted("0LSK3TE6V", "0LSK3TE6V", "OLSK3TE6V"));
        assert!(!repair_outvoted("TE4452628", "TE44526Z8", "TE44526Z8"));
        assert!(!repair_outvoted("TE4452628", "TE44526Z8", "TE44S26Z8"));
        assert_eq!(ocr_fold("ol-sk3"), "0L5K3");
    }

    #[test]
    fn the_visual_zone_year_resolves_the_mrz_century() {
        let r = |m: &str, v: Option<&str>| four_digit_year(Some(m.to_string()), v);
        assert_eq!(
            r("1968-12-05", Some("2068-12-05")).as_deref(),
            Some("2068-12-05")
        );
        assert_eq!(
            r("2031-05-05", Some("2031-05-05")).as_deref(),
            Some("2031-05-05")
        );
        // A different day or year in the visual zone is a disagreement for the consistency check, not a century.
        assert_eq!(
            r("1968-12-05", Some("2068-12-06")).as_deref(),
            Some("1968-12-05")
        );
        assert_eq!(
            r("1968-12-05", Some("2069-12-05")).as_deref(),
            Some("1968-12-05")
        );
        assert_eq!(r("1968-12-05", None).as_deref(), Some("1968-12-05"));
        assert_eq!(four_digit_year(None, Some("2068-12-05")), None);
    }
}
