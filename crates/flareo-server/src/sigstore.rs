//! Mode 3: keyless signing against Fulcio and Rekor at configured URLs (public
//! Sigstore, or another Flareo instance's Fulcio-compatible and Rekor-compatible
//! endpoints). Per build: an ephemeral P-256 key, certified by Fulcio for the OIDC
//! identity token read from the token source (re-read every time, since workload
//! tokens rotate), and every entry logged in Rekor, whose response carries the
//! inclusion proof and signed checkpoint that go into the bundle.

use std::path::PathBuf;
use std::time::Duration;

use flareo_attest::bundle::TlogEntry;
use flareo_attest::ca::{CertInfo, Identity};
use flareo_attest::fulcio::{self, CertificateRequest};
use flareo_attest::keys::KeyPair;
use flareo_attest::oidc;
use reqwest::StatusCode;
use serde_json::Value;

use crate::signing::{SignError, Signer};

/// Where the OIDC identity token comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// A file a token agent keeps fresh (Kubernetes projected service-account
    /// tokens, CI-provided tokens), read at every build.
    File(PathBuf),
    /// An environment variable of the worker process (`SIGSTORE_ID_TOKEN`).
    Env(String),
}

impl TokenSource {
    /// The current token.
    fn read(&self) -> Result<String, SignError> {
        let token = match self {
            TokenSource::File(path) => std::fs::read_to_string(path).map_err(|e| {
                SignError::Certificate(format!(
                    "reading the identity token from {}: {e}",
                    path.display()
                ))
            })?,
            TokenSource::Env(var) => std::env::var(var).map_err(|_| {
                SignError::Certificate(format!(
                    "no identity token: {var} is not set and signing.oidc_token_file is not configured"
                ))
            })?,
        };
        Ok(token.trim().to_string())
    }

    fn describe(&self) -> String {
        match self {
            TokenSource::File(p) => p.display().to_string(),
            TokenSource::Env(v) => format!("${v}"),
        }
    }
}

/// Signs through Fulcio at `fulcio_url` and logs to Rekor at `rekor_url`.
pub struct SigstoreSigner {
    fulcio_url: String,
    rekor_url: String,
    token: TokenSource,
    http: reqwest::Client,
}

impl SigstoreSigner {
    /// A signer for those services, taking tokens from `token`.
    pub fn new(fulcio_url: &str, rekor_url: &str, token: TokenSource) -> Self {
        Self {
            fulcio_url: fulcio_url.trim_end_matches('/').to_string(),
            rekor_url: rekor_url.trim_end_matches('/').to_string(),
            token,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("a default HTTP client"),
        }
    }

    /// Sends a JSON request; returns the status, `Location` and JSON body.
    async fn call(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<(StatusCode, Option<String>, Value), String> {
        let response = request.send().await.map_err(|e| format!("{what}: {e}"))?;
        let status = response.status();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = response.text().await.map_err(|e| format!("{what}: {e}"))?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, location, body))
    }
}

/// The message of a Fulcio/Rekor error body, or the body itself.
fn message(body: &Value) -> String {
    body["message"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| body.to_string())
}

#[async_trait::async_trait]
impl Signer for SigstoreSigner {
    async fn begin(&self, _identity: &Identity) -> Result<(KeyPair, Option<Vec<u8>>), SignError> {
        let token = self.token.read()?;
        let claims = oidc::peek(&token).map_err(|e| {
            SignError::Certificate(format!(
                "identity token from {}: {e}",
                self.token.describe()
            ))
        })?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        if claims.exp <= now {
            return Err(SignError::Certificate(format!(
                "the identity token from {} expired at {} (now {now}); whatever writes it must refresh it",
                self.token.describe(),
                claims.exp
            )));
        }
        let challenge =
            oidc::challenge_of(&token).map_err(|e| SignError::Certificate(e.to_string()))?;
        let key = KeyPair::generate();
        let request = CertificateRequest::new(&token, &key, &challenge);
        let url = format!("{}/api/v2/signingCert", self.fulcio_url);
        let (status, _, body) = self
            .call(self.http.post(&url).json(&request.to_json()), &url)
            .await
            .map_err(SignError::Certificate)?;
        if !status.is_success() {
            return Err(SignError::Certificate(format!(
                "{url} refused the request ({status}): {}",
                message(&body)
            )));
        }
        let chain = fulcio::chain_from_response(&body)
            .map_err(|e| SignError::Certificate(format!("{url}: {e}")))?;
        let leaf = chain.into_iter().next().expect("chains are not empty");
        let info = CertInfo::parse(&leaf).map_err(|e| {
            SignError::Certificate(format!("{url} returned a bad certificate: {e}"))
        })?;
        if info.public_key != key.public() {
            return Err(SignError::Certificate(format!(
                "{url} certified another key than the one sent"
            )));
        }
        Ok((key, Some(leaf)))
    }

    async fn log(&self, proposed: &Value) -> Result<TlogEntry, SignError> {
        let url = format!("{}/api/v1/log/entries", self.rekor_url);
        let (status, location, body) = self
            .call(self.http.post(&url).json(proposed), &url)
            .await
            .map_err(SignError::Log)?;
        let body = match status {
            s if s.is_success() => body,
            // Already logged: the existing entry is at Location.
            StatusCode::CONFLICT if location.is_some() => {
                let at = location.unwrap_or_default();
                let at = if at.starts_with("http") {
                    at
                } else {
                    format!("{}{at}", self.rekor_url)
                };
                let (status, _, body) = self
                    .call(self.http.get(&at), &at)
                    .await
                    .map_err(SignError::Log)?;
                if !status.is_success() {
                    return Err(SignError::Log(format!(
                        "{at} ({status}): {}",
                        message(&body)
                    )));
                }
                body
            }
            s => {
                return Err(SignError::Log(format!(
                    "{url} refused the entry ({s}): {}",
                    message(&body)
                )));
            }
        };
        TlogEntry::from_rekor_response(&body)
            .map(|(_, entry)| entry)
            .map_err(|e| SignError::Log(format!("{url}: {e}")))
    }
}
