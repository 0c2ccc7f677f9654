//! kycd-vision: reading identity documents offline on CPU.
//!
//! Image decoding (JPEG/PNG, EXIF orientation, decompression-bomb limit), quality gates, document
//! detection and rectification, PP-OCRv6 text detection + recognition through ONNX Runtime, MRZ
//! localisation and reading (validated and repaired by `kycd-mrz`), visual-zone fields, document type and
//! portrait crop.

pub mod decode;
pub mod error;
pub mod geometry;
pub mod ocr;

pub use decode::{DecodeLimits, decode_file, decode_image};
pub use error::{Result, VisionError};
pub use ocr::{CropMode, DetParams, EngineConfig, OcrEngine, OcrStats, TextBox, TextLine};
pub mod mrz;
pub mod mrz_text;
pub mod reader;

pub use reader::{MrzOptions, MrzResult, MrzStatus, Rotation, read_mrz};
pub mod document;
pub mod quality;

pub use document::{DocumentQuad, detect_document_quad, rectify};
pub use quality::{QualityIssue, QualityMetrics, QualityReport, QualityThresholds, assess};
pub mod pipeline;
pub mod viz;

pub use pipeline::{
    DocumentReading, FieldMismatch, ReadOptions, compare_fields, detect_document_present,
    detect_document_type, locate_portrait, mrz_glare, read_document, settle_with_visual_zone,
};
pub use viz::VizFields;
