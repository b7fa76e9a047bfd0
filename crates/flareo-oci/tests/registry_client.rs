//! The registry client against a real registry (Debian's docker-registry, CNCF
//! distribution 2.8): a stored image pushed with it is what `skopeo` reads back
//! (same digest, same blobs) and what the client pulls back; basic auth with
//! good, wrong and no credentials; bearer tokens from a token service that signs
//! JWTs the way distribution's `auth: token` checks them; the registry's errors
//! reach the caller with the registry, the object and the registry's own message.

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

/// A token service as distribution's `auth: token` expects one: `GET /token`
/// with basic credentials returns a JWT (ES256, signing certificate in `x5c`)
/// granting the scope asked for. Serves until the test ends.
struct TokenService {
    url: String,
    issued: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

const TOKEN_ISSUER: &str = "flareo-test-issuer";
const TOKEN_SERVICE: &str = "flareo-test-registry";

impl TokenService {
    fn start(
        key: flareo_attest::keys::KeyPair,
        cert_der: Vec<u8>,
        user: &str,
        password: &str,
    ) -> Self {
        use base64::Engine;
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/token", listener.local_addr().unwrap());
        let issued = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = issued.clone();
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        );
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                let _ = reader.read_line(&mut request_line);
                let mut authorized = false;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("authorization")
                    {
                        authorized = value.trim() == expected;
                    }
                }
                let target = request_line.split_whitespace().nth(1).unwrap_or("");
                let scope = target
                    .split_once('?')
                    .map(|(_, q)| q)
                    .unwrap_or("")
                    .split('&')
                    .find_map(|p| p.strip_prefix("scope="))
                    .map(|s| {
                        s.replace("%3A", ":")
                            .replace("%2F", "/")
                            .replace("%2C", ",")
                    })
                    .unwrap_or_default();
                let (status, body) = if authorized {
                    count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let token = jwt(&key, &cert_der, &scope);
                    ("200 OK", serde_json::json!({ "token": token }).to_string())
                } else {
                    (
                        "401 Unauthorized",
                        r#"{"details":"bad credentials"}"#.to_string(),
                    )
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Self { url, issued }
    }
}

/// A JWT granting `scope` (`repository:<name>:<actions>`), signed ES256 with
/// `key`, its certificate in the `x5c` header.
fn jwt(key: &flareo_attest::keys::KeyPair, cert_der: &[u8], scope: &str) -> String {
    use base64::Engine;
    use p256::ecdsa::signature::Signer;
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let std = base64::engine::general_purpose::STANDARD;
    let mut access = Vec::new();
    if let (Some((kind, rest)), Some((_, actions))) =
        (scope.split_once(':'), scope.rsplit_once(':'))
    {
        let name = &rest[..rest.len() - actions.len() - 1];
        access.push(serde_json::json!({
            "type": kind, "name": name, "actions": actions.split(',').collect::<Vec<_>>(),
        }));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = serde_json::json!({"typ": "JWT", "alg": "ES256", "x5c": [std.encode(cert_der)]});
    let claims = serde_json::json!({
        "iss": TOKEN_ISSUER, "sub": "flareo", "aud": TOKEN_SERVICE,
        "exp": now + 300, "nbf": now - 10, "iat": now, "jti": format!("{now}-{scope}"),
        "access": access,
    });
    let signing_input = format!(
        "{}.{}",
        url.encode(header.to_string()),
        url.encode(claims.to_string())
    );
    let signature: p256::ecdsa::Signature = key.signing_key().sign(signing_input.as_bytes());
    format!("{signing_input}.{}", url.encode(signature.to_bytes()))
}

#[tokio::test]
async fn bearer_tokens_come_from_the_registrys_token_service() {
    let key = flareo_attest::keys::KeyPair::generate();
    let now = std::time::SystemTime::now();
    let ca = flareo_attest::ca::Ca::create(
        key.clone(),
        "Flareo test token signer",
        now - std::time::Duration::from_secs(60),
        std::time::Duration::from_secs(3600),
    )
    .unwrap();
    let tokens = TokenService::start(key, ca.root_der().to_vec(), "flareo", "token pass");
    let registry = DockerRegistry::start_with_token_auth(&flareo_testkit::TokenAuth {
        realm: tokens.url.clone(),
        service: TOKEN_SERVICE.into(),
        issuer: TOKEN_ISSUER.into(),
        root_cert_pem: ca.root_pem(),
    });
    let dir = tempfile::tempdir().unwrap();
    let (store, image) = stored_image(dir.path()).await;
    let digest: Digest = image.manifest.parse().unwrap();
    let target = format!("{}/flareo/tokened:v1", registry.url());

    // No credentials: the token service refuses, and the error says where.
    let err = push_image(&store, &digest, &target, Credentials::Anonymous)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "registry {}: checking blob {} in flareo/tokened: getting a token from {}: not authorized: ",
            registry.host(),
            image.config,
            tokens.url
        )),
        "{err}"
    );

    let creds = Credentials::Basic {
        username: "flareo".into(),
        password: "token pass".into(),
    };
    let pushed = push_image(&store, &digest, &target, creds.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", registry.log()));
    assert_eq!(pushed.uploaded.len(), 3);
    assert!(
        tokens.issued.load(std::sync::atomic::Ordering::SeqCst) >= 2,
        "pull and push scopes"
    );
    let client = RegistryClient::new(&registry.url(), creds).unwrap();
    assert_eq!(client.list_tags("flareo/tokened").await.unwrap(), ["v1"]);
    assert_eq!(
        client
            .get_manifest("flareo/tokened", "v1")
            .await
            .unwrap()
            .digest,
        digest
    );
    // skopeo goes through the same token dance and sees the same image.
    let inspect: serde_json::Value = serde_json::from_str(&skopeo(&[
        "inspect",
        "--tls-verify=false",
        "--creds",
        "flareo:token pass",
        &format!("docker://{}/flareo/tokened:v1", registry.host()),
    ]))
    .unwrap();
    assert_eq!(inspect["Digest"], image.manifest.as_str());
}
