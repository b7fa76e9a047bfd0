//! Python packages: installed distributions' core metadata
//! (`*.dist-info/METADATA`, and `PKG-INFO` of `*.egg-info`): name, version and
//! license (`License-Expression`, else `License`, else the license classifiers).

use super::Package;
use crate::version::Ecosystem;

/// Whether `path` is a metadata file this cataloger reads.
pub fn is_metadata(path: &str) -> bool {
    path.ends_with(".dist-info/METADATA")
        || path.ends_with(".egg-info/PKG-INFO")
        || path.ends_with(".egg-info")
}

/// The package a metadata file describes, if it names one.
pub fn package(location: &str, metadata: &str) -> Option<Package> {
    let (mut name, mut version, mut expression, mut license) = (None, None, None, None);
    let mut classifiers = Vec::new();
    for line in metadata.lines() {
        if line.is_empty() {
            break; // the body (long description) starts here
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim().to_string();
        match key {
            "Name" => name = Some(value),
            "Version" => version = Some(value),
            "License-Expression" => expression = Some(value),
            "License" if !value.is_empty() && value != "UNKNOWN" && !value.contains('\n') => {
                license = Some(value)
            }
            "Classifier" => {
                if let Some(l) = value.strip_prefix("License :: ") {
                    classifiers.push(l.rsplit(" :: ").next().unwrap_or(l).to_string());
                }
            }
            _ => {}
        }
    }
    let (name, version) = (name?, version?);
    let licenses = match (expression, license) {
        (Some(e), _) => vec![e],
        (None, Some(l)) if l.len() <= 100 => vec![l],
        _ => classifiers,
    };
    let normalised = crate::osv::normalise_name(Ecosystem::PyPI, &name);
    Some(Package {
        ecosystem: Ecosystem::PyPI,
        purl: super::purl::purl("pypi", None, &normalised, &version, &[]),
        name,
        version,
        licenses,
        location: location.to_string(),
        source: None,
        dependencies: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_fields() {
        let p = package(
            "usr/lib/python3/dist-packages/Foo_Bar-1.0.dist-info/METADATA",
            "Metadata-Version: 2.4\nName: Foo_Bar\nVersion: 1.0\nLicense-Expression: MIT OR Apache-2.0\n\nLicense: not a header\n",
        )
        .unwrap();
        assert_eq!(p.purl, "pkg:pypi/foo-bar@1.0");
        assert_eq!(p.licenses, ["MIT OR Apache-2.0"]);
        let q = package("x.egg-info/PKG-INFO", "Name: q\nVersion: 2\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: BSD License\n").unwrap();
        assert_eq!(q.licenses, ["BSD License"]);
        assert!(package("y.dist-info/METADATA", "Name: y\n").is_none());
        assert!(is_metadata("a/b-1.dist-info/METADATA") && !is_metadata("a/b-1.dist-info/RECORD"));
    }
}
