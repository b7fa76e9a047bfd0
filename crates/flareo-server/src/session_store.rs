//! Web sessions stored in the database (tower-sessions' own stores lag sqlx 0.9):
//! one row per session, the record as JSON, deleted when it expires.

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::db::{Db, now_ms};

/// A [`SessionStore`] over Flareo's database.
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    /// Sessions in `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(record)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let expires = record.expiry_date.unix_timestamp() * 1000;
        let mut tx = self.db.begin().await.map_err(backend)?;
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(record.id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query("INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3)")
            .bind(record.id.to_string())
            .bind(data)
            .bind(expires)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT data FROM sessions WHERE id = $1 AND expires_at > $2")
                .bind(id.to_string())
                .bind(now_ms())
                .fetch_optional(&self.db.pool)
                .await
                .map_err(backend)?;
        row.map(|(data,)| {
            serde_json::from_str(&data).map_err(|e| session_store::Error::Decode(e.to_string()))
        })
        .transpose()
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1 OR expires_at <= $2")
            .bind(id.to_string())
            .bind(now_ms())
            .execute(&self.db.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
