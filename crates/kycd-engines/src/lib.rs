//! kycd-engines: the real check engines behind the pipeline's traits ([`kycd_pipeline::checks`]).
//!
//! | pipeline stage | trait | engine here | model crate |
//! |---|---|---|---|
//! | `/process` photo validation | `DocumentInspector` | [`inspector::VisionInspector`] | kycd-vision, kycd-face |
//! | document | `DocumentAnalyzer` | [`document::VisionAnalyzer`] | kycd-vision (+ [`tamper`]) |
//! | face | `FaceMatcher` | [`face::FaceEngineMatcher`] | kycd-face |
//! | AML | `AmlScreener` | [`aml::AmlEngine`] | kycd-aml |
//! | additional steps | `BillChecker` | [`bill::BillEngine`] | kycd-bill |
//!
//! [`Engines::load`] loads the models once and [`Engines::checks`] hands the pipeline its [`Checks`]: `kycd serve`,
//! `kycd verify` and the benchmarks all build their checks through it, so they run the same engines.

pub mod aml;
pub mod bill;
pub mod document;
pub mod face;
pub mod inspector;
pub mod monitoring;
pub mod tamper;

use kycd_face::{FacePool, ModelPaths};
use kycd_pipeline::Checks;
use kycd_vision::OcrEngine;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why the engines could not be loaded (the message names the missing file and how to install it).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The OCR models or runtime.
    #[error("document reading: {0}")]
    Ocr(String),
    /// The face models.
    #[error("face matching: {0}")]
    Face(String),
    /// The sanctions lists store.
    #[error("cannot load the sanctions lists: {0}")]
    Aml(String),
}

/// What [`Engines::load`] needs.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Folder of the model files (`scripts/setup.sh` puts them there).
    pub models_dir: PathBuf,
    /// Data folder (the sanctions lists store lives under it).
    pub data_dir: PathBuf,
    /// Face engines in the pool (one per concurrent job).
    pub face_pool: usize,
    /// Decoded-image pixel limit.
    pub max_image_pixels: u64,
    /// Concurrent CPU-bound check work (see [`Checks::cpu_slots`]).
    pub cpu_slots: usize,
}

/// The loaded engines.
#[derive(Clone)]
pub struct Engines {
    /// OCR (document reading, bills).
    pub ocr: Arc<OcrEngine>,
    /// Face engines.
    pub faces: Arc<FacePool>,
    /// Sanctions/PEP screening.
    pub aml: Arc<kycd_aml::ScreeningService>,
    opts: EngineOptions,
}

/// Loads the OCR engine (a clear error naming `scripts/setup.sh` when a model is missing).
pub fn load_ocr(models_dir: &Path) -> Result<OcrEngine, EngineError> {
    OcrEngine::load(&kycd_vision::EngineConfig::new(models_dir.to_path_buf()))
        .map_err(|e| EngineError::Ocr(e.to_string()))
}

/// Loads a pool of `size` face engines.
pub fn load_faces(models_dir: &Path, size: usize) -> Result<FacePool, EngineError> {
    let paths = ModelPaths::in_dir(models_dir).map_err(|e| EngineError::Face(e.to_string()))?;
    FacePool::new(&paths, kycd_face::EngineConfig::default(), size.max(1))
        .map_err(|e| EngineError::Face(e.to_string()))
}

impl Engines {
    /// Loads every model once.
    pub fn load(opts: EngineOptions) -> Result<Self, EngineError> {
        let ocr = Arc::new(load_ocr(&opts.models_dir)?);
        let faces = Arc::new(load_faces(&opts.models_dir, opts.face_pool)?);
        let aml = Arc::new(
            kycd_aml::ScreeningService::load(&opts.data_dir)
                .map_err(|e| EngineError::Aml(e.to_string()))?,
        );
        Ok(Self {
            ocr,
            faces,
            aml,
            opts,
        })
    }

    /// The pipeline's checks backed by these engines.
    pub fn checks(&self) -> Checks {
        let px = self.opts.max_image_pixels;
        Checks {
            inspector: Arc::new(inspector::VisionInspector::new(
                self.ocr.clone(),
                self.faces.clone(),
                px,
            )),
            document: Some(Arc::new(document::VisionAnalyzer::new(
                self.ocr.clone(),
                px,
            ))),
            face: Some(Arc::new(face::FaceEngineMatcher::new(self.faces.clone()))),
            aml: Some(Arc::new(aml::AmlEngine::new(self.aml.clone()))),
            bill: Some(Arc::new(bill::BillEngine::new(self.ocr.clone()))),
            cpu_slots: Arc::new(tokio::sync::Semaphore::new(self.opts.cpu_slots.max(1))),
        }
    }
}
