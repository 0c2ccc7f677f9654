//! Shared by the accuracy tests and the examples (`#[path]`-included there): reading synthetic
//! documents with `kycd-vision`, scoring against the ground truth, and the document-portrait setup
//! for `kycd-face`.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Instant;

use image::RgbImage;
use kycd_mrz::Sex;
use kycd_synth::{DocKind, Generator, Level, Spec, SynthDocument, Truth};
use kycd_types::DocumentType;
use kycd_vision::{EngineConfig, OcrEngine, ReadOptions, read_document};

/// The six scored fields, in table order.
pub const FIELDS: [&str; 6] = [
    "surname",
    "given names",
    "date of birth",
    "sex",
    "date of expiry",
    "document no.",
];

pub fn models_dir() -> PathBuf {
    std::env::var_os("KYCD_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models")))
}

pub fn faces_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/faces"
    ))
}

pub fn ocr_engine() -> OcrEngine {
    let cfg = EngineConfig::new(models_dir());
    OcrEngine::load(&cfg).unwrap_or_else(|e| {
        panic!(
            "OCR models are required ({e}); run scripts/setup.sh (models dir: {})",
            cfg.models_dir.display()
        )
    })
}

pub fn generator() -> Generator {
    Generator::load().unwrap_or_else(|e| panic!("{e}"))
}

/// Result of reading one synthetic document.
#[derive(Debug, Clone)]
pub struct DocScore {
    pub seed: u64,
    pub kind: DocKind,
    pub level: Level,
    /// Rotation of the MRZ side photo (clockwise degrees).
    pub rotation: u16,
    pub mrz_found: bool,
    pub mrz_valid: bool,
    pub mrz_lines_exact: bool,
    /// Per field (order of [`FIELDS`]): read correctly from the MRZ (valid MRZ only).
    pub mrz_fields: [bool; 6],
    /// Per field: read correctly from the visual zone.
    pub viz_fields: [bool; 6],
    pub type_ok: bool,
    pub portrait_found: bool,
    /// Wall time of all `read_document` calls of this document (ms).
    pub read_ms: f64,
}

fn norm_name(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

fn mrz_scores(truth: &Truth, r: &kycd_vision::MrzResult) -> [bool; 6] {
    let Some(rep) = r.repaired.as_ref().filter(|_| r.valid()) else {
        return [false; 6];
    };
    let f = &rep.mrz.fields;
    let sex = match truth.sex {
        'F' => Sex::Female,
        _ => Sex::Male,
    };
    [
        f.surname == truth.surname,
        f.given_names == truth.given_names,
        f.birth_date.as_str() == truth.birth.yymmdd(),
        f.sex == sex,
        f.expiry_date.as_str() == truth.expiry.yymmdd(),
        f.document_number == truth.document_number,
    ]
}

fn viz_scores(truth: &Truth, v: &kycd_vision::VizFields) -> [bool; 6] {
    let eq =
        |got: &Option<String>, want: &str| got.as_deref().map(norm_name) == Some(norm_name(want));
    [
        eq(&v.surname, &truth.surname),
        eq(&v.given_names, &truth.given_names),
        v.date_of_birth.as_deref() == Some(truth.birth.iso().as_str()),
        v.sex.as_deref() == Some(truth.sex.to_string().as_str()),
        v.date_of_expiry.as_deref() == Some(truth.expiry.iso().as_str()),
        v.document_number.as_deref() == Some(truth.document_number.as_str()),
    ]
}

/// Reads every side of `doc` with `kycd_vision::read_document` and scores it.
pub fn score(engine: &OcrEngine, doc: &SynthDocument, seed: u64, level: Level) -> DocScore {
    let t = &doc.truth;
    let start = Instant::now();
    let mut s = DocScore {
        seed,
        kind: t.kind,
        level,
        rotation: 0,
        mrz_found: false,
        mrz_valid: false,
        mrz_lines_exact: false,
        mrz_fields: [false; 6],
        viz_fields: [false; 6],
        type_ok: false,
        portrait_found: false,
        read_ms: 0.0,
    };
    for side in &doc.sides {
        let mut opts = ReadOptions {
            skip_viz: !side.side.has_viz(),
            skip_quality: true,
            ..Default::default()
        };
        // A card front has no MRZ: the 90/180/270° MRZ search would only cost time.
        opts.mrz.no_rotation_search = !side.side.has_mrz();
        let r = read_document(engine, &side.photo.image, &opts)
            .unwrap_or_else(|e| panic!("read_document failed on a synthetic document: {e}"));
        if side.side.has_mrz() {
            s.rotation = side.photo.rotation;
            s.mrz_found = r.mrz.found();
            s.mrz_valid = r.mrz.valid();
            s.mrz_lines_exact = r.mrz.lines() == t.mrz_lines;
            s.mrz_fields = mrz_scores(t, &r.mrz);
            let want = match t.kind {
                DocKind::Passport => DocumentType::Passport,
                DocKind::IdCard => DocumentType::IdCard,
            };
            s.type_ok = r.doc_type == Some(want);
        }
        if side.side.has_viz() {
            s.viz_fields = viz_scores(t, &r.viz);
            s.portrait_found = r.portrait.is_some();
        }
    }
    s.read_ms = start.elapsed().as_secs_f64() * 1000.0;
    s
}

/// Generates and reads `per_kind` passports and `per_kind` ID cards at each of `levels`
/// (seeds `seed0..seed0 + per_kind`; the same documents at every level).
pub fn run(
    engine: &OcrEngine,
    generator: &Generator,
    levels: &[Level],
    per_kind: u64,
    seed0: u64,
    verbose: bool,
) -> Vec<DocScore> {
    let mut out = Vec::new();
    for &level in levels {
        for seed in seed0..seed0 + per_kind {
            for kind in DocKind::ALL {
                let doc = generator
                    .generate(&Spec::new(seed, kind, level))
                    .unwrap_or_else(|e| panic!("generate: {e}"));
                let s = score(engine, &doc, seed, level);
                if verbose {
                    eprintln!(
                        "{:<8} {:<8} seed {seed:>3} rot {:>3}: mrz valid {} exact {} fields {:?} viz {:?} {:.0} ms",
                        level.name(),
                        kind.name(),
                        s.rotation,
                        s.mrz_valid,
                        s.mrz_lines_exact,
                        s.mrz_fields,
                        s.viz_fields,
                        s.read_ms
                    );
                }
                out.push(s);
            }
        }
    }
    out
}

/// Aggregates of one group of documents.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    pub docs: usize,
    pub mrz_valid: usize,
    pub mrz_exact: usize,
    pub mrz_field_ok: usize,
    pub viz_field_ok: usize,
    /// Field correct from the MRZ, or from the visual zone when the MRZ did not give it.
    pub any_field_ok: usize,
    pub fields: usize,
    pub type_ok: usize,
    pub portrait: usize,
    pub read_ms_p50: f64,
}

impl Summary {
    pub fn mrz_field_pct(&self) -> f64 {
        pct(self.mrz_field_ok, self.fields)
    }
    pub fn viz_field_pct(&self) -> f64 {
        pct(self.viz_field_ok, self.fields)
    }
    pub fn any_field_pct(&self) -> f64 {
        pct(self.any_field_ok, self.fields)
    }
}

pub fn pct(a: usize, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        100.0 * a as f64 / n as f64
    }
}

pub fn summarize<'a>(scores: impl IntoIterator<Item = &'a DocScore>) -> Summary {
    let mut s = Summary::default();
    let mut times = Vec::new();
    for d in scores {
        s.docs += 1;
        s.mrz_valid += usize::from(d.mrz_valid);
        s.mrz_exact += usize::from(d.mrz_lines_exact);
        s.mrz_field_ok += d.mrz_fields.iter().filter(|&&b| b).count();
        s.viz_field_ok += d.viz_fields.iter().filter(|&&b| b).count();
        s.any_field_ok += d
            .mrz_fields
            .iter()
            .zip(&d.viz_fields)
            .filter(|(m, v)| **m || **v)
            .count();
        s.fields += FIELDS.len();
        s.type_ok += usize::from(d.type_ok);
        s.portrait += usize::from(d.portrait_found);
        times.push(d.read_ms);
    }
    times.sort_by(f64::total_cmp);
    s.read_ms_p50 = times.get(times.len() / 2).copied().unwrap_or(0.0);
    s
}

/// Markdown tables: per level (and kind), then per field.
pub fn tables(scores: &[DocScore]) -> String {
    let mut out = String::new();
    out.push_str("| level | kind | docs | MRZ valid | MRZ lines exact | MRZ field acc. | VIZ field acc. | MRZ-or-VIZ field acc. | type | portrait | read p50 |\n");
    out.push_str("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for level in Level::ALL {
        let at: Vec<&DocScore> = scores.iter().filter(|s| s.level == level).collect();
        if at.is_empty() {
            continue;
        }
        let groups: [(&str, Vec<&DocScore>); 3] = [
            (
                "passport",
                at.iter()
                    .copied()
                    .filter(|s| s.kind == DocKind::Passport)
                    .collect(),
            ),
            (
                "id-card",
                at.iter()
                    .copied()
                    .filter(|s| s.kind == DocKind::IdCard)
                    .collect(),
            ),
            ("**all**", at.clone()),
        ];
        for (name, g) in groups {
            let s = summarize(g.iter().copied());
            out.push_str(&format!(
                "| {} | {name} | {} | {}/{} | {}/{} | {:.1} % | {:.1} % | {:.1} % | {}/{} | {}/{} | {:.0} ms |\n",
                level.name(),
                s.docs,
                s.mrz_valid,
                s.docs,
                s.mrz_exact,
                s.docs,
                s.mrz_field_pct(),
                s.viz_field_pct(),
                s.any_field_pct(),
                s.type_ok,
                s.docs,
                s.portrait,
                s.docs,
                s.read_ms_p50
            ));
        }
    }
    out.push_str(
        "\nPer field, MRZ / visual zone (correct reads out of all documents of the level):\n\n",
    );
    out.push_str("| level |");
    for f in FIELDS {
        out.push_str(&format!(" {f} |"));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(FIELDS.len()));
    out.push('\n');
    for level in Level::ALL {
        let at: Vec<&DocScore> = scores.iter().filter(|s| s.level == level).collect();
        if at.is_empty() {
            continue;
        }
        out.push_str(&format!("| {} |", level.name()));
        for i in 0..FIELDS.len() {
            let m = at.iter().filter(|s| s.mrz_fields[i]).count();
            let v = at.iter().filter(|s| s.viz_fields[i]).count();
            out.push_str(&format!(" {m} / {v} of {} |", at.len()));
        }
        out.push('\n');
    }
    out.push_str("\nMRZ valid by right-angle rotation of the MRZ side (all levels):\n\n| rotation | docs | MRZ valid |\n|---|---|---|\n");
    for rot in [0u16, 90, 180, 270] {
        let g: Vec<&DocScore> = scores.iter().filter(|s| s.rotation == rot).collect();
        if !g.is_empty() {
            let v = g.iter().filter(|s| s.mrz_valid).count();
            out.push_str(&format!("| {rot}° | {} | {v} |\n", g.len()));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Faces

/// Single-face files of the faces manifest: `(file, identity)`.
pub fn face_files() -> Vec<(String, String)> {
    let path = faces_dir().join("manifest.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let v: serde_json::Value = serde_json::from_str(&text).expect("faces manifest is JSON");
    v["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter(|f| f["faces_in_image"].as_u64() == Some(1))
        .filter_map(|f| {
            Some((
                f["file"].as_str()?.to_string(),
                f["identity"].as_str()?.to_string(),
            ))
        })
        .collect()
}

pub fn face_engine() -> kycd_face::FaceEngine {
    let paths = kycd_face::ModelPaths::in_dir(models_dir())
        .unwrap_or_else(|e| panic!("face models not installed: {e}. Run scripts/setup.sh first."));
    kycd_face::FaceEngine::new(&paths, kycd_face::EngineConfig::default())
        .unwrap_or_else(|e| panic!("{e} (run scripts/setup.sh)"))
}

/// Passport-style crop (35:45, head about 3/4 of the height) around the face found in `img`.
pub fn portrait_crop(engine: &kycd_face::FaceEngine, img: &RgbImage) -> Option<RgbImage> {
    let a = engine
        .analyze_rgb(
            img.width(),
            img.height(),
            img.as_raw(),
            kycd_face::ImageKind::Selfie,
        )
        .ok()?;
    let b = a.primary?.bbox;
    let (iw, ih) = (img.width() as f32, img.height() as f32);
    let mut h = (b.height * 2.0).min(ih);
    let mut w = h * 35.0 / 45.0;
    if w > iw {
        w = iw;
        h = w * 45.0 / 35.0;
    }
    let cx = b.x + b.width / 2.0;
    let cy = b.y + b.height / 2.0 - 0.1 * b.height;
    let x0 = (cx - w / 2.0).clamp(0.0, (iw - w).max(0.0));
    let y0 = (cy - h / 2.0).clamp(0.0, (ih - h).max(0.0));
    Some(image::imageops::crop_imm(img, x0 as u32, y0 as u32, w as u32, h as u32).to_image())
}

/// The synthetic document carrying a grey print of `portrait`, photographed at `level`.
pub fn portrait_document(
    generator: &Generator,
    portrait: &RgbImage,
    seed: u64,
    level: Level,
) -> SynthDocument {
    let kind = if seed.is_multiple_of(2) {
        DocKind::Passport
    } else {
        DocKind::IdCard
    };
    generator
        .generate(&Spec::new(seed, kind, level).with_portrait(portrait))
        .unwrap_or_else(|e| panic!("generate: {e}"))
}
