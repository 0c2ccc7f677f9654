//! Text layout: positioned text fragments (from a PDF text layer or from OCR) merged into rows in
//! reading order, and the geometry that tells whether two rows belong to the same block.

/// A piece of text with its box (any unit, y downwards) and a read confidence in 0..1.
#[derive(Debug, Clone, PartialEq)]
pub struct Fragment {
    /// The text.
    pub text: String,
    /// Left.
    pub x0: f32,
    /// Top.
    pub y0: f32,
    /// Right.
    pub x1: f32,
    /// Bottom.
    pub y1: f32,
    /// Confidence of the reading (1 for a PDF text layer).
    pub confidence: f32,
}

impl Fragment {
    /// Height of the box (at least 1).
    pub(crate) fn h(&self) -> f32 {
        (self.y1 - self.y0).max(1.0)
    }
}

/// Merges fragments on the same row that are close horizontally (OCR boxes split at wide spaces)
/// and returns rows sorted top to bottom, left to right.
pub fn merge_rows(mut frags: Vec<Fragment>) -> Vec<Fragment> {
    frags.retain(|f| !f.text.trim().is_empty());
    frags.sort_by(|a, b| {
        let ca = (a.y0 + a.y1) / 2.0;
        let cb = (b.y0 + b.y1) / 2.0;
        ca.total_cmp(&cb).then(a.x0.total_cmp(&b.x0))
    });
    let mut rows: Vec<Fragment> = Vec::new();
    'next: for f in frags {
        for r in rows.iter_mut().rev().take(12) {
            let overlap = (r.y1.min(f.y1) - r.y0.max(f.y0)).max(0.0);
            let hmin = r.h().min(f.h());
            let hmax = r.h().max(f.h());
            let gap = f.x0 - r.x1;
            if overlap >= 0.5 * hmin && gap > -0.5 * hmax && gap < 1.2 * hmax {
                let n = r.text.chars().count() as f32;
                let m = f.text.chars().count() as f32;
                r.confidence = (r.confidence * n + f.confidence * m) / (n + m).max(1.0);
                r.text.push(' ');
                r.text.push_str(f.text.trim());
                r.x1 = r.x1.max(f.x1);
                r.y0 = r.y0.min(f.y0);
                r.y1 = r.y1.max(f.y1);
                continue 'next;
            }
        }
        rows.push(Fragment {
            text: f.text.trim().to_string(),
            ..f
        });
    }
    rows.sort_by(|a, b| a.y0.total_cmp(&b.y0).then(a.x0.total_cmp(&b.x0)));
    rows
}

/// Same block column: left edges (or, for right-aligned letterheads, right edges) line up.
pub(crate) fn aligned(a: &Fragment, b: &Fragment) -> bool {
    let tol = (2.0 * a.h().max(b.h())).max(8.0);
    (a.x0 - b.x0).abs() <= tol || (a.x1 - b.x1).abs() <= tol * 0.5
}

/// Vertical distance from `upper`'s centre to `lower`'s centre in units of the taller box: about
/// 1 for consecutive lines of a block, whether the boxes are tight (PDF) or padded (OCR).
pub(crate) fn pitch(upper: &Fragment, lower: &Fragment) -> f32 {
    let cu = (upper.y0 + upper.y1) / 2.0;
    let cl = (lower.y0 + lower.y1) / 2.0;
    (cl - cu) / upper.h().max(lower.h())
}

/// `upper` is the line just above `lower` in the same left-aligned block.
pub(crate) fn line_above(upper: &Fragment, lower: &Fragment) -> bool {
    aligned(upper, lower) && (0.5..=2.3).contains(&pitch(upper, lower))
}

/// A one-line fragment at `(x, y)`, 8 units a character wide and 12 high (tests).
#[cfg(test)]
pub(crate) fn row(text: &str, x: f32, y: f32) -> Fragment {
    Fragment {
        text: text.into(),
        x0: x,
        y0: y,
        x1: x + 8.0 * text.len() as f32,
        y1: y + 12.0,
        confidence: 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_on_one_row_merge_and_rows_sort_top_down() {
        let rows = merge_rows(vec![
            row("75001 PARIS", 40.0, 30.0),
            row("JOHN", 40.0, 10.0),
            row("DOE", 40.0 + 8.0 * 4.0 + 6.0, 11.0),
            row("   ", 0.0, 0.0),
        ]);
        let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts, ["JOHN DOE", "75001 PARIS"]);
        assert!(line_above(&rows[0], &rows[1]));
        assert!(!line_above(&rows[1], &rows[0]));
    }
}
