//! The advisory database on both real databases: importing OSV fixtures from a
//! directory and from a zip, incremental re-imports, malformed files, lookups and
//! the status; and the limits of `read_source`.

use flareo_testkit as common;

use std::io::Write;
use std::path::{Path, PathBuf};

use flareo_server::Db;
use flareo_server::advisories::{AdvisoryError, EcosystemCount, ImportReport, read_source};
use serde_json::Value;
use zip::write::SimpleFileOptions;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../flareo-scan/tests/data/osv")
}

/// A zip like osv.dev's `all.zip`, with a folder, a README and the fixtures.
fn fixture_zip(path: &Path) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.add_directory("osv/", options).unwrap();
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        zip.start_file(format!("osv/{name}"), options).unwrap();
        zip.write_all(&std::fs::read(&path).unwrap()).unwrap();
    }
    zip.finish().unwrap();
}

fn report(added: u64, updated: u64, unchanged: u64, failed: &[(&str, &str)]) -> ImportReport {
    ImportReport {
        added,
        updated,
        unchanged,
        failed: failed
            .iter()
            .map(|(n, r)| (n.to_string(), r.to_string()))
            .collect(),
    }
}

fn ids(advisories: &[flareo_scan::osv::Advisory]) -> Vec<&str> {
    advisories.iter().map(|a| a.id.as_str()).collect()
}

async fn import_cycle(db: &Db) {
    let work = tempfile::tempdir().unwrap();
    let empty = db.advisory_status().await.unwrap();
    assert_eq!((empty.advisories, empty.ecosystems.len()), (0, 0));
    assert_eq!((empty.latest_modified, empty.last_import), (None, None));

    // From the directory: every JSON fixture, the README skipped.
    let docs = read_source(&fixtures()).unwrap();
    assert_eq!(docs.len(), 11);
    assert_eq!(docs[0].0, "ALPINE-CVE-2023-5678.json");
    let r = db.import_advisories("fixtures", docs).await.unwrap();
    assert_eq!(r, report(11, 0, 0, &[]));

    // The same records from a zip: nothing to do.
    let zip = work.path().join("all.zip");
    fixture_zip(&zip);
    let docs = read_source(&zip).unwrap();
    assert_eq!(docs.len(), 11);
    assert!(docs.iter().all(|(n, _)| n.starts_with("osv/")), "{docs:?}");
    let r = db
        .import_advisories(&zip.display().to_string(), docs)
        .await
        .unwrap();
    assert_eq!(r, report(0, 0, 11, &[]));

    // A newer DSA-5700-1 naming another package, an older GO-2023-2102, and a
    // malformed file: one update, one left alone, one failure.
    let changed = work.path().join("changed");
    std::fs::create_dir_all(changed.join("sub")).unwrap();
    let mut dsa: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("DSA-5700-1.json")).unwrap())
            .unwrap();
    dsa["modified"] = "2024-06-01T00:00:00.5Z".into();
    dsa["summary"] = "changed".into();
    dsa["affected"][0]["package"]["name"] = "git-core".into();
    std::fs::write(
        changed.join("sub/DSA-5700-1.json"),
        serde_json::to_vec(&dsa).unwrap(),
    )
    .unwrap();
    let mut go: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("GO-2023-2102.json")).unwrap())
            .unwrap();
    go["modified"] = "2023-01-01T00:00:00Z".into();
    go["summary"] = "older".into();
    std::fs::write(changed.join("GO-2023-2102.json"), go.to_string()).unwrap();
    std::fs::write(changed.join("broken.json"), "{not json").unwrap();
    std::fs::write(changed.join("notes.txt"), "skipped").unwrap();
    let docs = read_source(&changed).unwrap();
    assert_eq!(
        docs.iter().map(|d| d.0.as_str()).collect::<Vec<_>>(),
        ["GO-2023-2102.json", "broken.json", "sub/DSA-5700-1.json"]
    );
    let r = db.import_advisories("changed", docs).await.unwrap();
    assert_eq!(
        r,
        report(
            0,
            1,
            1,
            &[(
                "broken.json",
                "invalid OSV JSON: key must be a string at line 1 column 2"
            )]
        )
    );

    let all = db.advisories().await.unwrap();
    assert_eq!(all.len(), 11);
    let find = |id: &str| all.iter().find(|a| a.id == id).unwrap();
    assert_eq!(find("DSA-5700-1").summary.as_deref(), Some("changed"));
    assert_ne!(find("GO-2023-2102").summary.as_deref(), Some("older"));
    assert!(find("GHSA-4w2v-vmj7-klvd").withdrawn.is_some());

    // Lookups by package follow the update and normalise names.
    let git = db
        .advisories_for("Debian", &["git".into(), "zlib".into()])
        .await
        .unwrap();
    assert_eq!(
        ids(&git),
        ["CVE-2024-32004", "DEBIAN-CVE-2024-32002", "DSA-5704-1"]
    );
    let core = db
        .advisories_for("Debian:12", &["git-core".into()])
        .await
        .unwrap();
    assert_eq!(ids(&core), ["DSA-5700-1"]);
    let py = db.advisories_for("PyPI", &["PyYAML".into()]).await.unwrap();
    assert_eq!(ids(&py), ["PYSEC-2021-142"]);
    assert!(db.advisories_for("npm", &[]).await.unwrap().is_empty());

    let status = db.advisory_status().await.unwrap();
    assert_eq!((status.advisories, status.withdrawn), (11, 1));
    let count = |ecosystem: &str, advisories, withdrawn| EcosystemCount {
        ecosystem: ecosystem.into(),
        advisories,
        withdrawn,
    };
    assert_eq!(
        status.ecosystems,
        [
            count("Alpine", 1, 0),
            count("Debian", 4, 0),
            count("Go", 1, 0),
            count("PyPI", 1, 0),
            count("crates.io", 1, 0),
            count("npm", 3, 1),
        ]
    );
    assert_eq!(
        status.latest_modified.as_deref(),
        Some("2025-02-11T10:00:00Z")
    );
    let last = status.last_import.unwrap();
    assert_eq!(last.source, "changed");
    assert_eq!(last.report, r);
    assert!(last.at_ms > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_advisories() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&common::sqlite_url(dir.path())).await.unwrap();
    import_cycle(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_advisories() {
    let pg = common::Postgres::start();
    let db = Db::open(&pg.database("advisories")).await.unwrap();
    import_cycle(&db).await;
}

#[test]
fn read_source_refuses_oversized_entries_and_other_files() {
    let dir = tempfile::tempdir().unwrap();
    // 17 MiB of zeros deflate to a few kilobytes: a small zip bomb.
    let bomb = dir.path().join("bomb.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&bomb).unwrap());
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("big.json", options).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..17 {
        zip.write_all(&zeros).unwrap();
    }
    zip.finish().unwrap();
    assert!(std::fs::metadata(&bomb).unwrap().len() < 1 << 20);
    let err = read_source(&bomb).unwrap_err();
    assert!(
        matches!(err, AdvisoryError::EntryTooLarge { .. }),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "big.json: larger than 16777216 bytes");

    let other = dir.path().join("advisories.tar");
    std::fs::write(&other, "").unwrap();
    assert_eq!(
        read_source(&other).unwrap_err().to_string(),
        format!(
            "{}: expected a directory of OSV JSON files, a .zip of them or one .json file",
            other.display()
        )
    );
    let missing = dir.path().join("missing");
    assert_eq!(
        read_source(&missing).unwrap_err().to_string(),
        format!("reading {}", missing.display())
    );

    // One .json file is a source too.
    let one = read_source(&fixtures().join("DSA-5700-1.json")).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].0, "DSA-5700-1.json");
}
