//! Every PDF of `shared/data/pdf` and `shared/data/bills` against its manifest ground truth, plus
//! PDFs written here with lopdf-free hand-made bytes and fuzz-style malformed inputs.

use kycd_pdf::{ImageFormat, PdfDocument, PdfError};

fn data(rel: &str) -> Vec<u8> {
    let p = format!("{}/../../../shared/data/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// (file, encrypted, needs a user password) from shared/data/pdf/manifest.json.
const ENCRYPTION: &[(&str, bool, bool)] = &[
    ("pdf/pypdf/unencrypted.pdf", false, false),
    ("pdf/pypdf/r2-empty-password.pdf", true, false),
    ("pdf/pypdf/r2-owner-password.pdf", true, false),
    ("pdf/pypdf/r2-user-password.pdf", true, true),
    ("pdf/pypdf/r3-user-password.pdf", true, true),
    ("pdf/pypdf/r4-user-password.pdf", true, true),
    ("pdf/pypdf/r4-owner-password.pdf", true, false),
    ("pdf/pypdf/r4-aes-user-password.pdf", true, true),
    ("pdf/pypdf/r5-user-password.pdf", true, true),
    ("pdf/pypdf/r6-empty-password.pdf", true, false),
    ("pdf/pypdf/r6-user-password.pdf", true, true),
    ("pdf/pypdf/r6-owner-password.pdf", true, false),
    ("pdf/pypdf/r6-both-passwords.pdf", true, true),
    ("pdf/mindee/XfaForm_15p_encrypted.pdf", true, false),
    ("bills/mindee/energy_bill_fra__edf_sample.pdf", false, false),
];

#[test]
fn manifest_lists_exactly_these_pdfs() {
    let m: String = String::from_utf8(data("pdf/manifest.json")).expect("utf8");
    let listed = m.matches("\"file\":").count();
    assert_eq!(
        listed,
        ENCRYPTION.len() - 1,
        "pdf/manifest.json changed: update the table"
    );
    for (f, ..) in ENCRYPTION.iter().filter(|(f, ..)| f.starts_with("pdf/")) {
        assert!(
            m.contains(&format!("\"{}\"", &f[4..])),
            "{f} not in manifest"
        );
    }
}

#[test]
fn encryption_matches_the_manifest() {
    for &(f, enc, needs) in ENCRYPTION {
        let bytes = data(f);
        assert_eq!(
            kycd_pdf::is_encrypted(&bytes).expect(f),
            enc,
            "{f} encrypted"
        );
        assert_eq!(
            kycd_pdf::requires_password(&bytes).expect(f),
            needs,
            "{f} needs password"
        );
        if needs {
            assert!(
                matches!(
                    kycd_pdf::page_count(&bytes),
                    Err(PdfError::PasswordRequired)
                ),
                "{f}"
            );
            assert!(
                matches!(
                    kycd_pdf::first_page_text(&bytes),
                    Err(PdfError::PasswordRequired)
                ),
                "{f}"
            );
        }
    }
}

#[test]
fn readable_pdfs_have_their_pages_and_text() {
    // The pypdf samples: one page reading "pdf encryption test" / "password: asdfzxcv".
    for &(f, _, needs) in ENCRYPTION
        .iter()
        .filter(|(f, ..)| f.starts_with("pdf/pypdf/"))
    {
        if needs {
            continue;
        }
        let bytes = data(f);
        assert_eq!(kycd_pdf::page_count(&bytes).expect(f), 1, "{f}");
        let text = kycd_pdf::first_page_text(&bytes).expect(f);
        assert!(text.contains("pdf encryption test"), "{f}: {text:?}");
        assert!(text.contains("asdfzxcv"), "{f}: {text:?}");
    }
    let xfa = data("pdf/mindee/XfaForm_15p_encrypted.pdf");
    assert_eq!(kycd_pdf::page_count(&xfa).expect("xfa"), 15);
    let text = kycd_pdf::first_page_text(&xfa).expect("xfa text");
    assert!(text.contains("Page 1/15"), "{text:?}");

    let edf = data("bills/mindee/energy_bill_fra__edf_sample.pdf");
    assert_eq!(kycd_pdf::page_count(&edf).expect("edf"), 3);
    let text = kycd_pdf::first_page_text(&edf).expect("edf text");
    for needle in [
        "JOHN DOE",
        "123 RUE DE L’IMAGINAIRE",
        "75001 PARIS",
        "12 AVENUE DES RÊVES",
        "29/01/2021",
    ] {
        assert!(
            text.lines().any(|l| l.contains(needle)),
            "{needle} missing in {text}"
        );
    }
    // The two address columns stay separate lines.
    assert!(text.lines().any(|l| l.trim() == "75001 PARIS"), "{text}");
    let all = kycd_pdf::all_text(&edf, 3).expect("all");
    assert_eq!(all.matches('\x0c').count(), 2);
    assert!(all.len() > text.len());
}

#[test]
fn edf_page1_has_no_large_raster() {
    let edf = data("bills/mindee/energy_bill_fra__edf_sample.pdf");
    let doc = PdfDocument::parse(&edf).expect("parse");
    if let Some(img) = doc.page_image(1).expect("image") {
        // Only decorations: a logo, far from covering the page.
        assert!(img.page_coverage < 0.3, "{img:?}");
        let rgb = kycd_pdf::decode_embedded(&img).expect("decodes");
        assert_eq!((rgb.width(), rgb.height()), (img.width, img.height));
        assert!(matches!(img.format, ImageFormat::Jpeg | ImageFormat::Png));
    }
}

#[test]
fn render_first_page_when_pdftoppm_is_installed() {
    let bytes = data("pdf/pypdf/unencrypted.pdf");
    match kycd_pdf::render_first_page(&bytes, 72) {
        Ok(img) => {
            // US Letter or A4 at 72 dpi.
            assert!(
                (590..=620).contains(&img.width()),
                "{}x{}",
                img.width(),
                img.height()
            );
            assert!(img.pixels().any(|p| p.0[0] < 128), "blank rendering");
        }
        Err(PdfError::RendererMissing(_)) => {
            assert!(!kycd_pdf::renderer_available());
            eprintln!("pdftoppm missing: run scripts/setup.sh (poppler-utils)");
        }
        Err(e) => panic!("{e}"),
    }
    let locked = data("pdf/pypdf/r6-user-password.pdf");
    assert!(matches!(
        kycd_pdf::render_first_page(&locked, 72),
        Err(PdfError::PasswordRequired)
    ));
}

#[test]
fn truncated_and_corrupted_files_give_errors_not_panics() {
    for (f, ..) in ENCRYPTION {
        let bytes = data(f);
        for cut in [
            10usize,
            100,
            1000,
            bytes.len() / 3,
            bytes.len() / 2,
            bytes.len() - 10,
        ] {
            let b = &bytes[..cut.min(bytes.len())];
            if let Ok(d) = PdfDocument::parse(b)
                && let Ok(n) = d.page_count()
                && n > 0
            {
                let _ = d.page_content(1);
                let _ = d.page_image(1);
            }
        }
        // Flip bytes across the file.
        let mut b = bytes.clone();
        let step = (b.len() / 97).max(1);
        for i in (0..b.len()).step_by(step) {
            b[i] ^= 0x5A;
        }
        if let Ok(d) = PdfDocument::parse(&b) {
            let _ = d.page_content(1);
            let _ = d.page_image(1);
        }
    }
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn seed() -> Vec<u8> {
        data("pdf/pypdf/unencrypted.pdf")
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn random_bytes(mut body in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let mut b = b"%PDF-1.7\n".to_vec();
            b.append(&mut body);
            if let Ok(d) = PdfDocument::parse(&b)
                && d.page_count().unwrap_or(0) > 0
            {
                let _ = d.page_content(1);
                let _ = d.page_image(1);
            }
        }

        #[test]
        fn corrupted_real_file(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..16), cut in any::<usize>()) {
            let mut b = seed();
            for (i, v) in edits {
                let n = b.len();
                b[i % n] = v;
            }
            let keep = 9 + cut % (b.len() - 9);
            b.truncate(keep);
            if let Ok(d) = PdfDocument::parse(&b)
                && d.page_count().unwrap_or(0) > 0
            {
                let _ = d.page_content(1);
                let _ = d.page_image(1);
            }
        }
    }
}

mod embedded {
    use super::*;
    use lopdf::content::{Content, Operation};
    use lopdf::{Document, Object, Stream, dictionary};

    /// One page showing `images` (name, stream) side by side, drawn at `(w, h)` points each.
    fn pdf_with_images(images: Vec<(&str, Stream, f32, f32)>) -> Vec<u8> {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let mut xobjects = lopdf::Dictionary::new();
        let mut ops = Vec::new();
        let mut x = 0.0f32;
        for (name, stream, w, h) in images {
            let id = doc.add_object(stream);
            xobjects.set(name, id);
            ops.push(Operation::new("q", vec![]));
            ops.push(Operation::new(
                "cm",
                vec![w.into(), 0.into(), 0.into(), h.into(), x.into(), 0.into()],
            ));
            ops.push(Operation::new(
                "Do",
                vec![Object::Name(name.as_bytes().to_vec())],
            ));
            ops.push(Operation::new("Q", vec![]));
            x += w;
        }
        let content = Content { operations: ops };
        let content_id = doc.add_object(Stream::new(
            dictionary! {},
            content.encode().expect("encode"),
        ));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
            "Resources" => dictionary! { "XObject" => xobjects },
            "MediaBox" => vec![0.into(), 0.into(), 600.into(), 800.into()],
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(
                dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 },
            ),
        );
        let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog_id);
        let mut out = Vec::new();
        doc.save_to(&mut out).expect("save");
        out
    }

    fn raw_rgb(w: u32, h: u32) -> (Vec<u8>, Stream) {
        let mut px = Vec::new();
        for y in 0..h {
            for x in 0..w {
                px.extend_from_slice(&[(x * 7) as u8, (y * 5) as u8, 200]);
            }
        }
        let mut s = Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Image", "Width" => i64::from(w), "Height" => i64::from(h),
                "ColorSpace" => "DeviceRGB", "BitsPerComponent" => 8,
            },
            px.clone(),
        );
        s.compress().expect("flate");
        (px, s)
    }

    fn jpeg_stream(w: u32, h: u32) -> (Vec<u8>, Stream) {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 255) as u8, (y % 255) as u8, 90])
        });
        let mut bytes = Vec::new();
        img.write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Jpeg,
        )
        .expect("jpeg");
        let s = Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Image", "Width" => i64::from(w), "Height" => i64::from(h),
                "ColorSpace" => "DeviceRGB", "BitsPerComponent" => 8, "Filter" => "DCTDecode",
            },
            bytes.clone(),
        );
        (bytes, s)
    }

    #[test]
    fn flate_rgb_becomes_a_lossless_png() {
        let (px, s) = raw_rgb(40, 30);
        let pdf = pdf_with_images(vec![("Im1", s, 600.0, 800.0)]);
        let img = PdfDocument::parse(&pdf)
            .expect("parse")
            .page_image(1)
            .expect("ok")
            .expect("image");
        assert_eq!(
            (img.format, img.width, img.height),
            (ImageFormat::Png, 40, 30)
        );
        assert!(img.page_coverage > 0.99, "{}", img.page_coverage);
        let rgb = kycd_pdf::decode_embedded(&img).expect("decode");
        assert_eq!(rgb.as_raw(), &px);
        // No text on an image-only page.
        assert!(kycd_pdf::first_page_text(&pdf).expect("text").is_empty());
    }

    #[test]
    fn largest_image_wins_and_jpeg_bytes_are_kept() {
        let (jpg, js) = jpeg_stream(120, 90);
        let (_, small) = raw_rgb(20, 20);
        let pdf = pdf_with_images(vec![
            ("Small", small, 50.0, 50.0),
            ("Big", js, 500.0, 700.0),
        ]);
        let (bytes, fmt) = kycd_pdf::first_page_image(&pdf)
            .expect("ok")
            .expect("image");
        assert_eq!(fmt, ImageFormat::Jpeg);
        assert_eq!(bytes, jpg);
    }

    #[test]
    fn raster_is_the_covering_scan_else_the_rendered_page() {
        let (px, s) = raw_rgb(40, 30);
        let scan = pdf_with_images(vec![("Im1", s, 600.0, 800.0)]);
        let r = kycd_pdf::first_page_raster(&scan, 150, 40_000_000).expect("scan");
        assert_eq!(r.source, kycd_pdf::RasterSource::Embedded);
        assert_eq!(r.image.as_raw(), &px);
        // A logo on an otherwise empty page: the page is rendered when the renderer is there.
        let (_, logo) = raw_rgb(20, 20);
        let page = pdf_with_images(vec![("Logo", logo, 50.0, 50.0)]);
        let r = kycd_pdf::first_page_raster(&page, 72, 40_000_000).expect("page");
        if kycd_pdf::renderer_available() {
            assert_eq!(r.source, kycd_pdf::RasterSource::Rendered);
            assert_eq!((r.image.width(), r.image.height()), (600, 800));
        } else {
            assert_eq!(r.source, kycd_pdf::RasterSource::Embedded);
            assert_eq!((r.image.width(), r.image.height()), (20, 20));
        }
        // Over the pixel budget: refused, whether embedded (40x30) or rendered (600x800 at 72 dpi).
        for (pdf, budget) in [(&scan, 1_000), (&page, 100_000)] {
            assert!(matches!(
                kycd_pdf::first_page_raster(pdf, 72, budget),
                Err(PdfError::ImageTooLarge { .. })
            ));
        }
        let locked = data("pdf/pypdf/r6-user-password.pdf");
        assert!(matches!(
            kycd_pdf::first_page_raster(&locked, 72, 40_000_000),
            Err(PdfError::PasswordRequired)
        ));
    }

    #[test]
    fn oversized_image_is_refused_before_decompression() {
        let (_, mut s) = raw_rgb(10, 10);
        s.dict.set("Width", 100_000);
        s.dict.set("Height", 100_000);
        let pdf = pdf_with_images(vec![("Bomb", s, 600.0, 800.0)]);
        assert!(matches!(
            kycd_pdf::first_page_image(&pdf),
            Err(PdfError::ImageTooLarge { .. })
        ));
    }
}
