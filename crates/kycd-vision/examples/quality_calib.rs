//! Prints quality metrics for the shared documents, blurred copies, glare copies and face photos.
#[path = "../tests/support/manifest.rs"]
mod manifest;
#[path = "../tests/support/tools.rs"]
mod tools;

use kycd_vision::quality::{QualityThresholds, TextEvidence, assess};
use tools::glare;

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
