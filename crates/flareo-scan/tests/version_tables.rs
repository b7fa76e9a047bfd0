//! Table-driven tests of version comparison per ecosystem: tricky pairs from each
//! ecosystem's own documentation and test vectors (Debian Policy and dpkg, the
//! apk-tools `version.data` file, semver.org, node-semver, golang.org/x/mod,
//! PEP 440), invalid versions, OSV ecosystem names and error messages.

use std::cmp::Ordering;

use flareo_scan::version::{Ecosystem, VersionError, compare, validate};

/// Asserts `compare(eco, a, b)` is `expected` (written `<`, `=` or `>`), and that
/// swapping the arguments reverses it.
fn check(eco: Ecosystem, a: &str, expected: &str, b: &str) {
    let expected = match expected {
        "<" => Ordering::Less,
        "=" => Ordering::Equal,
        ">" => Ordering::Greater,
        other => panic!("bad operator {other:?} in table"),
    };
    assert_eq!(compare(eco, a, b), Ok(expected), "{eco}: {a:?} vs {b:?}");
    assert_eq!(
        compare(eco, b, a),
        Ok(expected.reverse()),
        "{eco}: {b:?} vs {a:?}"
    );
}

fn check_table(eco: Ecosystem, table: &[(&str, &str, &str)]) {
    for &(a, op, b) in table {
        check(eco, a, op, b);
    }
}

/// Asserts every version in `chain` is strictly less than all later ones.
fn check_ascending(eco: Ecosystem, chain: &[&str]) {
    for (i, a) in chain.iter().enumerate() {
        check(eco, a, "=", a);
        for b in &chain[i + 1..] {
            check(eco, a, "<", b);
        }
    }
}

/// Asserts `version` is rejected, with `reason` in the message, on either side of
/// a comparison.
fn check_invalid(eco: Ecosystem, version: &str, reason: &str) {
    let err = validate(eco, version).expect_err(version);
    assert_eq!(err.ecosystem, eco);
    assert_eq!(err.version, version);
    assert!(
        err.reason.contains(reason),
        "{eco} {version:?}: reason {:?} lacks {reason:?}",
        err.reason
    );
    let valid = match eco {
        Ecosystem::Go => "v1.0.0",
        _ => "1.0.0",
    };
    assert_eq!(compare(eco, version, valid), Err(err.clone()));
    assert_eq!(compare(eco, valid, version), Err(err));
}

// ---------------------------------------------------------------- Debian (dpkg)

#[test]
fn debian_policy_tilde_and_letters() {
    // Debian Policy §5.6.12: `~~` < `~~a` < `~` < (empty) < `a`.
    check_ascending(
        Ecosystem::Debian,
        &[
            "1.0~~", "1.0~~a", "1.0~", "1.0", "1.0a", "1.0b", "1.0+", "1.0.",
        ],
    );
}

#[test]
fn debian_table() {
    check_table(
        Ecosystem::Debian,
        &[
            // Epochs.
            ("0:1.0", "=", "1.0"),
            ("1:0.1", ">", "9.9"),
            ("2:1.0", ">", "1:9.9-9"),
            ("00001:1.0", "=", "1:1.0"),
            // Revisions; a missing one is `0`.
            ("1.0", "=", "1.0-0"),
            ("1.0-0", "=", "1.0-00"),
            ("1.0-1", ">", "1.0"),
            ("1.0-1", "<", "1.0-2"),
            ("1.0-9", "<", "1.0-10"),
            ("1.0-1", "<", "1.0-1.1"),
            ("1.0-1+deb12u1", ">", "1.0-1"),
            ("1.0-1+deb12u1", "<", "1.0-1+deb12u2"),
            ("1.0-1+deb11u3", "<", "1.0-1+deb12u1"),
            ("1.0-1~bpo12+1", "<", "1.0-1"),
            ("1.0-1+b1", ">", "1.0-1"),
            ("1.0-a", ">", "1.0-1"),
            // The last hyphen starts the revision; the first colon ends the epoch.
            ("1.0-beta-1", "<", "1.0-beta-2"),
            ("1.0-beta-1", ">", "1.0-alpha-9"),
            ("1:1.0:2-1", ">", "1:1.0:1-1"),
            // Numbers compare numerically, whatever their zeros or length.
            ("1.2.3", "<", "1.2.10"),
            ("1.001", "=", "1.1"),
            ("1.0", "<", "1.0.0"),
            ("2.50.0", "<", "10.0.1"),
            ("1.18446744073709551616", ">", "1.18446744073709551615"),
            (
                "1.99999999999999999999999",
                ">",
                "1.99999999999999999999998",
            ),
            // A missing digit run counts as zero (dpkg; `debversion` alone differs).
            ("1.0a", "=", "1.0a0"),
            ("1.0-a", "=", "1.0-a0"),
            ("1.0a", "<", "1.0a1"),
            // Non-letters sort after letters, `.` after `+`.
            ("1.0.1", ">", "1.0a"),
            ("1.0+1", "<", "1.0.1"),
            ("1.0+dfsg-1", ">", "1.0-1"),
            ("1.0+dfsg1-1", "<", "1.0+dfsg2-1"),
            ("1.0~rc1-1", "<", "1.0-1"),
            ("1.0~rc1+dfsg-1", "<", "1.0~rc2-1"),
            // Letters compare by ASCII: upper case first.
            ("1.0A", "<", "1.0a"),
            // Whitespace around the version is ignored, as by dpkg.
            (" 1.0-1\t", "=", "1.0-1"),
            // dpkg only warns about a non-digit start; it still orders it.
            ("a1.0", ">", "1.0"),
            // Real-world pairs.
            ("2.36-9+deb12u4", "<", "2.36-9+deb12u7"),
            ("3.0.11-1~deb12u2", "<", "3.0.11-1"),
            ("1:2.38.1-5+deb12u1", ">", "2.39"),
            ("7.88.1-10+deb12u5", "<", "7.88.1-10+deb12u12"),
        ],
    );
}

#[test]
fn debian_invalid() {
    let d = Ecosystem::Debian;
    check_invalid(d, "", "version string is empty");
    check_invalid(d, "   ", "version string is empty");
    check_invalid(d, "1:", "epoch without version");
    check_invalid(d, ":1.0", "epoch is empty");
    check_invalid(d, "a:1.0", "epoch is not a number");
    check_invalid(d, "1.0:1.0", "epoch is not a number");
    check_invalid(d, "-1:1.0", "epoch is negative");
    check_invalid(d, "99999999999:1.0", "epoch is too big");
    check_invalid(d, "1.0-", "revision is empty");
    check_invalid(d, "-1", "upstream version is empty");
    check_invalid(d, "1:-1", "upstream version is empty");
    check_invalid(d, "1.0 1", "embedded spaces");
    check_invalid(d, "1.0_1", "invalid character '_' in upstream version");
    check_invalid(d, "1:1.0-1:2", "invalid character ':' in revision");
    check_invalid(d, "1.0-é", "invalid character 'é' in revision");
}

// ---------------------------------------------------------------- Alpine (apk)

#[test]
fn alpine_suffix_order() {
    check_ascending(
        Ecosystem::Alpine,
        &[
            "1.0_alpha",
            "1.0_alpha1",
            "1.0_alpha2",
            "1.0_beta",
            "1.0_beta1",
            "1.0_pre1",
            "1.0_rc1",
            "1.0_rc2",
            "1.0",
            "1.0-r1",
            "1.0_cvs1",
            "1.0_svn1",
            "1.0_git1",
            "1.0_hg1",
            "1.0_p1",
            "1.0_p2",
            "1.0a",
            "1.0.1",
        ],
    );
}

#[test]
fn alpine_kind_ranking() {
    // Where one version runs out of a kind of part first.
    check_ascending(
        Ecosystem::Alpine,
        &[
            "1.0_rc1",
            "1.0",
            "1.0-r1",
            "1.0~abc",
            "1.0~abc-r1",
            "1.0_p1",
            "1.0a",
            "1.0.1",
        ],
    );
}

#[test]
fn alpine_table() {
    check_table(
        Ecosystem::Alpine,
        &[
            // From apk-tools' test/version.data.
            ("2.34", ">", "0.1.0_alpha"),
            ("0.1.0_alpha", "=", "0.1.0_alpha"),
            ("0.1.0_alpha2", ">", "0.1.0_alpha"),
            ("1.1", ">", "1.1_alpha1"),
            ("1.2.1", ">", "1.2"),
            ("1.2", "<", "1.3_alpha"),
            ("2.3.0b-r1", "<", "2.3.0b-r2"),
            ("3.10.18-r1", ">", "2.3.0b-r1"),
            ("0.12.3", ">", "0.12"),
            ("1.06-r6", "<", "006"),
            ("006", ">", "1.0.0"),
            ("3.1_p16", "<", "3.1_p17"),
            ("2.01.01_alpha10", ">", "0.94"),
            ("20050718-r1", "<", "20050718-r2"),
            ("3.0.20060720", "<", "20060720"),
            ("2.5.1-r8", "<", "2.5.1a-r1"),
            ("1.3.5-r10", ">", "1.3.5-r8"),
            ("021109-r3", "<", "20060512"),
            ("3.9_pre20060124", ">", "0.01"),
            ("0.10.0-r1", ">", "0.10.0"),
            ("0.10.0", "<", "0.10.1_rc1"),
            ("1.1a", "<", "1.3a"),
            ("0.15.1b-r2", ">", "0.15.1b"),
            ("22.7-r1", "<", "22.7.3-r1"),
            ("2.10.1", ">", "02.08.01b"),
            ("0.59s-r11", "<", "0.65"),
            ("0.20070118", "<", "0.20070207_rc1"),
            ("0.20070207_rc1", "<", "1.0"),
            ("4.5_p1-r1", ">", "4.5_p1"),
            ("0.9.8c-r1", "<", "0.9.8d"),
            ("1.7", "<", "1.7b"),
            ("1.8.5", "<", "1.8.5_p2"),
            ("2.9.11_pre20051101-r3", ">", "2.9.11_pre20051101"),
            ("1.6.8_p12-r1", ">", "1.6.8_p9-r2"),
            ("0.9.28.1", "<", "087-r1"),
            ("104-r11", ">", "104-r9"),
            ("2.12r-r4", "<", "2.12r-r5"),
            ("7.0.17", "<", "7.0.174"),
            ("1.2.07.8", "<", "1.2.12.04"),
            ("1.2.12.04", "<", "1.2.12.05"),
            ("4.01", "<", "4.20"),
            ("1.3-r0", "<", "1.3.1-r0"),
            ("1.3_pre1-r1", "<", "1.3.2"),
            ("1.0_p10-r0", ">", "1.0_p9-r0"),
            ("0.1.0_alpha_pre2", "<", "0.1.0_alpha"),
            (
                "1.0.0_pre20191002222144-r0",
                "<",
                "1.0.0_pre20210530193627-r0",
            ),
            ("6.0_pre1", "<", "6.0"),
            ("6.1_p1", ">", "6.1"),
            // Leading zeros: the first number is numeric, later ones textual.
            ("01.0", "=", "1.0"),
            ("1.02", "<", "1.1"),
            ("1.02", ">", "1.0"),
            ("1.010", "<", "1.02"),
            ("1.0-r01", "=", "1.0-r1"),
            ("1.0_p01", "=", "1.0_p1"),
            // A bare suffix is below the same suffix numbered.
            ("1.0_alpha", "<", "1.0_alpha0"),
            // Commit hashes compare as text; revisions follow them.
            ("1.0_git20240101~abc123", "<", "1.0_git20240101~abd"),
            ("1.0~abc-r2", ">", "1.0~abc-r1"),
            // Numbers beyond 64 bits.
            ("1.18446744073709551616", ">", "1.18446744073709551615"),
            (
                "1.0-r18446744073709551616",
                ">",
                "1.0-r18446744073709551615",
            ),
            // Real-world pairs from Alpine's secdb.
            ("3.1.4-r5", "<", "3.1.4-r6"),
            ("1.36.1-r15", "<", "1.36.1-r29"),
            ("8.5.0-r0", ">", "8.4.0-r2"),
        ],
    );
}

#[test]
fn alpine_invalid() {
    let a = Ecosystem::Alpine;
    check_invalid(a, "", "version is empty");
    check_invalid(a, "v1.0", "does not start with a digit");
    check_invalid(a, "1.0bc", "unexpected 'c'");
    check_invalid(a, "1.0_foo", "unknown suffix \"_foo\"");
    check_invalid(a, "1.0_", "unknown suffix \"_\"");
    check_invalid(a, "1.0-r", "no number after \"-r\"");
    check_invalid(a, "1.0-1", "unexpected '-'");
    check_invalid(a, "1.0~", "no commit hash after '~'");
    check_invalid(a, "1.0.", "no number after '.'");
    check_invalid(a, "1..0", "no number after '.'");
    check_invalid(a, "1.0a.1", "unexpected '.'");
    check_invalid(a, "1.0a1", "unexpected '1'");
    check_invalid(a, "1.0-r1-r2", "unexpected '-'");
    check_invalid(a, "1.0-r1_p1", "unexpected '_'");
    check_invalid(a, "1.0~abc_p1", "unexpected '_'");
    check_invalid(a, "1.0A", "unexpected 'A'");
    check_invalid(a, "1.0 ", "unexpected ' '");
}

// ---------------------------------------------------------------- SemVer

/// The precedence example of semver.org §11, valid in every SemVer ecosystem.
const SEMVER_ORG_CHAIN: [&str; 12] = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.1.0",
    "2.0.0",
    "2.1.1",
];

/// Pairs whose order is the same in npm, crates.io and Go (without `v`).
const SEMVER_TABLE: &[(&str, &str, &str)] = &[
    // Build metadata has no precedence.
    ("1.0.0+build.1", "=", "1.0.0+build.2"),
    ("1.0.0-alpha+001", "=", "1.0.0-alpha"),
    ("1.0.0+20130313144700", "=", "1.0.0"),
    ("1.0.0-beta+exp.sha.5114f85", "<", "1.0.0"),
    // Numeric identifiers compare numerically and below alphanumeric ones.
    ("1.2.3-alpha.9", "<", "1.2.3-alpha.10"),
    ("1.2.3-1", "<", "1.2.3-a"),
    ("1.2.3-1", "<", "1.2.3-0a"),
    ("1.2.3-999", "<", "1.2.3--"),
    (
        "1.2.3-99999999999999999999",
        ">",
        "1.2.3-99999999999999999998",
    ),
    // ASCII order: upper case, then `-`, then lower case; longer wins ties.
    ("1.2.3-B", "<", "1.2.3-a"),
    ("1.2.3-a-b", "<", "1.2.3-ab"),
    ("1.2.3-a.b", "<", "1.2.3-a.b.c"),
    ("1.2.3-a.b.c", "<", "1.2.3-a.c"),
    // Numbers.
    ("1.2.3", "<", "1.2.10"),
    ("1.10.0", ">", "1.9.99"),
    ("0.0.0", "<", "0.0.1-0"),
    ("1.0.0-0", "<", "1.0.0"),
];

#[test]
fn semver_org_precedence() {
    for eco in [Ecosystem::Npm, Ecosystem::CratesIo, Ecosystem::Go] {
        check_ascending(eco, &SEMVER_ORG_CHAIN);
        check_table(eco, SEMVER_TABLE);
    }
    let go: Vec<String> = SEMVER_ORG_CHAIN.iter().map(|v| format!("v{v}")).collect();
    let go: Vec<&str> = go.iter().map(String::as_str).collect();
    check_ascending(Ecosystem::Go, &go);
}

#[test]
fn npm_table() {
    check_table(
        Ecosystem::Npm,
        &[
            // node-semver's strict parser allows one `v` and surrounding spaces.
            ("v1.2.3", "=", "1.2.3"),
            (" 1.2.3 ", "=", "1.2.3"),
            ("\tv1.2.3-beta.1\n", "=", "1.2.3-beta.1"),
            ("v1.2.3-beta", "<", "1.2.3"),
            ("9007199254740991.0.0", ">", "9007199254740990.9.9"),
        ],
    );
}

#[test]
fn npm_invalid() {
    let n = Ecosystem::Npm;
    check_invalid(n, "1.2", "unexpected end of input");
    check_invalid(n, "1", "unexpected end of input");
    check_invalid(n, "v1.2", "unexpected end of input");
    check_invalid(n, "=1.2.3", "unexpected character");
    check_invalid(n, "V1.2.3", "unexpected character");
    check_invalid(n, "vv1.2.3", "unexpected character");
    check_invalid(n, "01.2.3", "leading zero");
    check_invalid(n, "1.2.3beta", "unexpected character");
    check_invalid(n, "1.2.3-01", "leading zero");
    check_invalid(n, "1.2.3-", "empty identifier");
    check_invalid(n, "1.2.3-a..b", "empty identifier");
    check_invalid(n, "1.2.3+", "empty identifier");
    check_invalid(n, "1.2.x", "unexpected character");
    check_invalid(n, "9007199254740992.0.0", "above 9007199254740991");
    check_invalid(n, &format!("1.2.3-{}", "a".repeat(251)), "longer than 256");
    check_invalid(n, "", "empty string");
    check_invalid(n, "  ", "empty string");
}

#[test]
fn crates_io_invalid() {
    let c = Ecosystem::CratesIo;
    check_invalid(c, "v1.2.3", "unexpected character");
    check_invalid(c, " 1.2.3", "unexpected character");
    check_invalid(c, "1.2", "unexpected end of input");
    check_invalid(c, "1.2.3-01", "leading zero");
    check_invalid(c, "1.2.3.4", "unexpected character");
    check_invalid(c, "18446744073709551616.0.0", "exceeds u64::MAX");
}

#[test]
fn go_table() {
    check_table(
        Ecosystem::Go,
        &[
            // With or without `v` (go.mod and buildinfo vs OSV).
            ("v1.2.3", "=", "1.2.3"),
            ("v1.2.3-rc.1", "<", "1.2.3"),
            // x/mod/semver shorthands.
            ("v1", "=", "v1.0.0"),
            ("v1.2", "=", "v1.2.0"),
            ("v1.2", "<", "v1.2.1"),
            ("v1", "<", "v1.0.1-pre"),
            // `+incompatible` is build metadata.
            ("v2.0.0+incompatible", "=", "v2.0.0"),
            ("v2.0.1+incompatible", ">", "v2.0.0+incompatible"),
            ("v2.0.0+incompatible", "<", "v2.0.1"),
            ("v2.1.0-pre+incompatible", "<", "v2.1.0+incompatible"),
        ],
    );
    // Pseudo-versions: vX.0.0-date-hash before any release of that major,
    // vX.Y.(Z+1)-0.date-hash after vX.Y.Z, vX.Y.Z-pre.0.date-hash after vX.Y.Z-pre.
    check_ascending(
        Ecosystem::Go,
        &[
            "v0.0.0-20191109021931-daa7c04131f5",
            "v0.0.0-20200101000000-000000000000",
            "v0.0.1",
            "v1.2.3",
            "v1.2.4-0.20191109021931-daa7c04131f5",
            "v1.2.4-0.20220101000000-0123456789ab",
            "v1.2.4-pre",
            "v1.2.4-pre.0.20191109021931-daa7c04131f5",
            "v1.2.4-pre.1",
            "v1.2.4",
        ],
    );
    check(
        Ecosystem::Go,
        "0.0.0-20220314234659-1baeb1ce4c0b",
        "=",
        "v0.0.0-20220314234659-1baeb1ce4c0b",
    );
}

#[test]
fn go_invalid() {
    let g = Ecosystem::Go;
    check_invalid(g, "v1.2-pre", "unexpected");
    check_invalid(g, "v1.2+meta", "unexpected");
    check_invalid(g, "v01.2.3", "leading zero");
    check_invalid(g, "v1.02", "leading zero");
    check_invalid(g, "1.2", "unexpected end of input");
    check_invalid(g, "1", "unexpected end of input");
    check_invalid(g, "vv1.2.3", "unexpected character");
    check_invalid(g, "V1.2.3", "unexpected character");
    check_invalid(g, "(devel)", "unexpected character");
    check_invalid(g, "v", "empty string");
    check_invalid(g, "v1.2.3-01", "leading zero");
}

// ---------------------------------------------------------------- PyPI (PEP 440)

#[test]
fn pep440_summary_ordering() {
    // PEP 440's "summary of permitted suffixes and relative ordering", extended
    // with local versions and a following release.
    check_ascending(
        Ecosystem::PyPI,
        &[
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
            "1.1",
            "1!0.1",
        ],
    );
}

#[test]
fn pep440_table() {
    check_table(
        Ecosystem::PyPI,
        &[
            // Trailing zeros and leading zeros do not matter.
            ("1.0.0", "=", "1.0"),
            ("1", "=", "1.0.0.0"),
            ("1.01", "=", "1.1"),
            ("1.0a1", "<", "1.0rc1"),
            ("1.0rc1", "<", "1.0"),
            ("1.0", "<", "1.0.post1"),
            ("1.0.0a1", "=", "1.0a1"),
            // Spellings and separators (normalisation).
            ("1.0alpha1", "=", "1.0a1"),
            ("1.0-a1", "=", "1.0a1"),
            ("1.0.a.1", "=", "1.0a1"),
            ("1.0_beta_2", "=", "1.0b2"),
            ("1.0c1", "=", "1.0rc1"),
            ("1.0pre1", "=", "1.0rc1"),
            ("1.0preview1", "=", "1.0rc1"),
            ("1.0RC1", "=", "1.0rc1"),
            ("1.0a", "=", "1.0a0"),
            ("1.0-1", "=", "1.0.post1"),
            ("1.0post1", "=", "1.0.post1"),
            ("1.0.rev1", "=", "1.0.post1"),
            ("1.0r1", "=", "1.0.post1"),
            ("1.0.post", "=", "1.0.post0"),
            ("1.0.dev", "=", "1.0.dev0"),
            ("1.0-dev1", "=", "1.0.dev1"),
            ("v1.0", "=", "1.0"),
            ("V1.0", "=", "1.0"),
            (" 1.0\n", "=", "1.0"),
            // Dev releases sort just below what they lead to.
            ("1.0.dev1", "<", "1.0a1.dev1"),
            ("1.0a1.dev1", "<", "1.0a1"),
            ("1.0.post1.dev1", "<", "1.0.post1"),
            ("1.0.post1.dev1", ">", "1.0"),
            ("1.0.dev1", "<", "1.0"),
            ("0.9", "<", "1.0.dev1"),
            // Epochs outrank everything.
            ("1!1.0", ">", "2.0"),
            ("1!1.0", ">", "2013.10"),
            ("0!1.0", "=", "1.0"),
            ("2!1.0", ">", "1!9.0"),
            // Local versions: above the public one, normalised, numbers above text.
            ("1.0", "<", "1.0+local"),
            ("1.0+ubuntu-1", "=", "1.0+ubuntu.1"),
            ("1.0+Ubuntu_1", "=", "1.0+ubuntu.1"),
            ("1.0+1", ">", "1.0+abc"),
            ("1.0+abc", "<", "1.0+abc.1"),
            ("1.0+2", "<", "1.0+10"),
            ("1.0+local", "<", "1.0.post1"),
            ("1.0+local", "<", "1.0.1"),
            ("1.0a1+local", "<", "1.0a2"),
            // Big numbers.
            ("1.18446744073709551615", ">", "1.18446744073709551614"),
            ("2024.1.15", ">", "2023.12.31"),
        ],
    );
}

#[test]
fn pep440_invalid() {
    let p = Ecosystem::PyPI;
    for bad in [
        "", "abc", "2004d", "1.0+", "1..0", "1.0.x", "1.0-", "1.0+a..b", "1.0 1",
    ] {
        let err = validate(p, bad).expect_err(bad);
        assert_eq!(err.ecosystem, p);
        assert_eq!(err.version, bad);
        assert!(!err.reason.is_empty());
    }
}

// ---------------------------------------------------------------- names and errors

/// What `Ecosystem::from_osv` should give.
type Parsed = Option<(Ecosystem, Option<&'static str>)>;

#[test]
fn osv_names() {
    let cases: &[(&str, Parsed)] = &[
        ("Debian", Some((Ecosystem::Debian, None))),
        ("Debian:12", Some((Ecosystem::Debian, Some("12")))),
        ("Debian:13", Some((Ecosystem::Debian, Some("13")))),
        ("Alpine", Some((Ecosystem::Alpine, None))),
        ("Alpine:v3.19", Some((Ecosystem::Alpine, Some("v3.19")))),
        ("npm", Some((Ecosystem::Npm, None))),
        ("crates.io", Some((Ecosystem::CratesIo, None))),
        ("Go", Some((Ecosystem::Go, None))),
        ("PyPI", Some((Ecosystem::PyPI, None))),
        // Names are case-sensitive.
        ("debian", None),
        ("NPM", None),
        ("go", None),
        ("pypi", None),
        ("Crates.io", None),
        // Empty releases, releases where OSV has none, other ecosystems.
        ("Debian:", None),
        ("Alpine:", None),
        ("npm:1", None),
        ("PyPI:3", None),
        ("Ubuntu:22.04:LTS", None),
        ("Maven", None),
        ("", None),
    ];
    for &(name, expected) in cases {
        let expected = expected.map(|(e, r)| (e, r.map(str::to_string)));
        assert_eq!(Ecosystem::from_osv(name), expected, "{name:?}");
    }
    for eco in Ecosystem::ALL {
        assert_eq!(Ecosystem::from_osv(eco.osv_name()), Some((eco, None)));
        assert_eq!(eco.to_string(), eco.osv_name());
    }
}

#[test]
fn error_messages_name_ecosystem_and_version() {
    let cases = [
        (
            Ecosystem::Debian,
            "1:",
            r#"Debian version "1:": epoch without version"#,
        ),
        (
            Ecosystem::Alpine,
            "1.0-1",
            r#"Alpine version "1.0-1": unexpected '-' at byte 3"#,
        ),
        (
            Ecosystem::Npm,
            "1.2",
            r#"npm version "1.2": unexpected end of input while parsing minor version number"#,
        ),
        (
            Ecosystem::CratesIo,
            "v1.0.0",
            r#"crates.io version "v1.0.0": unexpected character 'v' while parsing major version number"#,
        ),
    ];
    for (eco, version, message) in cases {
        let err: VersionError = compare(eco, version, version).unwrap_err();
        assert_eq!(err.to_string(), message);
    }
    let err = compare(Ecosystem::PyPI, "1.0", "nope").unwrap_err();
    assert!(
        err.to_string().starts_with(r#"PyPI version "nope": "#),
        "{err}"
    );
    // The first invalid version is the one reported.
    let err = compare(Ecosystem::Go, "bad1", "bad2").unwrap_err();
    assert_eq!(err.version, "bad1");
}
