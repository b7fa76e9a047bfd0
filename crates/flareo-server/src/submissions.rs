//! Submissions and their stored status lifecycle:
//! `pending_review → approved | rejected → queued → building → scanning → signing →
//! published | failed`. Every change is a row in `submission_events` with its time;
//! a resubmission is a new submission, never an edit of an old one.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::db::{Db, DbError, now_ms, sql};

/// Where a submission is in the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for a reviewer.
    PendingReview,
    /// A reviewer approved it; a build is about to be queued.
    Approved,
    /// A reviewer rejected it (final).
    Rejected,
    /// A build job waits for a worker.
    Queued,
    /// A worker is building it.
    Building,
    /// The image is being scanned.
    Scanning,
    /// The image is being signed and attested.
    Signing,
    /// In the catalog (final).
    Published,
    /// Stopped with an error (final).
    Failed,
}

const ALL: [(Status, &str); 9] = [
    (Status::PendingReview, "pending_review"),
    (Status::Approved, "approved"),
    (Status::Rejected, "rejected"),
    (Status::Queued, "queued"),
    (Status::Building, "building"),
    (Status::Scanning, "scanning"),
    (Status::Signing, "signing"),
    (Status::Published, "published"),
    (Status::Failed, "failed"),
];

impl Status {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        ALL.iter()
            .find(|(s, _)| *s == self)
            .expect("every status is listed")
            .1
    }

    /// Whether the lifecycle allows going from `self` to `next`. A worker that
    /// resumes a build may repeat its current step (`building → building`).
    pub fn can_become(self, next: Status) -> bool {
        use Status::*;
        matches!(
            (self, next),
            (PendingReview, Approved | Rejected)
                | (Approved, Queued)
                | (Queued, Building)
                | (Building, Building | Scanning)
                | (Scanning, Scanning | Signing)
                | (Signing, Signing | Published)
                | (Approved | Queued | Building | Scanning | Signing, Failed)
        )
    }

    /// No further change is possible.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Rejected | Status::Published | Status::Failed)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ALL.iter()
            .find(|(_, n)| *n == s)
            .map(|(st, _)| *st)
            .ok_or_else(|| format!("unknown status {s:?}"))
    }
}

/// What a maintainer submits.
#[derive(Debug, Clone)]
pub struct NewSubmission {
    /// The module's slug (from the recipe).
    pub slug: String,
    /// Who submits.
    pub maintainer_id: i64,
    /// `flareo.yaml` as uploaded.
    pub recipe: String,
    /// The Dockerfile as uploaded.
    pub dockerfile: String,
    /// The server's lint report (JSON).
    pub lint_report: String,
    /// Digest of the uploaded context tarball in the blob store.
    pub context_digest: String,
    /// The tag the image gets when published.
    pub tag: String,
    /// Whether the maintainer asks for build-time network access.
    pub requires_network: bool,
    /// Why, when asked.
    pub network_reason: Option<String>,
}

/// A stored submission (without its large texts; see [`SubmissionTexts`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Submission {
    /// Its id.
    pub id: i64,
    /// The module's slug.
    pub slug: String,
    /// Who submitted it.
    pub maintainer_id: i64,
    /// Current status.
    #[schema(value_type = String)]
    pub status: Status,
    /// The tag the image gets when published.
    pub tag: String,
    /// Whether build-time network access was asked for.
    pub requires_network: bool,
    /// Why it was asked for.
    pub network_reason: Option<String>,
    /// The reviewer who approved network access, when granted.
    pub network_approved_by: Option<i64>,
    /// The reviewer who approved or rejected it.
    pub reviewed_by: Option<i64>,
    /// The reviewer's reason.
    pub review_reason: Option<String>,
    /// The error, when failed (or the reason, when rejected).
    pub error: Option<String>,
    /// Digest of the uploaded context in the blob store.
    pub context_digest: String,
    /// Created, Unix ms.
    pub created_at: i64,
    /// Last status change, Unix ms.
    pub updated_at: i64,
}

/// The texts a reviewer reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubmissionTexts {
    /// `flareo.yaml` as uploaded.
    pub recipe: String,
    /// The Dockerfile as uploaded.
    pub dockerfile: String,
    /// The server's lint report (JSON).
    pub lint_report: String,
}

/// One entry of a submission's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Event {
    /// The status entered.
    #[schema(value_type = String)]
    pub status: Status,
    /// Detail (reason, error, worker).
    pub detail: Option<String>,
    /// When, Unix ms.
    pub at: i64,
}

const COLUMNS: &str = "id, slug, maintainer_id, status, tag, CAST(requires_network AS INTEGER), network_reason, \
     network_approved_by, reviewed_by, review_reason, error, context_digest, created_at, updated_at";

type Row = (
    i64,
    String,
    i64,
    String,
    String,
    i64,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
    String,
    i64,
    i64,
);

fn from_row(r: Row) -> Result<Submission, DbError> {
    Ok(Submission {
        id: r.0,
        slug: r.1,
        maintainer_id: r.2,
        status: r.3.parse().map_err(DbError::Conflict)?,
        tag: r.4,
        requires_network: r.5 != 0,
        network_reason: r.6,
        network_approved_by: r.7,
        reviewed_by: r.8,
        review_reason: r.9,
        error: r.10,
        context_digest: r.11,
        created_at: r.12,
        updated_at: r.13,
    })
}

/// A reviewer's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Approve; `network` must be true to approve a `requiresNetwork` submission.
    Approve {
        /// Explicit approval of build-time network access.
        network: bool,
        /// Optional note.
        reason: Option<String>,
    },
    /// Reject, with the reason the maintainer reads.
    Reject {
        /// Why.
        reason: String,
    },
}

async fn insert_event(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    status: Status,
    detail: Option<&str>,
    at: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO submission_events (submission_id, status, detail, at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(detail)
    .bind(at)
    .execute(conn)
    .await
    .map_err(sql("recording a status"))?;
    Ok(())
}

impl Db {
    /// Stores a new submission as `pending_review`, with the confirmation mail
    /// `confirm(id)` gives (to, subject, body) queued in the same transaction.
    /// Refused while another submission of the same slug is pending:
    /// `submission already pending for slug <slug>`.
    pub async fn create_submission(
        &self,
        new: &NewSubmission,
        confirm: impl FnOnce(i64) -> Option<(String, String, String)>,
    ) -> Result<i64, DbError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let result: Result<(i64,), sqlx::Error> = sqlx::query_as(
            "INSERT INTO submissions (slug, maintainer_id, status, recipe, dockerfile, lint_report, \
             context_digest, tag, requires_network, network_reason, created_at, updated_at) \
             VALUES ($1, $2, 'pending_review', $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
        )
        .bind(&new.slug)
        .bind(new.maintainer_id)
        .bind(&new.recipe)
        .bind(&new.dockerfile)
        .bind(&new.lint_report)
        .bind(&new.context_digest)
        .bind(&new.tag)
        .bind(new.requires_network)
        .bind(new.network_reason.as_deref())
        .bind(now)
        .fetch_one(&mut *tx)
        .await;
        let id = match result {
            Ok((id,)) => id,
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(DbError::Conflict(format!(
                    "submission already pending for slug {}",
                    new.slug
                )));
            }
            Err(e) => return Err(sql("storing a submission")(e)),
        };
        insert_event(&mut tx, id, Status::PendingReview, None, now).await?;
        if let Some((to, subject, body)) = confirm(id) {
            crate::mail::queue_mail_in(&mut tx, &to, &subject, &body).await?;
        }
        tx.commit().await.map_err(sql("committing a submission"))?;
        Ok(id)
    }

    /// One submission.
    pub async fn submission(&self, id: i64) -> Result<Submission, DbError> {
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM submissions WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(sql("reading a submission"))?;
        from_row(row.ok_or_else(|| DbError::NotFound(format!("submission {id}")))?)
    }

    /// A submission's recipe, Dockerfile and lint report.
    pub async fn submission_texts(&self, id: i64) -> Result<SubmissionTexts, DbError> {
        let row: Option<(String, String, String)> =
            sqlx::query_as("SELECT recipe, dockerfile, lint_report FROM submissions WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(sql("reading a submission"))?;
        let (recipe, dockerfile, lint_report) =
            row.ok_or_else(|| DbError::NotFound(format!("submission {id}")))?;
        Ok(SubmissionTexts {
            recipe,
            dockerfile,
            lint_report,
        })
    }

    /// Submissions, newest first: all of them, or one maintainer's.
    pub async fn submissions(
        &self,
        maintainer: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Submission>, DbError> {
        let rows: Vec<Row> = match maintainer {
            Some(m) => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM submissions WHERE maintainer_id = $1 ORDER BY id DESC LIMIT $2"
            )))
            .bind(m)
            .bind(limit),
            None => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM submissions ORDER BY id DESC LIMIT $1"
            )))
            .bind(limit),
        }
        .fetch_all(&self.pool)
        .await
        .map_err(sql("listing submissions"))?;
        rows.into_iter().map(from_row).collect()
    }

    /// Submissions waiting for review, oldest first.
    pub async fn pending_review(&self) -> Result<Vec<Submission>, DbError> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM submissions WHERE status = 'pending_review' ORDER BY id"
        )))
        .fetch_all(&self.pool)
        .await
        .map_err(sql("listing the review queue"))?;
        rows.into_iter().map(from_row).collect()
    }

    /// The slug's last submission a reviewer approved before `before` (for diffs).
    pub async fn last_approved(&self, slug: &str, before: i64) -> Result<Option<i64>, DbError> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM submissions WHERE slug = $1 AND id < $2 AND reviewed_by IS NOT NULL \
             AND status NOT IN ('pending_review', 'rejected') ORDER BY id DESC LIMIT 1",
        )
        .bind(slug)
        .bind(before)
        .fetch_optional(&self.pool)
        .await
        .map_err(sql("finding the last approved submission"))?;
        Ok(row.map(|r| r.0))
    }

    /// Applies a reviewer's decision to a pending submission, atomically. Approval
    /// queues the build in the same transaction; a `requiresNetwork` submission is
    /// approved only with explicit network approval, which is recorded.
    pub async fn review(&self, id: i64, reviewer: i64, decision: &Decision) -> Result<(), DbError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT status, CAST(requires_network AS INTEGER) FROM submissions WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(sql("reading a submission"))?;
        let (status, requires_network) =
            row.ok_or_else(|| DbError::NotFound(format!("submission {id}")))?;
        if status != Status::PendingReview.as_str() {
            return Err(DbError::Conflict(format!(
                "submission {id} is {status}; only pending_review submissions can be reviewed"
            )));
        }
        let (next, reason, network_by) = match decision {
            Decision::Approve { network, reason } => {
                if requires_network != 0 && !network {
                    return Err(DbError::Conflict(format!(
                        "submission {id} asks for requiresNetwork=true: approve network access explicitly (approve_network: true)"
                    )));
                }
                let by = (requires_network != 0).then_some(reviewer);
                (Status::Approved, reason.as_deref(), by)
            }
            Decision::Reject { reason } => (Status::Rejected, Some(reason.as_str()), None),
        };
        sqlx::query(
            "UPDATE submissions SET status = $1, reviewed_by = $2, review_reason = $3, \
             network_approved_by = $4, error = $5, updated_at = $6 WHERE id = $7 AND status = 'pending_review'",
        )
        .bind(next.as_str())
        .bind(reviewer)
        .bind(reason)
        .bind(network_by)
        .bind((next == Status::Rejected).then_some(reason).flatten())
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(sql("recording a review"))?;
        let detail = match (next, network_by) {
            (Status::Approved, Some(r)) => {
                format!(
                    "approved by user {reviewer}; build-time network access approved by user {r}"
                )
            }
            _ => format!(
                "{next} by user {reviewer}{}",
                reason.map(|r| format!(": {r}")).unwrap_or_default()
            ),
        };
        insert_event(&mut tx, id, next, Some(&detail), now).await?;
        if next == Status::Approved {
            sqlx::query("UPDATE submissions SET status = 'queued' WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(sql("queueing a build"))?;
            sqlx::query(
                "INSERT INTO jobs (submission_id, state, created_at) VALUES ($1, 'queued', $2)",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(sql("queueing a build"))?;
            insert_event(&mut tx, id, Status::Queued, None, now).await?;
        }
        tx.commit().await.map_err(sql("committing a review"))?;
        Ok(())
    }

    /// Moves a submission to `next` if the lifecycle allows it from its current
    /// status (checked and written atomically), recording the event.
    pub async fn set_status(
        &self,
        id: i64,
        next: Status,
        detail: Option<&str>,
    ) -> Result<(), DbError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let current: Option<(String,)> =
            sqlx::query_as("SELECT status FROM submissions WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(sql("reading a status"))?;
        let current: Status = current
            .ok_or_else(|| DbError::NotFound(format!("submission {id}")))?
            .0
            .parse()
            .map_err(DbError::Conflict)?;
        if !current.can_become(next) {
            return Err(DbError::Conflict(format!(
                "submission {id} is {current}; it cannot become {next}"
            )));
        }
        let error = matches!(next, Status::Failed | Status::Rejected)
            .then_some(detail)
            .flatten();
        let updated = sqlx::query(
            "UPDATE submissions SET status = $1, error = $2, updated_at = $3 WHERE id = $4 AND status = $5",
        )
        .bind(next.as_str())
        .bind(error)
        .bind(now)
        .bind(id)
        .bind(current.as_str())
        .execute(&mut *tx)
        .await
        .map_err(sql("changing a status"))?;
        if updated.rows_affected() != 1 {
            return Err(DbError::Conflict(format!(
                "submission {id} changed concurrently"
            )));
        }
        insert_event(&mut tx, id, next, detail, now).await?;
        tx.commit().await.map_err(sql("committing a status"))?;
        Ok(())
    }

    /// The image digest of a submission's latest build, once built.
    pub async fn submission_image(&self, id: i64) -> Result<Option<String>, DbError> {
        let row: Option<(Option<String>,)> = sqlx::query_as(
            "SELECT image_digest FROM jobs WHERE submission_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(sql("reading a build"))?;
        Ok(row.and_then(|r| r.0))
    }

    /// A submission's history, oldest first.
    pub async fn events(&self, id: i64) -> Result<Vec<Event>, DbError> {
        let rows: Vec<(String, Option<String>, i64)> = sqlx::query_as(
            "SELECT status, detail, at FROM submission_events WHERE submission_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(sql("reading a history"))?;
        rows.into_iter()
            .map(|(s, detail, at)| {
                Ok(Event {
                    status: s.parse().map_err(DbError::Conflict)?,
                    detail,
                    at,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Status::{self, *};

    #[test]
    fn lifecycle() {
        let path = [
            PendingReview,
            Approved,
            Queued,
            Building,
            Scanning,
            Signing,
            Published,
        ];
        for pair in path.windows(2) {
            assert!(pair[0].can_become(pair[1]), "{pair:?}");
        }
        assert!(PendingReview.can_become(Rejected));
        assert!(!PendingReview.can_become(Queued), "review comes first");
        assert!(!Rejected.can_become(Approved), "rejection is final");
        assert!(!Published.can_become(Failed));
        assert!(Building.can_become(Failed) && Building.can_become(Building));
        for (s, name) in super::ALL {
            assert_eq!(s.as_str().parse::<Status>().unwrap(), s);
            assert_eq!(s.as_str(), name);
        }
    }
}
