//! sigstore-python (PyPI `sigstore`, pinned), the independent Sigstore verifier the
//! tests run Flareo's bundles through, installed into a venv under
//! `~/.cache/flareo/peers/sigstore-<version>` on first use.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned sigstore-python version (checked to accept Flareo's bundles offline).
pub const SIGSTORE_PYTHON: &str = "4.5.1";

/// The `sigstore` executable, installing it on first use (fails loudly).
pub fn sigstore_cli() -> PathBuf {
    let home = std::env::var_os("HOME").expect("HOME is set");
    let venv = Path::new(&home).join(format!(".cache/flareo/peers/sigstore-{SIGSTORE_PYTHON}"));
    let exe = venv.join("bin/sigstore");
    if exe.exists() {
        return exe;
    }
    let lock = venv.with_extension("lock");
    std::fs::create_dir_all(venv.parent().expect("has a parent")).expect("cache dir");
    // One installer at a time (tests run in parallel).
    let _guard = loop {
        match std::fs::create_dir(&lock) {
            Ok(()) => break LockDir(lock.clone()),
            Err(_) if exe.exists() => return exe,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(500)),
        }
    };
    if exe.exists() {
        return exe;
    }
    let run = |cmd: &mut Command, what: &str| {
        let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(
        Command::new("python3").args(["-m", "venv"]).arg(&venv),
        "creating the sigstore venv",
    );
    run(
        Command::new(venv.join("bin/pip")).args([
            "install",
            "-q",
            &format!("sigstore=={SIGSTORE_PYTHON}"),
        ]),
        "pip install sigstore",
    );
    exe
}

struct LockDir(PathBuf);

impl Drop for LockDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// Runs `sigstore --trust-config <trust> verify identity --offline` on `artifact`
/// (a file, or `sha256:<hex>`) with `bundle`; Ok(output) when it verifies.
pub fn sigstore_verify(
    trust: &Path,
    bundle: &Path,
    identity: &str,
    issuer: &str,
    artifact: &str,
) -> Result<String, String> {
    let out = Command::new(sigstore_cli())
        .arg("--trust-config")
        .arg(trust)
        .args(["verify", "identity", "--offline", "--bundle"])
        .arg(bundle)
        .args([
            "--cert-identity",
            identity,
            "--cert-oidc-issuer",
            issuer,
            artifact,
        ])
        .output()
        .expect("running sigstore");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}
