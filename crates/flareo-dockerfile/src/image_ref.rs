//! Container image references (`node:20-slim`, `docker.io/library/node@sha256:…`),
//! normalised the way Docker does so `node` and `docker.io/library/node` compare equal.

use std::fmt;

/// A well-formed image reference. Existence means the name is non-empty and
/// lower-case, and any digest is `sha256:` with 64 lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ImageRef {
    /// Fully qualified repository, e.g. `docker.io/library/node`.
    pub repository: String,
    /// Tag, if written.
    pub tag: Option<String>,
    /// `sha256:<hex>`, if written.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parses and normalises a reference; the error says what is malformed.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("empty image reference".to_string());
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                let hex = d
                    .strip_prefix("sha256:")
                    .ok_or_else(|| format!("digest {d:?} is not sha256:<64 hex digits>"))?;
                if hex.len() != 64
                    || !hex
                        .chars()
                        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
                {
                    return Err(format!(
                        "digest {d:?} is not sha256:<64 lower-case hex digits>"
                    ));
                }
                (r, Some(d.to_string()))
            }
            None => (s, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (
                &rest[..last_slash + i],
                Some(rest[last_slash + i + 1..].to_string()),
            ),
            None => (rest, None),
        };
        if let Some(t) = &tag {
            let ok = !t.is_empty()
                && t.len() <= 128
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
                && !t.starts_with(['.', '-']);
            if !ok {
                return Err(format!("tag {t:?} is not a valid image tag"));
            }
        }
        if name.is_empty() {
            return Err(format!("{s:?} has no repository name"));
        }
        let name_ok = name.split('/').enumerate().all(|(i, part)| {
            !part.is_empty()
                && if i == 0 && name.contains('/') {
                    part.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'))
                } else {
                    part.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_')
                    })
                }
        });
        if !name_ok {
            return Err(format!(
                "{name:?} is not a valid repository name (lower-case letters, digits, . _ - and /)"
            ));
        }
        let first = name.split('/').next().unwrap_or_default();
        let has_registry =
            name.contains('/') && (first.contains(['.', ':']) || first == "localhost");
        let repository = if has_registry {
            name.to_string()
        } else if name.contains('/') {
            format!("docker.io/{name}")
        } else {
            format!("docker.io/library/{name}")
        };
        Ok(Self {
            repository,
            tag,
            digest,
        })
    }

    /// The short form people write: `node:20-slim`, `ghcr.io/x/y:1`.
    pub fn familiar(&self) -> String {
        let repo = self
            .repository
            .strip_prefix("docker.io/library/")
            .or_else(|| self.repository.strip_prefix("docker.io/"))
            .unwrap_or(&self.repository);
        let mut out = repo.to_string();
        if let Some(t) = &self.tag {
            out.push(':');
            out.push_str(t);
        }
        if let Some(d) = &self.digest {
            out.push('@');
            out.push_str(d);
        }
        out
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.familiar())
    }
}

#[cfg(test)]
mod tests {
    use super::ImageRef;

    #[test]
    fn normalises_like_docker() {
        let a = ImageRef::parse("node:20-slim").unwrap();
        let b = ImageRef::parse("docker.io/library/node:20-slim").unwrap();
        let c = ImageRef::parse("library/node:20-slim").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.familiar(), "node:20-slim");
        let r = ImageRef::parse("localhost:5000/team/app:1.0").unwrap();
        assert_eq!(r.repository, "localhost:5000/team/app");
        assert_eq!(r.tag.as_deref(), Some("1.0"));
        let d = format!("alpine@sha256:{}", "a".repeat(64));
        assert_eq!(
            ImageRef::parse(&d).unwrap().digest.unwrap(),
            format!("sha256:{}", "a".repeat(64))
        );
    }

    #[test]
    fn rejects_malformed() {
        assert!(ImageRef::parse("Node:20").is_err());
        assert!(ImageRef::parse("node@sha256:abc").is_err());
        assert!(ImageRef::parse("node:").is_err());
        assert!(ImageRef::parse("").is_err());
    }
}
