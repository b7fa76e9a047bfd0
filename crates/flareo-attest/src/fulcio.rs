//! Fulcio's v2 API in JSON (the gRPC gateway's shape): the `signingCert` request a
//! client sends (identity token, public key, proof of possession), the response
//! carrying the certificate chain with an embedded SCT, and the error body. Both
//! Flareo's client (signing against any Fulcio) and its Fulcio-compatible endpoint
//! use these, so they cannot drift apart.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use crate::keys::{KeyPair, PublicKey};

/// Why a request or response could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FulcioError {
    /// A field is missing or malformed.
    #[error("Fulcio {what} is malformed: {reason}")]
    Malformed {
        /// "request" or "response".
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The proof of possession does not verify with the submitted key.
    #[error(
        "proof of possession does not verify with the submitted public key: sign the token's {claim} ({challenge:?}) with the key being certified"
    )]
    ProofOfPossession {
        /// The claim that had to be signed.
        claim: &'static str,
        /// Its value.
        challenge: String,
    },
}

/// A `POST /api/v2/signingCert` request for a public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequest {
    /// The OIDC identity token.
    pub token: String,
    /// The key to certify.
    pub public_key: PublicKey,
    /// The key's signature over the token's challenge claim.
    pub proof_of_possession: Vec<u8>,
}

impl CertificateRequest {
    /// A request certifying `key` for `token`, proving possession by signing
    /// `challenge` (see [`crate::oidc::challenge_of`]).
    pub fn new(token: &str, key: &KeyPair, challenge: &str) -> Self {
        Self {
            token: token.to_string(),
            public_key: key.public(),
            proof_of_possession: key.sign(challenge.as_bytes()),
        }
    }

    /// The request body.
    pub fn to_json(&self) -> Value {
        json!({
            "credentials": {"oidcIdentityToken": self.token},
            "publicKeyRequest": {
                "publicKey": {"algorithm": "ECDSA", "content": self.public_key.to_pem()},
                "proofOfPossession": B64.encode(&self.proof_of_possession),
            },
        })
    }

    /// Reads a request body (public-key requests with an ECDSA P-256 key).
    pub fn from_json(v: &Value) -> Result<Self, FulcioError> {
        let bad = |reason: String| FulcioError::Malformed {
            what: "request",
            reason,
        };
        if v.get("certificateSigningRequest").is_some() {
            return Err(bad(
                "certificate signing requests are not supported; send publicKeyRequest".into(),
            ));
        }
        let token = v["credentials"]["oidcIdentityToken"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| bad("credentials.oidcIdentityToken is missing".into()))?;
        let request = &v["publicKeyRequest"];
        let algorithm = request["publicKey"]["algorithm"]
            .as_str()
            .unwrap_or("ECDSA");
        if algorithm != "ECDSA" {
            return Err(bad(format!(
                "publicKey.algorithm {algorithm:?} is not supported; use an ECDSA P-256 key"
            )));
        }
        let pem = request["publicKey"]["content"]
            .as_str()
            .ok_or_else(|| bad("publicKeyRequest.publicKey.content is missing".into()))?;
        let public_key = PublicKey::from_pem(pem)
            .map_err(|e| bad(format!("publicKeyRequest.publicKey.content: {e}")))?;
        let proof_of_possession = request["proofOfPossession"]
            .as_str()
            .and_then(|p| B64.decode(p).ok())
            .ok_or_else(|| bad("publicKeyRequest.proofOfPossession is not base64".into()))?;
        Ok(Self {
            token: token.to_string(),
            public_key,
            proof_of_possession,
        })
    }

    /// Checks the proof of possession over `challenge`, the value of `claim`.
    pub fn check_possession(
        &self,
        claim: &'static str,
        challenge: &str,
    ) -> Result<(), FulcioError> {
        self.public_key
            .verify(challenge.as_bytes(), &self.proof_of_possession)
            .map_err(|_| FulcioError::ProofOfPossession {
                claim,
                challenge: challenge.to_string(),
            })
    }
}

/// The response body for a chain (leaf first) whose leaf embeds its SCT.
pub fn response_json(chain_pem: &[String]) -> Value {
    json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": chain_pem}}})
}

/// The chain (leaf first, DER) in a response, embedded-SCT or detached-SCT shape.
pub fn chain_from_response(v: &Value) -> Result<Vec<Vec<u8>>, FulcioError> {
    let bad = |reason: String| FulcioError::Malformed {
        what: "response",
        reason,
    };
    let chain = [
        "signedCertificateEmbeddedSct",
        "signedCertificateDetachedSct",
    ]
    .iter()
    .find_map(|k| v[k]["chain"]["certificates"].as_array())
    .ok_or_else(|| bad(format!("it has no certificate chain: {v}")))?;
    let mut ders = Vec::new();
    for pem in chain {
        let pem = pem
            .as_str()
            .ok_or_else(|| bad("a certificate is not a string".into()))?;
        ders.extend(crate::ca::pem_to_der(pem).map_err(|e| bad(e.to_string()))?);
    }
    if ders.is_empty() {
        return Err(bad("the certificate chain is empty".into()));
    }
    Ok(ders)
}

/// The gRPC gateway's error body (`code` is a gRPC status code).
pub fn error_json(code: u16, message: &str) -> Value {
    json!({"code": code, "message": message, "details": []})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_and_possession_is_checked() {
        let key = KeyPair::generate();
        let req = CertificateRequest::new("a.b.c", &key, "https://ci.test/w");
        let back = CertificateRequest::from_json(&req.to_json()).unwrap();
        assert_eq!(back, req);
        back.check_possession("sub", "https://ci.test/w").unwrap();
        let e = back
            .check_possession("sub", "https://ci.test/other")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("sign the token's sub (\"https://ci.test/other\")"),
            "{e}"
        );
        let mut v = req.to_json();
        v["publicKeyRequest"]["publicKey"]["algorithm"] = json!("RSA_PSS");
        let e = CertificateRequest::from_json(&v).unwrap_err().to_string();
        assert!(e.contains("\"RSA_PSS\" is not supported"), "{e}");
        let e = CertificateRequest::from_json(&json!({"certificateSigningRequest": "x"}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("send publicKeyRequest"), "{e}");
        let e = CertificateRequest::from_json(&json!({"publicKeyRequest": {}}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("oidcIdentityToken is missing"), "{e}");
    }

    #[test]
    fn chains_are_read_from_either_response_shape() {
        let ca = crate::ca::Ca::create(
            KeyPair::generate(),
            "t",
            std::time::SystemTime::now(),
            std::time::Duration::from_secs(60),
        )
        .unwrap();
        let pem = ca.root_pem();
        let v = response_json(std::slice::from_ref(&pem));
        assert_eq!(
            chain_from_response(&v).unwrap(),
            vec![ca.root_der().to_vec()]
        );
        let detached = json!({"signedCertificateDetachedSct": {"chain": {"certificates": [pem]}}});
        assert_eq!(chain_from_response(&detached).unwrap().len(), 1);
        let e = chain_from_response(&json!({"code": 16}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no certificate chain"), "{e}");
    }
}
