//! sigstore-python (PyPI `sigstore`, pinned), the independent Sigstore verifier the
//! tests run Flareo's bundles through, installed into a venv under
//! `~/.cache/flareo/peers/sigstore-<version>` on first use.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned sigstore-python version (checked to accept Flareo's bundles offline).
pub const SIGSTORE_PYTHON: &str = "4.5.1";

/// The `sigstore` executable, installing it on first use (fails loudly).
pub fn sigstore_cli() -> PathBuf {
    let venv = crate::peers::dir(&format!("sigstore-{SIGSTORE_PYTHON}"));
    let exe = venv.join("bin/sigstore");
    crate::peers::install_once(&venv, &exe, || {
        crate::peers::run(
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
            "creating the sigstore venv",
        );
        crate::peers::run(
            Command::new(venv.join("bin/pip")).args([
                "install",
                "-q",
                &format!("sigstore=={SIGSTORE_PYTHON}"),
            ]),
            "pip install sigstore",
        );
    })
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
