//! The server end to end, for real: `flareo serve` with an embedded worker on
//! SQLite, and `flareo serve --no-worker` with two `flareo worker` processes on
//! PostgreSQL and an S3-compatible store (moto); a maintainer publishes with the
//! CLI, a reviewer approves, buildah builds, the catalog shows the module and a
//! real SMTP server receives the mails. A worker killed with SIGKILL mid-build is
//! replaced by the other after its lease expires.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use flareo_testkit::{DockerRegistry, Postgres, S3, Smtp, base_image, free_port, repo_root};
use serde_json::Value;

const ADMIN_PASSWORD: &str = "admin-password-for-tests";
const PASSWORD: &str = "a-long-test-password";

/// One Flareo instance's files: config, data directories, CLI homes.
struct Instance {
    dir: tempfile::TempDir,
    config: PathBuf,
    url: String,
    children: Vec<Child>,
}

fn flareo() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flareo"));
    cmd.env_remove("FLAREO_CONFIG")
        .env_remove("FLAREO_DATA_DIR")
        .env_remove("FLAREO_SERVER")
        .env_remove("FLAREO_TOKEN")
        .env("FLAREO_LOG", "info");
    cmd
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(out: Output, what: &str) -> Value {
    let text = ok(out, what);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {text}"))
}

impl Instance {
    /// Writes a config (`extra` appended) and imports BusyBox into `data`.
    fn new(extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let config = dir.path().join("flareo.yaml");
        std::fs::write(
            &config,
            format!(
                "approved_bases:\n  - image: busybox:1.35\n  - image: debian:12-slim\nbuild:\n  timeout_secs: 300\nlisten: 127.0.0.1:{port}\n\
                 admin:\n  email: admin@example.test\n  password: {ADMIN_PASSWORD}\n{extra}"
            ),
        )
        .unwrap();
        Self {
            dir,
            config,
            url: format!("http://127.0.0.1:{port}"),
            children: Vec::new(),
        }
    }

    fn data(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Imports BusyBox into a data directory's base cache.
    fn import_base(&self, data: &Path) {
        self.import_base_image(data, "busybox");
    }

    /// Imports a base image built by scripts/base-images.sh (`busybox`, `debian`).
    fn import_base_image(&self, data: &Path, which: &str) {
        let (name, file) = base_image(which);
        ok(
            flareo()
                .args(["base", "import", &name, file.to_str().unwrap(), "--json"])
                .env("FLAREO_CONFIG", &self.config)
                .env("FLAREO_DATA_DIR", data)
                .output()
                .unwrap(),
            "base import",
        );
    }

    /// Starts a `flareo` role (`serve`, `worker`) on data directory `data`.
    fn start(&mut self, args: &[&str], data: &Path) -> usize {
        let log =
            std::fs::File::create(data.with_extension(format!("{}.log", self.children.len())))
                .unwrap();
        let child = flareo()
            .args(args)
            .env("FLAREO_CONFIG", &self.config)
            .env("FLAREO_DATA_DIR", data)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.children.push(child);
        self.children.len() - 1
    }

    fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(r) = reqwest::blocking::get(format!("{}/healthz", self.url))
                && r.status().is_success()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("server at {} did not become healthy", self.url);
    }

    /// A CLI acting as the user logged in under `home`.
    fn cli(&self, home: &str) -> Command {
        let mut cmd = flareo();
        let home = self.dir.path().join(home);
        std::fs::create_dir_all(&home).unwrap();
        cmd.env("XDG_CONFIG_HOME", home)
            .env("FLAREO_SERVER", &self.url);
        cmd
    }

    fn login(&self, home: &str, email: &str, password: &str) {
        ok(
            self.cli(home)
                .args(["login", "--email", email])
                .env("FLAREO_PASSWORD", password)
                .output()
                .unwrap(),
            "login",
        );
    }

    /// Creates a maintainer and a reviewer and logs each in.
    fn people(&self) {
        self.login("admin", "admin@example.test", ADMIN_PASSWORD);
        for (email, role) in [
            ("maint@example.test", "maintainer"),
            ("rev@example.test", "reviewer"),
        ] {
            ok(
                self.cli("admin")
                    .args(["users", "add", email, "--role", role, "--json"])
                    .env("FLAREO_PASSWORD", PASSWORD)
                    .output()
                    .unwrap(),
                "users add",
            );
            self.login(role, email, PASSWORD);
        }
    }

    /// Publishes `dir` as the maintainer; returns the submission id.
    fn publish(&self, dir: &Path) -> i64 {
        let v = json(
            self.cli("maintainer")
                .args([
                    "publish",
                    dir.to_str().unwrap(),
                    "--tag",
                    "v1.0.0",
                    "--json",
                ])
                .env("FLAREO_CONFIG", &self.config)
                .output()
                .unwrap(),
            "publish",
        );
        v["id"].as_i64().expect("submission id")
    }

    fn approve(&self, id: i64) {
        let v = json(
            self.cli("reviewer")
                .args(["review", "approve", &id.to_string(), "--json"])
                .output()
                .unwrap(),
            "approve",
        );
        assert_eq!(v["status"], "queued");
    }

    /// Follows a submission to its end; returns (final JSON, streamed log).
    fn follow(&self, id: i64) -> (Value, String) {
        let out = self
            .cli("maintainer")
            .args(["status", &id.to_string(), "--follow", "--json"])
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stderr).into_owned();
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("status --follow: {e}: {log}"));
        (v, log)
    }

    fn get(&self, path: &str) -> Value {
        reqwest::blocking::get(format!("{}{path}", self.url))
            .unwrap()
            .json()
            .unwrap()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
        }
        for c in &mut self.children {
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if c.try_wait().ok().flatten().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A copy of the bundled demo module with another slug (and optionally a slow RUN).
fn module(root: &Path, slug: &str, sleep: u32) -> PathBuf {
    let dir = root.join(slug);
    let src = repo_root().join("examples/hello");
    Command::new("cp")
        .args(["-r"])
        .arg(&src)
        .arg(&dir)
        .status()
        .unwrap();
    let recipe = std::fs::read_to_string(dir.join("flareo.yaml")).unwrap();
    std::fs::write(
        dir.join("flareo.yaml"),
        recipe.replace("slug: hello", &format!("slug: {slug}")),
    )
    .unwrap();
    if sleep > 0 {
        let d = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
        std::fs::write(
            dir.join("Dockerfile"),
            d.replace("USER app", &format!("RUN sleep {sleep}\nUSER app")),
        )
        .unwrap();
    }
    dir
}

fn assert_published(inst: &Instance, id: i64, slug: &str, smtp: &Smtp, log: &str, v: &Value) {
    assert_eq!(v["status"], "published", "{v}\n{log}");
    assert!(
        log.contains("STEP") || log.contains("COMMIT") || log.contains("image sha256:"),
        "build log streamed: {log}"
    );
    let digest = v["digest"].as_str().unwrap();
    assert!(digest.starts_with("sha256:"));
    let m = inst.get(&format!("/api/v1/modules/{slug}"));
    assert_eq!(m["digest"], digest);
    assert_eq!(m["tag"], "v1.0.0");
    assert_eq!(m["runtime"]["ports"], serde_json::json!([8080]));
    assert_eq!(m["runtime"]["volumes"], serde_json::json!(["/data"]));
    assert_eq!(m["license"], "MIT");
    let pull = m["pull_url"].as_str().unwrap();
    assert!(pull.ends_with(&format!("/{slug}@{digest}")), "{pull}");
    assert_eq!(m["builds"][0]["submission_id"], id);
    let mails = smtp.wait_for_matching(|m| m.contains(digest), Duration::from_secs(60));
    assert!(
        mails
            .iter()
            .any(|m| m.contains("maint@example.test") && m.contains(pull)),
        "{mails:?}"
    );
    // The scan's SBOM and report are served, and the SBOM passes the CycloneDX schema.
    let sbom = reqwest::blocking::get(format!("{}/api/v1/modules/{slug}/sbom", inst.url)).unwrap();
    assert_eq!(sbom.status(), 200);
    assert!(
        sbom.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/vnd.cyclonedx+json")
    );
    let sbom: Value = sbom.json().unwrap();
    assert_eq!(sbom["metadata"]["component"]["version"], digest);
    let file = inst.dir.path().join(format!("{slug}.cdx.json"));
    std::fs::write(&file, serde_json::to_vec(&sbom).unwrap()).unwrap();
    if let Err(out) =
        flareo_testkit::validate("validate-cyclonedx", &file, &["--spec-version", "1.6"])
    {
        panic!("SBOM of {slug} rejected:\n{out}");
    }
    let report = inst.get(&format!("/api/v1/modules/{slug}/vulnerabilities"));
    assert!(
        report["findings"].as_array().unwrap().is_empty(),
        "{report}"
    );
    let statuses: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    for s in [
        "pending_review",
        "approved",
        "queued",
        "building",
        "scanning",
        "signing",
        "published",
    ] {
        assert!(statuses.contains(&s), "{statuses:?}");
    }
    assert_verifiable(inst, slug, digest);
}

/// The module was pushed to the external registry (CNCF distribution) with its
/// signature and attestations: skopeo sees the same digest, and `flareo verify`
/// verifies it there (bundles found through the referrers tag: no referrers API).
fn assert_pushed(inst: &Instance, registry: &DockerRegistry, slug: &str, digest: &str) {
    let image = format!("{}/flareo/{slug}:v1.0.0", registry.host());
    let out = Command::new("skopeo")
        .args([
            "inspect",
            "--tls-verify=false",
            &format!("docker://{image}"),
        ])
        .output()
        .unwrap();
    let inspect: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "skopeo inspect {image}: {e}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(inspect["Digest"], digest);
    let tags: Vec<&str> = inspect["RepoTags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let hex = digest.trim_start_matches("sha256:");
    for t in [
        format!("sha256-{hex}.sig"),
        format!("sha256-{hex}.att"),
        format!("sha256-{hex}"),
    ] {
        assert!(tags.contains(&t.as_str()), "{t} not in {tags:?}");
    }
    let trust = inst.dir.path().join(format!("{slug}.trust.json"));
    let v = json(
        flareo()
            .args([
                "verify",
                &format!("http://{image}"),
                "--trust-root",
                trust.to_str().unwrap(),
                "--json",
            ])
            .output()
            .unwrap(),
        "verify from the external registry",
    );
    assert_eq!(v["verified"], true, "{v}");
}

/// The published image verifies from Flareo's own registry with `flareo verify`
/// (and fails with a wrong builder or another instance's trust root), and its
/// signature bundle verifies with sigstore-python offline.
fn assert_verifiable(inst: &Instance, slug: &str, digest: &str) {
    let trust = inst.dir.path().join(format!("{slug}.trust.json"));
    ok(
        inst.cli("maintainer")
            .args(["trust-root", "--remote", "-o", trust.to_str().unwrap()])
            .output()
            .unwrap(),
        "trust-root",
    );
    let host = inst.url.trim_start_matches("http://");
    let image = format!("{host}/{slug}:v1.0.0");
    let v = json(
        flareo()
            .args([
                "verify",
                &image,
                "--trust-root",
                trust.to_str().unwrap(),
                "--log-url",
                &inst.url,
                "--json",
            ])
            .output()
            .unwrap(),
        "verify",
    );
    assert_eq!(v["verified"], true, "{v}");
    let names: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "image",
            "signature",
            "transparency log",
            "log consistency",
            "provenance",
            "sbom"
        ],
        "{v}"
    );
    // A builder the consumer does not trust.
    let out = flareo()
        .args([
            "verify",
            &image,
            "--trust-root",
            trust.to_str().unwrap(),
            "--builder",
            "https://evil.example/builders/v1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("✗ provenance: provenance builder is"),
        "{text}"
    );
    // Another instance's trust root: nothing chains to it.
    let other = inst.dir.path().join(format!("{slug}.other-trust.json"));
    ok(
        flareo()
            .args(["trust-root", "-o", other.to_str().unwrap()])
            .env("FLAREO_DATA_DIR", inst.dir.path().join("other-instance"))
            .output()
            .unwrap(),
        "other trust-root",
    );
    let out = flareo()
        .args(["verify", &image, "--trust-root", other.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("does not chain to any certificate authority"),
        "{text}"
    );
    // sigstore-python accepts the image signature bundle.
    let bundles = inst.get(&format!("/api/v1/modules/{slug}/bundles"));
    assert_eq!(bundles["image"], digest);
    let sig = bundles["bundles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["predicateType"] == "")
        .unwrap();
    let bundle = inst.dir.path().join(format!("{slug}.sigstore.json"));
    std::fs::write(&bundle, sig["bundle"].to_string()).unwrap();
    let payload = inst.dir.path().join(format!("{slug}.payload.json"));
    std::fs::write(&payload, bundles["payload"].as_str().unwrap()).unwrap();
    let identity = format!("{}/builders/v1", inst.url);
    if let Err(out) = flareo_testkit::sigstore_verify(
        &trust,
        &bundle,
        &identity,
        &inst.url,
        payload.to_str().unwrap(),
    ) {
        panic!("sigstore-python refused {slug}'s signature:\n{out}");
    }
}

#[test]
fn sqlite_embedded_worker_publish_review_build_mail() {
    let smtp = Smtp::start();
    let registry = DockerRegistry::start();
    let mut inst = Instance::new(&format!(
        "smtp:\n  host: 127.0.0.1\n  port: {}\nworker:\n  lease_secs: 5\npush:\n  registry: {}/flareo\n  insecure: true\n",
        smtp.port(),
        registry.host()
    ));
    let data = inst.data("data");
    std::fs::create_dir_all(&data).unwrap();
    inst.import_base(&data);
    inst.start(&["serve"], &data);
    inst.wait_healthy();
    inst.people();

    let id = inst.publish(&repo_root().join("examples/hello"));
    let again = inst
        .cli("maintainer")
        .args([
            "publish",
            repo_root().join("examples/hello").to_str().unwrap(),
        ])
        .env("FLAREO_CONFIG", &inst.config)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr)
            .contains("submission already pending for slug hello")
    );
    let confirmation = smtp.wait_for_matching(
        |m| m.contains(&format!("submission {id}")),
        Duration::from_secs(30),
    );
    assert!(!confirmation.is_empty());

    let queue = json(
        inst.cli("reviewer")
            .args(["review", "list", "--json"])
            .output()
            .unwrap(),
        "review list",
    );
    assert_eq!(queue["pending"][0]["id"], id);
    inst.approve(id);
    let (v, log) = inst.follow(id);
    assert_published(&inst, id, "hello", &smtp, &log, &v);
    assert_pushed(&inst, &registry, "hello", v["digest"].as_str().unwrap());

    // A failing build: the status and the mail carry the specific error.
    let broken = module(inst.dir.path(), "broken", 0);
    let d = std::fs::read_to_string(broken.join("Dockerfile")).unwrap();
    std::fs::write(
        broken.join("Dockerfile"),
        d.replace("USER app", "RUN exit 3\nUSER app"),
    )
    .unwrap();
    let bad = inst.publish(&broken);
    inst.approve(bad);
    let (v, log) = inst.follow(bad);
    assert_eq!(v["status"], "failed", "{v}\n{log}");
    let error = v["error"].as_str().unwrap();
    assert!(error.starts_with("build failed"), "{error}");
    let mails = smtp.wait_for_matching(
        |m| m.contains(&format!("submission {bad} failed")),
        Duration::from_secs(60),
    );
    assert!(mails[0].contains(error), "{mails:?}");

    // A secret baked into a layer fails the scan, naming file and layer, not the secret.
    let leaky = module(inst.dir.path(), "leaky", 0);
    let secret = "Zq8vR3kW9pLm2XcT7bN4yHd6Fs1GjA5eKu0oQiVw";
    std::fs::write(
        leaky.join("site/app.conf"),
        format!("aws_secret_access_key = {secret}\n"),
    )
    .unwrap();
    let bad = inst.publish(&leaky);
    inst.approve(bad);
    let (v, log) = inst.follow(bad);
    assert_eq!(v["status"], "failed", "{v}\n{log}");
    let error = v["error"].as_str().unwrap();
    assert!(
        error.starts_with("secret baked into the image: srv/www/app.conf:1: SEC003"),
        "{error}"
    );
    assert!(error.contains("in layer sha256:"), "{error}");
    assert!(
        !format!("{v}{log}").contains(secret),
        "the secret itself never appears"
    );

    // The server killed hard mid-build, then restarted: the build completes.
    let slow = module(inst.dir.path(), "slow", 12);
    let id = inst.publish(&slow);
    inst.approve(id);
    let deadline = Instant::now() + Duration::from_secs(120);
    while json(
        inst.cli("maintainer")
            .args(["status", &id.to_string(), "--json"])
            .output()
            .unwrap(),
        "status",
    )["status"]
        != "building"
    {
        assert!(Instant::now() < deadline, "never started building");
        std::thread::sleep(Duration::from_millis(300));
    }
    std::thread::sleep(Duration::from_secs(2));
    inst.children[0].kill().unwrap();
    inst.children[0].wait().unwrap();
    inst.start(&["serve"], &data);
    inst.wait_healthy();
    let (v, log) = inst.follow(id);
    assert_published(&inst, id, "slow", &smtp, &log, &v);
    assert!(log.contains("attempt 2"), "{log}");
    assert!(
        log.contains("scanned: 0 packages, 0 findings against 0 advisories"),
        "{log}"
    );

    // A reviewer's VEX statement through the CLI; the served document lists it.
    let doc = json(
        inst.cli("reviewer")
            .args([
                "vex",
                "add",
                "hello",
                "CVE-2099-0001",
                "--status",
                "not_affected",
                "--justification",
                "component_not_present",
                "--json",
            ])
            .output()
            .unwrap(),
        "vex add",
    );
    assert_eq!(
        doc["statements"][0]["vulnerability"]["name"],
        "CVE-2099-0001"
    );
    let refused = inst
        .cli("maintainer")
        .args(["vex", "add", "hello", "CVE-2099-0002", "--status", "fixed"])
        .output()
        .unwrap();
    assert!(!refused.status.success(), "a maintainer cannot write VEX");

    let metrics = reqwest::blocking::get(format!("{}/metrics", inst.url))
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains("flareo_claim_latency_seconds_count 4"),
        "{metrics}"
    );
    assert!(
        metrics.contains("flareo_http_request_duration_seconds"),
        "{metrics}"
    );
    let web = reqwest::blocking::get(format!("{}/modules/slow", inst.url))
        .unwrap()
        .text()
        .unwrap();
    assert!(web.contains(v["digest"].as_str().unwrap()));
}

#[test]
fn postgres_s3_two_workers_and_a_killed_one() {
    let pg = Postgres::start();
    let s3 = S3::start();
    let smtp = Smtp::start();
    let url = pg.database("flareo");
    let store = format!(
        "  kind: s3\n  bucket: {}\n  endpoint: {}\n  region: {}\n  access_key_id: {}\n  secret_access_key: {}\n  allow_http: true\n",
        s3.bucket(),
        s3.endpoint(),
        s3.region(),
        s3.access_key_id(),
        s3.secret_access_key()
    );
    // Workers on other machines sign with the instance's material: a shared dir.
    let signing = tempfile::tempdir().unwrap();
    let mut inst = Instance::new(&format!(
        "database: {url}\nstore:\n{store}smtp:\n  host: 127.0.0.1\n  port: {}\nworker:\n  lease_secs: 6\n  poll_secs: 0.5\nsigning:\n  dir: {}\n",
        smtp.port(),
        signing.path().display()
    ));
    let control = inst.data("control");
    let (a, b) = (inst.data("worker-a"), inst.data("worker-b"));
    for d in [&control, &a, &b] {
        std::fs::create_dir_all(d).unwrap();
    }
    inst.import_base(&a);
    inst.import_base(&b);
    inst.start(&["serve", "--no-worker"], &control);
    inst.wait_healthy();
    assert_eq!(inst.get("/healthz")["blob_store"], "ok");
    inst.people();

    // Worker A alone takes a slow build; it is killed mid-build.
    let wa = inst.start(&["worker"], &a);
    let slow = module(inst.dir.path(), "slow", 20);
    let id = inst.publish(&slow);
    inst.approve(id);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let log = json(
            inst.cli("maintainer")
                .args(["status", &id.to_string(), "--json"])
                .output()
                .unwrap(),
            "status",
        );
        if log["status"] == "building" {
            break;
        }
        assert!(Instant::now() < deadline, "never started building: {log}");
        std::thread::sleep(Duration::from_millis(300));
    }
    std::thread::sleep(Duration::from_secs(3));
    inst.children[wa].kill().unwrap();
    inst.children[wa].wait().unwrap();

    // Worker B (and A restarted: its janitor clears what the kill left) finish it,
    // and build more modules; every build runs once.
    inst.start(&["worker", "--json"], &b);
    inst.start(&["worker"], &a);
    let more: Vec<(i64, String)> = ["one", "two", "three"]
        .iter()
        .map(|slug| {
            let id = inst.publish(&module(inst.dir.path(), slug, 0));
            inst.approve(id);
            (id, slug.to_string())
        })
        .collect();
    let (v, log) = inst.follow(id);
    assert_published(&inst, id, "slow", &smtp, &log, &v);
    let building: Vec<&Value> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == "building")
        .collect();
    assert_eq!(
        building.len(),
        2,
        "killed worker's build resumed by another: {building:?}"
    );
    assert_ne!(
        building[0]["detail"], building[1]["detail"],
        "a different worker resumed it"
    );
    assert!(log.contains("attempt 2"), "{log}");

    for (id, slug) in more {
        let (v, log) = inst.follow(id);
        assert_published(&inst, id, &slug, &smtp, &log, &v);
        let builds = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["status"] == "building")
            .count();
        assert_eq!(builds, 1, "built exactly once: {v}");
    }
    let list = inst.get("/api/v1/modules");
    assert_eq!(list["modules"].as_array().unwrap().len(), 4);
}

/// A copy of the demo module on debian:12-slim (real dpkg database: 96 packages).
fn debian_module(root: &Path, slug: &str) -> PathBuf {
    let dir = module(root, slug, 0);
    let d = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    std::fs::write(
        dir.join("Dockerfile"),
        d.replace("FROM busybox:1.35", "FROM debian:12-slim")
            .replace(
                "RUN mkdir -p /data && chown app:app /data",
                "RUN useradd --system app && mkdir -p /data && chown app:app /data",
            ),
    )
    .unwrap();
    dir
}

#[test]
fn debian_module_gated_on_advisories_and_reevaluated_without_rebuild() {
    let smtp = Smtp::start();
    let mut inst = Instance::new(&format!(
        "smtp:\n  host: 127.0.0.1\n  port: {}\n  from: flareo@example.test\n",
        smtp.port()
    ));
    let data = inst.data("data");
    inst.import_base_image(&data, "debian");
    inst.start(&["serve", "--json"], &data);
    inst.wait_healthy();
    inst.people();
    let root = inst.data("modules");
    std::fs::create_dir_all(&root).unwrap();

    // Built and published with no advisory about its packages.
    let id = inst.publish(&debian_module(&root, "deb"));
    inst.approve(id);
    let (v, log) = inst.follow(id);
    assert_eq!(v["status"], "published", "{v}\n{log}");
    let vulns = inst.get("/api/v1/modules/deb/vulnerabilities");
    assert_eq!(vulns["packages"].as_array().unwrap().len(), 96, "{vulns}");
    assert_eq!(vulns["verdict"]["status"], "pass");
    assert_eq!(inst.get("/api/v1/modules/deb")["evaluation"], Value::Null);

    // A CRITICAL advisory on zlib arrives: the module is re-evaluated from its SBOM.
    let advisories = inst.data("advisories");
    std::fs::create_dir_all(&advisories).unwrap();
    std::fs::write(
        advisories.join("DEBIAN-CVE-2026-0001.json"),
        serde_json::json!({
            "schema_version": "1.6.0", "id": "DEBIAN-CVE-2026-0001", "aliases": ["CVE-2026-0001"],
            "modified": "2026-11-01T00:00:00Z",
            "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
            "affected": [{"package": {"ecosystem": "Debian:12", "name": "zlib"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:1.2.13.dfsg-1+deb12u9"}]}]}]
        })
        .to_string(),
    )
    .unwrap();
    ok(
        flareo()
            .args([
                "advisories",
                "import",
                advisories.to_str().unwrap(),
                "--json",
            ])
            .env("FLAREO_CONFIG", &inst.config)
            .env("FLAREO_DATA_DIR", &data)
            .output()
            .unwrap(),
        "advisories import",
    );
    let evaluation = |verdict: &str| {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let m = inst.get("/api/v1/modules/deb");
            if m["evaluation"]["verdict"] == verdict {
                return m["evaluation"].clone();
            }
            assert!(Instant::now() < deadline, "no {verdict} evaluation: {m}");
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    let e = evaluation("fail");
    assert_eq!(
        e["reason"],
        "Trivy found CRITICAL CVEs: CVE-2026-0001 in zlib1g"
    );
    assert!(
        e["trigger"]
            .as_str()
            .unwrap()
            .starts_with("advisory database changed"),
        "{e}"
    );
    let vulns = inst.get("/api/v1/modules/deb/vulnerabilities");
    assert_eq!(vulns["findings"][0]["installed"], "zlib1g", "{vulns}");
    assert_eq!(vulns["findings"][0]["severity"], "CRITICAL");
    assert_eq!(vulns["findings"][0]["fixed"], "1:1.2.13.dfsg-1+deb12u9");
    let mail = smtp.wait_for_matching(
        |m| m.contains("deb: verdict fail") && m.contains("CVE-2026-0001 in zlib1g"),
        Duration::from_secs(30),
    );
    assert_eq!(mail.len(), 1, "the maintainer is told once: {mail:?}");

    // A reviewer's VEX statement suppresses it: re-evaluated again, it passes.
    ok(
        inst.cli("reviewer")
            .args([
                "vex",
                "add",
                "deb",
                "CVE-2026-0001",
                "--status",
                "not_affected",
                "--justification",
                "vulnerable_code_not_in_execute_path",
                "--json",
            ])
            .output()
            .unwrap(),
        "vex add",
    );
    let e = evaluation("pass");
    assert_eq!(
        (e["findings"].as_i64(), e["suppressed"].as_i64()),
        (Some(0), Some(1))
    );
    let vulns = inst.get("/api/v1/modules/deb/vulnerabilities");
    assert_eq!(
        vulns["findings"][0]["suppressed_by"]["status"], "not_affected",
        "{vulns}"
    );

    // Another module on the same base, without VEX: the gate rejects its build.
    let id = inst.publish(&debian_module(&root, "deb-two"));
    inst.approve(id);
    let (v, log) = inst.follow(id);
    assert_eq!(v["status"], "failed", "{v}\n{log}");
    assert_eq!(
        v["error"], "Trivy found CRITICAL CVEs: CVE-2026-0001 in zlib1g",
        "{v}"
    );
}
