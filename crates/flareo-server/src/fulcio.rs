//! The instance's Fulcio-compatible certificate endpoint (`/api/v2/signingCert`,
//! `/api/v2/trustBundle`, `/api/v2/configuration`): an OIDC identity token from a
//! configured issuer (`signing.oidc_issuers`), verified against the issuer's JWKS,
//! plus proof that the requester holds the key, buys a ten-minute code-signing
//! certificate from the embedded CA with an embedded SCT — what public Fulcio
//! does, so another instance in `mode: sigstore` (or any Sigstore client) can sign
//! keylessly against this one.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use flareo_attest::ca::{Identity, der_to_pem};
use flareo_attest::fulcio::{self, CertificateRequest};
use flareo_attest::oidc::{self, IssuerKind, OidcError};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::AppState;
use crate::signing::Material;

/// One identity-token issuer the endpoint accepts (`signing.oidc_issuers[]`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OidcIssuer {
    /// The issuer URL, exactly as the tokens' `iss`.
    pub url: String,
    /// The audience tokens must be issued for.
    #[serde(default = "default_audience")]
    pub audience: String,
    /// What its tokens certify: `uri` (workloads; the default) or `email` (people).
    #[serde(default, rename = "type")]
    pub kind: IssuerType,
    /// For `type: uri`: subjects must be URIs with this scheme and host (e.g.
    /// `https://ci.example.com`); the subject becomes the certificate's SAN URI.
    #[serde(default)]
    pub subject_domain: Option<String>,
    /// Where the issuer's keys are [default: `jwks_uri` from
    /// `<url>/.well-known/openid-configuration`].
    #[serde(default)]
    pub jwks_url: Option<String>,
}

/// Fulcio's issuer types Flareo's endpoint implements.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum IssuerType {
    /// `sub` is a URI under `subject_domain`; it becomes the SAN URI.
    #[default]
    Uri,
    /// A verified `email` claim becomes the SAN e-mail address.
    Email,
}

impl OidcIssuer {
    /// How its tokens map to certificates; says what is missing from the config.
    pub fn kind(&self) -> Result<IssuerKind, String> {
        match (self.kind, &self.subject_domain) {
            (IssuerType::Uri, Some(d)) => Ok(IssuerKind::Uri {
                subject_domain: d.clone(),
            }),
            (IssuerType::Uri, None) => Err(format!(
                "oidc_issuers {}: type uri needs subject_domain (e.g. https://ci.example.com)",
                self.url
            )),
            (IssuerType::Email, None) => Ok(IssuerKind::Email),
            (IssuerType::Email, Some(_)) => Err(format!(
                "oidc_issuers {}: type email takes no subject_domain (the verified email claim is the identity)",
                self.url
            )),
        }
    }
}

fn default_audience() -> String {
    "sigstore".into()
}

/// How long fetched keys are used before they are fetched again.
const JWKS_TTL: Duration = Duration::from_secs(300);
/// Certificates last this long (Fulcio: ten minutes).
const LIFETIME: Duration = Duration::from_secs(600);

/// Why a certificate was refused, with the gRPC status the gateway maps it to.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The request is malformed or the proof of possession fails (InvalidArgument).
    #[error("{0}")]
    InvalidArgument(String),
    /// The token is not acceptable (Unauthenticated).
    #[error("{0}")]
    Unauthenticated(String),
    /// The issuer's keys could not be fetched (Unavailable).
    #[error("{0}")]
    Unavailable(String),
    /// Issuing failed (Internal).
    #[error("{0}")]
    Internal(String),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Refusal::InvalidArgument(_) => (StatusCode::BAD_REQUEST, 3),
            Refusal::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, 16),
            Refusal::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, 14),
            Refusal::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, 13),
        };
        (status, Json(fulcio::error_json(code, &self.to_string()))).into_response()
    }
}

/// The certificate endpoint: the embedded CA and the issuers it trusts.
pub struct Fulcio {
    material: Material,
    /// Each accepted issuer with how its tokens map to certificates.
    issuers: Vec<(OidcIssuer, IssuerKind)>,
    http: reqwest::Client,
    keys: tokio::sync::Mutex<HashMap<String, (Instant, Value)>>,
}

impl std::fmt::Debug for Fulcio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fulcio({} issuers)", self.issuers.len())
    }
}

impl Fulcio {
    /// An endpoint issuing from `material`'s CA to tokens of `issuers`; says which
    /// issuer's config is incomplete (see [`OidcIssuer::kind`]).
    pub fn new(material: Material, issuers: Vec<OidcIssuer>) -> Result<Self, String> {
        let issuers = issuers
            .into_iter()
            .map(|i| i.kind().map(|k| (i, k)))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            material,
            issuers,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()
                .expect("a default HTTP client"),
            keys: Default::default(),
        })
    }

    /// The issuer's JWKS, cached for [`JWKS_TTL`] unless `fresh`.
    async fn jwks(&self, issuer: &OidcIssuer, fresh: bool) -> Result<Value, Refusal> {
        let mut cache = self.keys.lock().await;
        if !fresh
            && let Some((at, keys)) = cache.get(&issuer.url)
            && at.elapsed() < JWKS_TTL
        {
            return Ok(keys.clone());
        }
        let get = |url: String| async move {
            let r = self
                .http
                .get(&url)
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .map_err(|e| Refusal::Unavailable(format!("fetching {url}: {e}")))?;
            r.json::<Value>()
                .await
                .map_err(|e| Refusal::Unavailable(format!("{url} is not JSON: {e}")))
        };
        let url = match &issuer.jwks_url {
            Some(u) => u.clone(),
            None => {
                let discovery = format!(
                    "{}/.well-known/openid-configuration",
                    issuer.url.trim_end_matches('/')
                );
                get(discovery.clone()).await?["jwks_uri"]
                    .as_str()
                    .ok_or_else(|| Refusal::Unavailable(format!("{discovery} names no jwks_uri")))?
                    .to_string()
            }
        };
        let keys = get(url).await?;
        cache.insert(issuer.url.clone(), (Instant::now(), keys.clone()));
        Ok(keys)
    }

    /// Checks `request` and issues its certificate chain (PEM, leaf first).
    pub async fn issue(&self, request: &CertificateRequest) -> Result<Vec<String>, Refusal> {
        let unauthenticated = |e: OidcError| Refusal::Unauthenticated(e.to_string());
        let iss = oidc::peek_issuer(&request.token).map_err(unauthenticated)?;
        let (issuer, kind) = self
            .issuers
            .iter()
            .find(|(i, _)| i.url == iss)
            .ok_or_else(|| {
                let accepted = self
                    .issuers
                    .iter()
                    .map(|(i, _)| i.url.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                unauthenticated(OidcError::UntrustedIssuer {
                    issuer: iss.clone(),
                    accepted: if accepted.is_empty() {
                        "none; configure signing.oidc_issuers".into()
                    } else {
                        accepted
                    },
                })
            })?;
        let verify = |keys: &Value| oidc::verify(&request.token, keys, &iss, &issuer.audience);
        let claims = match verify(&self.jwks(issuer, false).await?) {
            // The issuer may have rotated its keys since they were cached.
            Err(OidcError::UnknownKey { .. }) => verify(&self.jwks(issuer, true).await?),
            other => other,
        }
        .map_err(unauthenticated)?;
        let (san, challenge) = oidc::identity(kind, &claims).map_err(unauthenticated)?;
        request
            .check_possession(kind.challenge_claim(), &challenge)
            .map_err(|e| Refusal::InvalidArgument(e.to_string()))?;
        let identity = Identity {
            san,
            issuer: iss,
            extras: vec![],
        };
        // Backdated a little: verifiers compare against the log's integrated time.
        let not_before = SystemTime::now() - Duration::from_secs(30);
        let leaf = self
            .material
            .ca
            .issue(
                &request.public_key,
                &identity,
                not_before,
                LIFETIME,
                Some(&self.material.ct_key),
            )
            .map_err(|e| Refusal::Internal(format!("issuing the certificate: {e}")))?;
        tracing::info!(identity = %identity.san, issuer = %identity.issuer, "issued a signing certificate");
        Ok(vec![der_to_pem(&leaf), self.material.ca.root_pem()])
    }

    /// Fulcio's `configuration`: the accepted issuers and their challenge claims.
    fn configuration(&self) -> Value {
        json!({"issuers": self.issuers.iter().map(|(i, kind)| json!({
            "issuerUrl": i.url,
            "audience": i.audience,
            "challengeClaim": kind.challenge_claim(),
        })).collect::<Vec<_>>()})
    }
}

/// The endpoint's routes.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v2/signingCert", post(signing_cert))
        .route("/api/v2/trustBundle", get(trust_bundle))
        .route("/api/v2/configuration", get(configuration))
}

/// The endpoint, extracted from the state; 404 in Fulcio's error shape when the
/// instance has none.
struct Endpoint(Arc<Fulcio>);

impl axum::extract::FromRequestParts<AppState> for Endpoint {
    type Rejection = Response;

    async fn from_request_parts(
        _parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Response> {
        state.fulcio.clone().map(Endpoint).ok_or_else(|| {
            (
                StatusCode::NOT_FOUND,
                Json(fulcio::error_json(
                    5,
                    "this instance has no certificate authority",
                )),
            )
                .into_response()
        })
    }
}

async fn signing_cert(Endpoint(ca): Endpoint, body: axum::body::Bytes) -> Response {
    let request = serde_json::from_slice::<Value>(&body)
        .map_err(|e| Refusal::InvalidArgument(format!("the request is not JSON: {e}")))
        .and_then(|v| {
            CertificateRequest::from_json(&v).map_err(|e| Refusal::InvalidArgument(e.to_string()))
        });
    match request {
        Ok(request) => match ca.issue(&request).await {
            Ok(chain) => (StatusCode::CREATED, Json(fulcio::response_json(&chain))).into_response(),
            Err(refusal) => refusal.into_response(),
        },
        Err(refusal) => refusal.into_response(),
    }
}

async fn trust_bundle(Endpoint(ca): Endpoint) -> Response {
    Json(json!({"chains": [{"certificates": [ca.material.ca.root_pem()]}]})).into_response()
}

async fn configuration(Endpoint(ca): Endpoint) -> Response {
    Json(ca.configuration()).into_response()
}
