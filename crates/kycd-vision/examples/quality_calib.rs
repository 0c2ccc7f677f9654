//! Prints quality metrics for the shared documents, blurred copies, glare copies and face photos.
#[path = "../tests/support/manifest.rs"]
mod manifest;

use kycd_vision::quality::{QualityThresholds, TextEvidence, assess};

fn glare(img: &image::RgbImage) -> image::RgbImage {
    let (w, h) = img.dimensions();
    let (cx, cy) = (w as f32 * 0.6, h as f32 * 0.4);
    let r = ((w * h) as f32 * 0.06 / std::f32::consts::PI).sqrt();
    image::RgbImage::from_fn(w, h, |x, y| {
        let d = (((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt() / r).min(2.0);
        let p = img.get_pixel(x, y).0;
        let a = if d < 1.0 { 1.0 } else { (2.0 - d).max(0.0) };
        image::Rgb(p.map(|c| (c as f32 * (1.0 - a) + 255.0 * a) as u8))
    })
}

fn main() {
    let t = QualityThresholds::default();
    for d in manifest::load_manifest() {
        let img = kycd_vision::decode_file(&d.path(), &Default::default()).expect("decode");
        let ev = TextEvidence {
            has_text: true,
            text_cut_at_border: false,
        };
        let r = assess(&img, ev, &t);
        let s = img.width().max(img.height()) as f32 / 640.0;
        let b = assess(
            &imageproc::filter::gaussian_blur_f32(&img, 1.5 * s.max(1.0)),
            ev,
            &t,
        );
        let g = assess(&glare(&img), ev, &t);
        let q = kycd_vision::detect_document_quad(&img);
        println!(
            "{:<58} lap {:8.1} blur {:6.1} ratio {:6.2} bratio {:6.2} sat {:.3} gsat {:.3} blob {:.4} glare {:.4} quad {:?} {:?}",
            d.file,
            r.metrics.laplacian_var,
            b.metrics.laplacian_var,
            r.metrics.sharpness_ratio,
            b.metrics.sharpness_ratio,
            r.metrics.saturated_fraction,
            g.metrics.saturated_fraction,
            r.metrics.largest_glare_blob,
            g.metrics.largest_glare_blob,
            q.map(|q| (q.area_fraction, q.corners_on_border)),
            r.issues
        );
    }
    for e in std::fs::read_dir(manifest::documents_dir().join("../faces/deepface")).expect("faces")
    {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "jpg") {
            let Ok(img) = kycd_vision::decode_file(&p, &Default::default()) else {
                continue;
            };
            let q = kycd_vision::detect_document_quad(&img);
            println!(
                "FACE {:?} quad {:?}",
                p.file_name(),
                q.map(|q| (q.area_fraction, q.corners_on_border))
            );
        }
    }
}
