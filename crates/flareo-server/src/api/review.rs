//! The review queue (reviewers and admins): pending submissions oldest first,
//! one submission's recipe and Dockerfile with lint findings in place and the
//! diff against the slug's last approved submission, and approve / reject.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState, Caller};
use crate::auth::Scope;
use crate::submissions::{Decision, Submission};

/// The queue.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReviewQueue {
    /// Pending submissions, oldest first.
    pub pending: Vec<Submission>,
}

/// One Dockerfile line with the lint findings on it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AnnotatedLine {
    /// 1-based line number.
    pub line: usize,
    /// The text.
    pub text: String,
    /// Findings on this line (code, severity, message, hint).
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<serde_json::Value>,
}

/// Unified diffs against an earlier approved submission.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReviewDiff {
    /// The submission compared against.
    pub against: i64,
    /// Recipe diff (empty when equal).
    pub recipe: String,
    /// Dockerfile diff (empty when equal).
    pub dockerfile: String,
}

/// What a reviewer reads.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReviewDetail {
    /// The submission.
    pub submission: Submission,
    /// flareo.yaml.
    pub recipe: String,
    /// The Dockerfile.
    pub dockerfile: String,
    /// The Dockerfile, line by line, with findings in place.
    pub annotated: Vec<AnnotatedLine>,
    /// The server's full lint report.
    #[schema(value_type = Object)]
    pub lint: serde_json::Value,
    /// Changes since the slug's last approved submission, if any.
    pub diff: Option<ReviewDiff>,
}

/// Approval.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    /// Must be true to approve a `requiresNetwork` submission (logged).
    #[serde(default)]
    pub approve_network: bool,
    /// Optional note.
    pub reason: Option<String>,
}

/// Rejection.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    /// Why; the maintainer reads it.
    pub reason: String,
}

/// Pending submissions, oldest first.
#[utoipa::path(get, path = "/api/v1/review", tag = "review",
    responses((status = 200, body = ReviewQueue), (status = 403, body = super::ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ReviewQueue>, ApiError> {
    caller.require(Scope::Review)?;
    Ok(Json(ReviewQueue {
        pending: state.db.pending_review().await?,
    }))
}

/// A submission as a reviewer reads it.
#[utoipa::path(get, path = "/api/v1/review/{id}", tag = "review",
    params(("id" = i64, Path, description = "submission id")),
    responses((status = 200, body = ReviewDetail), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<ReviewDetail>, ApiError> {
    caller.require(Scope::Review)?;
    Ok(Json(review_detail(&state, id).await?))
}

/// Builds the reviewer's view (shared with the web page).
pub async fn review_detail(state: &AppState, id: i64) -> Result<ReviewDetail, ApiError> {
    let submission = state.db.submission(id).await?;
    let texts = state.db.submission_texts(id).await?;
    let lint: serde_json::Value = serde_json::from_str(&texts.lint_report).unwrap_or_default();
    let annotated = annotate(&texts.dockerfile, &lint);
    let diff = match state.db.last_approved(&submission.slug, id).await? {
        Some(prev) => {
            let old = state.db.submission_texts(prev).await?;
            Some(ReviewDiff {
                against: prev,
                recipe: unified(&old.recipe, &texts.recipe, prev, id),
                dockerfile: unified(&old.dockerfile, &texts.dockerfile, prev, id),
            })
        }
        None => None,
    };
    Ok(ReviewDetail {
        submission,
        recipe: texts.recipe,
        dockerfile: texts.dockerfile,
        annotated,
        lint,
        diff,
    })
}

/// The Dockerfile's lines with the findings whose line they name.
pub fn annotate(dockerfile: &str, lint: &serde_json::Value) -> Vec<AnnotatedLine> {
    let findings = lint["findings"].as_array().cloned().unwrap_or_default();
    dockerfile
        .lines()
        .enumerate()
        .map(|(i, text)| AnnotatedLine {
            line: i + 1,
            text: text.to_string(),
            findings: findings
                .iter()
                .filter(|f| {
                    f["line"].as_u64() == Some(i as u64 + 1)
                        && f["file"].as_str() != Some("flareo.yaml")
                })
                .cloned()
                .collect(),
        })
        .collect()
}

/// A unified diff of two texts (empty when they are equal).
pub fn unified(old: &str, new: &str, old_id: i64, new_id: i64) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("submission {old_id}"),
            &format!("submission {new_id}"),
        )
        .to_string()
}

/// Approves a pending submission and queues its build.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/approve", tag = "review",
    params(("id" = i64, Path, description = "submission id")), request_body = ApproveBody,
    responses((status = 200, body = Submission), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Option<Json<ApproveBody>>,
) -> Result<Json<Submission>, ApiError> {
    let who = caller.require(Scope::Review)?;
    let body = body.map(|b| b.0).unwrap_or_default();
    state
        .db
        .review(
            id,
            who.user_id,
            &Decision::Approve {
                network: body.approve_network,
                reason: body.reason,
            },
        )
        .await?;
    tracing::info!(
        id,
        reviewer = who.user_id,
        network = body.approve_network,
        "approved"
    );
    Ok(Json(state.db.submission(id).await?))
}

/// Rejects a pending submission with a reason.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/reject", tag = "review",
    params(("id" = i64, Path, description = "submission id")), request_body = RejectBody,
    responses((status = 200, body = Submission), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<RejectBody>,
) -> Result<Json<Submission>, ApiError> {
    let who = caller.require(Scope::Review)?;
    if body.reason.trim().is_empty() {
        return Err(ApiError::bad_request(
            "a rejection needs a reason the maintainer can act on",
        ));
    }
    state
        .db
        .review(
            id,
            who.user_id,
            &Decision::Reject {
                reason: body.reason,
            },
        )
        .await?;
    Ok(Json(state.db.submission(id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_land_on_their_lines() {
        let lint = serde_json::json!({"findings": [
            {"file": "Dockerfile", "line": 2, "code": "FL201", "message": "no network"},
            {"file": "flareo.yaml", "line": 2, "code": "FL001", "message": "recipe"}
        ]});
        let a = annotate("FROM busybox:1.35\nRUN wget x\n", &lint);
        assert_eq!(a.len(), 2);
        assert!(a[0].findings.is_empty());
        assert_eq!(a[1].findings.len(), 1);
        assert_eq!(a[1].findings[0]["code"], "FL201");
    }

    #[test]
    fn diffs_are_unified_and_empty_when_equal() {
        assert_eq!(unified("a\n", "a\n", 1, 2), "");
        let d = unified("a\nb\n", "a\nc\n", 1, 2);
        assert!(
            d.contains("--- submission 1") && d.contains("+++ submission 2"),
            "{d}"
        );
        assert!(d.contains("-b\n") && d.contains("+c\n"), "{d}");
    }
}
