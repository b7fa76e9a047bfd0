//! Re-evaluation without a rebuild, on both real databases: a published module's
//! stored SBOM (the real debian:12-slim package database) is matched again when an
//! advisory import or a VEX statement asks for it; the verdict, the report blob and
//! the maintainer's mail follow; a request asked again mid-evaluation runs again;
//! a worker that dies holding a request leaves it to another after its lease.

mod support;

use std::path::Path;
use std::sync::Arc;

use flareo_oci::BlobStore;
use flareo_scan::catalog::image::LayeredPackage;
use flareo_scan::catalog::{OsRelease, dpkg};
use flareo_server::Db;
use flareo_server::config::WorkerConfig;
use flareo_server::worker::Worker;

const DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

fn debian(rel: &str) -> Option<String> {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../flareo-scan/tests/data/debian-12-slim")
            .join(rel),
    )
    .ok()
}

/// A CRITICAL advisory (CVSS 9.8) on Debian 12's `zlib` source package, fixed
/// after the installed 1:1.2.13.dfsg-1; `modified` makes re-imports updates.
fn zlib_advisory(modified: &str) -> (String, Vec<u8>) {
    let doc = serde_json::json!({
        "schema_version": "1.6.0",
        "id": "DEBIAN-CVE-2026-0001",
        "aliases": ["CVE-2026-0001"],
        "modified": modified,
        "summary": "zlib: heap overflow in inflate",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [{
            "package": {"ecosystem": "Debian:12", "name": "zlib"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:1.2.13.dfsg-1+deb12u9"}]}]
        }]
    });
    (
        "DEBIAN-CVE-2026-0001.json".into(),
        serde_json::to_vec(&doc).unwrap(),
    )
}

struct Fixture {
    db: Db,
    store: BlobStore,
    dir: tempfile::TempDir,
}

impl Fixture {
    /// The embedded signing setup of an instance at `http://registry.test`.
    fn signing(&self) -> flareo_server::signing::SigningSetup {
        let mut config = flareo_server::Config::default();
        config.operator.data_dir = Some(self.dir.path().to_path_buf());
        config.server.public_url = Some("http://registry.test".into());
        flareo_server::signing::setup(&config, &self.db).unwrap()
    }

    /// A published module `web` whose build scan stored a real Debian SBOM.
    async fn new(db: Db) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::local(&dir.path().join("blobs")).unwrap();
        let os = OsRelease::parse(&debian("usr/lib/os-release").unwrap());
        let packages: Vec<LayeredPackage> = dpkg::packages(
            "var/lib/dpkg/status",
            &debian("var/lib/dpkg/status").unwrap(),
            &os,
            |p| debian(&format!("usr/share/doc/{p}/copyright")),
        )
        .into_iter()
        .map(|package| LayeredPackage { package, layer: 0 })
        .collect();
        let layers = [format!("sha256:{}", "2".repeat(64))];
        let image = flareo_scan::sbom::ImageInfo {
            name: "web",
            digest: DIGEST,
            tag: "v1",
            layers: &layers,
        };
        let sbom = flareo_scan::sbom::cyclonedx(&image, &os, &packages);
        let sbom = store.put(sbom.to_string().into()).await.unwrap();
        let report =
            serde_json::json!({"findings": [], "secrets": [], "verdict": {"status": "pass"}});
        let report = store.put(report.to_string().into()).await.unwrap();
        support::seed_scanned_module(
            &db,
            "web",
            "Web",
            "utilities",
            DIGEST,
            Some((&report.to_string(), &sbom.to_string())),
        )
        .await;
        Self { db, store, dir }
    }

    fn worker(&self, id: &str) -> Worker {
        let engine = flareo_build::Engine::open(&self.dir.path().join(id)).unwrap();
        Worker::new(
            self.db.clone(),
            self.store.clone(),
            Arc::new(engine),
            Default::default(),
            WorkerConfig {
                lease_secs: 1,
                ..Default::default()
            },
            id.into(),
            self.signing(),
        )
    }

    async fn report(&self) -> serde_json::Value {
        let e = self
            .db
            .latest_evaluation("web", DIGEST)
            .await
            .unwrap()
            .unwrap();
        let bytes = self
            .store
            .get(&e.report_digest.parse().unwrap())
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    async fn mails(&self) -> Vec<(String, String)> {
        self.db
            .outbox()
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.subject.contains("verdict"))
            .map(|m| (m.subject, m.body))
            .collect()
    }
}

async fn reevaluates_on_advisories_and_vex(db: Db) {
    let f = Fixture::new(db).await;
    let a = f.worker("worker-a");
    assert!(!a.reevaluate_next().await.unwrap(), "nothing asked yet");
    assert_eq!(f.db.latest_evaluation("web", DIGEST).await.unwrap(), None);

    // A new advisory: the module is matched again from its SBOM and now fails.
    f.db.import_advisories("fixture", vec![zlib_advisory("2026-11-01T00:00:00Z")])
        .await
        .unwrap();
    assert_eq!(f.db.pending_evaluations().await.unwrap(), 1);
    assert!(a.reevaluate_next().await.unwrap());
    assert_eq!(f.db.pending_evaluations().await.unwrap(), 0);
    let e =
        f.db.latest_evaluation("web", DIGEST)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(e.verdict, "fail");
    assert_eq!(
        e.reason,
        "Trivy found CRITICAL CVEs: CVE-2026-0001 in zlib1g"
    );
    assert_eq!((e.findings, e.suppressed), (1, 0));
    assert!(
        e.trigger.starts_with("advisory database changed (1 added"),
        "{e:?}"
    );
    let report = f.report().await;
    assert_eq!(report["verdict"]["status"], "fail");
    assert_eq!(report["findings"][0]["installed"], "zlib1g");
    assert_eq!(report["findings"][0]["fixed"], "1:1.2.13.dfsg-1+deb12u9");
    assert_eq!(report["packages"].as_array().unwrap().len(), 96);
    let mails = f.mails().await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].0.contains("web: verdict fail"), "{mails:?}");
    assert!(mails[0].1.contains("CVE-2026-0001 in zlib1g"));

    // The same import again changes nothing: no request.
    f.db.import_advisories("fixture", vec![zlib_advisory("2026-11-01T00:00:00Z")])
        .await
        .unwrap();
    assert_eq!(f.db.pending_evaluations().await.unwrap(), 0);

    // A reviewer's not_affected statement suppresses it: the module passes again.
    let reviewer = support::seeder(&f.db, "rev@x.test").await;
    let statement = flareo_scan::vex::VexStatement {
        vulnerability: "CVE-2026-0001".into(),
        product: "pkg:oci/web".into(),
        subcomponent: None,
        status: flareo_scan::vex::VexStatus::NotAffected,
        justification: Some("vulnerable_code_not_in_execute_path".into()),
        impact_statement: None,
        action_statement: None,
        author: "rev@x.test".into(),
        timestamp: "2026-11-23T10:00:00Z".into(),
    };
    f.db.add_vex("web", reviewer, &statement).await.unwrap();
    assert!(a.reevaluate_next().await.unwrap());
    let e =
        f.db.latest_evaluation("web", DIGEST)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(
        (e.verdict.as_str(), e.findings, e.suppressed),
        ("pass", 0, 1)
    );
    assert!(e.trigger.contains("CVE-2026-0001 not_affected"), "{e:?}");
    let report = f.report().await;
    assert_eq!(
        report["findings"][0]["suppressed_by"]["justification"],
        "vulnerable_code_not_in_execute_path",
        "suppressed findings stay, marked"
    );
    assert_eq!(f.mails().await.len(), 2, "the verdict changed back");

    // Asked again while being evaluated: the request survives for another round.
    f.db.import_advisories("fixture", vec![zlib_advisory("2026-11-02T00:00:00Z")])
        .await
        .unwrap();
    let request =
        f.db.claim_evaluation("worker-x", 60_000)
            .await
            .unwrap()
            .unwrap();
    f.db.add_vex("web", reviewer, &statement).await.unwrap();
    assert!(
        f.db.record_evaluation(&request, "worker-x", None, None)
            .await
            .unwrap()
    );
    assert_eq!(f.db.pending_evaluations().await.unwrap(), 1);
    assert!(a.reevaluate_next().await.unwrap());
    assert_eq!(f.db.pending_evaluations().await.unwrap(), 0);
    assert_eq!(
        f.mails().await.len(),
        2,
        "an unchanged verdict sends no mail"
    );

    // A worker that dies holding a request: another takes it after the lease.
    f.db.import_advisories("fixture", vec![zlib_advisory("2026-11-03T00:00:00Z")])
        .await
        .unwrap();
    let dead =
        f.db.claim_evaluation("worker-dead", 1_000)
            .await
            .unwrap()
            .unwrap();
    let b = f.worker("worker-b");
    assert!(!b.reevaluate_next().await.unwrap(), "still leased");
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    assert!(b.reevaluate_next().await.unwrap());
    assert!(
        !f.db
            .record_evaluation(&dead, "worker-dead", None, None)
            .await
            .unwrap(),
        "a lease lost records nothing"
    );
    assert_eq!(f.db.pending_evaluations().await.unwrap(), 0);
}

#[tokio::test]
async fn sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&flareo_testkit::sqlite_url(dir.path()))
        .await
        .unwrap();
    reevaluates_on_advisories_and_vex(db).await;
}

#[tokio::test]
async fn postgres() {
    let pg = flareo_testkit::Postgres::start();
    let db = Db::open(&pg.database("evaluations")).await.unwrap();
    reevaluates_on_advisories_and_vex(db).await;
}
