//! The content-addressed store on local disk, and OCI layouts in and out of it.

use std::path::Path;

use flareo_oci::{BlobStore, Digest, LayoutError, StoreError, export_layout, ingest_layout};

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

#[tokio::test]
async fn put_get_is_content_addressed_and_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::local(dir.path()).unwrap();
    let d = store.put("hello".into()).await.unwrap();
    assert_eq!(d, Digest::of(b"hello"));
    assert_eq!(store.put("hello".into()).await.unwrap(), d);
    assert_eq!(&store.get(&d).await.unwrap()[..], b"hello");
    assert_eq!(store.size(&d).await.unwrap(), 5);
    assert!(dir.path().join("blobs/sha256").join(d.hex()).exists());
    let missing = Digest::of(b"absent");
    assert!(!store.contains(&missing).await.unwrap());
    assert!(matches!(
        store.get(&missing).await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn layout_round_trip_and_tampered_blobs_are_refused() {
    let src = tempfile::tempdir().unwrap();
    let digest = write_layout(src.path(), false);
    let root = tempfile::tempdir().unwrap();
    let store = BlobStore::local(root.path()).unwrap();
    let image = ingest_layout(&store, src.path()).await.unwrap();
    assert_eq!(image.digest, digest);
    assert_eq!(image.layers.len(), 1);
    assert_eq!(image.layers[0].size, 45);

    let out = tempfile::tempdir().unwrap();
    export_layout(&store, &digest, out.path(), "v1")
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
        "{}",
        String::from_utf8_lossy(&inspect.stderr)
    );
    assert_eq!(
        Digest::of(&inspect.stdout),
        digest,
        "skopeo reads back the same manifest"
    );

    let bad = tempfile::tempdir().unwrap();
    write_layout(bad.path(), true);
    let fresh = tempfile::tempdir().unwrap();
    let store = BlobStore::local(fresh.path()).unwrap();
    match ingest_layout(&store, bad.path()).await {
        Err(LayoutError::Store(StoreError::DigestMismatch {
            expected, actual, ..
        })) => {
            assert_ne!(expected, actual)
        }
        other => panic!("expected a digest mismatch, got {other:?}"),
    }
    // Nothing half-stored: the manifest (stored last) is absent.
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bad.path().join("index.json")).unwrap()).unwrap();
    let manifest: Digest = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(!store.contains(&manifest).await.unwrap());
}
