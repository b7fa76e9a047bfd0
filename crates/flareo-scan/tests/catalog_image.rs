//! Cataloging a real image: Debian 12 slim as scripts/base-images.sh builds it
//! offline (mmdebstrap), read from its OCI archive, plus a layer on top that
//! removes one package and adds another.

use flareo_scan::catalog::image::{catalog, wanted};
use flareo_scan::layers::apply_layers;

#[test]
fn debian_packages_with_their_layers() {
    let (_, file) = flareo_testkit::base_image("debian");
    let layers = flareo_testkit::oci_archive_layers(&file);
    let mut refs: Vec<&[u8]> = layers.iter().map(Vec::as_slice).collect();
    let base = apply_layers(&refs, wanted).unwrap();
    let status = base.text("var/lib/dpkg/status").unwrap();

    // A layer that removes zlib1g's stanza and adds a package "flareo-demo".
    let without_zlib: String = status
        .split("\n\n")
        .filter(|s| !s.starts_with("Package: zlib1g\n"))
        .collect::<Vec<_>>()
        .join("\n\n");
    let top_status = format!(
        "{}\n\nPackage: flareo-demo\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: all\n",
        without_zlib.trim_end()
    );
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(top_status.len() as u64);
    h.set_mode(0o644);
    b.append_data(&mut h, "var/lib/dpkg/status", top_status.as_bytes())
        .unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_size(0);
    h.set_mode(0o644);
    b.append_data(&mut h, "usr/share/doc/zlib1g/.wh.copyright", &[][..])
        .unwrap();
    let top = b.into_inner().unwrap();
    refs.push(&top);
    let base_layers = layers.len();

    let image = apply_layers(&refs, wanted).unwrap();
    let packages = catalog(&image);
    assert_eq!(
        packages.len(),
        96,
        "96 in the base, minus zlib1g, plus flareo-demo"
    );
    assert!(!packages.iter().any(|p| p.package.name == "zlib1g"));
    let demo = packages
        .iter()
        .find(|p| p.package.name == "flareo-demo")
        .unwrap();
    assert_eq!(
        demo.layer, base_layers,
        "attributed to the layer that added it"
    );
    assert_eq!(
        demo.package.purl,
        "pkg:deb/debian/flareo-demo@1.0-1?arch=all&distro=debian-12"
    );
    let login = packages.iter().find(|p| p.package.name == "login").unwrap();
    assert!(
        login.layer < base_layers,
        "base packages stay in the base layers"
    );
    assert!(
        !login.package.licenses.is_empty(),
        "licenses from copyright files"
    );
    let purls: Vec<&str> = packages.iter().map(|p| p.package.purl.as_str()).collect();
    let mut sorted = purls.clone();
    sorted.sort();
    assert_eq!(purls, sorted, "deterministic order");
}
