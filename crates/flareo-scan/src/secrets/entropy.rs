//! Shannon entropy and the placeholder allowlist: the two checks that keep
//! documentation, templates and example values from being reported as secrets.

/// Shannon entropy of `bytes` in bits per byte (0 for empty input, at most 8).
pub(crate) fn shannon(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0usize; 256];
    for &b in bytes {
        counts[usize::from(b)] += 1;
    }
    let len = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / len;
            -p * p.log2()
        })
        .sum()
}

/// Substrings (compared case-insensitively) that mark a value as a placeholder,
/// a template or documentation rather than a live credential.
const PLACEHOLDER_MARKERS: &[&str] = &[
    "example",
    "xxxx",
    "changeme",
    "change_me",
    "change-me",
    "placeholder",
    "dummy",
    "redacted",
    "your_",
    "your-",
    "yourtoken",
    "yourkey",
    "yourpassword",
    "insert_",
    "replace_me",
    "replaceme",
    "fake",
    "sample",
    "****",
    "....",
    "${",
    "$(",
    "{{",
    "}}",
    "%(",
    "<",
    ">",
];

/// Whole values (compared case-insensitively) that are words, not secrets.
const PLACEHOLDER_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "token",
    "changeme",
    "example",
    "test",
    "testing",
    "foo",
    "bar",
    "foobar",
    "user",
    "username",
    "admin",
    "none",
    "null",
    "nil",
    "true",
    "false",
    "empty",
    "anonymous",
    "guest",
    "default",
    "required",
    "optional",
    "undefined",
];

/// Published example or development credentials that are public by design: AWS's
/// documentation key pair, Azurite's well-known development storage key, the
/// jwt.io sample token's signature.
const KNOWN_PUBLIC: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
];

/// Whether `value` is a placeholder: a template variable (`${VAR}`, `{{ x }}`,
/// `<token>`, `$VAR`), an example marker (`EXAMPLE`, `xxxx`, `changeme`, ...), a
/// bare word like `password`, a run of one repeated character, an ascending
/// sequence (`12345678`, `abcdefgh`) or a known public example credential.
pub(crate) fn is_placeholder(value: &[u8]) -> bool {
    if value.is_empty() || value.starts_with(b"$") || value.starts_with(b"%") {
        return true;
    }
    let lower = value.to_ascii_lowercase();
    if PLACEHOLDER_MARKERS
        .iter()
        .any(|m| contains(&lower, m.as_bytes()))
    {
        return true;
    }
    if PLACEHOLDER_WORDS.iter().any(|w| lower == w.as_bytes()) {
        return true;
    }
    if KNOWN_PUBLIC.iter().any(|k| contains(value, k.as_bytes())) {
        return true;
    }
    mostly_one_char(value) || has_sequence(&lower, 8)
}

/// Whether one byte makes up more than half of `value` (`ghp_aaaa...`, `0000...`).
fn mostly_one_char(value: &[u8]) -> bool {
    let mut counts = [0usize; 256];
    for &b in value {
        counts[usize::from(b)] += 1;
    }
    counts
        .iter()
        .any(|&c| c * 2 > value.len() && value.len() >= 4)
}

/// Whether `value` holds a run of `run` consecutive ascending or descending
/// alphanumerics (`12345678`, `abcdefgh`, `87654321`).
fn has_sequence(value: &[u8], run: usize) -> bool {
    let (mut up, mut down) = (1usize, 1usize);
    for w in value.windows(2) {
        let alnum = w[0].is_ascii_alphanumeric() && w[1].is_ascii_alphanumeric();
        up = if alnum && w[1] == w[0].wrapping_add(1) {
            up + 1
        } else {
            1
        };
        down = if alnum && w[1].wrapping_add(1) == w[0] {
            down + 1
        } else {
            1
        };
        if up >= run || down >= run {
            return true;
        }
    }
    false
}

/// Byte-substring search (inputs are short: secrets, not files).
pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_bounds() {
        assert!(shannon(b"").abs() < f64::EPSILON);
        assert!(shannon(b"aaaaaaaa").abs() < f64::EPSILON);
        assert!((shannon(b"ab") - 1.0).abs() < 1e-9);
        assert!((shannon(b"0123456789abcdef") - 4.0).abs() < 1e-9);
    }

    #[test]
    fn placeholders() {
        for p in [
            "${NPM_TOKEN}",
            "<your-token>",
            "AKIAIOSFODNN7EXAMPLE",
            "changeme",
            "xxxxxxxxxxxxxxxx",
            "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "1234567890abcdef",
            "Password",
            "{{ .Values.token }}",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        for s in ["hQ7vK2pL9xR4mN8w", "R4nd0mT0k3nV4lu3Zq8sJk2LmPx9Wy7Bc3Dv"] {
            assert!(!is_placeholder(s.as_bytes()), "{s}");
        }
    }
}
