//! Whether an installed package version is affected by an advisory: the OSV evaluation
//! algorithm over `versions` lists and ECOSYSTEM/SEMVER ranges.

use std::cmp::Ordering;

use crate::osv::schema::{Advisory, Affected, Event, Package, RangeType};
use crate::severity::{self, Severity};
use crate::version::{self, Ecosystem};

/// One advisory that affects one installed package version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// The advisory's `id`.
    pub id: String,
    /// The advisory's `aliases`, as given.
    pub aliases: Vec<String>,
    /// The installed package's ecosystem.
    pub ecosystem: Ecosystem,
    /// The installed package's name, as the caller gave it.
    pub package: String,
    /// The installed version.
    pub version: String,
    /// The lowest `fixed` version above the installed one, when the advisory has one.
    pub fixed: Option<String>,
    /// The advisory's severity (see [`severity::rate`]).
    pub severity: Severity,
    /// True when the match rests on a version that could not be compared (installed or
    /// in the advisory) and was assumed affected rather than silently passed.
    pub assumed: bool,
}

/// Whether `package` at `version`, installed from `ecosystem` (and `release`, e.g.
/// `"12"` for Debian 12 or `"v3.19"`/`"3.19.1"` for Alpine), is affected by `advisory`.
///
/// Follows the OSV schema's evaluation: a withdrawn advisory affects nothing; an
/// `affected` entry applies when its ecosystem is ours (an entry with a release suffix,
/// `Debian:12`, only to that release, so not when `release` is `None`; a plain `Debian`
/// to any) and its name equals ours as the ecosystem normalises names; the version is
/// affected when listed in `versions` or inside an ECOSYSTEM or SEMVER range (GIT and
/// unknown range types are ignored).
pub fn affects(
    advisory: &Advisory,
    ecosystem: Ecosystem,
    release: Option<&str>,
    package: &str,
    version: &str,
) -> Option<Match> {
    if advisory.withdrawn.is_some() {
        return None;
    }
    let entries: Vec<&Affected> = advisory
        .affected
        .iter()
        .filter(|a| {
            a.package
                .as_ref()
                .is_some_and(|p| package_matches(p, ecosystem, release, package))
        })
        .collect();

    let mut verdict = Verdict::Unaffected;
    for entry in &entries {
        if in_versions(&entry.versions, ecosystem, version) {
            verdict = Verdict::Affected;
            break;
        }
        for range in &entry.ranges {
            let Some(kind) = Comparator::for_range(range.kind, ecosystem) else {
                continue;
            };
            verdict = verdict.max(evaluate(&range.events, version, |a, b| kind.cmp(a, b)));
        }
        if verdict == Verdict::Affected {
            break;
        }
    }
    if verdict == Verdict::Unaffected {
        return None;
    }

    Some(Match {
        id: advisory.id.clone(),
        aliases: advisory.aliases.clone(),
        ecosystem,
        package: package.to_string(),
        version: version.to_string(),
        fixed: lowest_fix_above(&entries, ecosystem, version),
        severity: advisory_severity(advisory, &entries),
        assumed: verdict == Verdict::Assumed,
    })
}

/// The outcome of evaluating one range, ordered so that `max` combines ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Verdict {
    /// Not affected.
    Unaffected,
    /// Affected, assuming the outcome of a comparison that failed.
    Assumed,
    /// Affected.
    Affected,
}

/// `IncludedInRanges` for one range's events, with `cmp` ordering two versions (`None`
/// when they cannot be compared).
///
/// The schema walks the events sorted by version (an `introduced` before a `fixed` or
/// `last_affected` of the same version) and keeps the state after the last event that
/// fired. Equivalently, and without needing a total order to sort by: `v` is affected
/// when some `introduced` ≤ `v` is not followed (in that order) by a `fixed` ≤ `v` or a
/// `last_affected` < `v`. A comparison with `v` that fails is taken the way that keeps
/// `v` affected; one between two events falls back to their order in the list (which
/// the schema recommends be sorted); an affected verdict that rests on either is
/// `Assumed`.
pub(crate) fn evaluate(
    events: &[Event],
    v: &str,
    cmp: impl Fn(&str, &str) -> Option<Ordering>,
) -> Verdict {
    let mut unsure = false;

    // BeforeLimits: with no `limit`, an implicit `*`.
    let mut limits = events.iter().filter_map(|e| match e {
        Event::Limit(l) => Some(l.as_str()),
        _ => None,
    });
    if let Some(first) = limits.next() {
        let mut within = false;
        let mut limit_unsure = false;
        for limit in std::iter::once(first).chain(limits) {
            if limit.contains('*') {
                within = true;
                break;
            }
            match cmp(v, limit) {
                Some(Ordering::Less) => {
                    within = true;
                    break;
                }
                Some(_) => {}
                None => limit_unsure = true,
            }
        }
        if !within {
            if !limit_unsure {
                return Verdict::Unaffected;
            }
            unsure = true;
        }
    }

    let mut best = Verdict::Unaffected;
    for (intro_at, intro) in events.iter().enumerate().filter_map(|(at, e)| match e {
        Event::Introduced(i) => Some((at, i.as_str())),
        _ => None,
    }) {
        let mut unsure_here = unsure;
        let zero = intro == "0";
        if !zero {
            match cmp(v, intro) {
                Some(Ordering::Less) => continue,
                Some(_) => {}
                None => unsure_here = true,
            }
        }
        let mut closed = false;
        for (at, event) in events.iter().enumerate() {
            // Did the event fire for `v`?
            let (bound, fired) = match event {
                Event::Fixed(f) => (f.as_str(), cmp(v, f).map(|o| o != Ordering::Less)),
                Event::LastAffected(l) => (l.as_str(), cmp(v, l).map(|o| o == Ordering::Greater)),
                _ => continue,
            };
            match fired {
                Some(true) => {}
                Some(false) => continue,
                None => {
                    unsure_here = true;
                    continue;
                }
            }
            // Does it come after this `introduced` in sorted order?
            let after = if zero {
                true
            } else {
                match cmp(bound, intro) {
                    Some(o) => o != Ordering::Less,
                    None => {
                        unsure_here = true;
                        at > intro_at
                    }
                }
            };
            if after {
                closed = true;
                break;
            }
        }
        if !closed {
            best = best.max(if unsure_here {
                Verdict::Assumed
            } else {
                Verdict::Affected
            });
            if best == Verdict::Affected {
                break;
            }
        }
    }
    best
}

/// How the versions of one range are ordered.
#[derive(Debug, Clone, Copy)]
enum Comparator {
    /// The ecosystem's own order (`ECOSYSTEM` ranges).
    Ecosystem(Ecosystem),
    /// SemVer 2.0 precedence (`SEMVER` ranges): for npm, crates.io and Go the
    /// ecosystem's order already is (and accepts its spelling, Go's `v`); elsewhere
    /// strict SemVer, and the ecosystem's order for versions that are not SemVer.
    Semver(Ecosystem),
}

impl Comparator {
    fn for_range(kind: RangeType, ecosystem: Ecosystem) -> Option<Comparator> {
        match kind {
            RangeType::Ecosystem => Some(Comparator::Ecosystem(ecosystem)),
            RangeType::Semver => Some(Comparator::Semver(ecosystem)),
            RangeType::Git | RangeType::Other => None,
        }
    }

    fn cmp(self, a: &str, b: &str) -> Option<Ordering> {
        match self {
            Comparator::Ecosystem(e)
            | Comparator::Semver(e @ (Ecosystem::Npm | Ecosystem::CratesIo | Ecosystem::Go)) => {
                version::compare(e, a, b).ok()
            }
            Comparator::Semver(e) => {
                let strict = |v: &str| semver::Version::parse(v).ok();
                match (strict(a), strict(b)) {
                    (Some(a), Some(b)) => Some(a.cmp_precedence(&b)),
                    _ => version::compare(e, a, b).ok(),
                }
            }
        }
    }
}

fn strip_v(v: &str) -> &str {
    v.strip_prefix('v').unwrap_or(v)
}

/// `IncludedInVersions`: the same text, or (for Go) the same but for a leading `v`, or
/// equal by the ecosystem's order (PEP 440 `1.0 == 1.0.0`).
fn in_versions(versions: &[String], ecosystem: Ecosystem, v: &str) -> bool {
    versions.iter().any(|listed| {
        listed == v
            || (ecosystem == Ecosystem::Go && strip_v(listed) == strip_v(v))
            || version::compare(ecosystem, v, listed) == Ok(Ordering::Equal)
    })
}

fn package_matches(
    package: &Package,
    ecosystem: Ecosystem,
    release: Option<&str>,
    name: &str,
) -> bool {
    let Some((theirs, their_release)) = Ecosystem::from_osv(&package.ecosystem) else {
        return false;
    };
    if theirs != ecosystem {
        return false;
    }
    if let Some(their_release) = their_release {
        match release {
            Some(ours) if release_matches(&their_release, ours) => {}
            _ => return false,
        }
    }
    normalise_name(ecosystem, &package.name) == normalise_name(ecosystem, name)
}

/// `12` matches `12` and `12.5`; `v3.19` matches `3.19`, `v3.19` and `3.19.1`.
fn release_matches(advisory: &str, installed: &str) -> bool {
    fn norm(r: &str) -> String {
        let r = r.trim();
        let r = r
            .strip_prefix('v')
            .or_else(|| r.strip_prefix('V'))
            .unwrap_or(r);
        r.to_ascii_lowercase()
    }
    let (advisory, installed) = (norm(advisory), norm(installed));
    !advisory.is_empty()
        && (installed == advisory
            || installed
                .strip_prefix(&advisory)
                .is_some_and(|rest| rest.starts_with('.')))
}

/// A package name as its ecosystem compares names: PyPI by PEP 503 (lower case, runs of
/// `-_.` as one `-`), crates.io case-insensitive with `-` and `_` the same, the others
/// (npm, Go module paths, Debian and Alpine package names) exactly.
pub fn normalise_name(ecosystem: Ecosystem, name: &str) -> String {
    match ecosystem {
        Ecosystem::PyPI => {
            let mut out = String::with_capacity(name.len());
            let mut in_separator = false;
            for c in name.chars() {
                if matches!(c, '-' | '_' | '.') {
                    if !in_separator {
                        out.push('-');
                    }
                    in_separator = true;
                } else {
                    out.push(c.to_ascii_lowercase());
                    in_separator = false;
                }
            }
            out
        }
        Ecosystem::CratesIo => name.to_ascii_lowercase().replace('_', "-"),
        Ecosystem::Debian | Ecosystem::Alpine | Ecosystem::Npm | Ecosystem::Go => name.to_string(),
    }
}

/// The lowest `fixed` of the matching entries' ECOSYSTEM/SEMVER ranges that is above `v`.
fn lowest_fix_above(entries: &[&Affected], ecosystem: Ecosystem, v: &str) -> Option<String> {
    let mut best: Option<&str> = None;
    for entry in entries {
        for range in &entry.ranges {
            let Some(kind) = Comparator::for_range(range.kind, ecosystem) else {
                continue;
            };
            for event in &range.events {
                let Event::Fixed(fixed) = event else {
                    continue;
                };
                if kind.cmp(fixed, v) != Some(Ordering::Greater) {
                    continue;
                }
                best = match best {
                    Some(current) if kind.cmp(fixed, current) != Some(Ordering::Less) => {
                        Some(current)
                    }
                    _ => Some(fixed.as_str()),
                };
            }
        }
    }
    best.map(str::to_string)
}

/// The severity from the advisory's and the matching entries' CVSS vectors, else from
/// their rating words (`database_specific.severity`, `ecosystem_specific.severity`, and
/// non-CVSS `severity` entries such as Ubuntu's).
fn advisory_severity(advisory: &Advisory, entries: &[&Affected]) -> Severity {
    let scores = advisory
        .severity
        .iter()
        .chain(entries.iter().flat_map(|e| e.severity.iter()));
    let vectors: Vec<&str> = scores
        .clone()
        .filter(|s| s.kind.starts_with("CVSS_"))
        .map(|s| s.score.as_str())
        .collect();
    let mut ratings: Vec<&str> = scores
        .filter(|s| !s.kind.starts_with("CVSS_"))
        .map(|s| s.score.as_str())
        .collect();
    let blobs = std::iter::once(&advisory.database_specific).chain(
        entries
            .iter()
            .flat_map(|e| [&e.database_specific, &e.ecosystem_specific]),
    );
    for blob in blobs.flatten() {
        if let Some(word) = blob.get("severity").and_then(|s| s.as_str()) {
            ratings.push(word);
        }
    }
    severity::rate(vectors, ratings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn int_cmp(a: &str, b: &str) -> Option<Ordering> {
        Some(a.parse::<u32>().ok()?.cmp(&b.parse::<u32>().ok()?))
    }

    /// The schema's pseudocode, literally: sort, then walk.
    fn reference(events: &[Event], v: u32) -> bool {
        let limits: Vec<u32> = events
            .iter()
            .filter_map(|e| match e {
                Event::Limit(l) => l.parse().ok(),
                _ => None,
            })
            .collect();
        if !limits.is_empty() && !limits.iter().any(|&l| v < l) {
            return false;
        }
        let rank = |e: &Event| match e {
            Event::Introduced(_) => 0,
            Event::LastAffected(_) | Event::Fixed(_) => 1,
            Event::Limit(_) => 2,
        };
        let mut sorted: Vec<&Event> = events.iter().collect();
        sorted.sort_by_key(|e| (e.version().parse::<u32>().unwrap_or(0), rank(e)));
        let mut vulnerable = false;
        for e in sorted {
            let x: u32 = e.version().parse().unwrap_or(0);
            match e {
                Event::Introduced(_) if v >= x => vulnerable = true,
                Event::Fixed(_) if v >= x => vulnerable = false,
                Event::LastAffected(_) if v > x => vulnerable = false,
                _ => {}
            }
        }
        vulnerable
    }

    fn event() -> impl Strategy<Value = Event> {
        (0..4u8, 0..12u32).prop_map(|(kind, x)| {
            let x = x.to_string();
            match kind {
                0 => Event::Introduced(x),
                1 => Event::Fixed(x),
                2 => Event::LastAffected(x),
                _ => Event::Limit(x),
            }
        })
    }

    proptest! {
        #[test]
        fn evaluation_equals_the_sorted_walk(
            first in 0..12u32,
            mut events in proptest::collection::vec(event(), 0..7),
            v in 0..14u32,
        ) {
            events.insert(0, Event::Introduced(first.to_string()));
            events.reverse();
            let expected = if reference(&events, v) { Verdict::Affected } else { Verdict::Unaffected };
            prop_assert_eq!(evaluate(&events, &v.to_string(), int_cmp), expected);
        }
    }

    #[test]
    fn failed_comparisons_lean_towards_affected() {
        let events = [Event::Introduced("0".into()), Event::Fixed("5".into())];
        assert_eq!(evaluate(&events, "junk", int_cmp), Verdict::Assumed);
        assert_eq!(evaluate(&events, "3", int_cmp), Verdict::Affected);
        assert_eq!(evaluate(&events, "7", int_cmp), Verdict::Unaffected);
        let events = [Event::Introduced("junk".into()), Event::Fixed("5".into())];
        assert_eq!(evaluate(&events, "7", int_cmp), Verdict::Unaffected);
        assert_eq!(evaluate(&events, "3", int_cmp), Verdict::Assumed);
        let events = [Event::Fixed("5".into()), Event::Introduced("junk".into())];
        assert_eq!(evaluate(&events, "7", int_cmp), Verdict::Assumed);
        let events = [Event::Introduced("0".into()), Event::Limit("junk".into())];
        assert_eq!(evaluate(&events, "7", int_cmp), Verdict::Assumed);
    }

    #[test]
    fn names_normalise_per_ecosystem() {
        let n = normalise_name;
        assert_eq!(n(Ecosystem::PyPI, "Foo.Bar__baz-_-Qux"), "foo-bar-baz-qux");
        assert_eq!(n(Ecosystem::CratesIo, "Serde_JSON"), "serde-json");
        assert_eq!(n(Ecosystem::Npm, "@Scope/Pkg"), "@Scope/Pkg");
    }

    #[test]
    fn releases() {
        assert!(release_matches("12", "12"));
        assert!(release_matches("12", "12.5"));
        assert!(!release_matches("12", "11"));
        assert!(!release_matches("1", "12"));
        assert!(release_matches("v3.19", "3.19"));
        assert!(release_matches("v3.19", "3.19.1"));
        assert!(release_matches("v3.19", "v3.19"));
        assert!(!release_matches("v3.19", "3.1"));
        assert!(!release_matches("v3.1", "3.19"));
    }
}
