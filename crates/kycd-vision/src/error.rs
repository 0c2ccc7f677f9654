//! Error type of the crate.

use std::path::PathBuf;

/// Everything that can go wrong while reading a document image.
#[derive(Debug, thiserror::Error)]
pub enum VisionError {
    /// A model file (or the ONNX Runtime library) is missing from the models directory.
    #[error(
        "missing model file {path}: run `scripts/setup.sh` (it downloads the pinned OCR models into $KYCD_MODELS_DIR, default ./models)"
    )]
    ModelMissing {
        /// The file that was looked for.
        path: PathBuf,
    },
    /// ONNX Runtime could not be loaded or failed while running a model.
    #[error("ONNX Runtime error ({context}): {message}")]
    Runtime {
        /// What was being done.
        context: &'static str,
        /// The message from ONNX Runtime.
        message: String,
    },
    /// A model does not look like the expected PP-OCR model.
    #[error("unexpected model {what}: {detail}")]
    BadModel {
        /// Which model.
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// The bytes are not an image format we decode (JPEG or PNG).
    #[error("unsupported image format: {0}")]
    UnsupportedFormat(String),
    /// PDF input is recognised but page rendering is not implemented yet.
    #[error("PDF documents are not supported yet: send the page as a JPEG or PNG image")]
    PdfNotSupported,
    /// The image is larger than the configured pixel limit (checked from the header, before decoding).
    #[error("image is too large: {width}x{height} pixels exceeds the limit of {limit} pixels")]
    TooLarge {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
        /// Configured limit in pixels.
        limit: u64,
    },
    /// The image is too small to contain a readable document.
    #[error("image is too small: {width}x{height} pixels")]
    TooSmall {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// The image data is corrupt or truncated.
    #[error("cannot decode image: {0}")]
    Decode(String),
    /// Reading a file failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// File path.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
}

impl VisionError {
    pub(crate) fn runtime(context: &'static str, err: impl std::fmt::Display) -> Self {
        VisionError::Runtime {
            context,
            message: err.to_string(),
        }
    }
}

/// Result alias of this crate.
pub type Result<T, E = VisionError> = std::result::Result<T, E>;
