//! OCI image layouts (the `oci:` directory format `skopeo` and `buildah push`
//! write): ingested blob by blob into the [`BlobStore`], and exported back out.

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
