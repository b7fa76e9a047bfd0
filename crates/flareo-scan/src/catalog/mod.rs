//! Catalogers: which packages an image holds, read from the files package
//! managers leave (pure: callers hand over the files' bytes). Each package gets an
//! ecosystem, a purl, its licenses where recorded and the file it was found in.

pub mod apk;
pub mod binary;
pub mod cargo;
pub mod dpkg;
pub mod golang;
pub mod image;
pub mod npm;
pub mod os_release;
pub mod purl;
pub mod python;

pub use os_release::OsRelease;

use crate::version::Ecosystem;

/// A package found in an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// Its ecosystem (for version comparison and advisory matching).
    pub ecosystem: Ecosystem,
    /// Its name.
    pub name: String,
    /// Its installed version.
    pub version: String,
    /// Its package URL.
    pub purl: String,
    /// Licenses as recorded (SPDX ids or the distribution's short names).
    pub licenses: Vec<String>,
    /// The file it was found in (relative to the image root).
    pub location: String,
    /// The source package and version advisories name (Debian, Alpine origin).
    pub source: Option<(String, String)>,
    /// The purls of the packages it depends on, where its metadata records them
    /// (Cargo.lock, `cargo auditable` data, Go build info); empty when unknown.
    pub dependencies: Vec<String>,
}
