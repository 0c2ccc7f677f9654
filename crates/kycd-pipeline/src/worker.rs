//! The worker loop: claim a job with a lease, run the checks, store the result and its webhook in one transaction.

use crate::checks::Checks;
use crate::decision::{CheckResults, decide};
use crate::{PhotoValidation, PipelineError};
use kycd_blob::BlobStore;
use kycd_store::{ClaimedJob, JobOutcome, Keyring, OutboxEntry, Store, VerificationRow, now_ms};
use kycd_types::token::TokenSettings;
use kycd_types::webhook::{DataBlock, IdentificationResult};
use kycd_types::{
    DocumentStatus, DocumentType, EventType, FaceStatus, OverallStatus, Platform, TokenType,
};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tracing::{Instrument, info, info_span, warn};

/// Builds the short-lived signed URLs kycd serves files under.
#[derive(Clone, Debug)]
pub struct FileUrls {
    /// Public base URL, e.g. `http://127.0.0.1:8080`.
    pub base: String,
    /// Keys.
    pub keyring: Keyring,
    /// Lifetime of a URL in seconds.
    pub ttl_secs: i64,
}

impl FileUrls {
    /// A signed URL for one step's file, valid for `ttl_secs`.
    pub fn url(&self, scan_ref: &str, step: &str) -> String {
        let expires = now_ms() / 1000 + self.ttl_secs;
        let sig = self.keyring.file_url_signature(scan_ref, step, expires);
        format!(
            "{}/api/v2/files/{scan_ref}/{step}?expires={expires}&signature={sig}",
            self.base.trim_end_matches('/')
        )
    }

    /// The `fileUrls` map of a verification: every stored step.
    pub fn map(&self, v: &VerificationRow) -> BTreeMap<String, Option<String>> {
        v.images
            .keys()
            .map(|step| (step.clone(), Some(self.url(&v.scan_ref, step))))
            .collect()
    }
}

/// Worker settings.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Name of this worker (lease owner prefix).
    pub name: String,
    /// Concurrent jobs.
    pub concurrency: usize,
    /// Lease length.
    pub lease: Duration,
    /// Idle poll interval.
    pub poll: Duration,
    /// Delay before a failed attempt is retried.
    pub retry_backoff: Duration,
}

/// The in-process worker pool.
#[derive(Clone)]
pub struct Worker {
    store: Store,
    blobs: BlobStore,
    checks: Checks,
    files: FileUrls,
    cfg: WorkerConfig,
    wake: Arc<Notify>,
}

impl Worker {
    /// Creates a worker pool.
    pub fn new(
        store: Store,
        blobs: BlobStore,
        checks: Checks,
        files: FileUrls,
        cfg: WorkerConfig,
    ) -> Self {
        Self {
            store,
            blobs,
            checks,
            files,
            cfg,
            wake: Arc::new(Notify::new()),
        }
    }

    /// A handle that wakes idle workers at once (the API pokes it after enqueuing).
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Runs `concurrency` loops until `shutdown` turns true; in-flight jobs finish first.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        let mut set = tokio::task::JoinSet::new();
        for i in 0..self.cfg.concurrency.max(1) {
            let w = self.clone();
            let sd = shutdown.clone();
            let owner = format!("{}-{}-{}", w.cfg.name, i, uuid::Uuid::new_v4().simple());
            set.spawn(async move { w.run_loop(owner, sd).await });
        }
        while set.join_next().await.is_some() {}
    }

    async fn run_loop(self, owner: String, mut shutdown: watch::Receiver<bool>) {
        let lease_ms = self.cfg.lease.as_millis() as i64;
        loop {
            if *shutdown.borrow() {
                return;
            }
            match self.store.claim_job(&owner, lease_ms).await {
                Ok(Some(job)) => {
                    let span = info_span!("job", job_id = %job.id, scan_ref = %job.scan_ref, attempt = job.attempts);
                    self.handle(job).instrument(span).await;
                    continue;
                }
                Ok(None) => {}
                Err(e) => warn!(error = %e, "claiming a job failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.cfg.poll) => {}
                _ = self.wake.notified() => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    async fn handle(&self, job: ClaimedJob) {
        let started = std::time::Instant::now();
        let outcome = match self.process(&job).await {
            Ok(o) => o,
            Err(e) if !job.is_last_attempt() => {
                warn!(error = %e, "job attempt failed; will retry");
                let backoff = self.cfg.retry_backoff.as_millis() as i64 * job.attempts.max(1);
                if let Err(e) = self.store.fail_job(&job, &e.to_string(), backoff).await {
                    warn!(error = %e, "could not give the job back");
                }
                return;
            }
            Err(e) => {
                warn!(error = %e, "job failed on its last attempt; reporting an error result");
                match self.error_outcome(&job).await {
                    Ok(o) => o,
                    Err(e2) => {
                        warn!(error = %e2, "could not build the error result");
                        let _ = self.store.fail_job(&job, &e.to_string(), 0).await;
                        return;
                    }
                }
            }
        };
        match self.store.complete_job(&job, &outcome).await {
            Ok(true) => {
                info!(status = %outcome.status, ms = started.elapsed().as_millis() as u64, "job finished")
            }
            Ok(false) => {
                warn!("lease lost before the result was stored; another worker owns the job")
            }
            Err(e) => {
                warn!(error = %e, "storing the result failed; will retry");
                let _ = self
                    .store
                    .fail_job(
                        &job,
                        &e.to_string(),
                        self.cfg.retry_backoff.as_millis() as i64,
                    )
                    .await;
            }
        }
    }

    async fn load(
        &self,
        job: &ClaimedJob,
    ) -> Result<(VerificationRow, TokenSettings, kycd_store::PartnerRow), PipelineError> {
        let v = self
            .store
            .verification(&job.scan_ref)
            .await?
            .ok_or_else(|| PipelineError::Missing(format!("verification {}", job.scan_ref)))?;
        let token = self
            .store
            .token_for_partner(&v.auth_token, v.partner_id)
            .await?
            .ok_or_else(|| PipelineError::Missing("token".into()))?;
        let partner = self
            .store
            .partner_by_id(v.partner_id)
            .await?
            .ok_or_else(|| PipelineError::Missing("partner".into()))?;
        Ok((v, token.settings, partner))
    }

    async fn process(&self, job: &ClaimedJob) -> Result<JobOutcome, PipelineError> {
        let (v, token, partner) = self.load(job).await?;
        // Every image must still be readable: a missing blob is an error worth retrying, never a silent pass.
        for img in v.images.values() {
            if !self.blobs.exists(&img.key).await? {
                return Err(kycd_blob::BlobError::NotFound(img.key.clone()).into());
            }
        }
        let precheck: Option<PhotoValidation> = v
            .precheck
            .clone()
            .and_then(|p| serde_json::from_value(p).ok());
        let (face, document) = match precheck {
            Some(PhotoValidation {
                document_found: Some(false),
                ..
            }) => (FaceStatus::FaceNotAnalysed, DocumentStatus::DocNotFound),
            Some(PhotoValidation {
                face_found: Some(false),
                ..
            }) if token.token_type != TokenType::Document => {
                (FaceStatus::NoFaceFound, DocumentStatus::DocNotAnalysed)
            }
            // No document or face engine is installed yet: nothing was analysed, and the result says so.
            _ => (FaceStatus::FaceNotChecked, DocumentStatus::DocNotAnalysed),
        };
        let results = CheckResults {
            token_type: token.token_type,
            face,
            document,
            fraud_tags: vec![],
            mismatch_tags: vec![],
            additional_steps: None,
        };
        let evidence = serde_json::json!({
            "engines": { "document": self.checks.inspector.name(), "face": "none", "aml": "none" },
            "precheck": v.precheck,
        });
        Ok(self.outcome(&v, &token, &partner, &results, evidence))
    }

    async fn error_outcome(&self, job: &ClaimedJob) -> Result<JobOutcome, PipelineError> {
        let (v, token, partner) = self.load(job).await?;
        let results = CheckResults {
            token_type: token.token_type,
            face: FaceStatus::FaceError,
            document: DocumentStatus::DocError,
            fraud_tags: vec![],
            mismatch_tags: vec![],
            additional_steps: None,
        };
        Ok(self.outcome(
            &v,
            &token,
            &partner,
            &results,
            serde_json::json!({ "error": "processing failed repeatedly" }),
        ))
    }

    fn outcome(
        &self,
        v: &VerificationRow,
        token: &TokenSettings,
        partner: &kycd_store::PartnerRow,
        results: &CheckResults,
        evidence: serde_json::Value,
    ) -> JobOutcome {
        let (overall, mut status) = decide(results);
        let review = partner.manual_review
            || (overall == OverallStatus::Approved && token.flag("reviewSuccessful"))
            || (overall != OverallStatus::Approved && token.flag("reviewFailed"));
        if review {
            status.overall = OverallStatus::Reviewing;
        }
        let data = DataBlock {
            selected_country: v.country.clone(),
            doc_type: v
                .document_type
                .as_deref()
                .and_then(|d| d.parse::<DocumentType>().ok()),
            ..DataBlock::default()
        };
        let result = IdentificationResult {
            is_final: !review,
            platform: Platform::Other,
            status,
            data,
            file_urls: self.files.map(v),
            additional_step_pdf_urls: BTreeMap::new(),
            aml: None,
            aml_check: None,
            lid: None,
            criminal_check: None,
            scan_ref: v.scan_ref.clone(),
            external_ref: token.external_ref.clone(),
            client_id: v.client_id.clone(),
            company_id: None,
            beneficiary_id: None,
            start_time: v.created_at / 1000,
            finish_time: now_ms() / 1000,
            client_ip: None,
            client_ip_country: None,
            client_location: None,
            gdc_match: None,
            manual_address: None,
            manual_address_match: false,
            additional_steps: None,
            registry_center_check: None,
            address_verification: None,
            questionnaire_answers: None,
            risk_assessment: None,
            kycd: Some(evidence),
        };
        let body = serde_json::to_vec(&result).unwrap_or_default();
        let value = serde_json::to_value(&result).unwrap_or(serde_json::Value::Null);
        let stored_status = if review {
            OverallStatus::Reviewing
        } else {
            overall
        };
        JobOutcome {
            status: stored_status.as_str().to_string(),
            result: value,
            outbox: Some(OutboxEntry {
                webhook_id: format!("msg_{}", uuid::Uuid::new_v4().simple()),
                scan_ref: v.scan_ref.clone(),
                partner_id: v.partner_id,
                event_type: EventType::IdentificationAutoFinished.as_str().to_string(),
                url: token
                    .callback_url
                    .clone()
                    .or_else(|| partner.webhook_url.clone()),
                body,
            }),
        }
    }
}
