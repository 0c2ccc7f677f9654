//! Wiring of the document-vision and face engines: `kycd mrz read`, `kycd face compare`, and the synchronous
//! inspector `/api/v2/process` uses for document-type detection and photo validation.

use anyhow::{Context, Result};
use bytes::Bytes;
use clap::Subcommand;
use kycd_face::{FacePool, ImageKind, ModelPaths};
use kycd_pipeline::{DocumentInspector, PhotoValidation};
use kycd_types::DocumentType;
use kycd_vision::{DecodeLimits, MrzOptions, OcrEngine};
use std::path::{Path, PathBuf};
use std::sync::Arc;

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

/// Loads the OCR engine from the models dir (clear error naming `scripts/setup.sh` when missing).
pub fn load_ocr(models_dir: &Path) -> Result<OcrEngine> {
    OcrEngine::load(&kycd_vision::EngineConfig::new(models_dir.to_path_buf()))
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Loads a pool of face engines.
pub fn load_faces(models_dir: &Path, size: usize) -> Result<FacePool> {
    let paths = ModelPaths::in_dir(models_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    FacePool::new(&paths, kycd_face::EngineConfig::default(), size)
        .map_err(|e| anyhow::anyhow!("{e}"))
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

/// The synchronous inspector of `/api/v2/process` backed by the real engines.
pub struct VisionInspector {
    ocr: Arc<OcrEngine>,
    faces: Arc<FacePool>,
    limits: DecodeLimits,
}

impl VisionInspector {
    /// Builds the inspector.
    pub fn new(ocr: Arc<OcrEngine>, faces: Arc<FacePool>, max_pixels: u64) -> Self {
        Self {
            ocr,
            faces,
            limits: DecodeLimits {
                max_pixels,
                ..DecodeLimits::default()
            },
        }
    }

    fn decode(&self, bytes: &Bytes, mime: &str) -> Option<image::RgbImage> {
        if mime == "application/pdf" {
            return None;
        }
        kycd_vision::decode_image(bytes, &self.limits).ok()
    }
}

impl DocumentInspector for VisionInspector {
    fn detect_document_type(&self, front: &Bytes, mime: &str) -> Option<DocumentType> {
        let img = self.decode(front, mime)?;
        // No document in the picture, no type: the aspect-ratio fallback of the detector must not type a selfie.
        if !kycd_vision::detect_document_present(&self.ocr, &img).ok()? {
            return None;
        }
        let d = kycd_vision::detect_document_type(&self.ocr, &img).ok()??;
        let t: DocumentType = d.as_str().parse().ok()?;
        DocumentType::DIRECT_PROCESSING.contains(&t).then_some(t)
    }

    fn validate_photos(
        &self,
        front: (&Bytes, &str),
        face: Option<(&Bytes, &str)>,
    ) -> PhotoValidation {
        // A PDF or an undecodable image cannot be validated here: leave the verdict to the worker.
        let document_found = self
            .decode(front.0, front.1)
            .and_then(|img| kycd_vision::detect_document_present(&self.ocr, &img).ok());
        let face_found = face.and_then(|(b, m)| {
            if m == "application/pdf" {
                return None;
            }
            self.faces
                .with(|e| e.analyze_bytes(b, ImageKind::Selfie))
                .ok()
                .map(|a| a.primary.is_some())
        });
        PhotoValidation {
            document_found,
            face_found,
        }
    }

    fn name(&self) -> &'static str {
        "kycd-vision/kycd-face"
    }
}
