//! End-to-end checks of the document pipeline on a few shared images (needs the models: run
//! `scripts/setup.sh`; the test fails without them).

mod support;

use kycd_types::DocumentType;
use kycd_vision::{
    EngineConfig, MrzStatus, OcrEngine, ReadOptions, decode_file, detect_document_present,
    read_document,
};
use support::manifest;

/// One engine for the whole test binary (ONNX Runtime allows one environment per process).
fn engine() -> &'static OcrEngine {
    static ENGINE: std::sync::OnceLock<OcrEngine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| {
        let cfg = EngineConfig::new(manifest::models_dir());
        OcrEngine::load(&cfg)
            .unwrap_or_else(|e| panic!("models required ({e}); run scripts/setup.sh"))
    })
}

/// A shared document image, decoded (EXIF orientation applied).
fn shared_document(rel: &str) -> image::RgbImage {
    decode_file(&manifest::documents_dir().join(rel), &Default::default()).expect("decode")
}

/// `read_document` with the default options on a shared document turned by `turn`.
fn read_turned(rel: &str, turn: kycd_vision::Rotation) -> kycd_vision::DocumentReading {
    read_document(
        engine(),
        &turn.apply(&shared_document(rel)),
        &ReadOptions::default(),
    )
    .expect("read")
}

#[test]
fn passport_page_mrz_viz_type_portrait() {
    let engine = engine();
    let img = shared_document("passporteye/100_pass-uto.jpg");
    let r = read_document(engine, &img, &ReadOptions::default()).expect("read");
    assert_eq!(r.mrz.status, MrzStatus::Valid);
    assert_eq!(r.doc_type, Some(DocumentType::Passport));
    assert_eq!(r.viz.surname.as_deref(), Some("ERIKSSON"), "{:?}", r.viz);
    assert_eq!(
        r.viz.date_of_birth.as_deref(),
        Some("1974-08-12"),
        "{:?}",
        r.viz
    );
    assert!(r.mismatches.is_empty(), "{:?}", r.mismatches);
    let q = r.quality.expect("quality ran");
    assert!(q.issues.is_empty(), "{q:?}");
    let p = r.portrait.expect("portrait located");
    // The specimen portrait is about 150x190 px on this 793x536 page.
    assert!(
        p.width() > 80 && p.height() > 100,
        "{}x{}",
        p.width(),
        p.height()
    );
    let json = r.mrz.to_json();
    assert_eq!(json["found"], true);
    assert_eq!(json["format"], "TD3");
    assert_eq!(json["valid"], true);
    assert_eq!(json["fields"]["surname"], "ERIKSSON");
}

#[test]
fn document_presence() {
    let engine = engine();
    let doc = shared_document("passporteye/100_pass-cze.jpg");
    assert!(detect_document_present(engine, &doc).expect("det"));
    let face = shared_document("../faces/deepface/img1.jpg");
    assert!(!detect_document_present(engine, &face).expect("det"));
    let blank = image::RgbImage::from_pixel(640, 480, image::Rgb([200, 200, 200]));
    assert!(!detect_document_present(engine, &blank).expect("det"));
}

/// The visual zone is read from the detection made under the rotation the MRZ was found in (no second
/// detection): on a page rotated by 90° the reading must still be complete and upright.
#[test]
fn rotated_page_reuses_the_mrz_pass() {
    let engine = engine();
    let img = shared_document("ultimatemrz/Passport-Australia_1280x720_rotate+90.jpg");
    let r = read_document(engine, &img, &ReadOptions::default()).expect("read");
    assert_eq!(r.mrz.status, MrzStatus::Valid);
    assert_ne!(r.mrz.rotation.degrees(), 0);
    assert_eq!(r.doc_type, Some(DocumentType::Passport));
    let mrz_only = kycd_vision::read_mrz(engine, &img, &Default::default()).expect("mrz");
    assert_eq!(mrz_only.lines(), r.mrz.lines());
    // Most visual-zone lines are horizontal in the upright frame.
    let flat = r
        .lines
        .iter()
        .filter(|l| l.bbox.quad.angle_deg().abs() < 20.0)
        .count();
    assert!(
        r.lines.len() >= 10 && flat * 10 >= r.lines.len() * 8,
        "{flat}/{}",
        r.lines.len()
    );
    assert!(r.portrait.is_some());
}

/// A card front without an MRZ, uploaded sideways or upside down, is read upright: the rotation under
/// which the most text reads confidently and horizontally wins, and the visual-zone fields are the same
/// as on the upright upload.
#[test]
fn rotated_front_without_mrz_reads_upright() {
    use kycd_vision::Rotation;
    let card = "mindee/idcard_fr__new_sample.jpg";
    let upright = read_turned(card, Rotation::R0);
    assert_eq!(upright.mrz.status, MrzStatus::NotFound);
    assert_eq!(upright.viz.surname.as_deref(), Some("MARTIN"));
    assert_eq!(upright.viz.document_number.as_deref(), Some("D2H6862M2"));
    for turn in [Rotation::R90, Rotation::R180, Rotation::R270] {
        let r = read_turned(card, turn);
        // The rotation that undoes the turn.
        let undo = Rotation::from_degrees(360 - turn.degrees());
        assert_eq!(r.mrz.rotation, undo, "turned {}", turn.degrees());
        assert_eq!(r.viz, upright.viz, "turned {}", turn.degrees());
        assert_eq!(
            r.doc_type,
            Some(DocumentType::IdCard),
            "turned {}",
            turn.degrees()
        );
    }
}

/// An MRZ read along sideways boxes validates under the wrong page rotation; the page is then turned
/// so that the MRZ runs left to right, and the visual zone is read upright.
#[test]
fn mrz_read_sideways_turns_the_page() {
    use kycd_vision::Rotation;
    let licence = "mindee/eu_driver_license__default_sample.jpg";
    let upright = read_turned(licence, Rotation::R0);
    assert_eq!(upright.mrz.status, MrzStatus::Valid);
    assert!(upright.viz.eu_driving_licence);
    let r = read_turned(licence, Rotation::R270);
    assert_eq!(r.mrz.status, MrzStatus::Valid);
    assert_eq!(r.mrz.rotation, Rotation::R90);
    assert_eq!(r.viz, upright.viz);
}

#[test]
fn rotation_from_degrees_wraps() {
    use kycd_vision::Rotation;
    assert_eq!(Rotation::from_degrees(0), Rotation::R0);
    assert_eq!(Rotation::from_degrees(450), Rotation::R90);
    assert_eq!(Rotation::from_degrees(540), Rotation::R180);
    assert_eq!(Rotation::from_degrees(270), Rotation::R270);
}

/// A US (AAMVA) licence: numbered fields like the EU design, but the number is 4d and dates are month
/// first.
#[test]
fn us_driving_licence_fields() {
    let r = read_turned(
        "mindee/driver_license__default_sample.jpg",
        kycd_vision::Rotation::R0,
    );
    assert_eq!(r.doc_type, Some(DocumentType::DriverLicense));
    assert!(r.viz.us_driving_licence);
    assert_eq!(r.viz.surname.as_deref(), Some("SAMPLE"));
    assert_eq!(r.viz.document_number.as_deref(), Some("D12345678"));
    assert_eq!(r.viz.date_of_birth.as_deref(), Some("1957-02-01"));
    assert_eq!(r.viz.date_of_expiry.as_deref(), Some("2018-02-01"));
}

/// An MRZ that does not validate (this sample's check digits fail as printed) and was read along
/// sideways boxes: the page is still turned so that the MRZ runs left to right, and the visual zone is
/// read upright.
#[test]
fn invalid_mrz_read_sideways_turns_the_page() {
    use kycd_vision::Rotation;
    let r = read_turned(
        "mindee/international_id__default_sample.jpg",
        Rotation::R270,
    );
    assert!(r.mrz.found());
    assert_eq!(r.mrz.rotation, Rotation::R90);
    assert_eq!(r.viz.surname.as_deref(), Some("MUESTRA"));
    assert_eq!(r.viz.date_of_birth.as_deref(), Some("1980-01-01"));
}

/// This MRZ validates only when re-read from the page turned 90° (the lines are sampled afresh); the
/// validated reading is kept, while the visual zone and the portrait come from the upright page.
#[test]
fn mrz_valid_only_sideways_keeps_the_page_upright() {
    let r = read_turned("passporteye/62_pass-pol.png", kycd_vision::Rotation::R0);
    assert_eq!(r.mrz.status, MrzStatus::Valid);
    assert_eq!(r.mrz.rotation.degrees(), 0);
    assert_eq!(r.viz.surname.as_deref(), Some("KOWALSKA"));
    assert!(r.portrait.is_some());
}
