//! The registry client against a real registry (Debian's docker-registry, CNCF
//! distribution 2.8): a stored image pushed with it is what `skopeo` reads back
//! (same digest, same blobs) and what the client pulls back; basic auth with
//! good, wrong and no credentials; the registry's errors reach the caller with
//! the registry, the object and the registry's own message.

use std::path::Path;
use std::process::Command;

use flareo_oci::registry_client::{PulledManifest, RegistryClient};
use flareo_oci::{BlobStore, Credentials, Digest, RegistryError, ingest_layout, push_image};
use flareo_testkit::{DockerRegistry, TestImage, write_oci_layout};

/// A store holding a two-layer test image; the layout it came from.
async fn stored_image(dir: &Path) -> (BlobStore, TestImage) {
    let image = write_oci_layout(
        &dir.join("layout"),
        "v1",
        &[
            ("etc/greeting", b"hello from flareo\n"),
            ("usr/share/data.bin", &[7u8; 70_000]),
        ],
    );
    let store = BlobStore::local(&dir.join("blobs")).unwrap();
    let summary = ingest_layout(&store, &image.dir).await.unwrap();
    assert_eq!(summary.digest.as_str(), image.manifest);
    (store, image)
}

fn skopeo(args: &[&str]) -> String {
    let out = Command::new("skopeo")
        .args(args)
        .output()
        .expect("run skopeo (run scripts/setup.sh)");
    assert!(
        out.status.success(),
        "skopeo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every blob of `image` is in the layout at `dir` with the same bytes.
fn assert_same_blobs(image: &TestImage, dir: &Path) {
    for digest in [&image.manifest, &image.config]
        .into_iter()
        .chain(&image.layers)
    {
        let rel = format!("blobs/sha256/{}", &digest["sha256:".len()..]);
        let ours = std::fs::read(image.dir.join(&rel)).unwrap();
        let theirs = std::fs::read(dir.join(&rel))
            .unwrap_or_else(|e| panic!("{digest} missing from the copy: {e}"));
        assert_eq!(ours, theirs, "{digest}");
    }
}

#[tokio::test]
async fn a_pushed_image_reads_back_the_same_with_skopeo_and_the_client() {
    let registry = DockerRegistry::start();
    let dir = tempfile::tempdir().unwrap();
    let (store, image) = stored_image(dir.path()).await;
    let digest: Digest = image.manifest.parse().unwrap();
    let target = format!("{}/flareo/example:v1", registry.url());

    let pushed = push_image(&store, &digest, &target, Credentials::Anonymous)
        .await
        .unwrap();
    assert_eq!(pushed.digest, digest);
    let mut expected: Vec<String> = [image.config.clone()]
        .into_iter()
        .chain(image.layers.clone())
        .collect();
    let mut uploaded: Vec<String> = pushed.uploaded.iter().map(Digest::to_string).collect();
    expected.sort();
    uploaded.sort();
    assert_eq!(uploaded, expected);
    assert!(pushed.present.is_empty());

    // skopeo, a client we did not write, sees the same image.
    let reference = format!("docker://{}/flareo/example:v1", registry.host());
    let inspect: serde_json::Value =
        serde_json::from_str(&skopeo(&["inspect", "--tls-verify=false", &reference])).unwrap();
    assert_eq!(inspect["Digest"], image.manifest.as_str());
    let copy = dir.path().join("copy");
    skopeo(&[
        "copy",
        "--insecure-policy",
        "--src-tls-verify=false",
        &reference,
        &format!("oci:{}:v1", copy.display()),
    ]);
    assert_same_blobs(&image, &copy);

    // Pushing again uploads nothing; a second tag points at the same manifest.
    let again = push_image(
        &store,
        &digest,
        &format!("{}/flareo/example:latest", registry.url()),
        Credentials::Anonymous,
    )
    .await
    .unwrap();
    assert!(again.uploaded.is_empty(), "{again:?}");
    assert_eq!(again.present.len(), 3);

    // And the client reads it back, verified.
    let client = RegistryClient::new(&registry.url(), Credentials::Anonymous).unwrap();
    let PulledManifest {
        digest: pulled,
        media_type,
        bytes,
    } = client.get_manifest("flareo/example", "v1").await.unwrap();
    assert_eq!(pulled, digest);
    assert_eq!(media_type, "application/vnd.oci.image.manifest.v1+json");
    assert_eq!(bytes, store.get(&digest).await.unwrap());
    let by_digest = client
        .get_manifest("flareo/example", digest.as_str())
        .await
        .unwrap();
    assert_eq!(by_digest.digest, digest);
    for blob in expected {
        let blob: Digest = blob.parse().unwrap();
        assert!(client.blob_exists("flareo/example", &blob).await.unwrap());
        assert_eq!(
            client.get_blob("flareo/example", &blob).await.unwrap(),
            store.get(&blob).await.unwrap()
        );
    }
    let mut tags = client.list_tags("flareo/example").await.unwrap();
    tags.sort();
    assert_eq!(tags, ["latest", "v1"]);
}

#[tokio::test]
async fn registry_errors_name_the_registry_the_object_and_the_reason() {
    let registry = DockerRegistry::start();
    let client = RegistryClient::new(&registry.url(), Credentials::Anonymous).unwrap();
    let host = registry.host();
    let missing = Digest::of(b"nothing");
    assert!(!client.blob_exists("flareo/none", &missing).await.unwrap());
    let err = client.get_blob("flareo/none", &missing).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "registry {host}: reading blob {missing} of flareo/none: HTTP 404: BLOB_UNKNOWN: blob unknown to registry (\"{missing}\")"
        )
    );
    let err = client
        .get_manifest("flareo/none", "v9")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "registry {host}: reading manifest flareo/none:v9: HTTP 404: MANIFEST_UNKNOWN: manifest unknown"
        )),
        "{err}"
    );
    // A manifest whose blobs were never pushed is refused by the registry.
    let dir = tempfile::tempdir().unwrap();
    let (store, image) = stored_image(dir.path()).await;
    let bytes = store.get(&image.manifest.parse().unwrap()).await.unwrap();
    let err = client
        .put_manifest(
            "flareo/example",
            "v1",
            "application/vnd.oci.image.manifest.v1+json",
            bytes,
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!(
            "registry {host}: putting manifest {} as flareo/example:v1: HTTP 400: MANIFEST_BLOB_UNKNOWN",
            image.manifest
        )),
        "{err}"
    );
    // Nothing listens: the error says where.
    let port = flareo_testkit::free_port();
    let nowhere =
        RegistryClient::new(&format!("http://127.0.0.1:{port}"), Credentials::Anonymous).unwrap();
    let err = nowhere.list_tags("x").await.unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("registry 127.0.0.1:{port}: listing tags of x: ")),
        "{err}"
    );
}

#[tokio::test]
async fn a_tampered_stored_blob_aborts_its_upload() {
    let registry = DockerRegistry::start();
    let dir = tempfile::tempdir().unwrap();
    let (store, image) = stored_image(dir.path()).await;
    let layer = &image.layers[1];
    let path = dir
        .path()
        .join("blobs/blobs/sha256")
        .join(&layer["sha256:".len()..]);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    let err = push_image(
        &store,
        &image.manifest.parse().unwrap(),
        &format!("{}/flareo/example:v1", registry.url()),
        Credentials::Anonymous,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with(&format!(
            "registry {}: uploading blob {layer} to flareo/example: ",
            registry.host()
        )),
        "{err}"
    );
    // The registry never got the blob, so no manifest points at it.
    let client = RegistryClient::new(&registry.url(), Credentials::Anonymous).unwrap();
    assert!(
        !client
            .blob_exists("flareo/example", &layer.parse().unwrap())
            .await
            .unwrap()
    );
    assert!(client.list_tags("flareo/example").await.is_err());
}

#[tokio::test]
async fn basic_auth_pushes_with_the_right_password_only() {
    let registry = DockerRegistry::start_with_basic_auth("flareo", "correct horse");
    let dir = tempfile::tempdir().unwrap();
    let (store, image) = stored_image(dir.path()).await;
    let digest: Digest = image.manifest.parse().unwrap();
    let target = format!("{}/flareo/private:v1", registry.url());
    let host = registry.host();

    let err = push_image(&store, &digest, &target, Credentials::Anonymous)
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::Unauthorized { .. }), "{err}");
    assert!(
        err.to_string().starts_with(&format!(
            "registry {host}: checking blob {} in flareo/private: not authorized: credentials required (Basic realm=\"flareo-test\")",
            image.config
        )),
        "{err}"
    );
    let wrong = Credentials::Basic {
        username: "flareo".into(),
        password: "battery staple".into(),
    };
    let err = push_image(&store, &digest, &target, wrong)
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::Unauthorized { .. }), "{err}");

    let right = Credentials::Basic {
        username: "flareo".into(),
        password: "correct horse".into(),
    };
    let pushed = push_image(&store, &digest, &target, right.clone())
        .await
        .unwrap();
    assert_eq!(pushed.uploaded.len(), 3);
    let inspect: serde_json::Value = serde_json::from_str(&skopeo(&[
        "inspect",
        "--tls-verify=false",
        "--creds",
        "flareo:correct horse",
        &format!("docker://{host}/flareo/private:v1"),
    ]))
    .unwrap();
    assert_eq!(inspect["Digest"], image.manifest.as_str());
    let client = RegistryClient::new(&registry.url(), right).unwrap();
    assert_eq!(client.list_tags("flareo/private").await.unwrap(), ["v1"]);
}
