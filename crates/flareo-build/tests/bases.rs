//! The base-image cache imports every accepted format to the same digest, replaces
//! an earlier import of the same name, and refuses what it cannot read.

mod common;

use std::process::Command;

use common::base_image;
use flareo_build::{BaseCache, BaseError, Engine};

#[test]
fn oci_archive_layout_and_docker_archive_import() {
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(data.path()).unwrap();
    let cache = BaseCache::new(&engine);
    let (_, archive) = base_image("busybox");

    let from_archive = cache.import("busybox:1.35", &archive).unwrap();
    assert!(from_archive.source.starts_with("oci-archive:"));

    // The same image as an OCI layout directory: same manifest, same digest.
    let layout = data.path().join("layout");
    let copy = Command::new("skopeo")
        .args([
            "copy",
            "--quiet",
            &format!("oci-archive:{}", archive.display()),
            &format!("oci:{}:1.35", layout.display()),
        ])
        .status()
        .unwrap();
    assert!(copy.success());
    let from_layout = cache.import("mirror/busybox:layout", &layout).unwrap();
    assert!(from_layout.source.starts_with("oci:"));
    assert_eq!(from_layout.digest, from_archive.digest);

    // A docker archive (what `docker save` writes) gets Docker's manifest format.
    let docker = data.path().join("docker.tar");
    let copy = Command::new("skopeo")
        .args([
            "copy",
            "--quiet",
            &format!("oci-archive:{}", archive.display()),
            &format!("docker-archive:{}:busybox:1.35", docker.display()),
        ])
        .status()
        .unwrap();
    assert!(copy.success());
    let from_docker = cache.import("busybox:docker", &docker).unwrap();
    assert!(from_docker.source.starts_with("docker-archive:"));
    assert!(from_docker.digest.starts_with("sha256:"));

    // Re-importing a name replaces it; the list is sorted and complete.
    cache.import("busybox:1.35", &archive).unwrap();
    let names: Vec<String> = cache
        .list()
        .unwrap()
        .iter()
        .map(|b| b.reference())
        .collect();
    assert_eq!(
        names,
        ["busybox:1.35", "busybox:docker", "mirror/busybox:layout"]
    );

    // Refusals.
    assert!(matches!(
        cache.import("busybox", &archive),
        Err(BaseError::BadName(_))
    ));
    let junk = data.path().join("junk.tar");
    std::fs::write(&junk, b"not a tar").unwrap();
    assert!(matches!(
        cache.import("junk:1", &junk),
        Err(BaseError::UnknownFormat(_))
    ));
}

#[test]
fn a_second_engine_on_the_same_data_dir_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let _first = Engine::open(data.path()).unwrap();
    let second = Engine::open(data.path()).unwrap_err();
    assert!(
        second
            .to_string()
            .contains("in use by another flareo process"),
        "{second}"
    );
}
