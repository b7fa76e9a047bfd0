//! The server end to end, for real: `flareo serve` with an embedded worker on
//! SQLite, and `flareo serve --no-worker` with two `flareo worker` processes on
//! PostgreSQL and an S3-compatible store (moto); a maintainer publishes with the
//! CLI, a reviewer approves, buildah builds, the catalog shows the module and a
//! real SMTP server receives the mails. A worker killed with SIGKILL mid-build is
//! replaced by the other after its lease expires. The PostgreSQL instance signs
//! keylessly (`mode: sigstore`) through another instance's Fulcio and Rekor APIs,
//! with tokens from a real OIDC issuer.

use std::cell::Cell;
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
    /// Set when the instance signs keylessly through another's Fulcio and Rekor.
    keyless: Option<Keyless>,
    /// Whether a module of this instance went through the OCI-layout checks.
    layouts_checked: Cell<bool>,
}

/// What verifiers of a keyless (`mode: sigstore`) instance are told.
struct Keyless {
    /// The certificate identity (the token's subject).
    identity: String,
    /// The OIDC issuer.
    issuer: String,
    /// The Fulcio/Rekor instance: its trust root and its log.
    signer_url: String,
    /// That instance's trust root, as the keyless instance was configured with.
    trust: PathBuf,
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
            keyless: None,
            layouts_checked: Cell::new(false),
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
/// signature bundle verifies with sigstore-python offline. Copied with skopeo into
/// OCI layouts, it verifies there too, and tampered copies fail, each naming what
/// is wrong.
fn assert_verifiable(inst: &Instance, slug: &str, digest: &str) {
    let trust = inst.dir.path().join(format!("{slug}.trust.json"));
    ok(
        inst.cli("maintainer")
            .args(["trust-root", "--remote", "-o", trust.to_str().unwrap()])
            .output()
            .unwrap(),
        "trust-root",
    );
    // Who signed, by default the instance's builder under its own issuer; a
    // keyless instance serves the trust root of the CA it signs through.
    let builder = format!("{}/builders/v1", inst.url);
    let (identity, issuer, log_url) = match &inst.keyless {
        Some(k) => {
            let served: Value =
                serde_json::from_str(&std::fs::read_to_string(&trust).unwrap()).unwrap();
            let configured: Value =
                serde_json::from_str(&std::fs::read_to_string(&k.trust).unwrap()).unwrap();
            assert_eq!(
                served["trustedRoot"]["certificateAuthorities"],
                configured["trustedRoot"]["certificateAuthorities"]
            );
            (k.identity.clone(), k.issuer.clone(), k.signer_url.clone())
        }
        None => (builder.clone(), inst.url.clone(), inst.url.clone()),
    };
    let who = ["--identity", identity.as_str(), "--issuer", issuer.as_str()];
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
                &log_url,
                "--builder",
                &builder,
                "--json",
            ])
            .args(who)
            .output()
            .unwrap(),
        "verify",
    );
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(
        check_names(&v),
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
    assert!(
        v["checks"][1]["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("signed by {identity} (issuer {issuer})")),
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
        .args(who)
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
        .args(who)
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
    if let Err(out) = flareo_testkit::sigstore_verify(
        &trust,
        &bundle,
        &identity,
        &issuer,
        payload.to_str().unwrap(),
    ) {
        panic!("an independent verifier refused {slug}'s signature:\n{out}");
    }
    // The OCI-layout checks do not depend on how the image was signed: once per
    // instance, on an embedded-CA one.
    if inst.keyless.is_none() && !inst.layouts_checked.replace(true) {
        assert_layouts_verifiable(inst, slug, digest, &trust);
    }
}

/// The names of the checks in `flareo verify --json` output, in order.
fn check_names(v: &Value) -> Vec<&str> {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect()
}

/// `skopeo copy docker://<from> oci:<to>` (plain HTTP source), with `extra` flags.
fn skopeo_copy(from: &str, to: &str, extra: &[&str]) {
    let out = Command::new("skopeo")
        .args(["copy", "--quiet", "--src-tls-verify=false"])
        .args(extra)
        .arg(from)
        .arg(to)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "skopeo copy {from} {to}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Copies `repo:v1.0.0` (a registry repository, `host/path`) with its cosign
/// `.sig` and `.att` manifests into the OCI layout `dir`, the image under the ref
/// name `<slug>:v1.0.0`, digests preserved.
fn copy_signed_image(repo: &str, slug: &str, digest: &str, dir: &Path) {
    let dir = dir.to_str().unwrap();
    let hex = digest.trim_start_matches("sha256:");
    for (tag, name) in [
        ("v1.0.0".to_string(), format!("{slug}:v1.0.0")),
        (format!("sha256-{hex}.sig"), format!("sha256-{hex}.sig")),
        (format!("sha256-{hex}.att"), format!("sha256-{hex}.att")),
    ] {
        skopeo_copy(
            &format!("docker://{repo}:{tag}"),
            &format!("oci:{dir}:{name}"),
            &["--preserve-digests"],
        );
    }
}

/// `flareo verify <image> --trust-root <trust> [extra]`: (exit code, stdout).
fn verify_cli(image: &str, trust: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let out = flareo()
        .args(["verify", image, "--trust-root", trust.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `flareo verify` refuses `image` (exit 1) with the line `✗ <check>: ...` holding
/// each of `wanted`; returns that line.
fn assert_refused(image: &str, trust: &Path, check: &str, wanted: &[&str]) -> String {
    let (code, text) = verify_cli(image, trust, &[]);
    assert_eq!(code, Some(1), "{image}: {text}");
    let prefix = format!("✗ {check}: ");
    let line = text
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("{image}: no failed {check} check:\n{text}"))
        .to_string();
    for w in wanted {
        assert!(line.contains(w), "{image}: {w:?} not in {line:?}\n{text}");
    }
    assert!(text.contains("NOT verified"), "{text}");
    eprintln!("refused as expected: {line}");
    line
}

/// The referrer in the layout `dir` (listed in index.json without a ref name)
/// holding the image signature's Sigstore bundle: (bundle digest, bundle JSON).
fn signature_bundle(dir: &Path) -> (String, Value) {
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let read = |digest: &str| -> Value {
        serde_json::from_slice(
            &std::fs::read(flareo_testkit::registry::layout_blob_path(dir, digest)).unwrap(),
        )
        .unwrap()
    };
    for entry in index["manifests"].as_array().unwrap() {
        let manifest = read(entry["digest"].as_str().unwrap());
        if manifest["annotations"]["dev.sigstore.bundle.content"] == "message-signature" {
            let layer = manifest["layers"][0]["digest"]
                .as_str()
                .unwrap()
                .to_string();
            let bundle = read(&layer);
            return (layer, bundle);
        }
    }
    panic!(
        "no signature bundle among the referrers in {}",
        dir.display()
    );
}

/// The image, its signature and attestations copied with skopeo into OCI layouts
/// (referrers listed by subject; and, when the instance pushes to an external
/// registry, through the referrers tag copied from there) verify with
/// `flareo verify oci:DIR:REF`; copies with a tampered layer, another image under
/// the module's ref, the signed image under another module's name, a signature by
/// another key, or a forged log entry each fail with their own message.
fn assert_layouts_verifiable(inst: &Instance, slug: &str, digest: &str, trust: &Path) {
    use flareo_testkit::registry::{copy_layout, layout_blob_path, rewrite_layout_blob};
    let host = inst.url.trim_start_matches("http://");
    let repo = format!("{host}/{slug}");
    let hex = digest.trim_start_matches("sha256:");

    // Referrers in the layout by subject: each copied by digest, without a ref name.
    let layout = inst.dir.path().join(format!("{slug}.oci"));
    copy_signed_image(&repo, slug, digest, &layout);
    let referrers = inst.get(&format!("/v2/{slug}/referrers/{digest}"));
    let referrers = referrers["manifests"].as_array().unwrap();
    assert!(referrers.len() >= 3, "{referrers:?}");
    for r in referrers {
        skopeo_copy(
            &format!("docker://{repo}@{}", r["digest"].as_str().unwrap()),
            &format!("oci:{}", layout.display()),
            &["--preserve-digests"],
        );
    }
    let image = format!("oci:{}:{slug}:v1.0.0", layout.display());
    let (code, text) = verify_cli(&image, trust, &["--json"]);
    assert_eq!(code, Some(0), "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(
        check_names(&v),
        [
            "image",
            "signature",
            "transparency log",
            "provenance",
            "sbom"
        ],
        "{v}"
    );
    let signature = v["checks"][1]["detail"].as_str().unwrap();
    assert!(
        signature.contains(&format!("/{slug}@{digest} for repository {slug},")),
        "{signature}"
    );
    // By digest: no repository named, so none compared (and it says so).
    let (code, text) = verify_cli(&format!("oci:{}:{digest}", layout.display()), trust, &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("repository not checked"), "{text}");

    // Referrers through the referrers tag, as skopeo copies it from a registry
    // without the referrers API (the external registry this instance pushes to).
    let config = std::fs::read_to_string(&inst.config).unwrap();
    let pushed = config.split("push:\n").nth(1).and_then(|push| {
        push.lines()
            .find_map(|l| l.trim().strip_prefix("registry: "))
            .map(str::to_string)
    });
    if let Some(registry) = pushed {
        let tagged = inst.dir.path().join(format!("{slug}.tagged.oci"));
        let external = format!("{registry}/{slug}");
        copy_signed_image(&external, slug, digest, &tagged);
        skopeo_copy(
            &format!("docker://{external}:sha256-{hex}"),
            &format!("oci:{}:sha256-{hex}", tagged.display()),
            &["--all"],
        );
        let (code, text) = verify_cli(
            &format!("oci:{}:{slug}:v1.0.0", tagged.display()),
            trust,
            &[],
        );
        assert_eq!(code, Some(0), "{text}");
        assert!(text.contains("verified: oci:"), "{text}");
        eprintln!("verified through the referrers tag:\n{text}");
    }

    // (a) A tampered layer: a changed byte is found, naming the layer.
    let tampered = inst.dir.path().join(format!("{slug}.tampered.oci"));
    copy_layout(&layout, &tampered);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(layout_blob_path(&tampered, digest)).unwrap())
            .unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    let layer = layers.last().unwrap()["digest"].as_str().unwrap();
    let path = layout_blob_path(&tampered, layer);
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
    std::fs::write(&path, &bytes).unwrap();
    assert_refused(
        &format!("oci:{}:{slug}:v1.0.0", tampered.display()),
        trust,
        "image",
        &[
            &format!("layer {} of {} {layer}", layers.len(), layers.len()),
            &format!("blob {layer} has been altered: its content hashes to sha256:"),
        ],
    );

    // (b) Re-tagged: another, unsigned image under the module's ref ...
    let retagged = inst.dir.path().join(format!("{slug}.retagged.oci"));
    copy_layout(&layout, &retagged);
    let (_, busybox) = base_image("busybox");
    let out = Command::new("skopeo")
        .args(["copy", "--quiet"])
        .arg(format!("oci-archive:{}", busybox.display()))
        .arg(format!("oci:{}:{slug}:v1.0.0", retagged.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_refused(
        &format!("oci:{}:{slug}:v1.0.0", retagged.display()),
        trust,
        "signature",
        &["no cosign signature for sha256:", ".sig)"],
    );
    // ... and the signed image under another module's name.
    let renamed = inst.dir.path().join(format!("{slug}.renamed.oci"));
    copy_layout(&layout, &renamed);
    skopeo_copy(
        &format!("docker://{repo}:v1.0.0"),
        &format!("oci:{}:other-module:v1.0.0", renamed.display()),
        &["--preserve-digests"],
    );
    assert_refused(
        &format!("oci:{}:other-module:v1.0.0", renamed.display()),
        trust,
        "signature",
        &[&format!(
            "the signature is for \"{repo}\" (module \"{slug}\"), not for repository \"other-module\" (module \"other-module\")"
        )],
    );

    // (c) The signature bundle re-signed by another key (certificate unchanged).
    let resigned = inst.dir.path().join(format!("{slug}.resigned.oci"));
    copy_layout(&layout, &resigned);
    let (old, mut bundle) = signature_bundle(&resigned);
    let payload = {
        let layout = flareo_oci::OciLayout::open(&resigned).unwrap();
        let (_, sig) = layout.manifest(&format!("sha256-{hex}.sig")).unwrap();
        let sig: Value = serde_json::from_slice(&sig).unwrap();
        let layer = sig["layers"][0]["digest"].as_str().unwrap();
        layout.blob(&layer.parse().unwrap()).unwrap()
    };
    let stranger = flareo_attest::keys::KeyPair::generate();
    bundle["messageSignature"]["signature"] =
        flareo_attest::verify::b64encode(&stranger.sign(&payload)).into();
    rewrite_layout_blob(&resigned, &old, bundle.to_string().as_bytes());
    assert_refused(
        &format!("oci:{}:{slug}:v1.0.0", resigned.display()),
        trust,
        "signature",
        &["signature does not verify with the signing key"],
    );

    // (d) A forged log entry: another root in the inclusion proof, the layout's
    // digests fixed up, so only the log check fails.
    let forged = inst.dir.path().join(format!("{slug}.forged.oci"));
    copy_layout(&layout, &forged);
    let (old, mut bundle) = signature_bundle(&forged);
    let entry = &mut bundle["verificationMaterial"]["tlogEntries"][0];
    let index = entry["logIndex"].as_str().unwrap().to_string();
    let mut root =
        flareo_attest::verify::b64decode(entry["inclusionProof"]["rootHash"].as_str().unwrap())
            .unwrap();
    root[0] ^= 1;
    entry["inclusionProof"]["rootHash"] = flareo_attest::verify::b64encode(&root).into();
    rewrite_layout_blob(&forged, &old, bundle.to_string().as_bytes());
    let image = format!("oci:{}:{slug}:v1.0.0", forged.display());
    assert_refused(
        &image,
        trust,
        "transparency log",
        &[&format!(
            "log entry {index}: inclusion proof does not verify"
        )],
    );
    let (_, text) = verify_cli(&image, trust, &[]);
    for ok in ["✓ image:", "✓ signature:", "✓ provenance:", "✓ sbom:"] {
        assert!(text.contains(ok), "{ok} expected:\n{text}");
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
    // The maintainer watches the build on its page in Chromium, through the kill.
    let browser = flareo_testkit::Browser::launch();
    let watcher = browser.new_page();
    watcher.goto(&format!("{}/login", inst.url));
    watcher.fill("input[name=email]", "maint@example.test");
    watcher.fill("input[name=password]", PASSWORD);
    watcher.submit("form[action='/login'] button");
    watcher.goto(&format!("{}/submissions/{id}", inst.url));
    assert_eq!(
        watcher.attribute("#log", "data-live").as_deref(),
        Some("true")
    );
    inst.children[0].kill().unwrap();
    inst.children[0].wait().unwrap();
    inst.start(&["serve"], &data);
    inst.wait_healthy();
    let (v, log) = inst.follow(id);
    assert_published(&inst, id, "slow", &smtp, &log, &v);
    assert!(log.contains("attempt 2"), "{log}");
    // The page kept polling through the restart, then reloaded with the result.
    watcher.wait_for_text("#status", "published", Duration::from_secs(60));
    let shown = watcher.text("#log");
    assert!(shown.contains("attempt 2"), "{shown}");
    assert!(watcher.text("body").contains(v["digest"].as_str().unwrap()));
    for problem in watcher.problems() {
        assert!(
            problem.contains(&format!("/api/v1/submissions/{id}/log?after="))
                && problem.contains("ERR_CONNECTION_REFUSED"),
            "only the polls while the server was down may fail: {problem}"
        );
    }
    drop(browser);
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
    assert_module_page_instructions_work(&inst, "slow", v["digest"].as_str().unwrap());
}

/// The module page, in headless Chromium, shows the digest and the signatures, and
/// the verification commands it prints, run as printed, succeed.
fn assert_module_page_instructions_work(inst: &Instance, slug: &str, digest: &str) {
    let browser = flareo_testkit::Browser::launch();
    let page = browser.new_page();
    let landed = page.goto(&format!("{}/modules/{slug}", inst.url));
    assert_eq!(landed.status, 200, "{landed:?}");
    assert_eq!(page.text("#digest"), digest);
    let signed = page.texts("#signatures tr");
    for kind in [
        "image signature",
        "https://slsa.dev/provenance/v1",
        "https://cyclonedx.org/bom",
    ] {
        assert!(
            signed.iter().any(|r| r.starts_with(kind)),
            "{kind} missing from {signed:?}"
        );
    }
    let problems = page.problems();
    assert!(problems.is_empty(), "{problems:?}");
    let commands = page.text("#verify");
    let dir = tempfile::tempdir().unwrap();
    for line in commands.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[0], "flareo", "{commands}");
        ok(
            flareo()
                .current_dir(dir.path())
                .args(&words[1..])
                .output()
                .unwrap(),
            line,
        );
    }
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
    // Keyless: another instance's Fulcio and Rekor APIs certify and log what this
    // one's workers sign, for tokens of an OIDC issuer both trust.
    let oidc = flareo_testkit::OidcIssuer::start();
    let mut signer = Instance::new(&format!(
        "signing:\n  oidc_issuers:\n    - url: {}\n      subject_domain: https://ci.flareo.test\n",
        oidc.url()
    ));
    let signer_data = signer.data("signer");
    std::fs::create_dir_all(&signer_data).unwrap();
    signer.start(&["serve", "--no-worker"], &signer_data);
    signer.wait_healthy();
    let trust = signer.dir.path().join("signer.trust.json");
    std::fs::write(&trust, signer.get("/api/v1/trust-root").to_string()).unwrap();
    let identity = "https://ci.flareo.test/flareo/workers".to_string();
    let token = signer.dir.path().join("token");
    std::fs::write(&token, oidc.token(&identity, "sigstore", 3600)).unwrap();
    // Workers on other machines share the instance's material (its log key): a
    // shared dir.
    let signing = tempfile::tempdir().unwrap();
    let mut inst = Instance::new(&format!(
        "database: {url}\nstore:\n{store}smtp:\n  host: 127.0.0.1\n  port: {}\nworker:\n  lease_secs: 6\n  poll_secs: 0.5\n\
         signing:\n  dir: {}\n  mode: sigstore\n  fulcio_url: {}\n  rekor_url: {}\n  oidc_token_file: {}\n  trusted_root: {}\n",
        smtp.port(),
        signing.path().display(),
        signer.url,
        signer.url,
        token.display(),
        trust.display()
    ));
    inst.keyless = Some(Keyless {
        identity,
        issuer: oidc.url(),
        signer_url: signer.url.clone(),
        trust: trust.clone(),
    });
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
    // The CLI follows every page of the list.
    let paged = json(
        inst.cli("maintainer")
            .args(["modules", "--page-size", "1", "--json"])
            .output()
            .unwrap(),
        "modules",
    );
    assert_eq!(paged["modules"], list["modules"]);
    // Every signature and attestation is in the signer's log (3 per module: image,
    // provenance, SBOM; the killed build signed nothing), none in this instance's.
    let logged = signer.get("/api/v1/log")["treeSize"].as_u64().unwrap();
    assert!(logged >= 12, "{logged} entries in the signer's log");
    assert_eq!(inst.get("/api/v1/log")["treeSize"], 0);
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
