//! Document quad detection and perspective rectification (pure Rust, `imageproc`).
//!
//! Grey → downscale to 640 px → Gaussian blur → Otsu threshold (both polarities) → outer contours →
//! convex hull → Douglas–Peucker polygon with a growing tolerance until 4 corners → the largest
//! plausible quadrilateral. Falls back to a Canny edge map when Otsu finds nothing (low-contrast
//! backgrounds).

use image::{GrayImage, RgbImage};
use imageproc::contours::{BorderType, find_contours};
use imageproc::geometry::{approximate_polygon_dp, arc_length, convex_hull};
use imageproc::point::Point;

use crate::geometry::{Quad, warp_quad};

/// Working size for document detection and quality metrics.
pub const WORK_SIDE: u32 = 640;

/// A detected document outline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DocumentQuad {
    /// Corners in image pixels (top-left, top-right, bottom-right, bottom-left).
    pub quad: Quad,
    /// Area of the quad relative to the image.
    pub area_fraction: f32,
    /// Number of corners lying on (within 1 % of) the image border.
    pub corners_on_border: u8,
}

/// Grey image downscaled (never upscaled) so that the long side is at most `side`; returns the scale
/// from the original to the returned image.
pub fn gray_work(img: &RgbImage, side: u32) -> (GrayImage, f32) {
    let gray = image::imageops::grayscale(img);
    let long = img.width().max(img.height());
    if long <= side {
        return (gray, 1.0);
    }
    let s = side as f32 / long as f32;
    let w = ((img.width() as f32 * s).round() as u32).max(1);
    let h = ((img.height() as f32 * s).round() as u32).max(1);
    (
        image::imageops::resize(&gray, w, h, image::imageops::FilterType::Triangle),
        s,
    )
}

fn quad_candidates(bin: &GrayImage, out: &mut Vec<[(f32, f32); 4]>) {
    let contours = find_contours::<i32>(bin);
    let (w, h) = bin.dimensions();
    let img_area = (w * h) as f64;
    for c in contours {
        if c.border_type != BorderType::Outer || c.points.len() < 20 {
            continue;
        }
        let hull = convex_hull(c.points.clone());
        if hull.len() < 4 {
            continue;
        }
        let area = imageproc::geometry::contour_area(&hull);
        if area < 0.1 * img_area {
            continue;
        }
        let per = arc_length(&hull, true);
        let mut eps = 0.01 * per;
        while eps < 0.12 * per {
            let poly: Vec<Point<i32>> = approximate_polygon_dp(&hull, eps, true);
            if poly.len() == 4 {
                let pts = [0, 1, 2, 3].map(|i| (poly[i].x as f32, poly[i].y as f32));
                let poly_area = Quad::from_unordered(pts).area() as f64;
                // The quadrilateral must explain the hull (not a triangle-ish blob).
                if poly_area > 0.85 * area {
                    out.push(pts);
                }
                break;
            }
            if poly.len() < 4 {
                break;
            }
            eps *= 1.3;
        }
    }
}

/// Finds the document outline, if a plausible one (10–99.5 % of the image, convex, not degenerate)
/// is visible.
pub fn detect_document_quad(img: &RgbImage) -> Option<DocumentQuad> {
    let (gray, s) = gray_work(img, WORK_SIDE);
    let (w, h) = gray.dimensions();
    if w < 16 || h < 16 {
        return None;
    }
    let blurred = imageproc::filter::gaussian_blur_f32(&gray, 2.0);
    let level = imageproc::contrast::otsu_level(&blurred);
    let mut cands = Vec::new();
    for t in [
        imageproc::contrast::ThresholdType::Binary,
        imageproc::contrast::ThresholdType::BinaryInverted,
    ] {
        let mut bin = imageproc::contrast::threshold(&blurred, level, t);
        // Clear a 1-pixel frame so that shapes touching the border still close.
        for x in 0..w {
            bin.put_pixel(x, 0, image::Luma([0]));
            bin.put_pixel(x, h - 1, image::Luma([0]));
        }
        for y in 0..h {
            bin.put_pixel(0, y, image::Luma([0]));
            bin.put_pixel(w - 1, y, image::Luma([0]));
        }
        quad_candidates(&bin, &mut cands);
    }
    if cands.is_empty() {
        let edges = imageproc::edges::canny(&blurred, 20.0, 60.0);
        let dil =
            imageproc::morphology::dilate(&edges, imageproc::distance_transform::Norm::LInf, 2);
        quad_candidates(&dil, &mut cands);
    }
    let img_area = (w * h) as f32;
    let best = cands
        .into_iter()
        .map(Quad::from_unordered)
        .filter(|q| {
            let (qw, qh) = q.size();
            let a = q.area() / img_area;
            (0.1..=0.995).contains(&a) && qw.min(qh) > 0.15 * qw.max(qh)
        })
        .max_by(|a, b| a.area().total_cmp(&b.area()))?;
    let area_fraction = best.area() / img_area;
    let margin = 0.01 * w.max(h) as f32;
    let corners_on_border = best
        .0
        .iter()
        .filter(|&&(x, y)| {
            x <= margin
                || y <= margin
                || x >= w as f32 - 1.0 - margin
                || y >= h as f32 - 1.0 - margin
        })
        .count() as u8;
    Some(DocumentQuad {
        quad: best.scale(1.0 / s, 1.0 / s),
        area_fraction,
        corners_on_border,
    })
}

/// Warps the document to an upright rectangle whose aspect ratio follows the quad's side lengths
/// (long side at most `max_side` pixels).
pub fn rectify(img: &RgbImage, q: &DocumentQuad, max_side: u32) -> Option<RgbImage> {
    let (w, h) = q.quad.size();
    if w < 8.0 || h < 8.0 {
        return None;
    }
    let s = (max_side as f32 / w.max(h)).min(1.5);
    warp_quad(img, &q.quad, (w * s).round() as u32, (h * s).round() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_tilted_card_on_a_dark_table() {
        // A light card (rotated quad) on a dark background.
        let (w, h) = (800u32, 600u32);
        let card = Quad([
            (150.0, 120.0),
            (650.0, 160.0),
            (620.0, 480.0),
            (120.0, 440.0),
        ]);
        let img = RgbImage::from_fn(w, h, |x, y| {
            if card.contains(x as f32, y as f32) {
                image::Rgb([230, 225, 215])
            } else {
                image::Rgb([40, 45, 50])
            }
        });
        let d = detect_document_quad(&img).expect("card found");
        for (got, want) in d.quad.0.iter().zip(card.0.iter()) {
            assert!(
                (got.0 - want.0).abs() < 12.0 && (got.1 - want.1).abs() < 12.0,
                "{got:?} vs {want:?}"
            );
        }
        assert_eq!(d.corners_on_border, 0);
        let r = rectify(&img, &d, 1000).expect("warp");
        assert!(r.width() > r.height());
        // The centre of the rectified card is card-coloured.
        assert!(r.get_pixel(r.width() / 2, r.height() / 2).0[0] > 200);
    }

    #[test]
    fn no_document_in_flat_noise() {
        let img = RgbImage::from_fn(320, 240, |x, y| {
            let v = ((x * 31 + y * 17) % 13) as u8 * 3 + 100;
            image::Rgb([v, v, v])
        });
        assert!(detect_document_quad(&img).is_none());
    }
}
