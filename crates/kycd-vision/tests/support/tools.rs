//! Helpers shared by the tests, examples and benches: process CPU time, 2 MP re-encoding of a shared page,
//! synthetic glare.
#![allow(dead_code)]

use std::path::Path;

/// CPU time of the whole process (all threads), in seconds; 0 when the clock cannot be read.
pub fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and the clock id is a libc constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0.0;
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// A shared page re-encoded as a 2.0 MP JPEG (quality 92), like a phone photo of that size.
pub fn two_mp(path: &Path) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let img = kycd_vision::decode_file(path, &Default::default())?;
    let s = (2.0e6 / (img.width() as f64 * img.height() as f64)).sqrt();
    let (w, h) = (
        (img.width() as f64 * s).round() as u32,
        (img.height() as f64 * s).round() as u32,
    );
    let big = image::imageops::resize(&img, w, h, image::imageops::FilterType::CatmullRom);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92).encode_image(&big)?;
    Ok(out)
}

/// A synthetic glare: a white disc over 6 % of the image (centre at 60 % / 40 %) fading out over one radius.
pub fn glare(img: &image::RgbImage) -> image::RgbImage {
    let (w, h) = img.dimensions();
    let (cx, cy) = (w as f32 * 0.6, h as f32 * 0.4);
    let r = ((w * h) as f32 * 0.06 / std::f32::consts::PI).sqrt();
    image::RgbImage::from_fn(w, h, |x, y| {
        let d = (((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt() / r).min(2.0);
        let a = if d < 1.0 { 1.0 } else { (2.0 - d).max(0.0) };
        image::Rgb(
            img.get_pixel(x, y)
                .0
                .map(|c| (c as f32 * (1.0 - a) + 255.0 * a) as u8),
        )
    })
}
