//! Synthetic bills for the tests: the same bill as a text PDF (lopdf, Helvetica), as a page image
//! (DejaVu Sans from Debian's fonts-dejavu-core), as a scanned PDF embedding that image as JPEG,
//! and as a photo-like image (rotated, blurred, noisy, JPEG-compressed).
#![allow(dead_code)]

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::OnceLock;

use ab_glyph::{FontVec, PxScale};
use image::{Rgb, RgbImage};
use imageproc::drawing::draw_text_mut;
use imageproc::geometric_transformations::{Border, Interpolation, rotate_about_center};
use kycd_vision::{EngineConfig, OcrEngine};
use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};

pub fn data(rel: &str) -> Vec<u8> {
    let p = format!("{}/../../../shared/data/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

pub fn models_dir() -> PathBuf {
    std::env::var_os("KYCD_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models")))
}

/// The OCR engine, loaded once per test binary. Missing models FAIL the test (run scripts/setup.sh).
pub fn engine() -> &'static OcrEngine {
    static E: OnceLock<OcrEngine> = OnceLock::new();
    E.get_or_init(|| {
        let cfg = EngineConfig::new(models_dir());
        OcrEngine::load(&cfg).unwrap_or_else(|e| {
            panic!(
                "OCR models are required ({e}); run scripts/setup.sh (models dir {})",
                cfg.models_dir.display()
            )
        })
    })
}

/// One line of a synthetic bill: text, x and y in points on an A4 page (595 x 842, y downwards),
/// font size in points.
pub struct Line {
    pub text: String,
    pub x: f32,
    pub y: f32,
    pub size: f32,
}

pub struct SynthBill {
    pub issuer: String,
    pub holder: String,
    pub street: String,
    pub city_line: String,
    pub issue_date: String,
    pub lines: Vec<Line>,
}

fn l(text: &str, x: f32, y: f32, size: f32) -> Line {
    Line {
        text: text.to_string(),
        x,
        y,
        size,
    }
}

/// A US-style electricity bill: issuer letterhead with its own PO box address top-left, the holder
/// in the window on the right, a statement date and a due date.
pub fn us_bill() -> SynthBill {
    let mut b = SynthBill {
        issuer: "Nordvolt Energy Inc".into(),
        holder: "ANNA KOWALSKA".into(),
        street: "42 WILLOW LANE APT 7".into(),
        city_line: "SPRINGFIELD, IL 62704".into(),
        issue_date: "2026-03-03".into(),
        lines: Vec::new(),
    };
    b.lines = vec![
        l(&b.issuer, 50.0, 60.0, 22.0),
        l("Customer Service Department", 50.0, 95.0, 10.0),
        l("PO Box 7781", 50.0, 109.0, 10.0),
        l("Riverton, OH 45001", 50.0, 123.0, 10.0),
        l(&b.holder, 330.0, 170.0, 12.0),
        l(&b.street, 330.0, 186.0, 12.0),
        l(&b.city_line, 330.0, 202.0, 12.0),
        l("Statement date: March 3, 2026", 50.0, 260.0, 11.0),
        l("Account number: 5531-2290-17", 50.0, 276.0, 11.0),
        l("Billing period: 01/28/2026 - 02/27/2026", 50.0, 292.0, 11.0),
        l("Amount due: $128.40", 50.0, 330.0, 14.0),
        l("Due date: 03/24/2026", 50.0, 350.0, 11.0),
        l("Thank you for choosing Nordvolt.", 50.0, 420.0, 10.0),
    ];
    b
}

/// A European bill (Lithuanian-style address, day-first dates, diacritics).
pub fn eu_bill() -> SynthBill {
    let mut b = SynthBill {
        issuer: "Baltvandenys UAB".into(),
        holder: "Jonas Petrauskas".into(),
        street: "Gedimino pr. 15-3".into(),
        city_line: "LT-01103 Vilnius".into(),
        issue_date: "2026-02-10".into(),
        lines: Vec::new(),
    };
    b.lines = vec![
        l(&b.issuer, 50.0, 60.0, 20.0),
        l("Klientu aptarnavimas, tel. 8 700 12345", 50.0, 92.0, 9.0),
        l(&b.holder, 50.0, 160.0, 12.0),
        l(&b.street, 50.0, 176.0, 12.0),
        l(&b.city_line, 50.0, 192.0, 12.0),
        l("Lithuania", 50.0, 208.0, 12.0),
        l("Invoice date: 10/02/2026", 330.0, 160.0, 11.0),
        l("Invoice no. 2026-000417", 330.0, 176.0, 11.0),
        l("Water supply 01/01/2026 - 31/01/2026", 50.0, 280.0, 11.0),
        l("Total to pay: 23,17 EUR", 50.0, 300.0, 13.0),
        l("Pay by: 28/02/2026", 50.0, 318.0, 11.0),
    ];
    b
}

/// The bill as a text PDF (Helvetica, WinAnsi).
pub fn text_pdf(b: &SynthBill) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    });
    let mut ops = Vec::new();
    for line in &b.lines {
        ops.push(Operation::new("BT", vec![]));
        ops.push(Operation::new("Tf", vec!["F1".into(), line.size.into()]));
        ops.push(Operation::new(
            "Td",
            vec![line.x.into(), (842.0 - line.y - line.size).into()],
        ));
        ops.push(Operation::new(
            "Tj",
            vec![Object::string_literal(line.text.as_str())],
        ));
        ops.push(Operation::new("ET", vec![]));
    }
    a4_pdf(doc, ops, resources_id.into())
}

/// Saves `doc` with one A4 page drawing `ops` with `resources`.
fn a4_pdf(mut doc: Document, ops: Vec<Operation>, resources: Object) -> Vec<u8> {
    let pages_id = doc.new_object_id();
    let content = Content { operations: ops };
    let content_id = doc.add_object(Stream::new(
        dictionary! {},
        content.encode().expect("encode"),
    ));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
        "Resources" => resources,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![page_id.into()],
            "Count" => 1,
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save");
    out
}

fn font() -> &'static FontVec {
    static F: OnceLock<FontVec> = OnceLock::new();
    F.get_or_init(|| {
        let p = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
        let bytes = std::fs::read(p)
            .unwrap_or_else(|e| panic!("{p}: {e} (install fonts-dejavu-core: scripts/setup.sh)"));
        FontVec::try_from_vec(bytes).expect("font")
    })
}

/// The bill rendered at `dpi` on white.
pub fn render(b: &SynthBill, dpi: f32) -> RgbImage {
    let k = dpi / 72.0;
    let (w, h) = ((595.0 * k) as u32, (842.0 * k) as u32);
    let mut img = RgbImage::from_pixel(w, h, Rgb([255, 255, 255]));
    for line in &b.lines {
        draw_text_mut(
            &mut img,
            Rgb([20, 20, 30]),
            (line.x * k) as i32,
            (line.y * k) as i32,
            PxScale::from(line.size * k * 1.3),
            font(),
            &line.text,
        );
    }
    img
}

pub fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(Cursor::new(&mut out), quality);
    img.write_with_encoder(enc).expect("jpeg");
    out
}

pub fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}

/// A PDF page (A4) showing one JPEG over the whole page, like a scanner's output.
pub fn scanned_pdf(jpeg_bytes: &[u8], w: u32, h: u32) -> Vec<u8> {
    image_pdf(jpeg_bytes, w, h, 595.0, 842.0)
}

/// A PDF page (A4) showing one JPEG at the top-left, drawn `dw` x `dh` points.
pub fn image_pdf(jpeg_bytes: &[u8], w: u32, h: u32, dw: f32, dh: f32) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let img_id = doc.add_object(Stream::new(
        dictionary! {
            "Type" => "XObject",
            "Subtype" => "Image",
            "Width" => i64::from(w),
            "Height" => i64::from(h),
            "ColorSpace" => "DeviceRGB",
            "BitsPerComponent" => 8,
            "Filter" => "DCTDecode",
        },
        jpeg_bytes.to_vec(),
    ));
    let ops = vec![
        Operation::new("q", vec![]),
        Operation::new(
            "cm",
            vec![
                dw.into(),
                0.into(),
                0.into(),
                dh.into(),
                0.into(),
                (842.0 - dh).into(),
            ],
        ),
        Operation::new("Do", vec!["Im1".into()]),
        Operation::new("Q", vec![]),
    ];
    let resources = dictionary! { "XObject" => dictionary! { "Im1" => img_id } };
    a4_pdf(doc, ops, resources.into())
}

/// A photo-like version: slight rotation, grey paper, blur, deterministic noise, JPEG q70.
pub fn photo_like(img: &RgbImage) -> Vec<u8> {
    let rotated = rotate_about_center(
        img,
        2.5f32.to_radians(),
        Interpolation::Bilinear,
        Border::Constant(Rgb([255, 255, 255])),
    );
    let blurred = imageproc::filter::gaussian_blur_f32(&rotated, 0.8);
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut noisy = blurred;
    for p in noisy.pixels_mut() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let n = (state % 25) as i16 - 12;
        for c in 0..3 {
            let shade = i16::from(p.0[c]) * 88 / 100 + 12 + n;
            p.0[c] = shade.clamp(0, 255) as u8;
        }
    }
    jpeg(&noisy, 70)
}
