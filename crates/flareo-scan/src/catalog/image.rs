//! Cataloging a whole image: the files the catalogers need are picked out of its
//! layers ([`wanted`]), the OS is identified from `os-release`, and each package
//! is attributed to the layer that added it (the first layer, after the last one
//! without it, whose package database lists it at its installed version). Language
//! packages (Python, npm, Cargo.lock) and executables' own records (Go build info,
//! `cargo auditable`) belong to the layer that wrote their file.

use std::collections::BTreeMap;

use super::{OsRelease, Package, apk, cargo, dpkg, npm, python};
use crate::layers::ImageFiles;

/// A package with the layer that added it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayeredPackage {
    /// The package.
    pub package: Package,
    /// Index of the layer that added it (0 = base).
    pub layer: usize,
}

const DPKG_STATUS: &str = "var/lib/dpkg/status";
const DPKG_STATUS_D: &str = "var/lib/dpkg/status.d/";
const APK_INSTALLED: &str = "lib/apk/db/installed";

/// The files catalogers read.
pub fn wanted(path: &str) -> bool {
    matches!(
        path,
        "etc/os-release" | "usr/lib/os-release" | DPKG_STATUS | APK_INSTALLED
    ) || path.starts_with(DPKG_STATUS_D)
        || python::is_metadata(path)
        || npm::is_installed_manifest(path)
        || npm::is_lock(path)
        || cargo::is_lock(path)
        || (path.starts_with("usr/share/doc/")
            && path.ends_with("/copyright")
            && path.matches('/').count() == 4)
}

/// The image's OS, from `etc/os-release` or `usr/lib/os-release`.
pub fn os_release(files: &ImageFiles) -> Option<OsRelease> {
    files
        .text("etc/os-release")
        .or_else(|| files.text("usr/lib/os-release"))
        .map(|t| OsRelease::parse(&t))
}

/// The package databases (path, text) in a set of files.
fn databases<'a>(files: impl Iterator<Item = (&'a String, &'a Vec<u8>)>) -> Vec<(String, String)> {
    files
        .filter(|(p, _)| {
            p.as_str() == DPKG_STATUS || p.starts_with(DPKG_STATUS_D) || p.as_str() == APK_INSTALLED
        })
        .map(|(p, c)| (p.clone(), String::from_utf8_lossy(c).into_owned()))
        .collect()
}

fn packages_of(path: &str, text: &str, os: &OsRelease, files: &ImageFiles) -> Vec<Package> {
    if path == APK_INSTALLED {
        apk::packages(path, text, os)
    } else {
        dpkg::packages(path, text, os, |p| {
            files.text(&format!("usr/share/doc/{p}/copyright"))
        })
    }
}

/// Every package of the final image, with the layer that added it; sorted by
/// purl (deterministic).
pub fn catalog(files: &ImageFiles) -> Vec<LayeredPackage> {
    let os = os_release(files).unwrap_or_default();
    // purl → layer that added it, replayed layer by layer over each database file.
    let mut added: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut current: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (layer, written) in files.written.iter().enumerate() {
        for (path, text) in databases(written.iter()) {
            let now: Vec<String> = packages_of(&path, &text, &os, files)
                .into_iter()
                .map(|p| p.purl)
                .collect();
            if let Some(before) = current.get(&path) {
                for gone in before.iter().filter(|p| !now.contains(p)) {
                    added.remove(&(path.clone(), gone.clone()));
                }
            }
            for purl in &now {
                added.entry((path.clone(), purl.clone())).or_insert(layer);
            }
            current.insert(path, now);
        }
    }
    let mut out: Vec<LayeredPackage> = databases(files.files.iter().map(|(p, (_, c))| (p, c)))
        .into_iter()
        .flat_map(|(path, text)| {
            let added = &added;
            packages_of(&path, &text, &os, files)
                .into_iter()
                .map(move |package| {
                    let layer = added
                        .get(&(path.clone(), package.purl.clone()))
                        .copied()
                        .unwrap_or(0);
                    LayeredPackage { package, layer }
                })
        })
        .collect();
    // Language packages: one metadata file per package, added by the layer that wrote it.
    let mut npm_installed = std::collections::BTreeSet::new();
    for (path, (layer, content)) in &files.files {
        if python::is_metadata(path)
            && let Some(package) = python::package(path, &String::from_utf8_lossy(content))
        {
            out.push(LayeredPackage {
                package,
                layer: *layer,
            });
        } else if npm::is_installed_manifest(path)
            && let Some(package) = npm::installed(path, content)
        {
            npm_installed.insert(package.purl.clone());
            out.push(LayeredPackage {
                package,
                layer: *layer,
            });
        }
    }
    // Executables that record their own packages (Go, `cargo auditable`).
    for (layer, packages) in files.binaries.values() {
        out.extend(packages.iter().map(|package| LayeredPackage {
            package: package.clone(),
            layer: *layer,
        }));
    }
    // Lock files add what is pinned but not (or not visibly) installed.
    for (path, (layer, content)) in &files.files {
        if cargo::is_lock(path) {
            out.extend(
                cargo::lock(path, &String::from_utf8_lossy(content))
                    .into_iter()
                    .map(|package| LayeredPackage {
                        package,
                        layer: *layer,
                    }),
            );
        }
        if npm::is_lock(path) {
            // With its node_modules tree in the image, the installed manifests tell
            // what is there; the lock also lists dev and other platforms' packages.
            let dir = path.strip_suffix("package-lock.json").unwrap_or("");
            let tree = format!("{dir}node_modules/");
            let installed_tree = files
                .files
                .range(tree.clone()..)
                .next()
                .is_some_and(|(p, _)| p.starts_with(&tree));
            if installed_tree {
                continue;
            }
            for entry in npm::lock(path, content) {
                if !entry.dev && npm_installed.insert(entry.package.purl.clone()) {
                    out.push(LayeredPackage {
                        package: entry.package,
                        layer: *layer,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| {
        a.package
            .purl
            .cmp(&b.package.purl)
            .then(a.package.location.cmp(&b.package.location))
    });
    out
}
