//! The secret rule table (codes `SEC001`..) and the per-rule checks that run on a
//! regex match: entropy, placeholders, PEM bodies, base64 `user:password` pairs,
//! JWT headers. Patterns are our own, modelled on the formats gitleaks knows.

use regex::bytes::Captures;

use super::entropy::{contains, is_placeholder, shannon};

/// One detection rule. Rules are static; [`super::rules`] lists them all.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    /// Stable code, `SEC` and three digits; never reused for another rule.
    pub code: &'static str,
    /// Short kebab-case name (`aws-access-key-id`).
    pub id: &'static str,
    /// What a hit is, as a report shows it.
    pub description: &'static str,
    /// Lower-case literals, at least one of which every hit contains (compared
    /// case-insensitively): the prefilter that decides whether the rule runs.
    pub keywords: &'static [&'static str],
    /// Least Shannon entropy (bits per byte) of the secret part for a hit; 0 for
    /// none. PEM rules measure the decoded-to-base64 body, not the raw text.
    pub min_entropy: f64,
    /// The pattern, `(?P<secret>...)` naming the secret part (bytes, ASCII mode).
    pub(crate) pattern: &'static str,
    /// The check a match must pass.
    pub(crate) check: Check,
    /// Overlap priority: when two hits share bytes the lower rank is kept
    /// (service-account JSON over the PEM inside it, a GitHub token over the
    /// URL or `token=` assignment that holds it).
    pub(crate) rank: u8,
}

/// What a match must satisfy beyond the pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// Not a placeholder, and at least the rule's entropy.
    Plain,
    /// A PEM block whose body is base64 of sufficient length and entropy.
    Pem,
    /// A `private_key` value holding a PEM key, in a file that says
    /// `"type": "service_account"`.
    Gcp,
    /// `_authToken` anywhere; `_auth` and `_password` only in a file named `*npmrc`.
    Npmrc,
    /// A docker `config.json` (`"auths"`) entry: `auth` decoding to
    /// `user:password`, or an `identitytoken`.
    DockerAuth,
    /// `scheme://user:password@host`, host not an example domain; in a
    /// `.git-credentials` file any non-placeholder password counts.
    UrlCredentials,
    /// A JWT whose header decodes to a JSON object naming `alg`.
    Jwt,
    /// `password=`/`secret=`/`token=`: entropy, letters and digits, not a path.
    Generic,
}

/// A rule that accepted a match: the description to report and the redacted form.
pub(crate) struct Accepted {
    pub(crate) description: String,
    pub(crate) redacted: String,
}

/// What a check may look at besides the match.
pub(crate) struct Ctx<'a> {
    /// The path, normalised (no leading `/` or `./`).
    pub(crate) path: &'a str,
    /// The scanned text (capped).
    pub(crate) text: &'a [u8],
}

/// The rules, in code order.
pub(crate) static RULES: [Rule; 18] = [
    Rule {
        code: "SEC001",
        id: "private-key",
        description: "PEM private key",
        keywords: &["private key"],
        min_entropy: 4.0,
        pattern: r"-----BEGIN (?P<kind>(?:[A-Z0-9]+ ){0,2})PRIVATE KEY(?: BLOCK)?-----(?P<secret>(?:[^-]|-[^-]){40,}?)-----END (?:[A-Z0-9]+ ){0,2}PRIVATE KEY(?: BLOCK)?-----",
        check: Check::Pem,
        rank: 1,
    },
    Rule {
        code: "SEC002",
        id: "aws-access-key-id",
        description: "AWS access key id",
        keywords: &["akia", "asia", "abia", "acca", "a3t"],
        min_entropy: 3.0,
        pattern: r"\b(?P<secret>(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b",
        check: Check::Plain,
        rank: 1,
    },
    Rule {
        code: "SEC003",
        id: "aws-secret-access-key",
        description: "AWS secret access key",
        keywords: &["awssecret", "aws_secret", "secretaccess", "secret_access"],
        min_entropy: 4.0,
        pattern: concat!(
            r"(?i)(?:aws_?secret_?(?:access_?)?key|secret_?access_?key)",
            r#"["']?[ \t]*(?::=|=>|=|:)[ \t]*["']?"#,
            r"(?P<secret>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"
        ),
        check: Check::Plain,
        rank: 1,
    },
    Rule {
        code: "SEC004",
        id: "gcp-service-account",
        description: "GCP service-account key (JSON)",
        keywords: &["service_account"],
        min_entropy: 4.0,
        pattern: r#""private_key"[ \t]*:[ \t]*"(?P<secret>[^"]{64,})""#,
        check: Check::Gcp,
        rank: 0,
    },
    Rule {
        code: "SEC005",
        id: "azure-storage-connection-string",
        description: "Azure storage or service-bus connection string key",
        keywords: &["accountkey=", "sharedaccesskey="],
        min_entropy: 4.0,
        pattern: r#"(?i)(?:AccountName=[^;\s"']+;[ \t]*AccountKey|SharedAccessKeyName=[^;\s"']+;[ \t]*SharedAccessKey)=(?P<secret>[A-Za-z0-9+/]{40,100}={0,2})"#,
        check: Check::Plain,
        rank: 1,
    },
    Rule {
        code: "SEC006",
        id: "github-token",
        description: "GitHub token",
        keywords: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        min_entropy: 3.5,
        pattern: r"\b(?P<secret>gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{82})\b",
        check: Check::Plain,
        rank: 1,
    },
    Rule {
        code: "SEC007",
        id: "gitlab-token",
        description: "GitLab personal access token",
        keywords: &["glpat-"],
        min_entropy: 3.5,
        pattern: r"\b(?P<secret>glpat-[A-Za-z0-9_-]{20,})",
        check: Check::Plain,
        rank: 1,
    },
    Rule {
        code: "SEC008",
        id: "slack-token",
        description: "Slack token",
        keywords: &["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"],
        min_entropy: 3.5,
        pattern: r"\b(?P<secret>xox[baprs]-[A-Za-z0-9-]{20,})",
        check: Check::Plain,
        rank: 1,
    },
    Rule {
        code: "SEC009",
        id: "slack-webhook",
        description: "Slack incoming-webhook URL",
        keywords: &["hooks.slack.com"],
        min_entropy: 3.5,
        pattern: r"https://hooks\.slack\.com/(?:services|workflows)/(?P<secret>T[A-Z0-9_]{8,12}/[AB][A-Z0-9_]{8,12}/[A-Za-z0-9_]{24})",
        check: Check::Plain,
        rank: 1,
    },
    Rule {
        code: "SEC010",
        id: "stripe-live-key",
        description: "Stripe live secret or restricted key",
        keywords: &["sk_live_", "rk_live_"],
        min_entropy: 3.5,
        pattern: r"\b(?P<secret>[sr]k_live_[A-Za-z0-9]{24,})\b",
        check: Check::Plain,
        rank: 1,
    },
    Rule {
        code: "SEC011",
        id: "google-api-key",
        description: "Google API key",
        keywords: &["aiza"],
        min_entropy: 3.5,
        pattern: r"\b(?P<secret>AIza[0-9A-Za-z_-]{35})(?:[^0-9A-Za-z_-]|$)",
        check: Check::Plain,
        rank: 1,
    },
    Rule {
        code: "SEC012",
        id: "npm-token",
        description: "npm access token",
        keywords: &["npm_"],
        min_entropy: 3.5,
        pattern: r"\b(?P<secret>npm_[A-Za-z0-9]{36})\b",
        check: Check::Plain,
        rank: 1,
    },
    Rule {
        code: "SEC013",
        id: "pypi-token",
        description: "PyPI upload token",
        keywords: &["pypi-ag"],
        min_entropy: 3.5,
        pattern: r"\b(?P<secret>pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,})",
        check: Check::Plain,
        rank: 1,
    },
    Rule {
        code: "SEC014",
        id: "npmrc-auth",
        description: "npm registry credential (.npmrc)",
        keywords: &["_auth", "_password"],
        min_entropy: 3.0,
        pattern: r#"(?P<key>_authToken|_auth|_password)[ \t]*=[ \t]*["']?(?P<secret>[^\s"']{8,})"#,
        check: Check::Npmrc,
        rank: 2,
    },
    Rule {
        code: "SEC015",
        id: "docker-config-auth",
        description: "registry credential in a docker config.json",
        keywords: &["\"auths\""],
        min_entropy: 3.5,
        pattern: r#""(?P<key>auth|identitytoken)"[ \t]*:[ \t]*"(?P<secret>[^"\s]{8,})""#,
        check: Check::DockerAuth,
        rank: 2,
    },
    Rule {
        code: "SEC016",
        id: "url-credentials",
        description: "password in a URL",
        keywords: &["://"],
        min_entropy: 2.5,
        pattern: r"\b[A-Za-z][A-Za-z0-9+.-]{1,15}://[A-Za-z0-9._~%+-]{1,64}:(?P<secret>[A-Za-z0-9._~%!&*+,;=-]{3,128})@(?P<host>[A-Za-z0-9.-]{1,253})",
        check: Check::UrlCredentials,
        rank: 2,
    },
    Rule {
        code: "SEC017",
        id: "jwt",
        description: "JSON web token",
        keywords: &["eyj"],
        min_entropy: 3.5,
        pattern: r"\b(?P<secret>eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,})",
        check: Check::Jwt,
        rank: 2,
    },
    Rule {
        code: "SEC018",
        id: "generic-secret-assignment",
        description: "high-entropy value assigned to a password, secret or token",
        keywords: &[
            "password",
            "passwd",
            "pwd",
            "secret",
            "token",
            "apikey",
            "api_key",
            "api-key",
            "accesskey",
            "access_key",
            "access-key",
            "authkey",
            "auth_key",
            "auth-key",
        ],
        min_entropy: 3.5,
        pattern: concat!(
            r"(?i)(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|auth[_-]?key)",
            r"[A-Za-z0-9_.-]{0,16}",
            r#"["']?[ \t]*(?::=|=>|=|:)[ \t]*["']?"#,
            r#"(?P<secret>[^\s"'`;,<>(){}\[\]\\]{10,200})"#
        ),
        check: Check::Generic,
        rank: 3,
    },
];

impl Rule {
    /// Runs the rule's check on one match; `Some` when it is a hit.
    pub(crate) fn accept(&self, ctx: &Ctx<'_>, caps: &Captures<'_>) -> Option<Accepted> {
        let secret = caps.name("secret")?.as_bytes();
        let plain = |description: String| {
            plausible(secret, self.min_entropy).then(|| Accepted {
                description,
                redacted: redact(secret),
            })
        };
        match self.check {
            Check::Plain => plain(self.description.to_string()),
            Check::Pem => {
                let body = pem_body(secret)?;
                if !plausible(&body, self.min_entropy) {
                    return None;
                }
                let kind = caps.name("kind").map_or(&b""[..], |k| k.as_bytes());
                Some(Accepted {
                    description: pem_description(kind, secret, &body),
                    redacted: redact(&body),
                })
            }
            Check::Gcp => {
                if !has_service_account_type(ctx.text) {
                    return None;
                }
                let begin = find(secret, b"PRIVATE KEY-----")? + b"PRIVATE KEY-----".len();
                let end = begin + find(&secret[begin..], b"-----END")?;
                let body = pem_body(&secret[begin..end])?;
                plausible(&body, self.min_entropy).then(|| Accepted {
                    description: self.description.to_string(),
                    redacted: redact(&body),
                })
            }
            Check::Npmrc => {
                let key = caps.name("key")?.as_bytes();
                if key != b"_authToken" && !file_name(ctx.path).ends_with("npmrc") {
                    return None;
                }
                plain(self.description.to_string())
            }
            Check::DockerAuth => {
                if !contains(ctx.text, b"\"auths\"") {
                    return None;
                }
                if caps.name("key")?.as_bytes() == b"identitytoken" {
                    return plain(format!("{} (identity token)", self.description));
                }
                let decoded = base64_decode(secret)?;
                let colon = decoded.iter().position(|&b| b == b':')?;
                let (user, password) = (&decoded[..colon], &decoded[colon + 1..]);
                let printable = |s: &[u8]| s.iter().all(|b| b.is_ascii_graphic() || *b >= 0x80);
                (!user.is_empty()
                    && !password.is_empty()
                    && printable(&decoded)
                    && !is_placeholder(password))
                .then(|| Accepted {
                    description: self.description.to_string(),
                    redacted: redact(secret),
                })
            }
            Check::UrlCredentials => {
                let host = String::from_utf8_lossy(caps.name("host")?.as_bytes());
                if is_example_host(&host) {
                    return None;
                }
                if file_name(ctx.path) == ".git-credentials" {
                    return (!is_placeholder(secret)).then(|| Accepted {
                        description: format!("{} (.git-credentials)", self.description),
                        redacted: redact(secret),
                    });
                }
                if secret.len() < 6 {
                    return None;
                }
                plain(self.description.to_string())
            }
            Check::Jwt => {
                let mut parts = secret.split(|&b| b == b'.');
                let header = base64_decode(parts.next()?)?;
                let payload = base64_decode(parts.next()?)?;
                let json_object = |s: &[u8]| s.trim_ascii_start().first() == Some(&b'{');
                if !json_object(&header) || !contains(&header, b"\"alg\"") || !json_object(&payload)
                {
                    return None;
                }
                plain(self.description.to_string())
            }
            Check::Generic => {
                let path_like = secret.starts_with(b"/")
                    || secret.starts_with(b"./")
                    || secret.starts_with(b"../")
                    || secret.starts_with(b"~/")
                    || contains(secret, b"://");
                let digit = secret.iter().any(u8::is_ascii_digit);
                let letter = secret.iter().any(u8::is_ascii_alphabetic);
                // Code, not a value: `$pwd = Win32::GetCwd();` (perl's Cwd.pm in
                // Debian), `token = self.parse(...)`, `secret = obj->key`.
                let end = caps.name("secret").map_or(0, |m| m.end());
                let called = ctx.text.get(end) == Some(&b'(');
                let code = contains(secret, b"::") || contains(secret, b"->") || called;
                if path_like || code || !digit || !letter {
                    return None;
                }
                plain(self.description.to_string())
            }
        }
    }
}

/// Not a placeholder and at least `min_entropy` bits per byte.
fn plausible(secret: &[u8], min_entropy: f64) -> bool {
    !is_placeholder(secret) && shannon(secret) >= min_entropy
}

/// The redacted form of a secret: its first four characters when it is long
/// enough (20+) for that to leave it secret, then `…` and its length.
pub(crate) fn redact(secret: &[u8]) -> String {
    let n = secret.len();
    let shown = if n >= 20 && secret[..4].iter().all(u8::is_ascii_graphic) {
        String::from_utf8_lossy(&secret[..4]).into_owned()
    } else {
        String::new()
    };
    format!("{shown}…({n} chars)")
}

/// The base64 payload of a PEM body, or `None` when it is not one: header
/// lines (`Proc-Type:`, `Version:`) and a PGP checksum line are dropped, line
/// breaks may be real or JSON-escaped (`\n`), anything else must be base64 and
/// there must be at least 50 characters of it. Text between a header string and
/// an end string in source code, `...` ellipses and `<redacted>` all fail here.
fn pem_body(raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut line: Vec<u8> = Vec::new();
    let mut flush = |line: &mut Vec<u8>| -> Option<()> {
        let l = line.trim_ascii();
        let skip = l.is_empty() || l.contains(&b':') || (l.starts_with(b"=") && l.len() <= 5);
        if !skip {
            if !l
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
            {
                return None;
            }
            out.extend_from_slice(l);
        }
        line.clear();
        Some(())
    };
    let mut i = 0;
    while i < raw.len() {
        match (raw[i], raw.get(i + 1)) {
            (b'\\', Some(b'n' | b'r')) => {
                flush(&mut line)?;
                i += 2;
            }
            (b'\\', Some(b'/')) => {
                line.push(b'/');
                i += 2;
            }
            (b'\n' | b'\r', _) => {
                flush(&mut line)?;
                i += 1;
            }
            (b, _) => {
                line.push(b);
                i += 1;
            }
        }
    }
    flush(&mut line)?;
    (out.len() >= 50).then_some(out)
}

fn pem_description(kind: &[u8], raw: &[u8], body: &[u8]) -> String {
    let kind = kind.trim_ascii();
    let encrypted =
        kind == b"ENCRYPTED" || contains(raw, b"ENCRYPTED") || openssh_encrypted(kind, body);
    let name = match kind {
        b"" => "PKCS#8 private key",
        b"ENCRYPTED" => "PKCS#8 private key",
        b"RSA" => "RSA private key",
        b"EC" => "EC private key",
        b"DSA" => "DSA private key",
        b"OPENSSH" => "OpenSSH private key",
        b"PGP" => "PGP private key block",
        _ => "PEM private key",
    };
    if encrypted {
        format!("encrypted {name} (passphrase protected, still a baked-in key)")
    } else {
        name.to_string()
    }
}

/// Whether an `OPENSSH PRIVATE KEY` body names a cipher other than `none`.
fn openssh_encrypted(kind: &[u8], body: &[u8]) -> bool {
    const MAGIC: &[u8] = b"openssh-key-v1\0";
    if kind != b"OPENSSH" {
        return false;
    }
    let Some(decoded) = base64_decode(body) else {
        return false;
    };
    let Some(rest) = decoded.strip_prefix(MAGIC) else {
        return false;
    };
    let Some(len) = rest.get(..4) else {
        return false;
    };
    let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
    rest.get(4..4 + len.min(64)).is_some_and(|c| c != b"none")
}

fn has_service_account_type(text: &[u8]) -> bool {
    let mut from = 0;
    while let Some(at) = find(&text[from..], b"\"type\"") {
        let rest = &text[from + at + 6..];
        let rest = rest.trim_ascii_start();
        if let Some(rest) = rest.strip_prefix(b":")
            && rest.trim_ascii_start().starts_with(b"\"service_account\"")
        {
            return true;
        }
        from += at + 6;
    }
    false
}

fn is_example_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    ["example.com", "example.org", "example.net", "example"]
        .iter()
        .any(|e| host == *e || host.ends_with(&format!(".{e}")))
        || [
            "host",
            "hostname",
            "server",
            "domain",
            "your-host",
            "myhost",
        ]
        .contains(&host)
}

/// The last path segment.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Decodes standard or URL-safe base64, padded or not; `None` on other bytes.
pub(crate) fn base64_decode(input: &[u8]) -> Option<Vec<u8>> {
    let input = input
        .strip_suffix(b"==")
        .or_else(|| input.strip_suffix(b"="))
        .unwrap_or(input);
    if input.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in input {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        assert_eq!(
            base64_decode(b"dXNlcjpwYXNz").as_deref(),
            Some(&b"user:pass"[..])
        );
        assert_eq!(
            base64_decode(b"dXNlcjpwYXNzMQ==").as_deref(),
            Some(&b"user:pass1"[..])
        );
        assert_eq!(
            base64_decode(b"eyJhbGciOiJIUzI1NiJ9").as_deref(),
            Some(&br#"{"alg":"HS256"}"#[..])
        );
        assert_eq!(base64_decode(b"not base64!"), None);
    }

    #[test]
    fn redaction_hides_short_secrets_entirely() {
        assert_eq!(redact(b"hunter2"), "…(7 chars)");
        assert_eq!(
            redact(b"ghp_0123456789012345678901234567890123"),
            "ghp_…(38 chars)"
        );
    }
}
