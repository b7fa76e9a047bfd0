//! Merging matches of advisories that describe the same vulnerability (aliases of each
//! other, transitively) into one finding per installed package.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use crate::osv::matching::{Match, normalise_name};
use crate::severity::Severity;
use crate::version::{self, Ecosystem};

/// One vulnerability of one installed package version, found through one or more
/// advisories.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// The vulnerability's name: the first `CVE-` id among the advisories' ids and
    /// aliases (sorted), else the first advisory id.
    pub id: String,
    /// The ids of the advisories that matched, sorted, without repeats.
    pub advisories: Vec<String>,
    /// Every other id the advisories give as alias, sorted, without repeats.
    pub aliases: Vec<String>,
    /// The installed package's ecosystem.
    pub ecosystem: Ecosystem,
    /// The installed package's name (as the first match, by advisory id, gave it).
    pub package: String,
    /// The installed version.
    pub version: String,
    /// The highest of the advisories' fixed versions: upgrading to it clears them all.
    pub fixed: Option<String>,
    /// The highest of the advisories' severities.
    pub severity: Severity,
    /// True when every advisory only matched by assuming a comparison's outcome.
    pub assumed: bool,
}

/// Merges matches of the same installed package (ecosystem, normalised name, version)
/// whose advisories share an id or alias, directly or through other matches, into one
/// finding each. Findings come sorted by ecosystem, package, version and id, and the
/// result does not depend on the order of `matches`.
pub fn merge_findings(matches: Vec<Match>) -> Vec<Finding> {
    type Key = (Ecosystem, String, String);
    let mut by_package: BTreeMap<Key, Vec<Match>> = BTreeMap::new();
    for m in matches {
        let key = (
            m.ecosystem,
            normalise_name(m.ecosystem, &m.package),
            m.version.clone(),
        );
        by_package.entry(key).or_default().push(m);
    }

    let mut findings = Vec::new();
    for (_, mut group) in by_package {
        // A canonical order first, so that every choice below is deterministic.
        group.sort_by(|a, b| {
            (
                &a.id, &a.aliases, &a.fixed, &a.package, a.severity, a.assumed,
            )
                .cmp(&(
                    &b.id, &b.aliases, &b.fixed, &b.package, b.severity, b.assumed,
                ))
        });
        for component in components(&group) {
            let members: Vec<&Match> = component.iter().map(|&i| &group[i]).collect();
            findings.extend(finding(&members));
        }
    }
    findings.sort_by(|a, b| {
        (a.ecosystem, &a.package, &a.version, &a.id, &a.advisories).cmp(&(
            b.ecosystem,
            &b.package,
            &b.version,
            &b.id,
            &b.advisories,
        ))
    });
    findings
}

/// The groups of matches connected by a shared id or alias (union-find), each listed
/// by ascending index, the groups by their first index.
fn components(group: &[Match]) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..group.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut owner: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, m) in group.iter().enumerate() {
        for name in std::iter::once(&m.id).chain(&m.aliases) {
            match owner.get(name.as_str()) {
                Some(&j) => {
                    let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
                    if ri != rj {
                        parent[ri.max(rj)] = ri.min(rj);
                    }
                }
                None => {
                    owner.insert(name, i);
                }
            }
        }
    }
    let mut out: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..group.len() {
        let r = root(&mut parent, i);
        out.entry(r).or_default().push(i);
    }
    out.into_values().collect()
}

fn finding(members: &[&Match]) -> Option<Finding> {
    let (first, rest) = members.split_first()?;
    let mut advisories = BTreeSet::from([first.id.clone()]);
    let mut names: BTreeSet<String> = first.aliases.iter().cloned().collect();
    let mut fixed = first.fixed.clone();
    let mut severity = first.severity;
    let mut assumed = first.assumed;
    for m in rest {
        advisories.insert(m.id.clone());
        names.extend(m.aliases.iter().cloned());
        fixed = match (fixed, &m.fixed) {
            (Some(a), Some(b)) => Some(higher(first.ecosystem, a, b)),
            (a, b) => a.or_else(|| b.clone()),
        };
        severity = severity.max(m.severity);
        assumed &= m.assumed;
    }
    let id = advisories
        .iter()
        .chain(&names)
        .filter(|n| n.starts_with("CVE-"))
        .min()
        .or_else(|| advisories.first())
        .cloned()
        .unwrap_or_default();
    let aliases = names.difference(&advisories).cloned().collect();
    Some(Finding {
        id,
        advisories: advisories.into_iter().collect(),
        aliases,
        ecosystem: first.ecosystem,
        package: first.package.clone(),
        version: first.version.clone(),
        fixed,
        severity,
        assumed,
    })
}

/// The higher of two fixed versions by the ecosystem's order (text order when they do
/// not compare).
fn higher(ecosystem: Ecosystem, a: String, b: &str) -> String {
    let order = version::compare(ecosystem, &a, b).unwrap_or_else(|_| a.as_str().cmp(b));
    if order == Ordering::Less {
        b.to_string()
    } else {
        a
    }
}
