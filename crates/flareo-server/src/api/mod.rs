//! The JSON API under `/api/v1/`, plus `/healthz` and `/metrics`: shared state,
//! the error shape (a stable code and a human message; causes go to the log
//! only), and who is asking (bearer token or web session, with CSRF checks).

pub mod catalog;
pub mod ops;
pub mod review;
pub mod submissions;
pub mod users;

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use flareo_oci::BlobStore;
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Serialize;
use tower_sessions::Session;

use crate::auth::{Principal, Scope};
use crate::config::Config;
use crate::db::{Db, DbError};

/// Session keys.
pub(crate) const SESSION_USER: &str = "user_id";
pub(crate) const SESSION_CSRF: &str = "csrf";
/// Header carrying the session's CSRF token on unsafe API requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The blob store.
    pub store: BlobStore,
    /// The configuration.
    pub config: Arc<Config>,
    /// Renders `/metrics`.
    pub metrics: PrometheusHandle,
    /// The embedded transparency log (absent when signing uses public Sigstore).
    pub log: Option<Arc<crate::transparency::EmbeddedLog>>,
    /// The instance's trust root as a Sigstore client trust config.
    pub trust_root: Option<Arc<serde_json::Value>>,
    /// The Fulcio-compatible certificate endpoint (absent: `/api/v2/` answers 404).
    pub fulcio: Option<Arc<crate::fulcio::Fulcio>>,
}

/// An API error: HTTP status, stable code, human message.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// What went wrong and what to do, for people.
    pub message: String,
    /// Structured detail (e.g. a lint report).
    pub detail: Option<serde_json::Value>,
}

/// The JSON body of every error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorInfo,
}

/// An error's fields.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorInfo {
    /// Stable code, e.g. `not_found`, `conflict`, `lint_failed`.
    pub code: String,
    /// Human message.
    pub message: String,
    /// Structured detail, when any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            detail: None,
        }
    }

    /// Adds structured detail.
    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = Some(detail);
        self
    }

    /// 400 with code `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 404 with code `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 500 with code `internal`; the cause is logged, never sent.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the cause is in the server log",
        )
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound(what) => Self::not_found(format!("{what} not found")),
            DbError::Conflict(message) => Self::new(StatusCode::CONFLICT, "conflict", message),
            other => Self::internal(&other),
        }
    }
}

impl From<flareo_oci::StoreError> for ApiError {
    fn from(e: flareo_oci::StoreError) -> Self {
        Self::internal(&e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorInfo {
                code: self.code.to_string(),
                message: self.message,
                detail: self.detail,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                "Bearer".parse().expect("static header"),
            );
        }
        response
    }
}

/// The caller, if authenticated: a bearer token (`Authorization: Bearer ...`) or a
/// web session. Unsafe requests authenticated by session must carry the session's
/// CSRF token in `X-CSRF-Token`.
#[derive(Debug, Clone)]
pub struct Caller(pub Option<Principal>);

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        resolve(parts, &AppState::from_ref(state), true).await
    }
}

/// The caller of a web page. Its forms carry the CSRF token in a field, which the
/// handler checks (a request extractor cannot read the body).
#[derive(Debug, Clone)]
pub struct WebCaller(pub Caller);

impl<S> FromRequestParts<S> for WebCaller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        resolve(parts, &AppState::from_ref(state), false)
            .await
            .map(WebCaller)
    }
}

async fn resolve(parts: &Parts, state: &AppState, check_csrf: bool) -> Result<Caller, ApiError> {
    {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        "invalid_token",
                        "Authorization header must be `Bearer <token>`",
                    )
                })?;
            return match state.db.principal_for_token(token.trim()).await? {
                Some(p) => Ok(Caller(Some(p))),
                None => Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "the API token is unknown or revoked; create a new one with `flareo login`",
                )),
            };
        }
        let Some(session) = parts.extensions.get::<Session>().cloned() else {
            return Ok(Caller(None));
        };
        let user: Option<i64> = session
            .get(SESSION_USER)
            .await
            .map_err(|e| ApiError::internal(&e))?;
        let Some(user) = user else {
            return Ok(Caller(None));
        };
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if check_csrf && !safe {
            let expected: Option<String> = session
                .get(SESSION_CSRF)
                .await
                .map_err(|e| ApiError::internal(&e))?;
            let given = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if expected.is_none() || given != expected.as_deref() {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "csrf_failed",
                    "missing or wrong X-CSRF-Token header for a session-authenticated request",
                ));
            }
        }
        Ok(Caller(state.db.principal_for_user(user).await?))
    }
}

impl Caller {
    /// The principal, if it holds `scope`: 401 when anonymous, 403 without the scope.
    pub fn require(&self, scope: Scope) -> Result<&Principal, ApiError> {
        let p = self.0.as_ref().ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "log in or send an API token (Authorization: Bearer ...)",
            )
        })?;
        if !p.can(scope) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "a {} (with this token's scopes) cannot do this: it needs scope {}",
                    p.role.as_str(),
                    scope.as_str()
                ),
            ));
        }
        Ok(p)
    }
}

/// Builds the API router (state attached by the caller).
pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/v1/modules", get(catalog::list_modules))
        .route("/api/v1/modules/{slug}", get(catalog::get_module))
        .route("/api/v1/modules/{slug}/sbom", get(catalog::get_sbom))
        .route("/api/v1/modules/{slug}/bundles", get(catalog::get_bundles))
        .route(
            "/api/v1/modules/{slug}/vex",
            get(catalog::get_vex).post(catalog::add_vex),
        )
        .route(
            "/api/v1/modules/{slug}/vulnerabilities",
            get(catalog::get_vulnerabilities),
        )
        .route(
            "/api/v1/submissions",
            get(submissions::list_submissions).post(submissions::create_submission),
        )
        .route("/api/v1/submissions/{id}", get(submissions::get_submission))
        .route("/api/v1/submissions/{id}/log", get(submissions::get_log))
        .route("/api/v1/submissions/{id}/approve", post(review::approve))
        .route("/api/v1/submissions/{id}/reject", post(review::reject))
        .route("/api/v1/review", get(review::queue))
        .route("/api/v1/review/{id}", get(review::detail))
        .route(
            "/api/v1/users",
            get(users::list_users).post(users::create_user),
        )
        .route("/api/v1/me", get(users::me))
        .route(
            "/api/v1/tokens",
            get(users::list_tokens).post(users::create_token),
        )
        .route(
            "/api/v1/tokens/{id}",
            axum::routing::delete(users::revoke_token),
        )
        .route("/api/v1/trust-root", get(ops::trust_root))
        .route("/api/v1/openapi.json", get(ops::openapi))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
}
