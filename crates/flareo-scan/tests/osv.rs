//! OSV advisories: parsing the fixtures in `tests/data/osv/`, matching installed
//! versions against them (installed version → affected? fixed?), alias merging, and
//! CVSS scores and ratings.

use std::path::Path;

use flareo_scan::osv::{self, Advisory, Event, Match, OsvError, RangeType};
use flareo_scan::severity::{self, CvssError, Severity};
use flareo_scan::version::Ecosystem;

fn fixture(id: &str) -> Advisory {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/osv")
        .join(format!("{id}.json"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    osv::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One row: `(release, package, installed version, expected)`, where expected is
/// `None` for "not affected" or `Some(fixed)` for "affected, with this fix (if any)".
type Row<'a> = (Option<&'a str>, &'a str, &'a str, Option<Option<&'a str>>);

fn check(id: &str, ecosystem: Ecosystem, rows: &[Row<'_>]) {
    let advisory = fixture(id);
    for &(release, package, version, expected) in rows {
        let got = osv::affects(&advisory, ecosystem, release, package, version);
        let got_fixed = got.as_ref().map(|m| m.fixed.as_deref());
        assert_eq!(
            got_fixed, expected,
            "{id}: {ecosystem} {release:?} {package} {version}: got {got:?}"
        );
        if let Some(m) = got {
            assert_eq!(m.id, advisory.id);
            assert_eq!(m.aliases, advisory.aliases);
            assert_eq!((m.package.as_str(), m.version.as_str()), (package, version));
            assert!(
                !m.assumed,
                "{id}: {version}: no comparison should have failed"
            );
        }
    }
}

#[test]
fn debian_release_and_epoch() {
    let d12 = Some("12");
    check(
        "DSA-5704-1",
        Ecosystem::Debian,
        &[
            (d12, "git", "1:2.39.2-1.1", Some(Some("1:2.39.5-0+deb12u1"))),
            (
                d12,
                "git",
                "1:2.39.5-0+deb12u0",
                Some(Some("1:2.39.5-0+deb12u1")),
            ),
            (d12, "git", "1:2.39.5-0+deb12u1", None),
            (d12, "git", "1:2.39.5-0+deb12u2", None),
            (d12, "git", "1:2.45.2-1", None),
            // Without an epoch the version is epoch 0, below every 1: version.
            (d12, "git", "2.45.2-1", Some(Some("1:2.39.5-0+deb12u1"))),
            // Debian 12.7 is Debian 12.
            (
                Some("12.7"),
                "git",
                "1:2.39.2-1.1",
                Some(Some("1:2.39.5-0+deb12u1")),
            ),
            // Debian 11 has its own entry and fix.
            (
                Some("11"),
                "git",
                "1:2.30.2-1+deb11u2",
                Some(Some("1:2.30.2-1+deb11u3")),
            ),
            (Some("11"), "git", "1:2.30.2-1+deb11u3", None),
            // `Debian:12` says nothing about other or unknown releases.
            (Some("13"), "git", "1:2.39.2-1.1", None),
            (None, "git", "1:2.39.2-1.1", None),
            (d12, "git-man", "1:2.39.2-1.1", None),
            (d12, "Git", "1:2.39.2-1.1", None),
        ],
    );
    // Another ecosystem never matches, whatever the name.
    let advisory = fixture("DSA-5704-1");
    assert_eq!(
        osv::affects(&advisory, Ecosystem::Alpine, d12, "git", "2.39.2-r0"),
        None
    );
}

#[test]
fn plain_debian_matches_every_release() {
    let fixed = Some(Some("1:2.39.5-0+deb12u1"));
    check(
        "CVE-2024-32004",
        Ecosystem::Debian,
        &[
            (Some("12"), "git", "1:2.39.2-1.1", fixed),
            (Some("11"), "git", "1:2.30.2-1+deb11u2", fixed),
            (None, "git", "1:2.39.2-1.1", fixed),
            (None, "git", "1:2.39.5-0+deb12u1", None),
        ],
    );
}

#[test]
fn alpine_release() {
    check(
        "ALPINE-CVE-2023-5678",
        Ecosystem::Alpine,
        &[
            (Some("v3.19"), "openssl", "3.1.4-r0", Some(Some("3.1.4-r1"))),
            (Some("3.19"), "openssl", "3.1.3-r0", Some(Some("3.1.4-r1"))),
            (Some("3.19.1"), "openssl", "3.1.4-r1", None),
            (Some("3.19.1"), "openssl", "3.1.4-r10", None),
            (Some("3.19.1"), "openssl", "3.1.5-r0", None),
            (
                Some("3.19.1"),
                "openssl",
                "3.1.4_rc1-r0",
                Some(Some("3.1.4-r1")),
            ),
            (
                Some("3.18.4"),
                "openssl",
                "3.1.4-r1",
                Some(Some("3.1.4-r3")),
            ),
            (Some("3.1"), "openssl", "3.1.4-r0", None),
            (Some("3.20"), "openssl", "3.1.4-r0", None),
            (None, "openssl", "3.1.4-r0", None),
        ],
    );
}

#[test]
fn npm_semver_ranges() {
    let npm = None;
    check(
        "GHSA-c2qf-rxjj-qqgw",
        Ecosystem::Npm,
        &[
            (npm, "semver", "7.5.1", Some(Some("7.5.2"))),
            (npm, "semver", "7.0.0", Some(Some("7.5.2"))),
            (npm, "semver", "7.5.2", None),
            (npm, "semver", "7.6.0", None),
            (npm, "semver", "6.3.0", Some(Some("6.3.1"))),
            (npm, "semver", "6.3.1", None),
            // A 7.0.0 pre-release sorts below 7.0.0, so after the 6.x fix.
            (npm, "semver", "7.0.0-rc.1", None),
            (npm, "semver", "5.7.1", Some(Some("5.7.2"))),
            (npm, "semver", "1.0.0", Some(Some("5.7.2"))),
            (npm, "semver", "5.7.2", None),
            // npm names are case-sensitive.
            (npm, "Semver", "7.5.1", None),
            // A release qualifier on our side does not matter for plain `npm`.
            (Some("whatever"), "semver", "7.5.1", Some(Some("7.5.2"))),
        ],
    );
    let m = osv::affects(
        &fixture("GHSA-c2qf-rxjj-qqgw"),
        Ecosystem::Npm,
        None,
        "semver",
        "7.5.1",
    )
    .expect("affected");
    // CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L is 5.3; GHSA's own word is MODERATE.
    assert_eq!(m.severity, Severity::Medium);
}

#[test]
fn pypi_versions_list_and_names() {
    let fixed = Some(Some("5.4"));
    check(
        "PYSEC-2021-142",
        Ecosystem::PyPI,
        &[
            // In the ECOSYSTEM range (and the list).
            (None, "PyYAML", "5.3.1", fixed),
            (None, "pyyaml", "5.1", fixed),
            // PEP 440: 5.3.1.0 is 5.3.1.
            (None, "pyyaml", "5.3.1.0", fixed),
            // In the range but not the list: pre-releases of 5.4 sort below it.
            (None, "pyyaml", "5.4b2", fixed),
            (None, "pyyaml", "5.4", None),
            (None, "pyyaml", "6.0.1", None),
            // Only in the `versions` list (below `introduced`): the lowest fix above
            // is still 5.4.
            (None, "pyyaml", "3.12", fixed),
            (None, "pyyaml", "4.2b1", fixed),
            (None, "pyyaml", "4.2", None),
            (None, "pyyaml", "4.1", None),
            // PEP 503 names: case and runs of `-_.` do not matter.
            (None, "PyYaml", "5.3", fixed),
            (None, "py-yaml", "5.3", None),
        ],
    );
    // Only the GIT range and the list: no ECOSYSTEM range, no fix known.
    let mut advisory = fixture("PYSEC-2021-142");
    advisory.affected[0]
        .ranges
        .retain(|r| r.kind == RangeType::Git);
    let m = osv::affects(&advisory, Ecosystem::PyPI, None, "pyyaml", "5.3").expect("listed");
    assert_eq!(m.fixed, None);
    assert_eq!(
        osv::affects(&advisory, Ecosystem::PyPI, None, "pyyaml", "5.3.2"),
        None
    );
    // PEP 503 on the advisory's side too.
    advisory.affected[0].package.as_mut().expect("package").name = "Py_YAML".into();
    let normalised = [
        ("py-yaml", true),
        ("PY.yaml", true),
        ("py__yaml", true),
        ("pyyaml", false),
    ];
    for (name, hit) in normalised {
        let got = osv::affects(&advisory, Ecosystem::PyPI, None, name, "5.3");
        assert_eq!(got.is_some(), hit, "{name}");
    }
}

#[test]
fn go_versions_with_v() {
    let go = None;
    check(
        "GO-2023-2102",
        Ecosystem::Go,
        &[
            (go, "golang.org/x/net", "v0.16.0", Some(Some("0.17.0"))),
            (go, "golang.org/x/net", "v0.17.0", None),
            (
                go,
                "golang.org/x/net",
                "v0.0.0-20230905194442-1d8d53d5c36e",
                Some(Some("0.17.0")),
            ),
            // A pseudo-version of the commit after 0.17.0 is above 0.17.0.
            (
                go,
                "golang.org/x/net",
                "v0.17.1-0.20231012153516-9ed5a5d4f6e1",
                None,
            ),
            (go, "golang.org/x/net", "v0.17.0+incompatible", None),
            // Go module paths are case-sensitive.
            (go, "golang.org/x/Net", "v0.16.0", None),
            // Two ranges in one event list, Go's `1.21.0-0` pre-release lower bound.
            (go, "stdlib", "v1.20.9", Some(Some("1.20.10"))),
            (go, "stdlib", "v1.20.10", None),
            (go, "stdlib", "v1.21.0-rc.2", Some(Some("1.21.3"))),
            (go, "stdlib", "v1.21.2", Some(Some("1.21.3"))),
            (go, "stdlib", "v1.21.3", None),
            (go, "stdlib", "1.21.2", Some(Some("1.21.3"))),
        ],
    );
    let m = osv::affects(
        &fixture("GO-2023-2102"),
        Ecosystem::Go,
        None,
        "stdlib",
        "v1.21.2",
    )
    .expect("affected");
    assert_eq!(m.severity, Severity::Unknown);
}

#[test]
fn last_affected_is_inclusive() {
    check(
        "RUSTSEC-2025-0003",
        Ecosystem::CratesIo,
        &[
            (None, "tokio-tar", "0.1.0", Some(None)),
            (None, "tokio-tar", "0.3.1", Some(None)),
            (None, "tokio-tar", "0.3.2", None),
            (None, "tokio-tar", "0.3.1-alpha.1", Some(None)),
            // crates.io: `-` and `_` are the same, case does not matter.
            (None, "tokio_tar", "0.3.1", Some(None)),
        ],
    );
    // No vector: the database's own rating.
    let m = osv::affects(
        &fixture("RUSTSEC-2025-0003"),
        Ecosystem::CratesIo,
        None,
        "tokio-tar",
        "0.3.0",
    )
    .expect("affected");
    assert_eq!(m.severity, Severity::High);
}

#[test]
fn limit_ends_a_range() {
    check(
        "GHSA-9wv6-86v2-598j",
        Ecosystem::Npm,
        &[
            // Range 1, events given unsorted: [0, 0.1.10).
            (None, "path-to-regexp", "0.1.7", Some(Some("0.1.10"))),
            (None, "path-to-regexp", "0.1.10", None),
            (None, "path-to-regexp", "1.8.0", None),
            // Range 2: [2.0.0, limit 3.0.0), no fix.
            (None, "path-to-regexp", "2.0.0", Some(None)),
            (None, "path-to-regexp", "2.4.0", Some(None)),
            (None, "path-to-regexp", "3.0.0", None),
            (None, "path-to-regexp", "6.2.1", None),
            // Range 3: [8.0.0, limit *).
            (None, "path-to-regexp", "8.0.0", Some(None)),
            (None, "path-to-regexp", "99.0.0", Some(None)),
        ],
    );
    // Several limits: below any of them is enough.
    let mut advisory = fixture("GHSA-9wv6-86v2-598j");
    advisory.affected[0].ranges[1].events = vec![
        Event::Introduced("2.0.0".into()),
        Event::Fixed("2.5.0".into()),
        Event::Limit("2.3.0".into()),
        Event::Limit("2.1.0".into()),
    ];
    let got = |v: &str| {
        osv::affects(&advisory, Ecosystem::Npm, None, "path-to-regexp", v).map(|m| m.fixed)
    };
    assert_eq!(got("2.2.9"), Some(Some("2.5.0".into())));
    assert_eq!(got("2.3.0"), None);
    assert_eq!(got("2.4.0"), None);
}

#[test]
fn withdrawn_affects_nothing() {
    let advisory = fixture("GHSA-4w2v-vmj7-klvd");
    assert!(advisory.withdrawn.is_some());
    assert_eq!(
        osv::affects(&advisory, Ecosystem::Npm, None, "json5", "2.2.1"),
        None
    );
    let mut live = advisory.clone();
    live.withdrawn = None;
    let m = osv::affects(&live, Ecosystem::Npm, None, "json5", "2.2.1").expect("affected");
    assert_eq!(
        (m.fixed.as_deref(), m.severity),
        (Some("2.2.2"), Severity::Critical)
    );
}

#[test]
fn uncomparable_versions_are_assumed_affected() {
    let advisory = fixture("GHSA-c2qf-rxjj-qqgw");
    let m = osv::affects(&advisory, Ecosystem::Npm, None, "semver", "not-a-version")
        .expect("assumed, not silently clean");
    assert!(m.assumed);
    assert_eq!(m.fixed, None);
}

fn debian_git_matches(version: &str) -> Vec<Match> {
    [
        "DSA-5704-1",
        "CVE-2024-32004",
        "DEBIAN-CVE-2024-32002",
        "DSA-5700-1",
        "ALPINE-CVE-2023-5678",
    ]
    .into_iter()
    .filter_map(|id| osv::affects(&fixture(id), Ecosystem::Debian, Some("12"), "git", version))
    .collect()
}

#[test]
fn aliases_merge_transitively() {
    let matches = debian_git_matches("1:2.39.2-1.1");
    assert_eq!(matches.len(), 4);
    let findings = osv::merge_findings(matches.clone());
    // DSA-5704-1 aliases CVE-2024-32002 (DEBIAN-CVE-2024-32002's alias) and
    // CVE-2024-32004 (an advisory of its own): one finding. DSA-5700-1 shares nothing.
    let summary: Vec<_> = findings
        .iter()
        .map(|f| {
            (
                f.id.as_str(),
                f.advisories.join(" "),
                f.aliases.join(" "),
                f.fixed.as_deref(),
                f.severity,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "CVE-2024-0001",
                "DSA-5700-1".to_string(),
                "CVE-2024-0001".to_string(),
                Some("1:2.39.2-1.1+deb12u1"),
                Severity::Low,
            ),
            (
                "CVE-2024-32002",
                "CVE-2024-32004 DEBIAN-CVE-2024-32002 DSA-5704-1".to_string(),
                "CVE-2024-32002".to_string(),
                Some("1:2.39.5-0+deb12u1"),
                // 8.8 (AV:N/UI:R) beats 7.8 (AV:L); the DSA has no score.
                Severity::High,
            ),
        ]
    );
    for f in &findings {
        assert_eq!(
            (f.ecosystem, f.package.as_str(), f.version.as_str()),
            (Ecosystem::Debian, "git", "1:2.39.2-1.1")
        );
        assert!(!f.assumed);
    }

    // The input's order does not matter.
    let mut reversed = matches;
    reversed.reverse();
    assert_eq!(osv::merge_findings(reversed), findings);
}

#[test]
fn merging_keeps_packages_apart_and_takes_the_highest_fix() {
    let base = Match {
        id: "GHSA-aaaa-aaaa-aaaa".into(),
        aliases: vec!["CVE-2024-1000".into()],
        ecosystem: Ecosystem::Npm,
        package: "left-pad".into(),
        version: "1.0.0".into(),
        fixed: Some("1.2.0".into()),
        severity: Severity::Medium,
        assumed: false,
    };
    let other_db = Match {
        id: "OSV-2024-77".into(),
        aliases: vec!["CVE-2024-1000".into()],
        fixed: Some("1.10.0".into()),
        severity: Severity::Critical,
        assumed: true,
        ..base.clone()
    };
    let no_fix = Match {
        id: "CVE-2024-1000".into(),
        aliases: vec![],
        fixed: None,
        severity: Severity::Unknown,
        ..base.clone()
    };
    let other_package = Match {
        package: "right-pad".into(),
        ..base.clone()
    };
    let other_version = Match {
        version: "1.1.0".into(),
        ..base.clone()
    };
    let findings = osv::merge_findings(vec![
        other_version.clone(),
        no_fix,
        base.clone(),
        other_package,
        other_db,
        base,
    ]);
    let summary: Vec<_> = findings
        .iter()
        .map(|f| {
            (
                f.package.as_str(),
                f.version.as_str(),
                f.id.as_str(),
                f.advisories.len(),
                f.fixed.as_deref(),
                f.severity,
                f.assumed,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            // 1.10.0 > 1.2.0 as versions (not as text); one certain match is enough.
            (
                "left-pad",
                "1.0.0",
                "CVE-2024-1000",
                3,
                Some("1.10.0"),
                Severity::Critical,
                false
            ),
            (
                "left-pad",
                "1.1.0",
                "CVE-2024-1000",
                1,
                Some("1.2.0"),
                Severity::Medium,
                false
            ),
            (
                "right-pad",
                "1.0.0",
                "CVE-2024-1000",
                1,
                Some("1.2.0"),
                Severity::Medium,
                false
            ),
        ]
    );
    assert_eq!(
        findings[0].advisories,
        ["CVE-2024-1000", "GHSA-aaaa-aaaa-aaaa", "OSV-2024-77"]
    );
    assert!(findings[0].aliases.is_empty());
    assert_eq!(osv::merge_findings(vec![]), []);
}

#[test]
fn parse_is_lenient_about_unknown_fields() {
    let advisory = osv::parse(
        br#"{
            "id": "OSV-2024-1",
            "modified": "2024-01-01T00:00:00Z",
            "aliases": null,
            "x_vendor_field": {"anything": [1, 2, 3]},
            "credits": [{"name": "someone", "type": "FINDER"}],
            "affected": [{
                "package": {"ecosystem": "Maven", "name": "org.example:lib", "x": 1},
                "ranges": [{"type": "FUTURE_TYPE", "events": [{"introduced": "0"}], "extra": true}],
                "severity": [{"type": "Ubuntu", "score": "medium"}]
            }]
        }"#,
    )
    .expect("valid");
    assert!(advisory.aliases.is_empty());
    assert_eq!(advisory.affected[0].ranges[0].kind, RangeType::Other);
    // An ecosystem Flareo does not handle matches nothing.
    assert_eq!(
        osv::affects(&advisory, Ecosystem::Npm, None, "org.example:lib", "1.0.0"),
        None
    );
}

#[test]
fn parse_is_strict_about_what_matching_uses() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"modified": "2024-01-01T00:00:00Z"}"#,
            "invalid OSV JSON",
        ),
        (r#"{"id": "X-1"}"#, "invalid OSV JSON"),
        (
            r#"{"id": " ", "modified": "2024-01-01T00:00:00Z"}"#,
            "advisory has an empty id",
        ),
        (
            r#"{"id": "X-1", "modified": "m", "affected": [{"ranges": [{"type": "SEMVER",
                "events": [{"introduced": "0", "fixed": "1.0.0"}]}]}]}"#,
            "invalid OSV JSON",
        ),
        (
            r#"{"id": "X-1", "modified": "m", "affected": [{"ranges": [{"type": "SEMVER",
                "events": [{"fixd": "1.0.0"}]}]}]}"#,
            "invalid OSV JSON",
        ),
        (
            r#"{"id": "X-1", "modified": "m", "affected": [{"ranges": [{"type": "SEMVER",
                "events": [{"introduced": 0}]}]}]}"#,
            "invalid OSV JSON",
        ),
        (
            r#"{"id": "X-1", "modified": "m", "affected": [{"ranges": [{"type": "SEMVER"}]}]}"#,
            "invalid OSV JSON",
        ),
        (
            r#"{"id": "X-1", "modified": "m", "affected": [{}, {"ranges": [{"type": "SEMVER",
                "events": []}]}]}"#,
            "advisory X-1: affected[1].ranges[0]: no events",
        ),
        (
            r#"{"id": "X-1", "modified": "m", "affected": [{"ranges": [{"type": "ECOSYSTEM",
                "events": [{"fixed": "1.0"}]}]}]}"#,
            "advisory X-1: affected[0].ranges[0]: no introduced event",
        ),
        (
            r#"{"id": "X-1", "modified": "m", "affected": [{"ranges": [{"type": "ECOSYSTEM",
                "events": [{"introduced": "0"}, {"fixed": ""}]}]}]}"#,
            "advisory X-1: affected[0].ranges[0]: event with an empty version",
        ),
        (
            r#"{"id": "X-1", "modified": "m", "severity": [{"type": "CVSS_V3"}]}"#,
            "invalid OSV JSON",
        ),
    ];
    for (json, message) in cases {
        let err = osv::parse(json.as_bytes()).expect_err(json);
        assert_eq!(err.to_string(), *message, "{json}");
        assert_eq!(
            matches!(err, OsvError::Json(_)),
            *message == "invalid OSV JSON"
        );
    }
}

#[test]
fn fixtures_parse_and_round_trip() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/osv");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("fixture directory") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let advisory = fixture(path.file_stem().and_then(|s| s.to_str()).expect("name"));
        let again = osv::parse(&serde_json::to_vec(&advisory).expect("serialise")).expect("parse");
        assert_eq!(again, advisory, "{}", path.display());
        count += 1;
    }
    assert_eq!(count, 11);
}

#[test]
fn cvss_base_scores() {
    let table: &[(&str, f64, Severity)] = &[
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            9.8,
            Severity::Critical,
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
            10.0,
            Severity::Critical,
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
            8.8,
            Severity::High,
        ),
        (
            "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
            7.8,
            Severity::High,
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
            7.5,
            Severity::High,
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
            6.1,
            Severity::Medium,
        ),
        (
            "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:N/A:N",
            6.8,
            Severity::Medium,
        ),
        (
            "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H",
            5.9,
            Severity::Medium,
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L",
            5.3,
            Severity::Medium,
        ),
        (
            "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N",
            4.2,
            Severity::Medium,
        ),
        (
            "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N",
            1.6,
            Severity::Low,
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N",
            0.0,
            Severity::None,
        ),
        // Metric order is free.
        (
            "CVSS:3.1/C:H/I:H/A:H/AV:N/AC:L/PR:N/UI:N/S:U",
            9.8,
            Severity::Critical,
        ),
        // CVSS v4.0 (scored by the same crate).
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            9.3,
            Severity::Critical,
        ),
    ];
    for &(vector, score, rating) in table {
        let got = severity::base_score(vector).unwrap_or_else(|e| panic!("{vector}: {e}"));
        assert_eq!(got, score, "{vector}");
        assert_eq!(Severity::from_score(got), rating, "{vector}");
        assert_eq!(severity::rate([vector], []), rating, "{vector}");
    }
}

#[test]
fn cvss_vectors_rejected() {
    let table: &[&str] = &[
        "",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H",
    ];
    for vector in table {
        assert!(
            matches!(severity::base_score(vector), Err(CvssError::Invalid { .. })),
            "{vector}"
        );
    }
    let incomplete: &[&str] = &[
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
        "CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:L",
    ];
    for vector in incomplete {
        assert!(
            matches!(
                severity::base_score(vector),
                Err(CvssError::IncompleteBase { .. })
            ),
            "{vector}"
        );
    }
}

#[test]
fn ratings() {
    let words: &[(&str, Option<Severity>)] = &[
        ("LOW", Some(Severity::Low)),
        ("moderate", Some(Severity::Medium)),
        ("MODERATE", Some(Severity::Medium)),
        ("Medium", Some(Severity::Medium)),
        ("HIGH", Some(Severity::High)),
        ("important", Some(Severity::High)),
        ("CRITICAL", Some(Severity::Critical)),
        ("negligible", Some(Severity::Low)),
        ("none", Some(Severity::None)),
        ("not yet assigned", None),
        ("", None),
    ];
    for &(word, expected) in words {
        assert_eq!(Severity::from_rating(word), expected, "{word}");
    }

    let v42 = "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N";
    let v98 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    let rate = |vectors: &[&str], words: &[&str]| {
        severity::rate(vectors.iter().copied(), words.iter().copied())
    };
    assert_eq!(rate(&[], &[]), Severity::Unknown);
    assert_eq!(rate(&[], &["moderate"]), Severity::Medium);
    assert_eq!(rate(&[], &["low", "HIGH", "what"]), Severity::High);
    // A vector wins over the database's word, whichever is higher.
    assert_eq!(rate(&[v42], &["CRITICAL"]), Severity::Medium);
    assert_eq!(rate(&[v42, v98], &["low"]), Severity::Critical);
    // A vector that does not score does not count.
    assert_eq!(rate(&["CVSS:3.1/AV:N"], &["high"]), Severity::High);

    assert!(Severity::Unknown < Severity::None);
    assert!(Severity::None < Severity::Low);
    assert!(Severity::Low < Severity::Medium);
    assert!(Severity::Medium < Severity::High);
    assert!(Severity::High < Severity::Critical);
    assert_eq!(Severity::from_score(3.9), Severity::Low);
    assert_eq!(Severity::from_score(4.0), Severity::Medium);
    assert_eq!(Severity::from_score(6.9), Severity::Medium);
    assert_eq!(Severity::from_score(7.0), Severity::High);
    assert_eq!(Severity::from_score(8.9), Severity::High);
    assert_eq!(Severity::from_score(9.0), Severity::Critical);
    assert_eq!(Severity::from_score(10.5), Severity::Unknown);
    assert_eq!(Severity::from_score(f64::NAN), Severity::Unknown);
    assert_eq!(
        serde_json::to_string(&Severity::Medium).expect("json"),
        "\"MEDIUM\""
    );
}

#[test]
fn severity_from_several_sources() {
    // v3 5.9 (MEDIUM) and v4 (HIGH) given: the highest.
    let m = osv::affects(
        &fixture("GHSA-9wv6-86v2-598j"),
        Ecosystem::Npm,
        None,
        "path-to-regexp",
        "0.1.7",
    )
    .expect("affected");
    assert_eq!(m.severity, Severity::High);
    // Per-package `severity` entries count too, and non-CVSS types as words.
    let mut advisory = fixture("GO-2023-2102");
    advisory.affected[1].severity = vec![osv::SeverityScore {
        kind: "Ubuntu".into(),
        score: "medium".into(),
    }];
    let on =
        |pkg: &str| osv::affects(&advisory, Ecosystem::Go, None, pkg, "v0.1.0").map(|m| m.severity);
    assert_eq!(on("golang.org/x/net"), Some(Severity::Medium));
    assert_eq!(on("stdlib"), Some(Severity::Unknown));
}
