//! Severity of a vulnerability: CVSS base scores (through RustSec's `cvss` crate) rated
//! on the CVSS qualitative scale, with a database's own rating word as the fallback.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A qualitative severity, ordered from least to most severe.
///
/// `Unknown` (nothing usable was given) sorts lowest so that "the highest of several"
/// never prefers it over a real rating; `None` is the CVSS rating of a 0.0 score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// No score or rating was available.
    Unknown,
    /// CVSS 0.0.
    None,
    /// CVSS 0.1–3.9.
    Low,
    /// CVSS 4.0–6.9 (GHSA's `MODERATE`).
    Medium,
    /// CVSS 7.0–8.9.
    High,
    /// CVSS 9.0–10.0.
    Critical,
}

impl Severity {
    /// The CVSS v3.1 qualitative rating of a base score (section 5). Scores outside
    /// 0.0–10.0 (or NaN) are `Unknown`.
    pub fn from_score(score: f64) -> Severity {
        if !(0.0..=10.0).contains(&score) {
            Severity::Unknown
        } else if score < 0.1 {
            Severity::None
        } else if score < 4.0 {
            Severity::Low
        } else if score < 7.0 {
            Severity::Medium
        } else if score < 9.0 {
            Severity::High
        } else {
            Severity::Critical
        }
    }

    /// A database's own rating word, case-insensitive: `LOW`, `MEDIUM`/`MODERATE`,
    /// `HIGH`/`IMPORTANT`, `CRITICAL`, `NONE`, and Ubuntu's/Debian's
    /// `NEGLIGIBLE`/`UNIMPORTANT` as low. Anything else is `None` (not a rating).
    pub fn from_rating(word: &str) -> Option<Severity> {
        match word.trim().to_ascii_lowercase().as_str() {
            "none" => Some(Severity::None),
            "low" | "negligible" | "unimportant" => Some(Severity::Low),
            "medium" | "moderate" => Some(Severity::Medium),
            "high" | "important" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    /// The upper-case name: `UNKNOWN`, `NONE`, `LOW`, `MEDIUM`, `HIGH`, `CRITICAL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::None => "NONE",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a CVSS vector was not scored.
#[derive(Debug, thiserror::Error)]
pub enum CvssError {
    /// The `cvss` crate rejected the vector.
    #[error("invalid CVSS vector {vector:?}")]
    Invalid {
        /// The vector.
        vector: String,
        /// The crate's reason.
        #[source]
        source: cvss::Error,
    },
    /// A v3 vector without each of the eight base metrics exactly once.
    #[error("CVSS vector {vector:?} does not give each of the eight base metrics exactly once")]
    IncompleteBase {
        /// The vector.
        vector: String,
    },
}

/// The base score of a CVSS v3.0 or v3.1 vector (`CVSS:3.1/AV:N/AC:L/...`), rounded up
/// to one decimal as the specification says. CVSS v4.0 vectors are scored too (the
/// crate implements v4.0); CVSS v2 vectors are rejected (the crate has no v2).
pub fn base_score(vector: &str) -> Result<f64, CvssError> {
    let vector = vector.trim();
    let parsed = cvss::Cvss::from_str(vector).map_err(|source| CvssError::Invalid {
        vector: vector.to_string(),
        source,
    })?;
    if let cvss::Cvss::CvssV30(base) | cvss::Cvss::CvssV31(base) = &parsed {
        // The crate lets a metric be missing (scored as zero) or repeated (last wins).
        let components = vector.split('/').count() - 1;
        let complete = base.av.is_some()
            && base.ac.is_some()
            && base.pr.is_some()
            && base.ui.is_some()
            && base.s.is_some()
            && base.c.is_some()
            && base.i.is_some()
            && base.a.is_some();
        if components != 8 || !complete {
            return Err(CvssError::IncompleteBase {
                vector: vector.to_string(),
            });
        }
    }
    Ok(parsed.score())
}

/// The severity of a vulnerability from its CVSS vectors and its databases' rating
/// words: the highest rating among the vectors that score; when none does, the highest
/// among the rating words; else `Unknown`.
pub fn rate<'a>(
    vectors: impl IntoIterator<Item = &'a str>,
    ratings: impl IntoIterator<Item = &'a str>,
) -> Severity {
    let from_vectors = vectors
        .into_iter()
        .filter_map(|v| base_score(v).ok())
        .map(Severity::from_score)
        .max();
    from_vectors
        .or_else(|| ratings.into_iter().filter_map(Severity::from_rating).max())
        .unwrap_or(Severity::Unknown)
}
