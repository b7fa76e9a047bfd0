//! A real registry to push to: Debian's `docker-registry` (CNCF distribution 2.8)
//! on a free 127.0.0.1 port, storing under a temporary directory, optionally
//! behind htpasswd basic auth or bearer tokens; killed on drop. A missing binary
//! fails the test: run scripts/setup.sh. Also small OCI images written by hand,
//! for registry tests that need an image without building one.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sha2::Digest as _;

use crate::free_port;
use crate::server::{Starting, http_status};

/// The binary Debian's `docker-registry` package installs.
const BINARY: &str = "/usr/bin/docker-registry";
/// How long the registry may take to answer.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `docker-registry`, for one test.
pub struct DockerRegistry {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
    credentials: Option<(String, String)>,
    /// Answers `/v2/` with 401 (basic or token auth).
    guarded: bool,
}

/// Token authentication (`auth: token` in distribution's configuration): the
/// registry sends clients to `realm` for a JWT signed by a key whose certificate
/// chains to `root_cert_pem`, issued by `issuer` for audience `service`.
#[derive(Debug, Clone)]
pub struct TokenAuth {
    /// The token service's URL.
    pub realm: String,
    /// The `service` (token audience) the registry names.
    pub service: String,
    /// The `iss` tokens must carry.
    pub issuer: String,
    /// PEM certificate(s) token signing certificates must chain to.
    pub root_cert_pem: String,
}

/// How the registry authenticates.
enum Auth<'a> {
    Anonymous,
    Basic(&'a str, &'a str),
    Token(&'a TokenAuth),
}

/// An htpasswd line for `user` with a bcrypt hash of `password` (the only hash
/// distribution accepts): `htpasswd -B` (apache2-utils) when installed, else
/// Python's `crypt` module, which uses the system's bcrypt.
fn htpasswd_line(user: &str, password: &str) -> String {
    if let Ok(out) = Command::new("htpasswd")
        .args(["-nbB", user, password])
        .output()
        && out.status.success()
    {
        return String::from_utf8_lossy(&out.stdout).trim().to_string();
    }
    let out = Command::new("python3")
        .args([
            "-W",
            "ignore",
            "-c",
            "import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))",
            password,
        ])
        .output()
        .expect("run python3 to hash an htpasswd password");
    let hash = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        out.status.success() && hash.starts_with("$2"),
        "no bcrypt for htpasswd: install apache2-utils (htpasswd) or a python3 with crypt: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    format!("{user}:{hash}")
}

impl DockerRegistry {
    /// Starts an anonymous registry (anyone may push and pull).
    pub fn start() -> Self {
        Self::launch(Auth::Anonymous)
    }

    /// Starts a registry that requires HTTP basic auth as `user`/`password`.
    pub fn start_with_basic_auth(user: &str, password: &str) -> Self {
        Self::launch(Auth::Basic(user, password))
    }

    /// Starts a registry that requires bearer tokens from `token.realm`.
    pub fn start_with_token_auth(token: &TokenAuth) -> Self {
        Self::launch(Auth::Token(token))
    }

    fn launch(auth: Auth<'_>) -> Self {
        assert!(
            Path::new(BINARY).is_file(),
            "{BINARY} not found: install Debian's docker-registry (run scripts/setup.sh)"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let (auth_yaml, credentials) = match auth {
            Auth::Anonymous => (String::new(), None),
            Auth::Basic(user, password) => {
                let htpasswd = dir.path().join("htpasswd");
                std::fs::write(&htpasswd, format!("{}\n", htpasswd_line(user, password)))
                    .expect("write htpasswd");
                (
                    format!(
                        "auth:\n  htpasswd:\n    realm: flareo-test\n    path: {}\n",
                        htpasswd.display()
                    ),
                    Some((user.to_string(), password.to_string())),
                )
            }
            Auth::Token(token) => {
                let bundle = dir.path().join("token-root.pem");
                std::fs::write(&bundle, &token.root_cert_pem).expect("write token root");
                (
                    format!(
                        "auth:\n  token:\n    realm: {}\n    service: {}\n    issuer: {}\n    rootcertbundle: {}\n",
                        token.realm,
                        token.service,
                        token.issuer,
                        bundle.display()
                    ),
                    None,
                )
            }
        };
        let guarded = !auth_yaml.is_empty();
        let config = format!(
            "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n  maintenance:\n    uploadpurging:\n      enabled: false\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: flareo-test-secret\n{auth_yaml}",
            dir.path().join("data").display()
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("write config.yml");
        let log = std::fs::File::create(dir.path().join("registry.log")).expect("registry.log");
        let child = Command::new(BINARY)
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("registry.log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {BINARY}: {e} (run scripts/setup.sh)"));
        let mut registry = Self {
            child,
            port,
            dir,
            credentials,
            guarded,
        };
        registry.wait_until_up();
        registry
    }

    /// Polls `/v2/` until it answers 200 (or 401 behind auth).
    fn wait_until_up(&mut self) {
        let port = self.port;
        let ready = if self.guarded { 401 } else { 200 };
        let log = self.dir.path().join("registry.log");
        Starting {
            name: "docker-registry",
            port,
            child: Some(&mut self.child),
            log: &log,
            timeout: START_TIMEOUT,
        }
        .wait(|| match http_status(port, "GET", "/v2/") {
            Ok(status) if status == ready => true,
            Ok(status) => panic!(
                "docker-registry answered GET /v2/ with {status}, expected {ready}: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            ),
            Err(_) => false,
        });
    }

    /// What the registry has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// `127.0.0.1:<port>`, as image references name it.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The user and password it requires, when started with basic auth.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        self.credentials
            .as_ref()
            .map(|(u, p)| (u.as_str(), p.as_str()))
    }
}

impl Drop for DockerRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A single-image OCI layout written by [`write_oci_layout`].
#[derive(Debug, Clone)]
pub struct TestImage {
    /// The layout directory.
    pub dir: PathBuf,
    /// `sha256:<hex>` of the image manifest.
    pub manifest: String,
    /// `sha256:<hex>` of the config.
    pub config: String,
    /// `sha256:<hex>` of each (gzip) layer, base first.
    pub layers: Vec<String>,
}

fn sha256(bytes: &[u8]) -> String {
    let hex: String = sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

fn write_blob(dir: &Path, bytes: &[u8]) -> String {
    let digest = sha256(bytes);
    let path = dir.join("blobs/sha256").join(&digest["sha256:".len()..]);
    std::fs::write(path, bytes).expect("write blob");
    digest
}

/// Writes an OCI layout at `dir` holding one image (OCI media types, tagged
/// `tag`): one gzip layer per `(path, content)` file, a linux/amd64 config with
/// the right diff ids, and a manifest. The same input gives the same digests.
pub fn write_oci_layout(dir: &Path, tag: &str, files: &[(&str, &[u8])]) -> TestImage {
    std::fs::create_dir_all(dir.join("blobs/sha256")).expect("create layout");
    let mut layers = Vec::new();
    let mut diff_ids = Vec::new();
    let mut descriptors = Vec::new();
    for (path, content) in files {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, path, *content)
            .expect("tar entry");
        let tar = builder.into_inner().expect("tar");
        diff_ids.push(sha256(&tar));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar).expect("gzip");
        let gz = gz.finish().expect("gzip");
        let digest = write_blob(dir, &gz);
        descriptors.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": digest,
            "size": gz.len(),
        }));
        layers.push(digest);
    }
    let config = serde_json::json!({
        "created": "1970-01-01T00:00:00Z",
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": files.iter().map(|(p, _)| serde_json::json!({
            "created": "1970-01-01T00:00:00Z",
            "created_by": format!("COPY {p}"),
        })).collect::<Vec<_>>(),
    })
    .to_string();
    let config_digest = write_blob(dir, config.as_bytes());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config.len(),
        },
        "layers": descriptors,
    })
    .to_string();
    let manifest_digest = write_blob(dir, manifest.as_bytes());
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }],
    });
    std::fs::write(dir.join("index.json"), index.to_string()).expect("write index.json");
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)
        .expect("write oci-layout");
    TestImage {
        dir: dir.to_path_buf(),
        manifest: manifest_digest,
        config: config_digest,
        layers,
    }
}

/// The file of blob `digest` (`sha256:<hex>`) in the OCI layout at `dir`.
pub fn layout_blob_path(dir: &Path, digest: &str) -> PathBuf {
    dir.join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"))
}

/// Copies the OCI layout (or any directory tree of plain files) at `from` to `to`.
pub fn copy_layout(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk the layout");
        let target = to.join(entry.path().strip_prefix(from).expect("under the layout"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("create a layout directory");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a layout file");
        }
    }
}

/// Replaces blob `old` of the OCI layout at `dir` with `bytes` (stored under their
/// own digest) and re-points what references it: every manifest or index naming it
/// as config, layer, blob or child manifest is rewritten (recursively, each under
/// its new digest), and so is `index.json`. `subject` fields are left alone. The
/// layout is then consistent again: only what `bytes` say differs. Returns the new
/// blob's digest.
pub fn rewrite_layout_blob(dir: &Path, old: &str, bytes: &[u8]) -> String {
    let new = write_blob(dir, bytes);
    let mut rewritten = std::collections::BTreeMap::new();
    rewritten.insert(old.to_string(), Some((new.clone(), bytes.len() as u64)));
    let index_path = dir.join("index.json");
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&index_path).expect("read index.json"))
            .expect("index.json is JSON");
    if repoint(dir, &mut index, &mut rewritten) {
        std::fs::write(&index_path, index.to_string()).expect("write index.json");
    }
    new
}

/// Re-points the descriptors of `doc` at rewritten blobs; whether any changed.
/// `rewritten` maps a digest to its replacement (`None`: unchanged).
fn repoint(
    dir: &Path,
    doc: &mut serde_json::Value,
    rewritten: &mut std::collections::BTreeMap<String, Option<(String, u64)>>,
) -> bool {
    let mut changed = false;
    let mut descriptors: Vec<&mut serde_json::Value> = Vec::new();
    for (key, value) in doc.as_object_mut().into_iter().flatten() {
        match (key.as_str(), value) {
            ("config", config) => descriptors.push(config),
            ("layers" | "blobs" | "manifests", serde_json::Value::Array(list)) => {
                descriptors.extend(list.iter_mut())
            }
            _ => {}
        }
    }
    for descriptor in descriptors {
        let Some(digest) = descriptor["digest"].as_str().map(str::to_string) else {
            continue;
        };
        if !rewritten.contains_key(&digest) {
            let replacement = std::fs::read(layout_blob_path(dir, &digest))
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .filter(|v| v.get("schemaVersion").is_some())
                .and_then(|mut manifest| {
                    repoint(dir, &mut manifest, rewritten).then(|| {
                        let bytes = manifest.to_string().into_bytes();
                        (write_blob(dir, &bytes), bytes.len() as u64)
                    })
                });
            rewritten.insert(digest.clone(), replacement);
        }
        if let Some(Some((new, size))) = rewritten.get(&digest) {
            descriptor["digest"] = new.as_str().into();
            descriptor["size"] = (*size).into();
            changed = true;
        }
    }
    changed
}
