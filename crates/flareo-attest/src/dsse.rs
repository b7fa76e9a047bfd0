//! DSSE envelopes (Dead Simple Signing Envelope v1): the pre-authentication
//! encoding, signing, and verification against a public key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::keys::{KeyError, KeyPair, PublicKey};

/// The payload type of in-toto statements inside an envelope.
pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// A DSSE envelope as JSON carries it (payload and signatures base64).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Base64 of the payload bytes.
    pub payload: String,
    /// What the payload is, e.g. [`INTOTO_PAYLOAD_TYPE`].
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// One or more signatures over the PAE of (type, payload).
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature of an envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// Optional key hint; empty when the verifier comes from a certificate.
    #[serde(default)]
    pub keyid: String,
    /// Base64 of the DER signature.
    pub sig: String,
}

/// Why an envelope did not verify.
#[derive(Debug, thiserror::Error)]
pub enum DsseError {
    /// A base64 field does not decode.
    #[error("DSSE envelope field {field} is not base64: {reason}")]
    Base64 {
        /// Which field.
        field: &'static str,
        /// The decoder's message.
        reason: String,
    },
    /// The envelope carries no signature.
    #[error("DSSE envelope has no signatures")]
    Unsigned,
    /// The payload type is not the one required.
    #[error("DSSE payload type is {found:?}, expected {expected:?}")]
    PayloadType {
        /// What the envelope says.
        found: String,
        /// What the caller wanted.
        expected: String,
    },
    /// No signature verifies with the key.
    #[error("no DSSE signature verifies with the given key: {0}")]
    Signature(KeyError),
}

/// PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

impl Envelope {
    /// An envelope over `payload`, signed by `key`.
    pub fn sign(payload_type: &str, payload: &[u8], key: &KeyPair) -> Self {
        let sig = key.sign(&pae(payload_type, payload));
        Self {
            payload: B64.encode(payload),
            payload_type: payload_type.to_string(),
            signatures: vec![EnvelopeSignature {
                keyid: String::new(),
                sig: B64.encode(sig),
            }],
        }
    }

    /// The decoded payload.
    pub fn payload_bytes(&self) -> Result<Vec<u8>, DsseError> {
        B64.decode(&self.payload).map_err(|e| DsseError::Base64 {
            field: "payload",
            reason: e.to_string(),
        })
    }

    /// The first signature, decoded.
    pub fn first_signature(&self) -> Result<Vec<u8>, DsseError> {
        let s = self.signatures.first().ok_or(DsseError::Unsigned)?;
        B64.decode(&s.sig).map_err(|e| DsseError::Base64 {
            field: "signatures[].sig",
            reason: e.to_string(),
        })
    }

    /// Checks that some signature verifies over PAE with `key` and the payload type is
    /// `expected_type`; returns the payload.
    pub fn verify(&self, key: &PublicKey, expected_type: &str) -> Result<Vec<u8>, DsseError> {
        if self.payload_type != expected_type {
            return Err(DsseError::PayloadType {
                found: self.payload_type.clone(),
                expected: expected_type.to_string(),
            });
        }
        let payload = self.payload_bytes()?;
        let message = pae(&self.payload_type, &payload);
        let mut last = None;
        for s in &self.signatures {
            let sig = B64.decode(&s.sig).map_err(|e| DsseError::Base64 {
                field: "signatures[].sig",
                reason: e.to_string(),
            })?;
            match key.verify(&message, &sig) {
                Ok(()) => return Ok(payload),
                Err(e) => last = Some(e),
            }
        }
        Err(last.map_or(DsseError::Unsigned, DsseError::Signature))
    }

    /// The envelope's JSON bytes (what cosign stores as an `.att` layer).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("an envelope always serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_spec_example() {
        // From the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn envelopes_verify_only_with_their_key_and_type() {
        let k = KeyPair::generate();
        let env = Envelope::sign(INTOTO_PAYLOAD_TYPE, b"{}", &k);
        assert_eq!(env.verify(&k.public(), INTOTO_PAYLOAD_TYPE).unwrap(), b"{}");
        let other = KeyPair::generate().public();
        assert!(matches!(
            env.verify(&other, INTOTO_PAYLOAD_TYPE),
            Err(DsseError::Signature(_))
        ));
        assert!(matches!(
            env.verify(&k.public(), "text/plain"),
            Err(DsseError::PayloadType { .. })
        ));
        let mut tampered = env.clone();
        tampered.payload = B64.encode(b"{\"a\":1}");
        assert!(tampered.verify(&k.public(), INTOTO_PAYLOAD_TYPE).is_err());
    }
}
