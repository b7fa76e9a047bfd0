//! Sigstore bundles v0.3 (protobuf-specs JSON: int64 as strings, bytes as base64),
//! the transparency-log entry they carry, and the same entry in Rekor v1's API
//! response shape and cosign's `dev.sigstore.cosign/bundle` annotation.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use crate::dsse::Envelope;
use crate::keys::hex;
use crate::rekor::{Kind, decode_hex};

/// Media type of a v0.3 bundle.
pub const BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// Why a bundle could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// A field is missing or malformed.
    #[error("bundle is malformed: {0}")]
    Malformed(String),
}

/// An inclusion proof with the checkpoint it was made against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionProof {
    /// The leaf's index.
    pub log_index: u64,
    /// The root of the tree the proof is for.
    pub root_hash: [u8; 32],
    /// That tree's size.
    pub tree_size: u64,
    /// The audit path, leaf to root.
    pub hashes: Vec<[u8; 32]>,
    /// The signed note committing to (`tree_size`, `root_hash`).
    pub checkpoint: String,
}

/// One logged entry as a verifier needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlogEntry {
    /// Index in the log.
    pub log_index: u64,
    /// SHA-256 of the log's public key.
    pub log_id: [u8; 32],
    /// Entry kind (version 0.0.1).
    pub kind: Kind,
    /// Seconds since the epoch when the log took the entry.
    pub integrated_time: i64,
    /// The log's signature over (body, time, id, index).
    pub signed_entry_timestamp: Vec<u8>,
    /// The proof of inclusion.
    pub inclusion_proof: InclusionProof,
    /// The canonical entry body (the leaf's data).
    pub canonicalized_body: Vec<u8>,
}

/// What a bundle proves a signature over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// A signature over an artifact with this SHA-256.
    MessageSignature {
        /// The artifact's SHA-256.
        digest: [u8; 32],
        /// DER signature over the artifact.
        signature: Vec<u8>,
    },
    /// A signed DSSE envelope.
    Dsse(Envelope),
}

/// A Sigstore bundle v0.3 with a leaf certificate (keyless) or a key hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    /// The signing certificate (DER), when keyless.
    pub certificate: Option<Vec<u8>>,
    /// The key hint, when signed with a configured key.
    pub public_key_hint: Option<String>,
    /// Log entries (Flareo writes one).
    pub tlog_entries: Vec<TlogEntry>,
    /// The signed content.
    pub content: Content,
}

impl TlogEntry {
    /// Protobuf-JSON form inside a bundle.
    pub fn to_bundle_json(&self) -> Value {
        let p = &self.inclusion_proof;
        json!({
            "logIndex": self.log_index.to_string(),
            "logId": {"keyId": B64.encode(self.log_id)},
            "kindVersion": {"kind": self.kind.as_str(), "version": "0.0.1"},
            "integratedTime": self.integrated_time.to_string(),
            "inclusionPromise": {"signedEntryTimestamp": B64.encode(&self.signed_entry_timestamp)},
            "inclusionProof": {
                "logIndex": p.log_index.to_string(),
                "rootHash": B64.encode(p.root_hash),
                "treeSize": p.tree_size.to_string(),
                "hashes": p.hashes.iter().map(|h| B64.encode(h)).collect::<Vec<_>>(),
                "checkpoint": {"envelope": p.checkpoint},
            },
            "canonicalizedBody": B64.encode(&self.canonicalized_body),
        })
    }

    /// Rekor v1's `LogEntry` response (`{uuid: entry}`) for this entry, `uuid` being
    /// the tree id and leaf hash in hex.
    pub fn to_rekor_response(&self, uuid: &str) -> Value {
        let p = &self.inclusion_proof;
        json!({ uuid: {
            "body": B64.encode(&self.canonicalized_body),
            "integratedTime": self.integrated_time,
            "logID": hex(&self.log_id),
            "logIndex": self.log_index,
            "verification": {
                "signedEntryTimestamp": B64.encode(&self.signed_entry_timestamp),
                "inclusionProof": {
                    "logIndex": p.log_index,
                    "rootHash": hex(&p.root_hash),
                    "treeSize": p.tree_size,
                    "hashes": p.hashes.iter().map(|h| hex(h)).collect::<Vec<_>>(),
                    "checkpoint": p.checkpoint,
                },
            },
        }})
    }

    /// Reads Rekor v1's `LogEntry` response (`{uuid: entry}`, one entry) back:
    /// returns the uuid and the entry (its kind read from the body).
    pub fn from_rekor_response(v: &Value) -> Result<(String, Self), BundleError> {
        let bad = |m: String| BundleError::Malformed(format!("Rekor response: {m}"));
        let (uuid, e) = v
            .as_object()
            .filter(|o| o.len() == 1)
            .and_then(|o| o.iter().next())
            .ok_or_else(|| bad(format!("expected one {{uuid: entry}}, got {v}")))?;
        let body = B64
            .decode(e["body"].as_str().unwrap_or_default())
            .map_err(|e| bad(format!("body is not base64: {e}")))?;
        let kind = match serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|b| b["kind"].as_str().map(str::to_string))
            .as_deref()
        {
            Some("hashedrekord") => Kind::HashedRekord,
            Some("dsse") => Kind::Dsse,
            k => {
                return Err(bad(format!(
                    "entry kind {:?} is not hashedrekord or dsse",
                    k.unwrap_or_default()
                )));
            }
        };
        let unsigned = |v: &Value, what: &str| {
            v.as_u64()
                .ok_or_else(|| bad(format!("{what} is not a number")))
        };
        let hex32 = |v: &Value, what: &str| {
            v.as_str()
                .and_then(hash_from_hex)
                .ok_or_else(|| bad(format!("{what} is not 32 bytes of hex")))
        };
        let p = &e["verification"]["inclusionProof"];
        Ok((
            uuid.clone(),
            Self {
                log_index: unsigned(&e["logIndex"], "logIndex")?,
                log_id: hex32(&e["logID"], "logID")?,
                kind,
                integrated_time: e["integratedTime"]
                    .as_i64()
                    .ok_or_else(|| bad("integratedTime is not a number".into()))?,
                signed_entry_timestamp: B64
                    .decode(
                        e["verification"]["signedEntryTimestamp"]
                            .as_str()
                            .unwrap_or_default(),
                    )
                    .map_err(|e| bad(format!("signedEntryTimestamp: {e}")))?,
                inclusion_proof: InclusionProof {
                    log_index: unsigned(&p["logIndex"], "inclusionProof.logIndex")?,
                    root_hash: hex32(&p["rootHash"], "inclusionProof.rootHash")?,
                    tree_size: unsigned(&p["treeSize"], "inclusionProof.treeSize")?,
                    hashes: p["hashes"]
                        .as_array()
                        .ok_or_else(|| bad("inclusionProof.hashes is not a list".into()))?
                        .iter()
                        .map(|h| hex32(h, "inclusionProof.hashes[]"))
                        .collect::<Result<_, _>>()?,
                    checkpoint: p["checkpoint"]
                        .as_str()
                        .ok_or_else(|| bad("inclusionProof.checkpoint is missing".into()))?
                        .to_string(),
                },
                canonicalized_body: body,
            },
        ))
    }

    /// cosign's `dev.sigstore.cosign/bundle` annotation (the "Rekor bundle").
    pub fn to_cosign_annotation(&self) -> String {
        json!({
            "SignedEntryTimestamp": B64.encode(&self.signed_entry_timestamp),
            "Payload": {
                "body": B64.encode(&self.canonicalized_body),
                "integratedTime": self.integrated_time,
                "logIndex": self.log_index,
                "logID": hex(&self.log_id),
            },
        })
        .to_string()
    }

    fn from_bundle_json(v: &Value) -> Result<Self, BundleError> {
        let kind = match s(v, &["kindVersion", "kind"])?.as_str() {
            "hashedrekord" => Kind::HashedRekord,
            "dsse" => Kind::Dsse,
            k => return Err(BundleError::Malformed(format!("log entry kind {k:?}"))),
        };
        let p = get(v, &["inclusionProof"])?;
        Ok(Self {
            log_index: num(v, &["logIndex"])?,
            log_id: hash(&b64(v, &["logId", "keyId"])?, "logId.keyId")?,
            kind,
            integrated_time: num::<i64>(v, &["integratedTime"])?,
            signed_entry_timestamp: b64(v, &["inclusionPromise", "signedEntryTimestamp"])
                .unwrap_or_default(),
            inclusion_proof: InclusionProof {
                log_index: num(p, &["logIndex"])?,
                root_hash: hash(&b64(p, &["rootHash"])?, "rootHash")?,
                tree_size: num(p, &["treeSize"])?,
                hashes: get(p, &["hashes"])?
                    .as_array()
                    .ok_or_else(|| {
                        BundleError::Malformed("inclusionProof.hashes is not a list".into())
                    })?
                    .iter()
                    .map(|h| {
                        let raw = h
                            .as_str()
                            .and_then(|h| B64.decode(h).ok())
                            .unwrap_or_default();
                        hash(&raw, "inclusionProof.hashes[]")
                    })
                    .collect::<Result<_, _>>()?,
                checkpoint: s(p, &["checkpoint", "envelope"])?,
            },
            canonicalized_body: b64(v, &["canonicalizedBody"])?,
        })
    }
}

impl Bundle {
    /// The bundle as v0.3 JSON.
    pub fn to_json(&self) -> Value {
        let mut material = json!({
            "tlogEntries": self.tlog_entries.iter().map(TlogEntry::to_bundle_json).collect::<Vec<_>>(),
        });
        if let Some(cert) = &self.certificate {
            material["certificate"] = json!({"rawBytes": B64.encode(cert)});
        } else {
            material["publicKey"] =
                json!({"hint": self.public_key_hint.clone().unwrap_or_default()});
        }
        let mut out = json!({"mediaType": BUNDLE_V03, "verificationMaterial": material});
        match &self.content {
            Content::MessageSignature { digest, signature } => {
                out["messageSignature"] = json!({
                    "messageDigest": {"algorithm": "SHA2_256", "digest": B64.encode(digest)},
                    "signature": B64.encode(signature),
                });
            }
            Content::Dsse(env) => {
                out["dsseEnvelope"] = serde_json::to_value(env).expect("envelopes serialise");
            }
        }
        out
    }

    /// Reads a v0.3 bundle (certificate or public-key material).
    pub fn from_json(v: &Value) -> Result<Self, BundleError> {
        let media = s(v, &["mediaType"])?;
        if media != BUNDLE_V03 {
            return Err(BundleError::Malformed(format!(
                "media type {media:?}, expected {BUNDLE_V03:?}"
            )));
        }
        let m = get(v, &["verificationMaterial"])?;
        let certificate = match m.get("certificate") {
            Some(_) => Some(b64(m, &["certificate", "rawBytes"])?),
            None => None,
        };
        let public_key_hint = m
            .get("publicKey")
            .and_then(|p| p.get("hint"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let tlog_entries = get(m, &["tlogEntries"])?
            .as_array()
            .ok_or_else(|| BundleError::Malformed("tlogEntries is not a list".into()))?
            .iter()
            .map(TlogEntry::from_bundle_json)
            .collect::<Result<_, _>>()?;
        let content = if let Some(env) = v.get("dsseEnvelope") {
            Content::Dsse(
                serde_json::from_value(env.clone())
                    .map_err(|e| BundleError::Malformed(format!("dsseEnvelope: {e}")))?,
            )
        } else {
            Content::MessageSignature {
                digest: hash(
                    &b64(v, &["messageSignature", "messageDigest", "digest"])?,
                    "messageDigest",
                )?,
                signature: b64(v, &["messageSignature", "signature"])?,
            }
        };
        Ok(Self {
            certificate,
            public_key_hint,
            tlog_entries,
            content,
        })
    }
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Result<&'a Value, BundleError> {
    path.iter().try_fold(v, |v, k| {
        v.get(k)
            .ok_or_else(|| BundleError::Malformed(format!("missing {}", path.join("."))))
    })
}

fn s(v: &Value, path: &[&str]) -> Result<String, BundleError> {
    get(v, path)?
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| BundleError::Malformed(format!("{} is not a string", path.join("."))))
}

fn b64(v: &Value, path: &[&str]) -> Result<Vec<u8>, BundleError> {
    B64.decode(s(v, path)?)
        .map_err(|e| BundleError::Malformed(format!("{} is not base64: {e}", path.join("."))))
}

fn num<T: std::str::FromStr>(v: &Value, path: &[&str]) -> Result<T, BundleError> {
    let x = get(v, path)?;
    let text = x
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| x.to_string());
    text.parse()
        .map_err(|_| BundleError::Malformed(format!("{} is not a number", path.join("."))))
}

fn hash(bytes: &[u8], what: &str) -> Result<[u8; 32], BundleError> {
    bytes
        .try_into()
        .map_err(|_| BundleError::Malformed(format!("{what} is not 32 bytes")))
}

/// A hash given as hex (Rekor responses) → bytes.
pub fn hash_from_hex(s: &str) -> Option<[u8; 32]> {
    decode_hex(s)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyPair;

    #[test]
    fn bundles_round_trip_through_json() {
        let entry = TlogEntry {
            log_index: 7,
            log_id: [3; 32],
            kind: Kind::HashedRekord,
            integrated_time: 1_700_000_000,
            signed_entry_timestamp: vec![1, 2, 3],
            inclusion_proof: InclusionProof {
                log_index: 7,
                root_hash: [9; 32],
                tree_size: 8,
                hashes: vec![[1; 32], [2; 32]],
                checkpoint: "origin\n8\nroot\n\n— origin sig\n".into(),
            },
            canonicalized_body: br#"{"kind":"hashedrekord"}"#.to_vec(),
        };
        let k = KeyPair::generate();
        for content in [
            Content::MessageSignature {
                digest: [5; 32],
                signature: vec![7; 70],
            },
            Content::Dsse(Envelope::sign("text/plain", b"x", &k)),
        ] {
            let b = Bundle {
                certificate: Some(vec![0x30, 0x03, 1, 2, 3]),
                public_key_hint: None,
                tlog_entries: vec![entry.clone()],
                content,
            };
            let v = b.to_json();
            assert_eq!(v["verificationMaterial"]["tlogEntries"][0]["logIndex"], "7");
            assert_eq!(Bundle::from_json(&v).unwrap(), b);
        }
        let r = entry.to_rekor_response("abc");
        assert_eq!(r["abc"]["verification"]["inclusionProof"]["treeSize"], 8);
        assert_eq!(
            TlogEntry::from_rekor_response(&r).unwrap(),
            ("abc".to_string(), entry.clone())
        );
        let mut wrong = r.clone();
        wrong["abc"]["body"] = json!(B64.encode(br#"{"kind":"intoto"}"#));
        let e = TlogEntry::from_rekor_response(&wrong)
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"intoto\" is not hashedrekord or dsse"), "{e}");
    }
}
