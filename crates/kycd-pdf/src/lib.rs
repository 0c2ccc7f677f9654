//! kycd-pdf: reading untrusted PDF bytes safely.
//!
//! - [`is_encrypted`] / [`requires_password`]: any `/Encrypt` dictionary vs. a user password that is
//!   really needed to open the file (owner-password-only files open with the empty password).
//! - [`page_count`], [`first_page_text`], [`all_text`], [`first_page_lines`]: positioned text
//!   extraction (a small content-stream interpreter over `lopdf`, following Form XObjects) that
//!   groups text into visual lines with page coordinates.
//! - [`first_page_image`]: the largest embedded raster image of page 1 as JPEG or PNG bytes.
//! - [`render_first_page`]: page 1 rasterised by Debian's `pdftoppm` (poppler-utils), with a clear
//!   [`PdfError::RendererMissing`] when it is not installed.
//! - [`first_page_raster`]: page 1 as pixels for OCR and document reading — the embedded scan when
//!   it covers the page, else the rendered page — the one PDF-to-image path of kycd.
//!
//! Every entry point bounds the input size, stream decompression, content operations and image
//! pixels, and catches a panic of the parser, so malformed input yields a [`PdfError`], never a
//! crash.

pub mod error;
mod font;
mod image;
mod raster;
mod render;
mod text;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

pub use error::{PdfError, Result};
pub use image::{EmbeddedImage, ImageFormat, decode_embedded};
pub use raster::{
    EMBEDDED_MIN_COVERAGE, PageRaster, RasterSource, first_page_raster, render_first_page,
    render_first_page_with,
};
pub use render::{RENDERER, renderer_available};
pub use text::{ImagePlacement, PageContent, PdfTextLine};

use lopdf::{Document, LoadOptions, ObjectId};

/// Resource limits applied to untrusted PDFs.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest accepted input in bytes.
    pub max_input_bytes: usize,
    /// Largest size any single stream may decompress to.
    pub max_stream_bytes: usize,
    /// Largest embedded image or rendering, in pixels.
    pub max_image_pixels: u64,
    /// Content-stream operators interpreted per page (Form XObjects included).
    pub max_content_ops: usize,
    /// Text runs collected per page.
    pub max_text_runs: usize,
    /// Nesting depth of Form XObjects followed.
    pub max_form_depth: usize,
    /// Time the renderer may take for one page.
    pub render_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 50 << 20,
            max_stream_bytes: 64 << 20,
            max_image_pixels: 40_000_000,
            max_content_ops: 2_000_000,
            max_text_runs: 200_000,
            max_form_depth: 6,
            render_timeout: Duration::from_secs(30),
        }
    }
}

/// Runs `f`, turning a panic inside the PDF library into [`PdfError::ParserPanic`].
fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            Err(PdfError::ParserPanic(msg))
        }
    }
}

/// A parsed PDF.
pub struct PdfDocument {
    doc: Document,
    encrypted: bool,
    needs_password: bool,
    pages: Vec<ObjectId>,
    limits: Limits,
}

impl std::fmt::Debug for PdfDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfDocument")
            .field("encrypted", &self.encrypted)
            .field("needs_password", &self.needs_password)
            .field("pages", &self.pages.len())
            .finish_non_exhaustive()
    }
}

/// Re-creates the `/Encrypt` dictionary of a decrypted document in an empty document and checks
/// the empty string as the *user* password (lopdf tries owner and user alike when loading).
fn empty_user_password_opens(doc: &Document, state: &lopdf::EncryptionState) -> bool {
    let Ok(dict) = state.encode() else {
        return false;
    };
    let mut probe = Document::new();
    let id = probe.add_object(dict);
    probe.trailer.set("Encrypt", id);
    if let Ok(file_id) = doc.trailer.get(b"ID") {
        probe.trailer.set("ID", file_id.clone());
    }
    probe.authenticate_user_password("").is_ok()
}

/// Whether the bytes carry a `%PDF-` header within their first KiB (where readers look for it).
pub fn is_pdf(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
}

impl PdfDocument {
    /// Parses with the default [`Limits`].
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        Self::parse_with(bytes, Limits::default())
    }

    /// Parses untrusted bytes. An encrypted file that opens with the empty user password is
    /// decrypted; one that needs a password parses (so [`Self::requires_password`] can tell) but
    /// every read of its content fails with [`PdfError::PasswordRequired`].
    pub fn parse_with(bytes: &[u8], limits: Limits) -> Result<Self> {
        if bytes.len() > limits.max_input_bytes {
            return Err(PdfError::TooLarge {
                size: bytes.len(),
                limit: limits.max_input_bytes,
            });
        }
        if !is_pdf(bytes) {
            return Err(PdfError::NotPdf);
        }
        guarded(|| {
            let opts = LoadOptions {
                max_decompressed_size: Some(limits.max_stream_bytes),
                ..LoadOptions::default()
            };
            let doc = match Document::load_mem_with_options(bytes, opts) {
                Ok(d) => d,
                Err(lopdf::Error::InvalidPassword | lopdf::Error::Decryption(_)) => {
                    return Err(PdfError::PasswordRequired);
                }
                Err(e) => return Err(PdfError::malformed(e)),
            };
            // Still carrying /Encrypt after loading = lopdf could not decrypt with the empty password.
            let mut needs_password = doc.trailer.get(b"Encrypt").is_ok();
            let encrypted = needs_password || doc.encryption_state.is_some();
            // lopdf also opens files whose *owner* password is empty (R5/R6 made with
            // `qpdf --encrypt USER ""`): viewers still ask for the user password, so check it.
            if !needs_password && let Some(state) = &doc.encryption_state {
                needs_password = !empty_user_password_opens(&doc, state);
            }
            let pages = if needs_password {
                Vec::new()
            } else {
                doc.get_pages().into_values().take(100_000).collect()
            };
            Ok(PdfDocument {
                doc,
                encrypted,
                needs_password,
                pages,
                limits,
            })
        })
    }

    /// Whether the file has an `/Encrypt` dictionary (password-protected or permissions only).
    pub fn is_encrypted(&self) -> bool {
        self.encrypted
    }

    /// Whether a user password is needed to read the content.
    pub fn requires_password(&self) -> bool {
        self.needs_password
    }

    fn check_readable(&self) -> Result<()> {
        if self.needs_password {
            return Err(PdfError::PasswordRequired);
        }
        Ok(())
    }

    /// Number of pages.
    pub fn page_count(&self) -> Result<usize> {
        self.check_readable()?;
        Ok(self.pages.len())
    }

    fn page_id(&self, page: u32) -> Result<ObjectId> {
        self.check_readable()?;
        if self.pages.is_empty() {
            return Err(PdfError::NoPages);
        }
        self.pages
            .get((page as usize).wrapping_sub(1))
            .copied()
            .ok_or(PdfError::PageOutOfRange {
                page,
                count: self.pages.len(),
            })
    }

    /// Text lines, image placements and size of a page (1-based).
    pub fn page_content(&self, page: u32) -> Result<PageContent> {
        let id = self.page_id(page)?;
        guarded(|| text::page_content(&self.doc, id, &self.limits))
    }

    /// The text of a page, one visual line per line of output.
    pub fn page_text(&self, page: u32) -> Result<String> {
        Ok(self
            .page_content(page)?
            .lines
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n"))
    }

    /// The largest (by pixel count) convertible raster image of a page. Images whose filter
    /// cannot be converted (JPX, CCITT, JBIG2) are skipped; an image above the pixel limit is an
    /// error (a decompression bomb is refused, not skipped).
    pub fn page_image(&self, page: u32) -> Result<Option<EmbeddedImage>> {
        let id = self.page_id(page)?;
        guarded(|| {
            let placements = text::page_content(&self.doc, id, &self.limits)
                .map(|c| (c.images, c.width * c.height))
                .unwrap_or_default();
            let mut ids: Vec<(u64, ObjectId)> = image::page_image_ids(&self.doc, id)
                .into_iter()
                .filter_map(|iid| {
                    let s = self.doc.get_object(iid).ok()?.as_stream().ok()?;
                    let (w, h) = image::dimensions(&self.doc, s)?;
                    Some((w.saturating_mul(h), iid))
                })
                .collect();
            ids.sort_by_key(|x| std::cmp::Reverse(x.0));
            for (_, iid) in ids {
                match image::convert(&self.doc, iid, &self.limits) {
                    Ok(mut img) => {
                        let (places, area) = &placements;
                        if *area > 0.0 {
                            let drawn: f32 = places
                                .iter()
                                .filter(|p| p.id == iid)
                                .map(|p| {
                                    ((p.bbox[2] - p.bbox[0]) * (p.bbox[3] - p.bbox[1])).max(0.0)
                                })
                                .fold(0.0, f32::max);
                            img.page_coverage = (drawn / area).min(1.0);
                        }
                        return Ok(Some(img));
                    }
                    Err(e @ PdfError::ImageTooLarge { .. }) => return Err(e),
                    Err(_) => continue,
                }
            }
            Ok(None)
        })
    }

    /// Page size in points (MediaBox width, height).
    pub fn page_size(&self, page: u32) -> Result<(f32, f32)> {
        let id = self.page_id(page)?;
        let mb = text::media_box(&self.doc, id);
        Ok((mb[2] - mb[0], mb[3] - mb[1]))
    }
}

/// Whether the PDF carries an `/Encrypt` dictionary (user- or owner-password protected alike).
pub fn is_encrypted(bytes: &[u8]) -> Result<bool> {
    match PdfDocument::parse(bytes) {
        Ok(d) => Ok(d.is_encrypted()),
        Err(PdfError::PasswordRequired) => Ok(true),
        Err(e) => Err(e),
    }
}

/// Whether a user password is needed to open the PDF.
pub fn requires_password(bytes: &[u8]) -> Result<bool> {
    match PdfDocument::parse(bytes) {
        Ok(d) => Ok(d.requires_password()),
        Err(PdfError::PasswordRequired) => Ok(true),
        Err(e) => Err(e),
    }
}

/// Number of pages.
pub fn page_count(bytes: &[u8]) -> Result<usize> {
    PdfDocument::parse(bytes)?.page_count()
}

/// Text of page 1, one visual line per output line.
pub fn first_page_text(bytes: &[u8]) -> Result<String> {
    PdfDocument::parse(bytes)?.page_text(1)
}

/// Positioned text lines of page 1 (points, top-left origin), with the page size.
pub fn first_page_lines(bytes: &[u8]) -> Result<PageContent> {
    PdfDocument::parse(bytes)?.page_content(1)
}

/// Text of the first `max_pages` pages, pages separated by a form feed (`\x0c`).
pub fn all_text(bytes: &[u8], max_pages: usize) -> Result<String> {
    let doc = PdfDocument::parse(bytes)?;
    let n = doc.page_count()?.min(max_pages);
    let mut parts = Vec::with_capacity(n);
    for p in 1..=n {
        parts.push(doc.page_text(p as u32)?);
    }
    Ok(parts.join("\x0c"))
}

/// The largest embedded raster image of page 1 as decodable bytes.
pub fn first_page_image(bytes: &[u8]) -> Result<Option<(Vec<u8>, ImageFormat)>> {
    Ok(PdfDocument::parse(bytes)?
        .page_image(1)?
        .map(|i| (i.bytes, i.format)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_pdf_and_empty() {
        assert!(matches!(PdfDocument::parse(b""), Err(PdfError::NotPdf)));
        assert!(matches!(
            PdfDocument::parse(b"\x89PNG\r\n\x1a\n"),
            Err(PdfError::NotPdf)
        ));
        assert!(PdfDocument::parse(b"%PDF-1.4\n").is_err());
    }

    #[test]
    fn too_large_is_refused_before_parsing() {
        let limits = Limits {
            max_input_bytes: 10,
            ..Limits::default()
        };
        assert!(matches!(
            PdfDocument::parse_with(b"%PDF-1.4 0123456789", limits),
            Err(PdfError::TooLarge { .. })
        ));
    }
}
