//! The content-addressed store on both backends (local disk, and an S3 bucket on a
//! real moto server), and OCI layouts in and out of it. Each check runs once per
//! backend through [`on_each_backend`].

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use flareo_oci::{
    BlobStore, Digest, LayoutError, StoreConfig, StoreError, export_layout, ingest_layout,
};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{
    Attribute, Attributes, ObjectStore, ObjectStoreExt, PutMode, PutOptions, WriteMultipart,
};

/// The key prefix the S3 backend is configured with, to show it is honoured.
const S3_PREFIX: &str = "tenant/flareo";

/// What keeps a backend alive for the test.
enum Guard {
    Local(#[allow(dead_code, reason = "held for its Drop")] tempfile::TempDir),
    S3(flareo_testkit::S3),
}

/// One backend under test: the store opened from its configuration, plus a second,
/// raw client to the same place for reaching behind the store's back.
struct Backend {
    name: &'static str,
    config: StoreConfig,
    store: BlobStore,
    raw: Arc<dyn ObjectStore>,
    /// Where the store's root is, for `raw`.
    raw_prefix: &'static str,
    /// What `raw` writes carry (moto needs a content type to keep the bytes).
    raw_attributes: Attributes,
    guard: Guard,
}

/// Parses a store configuration the way the server reads its YAML file.
fn config(json: &str) -> StoreConfig {
    serde_json::from_str(json).expect("store config")
}

impl Backend {
    fn local() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = config(&serde_json::json!({"kind": "local", "path": dir.path()}).to_string());
        Self {
            name: "local",
            store: BlobStore::from_config(&config).unwrap(),
            config,
            raw: Arc::new(LocalFileSystem::new_with_prefix(dir.path()).unwrap()),
            raw_prefix: "",
            raw_attributes: Attributes::new(),
            guard: Guard::Local(dir),
        }
    }

    fn s3() -> Self {
        let s3 = flareo_testkit::S3::start();
        let config = config(&s3_config(&s3, s3.bucket()));
        let raw = AmazonS3Builder::new()
            .with_endpoint(s3.endpoint())
            .with_bucket_name(s3.bucket())
            .with_region(s3.region())
            .with_access_key_id(s3.access_key_id())
            .with_secret_access_key(s3.secret_access_key())
            .with_allow_http(true)
            .build()
            .unwrap();
        Self {
            name: "s3",
            store: BlobStore::from_config(&config).unwrap(),
            config,
            raw: Arc::new(raw),
            raw_prefix: S3_PREFIX,
            raw_attributes: Attributes::from_iter([(
                Attribute::ContentType,
                "application/octet-stream",
            )]),
            guard: Guard::S3(s3),
        }
    }

    /// Where `raw` finds the blob `digest`.
    fn raw_path(&self, digest: &Digest) -> ObjectPath {
        let key = format!("blobs/sha256/{}", digest.hex());
        match self.raw_prefix {
            "" => ObjectPath::from(key),
            prefix => ObjectPath::from(format!("{prefix}/{key}")),
        }
    }

    /// Writes `bytes` at the blob `digest`'s place behind the store's back.
    async fn plant(&self, digest: &Digest, bytes: &'static [u8]) {
        let opts = PutOptions {
            mode: PutMode::Overwrite,
            attributes: self.raw_attributes.clone(),
            ..PutOptions::default()
        };
        self.raw
            .put_opts(
                &self.raw_path(digest),
                Bytes::from_static(bytes).into(),
                opts,
            )
            .await
            .unwrap();
    }

    /// The content type writes carry on this backend (none on local disk).
    fn content_type(&self) -> Option<String> {
        let value = self.raw_attributes.get(&Attribute::ContentType);
        value.map(|v| v.to_string())
    }

    /// The raw bytes at the blob `digest`'s place, unverified.
    async fn raw_bytes(&self, digest: &Digest) -> Bytes {
        let got = self.raw.get(&self.raw_path(digest)).await.unwrap();
        got.bytes().await.unwrap()
    }
}

/// The content type the backend recorded for the blob `digest`.
async fn content_type(b: &Backend, digest: &Digest) -> Option<String> {
    let got = b.raw.get(&b.raw_path(digest)).await.unwrap();
    let value = got.attributes.get(&Attribute::ContentType);
    value.map(|v| v.to_string())
}

/// The S3 store configuration for `bucket` on the fixture's server, as JSON.
fn s3_config(s3: &flareo_testkit::S3, bucket: &str) -> String {
    serde_json::json!({
        "kind": "s3",
        "bucket": bucket,
        "endpoint": s3.endpoint(),
        "region": s3.region(),
        "access_key_id": s3.access_key_id(),
        "secret_access_key": s3.secret_access_key(),
        "allow_http": true,
        "prefix": S3_PREFIX,
    })
    .to_string()
}

/// Runs `check` on a fresh local store, then on a fresh S3 store; the backend's
/// name is in every assertion message.
async fn on_each_backend(check: impl AsyncFn(&Backend)) {
    for backend in [Backend::local(), Backend::s3()] {
        check(&backend).await;
    }
}

fn write_layout(dir: &Path, tamper: bool) -> Digest {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| {
        let d = Digest::of(bytes);
        std::fs::write(blobs.join(d.hex()), bytes).unwrap();
        (d, bytes.len())
    };
    let layer = put(b"not really a tarball, but bytes with a digest");
    let config =
        put(br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#);
    let (config, config_size) = config;
    let (layer, layer_size) = layer;
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config}","size":{config_size}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{layer}","size":{layer_size}}}]}}"#
    );
    let (manifest_digest, _) = put(manifest.as_bytes());
    std::fs::write(
        dir.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{manifest_digest}","size":{}}}]}}"#,
            manifest.len()
        ),
    )
    .unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    if tamper {
        std::fs::write(
            blobs.join(layer.hex()),
            b"swapped content of the very same length!!!!!",
        )
        .unwrap();
    }
    manifest_digest
}

/// Bytes of `len` that are not all the same (so a wrong part order would show).
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[tokio::test]
async fn put_get_is_content_addressed_and_idempotent() {
    on_each_backend(async |b: &Backend| {
        let store = &b.store;
        let d = store.put("hello".into()).await.unwrap();
        assert_eq!(d, Digest::of(b"hello"), "{}", b.name);
        assert_eq!(store.put("hello".into()).await.unwrap(), d, "{}", b.name);
        assert_eq!(&store.get(&d).await.unwrap()[..], b"hello", "{}", b.name);
        assert_eq!(store.size(&d).await.unwrap(), 5, "{}", b.name);
        // Stored where the layout says, bytes intact, typed on S3 (moto stores an
        // empty object for a PUT typed as a form).
        assert_eq!(&b.raw_bytes(&d).await[..], b"hello", "{}", b.name);
        assert_eq!(content_type(b, &d).await, b.content_type(), "{}", b.name);
        let empty = store.put(Bytes::new()).await.unwrap();
        assert_eq!(store.get(&empty).await.unwrap().len(), 0, "{}", b.name);
        let missing = Digest::of(b"absent");
        assert!(!store.contains(&missing).await.unwrap(), "{}", b.name);
        assert!(
            matches!(store.get(&missing).await, Err(StoreError::NotFound(_))),
            "{}",
            b.name
        );
        assert!(
            matches!(store.size(&missing).await, Err(StoreError::NotFound(_))),
            "{}",
            b.name
        );
    })
    .await;
}

#[tokio::test]
async fn large_files_go_up_in_parts_and_read_back_whole() {
    on_each_backend(async |b: &Backend| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("layer");
        // Over the single-put limit (8 MiB): three multipart parts.
        let bytes = pattern(12 * 1024 * 1024 + 7);
        std::fs::write(&path, &bytes).unwrap();
        let digest = Digest::of(&bytes);
        assert_eq!(
            b.store.put_file(&path, &digest).await.unwrap(),
            bytes.len() as u64,
            "{}",
            b.name
        );
        let got = b.store.get(&digest).await.unwrap();
        assert!(got[..] == bytes[..], "{}: multipart bytes differ", b.name);
        assert_eq!(
            content_type(b, &digest).await,
            b.content_type(),
            "{}",
            b.name
        );
        // Again: already there, nothing uploaded, same answer.
        assert_eq!(
            b.store.put_file(&path, &digest).await.unwrap(),
            bytes.len() as u64,
            "{}",
            b.name
        );
    })
    .await;
}

#[tokio::test]
async fn layout_round_trip_and_tampered_blobs_are_refused() {
    let src = tempfile::tempdir().unwrap();
    let digest = write_layout(src.path(), false);
    let bad = tempfile::tempdir().unwrap();
    write_layout(bad.path(), true);
    on_each_backend(async |b: &Backend| {
        let image = ingest_layout(&b.store, src.path()).await.unwrap();
        assert_eq!(image.digest, digest, "{}", b.name);
        assert_eq!(image.layers.len(), 1, "{}", b.name);
        assert_eq!(image.layers[0].size, 45, "{}", b.name);

        let out = tempfile::tempdir().unwrap();
        export_layout(&b.store, &digest, out.path(), "v1")
            .await
            .unwrap();
        let inspect = std::process::Command::new("skopeo")
            .args([
                "inspect",
                "--raw",
                &format!("oci:{}:v1", out.path().display()),
            ])
            .output()
            .expect("skopeo");
        assert!(
            inspect.status.success(),
            "{}: {}",
            b.name,
            String::from_utf8_lossy(&inspect.stderr)
        );
        assert_eq!(
            Digest::of(&inspect.stdout),
            digest,
            "{}: skopeo reads back the same manifest",
            b.name
        );
    })
    .await;

    on_each_backend(
        async |b: &Backend| match ingest_layout(&b.store, bad.path()).await {
            Err(LayoutError::Store(StoreError::DigestMismatch {
                expected, actual, ..
            })) => {
                assert_ne!(expected, actual, "{}", b.name);
                // Nothing half-stored: the manifest (stored last) is absent.
                let index: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(bad.path().join("index.json")).unwrap())
                        .unwrap();
                let manifest: Digest = index["manifests"][0]["digest"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!(!b.store.contains(&manifest).await.unwrap(), "{}", b.name);
            }
            other => panic!("{}: expected a digest mismatch, got {other:?}", b.name),
        },
    )
    .await;
}

#[tokio::test]
async fn writes_are_create_only() {
    on_each_backend(async |b: &Backend| {
        let d = b.store.put("first".into()).await.unwrap();
        // The backend itself refuses a second create at that name (on S3:
        // `If-None-Match: *` answered 412).
        let opts = PutOptions {
            mode: PutMode::Create,
            attributes: b.raw_attributes.clone(),
            ..PutOptions::default()
        };
        let again = b.raw.put_opts(&b.raw_path(&d), "other".into(), opts).await;
        assert!(
            matches!(again, Err(object_store::Error::AlreadyExists { .. })),
            "{}: {again:?}",
            b.name
        );

        // Something already at a blob's name is never overwritten by a put, file
        // or bytes: the store reports success and the planted object stays.
        let planted = Digest::of(b"the real content");
        b.plant(&planted, b"a planted object").await;
        assert_eq!(
            b.store.put("the real content".into()).await.unwrap(),
            planted,
            "{}",
            b.name
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), "the real content").unwrap();
        b.store
            .put_file(&dir.path().join("f"), &planted)
            .await
            .unwrap();
        assert_eq!(
            &b.raw_bytes(&planted).await[..],
            b"a planted object",
            "{}",
            b.name
        );

        // Racing writers of the same content all succeed.
        let racers = (0..8).map(|_| b.store.put("raced".into()));
        for result in futures::future::join_all(racers).await {
            assert_eq!(result.unwrap(), Digest::of(b"raced"), "{}", b.name);
        }
        assert_eq!(
            &b.store.get(&Digest::of(b"raced")).await.unwrap()[..],
            b"raced",
            "{}",
            b.name
        );
    })
    .await;
}

#[tokio::test]
async fn corrupted_blobs_are_never_served() {
    on_each_backend(async |b: &Backend| {
        let d = b.store.put("genuine bytes".into()).await.unwrap();
        b.plant(&d, b"corrupt bytes").await;
        match b.store.get(&d).await {
            Err(StoreError::DigestMismatch {
                what,
                expected,
                actual,
            }) => {
                assert_eq!(expected, d, "{}", b.name);
                assert_eq!(actual, Digest::of(b"corrupt bytes"), "{}", b.name);
                assert_eq!(
                    what,
                    format!("stored blob blobs/sha256/{}", d.hex()),
                    "{}",
                    b.name
                );
            }
            other => panic!("{}: expected a digest mismatch, got {other:?}", b.name),
        }
        // Still there (for an operator to inspect), just never served.
        assert!(b.store.contains(&d).await.unwrap(), "{}", b.name);
    })
    .await;
}

#[tokio::test]
async fn aborted_uploads_leave_nothing_visible() {
    on_each_backend(async |b: &Backend| {
        // A writer that dies mid-upload: one part is up, the upload never completes.
        let digest = Digest::of(b"never finished");
        let upload = b.raw.put_multipart(&b.raw_path(&digest)).await.unwrap();
        let mut writer = WriteMultipart::new(upload);
        writer.write(&pattern(6 * 1024 * 1024));
        writer.wait_for_capacity(0).await.unwrap();
        drop(writer);
        assert!(!b.store.contains(&digest).await.unwrap(), "{}", b.name);
        assert!(
            matches!(b.store.get(&digest).await, Err(StoreError::NotFound(_))),
            "{}",
            b.name
        );

        // A large file that turns out not to match its digest only at the end of
        // the upload: aborted, nothing stored.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("layer");
        std::fs::write(&path, pattern(9 * 1024 * 1024)).unwrap();
        let claimed = Digest::of(b"something else");
        match b.store.put_file(&path, &claimed).await {
            Err(StoreError::DigestMismatch { expected, .. }) => {
                assert_eq!(expected, claimed, "{}", b.name)
            }
            other => panic!("{}: expected a digest mismatch, got {other:?}", b.name),
        }
        assert!(!b.store.contains(&claimed).await.unwrap(), "{}", b.name);
        // Nothing at all is visible in the backend.
        let mut listing = b.raw.list(Some(&ObjectPath::from(b.raw_prefix)));
        let mut names = Vec::new();
        while let Some(meta) = futures::StreamExt::next(&mut listing).await {
            names.push(meta.unwrap().location.to_string());
        }
        assert!(names.is_empty(), "{}: visible objects {names:?}", b.name);
    })
    .await;
}

#[tokio::test]
async fn ping_is_a_real_round_trip() {
    on_each_backend(async |b: &Backend| {
        b.store.ping().await.unwrap();
        // Also with blobs present.
        b.store.put("x".into()).await.unwrap();
        b.store.ping().await.unwrap();
        assert!(
            BlobStore::from_config(&b.config).is_ok(),
            "{}: reopening",
            b.name
        );
        if let Guard::S3(s3) = &b.guard {
            // A HEAD cannot tell a missing bucket from a missing key; ping can.
            let missing = config(&s3_config(s3, "no-such-bucket"));
            let err = BlobStore::from_config(&missing)
                .unwrap()
                .ping()
                .await
                .unwrap_err();
            assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
        }
    })
    .await;

    // A local root that is gone.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("blobs");
    let store = BlobStore::local(&root).unwrap();
    store.ping().await.unwrap();
    std::fs::remove_dir(&root).unwrap();
    let err = store.ping().await.unwrap_err();
    assert!(matches!(err, StoreError::ReadFile { .. }), "{err:?}");

    // A server that is gone: ping fails within its deadline.
    let s3 = flareo_testkit::S3::start();
    let gone = config(&s3_config(&s3, s3.bucket()));
    drop(s3);
    let started = std::time::Instant::now();
    let err = BlobStore::from_config(&gone)
        .unwrap()
        .ping()
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(7),
        "{err:?} after {:?}",
        started.elapsed()
    );
}
