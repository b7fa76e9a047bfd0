//! Serde types for the OSV schema (<https://ossf.github.io/osv-schema/>), lenient about
//! fields we do not use and strict about those we do, plus `parse` with its checks.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// One OSV advisory record, checked by [`parse`]: its id is not empty and every range
/// has a well-formed, non-empty event list with at least one `introduced`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// `schema_version` (absent means 1.0.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<String>,
    /// `id`, e.g. `GHSA-r9p9-mrjm-926w`, `DSA-5678-1`, `CVE-2024-1234`.
    pub id: String,
    /// `modified` (RFC 3339 timestamp, kept as text).
    pub modified: String,
    /// `published`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// `withdrawn`: when set, the advisory no longer applies to anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    /// `aliases`: ids of the same vulnerability in other databases.
    #[serde(default, deserialize_with = "null_as_default")]
    pub aliases: Vec<String>,
    /// `upstream`: ids this advisory was derived from.
    #[serde(default, deserialize_with = "null_as_default")]
    pub upstream: Vec<String>,
    /// `related`: ids of related but distinct vulnerabilities (never merged).
    #[serde(default, deserialize_with = "null_as_default")]
    pub related: Vec<String>,
    /// `summary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// `details` (CommonMark).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// `severity`: scores of the whole advisory.
    #[serde(default, deserialize_with = "null_as_default")]
    pub severity: Vec<SeverityScore>,
    /// `affected`: the packages and their affected versions.
    #[serde(default, deserialize_with = "null_as_default")]
    pub affected: Vec<Affected>,
    /// `references`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub references: Vec<Reference>,
    /// `database_specific`: free-form; we read `severity` from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

/// One `severity` entry: `{"type": "CVSS_V3", "score": "CVSS:3.1/..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityScore {
    /// `type`: `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`, ... (kept as text).
    #[serde(rename = "type")]
    pub kind: String,
    /// `score`: a vector string, or a word for `Ubuntu`.
    pub score: String,
}

/// One `affected` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// `package` (optional in the schema: GIT-only entries may lack it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<Package>,
    /// `severity` of this package only (then the top-level one is absent).
    #[serde(default, deserialize_with = "null_as_default")]
    pub severity: Vec<SeverityScore>,
    /// `ranges`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub ranges: Vec<Range>,
    /// `versions`: an explicit list of affected versions.
    #[serde(default, deserialize_with = "null_as_default")]
    pub versions: Vec<String>,
    /// `ecosystem_specific`: free-form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem_specific: Option<Value>,
    /// `database_specific`: free-form; we read `severity` from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

/// `affected[].package`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// `ecosystem`, possibly with a release suffix: `Debian:12`, `Alpine:v3.19`, `npm`.
    pub ecosystem: String,
    /// `name` as the ecosystem spells it.
    pub name: String,
    /// `purl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// `affected[].ranges[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Range {
    /// `type`.
    #[serde(rename = "type")]
    pub kind: RangeType,
    /// `repo` (GIT ranges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// `events`, in the order given (evaluation does not depend on it).
    pub events: Vec<Event>,
    /// `database_specific`: free-form, no effect on evaluation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

/// `affected[].ranges[].type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RangeType {
    /// `ECOSYSTEM`: versions ordered by the ecosystem's own rules.
    #[serde(rename = "ECOSYSTEM")]
    Ecosystem,
    /// `SEMVER`: SemVer 2.0 precedence, no leading `v`.
    #[serde(rename = "SEMVER")]
    Semver,
    /// `GIT`: commit hashes (not used for package matching).
    #[serde(rename = "GIT")]
    Git,
    /// A type this code does not know (ignored for matching).
    #[serde(other)]
    Other,
}

/// One event of a range: exactly one of the four keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// `introduced` (`"0"` sorts before every version).
    Introduced(String),
    /// `fixed` (exclusive upper bound).
    Fixed(String),
    /// `last_affected` (inclusive upper bound).
    LastAffected(String),
    /// `limit` (`"*"` is infinity).
    Limit(String),
}

impl Event {
    /// The version text of the event.
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

/// `references[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// `type`: `ADVISORY`, `WEB`, `FIX`, ... (kept as text).
    #[serde(rename = "type")]
    pub kind: String,
    /// `url`.
    pub url: String,
}

/// Why an OSV document was rejected.
#[derive(Debug, thiserror::Error)]
pub enum OsvError {
    /// Not JSON, or not the shape of an OSV record.
    #[error("invalid OSV JSON")]
    Json(#[source] serde_json::Error),
    /// The `id` is empty.
    #[error("advisory has an empty id")]
    EmptyId,
    /// A range cannot be evaluated.
    #[error("advisory {id}: affected[{affected}].ranges[{range}]: {reason}")]
    Range {
        /// The advisory id.
        id: String,
        /// Index into `affected`.
        affected: usize,
        /// Index into `ranges`.
        range: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

/// Parses one OSV JSON record and checks what matching relies on.
pub fn parse(json: &[u8]) -> Result<Advisory, OsvError> {
    let advisory: Advisory = serde_json::from_slice(json).map_err(OsvError::Json)?;
    check(&advisory)?;
    Ok(advisory)
}

fn check(advisory: &Advisory) -> Result<(), OsvError> {
    if advisory.id.trim().is_empty() {
        return Err(OsvError::EmptyId);
    }
    for (a, affected) in advisory.affected.iter().enumerate() {
        for (r, range) in affected.ranges.iter().enumerate() {
            let fail = |reason| OsvError::Range {
                id: advisory.id.clone(),
                affected: a,
                range: r,
                reason,
            };
            if range.events.is_empty() {
                return Err(fail("no events"));
            }
            if !range
                .events
                .iter()
                .any(|e| matches!(e, Event::Introduced(_)))
            {
                return Err(fail("no introduced event"));
            }
            if range.events.iter().any(|e| e.version().trim().is_empty()) {
                return Err(fail("event with an empty version"));
            }
        }
    }
    Ok(())
}

/// `null` and absence both mean the default (some exporters write `"aliases": null`).
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
