//! Submissions: upload (multipart: recipe, context tarball, tag, network request),
//! list (one's own; everything for reviewers), one submission with its history,
//! and its build log from a cursor (for `flareo status --follow`).

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use bytes::Bytes;
use flareo_build::SourceDir;
use flareo_lint::{Report, Verdict};
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState, Caller};
use crate::auth::{Principal, Scope};
use crate::submissions::{Event, NewSubmission, Submission};

/// The answer to an upload.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Created {
    /// The new submission's id.
    pub id: i64,
    /// Its status (`pending_review`).
    pub status: String,
    /// The server's lint report (warnings; errors refuse the upload).
    #[schema(value_type = Object)]
    pub lint: serde_json::Value,
}

/// A submission with its history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubmissionDetail {
    /// The submission.
    #[serde(flatten)]
    pub submission: Submission,
    /// Every status it went through, oldest first.
    pub events: Vec<Event>,
    /// Image digest, once built.
    pub digest: Option<String>,
    /// Pull URL, once published.
    pub pull_url: Option<String>,
}

/// A list of submissions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubmissionList {
    /// Newest first.
    pub submissions: Vec<Submission>,
}

/// Log lines after a cursor.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LogChunk {
    /// Lines in order.
    pub lines: Vec<String>,
    /// Pass as `after` to get the lines that follow.
    pub next: i64,
    /// The submission's status now.
    pub status: String,
    /// Whether the status is final (no more lines will come).
    pub done: bool,
}

/// Where to start reading a log.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct LogQuery {
    /// Cursor from the previous chunk (0 for the start).
    pub after: Option<i64>,
}

/// Largest recipe accepted in an upload.
const MAX_RECIPE: usize = 64 * 1024;

/// Fields of an upload (the API's and the web form's).
#[derive(Default)]
pub(crate) struct Upload {
    recipe: Option<String>,
    context: Option<Bytes>,
    tag: Option<String>,
    requires_network: bool,
    reason: Option<String>,
    /// The web form's CSRF token (ignored by the API).
    pub(crate) csrf: Option<String>,
}

fn invalid(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

/// Reads a multipart upload.
pub(crate) async fn read_upload(mut multipart: Multipart) -> Result<Upload, ApiError> {
    let mut up = Upload::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(format!("reading the upload: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::bad_request(format!("reading field {name}: {e}")))?;
        let text = || {
            String::from_utf8(bytes.to_vec())
                .map_err(|_| ApiError::bad_request(format!("field {name} is not UTF-8")))
        };
        match name.as_str() {
            "recipe" if bytes.len() > MAX_RECIPE => {
                return Err(invalid(
                    "invalid_recipe",
                    format!("recipe is over {MAX_RECIPE} bytes"),
                ));
            }
            "recipe" => up.recipe = Some(text()?),
            "context" => up.context = Some(bytes.clone()),
            "tag" => up.tag = Some(text()?),
            "requires_network" => {
                up.requires_network = matches!(text()?.trim(), "true" | "1" | "yes")
            }
            "reason" => up.reason = Some(text()?).filter(|r| !r.trim().is_empty()),
            "csrf" => up.csrf = Some(text()?),
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown upload field {other:?}"
                )));
            }
        }
    }
    Ok(up)
}

/// A tag as OCI allows it: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
fn valid_tag(tag: &str) -> bool {
    let mut chars = tag.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && tag.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// What the server learned from the uploaded context.
struct Checked {
    report: Report,
    recipe: String,
    dockerfile: String,
}

/// Extracts the context safely, checks it holds the recipe (the same as the
/// uploaded one, when one was uploaded apart), and lints.
fn check_context(
    archive: &[u8],
    uploaded: Option<&str>,
    state: &AppState,
) -> Result<Checked, ApiError> {
    let work = tempfile::tempdir().map_err(|e| ApiError::internal(&e))?;
    let file = work.path().join("context.tar.gz");
    std::fs::write(&file, archive).map_err(|e| ApiError::internal(&e))?;
    let root = work.path().join("src");
    std::fs::create_dir(&root).map_err(|e| ApiError::internal(&e))?;
    flareo_build::extract::extract(&file, &root, &state.config.operator.archive)
        .map_err(|e| invalid("invalid_context", e.to_string()))?;
    let recipe = std::fs::read_to_string(root.join(flareo_lint::RECIPE_FILE)).map_err(|_| {
        invalid(
            "invalid_context",
            "the context has no flareo.yaml at its root (flareo publish packs it; add it to the tarball)",
        )
    })?;
    if uploaded.is_some_and(|u| u != recipe) {
        return Err(invalid(
            "invalid_context",
            "the recipe field differs from flareo.yaml in the context; upload the same recipe",
        ));
    }
    let recipe = recipe.as_str();
    let tree = SourceDir::open(&root).map_err(|e| invalid("invalid_context", e.to_string()))?;
    let report = flareo_lint::check_module(&tree, &state.config.operator.lint_config());
    let entry = flareo_lint::recipe_entry(recipe).unwrap_or_else(|| "Dockerfile".into());
    let dockerfile =
        std::fs::read_to_string(root.join(entry.trim_start_matches("./"))).unwrap_or_default();
    Ok(Checked {
        report,
        recipe: recipe.to_string(),
        dockerfile,
    })
}

/// Submits a module: multipart fields `recipe` (flareo.yaml), `context` (tar or
/// tar.gz), optional `tag`, `requires_network` and `reason`. The server lints it
/// again; errors refuse it with the report.
#[utoipa::path(post, path = "/api/v1/submissions", tag = "submissions",
    request_body(content_type = "multipart/form-data", description = "recipe, context, tag, requires_network, reason"),
    responses((status = 201, body = Created), (status = 409, body = super::ErrorBody),
        (status = 422, body = super::ErrorBody), (status = 401, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn create_submission(
    State(state): State<AppState>,
    caller: Caller,
    multipart: Multipart,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let who = caller.require(Scope::Submit)?.clone();
    let up = read_upload(multipart).await?;
    Ok((StatusCode::CREATED, Json(submit(&state, &who, up).await?)))
}

/// Checks and stores an upload for `who` (the API's and the web form's path).
pub(crate) async fn submit(
    state: &AppState,
    who: &Principal,
    up: Upload,
) -> Result<Created, ApiError> {
    if !who.can(Scope::Submit) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "submitting needs scope submit",
        ));
    }
    let context = up.context.ok_or_else(|| {
        ApiError::bad_request("missing field context (the build context tarball)")
    })?;
    if let Some(r) = &up.recipe
        && r.len() > MAX_RECIPE
    {
        return Err(invalid(
            "invalid_recipe",
            format!("recipe is over {MAX_RECIPE} bytes"),
        ));
    }
    if up.requires_network && up.reason.is_none() {
        return Err(invalid(
            "invalid_request",
            "requires_network needs a reason the reviewer can judge (--reason \"...\")",
        ));
    }
    let tag = up.tag.unwrap_or_else(|| "latest".into());
    if !valid_tag(&tag) {
        return Err(invalid(
            "invalid_request",
            format!("tag {tag:?} is not a valid image tag ([A-Za-z0-9_][A-Za-z0-9._-]{{0,127}})"),
        ));
    }
    let checked = {
        let (state, context, uploaded) = (state.clone(), context.clone(), up.recipe.clone());
        tokio::task::spawn_blocking(move || check_context(&context, uploaded.as_deref(), &state))
            .await
            .map_err(|e| ApiError::internal(&e))??
    };
    let recipe_text = checked.recipe.clone();
    let recipe = flareo_recipe::parse(&recipe_text).map_err(|e| {
        invalid(
            "invalid_recipe",
            e.0.first()
                .map(|p| format!("flareo.yaml:{}: {}", p.line.unwrap_or(0), p.message))
                .unwrap_or_else(|| "invalid recipe".into()),
        )
        .with_detail(serde_json::Value::Array(
            e.0.iter()
                .map(|p| serde_json::json!({"code": p.code, "line": p.line, "message": p.message, "hint": p.hint}))
                .collect(),
        ))
    })?;
    let report_json = serde_json::to_value(&checked.report).unwrap_or_default();
    if checked.report.verdict == Verdict::Reject {
        let first = checked
            .report
            .findings
            .iter()
            .find(|f| f.severity == flareo_dockerfile::Severity::Error)
            .map(|f| format!("{}:{}: {}", f.file, f.line, f.message))
            .unwrap_or_default();
        return Err(
            invalid("lint_failed", format!("lint rejected the module: {first}"))
                .with_detail(report_json),
        );
    }
    let context_digest = state.store.put(context).await?;
    let slug = recipe.slug.as_str().to_string();
    let status_url = format!("{}/api/v1/submissions", state.config.public_url());
    let email = who.email.clone();
    let id = state
        .db
        .create_submission(
            &NewSubmission {
                slug: slug.clone(),
                maintainer_id: who.user_id,
                recipe: recipe_text,
                dockerfile: checked.dockerfile,
                lint_report: report_json.to_string(),
                context_digest: context_digest.to_string(),
                tag,
                requires_network: up.requires_network,
                network_reason: up.reason,
            },
            |id| {
                let (subject, body) =
                    crate::mail::submission_received(&slug, id, &format!("{status_url}/{id}"));
                Some((email, subject, body))
            },
        )
        .await?;
    tracing::info!(id, %slug, user = who.user_id, "submission received");
    Ok(Created {
        id,
        status: "pending_review".into(),
        lint: report_json,
    })
}

/// Whether `who` may see submission `s`: its maintainer, reviewers and admins.
fn visible(who: &Principal, s: &Submission) -> bool {
    s.maintainer_id == who.user_id || who.can(Scope::Review)
}

/// Loads a submission the caller may see; others get 404, as if it did not exist.
pub(crate) async fn visible_submission(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<Submission, ApiError> {
    let who = caller.require(Scope::Read)?;
    let s = state.db.submission(id).await?;
    if !visible(who, &s) {
        return Err(ApiError::not_found(format!("submission {id} not found")));
    }
    Ok(s)
}

/// Lists submissions: a maintainer's own; all of them for reviewers and admins.
#[utoipa::path(get, path = "/api/v1/submissions", tag = "submissions",
    responses((status = 200, body = SubmissionList), (status = 401, body = super::ErrorBody)))]
pub async fn list_submissions(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<SubmissionList>, ApiError> {
    let who = caller.require(Scope::Read)?;
    let mine = (!who.can(Scope::Review)).then_some(who.user_id);
    Ok(Json(SubmissionList {
        submissions: state.db.submissions(mine, 500).await?,
    }))
}

/// One submission with its status history.
#[utoipa::path(get, path = "/api/v1/submissions/{id}", tag = "submissions",
    params(("id" = i64, Path, description = "submission id")),
    responses((status = 200, body = SubmissionDetail), (status = 404, body = super::ErrorBody)))]
pub async fn get_submission(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<SubmissionDetail>, ApiError> {
    let submission = visible_submission(&state, &caller, id).await?;
    Ok(Json(detail(&state, submission).await?))
}

/// A submission's detail (shared with the web page and the CLI).
pub(crate) async fn detail(
    state: &AppState,
    submission: Submission,
) -> Result<SubmissionDetail, ApiError> {
    let events = state.db.events(submission.id).await?;
    let digest = state.db.submission_image(submission.id).await?;
    let pull_url = match (&digest, submission.status) {
        (Some(d), crate::Status::Published) => Some(format!(
            "{}/{}@{}",
            state.config.registry_host(),
            submission.slug,
            d
        )),
        _ => None,
    };
    Ok(SubmissionDetail {
        submission,
        events,
        digest,
        pull_url,
    })
}

/// Build log lines after a cursor.
#[utoipa::path(get, path = "/api/v1/submissions/{id}/log", tag = "submissions",
    params(("id" = i64, Path, description = "submission id"), LogQuery),
    responses((status = 200, body = LogChunk), (status = 404, body = super::ErrorBody)))]
pub async fn get_log(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<LogQuery>,
) -> Result<Json<LogChunk>, ApiError> {
    let submission = visible_submission(&state, &caller, id).await?;
    let after = q.after.unwrap_or(0);
    let rows = state.db.log_lines(id, after, 2000).await?;
    let next = rows.last().map_or(after, |r| r.0);
    Ok(Json(LogChunk {
        lines: rows.into_iter().map(|r| r.1).collect(),
        next,
        status: submission.status.to_string(),
        done: submission.status.is_final(),
    }))
}
