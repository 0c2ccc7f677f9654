//! The processing-job queue: claimed with a lease, finished in the same transaction as the result and its webhook
//! outbox row. An expired lease makes a job claimable again; finishing checks the lease owner, so a worker that
//! lost its lease cannot write a second result.

use crate::outbox::{OutboxEntry, insert_outbox};
use crate::{Store, StoreError, now_ms};
use kycd_types::JobId;
use sqlx::{Any, Row, Transaction};

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// The first processing of a submitted verification (`/api/v2/process`).
    Process,
    /// Processing again after a late additional-step upload (`IDENTIFICATION_RESUBMITTED`).
    Reprocess,
}

impl JobKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Process => "process",
            Self::Reprocess => "reprocess",
        }
    }

    /// The kind of a stored name.
    pub fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "process" => Ok(Self::Process),
            "reprocess" => Ok(Self::Reprocess),
            other => Err(StoreError::Corrupt(format!("unknown job kind '{other}'"))),
        }
    }
}

/// Where a job is in its life: `Queued` (waiting, or given back), `Running` (leased to a worker), `Done`, or `Dead`
/// (out of attempts, until redriven). Stored by name in `jobs.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting to be claimed once due.
    Queued,
    /// Leased to a worker.
    Running,
    /// Finished with a result.
    Done,
    /// Failed on every attempt.
    Dead,
}

impl JobState {
    /// Every state, in life order.
    pub const ALL: [JobState; 4] = [Self::Queued, Self::Running, Self::Done, Self::Dead];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// The states as SQL literals, for the statements below.
const QUEUED: JobState = JobState::Queued;
const RUNNING: JobState = JobState::Running;
const DONE: JobState = JobState::Done;
const DEAD: JobState = JobState::Dead;

/// A job this worker holds the lease on.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    /// Job id.
    pub id: JobId,
    /// Job kind.
    pub kind: JobKind,
    /// The verification it processes.
    pub scan_ref: String,
    /// Attempts so far, including this one.
    pub attempts: i64,
    /// Attempts before the job is dead.
    pub max_attempts: i64,
    /// Lease owner (this worker).
    pub owner: String,
}

impl ClaimedJob {
    /// Whether this is the last allowed attempt.
    pub fn is_last_attempt(&self) -> bool {
        self.attempts >= self.max_attempts
    }
}

/// What a finished job writes.
#[derive(Debug, Clone)]
pub struct JobOutcome {
    /// Overall status of the verification.
    pub status: String,
    /// The result (webhook body as JSON).
    pub result: serde_json::Value,
    /// The webhook to deliver.
    pub outbox: Option<OutboxEntry>,
}

/// Queues a job of `kind` (`process`, `reprocess`) for a verification inside the transaction that causes it.
pub(crate) async fn enqueue_job_in(
    tx: &mut Transaction<'static, Any>,
    kind: JobKind,
    scan_ref: &str,
    max_attempts: i64,
    now: i64,
) -> Result<(), StoreError> {
    bound!(
        &format!(
            "INSERT INTO jobs (kind, scan_ref, state, attempts, max_attempts, run_after, created_at, updated_at) \
             VALUES ($1, $2, '{QUEUED}', 0, $3, $4, $4, $4)"
        ),
        kind.as_str(),
        scan_ref,
        max_attempts,
        now
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Claims the oldest ready job (queued and due, or running with an expired lease) for `lease_ms`.
    pub async fn claim_job(
        &self,
        owner: &str,
        lease_ms: i64,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        let now = now_ms();
        let lock = self.skip_locked();
        let sql = format!(
            "UPDATE jobs SET state = '{RUNNING}', attempts = attempts + 1, lease_until = $1, lease_owner = $2, \
             updated_at = $3 WHERE id = (SELECT id FROM jobs WHERE (state = '{QUEUED}' AND run_after <= $3) \
             OR (state = '{RUNNING}' AND lease_until < $3) ORDER BY id LIMIT 1{lock}) \
             RETURNING id, kind, scan_ref, attempts, max_attempts"
        );
        let r = bound!(&sql, now + lease_ms, owner, now)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match r {
            None => None,
            Some(r) => Some(ClaimedJob {
                id: JobId(r.try_get("id")?),
                kind: JobKind::parse(&r.try_get::<String, _>("kind")?)?,
                scan_ref: r.try_get("scan_ref")?,
                attempts: r.try_get("attempts")?,
                max_attempts: r.try_get("max_attempts")?,
                owner: owner.to_string(),
            }),
        })
    }

    /// Extends a held lease; false if the lease was lost.
    pub async fn extend_job_lease(
        &self,
        job: &ClaimedJob,
        lease_ms: i64,
    ) -> Result<bool, StoreError> {
        self.changes_one(bound!(
            &format!(
                "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 AND state = '{RUNNING}'"
            ),
            now_ms() + lease_ms,
            job.id.0,
            &job.owner
        ))
        .await
    }

    /// Finishes a job: marks it done, stores the verification result and its webhook outbox row, in one
    /// transaction. Returns false (and writes nothing) when the lease was lost to another worker. A verification
    /// that already has a result (or was deleted) keeps it; the job is still marked done.
    pub async fn complete_job(
        &self,
        job: &ClaimedJob,
        outcome: &JobOutcome,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let done = bound!(
            &format!(
                "UPDATE jobs SET state = '{DONE}', lease_until = NULL, updated_at = $1 WHERE id = $2 \
                 AND lease_owner = $3 AND state = '{RUNNING}'"
            ),
            now,
            job.id.0,
            &job.owner
        )
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        let result = self.seal_json(&outcome.result)?;
        let sum = crate::console::Summary::of(&outcome.status, &outcome.result);
        let v = bound!(
            "UPDATE verifications SET status = $1, result_json = $2, finished_at = $3, auto_document = $4, \
             auto_face = $5, manual_document = $6, manual_face = $7, tags = $8, review_pending = $9 \
             WHERE scan_ref = $10 AND finished_at IS NULL AND deleted_at IS NULL",
            &outcome.status,
            result,
            now,
            sum.auto_document,
            sum.auto_face,
            sum.manual_document,
            sum.manual_face,
            sum.tags,
            crate::flag(sum.review_pending),
            &job.scan_ref
        )
        .execute(&mut *tx)
        .await?;
        if v.rows_affected() == 1
            && let Some(o) = &outcome.outbox
        {
            insert_outbox(&mut tx, o, now, &self.seal).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Gives a job back after a failed attempt: queued again after `retry_in_ms`, or dead after its last attempt.
    pub async fn fail_job(
        &self,
        job: &ClaimedJob,
        error: &str,
        retry_in_ms: i64,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        bound!(
            &format!(
                "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN '{DEAD}' ELSE '{QUEUED}' END, \
                 run_after = $1, lease_until = NULL, last_error = $2, updated_at = $3 WHERE id = $4 \
                 AND lease_owner = $5 AND state = '{RUNNING}'"
            ),
            now + retry_in_ms,
            error,
            now,
            job.id.0,
            &job.owner
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Gives a held job back at once without counting the attempt (a graceful stop): queued again and due now, so
    /// another worker claims it on its next poll instead of waiting for the lease to lapse. Returns false when the
    /// lease was already lost (nothing is written then).
    pub async fn release_job(&self, job: &ClaimedJob) -> Result<bool, StoreError> {
        let now = now_ms();
        self.changes_one(bound!(
            &format!(
                "UPDATE jobs SET state = '{QUEUED}', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, \
                 run_after = $1, lease_until = NULL, lease_owner = NULL, updated_at = $1 WHERE id = $2 \
                 AND lease_owner = $3 AND state = '{RUNNING}'"
            ),
            now,
            job.id.0,
            &job.owner
        ))
        .await
    }

    /// Re-queues dead jobs (all, or of one verification); returns how many.
    pub async fn redrive_dead_jobs(&self, scan_ref: Option<&str>) -> Result<u64, StoreError> {
        let now = now_ms();
        let r = bound!(
            &format!(
                "UPDATE jobs SET state = '{QUEUED}', attempts = 0, run_after = $1, updated_at = $1 \
                 WHERE state = '{DEAD}' AND ($2 IS NULL OR scan_ref = $2)"
            ),
            now,
            scan_ref
        )
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// Number of jobs in a state.
    pub async fn count_jobs(&self, state: JobState) -> Result<i64, StoreError> {
        self.count_where("jobs", "state", state.as_str()).await
    }
}
