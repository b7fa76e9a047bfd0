//! Connecting to the database and migrating it: SQLite (`sqlite://path`) by
//! default, PostgreSQL (`postgres://...`) when configured; the same schema in both
//! dialects (`migrations/sqlite`, `migrations/postgres`).

use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server shared by several processes.
    Postgres,
}

/// A database failure, with what Flareo was doing.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names no supported database.
    #[error("database URL {0:?}: expected sqlite://PATH or postgres://...")]
    BadUrl(String),
    /// Connecting or a query failed.
    #[error("database: {what}: {source}")]
    Sql {
        /// What was being done.
        what: &'static str,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// Migrating the schema failed.
    #[error("database: migrating the schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A rule of the data model refused the change.
    #[error("{0}")]
    Conflict(String),
    /// No such row.
    #[error("{0} not found")]
    NotFound(String),
}

/// Wraps a driver error with what was being done.
pub(crate) fn sql(what: &'static str) -> impl FnOnce(sqlx::Error) -> DbError {
    move |source| DbError::Sql { what, source }
}

/// The database, migrated. Cheap to clone (a connection pool).
#[derive(Debug, Clone)]
pub struct Db {
    pub(crate) pool: AnyPool,
    backend: Backend,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Db {
    /// Connects to `url` and applies every migration.
    pub async fn open(url: &str) -> Result<Self, DbError> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(DbError::BadUrl(url.to_string()));
        };
        let options = AnyPoolOptions::new().max_connections(match backend {
            Backend::Sqlite => 4,
            Backend::Postgres => 16,
        });
        let options = match backend {
            // WAL lets readers run beside the one writer; writers wait instead of failing.
            Backend::Sqlite => options.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    Ok(())
                })
            }),
            Backend::Postgres => options,
        };
        let pool = options.connect(url).await.map_err(sql("connecting"))?;
        match backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&pool).await?,
        }
        Ok(Self { pool, backend })
    }

    /// Opens (creating) the SQLite database file at `path`.
    pub async fn open_sqlite(path: &std::path::Path) -> Result<Self, DbError> {
        Self::open(&format!("sqlite://{}?mode=rwc", path.display())).await
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads, then writes after
    /// another connection wrote, fails with `SQLITE_BUSY_SNAPSHOT` in WAL mode,
    /// which no busy timeout can wait out.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, DbError> {
        let statement = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        self.pool
            .begin_with(statement)
            .await
            .map_err(sql("starting a transaction"))
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks that the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(sql("ping"))?;
        Ok(())
    }

    /// Creates a user; returns its id.
    pub async fn create_user(&self, email: &str, name: &str, role: &str) -> Result<i64, DbError> {
        let row: (i64,) = sqlx::query_as(
            "INSERT INTO users (email, name, role, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(email)
        .bind(name)
        .bind(role)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await
        .map_err(sql("creating a user"))?;
        Ok(row.0)
    }
}

#[cfg(test)]
mod tests {
    /// The two dialects hold the same schema: they differ only in how an id
    /// column is generated and in the comment naming the dialect.
    #[test]
    fn migrations_agree_across_dialects() {
        let dirs = ["sqlite", "postgres"].map(|d| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(d);
            let mut names: Vec<String> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            (dir, names)
        });
        assert_eq!(
            dirs[0].1, dirs[1].1,
            "the same migration files in both dialects"
        );
        for name in &dirs[0].1 {
            let normalise = |dir: &std::path::Path| {
                std::fs::read_to_string(dir.join(name))
                    .unwrap()
                    .replace(
                        "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
                        "INTEGER PRIMARY KEY AUTOINCREMENT",
                    )
                    .replace(
                        "PostgreSQL dialect; migrations/sqlite",
                        "SQLite dialect; migrations/postgres",
                    )
            };
            assert_eq!(
                normalise(&dirs[0].0),
                normalise(&dirs[1].0),
                "{name} differs beyond id syntax"
            );
        }
    }
}
