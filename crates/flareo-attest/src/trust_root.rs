//! The instance's trust material as Sigstore's `TrustedRoot` and `ClientTrustConfig`
//! JSON (what sigstore-python's `--trust-config` and other Sigstore clients read), and
//! reading either back for verification.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use crate::keys::PublicKey;

/// `mediaType` of a trusted root.
pub const TRUSTED_ROOT: &str = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
/// `mediaType` of a client trust config.
pub const CLIENT_TRUST_CONFIG: &str = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json";
const SIGNING_CONFIG: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";
const P256: &str = "PKIX_ECDSA_P256_SHA_256";

/// Why trust material could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// The document is not a trusted root or client trust config.
    #[error("trust root is malformed: {0}")]
    Malformed(String),
}

/// A log (transparency or CT) the root trusts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedLog {
    /// Where its API is.
    pub base_url: String,
    /// Its key.
    pub key: PublicKey,
    /// RFC 3339 time from which it is trusted.
    pub valid_from: String,
}

/// What a verifier trusts: CA certificates, transparency logs and CT logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustRoot {
    /// Certificate authorities: (URI, DER certificates), every one an anchor.
    pub certificate_authorities: Vec<(String, Vec<Vec<u8>>)>,
    /// Transparency logs.
    pub tlogs: Vec<TrustedLog>,
    /// Certificate-transparency logs (SCT keys).
    pub ctlogs: Vec<TrustedLog>,
    /// When the CAs are trusted from (RFC 3339).
    pub valid_from: String,
}

fn log_json(l: &TrustedLog) -> Value {
    json!({
        "baseUrl": l.base_url,
        "hashAlgorithm": "SHA2_256",
        "publicKey": {
            "rawBytes": B64.encode(l.key.spki_der()),
            "keyDetails": P256,
            "validFor": {"start": l.valid_from},
        },
        "logId": {"keyId": B64.encode(l.key.key_id())},
    })
}

impl TrustRoot {
    /// The `TrustedRoot` document.
    pub fn trusted_root_json(&self) -> Value {
        json!({
            "mediaType": TRUSTED_ROOT,
            "tlogs": self.tlogs.iter().map(log_json).collect::<Vec<_>>(),
            "certificateAuthorities": self.certificate_authorities.iter().map(|(uri, chain)| json!({
                "subject": {"organization": "Flareo", "commonName": uri},
                "uri": uri,
                "certChain": {"certificates": chain.iter().map(|c| json!({"rawBytes": B64.encode(c)})).collect::<Vec<_>>()},
                "validFor": {"start": self.valid_from},
            })).collect::<Vec<_>>(),
            "ctlogs": self.ctlogs.iter().map(log_json).collect::<Vec<_>>(),
            "timestampAuthorities": [],
        })
    }

    /// The `ClientTrustConfig` document wrapping the trusted root.
    pub fn client_trust_config_json(&self) -> Value {
        json!({
            "mediaType": CLIENT_TRUST_CONFIG,
            "trustedRoot": self.trusted_root_json(),
            "signingConfig": {"mediaType": SIGNING_CONFIG},
        })
    }

    /// Reads a `ClientTrustConfig` or a bare `TrustedRoot` (P-256 keys only).
    pub fn from_json(v: &Value) -> Result<Self, TrustError> {
        let root = match v.get("mediaType").and_then(Value::as_str) {
            Some(CLIENT_TRUST_CONFIG) => v.get("trustedRoot").ok_or_else(|| {
                TrustError::Malformed("client trust config has no trustedRoot".into())
            })?,
            Some(m) if m.starts_with("application/vnd.dev.sigstore.trustedroot") => v,
            other => {
                return Err(TrustError::Malformed(format!(
                    "mediaType {other:?} is neither a client trust config nor a trusted root"
                )));
            }
        };
        let logs = |key: &str| -> Result<Vec<TrustedLog>, TrustError> {
            root.get(key)
                .and_then(Value::as_array)
                .ok_or_else(|| TrustError::Malformed(format!("{key} is missing")))?
                .iter()
                .map(|l| {
                    let raw = l["publicKey"]["rawBytes"].as_str().unwrap_or_default();
                    let der = B64.decode(raw).map_err(|e| {
                        TrustError::Malformed(format!("{key}[].publicKey.rawBytes: {e}"))
                    })?;
                    Ok(TrustedLog {
                        base_url: l["baseUrl"].as_str().unwrap_or_default().to_string(),
                        key: PublicKey::from_spki_der(&der).map_err(|e| {
                            TrustError::Malformed(format!("{key}[].publicKey: {e}"))
                        })?,
                        valid_from: l["publicKey"]["validFor"]["start"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    })
                })
                .collect()
        };
        let cas = root
            .get("certificateAuthorities")
            .and_then(Value::as_array)
            .ok_or_else(|| TrustError::Malformed("certificateAuthorities is missing".into()))?
            .iter()
            .map(|ca| {
                let certs = ca["certChain"]["certificates"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|c| {
                        B64.decode(c["rawBytes"].as_str().unwrap_or_default())
                            .map_err(|e| {
                                TrustError::Malformed(format!("certificate rawBytes: {e}"))
                            })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((ca["uri"].as_str().unwrap_or_default().to_string(), certs))
            })
            .collect::<Result<Vec<_>, TrustError>>()?;
        let valid_from = root["certificateAuthorities"][0]["validFor"]["start"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        Ok(Self {
            certificate_authorities: cas,
            tlogs: logs("tlogs")?,
            ctlogs: logs("ctlogs")?,
            valid_from,
        })
    }

    /// The transparency log whose key id is `log_id`.
    pub fn tlog(&self, log_id: &[u8; 32]) -> Option<&TrustedLog> {
        self.tlogs.iter().find(|l| &l.key.key_id() == log_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyPair;

    #[test]
    fn trust_config_round_trips() {
        let log = TrustedLog {
            base_url: "http://127.0.0.1:1".into(),
            key: KeyPair::generate().public(),
            valid_from: "2026-01-01T00:00:00Z".into(),
        };
        let root = TrustRoot {
            certificate_authorities: vec![("http://127.0.0.1:1".into(), vec![vec![0x30, 0]])],
            tlogs: vec![log.clone()],
            ctlogs: vec![log],
            valid_from: "2026-01-01T00:00:00Z".into(),
        };
        let v = root.client_trust_config_json();
        assert_eq!(
            v["trustedRoot"]["tlogs"][0]["publicKey"]["keyDetails"],
            P256
        );
        assert_eq!(TrustRoot::from_json(&v).unwrap(), root);
        assert_eq!(
            TrustRoot::from_json(&root.trusted_root_json()).unwrap(),
            root
        );
        assert!(TrustRoot::from_json(&json!({"mediaType": "x"})).is_err());
    }
}
