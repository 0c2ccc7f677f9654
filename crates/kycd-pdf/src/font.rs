//! Fonts as far as text extraction needs them: the encoding that maps codes to text, and the
//! glyph widths that advance the text position (simple fonts' `Widths`, CID fonts' `W`/`DW`).

use std::collections::BTreeMap;

use lopdf::Encoding;
use lopdf::{Dictionary, Document, Object};

use crate::Limits;
use crate::text::{deref, deref_dict, num};

/// Widths and encoding of one font.
pub(crate) struct FontInfo<'a> {
    pub(crate) encoding: Option<Encoding<'a>>,
    pub(crate) two_byte: bool,
    first_char: i64,
    widths: Vec<f32>,
    cid_widths: BTreeMap<u32, f32>,
    default_width: f32,
}

impl FontInfo<'_> {
    /// Advance width of a character code in glyph units (1/1000 em).
    pub(crate) fn width(&self, code: u32) -> f32 {
        if self.two_byte {
            return self
                .cid_widths
                .get(&code)
                .copied()
                .unwrap_or(self.default_width);
        }
        let idx = i64::from(code) - self.first_char;
        if idx >= 0
            && let Some(w) = self.widths.get(idx as usize)
            && *w > 0.0
        {
            return *w;
        }
        self.default_width
    }
}

/// Reads the encoding and widths of a font dictionary.
pub(crate) fn font_info<'a>(
    doc: &'a Document,
    font: &'a Dictionary,
    limits: &Limits,
) -> FontInfo<'a> {
    let encoding = font
        .get_font_encoding_with_limit(doc, limits.max_stream_bytes)
        .ok();
    let subtype = font.get(b"Subtype").ok().and_then(|o| o.as_name().ok());
    let two_byte = subtype == Some(b"Type0".as_slice());
    let mut info = FontInfo {
        encoding,
        two_byte,
        first_char: 0,
        widths: Vec::new(),
        cid_widths: BTreeMap::new(),
        default_width: 500.0,
    };
    if two_byte {
        info.default_width = 1000.0;
        let desc = font
            .get(b"DescendantFonts")
            .ok()
            .and_then(|o| deref(doc, o))
            .and_then(|o| o.as_array().ok())
            .and_then(|a| a.first())
            .and_then(|o| deref_dict(doc, o));
        if let Some(desc) = desc {
            if let Some(dw) = desc.get(b"DW").ok().and_then(num) {
                info.default_width = dw;
            }
            if let Some(w) = desc
                .get(b"W")
                .ok()
                .and_then(|o| deref(doc, o))
                .and_then(|o| o.as_array().ok())
            {
                parse_cid_widths(doc, w, &mut info.cid_widths);
            }
        }
    } else {
        info.first_char = font
            .get(b"FirstChar")
            .ok()
            .and_then(|o| o.as_i64().ok())
            .unwrap_or(0);
        if let Some(ws) = font
            .get(b"Widths")
            .ok()
            .and_then(|o| deref(doc, o))
            .and_then(|o| o.as_array().ok())
        {
            info.widths = ws
                .iter()
                .take(65_536)
                .map(|o| deref(doc, o).and_then(num).unwrap_or(0.0))
                .collect();
        }
        if let Some(mw) = font
            .get(b"FontDescriptor")
            .ok()
            .and_then(|o| deref_dict(doc, o))
            .and_then(|d| d.get(b"MissingWidth").ok())
            .and_then(num)
            .filter(|w| *w > 0.0)
        {
            info.default_width = mw;
        } else if !info.widths.is_empty() {
            let nz: Vec<f32> = info.widths.iter().copied().filter(|w| *w > 0.0).collect();
            if !nz.is_empty() {
                info.default_width = nz.iter().sum::<f32>() / nz.len() as f32;
            }
        }
    }
    info
}

/// `W` array of a CID font: `c [w1 w2 ...]` or `c_first c_last w`.
fn parse_cid_widths(doc: &Document, w: &[Object], out: &mut BTreeMap<u32, f32>) {
    let mut i = 0;
    let mut budget = 200_000usize;
    while i < w.len() && budget > 0 {
        let Some(first) = deref(doc, &w[i]).and_then(num) else {
            return;
        };
        let first = first.max(0.0) as u32;
        match w.get(i + 1).and_then(|o| deref(doc, o)) {
            Some(Object::Array(list)) => {
                for (k, o) in list.iter().enumerate() {
                    if budget == 0 {
                        return;
                    }
                    budget -= 1;
                    if let Some(v) = num(o) {
                        out.insert(first.saturating_add(k as u32), v);
                    }
                }
                i += 2;
            }
            Some(o) => {
                let (Some(last), Some(v)) = (num(o), w.get(i + 2).and_then(num)) else {
                    return;
                };
                let last = (last.max(0.0) as u32).min(first.saturating_add(65_535));
                for c in first..=last {
                    if budget == 0 {
                        return;
                    }
                    budget -= 1;
                    out.insert(c, v);
                }
                i += 3;
            }
            None => return,
        }
    }
}
