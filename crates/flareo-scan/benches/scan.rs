//! Scan speed against its physical floor, in the same run: the Debian 12 image
//! of scripts/base-images.sh, (a) only decompressing and reading every layer
//! entry (the floor), (b) Flareo's scan (catalog the wanted files across layers
//! with whiteouts, attribute packages, scan every file for secrets). Then matching
//! 5,000 packages against 200,000 advisories.
//!
//! `cargo bench -p flareo-scan --bench scan`

use std::time::Instant;

use flareo_scan::catalog::image::{LayeredPackage, catalog, wanted};
use flareo_scan::catalog::{OsRelease, Package};
use flareo_scan::layers::scan_image;
use flareo_scan::matcher::{AdvisoryIndex, match_packages};
use flareo_scan::version::Ecosystem;

/// The floor: gunzip and read every byte of every entry.
fn read_only(layers: &[&[u8]]) -> u64 {
    let mut total = 0;
    for l in layers {
        let mut a = tar::Archive::new(flate2::read::GzDecoder::new(*l));
        for e in a.entries().unwrap() {
            let mut e = e.unwrap();
            total += std::io::copy(&mut e, &mut std::io::sink()).unwrap();
        }
    }
    total
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("scan benchmark: run it with `cargo bench`");
        return;
    }
    let (_, file) = flareo_testkit::base_image("debian");
    let layers = flareo_testkit::oci_archive_layers(&file);
    let refs: Vec<&[u8]> = layers.iter().map(Vec::as_slice).collect();
    let (mut floor, mut ours) = (Vec::new(), Vec::new());
    let mut bytes = 0;
    let mut packages = 0;
    for _ in 0..7 {
        let t = Instant::now();
        bytes = read_only(&refs);
        floor.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let (files, secrets) = scan_image(&refs, wanted).unwrap();
        packages = catalog(&files).len();
        ours.push(t.elapsed().as_secs_f64());
        assert!(secrets.is_empty(), "{secrets:?}");
    }
    let (f, o) = (median(floor), median(ours));
    println!(
        "debian:12-slim: {} MB uncompressed, {packages} packages",
        bytes / 1_000_000
    );
    println!(
        "  read-only floor {:.3} s, scan (catalog + secrets) {:.3} s, ratio {:.2}",
        f,
        o,
        o / f
    );

    // Matching: 5,000 packages, 200,000 advisories (40 per package name, 1 in 8 affecting).
    let os = OsRelease {
        id: "debian".into(),
        version_id: "12".into(),
        ..Default::default()
    };
    let pkgs: Vec<LayeredPackage> = (0..5000)
        .map(|i| LayeredPackage {
            package: Package {
                ecosystem: Ecosystem::Debian,
                name: format!("pkg{i}"),
                version: "1.0-1".into(),
                purl: format!("pkg:deb/debian/pkg{i}@1.0-1"),
                licenses: vec![],
                location: "var/lib/dpkg/status".into(),
                source: Some((format!("pkg{i}"), "1.0-1".into())),
                dependencies: Vec::new(),
            },
            layer: 0,
        })
        .collect();
    let t = Instant::now();
    let advisories: Vec<_> = (0..200_000)
        .map(|i| {
            let fixed = if i % 8 == 0 { "2.0-1" } else { "0.9-1" };
            let json = format!(
                r#"{{"id":"DSA-{i}","modified":"2026-01-01T00:00:00Z","aliases":["CVE-2026-{i}"],"affected":[{{"package":{{"ecosystem":"Debian:12","name":"pkg{}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#,
                i % 5000
            );
            flareo_scan::osv::parse(json.as_bytes()).unwrap()
        })
        .collect();
    let parse_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let index = AdvisoryIndex::new(&advisories);
    let index_s = t.elapsed().as_secs_f64();
    let mut runs = Vec::new();
    let mut found = 0;
    for _ in 0..5 {
        let t = Instant::now();
        found = match_packages(&index, &pkgs, &os).len();
        runs.push(t.elapsed().as_secs_f64());
    }
    println!(
        "matching 5,000 packages x 200,000 advisories: {:.1} ms (median of 5), {found} findings; index built in {:.0} ms, advisories parsed in {:.1} s",
        median(runs) * 1000.0,
        index_s * 1000.0,
        parse_s
    );
}
