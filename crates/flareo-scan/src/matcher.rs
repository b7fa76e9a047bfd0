//! Matching an image's packages against an advisory database: an index by
//! (ecosystem, package name) so each package meets only its own advisories, then
//! the OSV range evaluation of [`crate::osv::affects`] and alias merging. Debian and
//! Alpine advisories name source packages, so those are matched by source name and
//! version and reported on each binary package built from it.

use std::collections::HashMap;

use serde::Serialize;

use crate::catalog::image::LayeredPackage;
use crate::catalog::{OsRelease, Package};
use crate::osv::{Advisory, Finding, affects, merge_findings, normalise_name};
use crate::severity::Severity;
use crate::version::Ecosystem;

/// Advisories indexed by the packages they name.
#[derive(Debug, Default)]
pub struct AdvisoryIndex<'a> {
    by_package: HashMap<(Ecosystem, String), Vec<&'a Advisory>>,
    advisories: usize,
}

impl<'a> AdvisoryIndex<'a> {
    /// Indexes `advisories` (withdrawn ones are left out).
    pub fn new(advisories: &'a [Advisory]) -> Self {
        let mut by_package: HashMap<(Ecosystem, String), Vec<&'a Advisory>> = HashMap::new();
        for advisory in advisories.iter().filter(|a| a.withdrawn.is_none()) {
            let mut keys: Vec<(Ecosystem, String)> = advisory
                .affected
                .iter()
                .filter_map(|a| a.package.as_ref())
                .filter_map(|p| {
                    let (eco, _) = Ecosystem::from_osv(&p.ecosystem)?;
                    Some((eco, normalise_name(eco, &p.name)))
                })
                .collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                by_package.entry(key).or_default().push(advisory);
            }
        }
        Self {
            by_package,
            advisories: advisories.len(),
        }
    }

    /// How many advisories were given.
    pub fn len(&self) -> usize {
        self.advisories
    }

    /// Whether no advisory was given.
    pub fn is_empty(&self) -> bool {
        self.advisories == 0
    }

    fn candidates(&self, ecosystem: Ecosystem, name: &str) -> &[&'a Advisory] {
        self.by_package
            .get(&(ecosystem, normalise_name(ecosystem, name)))
            .map_or(&[], Vec::as_slice)
    }
}

/// A vulnerability in one installed package of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageFinding {
    /// The merged finding (id, advisories, aliases, fixed version, severity).
    #[serde(flatten)]
    pub finding: Finding,
    /// The installed (binary) package's name.
    pub installed: String,
    /// Its purl.
    pub purl: String,
    /// Index of the layer that added the package.
    pub layer: usize,
}

/// The name and version advisories know a package by: the source package for
/// Debian and Alpine, the package itself elsewhere.
pub fn advisory_key(p: &Package) -> (&str, &str) {
    match (&p.source, p.ecosystem) {
        (Some((s, v)), Ecosystem::Debian | Ecosystem::Alpine) => (s.as_str(), v.as_str()),
        _ => (p.name.as_str(), p.version.as_str()),
    }
}

/// Every finding for `packages` of an image whose OS is `os`, sorted by
/// severity (highest first), then id and purl.
pub fn match_packages(
    index: &AdvisoryIndex<'_>,
    packages: &[LayeredPackage],
    os: &OsRelease,
) -> Vec<ImageFinding> {
    let release = os.osv_release();
    let mut out = Vec::new();
    for lp in packages {
        let p = &lp.package;
        let (name, version) = advisory_key(p);
        let release = matches!(p.ecosystem, Ecosystem::Debian | Ecosystem::Alpine)
            .then_some(release.as_str());
        let matches: Vec<_> = index
            .candidates(p.ecosystem, name)
            .iter()
            .filter_map(|a| affects(a, p.ecosystem, release, name, version))
            .collect();
        for finding in merge_findings(matches) {
            out.push(ImageFinding {
                finding,
                installed: p.name.clone(),
                purl: p.purl.clone(),
                layer: lp.layer,
            });
        }
    }
    out.sort_by(|a, b| {
        b.finding
            .severity
            .cmp(&a.finding.severity)
            .then_with(|| a.finding.id.cmp(&b.finding.id))
            .then_with(|| a.purl.cmp(&b.purl))
    });
    out
}

/// The gate: findings at or above HIGH reject the image, with a message in the
/// seed's words, e.g. `Trivy found CRITICAL CVEs: CVE-2024-1 in libfoo`.
pub fn gate(findings: &[ImageFinding]) -> Result<(), String> {
    let mut parts = Vec::new();
    for severity in [Severity::Critical, Severity::High] {
        let mut named: Vec<String> = findings
            .iter()
            .filter(|f| f.finding.severity == severity)
            .map(|f| format!("{} in {}", f.finding.id, f.installed))
            .collect();
        named.dedup();
        if !named.is_empty() {
            parts.push(format!(
                "Trivy found {} CVEs: {}",
                severity.as_str(),
                named.join(", ")
            ));
        }
    }
    if parts.is_empty() {
        Ok(())
    } else {
        Err(parts.join("; "))
    }
}
