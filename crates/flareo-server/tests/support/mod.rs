//! Shared by the API tests and the benchmarks: a listening server, and submissions
//! and published modules made through the database API alone (no build), as a
//! worker would leave them.
#![allow(dead_code)] // each user takes what it needs

use std::sync::Arc;
use std::time::Duration;

use flareo_oci::BlobStore;
use flareo_server::api::AppState;
use flareo_server::auth::Role;
use flareo_server::catalog::Publication;
use flareo_server::queue::BuildOutputs;
use flareo_server::submissions::{Decision, NewSubmission};
use flareo_server::{Config, Db, Status};
use reqwest::{Method, StatusCode};
use serde_json::Value;

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
    publish_claimed(db, &job, slug, name, category, digest, scan).await;
}

/// Takes `job` (claimed by worker `seed`, its submission building) to published
/// with image `digest`, as the worker's later steps would.
pub async fn publish_claimed(
    db: &Db,
    job: &flareo_server::queue::Job,
    slug: &str,
    name: &str,
    category: &str,
    digest: &str,
    scan: Option<(&str, &str)>,
) {
    let id = job.submission_id;
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

/// A listening server (SQLite file, blobs on disk, `busybox:1.35` approved) on
/// the test's runtime, with an HTTP client that does not follow redirects.
pub struct Server {
    /// Its base URL.
    pub url: String,
    /// A client that does not follow redirects.
    pub http: reqwest::Client,
    /// Its database.
    pub db: Db,
    /// Its data directory (database, blobs).
    pub dir: tempfile::TempDir,
}

/// Starts a [`Server`].
pub async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.operator.data_dir = Some(dir.path().to_path_buf());
    config
        .operator
        .approved_bases
        .push(flareo_dockerfile::rules::ApprovedBase {
            image: "busybox:1.35".into(),
            digest: None,
            config: None,
        });
    let db = Db::open(&config.database_url()).await.unwrap();
    let store = BlobStore::local(&dir.path().join("blobs")).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    config.server.public_url = Some(url.clone());
    serve(listener, state(config, db.clone(), store));
    Server {
        url,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        db,
        dir,
    }
}

/// A module directory packed as `flareo publish` packs it: (recipe, tar.gz).
pub fn context(slug: &str, dockerfile: &str) -> (String, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let recipe = format!(
        "slug: {slug}\nname: {slug}\nauthor: Tests\ncategory: productivity\nlicense: MIT\nupstream:\n  source: https://example.test/{slug}\n  ref_pattern: \"v*\"\n  entry: ./Dockerfile\nruntime:\n  ports: [80]\n"
    );
    std::fs::write(dir.path().join("flareo.yaml"), &recipe).unwrap();
    std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    let bytes = flareo_build::pack::pack(dir.path(), &["flareo.yaml", "Dockerfile"]).unwrap();
    (recipe, bytes)
}

/// A Dockerfile that passes the lint.
pub const GOOD: &str =
    "FROM busybox:1.35\nUSER nobody\nENTRYPOINT [\"busybox\", \"sleep\", \"1\"]\n";

impl Server {
    /// `method path` with `token` and a JSON `body`; the status and JSON (or text) answer.
    pub async fn call(
        &self,
        token: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Submits `slug` with `dockerfile` through the API.
    pub async fn submit(
        &self,
        token: Option<&str>,
        slug: &str,
        dockerfile: &str,
        network: bool,
    ) -> (StatusCode, Value) {
        let (recipe, bytes) = context(slug, dockerfile);
        let mut form = reqwest::multipart::Form::new().text("recipe", recipe).part(
            "context",
            reqwest::multipart::Part::bytes(bytes).file_name("c.tar.gz"),
        );
        if network {
            form = form
                .text("requires_network", "true")
                .text("reason", "needs the npm registry");
        }
        let mut req = self
            .http
            .post(format!("{}/api/v1/submissions", self.url))
            .multipart(form);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap())
    }

    /// Creates a user with password `a-long-password`; an API token for them.
    pub async fn user(&self, email: &str, role: Role) -> String {
        let user = self
            .db
            .create_user_with_password(email, email, role, "a-long-password")
            .await
            .unwrap();
        let user = self.db.user(user).await.unwrap();
        self.db.create_token(&user, "test", &[]).await.unwrap().1
    }
}

/// The state of an instance without signing material (no log, no trust root).
pub fn state(config: Config, db: Db, store: BlobStore) -> AppState {
    AppState {
        db,
        store,
        config: Arc::new(config),
        metrics: flareo_server::app::metrics_handle(),
        log: None,
        trust_root: None,
        fulcio: None,
    }
}

/// Serves the whole application (the router `flareo serve` runs) over `state` on
/// `listener`, in the background on the current runtime.
pub fn serve(listener: tokio::net::TcpListener, state: AppState) {
    tokio::spawn(async move {
        axum::serve(listener, flareo_server::app::router(state))
            .await
            .unwrap();
    });
}
