//! The embedded transparency log as a service: takes proposed Rekor entries (checked
//! as Rekor checks them), appends them to the database log, and answers with
//! Rekor's response shape — inclusion proof, checkpoint signed in the C2SP note
//! format and signed entry timestamp — plus the Rekor v1 HTTP API subset.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use flareo_attest::bundle::{InclusionProof, TlogEntry};
use flareo_attest::checkpoint::Checkpoint;
use flareo_attest::keys::{KeyPair, hex};
use flareo_attest::rekor::{self, EntryError, Kind};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::AppState;
use crate::db::Db;
use crate::tlog::{LogEntry, Tlog, TlogError};

/// Why the log service refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum LogServiceError {
    /// The proposed entry is not acceptable.
    #[error(transparent)]
    Entry(#[from] EntryError),
    /// The log failed, or the entry exists.
    #[error(transparent)]
    Log(#[from] TlogError),
}

/// The embedded log: storage, its key and its checkpoint origin.
#[derive(Debug)]
pub struct EmbeddedLog {
    db: Db,
    tlog: Tlog,
    key: KeyPair,
    origin: String,
    name: String,
    tree_id: u64,
}

impl EmbeddedLog {
    /// The log in `db`, signing with `key`, named after `host` (the public URL's
    /// host): checkpoints are for origin `<host> - <tree id>`.
    pub fn new(db: Db, key: KeyPair, host: &str) -> Self {
        let id = key.public().key_id();
        let tree_id = u64::from_be_bytes(id[..8].try_into().expect("8 bytes")) >> 1;
        let name = host.replace(char::is_whitespace, "");
        Self {
            tlog: db.tlog(),
            db,
            origin: format!("{name} - {tree_id}"),
            name,
            key,
            tree_id,
        }
    }

    /// The checkpoint origin line.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The log's key.
    pub fn key(&self) -> &KeyPair {
        &self.key
    }

    /// The entry UUID Rekor uses: tree id (16 hex) then leaf hash (64 hex).
    pub fn uuid(&self, leaf_hash: &[u8; 32]) -> String {
        format!("{:016x}{}", self.tree_id, hex(leaf_hash))
    }

    /// The UUID of a logged entry (from its body's leaf hash).
    pub fn entry_uuid(&self, entry: &TlogEntry) -> String {
        self.uuid(&flareo_attest::merkle::leaf_hash(&entry.canonicalized_body))
    }

    /// Checks and appends a proposed entry; returns it with proof and checkpoint.
    pub async fn submit(&self, proposed: &Value) -> Result<TlogEntry, LogServiceError> {
        let accepted = rekor::accept(proposed)?;
        let appended = self
            .tlog
            .append(accepted.kind.as_str(), &accepted.body)
            .await?;
        let entry = LogEntry {
            index: appended.index,
            leaf_hash: appended.leaf_hash,
            kind: accepted.kind.as_str().into(),
            body: accepted.body,
            integrated_time: appended.integrated_time,
        };
        self.with_proof(entry, appended.size_after).await
    }

    /// A signed checkpoint for the tree of `size` with `root`.
    pub fn checkpoint(&self, size: u64, root: [u8; 32]) -> String {
        Checkpoint {
            origin: self.origin.clone(),
            size,
            root,
            extensions: vec![],
        }
        .sign(&self.name, self.key.signing_key())
        .expect("signing a checkpoint with a P-256 key cannot fail")
    }

    async fn with_proof(&self, entry: LogEntry, size: u64) -> Result<TlogEntry, LogServiceError> {
        let proof = self.tlog.inclusion_proof(entry.index, size).await?;
        let kind = if entry.kind == "dsse" {
            Kind::Dsse
        } else {
            Kind::HashedRekord
        };
        let set = rekor::signed_entry_timestamp(
            &self.key,
            &entry.body,
            entry.integrated_time,
            entry.index,
        );
        Ok(TlogEntry {
            log_index: entry.index,
            log_id: self.key.public().key_id(),
            kind,
            integrated_time: entry.integrated_time,
            signed_entry_timestamp: set,
            inclusion_proof: InclusionProof {
                log_index: entry.index,
                root_hash: proof.root,
                tree_size: proof.tree_size,
                hashes: proof.hashes,
                checkpoint: self.checkpoint(proof.tree_size, proof.root),
            },
            canonicalized_body: entry.body,
        })
    }

    /// The entry at `index`, proved against the current tree.
    pub async fn entry(&self, index: u64) -> Result<Option<TlogEntry>, LogServiceError> {
        let Some(entry) = self.tlog.entry_by_index(index).await? else {
            return Ok(None);
        };
        let size = self.tlog.size().await?;
        Ok(Some(self.with_proof(entry, size).await?))
    }

    /// The entry with `leaf_hash`, proved against the current tree.
    pub async fn entry_by_leaf(
        &self,
        leaf_hash: &[u8; 32],
    ) -> Result<Option<TlogEntry>, LogServiceError> {
        let Some(entry) = self.tlog.entry_by_leaf_hash(leaf_hash).await? else {
            return Ok(None);
        };
        let size = self.tlog.size().await?;
        Ok(Some(self.with_proof(entry, size).await?))
    }

    /// Leaf hashes of the entries whose signed artifact (hashedrekord digest or
    /// DSSE payload hash) has SHA-256 `hex_digest`. Indexes what the search index
    /// lacks first, so an append whose indexing a crash interrupted is found.
    pub async fn search(&self, hex_digest: &str) -> Result<Vec<[u8; 32]>, LogServiceError> {
        let sql = crate::db::sql;
        let (last,): (i64,) =
            sqlx::query_as("SELECT COALESCE(MAX(log_index), -1) FROM tlog_search")
                .fetch_one(&self.db.pool)
                .await
                .map_err(sql("reading the log's search index"))
                .map_err(TlogError::from)?;
        let mut from = (last + 1) as u64;
        loop {
            let batch = self.tlog.entries(from, 500).await?;
            let Some(end) = batch.last().map(|e| e.index + 1) else {
                break;
            };
            for e in &batch {
                let body: Value = serde_json::from_slice(&e.body).unwrap_or_default();
                let key = body["spec"]["data"]["hash"]["value"]
                    .as_str()
                    .or_else(|| body["spec"]["payloadHash"]["value"].as_str())
                    .map_or_else(
                        || format!("leaf:{}", hex(&e.leaf_hash)),
                        str::to_ascii_lowercase,
                    );
                sqlx::query("INSERT INTO tlog_search (hash, log_index) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(key)
                    .bind(e.index as i64)
                    .execute(&self.db.pool)
                    .await
                    .map_err(sql("indexing the log for search"))
                    .map_err(TlogError::from)?;
            }
            from = end;
        }
        let rows: Vec<(i64,)> =
            sqlx::query_as("SELECT log_index FROM tlog_search WHERE hash = $1 ORDER BY log_index")
                .bind(hex_digest)
                .fetch_all(&self.db.pool)
                .await
                .map_err(sql("searching the log"))
                .map_err(TlogError::from)?;
        let mut out = Vec::new();
        for (index,) in rows {
            if let Some(e) = self.tlog.entry_by_index(index as u64).await? {
                out.push(e.leaf_hash);
            }
        }
        Ok(out)
    }

    /// The storage underneath.
    pub fn tlog(&self) -> &Tlog {
        &self.tlog
    }
}

/// The Rekor v1 API subset: create and get entries, search by hash, log info,
/// consistency proofs, the log's public key.
pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/v1/log", get(log_info))
        .route("/api/v1/log/publicKey", get(public_key))
        .route("/api/v1/log/proof", get(consistency))
        .route(
            "/api/v1/log/entries",
            post(create_entry).get(entry_by_index),
        )
        .route("/api/v1/log/entries/{uuid}", get(entry_by_uuid))
        .route("/api/v1/index/retrieve", post(search))
}

fn rekor_error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"code": status.as_u16(), "message": message.into()})),
    )
        .into_response()
}

fn failure(e: LogServiceError) -> Response {
    match e {
        LogServiceError::Entry(e) => rekor_error(StatusCode::BAD_REQUEST, e.to_string()),
        LogServiceError::Log(TlogError::Duplicate { .. }) => {
            rekor_error(StatusCode::CONFLICT, e.to_string())
        }
        LogServiceError::Log(TlogError::BeyondSize { .. } | TlogError::Range(_)) => {
            rekor_error(StatusCode::BAD_REQUEST, e.to_string())
        }
        other => {
            tracing::error!(error = %other, "transparency log");
            rekor_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "transparency log failure (see the server log)",
            )
        }
    }
}

/// The embedded log, extracted from the state; answers 404 in Rekor's error
/// shape when the instance has none.
struct Log(Arc<EmbeddedLog>);

impl axum::extract::FromRequestParts<AppState> for Log {
    type Rejection = Response;

    async fn from_request_parts(
        _parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Response> {
        state.log.clone().map(Log).ok_or_else(|| {
            rekor_error(
                StatusCode::NOT_FOUND,
                "this instance has no embedded transparency log",
            )
        })
    }
}

async fn create_entry(Log(log): Log, Json(proposed): Json<Value>) -> Response {
    match log.submit(&proposed).await {
        Ok(entry) => {
            let uuid = log.entry_uuid(&entry);
            let created = (StatusCode::CREATED, Json(entry.to_rekor_response(&uuid)));
            with_location(created.into_response(), &uuid)
        }
        Err(LogServiceError::Log(TlogError::Duplicate { leaf_hash, .. })) => {
            let uuid = log.uuid(&leaf_hash);
            let conflict = rekor_error(
                StatusCode::CONFLICT,
                format!(
                    "an equivalent entry already exists in the transparency log with UUID {uuid}"
                ),
            );
            with_location(conflict, &uuid)
        }
        Err(e) => failure(e),
    }
}

/// `response` with `Location` naming entry `uuid`.
fn with_location(mut response: Response, uuid: &str) -> Response {
    if let Ok(v) = format!("/api/v1/log/entries/{uuid}").parse() {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

async fn respond(
    log: &EmbeddedLog,
    found: Result<Option<TlogEntry>, LogServiceError>,
    what: &str,
) -> Response {
    match found {
        Ok(Some(entry)) => Json(entry.to_rekor_response(&log.entry_uuid(&entry))).into_response(),
        Ok(None) => rekor_error(
            StatusCode::NOT_FOUND,
            format!("no transparency log entry {what}"),
        ),
        Err(e) => failure(e),
    }
}

async fn entry_by_uuid(Log(log): Log, Path(uuid): Path<String>) -> Response {
    let leaf = uuid
        .get(uuid.len().saturating_sub(64)..)
        .and_then(flareo_attest::bundle::hash_from_hex);
    let Some(leaf) = leaf.filter(|_| uuid.len() == 64 || uuid.len() == 80) else {
        return rekor_error(
            StatusCode::BAD_REQUEST,
            format!("{uuid:?} is not an entry UUID (64 or 80 hex digits)"),
        );
    };
    respond(
        &log,
        log.entry_by_leaf(&leaf).await,
        &format!("with UUID {uuid}"),
    )
    .await
}

#[derive(Deserialize)]
struct IndexQuery {
    #[serde(rename = "logIndex")]
    log_index: u64,
}

async fn entry_by_index(Log(log): Log, Query(q): Query<IndexQuery>) -> Response {
    respond(
        &log,
        log.entry(q.log_index).await,
        &format!("at index {}", q.log_index),
    )
    .await
}

async fn log_info(Log(log): Log) -> Response {
    match log.tlog.head().await {
        Ok(head) => Json(json!({
            "rootHash": hex(&head.root),
            "treeSize": head.size,
            "signedTreeHead": log.checkpoint(head.size, head.root),
            "treeID": log.tree_id.to_string(),
            "inactiveShards": [],
        }))
        .into_response(),
        Err(e) => failure(e.into()),
    }
}

async fn public_key(Log(log): Log) -> Response {
    (
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        log.key.public().to_pem(),
    )
        .into_response()
}

#[derive(Deserialize)]
struct ProofQuery {
    #[serde(rename = "firstSize", default = "one")]
    first_size: u64,
    #[serde(rename = "lastSize")]
    last_size: u64,
}

fn one() -> u64 {
    1
}

async fn consistency(Log(log): Log, Query(q): Query<ProofQuery>) -> Response {
    match log.tlog.consistency_proof(q.first_size, q.last_size).await {
        Ok(p) => Json(json!({
            "rootHash": hex(&p.new_root),
            "hashes": p.hashes.iter().map(|h| hex(h)).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => failure(e.into()),
    }
}

#[derive(Deserialize)]
struct SearchQuery {
    hash: Option<String>,
}

/// Search by artifact hash (`sha256:<hex>`): entries whose hashedrekord digest or
/// DSSE payload hash is that hash. Answers UUIDs, as Rekor does.
async fn search(Log(log): Log, Json(q): Json<SearchQuery>) -> Response {
    let Some(hash) = q.hash else {
        return rekor_error(StatusCode::BAD_REQUEST, "give \"hash\": \"sha256:<hex>\"");
    };
    let hex_digest = hash
        .strip_prefix("sha256:")
        .unwrap_or(&hash)
        .to_ascii_lowercase();
    if flareo_attest::bundle::hash_from_hex(&hex_digest).is_none() {
        return rekor_error(
            StatusCode::BAD_REQUEST,
            format!("{hash:?} is not a sha256 hash"),
        );
    }
    match log.search(&hex_digest).await {
        Ok(leaves) => Json(leaves.iter().map(|l| log.uuid(l)).collect::<Vec<_>>()).into_response(),
        Err(e) => failure(e),
    }
}
