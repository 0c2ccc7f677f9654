//! A rendered report is a valid PDF (`qpdf --check`) whose text is extractable (`pdftotext`) and which embeds the
//! images: checked with the real tools on a verification with every section filled.

use kycd_report::{ReportImage, ReportInput, render};
use kycd_store::VerificationRow;
use kycd_types::PartnerId;
use std::collections::BTreeMap;
use std::process::Command;

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn png_grey(w: u32, h: u32) -> Vec<u8> {
    let img = image::GrayImage::from_fn(w, h, |x, y| image::Luma([((x + y) % 256) as u8]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn input() -> ReportInput {
    let result = serde_json::json!({
        "final": true,
        "status": {"overall": "SUSPECTED", "autoDocument": "DOC_VALIDATED", "autoFace": "FACE_MATCH",
                   "manualDocument": null, "manualFace": null, "fraudTags": ["DUPLICATE_PERSONAL_DATA"],
                   "mismatchTags": [], "additionalSteps": null},
        "data": {"docFirstName": "ŽYDRŪNAS", "docLastName": "O'BRIEN (JR)", "docNumber": "LT1234567",
                 "docDob": "1985-03-02", "docNationality": "LT", "duplicateFaces": []},
        "AML": [{"status": {"overallStatus": "SUSPECTED"}, "serviceName": "AML_NAMES_CHECK",
                 "serviceGroupType": "AML", "errorMessage": null,
                 "data": [{"name": "JOHN", "surname": "EXAMPLE", "suspicion": "SANCTIONS", "reason": "OFAC SDN",
                           "score": 91, "listName": "OFAC SDN", "dob": "1970"}]}],
        "kycd": {"rules": [{"rule": "fraud.duplicate_personal_data", "produced": "DUPLICATE_PERSONAL_DATA",
                            "detail": "the document number was seen in another verification of the partner"}]},
        "finishTime": 1_800_000_100,
    });
    ReportInput {
        verification: VerificationRow {
            scan_ref: "3f0c1a52-9d2e-4b7a-8f61-0c2d9e4b7a11".into(),
            partner_id: PartnerId(1),
            client_id: "client-42".into(),
            auth_token: "t".into(),
            status: "SUSPECTED".into(),
            country: Some("LT".into()),
            document_type: Some("PASSPORT".into()),
            skip_analysis: false,
            images: BTreeMap::new(),
            precheck: None,
            result: Some(result),
            created_at: 1_800_000_000_000,
            finished_at: Some(1_800_000_004_000),
            deleted_at: None,
        },
        token: None,
        webhooks: vec![],
        images: vec![
            ReportImage {
                step: "FRONT".into(),
                mime: "image/jpeg".into(),
                bytes: jpeg(1200, 800),
            },
            ReportImage {
                step: "FACE".into(),
                mime: "image/jpeg".into(),
                bytes: jpeg(480, 640),
            },
            ReportImage {
                step: "PORTRAIT".into(),
                mime: "image/png".into(),
                bytes: png_grey(200, 260),
            },
            ReportImage {
                step: "UTILITY_BILL".into(),
                mime: "application/pdf".into(),
                bytes: b"%PDF-1.4".to_vec(),
            },
        ],
        generated_at: 1_800_000_200_000,
    }
}

/// Whether the program can be started (installed).
fn tool(name: &str) -> bool {
    Command::new(name).arg("-h").output().is_ok()
}

#[test]
fn report_is_a_valid_pdf_with_text_and_images() {
    let pdf = render(&input()).unwrap();
    assert!(pdf.starts_with(b"%PDF-1.7"));
    let doc = lopdf_check(&pdf);
    assert_eq!(
        doc, 3,
        "three images embedded (the PDF bill is named, not drawn)"
    );
    let dir = std::env::temp_dir().join(format!("kycd-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("r.pdf");
    std::fs::write(&path, &pdf).unwrap();
    assert!(
        tool("qpdf") && tool("pdftotext"),
        "qpdf and pdftotext are installed by scripts/setup.sh"
    );
    let check = Command::new("qpdf")
        .arg("--check")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "qpdf --check: {}",
        String::from_utf8_lossy(&check.stdout)
    );
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "3f0c1a52-9d2e-4b7a-8f61-0c2d9e4b7a11",
        "LT1234567",
        "ŽYDRUNAS",
        "O'BRIEN (JR)",
        "DUPLICATE_PERSONAL_DATA",
        "fraud.duplicate_personal_data",
        "OFAC SDN",
        "application/pdf file of 8 bytes",
        "Page 1 of",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The number of image XObjects in the PDF, parsed back with lopdf.
fn lopdf_check(pdf: &[u8]) -> usize {
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    doc.objects
        .values()
        .filter_map(|o| o.as_stream().ok())
        .filter(|s| {
            s.dict
                .get(b"Subtype")
                .and_then(|v| v.as_name())
                .is_ok_and(|n| n == b"Image")
        })
        .count()
}
