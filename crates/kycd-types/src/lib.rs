//! kycd-types: the shared vocabulary of kycd.
//!
//! Identifiers (newtypes), the iDenfy enumerations (statuses, tags, document types), the error identifiers of the
//! iDenfy error envelope and the JSON shapes exchanged with partners (token, webhook). No I/O lives here.

mod macros;

pub mod enums;
pub mod error;
pub mod ids;
pub mod poa;
pub mod text;
pub mod token;
pub mod webhook;

pub use enums::*;
pub use error::{ApiError, ErrorIdentifier};
pub use ids::*;
