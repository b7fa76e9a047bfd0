//! The web pages (server-rendered with askama): the catalog and module pages
//! (public), log in and out with a session cookie, the review queue with approve
//! and reject forms, and submissions with their history and build log. Every form
//! that changes something carries the session's CSRF token.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use crate::api::catalog::ModuleDetail;
use crate::api::review::ReviewDetail;
use crate::api::submissions::SubmissionDetail;
use crate::api::{ApiError, AppState, Caller, SESSION_CSRF, SESSION_USER, WebCaller};
use crate::auth::{Scope, random_secret};
use crate::catalog::ModuleSummary;
use crate::submissions::{Decision, Submission};

/// What every page's frame shows.
struct Frame {
    user: Option<String>,
    csrf: String,
}

async fn frame(session: &Session, caller: &Caller) -> Frame {
    Frame {
        user: caller.0.as_ref().map(|p| p.email.clone()),
        csrf: session
            .get::<String>(SESSION_CSRF)
            .await
            .ok()
            .flatten()
            .unwrap_or_default(),
    }
}

fn render(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => ApiError::internal(&e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    user: Option<String>,
    csrf: String,
    q: String,
    modules: Vec<ModuleSummary>,
}

#[derive(Template)]
#[template(path = "module.html")]
struct ModulePage {
    user: Option<String>,
    csrf: String,
    m: ModuleDetail,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    user: Option<String>,
    csrf: String,
    error: String,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    user: Option<String>,
    csrf: String,
    pending: Vec<Submission>,
}

#[derive(Template)]
#[template(path = "review_detail.html")]
struct ReviewDetailPage {
    user: Option<String>,
    csrf: String,
    d: ReviewDetail,
}

#[derive(Template)]
#[template(path = "publish.html")]
struct PublishPage {
    user: Option<String>,
    csrf: String,
    error: String,
}

#[derive(Template)]
#[template(path = "submissions.html")]
struct SubmissionsPage {
    user: Option<String>,
    csrf: String,
    submissions: Vec<Submission>,
}

#[derive(Template)]
#[template(path = "submission.html")]
struct SubmissionPage {
    user: Option<String>,
    csrf: String,
    d: SubmissionDetail,
    log: Vec<String>,
}

/// Search box.
#[derive(Debug, Deserialize)]
pub struct Search {
    q: Option<String>,
}

async fn index(
    State(state): State<AppState>,
    session: Session,
    WebCaller(caller): WebCaller,
    Query(s): Query<Search>,
) -> Result<Response, ApiError> {
    let f = frame(&session, &caller).await;
    let q = s.q.unwrap_or_default();
    let modules = state
        .db
        .modules(Some(q.as_str()).filter(|q| !q.is_empty()), None)
        .await?;
    Ok(render(IndexPage {
        user: f.user,
        csrf: f.csrf,
        q,
        modules,
    }))
}

async fn module(
    State(state): State<AppState>,
    session: Session,
    WebCaller(caller): WebCaller,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    let f = frame(&session, &caller).await;
    let m = crate::api::catalog::module_detail(&state, &slug).await?;
    Ok(render(ModulePage {
        user: f.user,
        csrf: f.csrf,
        m,
    }))
}

async fn login_page(session: Session, WebCaller(caller): WebCaller) -> Response {
    let f = frame(&session, &caller).await;
    render(LoginPage {
        user: f.user,
        csrf: f.csrf,
        error: String::new(),
    })
}

/// Login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<LoginForm>,
) -> Result<Response, ApiError> {
    let Some(user) = state.db.login(&form.email, &form.password).await? else {
        let page = LoginPage {
            user: None,
            csrf: String::new(),
            error: "wrong e-mail or password".into(),
        };
        return Ok((StatusCode::UNAUTHORIZED, render(page)).into_response());
    };
    // A new session id on login (no fixation), with a fresh CSRF token.
    session
        .cycle_id()
        .await
        .map_err(|e| ApiError::internal(&e))?;
    session
        .insert(SESSION_USER, user.id)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    session
        .insert(SESSION_CSRF, random_secret(""))
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(Redirect::to("/").into_response())
}

/// A form carrying the CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

async fn check_csrf(session: &Session, given: &str) -> Result<(), ApiError> {
    let expected: Option<String> = session
        .get(SESSION_CSRF)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    if expected.as_deref() != Some(given) || given.is_empty() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "the form's CSRF token is missing or wrong; reload the page",
        ));
    }
    Ok(())
}

async fn logout(session: Session, Form(form): Form<CsrfForm>) -> Result<Response, ApiError> {
    check_csrf(&session, &form.csrf).await?;
    session.flush().await.map_err(|e| ApiError::internal(&e))?;
    Ok(Redirect::to("/").into_response())
}

fn to_login(e: ApiError) -> Result<Response, ApiError> {
    if e.status == StatusCode::UNAUTHORIZED {
        Ok(Redirect::to("/login").into_response())
    } else {
        Err(e)
    }
}

async fn review_queue(
    State(state): State<AppState>,
    session: Session,
    WebCaller(caller): WebCaller,
) -> Result<Response, ApiError> {
    if let Err(e) = caller.require(Scope::Review) {
        return to_login(e);
    }
    let f = frame(&session, &caller).await;
    let pending = state.db.pending_review().await?;
    Ok(render(ReviewPage {
        user: f.user,
        csrf: f.csrf,
        pending,
    }))
}

async fn review_detail(
    State(state): State<AppState>,
    session: Session,
    WebCaller(caller): WebCaller,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    if let Err(e) = caller.require(Scope::Review) {
        return to_login(e);
    }
    let f = frame(&session, &caller).await;
    let d = crate::api::review::review_detail(&state, id).await?;
    Ok(render(ReviewDetailPage {
        user: f.user,
        csrf: f.csrf,
        d,
    }))
}

/// The approve / reject form.
#[derive(Debug, Deserialize)]
pub struct ReviewForm {
    csrf: String,
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    approve_network: Option<String>,
}

async fn review_action(
    State(state): State<AppState>,
    session: Session,
    WebCaller(caller): WebCaller,
    Path(id): Path<i64>,
    Form(form): Form<ReviewForm>,
) -> Result<Response, ApiError> {
    check_csrf(&session, &form.csrf).await?;
    let who = caller.require(Scope::Review)?;
    let reason = Some(form.reason.trim().to_string()).filter(|r| !r.is_empty());
    let decision = match form.action.as_str() {
        "approve" => Decision::Approve {
            network: form.approve_network.is_some(),
            reason,
        },
        "reject" => Decision::Reject {
            reason: reason.ok_or_else(|| ApiError::bad_request("a rejection needs a reason"))?,
        },
        other => return Err(ApiError::bad_request(format!("unknown action {other:?}"))),
    };
    state.db.review(id, who.user_id, &decision).await?;
    Ok(Redirect::to(&format!("/review/{id}")).into_response())
}

async fn submissions(
    State(state): State<AppState>,
    session: Session,
    WebCaller(caller): WebCaller,
) -> Result<Response, ApiError> {
    let who = match caller.require(Scope::Read) {
        Ok(w) => w,
        Err(e) => return to_login(e),
    };
    let mine = (!who.can(Scope::Review)).then_some(who.user_id);
    let submissions = state.db.submissions(mine, 500).await?;
    let f = frame(&session, &caller).await;
    Ok(render(SubmissionsPage {
        user: f.user,
        csrf: f.csrf,
        submissions,
    }))
}

async fn submission(
    State(state): State<AppState>,
    session: Session,
    WebCaller(caller): WebCaller,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    if let Err(e) = caller.require(Scope::Read) {
        return to_login(e);
    }
    let s = crate::api::submissions::visible_submission(&state, &caller, id).await?;
    let d = crate::api::submissions::detail(&state, s).await?;
    let log = state
        .db
        .log_lines(id, 0, 10_000)
        .await?
        .into_iter()
        .map(|r| r.1)
        .collect();
    let f = frame(&session, &caller).await;
    Ok(render(SubmissionPage {
        user: f.user,
        csrf: f.csrf,
        d,
        log,
    }))
}

async fn publish_page(
    session: Session,
    WebCaller(caller): WebCaller,
) -> Result<Response, ApiError> {
    if let Err(e) = caller.require(Scope::Submit) {
        return to_login(e);
    }
    let f = frame(&session, &caller).await;
    Ok(render(PublishPage {
        user: f.user,
        csrf: f.csrf,
        error: String::new(),
    }))
}

async fn publish(
    State(state): State<AppState>,
    session: Session,
    WebCaller(caller): WebCaller,
    multipart: axum::extract::Multipart,
) -> Result<Response, ApiError> {
    let up = crate::api::submissions::read_upload(multipart).await?;
    check_csrf(&session, up.csrf.as_deref().unwrap_or_default()).await?;
    let who = caller.require(Scope::Submit)?.clone();
    match crate::api::submissions::submit(&state, &who, up).await {
        Ok(created) => Ok(Redirect::to(&format!("/submissions/{}", created.id)).into_response()),
        Err(e) if e.status.is_client_error() => {
            let f = frame(&session, &caller).await;
            let page = PublishPage {
                user: f.user,
                csrf: f.csrf,
                error: e.message,
            };
            Ok((e.status, render(page)).into_response())
        }
        Err(e) => Err(e),
    }
}

/// The pages' routes (the seed's `/app/modules` and `/app/publish` among them).
pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/", get(index))
        .route("/app/modules", get(index))
        .route("/modules/{slug}", get(module))
        .route("/app/modules/{slug}", get(module))
        .route("/app/publish", get(publish_page).post(publish))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/review", get(review_queue))
        .route("/review/{id}", get(review_detail).post(review_action))
        .route("/submissions", get(submissions))
        .route("/submissions/{id}", get(submission))
}
