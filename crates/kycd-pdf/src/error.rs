//! Error type of the crate.

/// Everything that can go wrong while reading an untrusted PDF.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The bytes do not start with (or contain near the start) a `%PDF-` header.
    #[error("not a PDF file (no %PDF- header)")]
    NotPdf,
    /// The input is larger than the configured byte limit.
    #[error("PDF is too large: {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Size of the input.
        size: usize,
        /// Configured limit.
        limit: usize,
    },
    /// The file could not be parsed (broken structure, truncated, bad streams).
    #[error("malformed PDF: {0}")]
    Malformed(String),
    /// The PDF is encrypted with a user password: nothing can be read without it.
    #[error("PDF is password-protected (a user password is needed to open it)")]
    PasswordRequired,
    /// The PDF has no pages.
    #[error("PDF has no pages")]
    NoPages,
    /// A page number outside `1..=page_count` was asked for.
    #[error("page {page} does not exist (the PDF has {count} pages)")]
    PageOutOfRange {
        /// Requested page (1-based).
        page: u32,
        /// Number of pages.
        count: usize,
    },
    /// An embedded image or a rendering would exceed the pixel limit.
    #[error("image is too large: {width}x{height} pixels exceeds the limit of {limit} pixels")]
    ImageTooLarge {
        /// Width in pixels.
        width: u64,
        /// Height in pixels.
        height: u64,
        /// Configured limit in pixels.
        limit: u64,
    },
    /// An embedded image could not be converted to JPEG/PNG bytes.
    #[error("cannot convert embedded image: {0}")]
    Image(String),
    /// The page renderer (`pdftoppm` from Debian's `poppler-utils`) is not installed.
    #[error(
        "PDF page renderer `{0}` not found: install Debian's poppler-utils (listed in scripts/apt/bill.txt; run scripts/setup.sh)"
    )]
    RendererMissing(String),
    /// The renderer ran but failed or timed out.
    #[error("PDF page rendering failed: {0}")]
    Render(String),
    /// The PDF library panicked on this input (caught; treated as malformed).
    #[error("malformed PDF: the parser gave up ({0})")]
    ParserPanic(String),
}

impl PdfError {
    pub(crate) fn malformed(e: impl std::fmt::Display) -> Self {
        PdfError::Malformed(e.to_string())
    }
}

/// Result alias of this crate.
pub type Result<T, E = PdfError> = std::result::Result<T, E>;
