//! Go build information, `cargo auditable` data and Cargo.lock, on binaries built
//! here from tests/data/go-hello and tests/data/rust-counter (flareo-testkit's
//! fixtures): packages with their purls, dependencies, file and layer; a later layer
//! that replaces or deletes a binary takes its packages away; the SBOM with the
//! dependency graph passes the CycloneDX 1.6 schema.

use std::path::Path;

use flareo_scan::catalog::image::{LayeredPackage, catalog, wanted};
use flareo_scan::layers::scan_image;

fn data(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// A tar layer of (path, content, mode) files.
fn layer(files: &[(&str, &[u8], u32)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, content, mode) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(content.len() as u64);
        h.set_mode(*mode);
        b.append_data(&mut h, path, *content).unwrap();
    }
    b.into_inner().unwrap()
}

fn purls(packages: &[LayeredPackage]) -> Vec<(String, String, usize)> {
    packages
        .iter()
        .map(|p| (p.package.purl.clone(), p.package.location.clone(), p.layer))
        .collect()
}

struct Binaries {
    go: Vec<u8>,
    rust: Vec<u8>,
    lock: Vec<u8>,
}

fn binaries() -> Binaries {
    let go = flareo_testkit::fixtures::go_binary(&data("go-hello"));
    let rust = flareo_testkit::fixtures::auditable_binary(&data("rust-counter"), "counter");
    Binaries {
        go: std::fs::read(go).unwrap(),
        rust: std::fs::read(rust).unwrap(),
        lock: std::fs::read(data("rust-counter/Cargo.lock")).unwrap(),
    }
}

#[test]
fn go_and_rust_binaries_and_lock_files() {
    let b = binaries();
    let base = layer(&[("etc/motd", b"hi\n", 0o644)]);
    let apps = layer(&[
        ("usr/local/bin/hello", &b.go, 0o755),
        ("usr/local/bin/counter", &b.rust, 0o755),
        ("srv/counter/Cargo.lock", &b.lock, 0o644),
    ]);
    let (files, secrets) = scan_image(&[&base, &apps], wanted).unwrap();
    assert!(secrets.is_empty(), "{secrets:?}");
    let packages = catalog(&files);
    let go_version = {
        let out = std::process::Command::new("go")
            .arg("env")
            .arg("GOVERSION")
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let stdlib = format!(
        "pkg:golang/stdlib@{}",
        flareo_scan::catalog::golang::stdlib_version(&go_version)
    );
    let mut expected = vec![
        ("pkg:cargo/itoa@1.0.19", "srv/counter/Cargo.lock"),
        ("pkg:cargo/itoa@1.0.19", "usr/local/bin/counter"),
        ("pkg:cargo/semver@1.0.28", "srv/counter/Cargo.lock"),
        ("pkg:cargo/semver@1.0.28", "usr/local/bin/counter"),
        (
            "pkg:golang/example.com/hello@%28devel%29",
            "usr/local/bin/hello",
        ),
        (
            "pkg:golang/github.com/example/greeting@v1.2.3",
            "usr/local/bin/hello",
        ),
        (stdlib.as_str(), "usr/local/bin/hello"),
    ];
    expected.sort();
    let found = purls(&packages);
    let found: Vec<(&str, &str)> = found
        .iter()
        .map(|(p, l, layer)| {
            assert_eq!(*layer, 1, "{p} is from the second layer");
            (p.as_str(), l.as_str())
        })
        .collect();
    assert_eq!(found, expected);
    let main = packages
        .iter()
        .find(|p| p.package.name == "example.com/hello")
        .unwrap();
    assert_eq!(
        main.package.dependencies,
        [
            "pkg:golang/github.com/example/greeting@v1.2.3",
            stdlib.as_str()
        ]
    );
    assert!(
        packages
            .iter()
            .filter(|p| p.package.ecosystem == flareo_scan::version::Ecosystem::CratesIo)
            .all(|p| p.package.dependencies.is_empty()),
        "itoa and semver depend on nothing"
    );
}

#[test]
fn replaced_or_deleted_binaries_lose_their_packages() {
    let b = binaries();
    let apps = layer(&[
        ("usr/local/bin/hello", &b.go, 0o755),
        ("usr/local/bin/counter", &b.rust, 0o755),
    ]);
    let later = layer(&[
        ("usr/local/bin/hello", b"#!/bin/sh\necho replaced\n", 0o755),
        ("usr/local/bin/.wh.counter", b"", 0o644),
    ]);
    let (files, _) = scan_image(&[&apps, &later], wanted).unwrap();
    assert!(catalog(&files).is_empty(), "{:?}", purls(&catalog(&files)));
    // A copy in a later layer is found at its new path, in that layer.
    let moved = layer(&[("opt/hello", &b.go, 0o755)]);
    let (files, _) = scan_image(&[&apps, &later, &moved], wanted).unwrap();
    let found = purls(&catalog(&files));
    assert!(
        found
            .iter()
            .all(|(_, l, layer)| l == "opt/hello" && *layer == 2),
        "{found:?}"
    );
    assert_eq!(found.len(), 3, "{found:?}");
}

#[test]
fn sbom_with_dependencies_validates() {
    let b = binaries();
    let apps = layer(&[
        ("usr/local/bin/hello", &b.go, 0o755),
        ("srv/counter/Cargo.lock", &b.lock, 0o644),
    ]);
    let (files, _) = scan_image(&[&apps], wanted).unwrap();
    let packages = catalog(&files);
    let layers = ["sha256:".to_string() + &"a".repeat(64)];
    let image = flareo_scan::sbom::ImageInfo {
        name: "apps",
        digest: &format!("sha256:{}", "b".repeat(64)),
        tag: "v1",
        layers: &layers,
    };
    let sbom = flareo_scan::sbom::cyclonedx(&image, &Default::default(), &packages);
    let deps = sbom["dependencies"].as_array().unwrap();
    let main = deps
        .iter()
        .find(|d| d["ref"] == "pkg:golang/example.com/hello@%28devel%29")
        .expect("the Go main module's dependencies");
    assert!(
        main["dependsOn"]
            .as_array()
            .unwrap()
            .contains(&"pkg:golang/github.com/example/greeting@v1.2.3".into()),
        "{main}"
    );
    let back = flareo_scan::sbom::read(&sbom).unwrap();
    assert_eq!(back.packages, packages, "read back with dependencies");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sbom.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&sbom).unwrap()).unwrap();
    if let Err(out) =
        flareo_testkit::validate("validate-cyclonedx", &file, &["--spec-version", "1.6"])
    {
        panic!("validate-cyclonedx rejected the SBOM:\n{out}");
    }
}
