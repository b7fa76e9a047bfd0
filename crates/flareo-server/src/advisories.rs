//! The advisory database: OSV records read from a directory or a zip
//! ([`read_source`]: osv.dev's per-ecosystem `all.zip` in production, fixtures in
//! tests) and imported incrementally into the server's database
//! ([`Db::import_advisories`]), where every worker reads them
//! ([`Db::advisories`], [`Db::advisories_for`]); plus [`Db::advisory_status`].
//!
//! An advisory is stored with its OSV JSON as imported (fields Flareo does not use
//! yet are kept) and re-parsed with [`flareo_scan::osv::parse`] when read. Withdrawn
//! advisories are stored and returned like the others: the matcher leaves them out,
//! and keeping them lets a later import see that nothing changed.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use flareo_scan::osv::{Advisory, normalise_name, parse};
use flareo_scan::version::Ecosystem;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::db::{Db, DbError, now_ms, sql};

/// The largest advisory accepted, uncompressed (the largest real OSV records are a
/// few hundred kilobytes).
pub const MAX_ADVISORY_BYTES: u64 = 16 << 20;

/// The most a source may hold, uncompressed, in all (osv.dev's largest
/// per-ecosystem export is well below it); more is taken for a zip bomb.
pub const MAX_SOURCE_BYTES: u64 = 4 << 30;

/// Advisories written per transaction: each advisory and its package rows commit
/// together, so an import that is killed leaves whole advisories behind.
const BATCH: usize = 500;

/// Why a source of advisories could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AdvisoryError {
    /// Reading a file or directory failed.
    #[error("reading {path}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The zip archive is unreadable, or an entry uses a method Flareo does not read.
    #[error("reading zip archive {path}")]
    Zip {
        /// The archive.
        path: PathBuf,
        /// The cause.
        #[source]
        source: zip::result::ZipError,
    },
    /// One advisory is larger than [`MAX_ADVISORY_BYTES`].
    #[error("{name}: larger than {limit} bytes")]
    EntryTooLarge {
        /// The file, or the entry inside the zip.
        name: String,
        /// The limit.
        limit: u64,
    },
    /// The source holds more than [`MAX_SOURCE_BYTES`].
    #[error("{path}: more than {limit} bytes of advisories")]
    SourceTooLarge {
        /// The directory or zip.
        path: PathBuf,
        /// The limit.
        limit: u64,
    },
    /// Neither a directory, a `.zip` nor a `.json` file.
    #[error("{0}: expected a directory of OSV JSON files, a .zip of them or one .json file")]
    NotASource(PathBuf),
}

/// Reads the OSV documents of `path`: a directory (recursively, its `*.json` files;
/// symbolic links inside are not followed), a `.zip` (its `*.json` entries), or one
/// `.json` file. Returns (name inside the source, bytes), sorted by name for a
/// directory and in archive order for a zip. Other files are skipped; a document
/// larger than [`MAX_ADVISORY_BYTES`] or a source larger than [`MAX_SOURCE_BYTES`]
/// (counted as read, whatever sizes a zip declares) is refused.
pub fn read_source(path: &Path) -> Result<Vec<(String, Vec<u8>)>, AdvisoryError> {
    let io = |source| AdvisoryError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    let mut budget = MAX_SOURCE_BYTES;
    let mut docs = Vec::new();
    if meta.is_dir() {
        read_dir(path, path, &mut budget, &mut docs)?;
        docs.sort_by(|a, b| a.0.cmp(&b.0));
    } else if has_extension(path, "zip") {
        read_zip(path, &mut budget, &mut docs)?;
    } else if has_extension(path, "json") {
        let file = std::fs::File::open(path).map_err(io)?;
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let bytes = read_capped(file, &name, &mut budget, path).map_err(|e| e.at(path))?;
        docs.push((name, bytes));
    } else {
        return Err(AdvisoryError::NotASource(path.to_path_buf()));
    }
    Ok(docs)
}

fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case(ext))
}

fn read_dir(
    root: &Path,
    dir: &Path,
    budget: &mut u64,
    docs: &mut Vec<(String, Vec<u8>)>,
) -> Result<(), AdvisoryError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| AdvisoryError::Io { path, source }
    };
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(io(&path))?;
        if kind.is_dir() {
            read_dir(root, &path, budget, docs)?;
        } else if kind.is_file() && has_extension(&path, "json") {
            let name = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            let file = std::fs::File::open(&path).map_err(io(&path))?;
            let bytes = read_capped(file, &name, budget, root).map_err(|e| e.at(&path))?;
            docs.push((name, bytes));
        }
    }
    Ok(())
}

fn read_zip(
    path: &Path,
    budget: &mut u64,
    docs: &mut Vec<(String, Vec<u8>)>,
) -> Result<(), AdvisoryError> {
    let zip = |source| AdvisoryError::Zip {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(|source| AdvisoryError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(zip)?;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(zip)?;
        let name = entry.name().map_err(zip)?.into_owned();
        if entry.is_dir() || !has_extension(Path::new(&name), "json") {
            continue;
        }
        if entry.size() > MAX_ADVISORY_BYTES {
            return Err(AdvisoryError::EntryTooLarge {
                name,
                limit: MAX_ADVISORY_BYTES,
            });
        }
        let bytes = read_capped(entry, &name, budget, path).map_err(|e| e.at(path))?;
        docs.push((name, bytes));
    }
    Ok(())
}

/// A failure of [`read_capped`], before the path is known to the caller.
enum CappedError {
    Io(std::io::Error),
    Limit(AdvisoryError),
}

impl CappedError {
    fn at(self, path: &Path) -> AdvisoryError {
        match self {
            CappedError::Io(source) => AdvisoryError::Io {
                path: path.to_path_buf(),
                source,
            },
            CappedError::Limit(e) => e,
        }
    }
}

/// Reads at most [`MAX_ADVISORY_BYTES`] (and what is left of `budget`) from
/// `reader`, refusing more.
fn read_capped(
    reader: impl Read,
    name: &str,
    budget: &mut u64,
    source: &Path,
) -> Result<Vec<u8>, CappedError> {
    let cap = MAX_ADVISORY_BYTES.min(*budget);
    let mut bytes = Vec::new();
    reader
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(CappedError::Io)?;
    let read = bytes.len() as u64;
    if read > cap {
        return Err(CappedError::Limit(if cap < MAX_ADVISORY_BYTES {
            AdvisoryError::SourceTooLarge {
                path: source.to_path_buf(),
                limit: MAX_SOURCE_BYTES,
            }
        } else {
            AdvisoryError::EntryTooLarge {
                name: name.to_string(),
                limit: MAX_ADVISORY_BYTES,
            }
        }));
    }
    *budget -= read;
    Ok(bytes)
}

/// What an import did. Advisories whose `modified` is not newer than the stored
/// one's are `unchanged` (the stored record is kept).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// New advisory ids.
    pub added: u64,
    /// Advisories replaced by a newer `modified`.
    pub updated: u64,
    /// Advisories already stored as they are (or newer).
    pub unchanged: u64,
    /// Documents that are not valid OSV: (name inside the source, reason).
    pub failed: Vec<(String, String)>,
}

/// Advisories naming packages of one ecosystem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcosystemCount {
    /// The OSV ecosystem without a release (`Debian`, `npm`, `PyPI`).
    pub ecosystem: String,
    /// Advisories naming at least one of its packages, withdrawn ones included.
    pub advisories: u64,
    /// Of those, how many are withdrawn.
    pub withdrawn: u64,
}

/// One import, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRecord {
    /// What was imported (the path given).
    pub source: String,
    /// When it finished (Unix milliseconds).
    pub at_ms: i64,
    /// What it did.
    pub report: ImportReport,
}

/// The state of the advisory database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvisoryStatus {
    /// Advisories stored, withdrawn ones included.
    pub advisories: u64,
    /// Of those, how many are withdrawn.
    pub withdrawn: u64,
    /// Per ecosystem, sorted by name (an advisory naming packages of two
    /// ecosystems counts in both; one naming no package in none).
    pub ecosystems: Vec<EcosystemCount>,
    /// The greatest `modified` stored (RFC 3339 text).
    pub latest_modified: Option<String>,
    /// The last import.
    pub last_import: Option<ImportRecord>,
}

/// One parsed document, ready to write.
struct Parsed {
    advisory: Advisory,
    json: String,
}

/// What to do with an incoming advisory given the stored `modified`.
#[derive(Debug, PartialEq, Eq)]
enum Action {
    Add,
    Update,
    Keep,
}

fn action(stored: Option<&str>, incoming: &str) -> Action {
    match stored {
        None => Action::Add,
        Some(old) if old == incoming => Action::Keep,
        Some(old) => match (rfc3339_key(old), rfc3339_key(incoming)) {
            (Some(old), Some(new)) if new <= old => Action::Keep,
            _ => Action::Update,
        },
    }
}

/// An RFC 3339 timestamp as (seconds since the epoch, nanoseconds), to order
/// `modified` values written with different precision or offsets.
fn rfc3339_key(s: &str) -> Option<(i64, u32)> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut i = 19;
    let mut nanos = 0u32;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = s.get(start..i.min(start + 9))?;
        if digits.is_empty() {
            return None;
        }
        nanos = digits.parse::<u32>().ok()? * 10u32.pow(9 - digits.len() as u32);
    }
    let offset = match s.get(i..)? {
        "Z" | "z" => 0,
        rest if rest.len() == 6 && matches!(&rest[..1], "+" | "-") && &rest[3..4] == ":" => {
            let secs = num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60;
            if rest.starts_with('-') { -secs } else { secs }
        }
        _ => return None,
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + hh * 3600 + mm * 60 + ss - offset, nanos))
}

/// The (ecosystem, name) keys an advisory is found by: the ecosystem without its
/// release, the name as that ecosystem compares names (as given for ecosystems
/// Flareo does not match).
fn package_keys(advisory: &Advisory) -> Vec<(String, String)> {
    let mut keys: Vec<(String, String)> = advisory
        .affected
        .iter()
        .filter_map(|a| a.package.as_ref())
        .map(|p| package_key(&p.ecosystem, &p.name))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn package_key(ecosystem: &str, name: &str) -> (String, String) {
    let base = ecosystem.split_once(':').map_or(ecosystem, |(b, _)| b);
    let name = match Ecosystem::from_osv(base) {
        Some((eco, _)) => normalise_name(eco, name),
        None => name.to_string(),
    };
    (base.to_string(), name)
}

/// `$first, $first+1, ...`: `n` placeholders.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An error with its causes, `a: b: c`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

/// Parses the stored JSON of `id`, leaving out (with a warning) a record that a
/// newer, stricter parser refuses.
fn reparse(id: &str, json: &str) -> Option<Advisory> {
    match parse(json.as_bytes()) {
        Ok(a) => Some(a),
        Err(e) => {
            tracing::warn!(advisory = id, error = %chain(&e), "stored advisory no longer parses; skipped");
            None
        }
    }
}

impl Db {
    /// Imports OSV documents (name inside the source, bytes) from `source` (recorded
    /// in the import log): new ids are added, those whose `modified` is newer than
    /// the stored one replace it, the rest are left alone. A document that is not
    /// valid OSV is reported in `failed` and the import goes on. Writes go in
    /// transactions of a few hundred advisories, each with its package rows.
    pub async fn import_advisories(
        &self,
        source: &str,
        docs: Vec<(String, Vec<u8>)>,
    ) -> Result<ImportReport, DbError> {
        self.import_advisories_with_progress(source, docs, |_| {})
            .await
    }

    /// [`Db::import_advisories`], calling `progress` with the number of documents
    /// done after each transaction.
    pub async fn import_advisories_with_progress(
        &self,
        source: &str,
        docs: Vec<(String, Vec<u8>)>,
        mut progress: impl FnMut(usize) + Send,
    ) -> Result<ImportReport, DbError> {
        let mut report = ImportReport::default();
        let mut done = 0;
        let mut docs = docs.into_iter().peekable();
        while docs.peek().is_some() {
            let mut batch = Vec::with_capacity(BATCH);
            for (name, bytes) in docs.by_ref().take(BATCH) {
                done += 1;
                match parse(&bytes) {
                    Ok(advisory) => match String::from_utf8(bytes) {
                        Ok(json) => batch.push(Parsed { advisory, json }),
                        Err(_) => report.failed.push((name, "not UTF-8".into())),
                    },
                    Err(e) => report.failed.push((name, chain(&e))),
                }
            }
            let (added, updated, unchanged) = self.write_batch(&batch).await?;
            report.added += added;
            report.updated += updated;
            report.unchanged += unchanged;
            progress(done);
        }
        let json = serde_json::to_string(&report).unwrap_or_else(|_| "{}".into());
        sqlx::query(
            "INSERT INTO advisory_imports (source, at, added, updated, unchanged, failed, report) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(source)
        .bind(now_ms())
        .bind(report.added as i64)
        .bind(report.updated as i64)
        .bind(report.unchanged as i64)
        .bind(report.failed.len() as i64)
        .bind(json)
        .execute(&self.pool)
        .await
        .map_err(sql("recording an advisory import"))?;
        Ok(report)
    }

    /// Writes one batch in one transaction; returns (added, updated, unchanged).
    async fn write_batch(&self, batch: &[Parsed]) -> Result<(u64, u64, u64), DbError> {
        if batch.is_empty() {
            return Ok((0, 0, 0));
        }
        let mut tx = self.begin().await?;
        let mut ids: Vec<&str> = batch.iter().map(|p| p.advisory.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let query = format!(
            "SELECT id, modified FROM advisories WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        // Only numbered placeholders are formatted into the SQL.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(query));
        for id in &ids {
            q = q.bind(*id);
        }
        let mut stored: HashMap<String, String> = HashMap::new();
        for row in q
            .fetch_all(&mut *tx)
            .await
            .map_err(sql("reading stored advisories"))?
        {
            let id: String = row.try_get(0).map_err(sql("reading stored advisories"))?;
            let modified: String = row.try_get(1).map_err(sql("reading stored advisories"))?;
            stored.insert(id, modified);
        }
        let now = now_ms();
        let (mut added, mut updated, mut unchanged) = (0, 0, 0);
        for Parsed { advisory, json } in batch {
            let id = advisory.id.as_str();
            match action(stored.get(id).map(String::as_str), &advisory.modified) {
                Action::Keep => {
                    unchanged += 1;
                    continue;
                }
                Action::Add => {
                    sqlx::query(
                        "INSERT INTO advisories (id, modified, withdrawn, json, imported_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(id)
                    .bind(&advisory.modified)
                    .bind(advisory.withdrawn.as_deref())
                    .bind(json.as_str())
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(sql("adding an advisory"))?;
                    added += 1;
                }
                Action::Update => {
                    sqlx::query(
                        "UPDATE advisories SET modified = $2, withdrawn = $3, json = $4, \
                         imported_at = $5 WHERE id = $1",
                    )
                    .bind(id)
                    .bind(&advisory.modified)
                    .bind(advisory.withdrawn.as_deref())
                    .bind(json.as_str())
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(sql("updating an advisory"))?;
                    sqlx::query("DELETE FROM advisory_packages WHERE advisory_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(sql("updating an advisory's packages"))?;
                    updated += 1;
                }
            }
            stored.insert(id.to_string(), advisory.modified.clone());
            for chunk in package_keys(advisory).chunks(300) {
                let values: Vec<String> = (0..chunk.len())
                    .map(|i| format!("({})", placeholders(3 * i + 1, 3)))
                    .collect();
                let query = format!(
                    "INSERT INTO advisory_packages (advisory_id, ecosystem, name) VALUES {}",
                    values.join(", ")
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(query));
                for (ecosystem, name) in chunk {
                    q = q.bind(id).bind(ecosystem.as_str()).bind(name.as_str());
                }
                q.execute(&mut *tx)
                    .await
                    .map_err(sql("recording an advisory's packages"))?;
            }
        }
        if added + updated > 0 {
            // Published modules are matched again from their SBOMs (worker).
            crate::evaluations::request_all_in(
                &mut tx,
                &format!("advisory database changed ({added} added, {updated} updated)"),
            )
            .await?;
        }
        tx.commit()
            .await
            .map_err(sql("committing imported advisories"))?;
        Ok((added, updated, unchanged))
    }

    /// Every stored advisory, withdrawn ones included (the matcher leaves those
    /// out), sorted by id.
    pub async fn advisories(&self) -> Result<Vec<Advisory>, DbError> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, json FROM advisories")
            .fetch_all(&self.pool)
            .await
            .map_err(sql("reading advisories"))?;
        let mut out: Vec<Advisory> = rows
            .iter()
            .filter_map(|(id, json)| reparse(id, json))
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// The stored advisories naming any of `names` in `ecosystem` (OSV's name
    /// without a release: `Debian`, `npm`, ...; an entry for any release counts),
    /// withdrawn ones included, sorted by id. Names are compared as the ecosystem
    /// compares them (PEP 503 for PyPI, ...).
    pub async fn advisories_for(
        &self,
        ecosystem: &str,
        names: &[String],
    ) -> Result<Vec<Advisory>, DbError> {
        let mut keys: Vec<String> = names.iter().map(|n| package_key(ecosystem, n).1).collect();
        keys.sort();
        keys.dedup();
        let base = package_key(ecosystem, "").0;
        let mut found: BTreeMap<String, String> = BTreeMap::new();
        for chunk in keys.chunks(BATCH) {
            let query = format!(
                "SELECT DISTINCT a.id, a.json FROM advisories a \
                 JOIN advisory_packages p ON p.advisory_id = a.id \
                 WHERE p.ecosystem = $1 AND p.name IN ({})",
                placeholders(2, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(query))
                .bind(base.as_str());
            for name in chunk {
                q = q.bind(name.as_str());
            }
            found.extend(
                q.fetch_all(&self.pool)
                    .await
                    .map_err(sql("finding advisories for packages"))?,
            );
        }
        Ok(found
            .iter()
            .filter_map(|(id, json)| reparse(id, json))
            .collect())
    }

    /// Counts per ecosystem, the newest `modified` and the last import.
    pub async fn advisory_status(&self) -> Result<AdvisoryStatus, DbError> {
        let what = "reading the advisory status";
        let (advisories, withdrawn, latest_modified): (i64, i64, Option<String>) =
            sqlx::query_as("SELECT COUNT(*), COUNT(withdrawn), MAX(modified) FROM advisories")
                .fetch_one(&self.pool)
                .await
                .map_err(sql(what))?;
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT p.ecosystem, COUNT(DISTINCT a.id), \
                    COUNT(DISTINCT CASE WHEN a.withdrawn IS NOT NULL THEN a.id END) \
             FROM advisory_packages p JOIN advisories a ON a.id = p.advisory_id \
             GROUP BY p.ecosystem",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(sql(what))?;
        let mut ecosystems: Vec<EcosystemCount> = rows
            .into_iter()
            .map(|(ecosystem, advisories, withdrawn)| EcosystemCount {
                ecosystem,
                advisories: advisories as u64,
                withdrawn: withdrawn as u64,
            })
            .collect();
        ecosystems.sort_by(|a, b| a.ecosystem.cmp(&b.ecosystem));
        let last: Option<(String, i64, String)> = sqlx::query_as(
            "SELECT source, at, report FROM advisory_imports ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(sql(what))?;
        let last_import = last.map(|(source, at_ms, report)| ImportRecord {
            source,
            at_ms,
            report: serde_json::from_str(&report).unwrap_or_default(),
        });
        Ok(AdvisoryStatus {
            advisories: advisories as u64,
            withdrawn: withdrawn as u64,
            ecosystems,
            latest_modified,
            last_import,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_order_across_spellings() {
        let k = |s| rfc3339_key(s).unwrap();
        assert_eq!(k("1970-01-01T00:00:00Z"), (0, 0));
        assert_eq!(k("2024-05-14T19:00:00Z"), k("2024-05-14T21:00:00+02:00"));
        assert_eq!(k("2024-05-14T19:00:00.000Z"), k("2024-05-14T19:00:00Z"));
        assert!(k("2024-05-14T19:00:00.5Z") > k("2024-05-14T19:00:00Z"));
        assert!(k("2024-05-14T19:00:00.123456789Z") > k("2024-05-14T19:00:00.12345678Z"));
        assert!(k("2000-03-01T00:00:00Z") > k("2000-02-29T23:59:59Z"));
        for bad in [
            "",
            "2024-05-14",
            "2024-13-01T00:00:00Z",
            "2024-05-14T19:00:00",
            "2024-05-14T19:00:00.Z",
        ] {
            assert_eq!(rfc3339_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_newer_records_replace() {
        assert_eq!(action(None, "2024-01-01T00:00:00Z"), Action::Add);
        assert_eq!(
            action(Some("2024-01-01T00:00:00Z"), "2024-01-01T00:00:00Z"),
            Action::Keep
        );
        assert_eq!(
            action(Some("2024-01-01T00:00:00Z"), "2024-01-02T00:00:00Z"),
            Action::Update
        );
        assert_eq!(
            action(Some("2024-01-02T00:00:00Z"), "2024-01-01T00:00:00Z"),
            Action::Keep
        );
        assert_eq!(
            action(Some("2024-01-01T00:00:00Z"), "2024-01-01T00:00:00.000Z"),
            Action::Keep
        );
        // Unreadable timestamps: a different one replaces.
        assert_eq!(action(Some("yesterday"), "today"), Action::Update);
    }

    #[test]
    fn package_keys_drop_releases_and_normalise_names() {
        assert_eq!(
            package_key("Debian:12", "git"),
            ("Debian".into(), "git".into())
        );
        assert_eq!(
            package_key("PyPI", "Foo_Bar.baz"),
            ("PyPI".into(), "foo-bar-baz".into())
        );
        assert_eq!(
            package_key("Ubuntu:22.04:LTS", "Git"),
            ("Ubuntu".into(), "Git".into())
        );
    }
}
