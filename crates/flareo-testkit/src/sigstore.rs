//! The independent Sigstore verifiers the tests run Flareo's bundles through:
//! sigstore-python (PyPI `sigstore`, pinned; a venv under
//! `~/.cache/flareo/peers/sigstore-<version>`) and sigstore-js (npm
//! `@sigstore/verify`, pinned, the library behind npm's provenance checks; driven
//! by `js/sigstore-js-verify.mjs`), each installed on first use.

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

/// The pinned `@sigstore/verify` version (4.x; runs on Node 20 and later).
pub const SIGSTORE_JS: &str = "4.1.3";

/// Verifies `bundle` with both independent verifiers, offline, against `trust`
/// (a ClientTrustConfig) for `identity` and `issuer`: sigstore-python on `artifact`
/// (a file, or `sha256:<hex>` for a DSSE bundle's subject), then sigstore-js (on
/// the file, when `artifact` is one). Ok(both outputs) when both accept; Err names
/// the verifier that refused and says why.
pub fn sigstore_verify(
    trust: &Path,
    bundle: &Path,
    identity: &str,
    issuer: &str,
    artifact: &str,
) -> Result<String, String> {
    let python = sigstore_python_verify(trust, bundle, identity, issuer, artifact)
        .map_err(|e| format!("sigstore-python {SIGSTORE_PYTHON} refused:\n{e}"))?;
    let file = Path::new(artifact);
    let js = sigstore_js_verify(
        trust,
        bundle,
        identity,
        issuer,
        file.is_file().then_some(file),
    )
    .map_err(|e| format!("sigstore-js {SIGSTORE_JS} refused:\n{e}"))?;
    Ok(format!("{python}{js}"))
}

/// Runs `node sigstore-js-verify.mjs` (`@sigstore/verify`'s `Verifier` over the
/// trusted root in `trust`) on `bundle`, with the signed `artifact` file for a
/// message-signature bundle; Ok(output) when it verifies.
pub fn sigstore_js_verify(
    trust: &Path,
    bundle: &Path,
    identity: &str,
    issuer: &str,
    artifact: Option<&Path>,
) -> Result<String, String> {
    let script = crate::peers::npm_peer(
        "@sigstore/verify",
        SIGSTORE_JS,
        "sigstore-js-verify.mjs",
        include_str!("../js/sigstore-js-verify.mjs"),
    );
    let mut cmd = Command::new("node");
    cmd.arg(script)
        .arg(bundle)
        .arg(trust)
        .args([identity, issuer]);
    if let Some(a) = artifact {
        cmd.arg(a);
    }
    output(
        cmd.output()
            .expect("running node (scripts/setup.sh installs nodejs)"),
    )
}

/// Runs `sigstore --trust-config <trust> verify identity --offline` on `artifact`
/// (a file, or `sha256:<hex>`) with `bundle`; Ok(output) when it verifies.
pub fn sigstore_python_verify(
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
    output(out)
}

/// A verifier's stdout and stderr: Ok when it exited 0.
fn output(out: std::process::Output) -> Result<String, String> {
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
