//! Secrets baked into image layers: a pure scan of one file's bytes against a
//! gitleaks-style rule set (PEM private keys, cloud and SaaS tokens, credential
//! files, high-entropy `password=` assignments), reporting findings that never
//! carry the secret itself.
//!
//! # How a file is scanned
//!
//! 1. **Path filter** ([`is_skipped_path`]). Documentation trees
//!    (`usr/share/doc/`, `usr/share/man/`, `usr/share/info/`, `usr/share/licenses/`,
//!    `usr/share/common-licenses/`) and *test material inside third-party trees*
//!    are not scanned: a test directory (`test`, `tests`, `testdata`, `testing`,
//!    `fixtures`, `__tests__`, `__fixtures__`, `test-fixtures`, `test_data`, `spec`)
//!    or test file (`*_test.go`, `test_*.py`, `*_test.py`, `*.test.js`, `*.spec.js`,
//!    `*.test.ts`, `*.spec.ts`) below `site-packages`, `dist-packages`,
//!    `node_modules`, `vendor`, `gems`, `.cargo`, a Go module cache (`pkg/mod`), a
//!    Go root (`usr/local/go`, `usr/lib/go*`, `usr/lib/golang`), a Python library
//!    directory (`lib/python3.12/`, which ships CPython's own test keys) or
//!    `lib/ruby`. Those hold the public test keys of the packages themselves
//!    (CPython's `keycert.pem`, Go's `crypto/tls/testdata`, npm packages'
//!    fixtures). Test directories of the image's *own* code are still scanned: a
//!    key there ships in the image like any other.
//! 2. **Binary filter.** A NUL byte in the first [`BINARY_SNIFF_BYTES`] (git's
//!    heuristic) marks the file binary and it is not scanned (compiled programs,
//!    archives, DER keys, UTF-16 text).
//! 3. **Size cap.** Only the first [`MAX_SCAN_BYTES`] (2 MiB) are scanned; a secret
//!    beyond that is not found. Secrets live in configuration and scripts, which
//!    are far smaller; the cap bounds the time one huge log or dump can take.
//! 4. **Prefilter.** One case-insensitive [`regex::bytes::RegexSet`] over each
//!    rule's keywords picks the rules whose literals occur; only those run their
//!    own pattern. All regexes are compiled once ([`LazyLock`]).
//! 5. **Checks.** Every match passes its rule's check: the placeholder allowlist
//!    (`EXAMPLE`, `xxxx`, `<...>`, `${VAR}`, `{{ }}`, `changeme`, bare words like
//!    `password`, one repeated character, ascending runs like `12345678`, AWS's
//!    documentation key `AKIAIOSFODNN7EXAMPLE`, Azurite's development key, the jwt.io
//!    sample), the rule's Shannon-entropy threshold ([`Rule::min_entropy`]) and
//!    format checks (PEM bodies must be base64, docker `auth` must decode to
//!    `user:password`, a JWT header must be JSON naming `alg`, generic
//!    assignments need letters and digits and must not be paths).
//! 6. **Overlaps.** When hits of two rules share bytes the more specific one is
//!    kept (a GitHub token over the `token=` or URL around it, a service-account
//!    file over the PEM key inside it). At most [`MAX_FINDINGS_PER_FILE`] findings
//!    are reported per file, sorted by line and rule.

mod entropy;
mod rules;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

pub use rules::Rule;
use rules::{Ctx, RULES};

/// Bytes of a file that are scanned; the rest is ignored (2 MiB).
pub const MAX_SCAN_BYTES: usize = 2 * 1024 * 1024;

/// Leading bytes searched for a NUL to tell binary files from text (8 KiB).
pub const BINARY_SNIFF_BYTES: usize = 8 * 1024;

/// Findings reported for one file at most.
pub const MAX_FINDINGS_PER_FILE: usize = 100;

/// A secret found in a file. Holds where it is and what kind it is, never the
/// secret: `redacted` shows at most its first four characters (only when it is
/// 20 or more long) and its length.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SecretFinding {
    /// The rule's stable code (`SEC001`).
    pub rule: &'static str,
    /// What was found (`RSA private key`, `GitHub token`).
    pub description: String,
    /// The file, as the caller named it.
    pub path: String,
    /// 1-based line where the hit starts.
    pub line: usize,
    /// The secret in redacted form (`ghp_…(40 chars)`).
    pub redacted: String,
}

impl fmt::Display for SecretFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {} {} ({})",
            self.path, self.line, self.rule, self.description, self.redacted
        )
    }
}

/// Every rule, in code order.
pub fn rules() -> &'static [Rule] {
    &RULES
}

struct Compiled {
    prefilter: RegexSet,
    patterns: Vec<Regex>,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let keywords = RULES.iter().map(|r| {
        let alternatives: Vec<String> = r.keywords.iter().map(|k| regex::escape(k)).collect();
        alternatives.join("|")
    });
    let prefilter = RegexSetBuilder::new(keywords)
        .unicode(false)
        .case_insensitive(true)
        .build()
        .expect("static keyword prefilter compiles");
    let patterns = RULES
        .iter()
        .map(|r| {
            RegexBuilder::new(r.pattern)
                .unicode(false)
                .build()
                .unwrap_or_else(|e| panic!("static pattern of {} compiles: {e}", r.code))
        })
        .collect();
    Compiled {
        prefilter,
        patterns,
    }
});

/// Whether `path` is not scanned at all: documentation and test material inside
/// third-party package trees (see the module documentation for the list).
pub fn is_skipped_path(path: &str) -> bool {
    const DOC_TREES: [&str; 5] = [
        "usr/share/doc/",
        "usr/share/man/",
        "usr/share/info/",
        "usr/share/licenses/",
        "usr/share/common-licenses/",
    ];
    let path = normalise(path);
    if DOC_TREES.iter().any(|d| path.starts_with(d)) {
        return true;
    }
    let segments: Vec<&str> = path.split('/').collect();
    let Some((file, dirs)) = segments.split_last() else {
        return false;
    };
    third_party(path, dirs) && (dirs.iter().any(|d| test_dir(d)) || test_file(file))
}

fn third_party(path: &str, dirs: &[&str]) -> bool {
    const TREES: [&str; 7] = [
        "site-packages",
        "dist-packages",
        "node_modules",
        "vendor",
        "gems",
        ".cargo",
        "golang",
    ];
    let go_root = path.starts_with("usr/local/go/")
        || path
            .strip_prefix("usr/lib/go")
            .is_some_and(|rest| rest.starts_with('/') || rest.starts_with('-'));
    go_root
        || dirs.iter().any(|d| TREES.contains(d))
        || dirs.windows(2).any(|w| {
            (w[0] == "pkg" && w[1] == "mod")
                || (w[0] == "lib" && w[1] == "ruby")
                || (w[0] == "lib"
                    && w[1]
                        .strip_prefix("python")
                        .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit())))
        })
}

fn test_dir(dir: &str) -> bool {
    [
        "test",
        "tests",
        "testdata",
        "testing",
        "fixtures",
        "__tests__",
        "__fixtures__",
        "test-fixtures",
        "test_data",
        "spec",
    ]
    .contains(&dir)
}

fn test_file(file: &str) -> bool {
    file.ends_with("_test.go")
        || (file.starts_with("test_") && file.ends_with(".py"))
        || file.ends_with("_test.py")
        || [".test.js", ".spec.js", ".test.ts", ".spec.ts"]
            .iter()
            .any(|s| file.ends_with(s))
}

/// `path` without leading `/` and `./`.
fn normalise(path: &str) -> &str {
    let mut p = path;
    loop {
        let next = p.trim_start_matches('/');
        let next = next.strip_prefix("./").unwrap_or(next);
        if next.len() == p.len() {
            return p;
        }
        p = next;
    }
}

/// Whether `content` looks binary: a NUL in its first [`BINARY_SNIFF_BYTES`].
pub fn is_binary(content: &[u8]) -> bool {
    content[..content.len().min(BINARY_SNIFF_BYTES)].contains(&0)
}

struct Candidate {
    rule: usize,
    start: usize,
    end: usize,
    at: usize,
    description: String,
    redacted: String,
}

/// Scans one file of a layer. `path` is the file's path in the image (leading
/// `/` or `./` allowed), `content` its bytes. Skipped paths and binary files give
/// no findings; only the first [`MAX_SCAN_BYTES`] are scanned.
pub fn scan_file(path: &str, content: &[u8]) -> Vec<SecretFinding> {
    if is_skipped_path(path) || is_binary(content) {
        return Vec::new();
    }
    let text = &content[..content.len().min(MAX_SCAN_BYTES)];
    let compiled = &*COMPILED;
    let ctx = Ctx {
        path: normalise(path),
        text,
    };
    let mut candidates = Vec::new();
    for i in compiled.prefilter.matches(text).iter() {
        let rule = &RULES[i];
        let mut hits = 0;
        for caps in compiled.patterns[i].captures_iter(text) {
            let (Some(whole), Some(secret)) = (caps.get(0), caps.name("secret")) else {
                continue;
            };
            let Some(accepted) = rule.accept(&ctx, &caps) else {
                continue;
            };
            let lead = whole
                .as_bytes()
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            candidates.push(Candidate {
                rule: i,
                start: secret.start(),
                end: secret.end(),
                at: whole.start() + lead,
                description: accepted.description,
                redacted: accepted.redacted,
            });
            hits += 1;
            if hits >= MAX_FINDINGS_PER_FILE {
                break;
            }
        }
    }
    candidates.sort_by_key(|c| (RULES[c.rule].rank, c.start));
    // Accepted spans by start; spans never overlap, so a new span overlaps one
    // only if it overlaps its predecessor or successor by start.
    let mut taken: BTreeMap<usize, usize> = BTreeMap::new();
    let mut kept = Vec::new();
    for c in candidates {
        let before = taken.range(..=c.start).next_back();
        let after = taken.range(c.start..).next();
        let overlaps = before.is_some_and(|(_, &end)| end > c.start)
            || after.is_some_and(|(&start, _)| start < c.end);
        if !overlaps {
            taken.insert(c.start, c.end);
            kept.push(c);
        }
    }
    kept.sort_by_key(|c| (c.at, c.rule));
    kept.truncate(MAX_FINDINGS_PER_FILE);
    let mut lines = LineIndex::new(text);
    kept.into_iter()
        .map(|c| SecretFinding {
            rule: RULES[c.rule].code,
            description: c.description,
            path: path.to_string(),
            line: lines.line_of(c.at),
            redacted: c.redacted,
        })
        .collect()
}

/// Line numbers for ascending offsets, counting newlines once.
struct LineIndex<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a [u8]) -> Self {
        Self {
            text,
            pos: 0,
            line: 1,
        }
    }

    /// The 1-based line of `offset`; offsets must not decrease between calls.
    fn line_of(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        if offset > self.pos {
            self.line += self.text[self.pos..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.pos = offset;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(COMPILED.patterns.len(), RULES.len());
        assert_eq!(COMPILED.prefilter.len(), RULES.len());
    }

    #[test]
    fn normalises_leading_slashes() {
        assert_eq!(normalise("./usr/share/doc/x"), "usr/share/doc/x");
        assert_eq!(normalise("//./etc/x"), "etc/x");
        assert_eq!(normalise(""), "");
    }
}
