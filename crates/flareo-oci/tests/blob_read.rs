//! Streamed and ranged reads of stored blobs, on local disk and on a real S3
//! server (moto): whole reads verified as they stream (a tampered blob never
//! arrives whole), ranges exact and bounded.

use bytes::Bytes;
use flareo_oci::{BlobStore, Digest, StoreConfig, StoreError};
use futures::StreamExt;

/// Bytes that differ at every offset, longer than one read chunk (1 MiB).
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// Everything a read yields, and the error it ended with, if any.
async fn drain(read: flareo_oci::BlobRead) -> (Vec<u8>, Option<StoreError>) {
    let mut out = Vec::new();
    let mut stream = read.stream;
    while let Some(item) = stream.next().await {
        match item {
            Ok(chunk) => out.extend_from_slice(&chunk),
            Err(e) => return (out, Some(e)),
        }
    }
    (out, None)
}

async fn check_reads(store: &BlobStore) {
    let bytes = pattern(3 * 1024 * 1024 + 5);
    let digest = store.put(Bytes::from(bytes.clone())).await.unwrap();

    let read = store.read(&digest).await.unwrap();
    assert_eq!(
        (read.size, read.range.clone()),
        (bytes.len() as u64, 0..bytes.len() as u64)
    );
    let (got, err) = drain(read).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got, bytes);

    for range in [
        0..1u64,
        5..1_048_581,
        1_048_576..2_097_152,
        3_145_000..3_145_733,
    ] {
        let read = store.read_range(&digest, range.clone()).await.unwrap();
        assert_eq!(read.range, range);
        let (got, err) = drain(read).await;
        assert!(err.is_none(), "{err:?}");
        assert_eq!(got, &bytes[range.start as usize..range.end as usize]);
    }
    let empty = store.read_range(&digest, 7..7).await.unwrap();
    assert_eq!(drain(empty).await.0, b"");

    let past = store
        .read_range(&digest, 10..bytes.len() as u64 + 1)
        .await
        .unwrap_err();
    assert_eq!(
        past.to_string(),
        format!(
            "blob store: range 10..{} is outside blob {digest} ({} bytes)",
            bytes.len() + 1,
            bytes.len()
        )
    );

    let missing = Digest::of(b"never stored");
    assert!(matches!(store.read(&missing).await, Err(StoreError::NotFound(d)) if d == missing));
    assert!(matches!(
        store.read_range(&missing, 0..1).await,
        Err(StoreError::NotFound(_))
    ));

    // An empty blob streams as nothing, verified.
    let empty = store.put(Bytes::new()).await.unwrap();
    let (got, err) = drain(store.read(&empty).await.unwrap()).await;
    assert!(got.is_empty() && err.is_none(), "{err:?}");
}

#[tokio::test]
async fn reads_stream_on_local_disk() {
    let dir = tempfile::tempdir().unwrap();
    check_reads(&BlobStore::local(dir.path()).unwrap()).await;
}

#[tokio::test]
async fn reads_stream_on_s3() {
    let s3 = flareo_testkit::S3::start();
    let config: StoreConfig = serde_json::from_value(serde_json::json!({
        "kind": "s3",
        "bucket": s3.bucket(),
        "endpoint": s3.endpoint(),
        "region": s3.region(),
        "access_key_id": s3.access_key_id(),
        "secret_access_key": s3.secret_access_key(),
        "allow_http": true,
    }))
    .unwrap();
    check_reads(&BlobStore::from_config(&config).unwrap()).await;
}

#[tokio::test]
async fn a_tampered_blob_never_streams_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::local(dir.path()).unwrap();
    for len in [10usize, 2 * 1024 * 1024 + 3] {
        let bytes = pattern(len);
        let digest = store.put(Bytes::from(bytes.clone())).await.unwrap();
        // Flip the last byte behind the store's back.
        let path = dir.path().join("blobs/sha256").join(digest.hex());
        let mut tampered = bytes.clone();
        *tampered.last_mut().unwrap() ^= 0xff;
        std::fs::write(&path, &tampered).unwrap();

        let (got, err) = drain(store.read(&digest).await.unwrap()).await;
        assert!(got.len() < len, "{} of {len} bytes passed on", got.len());
        assert_eq!(got, &tampered[..got.len()]);
        let err = err.expect("the stream ends with an error").to_string();
        assert!(
            err.starts_with(&format!(
                "blob store: content of stored blob blobs/sha256/{} hashes to sha256:",
                digest.hex()
            )),
            "{err}"
        );
    }
}
