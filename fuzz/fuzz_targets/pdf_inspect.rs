//! Fuzz target: PDF inspection of untrusted bytes, everything pure Rust (no `pdftoppm`).
//!
//! - The API's check of a submitted PDF (`kycd_api::media::inspect_decoded`: format sniffing, then
//!   `pdf_is_encrypted`, a full `lopdf` load).
//! - `kycd_pdf::PdfDocument::parse_with` under small limits, then encryption / password state, page count, the
//!   positioned text and page size of the first pages, the first page's largest raster image (pixel limit) and its
//!   decoding.
//!
//! `kycd-pdf` catches panics of the PDF library (`guarded`) and reports them as `PdfError::ParserPanic`. libFuzzer's
//! panic hook would abort on those caught panics too, so the hook installed here lets a panic *located in a
//! registry dependency* (lopdf, image, ...) unwind to that `catch_unwind` (it is counted and printed, not a
//! crash); a panic anywhere else (kycd code, the standard library) still aborts, as does any panic that escapes.
//!
//! Run: `scripts/fuzz.sh 300 pdf_inspect` (or `RUSTC_BOOTSTRAP=1 cargo fuzz run pdf_inspect` in `fuzz/`).

#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use kycd_api::media::{self, MediaError, MediaKind};
use kycd_pdf::{Limits, PdfDocument, PdfError, decode_embedded};
use libfuzzer_sys::fuzz_target;

const MAX_PIXELS: u64 = 1 << 20;

static CAUGHT_DEP_PANICS: AtomicU64 = AtomicU64::new(0);

fn limits() -> Limits {
    Limits {
        max_input_bytes: 4 << 20,
        max_stream_bytes: 8 << 20,
        max_image_pixels: MAX_PIXELS,
        max_content_ops: 200_000,
        max_text_runs: 20_000,
        max_form_depth: 6,
        render_timeout: Duration::from_secs(5),
    }
}

/// Lets panics raised inside crates.io dependencies unwind (kycd-pdf catches them); all others abort.
fn install_panic_hook() {
    let abort_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let file = info.location().map(|l| l.file()).unwrap_or("");
        if file.contains("/.cargo/registry/") {
            let n = CAUGHT_DEP_PANICS.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                eprintln!(
                    "pdf_inspect: dependency panic #{n} (left to kycd-pdf's catch_unwind): {info}"
                );
            }
            return;
        }
        abort_hook(info);
    }));
}

fuzz_target!(init: install_panic_hook(), |data: &[u8]| {
    // The API's rule 11 for a file sniffed as PDF.
    if media::sniff(data) == Some(MediaKind::Pdf) {
        match media::inspect_decoded(data.to_vec(), MAX_PIXELS) {
            Ok((_, kind)) => assert_eq!(kind, MediaKind::Pdf),
            Err(MediaError::EncryptedPdf | MediaError::MalformedPdf) => {}
            Err(e) => panic!("unexpected error for a PDF: {e:?}"),
        }
    }

    let lim = limits();
    let doc = match PdfDocument::parse_with(data, lim.clone()) {
        Ok(d) => d,
        Err(_) => return,
    };
    if doc.requires_password() {
        assert!(doc.is_encrypted(), "needs a password but is not encrypted");
        assert!(matches!(doc.page_count(), Err(PdfError::PasswordRequired)));
        assert!(matches!(doc.page_text(1), Err(PdfError::PasswordRequired)));
        return;
    }
    let pages = doc.page_count().expect("readable document has a page count");
    for p in 0..=pages.min(2) as u32 + 1 {
        let in_range = p >= 1 && p as usize <= pages;
        let content = doc.page_content(p);
        let _ = doc.page_text(p);
        let size = doc.page_size(p);
        if !in_range {
            assert!(content.is_err() && size.is_err(), "page {p} of {pages} read");
            continue;
        }
        if let Ok(c) = content {
            assert!(c.lines.len() <= lim.max_text_runs);
        }
    }
    match doc.page_image(1) {
        Ok(Some(img)) => {
            assert!(u64::from(img.width) * u64::from(img.height) <= MAX_PIXELS);
            assert!((0.0..=1.0).contains(&img.page_coverage), "{}", img.page_coverage);
            if let Ok(rgb) = decode_embedded(&img) {
                // The pixel limit was checked on extraction (for a JPEG, against its own header).
                assert!(u64::from(rgb.width()) * u64::from(rgb.height()) <= MAX_PIXELS);
            }
        }
        Ok(None) => {}
        Err(PdfError::ImageTooLarge { width, height, limit }) => {
            assert_eq!(limit, MAX_PIXELS);
            assert!(width.saturating_mul(height) > MAX_PIXELS);
        }
        Err(_) => {}
    }
});
