//! Alpine packages: `lib/apk/db/installed`, one block per package with one-letter
//! keys (`P` name, `V` version, `A` arch, `L` license, `o` origin).

use super::{OsRelease, Package};
use crate::version::Ecosystem;

/// The packages of an apk database.
pub fn packages(location: &str, installed: &str, os: &OsRelease) -> Vec<Package> {
    let distro = os.distro();
    let mut out = Vec::new();
    for block in installed.split("\n\n") {
        let (mut name, mut version, mut arch, mut license, mut origin) = (
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        );
        for line in block.lines() {
            match line.split_once(':') {
                Some(("P", v)) => name = v.to_string(),
                Some(("V", v)) => version = v.to_string(),
                Some(("A", v)) => arch = v.to_string(),
                Some(("L", v)) => license = v.to_string(),
                Some(("o", v)) => origin = v.to_string(),
                _ => {}
            }
        }
        if name.is_empty() || version.is_empty() {
            continue;
        }
        let purl = super::purl::purl(
            "apk",
            Some(if os.id.is_empty() { "alpine" } else { &os.id }),
            &name,
            &version,
            &[("arch", &arch), ("distro", &distro), ("upstream", &origin)],
        );
        let source = if origin.is_empty() {
            name.clone()
        } else {
            origin
        };
        out.push(Package {
            ecosystem: Ecosystem::Alpine,
            source: Some((source, version.clone())),
            dependencies: Vec::new(),
            name,
            version,
            purl,
            licenses: if license.is_empty() {
                Vec::new()
            } else {
                vec![license]
            },
            location: location.to_string(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two entries in apk-tools' installed-database format (checksums, files and
    /// dependencies as apk writes them).
    const INSTALLED: &str = "C:Q1Tv4NA9Hc1anb8FjJx4E3KEk8FvU=\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\nS:407392\nI:667648\n\
T:the musl c library (libc) implementation\nU:https://musl.libc.org/\nL:MIT\no:musl\nm:Natanael Copa <ncopa@alpinelinux.org>\n\
t:1705334466\nc:5e9aca3adb5b3b4e5a0c62bb0b9b3c1f6e6c3f8b\np:so:libc.musl-x86_64.so.1=1\nF:lib\nR:ld-musl-x86_64.so.1\n\n\
C:Q1Ho5yzJP1i3hXGnqYYTNFs1iEgC0=\nP:libcrypto3\nV:3.1.4-r5\nA:x86_64\nL:Apache-2.0\no:openssl\nD:so:libc.musl-x86_64.so.1\n";

    #[test]
    fn installed_database() {
        let os = OsRelease {
            id: "alpine".into(),
            version_id: "3.19.1".into(),
            ..Default::default()
        };
        let p = packages("lib/apk/db/installed", INSTALLED, &os);
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[0].purl,
            "pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1&upstream=musl"
        );
        assert_eq!(p[1].source, Some(("openssl".into(), "3.1.4-r5".into())));
        assert_eq!(p[1].licenses, ["Apache-2.0"]);
    }
}
