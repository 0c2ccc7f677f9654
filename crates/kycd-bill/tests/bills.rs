//! Bills of `shared/data/bills` against their README/manifest ground truth, and synthetic bills
//! (text PDF, scanned PDF, photo). Needs the OCR models (`scripts/setup.sh`); without them the
//! OCR tests FAIL.

mod support;

use chrono::NaiveDate;
use kycd_bill::{BillSource, ExpectedFields, FieldStatus, StepStatus, compare, extract};
use support::*;

struct Truth {
    file: &'static str,
    mime: &'static str,
    name: &'static str,
    address: &'static str,
    issuer_words: &'static [&'static str],
}

/// Recipient addresses from shared/data/bills/manifest.json (`ground_truth.recipient_address.lines`).
const BILLS: &[Truth] = &[
    Truth {
        file: "bills/mindee/proof_of_address__ppl_electric_sample.jpg",
        mime: "image/jpeg",
        name: "CUSTOMER",
        address: "123 MAIN ST, ANYTOWN, PA 18062",
        issuer_words: &["ppl"],
    },
    Truth {
        file: "bills/mindee/energy_bill_fra__edf_sample.pdf",
        mime: "application/pdf",
        name: "JOHN DOE",
        address: "123 RUE DE L’IMAGINAIRE, 75001 PARIS",
        issuer_words: &["edf", "fictiocorp"],
    },
    Truth {
        file: "bills/mindee/proof_address__turnpike_invoice.jpg",
        mime: "image/jpeg",
        name: "Jiro Doi",
        address: "1954 Bloor Street West, Toronto, ON, M6P 3K9, Canada",
        issuer_words: &["turnpike"],
    },
    Truth {
        file: "bills/mindee/us_mail__envelope.jpg",
        mime: "image/jpeg",
        name: "Jane Doe",
        address: "1234 Market Street PMB 4321, Detroit, Michigan 12345",
        issuer_words: &["company zed"],
    },
];

/// Expected fields with an address only.
fn only_address(address: &str) -> ExpectedFields {
    ExpectedFields {
        address: Some(address.into()),
        ..Default::default()
    }
}

#[test]
fn manifest_and_table_agree() {
    let m = String::from_utf8(data("bills/manifest.json")).expect("utf8");
    assert_eq!(m.matches("\"file\":").count(), BILLS.len());
    for b in BILLS {
        assert!(
            m.contains(&format!("\"{}\"", &b.file["bills/".len()..])),
            "{}",
            b.file
        );
    }
}

#[test]
fn shared_bills_true_address_matches_and_others_do_not() {
    let mut name_ok = 0;
    let mut issuer_ok = 0;
    for (i, b) in BILLS.iter().enumerate() {
        let bytes = data(b.file);
        let ex = extract(&bytes, b.mime, engine()).unwrap_or_else(|e| panic!("{}: {e}", b.file));
        eprintln!(
            "{}: {:?} address={:?} name={:?} date={:?} issuer={:?} ({} ms)",
            b.file,
            ex.source,
            ex.manual_address(),
            ex.holder_name.as_ref().map(|n| &n.value),
            ex.issue_date.as_ref().map(|d| d.date),
            ex.issuer.as_ref().map(|n| &n.value),
            ex.elapsed_ms
        );
        let own = compare(&ex, &only_address(b.address));
        assert_eq!(
            own.address.status,
            FieldStatus::Match,
            "{}: {:?}",
            b.file,
            own.address
        );
        assert_eq!(own.status, StepStatus::Valid, "{}", b.file);
        let other = &BILLS[(i + 1) % BILLS.len()];
        let wrong = compare(&ex, &only_address(other.address));
        assert_eq!(
            wrong.address.status,
            FieldStatus::NotMatch,
            "{} vs {}",
            b.file,
            other.file
        );
        assert_eq!(wrong.status, StepStatus::Invalid);
        let named = compare(
            &ex,
            &ExpectedFields {
                full_name: Some(b.name.into()),
                ..Default::default()
            },
        );
        if named.name.status == FieldStatus::Match {
            name_ok += 1;
        }
        let issuer = ex
            .issuer
            .as_ref()
            .map(|i| i.value.to_lowercase())
            .unwrap_or_default();
        if b.issuer_words.iter().any(|w| issuer.contains(w)) {
            issuer_ok += 1;
        }
    }
    eprintln!(
        "holder name {name_ok}/{}, issuer {issuer_ok}/{}",
        BILLS.len(),
        BILLS.len()
    );
    assert!(
        name_ok >= 3,
        "holder names found on {name_ok} of {} bills",
        BILLS.len()
    );
}

#[test]
fn edf_text_pdf_fields() {
    let ex = extract(&data(BILLS[1].file), "application/pdf", engine()).expect("edf");
    assert_eq!(ex.source, BillSource::PdfText);
    assert_eq!(
        ex.holder_name.as_ref().map(|n| n.value.as_str()),
        Some("JOHN DOE")
    );
    assert_eq!(
        ex.issue_date.as_ref().map(|d| d.date),
        NaiveDate::from_ymd_opt(2021, 1, 29)
    );
    let a = ex.address.as_ref().expect("address");
    assert_eq!(a.postcode.as_deref(), Some("75001"));
    assert_eq!(a.city.as_deref(), Some("PARIS"));
    // 3-month rule: valid a month after issue, invalid four months after.
    let exp = |d| ExpectedFields {
        address: Some("123 rue de l'Imaginaire 75001 Paris".into()),
        full_name: Some("John Doe".into()),
        reference_date: NaiveDate::from_ymd_opt(2021, d, 28),
    };
    assert_eq!(compare(&ex, &exp(2)).status, StepStatus::Valid);
    let late = compare(&ex, &exp(5));
    assert_eq!(late.issue_date.date_valid, Some(false));
    assert_eq!(late.status, StepStatus::Invalid);
    // Webhook shapes.
    let json = late.to_additional_data(&ex, &["address"]);
    assert_eq!(json["address"]["status"], "MATCH");
    assert_eq!(
        json["address"]["value"],
        "123 RUE DE L’IMAGINAIRE, 75001 PARIS"
    );
    assert_eq!(serde_json::to_value(late.status).expect("json"), "INVALID");
    let parts = kycd_bill::webhook_parts(&ex, Some(&late), &["address", "fullName"], None);
    let v = serde_json::to_value(&parts).expect("json");
    assert_eq!(v["additionalData"]["fullName"]["status"], "MATCH");
    assert_eq!(v["manualAddress"], "123 RUE DE L’IMAGINAIRE, 75001 PARIS");
    assert_eq!(v["stepStatus"], "INVALID");
    let extract_only =
        kycd_bill::webhook_parts(&ex, None, &[], NaiveDate::from_ymd_opt(2021, 2, 28));
    assert_eq!(extract_only.step_status, StepStatus::Valid);
    assert_eq!(
        extract_only.additional_data,
        serde_json::json!({"address": {"value": "123 RUE DE L’IMAGINAIRE, 75001 PARIS"}})
    );
}

#[test]
fn blank_image_is_not_found() {
    let blank = image::RgbImage::from_pixel(800, 1100, image::Rgb([250, 250, 250]));
    let ex = extract(&png(&blank), "image/png", engine()).expect("blank");
    assert!(ex.address.is_none());
    let c = compare(
        &ex,
        &ExpectedFields {
            address: Some(BILLS[0].address.into()),
            full_name: Some("John Doe".into()),
            ..Default::default()
        },
    );
    assert_eq!(c.address.status, FieldStatus::NotFound);
    assert_eq!(c.name.status, FieldStatus::NotFound);
    assert_eq!(c.status, StepStatus::NotFound);
}

fn check_synthetic(
    ex: &kycd_bill::BillExtraction,
    b: &SynthBill,
    expected_address: &str,
    wrong_address: &str,
    what: &str,
) {
    let exp = ExpectedFields {
        address: Some(expected_address.into()),
        full_name: Some(b.holder.clone()),
        reference_date: NaiveDate::parse_from_str(&b.issue_date, "%Y-%m-%d").ok(),
    };
    let c = compare(ex, &exp);
    assert_eq!(
        c.address.status,
        FieldStatus::Match,
        "{what}: {:?} / {:?}",
        c.address,
        ex.address
    );
    assert_eq!(c.name.status, FieldStatus::Match, "{what}: {:?}", c.name);
    assert_eq!(
        c.issue_date.value.as_deref(),
        Some(b.issue_date.as_str()),
        "{what}"
    );
    assert_eq!(c.status, StepStatus::Valid, "{what}");
    let issuer = ex
        .issuer
        .as_ref()
        .map(|i| i.value.as_str())
        .unwrap_or_default();
    assert!(issuer.contains(&b.issuer[..8]), "{what}: issuer {issuer:?}");
    let wrong = compare(
        ex,
        &ExpectedFields {
            address: Some(wrong_address.into()),
            ..exp
        },
    );
    assert_eq!(wrong.address.status, FieldStatus::NotMatch, "{what}");
}

#[test]
fn synthetic_text_pdfs() {
    for (b, good, bad) in [
        (
            us_bill(),
            "42 Willow Ln, Apartment 7, Springfield IL 62704, USA",
            "42 Willow Lane Apt 8, Springfield, IL 62704",
        ),
        (
            eu_bill(),
            "Gedimino prospektas 15-3, Vilnius LT-01103",
            "Gedimino pr. 15-3, LT-01104 Vilnius",
        ),
    ] {
        let ex = extract(&text_pdf(&b), "application/pdf", engine()).expect("pdf");
        assert_eq!(ex.source, BillSource::PdfText);
        check_synthetic(&ex, &b, good, bad, "text pdf");
    }
}

#[test]
fn synthetic_scanned_pdf_and_photo() {
    let b = us_bill();
    let page = render(&b, 150.0);
    let scan = scanned_pdf(&jpeg(&page, 85), page.width(), page.height());
    let ex = extract(&scan, "application/pdf", engine()).expect("scan");
    assert_eq!(ex.source, BillSource::PdfEmbeddedImage);
    check_synthetic(
        &ex,
        &b,
        "42 Willow Lane Apt 7, Springfield, IL 62704",
        "42 Willow Lane Apt 7, Springfield, IL 62705",
        "scanned pdf",
    );

    let e = eu_bill();
    let photo = photo_like(&render(&e, 150.0));
    let ex = extract(&photo, "image/jpeg", engine()).expect("photo");
    assert_eq!(ex.source, BillSource::Image);
    check_synthetic(
        &ex,
        &e,
        "Gedimino pr 15-3, LT-01103 Vilnius, Lithuania",
        "Gedimino pr. 16-3, LT-01103 Vilnius",
        "photo",
    );
}

#[test]
fn pdf_with_a_small_image_is_rasterised() {
    // The scan is drawn over 0.54 x 0.54 of the page (29 % of its area, under the 30 % from which
    // the embedded image is OCR'd directly), so the page is rasterised with pdftoppm instead.
    let b = eu_bill();
    let page = render(&b, 150.0);
    let pdf = image_pdf(&jpeg(&page, 90), page.width(), page.height(), 320.0, 453.0);
    let doc = kycd_pdf::PdfDocument::parse(&pdf).expect("parse");
    let img = doc.page_image(1).expect("image").expect("some");
    assert!(
        img.page_coverage > 0.2 && img.page_coverage < 0.3,
        "{}",
        img.page_coverage
    );
    match extract(&pdf, "application/pdf", engine()) {
        Ok(ex) => {
            assert_eq!(ex.source, BillSource::PdfRendered);
            let c = compare(&ex, &only_address("Gedimino pr. 15-3, LT-01103 Vilnius"));
            assert_eq!(c.address.status, FieldStatus::Match, "{:?}", ex.address);
        }
        Err(kycd_bill::BillError::Pdf(kycd_pdf::PdfError::RendererMissing(_))) => {
            panic!("pdftoppm is required: run scripts/setup.sh (poppler-utils)")
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn password_protected_and_malformed_pdfs_are_errors() {
    let locked = data("pdf/pypdf/r4-user-password.pdf");
    assert!(matches!(
        extract(&locked, "application/pdf", engine()),
        Err(kycd_bill::BillError::Encrypted)
    ));
    let mut broken = data(BILLS[1].file);
    broken.truncate(2000);
    assert!(extract(&broken, "application/pdf", engine()).is_err());
    assert!(matches!(
        extract(b"GIF89a....", "image/gif", engine()),
        Err(kycd_bill::BillError::UnsupportedFormat(_))
    ));
}
