//! The Python cataloger on real wheel metadata (tests/data/python), through the
//! image cataloger: a layer installing two distributions on top of a base.

use flareo_scan::catalog::image::{catalog, wanted};
use flareo_scan::layers::apply_layers;

fn layer(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, content) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(content.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, path, content.as_slice()).unwrap();
    }
    b.into_inner().unwrap()
}

fn data(rel: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/python")
            .join(rel),
    )
    .unwrap()
}

#[test]
fn wheels_installed_in_a_layer() {
    let base = layer(&[("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n".to_vec())]);
    let site = "usr/local/lib/python3.12/site-packages";
    let top = layer(&[
        (
            &format!("{site}/six-1.16.0.dist-info/METADATA"),
            data("six-1.16.0.dist-info/METADATA"),
        ),
        (
            &format!("{site}/idna-3.7.dist-info/METADATA"),
            data("idna-3.7.dist-info/METADATA"),
        ),
        (
            &format!("{site}/idna-3.7.dist-info/RECORD"),
            b"idna/__init__.py,,\n".to_vec(),
        ),
    ]);
    let files = apply_layers(&[&base, &top], wanted).unwrap();
    let packages = catalog(&files);
    let found: Vec<(&str, &str, usize)> = packages
        .iter()
        .map(|p| {
            (
                p.package.purl.as_str(),
                p.package.licenses.first().map_or("", String::as_str),
                p.layer,
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("pkg:pypi/idna@3.7", "BSD License", 1),
            ("pkg:pypi/six@1.16.0", "MIT", 1)
        ]
    );
    assert!(
        packages[0]
            .package
            .location
            .ends_with("idna-3.7.dist-info/METADATA")
    );
}
