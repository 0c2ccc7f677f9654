//! `kycd mrz read` and `kycd face compare`: the document-vision and face engines on single files.

use anyhow::{Context, Result};
use clap::Subcommand;
use kycd_engines::{load_faces, load_ocr};
use kycd_vision::{DecodeLimits, MrzOptions};
use std::path::{Path, PathBuf};

/// `kycd mrz …`.
#[derive(Debug, Subcommand)]
pub enum MrzCommand {
    /// Finds, reads, repairs and validates the MRZ of a document image.
    Read {
        /// Image file (JPEG/PNG).
        image: PathBuf,
        /// JSON output: `{"found", "format", "lines", "valid", "fields", "repaired", …}`.
        #[arg(long)]
        json: bool,
    },
}

/// `kycd face …`.
#[derive(Debug, Subcommand)]
pub enum FaceCommand {
    /// Compares the face in A (a selfie) with the face in B (a selfie or a document).
    Compare {
        /// Selfie image.
        a: PathBuf,
        /// Second photo or document image.
        b: PathBuf,
        /// JSON output: `{"facesA", "facesB", "distance", "match", "status"}`.
        #[arg(long)]
        json: bool,
        /// `faceMatchingThresholdModifier` (1 = default).
        #[arg(long, default_value_t = 1.0)]
        modifier: f64,
    },
}

/// Runs `kycd mrz read`.
pub fn mrz(models_dir: &Path, cmd: MrzCommand) -> Result<()> {
    let MrzCommand::Read { image, json } = cmd;
    let engine = load_ocr(models_dir)?;
    let bytes =
        std::fs::read(&image).with_context(|| format!("cannot read {}", image.display()))?;
    let img = kycd_vision::decode_image(&bytes, &DecodeLimits::default())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let r = kycd_vision::read_mrz(&engine, &img, &MrzOptions::default())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let v = r.to_json();
    if json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "found: {}  format: {}  valid: {}",
            v["found"], v["format"], v["valid"]
        );
        if let Some(lines) = v["lines"].as_array() {
            for l in lines {
                println!("  {}", l.as_str().unwrap_or_default());
            }
        }
        if let Some(code) = r.status.idenfy_code() {
            println!("status: {code}");
        }
        println!("fields: {}", v["fields"]);
    }
    Ok(())
}

/// Runs `kycd face compare`.
pub fn face(models_dir: &Path, cmd: FaceCommand) -> Result<()> {
    let FaceCommand::Compare {
        a,
        b,
        json,
        modifier,
    } = cmd;
    let pool = load_faces(models_dir, 1)?;
    let ba = std::fs::read(&a).with_context(|| format!("cannot read {}", a.display()))?;
    let bb = std::fs::read(&b).with_context(|| format!("cannot read {}", b.display()))?;
    let report = pool
        .with(|e| kycd_face::compare_images(e, &ba, &bb, modifier))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let v = serde_json::to_value(&report)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "faces A: {}  faces B: {}  distance: {}  match: {}  status: {}",
            v["facesA"], v["facesB"], v["distance"], v["match"], v["status"]
        );
    }
    Ok(())
}
