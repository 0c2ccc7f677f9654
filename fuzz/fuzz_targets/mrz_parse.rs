//! Fuzz target: the MRZ parser, repair and text search must never panic on any bytes, and a
//! valid strict parse must re-render to lines that parse to the same fields.
//!
//! Run (stable toolchain): `RUSTC_BOOTSTRAP=1 cargo fuzz run mrz_parse -- -max_total_time=180`

#![no_main]

use kycd_mrz::{
    Date, ParseOptions, find_all_in_text, parse_with_options, parse_with_repair, render,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let opts = ParseOptions::with_reference_date(Date {
        year: 2026,
        month: 1,
        day: 1,
    });
    let lines: Vec<&str> = text.lines().collect();
    if let Ok(m) = parse_with_options(&lines, &opts) {
        let _ = m.document_data();
        let _ = m.issuing_country();
        if m.is_valid() && m.warnings.is_empty() {
            // Valid MRZs round-trip through the renderer (names are stored in canonical form).
            if let Ok(again) = render(&m.fields) {
                let refs: Vec<&str> = again.iter().map(|s| s.as_str()).collect();
                let m2 = parse_with_options(&refs, &opts).expect("rendered lines parse");
                assert_eq!(m2.fields, m.fields);
            }
        }
    }
    if lines.len() <= 3
        && let Ok(r) = parse_with_repair(&lines, &opts)
        && r.is_trusted()
    {
        assert!(r.mrz.is_valid(), "trusted repair must validate");
    }
    if data.len() <= 512 {
        let _ = find_all_in_text(&text, &opts);
    }
});
