//! The transparency log persisted in the database: an append-only RFC 6962 Merkle
//! tree (maths in `flareo_attest::merkle`) whose entries and perfect subtrees are
//! rows (`migrations/*/0006_tlog.sql`). Appends are serialised on the single
//! `tlog_state` row (PostgreSQL's row lock; SQLite's one writer, taken by
//! `BEGIN IMMEDIATE`) and commit the entry with every node it completes in one
//! transaction, so concurrent workers never fork the log and a killed process
//! never leaves half an entry. Roots and proofs read their O(log n) nodes in one
//! query after reading the size. The Rekor-compatible API is built on these reads.

use std::collections::BTreeMap;

use flareo_attest::merkle::{self, Hash, MissingNode, NodeId, RangeError, TreeError, hex};
use sqlx::Row;

use crate::db::{Db, DbError, now_ms, sql};

/// At most this many nodes per lookup query (two bound values each).
const NODES_PER_QUERY: usize = 200;
/// At most this many rows per multi-row insert.
const ROWS_PER_INSERT: usize = 100;

/// Why the log refused or failed an operation.
#[derive(Debug, thiserror::Error)]
pub enum TlogError {
    /// The entry's bytes are already logged (Rekor answers 409 with the entry).
    #[error("entry already in the transparency log at index {index} (leaf hash {})", hex(.leaf_hash))]
    Duplicate {
        /// Where it is.
        index: u64,
        /// Its leaf hash.
        leaf_hash: Hash,
    },
    /// A tree size larger than the log was asked for.
    #[error(
        "tree size {asked} is beyond the transparency log's size {size}: ask for a size up to the current one"
    )]
    BeyondSize {
        /// The size asked for.
        asked: u64,
        /// The log's size.
        size: u64,
    },
    /// An index or pair of sizes no tree can answer.
    #[error(transparent)]
    Range(#[from] RangeError),
    /// The stored tree lacks a node it must have, or holds a malformed value.
    #[error("transparency log storage is inconsistent: {0}; restore the database from a backup")]
    Corrupt(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<TreeError<MissingNode>> for TlogError {
    fn from(e: TreeError<MissingNode>) -> Self {
        match e {
            TreeError::Range(r) => Self::Range(r),
            TreeError::Source(missing) => Self::Corrupt(missing.to_string()),
        }
    }
}

/// What an append recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The entry's index (0-based, dense).
    pub index: u64,
    /// `SHA-256(0x00 || body)`.
    pub leaf_hash: Hash,
    /// When it was logged, Unix seconds (Rekor's `integratedTime`).
    pub integrated_time: i64,
    /// The tree size right after it (`index + 1`).
    pub size_after: u64,
    /// The root of the tree of `size_after` entries.
    pub root_after: Hash,
}

/// One logged entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Its index.
    pub index: u64,
    /// `SHA-256(0x00 || body)`.
    pub leaf_hash: Hash,
    /// Its kind (`hashedrekord`, `dsse`, ...), as the appender named it.
    pub kind: String,
    /// The exact bytes logged (Rekor: the canonicalized entry body).
    pub body: Vec<u8>,
    /// When it was logged, Unix seconds.
    pub integrated_time: i64,
}

/// A tree head: the size and root of the log at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeHead {
    /// How many entries.
    pub size: u64,
    /// Their RFC 6962 root.
    pub root: Hash,
}

/// An inclusion proof with the root it leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    /// The entry's index.
    pub index: u64,
    /// The tree size the proof is for.
    pub tree_size: u64,
    /// The root of that tree.
    pub root: Hash,
    /// The audit path, nearest the leaf first (RFC 6962 PATH).
    pub hashes: Vec<Hash>,
}

/// A consistency proof with both roots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyProof {
    /// The older tree size.
    pub old_size: u64,
    /// The newer tree size.
    pub new_size: u64,
    /// The root at `old_size`.
    pub old_root: Hash,
    /// The root at `new_size`.
    pub new_root: Hash,
    /// RFC 6962 PROOF(old_size, D[new_size]).
    pub hashes: Vec<Hash>,
}

/// The transparency log in a [`Db`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Tlog {
    /// The database (crate-visible so that indexes over entries, such as the
    /// Rekor API's search, can live beside their handlers).
    pub(crate) db: Db,
}

impl Db {
    /// The transparency log stored in this database.
    pub fn tlog(&self) -> Tlog {
        Tlog::new(self.clone())
    }
}

fn to_u64(v: i64, what: &str) -> Result<u64, TlogError> {
    u64::try_from(v).map_err(|_| TlogError::Corrupt(format!("negative {what} {v}")))
}

fn to_i64(v: u64) -> Result<i64, TlogError> {
    i64::try_from(v).map_err(|_| RangeError::TreeFull(v).into())
}

fn to_hash(bytes: Vec<u8>, what: &str) -> Result<Hash, TlogError> {
    let len = bytes.len();
    bytes
        .try_into()
        .map_err(|_| TlogError::Corrupt(format!("{what} is {len} bytes, not 32")))
}

/// Reads the stored nodes `ids` (in as few queries as `NODES_PER_QUERY` allows).
async fn fetch_nodes(
    conn: &mut sqlx::AnyConnection,
    ids: &[NodeId],
) -> Result<BTreeMap<NodeId, Hash>, TlogError> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut map = BTreeMap::new();
    for chunk in ids.chunks(NODES_PER_QUERY) {
        let mut text = String::from("SELECT level, idx, hash FROM tlog_nodes WHERE ");
        for i in 0..chunk.len() {
            if i > 0 {
                text.push_str(" OR ");
            }
            text.push_str(&format!(
                "(level = ${} AND idx = ${})",
                2 * i + 1,
                2 * i + 2
            ));
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(text));
        for id in chunk {
            query = query.bind(i64::from(id.level)).bind(to_i64(id.index)?);
        }
        for row in query
            .fetch_all(&mut *conn)
            .await
            .map_err(sql("reading transparency log nodes"))?
        {
            let level: i64 = row.try_get(0).map_err(sql("reading a node's level"))?;
            let idx: i64 = row.try_get(1).map_err(sql("reading a node's index"))?;
            let hash: Vec<u8> = row.try_get(2).map_err(sql("reading a node's hash"))?;
            let level = u32::try_from(level)
                .map_err(|_| TlogError::Corrupt(format!("node level {level}")))?;
            map.insert(
                NodeId::new(level, to_u64(idx, "node index")?),
                to_hash(hash, "a node hash")?,
            );
        }
    }
    Ok(map)
}

/// Inserts `rows` with `columns` into `table`, several rows per statement.
async fn insert_rows<const N: usize>(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    table: &str,
    columns: &str,
    rows: &[[Value<'_>; N]],
    what: &'static str,
) -> Result<(), DbError> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut text = format!("INSERT INTO {table} ({columns}) VALUES ");
        for r in 0..chunk.len() {
            text.push_str(if r == 0 { "(" } else { ", (" });
            for c in 0..N {
                if c > 0 {
                    text.push_str(", ");
                }
                text.push_str(&format!("${}", r * N + c + 1));
            }
            text.push(')');
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(text));
        for row in chunk {
            for v in row {
                query = match v {
                    Value::Int(i) => query.bind(*i),
                    Value::Text(t) => query.bind(*t),
                    Value::Bytes(b) => query.bind(*b),
                };
            }
        }
        query.execute(&mut **tx).await.map_err(sql(what))?;
    }
    Ok(())
}

/// A value bound into a multi-row insert.
enum Value<'a> {
    Int(i64),
    Text(&'a str),
    Bytes(&'a [u8]),
}

type EntryRow = (i64, Vec<u8>, String, Vec<u8>, i64);

fn entry(row: EntryRow) -> Result<LogEntry, TlogError> {
    let (index, leaf_hash, kind, body, integrated_time) = row;
    Ok(LogEntry {
        index: to_u64(index, "log index")?,
        leaf_hash: to_hash(leaf_hash, "a leaf hash")?,
        kind,
        body,
        integrated_time,
    })
}

const ENTRY_COLUMNS: &str = "log_index, leaf_hash, kind, body, integrated_time";

impl Tlog {
    /// The log stored in `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Appends `body` as an entry of `kind`, in one transaction: the entry, every
    /// node it completes and the new size commit together or not at all.
    /// Concurrent appenders (tasks, pools, processes) queue on the log's state
    /// row, so indexes are dense and the tree never forks. The same bytes twice
    /// are refused with [`TlogError::Duplicate`] naming the existing index.
    pub async fn append(&self, kind: &str, body: &[u8]) -> Result<Appended, TlogError> {
        let mut all = self.append_batch(&[(kind, body)]).await?;
        all.pop()
            .ok_or_else(|| TlogError::Corrupt("an append recorded nothing".into()))
    }

    /// Appends `entries` in order, in one transaction (all or none): what
    /// [`Tlog::append`] does for one, for bulk imports. A body already logged, or
    /// given twice, refuses the whole batch with [`TlogError::Duplicate`].
    pub async fn append_batch(
        &self,
        entries: &[(&str, &[u8])],
    ) -> Result<Vec<Appended>, TlogError> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let leaves: Vec<Hash> = entries.iter().map(|(_, b)| merkle::leaf_hash(b)).collect();
        let count = i64::try_from(entries.len()).map_err(|_| RangeError::TreeFull(u64::MAX))?;
        let mut tx = self.db.begin().await?;
        // Bumping the size first takes the log's lock: PostgreSQL holds the row
        // lock until commit; on SQLite `begin` already holds the write lock.
        let (size_after,): (i64,) = sqlx::query_as(
            "UPDATE tlog_state SET tree_size = tree_size + $1 WHERE id = 1 RETURNING tree_size",
        )
        .bind(count)
        .fetch_one(&mut *tx)
        .await
        .map_err(sql("locking the transparency log"))?;
        let start = to_u64(size_after - count, "tree size")?;

        let mut seen = BTreeMap::new();
        for (i, leaf) in leaves.iter().enumerate() {
            if let Some(first) = seen.insert(*leaf, i) {
                return Err(TlogError::Duplicate {
                    index: start + first as u64,
                    leaf_hash: *leaf,
                });
            }
        }
        for chunk in leaves.chunks(NODES_PER_QUERY) {
            let mut text = String::from("SELECT log_index FROM tlog_leaves WHERE leaf_hash IN (");
            for i in 0..chunk.len() {
                text.push_str(&format!("{}${}", if i > 0 { ", " } else { "" }, i + 1));
            }
            // No ORDER BY ... LIMIT 1 here: with it, PostgreSQL may walk the
            // whole primary key looking for a first match that is (nearly always)
            // not there — `cargo bench --bench tlog` with TLOG_BENCH_DATABASE=postgres
            // measured batches slowing linearly with the log, to 17 s at 60,000
            // entries. The (rare) matches are few; the first is picked here.
            text.push(')');
            let mut query = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(text));
            for leaf in chunk {
                query = query.bind(&leaf[..]);
            }
            let found = query
                .fetch_all(&mut *tx)
                .await
                .map_err(sql("looking for an entry already logged"))?;
            if let Some((index,)) = found.into_iter().min() {
                let existing = self
                    .entry_by_index_in(&mut tx, to_u64(index, "log index")?)
                    .await?;
                return Err(TlogError::Duplicate {
                    index: existing.index,
                    leaf_hash: existing.leaf_hash,
                });
            }
        }

        // Every node an append reads is a perfect subtree of the tree before it:
        // the batch's own, or one of the maximal ones of the starting tree.
        let mut nodes = fetch_nodes(&mut tx, &merkle::root_nodes(start)).await?;
        let integrated_time = now_ms() / 1000;
        let mut new_nodes = Vec::new();
        let mut out = Vec::with_capacity(entries.len());
        for (i, leaf) in leaves.iter().enumerate() {
            let size = start + i as u64;
            let made = merkle::appended_nodes(&nodes, size, *leaf)?;
            nodes.extend(made.iter().copied());
            new_nodes.extend(made);
            out.push(Appended {
                index: size,
                leaf_hash: *leaf,
                integrated_time,
                size_after: size + 1,
                root_after: merkle::root(&nodes, size + 1)?,
            });
        }
        let leaf_rows = entries
            .iter()
            .zip(&out)
            .map(|((kind, body), a)| {
                Ok([
                    Value::Int(to_i64(a.index)?),
                    Value::Bytes(&a.leaf_hash[..]),
                    Value::Text(kind),
                    Value::Bytes(body),
                    Value::Int(integrated_time),
                ])
            })
            .collect::<Result<Vec<_>, TlogError>>()?;
        insert_rows(
            &mut tx,
            "tlog_leaves",
            ENTRY_COLUMNS,
            &leaf_rows,
            "logging an entry",
        )
        .await?;
        let node_rows = new_nodes
            .iter()
            .map(|(id, hash)| {
                Ok([
                    Value::Int(i64::from(id.level)),
                    Value::Int(to_i64(id.index)?),
                    Value::Bytes(&hash[..]),
                ])
            })
            .collect::<Result<Vec<_>, TlogError>>()?;
        insert_rows(
            &mut tx,
            "tlog_nodes",
            "level, idx, hash",
            &node_rows,
            "storing tree nodes",
        )
        .await?;
        tx.commit()
            .await
            .map_err(sql("committing a transparency log append"))?;
        Ok(out)
    }

    async fn entry_by_index_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        index: u64,
    ) -> Result<LogEntry, TlogError> {
        let row: EntryRow = sqlx::query_as(concat!(
            "SELECT log_index, leaf_hash, kind, body, integrated_time FROM tlog_leaves ",
            "WHERE log_index = $1"
        ))
        .bind(to_i64(index)?)
        .fetch_one(&mut **tx)
        .await
        .map_err(sql("reading a logged entry"))?;
        entry(row)
    }

    /// How many entries the log holds (committed appends only).
    pub async fn size(&self) -> Result<u64, TlogError> {
        let (size,): (i64,) = sqlx::query_as("SELECT tree_size FROM tlog_state WHERE id = 1")
            .fetch_one(&self.db.pool)
            .await
            .map_err(sql("reading the transparency log's size"))?;
        to_u64(size, "tree size")
    }

    /// Fails unless the log holds at least `asked` entries.
    async fn check_size(&self, asked: u64) -> Result<(), TlogError> {
        let size = self.size().await?;
        if asked > size {
            return Err(TlogError::BeyondSize { asked, size });
        }
        Ok(())
    }

    /// Reads stored nodes `ids` from the pool.
    async fn nodes(&self, ids: &[NodeId]) -> Result<BTreeMap<NodeId, Hash>, TlogError> {
        let mut conn = self
            .db
            .pool
            .acquire()
            .await
            .map_err(sql("connecting to read transparency log nodes"))?;
        fetch_nodes(&mut conn, ids).await
    }

    /// The current size and root (two queries).
    pub async fn head(&self) -> Result<TreeHead, TlogError> {
        let size = self.size().await?;
        let nodes = self.nodes(&merkle::root_nodes(size)).await?;
        Ok(TreeHead {
            size,
            root: merkle::root(&nodes, size)?,
        })
    }

    /// The root of the first `size` entries; `size` must not exceed the log's.
    pub async fn root(&self, size: u64) -> Result<Hash, TlogError> {
        self.check_size(size).await?;
        let nodes = self.nodes(&merkle::root_nodes(size)).await?;
        Ok(merkle::root(&nodes, size)?)
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries, with
    /// that tree's root (two queries whatever the size).
    pub async fn inclusion_proof(
        &self,
        index: u64,
        size: u64,
    ) -> Result<InclusionProof, TlogError> {
        let mut ids = merkle::inclusion_nodes(index, size)?;
        self.check_size(size).await?;
        ids.extend(merkle::root_nodes(size));
        let nodes = self.nodes(&ids).await?;
        Ok(InclusionProof {
            index,
            tree_size: size,
            root: merkle::root(&nodes, size)?,
            hashes: merkle::inclusion_proof(&nodes, index, size)?,
        })
    }

    /// The consistency proof from the tree of `old` entries to the tree of `new`,
    /// with both roots (two queries whatever the sizes).
    pub async fn consistency_proof(
        &self,
        old: u64,
        new: u64,
    ) -> Result<ConsistencyProof, TlogError> {
        let mut ids = merkle::consistency_nodes(old, new)?;
        self.check_size(new).await?;
        ids.extend(merkle::root_nodes(old));
        ids.extend(merkle::root_nodes(new));
        let nodes = self.nodes(&ids).await?;
        Ok(ConsistencyProof {
            old_size: old,
            new_size: new,
            old_root: merkle::root(&nodes, old)?,
            new_root: merkle::root(&nodes, new)?,
            hashes: merkle::consistency_proof(&nodes, old, new)?,
        })
    }

    /// The entry at `index`, if logged.
    pub async fn entry_by_index(&self, index: u64) -> Result<Option<LogEntry>, TlogError> {
        let Ok(index) = i64::try_from(index) else {
            return Ok(None);
        };
        let row: Option<EntryRow> = sqlx::query_as(concat!(
            "SELECT log_index, leaf_hash, kind, body, integrated_time FROM tlog_leaves ",
            "WHERE log_index = $1"
        ))
        .bind(index)
        .fetch_optional(&self.db.pool)
        .await
        .map_err(sql("reading a logged entry"))?;
        row.map(entry).transpose()
    }

    /// The entry whose leaf hash is `leaf_hash` (Rekor's entry UUID), if logged.
    pub async fn entry_by_leaf_hash(
        &self,
        leaf_hash: &Hash,
    ) -> Result<Option<LogEntry>, TlogError> {
        let row: Option<EntryRow> = sqlx::query_as(concat!(
            "SELECT log_index, leaf_hash, kind, body, integrated_time FROM tlog_leaves ",
            "WHERE leaf_hash = $1"
        ))
        .bind(&leaf_hash[..])
        .fetch_optional(&self.db.pool)
        .await
        .map_err(sql("finding a logged entry by leaf hash"))?;
        row.map(entry).transpose()
    }

    /// Up to `limit` entries from index `from` on, in index order.
    pub async fn entries(&self, from: u64, limit: u64) -> Result<Vec<LogEntry>, TlogError> {
        let rows: Vec<EntryRow> = sqlx::query_as(concat!(
            "SELECT log_index, leaf_hash, kind, body, integrated_time FROM tlog_leaves ",
            "WHERE log_index >= $1 ORDER BY log_index LIMIT $2"
        ))
        .bind(to_i64(from)?)
        .bind(to_i64(limit)?)
        .fetch_all(&self.db.pool)
        .await
        .map_err(sql("listing logged entries"))?;
        rows.into_iter().map(entry).collect()
    }
}
