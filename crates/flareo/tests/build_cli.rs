//! `flareo base` and `flareo build` end to end: the real binary, real buildah,
//! skopeo reading the OCI layout it writes, and a worker killed mid-build.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use flareo_testkit::base_image;

/// A data directory with a config approving BusyBox, and BusyBox imported.
struct Env {
    data: tempfile::TempDir,
    config: PathBuf,
}

impl Env {
    fn new() -> Self {
        let data = tempfile::tempdir().unwrap();
        let config = data.path().join("flareo.yaml");
        std::fs::write(
            &config,
            "approved_bases:\n  - image: busybox:1.35\nbuild:\n  timeout_secs: 120\n",
        )
        .unwrap();
        let env = Self { data, config };
        let (name, file) = base_image("busybox");
        let out = env.flareo(&["base", "import", &name, file.to_str().unwrap(), "--json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        env
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_flareo"));
        cmd.args(args)
            .env("FLAREO_DATA_DIR", self.data.path())
            .env("FLAREO_CONFIG", &self.config)
            .env_remove("SOURCE_DATE_EPOCH");
        cmd
    }

    fn flareo(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run flareo")
    }
}

fn module(dockerfile: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    dir
}

const TAIL: &str = "LABEL org.opencontainers.image.source=s org.opencontainers.image.licenses=MIT org.opencontainers.image.description=d\nUSER 1000\nHEALTHCHECK CMD true\nCMD [\"/bin/sh\"]\n";

#[test]
fn base_list_shows_the_import() {
    let env = Env::new();
    let out = env.flareo(&["base", "list", "--json"]);
    assert!(out.status.success());
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["name"], "busybox");
    assert_eq!(list[0]["tag"], "1.35");
    assert!(list[0]["digest"].as_str().unwrap().starts_with("sha256:"));
    assert!(list[0]["size"].as_u64().unwrap() > 500_000);

    let human = env.flareo(&["base", "list"]);
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(text.starts_with("NAME"), "{text}");
    assert!(
        text.lines().nth(1).unwrap().starts_with("busybox"),
        "{text}"
    );

    let bad = env.flareo(&["base", "import", "busybox", "/nonexistent"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("expected NAME:TAG"));
}

#[test]
fn build_json_and_oci_layout_that_skopeo_reads() {
    let env = Env::new();
    let dir = module(&format!(
        "FROM busybox:1.35\nRUN <<EOF\necho hi > /hi\nEOF\n{TAIL}"
    ));
    let layout = env.data.path().join("layout");
    let out = env.flareo(&[
        "build",
        dir.path().to_str().unwrap(),
        "--json",
        "--oci-layout",
        layout.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let digest = json["digest"].as_str().unwrap();
    assert!(digest.starts_with("sha256:"));
    assert!(json["size"].as_u64().unwrap() > 0);
    assert_eq!(json["layers"].as_array().unwrap().len(), 2);
    assert!(json["duration_s"].as_f64().unwrap() > 0.0);
    // The log streamed to stderr while building.
    assert!(String::from_utf8_lossy(&out.stderr).contains("STEP 2/"));

    let inspect = Command::new("skopeo")
        .args(["inspect", &format!("oci:{}", layout.display())])
        .output()
        .unwrap();
    assert!(
        inspect.status.success(),
        "{}",
        String::from_utf8_lossy(&inspect.stderr)
    );
    let info: Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(info["Digest"], digest);
    assert_eq!(info["Layers"].as_array().unwrap().len(), 2);
}

#[test]
fn failures_exit_1_with_the_seed_message() {
    let env = Env::new();
    let dir = module(&format!("FROM busybox:1.36\n{TAIL}"));
    let out = env.flareo(&["build", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("base image not in approved list: busybox:1.36"),
        "{stderr}"
    );
}

/// What a killed worker leaves for the next start to clean.
fn leftovers(data: &Path) -> Vec<String> {
    let storage = data.join("buildah");
    let mut left = Vec::new();
    let out = Command::new("buildah")
        .arg("--root")
        .arg(storage.join("storage"))
        .arg("--runroot")
        .arg(storage.join("run"))
        .args(["containers", "--quiet", "--noheading"])
        .output()
        .unwrap();
    left.extend(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| format!("container {l}")),
    );
    let ps = Command::new("pgrep")
        .args(["-f", "sleep 4242"])
        .output()
        .unwrap();
    left.extend(
        String::from_utf8_lossy(&ps.stdout)
            .lines()
            .map(|l| format!("process {l}")),
    );
    for entry in std::fs::read_dir(storage.join("runc")).unwrap().flatten() {
        left.push(format!("runc state {}", entry.path().display()));
    }
    left
}

#[test]
fn a_killed_build_is_cleaned_up_at_next_start() {
    let env = Env::new();
    let dir = module(&format!("FROM busybox:1.35\nRUN sleep 4242\n{TAIL}"));
    let mut child = env
        .command(&["build", dir.path().to_str().unwrap()])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the RUN is running, then kill the worker outright.
    let stderr = child.stderr.take().unwrap();
    for line in BufReader::new(stderr).lines() {
        if line.unwrap().contains("RUN sleep 4242") {
            break;
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(1500));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !leftovers(env.data.path()).is_empty(),
        "the crash left nothing: the test proves nothing"
    );

    // The next start (any command opening the engine) cleans up.
    let out = env.flareo(&["base", "list"]);
    assert!(out.status.success());
    let left = leftovers(env.data.path());
    assert!(left.is_empty(), "{left:?}");
}
