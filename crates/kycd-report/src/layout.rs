//! A4 pages, top to bottom: headings, wrapped lines, label/value pairs and images, with a new page whenever the
//! next item does not fit. Standard Helvetica in WinAnsi encoding (no font to embed, text extractable).

use crate::ReportError;
use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat, dictionary};

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 50.0;
const LABEL_W: f32 = 150.0;
const IMAGE_MAX_H: f32 = 330.0;

/// The byte of `c` in WinAnsiEncoding (PDF 32000-1 Annex D), if it has one.
fn win_ansi_byte(c: char) -> Option<u8> {
    let code = c as u32;
    if (0x20..0x7f).contains(&code) || (0xa0..=0xff).contains(&code) {
        return u8::try_from(code).ok();
    }
    Some(match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8a,
        '‹' => 0x8b,
        'Œ' => 0x8c,
        'Ž' => 0x8e,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9a,
        '›' => 0x9b,
        'œ' => 0x9c,
        'ž' => 0x9e,
        'Ÿ' => 0x9f,
        _ => return None,
    })
}

/// `s` in WinAnsiEncoding: letters outside it folded to ASCII (`Ą` → `A`), anything else `?`; control characters
/// become spaces.
pub(crate) fn win_ansi(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.push(b' ');
        } else if let Some(b) = win_ansi_byte(c) {
            out.push(b);
        } else if let Some(f) = kycd_types::text::fold_char(c) {
            if c.is_lowercase() {
                out.extend(f.bytes().map(|b| b.to_ascii_lowercase()));
            } else {
                out.extend_from_slice(f.as_bytes());
            }
        } else {
            out.push(b'?');
        }
    }
    out
}

/// Approximate advance of one WinAnsi byte in Helvetica, in units of the font size (wide enough never to overflow
/// the margin when wrapping).
fn advance(b: u8) -> f32 {
    match b {
        b'i' | b'j' | b'l' | b'I' | b'.' | b',' | b':' | b';' | b'\'' | b'!' | b'|' => 0.28,
        b' ' | b'f' | b't' | b'r' | b'(' | b')' | b'-' | b'/' => 0.34,
        b'm' | b'w' => 0.84,
        b'M' | b'W' | b'@' => 0.94,
        b'a'..=b'z' => 0.56,
        b'0'..=b'9' => 0.56,
        _ => 0.72,
    }
}

fn width(bytes: &[u8], size: f32) -> f32 {
    bytes.iter().map(|&b| advance(b)).sum::<f32>() * size
}

/// Splits encoded text into lines at most `max` points wide, at spaces where possible.
pub(crate) fn wrap(bytes: &[u8], size: f32, max: f32) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    for word in bytes.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
        let mut word = word.to_vec();
        let sep = usize::from(!line.is_empty());
        if width(&line, size) + width(b" ", size) * sep as f32 + width(&word, size) <= max {
            if sep == 1 {
                line.push(b' ');
            }
            line.append(&mut word);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // A word longer than the line is cut.
        while width(&word, size) > max {
            let mut cut = 1;
            while cut < word.len() && width(&word[..=cut], size) <= max {
                cut += 1;
            }
            lines.push(word.drain(..cut).collect());
        }
        line = word;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The pages being written.
pub(crate) struct Pages {
    doc: Document,
    fonts: ObjectId,
    done: Vec<(Vec<Operation>, Dictionary)>,
    ops: Vec<Operation>,
    xobjects: Dictionary,
    y: f32,
}

impl Pages {
    pub(crate) fn new() -> Self {
        let mut doc = Document::with_version("1.7");
        let regular = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
        });
        let bold = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica-Bold", "Encoding" => "WinAnsiEncoding",
        });
        let fonts = doc.add_object(dictionary! { "F1" => regular, "F2" => bold });
        Pages {
            doc,
            fonts,
            done: Vec::new(),
            ops: Vec::new(),
            xobjects: Dictionary::new(),
            y: PAGE_H - MARGIN,
        }
    }

    fn new_page(&mut self) {
        let ops = std::mem::take(&mut self.ops);
        let xobjects = std::mem::take(&mut self.xobjects);
        self.done.push((ops, xobjects));
        self.y = PAGE_H - MARGIN;
    }

    /// Makes room for `h` points, on a new page when the current one is full.
    pub(crate) fn room(&mut self, h: f32) {
        if self.y - h < MARGIN && !self.ops.is_empty() {
            self.new_page();
        }
    }

    fn text_at(&mut self, x: f32, font: &str, size: f32, grey: f32, bytes: Vec<u8>) {
        self.ops.extend([
            Operation::new("BT", vec![]),
            Operation::new("g", vec![grey.into()]),
            Operation::new("Tf", vec![font.into(), size.into()]),
            Operation::new("Td", vec![x.into(), self.y.into()]),
            Operation::new("Tj", vec![Object::String(bytes, StringFormat::Literal)]),
            Operation::new("ET", vec![]),
        ]);
    }

    /// Wrapped text from the left margin.
    fn paragraph(&mut self, s: &str, font: &str, size: f32, grey: f32, before: f32) {
        let lines = wrap(&win_ansi(s), size, PAGE_W - 2.0 * MARGIN);
        let lead = size * 1.35;
        self.room(before + lead);
        self.y -= before;
        for l in lines {
            self.room(lead);
            self.y -= lead;
            self.text_at(MARGIN, font, size, grey, l);
        }
    }

    pub(crate) fn title(&mut self, s: &str) {
        self.paragraph(s, "F2", 18.0, 0.0, 0.0);
        self.y -= 6.0;
    }

    pub(crate) fn heading(&mut self, s: &str) {
        // A heading never ends a page alone.
        self.room(60.0);
        self.paragraph(s, "F2", 13.0, 0.1, 14.0);
        self.ops.extend([
            Operation::new("G", vec![0.6.into()]),
            Operation::new("w", vec![0.5.into()]),
            Operation::new("m", vec![MARGIN.into(), (self.y - 4.0).into()]),
            Operation::new("l", vec![(PAGE_W - MARGIN).into(), (self.y - 4.0).into()]),
            Operation::new("S", vec![]),
        ]);
        self.y -= 6.0;
    }

    pub(crate) fn line(&mut self, s: &str) {
        self.paragraph(s, "F1", 10.0, 0.0, 0.0);
    }

    pub(crate) fn small(&mut self, s: &str) {
        self.paragraph(s, "F1", 8.5, 0.35, 0.0);
    }

    /// Label and value side by side; long values wrap in their column.
    pub(crate) fn pairs<S: AsRef<str>>(&mut self, pairs: &[(&str, S)]) {
        let size = 10.0;
        let lead = size * 1.35;
        for (label, value) in pairs {
            let lines = wrap(
                &win_ansi(value.as_ref()),
                size,
                PAGE_W - 2.0 * MARGIN - LABEL_W,
            );
            self.room(lead * lines.len().min(3) as f32);
            for (i, l) in lines.into_iter().enumerate() {
                self.room(lead);
                self.y -= lead;
                if i == 0 {
                    let label = wrap(&win_ansi(label), size, LABEL_W - 6.0)
                        .into_iter()
                        .next()
                        .unwrap_or_default();
                    self.text_at(MARGIN, "F2", size, 0.25, label);
                }
                self.text_at(MARGIN + LABEL_W, "F1", size, 0.0, l);
            }
        }
    }

    /// An image under its label, scaled to the text width and at most [`IMAGE_MAX_H`] high. A file that is not a
    /// JPEG or PNG image (a PDF bill) is named, not drawn.
    pub(crate) fn image(
        &mut self,
        label: &str,
        mime: &str,
        bytes: &[u8],
    ) -> Result<(), ReportError> {
        let Some((stream, w, h)) = image_stream(mime, bytes) else {
            self.line(&format!(
                "{label}: {mime} file of {} bytes (not drawn)",
                bytes.len()
            ));
            return Ok(());
        };
        let max_w = PAGE_W - 2.0 * MARGIN;
        let scale = (max_w / w as f32).min(IMAGE_MAX_H / h as f32).min(1.0);
        let (dw, dh) = (w as f32 * scale, h as f32 * scale);
        self.room(dh + 30.0);
        self.paragraph(label, "F2", 10.0, 0.25, 10.0);
        self.y -= dh + 4.0;
        let id = self.doc.add_object(stream);
        let name = format!("Im{}", id.0);
        self.xobjects.set(name.as_bytes().to_vec(), id);
        self.ops.extend([
            Operation::new("q", vec![]),
            Operation::new(
                "cm",
                vec![
                    dw.into(),
                    0.into(),
                    0.into(),
                    dh.into(),
                    MARGIN.into(),
                    self.y.into(),
                ],
            ),
            Operation::new("Do", vec![Object::Name(name.into_bytes())]),
            Operation::new("Q", vec![]),
        ]);
        Ok(())
    }

    /// Writes the document.
    pub(crate) fn finish(mut self) -> Result<Vec<u8>, ReportError> {
        self.new_page();
        let pages_id = self.doc.new_object_id();
        let total = self.done.len();
        let mut kids = Vec::with_capacity(total);
        for (n, (mut ops, xobjects)) in std::mem::take(&mut self.done).into_iter().enumerate() {
            // Page number at the foot.
            let foot = win_ansi(&format!("Page {} of {total}", n + 1));
            ops.extend([
                Operation::new("BT", vec![]),
                Operation::new("g", vec![0.5.into()]),
                Operation::new("Tf", vec!["F1".into(), 8.into()]),
                Operation::new("Td", vec![(PAGE_W - MARGIN - 60.0).into(), 28.into()]),
                Operation::new("Tj", vec![Object::String(foot, StringFormat::Literal)]),
                Operation::new("ET", vec![]),
            ]);
            let content = Content { operations: ops }
                .encode()
                .map_err(|e| ReportError::Pdf(e.to_string()))?;
            let mut stream = Stream::new(Dictionary::new(), content);
            stream
                .compress()
                .map_err(|e| ReportError::Pdf(e.to_string()))?;
            let content_id = self.doc.add_object(stream);
            let resources = dictionary! { "Font" => self.fonts, "XObject" => xobjects };
            kids.push(Object::Reference(self.doc.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "MediaBox" => vec![0.into(), 0.into(), PAGE_W.into(), PAGE_H.into()],
                "Contents" => content_id,
                "Resources" => resources,
            })));
        }
        self.doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => kids,
                "Count" => i64::try_from(total).unwrap_or(i64::MAX),
            }),
        );
        let catalog = self
            .doc
            .add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        let info = self.doc.add_object(dictionary! {
            "Title" => Object::string_literal("kycd verification report"),
            "Producer" => Object::string_literal(format!("kycd {}", env!("CARGO_PKG_VERSION"))),
        });
        self.doc.trailer.set("Root", catalog);
        self.doc.trailer.set("Info", info);
        let mut out = Vec::new();
        self.doc
            .save_to(&mut out)
            .map_err(|e| ReportError::Pdf(e.to_string()))?;
        Ok(out)
    }
}

/// An image XObject with its pixel size: a baseline JPEG as it is (DCTDecode), anything else the image decoder
/// reads re-encoded as 8-bit RGB or grey with Flate. `None` when the bytes are not an image.
fn image_stream(mime: &str, bytes: &[u8]) -> Option<(Stream, u32, u32)> {
    let format = match mime {
        "image/jpeg" => image::ImageFormat::Jpeg,
        "image/png" => image::ImageFormat::Png,
        _ => return None,
    };
    let img = image::load_from_memory_with_format(bytes, format).ok()?;
    let (w, h) = (img.width(), img.height());
    let grey = matches!(
        img.color(),
        image::ColorType::L8
            | image::ColorType::L16
            | image::ColorType::La8
            | image::ColorType::La16
    );
    let dict = |space: &str, filter: Option<&str>| {
        let mut d = dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => i64::from(w), "Height" => i64::from(h),
            "ColorSpace" => space, "BitsPerComponent" => 8,
        };
        if let Some(f) = filter {
            d.set("Filter", f);
        }
        d
    };
    let jpeg_components = (format == image::ImageFormat::Jpeg)
        .then(|| match img.color() {
            image::ColorType::L8 => Some("DeviceGray"),
            image::ColorType::Rgb8 => Some("DeviceRGB"),
            _ => None,
        })
        .flatten();
    if let Some(space) = jpeg_components {
        let s = Stream::new(dict(space, Some("DCTDecode")), bytes.to_vec()).with_compression(false);
        return Some((s, w, h));
    }
    let (space, raw) = if grey {
        ("DeviceGray", img.to_luma8().into_raw())
    } else {
        ("DeviceRGB", img.to_rgb8().into_raw())
    };
    let mut s = Stream::new(dict(space, None), raw);
    s.compress().ok()?;
    Some((s, w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_win_ansi_with_folding() {
        assert_eq!(win_ansi("Žemaitė (a)"), b"\x8eemaite (a)".to_vec());
        assert_eq!(win_ansi("café"), b"caf\xe9".to_vec());
        assert_eq!(win_ansi("Ąžuolas ąė\n"), b"A\x9euolas ae ".to_vec());
        assert_eq!(win_ansi("中"), b"?".to_vec());
    }

    #[test]
    fn wrapping_keeps_every_word_within_the_width() {
        let text = win_ansi(&"word ".repeat(80));
        let lines = wrap(&text, 10.0, 200.0);
        assert!(lines.len() > 3);
        for l in &lines {
            assert!(width(l, 10.0) <= 200.0);
        }
        let words: usize = lines.iter().map(|l| l.split(|&b| b == b' ').count()).sum();
        assert_eq!(words, 80);
        let long = wrap(&win_ansi(&"X".repeat(200)), 10.0, 100.0);
        assert!(long.iter().all(|l| width(l, 10.0) <= 100.0));
        assert_eq!(long.iter().map(Vec::len).sum::<usize>(), 200);
    }
}
