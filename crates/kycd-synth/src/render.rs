//! Flat rendering of the document sides: background tint and guilloche, header, labelled visual
//! zone, portrait and MRZ, all in the OCR-B font. Layout in millimetres, rendered at a
//! configurable resolution.

use ab_glyph::{Font, FontVec, PxScale, ScaleFont};
use image::{Rgb, RgbImage, imageops};
use imageproc::drawing::{draw_filled_ellipse_mut, draw_line_segment_mut, draw_text_mut};

use crate::identity::{DocKind, Truth, Ymd};
use crate::rng::Rng;

/// Which side of the document an image shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SideKind {
    /// Passport data page (visual zone, portrait and MRZ).
    DataPage,
    /// Card front (visual zone and portrait).
    Front,
    /// Card back (MRZ).
    Back,
}

impl SideKind {
    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            SideKind::DataPage => "data-page",
            SideKind::Front => "front",
            SideKind::Back => "back",
        }
    }

    /// Whether the side carries the MRZ.
    pub fn has_mrz(self) -> bool {
        matches!(self, SideKind::DataPage | SideKind::Back)
    }

    /// Whether the side carries the labelled visual zone and the portrait.
    pub fn has_viz(self) -> bool {
        matches!(self, SideKind::DataPage | SideKind::Front)
    }
}

/// One rendered (flat, unphotographed) side.
#[derive(Debug, Clone)]
pub struct FlatSide {
    /// Side.
    pub side: SideKind,
    /// The image.
    pub image: RgbImage,
    /// Portrait rectangle `(x, y, width, height)` in pixels, when the side has one.
    pub portrait: Option<(u32, u32, u32, u32)>,
}

/// How the portrait is printed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PortraitStyle {
    /// Greyscale print (most passports) instead of colour.
    pub grey: bool,
    /// Contrast kept by the print (1 = unchanged; printed portraits are flatter, ~0.75).
    pub contrast: f32,
}

impl Default for PortraitStyle {
    fn default() -> Self {
        Self {
            grey: true,
            contrast: 0.8,
        }
    }
}

/// Options of [`render_sides`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderOptions {
    /// Resolution in pixels per millimetre (10 ≈ 254 dpi).
    pub px_per_mm: f32,
    /// Portrait print style.
    pub portrait: PortraitStyle,
}

impl RenderOptions {
    /// Defaults for `kind`: passports at 10 px/mm (1250 × 880), cards at 12 px/mm (1027 × 648).
    pub fn for_kind(kind: DocKind) -> Self {
        Self {
            px_per_mm: match kind {
                DocKind::Passport => 10.0,
                DocKind::IdCard => 12.0,
            },
            portrait: PortraitStyle::default(),
        }
    }
}

const LABEL: Rgb<u8> = Rgb([55, 60, 95]);
const VALUE: Rgb<u8> = Rgb([22, 22, 30]);
const MRZ_INK: Rgb<u8> = Rgb([8, 8, 10]);
/// MRZ character pitch (ICAO 9303: 10 characters per 25.4 mm).
const MRZ_PITCH_MM: f32 = 2.54;

/// The side of a document that carries the personal data (sizes and positions in millimetres).
struct DataSide<'a> {
    /// Page width and height.
    size_mm: (f32, f32),
    /// Document title (top left), country name (top right), their margin, top and em size.
    header: (&'a str, &'a str, f32, f32, f32),
    /// Portrait rectangle: x, y, width, height.
    portrait_mm: (f32, f32, f32, f32),
    /// The holder's photo (`None`: a silhouette) and how it is printed.
    photo: Option<&'a RgbImage>,
    style: PortraitStyle,
    /// Em sizes of the field labels and values.
    ems: (f32, f32),
    /// The fields: x, y, label, value.
    fields: &'a [(f32, f32, &'a str, &'a str)],
}

struct Page<'f> {
    img: RgbImage,
    ppm: f32,
    font: &'f FontVec,
    /// Horizontal advance of a glyph per pixel of font size (OCR-B is monospaced).
    advance: f32,
}

impl<'f> Page<'f> {
    fn new(
        font: &'f FontVec,
        w_mm: f32,
        h_mm: f32,
        ppm: f32,
        tint: [Rgb<u8>; 4],
        rng: &mut Rng,
    ) -> Self {
        let (w, h) = ((w_mm * ppm).round() as u32, (h_mm * ppm).round() as u32);
        // A 2x2 tint resized with a triangle filter: a smooth gradient at library speed.
        let mut small = RgbImage::new(2, 2);
        small.put_pixel(0, 0, tint[0]);
        small.put_pixel(1, 0, tint[1]);
        small.put_pixel(0, 1, tint[2]);
        small.put_pixel(1, 1, tint[3]);
        let img = imageops::resize(&small, w.max(1), h.max(1), imageops::FilterType::Triangle);
        let id = font.glyph_id('0');
        let advance = font.as_scaled(PxScale::from(100.0)).h_advance(id) / 100.0;
        let mut p = Self {
            img,
            ppm,
            font,
            advance: if advance > 0.0 { advance } else { 0.6 },
        };
        p.guilloche(rng, 0.0, h_mm * 0.72);
        p
    }

    fn px(&self, mm: f32) -> f32 {
        mm * self.ppm
    }

    /// Fine wavy lines in a light colour over the top part of the page (never behind the MRZ).
    fn guilloche(&mut self, rng: &mut Rng, y0_mm: f32, y1_mm: f32) {
        let w = self.img.width() as f32;
        let (y0, y1) = (self.px(y0_mm), self.px(y1_mm));
        let base = self.img.get_pixel(0, 0).0;
        let colour = Rgb([
            base[0].saturating_sub(28),
            base[1].saturating_sub(22),
            base[2].saturating_sub(12),
        ]);
        let n = 10 + rng.below(6);
        let step = 6.0;
        for k in 0..n {
            let yc = y0 + (y1 - y0) * (k as f32 + 0.5) / n as f32;
            let amp = rng.range(0.02, 0.06) * (y1 - y0);
            let period = rng.range(0.25, 0.6) * w;
            let phase = rng.range(0.0, std::f32::consts::TAU);
            let mut x = 0.0;
            let f = |x: f32| yc + amp * (x / period * std::f32::consts::TAU + phase).sin();
            while x < w {
                draw_line_segment_mut(&mut self.img, (x, f(x)), (x + step, f(x + step)), colour);
                x += step;
            }
        }
    }

    fn text(&mut self, x_mm: f32, y_mm: f32, em_mm: f32, colour: Rgb<u8>, s: &str) {
        let scale = PxScale::from(self.px(em_mm));
        let (x, y) = (self.px(x_mm).round() as i32, self.px(y_mm).round() as i32);
        draw_text_mut(&mut self.img, colour, x, y, scale, self.font, s);
    }

    fn width_mm(&self, em_mm: f32, s: &str) -> f32 {
        em_mm * self.advance * s.chars().count() as f32
    }

    /// Right-aligned text ending at `x_mm`.
    fn text_right(&mut self, x_mm: f32, y_mm: f32, em_mm: f32, colour: Rgb<u8>, s: &str) {
        let w = self.width_mm(em_mm, s);
        self.text(x_mm - w, y_mm, em_mm, colour, s);
    }

    /// Labels with their values below them: `(x_mm, y_mm, label, value)`, drawn in order.
    fn fields(&mut self, label_em: f32, value_em: f32, rows: &[(f32, f32, &str, &str)]) {
        for &(x_mm, y_mm, label, v) in rows {
            self.text(x_mm, y_mm, label_em, LABEL, label);
            self.text(x_mm, y_mm + label_em * 1.2, value_em, VALUE, v);
        }
    }

    /// A page drawn after `design`: background, header, portrait and fields. Returns the page and the portrait
    /// rectangle in pixels.
    fn data_side(
        font: &'f FontVec,
        ppm: f32,
        tint: [Rgb<u8>; 4],
        rng: &mut Rng,
        design: &DataSide<'_>,
    ) -> (Self, (u32, u32, u32, u32)) {
        let (w_mm, h_mm) = design.size_mm;
        let (title, country, margin, top, em) = design.header;
        let mut p = Page::new(font, w_mm, h_mm, ppm, tint, rng);
        p.text(margin, top, em, LABEL, title);
        p.text_right(w_mm - margin, top, em, LABEL, country);
        let rect = p.portrait(design.portrait_mm, design.photo, design.style);
        p.fields(design.ems.0, design.ems.1, design.fields);
        (p, rect)
    }

    /// MRZ lines at the ICAO pitch, starting at `x_mm`, line tops at `tops_mm`.
    fn mrz(&mut self, x_mm: f32, tops_mm: &[f32], lines: &[String]) {
        let em = MRZ_PITCH_MM / self.advance;
        for (line, &top) in lines.iter().zip(tops_mm) {
            self.text(x_mm, top, em, MRZ_INK, line);
        }
    }

    fn portrait(
        &mut self,
        rect_mm: (f32, f32, f32, f32),
        src: Option<&RgbImage>,
        style: PortraitStyle,
    ) -> (u32, u32, u32, u32) {
        let (x, y) = (self.px(rect_mm.0).round(), self.px(rect_mm.1).round());
        let (w, h) = (
            self.px(rect_mm.2).round().max(1.0) as u32,
            self.px(rect_mm.3).round().max(1.0) as u32,
        );
        let photo = match src {
            Some(src) => print_portrait(src, w, h, style),
            None => silhouette(w, h),
        };
        imageops::replace(&mut self.img, &photo, x as i64, y as i64);
        (x as u32, y as u32, w, h)
    }
}

/// Crops `src` to the aspect of `w × h` (centred), resizes it and applies the print style.
pub fn print_portrait(src: &RgbImage, w: u32, h: u32, style: PortraitStyle) -> RgbImage {
    let (sw, sh) = src.dimensions();
    let target = w as f32 / h.max(1) as f32;
    let (cw, ch) = if sw as f32 / sh.max(1) as f32 > target {
        (((sh as f32) * target).round() as u32, sh)
    } else {
        (sw, ((sw as f32) / target).round() as u32)
    };
    let (cw, ch) = (cw.clamp(1, sw.max(1)), ch.clamp(1, sh.max(1)));
    let cropped = imageops::crop_imm(src, (sw - cw) / 2, (sh - ch) / 2, cw, ch).to_image();
    let mut out = imageops::resize(&cropped, w, h, imageops::FilterType::Triangle);
    let c = style.contrast.clamp(0.1, 1.5);
    for p in out.pixels_mut() {
        let [r, g, b] = p.0;
        let tone = |v: f32| (128.0 + (v - 128.0) * c + 6.0).clamp(0.0, 255.0) as u8;
        *p = if style.grey {
            let l = tone(0.299 * r as f32 + 0.587 * g as f32 + 0.114 * b as f32);
            Rgb([l, l, l])
        } else {
            Rgb([tone(r as f32), tone(g as f32), tone(b as f32)])
        };
    }
    out
}

/// Placeholder portrait (head-and-shoulders silhouette) when no photo is given.
fn silhouette(w: u32, h: u32) -> RgbImage {
    let mut img = RgbImage::from_pixel(w, h, Rgb([200, 205, 210]));
    let (cx, wi, hi) = (w as i32 / 2, w as i32, h as i32);
    draw_filled_ellipse_mut(
        &mut img,
        (cx, hi),
        wi * 2 / 5,
        hi * 3 / 10,
        Rgb([120, 125, 130]),
    );
    draw_filled_ellipse_mut(
        &mut img,
        (cx, hi * 2 / 5),
        wi / 4,
        hi / 5,
        Rgb([150, 150, 155]),
    );
    img
}

const MONTHS_EN: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const MONTHS_FR: [&str; 12] = [
    "JAN", "FEV", "MARS", "AVR", "MAI", "JUIN", "JUIL", "AOUT", "SEPT", "OCT", "NOV", "DEC",
];

/// How dates are printed in the visual zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateStyle {
    /// `12 AUG 1974`.
    MonthName,
    /// `12 AUG/AOUT 1974`.
    Bilingual,
    /// `12.08.1974`.
    Dotted,
}

impl DateStyle {
    fn random(rng: &mut Rng) -> Self {
        match rng.below(3) {
            0 => DateStyle::MonthName,
            1 => DateStyle::Bilingual,
            _ => DateStyle::Dotted,
        }
    }

    /// The printed date.
    pub fn format(self, d: &Ymd) -> String {
        let m = (d.month.clamp(1, 12) - 1) as usize;
        match self {
            DateStyle::MonthName => format!("{:02} {} {}", d.day, MONTHS_EN[m], d.year),
            DateStyle::Bilingual => {
                format!("{:02} {}/{} {}", d.day, MONTHS_EN[m], MONTHS_FR[m], d.year)
            }
            DateStyle::Dotted => format!("{:02}.{:02}.{}", d.day, d.month, d.year),
        }
    }
}

fn pastel(rng: &mut Rng) -> [Rgb<u8>; 4] {
    let base = [
        rng.int(215, 245) as f32,
        rng.int(215, 245) as f32,
        rng.int(210, 240) as f32,
    ];
    let mut out = [Rgb([0, 0, 0]); 4];
    for c in &mut out {
        let d = rng.range(-10.0, 10.0);
        *c = Rgb(base.map(|v| (v + d).clamp(0.0, 255.0) as u8));
    }
    out
}

/// Renders every side of the document described by `truth` (passport: one data page; card:
/// front and back). `portrait` is the holder's photo (any size; it is cropped to the portrait
/// aspect), or `None` for a silhouette.
pub fn render_sides(
    font: &FontVec,
    truth: &Truth,
    portrait: Option<&RgbImage>,
    opts: &RenderOptions,
    rng: &mut Rng,
) -> Vec<FlatSide> {
    let dates = DateStyle::random(rng);
    let ppm = opts.px_per_mm.clamp(2.0, 40.0);
    let (birth, issue, expiry) = (
        dates.format(&truth.birth),
        dates.format(&truth.issue),
        dates.format(&truth.expiry),
    );
    let sex = truth.sex.to_string();
    match truth.kind {
        DocKind::Passport => {
            let tint = pastel(rng);
            let fields = [
                (44.0, 12.5, "Type", truth.mrz_fields.document_code.as_str()),
                (60.0, 12.5, "Code", &truth.issuing_state),
                (80.0, 12.5, "Passport No.", &truth.document_number),
                (44.0, 19.2, "Surname", &truth.surname),
                (44.0, 25.9, "Given names", &truth.given_names),
                (44.0, 32.6, "Nationality", &truth.nationality),
                (44.0, 39.3, "Date of birth", &birth),
                (96.0, 39.3, "Sex", &sex),
                (44.0, 46.0, "Date of issue", &issue),
                (44.0, 52.7, "Date of expiry", &expiry),
            ];
            let design = DataSide {
                size_mm: (125.0, 88.0),
                header: ("PASSPORT", &truth.country_name, 6.0, 3.0, 3.6),
                portrait_mm: (6.0, 14.0, 32.0, 41.0),
                photo: portrait,
                style: opts.portrait,
                ems: (2.1, 3.2),
                fields: &fields,
            };
            let (mut p, rect) = Page::data_side(font, ppm, tint, rng, &design);
            let x = (125.0 - 44.0 * MRZ_PITCH_MM) / 2.0;
            p.mrz(x, &[69.0, 76.0], &truth.mrz_lines);
            vec![FlatSide {
                side: SideKind::DataPage,
                image: p.img,
                portrait: Some(rect),
            }]
        }
        DocKind::IdCard => {
            let tint = pastel(rng);
            let fields = [
                (31.0, 8.5, "Surname", truth.surname.as_str()),
                (31.0, 14.7, "Given names", &truth.given_names),
                (31.0, 20.9, "Sex", &sex),
                (47.0, 20.9, "Nationality", &truth.nationality),
                (31.0, 27.1, "Date of birth", &birth),
                (31.0, 33.3, "Date of expiry", &expiry),
                (31.0, 39.5, "Document No.", &truth.document_number),
            ];
            let design = DataSide {
                size_mm: (85.6, 54.0),
                header: ("IDENTITY CARD", &truth.country_name, 4.0, 2.5, 2.8),
                portrait_mm: (4.0, 10.0, 24.0, 31.0),
                photo: portrait,
                style: opts.portrait,
                ems: (1.8, 2.8),
                fields: &fields,
            };
            let (f, rect) = Page::data_side(font, ppm, tint, rng, &design);
            let front = FlatSide {
                side: SideKind::Front,
                image: f.img,
                portrait: Some(rect),
            };
            let mut b = Page::new(font, 85.6, 54.0, ppm, tint, rng);
            b.fields(
                1.8,
                2.6,
                &[
                    (4.0, 4.0, "Date of issue", &issue),
                    (4.0, 10.5, "Authority", "MINISTRY OF INTERIOR"),
                ],
            );
            let x = (85.6 - 30.0 * MRZ_PITCH_MM) / 2.0;
            b.mrz(x, &[36.0, 41.0, 46.0], &truth.mrz_lines);
            let back = FlatSide {
                side: SideKind::Back,
                image: b.img,
                portrait: None,
            };
            vec![front, back]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_styles() {
        let d = Ymd {
            year: 1974,
            month: 8,
            day: 2,
        };
        assert_eq!(DateStyle::MonthName.format(&d), "02 AUG 1974");
        assert_eq!(DateStyle::Bilingual.format(&d), "02 AUG/AOUT 1974");
        assert_eq!(DateStyle::Dotted.format(&d), "02.08.1974");
    }

    #[test]
    fn portrait_print_is_grey_and_sized() {
        let src = RgbImage::from_fn(300, 200, |x, y| Rgb([x as u8, y as u8, 90]));
        let p = print_portrait(&src, 60, 80, PortraitStyle::default());
        assert_eq!(p.dimensions(), (60, 80));
        assert!(p.pixels().all(|q| q.0[0] == q.0[1] && q.0[1] == q.0[2]));
        let c = print_portrait(
            &src,
            60,
            80,
            PortraitStyle {
                grey: false,
                contrast: 1.0,
            },
        );
        assert!(c.pixels().any(|q| q.0[0] != q.0[2]));
    }
}
