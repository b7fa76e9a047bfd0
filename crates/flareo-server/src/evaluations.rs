//! Re-evaluation of published modules without a rebuild: when a module's VEX or
//! the advisory database changes, a request is written in the same transaction
//! as the change; a worker leases it, matches the module's stored SBOM again
//! ([`crate::worker::Worker::reevaluate_next`]) and records the result here. A
//! request asked again while it was being evaluated is evaluated again (its
//! `generation` moved); a worker killed mid-evaluation leaves the request for the
//! next one once its lease runs out. Evaluations are append-only.

use serde::Serialize;

use crate::db::{Db, DbError, now_ms, sql};

/// A leased request to re-evaluate a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationRequest {
    /// The module.
    pub slug: String,
    /// Why (the latest reason given).
    pub reason: String,
    /// Bumped by every new request for the module.
    pub generation: i64,
}

/// One evaluation of a module's image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EvaluationRecord {
    /// The image evaluated (manifest digest).
    pub digest: String,
    /// The scan report blob (findings after VEX).
    pub report_digest: String,
    /// `pass` or `fail`.
    pub verdict: String,
    /// What fails it (`Trivy found CRITICAL CVEs: ...`), empty on pass.
    pub reason: String,
    /// Findings VEX left.
    pub findings: i64,
    /// Findings VEX suppressed.
    pub suppressed: i64,
    /// What caused the evaluation (`build`, a VEX statement, an advisory import).
    pub trigger: String,
    /// When (ms since the epoch).
    pub at: i64,
}

macro_rules! upsert {
    () => {
        "ON CONFLICT (slug) DO UPDATE SET reason = excluded.reason, \
         requested_at = excluded.requested_at, generation = evaluation_requests.generation + 1"
    };
}

/// Asks for `slug` to be re-evaluated, inside the caller's transaction.
pub(crate) async fn request_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    slug: &str,
    reason: &str,
) -> Result<(), DbError> {
    sqlx::query(concat!(
        "INSERT INTO evaluation_requests (slug, reason, requested_at) VALUES ($1, $2, $3) ",
        upsert!()
    ))
    .bind(slug)
    .bind(reason)
    .bind(now_ms())
    .execute(&mut **tx)
    .await
    .map_err(sql("requesting a re-evaluation"))?;
    Ok(())
}

/// Asks for every published module to be re-evaluated, inside the caller's
/// transaction. Returns how many.
pub(crate) async fn request_all_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    reason: &str,
) -> Result<u64, DbError> {
    // `WHERE true` keeps SQLite from reading ON CONFLICT as a join clause.
    let done = sqlx::query(concat!(
        "INSERT INTO evaluation_requests (slug, reason, requested_at) \
         SELECT slug, $1, $2 FROM modules WHERE true ",
        upsert!()
    ))
    .bind(reason)
    .bind(now_ms())
    .execute(&mut **tx)
    .await
    .map_err(sql("requesting re-evaluations"))?;
    Ok(done.rows_affected())
}

type RecordRow = (String, String, String, String, i64, i64, String, i64);

fn record(row: RecordRow) -> EvaluationRecord {
    let (digest, report_digest, verdict, reason, findings, suppressed, trigger, at) = row;
    EvaluationRecord {
        digest,
        report_digest,
        verdict,
        reason,
        findings,
        suppressed,
        trigger,
        at,
    }
}

impl Db {
    /// Leases the oldest request no live worker holds, for `lease_ms`.
    pub async fn claim_evaluation(
        &self,
        worker: &str,
        lease_ms: i64,
    ) -> Result<Option<EvaluationRequest>, DbError> {
        let now = now_ms();
        let row: Option<(String, String, i64)> = sqlx::query_as(
            "UPDATE evaluation_requests SET lease_owner = $1, lease_until = $2 \
             WHERE slug = (SELECT slug FROM evaluation_requests WHERE lease_until < $3 \
                           ORDER BY requested_at, slug LIMIT 1) \
             AND lease_until < $3 RETURNING slug, reason, generation",
        )
        .bind(worker)
        .bind(now + lease_ms)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(sql("claiming a re-evaluation"))?;
        Ok(row.map(|(slug, reason, generation)| EvaluationRequest {
            slug,
            reason,
            generation,
        }))
    }

    /// How many re-evaluations are asked for and not yet done.
    pub async fn pending_evaluations(&self) -> Result<i64, DbError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM evaluation_requests")
            .fetch_one(&self.pool)
            .await
            .map_err(sql("counting re-evaluations"))?;
        Ok(n)
    }

    /// Records `evaluation` of `request`'s module (and `mail`, if any) in one
    /// transaction, and retires the request unless it was asked again meanwhile
    /// (then it is released for another round). False when `worker` no longer
    /// holds the lease (nothing is recorded).
    pub async fn record_evaluation(
        &self,
        request: &EvaluationRequest,
        worker: &str,
        evaluation: Option<&EvaluationRecord>,
        mail: Option<(&str, &str, &str)>,
    ) -> Result<bool, DbError> {
        let mut tx = self.begin().await?;
        let held: Option<(i64,)> = sqlx::query_as(
            "SELECT generation FROM evaluation_requests WHERE slug = $1 AND lease_owner = $2",
        )
        .bind(&request.slug)
        .bind(worker)
        .fetch_optional(&mut *tx)
        .await
        .map_err(sql("reading a re-evaluation"))?;
        let Some((generation,)) = held else {
            return Ok(false);
        };
        if let Some(e) = evaluation {
            sqlx::query(
                "INSERT INTO evaluations (slug, digest, report_digest, verdict, reason, findings, \
                 suppressed, trigger_reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&request.slug)
            .bind(&e.digest)
            .bind(&e.report_digest)
            .bind(&e.verdict)
            .bind(&e.reason)
            .bind(e.findings)
            .bind(e.suppressed)
            .bind(&e.trigger)
            .bind(e.at)
            .execute(&mut *tx)
            .await
            .map_err(sql("recording an evaluation"))?;
        }
        if generation == request.generation {
            sqlx::query("DELETE FROM evaluation_requests WHERE slug = $1")
                .bind(&request.slug)
                .execute(&mut *tx)
                .await
                .map_err(sql("retiring a re-evaluation"))?;
        } else {
            sqlx::query(
                "UPDATE evaluation_requests SET lease_owner = NULL, lease_until = 0 WHERE slug = $1",
            )
            .bind(&request.slug)
            .execute(&mut *tx)
            .await
            .map_err(sql("releasing a re-evaluation"))?;
        }
        if let Some((to, subject, body)) = mail {
            crate::mail::queue_mail_in(&mut tx, to, subject, body).await?;
        }
        tx.commit().await.map_err(sql("committing an evaluation"))?;
        Ok(true)
    }

    /// The latest evaluation of `slug`'s image `digest`, if it was re-evaluated.
    pub async fn latest_evaluation(
        &self,
        slug: &str,
        digest: &str,
    ) -> Result<Option<EvaluationRecord>, DbError> {
        let row: Option<RecordRow> = sqlx::query_as(
            "SELECT digest, report_digest, verdict, reason, findings, suppressed, trigger_reason, \
             created_at FROM evaluations WHERE slug = $1 AND digest = $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(slug)
        .bind(digest)
        .fetch_optional(&self.pool)
        .await
        .map_err(sql("reading an evaluation"))?;
        Ok(row.map(record))
    }
}
