//! Package URLs (purl): `pkg:<type>/<namespace>/<name>@<version>?<qualifiers>`,
//! percent-encoded like the peer tools that emit them (syft, trivy): unreserved
//! characters plus `:` and `+` stay as they are, qualifiers sorted by key.

/// Percent-encodes everything but `A-Za-z0-9-._~:+`.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' | b'+' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A purl from its parts; empty qualifier values are left out.
pub fn purl(
    kind: &str,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    qualifiers: &[(&str, &str)],
) -> String {
    let mut out = format!("pkg:{kind}/");
    if let Some(ns) = namespace {
        out.push_str(&ns.split('/').map(encode).collect::<Vec<_>>().join("/"));
        out.push('/');
    }
    out.push_str(&encode(name));
    if !version.is_empty() {
        out.push('@');
        out.push_str(&encode(version));
    }
    let mut q: Vec<&(&str, &str)> = qualifiers.iter().filter(|(_, v)| !v.is_empty()).collect();
    q.sort();
    if !q.is_empty() {
        out.push('?');
        out.push_str(
            &q.iter()
                .map(|(k, v)| format!("{k}={}", encode(v)))
                .collect::<Vec<_>>()
                .join("&"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::purl;

    #[test]
    fn deb_apk_and_scoped_npm() {
        assert_eq!(
            purl(
                "deb",
                Some("debian"),
                "login",
                "1:4.13+dfsg1-1+deb12u2",
                &[
                    ("distro", "debian-12"),
                    ("arch", "amd64"),
                    ("upstream", "shadow")
                ]
            ),
            "pkg:deb/debian/login@1:4.13+dfsg1-1+deb12u2?arch=amd64&distro=debian-12&upstream=shadow"
        );
        assert_eq!(
            purl("npm", Some("@babel"), "core", "7.0.0", &[]),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(
            purl("apk", Some("alpine"), "musl", "1.2.4-r2", &[("arch", "")]),
            "pkg:apk/alpine/musl@1.2.4-r2"
        );
        assert_eq!(purl("pypi", None, "a b", "1", &[]), "pkg:pypi/a%20b@1");
    }
}
