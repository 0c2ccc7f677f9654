//! Embedded raster images: DCT (JPEG) streams are returned as they are, Flate/LZW/uncompressed
//! sample data (Gray, RGB, CMYK, ICC-based, Indexed; 1/2/4/8/16 bits) is re-encoded as PNG.

use std::io::Cursor;

use image::{DynamicImage, GrayImage, ImageEncoder, RgbImage};
use lopdf::{Document, Object, ObjectId, Stream};

use crate::Limits;
use crate::error::{PdfError, Result};
use crate::text::{deref, deref_dict};

/// Container format of [`EmbeddedImage::bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// JPEG (a DCTDecode stream, byte for byte).
    Jpeg,
    /// PNG (re-encoded from raw samples).
    Png,
}

/// A raster image taken out of a page, as decodable bytes.
#[derive(Debug, Clone)]
pub struct EmbeddedImage {
    /// JPEG or PNG bytes.
    pub bytes: Vec<u8>,
    /// Which of the two.
    pub format: ImageFormat,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Fraction of the page area the image is drawn over (0 when it was not seen drawn).
    pub page_coverage: f32,
}

/// All image XObjects reachable from a page's resources (and one level of Form XObjects).
pub(crate) fn page_image_ids(doc: &Document, page_id: ObjectId) -> Vec<ObjectId> {
    let mut out = Vec::new();
    let Ok((res, ids)) = doc.get_page_resources(page_id) else {
        return out;
    };
    let res = res.or_else(|| ids.first().and_then(|id| doc.get_dictionary(*id).ok()));
    let Some(res) = res else { return out };
    collect(doc, res, 0, &mut out);
    out
}

fn collect(doc: &Document, res: &lopdf::Dictionary, depth: usize, out: &mut Vec<ObjectId>) {
    let Some(xobjects) = res.get(b"XObject").ok().and_then(|o| deref_dict(doc, o)) else {
        return;
    };
    for (_, v) in xobjects.iter().take(1000) {
        let Ok(id) = v.as_reference() else { continue };
        let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else {
            continue;
        };
        match stream
            .dict
            .get(b"Subtype")
            .ok()
            .and_then(|o| o.as_name().ok())
        {
            Some(b"Image") if !out.contains(&id) => out.push(id),
            Some(b"Form") if depth < 2 => {
                if let Some(r) = stream
                    .dict
                    .get(b"Resources")
                    .ok()
                    .and_then(|o| deref_dict(doc, o))
                {
                    collect(doc, r, depth + 1, out);
                }
            }
            _ => {}
        }
    }
}

fn int(doc: &Document, s: &Stream, key: &[u8]) -> Option<i64> {
    s.dict
        .get(key)
        .ok()
        .and_then(|o| deref(doc, o))
        .and_then(|o| o.as_i64().ok())
}

/// Width and height of an image stream from its dictionary.
pub(crate) fn dimensions(doc: &Document, s: &Stream) -> Option<(u64, u64)> {
    let w = int(doc, s, b"Width")?;
    let h = int(doc, s, b"Height")?;
    (w > 0 && h > 0).then_some((w as u64, h as u64))
}

/// The colour model of raw samples.
#[derive(Debug, Clone)]
enum Colour {
    Gray,
    Rgb,
    Cmyk,
    /// Base colour model and the palette bytes in it.
    Indexed(Box<Colour>, Vec<u8>),
}

impl Colour {
    fn components(&self) -> usize {
        match self {
            Colour::Gray | Colour::Indexed(..) => 1,
            Colour::Rgb => 3,
            Colour::Cmyk => 4,
        }
    }
}

fn colour_space(doc: &Document, o: &Object, depth: usize) -> Result<Colour> {
    let o = deref(doc, o).ok_or_else(|| PdfError::Image("bad colour space".into()))?;
    let unsupported =
        |n: &[u8]| PdfError::Image(format!("colour space {}", String::from_utf8_lossy(n)));
    match o {
        Object::Name(n) => match n.as_slice() {
            b"DeviceGray" | b"CalGray" | b"G" => Ok(Colour::Gray),
            b"DeviceRGB" | b"CalRGB" | b"RGB" => Ok(Colour::Rgb),
            b"DeviceCMYK" | b"CMYK" => Ok(Colour::Cmyk),
            other => Err(unsupported(other)),
        },
        Object::Array(a) if depth < 3 => {
            let name = a
                .first()
                .and_then(|o| o.as_name().ok())
                .ok_or_else(|| PdfError::Image("bad colour space array".into()))?;
            match name {
                b"CalGray" => Ok(Colour::Gray),
                b"CalRGB" | b"Lab" => Ok(Colour::Rgb),
                b"ICCBased" => {
                    let n = a
                        .get(1)
                        .and_then(|o| deref(doc, o))
                        .and_then(|o| o.as_stream().ok())
                        .and_then(|s| s.dict.get(b"N").ok().and_then(|o| o.as_i64().ok()))
                        .unwrap_or(3);
                    match n {
                        1 => Ok(Colour::Gray),
                        3 => Ok(Colour::Rgb),
                        4 => Ok(Colour::Cmyk),
                        _ => Err(PdfError::Image(format!("ICC profile with {n} components"))),
                    }
                }
                b"Indexed" | b"I" => {
                    let base = colour_space(
                        doc,
                        a.get(1)
                            .ok_or_else(|| PdfError::Image("Indexed without base".into()))?,
                        depth + 1,
                    )?;
                    let lookup = a
                        .get(3)
                        .and_then(|o| deref(doc, o))
                        .ok_or_else(|| PdfError::Image("Indexed without lookup".into()))?;
                    let bytes = match lookup {
                        Object::String(s, _) => s.clone(),
                        Object::Stream(s) => s
                            .get_plain_content_with_limit(1 << 20)
                            .map_err(|e| PdfError::Image(e.to_string()))?,
                        _ => return Err(PdfError::Image("bad Indexed lookup".into())),
                    };
                    Ok(Colour::Indexed(Box::new(base), bytes))
                }
                other => Err(unsupported(other)),
            }
        }
        _ => Err(PdfError::Image("bad colour space".into())),
    }
}

/// Converts one image stream. The pixel limit is checked before anything is decompressed.
pub(crate) fn convert(doc: &Document, id: ObjectId, limits: &Limits) -> Result<EmbeddedImage> {
    let s = doc
        .get_object(id)
        .and_then(Object::as_stream)
        .map_err(PdfError::malformed)?;
    let (w, h) = dimensions(doc, s).ok_or_else(|| PdfError::Image("no Width/Height".into()))?;
    if w.saturating_mul(h) > limits.max_image_pixels {
        return Err(PdfError::ImageTooLarge {
            width: w,
            height: h,
            limit: limits.max_image_pixels,
        });
    }
    let filters: Vec<Vec<u8>> = s
        .filters()
        .map(|f| f.into_iter().map(<[u8]>::to_vec).collect())
        .unwrap_or_default();
    let last = filters.last().map(Vec::as_slice);
    match last {
        Some(b"DCTDecode" | b"DCT") => {
            if filters.len() != 1 {
                return Err(PdfError::Image("filter chain before DCTDecode".into()));
            }
            let bytes = s.content.clone();
            let reader =
                image::ImageReader::with_format(Cursor::new(&bytes), image::ImageFormat::Jpeg);
            let (jw, jh) = reader
                .into_dimensions()
                .map_err(|e| PdfError::Image(format!("JPEG header: {e}")))?;
            if u64::from(jw) * u64::from(jh) > limits.max_image_pixels {
                return Err(PdfError::ImageTooLarge {
                    width: jw.into(),
                    height: jh.into(),
                    limit: limits.max_image_pixels,
                });
            }
            Ok(EmbeddedImage {
                bytes,
                format: ImageFormat::Jpeg,
                width: jw,
                height: jh,
                page_coverage: 0.0,
            })
        }
        Some(b"JPXDecode" | b"CCITTFaxDecode" | b"CCF" | b"JBIG2Decode") => {
            Err(PdfError::Image(format!(
                "unsupported image filter {}",
                String::from_utf8_lossy(last.unwrap_or_default())
            )))
        }
        _ => raw_to_png(doc, s, w as u32, h as u32),
    }
}

fn raw_to_png(doc: &Document, s: &Stream, w: u32, h: u32) -> Result<EmbeddedImage> {
    let is_mask = s
        .dict
        .get(b"ImageMask")
        .ok()
        .and_then(|o| o.as_bool().ok())
        .unwrap_or(false);
    let (colour, bpc) = if is_mask {
        (Colour::Gray, 1)
    } else {
        let cs = s
            .dict
            .get(b"ColorSpace")
            .map_err(|_| PdfError::Image("no ColorSpace".into()))?;
        (
            colour_space(doc, cs, 0)?,
            int(doc, s, b"BitsPerComponent").unwrap_or(8),
        )
    };
    if !matches!(bpc, 1 | 2 | 4 | 8 | 16) {
        return Err(PdfError::Image(format!("BitsPerComponent {bpc}")));
    }
    let bpc = bpc as usize;
    let comps = colour.components();
    let row_bytes = (w as usize * comps * bpc).div_ceil(8);
    let expected = row_bytes * h as usize;
    let data = s
        .get_plain_content_with_limit(expected.saturating_add(expected / 8 + 4096))
        .map_err(|e| PdfError::Image(e.to_string()))?;
    if data.len() < expected {
        return Err(PdfError::Image(format!(
            "sample data too short: {} bytes for {w}x{h}x{comps}x{bpc} bits",
            data.len()
        )));
    }
    // /Decode [1 0] on a one-component image inverts it (scanned masks often use it).
    let invert = match s.dict.get(b"Decode").ok().and_then(|o| o.as_array().ok()) {
        Some(d) if d.len() >= 2 && comps == 1 && !matches!(colour, Colour::Indexed(..)) => {
            d[0].as_float().unwrap_or(0.0) > d[1].as_float().unwrap_or(1.0)
        }
        _ => is_mask, // an image mask paints where the sample is 0: show it as black on white
    };
    let max = (1u32 << bpc.min(8)) - 1;
    let sample = |row: &[u8], i: usize| -> u32 {
        match bpc {
            8 => u32::from(row[i]),
            16 => u32::from(row[2 * i]),
            _ => {
                let bit = i * bpc;
                let byte = row[bit / 8];
                let shift = 8 - bpc - (bit % 8);
                (u32::from(byte) >> shift) & max
            }
        }
    };
    let scale = |v: u32| -> u8 { ((v * 255 + max / 2) / max) as u8 };
    let mut rgb: Option<RgbImage> = None;
    let mut gray: Option<GrayImage> = None;
    match &colour {
        Colour::Gray => {
            let mut img = GrayImage::new(w, h);
            for y in 0..h as usize {
                let row = &data[y * row_bytes..(y + 1) * row_bytes];
                for x in 0..w as usize {
                    let mut v = scale(sample(row, x));
                    if invert {
                        v = 255 - v;
                    }
                    img.put_pixel(x as u32, y as u32, image::Luma([v]));
                }
            }
            gray = Some(img);
        }
        Colour::Rgb | Colour::Cmyk => {
            let mut img = RgbImage::new(w, h);
            for y in 0..h as usize {
                let row = &data[y * row_bytes..(y + 1) * row_bytes];
                for x in 0..w as usize {
                    let c: Vec<u8> = (0..comps)
                        .map(|k| scale(sample(row, x * comps + k)))
                        .collect();
                    img.put_pixel(x as u32, y as u32, image::Rgb(to_rgb(&colour, &c)));
                }
            }
            rgb = Some(img);
        }
        Colour::Indexed(base, lut) => {
            let n = base.components();
            let mut img = RgbImage::new(w, h);
            for y in 0..h as usize {
                let row = &data[y * row_bytes..(y + 1) * row_bytes];
                for x in 0..w as usize {
                    let idx = if bpc == 16 {
                        u32::from(row[2 * x])
                    } else {
                        sample(row, x)
                    } as usize;
                    let entry = lut
                        .get(idx * n..idx * n + n)
                        .unwrap_or(&[0, 0, 0, 0][..n.min(4)]);
                    img.put_pixel(x as u32, y as u32, image::Rgb(to_rgb(base, entry)));
                }
            }
            rgb = Some(img);
        }
    }
    let mut out = Vec::new();
    let enc = image::codecs::png::PngEncoder::new(&mut out);
    let res = match (rgb, gray) {
        (Some(img), _) => enc.write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8),
        (None, Some(img)) => enc.write_image(img.as_raw(), w, h, image::ExtendedColorType::L8),
        (None, None) => return Err(PdfError::Image("no pixels".into())),
    };
    res.map_err(|e| PdfError::Image(e.to_string()))?;
    Ok(EmbeddedImage {
        bytes: out,
        format: ImageFormat::Png,
        width: w,
        height: h,
        page_coverage: 0.0,
    })
}

fn to_rgb(c: &Colour, v: &[u8]) -> [u8; 3] {
    match c {
        Colour::Gray => {
            let g = v.first().copied().unwrap_or(0);
            [g, g, g]
        }
        Colour::Rgb => [
            v.first().copied().unwrap_or(0),
            v.get(1).copied().unwrap_or(0),
            v.get(2).copied().unwrap_or(0),
        ],
        Colour::Cmyk => {
            let k = 255 - u16::from(v.get(3).copied().unwrap_or(0));
            let f = |x: u8| ((255 - u16::from(x)) * k / 255) as u8;
            [
                f(v.first().copied().unwrap_or(0)),
                f(v.get(1).copied().unwrap_or(0)),
                f(v.get(2).copied().unwrap_or(0)),
            ]
        }
        Colour::Indexed(..) => [0, 0, 0],
    }
}

/// Decodes [`EmbeddedImage`] bytes into an RGB image (the pixel limit was checked on extraction).
pub fn decode_embedded(img: &EmbeddedImage) -> Result<RgbImage> {
    let fmt = match img.format {
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        ImageFormat::Png => image::ImageFormat::Png,
    };
    image::load_from_memory_with_format(&img.bytes, fmt)
        .map(DynamicImage::into_rgb8)
        .map_err(|e| PdfError::Image(e.to_string()))
}
