//! Real fixtures for Flareo's tests (PostgreSQL, S3, SMTP, docker-registry, an OIDC
//! issuer, headless Chromium), each started on 127.0.0.1 or in a temporary
//! directory and stopped on drop. A fixture
//! that cannot start panics with what to install (scripts/setup.sh); none of them
//! skips. Used only as a dev-dependency.

pub mod browser;
pub mod fixtures;
pub mod oidc;
mod peers;
pub mod postgres;
pub mod registry;
pub mod s3;
mod server;
pub mod sigstore;
pub mod smtp;

use std::path::{Path, PathBuf};
use std::process::Command;

pub use browser::{Browser, Landed, Page};
pub use oidc::OidcIssuer;
pub use postgres::{Postgres, sqlite_url};
pub use registry::{DockerRegistry, TestImage, TokenAuth, write_oci_layout};
pub use s3::S3;
pub use sigstore::{sigstore_cli, sigstore_js_verify, sigstore_python_verify, sigstore_verify};
pub use smtp::Smtp;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A free TCP port on 127.0.0.1 (free when asked; the caller binds it next).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// Whether this process runs as root.
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().next().map(|u| u == "0"))
        .unwrap_or(false)
}

/// Builds (or reuses from `~/.cache/flareo/base-images`) an offline base image with
/// `scripts/base-images.sh`; returns its `name:tag` and the OCI archive.
pub fn base_image(which: &str) -> (String, PathBuf) {
    let out = Command::new(repo_root().join("scripts/base-images.sh"))
        .arg(which)
        .output()
        .expect("run scripts/base-images.sh");
    assert!(
        out.status.success(),
        "scripts/base-images.sh {which} failed (run scripts/setup.sh first): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8(out.stdout).expect("utf-8");
    let (name, path) = line.trim().split_once(' ').expect("NAME:TAG PATH");
    (name.to_string(), PathBuf::from(path))
}

/// The team's shared directory (validators, conformance suites): `FLAREO_SHARED_DIR`,
/// beside the clone, or `/work/shared`.
pub fn shared_dir() -> PathBuf {
    let candidates: Vec<PathBuf> = std::env::var_os("FLAREO_SHARED_DIR")
        .map(PathBuf::from)
        .into_iter()
        .chain([repo_root().join("../shared"), PathBuf::from("/work/shared")])
        .collect();
    candidates
        .iter()
        .find(|d| d.join("validators").is_dir())
        .cloned()
        .unwrap_or_else(|| {
            panic!("shared directory not found (set FLAREO_SHARED_DIR); looked in {candidates:?}")
        })
}

/// Runs one of the shared validators with `args`: (exit code, stdout and stderr).
pub fn run_validator(validator: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new(shared_dir().join("validators").join(validator))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run validator {validator}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// Runs one of the shared validators on `file`; Ok when it accepts it, Err with its
/// output when it does not.
pub fn validate(validator: &str, file: &Path, args: &[&str]) -> Result<String, String> {
    let file = file.to_str().expect("validator inputs have UTF-8 paths");
    let all: Vec<&str> = std::iter::once(file).chain(args.iter().copied()).collect();
    match run_validator(validator, &all) {
        (0, text) => Ok(text),
        (_, text) => Err(text),
    }
}

/// The layers (base first) of the first image in an OCI archive (`oci-archive:`
/// tar), as stored: compressed blobs.
pub fn oci_archive_layers(archive: &Path) -> Vec<Vec<u8>> {
    use std::io::Read;
    let file =
        std::fs::File::open(archive).unwrap_or_else(|e| panic!("{}: {e}", archive.display()));
    let mut blobs = std::collections::BTreeMap::new();
    let mut index = Vec::new();
    for entry in tar::Archive::new(file).entries().expect("an OCI archive") {
        let mut entry = entry.expect("archive entry");
        let path = entry
            .path()
            .expect("entry path")
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).expect("read entry");
        if path == "index.json" {
            index = content;
        } else if let Some(hex) = path.strip_prefix("blobs/sha256/") {
            blobs.insert(format!("sha256:{hex}"), content);
        }
    }
    let index: serde_json::Value = serde_json::from_slice(&index).expect("index.json");
    let manifest = index["manifests"][0]["digest"]
        .as_str()
        .expect("a manifest");
    let manifest: serde_json::Value =
        serde_json::from_slice(&blobs[manifest]).expect("manifest JSON");
    manifest["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| blobs[l["digest"].as_str().expect("layer digest")].clone())
        .collect()
}
