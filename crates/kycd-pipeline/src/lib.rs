//! kycd-pipeline: the verification job.
//!
//! A worker claims a job from the store (with a lease), loads the verification, its token and its images, runs the
//! checks (document, face, fraud, AML, additional steps), derives the decision and stores the result together with
//! its webhook outbox row in one transaction.
//!
//! The checks plug in through traits ([`checks`]) so each can land on its own; a check that is not installed
//! reports the iDenfy "not analysed / not checked" status instead of a fabricated result.

pub mod checks;
pub mod decision;
pub mod expiry;
pub mod faces;
pub mod retention;
pub mod review;
pub mod run;
pub mod telemetry;
pub mod worker;

pub use checks::{
    AmlFacts, AmlScreener, BillChecker, BillFacts, Checks, DocData, DocumentAnalyzer,
    DocumentFacts, DocumentInspector, FaceFacts, FaceMatcher, PhotoValidation,
};
pub use decision::{CheckResults, Decision, DecisionInput, FraudFacts, decide, evaluate};
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
    /// A check failed unexpectedly.
    #[error("check failed: {0}")]
    Check(String),
    /// Data the job needs is missing.
    #[error("missing: {0}")]
    Missing(String),
}
