//! Accuracy floors on a subset of /work/shared/data/faces (CI). Needs the models from
//! `scripts/setup.sh`; FAILS (does not skip) when they are missing.
//! Full evaluation: `bench/face/eval.sh`.

use kycd_face::{
    AnalysisIssue, EngineConfig, FaceEngine, ImageKind, ModelPaths, compare_images, decide,
    same_photo_evidence, thresholds,
};
use kycd_types::{DocumentStatus, FaceStatus};

const FACES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/faces");

fn engine() -> FaceEngine {
    let paths = match std::env::var_os("KYCD_MODELS_DIR") {
        Some(dir) => ModelPaths::in_dir(dir),
        None => ModelPaths::in_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models")),
    }
    .unwrap_or_else(|e| panic!("face models not installed: {e}. Run scripts/setup.sh first."));
    FaceEngine::new(&paths, EngineConfig::default())
        .unwrap_or_else(|e| panic!("{e} (run scripts/setup.sh)"))
}

fn read(f: &str) -> Vec<u8> {
    std::fs::read(format!("{FACES}/{f}")).unwrap_or_else(|e| panic!("{f}: {e}"))
}

// Small images only, so the debug-mode test stays fast.
const SUBSET: &[(&str, &str)] = &[
    ("face_recognition/obama-480p.jpg", "obama"),
    ("face_recognition/obama_small.jpg", "obama"),
    ("face_recognition/obama2.jpg", "obama"),
    ("face_recognition/knn_train_biden2.jpg", "biden"),
    ("face_recognition/biden.jpg", "biden"),
    ("face_recognition/alex-lacamoire.png", "alex"),
    ("face_recognition/knn_train_alex_lacamoire_img1.jpg", "alex"),
    ("deepface/img5.jpg", "P01"),
    ("deepface/img10.jpg", "P01"),
    ("deepface/img11.jpg", "P01"),
    ("deepface/img12.jpg", "P02"),
    ("deepface/img50.jpg", "P03"),
    ("deepface/img51.jpg", "P03"),
    ("deepface/img25.jpg", "P09"),
    ("deepface/img46.jpg", "P10"),
    ("deepface/img44.jpg", "P10"),
];

#[test]
fn subset_detection_and_verification_floors() {
    let e = engine();
    let mut samples = Vec::new();
    for (f, id) in SUBSET {
        let a = e
            .analyze_bytes(&read(f), ImageKind::Selfie)
            .expect("decode");
        assert_eq!(
            a.issue,
            None,
            "{f}: unexpected issue {:?} ({} faces)",
            a.issue,
            a.faces.len()
        );
        samples.push((f, id, a.primary.expect("face").embedding));
    }
    let (mut gen_ok, mut gen_n, mut imp_ok, mut imp_n) = (0, 0, 0, 0);
    for (i, a) in samples.iter().enumerate() {
        for b in &samples[i + 1..] {
            let d = a.2.distance(&b.2);
            if a.1 == b.1 {
                gen_n += 1;
                gen_ok += usize::from(d <= thresholds::MATCH_THRESHOLD);
            } else {
                imp_n += 1;
                imp_ok += usize::from(d > thresholds::MATCH_THRESHOLD);
                assert!(
                    d > thresholds::MATCH_THRESHOLD,
                    "impostor accepted: {} {} {d}",
                    a.0,
                    b.0
                );
            }
        }
    }
    assert!(imp_n >= 100 && imp_ok == imp_n);
    // floor: at least 95 % of the genuine pairs accepted
    assert!(gen_ok * 100 >= gen_n * 95, "TAR {gen_ok}/{gen_n}");
}

#[test]
fn multi_face_images_are_too_many_faces() {
    let e = engine();
    for f in [
        "face_recognition/two_people.jpg",
        "face_recognition/knn_test_kit_with_rose.jpg",
        "deepface/selfie-many-people.jpg",
    ] {
        let a = e
            .analyze_bytes(&read(f), ImageKind::Selfie)
            .expect("decode");
        assert_eq!(
            a.issue,
            Some(AnalysisIssue::TooManyFaces),
            "{f}: {} faces",
            a.faces.len()
        );
    }
}

#[test]
fn compare_report_and_same_photo_evidence() {
    let e = engine();
    let r = compare_images(
        &e,
        &read("face_recognition/obama-480p.jpg"),
        &read("face_recognition/obama2.jpg"),
        1.0,
    )
    .expect("compare");
    assert_eq!(
        (r.faces_a, r.faces_b, r.status, r.is_match),
        (1, 1, FaceStatus::FaceMatch, true)
    );
    let r = compare_images(
        &e,
        &read("face_recognition/obama-480p.jpg"),
        &read("face_recognition/biden.jpg"),
        1.0,
    )
    .expect("compare");
    assert_eq!(r.status, FaceStatus::FaceMismatch);
    // the same photo at another resolution is flagged; a different photo is not
    let a = e
        .analyze_bytes(&read("face_recognition/obama-240p.jpg"), ImageKind::Selfie)
        .expect("decode");
    let b = e
        .analyze_bytes(
            &read("face_recognition/obama-480p.jpg"),
            ImageKind::Document,
        )
        .expect("decode");
    let c = e
        .analyze_bytes(&read("face_recognition/obama2.jpg"), ImageKind::Document)
        .expect("decode");
    let (pa, pb, pc) = (
        a.primary.as_ref().unwrap(),
        b.primary.as_ref().unwrap(),
        c.primary.as_ref().unwrap(),
    );
    assert!(same_photo_evidence(pa, pb).same_photo);
    assert!(!same_photo_evidence(pa, pc).same_photo);
    let v = decide(&a, &b, 1.0);
    assert_eq!(v.face_status, FaceStatus::FaceMatch);
    assert!(v.same_photo.unwrap().same_photo);
    // a selfie that is a crop of the document portrait is flagged too
    let full = kycd_face::decode_image(&read("face_recognition/obama-480p.jpg")).expect("decode");
    let bb = pb.bbox;
    let (x, y) = (
        (bb.x - 0.3 * bb.width).max(0.0) as u32,
        (bb.y - 0.4 * bb.height).max(0.0) as u32,
    );
    let crop = image::imageops::crop_imm(
        &full,
        x,
        y,
        (bb.width * 1.6) as u32,
        (bb.height * 1.9) as u32,
    )
    .to_image();
    let c2 = e.analyze(&crop, ImageKind::Selfie);
    let ev = same_photo_evidence(c2.primary.as_ref().expect("face in crop"), pb);
    assert!(ev.same_photo, "crop not flagged: {ev:?}");
    // raw RGB entry point gives the same result as the decoded image
    let raw = e
        .analyze_rgb(
            full.width(),
            full.height(),
            full.as_raw(),
            ImageKind::Document,
        )
        .expect("raw");
    assert_eq!(raw.faces.len(), b.faces.len());
    assert!(e.analyze_rgb(10, 10, &[0u8; 5], ImageKind::Selfie).is_err());
    // no face at all: a flat image
    let blank = image::RgbImage::from_pixel(320, 240, image::Rgb([128, 128, 128]));
    let n = e.analyze(&blank, ImageKind::Document);
    let v = decide(&a, &n, 1.0);
    assert_eq!(v.document_status, Some(DocumentStatus::DocFaceNotFound));
    assert_eq!(decide(&n, &b, 1.0).face_status, FaceStatus::NoFaceFound);
}

#[test]
fn check_bytes_and_pool() {
    let paths = match std::env::var_os("KYCD_MODELS_DIR") {
        Some(dir) => ModelPaths::in_dir(dir),
        None => ModelPaths::in_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models")),
    }
    .unwrap_or_else(|e| panic!("face models not installed: {e}. Run scripts/setup.sh first."));
    let pool = kycd_face::FacePool::new(&paths, EngineConfig::default(), 2).expect("pool");
    let selfie = read("face_recognition/obama-480p.jpg");
    let same = read("face_recognition/obama2.jpg");
    let other = read("face_recognition/knn_train_biden2.jpg");
    std::thread::scope(|s| {
        let a = s.spawn(|| pool.with(|e| e.check_bytes(&selfie, &same, 1.0)));
        let b = s.spawn(|| pool.with(|e| e.check_bytes(&selfie, &other, 1.0)));
        let (a, b) = (
            a.join().expect("thread").expect("check"),
            b.join().expect("thread").expect("check"),
        );
        assert_eq!(a.verdict.face_status, FaceStatus::FaceMatch);
        assert_eq!(b.verdict.face_status, FaceStatus::FaceMismatch);
        assert_eq!(a.verdict.document_status, None);
        // embeddings survive the storage encoding
        let e = a.selfie.primary.as_ref().expect("face").embedding;
        assert_eq!(
            kycd_face::Embedding::from_bytes(&e.to_bytes()).expect("bytes"),
            e
        );
    });
    // a stricter modifier turns the same pair into a non-match
    let strict = pool
        .with(|e| e.check_bytes(&selfie, &same, 0.5))
        .expect("check");
    assert_ne!(strict.verdict.face_status, FaceStatus::FaceMatch);
}
