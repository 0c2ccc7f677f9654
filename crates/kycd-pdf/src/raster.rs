//! Page 1 as pixels, the one way every reader of documents and bills gets an image out of a PDF:
//! the scan embedded in the page when it covers a good part of it, else the page rendered by
//! `pdftoppm`, else (renderer missing) whatever image is embedded. Pixel limits are checked
//! before anything is decompressed or rendered.

use image::RgbImage;

use crate::error::{PdfError, Result};
use crate::image::decode_embedded;
use crate::{Limits, PdfDocument, render};

/// Share of the page an embedded image must be drawn over to stand for the page (a scan or a
/// photo saved as PDF); smaller images are logos or decorations of a vector page.
pub const EMBEDDED_MIN_COVERAGE: f32 = 0.3;

/// How [`first_page_raster`] obtained the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RasterSource {
    /// The largest raster image embedded in page 1, decoded.
    Embedded,
    /// Page 1 rendered by `pdftoppm`.
    Rendered,
}

/// Page 1 of a PDF as an RGB image.
#[derive(Debug, Clone)]
pub struct PageRaster {
    /// The pixels.
    pub image: RgbImage,
    /// Where they came from.
    pub source: RasterSource,
}

/// Page 1 as pixels: the largest embedded image when it covers at least
/// [`EMBEDDED_MIN_COVERAGE`] of the page, else the page rendered at `dpi` (clamped to 18..=1200),
/// else — when `pdftoppm` is not installed — any embedded image. Nothing above `max_pixels`
/// (width × height) is decompressed or rendered: [`PdfError::ImageTooLarge`]. A PDF that needs a
/// password gives [`PdfError::PasswordRequired`]; one with neither an image nor a renderer gives
/// [`PdfError::RendererMissing`].
pub fn first_page_raster(bytes: &[u8], dpi: u32, max_pixels: u64) -> Result<PageRaster> {
    let limits = Limits {
        max_image_pixels: max_pixels,
        ..Limits::default()
    };
    let doc = PdfDocument::parse_with(bytes, limits.clone())?;
    let embedded = doc.page_image(1)?;
    let decoded = |img: &crate::EmbeddedImage| -> Result<PageRaster> {
        Ok(PageRaster {
            image: decode_embedded(img)?,
            source: RasterSource::Embedded,
        })
    };
    if let Some(img) = embedded
        .as_ref()
        .filter(|i| i.page_coverage >= EMBEDDED_MIN_COVERAGE)
    {
        return decoded(img);
    }
    match render_page1(&doc, bytes, dpi, &limits) {
        Ok(image) => Ok(PageRaster {
            image,
            source: RasterSource::Rendered,
        }),
        Err(PdfError::RendererMissing(tool)) => match &embedded {
            Some(img) => decoded(img),
            None => Err(PdfError::RendererMissing(tool)),
        },
        Err(e) => Err(e),
    }
}

/// Rasterises page 1 at `dpi` with `pdftoppm` (Debian `poppler-utils`). The PDF is parsed first
/// (malformed and password-protected files are refused before the renderer sees them) and the
/// output size is checked against the pixel limit from the MediaBox.
pub fn render_first_page(bytes: &[u8], dpi: u32) -> Result<RgbImage> {
    render_first_page_with(bytes, dpi, &Limits::default())
}

/// [`render_first_page`] with explicit limits.
pub fn render_first_page_with(bytes: &[u8], dpi: u32, limits: &Limits) -> Result<RgbImage> {
    let doc = PdfDocument::parse_with(bytes, limits.clone())?;
    render_page1(&doc, bytes, dpi, limits)
}

/// Renders page 1 of `doc` (parsed from `bytes`) once its size at `dpi` is known to be within
/// the pixel limit.
fn render_page1(doc: &PdfDocument, bytes: &[u8], dpi: u32, limits: &Limits) -> Result<RgbImage> {
    let (w, h) = doc.page_size(1)?;
    let dpi = dpi.clamp(18, 1200);
    let px = |points: f32| (f64::from(points) * f64::from(dpi) / 72.0).ceil() as u64;
    let (px_w, px_h) = (px(w), px(h));
    if px_w.saturating_mul(px_h) > limits.max_image_pixels {
        return Err(PdfError::ImageTooLarge {
            width: px_w,
            height: px_h,
            limit: limits.max_image_pixels,
        });
    }
    render::render_page1(bytes, dpi, limits.render_timeout)
}
