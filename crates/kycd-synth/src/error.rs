//! Errors of the generator.

use std::path::PathBuf;

/// Everything that can go wrong while generating a document.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// The OCR-B font file could not be read.
    #[error(
        "cannot read the OCR-B font {path}: {source} (install the Debian package fonts-ocr-b, see scripts/apt/synth.txt, or set KYCD_OCRB_FONT)"
    )]
    FontMissing {
        /// Path tried.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The font file is not a usable font.
    #[error("invalid font: {0}")]
    FontInvalid(String),
    /// The MRZ could not be rendered from the generated fields.
    #[error("MRZ rendering failed: {0}")]
    Mrz(#[from] kycd_mrz::RenderError),
    /// The perspective transform is degenerate.
    #[error("degenerate perspective transform")]
    Projection,
    /// JPEG encoding/decoding failed.
    #[error("image codec: {0}")]
    Codec(#[from] image::ImageError),
}
