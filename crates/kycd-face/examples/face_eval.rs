//! Accuracy / latency evaluation on /work/shared/data/faces (and the document portraits).
//! Run in release mode through `bench/face/eval.sh`. Usage:
//!   face_eval [--det-side N[,N..]] [--doc-det-side N[,N..]] [--jitters N] [--embed-side N]
//!             [--decode-min N] [--max-detect-side N] [--max-upscale F] [--prominent F]
//!             [--tag NAME] [--out DIR] [--quick] [--core-only [--with-docs]]
//! Writes `<out>/<tag>/summary.json`, `roc_all.csv`, `roc_baseline_protocol.csv`, `images.csv`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use image::{GrayImage, Luma, Rgb, RgbImage, imageops};
use kycd_face::{
    EngineConfig, FaceAnalysis, FaceEngine, ImageKind, ModelPaths, compare_images,
    decode_image_scaled, same_photo_evidence, status_for_distance, thresholds,
};
use kycd_types::FaceStatus;
use serde_json::{Value, json};

const FACES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/faces");
const DOCS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/documents"
);

/// CPU time of this process in ms (independent of other load on the machine).
fn cpu_ms() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the valid timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 * 1e3 + ts.tv_nsec as f64 / 1e6
}

struct Img {
    file: String,
    identity: Option<String>,
    single: bool,
    analysis: FaceAnalysis,
    ms: f64,
    img: RgbImage,
}

fn pct(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let i = ((s.len() - 1) as f64 * p).round() as usize;
    s[i]
}

/// (threshold, TAR, FAR) for the largest threshold with FAR ≤ `far_max`.
fn tar_at_far(gen_d: &[f32], imp_d: &[f32], far_max: f64) -> (f32, f64, f64) {
    let mut imp = imp_d.to_vec();
    imp.sort_by(|a, b| a.total_cmp(b));
    let allowed = (far_max * imp.len() as f64).floor() as usize; // impostors allowed at or below t
    // threshold just below the (allowed)-th smallest impostor distance
    let t = if allowed < imp.len() {
        imp[allowed] - 1e-6
    } else {
        f32::INFINITY
    };
    let (tar, far) = rates(gen_d, imp_d, t);
    (t, tar, far)
}

fn rates(gen_d: &[f32], imp_d: &[f32], t: f32) -> (f64, f64) {
    let tar = gen_d.iter().filter(|&&d| d <= t).count() as f64 / gen_d.len().max(1) as f64;
    let far = imp_d.iter().filter(|&&d| d <= t).count() as f64 / imp_d.len().max(1) as f64;
    (tar, far)
}

fn write_roc(path: &Path, gen_d: &[f32], imp_d: &[f32]) {
    let mut s = String::from("threshold,tar,far\n");
    let mut t = 0.20f32;
    while t <= 0.9001 {
        let (tar, far) = rates(gen_d, imp_d, t);
        let _ = writeln!(s, "{t:.4},{tar:.5},{far:.5}");
        t += 0.0025;
    }
    std::fs::write(path, s).expect("write roc");
}

fn dist(a: &FaceAnalysis, b: &FaceAnalysis) -> f32 {
    match (&a.primary, &b.primary) {
        (Some(x), Some(y)) => x.embedding.distance(&y.embedding),
        _ => f32::INFINITY, // failure to acquire counts as a rejection
    }
}

/// Simulated document portrait: grey, small, low contrast, blurred, noisy, JPEG q=60, pasted
/// on a light page.
fn synth_portrait(img: &RgbImage, a: &FaceAnalysis, seed: u32) -> Option<RgbImage> {
    let f = a.primary.as_ref()?.bbox;
    let x0 = (f.x - 0.45 * f.width).max(0.0) as u32;
    let y0 = (f.y - 0.6 * f.height).max(0.0) as u32;
    let x1 = ((f.x + 1.45 * f.width) as u32).min(img.width());
    let y1 = ((f.y + 1.7 * f.height) as u32).min(img.height());
    if x1 <= x0 + 8 || y1 <= y0 + 8 {
        return None;
    }
    let crop = imageops::crop_imm(img, x0, y0, x1 - x0, y1 - y0).to_image();
    let grey = imageops::grayscale(&crop);
    let pw = 128u32; // face ≈ 64 px wide on the page
    let ph = ((pw as f32) * grey.height() as f32 / grey.width() as f32)
        .round()
        .max(8.0) as u32;
    let small = imageops::resize(&grey, pw, ph, imageops::FilterType::Triangle);
    let small = imageops::blur(&small, 0.8);
    let mut x = seed.wrapping_mul(2654435761) | 1;
    let noisy = GrayImage::from_fn(pw, ph, |px, py| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let n = (x % 17) as f32 - 8.0;
        let v = 30.0 + small.get_pixel(px, py).0[0] as f32 * (200.0 / 255.0) + n;
        Luma([v.clamp(0.0, 255.0) as u8])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 60)
        .encode_image(&noisy)
        .ok()?;
    let back = image::load_from_memory(&jpeg).ok()?.to_luma8();
    let mut page = RgbImage::from_pixel(640, (ph + 80).max(420), Rgb([225, 222, 210]));
    for (px, py, p) in back.enumerate_pixels() {
        let v = p.0[0];
        page.put_pixel(40 + px, 40 + py, Rgb([v, v, v]));
    }
    Some(page)
}

/// The value after `flag` on the command line, parsed (a malformed value stops the tool).
fn flag_value<T: std::str::FromStr>(args: &[String], flag: &str) -> Option<T> {
    let v = args
        .iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))?;
    Some(
        v.parse()
            .unwrap_or_else(|_| panic!("{flag}: bad value '{v}'")),
    )
}

/// The comma-separated numbers after `flag`.
fn flag_list(args: &[String], flag: &str) -> Option<Vec<u32>> {
    let v: String = flag_value(args, flag)?;
    Some(v.split(',').map(|x| x.parse().expect(flag)).collect())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| flag_value::<String>(&args, name);
    let c = EngineConfig::default();
    let cfg = EngineConfig {
        selfie_detect_sides: flag_list(&args, "--det-side").unwrap_or(c.selfie_detect_sides),
        document_detect_sides: flag_list(&args, "--doc-det-side")
            .unwrap_or(c.document_detect_sides),
        jitters: flag_value(&args, "--jitters").unwrap_or(c.jitters),
        document_jitters: flag_value(&args, "--doc-jitters").unwrap_or(c.document_jitters),
        embed_face_side: flag_value(&args, "--embed-side").unwrap_or(c.embed_face_side),
        selfie_decode_min_side: flag_value(&args, "--decode-min")
            .unwrap_or(c.selfie_decode_min_side),
        max_detect_side: flag_value(&args, "--max-detect-side").unwrap_or(c.max_detect_side),
        max_upscale: flag_value(&args, "--max-upscale").unwrap_or(c.max_upscale),
        prominent_ratio: flag_value(&args, "--prominent").unwrap_or(c.prominent_ratio),
        ..c
    };
    let quick = args.iter().any(|a| a == "--quick");
    let core_only = args.iter().any(|a| a == "--core-only");
    let with_docs = !core_only || args.iter().any(|a| a == "--with-docs");
    let tag = arg("--tag").unwrap_or_else(|| "default".into());
    let out: PathBuf = arg("--out")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/face/out"))
        })
        .join(&tag);
    std::fs::create_dir_all(&out).expect("create out dir");

    let paths = match std::env::var_os("KYCD_MODELS_DIR") {
        Some(dir) => ModelPaths::in_dir(dir),
        None => ModelPaths::in_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models")),
    }
    .unwrap_or_else(|e| panic!("{e}"));
    let engine = FaceEngine::new(&paths, cfg.clone()).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("config: {cfg:?}");

    let manifest: Value =
        serde_json::from_slice(&std::fs::read(format!("{FACES}/manifest.json")).expect("manifest"))
            .expect("json");
    // warm-up
    let first = manifest["files"][0]["file"].as_str().unwrap_or_default();
    let _ = engine.analyze_bytes(
        &std::fs::read(format!("{FACES}/{first}")).unwrap_or_default(),
        ImageKind::Selfie,
    );

    let mut imgs = Vec::new();
    let mut decode_ms = Vec::new();
    let (mut cpu_img_ms, mut det_ms, mut desc_ms) = (Vec::new(), Vec::new(), Vec::new());
    let mut csv =
        String::from("file,identity,expected_faces,faces,prominent,issue,sharpness,glare,ms\n");
    for f in manifest["files"].as_array().expect("files") {
        let file = f["file"].as_str().unwrap_or_default().to_string();
        let identity = f["identity"].as_str().map(str::to_string);
        let single = identity.is_some() && f["faces_in_image"].as_u64() == Some(1);
        let bytes = std::fs::read(format!("{FACES}/{file}")).expect("read image");
        let c0 = cpu_ms();
        let t = Instant::now();
        let img = decode_image_scaled(&bytes, cfg.selfie_decode_min_side).expect("decode");
        decode_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let analysis = engine.analyze(&img, ImageKind::Selfie);
        let ms = t.elapsed().as_secs_f64() * 1e3;
        cpu_img_ms.push(cpu_ms() - c0);
        det_ms.push(analysis.timings_ms.0 as f64);
        desc_ms.push(analysis.timings_ms.1 as f64);
        let (sh, gl) = analysis
            .primary
            .as_ref()
            .map_or((f32::NAN, f32::NAN), |p| (p.sharpness, p.glare));
        let _ = writeln!(
            csv,
            "{file},{},{},{},{},{:?},{sh:.1},{gl:.4},{ms:.1}",
            identity.as_deref().unwrap_or(""),
            f["faces_in_image"],
            analysis.faces.len(),
            analysis.prominent_faces,
            analysis.issue
        );
        imgs.push(Img {
            file,
            identity,
            single,
            analysis,
            ms,
            img,
        });
    }
    std::fs::write(out.join("images.csv"), &csv).expect("write images.csv");

    // detection recall / multi-face
    let singles: Vec<&Img> = imgs.iter().filter(|i| i.single).collect();
    let found = singles
        .iter()
        .filter(|i| i.analysis.primary.is_some())
        .count();
    let exactly_one = singles
        .iter()
        .filter(|i| i.analysis.prominent_faces == 1)
        .count();
    let clean = singles
        .iter()
        .filter(|i| i.analysis.issue.is_none())
        .count();
    let missed: Vec<&str> = singles
        .iter()
        .filter(|i| i.analysis.primary.is_none())
        .map(|i| i.file.as_str())
        .collect();
    let not_one: Vec<String> = singles
        .iter()
        .filter(|i| i.analysis.prominent_faces > 1)
        .map(|i| format!("{}:{}", i.file, i.analysis.prominent_faces))
        .collect();
    let flagged: Vec<String> = singles
        .iter()
        .filter_map(|i| i.analysis.issue.map(|s| format!("{}:{s:?}", i.file)))
        .collect();
    let multi: Vec<&Img> = imgs.iter().filter(|i| !i.single).collect();
    let multi_res: Vec<String> = multi
        .iter()
        .map(|i| {
            format!(
                "{}:{:?}:{}",
                i.file, i.analysis.issue, i.analysis.prominent_faces
            )
        })
        .collect();
    let multi_ok = multi
        .iter()
        .filter(|i| i.analysis.issue == Some(kycd_face::AnalysisIssue::TooManyFaces))
        .count();

    // pairs by the manifest rule
    let by_file: BTreeMap<&str, &Img> = imgs.iter().map(|i| (i.file.as_str(), i)).collect();
    let (mut gen_all, mut imp_all) = (Vec::new(), Vec::new());
    let mut imp_pairs = Vec::new();
    let mut gen_pairs = Vec::new();
    for (i, a) in singles.iter().enumerate() {
        for b in &singles[i + 1..] {
            let d = dist(&a.analysis, &b.analysis);
            if a.identity == b.identity {
                gen_all.push(d);
                gen_pairs.push((a.file.clone(), b.file.clone(), d));
            } else {
                imp_all.push(d);
                imp_pairs.push((a.file.clone(), b.file.clone(), d));
            }
        }
    }
    // baseline protocol: upstream labelled pairs + rule impostors up to 1,000
    let (mut gen_b, mut imp_b) = (Vec::new(), Vec::new());
    let mut used = std::collections::BTreeSet::new();
    for p in manifest["upstream_labelled_pairs"]
        .as_array()
        .expect("pairs")
    {
        let (a, b) = (
            p["a"].as_str().unwrap_or_default(),
            p["b"].as_str().unwrap_or_default(),
        );
        let (Some(x), Some(y)) = (by_file.get(a), by_file.get(b)) else {
            continue;
        };
        let d = dist(&x.analysis, &y.analysis);
        used.insert((a.min(b).to_string(), a.max(b).to_string()));
        if p["same_person"].as_bool() == Some(true) {
            gen_b.push(d);
        } else {
            imp_b.push(d);
        }
    }
    for (a, b, d) in &imp_pairs {
        if imp_b.len() >= 1000 {
            break;
        }
        if used.insert((a.clone().min(b.clone()), a.clone().max(b.clone()))) {
            imp_b.push(*d);
        }
    }
    write_roc(&out.join("roc_all.csv"), &gen_all, &imp_all);
    write_roc(&out.join("roc_baseline_protocol.csv"), &gen_b, &imp_b);
    let (t_all, tar_all, far_all) = tar_at_far(&gen_all, &imp_all, 0.001);
    let (t_b, tar_b, far_b) = tar_at_far(&gen_b, &imp_b, 0.001);
    let chosen = thresholds::MATCH_THRESHOLD;
    let (tar_c_all, far_c_all) = rates(&gen_all, &imp_all, chosen);
    let (tar_c_b, far_c_b) = rates(&gen_b, &imp_b, chosen);
    let (_, far_mis) = rates(&gen_all, &imp_all, thresholds::MISMATCH_THRESHOLD);
    let uncertain_gen = gen_all
        .iter()
        .filter(|&&d| status_for_distance(d, 1.0) == FaceStatus::FaceUncertain)
        .count();
    let uncertain_imp = imp_all
        .iter()
        .filter(|&&d| status_for_distance(d, 1.0) == FaceStatus::FaceUncertain)
        .count();
    let mut worst_gen: Vec<_> = gen_pairs.clone();
    worst_gen.sort_by(|a, b| b.2.total_cmp(&a.2));
    let mut closest_imp: Vec<_> = imp_pairs.clone();
    closest_imp.sort_by(|a, b| a.2.total_cmp(&b.2));

    // same-photo evidence (NCC) on all genuine pairs
    let mut ncc_rows = Vec::new();
    for (a, b, _) in &gen_pairs {
        let (x, y) = (by_file[a.as_str()], by_file[b.as_str()]);
        if let (Some(p), Some(q)) = (&x.analysis.primary, &y.analysis.primary) {
            let ev = same_photo_evidence(p, q);
            ncc_rows.push((a.clone(), b.clone(), ev.chip_ncc, ev.distance));
        }
    }
    ncc_rows.sort_by(|a, b| b.2.total_cmp(&a.2));
    let top_ncc: Vec<String> = ncc_rows
        .iter()
        .take(24)
        .map(|r| format!("{} {} ncc={:.3} d={:.3}", r.0, r.1, r.2, r.3))
        .collect();

    // quality: distribution + synthetic blur / glare
    let sharp: Vec<f64> = singles
        .iter()
        .filter_map(|i| i.analysis.primary.as_ref().map(|p| p.sharpness as f64))
        .collect();
    let glare: Vec<f64> = singles
        .iter()
        .filter_map(|i| i.analysis.primary.as_ref().map(|p| p.glare as f64))
        .collect();
    let (mut blur_flag, mut blur_n, mut glare_flag, mut glare_n) = (0, 0, 0, 0);
    let mut blur_sharp = Vec::new();
    let mut glare_vals = Vec::new();
    let n_quality = if core_only {
        0
    } else if quick {
        10
    } else {
        singles.len()
    };
    for i in singles.iter().take(n_quality) {
        let Some(p) = &i.analysis.primary else {
            continue;
        };
        // Gaussian blur with sigma = face width / 30 (a clearly out-of-focus face)
        let sigma = (p.bbox.width / 30.0).max(1.5);
        let blurred = imageops::blur(&i.img, sigma);
        let a = engine.analyze(&blurred, ImageKind::Selfie);
        if let Some(q) = &a.primary {
            blur_n += 1;
            blur_sharp.push(q.sharpness as f64);
            if a.issue == Some(kycd_face::AnalysisIssue::FaceTooBlurry) {
                blur_flag += 1;
            }
        }
        // glare: saturated ellipse over the upper-left 40% of the face
        let mut g = i.img.clone();
        let (cx, cy) = (
            p.bbox.x + p.bbox.width * 0.4,
            p.bbox.y + p.bbox.height * 0.4,
        );
        let (rx, ry) = (p.bbox.width * 0.3, p.bbox.height * 0.25);
        for y in (cy - ry).max(0.0) as u32..((cy + ry) as u32).min(g.height()) {
            for x in (cx - rx).max(0.0) as u32..((cx + rx) as u32).min(g.width()) {
                let (dx, dy) = ((x as f32 - cx) / rx, (y as f32 - cy) / ry);
                if dx * dx + dy * dy <= 1.0 {
                    g.put_pixel(x, y, Rgb([255, 255, 255]));
                }
            }
        }
        let a = engine.analyze(&g, ImageKind::Selfie);
        if let Some(q) = &a.primary {
            glare_n += 1;
            glare_vals.push(q.glare as f64);
            if a.issue == Some(kycd_face::AnalysisIssue::FaceGlared) {
                glare_flag += 1;
            }
        }
    }

    // synthetic document portraits vs other selfies of the same identity
    let (mut syn_found, mut syn_total) = (0, 0);
    let (mut syn_gen, mut syn_imp) = (Vec::new(), Vec::new());
    let (mut syn_same_photo_flag, mut syn_same_photo_n) = (0, 0);
    let (mut syn_ncc, mut syn_self_d) = (Vec::new(), Vec::new());
    let mut syn_pages: Vec<(usize, FaceAnalysis)> = Vec::new();
    for (k, i) in singles.iter().enumerate() {
        if core_only || (quick && k % 4 != 0) {
            continue;
        }
        let Some(page) = synth_portrait(&i.img, &i.analysis, k as u32 + 1) else {
            continue;
        };
        syn_total += 1;
        let a = engine.analyze(&page, ImageKind::Document);
        if a.primary.is_some() {
            syn_found += 1;
        }
        syn_pages.push((k, a.clone()));
        if let (Some(p), Some(q)) = (&a.primary, &i.analysis.primary) {
            syn_same_photo_n += 1;
            let ev = same_photo_evidence(q, p);
            syn_ncc.push(ev.chip_ncc as f64);
            syn_self_d.push(ev.distance as f64);
            if ev.same_photo {
                syn_same_photo_flag += 1;
            }
        }
        for j in &singles {
            if j.file == i.file {
                continue;
            }
            let d = dist(&j.analysis, &a);
            if j.identity == i.identity {
                syn_gen.push(d);
            } else {
                syn_imp.push(d);
            }
        }
    }
    let (syn_tar, syn_far) = rates(&syn_gen, &syn_imp, chosen);
    // second opinion: embed the selfie from a greyscale copy when the portrait is grey
    let (syn_tar_grey, syn_far_grey) = if syn_pages.is_empty() {
        (f64::NAN, f64::NAN)
    } else {
        let greys: Vec<FaceAnalysis> = singles
            .iter()
            .map(|i| {
                let mut a = i.analysis.clone();
                if let Some(p) = a.primary.as_mut() {
                    p.embedding = engine.grey_embedding(&i.img, p);
                }
                a
            })
            .collect();
        // through the public decision path as well (greyscale portrait detected by chroma)
        let mut verify_match = (0usize, 0usize);
        for (k, page) in &syn_pages {
            for (j, s) in singles.iter().enumerate() {
                if j != *k && s.identity == singles[*k].identity {
                    verify_match.1 += 1;
                    let v = engine.verify(&s.img, &s.analysis, page, 1.0);
                    verify_match.0 += usize::from(v.face_status == FaceStatus::FaceMatch);
                }
            }
        }
        eprintln!(
            "verify() on synthetic grey portraits: {}/{} FACE_MATCH",
            verify_match.0, verify_match.1
        );
        let (mut gg, mut gi) = (Vec::new(), Vec::new());
        for (k, page) in &syn_pages {
            for (j, s) in singles.iter().enumerate() {
                if j == *k {
                    continue;
                }
                let d = dist(&greys[j], page);
                if s.identity == singles[*k].identity {
                    gg.push(d)
                } else {
                    gi.push(d)
                }
            }
        }
        rates(&gg, &gi, chosen)
    };
    let syn_match_or_uncertain = syn_gen
        .iter()
        .filter(|&&d| d <= thresholds::MISMATCH_THRESHOLD)
        .count() as f64
        / syn_gen.len().max(1) as f64;

    // real documents: portrait detection + portrait groups
    let dm: Value = serde_json::from_slice(
        &std::fs::read(format!("{DOCS}/manifest.json")).expect("doc manifest"),
    )
    .expect("json");
    let mut docs = Vec::new();
    let mut doc_ms = Vec::new();
    for f in dm["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter(|_| with_docs)
    {
        let file = f["file"].as_str().unwrap_or_default().to_string();
        let cat = f["category"].as_str().unwrap_or_default().to_string();
        let group = f["portrait_identity"].as_str().map(str::to_string);
        let bytes = std::fs::read(format!("{DOCS}/{file}")).expect("read doc");
        let t = Instant::now();
        let a = engine
            .analyze_bytes(&bytes, ImageKind::Document)
            .expect("decode doc");
        doc_ms.push(t.elapsed().as_secs_f64() * 1e3);
        docs.push((file, cat, group, a));
    }
    let doc_rows: Vec<String> = docs
        .iter()
        .map(|(f, c, g, a)| {
            format!(
                "{f} [{c}] group={} faces={} rot={}",
                g.as_deref().unwrap_or("-"),
                a.faces.len(),
                a.primary.as_ref().map_or(-1, |p| p.rotation as i32)
            )
        })
        .collect();
    let with_portrait = docs.iter().filter(|d| d.1 != "negative_no_mrz");
    let doc_found = with_portrait
        .clone()
        .filter(|d| d.3.primary.is_some())
        .count();
    let doc_total = with_portrait.count();
    let (mut dg, mut di) = (Vec::new(), Vec::new());
    for (i, a) in docs.iter().enumerate() {
        for b in &docs[i + 1..] {
            if let (Some(ga), Some(gb)) = (&a.2, &b.2) {
                let d = dist(&a.3, &b.3);
                if ga == gb { dg.push(d) } else { di.push(d) }
            }
        }
    }
    // documents vs all selfies: impostors (the portraits are specimen persons)
    let mut doc_vs_selfie = Vec::new();
    for d in docs.iter().filter(|d| d.3.primary.is_some()) {
        for s in &singles {
            doc_vs_selfie.push(dist(&s.analysis, &d.3));
        }
    }
    let (dg_tar, _) = rates(&dg, &di, chosen);
    let (_, dvs_far) = rates(&[], &doc_vs_selfie, chosen);
    let min_dvs = doc_vs_selfie.iter().cloned().fold(f32::INFINITY, f32::min);

    // latency per comparison (end to end: decode both, analyse, decide)
    let (mut cmp_ms, mut cmp_cpu_ms) = (Vec::new(), Vec::new());
    let n_cmp = if core_only {
        0
    } else if quick {
        10
    } else {
        60
    };
    for (a, b, _) in gen_pairs
        .iter()
        .chain(imp_pairs.iter())
        .step_by(7)
        .take(n_cmp)
    {
        let ba = std::fs::read(format!("{FACES}/{a}")).expect("read");
        let bb = std::fs::read(format!("{FACES}/{b}")).expect("read");
        let c0 = cpu_ms();
        let t = Instant::now();
        let _ = compare_images(&engine, &ba, &bb, 1.0).expect("compare");
        cmp_ms.push(t.elapsed().as_secs_f64() * 1e3);
        cmp_cpu_ms.push(cpu_ms() - c0);
    }

    let img_ms: Vec<f64> = imgs.iter().map(|i| i.ms).collect();
    let summary = json!({
        "config": format!("{cfg:?}"),
        "thresholds": {"match": chosen, "mismatch": thresholds::MISMATCH_THRESHOLD,
                        "min_sharpness": thresholds::MIN_SHARPNESS, "max_glare": thresholds::MAX_GLARE,
                        "same_photo_ncc": thresholds::SAME_PHOTO_NCC},
        "detection": {"single_face_images": singles.len(), "face_found": found, "exactly_one_prominent": exactly_one,
                      "no_issue": clean, "missed": missed, "more_than_one_prominent": not_one, "flagged": flagged,
                      "multi_face_images": multi.len(), "multi_too_many_faces": multi_ok, "multi_results": multi_res},
        "pairs_all_rule": {"genuine": gen_all.len(), "impostor": imp_all.len(),
                           "tar_at_far_0.1pct": tar_all, "threshold_at_far_0.1pct": t_all, "far_there": far_all,
                           "tar_at_chosen": tar_c_all, "far_at_chosen": far_c_all, "far_at_mismatch_threshold": far_mis,
                           "uncertain_genuine": uncertain_gen, "uncertain_impostor": uncertain_imp,
                           "worst_genuine": worst_gen.iter().take(8).map(|p| format!("{} {} {:.3}", p.0, p.1, p.2)).collect::<Vec<_>>(),
                           "closest_impostors": closest_imp.iter().take(8).map(|p| format!("{} {} {:.3}", p.0, p.1, p.2)).collect::<Vec<_>>()},
        "pairs_baseline_protocol": {"genuine": gen_b.len(), "impostor": imp_b.len(),
                           "tar_at_far_0.1pct": tar_b, "threshold_at_far_0.1pct": t_b, "far_there": far_b,
                           "tar_at_chosen": tar_c_b, "far_at_chosen": far_c_b},
        "same_photo_top_genuine_ncc": top_ncc,
        "quality": {"sharpness_p5_p50": [pct(&sharp, 0.05), pct(&sharp, 0.5)], "sharpness_min": pct(&sharp, 0.0),
                    "glare_p50_p95_max": [pct(&glare, 0.5), pct(&glare, 0.95), pct(&glare, 1.0)],
                    "synthetic_blur_flagged": [blur_flag, blur_n], "synthetic_blur_sharpness_p50_p95_max": [pct(&blur_sharp, 0.5), pct(&blur_sharp, 0.95), pct(&blur_sharp, 1.0)],
                    "synthetic_glare_flagged": [glare_flag, glare_n], "synthetic_glare_p5_p50": [pct(&glare_vals, 0.05), pct(&glare_vals, 0.5)]},
        "synthetic_doc_portraits": {"portraits": syn_total, "portrait_found": syn_found,
                    "genuine_pairs": syn_gen.len(), "impostor_pairs": syn_imp.len(),
                    "match_rate_at_chosen": syn_tar,
                    "grey_selfie_match_rate_at_chosen": syn_tar_grey, "grey_selfie_far_at_chosen": syn_far_grey, "far_at_chosen": syn_far, "match_or_uncertain_rate": syn_match_or_uncertain,
                    "same_photo_flagged_vs_source": [syn_same_photo_flag, syn_same_photo_n],
                    "vs_source_ncc_p5_p50": [pct(&syn_ncc, 0.05), pct(&syn_ncc, 0.5)],
                    "vs_source_distance_p50_p95": [pct(&syn_self_d, 0.5), pct(&syn_self_d, 0.95)]},
        "documents": {"with_portrait_expected": doc_total, "portrait_found": doc_found,
                      "group_genuine_pairs": dg.len(), "group_match_rate_at_chosen": dg_tar,
                      "group_genuine_max_distance": dg.iter().cloned().fold(0f32, f32::max),
                      "doc_vs_selfie_impostors": doc_vs_selfie.len(), "doc_vs_selfie_far_at_chosen": dvs_far,
                      "doc_vs_selfie_min_distance": min_dvs,
                      "ms_p50_p95": [pct(&doc_ms, 0.5), pct(&doc_ms, 0.95)], "rows": doc_rows},
        "latency_ms": {"decode_p50": pct(&decode_ms, 0.5), "detect_p50": pct(&det_ms, 0.5), "landmarks_embed_p50": pct(&desc_ms, 0.5),
                       "per_image_cpu_p50": pct(&cpu_img_ms, 0.5), "per_image_cpu_p95": pct(&cpu_img_ms, 0.95),
                       "per_comparison_cpu_p50": pct(&cmp_cpu_ms, 0.5), "per_comparison_cpu_p95": pct(&cmp_cpu_ms, 0.95),
                       "per_image_p50": pct(&img_ms, 0.5), "per_image_p95": pct(&img_ms, 0.95),
                       "per_comparison_p50": pct(&cmp_ms, 0.5), "per_comparison_p95": pct(&cmp_ms, 0.95),
                       "comparisons_timed": cmp_ms.len()},
    });
    let text = serde_json::to_string_pretty(&summary).expect("json");
    std::fs::write(out.join("summary.json"), &text).expect("write summary");
    println!("{text}");
}
