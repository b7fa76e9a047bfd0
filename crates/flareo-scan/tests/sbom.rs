//! The CycloneDX SBOM of a real Debian image's packages passes the official
//! CycloneDX 1.6 schema (shared/validators/validate-cyclonedx) and is byte-stable.

use std::path::Path;

use flareo_scan::catalog::image::LayeredPackage;
use flareo_scan::catalog::{OsRelease, dpkg};
use flareo_scan::sbom::{ImageInfo, cyclonedx};

fn data(rel: &str) -> Option<String> {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/debian-12-slim")
            .join(rel),
    )
    .ok()
}

#[test]
fn debian_sbom_validates_and_is_deterministic() {
    let os = OsRelease::parse(&data("usr/lib/os-release").unwrap());
    let packages: Vec<LayeredPackage> = dpkg::packages(
        "var/lib/dpkg/status",
        &data("var/lib/dpkg/status").unwrap(),
        &os,
        |p| data(&format!("usr/share/doc/{p}/copyright")),
    )
    .into_iter()
    .enumerate()
    .map(|(i, package)| LayeredPackage {
        package,
        layer: i % 2,
    })
    .collect();
    let layers = [
        format!("sha256:{}", "1".repeat(64)),
        format!("sha256:{}", "2".repeat(64)),
    ];
    let image = ImageInfo {
        name: "hello",
        digest: &format!("sha256:{}", "ab".repeat(32)),
        tag: "v1.0.0",
        layers: &layers,
    };
    let a = serde_json::to_string_pretty(&cyclonedx(&image, &os, &packages)).unwrap();
    let mut reversed = packages.clone();
    reversed.reverse();
    let b = serde_json::to_string_pretty(&cyclonedx(&image, &os, &reversed)).unwrap();
    assert_eq!(a, b, "byte-stable whatever the cataloging order");
    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert_eq!(
        v["components"].as_array().unwrap().len(),
        97,
        "the OS and 96 packages"
    );
    assert_eq!(
        v["dependencies"][0]["dependsOn"].as_array().unwrap().len(),
        97
    );
    // Read back, it gives the catalog again (what re-evaluation matches on).
    let back = flareo_scan::sbom::read(&v).unwrap();
    let mut sorted = packages.clone();
    sorted.sort_by(|a, b| {
        (&a.package.purl, &a.package.location).cmp(&(&b.package.purl, &b.package.location))
    });
    assert_eq!(back.packages, sorted);
    assert_eq!(
        (back.os.id.as_str(), back.os.version_id.as_str()),
        ("debian", "12")
    );
    assert!(flareo_scan::sbom::read(&serde_json::json!({"bomFormat": "SPDX"})).is_err());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sbom.json");
    std::fs::write(&file, &a).unwrap();
    if let Err(out) =
        flareo_testkit::validate("validate-cyclonedx", &file, &["--spec-version", "1.6"])
    {
        panic!("validate-cyclonedx rejected the SBOM:\n{out}");
    }
}
