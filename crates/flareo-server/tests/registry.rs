//! Flareo's `/v2/` registry for real: the server's own router listening on
//! 127.0.0.1, images in a blob store on disk, the index on SQLite and on
//! PostgreSQL. A module published through the catalog's publish transaction is
//! pulled by skopeo (a client we did not write); manifests, blobs and byte ranges,
//! tag pagination, the referrers API with its filter, the error shapes, and the
//! walls between repositories are checked over HTTP.

use std::path::Path;
use std::process::Command;

mod support;

use bytes::Bytes;
use flareo_oci::{BlobStore, Digest, ingest_layout};
use flareo_server::{Config, Db};
use flareo_testkit::{TestImage, write_oci_layout};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

struct Server {
    /// `127.0.0.1:<port>`.
    host: String,
    url: String,
    http: reqwest::Client,
    db: Db,
    store: BlobStore,
    dir: tempfile::TempDir,
}

/// The whole application (the router `flareo serve` runs) on a free port, over
/// the database at `database` (none: SQLite in the temp dir).
async fn start(database: Option<String>) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.operator.data_dir = Some(dir.path().to_path_buf());
    let url = database.unwrap_or_else(|| config.database_url());
    let db = Db::open(&url).await.unwrap();
    let store = BlobStore::local(&dir.path().join("blobs")).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = listener.local_addr().unwrap().to_string();
    config.server.public_url = Some(format!("http://{host}"));
    support::serve(listener, support::state(config, db.clone(), store.clone()));
    Server {
        url: format!("http://{host}"),
        host,
        http: reqwest::Client::new(),
        db,
        store,
        dir,
    }
}

impl Server {
    /// Writes a test image, ingests it into the store and publishes it as
    /// module `slug` (tag `v1.2.3`) through the catalog's publish transaction.
    async fn publish(&self, slug: &str, content: &[u8]) -> TestImage {
        let image = write_oci_layout(
            &self.dir.path().join(format!("layout-{slug}")),
            "latest",
            &[
                ("etc/greeting", content),
                ("usr/share/noise.bin", &noise(200_000)),
            ],
        );
        let summary = ingest_layout(&self.store, &image.dir).await.unwrap();
        assert_eq!(summary.digest.as_str(), image.manifest);
        support::seed_module(&self.db, slug, slug, "productivity", &image.manifest).await;
        image
    }

    async fn get(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.url));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        request.send().await.unwrap()
    }

    /// Status, headers and JSON body of a request.
    async fn json(&self, method: reqwest::Method, path: &str) -> (StatusCode, HeaderMap, Value) {
        let response = self
            .http
            .request(method, format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.unwrap();
        let value = serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!("{path}: not JSON ({e}): {}", String::from_utf8_lossy(&body))
        });
        (status, headers, value)
    }
}

/// Bytes that do not compress (xorshift), the same on every call.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .map(|v: &HeaderValue| v.to_str().unwrap())
        .unwrap_or_else(|| panic!("no {name} header in {headers:?}"))
}

fn blob(image: &TestImage, digest: &str) -> Vec<u8> {
    std::fs::read(
        image
            .dir
            .join("blobs/sha256")
            .join(&digest["sha256:".len()..]),
    )
    .unwrap()
}

/// Runs skopeo on a blocking thread (the server under test shares the runtime).
async fn skopeo(args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let out = Command::new("skopeo")
            .args(&args)
            .output()
            .expect("run skopeo (run scripts/setup.sh)");
        assert!(
            out.status.success(),
            "skopeo {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    })
    .await
    .unwrap()
}

fn assert_same_blobs(image: &TestImage, copy: &Path) {
    for digest in [&image.manifest, &image.config]
        .into_iter()
        .chain(&image.layers)
    {
        let rel = format!("blobs/sha256/{}", &digest["sha256:".len()..]);
        let theirs = std::fs::read(copy.join(&rel))
            .unwrap_or_else(|e| panic!("{digest} missing from the copy: {e}"));
        assert_eq!(blob(image, digest), theirs, "{digest}");
    }
}

#[tokio::test]
async fn skopeo_pulls_a_published_module() {
    let server = start(None).await;
    let image = server.publish("hello", b"hello from flareo\n").await;
    for tag in ["v1.2.3", "latest"] {
        let reference = format!("docker://{}/hello:{tag}", server.host);
        let inspect: Value =
            serde_json::from_str(&skopeo(&["inspect", "--tls-verify=false", &reference]).await)
                .unwrap();
        assert_eq!(inspect["Digest"], image.manifest.as_str(), "{tag}");
        assert_eq!(inspect["Architecture"], "amd64");
        assert_eq!(
            inspect["Layers"],
            json!(image.layers),
            "skopeo lists the layers"
        );
    }
    let by_digest = format!("docker://{}/hello@{}", server.host, image.manifest);
    let raw = skopeo(&["inspect", "--raw", "--tls-verify=false", &by_digest]).await;
    assert_eq!(raw.as_bytes(), blob(&image, &image.manifest));

    let copy = server.dir.path().join("copy");
    skopeo(&[
        "copy",
        "--insecure-policy",
        "--src-tls-verify=false",
        &format!("docker://{}/hello:v1.2.3", server.host),
        &format!("oci:{}:v1.2.3", copy.display()),
    ])
    .await;
    assert_same_blobs(&image, &copy);
}

/// Every HTTP-level check, on one server (run once per database).
async fn check_http(server: &Server) {
    let image = server.publish("hello", b"hello from flareo\n").await;
    let other = server.publish("other", b"another module\n").await;
    manifests(server, &image).await;
    blobs_and_ranges(server, &image).await;
    walls_and_errors(server, &image, &other).await;
    tag_pagination(server, &image).await;
    referrers(server, &image).await;
}

async fn manifests(server: &Server, image: &TestImage) {
    let response = server.get("/v2/", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    // Anonymous and stateless: no session is started for a pull.
    assert!(response.headers().get("set-cookie").is_none());
    assert_eq!(
        header(response.headers(), "docker-distribution-api-version"),
        "registry/2.0"
    );

    let bytes = blob(image, &image.manifest);
    for reference in ["v1.2.3", "latest", image.manifest.as_str()] {
        // OCI and Docker Accept lists alike get the manifest as stored.
        for accept in [
            OCI_MANIFEST,
            "application/vnd.docker.distribution.manifest.v2+json",
            "*/*",
        ] {
            let response = server
                .get(
                    &format!("/v2/hello/manifests/{reference}"),
                    &[("accept", accept)],
                )
                .await;
            assert_eq!(response.status(), StatusCode::OK, "{reference} {accept}");
            let h = response.headers().clone();
            assert_eq!(header(&h, "content-type"), OCI_MANIFEST);
            assert_eq!(header(&h, "docker-content-digest"), image.manifest);
            assert_eq!(header(&h, "content-length"), bytes.len().to_string());
            assert_eq!(
                header(&h, "docker-distribution-api-version"),
                "registry/2.0"
            );
            assert_eq!(response.bytes().await.unwrap(), bytes);
        }
        let head = server
            .http
            .head(format!("{}/v2/hello/manifests/{reference}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), StatusCode::OK);
        let h = head.headers().clone();
        assert_eq!(header(&h, "content-type"), OCI_MANIFEST);
        assert_eq!(header(&h, "docker-content-digest"), image.manifest);
        assert_eq!(header(&h, "content-length"), bytes.len().to_string());
        assert!(head.bytes().await.unwrap().is_empty());
    }
}

async fn blobs_and_ranges(server: &Server, image: &TestImage) {
    let layer = &image.layers[1];
    let bytes = blob(image, layer);
    let n = bytes.len();
    assert!(n > 1000, "a layer of {n} bytes");
    let path = format!("/v2/hello/blobs/{layer}");

    let response = server.get(&path, &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let h = response.headers().clone();
    assert_eq!(header(&h, "docker-content-digest"), layer);
    assert_eq!(header(&h, "accept-ranges"), "bytes");
    assert_eq!(header(&h, "content-length"), n.to_string());
    assert_eq!(response.bytes().await.unwrap(), bytes);

    let config = server
        .get(&format!("/v2/hello/blobs/{}", image.config), &[])
        .await;
    assert_eq!(config.status(), StatusCode::OK);
    assert_eq!(config.bytes().await.unwrap(), blob(image, &image.config));

    let head = server
        .http
        .head(format!("{}{path}", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(header(head.headers(), "content-length"), n.to_string());
    assert_eq!(header(head.headers(), "docker-content-digest"), layer);

    let ranges: [(&str, usize, usize); 5] = [
        ("bytes=0-9", 0, 10),
        ("bytes=100-", 100, n),
        ("bytes=-7", n - 7, n),
        ("bytes=500-99999999", 500, n),
        ("bytes=1-1", 1, 2),
    ];
    for (range, start, end) in ranges {
        let response = server.get(&path, &[("range", range)]).await;
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        let h = response.headers().clone();
        assert_eq!(
            header(&h, "content-range"),
            format!("bytes {start}-{}/{n}", end - 1),
            "{range}"
        );
        assert_eq!(header(&h, "content-length"), (end - start).to_string());
        assert_eq!(header(&h, "docker-content-digest"), layer);
        assert_eq!(
            response.bytes().await.unwrap(),
            &bytes[start..end],
            "{range}"
        );
    }
    for range in [
        format!("bytes={n}-"),
        format!("bytes={}-{}", n + 5, n + 9),
        "bytes=-0".into(),
    ] {
        let response = server.get(&path, &[("range", range.as_str())]).await;
        assert_eq!(
            response.status(),
            StatusCode::RANGE_NOT_SATISFIABLE,
            "{range}"
        );
        assert_eq!(
            header(response.headers(), "content-range"),
            format!("bytes */{n}")
        );
    }
    // Several ranges: the whole blob, as RFC 9110 allows.
    let response = server.get(&path, &[("range", "bytes=0-1,5-6")]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap(), bytes);
}

/// A spec-shaped error: status, code, and (when given) the message.
async fn assert_error(
    server: &Server,
    method: reqwest::Method,
    path: &str,
    status: u16,
    code: &str,
) {
    let (got, headers, body) = server.json(method.clone(), path).await;
    assert_eq!(got.as_u16(), status, "{method} {path}: {body}");
    assert_eq!(body["errors"][0]["code"], code, "{method} {path}: {body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_eq!(header(&headers, "content-type"), "application/json");
    assert_eq!(
        header(&headers, "docker-distribution-api-version"),
        "registry/2.0"
    );
}

async fn walls_and_errors(server: &Server, image: &TestImage, other: &TestImage) {
    use reqwest::Method;
    let get = Method::GET;
    assert_error(
        server,
        get.clone(),
        "/v2/nobody/manifests/v1",
        404,
        "NAME_UNKNOWN",
    )
    .await;
    assert_error(
        server,
        get.clone(),
        "/v2/nobody/tags/list",
        404,
        "NAME_UNKNOWN",
    )
    .await;
    assert_error(
        server,
        get.clone(),
        &format!("/v2/nobody/blobs/{}", image.config),
        404,
        "NAME_UNKNOWN",
    )
    .await;
    assert_error(
        server,
        get.clone(),
        "/v2/hello/manifests/v9.9.9",
        404,
        "MANIFEST_UNKNOWN",
    )
    .await;
    let unknown = Digest::of(b"never stored");
    assert_error(
        server,
        get.clone(),
        &format!("/v2/hello/manifests/{unknown}"),
        404,
        "MANIFEST_UNKNOWN",
    )
    .await;
    assert_error(
        server,
        get.clone(),
        &format!("/v2/hello/blobs/{unknown}"),
        404,
        "BLOB_UNKNOWN",
    )
    .await;
    for bad in ["sha256:abc", "md5:0000", "sha256:ZZ"] {
        assert_error(
            server,
            get.clone(),
            &format!("/v2/hello/blobs/{bad}"),
            400,
            "DIGEST_INVALID",
        )
        .await;
        assert_error(
            server,
            get.clone(),
            &format!("/v2/hello/manifests/{bad}"),
            400,
            "DIGEST_INVALID",
        )
        .await;
    }
    assert_error(
        server,
        get.clone(),
        "/v2/Hello/manifests/v1",
        400,
        "NAME_INVALID",
    )
    .await;
    assert_error(server, get.clone(), "/v2/_catalog", 404, "UNSUPPORTED").await;

    // Another module's image and blobs are not served under this name, though
    // the store holds them.
    assert_error(
        server,
        get.clone(),
        &format!("/v2/hello/manifests/{}", other.manifest),
        404,
        "MANIFEST_UNKNOWN",
    )
    .await;
    for digest in other.layers.iter().chain([&other.config]) {
        if image.layers.contains(digest) {
            continue; // the noise layer is this image's too
        }
        assert_error(
            server,
            get.clone(),
            &format!("/v2/hello/blobs/{digest}"),
            404,
            "BLOB_UNKNOWN",
        )
        .await;
        let own = server.get(&format!("/v2/other/blobs/{digest}"), &[]).await;
        assert_eq!(own.status(), StatusCode::OK, "{digest} under its own name");
    }
    // A manifest's digest is not a blob of the repository.
    assert_error(
        server,
        get.clone(),
        &format!("/v2/hello/blobs/{}", image.manifest),
        404,
        "BLOB_UNKNOWN",
    )
    .await;

    // Read-only: every push is refused the same way.
    for (method, path) in [
        (Method::POST, "/v2/hello/blobs/uploads/".to_string()),
        (Method::PATCH, "/v2/hello/blobs/uploads/1234".to_string()),
        (Method::PUT, "/v2/hello/manifests/v2".to_string()),
        (
            Method::DELETE,
            format!("/v2/hello/manifests/{}", image.manifest),
        ),
        (Method::DELETE, format!("/v2/hello/blobs/{}", image.config)),
        (Method::POST, "/v2/".to_string()),
    ] {
        assert_error(server, method.clone(), &path, 405, "UNSUPPORTED").await;
    }
    let response = server
        .http
        .put(format!("{}/v2/hello/manifests/v2", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(header(response.headers(), "allow"), "GET, HEAD");
}

async fn tag_pagination(server: &Server, image: &TestImage) {
    let mut tx = server.db.begin().await.unwrap();
    for tag in ["B-upper", "a", "c", "v1.2.3"] {
        flareo_server::registry::put_tag(&mut tx, "hello", tag, &image.manifest)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let all = ["B-upper", "a", "c", "latest", "v1.2.3"];
    let (status, headers, body) = server
        .json(reqwest::Method::GET, "/v2/hello/tags/list")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"name": "hello", "tags": all}));
    assert!(headers.get("link").is_none());

    let mut path = "/v2/hello/tags/list?n=2".to_string();
    let mut pages = Vec::new();
    loop {
        let (status, headers, body) = server.json(reqwest::Method::GET, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        pages.push(body["tags"].clone());
        match headers.get("link") {
            Some(link) => {
                let link = link.to_str().unwrap();
                let target = link
                    .strip_prefix('<')
                    .and_then(|l| l.split_once(">; rel=\"next\""))
                    .map(|(t, _)| t.to_string())
                    .unwrap_or_else(|| panic!("Link {link:?}"));
                path = target;
            }
            None => break,
        }
    }
    assert_eq!(
        pages,
        [
            json!(["B-upper", "a"]),
            json!(["c", "latest"]),
            json!(["v1.2.3"])
        ]
    );
    let (_, _, body) = server
        .json(reqwest::Method::GET, "/v2/hello/tags/list?n=0")
        .await;
    assert_eq!(body["tags"], json!([]));
    let (_, _, body) = server
        .json(reqwest::Method::GET, "/v2/hello/tags/list?last=c")
        .await;
    assert_eq!(body["tags"], json!(["latest", "v1.2.3"]));
    assert_error(
        server,
        reqwest::Method::GET,
        "/v2/hello/tags/list?n=many",
        400,
        "PAGINATION_NUMBER_INVALID",
    )
    .await;

    // Tagging again moves the tag, within the repository's manifests only.
    let other = server.publish("third", b"third\n").await;
    let mut tx = server.db.begin().await.unwrap();
    let err = flareo_server::registry::put_tag(&mut tx, "third", "moving", &image.manifest)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "tag \"moving\" of third: manifest {} is not recorded for third (record it first)",
            image.manifest
        )
    );
    flareo_server::registry::put_tag(&mut tx, "third", "moving", &other.manifest)
        .await
        .unwrap();
    flareo_server::registry::put_manifest_digest(&mut tx, "third", &image.manifest)
        .await
        .unwrap();
    flareo_server::registry::put_tag(&mut tx, "third", "moving", &image.manifest)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        server
            .db
            .registry_tag("third", "moving")
            .await
            .unwrap()
            .map(|d| d.to_string()),
        Some(image.manifest.clone())
    );
}

/// Stores `bytes` and returns its descriptor.
async fn stored(server: &Server, media_type: &str, bytes: &[u8]) -> Value {
    let digest = server
        .store
        .put(Bytes::copy_from_slice(bytes))
        .await
        .unwrap();
    json!({"mediaType": media_type, "digest": digest.as_str(), "size": bytes.len()})
}

async fn referrers(server: &Server, image: &TestImage) {
    let subject = json!({
        "mediaType": OCI_MANIFEST,
        "digest": image.manifest,
        "size": blob(image, &image.manifest).len(),
    });
    // An OCI 1.1 artifact with artifactType and annotations.
    let sbom = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.cyclonedx+json",
        "config": stored(server, "application/vnd.oci.empty.v1+json", b"{}").await,
        "layers": [stored(server, "application/vnd.cyclonedx+json", br#"{"bomFormat":"CycloneDX"}"#).await],
        "subject": subject,
        "annotations": {"org.opencontainers.image.created": "1970-01-01T00:00:00Z"},
    })
    .to_string();
    // A cosign-style signature: no artifactType (the config's type stands in),
    // also under cosign's tag.
    let sig_layer = stored(
        server,
        "application/vnd.dev.cosign.simplesigning.v1+json",
        b"{\"critical\":{}}",
    )
    .await;
    let sig = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": stored(server, "application/vnd.dev.cosign.artifact.sig.v1+json", b"{\"sig\":1}").await,
        "layers": [sig_layer],
        "subject": subject,
    })
    .to_string();
    let sig_tag = format!("sha256-{}.sig", &image.manifest["sha256:".len()..]);
    for (bytes, tag) in [(&sbom, None), (&sig, Some(sig_tag.as_str()))] {
        server.store.put(Bytes::from(bytes.clone())).await.unwrap();
        server
            .db
            .record_artifact("hello", bytes.as_bytes(), tag)
            .await
            .unwrap();
    }
    let sbom_digest = Digest::of(sbom.as_bytes()).to_string();
    let sig_digest = Digest::of(sig.as_bytes()).to_string();
    let sbom_descriptor = json!({
        "mediaType": OCI_MANIFEST,
        "digest": sbom_digest,
        "size": sbom.len(),
        "artifactType": "application/vnd.cyclonedx+json",
        "annotations": {"org.opencontainers.image.created": "1970-01-01T00:00:00Z"},
    });
    let sig_descriptor = json!({
        "mediaType": OCI_MANIFEST,
        "digest": sig_digest,
        "size": sig.len(),
        "artifactType": "application/vnd.dev.cosign.artifact.sig.v1+json",
    });

    let path = format!("/v2/hello/referrers/{}", image.manifest);
    let (status, headers, mut body) = server.json(reqwest::Method::GET, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-type"), OCI_INDEX);
    assert!(headers.get("oci-filters-applied").is_none());
    body["manifests"]
        .as_array_mut()
        .unwrap()
        .sort_by_key(|m| m["digest"].as_str().unwrap().to_string());
    let mut expected = vec![sbom_descriptor.clone(), sig_descriptor];
    expected.sort_by_key(|m| m["digest"].as_str().unwrap().to_string());
    assert_eq!(
        body,
        json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": expected})
    );

    let filtered = format!("{path}?artifactType=application%2Fvnd.cyclonedx%2Bjson");
    let (status, headers, body) = server.json(reqwest::Method::GET, &filtered).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "oci-filters-applied"), "artifactType");
    assert_eq!(body["manifests"], json!([sbom_descriptor]));

    // No referrers: an empty index, never a 404; a bad digest: 400.
    let none = format!("/v2/hello/referrers/{}", image.config);
    let (status, _, body) = server.json(reqwest::Method::GET, &none).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["manifests"], json!([]));
    let (status, _, body) = server
        .json(
            reqwest::Method::GET,
            &format!("/v2/nobody/referrers/{}", image.manifest),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["manifests"], json!([]));
    assert_error(
        server,
        reqwest::Method::GET,
        "/v2/hello/referrers/sha256:1",
        400,
        "DIGEST_INVALID",
    )
    .await;
    // Not under another repository.
    let (_, _, body) = server
        .json(
            reqwest::Method::GET,
            &format!("/v2/other/referrers/{}", image.manifest),
        )
        .await;
    assert_eq!(body["manifests"], json!([]));

    // The referrers and their blobs are served, by digest and by cosign's tag.
    for reference in [sig_digest.as_str(), sig_tag.as_str()] {
        let response = server
            .get(&format!("/v2/hello/manifests/{reference}"), &[])
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{reference}");
        assert_eq!(
            header(response.headers(), "docker-content-digest"),
            sig_digest
        );
        assert_eq!(response.bytes().await.unwrap(), sig.as_bytes());
    }
    let layer = sig_layer["digest"].as_str().unwrap();
    let response = server.get(&format!("/v2/hello/blobs/{layer}"), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap(), &b"{\"critical\":{}}"[..]);
    assert_error(
        server,
        reqwest::Method::GET,
        &format!("/v2/other/blobs/{layer}"),
        404,
        "BLOB_UNKNOWN",
    )
    .await;
}

#[tokio::test]
async fn http_on_sqlite() {
    let server = start(None).await;
    check_http(&server).await;
}

#[tokio::test]
async fn http_on_postgres() {
    let pg = flareo_testkit::Postgres::start();
    let server = start(Some(pg.database("registry"))).await;
    check_http(&server).await;
}

#[tokio::test]
async fn the_index_refuses_what_it_cannot_serve() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open_sqlite(&dir.path().join("f.db")).await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let err = flareo_server::registry::record_manifest(&mut tx, "x", "sha256:00", b"{}")
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "manifest sha256:00 for repository x: manifest is not valid JSON: missing schemaVersion"
    );
    let manifest = format!(
        r#"{{"schemaVersion":2,"config":{{"digest":"{}","size":2}}}}"#,
        Digest::of(b"{}")
    );
    let err =
        flareo_server::registry::record_manifest(&mut tx, "x", "sha256:00", manifest.as_bytes())
            .await
            .unwrap_err()
            .to_string();
    assert_eq!(
        err,
        format!(
            "manifest for repository x hashes to {}, not sha256:00",
            Digest::of(manifest.as_bytes())
        )
    );
    let err = flareo_server::registry::put_tag(&mut tx, "x", "-bad", &Digest::of(b"").to_string())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("tag \"-bad\" of x is not a valid registry tag"),
        "{err}"
    );
    let err = flareo_server::registry::put_tag(&mut tx, "x", "ok", "sha256:nope")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("registry index: invalid digest \"sha256:nope\""),
        "{err}"
    );
}
