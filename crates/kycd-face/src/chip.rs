//! Landmark-aligned grey face chip (own implementation, used for image-quality metrics and
//! for the "selfie is the same photo as the document portrait" evidence).

use image::RgbImage;

/// Side of the aligned grey chip in pixels.
pub const CHIP_SIDE: usize = 64;
/// Eye centres are mapped to (0.3, 0.4) and (0.7, 0.4) of the chip (fractions of the side).
const EYE_Y: f32 = 0.40;
const EYE_LX: f32 = 0.30;
const EYE_RX: f32 = 0.70;

/// An aligned 64x64 grey face chip (row-major, values 0..=255).
#[derive(Clone, Debug, PartialEq)]
pub struct FaceChip {
    pub pixels: Vec<f32>,
}

/// Five landmark points as produced by dlib's 5-point shape predictor
/// (two corners of each eye, then the base of the nose), in image coordinates.
pub type Landmarks5 = [(f32, f32); 5];

impl FaceChip {
    /// Samples the chip from `img` with a similarity transform fixed by the two eye centres.
    pub fn extract(img: &RgbImage, lm: &Landmarks5) -> Self {
        let e1 = ((lm[0].0 + lm[1].0) / 2.0, (lm[0].1 + lm[1].1) / 2.0);
        let e2 = ((lm[2].0 + lm[3].0) / 2.0, (lm[2].1 + lm[3].1) / 2.0);
        // left eye in the image = smaller x
        let (el, er) = if e1.0 <= e2.0 { (e1, e2) } else { (e2, e1) };
        let side = CHIP_SIDE as f32;
        let (dx, dy) = (er.0 - el.0, er.1 - el.1);
        let eye_dist = (dx * dx + dy * dy).sqrt().max(1e-3);
        let scale = eye_dist / ((EYE_RX - EYE_LX) * side); // image px per chip px
        let (c, s) = (dx / eye_dist, dy / eye_dist);
        let mut pixels = vec![0f32; CHIP_SIDE * CHIP_SIDE];
        for y in 0..CHIP_SIDE {
            for x in 0..CHIP_SIDE {
                let u = (x as f32 + 0.5 - EYE_LX * side) * scale;
                let v = (y as f32 + 0.5 - EYE_Y * side) * scale;
                let ix = el.0 + u * c - v * s;
                let iy = el.1 + u * s + v * c;
                pixels[y * CHIP_SIDE + x] = sample_grey(img, ix, iy);
            }
        }
        Self { pixels }
    }

    /// Variance of the 4-neighbour Laplacian over the chip interior (sharpness).
    pub fn laplacian_variance(&self) -> f32 {
        let n = CHIP_SIDE;
        let p = &self.pixels;
        let mut vals = Vec::with_capacity((n - 2) * (n - 2));
        for y in 1..n - 1 {
            for x in 1..n - 1 {
                let c = p[y * n + x];
                vals.push(
                    p[(y - 1) * n + x] + p[(y + 1) * n + x] + p[y * n + x - 1] + p[y * n + x + 1]
                        - 4.0 * c,
                );
            }
        }
        variance(&vals)
    }

    /// Fraction of chip pixels that are (nearly) saturated (grey ≥ 250): specular glare.
    pub fn saturated_fraction(&self) -> f32 {
        let sat = self.pixels.iter().filter(|&&v| v >= 250.0).count();
        sat as f32 / self.pixels.len() as f32
    }

    /// Normalised cross-correlation with another chip in [-1, 1]; near 1 means the two chips
    /// come from the same photograph (same pose, expression and lighting).
    pub fn ncc(&self, other: &Self) -> f32 {
        let ma = mean(&self.pixels);
        let mb = mean(&other.pixels);
        let (mut sab, mut saa, mut sbb) = (0f32, 0f32, 0f32);
        for (a, b) in self.pixels.iter().zip(other.pixels.iter()) {
            let (da, db) = (a - ma, b - mb);
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }
        let den = (saa * sbb).sqrt();
        if den <= f32::EPSILON { 0.0 } else { sab / den }
    }
}

fn mean(v: &[f32]) -> f32 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f32>() / v.len() as f32
    }
}

fn variance(v: &[f32]) -> f32 {
    let m = mean(v);
    if v.is_empty() {
        0.0
    } else {
        v.iter().map(|x| (x - m) * (x - m)).sum::<f32>() / v.len() as f32
    }
}

fn grey_at(img: &RgbImage, x: i64, y: i64) -> f32 {
    let (w, h) = (img.width() as i64, img.height() as i64);
    if w == 0 || h == 0 {
        return 0.0;
    }
    let xc = x.clamp(0, w - 1) as u32;
    let yc = y.clamp(0, h - 1) as u32;
    let p = img.get_pixel(xc, yc).0;
    0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32
}

fn sample_grey(img: &RgbImage, x: f32, y: f32) -> f32 {
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (xi, yi) = (x0 as i64, y0 as i64);
    let a = grey_at(img, xi, yi);
    let b = grey_at(img, xi + 1, yi);
    let c = grey_at(img, xi, yi + 1);
    let d = grey_at(img, xi + 1, yi + 1);
    (a * (1.0 - fx) + b * fx) * (1.0 - fy) + (c * (1.0 - fx) + d * fx) * fy
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn textured(w: u32, h: u32, phase: f32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            let v = 128.0 + 100.0 * ((x as f32 * 0.3 + phase).sin() * (y as f32 * 0.21).cos());
            Rgb([v as u8, v as u8, v as u8])
        })
    }

    const LM: Landmarks5 = [
        (40.0, 50.0),
        (52.0, 50.0),
        (88.0, 50.0),
        (76.0, 50.0),
        (64.0, 80.0),
    ];

    #[test]
    fn identical_images_have_ncc_one() {
        let img = textured(128, 128, 0.0);
        let a = FaceChip::extract(&img, &LM);
        assert!((a.ncc(&a) - 1.0).abs() < 1e-4);
        let other = FaceChip::extract(&textured(128, 128, 1.7), &LM);
        assert!(a.ncc(&other) < 0.9);
    }

    #[test]
    fn blur_lowers_laplacian_variance() {
        let img = textured(128, 128, 0.0);
        let sharp = FaceChip::extract(&img, &LM).laplacian_variance();
        let blurred = image::imageops::blur(&img, 3.0);
        let soft = FaceChip::extract(&blurred, &LM).laplacian_variance();
        assert!(soft < sharp * 0.5, "{soft} vs {sharp}");
    }

    #[test]
    fn saturation_fraction() {
        let white = RgbImage::from_pixel(128, 128, Rgb([255, 255, 255]));
        assert!((FaceChip::extract(&white, &LM).saturated_fraction() - 1.0).abs() < 1e-6);
        let grey = RgbImage::from_pixel(128, 128, Rgb([100, 100, 100]));
        assert_eq!(FaceChip::extract(&grey, &LM).saturated_fraction(), 0.0);
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let empty = RgbImage::new(0, 0);
        let c = FaceChip::extract(&empty, &[(0.0, 0.0); 5]);
        assert_eq!(c.pixels.len(), CHIP_SIDE * CHIP_SIDE);
        assert_eq!(c.ncc(&c), 0.0);
    }
}
