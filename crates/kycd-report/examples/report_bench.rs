//! Report generation time on real images (the measurement of `bench/README.md`): a verification with a 1300×1002
//! passport photo (FRONT), a 910×1137 selfie (FACE) and a PNG portrait crop, rendered `N` times (default 50).
//!
//! `cargo run --release -p kycd-report --example report_bench -- [N] [OUT.pdf]` prints p50/p95/max in ms and the
//! PDF size, and writes the last report to OUT.pdf when given.

use kycd_report::{ReportImage, ReportInput, render};
use kycd_store::VerificationRow;
use kycd_types::PartnerId;
use std::collections::BTreeMap;
use std::time::Instant;

fn data(rel: &str) -> Vec<u8> {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/");
    std::fs::read(format!("{p}{rel}")).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(50)
        .max(1);
    let out = args.next();
    let front = data("documents/ultimatemrz/Czech_passport_2005_MRZ_orient3_1300x1002.jpg");
    let face = data("faces/face_recognition/obama.jpg");
    let portrait = {
        let img = image::load_from_memory(&face)
            .expect("face decodes")
            .thumbnail(240, 300);
        let mut b = std::io::Cursor::new(Vec::new());
        img.write_to(&mut b, image::ImageFormat::Png).expect("png");
        b.into_inner()
    };
    let result = serde_json::json!({
        "final": true,
        "status": {"overall": "APPROVED", "autoDocument": "DOC_VALIDATED", "autoFace": "FACE_MATCH",
                   "fraudTags": [], "mismatchTags": []},
        "data": {"docFirstName": "JAN", "docLastName": "SPECIMEN", "docNumber": "99009054", "docDob": "1965-01-01",
                 "docExpiry": "2015-01-01", "docNationality": "CZ", "docType": "PASSPORT"},
        "AML": [{"status": {"overallStatus": "NOT_SUSPECTED"}, "serviceName": "AML_NAMES_CHECK",
                 "serviceGroupType": "AML", "data": []}],
        "kycd": {"rules": [{"rule": "document.mrz_valid", "produced": "DOC_VALIDATED", "detail": "every check digit holds"}]},
        "finishTime": 1_800_000_100,
    });
    let input = ReportInput {
        verification: VerificationRow {
            scan_ref: "bench-0000-0000".into(),
            partner_id: PartnerId(1),
            client_id: "bench".into(),
            auth_token: "t".into(),
            status: "APPROVED".into(),
            country: Some("CZ".into()),
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
                bytes: front,
            },
            ReportImage {
                step: "FACE".into(),
                mime: "image/jpeg".into(),
                bytes: face,
            },
            ReportImage {
                step: "PORTRAIT".into(),
                mime: "image/png".into(),
                bytes: portrait,
            },
        ],
        generated_at: 1_800_000_200_000,
    };
    let mut ms = Vec::with_capacity(n);
    let mut pdf = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        pdf = render(&input).expect("report renders");
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
    println!(
        "report render: n={n} p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms; {} bytes",
        pct(0.5),
        pct(0.95),
        ms[ms.len() - 1],
        pdf.len()
    );
    if let Some(path) = out {
        std::fs::write(&path, &pdf).expect("write the report");
    }
}
