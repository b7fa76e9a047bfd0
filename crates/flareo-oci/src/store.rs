//! The content-addressed blob store: every object lives at `blobs/sha256/<hex>`
//! and its bytes hash to that name. Backed by any [`ObjectStore`] (local disk by
//! default; S3-compatible servers later), so writes are atomic: a reader never sees a
//! partial blob, and a crash mid-write leaves no object.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use tokio::io::AsyncReadExt;

use crate::digest::{Digest, Hasher};

/// Chunk size for streaming files into the store.
const CHUNK: usize = 8 * 1024 * 1024;

/// Why a blob operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed (disk, network, permissions).
    #[error("blob store: {0}")]
    Backend(#[from] object_store::Error),
    /// Reading a local file to store failed.
    #[error("blob store: reading {path}: {source}")]
    ReadFile {
        /// The file being stored.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The bytes do not hash to the digest they were stored under.
    #[error("blob store: content of {what} hashes to {actual}, expected {expected}")]
    DigestMismatch {
        /// What was being stored.
        what: String,
        /// The digest claimed.
        expected: Digest,
        /// The digest of the bytes.
        actual: Digest,
    },
    /// No blob with that digest.
    #[error("blob store: no blob {0}")]
    NotFound(Digest),
}

/// A content-addressed blob store. Cheap to clone.
#[derive(Clone)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BlobStore({})", self.inner)
    }
}

fn location(digest: &Digest) -> ObjectPath {
    ObjectPath::from(format!("blobs/sha256/{}", digest.hex()))
}

impl BlobStore {
    /// A store on local disk under `dir` (created if missing).
    pub fn local(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::ReadFile {
            path: dir.display().to_string(),
            source,
        })?;
        Ok(Self::new(Arc::new(LocalFileSystem::new_with_prefix(dir)?)))
    }

    /// A store over any object store backend.
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        Self { inner }
    }

    /// Stores `bytes` and returns their digest. Storing the same bytes twice is a no-op.
    pub async fn put(&self, bytes: Bytes) -> Result<Digest, StoreError> {
        let digest = Digest::of(&bytes);
        if !self.contains(&digest).await? {
            self.inner
                .put(&location(&digest), PutPayload::from(bytes))
                .await?;
        }
        Ok(digest)
    }

    /// Stores a local file under `expected`, verifying its content first.
    pub async fn put_file(&self, path: &Path, expected: &Digest) -> Result<u64, StoreError> {
        let read_err = |source| StoreError::ReadFile {
            path: path.display().to_string(),
            source,
        };
        let (actual, size) = hash_file(path).await.map_err(read_err)?;
        if &actual != expected {
            return Err(StoreError::DigestMismatch {
                what: path.display().to_string(),
                expected: expected.clone(),
                actual,
            });
        }
        if self.contains(expected).await? {
            return Ok(size);
        }
        let upload = self.inner.put_multipart(&location(expected)).await?;
        let mut writer = WriteMultipart::new(upload);
        let mut file = tokio::fs::File::open(path).await.map_err(read_err)?;
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = file.read(&mut buf).await.map_err(read_err)?;
            if n == 0 {
                break;
            }
            writer.write(&buf[..n]);
        }
        writer.finish().await?;
        Ok(size)
    }

    /// The blob's bytes.
    pub async fn get(&self, digest: &Digest) -> Result<Bytes, StoreError> {
        match self.inner.get(&location(digest)).await {
            Ok(r) => Ok(r.bytes().await?),
            Err(object_store::Error::NotFound { .. }) => Err(StoreError::NotFound(digest.clone())),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether the blob exists.
    pub async fn contains(&self, digest: &Digest) -> Result<bool, StoreError> {
        match self.inner.head(&location(digest)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The blob's size in bytes.
    pub async fn size(&self, digest: &Digest) -> Result<u64, StoreError> {
        match self.inner.head(&location(digest)).await {
            Ok(meta) => Ok(meta.size),
            Err(object_store::Error::NotFound { .. }) => Err(StoreError::NotFound(digest.clone())),
            Err(e) => Err(e.into()),
        }
    }
}

async fn hash_file(path: &Path) -> std::io::Result<(Digest, u64)> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut hasher = Hasher::default();
    let mut buf = vec![0u8; CHUNK];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((hasher.finish(), size))
}
