//! What a registry needs to know about a manifest, read from its bytes: its media
//! type, the blobs and child manifests it references, its OCI 1.1 `subject` and
//! artifact type, its annotations. Accepts OCI image manifests and indexes,
//! Docker schema 2 manifests and manifest lists, and OCI artifact manifests with
//! `blobs`. Manifests come from builds, pushes and registries: treat them as
//! untrusted, which is why every digest is checked and the size is capped.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::digest::Digest;

/// `application/vnd.oci.image.manifest.v1+json`.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// `application/vnd.oci.image.index.v1+json`.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// `application/vnd.docker.distribution.manifest.v2+json` (Docker schema 2).
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// `application/vnd.docker.distribution.manifest.list.v2+json`.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Every manifest media type Flareo reads, for `Accept` headers.
pub const MANIFEST_MEDIA_TYPES: [&str; 4] = [
    OCI_MANIFEST,
    OCI_INDEX,
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
];
/// The largest manifest accepted (the distribution spec lets registries refuse
/// manifests over 4 MiB).
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// A manifest whose bytes cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// More than [`MAX_MANIFEST_BYTES`].
    #[error("manifest is {0} bytes, more than the {MAX_MANIFEST_BYTES} accepted")]
    TooLarge(usize),
    /// Not JSON, or not shaped like a manifest.
    #[error("manifest is not valid JSON: {0}")]
    Json(String),
    /// `schemaVersion` is not 2 (schema 1 is long deprecated).
    #[error("manifest schemaVersion {0} is not supported (only 2)")]
    SchemaVersion(u64),
    /// Neither `config` (a manifest) nor `manifests` (an index).
    #[error("manifest has neither a config nor a manifests list")]
    Shape,
    /// A descriptor's digest is not `sha256:<64 hex>`.
    #[error("manifest {field} has digest {digest:?}: only sha256 digests are supported")]
    Digest {
        /// Where in the manifest.
        field: String,
        /// What it says.
        digest: String,
    },
}

/// A descriptor in a manifest: what it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The content's digest.
    pub digest: Digest,
    /// Its size in bytes, as the manifest says.
    pub size: u64,
    /// Its media type, as the manifest says (may be empty).
    pub media_type: String,
}

/// A parsed manifest. Existence means every digest in it is well-formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestInfo {
    /// The manifest's own digest (of the bytes parsed).
    pub digest: Digest,
    /// The bytes' length.
    pub size: u64,
    /// Its media type: the `mediaType` field, or inferred from its shape (an OCI
    /// index when it lists `manifests`, an OCI image manifest otherwise).
    pub media_type: String,
    /// The artifact type the referrers API reports: `artifactType`, else the
    /// config's media type; none for an index without `artifactType`.
    pub artifact_type: Option<String>,
    /// The manifest this one refers to (OCI 1.1 `subject`).
    pub subject: Option<Digest>,
    /// Blobs it references: config first, then layers (or an artifact's `blobs`).
    pub blobs: Vec<Reference>,
    /// Child manifests (an index's `manifests`).
    pub manifests: Vec<Reference>,
    /// Its annotations.
    pub annotations: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDescriptor {
    #[serde(default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    size: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    schema_version: Option<u64>,
    media_type: Option<String>,
    artifact_type: Option<String>,
    config: Option<RawDescriptor>,
    #[serde(default)]
    layers: Vec<RawDescriptor>,
    #[serde(default)]
    blobs: Vec<RawDescriptor>,
    manifests: Option<Vec<RawDescriptor>>,
    subject: Option<RawDescriptor>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

fn reference(field: String, raw: RawDescriptor) -> Result<Reference, ManifestError> {
    let digest = raw.digest.parse().map_err(|_| ManifestError::Digest {
        field,
        digest: raw.digest.clone(),
    })?;
    Ok(Reference {
        digest,
        size: raw.size,
        media_type: raw.media_type,
    })
}

impl ManifestInfo {
    /// Reads a manifest's bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ManifestError> {
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(ManifestError::TooLarge(bytes.len()));
        }
        let raw: RawManifest =
            serde_json::from_slice(bytes).map_err(|e| ManifestError::Json(e.to_string()))?;
        match raw.schema_version {
            Some(2) => {}
            Some(v) => return Err(ManifestError::SchemaVersion(v)),
            None => return Err(ManifestError::Json("missing schemaVersion".into())),
        }
        let is_index = raw.manifests.is_some();
        if !is_index && raw.config.is_none() && raw.blobs.is_empty() {
            return Err(ManifestError::Shape);
        }
        let media_type = raw
            .media_type
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| if is_index { OCI_INDEX } else { OCI_MANIFEST }.to_string());
        let config_type = raw.config.as_ref().map(|c| c.media_type.clone());
        let artifact_type = raw
            .artifact_type
            .filter(|a| !a.is_empty())
            .or(config_type.filter(|c| !c.is_empty()));
        let subject = raw
            .subject
            .map(|s| reference("subject".into(), s).map(|r| r.digest))
            .transpose()?;
        let mut blobs = Vec::new();
        if let Some(config) = raw.config {
            blobs.push(reference("config".into(), config)?);
        }
        for (i, layer) in raw.layers.into_iter().enumerate() {
            blobs.push(reference(format!("layers[{i}]"), layer)?);
        }
        for (i, blob) in raw.blobs.into_iter().enumerate() {
            blobs.push(reference(format!("blobs[{i}]"), blob)?);
        }
        let manifests = raw
            .manifests
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, m)| reference(format!("manifests[{i}]"), m))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            digest: Digest::of(bytes),
            size: bytes.len() as u64,
            media_type,
            artifact_type,
            subject,
            blobs,
            manifests,
            annotations: raw.annotations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    #[test]
    fn image_manifest_with_subject_and_artifact_type() {
        let json = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": "application/vnd.example.sbom",
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": d('a'), "size": 2},
            "layers": [{"mediaType": "application/json", "digest": d('b'), "size": 10}],
            "subject": {"mediaType": OCI_MANIFEST, "digest": d('c'), "size": 100},
            "annotations": {"org.example": "yes"}
        })
        .to_string();
        let m = ManifestInfo::parse(json.as_bytes()).unwrap();
        assert_eq!(m.media_type, OCI_MANIFEST);
        assert_eq!(
            m.artifact_type.as_deref(),
            Some("application/vnd.example.sbom")
        );
        assert_eq!(
            m.subject.as_ref().map(Digest::as_str),
            Some(d('c').as_str())
        );
        let blobs: Vec<_> = m.blobs.iter().map(|b| b.digest.to_string()).collect();
        assert_eq!(blobs, [d('a'), d('b')]);
        assert_eq!(m.annotations["org.example"], "yes");
        assert_eq!(m.size, json.len() as u64);
        assert_eq!(m.digest, Digest::of(json.as_bytes()));
    }

    #[test]
    fn types_are_inferred_when_missing() {
        let index = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":3}}]}}"#,
            d('e')
        );
        let m = ManifestInfo::parse(index.as_bytes()).unwrap();
        assert_eq!(m.media_type, OCI_INDEX);
        assert_eq!(m.artifact_type, None);
        assert_eq!(m.manifests.len(), 1);
        let image = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":3}},"layers":[]}}"#,
            d('f')
        );
        let m = ManifestInfo::parse(image.as_bytes()).unwrap();
        assert_eq!(m.media_type, OCI_MANIFEST);
        assert_eq!(
            m.artifact_type.as_deref(),
            Some("application/vnd.oci.image.config.v1+json")
        );
    }

    #[test]
    fn malformed_manifests_are_refused_with_the_reason() {
        let check = |json: &str, want: &str| {
            let err = ManifestInfo::parse(json.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{json}: {err}");
        };
        check("not json", "not valid JSON");
        check(r#"{"schemaVersion":1,"fsLayers":[]}"#, "schemaVersion 1");
        check(r#"{"schemaVersion":2}"#, "neither a config");
        check(
            r#"{"schemaVersion":2,"config":{"digest":"md5:00","size":1}}"#,
            "manifest config has digest \"md5:00\"",
        );
        check(
            &format!(
                r#"{{"schemaVersion":2,"config":{{"digest":"{}"}},"layers":[{{"digest":"sha256:XY"}}]}}"#,
                d('a')
            ),
            "layers[0]",
        );
        let big = vec![b' '; MAX_MANIFEST_BYTES + 1];
        assert_eq!(
            ManifestInfo::parse(&big),
            Err(ManifestError::TooLarge(MAX_MANIFEST_BYTES + 1))
        );
    }
}
