//! Error type of the crate.

use std::path::PathBuf;

/// Everything that can go wrong while importing, storing, updating or screening.
#[derive(Debug, thiserror::Error)]
pub enum AmlError {
    /// An I/O error on a named path.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An I/O error writing output.
    #[error("output error: {0}")]
    Output(#[from] std::io::Error),
    /// A list file could not be parsed.
    #[error("parse error in {what}: {detail}")]
    Parse {
        /// Which file / format.
        what: String,
        /// What went wrong.
        detail: String,
    },
    /// A parsed file contained no entries (treated as a failed download / wrong format).
    #[error("{0}: no entries found")]
    Empty(String),
    /// JSON (de)serialisation failed.
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
    /// An HTTP download failed.
    #[error("download of {url} failed: {detail}")]
    Download {
        /// The URL.
        url: String,
        /// What went wrong.
        detail: String,
    },
    /// Invalid argument (unknown format, bad date, ...).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// No lists have been imported in the data dir.
    #[error("no lists stored under {0}; run `kycd lists import` or `kycd lists update` first")]
    NoLists(PathBuf),
    /// The screening service has no list loaded (nothing was imported yet), so a screening
    /// cannot tell a clean subject from an unchecked one.
    #[error(
        "no sanctions lists loaded: run `kycd lists update` or `kycd lists import`; the AML check was not performed"
    )]
    NoListsLoaded,
}

impl AmlError {
    /// Wrap an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        AmlError::Io {
            path: path.into(),
            source,
        }
    }

    /// A parse error.
    pub fn parse(what: impl Into<String>, detail: impl std::fmt::Display) -> Self {
        AmlError::Parse {
            what: what.into(),
            detail: detail.to_string(),
        }
    }
}
