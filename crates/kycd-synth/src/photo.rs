//! "Photographing" a flat document: placement on a background with perspective and rotation
//! (including 90/180/270°), lighting, glare, blur, sensor noise and JPEG re-encoding.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage, imageops};
use imageproc::filter::gaussian_blur_f32;
use imageproc::geometric_transformations::{Border, Interpolation, Projection, warp_into};
use imageproc::noise::gaussian_noise_mut;

use crate::error::SynthError;
use crate::rng::Rng;

/// Named degradation levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// Flat, upright, sharp, high-quality JPEG.
    Clean,
    /// Slight tilt and perspective, light blur/noise, sometimes upside down.
    Mild,
    /// Noticeable perspective, any right-angle rotation, blur, noise, glare half the time, JPEG ~70.
    Moderate,
    /// Strong perspective, small document, heavy blur and noise, glare, JPEG ~40.
    Heavy,
}

impl Level {
    /// All levels, mildest first.
    pub const ALL: [Level; 4] = [Level::Clean, Level::Mild, Level::Moderate, Level::Heavy];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Level::Clean => "clean",
            Level::Mild => "mild",
            Level::Moderate => "moderate",
            Level::Heavy => "heavy",
        }
    }

    /// The parameter ranges of this level (a table, one row per level).
    #[rustfmt::skip]
    pub fn degradation(self) -> Degradation {
        match self {
            Level::Clean => Degradation { fill: (0.80, 0.88), perspective: 0.0, tilt_deg: 0.0, right_angles: &[0], blur_sigma: (0.0, 0.0), noise_std: 0.0, glare_chance: 0.0, glare_strength: 0.0, light: 0.0, jpeg_quality: (95, 95) },
            Level::Mild => Degradation { fill: (0.72, 0.85), perspective: 0.03, tilt_deg: 3.0, right_angles: &[0, 0, 0, 180], blur_sigma: (0.3, 0.7), noise_std: 3.0, glare_chance: 0.25, glare_strength: 0.5, light: 0.08, jpeg_quality: (80, 90) },
            Level::Moderate => Degradation { fill: (0.62, 0.80), perspective: 0.06, tilt_deg: 7.0, right_angles: &[0, 90, 180, 270], blur_sigma: (0.7, 1.2), noise_std: 6.0, glare_chance: 0.5, glare_strength: 0.75, light: 0.15, jpeg_quality: (60, 75) },
            Level::Heavy => Degradation { fill: (0.50, 0.68), perspective: 0.10, tilt_deg: 12.0, right_angles: &[0, 90, 180, 270], blur_sigma: (1.2, 1.8), noise_std: 10.0, glare_chance: 1.0, glare_strength: 1.0, light: 0.25, jpeg_quality: (35, 50) },
        }
    }
}

/// Parameter ranges of the simulated photograph; each photo draws its values from them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Degradation {
    /// Document width as a fraction of the photo width (range).
    pub fill: (f32, f32),
    /// Maximum corner displacement as a fraction of the document size (perspective).
    pub perspective: f32,
    /// Maximum in-plane tilt in degrees (either direction).
    pub tilt_deg: f32,
    /// Right-angle rotations (clockwise degrees) to choose from (camera held sideways / upside down).
    pub right_angles: &'static [u16],
    /// Gaussian blur sigma in pixels (range; 0 = none).
    pub blur_sigma: (f32, f32),
    /// Standard deviation of the additive Gaussian sensor noise (grey levels).
    pub noise_std: f32,
    /// Probability of a glare blob on the document.
    pub glare_chance: f32,
    /// Glare strength (1 = saturated core).
    pub glare_strength: f32,
    /// Strength of the uneven lighting gradient (0 = none).
    pub light: f32,
    /// JPEG quality (range).
    pub jpeg_quality: (u8, u8),
}

/// A photographed document side.
#[derive(Debug, Clone)]
pub struct Photo {
    /// Decoded image (after the JPEG round trip).
    pub image: RgbImage,
    /// The JPEG bytes.
    pub jpeg: Vec<u8>,
    /// Document corners in `image` (top-left, top-right, bottom-right, bottom-left of the
    /// document as printed).
    pub corners: [(f32, f32); 4],
    /// Right-angle rotation applied (clockwise degrees).
    pub rotation: u16,
    /// Tilt in degrees.
    pub tilt_deg: f32,
    /// Blur sigma used.
    pub blur_sigma: f32,
    /// JPEG quality used.
    pub jpeg_quality: u8,
    /// Whether a glare blob was added.
    pub glare: bool,
}

fn background(rng: &mut Rng, w: u32, h: u32) -> RgbImage {
    let (gw, gh) = (6, 5);
    let base = [
        rng.range(40.0, 200.0),
        rng.range(40.0, 200.0),
        rng.range(40.0, 200.0),
    ];
    let small = RgbImage::from_fn(gw, gh, |_, _| {
        let d = rng.range(-35.0, 35.0);
        Rgb(base.map(|v| (v + d + rng.range(-8.0, 8.0)).clamp(0.0, 255.0) as u8))
    });
    imageops::resize(&small, w, h, imageops::FilterType::Triangle)
}

fn rotate_point(p: (f32, f32), deg: u16, w: f32, h: f32) -> (f32, f32) {
    match deg {
        90 => (h - p.1, p.0),
        180 => (w - p.0, h - p.1),
        270 => (p.1, w - p.0),
        _ => p,
    }
}

/// Photographs `doc` with parameters drawn from `deg`. The photo is 4:3 landscape with the
/// long side `photo_long_side` (before the right-angle rotation).
pub fn photograph(
    doc: &RgbImage,
    deg: &Degradation,
    photo_long_side: u32,
    rng: &mut Rng,
) -> Result<Photo, SynthError> {
    let (cw, ch) = (photo_long_side.max(64), (photo_long_side.max(64) * 3) / 4);
    let (dw, dh) = (doc.width() as f32, doc.height() as f32);
    let tilt = rng.range(-deg.tilt_deg, deg.tilt_deg);
    let rot_right = rng.pick(deg.right_angles).copied().unwrap_or(0);
    let mut fill = rng.range(deg.fill.0, deg.fill.1);
    let jitter: Vec<(f32, f32)> = (0..4)
        .map(|_| {
            (
                rng.range(-deg.perspective, deg.perspective),
                rng.range(-deg.perspective, deg.perspective),
            )
        })
        .collect();
    let (ox, oy) = (rng.range(-1.0, 1.0), rng.range(-1.0, 1.0));
    // Shrink until the document (after tilt and perspective) fits inside the photo.
    let corners = loop {
        let s = fill * cw as f32 / dw;
        let (w, h) = (dw * s, dh * s);
        let (sin, cos) = tilt.to_radians().sin_cos();
        let rel = [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)];
        let pts: Vec<(f32, f32)> = rel
            .iter()
            .zip(&jitter)
            .map(|(&(rx, ry), &(jx, jy))| {
                let (x, y) = ((rx + jx) * w, (ry + jy) * h);
                (x * cos - y * sin, x * sin + y * cos)
            })
            .collect();
        let minx = pts.iter().map(|p| p.0).fold(f32::MAX, f32::min);
        let maxx = pts.iter().map(|p| p.0).fold(f32::MIN, f32::max);
        let miny = pts.iter().map(|p| p.1).fold(f32::MAX, f32::min);
        let maxy = pts.iter().map(|p| p.1).fold(f32::MIN, f32::max);
        let margin = 0.02 * cw as f32;
        let slack_x = cw as f32 - 2.0 * margin - (maxx - minx);
        let slack_y = ch as f32 - 2.0 * margin - (maxy - miny);
        if (slack_x >= 0.0 && slack_y >= 0.0) || fill < 0.2 {
            let cx = cw as f32 / 2.0 - (minx + maxx) / 2.0 + ox * slack_x.max(0.0) / 2.0;
            let cy = ch as f32 / 2.0 - (miny + maxy) / 2.0 + oy * slack_y.max(0.0) / 2.0;
            break [
                (pts[0].0 + cx, pts[0].1 + cy),
                (pts[1].0 + cx, pts[1].1 + cy),
                (pts[2].0 + cx, pts[2].1 + cy),
                (pts[3].0 + cx, pts[3].1 + cy),
            ];
        }
        fill *= 0.95;
    };
    let src = [(0.0, 0.0), (dw, 0.0), (dw, dh), (0.0, dh)];
    let proj = Projection::from_control_points(src, corners).ok_or(SynthError::Projection)?;

    // Warp the opaque document onto a transparent canvas, then lay it on the background.
    let doc_rgba = DynamicImage::ImageRgb8(doc.clone()).into_rgba8();
    let mut warped = RgbaImage::new(cw, ch);
    warp_into(
        &doc_rgba,
        proj,
        Interpolation::Bilinear,
        Border::Constant(Rgba([0, 0, 0, 0])),
        &mut warped,
    );
    let bg = background(rng, cw, ch);
    let mut canvas = DynamicImage::ImageRgb8(bg).into_rgba8();
    imageops::overlay(&mut canvas, &warped, 0, 0);
    let mut img = DynamicImage::ImageRgba8(canvas).into_rgb8();

    // Uneven lighting: a linear gain gradient in a random direction, on a coarse grid resized up.
    if deg.light > 0.0 {
        let a = rng.range(0.0, std::f32::consts::TAU);
        let (dx, dy) = (a.cos(), a.sin());
        let strength = rng.range(0.5, 1.0) * deg.light;
        let gain = image::GrayImage::from_fn(9, 7, |x, y| {
            let t = (x as f32 / 8.0 - 0.5) * dx + (y as f32 / 6.0 - 0.5) * dy;
            image::Luma([((1.0 + strength * t * 1.4) * 200.0).clamp(0.0, 255.0) as u8])
        });
        let gain = imageops::resize(&gain, cw, ch, imageops::FilterType::Triangle);
        for (p, g) in img.pixels_mut().zip(gain.pixels()) {
            let k = g.0[0] as u32;
            p.0 = p.0.map(|v| ((v as u32 * k) / 200).min(255) as u8);
        }
    }

    // Glare: an elliptical blob centred on a random point of the document.
    let glare = rng.chance(deg.glare_chance);
    if glare {
        let (u, v) = (rng.range(0.15, 0.85), rng.range(0.15, 0.85));
        let (gx, gy) = proj * (u * dw, v * dh);
        let scale = fill * cw as f32;
        let (rx, ry) = (rng.range(0.06, 0.14) * scale, rng.range(0.04, 0.09) * scale);
        let strength = deg.glare_strength;
        let (x0, x1) = (
            (gx - 2.0 * rx).max(0.0) as u32,
            ((gx + 2.0 * rx) as u32).min(cw - 1),
        );
        let (y0, y1) = (
            (gy - 2.0 * ry).max(0.0) as u32,
            ((gy + 2.0 * ry) as u32).min(ch - 1),
        );
        for y in y0..=y1 {
            for x in x0..=x1 {
                let d2 = ((x as f32 - gx) / rx).powi(2) + ((y as f32 - gy) / ry).powi(2);
                // Saturated core, soft falloff.
                let a = (strength * 1.6 * (-d2).exp()).min(1.0);
                if a > 0.01 {
                    let p = img.get_pixel_mut(x, y);
                    p.0 = p.0.map(|c| (c as f32 + (255.0 - c as f32) * a) as u8);
                }
            }
        }
    }

    let sigma = rng.range(deg.blur_sigma.0, deg.blur_sigma.1);
    if sigma > 0.05 {
        img = gaussian_blur_f32(&img, sigma);
    }
    if deg.noise_std > 0.0 {
        gaussian_noise_mut(&mut img, 0.0, f64::from(deg.noise_std), rng.next_u64());
    }
    let (fw, fh) = (cw as f32, ch as f32);
    let img = match rot_right {
        90 => imageops::rotate90(&img),
        180 => imageops::rotate180(&img),
        270 => imageops::rotate270(&img),
        _ => img,
    };
    let corners = corners.map(|p| rotate_point(p, rot_right, fw, fh));

    let quality = rng
        .int(u32::from(deg.jpeg_quality.0), u32::from(deg.jpeg_quality.1))
        .clamp(1, 100) as u8;
    let jpeg = encode_jpeg(&img, quality)?;
    let image = image::load_from_memory_with_format(&jpeg, ImageFormat::Jpeg)?.to_rgb8();
    Ok(Photo {
        image,
        jpeg,
        corners,
        rotation: rot_right,
        tilt_deg: tilt,
        blur_sigma: sigma,
        jpeg_quality: quality,
        glare,
    })
}

/// JPEG-encodes `img` at `quality` (1–100).
pub fn encode_jpeg(img: &RgbImage, quality: u8) -> Result<Vec<u8>, SynthError> {
    let mut out = Cursor::new(Vec::new());
    JpegEncoder::new_with_quality(&mut out, quality.clamp(1, 100)).encode_image(img)?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> RgbImage {
        RgbImage::from_fn(250, 176, |x, y| {
            if (x / 10 + y / 10) % 2 == 0 {
                Rgb([250, 250, 250])
            } else {
                Rgb([20, 20, 20])
            }
        })
    }

    #[test]
    fn deterministic_and_corners_inside() {
        for level in Level::ALL {
            let d = level.degradation();
            let a = photograph(&doc(), &d, 400, &mut Rng::new(3)).unwrap();
            let b = photograph(&doc(), &d, 400, &mut Rng::new(3)).unwrap();
            assert_eq!(a.jpeg, b.jpeg, "{level:?}");
            let (w, h) = (a.image.width() as f32, a.image.height() as f32);
            for (x, y) in a.corners {
                assert!(
                    x >= 0.0 && x <= w && y >= 0.0 && y <= h,
                    "{level:?} {x} {y}"
                );
            }
            if a.rotation % 180 == 90 {
                assert_eq!((a.image.width(), a.image.height()), (300, 400));
            } else {
                assert_eq!((a.image.width(), a.image.height()), (400, 300));
            }
        }
    }

    #[test]
    fn clean_photo_keeps_document_pixels() {
        let p = photograph(&doc(), &Level::Clean.degradation(), 400, &mut Rng::new(1)).unwrap();
        assert_eq!(p.rotation, 0);
        // The document centre is where the corners say it is, and it is the checkerboard.
        let cx = p.corners.iter().map(|c| c.0).sum::<f32>() / 4.0;
        let cy = p.corners.iter().map(|c| c.1).sum::<f32>() / 4.0;
        let region: Vec<u8> = (0..20)
            .flat_map(|dy| (0..20).map(move |dx| (dx, dy)))
            .map(|(dx, dy)| {
                p.image
                    .get_pixel(cx as u32 - 10 + dx, cy as u32 - 10 + dy)
                    .0[0]
            })
            .collect();
        assert!(region.iter().any(|&v| v > 200) && region.iter().any(|&v| v < 60));
    }

    #[test]
    fn rotate_point_maps_corners() {
        assert_eq!(rotate_point((0.0, 0.0), 90, 40.0, 30.0), (30.0, 0.0));
        assert_eq!(rotate_point((40.0, 30.0), 180, 40.0, 30.0), (0.0, 0.0));
        assert_eq!(rotate_point((40.0, 0.0), 270, 40.0, 30.0), (0.0, 0.0));
    }
}
