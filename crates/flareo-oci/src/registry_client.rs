//! A client of the OCI Distribution API for pushing Flareo's images (and their
//! signature and attestation manifests) to another registry, and reading them
//! back: blob existence (`HEAD`), monolithic uploads streamed from the
//! [`BlobStore`] (`POST` then `PUT ?digest=`), manifests by tag or digest, blobs
//! verified against their digest, tag lists. Anonymous, HTTP basic, or the
//! bearer-token challenge (`WWW-Authenticate: Bearer realm=...`). Plain HTTP only
//! when the registry is named with `http://`.
//!
//! Written on reqwest rather than `oci-client` (which shares our reqwest, hyper and
//! rustls stack): its uploads take a blob's bytes whole, where layers here stream
//! from the store with a known length, and its errors do not say which registry
//! and which blob failed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{RequestBuilder, Response, StatusCode, Url};

use crate::digest::Digest;
use crate::manifest::{MANIFEST_MEDIA_TYPES, ManifestError, ManifestInfo};
use crate::store::{BlobStore, StoreError};

/// How deep an index of indexes may go when pushing.
const MAX_NESTING: usize = 4;
/// Tags asked for per page when listing.
const TAGS_PAGE: usize = 1000;
/// Pages followed at most when listing tags.
const MAX_TAG_PAGES: usize = 1000;

/// Who the client is to the registry.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Credentials {
    /// No credentials.
    #[default]
    Anonymous,
    /// A user name and password, sent as HTTP basic auth when the registry asks
    /// for it, or to the token service of a bearer challenge.
    Basic {
        /// The user.
        username: String,
        /// The password; never printed by `Debug`.
        password: String,
    },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Anonymous => f.write_str("Anonymous"),
            Self::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
        }
    }
}

/// Why talking to a registry failed. Every message names the registry and what
/// was being done (which blob, which manifest).
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The registry or image reference is malformed.
    #[error("registry reference {reference:?}: {message}")]
    Reference {
        /// What was given.
        reference: String,
        /// What is wrong with it.
        message: String,
    },
    /// The request did not get an answer (connection, TLS, timeout).
    #[error("registry {registry}: {what}: {source}")]
    Http {
        /// The registry (`host[:port]`).
        registry: String,
        /// What was being done.
        what: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The registry answered with an error status.
    #[error("registry {registry}: {what}: HTTP {status}: {message}")]
    Status {
        /// The registry.
        registry: String,
        /// What was being done.
        what: String,
        /// The HTTP status.
        status: u16,
        /// The registry's own error (code and message), or the body.
        message: String,
    },
    /// The registry refused the credentials (or asked for some and none are set).
    #[error(
        "registry {registry}: {what}: not authorized: {message} (check the credentials configured for this registry)"
    )]
    Unauthorized {
        /// The registry.
        registry: String,
        /// What was being done.
        what: String,
        /// The registry's message.
        message: String,
    },
    /// The registry broke the protocol (missing header, malformed JSON, ...).
    #[error("registry {registry}: {what}: {message}")]
    Protocol {
        /// The registry.
        registry: String,
        /// What was being done.
        what: String,
        /// What was wrong.
        message: String,
    },
    /// Content read from the registry does not hash to its digest.
    #[error("registry {registry}: {what}: content hashes to {actual}, expected {expected}")]
    DigestMismatch {
        /// The registry.
        registry: String,
        /// What was read.
        what: String,
        /// The digest asked for.
        expected: Digest,
        /// The digest of what came back.
        actual: Digest,
    },
    /// A manifest (stored or pulled) cannot be read.
    #[error("{what}: {source}")]
    Manifest {
        /// Which manifest, and where.
        what: String,
        /// Why.
        #[source]
        source: ManifestError,
    },
    /// Reading what to push from the blob store failed.
    #[error("pushing to {registry}: {what}: {source}")]
    Store {
        /// The registry.
        registry: String,
        /// What was being pushed.
        what: String,
        /// The store's error.
        #[source]
        source: Box<StoreError>,
    },
}

/// `<registry>/<repository>:<tag>` (or `@<digest>`), the registry optionally
/// prefixed with `http://` (plain HTTP) or `https://` (the default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageTarget {
    /// `http://host:port` or `https://host[:port]`.
    pub registry: String,
    /// The repository, e.g. `flareo/example`.
    pub repository: String,
    /// The tag or digest.
    pub reference: String,
}

impl std::str::FromStr for ImageTarget {
    type Err = RegistryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |message: &str| RegistryError::Reference {
            reference: s.to_string(),
            message: message.to_string(),
        };
        let (scheme, rest) = match s.split_once("://") {
            Some((scheme @ ("http" | "https"), rest)) => (scheme, rest),
            Some(_) => return Err(bad("only http:// and https:// registries are supported")),
            None => ("https", s),
        };
        let (host, path) = rest
            .split_once('/')
            .ok_or_else(|| bad("expected <registry>/<repository>:<tag>"))?;
        let (repository, reference) = if let Some((repo, digest)) = path.split_once('@') {
            digest.parse::<Digest>().map_err(|e| bad(&e.to_string()))?;
            (repo, digest)
        } else {
            match path.rsplit_once(':') {
                Some((repo, tag)) if !tag.contains('/') => (repo, tag),
                _ => return Err(bad("expected a :<tag> or @<digest> after the repository")),
            }
        };
        if host.is_empty() || !valid_repository(repository) {
            return Err(bad(
                "the repository must be lower-case path components ([a-z0-9] separated by . _ -)",
            ));
        }
        if reference.is_empty() || (!reference.contains(':') && !valid_tag(reference)) {
            return Err(bad(
                "a tag is 1-128 of [A-Za-z0-9_.-], not starting with . or -",
            ));
        }
        Ok(Self {
            registry: format!("{scheme}://{host}"),
            repository: repository.to_string(),
            reference: reference.to_string(),
        })
    }
}

/// Whether `name` is a repository name as the distribution spec defines it.
pub fn valid_repository(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name.split('/').all(|component| {
            let bytes = component.as_bytes();
            let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
            !bytes.is_empty()
                && bytes.first().is_some_and(alnum)
                && bytes.last().is_some_and(alnum)
                && bytes
                    .iter()
                    .all(|b| alnum(b) || matches!(b, b'.' | b'_' | b'-'))
        })
}

/// Whether `tag` is a tag as the distribution spec defines it.
pub fn valid_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// A manifest read from a registry, verified against its digest.
#[derive(Debug, Clone)]
pub struct PulledManifest {
    /// Its digest (of the bytes).
    pub digest: Digest,
    /// The `Content-Type` the registry gave.
    pub media_type: String,
    /// The bytes.
    pub bytes: Bytes,
}

/// What [`RegistryClient::push_image`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// The pushed manifest's digest.
    pub digest: Digest,
    /// Blobs uploaded.
    pub uploaded: Vec<Digest>,
    /// Blobs the registry already had.
    pub present: Vec<Digest>,
}

/// What the registry asked for, per scope.
#[derive(Default)]
struct AuthState {
    /// The registry answered a challenge with `Basic`.
    basic: bool,
    /// Bearer tokens by scope (`repository:<name>:pull[,push]`).
    tokens: HashMap<String, String>,
}

/// A challenge from `WWW-Authenticate`.
#[derive(Debug, PartialEq, Eq)]
enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

/// Parses `WWW-Authenticate` (the first challenge; parameters may be quoted
/// strings containing commas, as `scope="repository:a:pull,push"` does).
fn parse_challenge(value: &str) -> Option<Challenge> {
    let value = value.trim();
    let (scheme, params) = value.split_once(' ').unwrap_or((value, ""));
    let mut map = HashMap::new();
    let mut rest = params.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (val, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            out.push(n);
                        }
                    }
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => out.push(c),
                }
            }
            (out, &quoted[end?..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        map.insert(key, val);
        rest = remaining.trim_start().trim_start_matches(',').trim_start();
    }
    if scheme.eq_ignore_ascii_case("basic") {
        Some(Challenge::Basic)
    } else if scheme.eq_ignore_ascii_case("bearer") {
        Some(Challenge::Bearer {
            realm: map.remove("realm")?,
            service: map.remove("service"),
            scope: map.remove("scope"),
        })
    } else {
        None
    }
}

/// The registry's error message from a distribution-spec error body
/// (`{"errors":[{"code","message","detail"}]}`), or the body itself.
fn registry_message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Body {
        errors: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
        #[serde(default)]
        detail: Option<serde_json::Value>,
    }
    if let Ok(parsed) = serde_json::from_slice::<Body>(body)
        && !parsed.errors.is_empty()
    {
        return parsed
            .errors
            .iter()
            .map(|e| {
                let mut s = format!("{}: {}", e.code, e.message);
                if let Some(d) = e.detail.as_ref().filter(|d| !d.is_null()) {
                    s.push_str(&format!(" ({d})"));
                }
                s
            })
            .collect::<Vec<_>>()
            .join("; ");
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        "(no message)".to_string()
    } else {
        text.chars().take(500).collect()
    }
}

/// A client of one registry. Cheap to share; keeps the tokens it obtained.
pub struct RegistryClient {
    http: reqwest::Client,
    /// `scheme://host[:port]/`.
    base: Url,
    /// `host[:port]`, for messages.
    name: String,
    credentials: Credentials,
    auth: Mutex<AuthState>,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("base", &self.base.as_str())
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

/// The scope a request needs.
#[derive(Clone, Copy)]
enum Access {
    Pull,
    Push,
}

fn scope(repository: &str, access: Access) -> String {
    match access {
        Access::Pull => format!("repository:{repository}:pull"),
        Access::Push => format!("repository:{repository}:pull,push"),
    }
}

impl RegistryClient {
    /// A client of `registry`: `http://host:port` (plain HTTP), `https://host`
    /// or a bare `host[:port]` (HTTPS).
    pub fn new(registry: &str, credentials: Credentials) -> Result<Self, RegistryError> {
        let bad = |message: String| RegistryError::Reference {
            reference: registry.to_string(),
            message,
        };
        let with_scheme = if registry.contains("://") {
            registry.to_string()
        } else {
            format!("https://{registry}")
        };
        let base = Url::parse(&with_scheme).map_err(|e| bad(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(bad(
                "only http:// and https:// registries are supported".into()
            ));
        }
        let host = base
            .host_str()
            .ok_or_else(|| bad("no host".into()))?
            .to_string();
        if base.path() != "/" || base.query().is_some() {
            return Err(bad(
                "a registry is scheme://host[:port], with no path".into()
            ));
        }
        let name = match base.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        };
        let http = reqwest::Client::builder()
            .user_agent(concat!("flareo/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(30))
            .read_timeout(Duration::from_secs(300))
            .build()
            .map_err(|e| bad(format!("building the HTTP client: {e}")))?;
        Ok(Self {
            http,
            base,
            name,
            credentials,
            auth: Mutex::new(AuthState::default()),
        })
    }

    /// The registry's `host[:port]`.
    pub fn registry(&self) -> &str {
        &self.name
    }

    fn url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        url.set_path(path);
        url
    }

    fn same_origin(&self, url: &Url) -> bool {
        url.scheme() == self.base.scheme()
            && url.host_str() == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default()
    }

    fn http_err(&self, what: &str) -> impl FnOnce(reqwest::Error) -> RegistryError + '_ {
        let what = what.to_string();
        move |source| RegistryError::Http {
            registry: self.name.clone(),
            what,
            source,
        }
    }

    fn protocol(&self, what: &str, message: impl Into<String>) -> RegistryError {
        RegistryError::Protocol {
            registry: self.name.clone(),
            what: what.to_string(),
            message: message.into(),
        }
    }

    /// The registry's error for a response that is not a success.
    async fn status_error(&self, what: &str, response: Response) -> RegistryError {
        let status = response.status();
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response.bytes().await.unwrap_or_default();
        let message = match (body.trim_ascii().is_empty(), challenge) {
            // A HEAD answer has no body: say what the status and challenge say.
            (true, Some(challenge)) => format!("credentials required ({challenge})"),
            (true, None) => status
                .canonical_reason()
                .unwrap_or("(no message)")
                .to_lowercase(),
            (false, _) => registry_message(&body),
        };
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return RegistryError::Unauthorized {
                registry: self.name.clone(),
                what: what.to_string(),
                message,
            };
        }
        RegistryError::Status {
            registry: self.name.clone(),
            what: what.to_string(),
            status: status.as_u16(),
            message,
        }
    }

    /// Adds what the registry asked for (basic credentials or a token for
    /// `scope`) to a request bound for the registry itself.
    fn authorize(&self, request: RequestBuilder, url: &Url, scope: &str) -> RequestBuilder {
        if !self.same_origin(url) {
            return request;
        }
        let (basic, token) = {
            let auth = self.auth.lock().unwrap_or_else(|e| e.into_inner());
            (auth.basic, auth.tokens.get(scope).cloned())
        };
        if let Some(token) = token {
            return request.bearer_auth(token);
        }
        match &self.credentials {
            Credentials::Basic { username, password } if basic => {
                request.basic_auth(username, Some(password))
            }
            _ => request,
        }
    }

    /// Answers a 401's challenge for `scope`: remembers that the registry wants
    /// basic auth, or fetches a bearer token. False when nothing more can be tried.
    async fn answer_challenge(
        &self,
        what: &str,
        response: &Response,
        scope: &str,
    ) -> Result<bool, RegistryError> {
        let challenge = response
            .headers()
            .get_all(header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(parse_challenge);
        match challenge {
            Some(Challenge::Basic) => {
                if matches!(self.credentials, Credentials::Anonymous) {
                    return Ok(false);
                }
                let mut auth = self.auth.lock().unwrap_or_else(|e| e.into_inner());
                let first = !auth.basic;
                auth.basic = true;
                Ok(first)
            }
            Some(Challenge::Bearer {
                realm,
                service,
                scope: asked,
            }) => {
                let token = self
                    .fetch_token(
                        what,
                        &realm,
                        service.as_deref(),
                        asked.as_deref().unwrap_or(scope),
                    )
                    .await?;
                let mut auth = self.auth.lock().unwrap_or_else(|e| e.into_inner());
                let changed = auth.tokens.get(scope) != Some(&token);
                auth.tokens.insert(scope.to_string(), token);
                Ok(changed)
            }
            None => Ok(false),
        }
    }

    /// Gets a bearer token from the token service `realm`.
    async fn fetch_token(
        &self,
        what: &str,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<String, RegistryError> {
        let what = format!("{what}: getting a token from {realm}");
        let mut url =
            Url::parse(realm).map_err(|e| self.protocol(&what, format!("bad realm: {e}")))?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = service {
                query.append_pair("service", service);
            }
            query.append_pair("scope", scope);
        }
        let mut request = self.http.get(url);
        if let Credentials::Basic { username, password } = &self.credentials {
            request = request.basic_auth(username, Some(password));
        }
        let response = request.send().await.map_err(self.http_err(&what))?;
        if !response.status().is_success() {
            return Err(self.status_error(&what, response).await);
        }
        #[derive(serde::Deserialize)]
        struct Token {
            token: Option<String>,
            access_token: Option<String>,
        }
        let body = response.bytes().await.map_err(self.http_err(&what))?;
        let token: Token = serde_json::from_slice(&body)
            .map_err(|e| self.protocol(&what, format!("token response is not JSON: {e}")))?;
        token
            .token
            .or(token.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| self.protocol(&what, "token response has no token"))
    }

    /// Sends a request built by `build` with the authorization `scope` needs,
    /// answering one authentication challenge. `build` is called again for the
    /// retry, so the body must be rebuildable.
    async fn send(
        &self,
        what: &str,
        scope: &str,
        url: &Url,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response, RegistryError> {
        let response = self
            .authorize(build(), url, scope)
            .send()
            .await
            .map_err(self.http_err(what))?;
        if response.status() != StatusCode::UNAUTHORIZED
            || !self.answer_challenge(what, &response, scope).await?
        {
            return Ok(response);
        }
        self.authorize(build(), url, scope)
            .send()
            .await
            .map_err(self.http_err(what))
    }

    /// Whether the registry holds blob `digest` in `repository`.
    pub async fn blob_exists(
        &self,
        repository: &str,
        digest: &Digest,
    ) -> Result<bool, RegistryError> {
        let what = format!("checking blob {digest} in {repository}");
        let url = self.url(&format!("/v2/{repository}/blobs/{digest}"));
        let scope = scope(repository, Access::Pull);
        let response = self
            .send(&what, &scope, &url, || self.http.head(url.clone()))
            .await?;
        match response.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(self.status_error(&what, response).await),
        }
    }

    /// Uploads blob `digest` of `repository` from `store`, unless the registry
    /// already has it. True when it was uploaded. The bytes stream from the
    /// store, verified as they go: a tampered stored blob aborts the upload, and
    /// the registry checks the digest too.
    pub async fn push_blob(
        &self,
        store: &BlobStore,
        repository: &str,
        digest: &Digest,
    ) -> Result<bool, RegistryError> {
        if self.blob_exists(repository, digest).await? {
            return Ok(false);
        }
        let what = format!("uploading blob {digest} to {repository}");
        let scope = scope(repository, Access::Push);
        let start = self.url(&format!("/v2/{repository}/blobs/uploads/"));
        let response = self
            .send(&what, &scope, &start, || {
                self.http
                    .post(start.clone())
                    .header(header::CONTENT_LENGTH, "0")
            })
            .await?;
        if response.status() != StatusCode::ACCEPTED {
            return Err(self.status_error(&what, response).await);
        }
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| self.protocol(&what, "upload started without a Location header"))?;
        let mut url = self
            .base
            .join(location)
            .map_err(|e| self.protocol(&what, format!("bad upload Location {location:?}: {e}")))?;
        url.query_pairs_mut().append_pair("digest", digest.as_str());
        // The body streams once: the upload's POST already answered any challenge,
        // so the PUT goes out authorized; a 401 now is a refusal.
        let read = store
            .read(digest)
            .await
            .map_err(|source| RegistryError::Store {
                registry: self.name.clone(),
                what: format!("blob {digest}"),
                source: Box::new(source),
            })?;
        let request = self
            .http
            .put(url.clone())
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .header(header::CONTENT_LENGTH, read.size)
            .body(reqwest::Body::wrap_stream(read.stream));
        let response = self
            .authorize(request, &url, &scope)
            .send()
            .await
            .map_err(self.http_err(&what))?;
        if response.status() != StatusCode::CREATED {
            return Err(self.status_error(&what, response).await);
        }
        if let Some(said) = response
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            && said != digest.as_str()
        {
            return Err(self.protocol(&what, format!("the registry stored it as {said}")));
        }
        Ok(true)
    }

    /// Stores a manifest under `reference` (a tag, or its digest) with its media
    /// type; returns its digest (checked against what the registry reports).
    pub async fn put_manifest(
        &self,
        repository: &str,
        reference: &str,
        media_type: &str,
        bytes: Bytes,
    ) -> Result<Digest, RegistryError> {
        let digest = Digest::of(&bytes);
        let what = format!("putting manifest {digest} as {repository}:{reference}");
        let url = self.url(&format!("/v2/{repository}/manifests/{reference}"));
        let scope = scope(repository, Access::Push);
        let response = self
            .send(&what, &scope, &url, || {
                self.http
                    .put(url.clone())
                    .header(header::CONTENT_TYPE, media_type)
                    .body(bytes.clone())
            })
            .await?;
        if response.status() != StatusCode::CREATED {
            return Err(self.status_error(&what, response).await);
        }
        if let Some(said) = response
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            && said != digest.as_str()
        {
            return Err(self.protocol(&what, format!("the registry stored it as {said}")));
        }
        Ok(digest)
    }

    /// Reads a manifest by tag or digest (accepting OCI and Docker schema 2
    /// manifests and indexes), verified: against the digest asked for, or the
    /// registry's `Docker-Content-Digest`.
    pub async fn get_manifest(
        &self,
        repository: &str,
        reference: &str,
    ) -> Result<PulledManifest, RegistryError> {
        let what = format!("reading manifest {repository}:{reference}");
        let url = self.url(&format!("/v2/{repository}/manifests/{reference}"));
        let scope = scope(repository, Access::Pull);
        let accept = MANIFEST_MEDIA_TYPES.join(", ");
        let response = self
            .send(&what, &scope, &url, || {
                self.http
                    .get(url.clone())
                    .header(header::ACCEPT, accept.as_str())
            })
            .await?;
        if !response.status().is_success() {
            return Err(self.status_error(&what, response).await);
        }
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(self.http_err(&what))?;
        let actual = Digest::of(&bytes);
        let expected = match reference.parse::<Digest>() {
            Ok(d) => Some(d),
            Err(_) => header_str(&headers, "docker-content-digest")
                .map(|s| s.parse::<Digest>())
                .transpose()
                .map_err(|e| self.protocol(&what, format!("Docker-Content-Digest: {e}")))?,
        };
        if let Some(expected) = expected
            && expected != actual
        {
            return Err(RegistryError::DigestMismatch {
                registry: self.name.clone(),
                what,
                expected,
                actual,
            });
        }
        let media_type = header_str(&headers, header::CONTENT_TYPE.as_str())
            .map(str::to_string)
            .or_else(|| ManifestInfo::parse(&bytes).ok().map(|m| m.media_type))
            .unwrap_or_default();
        Ok(PulledManifest {
            digest: actual,
            media_type,
            bytes,
        })
    }

    /// Reads blob `digest` of `repository`, verified against the digest.
    pub async fn get_blob(
        &self,
        repository: &str,
        digest: &Digest,
    ) -> Result<Bytes, RegistryError> {
        let what = format!("reading blob {digest} of {repository}");
        let url = self.url(&format!("/v2/{repository}/blobs/{digest}"));
        let scope = scope(repository, Access::Pull);
        let response = self
            .send(&what, &scope, &url, || self.http.get(url.clone()))
            .await?;
        if !response.status().is_success() {
            return Err(self.status_error(&what, response).await);
        }
        let mut hasher = crate::digest::Hasher::default();
        let mut body = Vec::new();
        let mut chunks = response.bytes_stream();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(self.http_err(&what))?;
            hasher.update(&chunk);
            body.extend_from_slice(&chunk);
        }
        let actual = hasher.finish();
        if &actual != digest {
            return Err(RegistryError::DigestMismatch {
                registry: self.name.clone(),
                what,
                expected: digest.clone(),
                actual,
            });
        }
        Ok(body.into())
    }

    /// Every tag of `repository`, following the registry's pagination.
    pub async fn list_tags(&self, repository: &str) -> Result<Vec<String>, RegistryError> {
        #[derive(serde::Deserialize)]
        struct TagList {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let what = format!("listing tags of {repository}");
        let scope = scope(repository, Access::Pull);
        let mut url = self.url(&format!("/v2/{repository}/tags/list"));
        url.query_pairs_mut()
            .append_pair("n", &TAGS_PAGE.to_string());
        let mut tags = Vec::new();
        for _ in 0..MAX_TAG_PAGES {
            let response = self
                .send(&what, &scope, &url, || self.http.get(url.clone()))
                .await?;
            if !response.status().is_success() {
                return Err(self.status_error(&what, response).await);
            }
            let next = next_link(response.headers());
            let body = response.bytes().await.map_err(self.http_err(&what))?;
            let page: TagList = serde_json::from_slice(&body)
                .map_err(|e| self.protocol(&what, format!("tag list is not JSON: {e}")))?;
            tags.extend(page.tags.unwrap_or_default());
            match next {
                Some(link) => {
                    url = self
                        .base
                        .join(&link)
                        .map_err(|e| self.protocol(&what, format!("bad Link {link:?}: {e}")))?;
                }
                None => return Ok(tags),
            }
        }
        Err(self.protocol(&what, format!("more than {MAX_TAG_PAGES} pages of tags")))
    }

    /// The referrers of manifest `digest` (an OCI image index): from the referrers
    /// API, or, for registries without it (404), from the referrers tag schema's
    /// `sha256-<hex>` tag; `None` when neither exists.
    pub async fn get_referrers(
        &self,
        repository: &str,
        digest: &Digest,
    ) -> Result<Option<serde_json::Value>, RegistryError> {
        let what = format!("listing the referrers of {repository}@{digest}");
        let scope = scope(repository, Access::Pull);
        let url = self.url(&format!("/v2/{repository}/referrers/{digest}"));
        let response = self
            .send(&what, &scope, &url, || self.http.get(url.clone()))
            .await?;
        let bytes = if response.status().is_success() {
            response.bytes().await.map_err(self.http_err(&what))?
        } else if response.status() == StatusCode::NOT_FOUND {
            let tag = digest.as_str().replace(':', "-");
            match self.get_manifest(repository, &tag).await {
                Ok(m) => m.bytes,
                Err(RegistryError::Status { status: 404, .. }) => return Ok(None),
                Err(e) => return Err(e),
            }
        } else {
            return Err(self.status_error(&what, response).await);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| self.protocol(&what, format!("referrers index is not JSON: {e}")))
    }

    /// Pushes the manifest `digest` from `store` as `repository:reference`,
    /// with everything it references first: an index's child manifests (by
    /// digest), then the config and layers (or an artifact's blobs) the registry
    /// lacks. Works for any manifest in the store: images, signatures,
    /// attestations (their `subject` is not pushed: push it first).
    pub async fn push_image(
        &self,
        store: &BlobStore,
        digest: &Digest,
        repository: &str,
        reference: &str,
    ) -> Result<Pushed, RegistryError> {
        let mut pushed = Pushed {
            digest: digest.clone(),
            uploaded: Vec::new(),
            present: Vec::new(),
        };
        self.push_manifest_tree(store, digest, repository, reference, 0, &mut pushed)
            .await?;
        Ok(pushed)
    }

    async fn push_manifest_tree(
        &self,
        store: &BlobStore,
        digest: &Digest,
        repository: &str,
        reference: &str,
        depth: usize,
        pushed: &mut Pushed,
    ) -> Result<(), RegistryError> {
        let what = format!("manifest {digest}");
        let bytes = store
            .get(digest)
            .await
            .map_err(|source| RegistryError::Store {
                registry: self.name.clone(),
                what: what.clone(),
                source: Box::new(source),
            })?;
        let info = ManifestInfo::parse(&bytes).map_err(|source| RegistryError::Manifest {
            what: format!("stored {what}"),
            source,
        })?;
        if !info.manifests.is_empty() {
            if depth >= MAX_NESTING {
                return Err(RegistryError::Manifest {
                    what: format!("stored {what}"),
                    source: ManifestError::Shape,
                });
            }
            for child in &info.manifests {
                let child_ref = child.digest.to_string();
                Box::pin(self.push_manifest_tree(
                    store,
                    &child.digest,
                    repository,
                    &child_ref,
                    depth + 1,
                    pushed,
                ))
                .await?;
            }
        }
        for blob in &info.blobs {
            if pushed.uploaded.contains(&blob.digest) || pushed.present.contains(&blob.digest) {
                continue;
            }
            if self.push_blob(store, repository, &blob.digest).await? {
                pushed.uploaded.push(blob.digest.clone());
            } else {
                pushed.present.push(blob.digest.clone());
            }
        }
        self.put_manifest(repository, reference, &info.media_type, bytes)
            .await?;
        Ok(())
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
}

/// The `rel="next"` target of a `Link` header.
fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|link| {
            let (target, params) = link.split_once(';')?;
            let is_next = params
                .split(';')
                .any(|p| p.trim().replace(' ', "") == "rel=\"next\"" || p.trim() == "rel=next");
            let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
            is_next.then(|| target.to_string())
        })
}

/// Pushes manifest `digest` from `store`, with everything it references, to
/// `target` (`[http://]<host>/<repository>:<tag>`, see [`ImageTarget`]).
pub async fn push_image(
    store: &BlobStore,
    digest: &Digest,
    target: &str,
    credentials: Credentials,
) -> Result<Pushed, RegistryError> {
    let target: ImageTarget = target.parse()?;
    let client = RegistryClient::new(&target.registry, credentials)?;
    client
        .push_image(store, digest, &target.repository, &target.reference)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse_with_quoted_commas() {
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.example/token".into(),
                service: Some("registry.example".into()),
                scope: Some("repository:a/b:pull,push".into()),
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(
            parse_challenge(r#"bearer realm=https://t.example/x, service=s"#),
            Some(Challenge::Bearer {
                realm: "https://t.example/x".into(),
                service: Some("s".into()),
                scope: None,
            })
        );
        assert_eq!(parse_challenge("Bearer service=\"s\""), None);
        assert_eq!(parse_challenge("Negotiate"), None);
    }

    #[test]
    fn targets_parse_with_scheme_tag_or_digest() {
        let t: ImageTarget = "127.0.0.1:5000/flareo/example:v1.2".parse().unwrap();
        assert_eq!(
            t,
            ImageTarget {
                registry: "https://127.0.0.1:5000".into(),
                repository: "flareo/example".into(),
                reference: "v1.2".into(),
            }
        );
        let d = format!("sha256:{}", "a".repeat(64));
        let t: ImageTarget = format!("http://localhost:5000/x@{d}").parse().unwrap();
        assert_eq!(t.registry, "http://localhost:5000");
        assert_eq!(t.reference, d);
        for bad in [
            "ftp://h/x:y",
            "h/x",
            "h/X:y",
            "h/x:-y",
            "hostonly",
            "h/x@sha256:zz",
            "h//x:y",
        ] {
            assert!(bad.parse::<ImageTarget>().is_err(), "{bad}");
        }
    }

    #[test]
    fn registry_errors_keep_code_and_message() {
        let body = br#"{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:x"}]}"#;
        assert_eq!(
            registry_message(body),
            "BLOB_UNKNOWN: blob unknown to registry (\"sha256:x\")"
        );
        assert_eq!(registry_message(b"  plain text\n"), "plain text");
        assert_eq!(registry_message(b""), "(no message)");
    }

    #[test]
    fn next_links_are_found() {
        let mut h = HeaderMap::new();
        h.insert(
            header::LINK,
            HeaderValue::from_static("</v2/x/tags/list?n=2&last=b>; rel=\"next\""),
        );
        assert_eq!(next_link(&h).as_deref(), Some("/v2/x/tags/list?n=2&last=b"));
        assert_eq!(next_link(&HeaderMap::new()), None);
    }

    #[test]
    fn credentials_debug_hides_the_password() {
        let c = Credentials::Basic {
            username: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
