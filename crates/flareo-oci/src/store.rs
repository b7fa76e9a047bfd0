//! The content-addressed blob store: every object lives at `blobs/sha256/<hex>`
//! and its bytes hash to that name. Backed by any [`ObjectStore`]: local disk by
//! default, an S3-compatible bucket when configured ([`StoreConfig`]).
//!
//! Guarantees, on both backends:
//! - **Create-only writes.** A blob is written with [`PutMode::Create`]
//!   (`If-None-Match: *` on S3; a hard link that fails on an existing name on disk);
//!   "already exists" means the same content is already there, which is success.
//!   Large files go up as multipart uploads, for which `object_store` offers no
//!   create-only mode: those check first and may, in a race, overwrite a blob with
//!   the identical bytes (every upload is hashed before it completes), which no
//!   reader can tell apart.
//! - **No partial blobs.** A single put is atomic; a multipart upload becomes
//!   visible only when completed (S3), and the local store writes to a temporary
//!   file that is renamed into place. A crash mid-upload leaves nothing under the
//!   blob's name.
//! - **Verified reads.** [`BlobStore::get`] hashes what it read and refuses bytes
//!   that do not match the digest: a corrupted or tampered blob is never served.
//!   [`BlobStore::read`] streams a blob and holds its last chunk back until the
//!   hash of everything before it matches, so a consumer never receives the whole
//!   of a tampered blob; [`BlobStore::read_range`] serves part of a blob, which
//!   cannot be checked against the digest on its own.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{
    Attribute, Attributes, GetOptions, GetRange, GetResultPayload, ObjectStore, ObjectStoreExt,
    PutMode, PutMultipartOptions, PutOptions, PutPayload, WriteMultipart,
};
use tokio::io::AsyncReadExt;

use crate::digest::{Digest, Hasher};
use crate::store_config::{StoreConfig, s3_store};

/// Chunk size for streaming files into the store; files up to this size go up in
/// one create-only put, larger ones as multipart uploads.
const CHUNK: usize = 8 * 1024 * 1024;
/// Multipart parts in flight at once (bounds memory to about this many parts).
const PARTS_IN_FLIGHT: usize = 4;
/// Chunk size of a streamed read from local disk (`object_store`'s own file
/// stream reads 8 KiB per blocking call, too small for multi-GB layers).
const READ_CHUNK: usize = 1024 * 1024;
/// How long [`BlobStore::ping`] waits for the backend.
const PING_TIMEOUT: Duration = Duration::from_secs(5);
/// The content type every S3 write carries. moto stores an *empty* object when a
/// PUT's `Content-Type` is a form type (`application/x-www-form-urlencoded`,
/// `multipart/form-data`: what some clients send by default; DESIGN.md), so
/// declare the type rather than leave it to the HTTP stack.
const CONTENT_TYPE: &str = "application/octet-stream";

/// Why a blob operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed (disk, network, permissions).
    #[error("blob store: {0}")]
    Backend(#[from] object_store::Error),
    /// The configuration cannot describe a working store.
    #[error("blob store config: {0}")]
    Config(String),
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
        /// What was being stored or read.
        what: String,
        /// The digest claimed.
        expected: Digest,
        /// The digest of the bytes.
        actual: Digest,
    },
    /// No blob with that digest.
    #[error("blob store: no blob {0}")]
    NotFound(Digest),
    /// The backend did not answer a ping in time.
    #[error("blob store: no answer within {0:?}")]
    Timeout(Duration),
    /// A range read asked for bytes the blob does not have.
    #[error("blob store: range {start}..{end} is outside blob {digest} ({size} bytes)")]
    Range {
        /// The blob.
        digest: Digest,
        /// First byte asked for.
        start: u64,
        /// One past the last byte asked for.
        end: u64,
        /// The blob's size.
        size: u64,
    },
}

/// A blob being read: its size, the part being read, and those bytes as a stream.
pub struct BlobRead {
    /// The whole blob's size in bytes.
    pub size: u64,
    /// The bytes `stream` yields (the whole blob for [`BlobStore::read`]).
    pub range: Range<u64>,
    /// The bytes of `range`, in order. For a whole-blob read, the last item is an
    /// error instead of the last chunk when the content does not hash to the digest.
    pub stream: BoxStream<'static, Result<Bytes, StoreError>>,
}

impl std::fmt::Debug for BlobRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobRead")
            .field("size", &self.size)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

/// A content-addressed blob store. Cheap to clone.
#[derive(Clone)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
    /// Attributes every write carries (the content type on S3; none on local
    /// disk, which refuses attributes).
    attributes: Attributes,
    /// A local store's root directory, which [`BlobStore::ping`] checks is there
    /// (listing a missing directory on disk is not an error).
    root: Option<PathBuf>,
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BlobStore({})", self.inner)
    }
}

/// Where a blob lives in the backend.
fn location(digest: &Digest) -> ObjectPath {
    ObjectPath::from(format!("blobs/sha256/{}", digest.hex()))
}

/// Whether a backend error means "that name is taken": for a content-addressed
/// name, the same content is already stored.
fn already_exists(result: object_store::Result<object_store::PutResult>) -> Result<(), StoreError> {
    match result {
        Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

impl BlobStore {
    /// A store on local disk under `dir` (created if missing).
    pub fn local(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::ReadFile {
            path: dir.display().to_string(),
            source,
        })?;
        Ok(Self {
            root: Some(dir.to_path_buf()),
            ..Self::new(Arc::new(LocalFileSystem::new_with_prefix(dir)?))
        })
    }

    /// Opens the store `config` names: [`BlobStore::local`] for `kind: local`, an
    /// S3 bucket (through `object_store`'s `AmazonS3`, under the configured prefix)
    /// for `kind: s3`. Makes no request; use [`BlobStore::ping`] to check it answers.
    pub fn from_config(config: &StoreConfig) -> Result<Self, StoreError> {
        match config {
            StoreConfig::Local { path } => Self::local(path),
            StoreConfig::S3 { .. } => Ok(Self {
                inner: s3_store(config)?,
                attributes: Attributes::from_iter([(Attribute::ContentType, CONTENT_TYPE)]),
                root: None,
            }),
        }
    }

    /// A store over any object store backend, writing without attributes. (An S3
    /// backend wants a content type on every write: open it with
    /// [`BlobStore::from_config`].)
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        Self {
            inner,
            attributes: Attributes::new(),
            root: None,
        }
    }

    /// Stores `bytes` and returns their digest. Storing the same bytes twice is a no-op.
    pub async fn put(&self, bytes: Bytes) -> Result<Digest, StoreError> {
        let digest = Digest::of(&bytes);
        self.put_new(&digest, bytes).await?;
        Ok(digest)
    }

    /// One create-only put of bytes already known to hash to `digest`.
    async fn put_new(&self, digest: &Digest, bytes: Bytes) -> Result<(), StoreError> {
        let opts = PutOptions {
            mode: PutMode::Create,
            attributes: self.attributes.clone(),
            ..PutOptions::default()
        };
        already_exists(
            self.inner
                .put_opts(&location(digest), PutPayload::from(bytes), opts)
                .await,
        )
    }

    /// Stores a local file under `expected`, verifying its content: a file whose
    /// bytes do not hash to `expected` is refused and leaves nothing stored.
    /// Returns the file's size.
    pub async fn put_file(&self, path: &Path, expected: &Digest) -> Result<u64, StoreError> {
        let read_err = |source| StoreError::ReadFile {
            path: path.display().to_string(),
            source,
        };
        let mismatch = |actual| StoreError::DigestMismatch {
            what: path.display().to_string(),
            expected: expected.clone(),
            actual,
        };
        let mut file = tokio::fs::File::open(path).await.map_err(read_err)?;
        let len = file.metadata().await.map_err(read_err)?.len();
        if len <= CHUNK as u64 {
            let mut bytes = Vec::with_capacity(len as usize);
            file.read_to_end(&mut bytes).await.map_err(read_err)?;
            let actual = Digest::of(&bytes);
            if &actual != expected {
                return Err(mismatch(actual));
            }
            self.put_new(expected, bytes.into()).await?;
            return Ok(len);
        }
        if self.contains(expected).await? {
            let (actual, size) = hash_file(path).await.map_err(read_err)?;
            return if &actual == expected {
                Ok(size)
            } else {
                Err(mismatch(actual))
            };
        }
        // Hash what is uploaded, as it goes up; complete only if it matches.
        let opts = PutMultipartOptions {
            attributes: self.attributes.clone(),
            ..PutMultipartOptions::default()
        };
        let upload = self
            .inner
            .put_multipart_opts(&location(expected), opts)
            .await?;
        let mut writer = WriteMultipart::new(upload);
        let mut hasher = Hasher::default();
        let mut size = 0u64;
        let mut buf = vec![0u8; CHUNK];
        let failure = loop {
            let n = match file.read(&mut buf).await {
                Ok(0) => break None,
                Ok(n) => n,
                Err(e) => break Some(read_err(e)),
            };
            hasher.update(&buf[..n]);
            size += n as u64;
            writer.write(&buf[..n]);
            if let Err(e) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                break Some(e.into());
            }
        };
        let failure = failure.or_else(|| {
            let actual = hasher.finish();
            (&actual != expected).then(|| mismatch(actual))
        });
        if let Some(err) = failure {
            // Best effort: an upload never completed is never visible anyway.
            let _ = writer.abort().await;
            return Err(err);
        }
        writer.finish().await?;
        Ok(size)
    }

    /// The blob's bytes, verified: bytes that do not hash to `digest` (a corrupted
    /// or tampered object) are refused with [`StoreError::DigestMismatch`].
    pub async fn get(&self, digest: &Digest) -> Result<Bytes, StoreError> {
        let loc = location(digest);
        let bytes = match self.inner.get(&loc).await {
            Ok(r) => r.bytes().await?,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(StoreError::NotFound(digest.clone()));
            }
            Err(e) => return Err(e.into()),
        };
        let actual = Digest::of(&bytes);
        if &actual != digest {
            return Err(StoreError::DigestMismatch {
                what: format!("stored blob {loc}"),
                expected: digest.clone(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// Streams the whole blob, verified as it goes: every chunk but the last is
    /// passed on as read; the last only once the hash of all the bytes matches
    /// `digest`, otherwise the stream ends with [`StoreError::DigestMismatch`]
    /// (so a consumer never receives a tampered blob in full). Memory stays at a
    /// few chunks whatever the blob's size.
    pub async fn read(&self, digest: &Digest) -> Result<BlobRead, StoreError> {
        let (size, range, chunks) = self.open(digest, None).await?;
        Ok(BlobRead {
            size,
            range,
            stream: verified(chunks, digest.clone()),
        })
    }

    /// Streams bytes `range` of the blob (`start..end`, end exclusive; an empty
    /// range yields nothing). A part of a blob cannot be checked against its
    /// digest, so these bytes are not verified: serve them only where the whole
    /// blob is trusted as much as its storage. A range reaching past the end is
    /// refused with [`StoreError::Range`].
    pub async fn read_range(
        &self,
        digest: &Digest,
        range: Range<u64>,
    ) -> Result<BlobRead, StoreError> {
        let size = self.size(digest).await?;
        if range.start > range.end || range.end > size {
            return Err(StoreError::Range {
                digest: digest.clone(),
                start: range.start,
                end: range.end,
                size,
            });
        }
        if range.is_empty() {
            return Ok(BlobRead {
                size,
                range,
                stream: futures::stream::empty().boxed(),
            });
        }
        let (size, range, chunks) = self.open(digest, Some(range)).await?;
        Ok(BlobRead {
            size,
            range,
            stream: chunks,
        })
    }

    /// Opens a read of the blob (or of `range` of it): size, range, chunks.
    async fn open(
        &self,
        digest: &Digest,
        range: Option<Range<u64>>,
    ) -> Result<
        (
            u64,
            Range<u64>,
            BoxStream<'static, Result<Bytes, StoreError>>,
        ),
        StoreError,
    > {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let result = match self.inner.get_opts(&location(digest), options).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(StoreError::NotFound(digest.clone()));
            }
            Err(e) => return Err(e.into()),
        };
        let size = result.meta.size;
        let range = result.range.clone();
        let chunks = match result.payload {
            GetResultPayload::File(file, _) => file_chunks(file, range.clone()),
            GetResultPayload::Stream(s) => s.map(|r| r.map_err(StoreError::from)).boxed(),
        };
        Ok((size, range, chunks))
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

    /// A cheap real round trip to the backend, for health checks: lists the top of
    /// the `blobs/` tree (one request on S3; unlike a HEAD, it fails when the bucket
    /// is missing; on disk, the root directory must still be there). Gives up
    /// after a few seconds rather than wait out the backend's retries.
    pub async fn ping(&self) -> Result<(), StoreError> {
        if let Some(root) = &self.root {
            let meta = tokio::fs::metadata(root)
                .await
                .map_err(|source| StoreError::ReadFile {
                    path: root.display().to_string(),
                    source,
                })?;
            if !meta.is_dir() {
                return Err(StoreError::Config(format!(
                    "{} is not a directory",
                    root.display()
                )));
            }
        }
        let prefix = ObjectPath::from("blobs");
        match tokio::time::timeout(PING_TIMEOUT, self.inner.list_with_delimiter(Some(&prefix)))
            .await
        {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(StoreError::Timeout(PING_TIMEOUT)),
        }
    }
}

/// Reads `range` of a local file in [`READ_CHUNK`]-sized chunks.
fn file_chunks(
    file: std::fs::File,
    range: Range<u64>,
) -> BoxStream<'static, Result<Bytes, StoreError>> {
    use std::io::{Read, Seek, SeekFrom};
    let state = (Some(file), range.start, range.end);
    futures::stream::try_unfold(state, |(file, pos, end)| async move {
        let Some(mut file) = file else {
            return Ok(None);
        };
        if pos >= end {
            return Ok(None);
        }
        let want = (end - pos).min(READ_CHUNK as u64) as usize;
        let read = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
            file.seek(SeekFrom::Start(pos))?;
            let mut buf = vec![0u8; want];
            let mut filled = 0;
            while filled < want {
                match file.read(&mut buf[filled..])? {
                    0 => break,
                    n => filled += n,
                }
            }
            buf.truncate(filled);
            Ok((file, buf))
        })
        .await
        .map_err(|e| StoreError::Config(format!("reading a blob: {e}")))?;
        let (file, buf) = read.map_err(|source| StoreError::ReadFile {
            path: "a stored blob".into(),
            source,
        })?;
        if buf.is_empty() {
            return Err(StoreError::ReadFile {
                path: "a stored blob".into(),
                source: std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("ended at byte {pos} of {end}"),
                ),
            });
        }
        let next = pos + buf.len() as u64;
        Ok(Some((Bytes::from(buf), (Some(file), next, end))))
    })
    .boxed()
}

/// Passes `chunks` on, holding the last one back until the hash of all of them
/// matches `digest`; on a mismatch the stream ends with an error instead.
fn verified(
    chunks: BoxStream<'static, Result<Bytes, StoreError>>,
    digest: Digest,
) -> BoxStream<'static, Result<Bytes, StoreError>> {
    struct State {
        chunks: BoxStream<'static, Result<Bytes, StoreError>>,
        hasher: Option<Hasher>,
        held: Option<Bytes>,
        digest: Digest,
    }
    let state = State {
        chunks,
        hasher: Some(Hasher::default()),
        held: None,
        digest,
    };
    futures::stream::unfold(state, |mut st| async move {
        st.hasher.as_ref()?;
        loop {
            match st.chunks.next().await {
                Some(Ok(chunk)) => {
                    if chunk.is_empty() {
                        continue;
                    }
                    st.hasher.as_mut()?.update(&chunk);
                    if let Some(previous) = st.held.replace(chunk) {
                        return Some((Ok(previous), st));
                    }
                }
                Some(Err(e)) => {
                    st.hasher = None;
                    return Some((Err(e), st));
                }
                None => {
                    let actual = st.hasher.take()?.finish();
                    if actual != st.digest {
                        let err = StoreError::DigestMismatch {
                            what: format!("stored blob {}", location(&st.digest)),
                            expected: st.digest.clone(),
                            actual,
                        };
                        return Some((Err(err), st));
                    }
                    let last = st.held.take()?;
                    return Some((Ok(last), st));
                }
            }
        }
    })
    .boxed()
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
