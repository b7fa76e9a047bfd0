//! Binaries built here from committed sources, for the catalogers' tests: a Go
//! program (Debian's Go) and a Rust program built with `cargo auditable`. Built once
//! per source content into `~/.cache/flareo/fixtures/<name>-<hash>/` (built in a
//! temporary directory and renamed into place, so concurrent tests never see half a
//! build); a missing toolchain panics with what to run (scripts/setup.sh).

use std::path::{Path, PathBuf};
use std::process::Command;

fn cache_root() -> PathBuf {
    std::env::var_os("FLAREO_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/flareo")))
        .unwrap_or_else(|| std::env::temp_dir().join("flareo-cache"))
}

/// The files under `dir`, relative to it, in a stable order.
fn files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.expect("read fixture sources"))
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(dir).unwrap_or(e.path()).to_path_buf())
        .collect()
}

/// SHA-256 (first 16 hex digits) of every file's path and bytes under `dir`.
fn content_hash(dir: &Path) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for rel in files(dir) {
        h.update(rel.to_string_lossy().as_bytes());
        h.update([0]);
        h.update(std::fs::read(dir.join(&rel)).expect("read fixture source"));
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn copy_tree(from: &Path, to: &Path) {
    for rel in files(from) {
        let target = to.join(&rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).expect("create fixture build dir");
        }
        std::fs::copy(from.join(&rel), &target).expect("copy fixture source");
    }
}

/// Builds `sources` once: `build(dir)` runs in a copy of them and returns the
/// artifact's path inside it; the copy is then renamed to the cache.
fn cached(name: &str, sources: &Path, artifact: &str, build: impl FnOnce(&Path)) -> PathBuf {
    let root = cache_root().join("fixtures");
    let done = root.join(format!("{name}-{}", content_hash(sources)));
    if done.join(artifact).is_file() {
        return done.join(artifact);
    }
    std::fs::create_dir_all(&root).expect("create the fixture cache");
    let work = tempfile::Builder::new()
        .prefix(&format!(".{name}-"))
        .tempdir_in(&root)
        .expect("fixture build dir");
    copy_tree(sources, work.path());
    build(work.path());
    assert!(
        work.path().join(artifact).is_file(),
        "fixture {name}: {artifact} was not built"
    );
    let work = work.keep();
    if std::fs::rename(&work, &done).is_err() {
        // Another test built it first; theirs is as good as ours.
        let _ = std::fs::remove_dir_all(&work);
    }
    done.join(artifact)
}

fn run(what: &str, cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e} (run scripts/setup.sh first)"));
    assert!(
        out.status.success(),
        "{what} failed (run scripts/setup.sh first): {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A Go binary built from `sources` (a module with a `vendor/` directory) with
/// `go build -mod=vendor`, offline (`GOPROXY=off`).
pub fn go_binary(sources: &Path) -> PathBuf {
    cached("go", sources, "app", |dir| {
        run(
            "go build",
            Command::new("go")
                .args(["build", "-mod=vendor", "-trimpath", "-o", "app", "."])
                .current_dir(dir)
                .env("GOPROXY", "off")
                .env("GOFLAGS", "")
                .env("CGO_ENABLED", "0"),
        );
    })
}

/// A Rust binary built from `sources` (a crate with its own `[workspace]` and
/// `Cargo.lock`) with `cargo auditable build --release --locked`. `cargo-auditable`
/// is looked for on PATH and in `~/.cache/flareo/cargo/bin` (scripts/setup.sh).
pub fn auditable_binary(sources: &Path, binary: &str) -> PathBuf {
    let artifact = format!("target/release/{binary}");
    cached("rust", sources, &artifact, |dir| {
        let mut path = std::env::var_os("PATH").unwrap_or_default();
        let extra = cache_root().join("cargo/bin");
        path = std::env::join_paths(std::iter::once(extra).chain(std::env::split_paths(&path)))
            .expect("PATH");
        run(
            "cargo auditable build",
            Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
                .args(["auditable", "build", "--release", "--locked", "--quiet"])
                .current_dir(dir)
                .env("PATH", path)
                .env("CARGO_TARGET_DIR", dir.join("target"))
                .env_remove("RUSTFLAGS"),
        );
    })
}
