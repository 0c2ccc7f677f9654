//! The whole document read used by the verification job, plus the fast checks used synchronously by
//! `/process` (document presence and type).

use std::borrow::Cow;

use image::RgbImage;
use kycd_types::DocumentType;
use kycd_types::text::alnum_upper;
use serde::Serialize;

use crate::document::{DocumentQuad, detect_document_quad};
use crate::error::Result;
use crate::geometry::{Quad, crop};
use crate::ocr::{DetParams, OcrEngine, TextBox, TextLine};
use crate::quality::{QualityReport, QualityThresholds, TextEvidence, assess_with_quad};
use crate::reader::{MrzOptions, MrzResult, MrzStatus, Rotation, read_mrz_pass};
use crate::viz::{VizFields, extract_fields};
use kycd_mrz::{RepairStatus, Repaired};

/// Options of [`read_document`].
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// MRZ options.
    pub mrz: MrzOptions,
    /// Quality thresholds.
    pub quality: QualityThresholds,
    /// iDenfy `skipAnalysis`: skip only the quality gates.
    pub skip_quality: bool,
    /// Skip the visual-zone OCR (faster; MRZ only).
    pub skip_viz: bool,
}

/// A visual-zone field that disagrees with the MRZ (evidence for the decision engine).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldMismatch {
    /// Field name (`surname`, `given_names`, `date_of_birth`, `date_of_expiry`, `document_number`, `sex`).
    pub field: &'static str,
    /// Value from the MRZ.
    pub mrz: String,
    /// Value from the visual zone.
    pub viz: String,
}

/// Everything read from one document image.
#[derive(Debug, Clone)]
pub struct DocumentReading {
    /// MRZ result (status maps to `MRZ_NOT_FOUND` / `MRZ_OCR_READING_ERROR` / `MRZ_INVALID`).
    pub mrz: MrzResult,
    /// Quality gates (`None` when skipped).
    pub quality: Option<QualityReport>,
    /// Detected document type.
    pub doc_type: Option<DocumentType>,
    /// Visual-zone fields.
    pub viz: VizFields,
    /// Visual-zone fields that disagree with the MRZ.
    pub mismatches: Vec<FieldMismatch>,
    /// The document portrait (for face matching), when it could be located.
    pub portrait: Option<RgbImage>,
    /// All OCR lines of the (rotation-corrected) image, when the visual zone was read.
    pub lines: Vec<TextLine>,
    /// Whether the visual zone chose among the MRZ repairs its check digits left open ([`settle_with_visual_zone`]).
    pub settled_by_visual_zone: bool,
}

/// Reads a decoded (EXIF-corrected) document image: MRZ, quality gates, visual zone, type, portrait.
///
/// One text detection serves everything: the MRZ search recognises the widest lines first, the visual
/// zone then recognises only the boxes not read yet (under the rotation the MRZ was found in), while the
/// quality gates and the document outline are computed on a second thread.
pub fn read_document(
    engine: &OcrEngine,
    img: &RgbImage,
    opts: &ReadOptions,
) -> Result<DocumentReading> {
    let (mut mrz, pass) = read_mrz_pass(engine, img, &opts.mrz)?;
    let upright: Cow<'_, RgbImage> = match mrz.rotation {
        Rotation::R0 => Cow::Borrowed(img),
        r => Cow::Owned(r.apply(img)),
    };
    let upright: &RgbImage = &upright;
    let n_lines = if opts.skip_viz { 0 } else { pass.boxes.len() };
    let ev = TextEvidence {
        has_text: mrz.found() || n_lines >= 4,
        text_cut_at_border: mrz
            .candidate
            .as_ref()
            .is_some_and(|c| c.quads.iter().any(|q| cut(q, upright))),
    };
    let (lines, (outline, quality)) = std::thread::scope(|s| {
        let gates = s.spawn(|| {
            if opts.skip_quality {
                return (None, None);
            }
            let quad = detect_document_quad(upright);
            let report = assess_with_quad(upright, quad.as_ref(), ev, &opts.quality);
            (Some(quad), Some(report))
        });
        let lines = if opts.skip_viz {
            Ok(Vec::new())
        } else {
            engine.recognize_reusing(upright, &pass.boxes, &pass.lines)
        };
        let gates = gates
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (lines, gates)
    });
    let lines = lines?;
    let viz = extract_fields(&lines, two_digit_year_pivot(&opts.mrz));
    let settled_by_visual_zone = settle_with_visual_zone(&mut mrz, &viz, &opts.mrz);
    let mismatches = compare_fields(&mrz, &viz);
    let doc_type = type_from(&mrz, &lines, upright, outline);
    let portrait = locate_portrait(&mrz, upright).and_then(|q| {
        let (x0, y0, x1, y1) = q.bounds();
        crop(upright, x0, y0, x1, y1)
    });
    Ok(DocumentReading {
        mrz,
        quality,
        doc_type,
        viz,
        mismatches,
        portrait,
        lines,
        settled_by_visual_zone,
    })
}

/// An MRZ whose check digits admit several repairs (`Ambiguous`: e.g. `TE4452628` where both `TE44526Z8` and
/// `TE445Z628` validate) is settled by the visual zone when exactly one repair agrees with it on every field the
/// repairs disagree about (document number, dates of birth and expiry) that the visual zone printed. Two readings
/// of the page then agree on what the check digits left open, and the check digits on the rest; the MRZ becomes
/// valid as `Repaired`. Nothing else changes: an MRZ that no repair validates (a wrong check digit, which the
/// visual zone prints as the MRZ does) stays invalid. Returns whether the MRZ was settled.
pub fn settle_with_visual_zone(mrz: &mut MrzResult, viz: &VizFields, opts: &MrzOptions) -> bool {
    let Some(r) = mrz
        .repaired
        .as_ref()
        .filter(|r| r.status == RepairStatus::Ambiguous && r.alternatives.len() > 1)
    else {
        return false;
    };
    // The repairs, each a valid MRZ, with the fields the visual zone can vouch for.
    let repairs: Vec<(Repaired, [Option<String>; 3])> = r
        .alternatives
        .iter()
        .filter_map(|lines| {
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            let settled = kycd_mrz::parse_with_repair(&refs, &opts.parse)
                .ok()
                .filter(Repaired::is_trusted)?;
            let d = settled.mrz.document_data();
            // Dates without the century, which the MRZ infers and the visual zone prints.
            let day = |x: Option<String>| x.filter(|x| x.len() == 10).map(|x| x[2..].to_string());
            let fields = [
                d.doc_number.as_deref().map(alnum_upper),
                day(d.doc_dob),
                day(d.doc_expiry),
            ];
            Some((settled, fields))
        })
        .collect();
    let printed = [
        viz.document_number.as_deref().map(alnum_upper),
        viz.date_of_birth
            .as_ref()
            .filter(|x| x.len() == 10)
            .map(|x| x[2..].to_string()),
        viz.date_of_expiry
            .as_ref()
            .filter(|x| x.len() == 10)
            .map(|x| x[2..].to_string()),
    ];
    // The fields the repairs disagree about, of which the visual zone printed at least one.
    let open: Vec<usize> = (0..3)
        .filter(|&i| repairs.iter().any(|(_, f)| f[i] != repairs[0].1[i]))
        .filter(|&i| printed[i].as_ref().is_some_and(|p| !p.is_empty()))
        .collect();
    if open.is_empty() {
        return false;
    }
    let mut agreeing = repairs
        .into_iter()
        .filter(|(_, f)| open.iter().all(|&i| f[i] == printed[i]));
    let (Some((mut settled, _)), None) = (agreeing.next(), agreeing.next()) else {
        return false;
    };
    settled.status = RepairStatus::Repaired;
    mrz.repaired = Some(settled);
    mrz.status = MrzStatus::Valid;
    true
}

/// Glare over the MRZ block `mrz` located on `page` (the image as decoded): [`crate::quality::zone_glare`] of the
/// block and half a line around it; None when no block was located.
pub fn mrz_glare(page: &RgbImage, mrz: &MrzResult) -> Option<f32> {
    let c = mrz.candidate.as_ref()?;
    let frame: Cow<'_, RgbImage> = match mrz.block_rotation {
        Rotation::R0 => Cow::Borrowed(page),
        r => Cow::Owned(r.apply(page)),
    };
    let (x0, y0, x1, y1) = c.quads.iter().map(|q| q.bounds()).fold(
        (f32::MAX, f32::MAX, f32::MIN, f32::MIN),
        |(a, b, c, d), (x0, y0, x1, y1)| (a.min(x0), b.min(y0), c.max(x1), d.max(y1)),
    );
    let pad = (y1 - y0) / (2.0 * c.quads.len().max(1) as f32);
    let zone = crop(&frame, x0 - pad, y0 - pad, x1 + pad, y1 + pad)?;
    Some(crate::quality::zone_glare(&image::imageops::grayscale(
        &zone,
    )))
}

fn two_digit_year_pivot(o: &MrzOptions) -> u32 {
    o.parse
        .reference_date
        .map_or_else(|| kycd_mrz::Date::today().year, |d| d.year)
        .rem_euclid(100) as u32
}

/// An MRZ line whose box extends beyond the image by more than a third of its height.
fn cut(q: &Quad, img: &RgbImage) -> bool {
    let (_, h) = q.size();
    let m = h / 3.0;
    let (x0, y0, x1, y1) = q.bounds();
    x0 < -m || y0 < -m || x1 > img.width() as f32 + m || y1 > img.height() as f32 + m
}

/// The visual-zone fields that disagree with a trusted MRZ reading (names: a prefix of the other agrees, as MRZ names
/// are truncated). Also used when the MRZ was read from another side than the visual zone (an ID card's back).
pub fn compare_fields(mrz: &MrzResult, viz: &VizFields) -> Vec<FieldMismatch> {
    let Some(r) = mrz.repaired.as_ref().filter(|r| r.is_trusted()) else {
        return Vec::new();
    };
    let data = r.mrz.document_data();
    let mut out = Vec::new();
    let mut check = |field: &'static str, m: Option<String>, v: Option<&String>| {
        if let (Some(m), Some(v)) = (m, v)
            && !m.is_empty()
            && !v.is_empty()
            && alnum_upper(&m) != alnum_upper(v)
            // MRZ names are truncated/transliterated: accept a prefix match.
            && !(field.ends_with("name") && (alnum_upper(v).starts_with(&alnum_upper(&m)) || alnum_upper(&m).starts_with(&alnum_upper(v))))
        {
            out.push(FieldMismatch {
                field,
                mrz: m,
                viz: v.clone(),
            });
        }
    };
    let pairs = [
        ("surname", data.doc_last_name, &viz.surname),
        ("given_names", data.doc_first_name, &viz.given_names),
        ("date_of_birth", data.doc_dob, &viz.date_of_birth),
        ("date_of_expiry", data.doc_expiry, &viz.date_of_expiry),
        ("document_number", data.doc_number, &viz.document_number),
    ];
    for (field, m, v) in pairs {
        check(field, m, v.as_ref());
    }
    out
}

/// Document type from the MRZ document code, else keywords, else the outline's aspect ratio (`outline`:
/// the already detected outline of `img`, if that was done).
fn type_from(
    mrz: &MrzResult,
    lines: &[TextLine],
    img: &RgbImage,
    outline: Option<Option<DocumentQuad>>,
) -> Option<DocumentType> {
    if let Some(r) = &mrz.repaired
        && r.is_trusted()
    {
        return Some(r.mrz.document_data().doc_type);
    }
    if let Some(t) = type_from_keywords(lines) {
        return Some(t);
    }
    let q = outline.unwrap_or_else(|| detect_document_quad(img))?;
    let (w, h) = q.quad.size();
    let aspect = w.max(h) / w.min(h).max(1.0);
    // ID-1 cards 85.6 × 54 mm (1.59); passport pages (ID-3) 125 × 88 mm (1.42).
    if (1.52..=1.68).contains(&aspect) {
        Some(DocumentType::IdCard)
    } else if (1.36..1.52).contains(&aspect) {
        Some(DocumentType::Passport)
    } else {
        None
    }
}

fn type_from_keywords(lines: &[TextLine]) -> Option<DocumentType> {
    let text: String = lines
        .iter()
        .map(|l| l.text.to_uppercase())
        .collect::<Vec<_>>()
        .join(" ");
    let has = |k: &[&str]| k.iter().any(|w| text.contains(w));
    if has(&[
        "DRIVING LICEN",
        "DRIVER LICEN",
        "DRIVER'S LICEN",
        "PERMIS DE CONDUIRE",
        "FÜHRERSCHEIN",
        "PERMISO DE CONDUC",
        "PATENTE DI GUIDA",
        "RIJBEWIJS",
        "PRAWO JAZDY",
    ]) {
        Some(DocumentType::DriverLicense)
    } else if has(&[
        "RESIDENCE PERMIT",
        "TITRE DE SÉJOUR",
        "TITRE DE SEJOUR",
        "AUFENTHALTSTITEL",
        "PERMISO DE RESIDENCIA",
        "RESIDENT CARD",
    ]) {
        Some(DocumentType::ResidencePermit)
    } else if has(&[
        "PASSPORT",
        "PASSEPORT",
        "REISEPASS",
        "PASAPORTE",
        "PASSAPORTO",
        "PASZPORT",
    ]) {
        Some(DocumentType::Passport)
    } else if has(&[
        "IDENTITY CARD",
        "CARTE NATIONALE",
        "CARTE D'IDENTIT",
        "PERSONALAUSWEIS",
        "DOCUMENTO NACIONAL",
        "CARTA D'IDENTIT",
        "IDENTITEITSKAART",
        "DOWÓD OSOBISTY",
        "ID CARD",
    ]) {
        Some(DocumentType::IdCard)
    } else if has(&["VISA"]) {
        Some(DocumentType::Visa)
    } else {
        None
    }
}

/// Fast document-presence check for `/process`: text detection at 640 px (no recognition).
/// True when at least 4 text boxes covering ≥ 1 % of the image are found.
pub fn detect_document_present(engine: &OcrEngine, img: &RgbImage) -> Result<bool> {
    let p = DetParams {
        min_long_side: 640,
        max_long_side: 640,
        ..Default::default()
    };
    let boxes = engine.detect_with(img, &p)?;
    let area: f32 = boxes.iter().map(|b| b.quad.area()).sum();
    let frac = area / (img.width() as f32 * img.height() as f32).max(1.0);
    Ok(boxes.len() >= 4 && frac >= 0.01)
}

/// Fast document-type detection from the FRONT for `/process` when `documentType` is omitted: the MRZ
/// document code when an MRZ is on this side, else keywords in the widest text lines, else the
/// outline's aspect ratio. Runs one detection and recognises at most 12 lines (no rotation search).
pub fn detect_document_type(engine: &OcrEngine, img: &RgbImage) -> Result<Option<DocumentType>> {
    let mut boxes: Vec<TextBox> = engine.detect(img)?;
    boxes.sort_by(|a, b| b.quad.size().0.total_cmp(&a.quad.size().0));
    boxes.truncate(12);
    let lines = engine.recognize(img, &boxes)?;
    let rows = crate::mrz::mrz_rows(&lines);
    if let Some(c) = crate::mrz::all_candidates(&rows)
        .into_iter()
        .find(|c| c.checks_ok())
    {
        let refs: Vec<&str> = c.lines.iter().map(String::as_str).collect();
        if let Ok(r) = kycd_mrz::parse_with_repair(&refs, &kycd_mrz::ParseOptions::default())
            && r.is_trusted()
        {
            return Ok(Some(r.mrz.document_data().doc_type));
        }
    }
    if let Some(t) = type_from_keywords(&lines) {
        return Ok(Some(t));
    }
    let dummy = MrzResult {
        status: crate::reader::MrzStatus::NotFound,
        repaired: None,
        candidate: None,
        rotation: crate::reader::Rotation::R0,
        block_rotation: crate::reader::Rotation::R0,
        others: Vec::new(),
    };
    Ok(type_from(&dummy, &[], img, None))
}

/// Portrait location from the MRZ geometry (ICAO 9303 page layouts): on TD3/MRV pages the portrait
/// zone is at the left, above the MRZ; on TD2 likewise. TD1 cards carry the MRZ on the back, so no
/// portrait is located from it.
pub fn locate_portrait(mrz: &MrzResult, img: &RgbImage) -> Option<Quad> {
    let c = mrz.candidate.as_ref()?;
    if !mrz.valid() {
        return None;
    }
    let (line_chars, _) = match c.layout {
        crate::mrz_text::MrzLayout::Td3 | crate::mrz_text::MrzLayout::Mrva => (44.0, 0),
        crate::mrz_text::MrzLayout::Td2 | crate::mrz_text::MrzLayout::Mrvb => (36.0, 0),
        _ => return None,
    };
    let first = c.quads.first()?;
    let u = first.direction();
    if u.0 < 0.9 {
        return None;
    }
    let (w, _) = first.size();
    // Millimetres → pixels: an MRZ character is 2.54 mm wide.
    let mm = w / (line_chars * 2.54);
    let (x0, y0, _, _) = first.bounds();
    // Portrait zone (approx.): from 1 mm left of the MRZ start to 35 mm right of it; from 50 mm to
    // 3 mm above the first MRZ line.
    let q = Quad::axis_aligned(
        (x0 - 1.0 * mm).max(0.0),
        (y0 - 50.0 * mm).max(0.0),
        (x0 + 35.0 * mm).min(img.width() as f32),
        (y0 - 3.0 * mm).max(0.0),
    );
    let (qw, qh) = q.size();
    (qw > 16.0 && qh > 16.0).then_some(q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kycd_mrz::{ParseOptions, check_digit, parse_with_repair};

    const LINE1: &str = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";

    /// The second line of a valid TD3 MRZ with this document number (the specimen's other fields).
    fn line2(number: &str) -> String {
        let cd = |s: &str| char::from(b'0' + check_digit(s.as_bytes()));
        let body = format!("{number}{}", cd(number));
        let optional = "ZE184226B<<<<<1";
        // Number, birth and expiry dates, optional data, each with its check digit.
        let composite = format!("{body}74081221204159{optional}");
        format!("{body}UTO7408122F1204159{optional}{}", cd(&composite))
    }

    /// The second line of the MRZ of document `truth` with its number read as `read`.
    fn misread(truth: &str, read: &str) -> String {
        format!("{read}{}", &line2(truth)[read.len()..])
    }

    fn opts() -> MrzOptions {
        MrzOptions {
            parse: ParseOptions::with_reference_date(kycd_mrz::Date::new(2010, 1, 1).unwrap()),
            ..MrzOptions::default()
        }
    }

    /// A reading of `lines` as the MRZ reader returns it.
    fn reading(lines: &[&str]) -> MrzResult {
        let repaired = parse_with_repair(lines, &opts().parse).unwrap();
        MrzResult {
            status: if repaired.is_trusted() {
                MrzStatus::Valid
            } else {
                MrzStatus::Invalid
            },
            repaired: Some(repaired),
            candidate: None,
            rotation: Rotation::R0,
            block_rotation: Rotation::R0,
            others: Vec::new(),
        }
    }

    /// Document numbers whose OCR reading (every `Z` read as `2`, every `B` as `8`) the check digits cannot
    /// settle alone: the true number and another one validate.
    fn ambiguous_numbers() -> impl Iterator<Item = (String, String)> {
        (0..2000u32).filter_map(|i| {
            let truth = format!("Z{:04}B{:03}", i % 10_000, (i * 7) % 1000);
            let read = truth.replace('Z', "2").replace('B', "8");
            let r = reading(&[LINE1, &misread(&truth, &read)]);
            let alts = &r.repaired.as_ref()?.alternatives;
            let ok = r.status == MrzStatus::Invalid
                && alts.len() > 1
                && alts.iter().any(|a| a[1].starts_with(&truth));
            ok.then_some((truth, read))
        })
    }

    fn viz(number: &str) -> VizFields {
        VizFields {
            document_number: Some(number.into()),
            date_of_birth: Some("1974-08-12".into()),
            ..VizFields::default()
        }
    }

    #[test]
    fn the_visual_zone_settles_only_what_the_check_digits_leave_open() {
        let (truth, read) = ambiguous_numbers()
            .next()
            .expect("an ambiguous reading among the generated numbers");
        let lines = [LINE1.to_string(), misread(&truth, &read)];
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();

        // The visual zone printed the true number: that repair is taken, and only that one.
        let mut r = reading(&refs);
        assert!(settle_with_visual_zone(&mut r, &viz(&truth), &opts()));
        assert!(r.valid());
        let settled = r.repaired.as_ref().unwrap();
        assert_eq!(settled.status, RepairStatus::Repaired);
        assert_eq!(
            settled.mrz.document_data().doc_number.as_deref(),
            Some(truth.as_str())
        );

        // The visual zone printed what the MRZ read (a wrong check digit looks like this): nothing is settled.
        let mut r = reading(&refs);
        assert!(!settle_with_visual_zone(&mut r, &viz(&read), &opts()));
        assert_eq!(r.status, MrzStatus::Invalid);
        // No visual-zone number: nothing to settle with.
        let mut r = reading(&refs);
        assert!(!settle_with_visual_zone(
            &mut r,
            &VizFields::default(),
            &opts()
        ));
        assert!(!r.valid());
    }

    #[test]
    fn a_valid_or_unrepairable_mrz_is_left_as_it_is() {
        // A number without OCR-confusable characters, so that no repair can make a wrong check digit validate.
        let valid = line2("L7A9W4C36");
        let mut r = reading(&[LINE1, &valid]);
        assert!(r.valid());
        assert!(!settle_with_visual_zone(&mut r, &viz("L7A9W4C36"), &opts()));
        assert_eq!(r.repaired.as_ref().unwrap().status, RepairStatus::Valid);
        // A wrong number check digit: no repair validates, whatever the visual zone says.
        let mut bad = valid.into_bytes();
        bad[9] = if bad[9] == b'9' { b'1' } else { bad[9] + 1 };
        let bad = String::from_utf8(bad).unwrap();
        let mut r = reading(&[LINE1, &bad]);
        assert_eq!(
            r.repaired.as_ref().unwrap().status,
            RepairStatus::Unrepairable
        );
        assert!(!settle_with_visual_zone(&mut r, &viz("L7A9W4C36"), &opts()));
        assert!(!r.valid());
    }
}
