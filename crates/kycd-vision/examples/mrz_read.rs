//! What `kycd mrz read IMAGE --json` does: `cargo run --release -p kycd-vision --example mrz_read -- IMAGE`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: mrz_read IMAGE")?;
    let engine = kycd_vision::OcrEngine::from_env()?;
    let img = kycd_vision::decode_file(std::path::Path::new(&path), &Default::default())?;
    let r = kycd_vision::read_mrz(&engine, &img, &Default::default())?;
    println!("{}", serde_json::to_string_pretty(&r.to_json())?);
    Ok(())
}
