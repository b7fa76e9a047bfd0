//! SemVer 2.0 precedence for npm, crates.io and Go, parsed with the `semver` crate.
//!
//! Precedence compares major, minor, patch, then the pre-release (a version with
//! one is lower; identifiers compare numerically when both are numeric, numeric
//! below alphanumeric, ASCII otherwise, and a longer list wins a tie). Build
//! metadata has no precedence: `1.0.0+a` == `1.0.0+b`.
//!
//! What each ecosystem accepts:
//! - crates.io: exactly SemVer 2.0, as Cargo parses it (no `v`, no spaces, all
//!   three numbers).
//! - npm: what node-semver accepts in its default (strict) mode: at most 256
//!   characters, surrounding whitespace ignored, one optional leading `v`, numbers
//!   up to 2^53 - 1. Like `semver.compare`, two-part versions such as `1.2` are
//!   rejected: they are ranges to npm, not versions, and registry packages cannot
//!   have them. Loose-mode forms (`=1.2.3`, `01.2.3`, `1.2.3beta`) are rejected too.
//! - Go: as golang.org/x/mod/semver, with the `v` prefix (`v1.2.3`, and the
//!   shorthands `v1` and `v1.2` meaning `v1.0.0` and `v1.2.0`), and also without
//!   it, as OSV writes Go versions (`1.2.3`, full form only). Pseudo-versions
//!   (`v0.0.0-20191109021931-daa7c04131f5`, `v1.2.4-0.2019…`, `v1.2.3-pre.0.2019…`)
//!   are ordinary pre-releases and `+incompatible` is build metadata, so SemVer
//!   precedence orders them as the go command does.

use std::cmp::Ordering;

use super::{Ecosystem, VersionError};

/// node-semver's `MAX_LENGTH`.
const NPM_MAX_LENGTH: usize = 256;
/// node-semver's `MAX_SAFE_INTEGER` (JavaScript's), the largest version number.
const NPM_MAX_NUMBER: u64 = (1 << 53) - 1;

thread_local! {
    // One table per ecosystem: each has its own spelling rules.
    static PARSED: [super::memo::Memo<::semver::Version>; 3] = Default::default();
}

/// Compares two SemVer versions of `ecosystem` (npm, crates.io or Go).
pub(super) fn compare(ecosystem: Ecosystem, a: &str, b: &str) -> Result<Ordering, VersionError> {
    let table = match ecosystem {
        Ecosystem::Npm => 0,
        Ecosystem::CratesIo => 1,
        _ => 2,
    };
    PARSED.with(|m| m[table].compare(a, b, |v| parse(ecosystem, v), |a, b| a.cmp_precedence(b)))
}

/// Checks that `text` is a valid version of `ecosystem`.
pub(super) fn validate(ecosystem: Ecosystem, text: &str) -> Result<(), VersionError> {
    parse(ecosystem, text).map(|_| ())
}

fn parse(ecosystem: Ecosystem, text: &str) -> Result<::semver::Version, VersionError> {
    let err = |reason: String| VersionError::new(ecosystem, text, reason);
    let strict = |s: &str| ::semver::Version::parse(s).map_err(|e| err(e.to_string()));
    match ecosystem {
        Ecosystem::Npm => {
            if text.len() > NPM_MAX_LENGTH {
                return Err(err(format!("longer than {NPM_MAX_LENGTH} characters")));
            }
            let trimmed = text.trim_matches(is_js_whitespace);
            let bare = trimmed.strip_prefix('v').unwrap_or(trimmed);
            let version = strict(bare)?;
            if [version.major, version.minor, version.patch]
                .iter()
                .any(|&n| n > NPM_MAX_NUMBER)
            {
                return Err(err(format!("a version number is above {NPM_MAX_NUMBER}")));
            }
            Ok(version)
        }
        Ecosystem::Go => match text.strip_prefix('v') {
            Some(bare) => strict(&expand_go_shorthand(bare)),
            None => strict(text),
        },
        _ => strict(text),
    }
}

/// `1` → `1.0.0`, `1.2` → `1.2.0` (x/mod/semver's shorthands, which allow no
/// pre-release or build); anything else unchanged, for the parser to judge.
fn expand_go_shorthand(bare: &str) -> String {
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = bare.split('.').collect();
    match parts.as_slice() {
        [major] if numeric(major) => format!("{major}.0.0"),
        [major, minor] if numeric(major) && numeric(minor) => format!("{major}.{minor}.0"),
        _ => bare.to_string(),
    }
}

/// JavaScript's `String.prototype.trim` set, as far as it matters for versions.
fn is_js_whitespace(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_shorthands() {
        assert_eq!(expand_go_shorthand("1"), "1.0.0");
        assert_eq!(expand_go_shorthand("1.2"), "1.2.0");
        assert_eq!(expand_go_shorthand("1.2-pre"), "1.2-pre");
        assert_eq!(expand_go_shorthand("1.2.3"), "1.2.3");
    }
}
