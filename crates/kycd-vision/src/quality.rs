//! Image-quality gates: blur (variance of the Laplacian) and glare (saturated blobs), plus the
//! document-visibility checks, mapped to iDenfy statuses.
//!
//! # Calibration (shared data, `tests/quality_calibration.rs`, printed by `examples/quality_calib.rs`)
//! Metrics are computed on the grey image downscaled (never upscaled) to 640 px on the long side,
//! inside the detected document outline when a large one is found.
//!
//! * Blur — the raw variance of the Laplacian depends on content (high-contrast synthetic scans stay
//!   above 100 even when blurred, a low-contrast sharp photo can be at 80), so the gate uses the
//!   self-referenced [`QualityMetrics::sharpness_ratio`]: variance of the Laplacian divided by the
//!   same after a further σ = 1 blur. On the 64 real images of `shared/data/documents` the ratio is
//!   **≥ 3.16**; the same images blurred with σ = 1.5 (at the 640 px working scale) are **≤ 2.16**.
//!   Threshold [`QualityThresholds::min_sharpness_ratio`] = **2.6**.
//! * Glare — largest 8-connected blob of saturated (≥ 250) grey pixels not touching the border
//!   (white paper/background of scans touches it). Real images: ≤ 4.7 %; a synthetic specular spot
//!   covering 6 % of the image: ≥ 6.4 %. Threshold [`QualityThresholds::max_glare_blob`] = **5 %**.
//!   Scans printed on pure white (more than half of the pixels saturated) cannot be told from glare
//!   by saturation, so the gate only applies when the saturated fraction is below
//!   [`QualityThresholds::max_saturated_for_glare`] = **50 %**; 43/64 glare copies are caught (the
//!   rest are white scans or spots outside the detected outline).

use image::{GrayImage, RgbImage};
use serde::Serialize;

use crate::document::{DocumentQuad, WORK_SIDE, detect_document_quad, gray_work, rectify};

/// Raw quality measurements.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QualityMetrics {
    /// Variance of the 3×3 Laplacian (sharpness).
    pub laplacian_var: f32,
    /// Variance of the Laplacian divided by the same after a σ = 1 Gaussian blur (≈ 1 for an already
    /// blurred image, several times larger for a sharp one; independent of content contrast).
    pub sharpness_ratio: f32,
    /// Fraction of pixels ≥ 250.
    pub saturated_fraction: f32,
    /// Largest 8-connected saturated blob not touching the border, as a fraction of the measured area.
    pub largest_glare_blob: f32,
    /// Mean grey level.
    pub mean: f32,
    /// Standard deviation of the grey level.
    pub std: f32,
}

/// Thresholds of the quality gates (see the module docs for the calibration).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QualityThresholds {
    /// Below this sharpness ratio the document is `DOC_TOO_BLURRY`.
    pub min_sharpness_ratio: f32,
    /// Above this largest-saturated-blob fraction the document is `DOC_GLARED`.
    pub max_glare_blob: f32,
    /// The glare gate applies only below this overall saturated fraction (white scans).
    pub max_saturated_for_glare: f32,
}

impl Default for QualityThresholds {
    fn default() -> Self {
        QualityThresholds {
            min_sharpness_ratio: 2.6,
            max_glare_blob: 0.05,
            max_saturated_for_glare: 0.5,
        }
    }
}

/// A failed quality gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum QualityIssue {
    /// No document in the picture.
    DocNotFound,
    /// The document is cut by the image border.
    DocNotFullyVisible,
    /// Too blurry to read.
    DocTooBlurry,
    /// A glare spot hides part of the document.
    DocGlared,
}

impl QualityIssue {
    /// iDenfy status code.
    pub fn idenfy_code(self) -> &'static str {
        match self {
            QualityIssue::DocNotFound => "DOC_NOT_FOUND",
            QualityIssue::DocNotFullyVisible => "DOC_NOT_FULLY_VISIBLE",
            QualityIssue::DocTooBlurry => "DOC_TOO_BLURRY",
            QualityIssue::DocGlared => "DOC_GLARED",
        }
    }
}

/// Variance of the Laplacian of a grey image (the classic sharpness measure).
fn laplacian_variance(gray: &GrayImage) -> f32 {
    let (w, h) = gray.dimensions();
    let n = (w as f64 * h as f64).max(1.0);
    let (mut s, mut s2) = (0f64, 0f64);
    for p in imageproc::filter::laplacian_filter(gray).pixels() {
        let v = p.0[0] as f64;
        s += v;
        s2 += v * v;
    }
    let mean = s / n;
    (s2 / n - mean * mean).max(0.0) as f32
}

/// Measures blur and glare on a grey image.
pub fn measure_gray(gray: &GrayImage) -> QualityMetrics {
    let (w, h) = gray.dimensions();
    let n = (w as f64 * h as f64).max(1.0);
    let laplacian_var = laplacian_variance(gray);
    // Self-referenced sharpness: how much a further σ = 1 blur removes. Content contrast cancels out.
    let soft_var = laplacian_variance(&imageproc::filter::gaussian_blur_f32(gray, 1.0));
    let sharpness_ratio = laplacian_var / soft_var.max(1e-3);
    let (mut g, mut g2, mut sat) = (0f64, 0f64, 0usize);
    let mut mask = GrayImage::new(w, h);
    for (x, y, p) in gray.enumerate_pixels() {
        let v = p.0[0] as f64;
        g += v;
        g2 += v * v;
        if p.0[0] >= 250 {
            sat += 1;
            mask.put_pixel(x, y, image::Luma([255]));
        }
    }
    let mean = g / n;
    let std = (g2 / n - mean * mean).max(0.0).sqrt();
    // Blobs touching the border are white paper or background (scans), not a specular spot.
    let largest = if sat == 0 {
        0
    } else {
        largest_blob(&mask, true)
    };
    QualityMetrics {
        laplacian_var,
        sharpness_ratio,
        saturated_fraction: (sat as f64 / n) as f32,
        largest_glare_blob: (largest as f64 / n) as f32,
        mean: mean as f32,
        std: std as f32,
    }
}

/// Quality assessment of a document photo.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualityReport {
    /// Measurements (inside the document when it was found).
    pub metrics: QualityMetrics,
    /// Failed gates, most severe first.
    pub issues: Vec<QualityIssue>,
    /// Whether a document outline was found.
    pub document_found: bool,
}

/// What OCR already knows about the picture (filled by the pipeline; `Default` = nothing known).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextEvidence {
    /// Document text was found (enough detected text lines, or an MRZ).
    pub has_text: bool,
    /// A located MRZ line (or other long text line) runs off the image border.
    pub text_cut_at_border: bool,
}

/// Glare over one zone of a page (e.g. the MRZ block, which a spot can hide while the page-wide gate, judging the
/// largest blob against the whole image, passes): the share of the zone covered by its largest saturated blob
/// (grey ≥ 248 after a σ = 1.5 blur, so that sensor noise on bright paper does not count). 0 when the zone's paper
/// is itself saturated (median ≥ 248, a white scan), where glare cannot be told from paper.
pub fn zone_glare(gray: &GrayImage) -> f32 {
    let (w, h) = gray.dimensions();
    let n = w as usize * h as usize;
    if n == 0 {
        return 0.0;
    }
    let smooth = imageproc::filter::gaussian_blur_f32(gray, 1.5);
    let mut values: Vec<u8> = smooth.pixels().map(|p| p.0[0]).collect();
    let mid = n / 2;
    let median = *values.select_nth_unstable(mid).1;
    if median >= 248 {
        return 0.0;
    }
    let mask = GrayImage::from_fn(w, h, |x, y| {
        image::Luma([if smooth.get_pixel(x, y).0[0] >= 248 {
            255
        } else {
            0
        }])
    });
    largest_blob(&mask, false) as f32 / n as f32
}

/// Pixel count of the largest 8-connected blob of non-zero pixels of `mask`, leaving out the blobs that touch the
/// border when `skip_border`.
fn largest_blob(mask: &GrayImage, skip_border: bool) -> usize {
    let (w, h) = mask.dimensions();
    let labels = imageproc::region_labelling::connected_components(
        mask,
        imageproc::region_labelling::Connectivity::Eight,
        image::Luma([0u8]),
    );
    let mut counts: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    let mut border: std::collections::HashSet<u32> = std::collections::HashSet::new();
    for (x, y, p) in labels.enumerate_pixels() {
        let l = p.0[0];
        if l != 0 {
            *counts.entry(l).or_default() += 1;
            if skip_border && (x == 0 || y == 0 || x + 1 == w || y + 1 == h) {
                border.insert(l);
            }
        }
    }
    counts
        .iter()
        .filter(|(l, _)| !border.contains(l))
        .map(|(_, &c)| c)
        .max()
        .unwrap_or(0)
}

/// Runs the blur/glare/visibility gates.
///
/// * `DOC_NOT_FOUND`: no document text (see [`crate::detect_document_present`]).
/// * `DOC_NOT_FULLY_VISIBLE`: a located MRZ/long text line runs off the image border. Outline
///   corners on the border are *not* used: most scans are cropped to the document edge.
/// * `DOC_TOO_BLURRY` / `DOC_GLARED`: thresholds above, measured inside the document outline when a
///   large one (≥ 30 % of the image, no corner on the border) is found, else on the whole image.
pub fn assess(img: &RgbImage, ev: TextEvidence, t: &QualityThresholds) -> QualityReport {
    let quad = detect_document_quad(img);
    assess_with_quad(img, quad.as_ref(), ev, t)
}

/// [`assess`] with an already detected outline.
pub fn assess_with_quad(
    img: &RgbImage,
    quad: Option<&DocumentQuad>,
    ev: TextEvidence,
    t: &QualityThresholds,
) -> QualityReport {
    let has_text = ev.has_text;
    let region = quad
        .filter(|q| q.area_fraction >= 0.3 && q.corners_on_border == 0)
        .and_then(|q| rectify(img, q, WORK_SIDE));
    let gray = match &region {
        Some(r) => image::imageops::grayscale(r),
        None => gray_work(img, WORK_SIDE).0,
    };
    let metrics = measure_gray(&gray);
    let mut issues = Vec::new();
    if !has_text {
        issues.push(QualityIssue::DocNotFound);
    }
    if ev.text_cut_at_border {
        issues.push(QualityIssue::DocNotFullyVisible);
    }
    if metrics.sharpness_ratio < t.min_sharpness_ratio {
        issues.push(QualityIssue::DocTooBlurry);
    }
    if metrics.largest_glare_blob > t.max_glare_blob
        && metrics.saturated_fraction < t.max_saturated_for_glare
    {
        issues.push(QualityIssue::DocGlared);
    }
    QualityReport {
        metrics,
        issues,
        document_found: has_text,
    }
}

#[cfg(test)]
mod zone_tests {
    use super::*;

    #[test]
    fn zone_glare_sees_a_spot_not_noise_on_bright_paper() {
        // Bright paper with sensor noise and rows of dark "characters".
        let mut seed = 7u32;
        let mut noise = || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 24) as i32 % 21 - 10
        };
        let mut page = GrayImage::from_fn(300, 60, |x, y| {
            let ink = (y % 20) > 5 && (y % 20) < 15 && (x % 10) < 4;
            let base = if ink { 40 } else { 240 };
            image::Luma([(base + noise()).clamp(0, 255) as u8])
        });
        assert!(zone_glare(&page) < 0.01, "{}", zone_glare(&page));
        // A glare spot over a tenth of the zone washes the characters under it out.
        for y in 10..50 {
            for x in 40..90 {
                page.put_pixel(x, y, image::Luma([255]));
            }
        }
        let g = zone_glare(&page);
        assert!(g > 0.06, "{g}");
        // White paper: nothing to tell.
        let white = GrayImage::from_pixel(100, 40, image::Luma([255]));
        assert_eq!(zone_glare(&white), 0.0);
    }
}
