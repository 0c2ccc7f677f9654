//! Issue 16: the cases of the decision benchmark (`bench/decision.py`), and the document-portrait ↔ selfie face
//! evaluation over every pair they allow.
//!
//! ```text
//! cargo run --release -p kycd-synth --example decision_cases -- --out DIR [--n 400] [--seed-base 9000] [--face-eval]
//! ```
//!
//! Writes `DIR/cases.jsonl` (one case per line: level, kind, class, the photographed sides as JPEG files in `DIR`,
//! the selfie re-encoded from `../shared/data/faces` as a capture uploads it, the truth and the expected outcome) and,
//! with `--face-eval`,
//! `DIR/face_eval.json`.
//!
//! Case `i` (seed `seed_base + i`): level `i % 4` (clean, mild, moderate, heavy), passport or TD1 card by `(i / 4) % 2`,
//! class by `(i / 8) % 10`: six genuine, then impostor selfie, expired, bad check digit, specimen overprint. The
//! printed portrait is a 35:45 crop of one photo of a face identity (greyscale or colour print by the seed); the
//! selfie is another photo of the same identity, or, for an impostor, a photo of another identity. Everything
//! depends on the seed only, so calibration and reported runs use disjoint seed ranges.
//!
//! Face evaluation: the portrait of every generated document (cropped by the document reader as the service does, else
//! the whole photo of the side with the portrait) against every single-face photo of
//! the shared set other than its own source photo: same identity → genuine pair, other identity → impostor pair,
//! compared as the service compares them (`FaceEngine::verify`, the selfie embedding in greyscale against a grey
//! print). Prints and writes per level: pairs, TAR and FAR at the service's thresholds, and TAR at FAR ≤ 0.1 %.

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use common::{face_engine, face_files, faces_dir, generator, portrait_crop};
use image::RgbImage;
use kycd_face::{
    Embedding, FaceAnalysis, FaceEngine, ImageKind, decode_image_scaled, wants_grey_selfie,
};
use kycd_synth::{DocKind, Level, PortraitStyle, Rng, Spec, Truth, Ymd};
use kycd_types::FaceStatus;
use kycd_vision::{OcrEngine, ReadOptions, Rotation, read_document};
use serde_json::{Value, json};

const CLASSES: [&str; 10] = [
    "genuine",
    "genuine",
    "genuine",
    "genuine",
    "genuine",
    "genuine",
    "impostor",
    "expired",
    "bad_digit",
    "specimen",
];
const OVERPRINTS: [&str; 4] = [
    "SPECIMEN",
    "MUSTER",
    "THIS IS FAKE DOCUMENT FOR DEMO PURPOSES ONLY",
    "SPECIMEN",
];
/// Embedding distance below which two files are one photograph (0.16 measured for a print of the same photo, ≥ 0.33
/// for two photos of one person on the shared faces).
const SAME_PHOTOGRAPH_DISTANCE: f32 = 0.25;
/// Documents of the genuine classes expire after this date (the benchmark runs before it).
const VALID_AFTER: Ymd = Ymd {
    year: 2027,
    month: 6,
    day: 1,
};

struct Args {
    out: PathBuf,
    n: usize,
    seed_base: u64,
    face_eval: bool,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        out: PathBuf::new(),
        n: 400,
        seed_base: 9000,
        face_eval: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut val = || it.next().ok_or(format!("{k} needs a value"));
        match k.as_str() {
            "--out" => a.out = PathBuf::from(val()?),
            "--n" => a.n = val()?.parse().map_err(|e| format!("--n: {e}"))?,
            "--seed-base" => {
                a.seed_base = val()?.parse().map_err(|e| format!("--seed-base: {e}"))?
            }
            "--face-eval" => a.face_eval = true,
            _ => return Err(format!("unknown argument {k}")),
        }
    }
    if a.out.as_os_str().is_empty() {
        return Err("--out DIR is required".into());
    }
    Ok(a)
}

/// A face photo of the shared set, cropped for printing when a face was found in it.
struct FacePhoto {
    file: String,
    identity: String,
    crop: Option<RgbImage>,
    embedding: Option<Embedding>,
}

impl FacePhoto {
    /// Whether `other` is this very photograph (another resolution or crop of it; the shared set has a few): a
    /// customer's selfie is never the photograph printed on their document, so such a pair is not a genuine case.
    fn same_photograph(&self, other: &FacePhoto) -> bool {
        match (&self.embedding, &other.embedding) {
            (Some(a), Some(b)) => a.distance(b) < SAME_PHOTOGRAPH_DISTANCE,
            _ => false,
        }
    }
}

fn is_before(a: &Ymd, b: &Ymd) -> bool {
    (a.year, a.month, a.day) < (b.year, b.month, b.day)
}

/// The truth of case `class`: still valid for the genuine classes, expired 1–6 years ago for `expired`.
fn case_truth(
    truth: Truth,
    class: &str,
    rng: &mut Rng,
) -> Result<Truth, Box<dyn std::error::Error>> {
    let validity = match truth.kind {
        DocKind::Passport => 10,
        DocKind::IdCard => 5,
    };
    let mut t = match class {
        "expired" => {
            let expiry = Ymd {
                year: rng.int(2020, 2025),
                month: rng.int(1, 12),
                day: rng.int(1, 28),
            };
            let mut t = truth.with_expiry(expiry)?;
            t.issue = Ymd {
                year: expiry.year - validity,
                ..expiry
            };
            t
        }
        _ if is_before(&truth.expiry, &VALID_AFTER) => {
            let issue = Ymd {
                year: rng.int(2023, 2026),
                ..truth.issue
            };
            let mut t = truth.with_expiry(Ymd {
                year: issue.year + validity,
                ..issue
            })?;
            t.issue = issue;
            t
        }
        _ => truth,
    };
    if class == "bad_digit" {
        t = t.with_bad_number_check_digit();
    }
    Ok(t)
}

fn sex_name(c: char) -> &'static str {
    if c == 'F' { "FEMALE" } else { "MALE" }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args().map_err(|e| {
        format!("{e}\nusage: decision_cases --out DIR [--n N] [--seed-base S] [--face-eval]")
    })?;
    std::fs::create_dir_all(&args.out)?;
    let engine = face_engine();
    let generator = generator();
    let t0 = std::time::Instant::now();

    let mut photos = Vec::new();
    for (file, identity) in face_files() {
        // Only what a partner may upload (/process takes PNG and JPEG).
        let bytes = std::fs::read(faces_dir().join(&file))?;
        let Ok(img) = image::load_from_memory(&bytes) else {
            continue;
        };
        let img = img.to_rgb8();
        let crop = portrait_crop(&engine, &img);
        let embedding = engine
            .analyze_rgb(img.width(), img.height(), img.as_raw(), ImageKind::Selfie)?
            .primary
            .map(|p| p.embedding);
        photos.push(FacePhoto {
            file,
            identity,
            crop,
            embedding,
        });
    }
    let mut by_id: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, p) in photos.iter().enumerate() {
        by_id.entry(p.identity.as_str()).or_default().push(i);
    }
    // Identities with a printable photo and at least one other photo to take the selfie from.
    let usable: Vec<&str> = by_id
        .iter()
        .filter(|(_, v)| {
            v.iter().any(|&i| {
                photos[i].crop.is_some()
                    && v.iter()
                        .any(|&j| j != i && !photos[i].same_photograph(&photos[j]))
            })
        })
        .map(|(k, _)| *k)
        .collect();
    eprintln!(
        "{} face photos, {} usable identities ({:.0} s)",
        photos.len(),
        usable.len(),
        t0.elapsed().as_secs_f64()
    );

    let mut lines = std::fs::File::create(args.out.join("cases.jsonl"))?;
    // (level, printed photo index, JPEG of the side with the portrait) for the face evaluation.
    let mut docs: Vec<(Level, usize, PathBuf)> = Vec::new();
    for i in 0..args.n {
        let seed = args.seed_base + i as u64;
        let level = Level::ALL[i % 4];
        let kind = DocKind::ALL[(i / 4) % 2];
        let class = CLASSES[(i / 8) % CLASSES.len()];
        let mut rng = Rng::new(seed).fork(0xdec1);
        let identity = usable[rng.below(usable.len())];
        let printable: Vec<usize> = by_id[identity]
            .iter()
            .copied()
            .filter(|&p| {
                photos[p].crop.is_some()
                    && by_id[identity]
                        .iter()
                        .any(|&q| q != p && !photos[p].same_photograph(&photos[q]))
            })
            .collect();
        let printed = printable[rng.below(printable.len())];
        let selfie = if class == "impostor" {
            let others: Vec<usize> = (0..photos.len())
                .filter(|&p| photos[p].identity != identity)
                .collect();
            others[rng.below(others.len())]
        } else {
            let same: Vec<usize> = by_id[identity]
                .iter()
                .copied()
                .filter(|&p| p != printed && !photos[p].same_photograph(&photos[printed]))
                .collect();
            if same.is_empty() {
                return Err(
                    format!("{identity}: no other photograph to take the selfie from").into(),
                );
            }
            same[rng.below(same.len())]
        };
        let crop = photos[printed]
            .crop
            .as_ref()
            .ok_or("printable photo without a crop")?;
        let mut spec = Spec::new(seed, kind, level).with_portrait(crop);
        spec.render.portrait = PortraitStyle {
            grey: rng.chance(0.5),
            ..PortraitStyle::default()
        };
        // A customer's document comes from a real state, never from ICAO's fictitious Utopia (a specimen state).
        let mut drawn = generator.truth(seed, kind)?;
        let mut redraw = 1u64;
        while [&drawn.issuing_state, &drawn.nationality]
            .iter()
            .any(|c| kycd_mrz::country::by_alpha3(c).is_none())
        {
            drawn = generator.truth(seed ^ (redraw << 40), kind)?;
            redraw += 1;
        }
        let truth = case_truth(drawn, class, &mut rng)?;
        let country = kycd_mrz::country::by_alpha3(&truth.issuing_state)
            .map(|c| c.alpha2)
            .ok_or("issuing state without an alpha-2 code")?;
        let overprint = (class == "specimen").then(|| OVERPRINTS[rng.below(OVERPRINTS.len())]);
        let doc = generator.generate_with(&spec, truth.clone(), overprint)?;

        let name = format!("case-{seed}");
        let mut files = serde_json::Map::new();
        for side in &doc.sides {
            let key = if side.side.has_viz() { "FRONT" } else { "BACK" };
            let file = args.out.join(format!("{name}-{}.jpg", key.to_lowercase()));
            std::fs::write(&file, &side.photo.jpeg)?;
            if side.side.has_viz() {
                docs.push((level, printed, file.clone()));
            }
            files.insert(key.into(), json!(file));
        }
        // The selfie as a phone or browser capture uploads it: re-encoded, without the source file's metadata (a few
        // shared photos name Photoshop, which the service rightly tags FAKE_PHOTO).
        let selfie_file = args.out.join(format!("{name}-face.jpg"));
        let selfie_img = image::open(faces_dir().join(&photos[selfie].file))?.to_rgb8();
        std::fs::write(&selfie_file, kycd_synth::encode_jpeg(&selfie_img, 92)?)?;
        files.insert("FACE".into(), json!(selfie_file));
        let expected = match class {
            "genuine" => "APPROVED",
            "expired" => "DENIED:DOC_EXPIRED",
            "specimen" => "DENIED:DOC_FAKE",
            "impostor" => "DENIED:FACE_MISMATCH",
            _ => "DENIED:MRZ_INVALID",
        };
        let case = json!({
            "id": name,
            "seed": seed,
            "level": level.name(),
            "kind": kind.name(),
            "documentType": match kind { DocKind::Passport => "PASSPORT", DocKind::IdCard => "ID_CARD" },
            "country": country,
            "class": class,
            "expected": expected,
            "overprint": overprint,
            "greyPortrait": spec.render.portrait.grey,
            "printedFrom": photos[printed].file,
            "selfieFrom": photos[selfie].file,
            "sameIdentity": photos[selfie].identity == identity,
            "images": files,
            "truth": {
                "docFirstName": truth.given_names,
                "docLastName": truth.surname,
                "docNumber": truth.document_number,
                "docDob": truth.birth.iso(),
                "docExpiry": truth.expiry.iso(),
                "docSex": sex_name(truth.sex),
                "docNationality": kycd_mrz::country::by_alpha3(&truth.nationality).map(|c| c.alpha2),
            },
        });
        writeln!(lines, "{case}")?;
        if (i + 1) % 50 == 0 {
            eprintln!(
                "generated {} cases ({:.0} s)",
                i + 1,
                t0.elapsed().as_secs_f64()
            );
        }
    }
    lines.flush()?;
    eprintln!("{} cases in {}", args.n, args.out.display());

    if args.face_eval {
        let report = face_eval(&engine, &common::ocr_engine(), &photos, &docs)?;
        std::fs::write(
            args.out.join("face_eval.json"),
            serde_json::to_vec_pretty(&report)?,
        )?;
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(())
}

/// The selfie side of the face evaluation: analysis, and the greyscale-embedding variant `verify` would use.
struct Selfie {
    identity: String,
    colour: FaceAnalysis,
    grey: FaceAnalysis,
}

#[derive(Default)]
struct Pairs {
    docs: usize,
    cropped: usize,
    portrait_found: usize,
    genuine: Vec<(f32, bool)>,
    impostor: Vec<(f32, bool)>,
}

impl Pairs {
    fn report(&self) -> Value {
        let matched = |v: &[(f32, bool)]| v.iter().filter(|p| p.1).count();
        // The largest threshold that accepts at most 0.1 % of the impostor pairs.
        let mut imp: Vec<f32> = self.impostor.iter().map(|p| p.0).collect();
        imp.sort_by(f32::total_cmp);
        let allowed = imp.len() / 1000;
        let threshold = imp.get(allowed).copied().unwrap_or(f32::INFINITY);
        let tar_at = self.genuine.iter().filter(|p| p.0 < threshold).count();
        let pct = |a: usize, n: usize| {
            if n == 0 {
                0.0
            } else {
                (1000.0 * a as f64 / n as f64).round() / 10.0
            }
        };
        json!({
            "documents": self.docs,
            "portraitCroppedByReader": self.cropped,
            "portraitFound": self.portrait_found,
            "genuinePairs": self.genuine.len(),
            "impostorPairs": self.impostor.len(),
            "tarAtServiceThreshold": pct(matched(&self.genuine), self.genuine.len()),
            "farAtServiceThreshold": pct(matched(&self.impostor), self.impostor.len()),
            "impostorsAccepted": matched(&self.impostor),
            "thresholdAtFar0.1": threshold,
            "tarAtFar0.1": pct(tar_at, self.genuine.len()),
        })
    }
}

fn face_eval(
    engine: &FaceEngine,
    ocr: &OcrEngine,
    photos: &[FacePhoto],
    docs: &[(Level, usize, PathBuf)],
) -> Result<Value, Box<dyn std::error::Error>> {
    let t0 = std::time::Instant::now();
    let mut selfies = Vec::new();
    for p in photos {
        let bytes = std::fs::read(faces_dir().join(&p.file))?;
        let img = decode_image_scaled(&bytes, engine.config().selfie_decode_min_side)?;
        let colour = engine.analyze(&img, ImageKind::Selfie);
        let mut grey = colour.clone();
        if let Some(s) = colour.primary.as_ref()
            && let Some(g) = grey.primary.as_mut()
        {
            g.embedding = engine.grey_embedding(&img, s);
        }
        selfies.push(Selfie {
            identity: p.identity.clone(),
            colour,
            grey,
        });
    }
    let mut per_level: BTreeMap<&str, Pairs> = BTreeMap::new();
    for (k, (level, printed, path)) in docs.iter().enumerate() {
        // As the service does: the portrait the document reader cropped, else the photo as the reader turned it
        // to read it (kycd-engines' `upright_front`).
        let jpeg = std::fs::read(path)?;
        let photo = image::load_from_memory(&jpeg)?.to_rgb8();
        let opts = ReadOptions {
            skip_quality: true,
            ..Default::default()
        };
        let reading = read_document(ocr, &photo, &opts)?;
        let upright;
        let target = match (&reading.portrait, reading.mrz.rotation) {
            (Some(p), _) => p,
            (None, Rotation::R0) => &photo,
            (None, r) => {
                upright = r.apply(&photo);
                &upright
            }
        };
        let doc = engine.analyze_rgb(
            target.width(),
            target.height(),
            target.as_raw(),
            ImageKind::Document,
        )?;
        let pairs = per_level.entry(level.name()).or_default();
        pairs.docs += 1;
        pairs.cropped += usize::from(reading.portrait.is_some());
        pairs.portrait_found += usize::from(doc.primary.is_some());
        let source = &photos[*printed];
        // The selfie is another photograph than the printed one (the same photograph is the FAKE_PHOTO case).
        for (s, _) in selfies
            .iter()
            .zip(photos)
            .filter(|(_, p)| p.file != source.file && !p.same_photograph(source))
        {
            let selfie = if wants_grey_selfie(&s.colour, &doc) {
                &s.grey
            } else {
                &s.colour
            };
            let v = kycd_face::decide(selfie, &doc, 1.0);
            // A portrait not found is a rejected genuine pair (distance +inf), never an accepted impostor.
            let d = v.distance.unwrap_or(f32::INFINITY);
            let accepted = v.face_status == FaceStatus::FaceMatch;
            if s.identity == source.identity {
                pairs.genuine.push((d, accepted));
            } else {
                pairs.impostor.push((d, accepted));
            }
        }
        if (k + 1) % 50 == 0 {
            eprintln!(
                "face evaluation: {} documents ({:.0} s)",
                k + 1,
                t0.elapsed().as_secs_f64()
            );
        }
    }
    let mut all = Pairs::default();
    let mut levels = serde_json::Map::new();
    for (name, p) in &per_level {
        levels.insert((*name).into(), p.report());
        all.docs += p.docs;
        all.portrait_found += p.portrait_found;
        all.cropped += p.cropped;
        all.genuine.extend(&p.genuine);
        all.impostor.extend(&p.impostor);
    }
    Ok(json!({"levels": levels, "all": all.report(), "selfiePhotos": selfies.len()}))
}
