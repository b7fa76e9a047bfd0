//! Reviewers' VEX statements, stored append-only per module (the latest statement
//! about a vulnerability decides; older ones stay as history).

use flareo_scan::vex::VexStatement;

use crate::db::{Db, DbError, now_ms, sql};

impl Db {
    /// Appends a statement about module `slug`; returns its id.
    pub async fn add_vex(
        &self,
        slug: &str,
        author: i64,
        statement: &VexStatement,
    ) -> Result<i64, DbError> {
        let json =
            serde_json::to_string(statement).map_err(|e| DbError::Conflict(e.to_string()))?;
        let mut tx = self.begin().await?;
        let row: (i64,) = sqlx::query_as(
            "INSERT INTO vex_statements (slug, statement, author_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(slug)
        .bind(json)
        .bind(author)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await
        .map_err(sql("storing a VEX statement"))?;
        let reason = format!(
            "VEX statement {}: {} {}",
            row.0,
            statement.vulnerability,
            statement.status.as_str()
        );
        crate::evaluations::request_in(&mut tx, slug, &reason).await?;
        tx.commit()
            .await
            .map_err(sql("committing a VEX statement"))?;
        Ok(row.0)
    }

    /// A module's statements, oldest first.
    pub async fn vex_statements(&self, slug: &str) -> Result<Vec<VexStatement>, DbError> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT statement FROM vex_statements WHERE slug = $1 ORDER BY id")
                .bind(slug)
                .fetch_all(&self.pool)
                .await
                .map_err(sql("reading VEX statements"))?;
        rows.into_iter()
            .map(|(json,)| {
                serde_json::from_str(&json)
                    .map_err(|e| DbError::Conflict(format!("stored VEX statement: {e}")))
            })
            .collect()
    }
}
