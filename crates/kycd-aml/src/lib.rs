//! kycd-aml: AML screening of identity-verification subjects against sanctions and PEP lists.
//!
//! * [`parsers`]: streaming parsers for OFAC CSV/XML, UN XML, EU FSF XML, UK CSV (OFSI and
//!   FCDO), the FCDO UK Sanctions List XML, OpenSanctions FtM JSON lines, into one
//!   [`model::Entity`] model.
//! * [`store`]: normalised lists in `<data_dir>/lists/` (JSON lines + metadata).
//! * [`update`]: download of the official files (HTTPS, rustls), keeping the previous
//!   version on failure.
//! * [`Index`] / [`ScreeningService`]: the immutable in-memory index, swapped atomically;
//!   hot reload of lists written by another process (`reload_if_changed`, `spawn_watcher`).
//! * [`screen`]: queries, explainable hits; [`report`]: the iDenfy-shaped `AML` array.
//! * [`cli`]: the `kycd lists …` and `kycd screen …` commands (clap definitions and
//!   functions), including the batch screen that prints one line per input row.

mod batch;
mod candidates;
pub mod cli;
pub mod country;
pub mod dates;
pub mod error;
pub mod index;
pub mod model;
pub mod monitor;
pub mod normalise;
pub mod parsers;
pub mod report;
mod score;
pub mod screen;
pub mod service;
pub mod store;
pub mod synth;
pub mod update;
pub mod variants;

pub use error::AmlError;
pub use index::Index;
pub use model::{
    DateSpec, Entity, EntityKind, ListMeta, NameKind, NameRecord, ParsedList, Source, Strength,
    Topic,
};
pub use parsers::Format;
pub use report::{AmlData, AmlServiceResult, AmlStatus, aml_array, aml_failed, fraud_tag};
pub use screen::{Feature, Hit, Query, ScreenConfig, ScreenResult};
pub use service::{ListSummary, ReloadEvent, ReloadWatcher, ScreeningService};
