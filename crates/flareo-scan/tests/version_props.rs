//! Property tests: for random valid versions of each ecosystem, comparison is a
//! total order — reflexive (`compare(a, a) == Equal`), antisymmetric
//! (`compare(b, a) == compare(a, b).reverse()`) and transitive on triples (also
//! through equal versions, which several ecosystems have: `1.0` == `1.0.0`).
//!
//! The generators draw from small alphabets and small numbers so that random
//! triples often share prefixes, collide, or differ only in the tricky parts
//! (tildes, suffixes, pre-releases, leading zeros, local versions).

use std::cmp::Ordering;

use flareo_scan::version::{Ecosystem, compare};
use proptest::prelude::*;
use proptest::sample::select;

/// Checks the total-order laws on one triple of valid versions.
fn check_laws(eco: Ecosystem, a: &str, b: &str, c: &str) -> Result<(), TestCaseError> {
    let cmp = |x: &str, y: &str| -> Result<Ordering, TestCaseError> {
        compare(eco, x, y).map_err(|e| TestCaseError::fail(format!("generated invalid: {e}")))
    };
    for v in [a, b, c] {
        prop_assert_eq!(
            cmp(v, v)?,
            Ordering::Equal,
            "{} {:?} not equal to itself",
            eco,
            v
        );
    }
    let ab = cmp(a, b)?;
    let bc = cmp(b, c)?;
    let ac = cmp(a, c)?;
    prop_assert_eq!(
        cmp(b, a)?,
        ab.reverse(),
        "{} antisymmetry {:?} {:?}",
        eco,
        a,
        b
    );
    prop_assert_eq!(
        cmp(c, b)?,
        bc.reverse(),
        "{} antisymmetry {:?} {:?}",
        eco,
        b,
        c
    );
    prop_assert_eq!(
        cmp(c, a)?,
        ac.reverse(),
        "{} antisymmetry {:?} {:?}",
        eco,
        a,
        c
    );
    // Transitivity: a ≤ b ≤ c ⇒ a ≤ c (strict if either step is), and equality
    // is an equivalence that every other comparison respects.
    if ab != Ordering::Greater && bc != Ordering::Greater {
        let expected = if ab == Ordering::Equal { bc } else { ab };
        let expected = if expected == Ordering::Equal {
            Ordering::Equal
        } else {
            Ordering::Less
        };
        prop_assert_eq!(ac, expected, "{} transitivity {:?} {:?} {:?}", eco, a, b, c);
    }
    if ab != Ordering::Less && bc != Ordering::Less {
        let expected = if ab == Ordering::Equal { bc } else { ab };
        let expected = if expected == Ordering::Equal {
            Ordering::Equal
        } else {
            Ordering::Greater
        };
        prop_assert_eq!(ac, expected, "{} transitivity {:?} {:?} {:?}", eco, a, b, c);
    }
    if ab == Ordering::Equal {
        prop_assert_eq!(
            ac,
            bc,
            "{} equal {:?} {:?} ordered apart from {:?}",
            eco,
            a,
            b,
            c
        );
    }
    Ok(())
}

/// Sorting with the comparison and checking every adjacent pair is in order is
/// a second, whole-list view of the same laws.
fn check_sorts(eco: Ecosystem, versions: &[String]) -> Result<(), TestCaseError> {
    let mut sorted = versions.to_vec();
    sorted.sort_by(|x, y| compare(eco, x, y).unwrap_or(Ordering::Equal));
    for pair in sorted.windows(2) {
        prop_assert_ne!(
            compare(eco, &pair[0], &pair[1]),
            Ok(Ordering::Greater),
            "{} sorted out of order: {:?}",
            eco,
            sorted
        );
    }
    for (i, x) in sorted.iter().enumerate() {
        for y in &sorted[i + 1..] {
            prop_assert_ne!(
                compare(eco, x, y),
                Ok(Ordering::Greater),
                "{} {:?}",
                eco,
                sorted
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- generators

/// Debian: `[epoch:]upstream[-revision]` from Policy's alphabet.
fn debian() -> impl Strategy<Value = String> {
    let epoch = prop_oneof![Just(String::new()), (0u32..3).prop_map(|e| format!("{e}:"))];
    let upstream = "[0-9][0-9a-cA~+.]{0,6}";
    let revision = prop_oneof![
        Just(String::new()),
        "[0-9a-b~+.]{1,4}".prop_map(|r| format!("-{r}")),
        "[0-9a-b~+.]{1,3}".prop_map(|r| format!("-1{r}")),
    ];
    // A hyphen or colon inside the upstream part needs a revision and an epoch.
    let tricky_upstream = "[0-9][0-9a~.]{0,2}[-:][0-9a~]{1,2}";
    prop_oneof![
        (epoch.clone(), upstream, revision.clone()).prop_map(|(e, u, r)| format!("{e}{u}{r}")),
        tricky_upstream.prop_map(|u| format!("1:{u}-1")),
    ]
}

/// Alpine: `digits{.digits}{letter}{_suffix{digits}}{~hash}{-rN}`.
fn alpine() -> impl Strategy<Value = String> {
    let number = prop_oneof!["[0-9]", "[0-9]{2}", Just("0".to_string()), "0[0-9]"];
    let suffix = (
        select(&["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"][..]),
        prop_oneof![Just(String::new()), "[0-9]{1,2}"],
    )
        .prop_map(|(s, n)| format!("_{s}{n}"));
    (
        "[0-9]{1,2}",
        prop::collection::vec(number, 0..3),
        prop_oneof![3 => Just(String::new()), 1 => "[a-c]"],
        prop::collection::vec(suffix, 0..3),
        prop_oneof![3 => Just(String::new()), 1 => "~[0-9a-f]{1,3}"],
        prop_oneof![Just(String::new()), "-r[0-9]{1,2}"],
    )
        .prop_map(|(first, rest, letter, suffixes, hash, rev)| {
            let mut v = first;
            for n in rest {
                v.push('.');
                v.push_str(&n);
            }
            v + &letter + &suffixes.concat() + &hash + &rev
        })
}

/// SemVer core: small numbers, pre-release identifiers mixing numbers, letters
/// and hyphens, and optional build metadata.
fn semver() -> impl Strategy<Value = String> {
    let identifier = prop_oneof![
        "0|[1-9][0-9]?",
        "[a-cA-]{1,3}",
        "[0-9][a-c-]",
        select(&["alpha", "beta", "rc", "20191109021931-daa7c04131f5"][..]).prop_map(String::from),
    ];
    let pre = prop_oneof![
        2 => Just(String::new()),
        3 => prop::collection::vec(identifier, 1..4).prop_map(|ids| format!("-{}", ids.join("."))),
    ];
    let build = prop_oneof![
        3 => Just(String::new()),
        1 => "[0-9a-z]{1,3}(\\.[0-9a-z]{1,2})?".prop_map(|b| format!("+{b}")),
        1 => Just("+incompatible".to_string()),
    ];
    (0u64..3, 0u64..3, 0u64..3, pre, build)
        .prop_map(|(ma, mi, pa, pre, build)| format!("{ma}.{mi}.{pa}{pre}{build}"))
}

fn npm() -> impl Strategy<Value = String> {
    (semver(), select(&["", "v", " ", " v"][..])).prop_map(|(v, p)| format!("{p}{v}"))
}

fn go() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => semver().prop_map(|v| format!("v{v}")),
        1 => semver(),
        1 => (0u64..3).prop_map(|m| format!("v{m}")),
        1 => (0u64..3, 0u64..3).prop_map(|(m, n)| format!("v{m}.{n}")),
        // Pseudo-versions of the three forms.
        1 => ("[0-2]", "20[12][0-9]{11}", "[0-9a-f]{12}").prop_map(|(m, t, h)| format!("v{m}.0.0-{t}-{h}")),
        1 => ("[0-2]\\.[0-2]\\.[1-2]", "20[12][0-9]{11}", "[0-9a-f]{12}").prop_map(|(v, t, h)| format!("v{v}-0.{t}-{h}")),
        1 => ("[0-2]\\.[0-2]\\.[0-2]-(pre|rc\\.1)", "20[12][0-9]{11}", "[0-9a-f]{12}").prop_map(|(v, t, h)| format!("v{v}.0.{t}-{h}")),
    ]
}

/// PyPI: PEP 440 versions in varied spellings, so normalisation is exercised.
fn pypi() -> impl Strategy<Value = String> {
    let epoch = prop_oneof![4 => Just(String::new()), 1 => (0u32..3).prop_map(|e| format!("{e}!"))];
    let release = prop::collection::vec(0u32..3, 1..4).prop_map(|parts| {
        parts
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(".")
    });
    let pre = prop_oneof![
        2 => Just(String::new()),
        1 => (select(&["a", "b", "rc", "alpha", "beta", "c", "pre", "preview"][..]), select(&["", ".", "-", "_"][..]), prop_oneof![Just(String::new()), "[0-2]"])
            .prop_map(|(k, sep, n)| format!("{sep}{k}{n}")),
    ];
    let post = prop_oneof![
        2 => Just(String::new()),
        1 => (select(&[".post", "post", "-post", ".rev", ".r"][..]), prop_oneof![Just(String::new()), "[0-2]"]).prop_map(|(k, n)| format!("{k}{n}")),
        1 => "-[0-2]",
    ];
    let dev = prop_oneof![
        2 => Just(String::new()),
        1 => (select(&[".dev", "dev", "-dev"][..]), prop_oneof![Just(String::new()), "[0-2]"]).prop_map(|(k, n)| format!("{k}{n}")),
    ];
    let local = prop_oneof![
        3 => Just(String::new()),
        1 => "\\+[0-9a-bA]{1,2}([._-][0-9a-b]{1,2})?",
    ];
    (
        epoch,
        select(&["", "v"][..]),
        release,
        pre,
        post,
        dev,
        local,
    )
        .prop_map(|(e, v, r, pre, post, dev, local)| format!("{v}{e}{r}{pre}{post}{dev}{local}"))
}

// ---------------------------------------------------------------- properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn debian_is_a_total_order(a in debian(), b in debian(), c in debian()) {
        check_laws(Ecosystem::Debian, &a, &b, &c)?;
    }

    #[test]
    fn alpine_is_a_total_order(a in alpine(), b in alpine(), c in alpine()) {
        check_laws(Ecosystem::Alpine, &a, &b, &c)?;
    }

    #[test]
    fn npm_is_a_total_order(a in npm(), b in npm(), c in npm()) {
        check_laws(Ecosystem::Npm, &a, &b, &c)?;
    }

    #[test]
    fn crates_io_is_a_total_order(a in semver(), b in semver(), c in semver()) {
        check_laws(Ecosystem::CratesIo, &a, &b, &c)?;
    }

    #[test]
    fn go_is_a_total_order(a in go(), b in go(), c in go()) {
        check_laws(Ecosystem::Go, &a, &b, &c)?;
    }

    #[test]
    fn pypi_is_a_total_order(a in pypi(), b in pypi(), c in pypi()) {
        check_laws(Ecosystem::PyPI, &a, &b, &c)?;
    }

    #[test]
    fn sorting_agrees_with_pairs(
        deb in prop::collection::vec(debian(), 0..12),
        apk in prop::collection::vec(alpine(), 0..12),
        go_versions in prop::collection::vec(go(), 0..12),
        py in prop::collection::vec(pypi(), 0..12),
    ) {
        check_sorts(Ecosystem::Debian, &deb)?;
        check_sorts(Ecosystem::Alpine, &apk)?;
        check_sorts(Ecosystem::Go, &go_versions)?;
        check_sorts(Ecosystem::PyPI, &py)?;
    }
}
