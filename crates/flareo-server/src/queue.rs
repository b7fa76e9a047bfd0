//! The build queue: one job per approved submission, claimed by workers under a
//! lease they renew. A worker that dies stops renewing; once the lease expires
//! another worker claims the job and resumes from the last completed step.
//! PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, so concurrent workers never take
//! the same job; SQLite serialises writers, so its single-statement claim is atomic.

use std::time::Duration;

use serde::Serialize;

use crate::db::{Backend, Db, DbError, now_ms, sql};

/// A claimed job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Job {
    /// Its id.
    pub id: i64,
    /// The submission it builds.
    pub submission_id: i64,
    /// The last completed step ('' before the first).
    pub step: String,
    /// How many times it has been claimed (1 on the first claim).
    pub attempts: i64,
    /// Enqueued, Unix ms.
    pub created_at: i64,
    /// First claimed, Unix ms (claim latency = this - created_at).
    pub first_claimed_at: i64,
}

/// Claims the oldest claimable job: queued, or running with an expired lease.
const CLAIM_SQLITE: &str = "UPDATE jobs SET state = 'running', lease_owner = $1, lease_expires_at = $2, \
     attempts = attempts + 1, first_claimed_at = COALESCE(first_claimed_at, $3) \
     WHERE id = (SELECT id FROM jobs WHERE state = 'queued' OR (state = 'running' AND lease_expires_at < $3) \
     ORDER BY id LIMIT 1) \
     RETURNING id, submission_id, step, attempts, created_at, first_claimed_at";

/// The same, skipping rows another transaction is claiming.
const CLAIM_POSTGRES: &str = "UPDATE jobs SET state = 'running', lease_owner = $1, lease_expires_at = $2, \
     attempts = attempts + 1, first_claimed_at = COALESCE(first_claimed_at, $3) \
     WHERE id = (SELECT id FROM jobs WHERE state = 'queued' OR (state = 'running' AND lease_expires_at < $3) \
     ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) \
     RETURNING id, submission_id, step, attempts, created_at, first_claimed_at";

impl Db {
    /// Queues a build of `submission_id`; returns the job id.
    pub async fn enqueue(&self, submission_id: i64) -> Result<i64, DbError> {
        let row: (i64,) = sqlx::query_as(
            "INSERT INTO jobs (submission_id, state, created_at) VALUES ($1, 'queued', $2) RETURNING id",
        )
        .bind(submission_id)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await
        .map_err(sql("queueing a build"))?;
        Ok(row.0)
    }

    /// Claims the oldest queued job, or one whose lease expired, for `worker`.
    pub async fn claim(&self, worker: &str, lease: Duration) -> Result<Option<Job>, DbError> {
        let now = now_ms();
        let query = match self.backend() {
            Backend::Postgres => CLAIM_POSTGRES,
            Backend::Sqlite => CLAIM_SQLITE,
        };
        let row: Option<(i64, i64, String, i64, i64, i64)> = sqlx::query_as(query)
            .bind(worker)
            .bind(now + lease.as_millis() as i64)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(sql("claiming a build"))?;
        Ok(row.map(|r| Job {
            id: r.0,
            submission_id: r.1,
            step: r.2,
            attempts: r.3,
            created_at: r.4,
            first_claimed_at: r.5,
        }))
    }

    /// Extends `worker`'s lease; false when the job is no longer this worker's
    /// (its lease expired and another worker took it), and it must stop.
    pub async fn renew(&self, job: i64, worker: &str, lease: Duration) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE jobs SET lease_expires_at = $1 WHERE id = $2 AND lease_owner = $3 AND state = 'running'",
        )
        .bind(now_ms() + lease.as_millis() as i64)
        .bind(job)
        .bind(worker)
        .execute(&self.pool)
        .await
        .map_err(sql("renewing a lease"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Records that `step` completed; false when the job is no longer this worker's.
    pub async fn complete_step(&self, job: i64, worker: &str, step: &str) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE jobs SET step = $1 WHERE id = $2 AND lease_owner = $3 AND state = 'running'",
        )
        .bind(step)
        .bind(job)
        .bind(worker)
        .execute(&self.pool)
        .await
        .map_err(sql("recording a step"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends the job (`Err` carries the failure); false when it was not this worker's.
    pub async fn finish(
        &self,
        job: i64,
        worker: &str,
        outcome: Result<(), &str>,
    ) -> Result<bool, DbError> {
        let (state, error) = match outcome {
            Ok(()) => ("done", None),
            Err(e) => ("failed", Some(e)),
        };
        let done = sqlx::query(
            "UPDATE jobs SET state = $1, error = $2, finished_at = $3, lease_owner = NULL \
             WHERE id = $4 AND lease_owner = $5 AND state = 'running'",
        )
        .bind(state)
        .bind(error)
        .bind(now_ms())
        .bind(job)
        .bind(worker)
        .execute(&self.pool)
        .await
        .map_err(sql("finishing a build"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Jobs waiting for a worker (for `/metrics`).
    pub async fn queue_depth(&self) -> Result<i64, DbError> {
        let row: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE state = 'queued'")
            .fetch_one(&self.pool)
            .await
            .map_err(sql("counting the queue"))?;
        Ok(row.0)
    }
    /// Records the build step's outputs and marks it completed; false when the
    /// job is no longer `worker`'s.
    pub async fn complete_build(
        &self,
        job: i64,
        worker: &str,
        out: &BuildOutputs,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE jobs SET step = 'build', image_digest = $1, image_size = $2, log_digest = $3, duration_ms = $4 \
             WHERE id = $5 AND lease_owner = $6 AND state = 'running'",
        )
        .bind(&out.image_digest)
        .bind(out.image_size)
        .bind(&out.log_digest)
        .bind(out.duration_ms)
        .bind(job)
        .bind(worker)
        .execute(&self.pool)
        .await
        .map_err(sql("recording a build"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Records the scan step's blobs and marks it completed; false when the job is
    /// no longer `worker`'s.
    pub async fn complete_scan(
        &self,
        job: i64,
        worker: &str,
        scan_digest: &str,
        sbom_digest: &str,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE jobs SET step = 'scan', scan_digest = $1, sbom_digest = $2 \
             WHERE id = $3 AND lease_owner = $4 AND state = 'running'",
        )
        .bind(scan_digest)
        .bind(sbom_digest)
        .bind(job)
        .bind(worker)
        .execute(&self.pool)
        .await
        .map_err(sql("recording a scan"))?;
        Ok(done.rows_affected() == 1)
    }

    /// The scan report and SBOM digests of a submission's latest scanned build.
    pub async fn scan_results(
        &self,
        submission_id: i64,
    ) -> Result<Option<(String, String)>, DbError> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT scan_digest, sbom_digest FROM jobs WHERE submission_id = $1 \
             AND scan_digest IS NOT NULL AND sbom_digest IS NOT NULL ORDER BY id DESC LIMIT 1",
        )
        .bind(submission_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(sql("reading scan results"))?;
        Ok(row)
    }

    /// The build step's outputs, once it completed.
    pub async fn build_outputs(&self, job: i64) -> Result<Option<BuildOutputs>, DbError> {
        let row: Option<OutputsRow> = sqlx::query_as(
            "SELECT image_digest, image_size, log_digest, duration_ms FROM jobs WHERE id = $1",
        )
        .bind(job)
        .fetch_optional(&self.pool)
        .await
        .map_err(sql("reading a build"))?;
        Ok(row.and_then(|(d, s, l, ms)| {
            Some(BuildOutputs {
                image_digest: d?,
                image_size: s.unwrap_or(0),
                log_digest: l.unwrap_or_default(),
                duration_ms: ms.unwrap_or(0),
            })
        }))
    }

    /// Appends build log lines of a submission.
    pub async fn append_log(&self, submission_id: i64, lines: &[String]) -> Result<(), DbError> {
        if lines.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let mut tx = self.begin().await?;
        for line in lines {
            sqlx::query("INSERT INTO build_logs (submission_id, line, at) VALUES ($1, $2, $3)")
                .bind(submission_id)
                .bind(line)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(sql("storing a log line"))?;
        }
        tx.commit().await.map_err(sql("storing log lines"))?;
        Ok(())
    }

    /// Log lines of a submission after cursor `after` (0 for the start), at most
    /// `limit`; each with its cursor.
    pub async fn log_lines(
        &self,
        submission_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String)>, DbError> {
        sqlx::query_as(
            "SELECT id, line FROM build_logs WHERE submission_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(submission_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(sql("reading a build log"))
    }

    /// Claim latencies (first claim minus enqueue, ms) of the last `n` claimed jobs.
    pub async fn claim_latencies(&self, n: i64) -> Result<Vec<i64>, DbError> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT first_claimed_at - created_at FROM jobs WHERE first_claimed_at IS NOT NULL ORDER BY id DESC LIMIT $1",
        )
        .bind(n)
        .fetch_all(&self.pool)
        .await
        .map_err(sql("reading claim latencies"))?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Build durations (ms) of the last `n` built jobs.
    pub async fn build_durations(&self, n: i64) -> Result<Vec<i64>, DbError> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT duration_ms FROM jobs WHERE duration_ms IS NOT NULL ORDER BY id DESC LIMIT $1",
        )
        .bind(n)
        .fetch_all(&self.pool)
        .await
        .map_err(sql("reading build durations"))?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Jobs by state (for `/metrics`).
    pub async fn jobs_by_state(&self) -> Result<Vec<(String, i64)>, DbError> {
        sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state")
            .fetch_all(&self.pool)
            .await
            .map_err(sql("counting jobs"))
    }
}

/// The job columns holding build outputs: digest, size, log digest, duration.
type OutputsRow = (Option<String>, Option<i64>, Option<String>, Option<i64>);

/// What the build step leaves for the later steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildOutputs {
    /// The image manifest digest.
    pub image_digest: String,
    /// Its size in bytes (manifest, config and layers).
    pub image_size: i64,
    /// The build log's digest in the blob store.
    pub log_digest: String,
    /// Wall-clock build time.
    pub duration_ms: i64,
}
