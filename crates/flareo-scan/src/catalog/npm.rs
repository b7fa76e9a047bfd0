//! npm packages: installed `node_modules/<name>/package.json` files (what the image
//! really holds) and `package-lock.json` (lockfile v1 `dependencies`, v2/v3
//! `packages`). The image cataloger keeps an installed package over the lock
//! file's entry for the same purl; where the lock's `node_modules` tree is in the
//! image, only what is installed counts (a production install leaves out dev and
//! other platforms' optional packages the lock still lists); a lock without its
//! tree gives its non-dev packages.

use serde_json::Value;

use super::Package;
use crate::version::Ecosystem;

/// An installed package's manifest: `.../node_modules/<name>/package.json` or
/// `.../node_modules/@scope/<name>/package.json`.
pub fn is_installed_manifest(path: &str) -> bool {
    let Some(rest) = path.strip_suffix("/package.json") else {
        return false;
    };
    let Some((_, name)) = rest.rsplit_once("node_modules/") else {
        return false;
    };
    match name.split_once('/') {
        None => !name.is_empty(),
        Some((scope, pkg)) => scope.starts_with('@') && !pkg.is_empty() && !pkg.contains('/'),
    }
}

/// A lock file outside `node_modules`.
pub fn is_lock(path: &str) -> bool {
    (path == "package-lock.json" || path.ends_with("/package-lock.json"))
        && !path.contains("node_modules/")
}

fn license(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) if !s.is_empty() => vec![s.clone()],
        Value::Object(o) => o
            .get("type")
            .and_then(Value::as_str)
            .map(|s| vec![s.to_string()])
            .unwrap_or_default(),
        Value::Array(a) => a.iter().flat_map(license).collect(),
        _ => Vec::new(),
    }
}

fn npm_package(name: &str, version: &str, licenses: Vec<String>, location: &str) -> Package {
    let (namespace, short) = match name.split_once('/') {
        Some((scope, n)) if scope.starts_with('@') => (Some(scope), n),
        _ => (None, name),
    };
    Package {
        ecosystem: Ecosystem::Npm,
        purl: super::purl::purl("npm", namespace, short, version, &[]),
        name: name.to_string(),
        version: version.to_string(),
        licenses,
        location: location.to_string(),
        source: None,
        dependencies: Vec::new(),
    }
}

/// The package an installed `package.json` describes.
pub fn installed(location: &str, json: &[u8]) -> Option<Package> {
    let v: Value = serde_json::from_slice(json).ok()?;
    let name = v["name"].as_str()?;
    let version = v["version"].as_str()?;
    let mut licenses = license(&v["license"]);
    if licenses.is_empty() {
        licenses = license(&v["licenses"]);
    }
    Some(npm_package(name, version, licenses, location))
}

/// One package a lock file pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockEntry {
    /// The package (named by the entry's `name` when it is an alias).
    pub package: Package,
    /// Where npm installs it, relative to the lock file's directory
    /// (`node_modules/a/node_modules/b`); `None` in lockfile v1.
    pub install_path: Option<String>,
    /// Only a development dependency (`"dev": true`): absent from production installs.
    pub dev: bool,
}

/// The packages a lock file pins (the root project itself excluded).
pub fn lock(location: &str, json: &[u8]) -> Vec<LockEntry> {
    let Ok(v) = serde_json::from_slice::<Value>(json) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(packages) = v["packages"].as_object() {
        for (key, p) in packages {
            let Some((_, name)) = key.rsplit_once("node_modules/") else {
                continue; // "" is the root project; workspace folders are not packages
            };
            if p["link"].as_bool() == Some(true) {
                continue;
            }
            // An alias ("lodash4": "npm:lodash@4") installs under its own folder name;
            // the entry's `name` is the real package.
            let name = p["name"].as_str().unwrap_or(name);
            if let Some(version) = p["version"].as_str() {
                out.push(LockEntry {
                    package: npm_package(name, version, license(&p["license"]), location),
                    install_path: Some(key.clone()),
                    dev: p["dev"].as_bool() == Some(true),
                });
            }
        }
    } else if let Some(deps) = v["dependencies"].as_object() {
        fn walk(deps: &serde_json::Map<String, Value>, location: &str, out: &mut Vec<LockEntry>) {
            for (name, d) in deps {
                if let Some(version) = d["version"].as_str() {
                    // v1 writes an alias's version as "npm:<name>@<version>".
                    let (name, version) = version
                        .strip_prefix("npm:")
                        .and_then(|a| a.rsplit_once('@'))
                        .unwrap_or((name, version));
                    out.push(LockEntry {
                        package: npm_package(name, version, Vec::new(), location),
                        install_path: None,
                        dev: d["dev"].as_bool() == Some(true),
                    });
                }
                if let Some(nested) = d["dependencies"].as_object() {
                    walk(nested, location, out);
                }
            }
        }
        walk(deps, location, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_lockfile_v1() {
        assert!(is_installed_manifest("app/node_modules/a/package.json"));
        assert!(is_installed_manifest("app/node_modules/@s/a/package.json"));
        assert!(!is_installed_manifest(
            "app/node_modules/a/lib/package.json"
        ));
        assert!(!is_installed_manifest("app/package.json"));
        assert!(
            is_lock("app/package-lock.json") && !is_lock("app/node_modules/x/package-lock.json")
        );
        let v1 = br#"{"lockfileVersion":1,"dependencies":{"a":{"version":"1.0.0","dependencies":{"b":{"version":"2.0.0"}}}}}"#;
        let p = lock("package-lock.json", v1);
        assert_eq!(
            p.iter()
                .map(|p| p.package.purl.as_str())
                .collect::<Vec<_>>(),
            ["pkg:npm/a@1.0.0", "pkg:npm/b@2.0.0"]
        );
        let v3 = br#"{"lockfileVersion":3,"packages":{"":{"name":"app"},
            "node_modules/lodash4":{"name":"lodash","version":"4.17.21"},
            "node_modules/eslint":{"version":"9.0.0","dev":true}}}"#;
        let p = lock("package-lock.json", v3);
        let at = |key: &str| {
            p.iter()
                .find(|e| e.install_path.as_deref() == Some(key))
                .unwrap()
        };
        let alias = at("node_modules/lodash4");
        assert_eq!(
            alias.package.purl, "pkg:npm/lodash@4.17.21",
            "aliases by their real name"
        );
        assert!(at("node_modules/eslint").dev && !alias.dev);
    }
}
