//! Alpine (apk) versions, compared by current apk-tools' rules (written here; no
//! crate implements them; 3.x added the `~hash` part to the 2.x grammar):
//!
//! ```text
//! digits{.digits}...{letter}{_suffix{digits}}...{~hash}{-r digits}
//! ```
//!
//! - The first number and suffix and revision numbers compare as integers; a later
//!   `.`-number compares as an integer too, unless either side has a leading zero,
//!   in which case the digit strings compare as text (Gentoo's rule: `1.02 < 1.1`).
//! - One lowercase letter may follow a number (`1.2a`).
//! - Suffixes: `_alpha` < `_beta` < `_pre` < `_rc` < (none) < `_cvs` < `_svn` <
//!   `_git` < `_hg` < `_p`, each optionally numbered; several may follow each
//!   other (`_alpha_pre2`).
//! - `~hash`: a lowercase hex commit hash, compared as text.
//! - `-r<N>`: the package release.
//!
//! Where one version runs out of a kind of part earlier than the other, apk ranks
//! the kinds: a pre-release suffix is below anything; otherwise the version whose
//! next part comes *earlier* in the grammar above is greater (`1.0.1` > `1.0a` >
//! `1.0_p1` > `1.0~abc` > `1.0-r1` > `1.0`).
//!
//! Unlike apk, which keeps comparing up to the first invalid part, invalid versions
//! are errors here. Numbers have no size limit (apk reads them into 64 bits).

use std::cmp::Ordering;

use super::{Ecosystem, VersionError};

/// Compares two apk versions.
pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let a = parse(a)?;
    let b = parse(b)?;
    Ok(compare_tokens(&a, &b))
}

/// Checks that `text` is a valid apk version.
pub(super) fn validate(text: &str) -> Result<(), VersionError> {
    parse(text).map(|_| ())
}

/// The kinds of part, in grammar order (which is also apk's ranking, reversed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    InitialDigits,
    Digits,
    Letter,
    Suffix,
    SuffixNumber,
    CommitHash,
    Revision,
    End,
}

/// Suffixes in order; pre-release ones sort below "no suffix".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Suffix {
    Alpha,
    Beta,
    Pre,
    Rc,
    Cvs,
    Svn,
    Git,
    Hg,
    P,
}

impl Suffix {
    fn from_name(name: &str) -> Option<Suffix> {
        Some(match name {
            "alpha" => Suffix::Alpha,
            "beta" => Suffix::Beta,
            "pre" => Suffix::Pre,
            "rc" => Suffix::Rc,
            "cvs" => Suffix::Cvs,
            "svn" => Suffix::Svn,
            "git" => Suffix::Git,
            "hg" => Suffix::Hg,
            "p" => Suffix::P,
            _ => return None,
        })
    }

    fn is_pre_release(self) -> bool {
        self <= Suffix::Rc
    }
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind,
    /// The part's text without its leading `.`, `_`, `~` or `-r`.
    text: &'a str,
    /// Set for `Kind::Suffix` only.
    suffix: Option<Suffix>,
}

const END: Token<'static> = Token {
    kind: Kind::End,
    text: "",
    suffix: None,
};

fn parse(text: &str) -> Result<Vec<Token<'_>>, VersionError> {
    let err = |reason: String| VersionError::new(Ecosystem::Alpine, text, reason);
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();

    let take_while = |pos: usize, pred: fn(u8) -> bool| -> usize {
        bytes[pos..]
            .iter()
            .position(|&b| !pred(b))
            .map_or(bytes.len(), |n| pos + n)
    };
    let is_digit = |b: u8| b.is_ascii_digit();

    if text.is_empty() {
        return Err(err("version is empty".into()));
    }
    let end = take_while(0, is_digit);
    if end == 0 {
        return Err(err("does not start with a digit".into()));
    }
    tokens.push(Token {
        kind: Kind::InitialDigits,
        text: &text[..end],
        suffix: None,
    });
    let mut pos = end;

    while pos < bytes.len() {
        let prev = tokens.last().map_or(Kind::InitialDigits, |t| t.kind);
        let c = bytes[pos];
        let misplaced = || err(format!("unexpected {:?} at byte {pos}", c as char));
        let token = match c {
            b'a'..=b'z' => {
                if prev > Kind::Digits {
                    return Err(misplaced());
                }
                pos += 1;
                Token {
                    kind: Kind::Letter,
                    text: &text[pos - 1..pos],
                    suffix: None,
                }
            }
            b'.' => {
                if prev > Kind::Digits {
                    return Err(misplaced());
                }
                let end = take_while(pos + 1, is_digit);
                if end == pos + 1 {
                    return Err(err(format!("no number after '.' at byte {pos}")));
                }
                let token = Token {
                    kind: Kind::Digits,
                    text: &text[pos + 1..end],
                    suffix: None,
                };
                pos = end;
                token
            }
            b'0'..=b'9' if prev == Kind::Suffix => {
                let end = take_while(pos, is_digit);
                let token = Token {
                    kind: Kind::SuffixNumber,
                    text: &text[pos..end],
                    suffix: None,
                };
                pos = end;
                token
            }
            b'_' => {
                if prev > Kind::SuffixNumber {
                    return Err(misplaced());
                }
                let end = take_while(pos + 1, |b| b.is_ascii_lowercase());
                let name = &text[pos + 1..end];
                let suffix = Suffix::from_name(name)
                    .ok_or_else(|| err(format!("unknown suffix \"_{name}\"")))?;
                pos = end;
                Token {
                    kind: Kind::Suffix,
                    text: name,
                    suffix: Some(suffix),
                }
            }
            b'~' => {
                if prev >= Kind::CommitHash {
                    return Err(misplaced());
                }
                let end = take_while(pos + 1, |b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
                if end == pos + 1 {
                    return Err(err(format!("no commit hash after '~' at byte {pos}")));
                }
                let token = Token {
                    kind: Kind::CommitHash,
                    text: &text[pos + 1..end],
                    suffix: None,
                };
                pos = end;
                token
            }
            b'-' => {
                if prev >= Kind::Revision || bytes.get(pos + 1) != Some(&b'r') {
                    return Err(misplaced());
                }
                let end = take_while(pos + 2, is_digit);
                if end == pos + 2 {
                    return Err(err(format!("no number after \"-r\" at byte {pos}")));
                }
                let token = Token {
                    kind: Kind::Revision,
                    text: &text[pos + 2..end],
                    suffix: None,
                };
                pos = end;
                token
            }
            _ => {
                let c = text[pos..].chars().next().unwrap_or('?');
                return Err(err(format!("unexpected {c:?} at byte {pos}")));
            }
        };
        tokens.push(token);
    }
    Ok(tokens)
}

fn compare_tokens(a: &[Token<'_>], b: &[Token<'_>]) -> Ordering {
    let mut i = 0;
    loop {
        let ta = a.get(i).copied().unwrap_or(END);
        let tb = b.get(i).copied().unwrap_or(END);
        i += 1;
        if ta.kind == tb.kind {
            if ta.kind == Kind::End {
                return Ordering::Equal;
            }
            match compare_same_kind(&ta, &tb) {
                Ordering::Equal => continue,
                other => return other,
            }
        }
        // One version has a different kind of part here.
        if ta.suffix.is_some_and(Suffix::is_pre_release) {
            return Ordering::Less;
        }
        if tb.suffix.is_some_and(Suffix::is_pre_release) {
            return Ordering::Greater;
        }
        return tb.kind.cmp(&ta.kind);
    }
}

fn compare_same_kind(a: &Token<'_>, b: &Token<'_>) -> Ordering {
    match a.kind {
        Kind::Digits if a.text.starts_with('0') || b.text.starts_with('0') => a.text.cmp(b.text),
        Kind::InitialDigits | Kind::Digits | Kind::SuffixNumber | Kind::Revision => {
            compare_numbers(a.text, b.text)
        }
        Kind::Suffix => a.suffix.cmp(&b.suffix),
        Kind::Letter | Kind::CommitHash | Kind::End => a.text.cmp(b.text),
    }
}

/// Compares two runs of ASCII digits as unbounded non-negative integers.
fn compare_numbers(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_versions_are_errors() {
        for bad in [
            "",
            "v1.0",
            "1.0bc",
            "1.0_foo",
            "1.0-r",
            "1.0-1",
            "1.0~",
            "1.0~XYZ",
            "1..0",
            "1.0.",
            "1.0-r1-r2",
            "1.0-r1_p1",
            "1.0a.1",
            "1.0 ",
            "1.0_p1a",
            "1.0~abc~def",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be invalid");
        }
    }

    #[test]
    fn error_message() {
        let e = compare("1.0_foo", "1.0").unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"Alpine version "1.0_foo": unknown suffix "_foo""#
        );
    }
}
