//! The SBOM: CycloneDX 1.6 JSON for an image, built from its cataloged packages.
//! The image is the metadata component, the OS and every package are components
//! (with the layer that added them and the file they were found in as
//! properties), and the image depends on them; packages whose metadata records
//! their dependencies (Cargo, Go) depend on those components found in the same file. Deterministic byte for byte: no
//! timestamp, a serial number derived from the image digest, sorted components.
//! (Our own serde values: `cyclonedx-bom` 0.8.1, the newest, writes at most 1.5.)

use serde_json::{Value, json};

use crate::catalog::OsRelease;
use crate::catalog::image::LayeredPackage;

/// The image an SBOM describes.
#[derive(Debug, Clone)]
pub struct ImageInfo<'a> {
    /// Repository name (the module slug).
    pub name: &'a str,
    /// Manifest digest (`sha256:<hex>`).
    pub digest: &'a str,
    /// Tag.
    pub tag: &'a str,
    /// Layer digests, base first (properties name the layer of each package).
    pub layers: &'a [String],
}

/// A `urn:uuid:` built from the digest's first 128 bits (version 5 and RFC 4122
/// variant bits set), so the same image always gets the same serial number.
fn serial(digest: &str) -> String {
    let hex: String = digest
        .trim_start_matches("sha256:")
        .chars()
        .chain(std::iter::repeat('0'))
        .take(32)
        .collect();
    let mut b: Vec<char> = hex.chars().collect();
    b[12] = '5';
    b[16] = ['8', '9', 'a', 'b'][(b[16].to_digit(16).unwrap_or(0) & 3) as usize];
    let s: String = b.into_iter().collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &s[0..8],
        &s[8..12],
        &s[12..16],
        &s[16..20],
        &s[20..32]
    )
}

/// The CycloneDX 1.6 document.
pub fn cyclonedx(image: &ImageInfo<'_>, os: &OsRelease, packages: &[LayeredPackage]) -> Value {
    let image_ref = format!("image:{}", image.digest);
    let purl =
        crate::catalog::purl::purl("oci", None, image.name, image.digest, &[("tag", image.tag)]);
    let mut components = Vec::new();
    let mut refs = Vec::new();
    if !os.id.is_empty() {
        let os_ref = format!("os:{}@{}", os.id, os.version_id);
        components.push(json!({
            "type": "operating-system",
            "bom-ref": os_ref,
            "name": os.id,
            "version": os.version_id,
            "description": os.pretty_name,
        }));
        refs.push(os_ref);
    }
    let mut seen = std::collections::BTreeSet::new();
    // (purl, location) → bom-ref, so a dependency resolves to the component found
    // in the same file (the same crate can be in a Cargo.lock and in a binary).
    let mut by_place: std::collections::BTreeMap<(&str, &str), String> = Default::default();
    let mut sorted: Vec<&LayeredPackage> = packages.iter().collect();
    sorted.sort_by(|a, b| {
        a.package
            .purl
            .cmp(&b.package.purl)
            .then(a.package.location.cmp(&b.package.location))
    });
    for lp in sorted {
        let p = &lp.package;
        let mut bom_ref = p.purl.clone();
        let mut n = 1;
        while !seen.insert(bom_ref.clone()) {
            n += 1;
            bom_ref = format!("{}#{n}", p.purl);
        }
        let mut properties = vec![json!({"name": "flareo:package:location", "value": p.location})];
        if let Some(layer) = image.layers.get(lp.layer) {
            properties.push(json!({"name": "flareo:layer:digest", "value": layer}));
        }
        properties.push(json!({"name": "flareo:layer:index", "value": lp.layer.to_string()}));
        if let Some((source, version)) = &p.source {
            properties.push(
                json!({"name": "flareo:package:source", "value": format!("{source}@{version}")}),
            );
        }
        let mut c = json!({
            "type": "library",
            "bom-ref": bom_ref,
            "name": p.name,
            "version": p.version,
            "purl": p.purl,
            "properties": properties,
        });
        if !p.licenses.is_empty() {
            c["licenses"] = Value::Array(
                p.licenses
                    .iter()
                    .map(|l| json!({"license": {"name": l}}))
                    .collect(),
            );
        }
        components.push(c);
        by_place.insert((p.purl.as_str(), p.location.as_str()), bom_ref.clone());
        refs.push(bom_ref);
    }
    let mut dependencies = vec![json!({"ref": image_ref, "dependsOn": refs})];
    for lp in packages {
        let p = &lp.package;
        let on: std::collections::BTreeSet<&String> = p
            .dependencies
            .iter()
            .filter_map(|d| by_place.get(&(d.as_str(), p.location.as_str())))
            .collect();
        if let Some(from) = by_place.get(&(p.purl.as_str(), p.location.as_str()))
            && !on.is_empty()
        {
            dependencies.push(json!({"ref": from, "dependsOn": on}));
        }
    }
    dependencies[1..].sort_by(|a, b| a["ref"].as_str().cmp(&b["ref"].as_str()));
    dependencies.dedup_by(|a, b| a["ref"] == b["ref"]);
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial(image.digest),
        "version": 1,
        "metadata": {
            "tools": {"components": [{"type": "application", "name": "flareo", "version": env!("CARGO_PKG_VERSION")}]},
            "component": {
                "type": "container",
                "bom-ref": image_ref,
                "name": image.name,
                "version": image.digest,
                "purl": purl,
            }
        },
        "components": components,
        "dependencies": dependencies,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn serial_is_a_stable_v5_uuid() {
        let s = super::serial(
            "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        );
        assert_eq!(s, "urn:uuid:01234567-89ab-5def-8123-456789abcdef");
    }
}

/// A stored SBOM could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    /// Not a CycloneDX document Flareo wrote.
    #[error("not a CycloneDX SBOM: {0}")]
    Format(String),
    /// A component's purl names an ecosystem Flareo does not match.
    #[error("component {purl}: unknown package type")]
    UnknownType {
        /// The component's purl.
        purl: String,
    },
}

/// What an SBOM written by [`cyclonedx`] says: the OS and every package (with its
/// layer, file, source package and dependencies), as the catalog gave them, so
/// an image can be re-evaluated without its layers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomContents {
    /// The operating system component.
    pub os: OsRelease,
    /// The packages, in the SBOM's order (sorted by purl, then file).
    pub packages: Vec<LayeredPackage>,
}

fn ecosystem_of(purl: &str) -> Option<crate::version::Ecosystem> {
    use crate::version::Ecosystem;
    let kind = purl.strip_prefix("pkg:")?.split('/').next()?;
    Some(match kind {
        "deb" => Ecosystem::Debian,
        "apk" => Ecosystem::Alpine,
        "npm" => Ecosystem::Npm,
        "cargo" => Ecosystem::CratesIo,
        "golang" => Ecosystem::Go,
        "pypi" => Ecosystem::PyPI,
        _ => return None,
    })
}

/// Reads back an SBOM [`cyclonedx`] wrote (the inverse of it for everything
/// matching needs).
pub fn read(sbom: &Value) -> Result<SbomContents, SbomError> {
    if sbom["bomFormat"] != "CycloneDX" {
        return Err(SbomError::Format("bomFormat is not CycloneDX".into()));
    }
    let components = sbom["components"]
        .as_array()
        .ok_or_else(|| SbomError::Format("no components".into()))?;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let mut os = OsRelease::default();
    let mut purl_of_ref = std::collections::BTreeMap::new();
    let mut packages = Vec::new();
    let mut refs = Vec::new();
    for c in components {
        if c["type"] == "operating-system" {
            os.id = text(&c["name"]);
            os.version_id = text(&c["version"]);
            os.pretty_name = text(&c["description"]);
            continue;
        }
        let purl = text(&c["purl"]);
        let ecosystem = ecosystem_of(&purl).ok_or(SbomError::UnknownType { purl: purl.clone() })?;
        let property = |name: &str| {
            c["properties"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["name"] == name)
                .map(|p| text(&p["value"]))
        };
        let layer = property("flareo:layer:index")
            .and_then(|i| i.parse().ok())
            .ok_or_else(|| SbomError::Format(format!("component {purl}: no layer index")))?;
        let source = property("flareo:package:source").and_then(|s| {
            s.split_once('@')
                .map(|(n, v)| (n.to_string(), v.to_string()))
        });
        let licenses = c["licenses"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|l| text(&l["license"]["name"]))
            .collect();
        purl_of_ref.insert(text(&c["bom-ref"]), purl.clone());
        refs.push(text(&c["bom-ref"]));
        packages.push(LayeredPackage {
            package: crate::catalog::Package {
                ecosystem,
                name: text(&c["name"]),
                version: text(&c["version"]),
                purl,
                licenses,
                location: property("flareo:package:location").unwrap_or_default(),
                source,
                dependencies: Vec::new(),
            },
            layer,
        });
    }
    let mut depends: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for d in sbom["dependencies"].as_array().into_iter().flatten() {
        let on = d["dependsOn"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| purl_of_ref.get(r.as_str().unwrap_or_default()).cloned())
            .collect();
        depends.insert(text(&d["ref"]), on);
    }
    for (lp, r) in packages.iter_mut().zip(&refs) {
        if let Some(on) = depends.remove(r) {
            lp.package.dependencies = on;
        }
    }
    Ok(SbomContents { os, packages })
}
