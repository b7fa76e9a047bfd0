//! Version comparison exactly as each ecosystem defines it: dpkg for Debian
//! (`debian.rs`), apk-tools for Alpine (`alpine.rs`), SemVer precedence for npm,
//! crates.io and Go (`semver.rs`), PEP 440 for PyPI (`pep440.rs`).
//!
//! A version the ecosystem's rules reject is an error naming the ecosystem and the
//! text, never silently "less than everything": a scanner that guesses would hide
//! or invent findings. Leniency, where there is any, follows the ecosystem's own
//! tool and is documented in the ecosystem's file.

mod alpine;
mod debian;
mod memo;
mod pep440;
mod semver;

use std::cmp::Ordering;
use std::fmt;

/// A package ecosystem, as OSV names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    /// `Debian` (dpkg versions).
    Debian,
    /// `Alpine` (apk versions).
    Alpine,
    /// `npm` (SemVer).
    Npm,
    /// `crates.io` (SemVer).
    CratesIo,
    /// `Go` (SemVer with `v`, pseudo-versions).
    Go,
    /// `PyPI` (PEP 440).
    PyPI,
}

impl Ecosystem {
    /// Every ecosystem, in declaration order.
    pub const ALL: [Ecosystem; 6] = [
        Ecosystem::Debian,
        Ecosystem::Alpine,
        Ecosystem::Npm,
        Ecosystem::CratesIo,
        Ecosystem::Go,
        Ecosystem::PyPI,
    ];

    /// Parses an OSV `affected[].package.ecosystem` value, with its release if it
    /// has one: `Debian:12` is `(Debian, Some("12"))`, `Alpine:v3.19` is
    /// `(Alpine, Some("v3.19"))`, `npm` is `(Npm, None)`.
    ///
    /// Names are case-sensitive, as OSV defines them. Only Debian and Alpine take a
    /// release; an empty release (`Debian:`), a release on another ecosystem
    /// (`npm:1`) or an ecosystem Flareo does not handle gives `None`.
    pub fn from_osv(name: &str) -> Option<(Ecosystem, Option<String>)> {
        let (base, release) = match name.split_once(':') {
            Some((base, release)) => (base, Some(release)),
            None => (name, None),
        };
        let ecosystem = Ecosystem::ALL.into_iter().find(|e| e.osv_name() == base)?;
        match release {
            None => Some((ecosystem, None)),
            Some("") => None,
            Some(release) if ecosystem.has_releases() => {
                Some((ecosystem, Some(release.to_string())))
            }
            Some(_) => None,
        }
    }

    /// The ecosystem's name in OSV (`Debian`, `Alpine`, `npm`, `crates.io`, `Go`,
    /// `PyPI`), without a release.
    pub fn osv_name(self) -> &'static str {
        match self {
            Ecosystem::Debian => "Debian",
            Ecosystem::Alpine => "Alpine",
            Ecosystem::Npm => "npm",
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Go => "Go",
            Ecosystem::PyPI => "PyPI",
        }
    }

    /// Whether OSV qualifies this ecosystem with a distribution release.
    fn has_releases(self) -> bool {
        matches!(self, Ecosystem::Debian | Ecosystem::Alpine)
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.osv_name())
    }
}

/// A version string the ecosystem's rules cannot parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} version {:?}: {}", .ecosystem.osv_name(), .version, .reason)]
pub struct VersionError {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// The text.
    pub version: String,
    /// Why it does not parse.
    pub reason: String,
}

impl VersionError {
    pub(crate) fn new(ecosystem: Ecosystem, version: &str, reason: impl Into<String>) -> Self {
        VersionError {
            ecosystem,
            version: version.to_string(),
            reason: reason.into(),
        }
    }
}

/// Compares two versions of `ecosystem` by the ecosystem's own precedence rules.
///
/// `Equal` means "the same version" to the ecosystem, not "the same text":
/// `1.0` and `1.0.0` in PyPI, `0:1.0-0` and `1.0` in Debian, `1.0.0+a` and
/// `1.0.0+b` in SemVer (build metadata has no precedence).
///
/// Fails if either version is not valid in the ecosystem; the error names the
/// first invalid one.
pub fn compare(ecosystem: Ecosystem, a: &str, b: &str) -> Result<Ordering, VersionError> {
    match ecosystem {
        Ecosystem::Debian => debian::compare(a, b),
        Ecosystem::Alpine => alpine::compare(a, b),
        Ecosystem::Npm | Ecosystem::CratesIo | Ecosystem::Go => semver::compare(ecosystem, a, b),
        Ecosystem::PyPI => pep440::compare(a, b),
    }
}

/// Checks that `version` is valid in `ecosystem`, by the same rules as [`compare`]:
/// for checking advisory ranges and inventories once, when they are loaded.
pub fn validate(ecosystem: Ecosystem, version: &str) -> Result<(), VersionError> {
    match ecosystem {
        Ecosystem::Debian => debian::validate(version),
        Ecosystem::Alpine => alpine::validate(version),
        Ecosystem::Npm | Ecosystem::CratesIo | Ecosystem::Go => {
            semver::validate(ecosystem, version)
        }
        Ecosystem::PyPI => pep440::validate(version),
    }
}

impl serde::Serialize for Ecosystem {
    /// As OSV names it (`Debian`, `crates.io`, ...).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.osv_name())
    }
}
