//! People and access: roles, what each may do, password hashes (argon2), API
//! tokens (random, stored only as SHA-256 hashes, scoped, revocable) and the
//! users table. Sessions for the web live in [`crate::session_store`].

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::db::{Db, DbError, now_ms, sql};

/// What a person is to Flareo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Submits modules and follows their builds.
    Maintainer,
    /// Works the review queue (approve, reject, network access, VEX).
    Reviewer,
    /// Everything, including managing users.
    Admin,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Maintainer => "maintainer",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "maintainer" => Some(Role::Maintainer),
            "reviewer" => Some(Role::Reviewer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// The scopes this role may hold.
    pub fn scopes(self) -> &'static [Scope] {
        match self {
            Role::Maintainer => &[Scope::Read, Scope::Submit],
            Role::Reviewer => &[Scope::Read, Scope::Review],
            Role::Admin => &[Scope::Read, Scope::Submit, Scope::Review, Scope::Admin],
        }
    }
}

/// A permission an API token can carry. A request is allowed when the user's role
/// grants the scope and the token (if any) carries it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Read one's own submissions and logs (catalog reads need no scope).
    Read,
    /// Submit modules.
    Submit,
    /// Review submissions.
    Review,
    /// Manage users.
    Admin,
}

impl Scope {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Submit => "submit",
            Scope::Review => "review",
            Scope::Admin => "admin",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Scope::Read, Scope::Submit, Scope::Review, Scope::Admin]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// Who is making a request, and with which scopes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Principal {
    /// The user's id.
    pub user_id: i64,
    /// The user's e-mail address.
    pub email: String,
    /// The user's role.
    pub role: Role,
    /// Scopes in effect (the role's, narrowed by the token's).
    pub scopes: Vec<Scope>,
}

impl Principal {
    /// Whether the request may act with `scope`.
    pub fn can(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// A user as listed to admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct User {
    /// Id.
    pub id: i64,
    /// E-mail address (login name).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
}

/// An API token as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    /// Id (for revocation).
    pub id: i64,
    /// The name its owner gave it.
    pub name: String,
    /// Its scopes.
    pub scopes: Vec<Scope>,
    /// Created, Unix ms.
    pub created_at: i64,
    /// Revoked, Unix ms.
    pub revoked_at: Option<i64>,
}

/// Prefix of every API token, so leaked tokens are recognisable.
pub const TOKEN_PREFIX: &str = "flareo_";

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::rng().fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes encode");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

/// Whether `password` matches a PHC hash from [`hash_password`].
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A new random secret: `prefix` + 64 hex digits (256 bits).
pub fn random_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}

/// The stored form of a token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn parse_scopes(text: &str) -> Vec<Scope> {
    text.split(',').filter_map(Scope::parse).collect()
}

type UserRow = (i64, String, String, String);

fn user_from(r: UserRow) -> Result<User, DbError> {
    Ok(User {
        id: r.0,
        email: r.1,
        name: r.2,
        role: Role::parse(&r.3)
            .ok_or_else(|| DbError::Conflict(format!("unknown role {}", r.3)))?,
    })
}

impl Db {
    /// Creates a user with a password; a taken e-mail address is a conflict.
    pub async fn create_user_with_password(
        &self,
        email: &str,
        name: &str,
        role: Role,
        password: &str,
    ) -> Result<i64, DbError> {
        let hash = hash_password(password);
        let row: Result<(i64,), sqlx::Error> = sqlx::query_as(
            "INSERT INTO users (email, name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(email)
        .bind(name)
        .bind(role.as_str())
        .bind(hash)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await;
        match row {
            Ok((id,)) => Ok(id),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(DbError::Conflict(
                format!("a user with e-mail {email} already exists"),
            )),
            Err(e) => Err(sql("creating a user")(e)),
        }
    }

    /// Number of users (zero before the admin is bootstrapped).
    pub async fn user_count(&self) -> Result<i64, DbError> {
        let row: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .map_err(sql("counting users"))?;
        Ok(row.0)
    }

    /// Every user.
    pub async fn users(&self) -> Result<Vec<User>, DbError> {
        let rows: Vec<UserRow> =
            sqlx::query_as("SELECT id, email, name, role FROM users ORDER BY id")
                .fetch_all(&self.pool)
                .await
                .map_err(sql("listing users"))?;
        rows.into_iter().map(user_from).collect()
    }

    /// One user.
    pub async fn user(&self, id: i64) -> Result<User, DbError> {
        let row: Option<UserRow> =
            sqlx::query_as("SELECT id, email, name, role FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(sql("reading a user"))?;
        user_from(row.ok_or_else(|| DbError::NotFound(format!("user {id}")))?)
    }

    /// The user with this e-mail and password, if they match.
    pub async fn login(&self, email: &str, password: &str) -> Result<Option<User>, DbError> {
        let row: Option<(i64, String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT id, email, name, role, password_hash FROM users WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await
        .map_err(sql("reading a user"))?;
        let Some((id, email, name, role, hash)) = row else {
            // Same work as a wrong password, so timing does not reveal accounts.
            verify_password(password, dummy_hash());
            return Ok(None);
        };
        if !hash.is_some_and(|h| verify_password(password, &h)) {
            return Ok(None);
        }
        user_from((id, email, name, role)).map(Some)
    }

    /// Issues a token for `user` with `scopes` (each must be allowed by the role);
    /// returns its id and the secret, which is shown once and stored only hashed.
    pub async fn create_token(
        &self,
        user: &User,
        name: &str,
        scopes: &[Scope],
    ) -> Result<(i64, String), DbError> {
        if let Some(s) = scopes.iter().find(|s| !user.role.scopes().contains(s)) {
            return Err(DbError::Conflict(format!(
                "a {} cannot hold scope {}",
                user.role.as_str(),
                s.as_str()
            )));
        }
        let scopes = if scopes.is_empty() {
            user.role.scopes()
        } else {
            scopes
        };
        let mut list: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        list.sort();
        list.dedup();
        let secret = random_secret(TOKEN_PREFIX);
        let row: (i64,) = sqlx::query_as(
            "INSERT INTO api_tokens (user_id, name, token_hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(user.id)
        .bind(name)
        .bind(token_hash(&secret))
        .bind(list.join(","))
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await
        .map_err(sql("storing a token"))?;
        Ok((row.0, secret))
    }

    /// The principal a bearer token stands for; `None` when unknown or revoked.
    pub async fn principal_for_token(&self, token: &str) -> Result<Option<Principal>, DbError> {
        let row: Option<(i64, String, String, String)> = sqlx::query_as(
            "SELECT u.id, u.email, u.role, t.scopes FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
        )
        .bind(token_hash(token))
        .fetch_optional(&self.pool)
        .await
        .map_err(sql("checking a token"))?;
        Ok(row.and_then(|(user_id, email, role, scopes)| {
            let role = Role::parse(&role)?;
            let scopes = parse_scopes(&scopes)
                .into_iter()
                .filter(|s| role.scopes().contains(s))
                .collect();
            Some(Principal {
                user_id,
                email,
                role,
                scopes,
            })
        }))
    }

    /// The principal of a logged-in web session (all of the role's scopes).
    pub async fn principal_for_user(&self, user_id: i64) -> Result<Option<Principal>, DbError> {
        match self.user(user_id).await {
            Ok(u) => Ok(Some(Principal {
                user_id: u.id,
                email: u.email,
                role: u.role,
                scopes: u.role.scopes().to_vec(),
            })),
            Err(DbError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A user's tokens (never their secrets).
    pub async fn tokens(&self, user_id: i64) -> Result<Vec<TokenInfo>, DbError> {
        let rows: Vec<(i64, String, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, name, scopes, created_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(sql("listing tokens"))?;
        Ok(rows
            .into_iter()
            .map(|(id, name, scopes, created_at, revoked_at)| TokenInfo {
                id,
                name,
                scopes: parse_scopes(&scopes),
                created_at,
                revoked_at,
            })
            .collect())
    }

    /// Revokes token `id`, if it belongs to `owner` (any owner when `None`).
    pub async fn revoke_token(&self, id: i64, owner: Option<i64>) -> Result<(), DbError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL \
             AND ($3 = 0 OR user_id = $3)",
        )
        .bind(now_ms())
        .bind(id)
        .bind(owner.unwrap_or(0))
        .execute(&self.pool)
        .await
        .map_err(sql("revoking a token"))?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound(format!("token {id}")));
        }
        Ok(())
    }
}

/// A real argon2 hash of a random string, checked against when no user matches.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&random_secret("")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("correct horse", "not a hash"));
        assert_ne!(h, hash_password("correct horse"), "salted");
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_secret(TOKEN_PREFIX);
        assert!(a.starts_with("flareo_") && a.len() == 7 + 64);
        assert_ne!(a, random_secret(TOKEN_PREFIX));
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn role_scopes() {
        assert!(!Role::Maintainer.scopes().contains(&Scope::Review));
        assert!(!Role::Reviewer.scopes().contains(&Scope::Submit));
        assert!(Role::Admin.scopes().contains(&Scope::Admin));
        assert_eq!(
            parse_scopes("read,bogus,review"),
            vec![Scope::Read, Scope::Review]
        );
    }
}
