//! The Debian 12 base built offline from Debian's packages (scripts/base-images.sh)
//! imports, builds on, and behaves like Debian inside the build.

mod common;

use common::{Fixture, TAIL, base_image, module};
use flareo_build::BaseCache;

#[test]
fn builds_on_offline_debian_12_slim() {
    let fx = Fixture::new();
    let (name, file) = base_image("debian");
    assert_eq!(name, "debian:12-slim");
    let base = BaseCache::new(&fx.engine)
        .import(&name, &file)
        .expect("import");
    assert!(base.size > 10_000_000, "{base:?}");

    // debian:12-slim is on the seed's list: no operator addition needed.
    let dockerfile = format!(
        "FROM debian:12-slim\nRUN <<EOF\n#!/bin/bash\nset -euo pipefail\n. /etc/os-release\necho \"$VERSION_ID $(dpkg-query -W -f '${{Version}}' bash)\" > /facts\nEOF\n{TAIL}"
    );
    let dir = module(&[("Dockerfile", &dockerfile)]);
    let (result, log) = fx.build_dir(dir.path());
    let out = result.unwrap_or_else(|e| panic!("{e}\n{}", log.join("\n")));
    let (facts, uid, _) = fx.image_file(&out, "facts").expect("facts");
    let facts = String::from_utf8(facts).unwrap();
    assert!(
        facts.starts_with("12 5.2"),
        "Debian 12 with its bash 5.2: {facts}"
    );
    assert_eq!(uid, 0);
}
