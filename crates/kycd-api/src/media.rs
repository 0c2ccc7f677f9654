//! Submitted files: base64 decoding, format by magic bytes, image pixel limits, PDF inspection.

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use std::io::Cursor;

/// A supported file format, identified by its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// PNG (`89 50 4E 47 0D 0A 1A 0A`).
    Png,
    /// PDF (`%PDF-`).
    Pdf,
}

impl MediaKind {
    /// Media type.
    pub fn mime(&self) -> &'static str {
        match self {
            MediaKind::Jpeg => "image/jpeg",
            MediaKind::Png => "image/png",
            MediaKind::Pdf => "application/pdf",
        }
    }
    /// File extension.
    pub fn ext(&self) -> &'static str {
        match self {
            MediaKind::Jpeg => "jpg",
            MediaKind::Png => "png",
            MediaKind::Pdf => "pdf",
        }
    }
    /// From a stored media type.
    pub fn from_mime(m: &str) -> Option<Self> {
        match m {
            "image/jpeg" => Some(MediaKind::Jpeg),
            "image/png" => Some(MediaKind::Png),
            "application/pdf" => Some(MediaKind::Pdf),
            _ => None,
        }
    }
}

/// Why a submitted file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// Not valid base64.
    #[error("is not valid base64")]
    Base64,
    /// Empty after decoding.
    #[error("is empty")]
    Empty,
    /// Not JPEG, PNG or PDF by its content.
    #[error("is not a PNG, JPEG or PDF file")]
    UnsupportedFormat,
    /// Image header unreadable.
    #[error("is not a readable {0} image")]
    Corrupt(&'static str),
    /// Too many pixels.
    #[error("is {0}x{1} pixels, over the limit of {2} pixels")]
    TooManyPixels(u32, u32, u64),
    /// An encrypted or password-protected PDF.
    #[error("is an encrypted or password-protected PDF")]
    EncryptedPdf,
    /// A PDF that does not parse.
    #[error("is not a valid PDF document")]
    MalformedPdf,
}

const B64_CFG: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const B64_STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, B64_CFG);
const B64_URL: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, B64_CFG);

/// Decodes a base64 image value: an optional `data:<type>;base64,` prefix is accepted, as are line breaks and the
/// URL-safe alphabet.
pub fn decode_base64(value: &str) -> Result<Vec<u8>, MediaError> {
    let mut s = value.trim();
    if let Some(rest) = s.strip_prefix("data:") {
        let (_, data) = rest.split_once(',').ok_or(MediaError::Base64)?;
        s = data;
    }
    // SIMD decoder for the canonical form (padded standard alphabet, no line breaks); only when that fails is the
    // value scanned for whitespace and retried with the lenient engines.
    let decoded = match base64_simd::STANDARD.decode_to_vec(s.as_bytes()) {
        Ok(v) => Ok(v),
        Err(_) if s.bytes().any(|b| b.is_ascii_whitespace()) => {
            let compact: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
            B64_STANDARD
                .decode(&compact)
                .or_else(|_| B64_URL.decode(&compact))
        }
        Err(_) => B64_STANDARD.decode(s).or_else(|_| B64_URL.decode(s)),
    }
    .map_err(|_| MediaError::Base64)?;
    if decoded.is_empty() {
        return Err(MediaError::Empty);
    }
    Ok(decoded)
}

/// Identifies the format by magic bytes, never by what the sender claims.
pub fn sniff(bytes: &[u8]) -> Option<MediaKind> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(MediaKind::Jpeg)
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(MediaKind::Png)
    } else if bytes.len() >= 5
        && bytes[..bytes.len().min(1024)]
            .windows(5)
            .any(|w| w == b"%PDF-")
    {
        // PDF readers accept the header anywhere in the first 1024 bytes.
        Some(MediaKind::Pdf)
    } else {
        None
    }
}

/// Image dimensions from the header only (no pixel decoding).
pub fn image_dimensions(bytes: &[u8], kind: MediaKind) -> Result<(u32, u32), MediaError> {
    let fmt = match kind {
        MediaKind::Jpeg => image::ImageFormat::Jpeg,
        MediaKind::Png => image::ImageFormat::Png,
        MediaKind::Pdf => return Err(MediaError::UnsupportedFormat),
    };
    let reader = image::ImageReader::with_format(Cursor::new(bytes), fmt);
    reader.into_dimensions().map_err(|_| {
        MediaError::Corrupt(if kind == MediaKind::Jpeg {
            "JPEG"
        } else {
            "PNG"
        })
    })
}

/// Whether a PDF is encrypted (any `/Encrypt` dictionary: user- or owner-password protected alike), by parsing it.
pub fn pdf_is_encrypted(bytes: &[u8]) -> Result<bool, MediaError> {
    // Bound what one compressed object stream may expand to while parsing an untrusted upload (lopdf's default is
    // 256 MB per stream), so a 20 MB body cannot make the API process balloon.
    let opts = lopdf::LoadOptions {
        max_decompressed_size: Some(PDF_MAX_DECOMPRESSED),
        ..lopdf::LoadOptions::default()
    };
    match lopdf::Document::load_mem_with_options(bytes, opts) {
        Ok(doc) => Ok(doc.is_encrypted()
            || doc.trailer.get(b"Encrypt").is_ok()
            || doc.encryption_state.is_some()),
        Err(lopdf::Error::Decryption(_))
        | Err(lopdf::Error::InvalidPassword)
        | Err(lopdf::Error::AlreadyEncrypted) => Ok(true),
        Err(_) => Err(MediaError::MalformedPdf),
    }
}

/// Largest decompressed size of one PDF object stream accepted while checking an upload for encryption.
pub const PDF_MAX_DECOMPRESSED: usize = 32 << 20;

/// Decodes and checks one submitted file: base64, format, pixel limit (images), encryption (PDFs).
pub fn inspect(value: &str, max_pixels: u64) -> Result<(Vec<u8>, MediaKind), MediaError> {
    inspect_decoded(decode_base64(value)?, max_pixels)
}

/// Checks one file already decoded from base64: not empty, format, pixel limit (images), encryption (PDFs).
/// Only images' headers are read; PDFs are parsed whole.
pub fn inspect_decoded(
    bytes: Vec<u8>,
    max_pixels: u64,
) -> Result<(Vec<u8>, MediaKind), MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    let kind = sniff(&bytes).ok_or(MediaError::UnsupportedFormat)?;
    match kind {
        MediaKind::Jpeg | MediaKind::Png => {
            let (w, h) = image_dimensions(&bytes, kind)?;
            if u64::from(w) * u64::from(h) > max_pixels {
                return Err(MediaError::TooManyPixels(w, h, max_pixels));
            }
        }
        MediaKind::Pdf => {
            if pdf_is_encrypted(&bytes)? {
                return Err(MediaError::EncryptedPdf);
            }
        }
    }
    Ok((bytes, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(rel: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../../../shared/data/{rel}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn every_encrypted_sample_pdf_is_detected_and_the_plain_one_is_not() {
        let dir = format!(
            "{}/../../../shared/data/pdf/pypdf",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut n = 0;
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let bytes = std::fs::read(&p).unwrap();
            let enc = pdf_is_encrypted(&bytes).unwrap();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            assert_eq!(enc, name != "unencrypted.pdf", "{name}");
            n += 1;
        }
        assert_eq!(n, 13);
        assert!(pdf_is_encrypted(&data("pdf/mindee/XfaForm_15p_encrypted.pdf")).unwrap());
    }

    #[test]
    fn malformed_pdf_is_refused() {
        assert_eq!(
            pdf_is_encrypted(b"%PDF-1.7\nnot really a pdf"),
            Err(MediaError::MalformedPdf)
        );
    }

    #[test]
    fn formats_are_sniffed_by_content() {
        let jpg = data("documents/passporteye/100_pass-uto.jpg");
        assert_eq!(sniff(&jpg), Some(MediaKind::Jpeg));
        assert_eq!(sniff(b"GIF89a...."), None);
        assert_eq!(
            sniff(&data("pdf/pypdf/unencrypted.pdf")),
            Some(MediaKind::Pdf)
        );
        let (w, h) = image_dimensions(&jpg, MediaKind::Jpeg).unwrap();
        assert_eq!((w, h), (793, 536));
        assert!(matches!(
            inspect(&B64_STANDARD.encode(&jpg), 1000),
            Err(MediaError::TooManyPixels(793, 536, 1000))
        ));
    }

    #[test]
    fn base64_variants_decode() {
        let raw = b"\xff\xd8\xff\xe0hello world";
        let std = B64_STANDARD.encode(raw);
        assert_eq!(decode_base64(&std).unwrap(), raw);
        assert_eq!(
            decode_base64(&format!("data:image/jpeg;base64,{std}")).unwrap(),
            raw
        );
        assert_eq!(decode_base64(std.trim_end_matches('=')).unwrap(), raw);
        let wrapped: String = std
            .as_bytes()
            .chunks(4)
            .map(|c| format!("{}\n", std::str::from_utf8(c).unwrap()))
            .collect();
        assert_eq!(decode_base64(&wrapped).unwrap(), raw);
        assert_eq!(decode_base64("!!!not base64!!!"), Err(MediaError::Base64));
        assert_eq!(decode_base64(""), Err(MediaError::Empty));
    }
}
