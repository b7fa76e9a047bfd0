//! The npm cataloger on real npm output (tests/data/npm): with the node_modules
//! tree in the image, the installed manifests tell what is there (the lock also
//! lists what a production install leaves out); a lock alone gives its packages.

use flareo_scan::catalog::image::{catalog, wanted};
use flareo_scan::layers::apply_layers;

fn data(rel: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/npm")
            .join(rel),
    )
    .unwrap()
}

#[test]
fn lock_and_installed_manifests() {
    let mut b = tar::Builder::new(Vec::new());
    for (path, rel) in [
        ("app/package-lock.json", "package-lock.json"),
        (
            "app/node_modules/is-number/package.json",
            "node_modules/is-number/package.json",
        ),
        (
            "app/node_modules/@types/node/package.json",
            "node_modules/@types/node/package.json",
        ),
    ] {
        let content = data(rel);
        let mut h = tar::Header::new_gnu();
        h.set_size(content.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, path, content.as_slice()).unwrap();
    }
    let layer = b.into_inner().unwrap();
    let packages = catalog(&apply_layers(&[&layer], wanted).unwrap());
    let found: Vec<(&str, &str)> = packages
        .iter()
        .map(|p| (p.package.purl.as_str(), p.package.location.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "pkg:npm/%40types/node@20.11.0",
                "app/node_modules/@types/node/package.json"
            ),
            (
                "pkg:npm/is-number@7.0.0",
                "app/node_modules/is-number/package.json"
            ),
        ]
    );
    assert!(
        packages.iter().all(|p| p.package.licenses == ["MIT"]),
        "{packages:?}"
    );
}

#[test]
fn a_lock_without_its_tree_gives_its_packages() {
    let content = data("package-lock.json");
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(content.len() as u64);
    h.set_mode(0o644);
    b.append_data(&mut h, "app/package-lock.json", content.as_slice())
        .unwrap();
    let layer = b.into_inner().unwrap();
    let packages = catalog(&apply_layers(&[&layer], wanted).unwrap());
    let found: Vec<&str> = packages.iter().map(|p| p.package.purl.as_str()).collect();
    assert_eq!(
        found,
        [
            "pkg:npm/%40types/node@20.11.0",
            "pkg:npm/is-number@7.0.0",
            "pkg:npm/undici-types@5.26.5"
        ]
    );
}
