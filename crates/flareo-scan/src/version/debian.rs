//! Debian (dpkg) versions: `[epoch:]upstream_version[-debian_revision]`, compared as
//! `dpkg --compare-versions` does (Debian Policy §5.6.12).
//!
//! Parsing follows dpkg's `parseversion`: surrounding whitespace is ignored; the
//! epoch ends at the first `:` and must be a non-negative number that fits an
//! `int`; the revision starts after the last `-` and must not be empty; the
//! upstream version must not be empty. dpkg only *warns* about an upstream version
//! that does not start with a digit, so it is accepted here too (it still has a
//! well-defined order); characters outside Policy's set (alphanumerics and
//! `.+~-:` upstream, `.+~` in the revision) are rejected, since no Debian archive
//! can contain them and their order would depend on dpkg's byte quirks.
//!
//! The ordering itself is `debversion`'s, with one correction: dpkg treats a
//! missing digit run as `0` (`1.0a` == `1.0a0`), where `debversion` ranks it below
//! any digit run. Appending a `0` to a part that ends in a non-digit makes the two
//! agree without changing dpkg's order.

use std::cmp::Ordering;

use super::{Ecosystem, VersionError};

thread_local! {
    static PARSED: super::memo::Memo<debversion::Version> = Default::default();
}

/// Compares two dpkg versions.
pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    PARSED.with(|m| m.compare(a, b, parse, |a, b| a.cmp(b)))
}

/// Checks that `text` is a valid dpkg version.
pub(super) fn validate(text: &str) -> Result<(), VersionError> {
    parse(text).map(|_| ())
}

fn parse(text: &str) -> Result<debversion::Version, VersionError> {
    let err = |reason: &str| VersionError::new(Ecosystem::Debian, text, reason);
    let trimmed = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if trimmed.is_empty() {
        return Err(err("version string is empty"));
    }
    if trimmed.contains(|c: char| c.is_whitespace()) {
        return Err(err("version string has embedded spaces"));
    }

    let (epoch, rest) = match trimmed.split_once(':') {
        None => (None, trimmed),
        Some((epoch, rest)) => {
            if epoch.is_empty() {
                return Err(err("epoch is empty"));
            }
            if epoch.strip_prefix('-').is_some_and(all_digits) {
                return Err(err("epoch is negative"));
            }
            if !all_digits(epoch) {
                return Err(err("epoch is not a number"));
            }
            let epoch: u32 = match epoch.parse() {
                Ok(n) if n <= i32::MAX as u32 => n,
                _ => return Err(err("epoch is too big")),
            };
            if rest.is_empty() {
                return Err(err("epoch without version"));
            }
            (Some(epoch), rest)
        }
    };

    let (upstream, revision) = match rest.rsplit_once('-') {
        None => (rest, None),
        Some((_, "")) => return Err(err("revision is empty")),
        Some((upstream, revision)) => (upstream, Some(revision)),
    };
    if upstream.is_empty() {
        return Err(err("upstream version is empty"));
    }
    if let Some(c) = upstream
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || ".+~-:".contains(c)))
    {
        return Err(err(&format!("invalid character {c:?} in upstream version")));
    }
    if let Some(c) = revision
        .unwrap_or("")
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || ".+~".contains(c)))
    {
        return Err(err(&format!("invalid character {c:?} in revision")));
    }

    Ok(debversion::Version {
        epoch,
        upstream_version: zero_terminated(upstream),
        debian_revision: revision.map(zero_terminated),
    })
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `part` with a `0` appended if it ends in a non-digit: dpkg reads the missing
/// digit run as zero, `debversion` as less than zero (see the module docs).
fn zero_terminated(part: &str) -> String {
    let mut s = part.to_string();
    if !s.ends_with(|c: char| c.is_ascii_digit()) {
        s.push('0');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_digit_run_is_zero() {
        assert_eq!(compare("1.0a", "1.0a0"), Ok(Ordering::Equal));
        assert_eq!(compare("1.0-a", "1.0-a0"), Ok(Ordering::Equal));
        assert_eq!(compare("1.0", "1.0-0"), Ok(Ordering::Equal));
        assert_eq!(compare("1.0~", "1.0~0"), Ok(Ordering::Equal));
    }

    #[test]
    fn errors_name_the_problem() {
        let e = compare("1:", "1").unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"Debian version "1:": epoch without version"#
        );
        let e = compare("1.0", "1.0-").unwrap_err();
        assert_eq!(e.to_string(), r#"Debian version "1.0-": revision is empty"#);
    }
}
