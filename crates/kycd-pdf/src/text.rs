//! Positioned text extraction: a small content-stream interpreter that tracks the text and
//! graphics matrices, so that text runs get page coordinates and can be grouped into lines the way
//! a reader sees them (two columns stay two separate lines). Form XObjects are followed (bounded
//! depth, cycle-safe); image placements are recorded on the way.

use std::collections::{BTreeMap, HashSet};

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::Limits;
use crate::error::{PdfError, Result};
use crate::font::{FontInfo, font_info};

/// A line of text on a page, in PDF points with the origin at the top-left corner of the page
/// (y grows downwards, like image coordinates).
#[derive(Debug, Clone, PartialEq)]
pub struct PdfTextLine {
    /// The text, runs joined with single spaces where the gap between them is a word gap.
    pub text: String,
    /// Left edge.
    pub x0: f32,
    /// Top edge (baseline minus the font size).
    pub y0: f32,
    /// Right edge (estimated from the font widths).
    pub x1: f32,
    /// Bottom edge (the baseline).
    pub y1: f32,
    /// Font size in points after all transformations (largest run of the line).
    pub font_size: f32,
}

/// An image XObject drawn on the page, with where it lands (points, top-left origin).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImagePlacement {
    /// The image stream.
    pub id: ObjectId,
    /// Bounding box of the unit square mapped by the current matrix: x0, y0, x1, y1.
    pub bbox: [f32; 4],
}

/// What the interpreter found on one page.
#[derive(Debug, Clone, Default)]
pub struct PageContent {
    /// Text lines in reading order (top to bottom, then left to right).
    pub lines: Vec<PdfTextLine>,
    /// Image XObjects drawn on the page.
    pub images: Vec<ImagePlacement>,
    /// Page width in points (MediaBox).
    pub width: f32,
    /// Page height in points (MediaBox).
    pub height: f32,
}

type Matrix = [f32; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `a` then `b` (row-vector convention of the PDF spec: p' = p × a × b).
fn mul(a: &Matrix, b: &Matrix) -> Matrix {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

fn apply(m: &Matrix, x: f32, y: f32) -> (f32, f32) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

pub(crate) fn num(o: &Object) -> Option<f32> {
    match o {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) => Some(*r),
        _ => None,
    }
    .filter(|v| v.is_finite())
}

fn matrix_from(ops: &[Object]) -> Option<Matrix> {
    if ops.len() < 6 {
        return None;
    }
    let mut m = [0f32; 6];
    for (i, o) in ops.iter().take(6).enumerate() {
        m[i] = num(o)?;
    }
    Some(m)
}

/// Follows references (bounded) to a dictionary.
pub(crate) fn deref_dict<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Dictionary> {
    let mut cur = o;
    for _ in 0..8 {
        match cur {
            Object::Dictionary(d) => return Some(d),
            Object::Stream(s) => return Some(&s.dict),
            Object::Reference(id) => cur = doc.get_object(*id).ok()?,
            _ => return None,
        }
    }
    None
}

pub(crate) fn deref<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Object> {
    let mut cur = o;
    for _ in 0..8 {
        match cur {
            Object::Reference(id) => cur = doc.get_object(*id).ok()?,
            other => return Some(other),
        }
    }
    None
}

#[derive(Clone)]
struct GState {
    ctm: Matrix,
    font: Option<Vec<u8>>,
    size: f32,
    char_spacing: f32,
    word_spacing: f32,
    h_scale: f32,
    leading: f32,
    rise: f32,
}

impl Default for GState {
    fn default() -> Self {
        GState {
            ctm: IDENTITY,
            font: None,
            size: 12.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            h_scale: 1.0,
            leading: 0.0,
            rise: 0.0,
        }
    }
}

/// One shown string with its position in user space (PDF origin, bottom-left).
#[derive(Debug, Clone)]
struct Run {
    text: String,
    x: f32,
    y: f32,
    x_end: f32,
    size: f32,
}

struct Interp<'a> {
    doc: &'a Document,
    limits: &'a Limits,
    fonts: BTreeMap<(ObjectId, Vec<u8>), FontInfo<'a>>,
    runs: Vec<Run>,
    images: Vec<ImagePlacement>,
    ops_left: usize,
    visited_forms: HashSet<ObjectId>,
}

/// Key identifying a resource dictionary (its object id, or a pseudo id for inline dictionaries).
fn res_key(id: Option<ObjectId>) -> ObjectId {
    id.unwrap_or((0, 0))
}

impl<'a> Interp<'a> {
    fn font<'s>(
        &'s mut self,
        res: Option<&'a Dictionary>,
        rkey: ObjectId,
        name: &[u8],
    ) -> Option<&'s FontInfo<'a>> {
        let key = (rkey, name.to_vec());
        if !self.fonts.contains_key(&key) {
            let doc = self.doc;
            let fd = res
                .and_then(|r| r.get(b"Font").ok())
                .and_then(|o| deref_dict(doc, o))
                .and_then(|fonts| fonts.get(name).ok())
                .and_then(|o| deref_dict(doc, o))?;
            let info = font_info(doc, fd, self.limits);
            self.fonts.insert(key.clone(), info);
        }
        self.fonts.get(&key)
    }

    #[allow(clippy::too_many_lines)]
    fn run(
        &mut self,
        data: &[u8],
        res: Option<&'a Dictionary>,
        rkey: ObjectId,
        base: GState,
        depth: usize,
    ) -> Result<()> {
        let content = Content::decode(data).map_err(PdfError::malformed)?;
        let mut gs = base;
        let mut stack: Vec<GState> = Vec::new();
        let mut tm = IDENTITY;
        let mut tlm = IDENTITY;
        for op in &content.operations {
            if self.ops_left == 0 {
                return Err(PdfError::Malformed(
                    "too many content operations (limit reached)".into(),
                ));
            }
            self.ops_left -= 1;
            let ops = &op.operands;
            match op.operator.as_str() {
                "q" if stack.len() < 256 => stack.push(gs.clone()),
                "Q" => {
                    if let Some(s) = stack.pop() {
                        gs = s;
                    }
                }
                "cm" => {
                    if let Some(m) = matrix_from(ops) {
                        gs.ctm = mul(&m, &gs.ctm);
                    }
                }
                "BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                "Td" | "TD" => {
                    if let (Some(tx), Some(ty)) =
                        (ops.first().and_then(num), ops.get(1).and_then(num))
                    {
                        if op.operator == "TD" {
                            gs.leading = -ty;
                        }
                        tlm = mul(&[1.0, 0.0, 0.0, 1.0, tx, ty], &tlm);
                        tm = tlm;
                    }
                }
                "Tm" => {
                    if let Some(m) = matrix_from(ops) {
                        tlm = m;
                        tm = m;
                    }
                }
                "T*" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                    tm = tlm;
                }
                "Tc" => gs.char_spacing = ops.first().and_then(num).unwrap_or(0.0),
                "Tw" => gs.word_spacing = ops.first().and_then(num).unwrap_or(0.0),
                "Tz" => gs.h_scale = ops.first().and_then(num).unwrap_or(100.0) / 100.0,
                "TL" => gs.leading = ops.first().and_then(num).unwrap_or(0.0),
                "Ts" => gs.rise = ops.first().and_then(num).unwrap_or(0.0),
                "Tf" => {
                    gs.font = ops
                        .first()
                        .and_then(|o| o.as_name().ok())
                        .map(<[u8]>::to_vec);
                    gs.size = ops.get(1).and_then(num).unwrap_or(gs.size);
                }
                "Tj" | "'" | "\"" | "TJ" => {
                    if op.operator == "'" || op.operator == "\"" {
                        tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                        tm = tlm;
                    }
                    if op.operator == "\"" {
                        gs.word_spacing = ops.first().and_then(num).unwrap_or(gs.word_spacing);
                        gs.char_spacing = ops.get(1).and_then(num).unwrap_or(gs.char_spacing);
                    }
                    let items: Vec<&Object> = match op.operator.as_str() {
                        "TJ" => match ops.first() {
                            Some(Object::Array(a)) => a.iter().collect(),
                            _ => Vec::new(),
                        },
                        "\"" => ops.get(2).into_iter().collect(),
                        _ => ops.first().into_iter().collect(),
                    };
                    let Some(fname) = gs.font.clone() else {
                        continue;
                    };
                    for item in items {
                        match item {
                            Object::String(bytes, _) => {
                                let Some(font) = self.font(res, rkey, &fname) else {
                                    break;
                                };
                                let text = font
                                    .encoding
                                    .as_ref()
                                    .and_then(|e| Document::decode_text(e, bytes).ok())
                                    .unwrap_or_default();
                                let mut adv = 0f32;
                                let step = if font.two_byte { 2 } else { 1 };
                                for chunk in bytes.chunks(step) {
                                    let code =
                                        chunk.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b));
                                    let mut w =
                                        font.width(code) / 1000.0 * gs.size + gs.char_spacing;
                                    if step == 1 && code == 32 {
                                        w += gs.word_spacing;
                                    }
                                    adv += w * gs.h_scale;
                                }
                                let trm = mul(&tm, &gs.ctm);
                                let (x, y) = apply(&trm, 0.0, gs.rise);
                                let (xe, _) = apply(&trm, adv, gs.rise);
                                // Effective size: length of the transformed vertical unit times the font size.
                                let size = (trm[2] * trm[2] + trm[3] * trm[3]).sqrt() * gs.size;
                                let horizontal = trm[0].abs() >= trm[1].abs() * 4.0 && trm[0] > 0.0;
                                let clean: String = text
                                    .chars()
                                    .filter(|c| !c.is_control() && *c != '\u{FFFD}')
                                    .collect();
                                if horizontal && !clean.is_empty() && size.is_finite() && size > 0.0
                                {
                                    self.runs.push(Run {
                                        text: clean,
                                        x,
                                        y,
                                        x_end: xe,
                                        size,
                                    });
                                }
                                tm = mul(&[1.0, 0.0, 0.0, 1.0, adv, 0.0], &tm);
                            }
                            other => {
                                if let Some(n) = num(other) {
                                    let tx = -n / 1000.0 * gs.size * gs.h_scale;
                                    tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], &tm);
                                }
                            }
                        }
                        if self.runs.len() > self.limits.max_text_runs {
                            return Err(PdfError::Malformed("too many text runs".into()));
                        }
                    }
                }
                "Do" => {
                    let Some(name) = ops.first().and_then(|o| o.as_name().ok()) else {
                        continue;
                    };
                    let Some(xref) = res
                        .and_then(|r| r.get(b"XObject").ok())
                        .and_then(|o| deref_dict(self.doc, o))
                        .and_then(|x| x.get(name).ok())
                    else {
                        continue;
                    };
                    let Ok(id) = xref.as_reference() else {
                        continue;
                    };
                    let Ok(stream) = self.doc.get_object(id).and_then(Object::as_stream) else {
                        continue;
                    };
                    let subtype = stream
                        .dict
                        .get(b"Subtype")
                        .ok()
                        .and_then(|o| o.as_name().ok());
                    if subtype == Some(b"Image".as_slice()) {
                        let pts = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)]
                            .map(|(x, y)| apply(&gs.ctm, x, y));
                        let xs = pts.map(|p| p.0);
                        let ys = pts.map(|p| p.1);
                        let fmin = |a: [f32; 4]| a.iter().copied().fold(f32::INFINITY, f32::min);
                        let fmax =
                            |a: [f32; 4]| a.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                        self.images.push(ImagePlacement {
                            id,
                            bbox: [fmin(xs), fmin(ys), fmax(xs), fmax(ys)],
                        });
                    } else if subtype == Some(b"Form".as_slice())
                        && depth < self.limits.max_form_depth
                        && self.visited_forms.insert(id)
                    {
                        let data = stream
                            .get_plain_content_with_limit(self.limits.max_stream_bytes)
                            .map_err(PdfError::malformed)?;
                        let mut inner = gs.clone();
                        if let Some(m) = stream
                            .dict
                            .get(b"Matrix")
                            .ok()
                            .and_then(|o| o.as_array().ok())
                            .and_then(|a| matrix_from(a))
                        {
                            inner.ctm = mul(&m, &gs.ctm);
                        }
                        let (fres, fkey) = match stream.dict.get(b"Resources") {
                            Ok(o) => (deref_dict(self.doc, o), o.as_reference().unwrap_or(id)),
                            Err(_) => (res, rkey),
                        };
                        self.run(&data, fres, fkey, inner, depth + 1)?;
                        self.visited_forms.remove(&id);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// MediaBox of a page (inherited from the page tree), as x0, y0, x1, y1.
pub(crate) fn media_box(doc: &Document, page_id: ObjectId) -> [f32; 4] {
    let mut node = doc.get_dictionary(page_id).ok();
    for _ in 0..32 {
        let Some(d) = node else { break };
        if let Some(a) = d
            .get(b"MediaBox")
            .ok()
            .and_then(|o| deref(doc, o))
            .and_then(|o| o.as_array().ok())
            && a.len() == 4
        {
            let v: Vec<f32> = a
                .iter()
                .filter_map(|o| deref(doc, o).and_then(num))
                .collect();
            if v.len() == 4 && (v[2] - v[0]).abs() > 1.0 && (v[3] - v[1]).abs() > 1.0 {
                return [
                    v[0].min(v[2]),
                    v[1].min(v[3]),
                    v[0].max(v[2]),
                    v[1].max(v[3]),
                ];
            }
        }
        node = d
            .get(b"Parent")
            .ok()
            .and_then(|o| o.as_reference().ok())
            .and_then(|id| doc.get_dictionary(id).ok());
    }
    // US Letter, the most common default.
    [0.0, 0.0, 612.0, 792.0]
}

/// Runs the interpreter over one page.
pub(crate) fn page_content(
    doc: &Document,
    page_id: ObjectId,
    limits: &Limits,
) -> Result<PageContent> {
    let mb = media_box(doc, page_id);
    let data = doc
        .get_page_content_with_limit(page_id, limits.max_stream_bytes)
        .map_err(PdfError::malformed)?;
    let (res, res_ids) = doc
        .get_page_resources(page_id)
        .map_err(PdfError::malformed)?;
    let (res, rkey) = match res {
        Some(d) => (Some(d), res_key(Some(page_id))),
        None => match res_ids.first() {
            Some(id) => (doc.get_dictionary(*id).ok(), *id),
            None => (None, res_key(None)),
        },
    };
    let mut it = Interp {
        doc,
        limits,
        fonts: BTreeMap::new(),
        runs: Vec::new(),
        images: Vec::new(),
        ops_left: limits.max_content_ops,
        visited_forms: HashSet::new(),
    };
    it.run(&data, res, rkey, GState::default(), 0)?;
    let height = mb[3] - mb[1];
    let width = mb[2] - mb[0];
    // To top-left coordinates relative to the MediaBox.
    let runs: Vec<Run> = it
        .runs
        .into_iter()
        .map(|r| Run {
            x: r.x - mb[0],
            x_end: r.x_end - mb[0],
            y: mb[3] - r.y,
            ..r
        })
        .collect();
    let images = it
        .images
        .into_iter()
        .map(|p| ImagePlacement {
            id: p.id,
            bbox: [
                p.bbox[0] - mb[0],
                mb[3] - p.bbox[3],
                p.bbox[2] - mb[0],
                mb[3] - p.bbox[1],
            ],
        })
        .collect();
    Ok(PageContent {
        lines: group_lines(runs),
        images,
        width,
        height,
    })
}

/// Groups runs (top-left coordinates, `y` = baseline) into visual lines: same baseline (within a
/// third of the font size) and a horizontal gap under about one em. A space is inserted where the
/// gap is a word gap and neither side already has one.
fn group_lines(mut runs: Vec<Run>) -> Vec<PdfTextLine> {
    runs.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
    // 1. Rows: runs whose baseline is within a third of the font size of the row's first run.
    let mut rows: Vec<Vec<Run>> = Vec::new();
    for r in runs {
        match rows.last_mut() {
            Some(row) if (r.y - row[0].y).abs() <= 0.35 * r.size.max(row[0].size) => row.push(r),
            _ => rows.push(vec![r]),
        }
    }
    // 2. Within a row, left to right, split where the gap exceeds about one em (columns).
    let mut lines: Vec<PdfTextLine> = Vec::new();
    for mut row in rows {
        row.sort_by(|a, b| a.x.total_cmp(&b.x));
        let mut cur: Option<PdfTextLine> = None;
        for r in row {
            if let Some(line) = cur.as_mut() {
                let em = r.size.max(line.font_size);
                let gap = r.x - line.x1;
                if gap < 1.2 * em {
                    if gap > 0.15 * em && !line.text.ends_with(' ') && !r.text.starts_with(' ') {
                        line.text.push(' ');
                    }
                    line.text.push_str(&r.text);
                    line.x1 = line.x1.max(r.x_end);
                    line.y0 = line.y0.min(r.y - r.size);
                    line.y1 = line.y1.max(r.y);
                    line.font_size = line.font_size.max(r.size);
                    continue;
                }
                lines.extend(cur.take());
            }
            cur = Some(PdfTextLine {
                text: r.text.clone(),
                x0: r.x,
                y0: r.y - r.size,
                x1: r.x_end.max(r.x),
                y1: r.y,
                font_size: r.size,
            });
        }
        lines.extend(cur);
    }
    // Rows come out top to bottom and each row left to right: that is the reading order.
    lines
        .into_iter()
        .map(|mut l| {
            l.text = l.text.split_whitespace().collect::<Vec<_>>().join(" ");
            l
        })
        .filter(|l| !l.text.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, x: f32, y: f32, w: f32) -> Run {
        Run {
            text: text.into(),
            x,
            y,
            x_end: x + w,
            size: 10.0,
        }
    }

    #[test]
    fn groups_words_and_keeps_columns_apart() {
        let lines = group_lines(vec![
            run("Street", 60.0, 100.0, 30.0),
            run("12", 40.0, 100.2, 15.0),
            run("Total", 300.0, 100.0, 25.0),
            run("Paris", 40.0, 112.0, 25.0),
        ]);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, vec!["12 Street", "Total", "Paris"]);
    }

    #[test]
    fn matrix_multiplication_order() {
        let scale = [2.0, 0.0, 0.0, 2.0, 0.0, 0.0];
        let shift = [1.0, 0.0, 0.0, 1.0, 10.0, 0.0];
        // scale then shift: (1,0) → (2,0) → (12,0)
        let m = mul(&scale, &shift);
        assert_eq!(apply(&m, 1.0, 0.0), (12.0, 0.0));
    }
}
