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

/// An error shown as a page: the API error's status and message, in HTML (a
/// browser that posts a form gets a page, not JSON).
pub struct WebError(ApiError);

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> Self {
        Self(e)
    }
}

impl From<crate::DbError> for WebError {
    fn from(e: crate::DbError) -> Self {
        Self(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    user: Option<String>,
    csrf: String,
    status: u16,
    reason: String,
    message: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            user: None,
            csrf: String::new(),
            status: self.0.status.as_u16(),
            reason: self
                .0
                .status
                .canonical_reason()
                .unwrap_or_default()
                .to_string(),
            message: self.0.message,
        };
        (self.0.status, render(page)).into_response()
    }
}

/// A Unix-ms timestamp as the pages show it: RFC 3339 UTC to the second.
pub fn when(ms: &i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis((*ms).max(0) as u64);
    crate::signing::rfc3339(t)
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
    /// The next page's URL, when there is one.
    next: Option<String>,
    /// Whether this is the list's first page.
    first_page: bool,
}

#[derive(Template)]
#[template(path = "module.html")]
struct ModulePage {
    user: Option<String>,
    csrf: String,
    m: ModuleDetail,
    /// The instance's URL, for the verification commands.
    public_url: String,
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
    /// Every problem of a refused submission, one line each.
    problems: Vec<String>,
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
    /// The last log line's cursor (where the page's live updates start).
    log_cursor: i64,
    /// Whether the build is still to end (the page follows it).
    live: bool,
}

/// Search box and page.
#[derive(Debug, Deserialize)]
pub struct Search {
    q: Option<String>,
    after: Option<String>,
    limit: Option<u32>,
}

async fn index(
    State(state): State<AppState>,
    session: Session,
    WebCaller(caller): WebCaller,
    Query(s): Query<Search>,
) -> Result<Response, WebError> {
    let f = frame(&session, &caller).await;
    let q = s.q.unwrap_or_default();
    let page = crate::catalog::ListPage::new(s.after, s.limit).map_err(ApiError::bad_request)?;
    let (modules, next) = state
        .db
        .modules(Some(q.as_str()).filter(|q| !q.is_empty()), None, &page)
        .await?;
    // The next page's link keeps the search and the page size.
    let next = next.map(|after| {
        let mut url = form_urlencoded::Serializer::new(String::new());
        if !q.is_empty() {
            url.append_pair("q", &q);
        }
        url.append_pair("after", &after);
        if page.limit != crate::catalog::ListPage::DEFAULT {
            url.append_pair("limit", &page.limit.to_string());
        }
        format!("/?{}", url.finish())
    });
    Ok(render(IndexPage {
        user: f.user,
        csrf: f.csrf,
        q,
        modules,
        next,
        first_page: page.after.is_none(),
    }))
}

async fn module(
    State(state): State<AppState>,
    session: Session,
    WebCaller(caller): WebCaller,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let f = frame(&session, &caller).await;
    let m = crate::api::catalog::module_detail(&state, &slug).await?;
    Ok(render(ModulePage {
        user: f.user,
        csrf: f.csrf,
        m,
        public_url: state.config.public_url(),
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
) -> Result<Response, WebError> {
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

async fn logout(session: Session, Form(form): Form<CsrfForm>) -> Result<Response, WebError> {
    check_csrf(&session, &form.csrf).await?;
    session.flush().await.map_err(|e| ApiError::internal(&e))?;
    Ok(Redirect::to("/").into_response())
}

fn to_login(e: ApiError) -> Result<Response, WebError> {
    if e.status == StatusCode::UNAUTHORIZED {
        Ok(Redirect::to("/login").into_response())
    } else {
        Err(e.into())
    }
}

async fn review_queue(
    State(state): State<AppState>,
    session: Session,
    WebCaller(caller): WebCaller,
) -> Result<Response, WebError> {
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
) -> Result<Response, WebError> {
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
) -> Result<Response, WebError> {
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
        other => {
            return Err(ApiError::bad_request(format!("unknown action {other:?}")).into());
        }
    };
    state.db.review(id, who.user_id, &decision).await?;
    Ok(Redirect::to(&format!("/review/{id}")).into_response())
}

async fn submissions(
    State(state): State<AppState>,
    session: Session,
    WebCaller(caller): WebCaller,
) -> Result<Response, WebError> {
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
) -> Result<Response, WebError> {
    if let Err(e) = caller.require(Scope::Read) {
        return to_login(e);
    }
    let s = crate::api::submissions::visible_submission(&state, &caller, id).await?;
    let d = crate::api::submissions::detail(&state, s).await?;
    let rows = state.db.log_lines(id, 0, 10_000).await?;
    let log_cursor = rows.last().map_or(0, |r| r.0);
    let f = frame(&session, &caller).await;
    Ok(render(SubmissionPage {
        user: f.user,
        csrf: f.csrf,
        live: !d.submission.status.is_final(),
        d,
        log: rows.into_iter().map(|r| r.1).collect(),
        log_cursor,
    }))
}

async fn publish_page(
    session: Session,
    WebCaller(caller): WebCaller,
) -> Result<Response, WebError> {
    if let Err(e) = caller.require(Scope::Submit) {
        return to_login(e);
    }
    let f = frame(&session, &caller).await;
    Ok(render(PublishPage {
        user: f.user,
        csrf: f.csrf,
        error: String::new(),
        problems: Vec::new(),
    }))
}

async fn publish(
    State(state): State<AppState>,
    session: Session,
    WebCaller(caller): WebCaller,
    multipart: axum::extract::Multipart,
) -> Result<Response, WebError> {
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
                problems: e.detail.as_ref().map(problems).unwrap_or_default(),
                error: e.message,
            };
            Ok((e.status, render(page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// One line per problem in a refused submission's detail: the lint report's
/// findings (`Dockerfile:3: error FL101: ... (hint)`) or the recipe's problems.
fn problems(detail: &serde_json::Value) -> Vec<String> {
    let list = detail
        .get("findings")
        .or(Some(detail))
        .and_then(|v| v.as_array())
        .cloned()
        .unwrap_or_default();
    list.iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap_or_default();
            let file = p["file"].as_str().unwrap_or("flareo.yaml");
            let mut line = format!("{file}:{}: ", p["line"].as_u64().unwrap_or(0));
            if !s("severity").is_empty() {
                line += &format!("{} ", s("severity"));
            }
            line += &format!("{}: {}", s("code"), s("message"));
            if !s("hint").is_empty() {
                line += &format!(" ({})", s("hint"));
            }
            line
        })
        .collect()
}

/// What the pages may load: their own stylesheet and script, nothing inline, no
/// framing, forms posting only here.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; script-src 'self'; \
     connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// The stylesheet and the live build-log script, compiled in.
async fn static_file(Path(name): Path<String>) -> Response {
    use axum::http::header;
    let (body, kind) = match name.as_str() {
        "flareo.css" => (
            include_str!("../static/flareo.css"),
            "text/css; charset=utf-8",
        ),
        "live-log.js" => (
            include_str!("../static/live-log.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => {
            return WebError(ApiError::not_found(format!("no static file {name:?}")))
                .into_response();
        }
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

/// The pages' routes (the seed's `/app/modules` and `/app/publish` among them),
/// each response with a strict Content-Security-Policy, `nosniff`, no framing and
/// a same-origin referrer.
pub fn router() -> axum::Router<AppState> {
    use axum::http::{HeaderValue, header};
    use axum::routing::{get, post};
    use tower_http::set_header::SetResponseHeaderLayer;
    let header =
        |name, value| SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value));
    axum::Router::new()
        .route("/static/{name}", get(static_file))
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
        .layer(header(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header(header::REFERRER_POLICY, "same-origin"))
}
