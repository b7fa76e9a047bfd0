//! The catalog: published modules (one row per slug, pointing at the submission
//! whose image is current), their build history, and the two ends of a build in
//! the database: publishing (module row, status, job and mail in one transaction)
//! and failing (status, job and mail in one transaction).

use serde::Serialize;

use crate::db::{Db, DbError, now_ms, sql};
use crate::submissions::Status;

/// A module as the catalog lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ModuleSummary {
    /// The slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Author.
    pub author: String,
    /// Category (the recipe's list).
    pub category: String,
    /// SPDX license expression.
    pub license: String,
    /// Current tag.
    pub tag: String,
    /// Pinned digest of the current image.
    pub digest: String,
    /// Where to pull it, pinned by digest.
    pub pull_url: String,
    /// Last published, Unix ms.
    pub updated_at: i64,
}

/// A page of the module list: slugs after `after` (keyset pagination, stable while
/// modules are added), at most `limit` of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPage {
    /// The last slug of the previous page (none: from the start).
    pub after: Option<String>,
    /// How many modules, 1 to [`ListPage::MAX`].
    pub limit: u32,
}

impl ListPage {
    /// The page size when none is asked for.
    pub const DEFAULT: u32 = 100;
    /// The largest page served.
    pub const MAX: u32 = 500;

    /// A page from the request's `after` and `limit`; says what is wrong with them.
    pub fn new(after: Option<String>, limit: Option<u32>) -> Result<Self, String> {
        let limit = limit.unwrap_or(Self::DEFAULT);
        if !(1..=Self::MAX).contains(&limit) {
            return Err(format!(
                "limit must be between 1 and {}, not {limit}",
                Self::MAX
            ));
        }
        Ok(Self {
            after: after.filter(|a| !a.is_empty()),
            limit,
        })
    }
}

/// A stored module with its recipe text and submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleRow {
    /// What the list shows.
    pub summary: ModuleSummary,
    /// The recipe (`flareo.yaml`) of the published submission.
    pub recipe: String,
    /// The submission that produced the current image.
    pub submission_id: i64,
}

/// One build of a module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BuildRecord {
    /// The submission built.
    pub submission_id: i64,
    /// Its tag.
    pub tag: String,
    /// Final or current status.
    pub status: String,
    /// Image digest, once built.
    pub digest: Option<String>,
    /// The error, when failed.
    pub error: Option<String>,
    /// Build wall-clock time in ms, once built.
    pub duration_ms: Option<i64>,
    /// Queued, Unix ms.
    pub queued_at: i64,
    /// Finished, Unix ms.
    pub finished_at: Option<i64>,
}

/// What publishing records.
#[derive(Debug, Clone)]
pub struct Publication<'a> {
    /// The job being finished.
    pub job_id: i64,
    /// The worker holding its lease.
    pub worker: &'a str,
    /// The submission.
    pub submission_id: i64,
    /// Display name, author, category and license from the recipe.
    pub name: &'a str,
    /// Author.
    pub author: &'a str,
    /// Category.
    pub category: &'a str,
    /// License.
    pub license: &'a str,
    /// Pinned digest.
    pub digest: &'a str,
    /// Pull URL.
    pub pull_url: &'a str,
    /// The mail to the maintainer: subject and body.
    pub mail: (String, String),
}

/// The list's columns.
const LIST: &str = "slug, name, author, category, license, tag, digest, pull_url, updated_at";
/// One module's columns: the list's plus the recipe and the submission.
const SUMMARY: &str = "slug, name, author, category, license, tag, digest, pull_url, updated_at, recipe, submission_id";

type ListRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
);

fn summary_from(r: ListRow) -> ModuleSummary {
    ModuleSummary {
        slug: r.0,
        name: r.1,
        author: r.2,
        category: r.3,
        license: r.4,
        tag: r.5,
        digest: r.6,
        pull_url: r.7,
        updated_at: r.8,
    }
}

/// A build history row: submission, tag, status, digest, error, duration, queued, finished.
type HistoryRow = (
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
    Option<i64>,
);

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    i64,
);

fn from_row(r: Row) -> ModuleRow {
    ModuleRow {
        summary: summary_from((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8)),
        recipe: r.9,
        submission_id: r.10,
    }
}

/// The e-mail address of a submission's maintainer, inside a transaction.
async fn maintainer_email(
    conn: &mut sqlx::AnyConnection,
    submission_id: i64,
) -> Result<String, DbError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT u.email FROM submissions s JOIN users u ON u.id = s.maintainer_id WHERE s.id = $1",
    )
    .bind(submission_id)
    .fetch_optional(conn)
    .await
    .map_err(sql("reading a maintainer"))?;
    row.map(|r| r.0)
        .ok_or_else(|| DbError::NotFound(format!("submission {submission_id}")))
}

impl Db {
    /// The e-mail address of a submission's maintainer.
    pub async fn maintainer_of(&self, submission_id: i64) -> Result<String, DbError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(sql("reading a maintainer"))?;
        maintainer_email(&mut conn, submission_id).await
    }

    /// Published modules, by slug; `query` matches slug, name or author
    /// (case-insensitive substring), `category` filters exactly.
    pub async fn modules(
        &self,
        query: Option<&str>,
        category: Option<&str>,
        page: &ListPage,
    ) -> Result<(Vec<ModuleSummary>, Option<String>), DbError> {
        // The query is literal text: LIKE's wildcards and the escape are escaped.
        let pattern = query.map(|q| {
            let escaped = q
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        });
        let rows: Vec<ListRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {LIST} FROM modules WHERE ($1 = '' OR LOWER(slug) LIKE $1 ESCAPE '\\' OR LOWER(name) LIKE $1 ESCAPE '\\' \
             OR LOWER(author) LIKE $1 ESCAPE '\\') AND ($2 = '' OR category = $2) AND slug > $3 \
             ORDER BY slug LIMIT $4"
        )))
        .bind(pattern.unwrap_or_default())
        .bind(category.unwrap_or_default())
        .bind(page.after.as_deref().unwrap_or_default())
        // One more than asked: whether there is a next page.
        .bind(i64::from(page.limit) + 1)
        .fetch_all(&self.pool)
        .await
        .map_err(sql("listing modules"))?;
        let mut modules: Vec<ModuleSummary> = rows.into_iter().map(summary_from).collect();
        let next = (modules.len() > page.limit as usize).then(|| {
            modules.truncate(page.limit as usize);
            modules.last().map(|m| m.slug.clone()).unwrap_or_default()
        });
        Ok((modules, next))
    }

    /// One published module.
    pub async fn module(&self, slug: &str) -> Result<ModuleRow, DbError> {
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SUMMARY} FROM modules WHERE slug = $1"
        )))
        .bind(slug)
        .fetch_optional(&self.pool)
        .await
        .map_err(sql("reading a module"))?;
        row.map(from_row)
            .ok_or_else(|| DbError::NotFound(format!("module {slug}")))
    }

    /// Every build of `slug`, newest first.
    pub async fn build_history(&self, slug: &str) -> Result<Vec<BuildRecord>, DbError> {
        let rows: Vec<HistoryRow> =
            sqlx::query_as(
                "SELECT s.id, s.tag, s.status, j.image_digest, s.error, j.duration_ms, j.created_at, j.finished_at \
                 FROM jobs j JOIN submissions s ON s.id = j.submission_id WHERE s.slug = $1 ORDER BY j.id DESC",
            )
            .bind(slug)
            .fetch_all(&self.pool)
            .await
            .map_err(sql("reading build history"))?;
        Ok(rows
            .into_iter()
            .map(|r| BuildRecord {
                submission_id: r.0,
                tag: r.1,
                status: r.2,
                digest: r.3,
                error: r.4,
                duration_ms: r.5,
                queued_at: r.6,
                finished_at: r.7,
            })
            .collect())
    }

    /// Publishes a built submission: the module row points at it, the submission
    /// becomes `published`, the job `done`, and the maintainer's mail is queued,
    /// all in one transaction. False when the job is no longer `worker`'s.
    pub async fn publish(&self, p: &Publication<'_>) -> Result<bool, DbError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let job = sqlx::query(
            "UPDATE jobs SET state = 'done', step = 'publish', finished_at = $1, lease_owner = NULL \
             WHERE id = $2 AND lease_owner = $3 AND state = 'running'",
        )
        .bind(now)
        .bind(p.job_id)
        .bind(p.worker)
        .execute(&mut *tx)
        .await
        .map_err(sql("finishing a build"))?;
        if job.rows_affected() != 1 {
            return Ok(false);
        }
        let (slug, tag, recipe, email): (String, String, String, String) = sqlx::query_as(
            "SELECT s.slug, s.tag, s.recipe, u.email FROM submissions s JOIN users u ON u.id = s.maintainer_id WHERE s.id = $1",
        )
        .bind(p.submission_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(sql("reading a submission"))?;
        sqlx::query("DELETE FROM modules WHERE slug = $1")
            .bind(&slug)
            .execute(&mut *tx)
            .await
            .map_err(sql("replacing a module"))?;
        sqlx::query(
            "INSERT INTO modules (slug, submission_id, name, author, category, license, tag, recipe, digest, pull_url, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&slug)
        .bind(p.submission_id)
        .bind(p.name)
        .bind(p.author)
        .bind(p.category)
        .bind(p.license)
        .bind(&tag)
        .bind(&recipe)
        .bind(p.digest)
        .bind(p.pull_url)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(sql("storing a module"))?;
        crate::registry::put_publication(&mut tx, &slug, &tag, p.digest).await?;
        let status = sqlx::query(
            "UPDATE submissions SET status = 'published', updated_at = $1 WHERE id = $2 AND status = 'signing'",
        )
        .bind(now)
        .bind(p.submission_id)
        .execute(&mut *tx)
        .await
        .map_err(sql("publishing a submission"))?;
        if status.rows_affected() != 1 {
            return Err(DbError::Conflict(format!(
                "submission {} is not signing; it cannot be published",
                p.submission_id
            )));
        }
        sqlx::query("INSERT INTO submission_events (submission_id, status, detail, at) VALUES ($1, $2, $3, $4)")
            .bind(p.submission_id)
            .bind(Status::Published.as_str())
            .bind(format!("{} {}", p.digest, p.pull_url))
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(sql("recording a status"))?;
        crate::mail::queue_mail_in(&mut tx, &email, &p.mail.0, &p.mail.1).await?;
        tx.commit().await.map_err(sql("committing a publication"))?;
        Ok(true)
    }

    /// Fails a build: the submission becomes `failed` with `error`, the job
    /// `failed`, and the maintainer's mail is queued, in one transaction. False when
    /// the job is no longer `worker`'s.
    pub async fn fail_build(
        &self,
        job_id: i64,
        worker: &str,
        submission_id: i64,
        error: &str,
        mail: (String, String),
    ) -> Result<bool, DbError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let job = sqlx::query(
            "UPDATE jobs SET state = 'failed', error = $1, finished_at = $2, lease_owner = NULL \
             WHERE id = $3 AND lease_owner = $4 AND state = 'running'",
        )
        .bind(error)
        .bind(now)
        .bind(job_id)
        .bind(worker)
        .execute(&mut *tx)
        .await
        .map_err(sql("failing a build"))?;
        if job.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE submissions SET status = 'failed', error = $1, updated_at = $2 WHERE id = $3 \
             AND status IN ('approved', 'queued', 'building', 'scanning', 'signing')",
        )
        .bind(error)
        .bind(now)
        .bind(submission_id)
        .execute(&mut *tx)
        .await
        .map_err(sql("failing a submission"))?;
        sqlx::query("INSERT INTO submission_events (submission_id, status, detail, at) VALUES ($1, 'failed', $2, $3)")
            .bind(submission_id)
            .bind(error)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(sql("recording a status"))?;
        let email = maintainer_email(&mut tx, submission_id).await?;
        crate::mail::queue_mail_in(&mut tx, &email, &mail.0, &mail.1).await?;
        tx.commit().await.map_err(sql("committing a failure"))?;
        Ok(true)
    }
}
