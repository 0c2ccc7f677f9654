//! Prints every detected/recognised text line of an image: `cargo run --release -p kycd-vision --example ocr_dump -- IMAGE...`
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let engine = kycd_vision::OcrEngine::from_env()?;
    for path in std::env::args().skip(1) {
        let t = std::time::Instant::now();
        let img = kycd_vision::decode_file(std::path::Path::new(&path), &Default::default())?;
        let t_dec = t.elapsed();
        let boxes = engine.detect(&img)?;
        let t_det = t.elapsed();
        let lines = engine.recognize(&img, &boxes)?;
        println!(
            "== {path} {}x{} ({} lines, decode {:?} det {:?} rec {:?})",
            img.width(),
            img.height(),
            lines.len(),
            t_dec,
            t_det - t_dec,
            t.elapsed() - t_det
        );
        for l in lines {
            let (w, h) = l.bbox.quad.size();
            let c = l.bbox.quad.center();
            println!(
                "  [{:6.1},{:6.1} {:5.0}x{:3.0} {:5.1}deg] {:.2} {}",
                c.0,
                c.1,
                w,
                h,
                l.bbox.quad.angle_deg(),
                l.confidence,
                l.text
            );
        }
    }
    Ok(())
}
