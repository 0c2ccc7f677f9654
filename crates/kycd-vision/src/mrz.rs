//! MRZ localisation and reading from OCR lines.
//!
//! Rows of MRZ-alphabet text are assembled from the detected lines (fragments of one printed line are
//! joined), stacked into blocks of the ICAO shapes (3×30, 2×36, 2×44, and the 1×30 EU driving-licence
//! line), and every block is scored by its check digits over a few length repairs of filler runs.

use crate::geometry::Quad;
use crate::mrz_text::{MrzLayout, check_score, clean_names, length_variants, normalize};
use crate::ocr::TextLine;

/// A row of MRZ-looking text (possibly joined from several detected fragments).
#[derive(Debug, Clone)]
pub struct MrzRow {
    /// Normalised text.
    pub text: String,
    /// Mean recogniser confidence.
    pub confidence: f32,
    /// Per-character confidence.
    pub char_conf: Vec<f32>,
    /// Location (union of the fragments' boxes, oriented like the first fragment).
    pub quad: Quad,
}

/// A located and read MRZ block, before semantic validation.
#[derive(Debug, Clone)]
pub struct MrzCandidate {
    /// Layout decided from shape and document code.
    pub layout: MrzLayout,
    /// Lines with the exact layout lengths (after filler-length repair).
    pub lines: Vec<String>,
    /// Normalised OCR text of the rows, before length repair.
    pub raw: Vec<String>,
    /// Check digits passed / total.
    pub checks: (u32, u32),
    /// Fillers inserted or removed to reach the layout lengths.
    pub edits: usize,
    /// Mean recogniser confidence of the rows.
    pub confidence: f32,
    /// Where the rows are.
    pub quads: Vec<Quad>,
}

impl MrzCandidate {
    /// All check digits pass.
    pub fn checks_ok(&self) -> bool {
        self.checks.0 == self.checks.1 && self.checks.1 > 0
    }

    /// Ordering key: all checks pass, checks passed, checks total, fewer edits, confidence.
    pub fn rank(&self) -> (u32, u32, u32, i64, i64) {
        (
            u32::from(self.checks_ok()),
            self.checks.0,
            self.checks.1,
            -(self.edits as i64),
            (self.confidence * 1000.0) as i64,
        )
    }
}

fn project(p: (f32, f32), d: (f32, f32)) -> f32 {
    p.0 * d.0 + p.1 * d.1
}

/// Extent of a quad along direction `u`: (min, max).
fn extent(q: &Quad, u: (f32, f32)) -> (f32, f32) {
    q.0.iter().fold((f32::MAX, f32::MIN), |(lo, hi), &p| {
        let v = project(p, u);
        (lo.min(v), hi.max(v))
    })
}

/// Assembles MRZ-looking rows: fragments on the same text row are joined left to right.
pub fn mrz_rows(lines: &[TextLine]) -> Vec<MrzRow> {
    struct Frag {
        text: String,
        conf: Vec<f32>,
        quad: Quad,
    }
    let mut frags: Vec<Frag> = Vec::new();
    for l in lines {
        let (text, score) = normalize(&l.text);
        if text.len() < 3 || score < 0.75 {
            continue;
        }
        // Keep only MRZ-like fragments: fillers, or long runs of capitals/digits.
        if !text.contains('<') && text.len() < 12 {
            continue;
        }
        let conf = if l.char_conf.len() == l.text.chars().count() {
            let mut c = Vec::new();
            for (ch, p) in l.text.chars().zip(&l.char_conf) {
                if ch == '«' {
                    c.push(*p);
                    c.push(*p);
                } else if !ch.is_whitespace() {
                    c.push(*p);
                }
            }
            c
        } else {
            vec![l.confidence; text.len()]
        };
        frags.push(Frag {
            text,
            conf,
            quad: l.bbox.quad,
        });
    }
    // Join fragments whose centres lie on the same text row.
    let mut used = vec![false; frags.len()];
    let mut rows = Vec::new();
    let mut order: Vec<usize> = (0..frags.len()).collect();
    order.sort_by(|&a, &b| {
        let (wa, _) = frags[a].quad.size();
        let (wb, _) = frags[b].quad.size();
        wb.total_cmp(&wa)
    });
    for &i in &order {
        if used[i] {
            continue;
        }
        used[i] = true;
        let u = frags[i].quad.direction();
        let v = (-u.1, u.0);
        let (_, h) = frags[i].quad.size();
        let ci = frags[i].quad.center();
        let mut members = vec![i];
        for &j in &order {
            if used[j] {
                continue;
            }
            let cj = frags[j].quad.center();
            let (_, hj) = frags[j].quad.size();
            let perp = (project(cj, v) - project(ci, v)).abs();
            let angle = (frags[j].quad.angle_deg() - frags[i].quad.angle_deg()).abs();
            if perp < 0.5 * h && hj < 1.6 * h && hj > 0.6 * h && angle < 8.0 {
                // Must not overlap much along the row with already joined members.
                let (lo, hi) = extent(&frags[j].quad, u);
                let overlaps = members.iter().any(|&m| {
                    let (mlo, mhi) = extent(&frags[m].quad, u);
                    (hi.min(mhi) - lo.max(mlo)) > 0.3 * (hi - lo).min(mhi - mlo)
                });
                if !overlaps {
                    used[j] = true;
                    members.push(j);
                }
            }
        }
        members.sort_by(|&a, &b| {
            project(frags[a].quad.center(), u).total_cmp(&project(frags[b].quad.center(), u))
        });
        let mut text = String::new();
        let mut conf = Vec::new();
        let (mut lo, mut hi) = (f32::MAX, f32::MIN);
        let (mut plo, mut phi) = (f32::MAX, f32::MIN);
        for &m in &members {
            text.push_str(&frags[m].text);
            conf.extend_from_slice(&frags[m].conf);
            let (a, b) = extent(&frags[m].quad, u);
            lo = lo.min(a);
            hi = hi.max(b);
            let (c, d) = extent(&frags[m].quad, v);
            plo = plo.min(c);
            phi = phi.max(d);
        }
        let cu = (lo + hi) / 2.0;
        let cv = (plo + phi) / 2.0;
        let center = (u.0 * cu + v.0 * cv, u.1 * cu + v.1 * cv);
        let quad = Quad::oriented(center, u, hi - lo, phi - plo);
        let confidence = if conf.is_empty() {
            0.0
        } else {
            conf.iter().sum::<f32>() / conf.len() as f32
        };
        rows.push(MrzRow {
            text,
            confidence,
            char_conf: conf,
            quad,
        });
    }
    rows
}

/// Finds the best MRZ block among the rows, if any row group has an MRZ shape.
pub fn best_candidate(rows: &[MrzRow]) -> Option<MrzCandidate> {
    all_candidates(rows).into_iter().next()
}

/// Every non-overlapping MRZ block, best first (documents such as a card photographed front and back
/// next to another card can show two).
pub fn all_candidates(rows: &[MrzRow]) -> Vec<MrzCandidate> {
    let mut cands: Vec<(MrzCandidate, Vec<usize>)> = Vec::new();
    let rows: Vec<&MrzRow> = rows
        .iter()
        .filter(|r| (24..=50).contains(&r.text.len()))
        .collect();
    for shape in [(3usize, 30usize), (2, 36), (2, 44), (1, 30)] {
        for start in 0..rows.len() {
            if rows[start].text.len().abs_diff(shape.1) > 4 {
                continue;
            }
            let mut chain = vec![start];
            while chain.len() < shape.0 {
                let last = rows[*chain.last().unwrap_or(&start)];
                let u = last.quad.direction();
                let v = (-u.1, u.0);
                let (_, h) = last.quad.size();
                let (llo, lhi) = extent(&last.quad, u);
                let next = (0..rows.len())
                    .filter(|j| !chain.contains(j))
                    .filter(|&j| rows[j].text.len().abs_diff(shape.1) <= 4)
                    .filter_map(|j| {
                        let d = project(rows[j].quad.center(), v) - project(last.quad.center(), v);
                        let (lo, hi) = extent(&rows[j].quad, u);
                        let overlap = hi.min(lhi) - lo.max(llo);
                        (d > 0.6 * h && d < 3.5 * h && overlap > 0.5 * (hi - lo).min(lhi - llo))
                            .then_some((j, d))
                    })
                    .min_by(|a, b| a.1.total_cmp(&b.1));
                match next {
                    Some((j, _)) => chain.push(j),
                    None => break,
                }
            }
            if chain.len() != shape.0 {
                continue;
            }
            if let Some(c) = evaluate(&chain.iter().map(|&i| rows[i]).collect::<Vec<_>>(), shape) {
                cands.push((c, chain));
            }
        }
    }
    cands.sort_by_key(|c| std::cmp::Reverse(c.0.rank()));
    // Greedy non-overlapping selection.
    let mut taken: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    for (c, chain) in cands {
        if chain.iter().any(|i| taken.contains(i)) {
            continue;
        }
        taken.extend(&chain);
        out.push(c);
    }
    out
}

fn evaluate(rows: &[&MrzRow], shape: (usize, usize)) -> Option<MrzCandidate> {
    // Every real MRZ block has fillers (after the document code, between names); all-caps visual-zone
    // text does not.
    if rows
        .iter()
        .map(|r| r.text.matches('<').count())
        .sum::<usize>()
        < 2
    {
        return None;
    }
    let first = rows[0].text.chars().next()?;
    let layout = MrzLayout::for_shape(shape.0, shape.1, first)?;
    let variants: Vec<Vec<(String, usize)>> = rows
        .iter()
        .map(|r| length_variants(&r.text, shape.1, 4))
        .collect();
    if variants.iter().any(|v| v.is_empty()) {
        return None;
    }
    let mut best: Option<MrzCandidate> = None;
    let mut idx = vec![0usize; rows.len()];
    let mut budget = 400usize;
    loop {
        let mut lines: Vec<String> = idx
            .iter()
            .enumerate()
            .map(|(k, &i)| variants[k][i].0.clone())
            .collect();
        let edits: usize = idx.iter().enumerate().map(|(k, &i)| variants[k][i].1).sum();
        let first_char = lines[0].chars().next().unwrap_or('?');
        let layout = MrzLayout::for_shape(shape.0, shape.1, first_char).unwrap_or(layout);
        clean_names(layout, &mut lines);
        let checks = check_score(layout, &lines);
        let cand = MrzCandidate {
            layout,
            lines,
            raw: rows.iter().map(|r| r.text.clone()).collect(),
            checks,
            edits,
            confidence: rows.iter().map(|r| r.confidence).sum::<f32>() / rows.len() as f32,
            quads: rows.iter().map(|r| r.quad).collect(),
        };
        if best.as_ref().is_none_or(|b| cand.rank() > b.rank()) {
            best = Some(cand);
        }
        budget -= 1;
        // odometer increment
        let mut k = 0;
        loop {
            if k == idx.len() {
                return best;
            }
            idx[k] += 1;
            if idx[k] < variants[k].len() {
                break;
            }
            idx[k] = 0;
            k += 1;
        }
        if budget == 0 {
            return best;
        }
    }
}
