//! Rekor v1 entry formats: the `hashedrekord` and `dsse` bodies (canonical JSON, as
//! Rekor stores and hashes them), checking a proposed entry before it is logged,
//! and the signed entry timestamp (SET).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use crate::ca::{CertInfo, pem_to_der};
use crate::dsse::{Envelope, pae};
use crate::keys::{KeyPair, PublicKey, hex, sha256};

/// Why a proposed entry was refused.
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    /// Not JSON, or a field is missing or of the wrong type.
    #[error("entry is malformed: {0}")]
    Malformed(String),
    /// A kind or version Rekor-compatible logs here do not take.
    #[error(
        "entry kind {kind:?} version {version:?} is not supported (hashedrekord 0.0.1 and dsse 0.0.1 are)"
    )]
    Unsupported {
        /// `kind`.
        kind: String,
        /// `apiVersion`.
        version: String,
    },
    /// The signature does not verify with the entry's key or certificate.
    #[error("entry signature does not verify with its public key or certificate")]
    BadSignature,
}

/// The two kinds of entry this log accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A signature over a SHA-256 digest.
    HashedRekord,
    /// A DSSE envelope.
    Dsse,
}

impl Kind {
    /// The kind's name in bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::HashedRekord => "hashedrekord",
            Kind::Dsse => "dsse",
        }
    }
}

/// Canonical JSON (keys sorted, no whitespace) of `v`: what Rekor hashes.
pub fn canonical(v: &Value) -> Vec<u8> {
    // serde_json's map is ordered by key (no `preserve_order` in this workspace).
    serde_json::to_vec(v).expect("JSON values always serialise")
}

/// A `hashedrekord` v0.0.1 body: `signature` over content with SHA-256
/// `digest`, verified by `verifier_pem` (a certificate or public key, PEM).
pub fn hashedrekord(digest: &[u8; 32], signature: &[u8], verifier_pem: &str) -> Vec<u8> {
    canonical(&json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex(digest)}},
            "signature": {
                "content": B64.encode(signature),
                "publicKey": {"content": B64.encode(verifier_pem)},
            },
        },
    }))
}

/// A `dsse` v0.0.1 body for `envelope`, verified by `verifier_pem`.
pub fn dsse(envelope: &Envelope, verifier_pem: &str) -> Result<Vec<u8>, EntryError> {
    let payload = envelope
        .payload_bytes()
        .map_err(|e| EntryError::Malformed(e.to_string()))?;
    let signatures: Vec<Value> = envelope
        .signatures
        .iter()
        .map(|s| json!({"signature": s.sig, "verifier": B64.encode(verifier_pem)}))
        .collect();
    Ok(canonical(&json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": hex(&sha256(&envelope.to_json()))},
            "payloadHash": {"algorithm": "sha256", "value": hex(&sha256(&payload))},
            "signatures": signatures,
        },
    })))
}

/// The public key a verifier text names (certificate → its key).
pub fn verifier_key(pem: &str) -> Result<PublicKey, EntryError> {
    if pem.contains("BEGIN CERTIFICATE") {
        let der = pem_to_der(pem).map_err(|e| EntryError::Malformed(e.to_string()))?;
        let first = der
            .first()
            .ok_or_else(|| EntryError::Malformed("empty certificate".into()))?;
        return Ok(CertInfo::parse(first)
            .map_err(|e| EntryError::Malformed(e.to_string()))?
            .public_key);
    }
    PublicKey::from_pem(pem).map_err(|e| EntryError::Malformed(e.to_string()))
}

/// A proposed entry, checked: its canonical body and kind.
#[derive(Clone, Debug)]
pub struct Accepted {
    /// What was proposed.
    pub kind: Kind,
    /// The canonical body to log.
    pub body: Vec<u8>,
}

fn field<'a>(v: &'a Value, path: &[&str]) -> Result<&'a Value, EntryError> {
    path.iter().try_fold(v, |v, k| {
        v.get(k)
            .ok_or_else(|| EntryError::Malformed(format!("missing {}", path.join("."))))
    })
}

fn string(v: &Value, path: &[&str]) -> Result<String, EntryError> {
    field(v, path)?
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| EntryError::Malformed(format!("{} is not a string", path.join("."))))
}

fn b64(v: &Value, path: &[&str]) -> Result<Vec<u8>, EntryError> {
    B64.decode(string(v, path)?)
        .map_err(|e| EntryError::Malformed(format!("{} is not base64: {e}", path.join("."))))
}

/// Checks a proposed entry as Rekor does on create: known kind, signature verifying
/// with the given key or certificate. For `dsse`, `proposed.spec.proposedContent`
/// carries the envelope and verifiers; the logged body holds only their hashes.
pub fn accept(proposed: &Value) -> Result<Accepted, EntryError> {
    let kind = string(proposed, &["kind"])?;
    let version = string(proposed, &["apiVersion"])?;
    match (kind.as_str(), version.as_str()) {
        ("hashedrekord", "0.0.1") => {
            let algorithm = string(proposed, &["spec", "data", "hash", "algorithm"])?;
            if algorithm != "sha256" {
                return Err(EntryError::Malformed(format!(
                    "hash algorithm {algorithm:?} (only sha256)"
                )));
            }
            let digest_hex = string(proposed, &["spec", "data", "hash", "value"])?;
            let digest: [u8; 32] = decode_hex(&digest_hex)
                .and_then(|d| d.try_into().ok())
                .ok_or_else(|| {
                    EntryError::Malformed("spec.data.hash.value is not 64 hex digits".into())
                })?;
            let signature = b64(proposed, &["spec", "signature", "content"])?;
            let pem = String::from_utf8(b64(
                proposed,
                &["spec", "signature", "publicKey", "content"],
            )?)
            .map_err(|_| EntryError::Malformed("public key is not PEM text".into()))?;
            verifier_key(&pem)?
                .verify_prehash(&digest, &signature)
                .map_err(|_| EntryError::BadSignature)?;
            Ok(Accepted {
                kind: Kind::HashedRekord,
                body: hashedrekord(&digest, &signature, &pem),
            })
        }
        ("dsse", "0.0.1") => {
            let envelope_text = string(proposed, &["spec", "proposedContent", "envelope"])?;
            let envelope: Envelope = serde_json::from_str(&envelope_text)
                .map_err(|e| EntryError::Malformed(format!("envelope: {e}")))?;
            let verifiers = field(proposed, &["spec", "proposedContent", "verifiers"])?
                .as_array()
                .ok_or_else(|| EntryError::Malformed("verifiers is not a list".into()))?;
            let first = verifiers
                .first()
                .and_then(Value::as_str)
                .ok_or_else(|| EntryError::Malformed("no verifiers".into()))?;
            let pem = String::from_utf8(
                B64.decode(first)
                    .map_err(|e| EntryError::Malformed(e.to_string()))?,
            )
            .map_err(|_| EntryError::Malformed("verifier is not PEM text".into()))?;
            let key = verifier_key(&pem)?;
            let payload = envelope
                .payload_bytes()
                .map_err(|e| EntryError::Malformed(e.to_string()))?;
            let sig = envelope
                .first_signature()
                .map_err(|e| EntryError::Malformed(e.to_string()))?;
            key.verify(&pae(&envelope.payload_type, &payload), &sig)
                .map_err(|_| EntryError::BadSignature)?;
            Ok(Accepted {
                kind: Kind::Dsse,
                body: dsse(&envelope, &pem)?,
            })
        }
        _ => Err(EntryError::Unsupported { kind, version }),
    }
}

/// The proposed-entry JSON a client sends to create a `dsse` entry.
pub fn propose_dsse(envelope: &Envelope, verifier_pem: &str) -> Value {
    json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {"proposedContent": {
            "envelope": String::from_utf8(envelope.to_json()).expect("JSON is UTF-8"),
            "verifiers": [B64.encode(verifier_pem)],
        }},
    })
}

/// The bytes a signed entry timestamp covers.
pub fn set_payload(body: &[u8], integrated_time: i64, log_id_hex: &str, log_index: u64) -> Vec<u8> {
    canonical(&json!({
        "body": B64.encode(body),
        "integratedTime": integrated_time,
        "logID": log_id_hex,
        "logIndex": log_index,
    }))
}

/// The signed entry timestamp for an entry, by the log's key.
pub fn signed_entry_timestamp(
    log: &KeyPair,
    body: &[u8],
    integrated_time: i64,
    log_index: u64,
) -> Vec<u8> {
    log.sign(&set_payload(
        body,
        integrated_time,
        &log.public().key_id_hex(),
        log_index,
    ))
}

/// Lowercase or uppercase hex → bytes.
pub fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsse::INTOTO_PAYLOAD_TYPE;

    #[test]
    fn hashedrekord_entries_are_checked_and_canonical() {
        let k = KeyPair::generate();
        let payload = b"artifact";
        let sig = k.sign(payload);
        let body = hashedrekord(&sha256(payload), &sig, &k.public().to_pem());
        let v: Value = serde_json::from_slice(&body).unwrap();
        let accepted = accept(&v).unwrap();
        assert_eq!(accepted.body, body);
        assert_eq!(accepted.kind, Kind::HashedRekord);
        let text = String::from_utf8(body).unwrap();
        assert!(
            text.starts_with(
                "{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"spec\":{\"data\""
            )
        );
        let forged = hashedrekord(&sha256(b"other"), &sig, &k.public().to_pem());
        assert!(matches!(
            accept(&serde_json::from_slice(&forged).unwrap()),
            Err(EntryError::BadSignature)
        ));
    }

    #[test]
    fn dsse_entries_hold_hashes_of_a_verified_envelope() {
        let k = KeyPair::generate();
        let env = Envelope::sign(INTOTO_PAYLOAD_TYPE, b"{\"x\":1}", &k);
        let accepted = accept(&propose_dsse(&env, &k.public().to_pem())).unwrap();
        let v: Value = serde_json::from_slice(&accepted.body).unwrap();
        assert_eq!(
            v["spec"]["payloadHash"]["value"],
            hex(&sha256(b"{\"x\":1}"))
        );
        let other = KeyPair::generate();
        assert!(matches!(
            accept(&propose_dsse(&env, &other.public().to_pem())),
            Err(EntryError::BadSignature)
        ));
        assert!(matches!(
            accept(&json!({"kind": "rekord", "apiVersion": "0.0.1"})),
            Err(EntryError::Unsupported { .. })
        ));
    }
}
