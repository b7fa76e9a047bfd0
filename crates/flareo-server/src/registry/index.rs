//! The registry's index in the database: which manifests belong to which
//! repository, their tags, the blobs each references, and which refer to which
//! (OCI 1.1 `subject`). Writes come as functions over a connection, so
//! the publish transaction and the signing step record what they make in their
//! own transaction; reads are [`Db`] methods. Digests given as text are checked
//! (a malformed one is refused with [`DbError::Conflict`]).

use std::collections::BTreeMap;

use flareo_oci::registry_client::valid_tag;
use flareo_oci::{Digest, ManifestInfo};

use crate::db::{Db, DbError, now_ms, sql};

/// A manifest as the index holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedManifest {
    /// Its digest.
    pub digest: Digest,
    /// Its media type; none while recorded by digest alone (see
    /// [`put_manifest_digest`]).
    pub media_type: Option<String>,
    /// The artifact type the referrers API reports.
    pub artifact_type: Option<String>,
    /// The manifest it refers to.
    pub subject: Option<Digest>,
    /// Its size in bytes; none while recorded by digest alone.
    pub size: Option<u64>,
    /// Its annotations.
    pub annotations: BTreeMap<String, String>,
    /// When first recorded, Unix ms.
    pub created_at: i64,
}

/// Columns of [`IndexedManifest`], in order.
const COLUMNS: &str =
    "digest, media_type, artifact_type, subject_digest, size, annotations, created_at";

type Row = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    i64,
);

fn stored_digest(what: &str, s: &str) -> Result<Digest, DbError> {
    s.parse()
        .map_err(|e| DbError::Conflict(format!("stored {what} {s:?}: {e}")))
}

fn from_row(r: Row) -> Result<IndexedManifest, DbError> {
    Ok(IndexedManifest {
        digest: stored_digest("manifest digest", &r.0)?,
        media_type: r.1,
        artifact_type: r.2,
        subject: r
            .3
            .as_deref()
            .map(|s| stored_digest("subject digest", s))
            .transpose()?,
        size: r.4.map(|s| s.max(0) as u64),
        annotations: r
            .5
            .as_deref()
            .and_then(|a| serde_json::from_str(a).ok())
            .unwrap_or_default(),
        created_at: r.6,
    })
}

/// Records that `repository` serves the manifest `info` describes: its row
/// (completing one recorded by digest alone), the blobs it references, and its
/// child manifests (an index's) by digest. Idempotent; the blobs must already be
/// in the blob store.
pub async fn put_manifest(
    conn: &mut sqlx::AnyConnection,
    repository: &str,
    info: &ManifestInfo,
) -> Result<(), DbError> {
    let annotations = (!info.annotations.is_empty())
        .then(|| serde_json::to_string(&info.annotations).expect("string map serialises"));
    sqlx::query(
        "INSERT INTO registry_manifests (repository, digest, media_type, artifact_type, subject_digest, size, annotations, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (repository, digest) DO UPDATE SET media_type = excluded.media_type, \
         artifact_type = excluded.artifact_type, subject_digest = excluded.subject_digest, \
         size = excluded.size, annotations = excluded.annotations",
    )
    .bind(repository)
    .bind(info.digest.as_str())
    .bind(info.media_type.as_str())
    .bind(info.artifact_type.as_deref())
    .bind(info.subject.as_ref().map(Digest::as_str))
    .bind(info.size as i64)
    .bind(annotations)
    .bind(now_ms())
    .execute(&mut *conn)
    .await
    .map_err(sql("recording a registry manifest"))?;
    for blob in &info.blobs {
        sqlx::query(
            "INSERT INTO registry_blobs (repository, manifest_digest, digest) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(repository)
        .bind(info.digest.as_str())
        .bind(blob.digest.as_str())
        .execute(&mut *conn)
        .await
        .map_err(sql("recording a manifest's blobs"))?;
    }
    for child in &info.manifests {
        put_manifest_digest(conn, repository, child.digest.as_str()).await?;
    }
    Ok(())
}

/// Parses manifest `bytes` (whose digest is `digest`) and records it with
/// [`put_manifest`]; returns what it read. Bytes that are not a manifest, or do
/// not hash to `digest`, are refused with [`DbError::Conflict`] saying why.
pub async fn record_manifest(
    conn: &mut sqlx::AnyConnection,
    repository: &str,
    digest: &str,
    bytes: &[u8],
) -> Result<ManifestInfo, DbError> {
    let info = ManifestInfo::parse(bytes).map_err(|e| {
        DbError::Conflict(format!(
            "manifest {digest} for repository {repository}: {e}"
        ))
    })?;
    if info.digest.as_str() != digest {
        return Err(DbError::Conflict(format!(
            "manifest for repository {repository} hashes to {}, not {digest}",
            info.digest
        )));
    }
    put_manifest(conn, repository, &info).await?;
    Ok(info)
}

/// Records that `repository` serves manifest `digest`, known by digest alone
/// (its bytes are in the blob store): the registry reads them and completes the
/// row the first time it needs its type, size or blobs. Leaves a complete row
/// as it is.
pub async fn put_manifest_digest(
    conn: &mut sqlx::AnyConnection,
    repository: &str,
    digest: &str,
) -> Result<(), DbError> {
    let digest = checked(digest)?;
    sqlx::query(
        "INSERT INTO registry_manifests (repository, digest, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(repository)
    .bind(digest.as_str())
    .bind(now_ms())
    .execute(&mut *conn)
    .await
    .map_err(sql("recording a registry manifest"))?;
    Ok(())
}

/// Points `repository:tag` at `digest`, moving the tag if it pointed elsewhere.
/// The manifest must already be recorded for the repository. A tag that is not valid in a registry (1-128 of `[A-Za-z0-9_.-]`, not
/// starting with `.` or `-`) is refused with [`DbError::Conflict`].
pub async fn put_tag(
    conn: &mut sqlx::AnyConnection,
    repository: &str,
    tag: &str,
    digest: &str,
) -> Result<(), DbError> {
    let digest = checked(digest)?;
    if !valid_tag(tag) {
        return Err(DbError::Conflict(format!(
            "tag {tag:?} of {repository} is not a valid registry tag (1-128 of [A-Za-z0-9_.-], not starting with . or -)"
        )));
    }
    let recorded: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM registry_manifests WHERE repository = $1 AND digest = $2")
            .bind(repository)
            .bind(digest.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(sql("reading a registry manifest"))?;
    if recorded.is_none() {
        return Err(DbError::Conflict(format!(
            "tag {tag:?} of {repository}: manifest {digest} is not recorded for {repository} (record it first)"
        )));
    }
    sqlx::query(
        "INSERT INTO registry_tags (repository, tag, digest, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (repository, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at",
    )
    .bind(repository)
    .bind(tag)
    .bind(digest.as_str())
    .bind(now_ms())
    .execute(&mut *conn)
    .await
    .map_err(sql("tagging a registry manifest"))?;
    Ok(())
}

/// What the publish transaction records for a module's image: the manifest
/// `digest` under repository `slug` (by digest alone: the transaction has no blob
/// store), tagged `tag` (when valid as a registry tag; otherwise only logged)
/// and `latest`.
pub async fn put_publication(
    conn: &mut sqlx::AnyConnection,
    slug: &str,
    tag: &str,
    digest: &str,
) -> Result<(), DbError> {
    put_manifest_digest(conn, slug, digest).await?;
    if valid_tag(tag) {
        put_tag(conn, slug, tag, digest).await?;
    } else {
        tracing::warn!(%slug, %tag, "tag is not a valid registry tag; published as latest only");
    }
    put_tag(conn, slug, "latest", digest).await
}

/// A digest given as text, checked.
fn checked(digest: &str) -> Result<Digest, DbError> {
    digest
        .parse()
        .map_err(|e| DbError::Conflict(format!("registry index: {e}")))
}

impl Db {
    /// Records manifest `bytes` (a signature, an attestation: any manifest whose
    /// blobs are already in the blob store) under `repository`, tagged `tag` when
    /// given, in one transaction, so `/v2/` serves it and the referrers API finds
    /// it by its subject. Returns what the manifest says.
    pub async fn record_artifact(
        &self,
        repository: &str,
        bytes: &[u8],
        tag: Option<&str>,
    ) -> Result<ManifestInfo, DbError> {
        let digest = Digest::of(bytes);
        let mut tx = self.begin().await?;
        let info = record_manifest(&mut tx, repository, digest.as_str(), bytes).await?;
        if let Some(tag) = tag {
            put_tag(&mut tx, repository, tag, digest.as_str()).await?;
        }
        tx.commit()
            .await
            .map_err(sql("committing a registry manifest"))?;
        Ok(info)
    }

    /// Completes the index entry of a manifest recorded by digest alone, from
    /// its bytes (idempotent).
    pub async fn complete_manifest(
        &self,
        repository: &str,
        info: &ManifestInfo,
    ) -> Result<(), DbError> {
        let mut tx = self.begin().await?;
        put_manifest(&mut tx, repository, info).await?;
        tx.commit()
            .await
            .map_err(sql("committing a registry manifest"))
    }

    /// Whether `repository` has any manifest or tag.
    pub async fn registry_repository_exists(&self, repository: &str) -> Result<bool, DbError> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT 1 FROM registry_manifests WHERE repository = $1 \
             UNION ALL SELECT 1 FROM registry_tags WHERE repository = $1 LIMIT 1",
        )
        .bind(repository)
        .fetch_optional(&self.pool)
        .await
        .map_err(sql("looking up a registry repository"))?;
        Ok(row.is_some())
    }

    /// The manifest `digest` of `repository`, if the repository serves it.
    pub async fn registry_manifest(
        &self,
        repository: &str,
        digest: &Digest,
    ) -> Result<Option<IndexedManifest>, DbError> {
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM registry_manifests WHERE repository = $1 AND digest = $2"
        )))
        .bind(repository)
        .bind(digest.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(sql("reading a registry manifest"))?;
        row.map(from_row).transpose()
    }

    /// The manifest `repository:tag` points at.
    pub async fn registry_tag(
        &self,
        repository: &str,
        tag: &str,
    ) -> Result<Option<Digest>, DbError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT digest FROM registry_tags WHERE repository = $1 AND tag = $2")
                .bind(repository)
                .bind(tag)
                .fetch_optional(&self.pool)
                .await
                .map_err(sql("reading a registry tag"))?;
        row.map(|r| stored_digest("tag digest", &r.0)).transpose()
    }

    /// Every tag of `repository`, in byte order (the same on both databases,
    /// whatever their collation).
    pub async fn registry_tags(&self, repository: &str) -> Result<Vec<String>, DbError> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT tag FROM registry_tags WHERE repository = $1")
                .bind(repository)
                .fetch_all(&self.pool)
                .await
                .map_err(sql("listing registry tags"))?;
        let mut tags: Vec<String> = rows.into_iter().map(|r| r.0).collect();
        tags.sort_unstable();
        Ok(tags)
    }

    /// The manifests of `repository` whose subject is `subject`, oldest first.
    pub async fn registry_referrers(
        &self,
        repository: &str,
        subject: &Digest,
    ) -> Result<Vec<IndexedManifest>, DbError> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM registry_manifests WHERE repository = $1 AND subject_digest = $2 \
             AND media_type IS NOT NULL ORDER BY created_at, digest"
        )))
        .bind(repository)
        .bind(subject.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(sql("listing referrers"))?;
        rows.into_iter().map(from_row).collect()
    }

    /// Whether a complete manifest of `repository` references blob `digest`.
    pub async fn registry_serves_blob(
        &self,
        repository: &str,
        digest: &Digest,
    ) -> Result<bool, DbError> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT 1 FROM registry_blobs WHERE repository = $1 AND digest = $2 LIMIT 1",
        )
        .bind(repository)
        .bind(digest.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(sql("looking up a registry blob"))?;
        Ok(row.is_some())
    }

    /// Manifests of `repository` recorded by digest alone, not yet completed.
    pub async fn registry_incomplete(&self, repository: &str) -> Result<Vec<Digest>, DbError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT digest FROM registry_manifests WHERE repository = $1 AND media_type IS NULL \
             ORDER BY created_at DESC",
        )
        .bind(repository)
        .fetch_all(&self.pool)
        .await
        .map_err(sql("listing registry manifests"))?;
        rows.iter()
            .map(|r| stored_digest("manifest digest", &r.0))
            .collect()
    }
}
