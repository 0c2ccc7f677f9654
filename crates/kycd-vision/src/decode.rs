//! Image decoding: JPEG/PNG, EXIF orientation, decompression-bomb protection.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};

use crate::error::{Result, VisionError};

/// Default pixel limit (40 megapixels: larger than any phone camera frame we expect, far below a bomb).
pub const DEFAULT_MAX_PIXELS: u64 = 40_000_000;

/// Limits applied while decoding untrusted images.
#[derive(Debug, Clone, Copy)]
pub struct DecodeLimits {
    /// Maximum width × height, checked from the header before any pixel is decoded.
    pub max_pixels: u64,
    /// Minimum width and height in pixels.
    pub min_side: u32,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_pixels: DEFAULT_MAX_PIXELS,
            min_side: 32,
        }
    }
}

/// The container format of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// PDF (not decoded yet).
    Pdf,
}

/// Sniffs the format from the magic bytes.
pub fn sniff_format(bytes: &[u8]) -> Result<InputFormat> {
    if bytes.starts_with(b"%PDF-") {
        return Ok(InputFormat::Pdf);
    }
    match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => Ok(InputFormat::Jpeg),
        Ok(ImageFormat::Png) => Ok(InputFormat::Png),
        Ok(other) => Err(VisionError::UnsupportedFormat(format!("{other:?}"))),
        Err(_) => Err(VisionError::UnsupportedFormat(
            "not a JPEG, PNG or PDF file".into(),
        )),
    }
}

/// Reads width and height from the header only (stored orientation, before EXIF rotation).
pub fn header_dimensions(bytes: &[u8]) -> Result<(u32, u32)> {
    let format = match sniff_format(bytes)? {
        InputFormat::Pdf => return Err(VisionError::PdfNotSupported),
        InputFormat::Jpeg => ImageFormat::Jpeg,
        InputFormat::Png => ImageFormat::Png,
    };
    let mut reader = ImageReader::new(Cursor::new(bytes));
    reader.set_format(format);
    reader
        .into_dimensions()
        .map_err(|e| VisionError::Decode(e.to_string()))
}

/// Decodes a JPEG or PNG, refusing it before decoding if its header announces more than
/// `limits.max_pixels` pixels, and applies the EXIF orientation (all 8 values) so that the result
/// is shown the way a viewer would show it.
pub fn decode_image(bytes: &[u8], limits: &DecodeLimits) -> Result<RgbImage> {
    let (width, height) = header_dimensions(bytes)?;
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(VisionError::TooLarge {
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    if width < limits.min_side || height < limits.min_side {
        return Err(VisionError::TooSmall { width, height });
    }
    let format = match sniff_format(bytes)? {
        InputFormat::Jpeg => ImageFormat::Jpeg,
        InputFormat::Png => ImageFormat::Png,
        InputFormat::Pdf => return Err(VisionError::PdfNotSupported),
    };
    let mut reader = ImageReader::new(Cursor::new(bytes));
    reader.set_format(format);
    // Belt and braces: the decoder itself also refuses allocations beyond the pixel budget.
    let mut lim = Limits::default();
    lim.max_alloc = Some(limits.max_pixels.saturating_mul(8));
    reader.limits(lim);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| VisionError::Decode(e.to_string()))?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img =
        DynamicImage::from_decoder(decoder).map_err(|e| VisionError::Decode(e.to_string()))?;
    img.apply_orientation(orientation);
    Ok(img.into_rgb8())
}

/// Reads a file and decodes it with [`decode_image`].
pub fn decode_file(path: &std::path::Path, limits: &DecodeLimits) -> Result<RgbImage> {
    let bytes = std::fs::read(path).map_err(|source| VisionError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode_image(&bytes, limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_bytes(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 7])
        });
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .expect("encode");
        out
    }

    #[test]
    fn decodes_png() {
        let img = decode_image(&png_bytes(64, 40), &DecodeLimits::default()).expect("decode");
        assert_eq!(img.dimensions(), (64, 40));
        assert_eq!(img.get_pixel(3, 5).0, [3, 5, 7]);
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }

    #[test]
    fn refuses_over_limit_before_decoding() {
        // A PNG whose header announces 100000x100000 while carrying the pixel data of a 64x40 image:
        // it must be refused by size (decoding would fail differently), which proves the check
        // happens before decoding.
        let mut bytes = png_bytes(64, 40);
        // IHDR width/height live at offsets 16..24.
        bytes[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        // Fix the IHDR CRC (over chunk type + data, bytes 12..29) so only the size is wrong.
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        match decode_image(&bytes, &DecodeLimits::default()) {
            Err(VisionError::TooLarge { width, height, .. }) => {
                assert_eq!((width, height), (100_000, 100_000));
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }

    #[test]
    fn rejects_garbage_and_pdf() {
        assert!(matches!(
            decode_image(b"hello world, not an image", &DecodeLimits::default()),
            Err(VisionError::UnsupportedFormat(_))
        ));
        assert!(matches!(
            decode_image(b"%PDF-1.7\n...", &DecodeLimits::default()),
            Err(VisionError::PdfNotSupported)
        ));
        let mut bytes = png_bytes(64, 40);
        bytes.truncate(bytes.len() / 2);
        assert!(matches!(
            decode_image(&bytes, &DecodeLimits::default()),
            Err(VisionError::Decode(_))
        ));
    }

    #[test]
    fn too_small() {
        assert!(matches!(
            decode_image(&png_bytes(10, 10), &DecodeLimits::default()),
            Err(VisionError::TooSmall { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(data in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = decode_image(&data, &DecodeLimits::default());
        }

        #[test]
        fn never_panics_on_corrupted_png(idx in 0usize..2000, val in proptest::num::u8::ANY) {
            let mut bytes = png_bytes(48, 40);
            let i = idx % bytes.len();
            bytes[i] = val;
            let _ = decode_image(&bytes, &DecodeLimits::default());
        }
    }
}
