//! kycd-pipeline: the verification job, one module per box of the data flow (docs/ARCHITECTURE.md).
//!
//! A [`worker`] claims a job from the store (with a lease) and hands the verification to [`run`], which calls the
//! stages in order — [`document`], [`face`], [`fraud`] (consistency, tampering, duplicates, blocklists),
//! [`aml`], [`additional`] — each a function from its inputs to its findings. [`decision`] derives the statuses
//! once from all findings (and holds the manual-review rule and manual decisions); [`result`] turns the decision
//! into the webhook body and its outbox row, stored in one transaction with the result.
//!
//! The engines plug in through the traits of [`checks`] (implemented by kycd-engines); a check that is not
//! installed reports the iDenfy "not analysed / not checked" status instead of a fabricated result.

pub mod additional;
pub mod aml;
pub mod checks;
pub mod decision;
pub mod document;
pub mod expiry;
pub mod face;
pub mod faces;
pub mod fraud;
pub mod rekey;
pub mod result;
pub mod retention;
pub mod run;
pub mod sandbox;
pub mod worker;

pub use checks::{
    AmlFacts, AmlScreener, BillChecker, BillFacts, CheckError, Checks, DocData, DocumentAnalyzer,
    DocumentFacts, DocumentInspector, FaceFacts, FaceMatcher, PhotoValidation, PoaProvided,
};
pub use decision::{CheckResults, Decision, DecisionInput, decide, evaluate};
pub use fraud::FraudFacts;
pub use run::{Evaluated, Run};
pub use worker::{Worker, WorkerConfig};

/// Pipeline errors.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Store failure.
    #[error(transparent)]
    Store(#[from] kycd_store::StoreError),
    /// Blob failure.
    #[error(transparent)]
    Blob(#[from] kycd_blob::BlobError),
    /// A check engine failed on this input.
    #[error(transparent)]
    Engine(#[from] CheckError),
    /// The job's machinery failed (a task panicked, a stored result does not parse).
    #[error("check failed: {0}")]
    Check(String),
    /// Data the job needs is missing.
    #[error("missing: {0}")]
    Missing(String),
}
