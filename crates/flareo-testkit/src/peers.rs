//! Peer tools the tests run (verifiers, an OIDC issuer), each installed once into
//! `~/.cache/flareo/peers/<name>` from its package registry, one installer at a
//! time across parallel tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// `~/.cache/flareo/peers/<name>`.
pub(crate) fn dir(name: &str) -> PathBuf {
    let home = std::env::var_os("HOME").expect("HOME is set");
    Path::new(&home).join(".cache/flareo/peers").join(name)
}

/// Returns `ready` once it exists, running `install` first if it does not (under
/// a lock next to `dir`, so parallel tests install once). Panics if `install`
/// leaves `ready` missing.
pub(crate) fn install_once(dir: &Path, ready: &Path, install: impl FnOnce()) -> PathBuf {
    if ready.exists() {
        return ready.to_path_buf();
    }
    std::fs::create_dir_all(dir.parent().expect("peer dirs have a parent")).expect("cache dir");
    let lock = dir.with_extension("lock");
    let _guard = loop {
        match std::fs::create_dir(&lock) {
            Ok(()) => break LockDir(lock.clone()),
            Err(_) if ready.exists() => return ready.to_path_buf(),
            Err(_) => std::thread::sleep(Duration::from_millis(500)),
        }
    };
    if !ready.exists() {
        install();
    }
    assert!(
        ready.exists(),
        "installing into {} did not produce {}",
        dir.display(),
        ready.display()
    );
    ready.to_path_buf()
}

/// An npm package installed once under `~/.cache/flareo/peers/<package>-<version>`
/// (with its dependencies, which the script may import too),
/// with `script` (a Node launcher, ES module) written next to it as `script_name`
/// (ES modules resolve packages next to the script). Returns the script's path.
pub(crate) fn npm_peer(package: &str, version: &str, script_name: &str, script: &str) -> PathBuf {
    // A scoped package (`@scope/name`) is kept as `scope-name`.
    let flat = package.trim_start_matches('@').replace('/', "-");
    let dir = dir(&format!("{flat}-{version}"));
    let ready = dir.join("node_modules").join(package).join("package.json");
    install_once(&dir, &ready, || {
        std::fs::create_dir_all(&dir).expect("peer dir");
        std::fs::write(
            dir.join("package.json"),
            format!(r#"{{"name":"flareo-peer-{flat}","private":true}}"#),
        )
        .expect("package.json");
        run(
            Command::new("npm")
                .current_dir(&dir)
                .args(["install", "--no-fund", "--no-audit", "--loglevel=error"])
                .arg(format!("{package}@{version}")),
            &format!("npm install {package}@{version} (needs node and npm: scripts/setup.sh)"),
        );
    });
    let path = dir.join(script_name);
    // Written on every start (not under the lock): identical bytes, and a rename
    // makes the write atomic for a parallel test already reading it.
    let tmp = dir.join(format!(".{script_name}.{}", std::process::id()));
    std::fs::write(&tmp, script).expect("writing the launcher");
    std::fs::rename(&tmp, &path).expect("placing the launcher");
    path
}

/// Runs an installer step; panics with its stderr when it fails.
pub(crate) fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

struct LockDir(PathBuf);

impl Drop for LockDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}
