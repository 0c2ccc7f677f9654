//! The worker loop: claim a job with a lease, run the checks, store the result and its webhook in one transaction.

use crate::PipelineError;
use crate::checks::Checks;
use crate::decision::{CheckResults, decide};
use crate::result::{FileUrls, job_outcome};
use crate::run::{Evaluated, Images};
use kycd_blob::BlobStore;
use kycd_store::{ClaimedJob, JobOutcome, Store, VerificationRow};
use kycd_types::token::TokenSettings;
use kycd_types::webhook::DataBlock;
use kycd_types::{DocumentStatus, EventType, FaceStatus};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tracing::{Instrument, info, info_span, warn};

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

/// The heartbeat period for a lease: a third of it (at least 200 ms), so two renewals may fail before it lapses.
pub fn heartbeat(lease: Duration) -> Duration {
    (lease / 3).max(Duration::from_millis(200))
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
    faces: Arc<crate::faces::FaceCache>,
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
            faces: Arc::new(crate::faces::FaceCache::default()),
        }
    }

    /// A handle that wakes idle workers at once (the API pokes it after enqueuing).
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Runs `concurrency` loops until `shutdown` turns true (or its sender is dropped). A job still being checked
    /// then is abandoned and its lease released at once ([`Store::release_job`]: queued again, due now, the attempt
    /// not counted), so another process takes it on its next poll instead of waiting for the lease to lapse; a job
    /// whose result is being stored finishes first.
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
            if *shutdown.borrow() || shutdown.has_changed().is_err() {
                return;
            }
            match self.store.claim_job(&owner, lease_ms).await {
                Ok(Some(job)) => {
                    let span = info_span!("job", job_id = %job.id, scan_ref = %job.scan_ref, attempt = job.attempts);
                    self.handle(job, &mut shutdown).instrument(span).await;
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

    async fn handle(&self, job: ClaimedJob, shutdown: &mut watch::Receiver<bool>) {
        let started = std::time::Instant::now();
        // Heartbeat: keep the lease while the checks run (OCR and face models can take longer than a short lease).
        // A worker that dies stops renewing, so its job is claimable again at most one lease after its death.
        let lease_ms = self.cfg.lease.as_millis() as i64;
        let beat = heartbeat(self.cfg.lease);
        let processed = {
            let work = self.process(&job);
            tokio::pin!(work);
            let mut tick = tokio::time::interval(beat);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tokio::select! {
                    r = &mut work => break Some(r),
                    _ = tick.tick() => {
                        match self.store.extend_job_lease(&job, lease_ms).await {
                            Ok(true) => {}
                            Ok(false) => warn!("lease lost while processing"),
                            Err(e) => warn!(error = %e, "could not extend the job lease"),
                        }
                    }
                    r = shutdown.changed() => {
                        // A dropped sender counts as a stop too.
                        if r.is_err() || *shutdown.borrow() {
                            break None;
                        }
                    }
                }
            }
        };
        let Some(processed) = processed else {
            // Graceful stop: hand the job back now rather than make it wait out the lease.
            match self.store.release_job(&job).await {
                Ok(true) => info!("stopping: job released for another worker"),
                Ok(false) => warn!("stopping: the job's lease was already lost"),
                Err(e) => {
                    warn!(error = %e, "stopping: could not release the job; it is reclaimed when its lease ends")
                }
            }
            return;
        };
        let outcome = match processed {
            Ok(o) => o,
            Err(e) if !job.is_last_attempt() => {
                warn!(error = %e, "job attempt failed; will retry");
                kycd_telemetry::inc(
                    "kycd_job_attempts_failed_total",
                    "Verification job attempts that failed and will be retried.",
                    String::new(),
                    1,
                );
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
                kycd_telemetry::observe(
                    "kycd_job_duration_seconds",
                    "Verification job duration (claim to stored result).",
                    String::new(),
                    started.elapsed().as_secs_f64(),
                );
                kycd_telemetry::inc(
                    "kycd_jobs_finished_total",
                    "Verification jobs finished, by overall status.",
                    format!("status=\"{}\"", kycd_telemetry::label(&outcome.status)),
                    1,
                );
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
        if let Some(dummy) = token.dummy_status {
            // A sandbox token: the canned result, no analysis (crate::sandbox).
            let evaluated = crate::sandbox::evaluate(&v, &token, dummy);
            return Ok(job_outcome(&self.files, &v, &token, &partner, evaluated));
        }
        let mut images = Images::new();
        for (step, img) in &v.images {
            // A missing blob is an error worth retrying, never a silent pass.
            let bytes = self.blobs.get(&img.key).await?;
            images.insert(step.clone(), (bytes, img.mime.clone()));
        }
        let run = crate::run::Run {
            checks: self.checks.clone(),
            store: self.store.clone(),
            keyring: self.files.keyring.clone(),
            faces: self.faces.clone(),
        };
        let evaluated = run.evaluate(&v, &token, images, partner.aml).await?;
        // The portrait the face match used, for the reviewer (sealed like the images, erased with them).
        if let Some(p) = &evaluated.portrait {
            self.blobs
                .put(&kycd_blob::portrait_key(&v.scan_ref), p.clone().into())
                .await?;
        }
        if let Some(r) = &evaluated.readings {
            self.blobs
                .put(&kycd_blob::readings_key(&v.scan_ref), r.to_string().into())
                .await?;
        }
        let data = evaluated.data.clone();
        let mut outcome = job_outcome(&self.files, &v, &token, &partner, evaluated);
        if outcome.status == kycd_types::OverallStatus::Approved.as_str() {
            crate::aml::monitor_approved(&self.store, &partner, &v.scan_ref, &data).await?;
        }
        if job.kind == kycd_store::JobKind::Reprocess
            && let Some(o) = outcome.outbox.as_mut()
        {
            // A late or re-uploaded additional-step file (`/api/v2/upload-additional-step`).
            o.event_type = EventType::IdentificationResubmitted.as_str().to_string();
        }
        Ok(outcome)
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
        let (overall, status) = decide(&results);
        Ok(job_outcome(
            &self.files,
            &v,
            &token,
            &partner,
            Evaluated {
                overall,
                status,
                data: DataBlock::default(),
                aml: None,
                additional_steps: BTreeMap::new(),
                evidence: serde_json::json!({ "error": "processing failed repeatedly" }),
                portrait: None,
                readings: None,
            },
        ))
    }
}
