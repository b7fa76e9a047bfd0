//! `etc/os-release` (or `usr/lib/os-release`): which distribution and release an
//! image is, for purl `distro` qualifiers and OSV ecosystem releases.

/// The fields Flareo uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsRelease {
    /// `ID` (`debian`, `alpine`).
    pub id: String,
    /// `VERSION_ID` (`12`, `3.19.1`).
    pub version_id: String,
    /// `VERSION_CODENAME` (`bookworm`), when present.
    pub codename: Option<String>,
    /// `PRETTY_NAME`.
    pub pretty_name: String,
}

impl OsRelease {
    /// Parses the shell-style `KEY=value` lines (quotes and `\` escapes removed).
    pub fn parse(text: &str) -> Self {
        let mut os = OsRelease::default();
        for line in text.lines() {
            let Some((key, value)) = line.trim().split_once('=') else {
                continue;
            };
            let value = unquote(value.trim());
            match key.trim() {
                "ID" => os.id = value,
                "VERSION_ID" => os.version_id = value,
                "VERSION_CODENAME" if !value.is_empty() => os.codename = Some(value),
                "PRETTY_NAME" => os.pretty_name = value,
                _ => {}
            }
        }
        os
    }

    /// The purl `distro` qualifier: `debian-12`, `alpine-3.19.1`.
    pub fn distro(&self) -> String {
        format!("{}-{}", self.id, self.version_id)
    }

    /// The OSV ecosystem release: `12` for Debian, `v3.19` for Alpine.
    pub fn osv_release(&self) -> String {
        match self.id.as_str() {
            "alpine" => {
                let mut parts = self.version_id.split('.');
                match (parts.next(), parts.next()) {
                    (Some(a), Some(b)) => format!("v{a}.{b}"),
                    _ => format!("v{}", self.version_id),
                }
            }
            _ => self
                .version_id
                .split('.')
                .next()
                .unwrap_or_default()
                .to_string(),
        }
    }
}

fn unquote(v: &str) -> String {
    let inner = v
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
        .unwrap_or(v);
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::OsRelease;

    #[test]
    fn debian_and_alpine() {
        let d = OsRelease::parse(
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
        );
        assert_eq!((d.id.as_str(), d.version_id.as_str()), ("debian", "12"));
        assert_eq!(d.distro(), "debian-12");
        assert_eq!(d.osv_release(), "12");
        assert_eq!(d.codename.as_deref(), Some("bookworm"));
        let a = OsRelease::parse(
            "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME='Alpine Linux v3.19'\n",
        );
        assert_eq!(a.distro(), "alpine-3.19.1");
        assert_eq!(a.osv_release(), "v3.19");
        assert_eq!(a.pretty_name, "Alpine Linux v3.19");
    }
}
