//! Flareo's OCI registry at `/v2/`: the OCI Distribution Spec v1.1 pull API and
//! content discovery, read-only and anonymous. Manifests by tag or digest, blobs
//! (streamed, with single byte ranges), tag lists with pagination, and the
//! referrers API; errors in the spec's `{"errors":[...]}` shape. A repository
//! serves only the manifests recorded for it ([`index`]) and the blobs those
//! reference; the bytes come from the blob store, verified.

pub mod index;
pub mod range;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use flareo_oci::manifest::OCI_INDEX;
use flareo_oci::registry_client::{valid_repository, valid_tag};
use flareo_oci::{BlobStore, Digest, ManifestInfo, StoreError};
use serde_json::json;

pub use index::{
    IndexedManifest, put_manifest, put_manifest_digest, put_publication, put_tag, record_manifest,
};

use crate::api::AppState;
use crate::db::{Db, DbError};
use range::Wanted;

/// The header every `/v2/` answer carries.
const API_VERSION: (&str, &str) = ("docker-distribution-api-version", "registry/2.0");
/// `Docker-Content-Digest`.
const CONTENT_DIGEST: &str = "docker-content-digest";
/// Methods the registry answers.
const ALLOW: &str = "GET, HEAD";

/// The registry's routes (`/v2/` and everything under it). Keep them outside the
/// session and CSRF layers: pulls are anonymous.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v2", any(base))
        .route("/v2/", any(base))
        .route("/v2/{*path}", any(dispatch))
        .layer(axum::middleware::map_response(
            |mut response: Response| async move {
                response
                    .headers_mut()
                    .insert(API_VERSION.0, HeaderValue::from_static(API_VERSION.1));
                response
            },
        ))
}

/// An error as the distribution spec shapes it.
#[derive(Debug)]
pub struct RegistryError {
    status: StatusCode,
    code: &'static str,
    message: String,
    detail: Option<serde_json::Value>,
}

impl RegistryError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            detail: None,
        }
    }

    fn detail(mut self, detail: impl Into<serde_json::Value>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    fn name_unknown(name: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NAME_UNKNOWN",
            "repository name not known to registry",
        )
        .detail(json!({ "name": name }))
    }

    fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "registry: internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UNKNOWN",
            "internal error; the cause is in the server log",
        )
    }

    fn read_only(method: &Method) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "UNSUPPORTED",
            format!(
                "{method} is not supported: this registry is read-only (modules are published through Flareo's review and build)"
            ),
        )
    }
}

impl From<DbError> for RegistryError {
    fn from(e: DbError) -> Self {
        Self::internal(&e)
    }
}

impl IntoResponse for RegistryError {
    fn into_response(self) -> Response {
        let mut entry = json!({ "code": self.code, "message": self.message });
        if let Some(detail) = self.detail {
            entry["detail"] = detail;
        }
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            json!({ "errors": [entry] }).to_string(),
        )
            .into_response();
        if self.status == StatusCode::METHOD_NOT_ALLOWED {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(ALLOW));
        }
        response
    }
}

type Result<T, E = RegistryError> = std::result::Result<T, E>;

/// `GET /v2/`: the API version check.
async fn base(method: Method) -> Result<Response> {
    if method != Method::GET && method != Method::HEAD {
        return Err(RegistryError::read_only(&method));
    }
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        "{}",
    )
        .into_response())
}

/// What a path under `/v2/` asks for.
#[derive(Debug, PartialEq, Eq)]
enum Route<'a> {
    Manifest(&'a str, &'a str),
    Blob(&'a str, &'a str),
    Tags(&'a str),
    Referrers(&'a str, &'a str),
    Upload(&'a str),
    Unknown,
}

/// Splits `<name>/<endpoint>/...` from the right, so names may hold `/` (and
/// even a component called `manifests`).
fn route(path: &str) -> Route<'_> {
    if let Some(name) = path
        .strip_suffix("/tags/list")
        .or_else(|| path.strip_suffix("/tags/list/"))
    {
        return Route::Tags(name);
    }
    if let Some(i) = path.rfind("/blobs/uploads") {
        return Route::Upload(&path[..i]);
    }
    let Some((rest, last)) = path.rsplit_once('/') else {
        return Route::Unknown;
    };
    let Some((name, endpoint)) = rest.rsplit_once('/') else {
        return Route::Unknown;
    };
    match endpoint {
        "manifests" => Route::Manifest(name, last),
        "blobs" => Route::Blob(name, last),
        "referrers" => Route::Referrers(name, last),
        _ => Route::Unknown,
    }
}

/// Every request under `/v2/<...>`.
async fn dispatch(
    State(state): State<AppState>,
    method: Method,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response> {
    let route = route(&path);
    if let Route::Upload(_) = route {
        return Err(RegistryError::read_only(&method));
    }
    if method != Method::GET && method != Method::HEAD {
        return Err(RegistryError::read_only(&method));
    }
    let head = method == Method::HEAD;
    let name = match route {
        Route::Manifest(n, _) | Route::Blob(n, _) | Route::Tags(n) | Route::Referrers(n, _) => n,
        Route::Upload(_) | Route::Unknown => {
            return Err(RegistryError::new(
                StatusCode::NOT_FOUND,
                "UNSUPPORTED",
                format!("no registry endpoint at /v2/{path} (the catalog API is not served)"),
            ));
        }
    };
    if !valid_repository(name) {
        return Err(RegistryError::new(
            StatusCode::BAD_REQUEST,
            "NAME_INVALID",
            "invalid repository name",
        )
        .detail(json!({ "name": name })));
    }
    let query = query.unwrap_or_default();
    let r = Registry {
        db: &state.db,
        store: &state.store,
    };
    match route {
        Route::Manifest(name, reference) => r.manifest(name, reference, head).await,
        Route::Blob(name, digest) => r.blob(name, digest, &headers, head).await,
        Route::Tags(name) => r.tags(name, &query).await,
        Route::Referrers(name, digest) => r.referrers(name, digest, &query).await,
        Route::Upload(_) | Route::Unknown => unreachable!("answered above"),
    }
}

/// Query parameters, decoded (`application/x-www-form-urlencoded`).
fn query_params(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_digest(s: &str) -> Result<Digest> {
    s.parse().map_err(|_| {
        RegistryError::new(
            StatusCode::BAD_REQUEST,
            "DIGEST_INVALID",
            "provided digest is not a sha256:<64 lower-case hex> digest",
        )
        .detail(json!({ "digest": s }))
    })
}

/// The handlers, over the database and the blob store.
struct Registry<'a> {
    db: &'a Db,
    store: &'a BlobStore,
}

impl Registry<'_> {
    /// `MANIFEST_UNKNOWN`, or `NAME_UNKNOWN` when the repository has nothing.
    async fn manifest_unknown(&self, name: &str, reference: &str) -> RegistryError {
        match self.db.registry_repository_exists(name).await {
            Ok(false) => RegistryError::name_unknown(name),
            Ok(true) => RegistryError::new(
                StatusCode::NOT_FOUND,
                "MANIFEST_UNKNOWN",
                "manifest unknown to registry",
            )
            .detail(json!({ "name": name, "reference": reference })),
            Err(e) => e.into(),
        }
    }

    /// Reads manifest `digest` from the store, verified.
    async fn manifest_bytes(&self, name: &str, digest: &Digest) -> Result<Option<bytes::Bytes>> {
        match self.store.get(digest).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(StoreError::NotFound(_)) => {
                tracing::error!(%name, %digest, "registry: an indexed manifest is missing from the blob store");
                Ok(None)
            }
            Err(e) => Err(RegistryError::internal(&e)),
        }
    }

    /// Completes the index entry of a manifest recorded by digest alone.
    async fn complete(&self, name: &str, bytes: &[u8]) -> Result<ManifestInfo> {
        let info = ManifestInfo::parse(bytes).map_err(|e| {
            RegistryError::internal(&format!(
                "stored manifest {} of {name}: {e}",
                Digest::of(bytes)
            ))
        })?;
        self.db.complete_manifest(name, &info).await?;
        Ok(info)
    }

    /// `GET|HEAD /v2/<name>/manifests/<tag-or-digest>`. `Accept` is not
    /// consulted: every manifest is served as stored, with its own media type
    /// (what registries do for clients that accept OCI and Docker schema 2).
    async fn manifest(&self, name: &str, reference: &str, head: bool) -> Result<Response> {
        let digest = if reference.contains(':') {
            parse_digest(reference)?
        } else if !valid_tag(reference) {
            return Err(RegistryError::new(
                StatusCode::NOT_FOUND,
                "MANIFEST_UNKNOWN",
                "manifest unknown to registry: invalid tag",
            )
            .detail(json!({ "name": name, "reference": reference })));
        } else {
            match self.db.registry_tag(name, reference).await? {
                Some(d) => d,
                None => return Err(self.manifest_unknown(name, reference).await),
            }
        };
        let Some(row) = self.db.registry_manifest(name, &digest).await? else {
            return Err(self.manifest_unknown(name, reference).await);
        };
        let (media_type, size, body) = match (&row.media_type, row.size, head) {
            (Some(media_type), Some(size), true) => {
                let present = self
                    .store
                    .contains(&digest)
                    .await
                    .map_err(|e| RegistryError::internal(&e))?;
                if !present {
                    tracing::error!(%name, %digest, "registry: an indexed manifest is missing from the blob store");
                    return Err(self.manifest_unknown(name, reference).await);
                }
                (media_type.clone(), size, None)
            }
            _ => {
                let Some(bytes) = self.manifest_bytes(name, &digest).await? else {
                    return Err(self.manifest_unknown(name, reference).await);
                };
                let media_type = match &row.media_type {
                    Some(m) => m.clone(),
                    None => self.complete(name, &bytes).await?.media_type,
                };
                (media_type, bytes.len() as u64, (!head).then_some(bytes))
            }
        };
        Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, media_type)
            .header(CONTENT_DIGEST, digest.as_str())
            .header(header::CONTENT_LENGTH, size)
            .header(header::ETAG, format!("\"{digest}\""))
            .body(body.map(Body::from).unwrap_or_else(Body::empty))
            .map_err(|e| RegistryError::internal(&e))
    }

    /// Whether `name` serves blob `digest`, completing manifests recorded by
    /// digest alone if that is what it takes to know.
    async fn serves_blob(&self, name: &str, digest: &Digest) -> Result<bool> {
        if self.db.registry_serves_blob(name, digest).await? {
            return Ok(true);
        }
        let incomplete = self.db.registry_incomplete(name).await?;
        if incomplete.is_empty() {
            return Ok(false);
        }
        for manifest in incomplete {
            if let Some(bytes) = self.manifest_bytes(name, &manifest).await? {
                self.complete(name, &bytes).await?;
            }
        }
        Ok(self.db.registry_serves_blob(name, digest).await?)
    }

    /// `GET|HEAD /v2/<name>/blobs/<digest>`, with `Range`.
    async fn blob(
        &self,
        name: &str,
        digest: &str,
        headers: &HeaderMap,
        head: bool,
    ) -> Result<Response> {
        let digest = parse_digest(digest)?;
        let unknown = || {
            RegistryError::new(
                StatusCode::NOT_FOUND,
                "BLOB_UNKNOWN",
                "blob unknown to registry",
            )
            .detail(json!({ "name": name, "digest": digest.as_str() }))
        };
        if !self.serves_blob(name, &digest).await? {
            return Err(if self.db.registry_repository_exists(name).await? {
                unknown()
            } else {
                RegistryError::name_unknown(name)
            });
        }
        let size = match self.store.size(&digest).await {
            Ok(size) => size,
            Err(StoreError::NotFound(_)) => {
                tracing::error!(%name, %digest, "registry: a referenced blob is missing from the blob store");
                return Err(unknown());
            }
            Err(e) => return Err(RegistryError::internal(&e)),
        };
        let range_header = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
        let wanted = range::wanted(range_header, size);
        let builder = Response::builder()
            .header(CONTENT_DIGEST, digest.as_str())
            .header(header::ACCEPT_RANGES, "bytes")
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .header(header::ETAG, format!("\"{digest}\""))
            .header(header::CACHE_CONTROL, "max-age=31536000");
        let (builder, body) = match wanted {
            Wanted::Unsatisfiable => {
                return builder
                    .status(StatusCode::RANGE_NOT_SATISFIABLE)
                    .header(header::CONTENT_RANGE, format!("bytes */{size}"))
                    .header(header::CONTENT_LENGTH, 0)
                    .body(Body::empty())
                    .map_err(|e| RegistryError::internal(&e));
            }
            Wanted::Whole => {
                let builder = builder
                    .status(StatusCode::OK)
                    .header(header::CONTENT_LENGTH, size);
                if head {
                    (builder, Body::empty())
                } else {
                    let read = self.store.read(&digest).await.map_err(|e| match e {
                        StoreError::NotFound(_) => unknown(),
                        e => RegistryError::internal(&e),
                    })?;
                    (
                        builder,
                        Body::from_stream(log_failure(read.stream, &digest)),
                    )
                }
            }
            Wanted::Part(part) => {
                let builder = builder
                    .status(StatusCode::PARTIAL_CONTENT)
                    .header(
                        header::CONTENT_RANGE,
                        format!("bytes {}-{}/{size}", part.start, part.end - 1),
                    )
                    .header(header::CONTENT_LENGTH, part.end - part.start);
                if head {
                    (builder, Body::empty())
                } else {
                    let read = self
                        .store
                        .read_range(&digest, part)
                        .await
                        .map_err(|e| match e {
                            StoreError::NotFound(_) => unknown(),
                            e => RegistryError::internal(&e),
                        })?;
                    (
                        builder,
                        Body::from_stream(log_failure(read.stream, &digest)),
                    )
                }
            }
        };
        builder.body(body).map_err(|e| RegistryError::internal(&e))
    }

    /// `GET /v2/<name>/tags/list?n=&last=`.
    async fn tags(&self, name: &str, query: &str) -> Result<Response> {
        let mut n = None;
        let mut last = None;
        for (key, value) in query_params(query) {
            match key.as_str() {
                "n" => {
                    n = Some(value.parse::<usize>().map_err(|_| {
                        RegistryError::new(
                            StatusCode::BAD_REQUEST,
                            "PAGINATION_NUMBER_INVALID",
                            "invalid number of results requested",
                        )
                        .detail(json!({ "n": value }))
                    })?);
                }
                "last" => last = Some(value),
                _ => {}
            }
        }
        let all = self.db.registry_tags(name).await?;
        if all.is_empty() && !self.db.registry_repository_exists(name).await? {
            return Err(RegistryError::name_unknown(name));
        }
        let after: Vec<&String> = all
            .iter()
            .filter(|t| last.as_ref().is_none_or(|l| t.as_str() > l.as_str()))
            .collect();
        let page: Vec<&String> = match n {
            Some(n) => after.iter().take(n).copied().collect(),
            None => after.clone(),
        };
        let mut response = (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            json!({ "name": name, "tags": page }).to_string(),
        )
            .into_response();
        if let (Some(n), Some(last_tag)) = (n, page.last())
            && after.len() > page.len()
        {
            let link = format!("</v2/{name}/tags/list?n={n}&last={last_tag}>; rel=\"next\"");
            if let Ok(value) = HeaderValue::from_str(&link) {
                response.headers_mut().insert(header::LINK, value);
            }
        }
        Ok(response)
    }

    /// `GET /v2/<name>/referrers/<digest>?artifactType=`: an image index of the
    /// manifests whose subject is `digest` (empty, never 404, when there are none).
    async fn referrers(&self, name: &str, digest: &str, query: &str) -> Result<Response> {
        let digest = parse_digest(digest)?;
        let filter = query_params(query)
            .into_iter()
            .find(|(k, _)| k == "artifactType")
            .map(|(_, v)| v);
        let manifests: Vec<IndexedManifest> = self
            .db
            .registry_referrers(name, &digest)
            .await?
            .into_iter()
            .filter(|m| {
                filter
                    .as_ref()
                    .is_none_or(|f| m.artifact_type.as_deref() == Some(f.as_str()))
            })
            .collect();
        let body = referrers_index(&manifests);
        let mut response = (
            StatusCode::OK,
            [(header::CONTENT_TYPE, OCI_INDEX)],
            body.to_string(),
        )
            .into_response();
        if filter.is_some() {
            response.headers_mut().insert(
                "oci-filters-applied",
                HeaderValue::from_static("artifactType"),
            );
        }
        Ok(response)
    }
}

/// The OCI image index listing `referrers` (the referrers API's answer, and the
/// referrers-tag index pushed to registries without that API).
pub fn referrers_index(referrers: &[IndexedManifest]) -> serde_json::Value {
    let manifests: Vec<serde_json::Value> = referrers
        .iter()
        .map(|m| {
            let mut d = json!({
                "mediaType": m.media_type,
                "digest": m.digest.as_str(),
                "size": m.size,
            });
            if let Some(a) = &m.artifact_type {
                d["artifactType"] = json!(a);
            }
            if !m.annotations.is_empty() {
                d["annotations"] = json!(m.annotations);
            }
            d
        })
        .collect();
    json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": manifests,
    })
}

/// Logs a blob stream that fails mid-way (the client sees the connection cut
/// short of `Content-Length`).
fn log_failure(
    stream: futures::stream::BoxStream<'static, Result<bytes::Bytes, StoreError>>,
    digest: &Digest,
) -> impl futures::Stream<Item = Result<bytes::Bytes, StoreError>> + Send + 'static {
    use futures::StreamExt;
    let digest = digest.clone();
    stream.inspect(move |item| {
        if let Err(e) = item {
            tracing::error!(%digest, error = %e, "registry: serving a blob failed");
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{Route, percent_decode, route};

    #[test]
    fn paths_split_from_the_right() {
        assert_eq!(route("a/manifests/v1"), Route::Manifest("a", "v1"));
        assert_eq!(
            route("a/b/c/manifests/sha256:00"),
            Route::Manifest("a/b/c", "sha256:00")
        );
        assert_eq!(
            route("x/manifests/manifests/v1"),
            Route::Manifest("x/manifests", "v1")
        );
        assert_eq!(route("a/b/blobs/sha256:1"), Route::Blob("a/b", "sha256:1"));
        assert_eq!(route("a/tags/list"), Route::Tags("a"));
        assert_eq!(route("a/b/tags/list"), Route::Tags("a/b"));
        assert_eq!(
            route("a/referrers/sha256:2"),
            Route::Referrers("a", "sha256:2")
        );
        assert_eq!(route("a/blobs/uploads/"), Route::Upload("a"));
        assert_eq!(route("a/blobs/uploads/some-id"), Route::Upload("a"));
        assert_eq!(route("_catalog"), Route::Unknown);
        assert_eq!(route("a/manifests"), Route::Unknown);
        assert_eq!(route("a/other/v1"), Route::Unknown);
    }

    #[test]
    fn query_values_are_decoded() {
        assert_eq!(percent_decode("a%2Fb+c"), "a/b c");
        assert_eq!(
            percent_decode("application%2Fvnd.x%2bjson"),
            "application/vnd.x+json"
        );
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
