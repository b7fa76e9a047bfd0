//! OCI image layouts (the `oci:` directory format `skopeo` and `buildah push`
//! write): ingested blob by blob into the [`BlobStore`], exported back out, and
//! read in place ([`OciLayout`]: manifests by ref name or digest, blobs checked
//! against their digests, the OCI 1.1 referrers of a manifest).

use std::path::{Path, PathBuf};

use bytes::Bytes;
use oci_spec::image::{
    Descriptor, DescriptorBuilder, ImageIndex, ImageIndexBuilder, ImageManifest, MediaType,
};
use serde::Serialize;

use crate::digest::Digest;
use crate::store::{BlobStore, StoreError};

/// Why a layout could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// A file of the layout could not be read or written.
    #[error("OCI layout {path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The layout's JSON is not what the OCI image spec describes.
    #[error("OCI layout {path}: {message}")]
    Invalid {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Storing or reading a blob failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No manifest in the layout's index has this ref name or digest.
    #[error("OCI layout {path}: no manifest {reference:?} in index.json (ref names: {known})")]
    NotFound {
        /// The layout.
        path: PathBuf,
        /// What was asked for.
        reference: String,
        /// The ref names the index has, comma-separated.
        known: String,
    },
    /// A blob's content does not hash to the digest it is stored (and named) under.
    #[error("OCI layout {path}: blob {expected} has been altered: its content hashes to {actual}")]
    DigestMismatch {
        /// The blob's file.
        path: PathBuf,
        /// Its name, the digest it should have.
        expected: Digest,
        /// What its content hashes to.
        actual: Digest,
    },
}

/// One layer of a stored image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerSummary {
    /// The layer blob's digest (compressed form, as the manifest names it).
    pub digest: Digest,
    /// The blob's size in bytes.
    pub size: u64,
    /// Its media type, e.g. `application/vnd.oci.image.layer.v1.tar+gzip`.
    pub media_type: String,
}

/// An image held in the blob store: every blob it references is present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageSummary {
    /// The manifest's digest: the image's identity.
    pub digest: Digest,
    /// Manifest, config and layers together, in bytes.
    pub size: u64,
    /// The config blob's digest.
    pub config: Digest,
    /// Layers, base first.
    pub layers: Vec<LayerSummary>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LayoutError + '_ {
    move |source| LayoutError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn invalid(path: &Path, message: impl std::fmt::Display) -> LayoutError {
    LayoutError::Invalid {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

fn digest_of(descriptor: &Descriptor, path: &Path) -> Result<Digest, LayoutError> {
    descriptor
        .digest()
        .to_string()
        .parse()
        .map_err(|e| invalid(path, e))
}

fn blob_path(dir: &Path, digest: &Digest) -> PathBuf {
    dir.join("blobs/sha256").join(digest.hex())
}

/// Reads the single image of the layout at `dir` into `store`, verifying every blob.
pub async fn ingest_layout(store: &BlobStore, dir: &Path) -> Result<ImageSummary, LayoutError> {
    let index_path = dir.join("index.json");
    let index_bytes = tokio::fs::read(&index_path)
        .await
        .map_err(io(&index_path))?;
    let index: ImageIndex =
        serde_json::from_slice(&index_bytes).map_err(|e| invalid(&index_path, e))?;
    let [descriptor] = index.manifests().as_slice() else {
        return Err(invalid(
            &index_path,
            format!(
                "expected exactly one manifest, found {}",
                index.manifests().len()
            ),
        ));
    };
    let digest = digest_of(descriptor, &index_path)?;
    let manifest_path = blob_path(dir, &digest);
    let manifest_bytes = tokio::fs::read(&manifest_path)
        .await
        .map_err(io(&manifest_path))?;
    let manifest: ImageManifest =
        serde_json::from_slice(&manifest_bytes).map_err(|e| invalid(&manifest_path, e))?;

    let config = digest_of(manifest.config(), &manifest_path)?;
    let mut size = store.put_file(&blob_path(dir, &config), &config).await?;
    let mut layers = Vec::with_capacity(manifest.layers().len());
    for layer in manifest.layers() {
        let layer_digest = digest_of(layer, &manifest_path)?;
        let layer_size = store
            .put_file(&blob_path(dir, &layer_digest), &layer_digest)
            .await?;
        check_size(layer, layer_size, &manifest_path)?;
        size += layer_size;
        layers.push(LayerSummary {
            digest: layer_digest,
            size: layer_size,
            media_type: layer.media_type().to_string(),
        });
    }
    // The manifest last: once it is stored, everything it names is too.
    size += store.put_file(&manifest_path, &digest).await?;
    Ok(ImageSummary {
        digest,
        size,
        config,
        layers,
    })
}

fn check_size(descriptor: &Descriptor, actual: u64, path: &Path) -> Result<(), LayoutError> {
    if descriptor.size() != actual {
        return Err(invalid(
            path,
            format!(
                "blob {} is {actual} bytes, the manifest says {}",
                descriptor.digest(),
                descriptor.size()
            ),
        ));
    }
    Ok(())
}

/// Writes the image `digest` from `store` as an OCI layout at `dir`, tagged `tag`.
pub async fn export_layout(
    store: &BlobStore,
    digest: &Digest,
    dir: &Path,
    tag: &str,
) -> Result<(), LayoutError> {
    let blobs = dir.join("blobs/sha256");
    tokio::fs::create_dir_all(&blobs)
        .await
        .map_err(io(&blobs))?;
    let manifest_bytes = store.get(digest).await?;
    let manifest: ImageManifest =
        serde_json::from_slice(&manifest_bytes).map_err(|e| invalid(&blob_path(dir, digest), e))?;
    let mut wanted = vec![digest_of(manifest.config(), dir)?];
    for layer in manifest.layers() {
        wanted.push(digest_of(layer, dir)?);
    }
    for blob in &wanted {
        write_blob(dir, blob, store.get(blob).await?).await?;
    }
    write_blob(dir, digest, manifest_bytes.clone()).await?;

    let media_type = manifest
        .media_type()
        .clone()
        .unwrap_or(MediaType::ImageManifest);
    let descriptor = DescriptorBuilder::default()
        .media_type(media_type)
        .digest(
            digest
                .as_str()
                .parse::<oci_spec::image::Digest>()
                .map_err(|e| invalid(dir, e))?,
        )
        .size(manifest_bytes.len() as u64)
        .annotations([(
            "org.opencontainers.image.ref.name".to_string(),
            tag.to_string(),
        )])
        .build()
        .map_err(|e| invalid(dir, e))?;
    let index: ImageIndex = ImageIndexBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageIndex)
        .manifests(vec![descriptor])
        .build()
        .map_err(|e| invalid(dir, e))?;
    let index_path = dir.join("index.json");
    let json = serde_json::to_vec(&index).map_err(|e| invalid(&index_path, e))?;
    tokio::fs::write(&index_path, json)
        .await
        .map_err(io(&index_path))?;
    let marker = dir.join("oci-layout");
    tokio::fs::write(&marker, br#"{"imageLayoutVersion":"1.0.0"}"#)
        .await
        .map_err(io(&marker))?;
    Ok(())
}

async fn write_blob(dir: &Path, digest: &Digest, bytes: Bytes) -> Result<(), LayoutError> {
    let path = blob_path(dir, digest);
    tokio::fs::write(&path, &bytes).await.map_err(io(&path))
}

/// Makes a single-image layout written by buildah's Docker format reproducible:
/// blanks the config fields that carry the random build container's identity
/// (`container`, `config.Hostname`, `container_config.Hostname`), rewriting the
/// config, manifest and index. Returns the new manifest digest.
pub fn normalize_docker_config(dir: &Path) -> Result<Digest, LayoutError> {
    let read = |p: &Path| std::fs::read(p).map_err(io(p));
    let index_path = dir.join("index.json");
    let mut index: serde_json::Value =
        serde_json::from_slice(&read(&index_path)?).map_err(|e| invalid(&index_path, e))?;
    let manifest_digest: Digest = index["manifests"][0]["digest"]
        .as_str()
        .unwrap_or_default()
        .parse()
        .map_err(|e| invalid(&index_path, e))?;
    let manifest_path = blob_path(dir, &manifest_digest);
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&read(&manifest_path)?).map_err(|e| invalid(&manifest_path, e))?;
    let config_digest: Digest = manifest["config"]["digest"]
        .as_str()
        .unwrap_or_default()
        .parse()
        .map_err(|e| invalid(&manifest_path, e))?;
    let config_path = blob_path(dir, &config_digest);
    let mut config: serde_json::Value =
        serde_json::from_slice(&read(&config_path)?).map_err(|e| invalid(&config_path, e))?;
    let mut changed = false;
    if let Some(obj) = config.as_object_mut() {
        changed |= obj.remove("container").is_some();
        for key in ["config", "container_config"] {
            if let Some(inner) = obj.get_mut(key).and_then(|v| v.as_object_mut()) {
                changed |= inner.remove("Hostname").is_some();
            }
        }
    }
    if !changed {
        return Ok(manifest_digest);
    }
    let write = |bytes: &[u8]| -> Result<Digest, LayoutError> {
        let digest = Digest::of(bytes);
        let path = blob_path(dir, &digest);
        std::fs::write(&path, bytes).map_err(io(&path))?;
        Ok(digest)
    };
    let config_bytes = serde_json::to_vec(&config).map_err(|e| invalid(&config_path, e))?;
    let new_config = write(&config_bytes)?;
    manifest["config"]["digest"] = new_config.as_str().into();
    manifest["config"]["size"] = config_bytes.len().into();
    let manifest_bytes = serde_json::to_vec(&manifest).map_err(|e| invalid(&manifest_path, e))?;
    let new_manifest = write(&manifest_bytes)?;
    index["manifests"][0]["digest"] = new_manifest.as_str().into();
    index["manifests"][0]["size"] = manifest_bytes.len().into();
    let index_bytes = serde_json::to_vec(&index).map_err(|e| invalid(&index_path, e))?;
    std::fs::write(&index_path, index_bytes).map_err(io(&index_path))?;
    for old in [&config_path, &manifest_path] {
        let _ = std::fs::remove_file(old);
    }
    Ok(new_manifest)
}

/// The annotation naming a manifest in a layout's `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// One manifest listed in a layout's `index.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// The manifest's digest.
    pub digest: Digest,
    /// Its size, as the index says.
    pub size: u64,
    /// Its media type, as the index says.
    pub media_type: String,
    /// Its `org.opencontainers.image.ref.name`, if any.
    pub ref_name: Option<String>,
}

/// An OCI image layout read in place. Nothing in it is trusted: every blob read
/// is checked against its digest, every manifest named in `index.json` against its
/// size.
#[derive(Debug, Clone)]
pub struct OciLayout {
    dir: PathBuf,
    entries: Vec<IndexEntry>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawIndex {
    #[serde(default)]
    manifests: Vec<RawEntry>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    #[serde(default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    annotations: std::collections::BTreeMap<String, String>,
}

impl OciLayout {
    /// Opens the layout at `dir`: reads `oci-layout` and `index.json`.
    pub fn open(dir: &Path) -> Result<Self, LayoutError> {
        let marker = dir.join("oci-layout");
        let version: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&marker).map_err(io(&marker))?)
                .map_err(|e| invalid(&marker, e))?;
        if version["imageLayoutVersion"].as_str().is_none() {
            return Err(invalid(&marker, "no imageLayoutVersion: not an OCI layout"));
        }
        let index_path = dir.join("index.json");
        let bytes = std::fs::read(&index_path).map_err(io(&index_path))?;
        if bytes.len() > crate::manifest::MAX_MANIFEST_BYTES {
            return Err(invalid(&index_path, "index.json is larger than 4 MiB"));
        }
        let index: RawIndex =
            serde_json::from_slice(&bytes).map_err(|e| invalid(&index_path, e))?;
        let entries = index
            .manifests
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                Ok(IndexEntry {
                    digest: m
                        .digest
                        .parse()
                        .map_err(|e| invalid(&index_path, format_args!("manifests[{i}]: {e}")))?,
                    size: m.size,
                    media_type: m.media_type,
                    ref_name: m.annotations.get(REF_NAME).cloned(),
                })
            })
            .collect::<Result<_, LayoutError>>()?;
        Ok(Self {
            dir: dir.to_path_buf(),
            entries,
        })
    }

    /// The layout's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The manifests `index.json` lists, in order.
    pub fn entries(&self) -> &[IndexEntry] {
        &self.entries
    }

    fn by_ref_name(&self, name: &str) -> Option<&IndexEntry> {
        // Tools replace an entry when they write the same ref name again; should
        // a layout hold two, the last one written wins.
        self.entries
            .iter()
            .rev()
            .find(|e| e.ref_name.as_deref() == Some(name))
    }

    /// Reads blob `digest`, checked against the digest.
    pub fn blob(&self, digest: &Digest) -> Result<Vec<u8>, LayoutError> {
        let path = blob_path(&self.dir, digest);
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        let actual = Digest::of(&bytes);
        if &actual != digest {
            return Err(LayoutError::DigestMismatch {
                path,
                expected: digest.clone(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// Reads the manifest named `reference` (a ref name, or a digest, listed in
    /// `index.json` or not): its digest and bytes, checked against the digest and,
    /// when the index lists it, the index's size.
    pub fn manifest(&self, reference: &str) -> Result<(Digest, Vec<u8>), LayoutError> {
        let (digest, size) = match reference.parse::<Digest>() {
            Ok(d) => {
                let size = self.entries.iter().find(|e| e.digest == d).map(|e| e.size);
                (d, size)
            }
            Err(_) => {
                let entry = self
                    .by_ref_name(reference)
                    .ok_or_else(|| LayoutError::NotFound {
                        path: self.dir.clone(),
                        reference: reference.to_string(),
                        known: self.ref_names().join(", "),
                    })?;
                (entry.digest.clone(), Some(entry.size))
            }
        };
        let path = blob_path(&self.dir, &digest);
        let len = std::fs::metadata(&path).map_err(io(&path))?.len();
        if len > crate::manifest::MAX_MANIFEST_BYTES as u64 {
            return Err(invalid(
                &path,
                format!("manifest {digest} is {len} bytes, more than the 4 MiB accepted"),
            ));
        }
        let bytes = self.blob(&digest)?;
        if let Some(size) = size
            && size != len
        {
            return Err(invalid(
                &self.dir.join("index.json"),
                format!("manifest {digest} is {len} bytes, index.json says {size}"),
            ));
        }
        Ok((digest, bytes))
    }

    /// The ref names `index.json` has, in order.
    pub fn ref_names(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter_map(|e| e.ref_name.clone())
            .collect()
    }

    /// The referrers of manifest `subject`, as an OCI image index (the referrers
    /// API's answer): the manifests `index.json` lists whose `subject` is it (how
    /// OCI 1.1 tools copy referrers into a layout), and the children of the
    /// referrers-tag index `sha256-<hex>` (how `skopeo copy` of a registry's
    /// referrers tag writes them). `None` when the layout has neither.
    pub fn referrers(&self, subject: &Digest) -> Result<Option<serde_json::Value>, LayoutError> {
        let mut found: Vec<serde_json::Value> = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        let mut add = |info: &crate::manifest::ManifestInfo, found: &mut Vec<serde_json::Value>| {
            if seen.insert(info.digest.clone()) {
                let mut d = serde_json::json!({
                    "mediaType": info.media_type,
                    "digest": info.digest.as_str(),
                    "size": info.size,
                });
                if let Some(t) = &info.artifact_type {
                    d["artifactType"] = t.as_str().into();
                }
                if !info.annotations.is_empty() {
                    d["annotations"] = serde_json::json!(info.annotations);
                }
                found.push(d);
            }
        };
        let parse = |digest: &Digest, bytes: &[u8]| {
            crate::manifest::ManifestInfo::parse(bytes)
                .map_err(|e| invalid(&blob_path(&self.dir, digest), e))
        };
        for entry in &self.entries {
            if &entry.digest == subject {
                continue;
            }
            let (digest, bytes) = self.manifest(entry.digest.as_str())?;
            let info = parse(&digest, &bytes)?;
            if info.subject.as_ref() == Some(subject) {
                add(&info, &mut found);
            }
        }
        let tag = subject.as_str().replace(':', "-");
        let tagged = self.by_ref_name(&tag).is_some();
        if tagged {
            let (digest, bytes) = self.manifest(&tag)?;
            let index = parse(&digest, &bytes)?;
            for child in &index.manifests {
                let (digest, bytes) = self.manifest(child.digest.as_str())?;
                add(&parse(&digest, &bytes)?, &mut found);
            }
        }
        if found.is_empty() && !tagged {
            return Ok(None);
        }
        Ok(Some(serde_json::json!({
            "schemaVersion": 2,
            "mediaType": crate::manifest::OCI_INDEX,
            "manifests": found,
        })))
    }
}

#[cfg(test)]
mod reader_tests {
    use super::*;
    use serde_json::json;

    fn put(dir: &Path, bytes: &[u8]) -> Digest {
        let d = Digest::of(bytes);
        std::fs::write(blob_path(dir, &d), bytes).unwrap();
        d
    }

    /// Adds `manifest` to the layout's blobs and, with `ref_name`, to index.json
    /// (`Some("")`: listed without a ref name).
    fn add(dir: &Path, manifest: &serde_json::Value, ref_name: Option<&str>) -> Digest {
        let bytes = serde_json::to_vec(manifest).unwrap();
        let d = put(dir, &bytes);
        if let Some(name) = ref_name {
            let path = dir.join("index.json");
            let mut index: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let mut entry = json!({"mediaType": manifest["mediaType"], "digest": d.as_str(), "size": bytes.len()});
            if !name.is_empty() {
                entry["annotations"] = json!({REF_NAME: name});
            }
            index["manifests"].as_array_mut().unwrap().push(entry);
            std::fs::write(&path, index.to_string()).unwrap();
        }
        d
    }

    fn referrer(dir: &Path, subject: &Digest, kind: &str) -> serde_json::Value {
        let empty = put(dir, b"{}");
        let blob = put(dir, kind.as_bytes());
        json!({
            "schemaVersion": 2,
            "mediaType": crate::manifest::OCI_MANIFEST,
            "artifactType": kind,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty.as_str(), "size": 2},
            "layers": [{"mediaType": kind, "digest": blob.as_str(), "size": kind.len()}],
            "subject": {"mediaType": crate::manifest::OCI_MANIFEST, "digest": subject.as_str(), "size": 1},
        })
    }

    #[test]
    fn manifests_by_ref_name_or_digest_and_blobs_checked_against_their_digests() {
        let tmp = tempfile::tempdir().unwrap();
        let image = flareo_testkit::write_oci_layout(tmp.path(), "hello:v1", &[("a", b"A")]);
        let layout = OciLayout::open(tmp.path()).unwrap();
        assert_eq!(layout.ref_names(), ["hello:v1"]);
        let (digest, bytes) = layout.manifest("hello:v1").unwrap();
        assert_eq!(digest.as_str(), image.manifest);
        assert_eq!(layout.manifest(&image.manifest).unwrap().1, bytes);
        let layer: Digest = image.layers[0].parse().unwrap();
        assert_eq!(Digest::of(&layout.blob(&layer).unwrap()), layer);

        let e = layout.manifest("latest").unwrap_err().to_string();
        assert!(
            e.ends_with("no manifest \"latest\" in index.json (ref names: hello:v1)"),
            "{e}"
        );
        // A changed byte in a layer is caught, naming the layer.
        let path = blob_path(tmp.path(), &layer);
        let mut tampered = std::fs::read(&path).unwrap();
        *tampered.last_mut().unwrap() ^= 0xff;
        std::fs::write(&path, &tampered).unwrap();
        let e = layout.blob(&layer).unwrap_err();
        assert!(matches!(e, LayoutError::DigestMismatch { .. }), "{e}");
        assert!(
            e.to_string().contains(&format!(
                "blob {layer} has been altered: its content hashes to {}",
                Digest::of(&tampered)
            )),
            "{e}"
        );
        // index.json's size of a manifest is checked.
        let index_path = tmp.path().join("index.json");
        let index = std::fs::read_to_string(&index_path).unwrap();
        let size = format!("\"size\":{}", bytes.len());
        std::fs::write(&index_path, index.replace(&size, "\"size\":3")).unwrap();
        let e = OciLayout::open(tmp.path())
            .unwrap()
            .manifest("hello:v1")
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with(&format!("is {} bytes, index.json says 3", bytes.len())),
            "{e}"
        );
        assert!(OciLayout::open(&tmp.path().join("nowhere")).is_err());
    }

    #[test]
    fn referrers_by_subject_and_by_the_referrers_tag() {
        let tmp = tempfile::tempdir().unwrap();
        let image = flareo_testkit::write_oci_layout(tmp.path(), "v1", &[("a", b"A")]);
        let subject: Digest = image.manifest.parse().unwrap();
        let layout = OciLayout::open(tmp.path()).unwrap();
        assert_eq!(layout.referrers(&subject).unwrap(), None);

        // Listed in index.json with the image as subject (no ref name).
        let sig = add(
            tmp.path(),
            &referrer(tmp.path(), &subject, "application/x-sig"),
            Some(""),
        );
        // Unrelated: about another manifest.
        let other = Digest::of(b"another");
        add(
            tmp.path(),
            &referrer(tmp.path(), &other, "application/x-other"),
            Some(""),
        );
        // Only in the referrers-tag index (and one already listed: once).
        let sbom = add(
            tmp.path(),
            &referrer(tmp.path(), &subject, "application/x-sbom"),
            None,
        );
        let tag_index = json!({
            "schemaVersion": 2,
            "mediaType": crate::manifest::OCI_INDEX,
            "manifests": [
                {"mediaType": crate::manifest::OCI_MANIFEST, "digest": sbom.as_str(), "size": 1},
                {"mediaType": crate::manifest::OCI_MANIFEST, "digest": sig.as_str(), "size": 1},
            ],
        });
        let tag = subject.as_str().replace(':', "-");
        add(tmp.path(), &tag_index, Some(&tag));

        let layout = OciLayout::open(tmp.path()).unwrap();
        let index = layout.referrers(&subject).unwrap().unwrap();
        let found: Vec<(&str, &str)> = index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["digest"].as_str().unwrap(),
                    d["artifactType"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (sig.as_str(), "application/x-sig"),
                (sbom.as_str(), "application/x-sbom")
            ]
        );
        // A tampered referrer is named, not skipped.
        std::fs::write(blob_path(tmp.path(), &sbom), b"{}").unwrap();
        let e = layout.referrers(&subject).unwrap_err().to_string();
        assert!(e.contains(&format!("blob {sbom} has been altered")), "{e}");
    }
}
