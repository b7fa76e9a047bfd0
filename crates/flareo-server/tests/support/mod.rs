//! Shared by the API tests and the benchmarks: submissions and published modules
//! made through the database API alone (no build), as a worker would leave them.
#![allow(dead_code)] // each user takes what it needs

use std::time::Duration;

use flareo_server::auth::Role;
use flareo_server::catalog::Publication;
use flareo_server::queue::BuildOutputs;
use flareo_server::submissions::{Decision, NewSubmission};
use flareo_server::{Db, Status};

/// A user id for `email`, created as an admin on first use.
pub async fn seeder(db: &Db, email: &str) -> i64 {
    match db.login(email, "a-long-password").await.unwrap() {
        Some(u) => u.id,
        None => db
            .create_user_with_password(email, email, Role::Admin, "a-long-password")
            .await
            .unwrap(),
    }
}

/// A submission of `slug` with `recipe` (pending review).
pub fn new_submission(slug: &str, maintainer: i64, recipe: String) -> NewSubmission {
    NewSubmission {
        slug: slug.into(),
        maintainer_id: maintainer,
        recipe,
        dockerfile: "FROM busybox:1.35\nENTRYPOINT [\"busybox\"]\n".into(),
        lint_report: "{}".into(),
        context_digest: format!("sha256:{}", "0".repeat(64)),
        tag: "v1.2.3".into(),
        requires_network: false,
        network_reason: None,
    }
}

/// A valid recipe.
pub fn recipe(slug: &str, name: &str, category: &str) -> String {
    format!(
        "slug: {slug}\nname: {name}\nauthor: Seed Project\ncategory: {category}\nlicense: Apache-2.0\nupstream:\n  source: https://example.test/{slug}\n  ref_pattern: \"v*\"\n  entry: ./Dockerfile\nruntime:\n  ports: [3000]\n  volumes: [\"/data\"]\n  default_env: {{TZ: UTC}}\n  healthcheck: \"wget -q --spider http://localhost:3000/health\"\n"
    )
}

/// Publishes `slug` with image `digest`: submitted, approved, claimed, built
/// (no buildah), scanned, signed, published with its mail queued.
pub async fn seed_module(db: &Db, slug: &str, name: &str, category: &str, digest: &str) {
    seed_scanned_module(db, slug, name, category, digest, None).await
}

/// [`seed_module`], recording `scan` (report blob digest, SBOM blob digest) as the
/// build's scan results when given.
pub async fn seed_scanned_module(
    db: &Db,
    slug: &str,
    name: &str,
    category: &str,
    digest: &str,
    scan: Option<(&str, &str)>,
) {
    let m = seeder(db, "seed@x.test").await;
    let id = db
        .create_submission(
            &new_submission(slug, m, recipe(slug, name, category)),
            |_| None,
        )
        .await
        .unwrap();
    db.review(
        id,
        m,
        &Decision::Approve {
            network: false,
            reason: None,
        },
    )
    .await
    .unwrap();
    let job = db
        .claim("seed", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    db.set_status(id, Status::Building, None).await.unwrap();
    let outputs = BuildOutputs {
        image_digest: digest.into(),
        image_size: 10,
        log_digest: String::new(),
        duration_ms: 1500,
    };
    db.complete_build(job.id, "seed", &outputs).await.unwrap();
    db.set_status(id, Status::Scanning, None).await.unwrap();
    if let Some((report, sbom)) = scan {
        assert!(
            db.complete_scan(job.id, "seed", report, sbom)
                .await
                .unwrap()
        );
    }
    db.set_status(id, Status::Signing, None).await.unwrap();
    let pull = format!("registry.test/{slug}@{digest}");
    let published = db
        .publish(&Publication {
            job_id: job.id,
            worker: "seed",
            submission_id: id,
            name,
            author: "Seed Project",
            category,
            license: "Apache-2.0",
            digest,
            pull_url: &pull,
            mail: ("published".into(), "body".into()),
        })
        .await
        .unwrap();
    assert!(published);
}

/// Provenance facts of a `demo` module image (`digest_hex`) built by `builder` on
/// the instance at `instance`, as the worker's sign step gathers them.
pub fn facts(digest_hex: &str, builder: &str, instance: &str) -> flareo_attest::intoto::BuildFacts {
    flareo_attest::intoto::BuildFacts {
        image_name: "flareo.test/demo".into(),
        image_sha256: digest_hex.into(),
        builder_id: builder.into(),
        source_repo: Some("https://git.example/demo".into()),
        tag: "v1.0.0".into(),
        commit: None,
        context_sha256: "cd".repeat(32),
        dockerfile: "Dockerfile".into(),
        requires_network: false,
        base_images: vec![("busybox:1.35".into(), format!("sha256:{}", "ef".repeat(32)))],
        invocation_id: format!("{instance}/api/v1/submissions/1"),
        started_on: "2026-11-23T10:00:00Z".into(),
        finished_on: "2026-11-23T10:01:00Z".into(),
        slug: "demo".into(),
    }
}
