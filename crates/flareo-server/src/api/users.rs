//! Users and API tokens: admins create users; anyone logs in with e-mail and
//! password to get a token (shown once, stored hashed); tokens are listed and
//! revoked by their owner (or an admin).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState, Caller};
use crate::auth::{Principal, Role, Scope, TokenInfo, User};

/// A new user.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// E-mail address (login name).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Initial password (at least 12 characters).
    pub password: String,
}

/// Users.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserList {
    /// By id.
    pub users: Vec<User>,
}

/// A token request: as a logged-in caller, or with e-mail and password.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// A name to recognise the token by.
    pub name: String,
    /// Scopes (default: all the role allows).
    #[serde(default)]
    pub scopes: Vec<Scope>,
    /// Login e-mail, when not otherwise authenticated.
    pub email: Option<String>,
    /// Password, with `email`.
    pub password: Option<String>,
}

/// A new token: the secret is shown only here.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewToken {
    /// Id, for revocation.
    pub id: i64,
    /// The secret: send as `Authorization: Bearer <token>`.
    pub token: String,
    /// The user it acts as.
    pub user: User,
}

/// Tokens.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenList {
    /// By id.
    pub tokens: Vec<TokenInfo>,
}

/// Minimum password length.
pub const MIN_PASSWORD: usize = 12;

/// Lists users (admins).
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = UserList), (status = 403, body = super::ErrorBody)))]
pub async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<UserList>, ApiError> {
    caller.require(Scope::Admin)?;
    Ok(Json(UserList {
        users: state.db.users().await?,
    }))
}

/// Creates a user (admins).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = User), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    caller.require(Scope::Admin)?;
    if !body.email.contains('@') {
        return Err(ApiError::bad_request(format!(
            "{:?} is not an e-mail address",
            body.email
        )));
    }
    if body.password.chars().count() < MIN_PASSWORD {
        return Err(ApiError::bad_request(format!(
            "password too short: use at least {MIN_PASSWORD} characters"
        )));
    }
    let id = state
        .db
        .create_user_with_password(&body.email, &body.name, body.role, &body.password)
        .await?;
    Ok((StatusCode::CREATED, Json(state.db.user(id).await?)))
}

/// Who the caller is.
#[utoipa::path(get, path = "/api/v1/me", tag = "users",
    responses((status = 200, body = Principal), (status = 401, body = super::ErrorBody)))]
pub async fn me(caller: Caller) -> Result<Json<Principal>, ApiError> {
    Ok(Json(caller.require(Scope::Read)?.clone()))
}

/// Issues an API token, to the caller or to whoever gives a right e-mail and password.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "users", request_body = TokenRequest,
    responses((status = 201, body = NewToken), (status = 401, body = super::ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<TokenRequest>,
) -> Result<(StatusCode, Json<NewToken>), ApiError> {
    let user = match (&body.email, &body.password, &caller.0) {
        (Some(email), Some(password), _) => {
            state.db.login(email, password).await?.ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "bad_credentials",
                    "wrong e-mail or password",
                )
            })?
        }
        (None, None, Some(p)) => state.db.user(p.user_id).await?,
        (None, None, None) => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "give email and password, or authenticate",
            ));
        }
        _ => return Err(ApiError::bad_request("give both email and password")),
    };
    if let Some(p) = &caller.0
        && body.email.is_none()
        && let Some(s) = body.scopes.iter().find(|s| !p.can(**s))
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this token cannot mint a token with scope {}", s.as_str()),
        ));
    }
    let (id, token) = state
        .db
        .create_token(&user, &body.name, &body.scopes)
        .await?;
    Ok((StatusCode::CREATED, Json(NewToken { id, token, user })))
}

/// The caller's tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "users",
    responses((status = 200, body = TokenList), (status = 401, body = super::ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<TokenList>, ApiError> {
    let who = caller.require(Scope::Read)?;
    Ok(Json(TokenList {
        tokens: state.db.tokens(who.user_id).await?,
    }))
}

/// Revokes a token (its owner, or an admin).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "users",
    params(("id" = i64, Path, description = "token id")),
    responses((status = 204), (status = 404, body = super::ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let who = caller.require(Scope::Read)?;
    let owner = (!who.can(Scope::Admin)).then_some(who.user_id);
    state.db.revoke_token(id, owner).await?;
    Ok(StatusCode::NO_CONTENT)
}
