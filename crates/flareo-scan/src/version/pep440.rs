//! PyPI versions, compared by PEP 440 with the `pep440_rs` crate.
//!
//! `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, with PEP 440's normalisation:
//! surrounding whitespace, a leading `v`, case, `-`/`_`/`.` separators, spellings
//! (`alpha`, `c`, `pre`, `preview`, `rev`, `r`, `1.0-1` for a post-release) and
//! implicit numbers (`1.0a` is `1.0a0`) are accepted; trailing zeros do not matter
//! (`1.0` == `1.0.0`). Order: `.devN` < `aN` < `bN` < `rcN` < release <
//! `.postN`, a dev release sorts just below the release it leads to
//! (`1.0a1.dev1` < `1.0a1`), the epoch outranks everything, and a local version
//! sorts above the same public version (`1.0` < `1.0+abc`; numeric local segments
//! above alphanumeric ones).
//!
//! Legacy (pre-PEP 440) versions such as `2004d` are errors: pip no longer
//! accepts them and OSV's PyPI ecosystem is defined by PEP 440.

use std::cmp::Ordering;
use std::str::FromStr;

use super::{Ecosystem, VersionError};

thread_local! {
    static PARSED: super::memo::Memo<pep440_rs::Version> = Default::default();
}

/// Compares two PEP 440 versions.
pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    PARSED.with(|m| m.compare(a, b, parse, |a, b| a.cmp(b)))
}

/// Checks that `text` is a valid PEP 440 version.
pub(super) fn validate(text: &str) -> Result<(), VersionError> {
    parse(text).map(|_| ())
}

fn parse(text: &str) -> Result<pep440_rs::Version, VersionError> {
    pep440_rs::Version::from_str(text)
        .map_err(|e| VersionError::new(Ecosystem::PyPI, text, e.to_string()))
}
