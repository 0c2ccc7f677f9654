//! Error types.

use std::fmt;

/// Why an MRZ could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MrzError {
    /// No (non-blank) lines were given.
    NoLines,
    /// The line count / lengths match no supported layout (lengths in characters).
    UnsupportedLayout {
        /// Lengths of the given lines.
        line_lengths: Vec<usize>,
    },
    /// A character outside the MRZ alphabet `A-Z 0-9 <` (strict parsing only).
    InvalidCharacter {
        /// Line (0-based).
        line: usize,
        /// Column (0-based, in characters).
        column: usize,
        /// The character.
        found: char,
    },
    /// No MRZ was found in the text.
    NotFound,
}

impl fmt::Display for MrzError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MrzError::NoLines => write!(f, "no MRZ lines given"),
            MrzError::UnsupportedLayout { line_lengths } => {
                write!(
                    f,
                    "line lengths {line_lengths:?} match no supported MRZ layout"
                )
            }
            MrzError::InvalidCharacter {
                line,
                column,
                found,
            } => {
                write!(
                    f,
                    "invalid MRZ character {found:?} at line {line}, column {column}"
                )
            }
            MrzError::NotFound => write!(f, "no MRZ found in the text"),
        }
    }
}

impl std::error::Error for MrzError {}

/// Why fields could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderError {
    /// A field does not fit its MRZ positions.
    TooLong {
        /// Field name.
        field: &'static str,
        /// Characters available.
        max: usize,
        /// Characters given (after encoding).
        got: usize,
    },
    /// A field has a wrong length or characters outside its alphabet.
    BadValue {
        /// Field name.
        field: &'static str,
        /// The value.
        value: String,
    },
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::TooLong { field, max, got } => {
                write!(
                    f,
                    "field {field} needs {got} characters but only {max} are available"
                )
            }
            RenderError::BadValue { field, value } => {
                write!(f, "field {field} cannot hold {value:?}")
            }
        }
    }
}

impl std::error::Error for RenderError {}
