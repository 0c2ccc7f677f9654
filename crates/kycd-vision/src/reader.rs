//! Reading the MRZ of a document photo or scan: OCR, localisation, orientation search, repair and
//! validation through `kycd-mrz`, and the mapping to iDenfy MRZ statuses.
//!
//! Over ~600 lines only through its tests (the code is ~600 lines): the orientation search and the re-reads it
//! drives are one algorithm.

use image::RgbImage;
use kycd_mrz::{ParseOptions, RepairStatus, Repaired};
use serde::Serialize;

use crate::error::Result;
use crate::geometry::Quad;
use crate::mrz::{MrzCandidate, MrzRow, all_candidates, mrz_rows};
use crate::ocr::{CropMode, OcrEngine, TextBox, TextLine};

/// Rotation applied to the (EXIF-corrected) image before reading, clockwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Rotation {
    /// Upright.
    R0,
    /// Rotated 90° clockwise.
    R90,
    /// Upside down.
    R180,
    /// Rotated 270° clockwise (90° counter-clockwise).
    R270,
}

impl Rotation {
    /// Degrees clockwise.
    pub fn degrees(self) -> u16 {
        match self {
            Rotation::R0 => 0,
            Rotation::R90 => 90,
            Rotation::R180 => 180,
            Rotation::R270 => 270,
        }
    }

    /// The rotation of `deg` degrees clockwise (any multiple of 90, taken modulo 360; others round
    /// down to a multiple of 90).
    pub fn from_degrees(deg: u16) -> Rotation {
        match (deg % 360) / 90 {
            0 => Rotation::R0,
            1 => Rotation::R90,
            2 => Rotation::R180,
            _ => Rotation::R270,
        }
    }

    /// Applies the rotation.
    pub fn apply(self, img: &RgbImage) -> RgbImage {
        match self {
            Rotation::R0 => img.clone(),
            Rotation::R90 => image::imageops::rotate90(img),
            Rotation::R180 => image::imageops::rotate180(img),
            Rotation::R270 => image::imageops::rotate270(img),
        }
    }
}

/// MRZ outcome, mapped to iDenfy statuses by [`MrzStatus::idenfy_code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MrzStatus {
    /// Read and every check digit validates (possibly after repair).
    Valid,
    /// No MRZ on the image (`MRZ_NOT_FOUND`).
    NotFound,
    /// MRZ-like text is present but could not be read into a complete MRZ (`MRZ_OCR_READING_ERROR`).
    ReadingError,
    /// A complete MRZ was read confidently but its check digits fail (`MRZ_INVALID`).
    Invalid,
}

impl MrzStatus {
    /// The iDenfy status code, `None` when valid.
    pub fn idenfy_code(self) -> Option<&'static str> {
        match self {
            MrzStatus::Valid => None,
            MrzStatus::NotFound => Some("MRZ_NOT_FOUND"),
            MrzStatus::ReadingError => Some("MRZ_OCR_READING_ERROR"),
            MrzStatus::Invalid => Some("MRZ_INVALID"),
        }
    }
}

/// Options for [`read_mrz`].
#[derive(Debug, Clone, Default)]
pub struct MrzOptions {
    /// Parse options (reference date for century inference) handed to `kycd-mrz`.
    pub parse: ParseOptions,
    /// Do not try 90/180/270° rotations when the upright image has no readable MRZ.
    pub no_rotation_search: bool,
}

/// Result of reading the MRZ of one image.
#[derive(Debug, Clone)]
pub struct MrzResult {
    /// Outcome.
    pub status: MrzStatus,
    /// The repaired/validated MRZ from `kycd-mrz` when a complete block was read.
    pub repaired: Option<Repaired>,
    /// The located block (OCR text, length-fixed lines, boxes), if any.
    pub candidate: Option<MrzCandidate>,
    /// Rotation under which the MRZ was read (for an MRZ that does not validate: under which the page reads
    /// upright).
    pub rotation: Rotation,
    /// Rotation of the image in which `candidate` was located: its boxes are in that frame.
    pub block_rotation: Rotation,
    /// Further MRZ blocks on the same image (e.g. two cards on one scan), already repaired.
    pub others: Vec<Repaired>,
}

impl MrzResult {
    /// True when an MRZ block was located.
    pub fn found(&self) -> bool {
        self.candidate.is_some()
    }

    /// Final MRZ lines (repaired when possible, else as read), empty when not found.
    pub fn lines(&self) -> Vec<String> {
        match (&self.repaired, &self.candidate) {
            (Some(r), _) => r.mrz.lines.clone(),
            (None, Some(c)) => c.lines.clone(),
            _ => Vec::new(),
        }
    }

    /// Whether every check digit validates.
    pub fn valid(&self) -> bool {
        self.status == MrzStatus::Valid
    }

    /// Whether any character was changed to make the MRZ valid (filler-length or OCR repair).
    pub fn was_repaired(&self) -> bool {
        let length_fix = self.candidate.as_ref().is_some_and(|c| c.edits > 0);
        let ocr_fix = self
            .repaired
            .as_ref()
            .is_some_and(|r| r.status == RepairStatus::Repaired || !r.corrections.is_empty());
        self.valid() && (length_fix || ocr_fix)
    }

    /// Layout name from `kycd-mrz` (`TD1`, `TD2`, `TD3`, `MRV-A`, `MRV-B`, `FRA-ID`, `DL`).
    pub fn format_name(&self) -> Option<&'static str> {
        match (&self.repaired, &self.candidate) {
            (Some(r), _) => Some(r.mrz.format().name()),
            (None, Some(c)) => Some(c.layout.name()),
            _ => None,
        }
    }

    /// The JSON object printed by `kycd mrz read --json`:
    /// `{"found", "format", "lines", "valid", "fields", "repaired"}` plus `status` (iDenfy code or null),
    /// `rotation` and `confidence`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "found": self.found(),
            "format": self.format_name(),
            "lines": self.lines(),
            "valid": self.valid(),
            "fields": self.repaired.as_ref().map(|r| &r.mrz.fields),
            "repaired": self.was_repaired(),
            "status": self.status.idenfy_code(),
            "rotation": self.rotation.degrees(),
            "confidence": self.candidate.as_ref().map(|c| c.confidence),
        })
    }
}

/// Boxes long enough to be MRZ lines (or large fragments of one).
fn is_long(b: &TextBox, min_aspect: f32) -> bool {
    let (w, h) = b.quad.size();
    h > 0.0 && w / h >= min_aspect
}

/// Share of the text-box area whose reading direction is vertical (|angle| > 45°).
fn vertical_share(boxes: &[TextBox]) -> f32 {
    let (mut v, mut all) = (0f32, 0f32);
    for b in boxes {
        let a = b.quad.area();
        all += a;
        if b.quad.angle_deg().abs() > 45.0 {
            v += a;
        }
    }
    if all <= 0.0 { 0.0 } else { v / all }
}

pub(crate) struct Pass {
    rows: Vec<MrzRow>,
    cands: Vec<MrzCandidate>,
    /// Every detected text box (in the coordinates of the image the pass ran on).
    pub(crate) boxes: Vec<TextBox>,
    /// The boxes recognised so far (colour crops of detected boxes only), reusable for the visual zone.
    pub(crate) lines: Vec<TextLine>,
}

fn finalize(cands: &[MrzCandidate], opts: &MrzOptions) -> Option<(usize, Repaired)> {
    let mut fallback: Option<(usize, Repaired)> = None;
    for (i, c) in cands.iter().enumerate().take(4) {
        let refs: Vec<&str> = c.lines.iter().map(String::as_str).collect();
        let Ok(r) = kycd_mrz::parse_with_repair(&refs, &opts.parse) else {
            continue;
        };
        if r.is_trusted() {
            return Some((i, r));
        }
        if fallback.is_none() {
            fallback = Some((i, r));
        }
    }
    fallback
}

fn pass(engine: &OcrEngine, img: &RgbImage) -> Result<Pass> {
    let boxes = engine.detect(img)?;
    // Stage 1: the widest long boxes (MRZ lines are the widest lines of a document); stage 2: the
    // other long boxes; stage 3: shorter fragments. Stop as soon as a block passes its check digits.
    let widest = boxes
        .iter()
        .filter(|b| is_long(b, 7.0))
        .map(|b| b.quad.size().0)
        .fold(0f32, f32::max);
    let stage1: Vec<TextBox> = boxes
        .iter()
        .filter(|b| is_long(b, 7.0) && b.quad.size().0 >= 0.6 * widest)
        .copied()
        .collect();
    let stage2: Vec<TextBox> = boxes
        .iter()
        .filter(|b| is_long(b, 7.0) && b.quad.size().0 < 0.6 * widest)
        .copied()
        .collect();
    let stage3: Vec<TextBox> = boxes
        .iter()
        .filter(|b| !is_long(b, 7.0) && is_long(b, 2.0))
        .copied()
        .collect();
    let mut lines: Vec<TextLine> = Vec::new();
    let mut rows = Vec::new();
    let mut cands: Vec<MrzCandidate> = Vec::new();
    for stage in [stage1, stage2, stage3] {
        if cands.first().is_some_and(MrzCandidate::checks_ok) {
            break;
        }
        if stage.is_empty() {
            continue;
        }
        lines.extend(engine.recognize(img, &stage)?);
        rows = mrz_rows(&lines);
        let more = all_candidates(&rows);
        if more.first().map(|c| c.rank()) > cands.first().map(|c| c.rank()) {
            cands = more;
        }
    }
    // A partly detected MRZ line (a faint filler run is often missed): stretch the short row to the
    // extent of its full-length neighbour and read it again.
    if !cands.first().is_some_and(MrzCandidate::checks_ok) {
        let extra = complete_rows(&rows);
        if !extra.is_empty() {
            let again =
                engine.recognize(img, &extra.iter().map(|(_, b)| *b).collect::<Vec<_>>())?;
            let mut changed = false;
            for ((i, _), line) in extra.iter().zip(&again) {
                if let Some(r) = mrz_rows(std::slice::from_ref(line)).into_iter().next()
                    && r.text.len() > rows[*i].text.len()
                {
                    rows[*i] = r;
                    changed = true;
                }
            }
            if changed {
                let more = all_candidates(&rows);
                if more.first().map(|c| c.rank()) > cands.first().map(|c| c.rank()) {
                    cands = more;
                }
            }
        }
    }
    // MRZ lines over coloured guilloches: re-read the rows of the best block with ink-enhanced crops
    // and keep, line by line, the more confident reading.
    let needs_retry = cands
        .first()
        .is_some_and(|c| !c.checks_ok() || c.confidence < 0.93 || c.edits > 0);
    if needs_retry || cands.is_empty() {
        let targets: Vec<usize> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                let in_best = cands.first().is_some_and(|c| c.quads.contains(&r.quad));
                in_best || (r.text.len() >= 20 && r.text.matches('<').count() >= 2)
            })
            .map(|(i, _)| i)
            .collect();
        let again = reread(engine, img, &rows, &targets, CropMode::InkEnhanced)?;
        let mut changed = false;
        for (&i, r) in targets.iter().zip(again) {
            if let Some(r) = r
                && r.confidence > rows[i].confidence
            {
                rows[i] = r;
                changed = true;
            }
        }
        if changed {
            let more = all_candidates(&rows);
            if more.first().map(|c| c.rank()) > cands.first().map(|c| c.rank()) {
                cands = more;
            }
        }
    }
    // Check digits still failing: read the best block again from wider crops (a letter the recogniser
    // dropped between digits comes back) and keep the block as re-read when it ranks higher as a whole.
    if let Some(best) = cands.first().filter(|c| !c.checks_ok()) {
        let targets: Vec<usize> = (0..rows.len())
            .filter(|&i| best.quads.contains(&rows[i].quad))
            .collect();
        let mut alt = rows.clone();
        for (&i, r) in targets
            .iter()
            .zip(reread(engine, img, &rows, &targets, CropMode::Wide)?)
        {
            if let Some(r) = r {
                alt[i] = r;
            }
        }
        let more = all_candidates(&alt);
        if more.first().map(|c| c.rank()) > cands.first().map(|c| c.rank()) {
            rows = alt;
            cands = more;
        }
    }
    Ok(Pass {
        rows,
        cands,
        boxes,
        lines,
    })
}

/// The rows `targets` of `rows` read again with crops prepared as `mode`; None where a reading is no MRZ row.
fn reread(
    engine: &OcrEngine,
    img: &RgbImage,
    rows: &[MrzRow],
    targets: &[usize],
    mode: CropMode,
) -> Result<Vec<Option<MrzRow>>> {
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let boxes: Vec<TextBox> = targets
        .iter()
        .map(|&i| TextBox {
            quad: rows[i].quad,
            score: 1.0,
        })
        .collect();
    let lines = engine.recognize_with(img, &boxes, mode)?;
    let mut out: Vec<Option<MrzRow>> = lines
        .iter()
        .map(|line| mrz_rows(std::slice::from_ref(line)).into_iter().next())
        .collect();
    out.resize(targets.len(), None);
    Ok(out)
}

/// For every short MRZ-looking row lying parallel to a full-length MRZ row at line-pitch distance, a
/// box with the full row's extent at the short row's position. Short: under 28 characters, or (a line
/// whose start or end the detector cut off, e.g. 36 characters under a 44-character passport line) at
/// least 4 characters and 5 % of the width shorter than its neighbour.
fn complete_rows(rows: &[MrzRow]) -> Vec<(usize, TextBox)> {
    let mut out = Vec::new();
    for (i, short) in rows.iter().enumerate() {
        let n = short.text.len();
        let w_short = short.quad.size().0;
        let full = rows
            .iter()
            .filter(|r| matches!(r.text.len(), 28..=32 | 34..=38 | 42..=46))
            .filter(|r| n < 28 || (r.text.len() >= n + 4 && w_short < 0.95 * r.quad.size().0))
            .filter_map(|r| {
                let u = r.quad.direction();
                let v = (-u.1, u.0);
                let (w, h) = r.quad.size();
                let (cs, cr) = (short.quad.center(), r.quad.center());
                let d = (cs.0 - cr.0) * v.0 + (cs.1 - cr.1) * v.1;
                let along = (cs.0 - cr.0) * u.0 + (cs.1 - cr.1) * u.1;
                let angle = (short.quad.angle_deg() - r.quad.angle_deg()).abs();
                (d.abs() > 0.6 * h && d.abs() < 3.5 * h && along.abs() < w / 2.0 && angle < 6.0)
                    .then(|| {
                        (
                            d.abs(),
                            Quad::oriented((cr.0 + v.0 * d, cr.1 + v.1 * d), u, w, h),
                        )
                    })
            })
            .min_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((_, quad)) = full {
            out.push((i, TextBox { quad, score: 1.0 }));
        }
    }
    out
}

fn mrz_like_rows(rows: &[MrzRow]) -> bool {
    rows.iter()
        .any(|r| r.text.len() >= 20 && r.text.matches('<').count() >= 3)
}

/// Reads the MRZ of an (EXIF-corrected) image.
///
/// Tries the image upright first; if no trusted MRZ is read, tries 90°/270° (first, when most text
/// boxes are vertical) and 180°. Every located block goes through `kycd_mrz::parse_with_repair`.
pub fn read_mrz(engine: &OcrEngine, img: &RgbImage, opts: &MrzOptions) -> Result<MrzResult> {
    read_mrz_pass(engine, img, opts).map(|(r, _)| r)
}

/// [`read_mrz`], also returning the OCR pass (detected boxes, recognised lines) made under the
/// returned rotation, so that the rest of the document can be read without detecting again.
pub(crate) fn read_mrz_pass(
    engine: &OcrEngine,
    img: &RgbImage,
    opts: &MrzOptions,
) -> Result<(MrzResult, Pass)> {
    let first = pass(engine, img)?;
    let r0 = evaluate_pass(&first, Rotation::R0, opts);
    if r0.valid() || opts.no_rotation_search {
        return upright_mrz(engine, img, opts, r0, first);
    }
    let share = vertical_share(&first.boxes);
    let order = if share > 0.5 {
        [Rotation::R90, Rotation::R270, Rotation::R180]
    } else {
        [Rotation::R180, Rotation::R90, Rotation::R270]
    };
    // Text boxes are found in any orientation: when (nearly) all of them run horizontally the page is
    // upright or upside down, and when (nearly) all run vertically it lies on its side. As long as no
    // MRZ-like text has been read, the two rotations that would turn the lines across cannot find an MRZ
    // and are skipped (card fronts, licences). Once MRZ-like text that does not validate has been read,
    // every rotation is tried: a re-read under another rotation samples the lines afresh and sometimes
    // validates.
    let clear = first.boxes.len() >= 4;
    let across = |r: Rotation| {
        clear
            && ((share < 0.2 && matches!(r, Rotation::R90 | Rotation::R270))
                || (share > 0.8 && r == Rotation::R180))
    };
    let mut any_mrz_text = mrz_like_rows(&first.rows);
    // Every reading so far, in the order tried.
    let mut tried = vec![(r0, first)];
    for rot in order {
        if !any_mrz_text && across(rot) {
            continue;
        }
        let rotated = rot.apply(img);
        let p = pass(engine, &rotated)?;
        any_mrz_text |= mrz_like_rows(&p.rows);
        let r = evaluate_pass(&p, rot, opts);
        if r.valid() {
            return upright_mrz(engine, img, opts, r, p);
        }
        tried.push((r, p));
    }
    // The best-ranked reading (the earliest among equals).
    let best_at = first_max_by_key(&tried, |(r, _)| rank_result(r));
    if tried[best_at].0.status != MrzStatus::NotFound {
        // An MRZ that does not validate, possibly read along sideways boxes: turn the page so that it
        // runs left to right too, and keep that reading unless its status is worse (a reading along
        // upright lines beats one along sideways boxes that passes a check digit more).
        let (best, best_pass) = tried.swap_remove(best_at);
        return Ok(match turned_reading(engine, img, opts, &best)? {
            Some((r, p)) if rank_result(&r).0 >= rank_result(&best).0 => (r, p),
            _ => (best, best_pass),
        });
    }
    let (mut results, mut passes): (Vec<MrzResult>, Vec<Pass>) = tried.into_iter().unzip();
    // Without an MRZ to orient the page, the rotation under which most text reads confidently and
    // horizontally is the upright one (ID-card fronts, driving licences).
    let upright_at = if any_mrz_text {
        best_at
    } else {
        first_max_by_key(&passes, upright_text_score)
    };
    let rotation = results[upright_at].rotation;
    let mut best = results.swap_remove(best_at);
    best.rotation = rotation;
    if any_mrz_text {
        best.status = MrzStatus::ReadingError;
    }
    Ok((best, passes.swap_remove(upright_at)))
}

/// Index of the first item with the largest key (0 for an empty slice).
fn first_max_by_key<T, K: Ord>(items: &[T], key: impl Fn(&T) -> K) -> usize {
    let mut best: Option<(usize, K)> = None;
    for (i, item) in items.iter().enumerate() {
        let k = key(item);
        if best.as_ref().is_none_or(|(_, b)| k > *b) {
            best = Some((i, k));
        }
    }
    best.map_or(0, |(i, _)| i)
}

/// How much text a pass read upright: characters recognised with confidence ≥ 0.9 on lines whose
/// reading direction is within 30° of horizontal. Upside-down or sideways text reads with low
/// confidence (or on vertical boxes), so the upright rotation of a page scores highest.
fn upright_text_score(p: &Pass) -> usize {
    p.lines
        .iter()
        .filter(|l| l.bbox.quad.angle_deg().abs() <= 30.0)
        .map(|l| l.char_conf.iter().filter(|&&c| c >= 0.9).count())
        .sum()
}

/// The clockwise rotation that turns text read along `angle_deg` (0 = left to right, positive =
/// clockwise on screen) into left-to-right text.
fn correction_for(angle_deg: f32) -> Rotation {
    let a = angle_deg.rem_euclid(360.0);
    if !(45.0..315.0).contains(&a) {
        Rotation::R0
    } else if a < 135.0 {
        Rotation::R270
    } else if a < 225.0 {
        Rotation::R180
    } else {
        Rotation::R90
    }
}

/// A valid MRZ read from sideways or upside-down boxes (the recogniser reads a box along its own
/// direction, so an MRZ can validate under the wrong page rotation): the page is turned so that the MRZ
/// runs left to right and read again there, so that the visual zone is read upright too.
fn upright_mrz(
    engine: &OcrEngine,
    img: &RgbImage,
    opts: &MrzOptions,
    found: MrzResult,
    found_pass: Pass,
) -> Result<(MrzResult, Pass)> {
    Ok(match turned_reading(engine, img, opts, &found)? {
        Some((r, p)) if r.valid() => (r, p),
        Some((mut r, p)) if r.candidate.is_some() => {
            // The MRZ validated only as read along the sideways boxes (a re-read samples the lines
            // afresh); the upright page located it too. Keep the validated reading, and the upright
            // page (its geometry and text boxes) for the visual zone and the portrait.
            r.status = found.status;
            r.repaired = found.repaired;
            r.others = found.others;
            (r, p)
        }
        _ => (found, found_pass),
    })
}

/// When the MRZ candidate of `found` does not run left to right: the reading of the page turned so
/// that it does (`None` when it already does, or nothing was located).
fn turned_reading(
    engine: &OcrEngine,
    img: &RgbImage,
    opts: &MrzOptions,
    found: &MrzResult,
) -> Result<Option<(MrzResult, Pass)>> {
    let Some(c) = found.candidate.as_ref().filter(|c| !c.quads.is_empty()) else {
        return Ok(None);
    };
    let (sx, sy) = c.quads.iter().fold((0f32, 0f32), |(x, y), q| {
        let d = q.direction();
        (x + d.0, y + d.1)
    });
    let fix = correction_for(sy.atan2(sx).to_degrees());
    if fix == Rotation::R0 {
        return Ok(None);
    }
    let total = Rotation::from_degrees(found.rotation.degrees() + fix.degrees());
    let p = pass(engine, &total.apply(img))?;
    Ok(Some((evaluate_pass(&p, total, opts), p)))
}

fn rank_result(r: &MrzResult) -> (u8, u32, i64) {
    let s = match r.status {
        MrzStatus::Valid => 3,
        MrzStatus::Invalid => 2,
        MrzStatus::ReadingError => 1,
        MrzStatus::NotFound => 0,
    };
    let checks = r.candidate.as_ref().map_or(0, |c| c.checks.0);
    let conf = r
        .candidate
        .as_ref()
        .map_or(0, |c| (c.confidence * 1000.0) as i64);
    (s, checks, conf)
}

/// Minimum mean recogniser confidence for a failing MRZ to be reported as `MRZ_INVALID` rather than
/// `MRZ_OCR_READING_ERROR`.
pub const INVALID_MIN_CONFIDENCE: f32 = 0.90;

fn evaluate_pass(p: &Pass, rotation: Rotation, opts: &MrzOptions) -> MrzResult {
    let Some((idx, repaired)) = finalize(&p.cands, opts) else {
        let status = if mrz_like_rows(&p.rows) {
            MrzStatus::ReadingError
        } else {
            MrzStatus::NotFound
        };
        return MrzResult {
            status,
            repaired: None,
            candidate: p.cands.first().cloned(),
            rotation,
            block_rotation: rotation,
            others: Vec::new(),
        };
    };
    let cand = p.cands[idx].clone();
    let status = if repaired.is_trusted() {
        MrzStatus::Valid
    } else if cand.confidence >= INVALID_MIN_CONFIDENCE {
        MrzStatus::Invalid
    } else {
        MrzStatus::ReadingError
    };
    let others = p
        .cands
        .iter()
        .enumerate()
        .filter(|&(i, c)| i != idx && !overlaps(c, &cand))
        .filter_map(|(_, c)| {
            let refs: Vec<&str> = c.lines.iter().map(String::as_str).collect();
            kycd_mrz::parse_with_repair(&refs, &opts.parse)
                .ok()
                .filter(Repaired::is_trusted)
        })
        .collect();
    MrzResult {
        status,
        repaired: Some(repaired),
        candidate: Some(cand),
        rotation,
        block_rotation: rotation,
        others,
    }
}

fn overlaps(a: &MrzCandidate, b: &MrzCandidate) -> bool {
    a.quads.iter().any(|qa| {
        let c = qa.center();
        b.quads.iter().any(|qb: &Quad| qb.contains(c.0, c.1))
    })
}

#[cfg(test)]
mod orientation_tests {
    use super::*;

    #[test]
    fn correction_turns_text_left_to_right() {
        assert_eq!(correction_for(3.0), Rotation::R0);
        assert_eq!(correction_for(-20.0), Rotation::R0);
        // Text running down the screen: the page was turned 90° clockwise; 270° more puts it right.
        assert_eq!(correction_for(88.0), Rotation::R270);
        assert_eq!(correction_for(-92.0), Rotation::R90);
        assert_eq!(correction_for(179.0), Rotation::R180);
        assert_eq!(correction_for(-178.0), Rotation::R180);
        for r in [Rotation::R0, Rotation::R90, Rotation::R180, Rotation::R270] {
            assert_eq!(Rotation::from_degrees(r.degrees()), r);
        }
    }
}

#[cfg(test)]
mod completion_tests {
    use super::*;

    fn row(text: &str, x0: f32, x1: f32, y: f32) -> MrzRow {
        MrzRow {
            text: text.into(),
            confidence: 0.9,
            char_conf: vec![0.9; text.len()],
            quad: Quad::axis_aligned(x0, y, x1, y + 20.0),
        }
    }

    #[test]
    fn a_line_cut_short_under_a_full_one_is_read_again_over_the_full_extent() {
        let line1 = format!("P<UTO{}", "<".repeat(39));
        // 36 of 44 characters: the detector missed the start of line 2.
        let cut = row(&"L898902C3".repeat(4), 120.0, 880.0, 130.0);
        let rows = [row(&line1, 0.0, 880.0, 100.0), cut.clone()];
        let extra = complete_rows(&rows);
        assert_eq!(extra.len(), 1);
        assert_eq!(extra[0].0, 1);
        let (w, _) = extra[0].1.quad.size();
        assert!((w - 880.0).abs() < 1.0, "{w}");
        let c = extra[0].1.quad.center();
        assert!((c.0 - 440.0).abs() < 1.0 && (c.1 - cut.quad.center().1).abs() < 1.0);
        // As wide as its neighbour: a misreading, not a cut box, and re-reading the same crop is no use.
        let rows = [
            row(&line1, 0.0, 880.0, 100.0),
            row(&"L898902C3".repeat(4), 0.0, 880.0, 130.0),
        ];
        assert!(complete_rows(&rows).is_empty());
        // Two full lines: nothing to complete.
        let rows = [
            row(&line1, 0.0, 880.0, 100.0),
            row(&line1, 0.0, 880.0, 130.0),
        ];
        assert!(complete_rows(&rows).is_empty());
    }
}
