//! Matching the packages of a real Debian 12 image (tests/data/debian-12-slim)
//! against advisories, and the CRITICAL/HIGH gate.

use std::path::Path;

use flareo_scan::catalog::image::LayeredPackage;
use flareo_scan::catalog::{OsRelease, dpkg};
use flareo_scan::matcher::{AdvisoryIndex, gate, match_packages};
use flareo_scan::osv::{Advisory, parse};

fn data(rel: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/debian-12-slim")
            .join(rel),
    )
    .unwrap()
}

fn advisory(
    id: &str,
    aliases: &[&str],
    ecosystem: &str,
    package: &str,
    fixed: &str,
    vector: &str,
) -> Advisory {
    let json = serde_json::json!({
        "id": id,
        "modified": "2026-01-01T00:00:00Z",
        "aliases": aliases,
        "severity": [{"type": "CVSS_V3", "score": vector}],
        "affected": [{
            "package": {"ecosystem": ecosystem, "name": package},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]
        }]
    });
    parse(json.to_string().as_bytes()).unwrap()
}

const CRITICAL: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
const HIGH: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N";
const MEDIUM: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N";

fn packages() -> (Vec<LayeredPackage>, OsRelease) {
    let os = OsRelease::parse(&data("usr/lib/os-release"));
    let packages = dpkg::packages(
        "var/lib/dpkg/status",
        &data("var/lib/dpkg/status"),
        &os,
        |_| None,
    )
    .into_iter()
    .map(|package| LayeredPackage { package, layer: 0 })
    .collect();
    (packages, os)
}

#[test]
fn source_packages_releases_aliases_and_the_gate() {
    let (packages, os) = packages();
    let advisories = vec![
        // shadow (login, passwd) is installed at 1:4.13+dfsg1-1+deb12u2: affected.
        advisory(
            "DSA-9001-1",
            &["CVE-2099-0001"],
            "Debian:12",
            "shadow",
            "1:4.13+dfsg1-1+deb12u3",
            CRITICAL,
        ),
        advisory(
            "DEBIAN-CVE-2099-0001",
            &["CVE-2099-0001"],
            "Debian:12",
            "shadow",
            "1:4.13+dfsg1-1+deb12u3",
            HIGH,
        ),
        // Debian 11's advisory does not apply to Debian 12.
        advisory(
            "DSA-9002-1",
            &["CVE-2099-0002"],
            "Debian:11",
            "shadow",
            "1:9",
            CRITICAL,
        ),
        // Already fixed in the installed version.
        advisory(
            "DSA-9003-1",
            &["CVE-2099-0003"],
            "Debian:12",
            "shadow",
            "1:4.13+dfsg1-1+deb12u1",
            CRITICAL,
        ),
        // A medium one in zlib.
        advisory(
            "DSA-9004-1",
            &["CVE-2099-0004"],
            "Debian:12",
            "zlib",
            "1:99",
            MEDIUM,
        ),
        // Another ecosystem never matches Debian packages.
        advisory(
            "GHSA-xxxx-yyyy-zzzz",
            &[],
            "npm",
            "shadow",
            "9.9.9",
            CRITICAL,
        ),
    ];
    let index = AdvisoryIndex::new(&advisories);
    let findings = match_packages(&index, &packages, &os);
    let summary: Vec<(String, String, String)> = findings
        .iter()
        .map(|f| {
            (
                f.finding.id.clone(),
                f.installed.clone(),
                f.finding.severity.as_str().to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("CVE-2099-0001".into(), "login".into(), "CRITICAL".into()),
            ("CVE-2099-0001".into(), "passwd".into(), "CRITICAL".into()),
            ("CVE-2099-0004".into(), "zlib1g".into(), "MEDIUM".into()),
        ],
        "two advisories of one CVE merge; both binary packages of shadow are reported"
    );
    let login = &findings[0];
    assert_eq!(
        login.finding.advisories,
        ["DEBIAN-CVE-2099-0001", "DSA-9001-1"]
    );
    assert_eq!(
        login.finding.fixed.as_deref(),
        Some("1:4.13+dfsg1-1+deb12u3")
    );
    assert!(login.purl.starts_with("pkg:deb/debian/login@"));
    assert_eq!(
        gate(&findings).unwrap_err(),
        "Trivy found CRITICAL CVEs: CVE-2099-0001 in login, CVE-2099-0001 in passwd"
    );
    assert!(gate(&findings[2..]).is_ok(), "MEDIUM passes the gate");
}

#[test]
fn a_large_database_is_indexed() {
    let (packages, os) = packages();
    let advisories: Vec<Advisory> = (0..2000)
        .map(|i| {
            advisory(
                &format!("DSA-{i}"),
                &[],
                "Debian:12",
                &format!("pkg{i}"),
                "1.0",
                HIGH,
            )
        })
        .collect();
    let index = AdvisoryIndex::new(&advisories);
    assert_eq!(index.len(), 2000);
    assert!(match_packages(&index, &packages, &os).is_empty());
}
