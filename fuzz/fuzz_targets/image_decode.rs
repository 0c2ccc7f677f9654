//! Fuzz target: submitted images, base64 to pixels, as the API and the pipeline read them.
//!
//! The first input byte picks the mode, the rest is the payload:
//!
//! - `% 4 == 0`: the payload is an image *value* (JSON string text): `kycd_api::media::decode_base64`, then the
//!   decoded bytes go through the image checks below.
//! - `% 4 == 1`: the payload is the file; it is base64-encoded in one of the forms the API accepts (padded or not,
//!   standard or URL-safe alphabet, `data:` prefix, line breaks, surrounding blanks — chosen by the byte) and
//!   `decode_base64` must give it back exactly; then the image checks.
//! - otherwise: the payload is the file, straight to the image checks.
//!
//! Image checks: the API's format sniffing, header dimensions and pixel limit (`media::inspect_decoded`), and
//! `kycd_vision::decode` (`sniff_format`, `header_dimensions`, `decode_image`) with a small pixel limit, so a
//! decompression bomb must be refused with an error before its pixels are allocated. libFuzzer's `-malloc_limit_mb`
//! / `-rss_limit_mb` (set by `scripts/fuzz.sh`) turn any large allocation into a reported crash.

#![no_main]

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use kycd_api::media::{self, MediaError, MediaKind};
use kycd_vision::VisionError;
use kycd_vision::decode::{
    DecodeLimits, InputFormat, decode_image, header_dimensions, sniff_format,
};
use libfuzzer_sys::fuzz_target;

/// Pixel limit of the decoder here: 1 Mpx, so the decoder's allocation budget (`8 × max_pixels` bytes) is 8 MiB.
const MAX_PIXELS: u64 = 1 << 20;

/// The same file, base64-encoded as a client may send it.
fn encode(bytes: &[u8], style: u8) -> String {
    let mut s = match style & 3 {
        0 => STANDARD.encode(bytes),
        1 => STANDARD_NO_PAD.encode(bytes),
        2 => URL_SAFE.encode(bytes),
        _ => URL_SAFE_NO_PAD.encode(bytes),
    };
    if style & 4 != 0 {
        // MIME-style line breaks every 76 characters.
        let lines: Vec<&str> = s
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
            .collect();
        s = lines.join(if style & 8 != 0 { "\r\n" } else { "\n" });
    }
    if style & 16 != 0 {
        s = format!("data:image/jpeg;base64,{s}");
    }
    if style & 32 != 0 {
        s = format!(" \n{s}\t ");
    }
    s
}

fn check_image(bytes: &[u8]) {
    // The API (rule 11): format by magic bytes, header dimensions, pixel limit. PDFs are the pdf_inspect target's.
    let kind = media::sniff(bytes);
    if let Some(k @ (MediaKind::Jpeg | MediaKind::Png)) = kind {
        let dims = media::image_dimensions(bytes, k);
        match media::inspect_decoded(bytes.to_vec(), MAX_PIXELS) {
            Ok((b, k2)) => {
                assert_eq!(b, bytes);
                assert_eq!(k2, k);
                let (w, h) = dims.expect("accepted image has dimensions");
                assert!(u64::from(w) * u64::from(h) <= MAX_PIXELS);
            }
            Err(MediaError::TooManyPixels(w, h, _)) => {
                assert_eq!(dims, Ok((w, h)));
                assert!(u64::from(w) * u64::from(h) > MAX_PIXELS);
            }
            Err(e) => assert!(
                dims.is_err(),
                "refused ({e}) but the header reads as {dims:?}"
            ),
        }
    }

    // The pipeline's decoder.
    let format = sniff_format(bytes);
    let header = header_dimensions(bytes);
    if let (Some(MediaKind::Jpeg), Ok(InputFormat::Jpeg))
    | (Some(MediaKind::Png), Ok(InputFormat::Png)) = (kind, &format)
    {
        // Both read the same header with the same decoder.
        assert_eq!(
            media::image_dimensions(bytes, kind.expect("matched")).ok(),
            header.as_ref().ok().copied()
        );
    }
    let limits = DecodeLimits {
        max_pixels: MAX_PIXELS,
        min_side: 1,
    };
    match decode_image(bytes, &limits) {
        Ok(img) => {
            let (w, h) = header.expect("a decoded image has header dimensions");
            let (iw, ih) = img.dimensions();
            // EXIF orientation may swap the sides, never change the pixel count.
            assert!(
                (iw, ih) == (w, h) || (iw, ih) == (h, w),
                "{iw}x{ih} vs header {w}x{h}"
            );
            assert!(u64::from(iw) * u64::from(ih) <= MAX_PIXELS);
            assert_eq!(img.as_raw().len(), iw as usize * ih as usize * 3);
        }
        Err(VisionError::TooLarge {
            width,
            height,
            limit,
        }) => {
            assert_eq!(limit, MAX_PIXELS);
            assert!(u64::from(width) * u64::from(height) > MAX_PIXELS);
        }
        Err(_) => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, payload)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => {
            let text = String::from_utf8_lossy(payload);
            if let Ok(bytes) = media::decode_base64(&text) {
                assert!(!bytes.is_empty());
                check_image(&bytes);
            }
        }
        1 => {
            let text = encode(payload, mode >> 2);
            let got = media::decode_base64(&text);
            if payload.is_empty() {
                assert_eq!(got, Err(MediaError::Empty), "{text:?}");
            } else {
                assert_eq!(got.as_deref(), Ok(payload), "{text:?}");
            }
            check_image(payload);
        }
        _ => check_image(payload),
    }
});
