//! Rust packages: `Cargo.lock` files (read with RustSec's `cargo-lock`) and the
//! dependency tree `cargo auditable` embeds in binaries (read with
//! rust-secure-code's `auditable-info`, see [`super::binary`]).
//!
//! Crates from a registry or a git repository become packages; path crates (the
//! project itself, workspace members, `local` in audit data) do not: they are not
//! published crates an advisory could name, and matching them by name would invent
//! findings.

use super::Package;
use crate::version::Ecosystem;

/// Whether `path` is a `Cargo.lock` of a project (not one inside cargo's own
/// registry or git caches, which every crate source carries).
pub fn is_lock(path: &str) -> bool {
    (path == "Cargo.lock" || path.ends_with("/Cargo.lock"))
        && !path.contains("/registry/src/")
        && !path.contains("/git/checkouts/")
}

fn cargo_purl(name: &str, version: &str, repository: Option<&str>) -> String {
    super::purl::purl(
        "cargo",
        None,
        name,
        version,
        &[("repository_url", repository.unwrap_or(""))],
    )
}

fn package(
    name: &str,
    version: &str,
    location: &str,
    dependencies: Vec<String>,
    purl: String,
) -> Package {
    Package {
        ecosystem: Ecosystem::CratesIo,
        name: name.to_string(),
        version: version.to_string(),
        purl,
        licenses: Vec::new(),
        location: location.to_string(),
        source: None,
        dependencies,
    }
}

/// The registry/git crates a `Cargo.lock` pins, each with the purls of its
/// (non-path) dependencies. A file that does not parse gives no packages.
pub fn lock(location: &str, text: &str) -> Vec<Package> {
    let Ok(lockfile) = text.parse::<cargo_lock::Lockfile>() else {
        return Vec::new();
    };
    let repository = |source: &Option<cargo_lock::SourceId>| -> Option<Option<String>> {
        let s = source.as_ref()?;
        if s.is_path() {
            return None;
        }
        Some((!s.is_default_registry()).then(|| s.url().to_string()))
    };
    lockfile
        .packages
        .iter()
        .filter_map(|p| {
            let repo = repository(&p.source)?;
            let deps = p
                .dependencies
                .iter()
                .filter_map(|d| {
                    let repo = repository(&d.source)?;
                    Some(cargo_purl(
                        d.name.as_str(),
                        &d.version.to_string(),
                        repo.as_deref(),
                    ))
                })
                .collect();
            let version = p.version.to_string();
            let purl = cargo_purl(p.name.as_str(), &version, repo.as_deref());
            Some(package(p.name.as_str(), &version, location, deps, purl))
        })
        .collect()
}

/// The crates recorded in a binary's `cargo auditable` data (runtime and build
/// dependencies; `local` crates left out), each with its dependencies' purls.
pub fn auditable(location: &str, info: &auditable_serde::VersionInfo) -> Vec<Package> {
    use auditable_serde::Source;
    let kept = |p: &auditable_serde::Package| !matches!(p.source, Source::Local);
    // Audit data names the kind of a crate's source, not its URL: no repository_url.
    let purl_of = |p: &auditable_serde::Package| cargo_purl(&p.name, &p.version.to_string(), None);
    info.packages
        .iter()
        .filter(|p| kept(p))
        .map(|p| {
            let deps = p
                .dependencies
                .iter()
                .filter_map(|&i| info.packages.get(i))
                .filter(|d| kept(d))
                .map(purl_of)
                .collect();
            package(&p.name, &p.version.to_string(), location, deps, purl_of(p))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keeps_registry_and_git_crates_with_their_dependencies() {
        let text = r#"
version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["itoa", "forked"]

[[package]]
name = "itoa"
version = "1.0.11"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b"

[[package]]
name = "forked"
version = "0.2.0"
source = "git+https://example.com/forked.git#0123456789abcdef0123456789abcdef01234567"
dependencies = ["itoa"]
"#;
        let p = lock("srv/app/Cargo.lock", text);
        let purls: Vec<&str> = p.iter().map(|p| p.purl.as_str()).collect();
        assert_eq!(
            purls,
            [
                "pkg:cargo/itoa@1.0.11",
                "pkg:cargo/forked@0.2.0?repository_url=https:%2F%2Fexample.com%2Fforked.git",
            ]
        );
        assert_eq!(p[1].dependencies, ["pkg:cargo/itoa@1.0.11"]);
        assert_eq!(p[0].ecosystem, Ecosystem::CratesIo);
        assert!(lock("Cargo.lock", "not toml [").is_empty());
        assert!(is_lock("Cargo.lock") && is_lock("app/Cargo.lock"));
        assert!(!is_lock(
            "usr/local/cargo/registry/src/index.crates.io-6f17d22bba15001f/itoa-1.0.11/Cargo.lock"
        ));
    }
}
