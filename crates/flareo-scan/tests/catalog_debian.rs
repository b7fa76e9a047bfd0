//! The dpkg cataloger on a real Debian 12 image's files (tests/data/README.md).

use std::path::Path;

use flareo_scan::catalog::{OsRelease, dpkg};

fn data(rel: &str) -> Option<String> {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/debian-12-slim")
            .join(rel),
    )
    .ok()
}

#[test]
fn debian_12_slim_packages() {
    let os = OsRelease::parse(&data("usr/lib/os-release").unwrap());
    assert_eq!(os.distro(), "debian-12");
    let status = data("var/lib/dpkg/status").unwrap();
    let packages = dpkg::packages("var/lib/dpkg/status", &status, &os, |p| {
        data(&format!("usr/share/doc/{p}/copyright"))
    });
    assert_eq!(
        packages.len(),
        status.matches("\nPackage: ").count() + usize::from(status.starts_with("Package: "))
    );
    assert_eq!(packages.len(), 96);
    let login = packages.iter().find(|p| p.name == "login").unwrap();
    assert_eq!(login.version, "1:4.13+dfsg1-1+deb12u2");
    assert_eq!(
        login.source,
        Some(("shadow".into(), "1:4.13+dfsg1-1+deb12u2".into()))
    );
    assert_eq!(
        login.purl,
        "pkg:deb/debian/login@1:4.13+dfsg1-1+deb12u2?arch=amd64&distro=debian-12&upstream=shadow"
    );
    assert!(
        login.licenses.contains(&"BSD-3-clause".to_string()),
        "{:?}",
        login.licenses
    );
    let zlib = packages.iter().find(|p| p.name == "zlib1g").unwrap();
    assert!(!zlib.licenses.is_empty());
    let libc = packages.iter().find(|p| p.name == "libc6").unwrap();
    assert_eq!(libc.source.as_ref().unwrap().0, "glibc");
    assert!(
        packages
            .iter()
            .all(|p| p.location == "var/lib/dpkg/status" && p.purl.starts_with("pkg:deb/debian/"))
    );
}
