//! Debian packages: `var/lib/dpkg/status` (and `var/lib/dpkg/status.d/*` in
//! distroless-style images), with licenses from the machine-readable
//! `usr/share/doc/<package>/copyright` files where the image kept them. Debian's
//! advisories name *source* packages, so each package records its source.

use super::{OsRelease, Package};
use crate::version::Ecosystem;

/// One stanza's fields that Flareo uses.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stanza {
    package: String,
    version: String,
    architecture: String,
    source: Option<(String, Option<String>)>,
    installed: bool,
}

fn stanzas(text: &str) -> Vec<Stanza> {
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let mut s = Stanza {
            package: String::new(),
            version: String::new(),
            architecture: String::new(),
            source: None,
            // status.d files carry no Status field: what is there is installed.
            installed: true,
        };
        for line in block.lines() {
            if line.starts_with([' ', '\t']) {
                continue; // continuation of a multi-line field
            }
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match key {
                "Package" => s.package = value.to_string(),
                "Version" => s.version = value.to_string(),
                "Architecture" => s.architecture = value.to_string(),
                "Status" => s.installed = value.ends_with(" installed"),
                "Source" => {
                    let (name, version) = match value.split_once(' ') {
                        Some((n, v)) => (n, Some(v.trim_matches(['(', ')', ' ']).to_string())),
                        None => (value, None),
                    };
                    s.source = Some((name.to_string(), version));
                }
                _ => {}
            }
        }
        if !s.package.is_empty() && !s.version.is_empty() && s.installed {
            out.push(s);
        }
    }
    out
}

/// The `License:` short names of a DEP-5 copyright file, deduplicated and sorted;
/// empty when the file is not machine-readable.
pub fn copyright_licenses(text: &str) -> Vec<String> {
    if !text.starts_with("Format:") {
        return Vec::new();
    }
    let mut out: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("License:"))
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The packages a status file lists as installed. `copyright(package)` returns
/// the package's copyright file, when the image has it.
pub fn packages(
    location: &str,
    status: &str,
    os: &OsRelease,
    copyright: impl Fn(&str) -> Option<String>,
) -> Vec<Package> {
    let distro = os.distro();
    stanzas(status)
        .into_iter()
        .map(|s| {
            let source_name = s
                .source
                .as_ref()
                .map(|(n, _)| n.as_str())
                .unwrap_or_default();
            let purl = super::purl::purl(
                "deb",
                Some(if os.id.is_empty() { "debian" } else { &os.id }),
                &s.package,
                &s.version,
                &[
                    ("arch", &s.architecture),
                    ("distro", &distro),
                    ("upstream", source_name),
                ],
            );
            let licenses = copyright(&s.package)
                .map(|t| copyright_licenses(&t))
                .unwrap_or_default();
            let (source, source_version) = match s.source {
                Some((name, version)) => (name, version.unwrap_or_else(|| s.version.clone())),
                None => (s.package.clone(), s.version.clone()),
            };
            Package {
                ecosystem: Ecosystem::Debian,
                name: s.package,
                version: s.version,
                purl,
                licenses,
                location: location.to_string(),
                source: Some((source, source_version)),
                dependencies: Vec::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stanzas_keep_installed_and_sources() {
        let text = "Package: a\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\nDescription: x\n more\n\n\
                    Package: b\nStatus: deinstall ok config-files\nVersion: 2\n\n\
                    Package: c\nStatus: install ok installed\nSource: cc (3.0-2)\nVersion: 3.0-2+b1\nArchitecture: all\n";
        let s = stanzas(text);
        assert_eq!(s.len(), 2, "config-files remnants are not installed");
        assert_eq!(s[1].source, Some(("cc".into(), Some("3.0-2".into()))));
        let os = OsRelease {
            id: "debian".into(),
            version_id: "12".into(),
            ..Default::default()
        };
        let p = packages("var/lib/dpkg/status", text, &os, |_| None);
        assert_eq!(p[0].source, Some(("a".into(), "1.0-1".into())));
        assert_eq!(p[1].source, Some(("cc".into(), "3.0-2".into())));
        assert_eq!(
            p[1].purl,
            "pkg:deb/debian/c@3.0-2+b1?arch=all&distro=debian-12&upstream=cc"
        );
    }

    #[test]
    fn non_dep5_copyright_gives_no_license() {
        assert!(
            copyright_licenses("This package was debianized by ...\nLicense: GPL\n").is_empty()
        );
        assert_eq!(
            copyright_licenses(
                "Format: https://x\n\nFiles: *\nLicense: GPL-2+\n\nLicense: GPL-2+\n text\nLicense: MIT\n"
            ),
            ["GPL-2+", "MIT"]
        );
    }
}
