//! Offline verification of Flareo's signatures and attestations against a trust
//! root: a bundle's certificate chain and identity, its transparency-log entry
//! (body, inclusion proof, signed checkpoint, signed entry timestamp), the
//! signature itself, and what the signed statements say about an image.

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;

use crate::bundle::{Bundle, Content, TlogEntry};
use crate::ca::{CertInfo, der_to_pem};
use crate::dsse::INTOTO_PAYLOAD_TYPE;
use crate::intoto::{SLSA_PROVENANCE_V1, STATEMENT_TYPE};
use crate::keys::{PublicKey, hex, sha256};
use crate::merkle;
use crate::rekor::{self, Kind};
use crate::sct::Sct;
use crate::trust_root::TrustRoot;

/// Why verification failed; each message names the check and what was found.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    /// The bundle carries neither a certificate nor is a key given.
    #[error("no signing certificate in the bundle and no --key given")]
    NoVerifier,
    /// The certificate does not chain to a CA of the trust root.
    #[error(
        "signing certificate (issuer {issuer}) does not chain to any certificate authority in the trust root"
    )]
    Untrusted {
        /// The leaf's issuer name.
        issuer: String,
    },
    /// The certificate is malformed or not for code signing.
    #[error("signing certificate is unusable: {0}")]
    Certificate(String),
    /// The certificate's identity is not the expected one.
    #[error("certificate identity is {found:?}, expected {expected:?}")]
    Identity {
        /// SAN URIs and e-mails in the certificate.
        found: Vec<String>,
        /// What the caller asked for.
        expected: String,
    },
    /// The certificate's OIDC issuer is not the expected one.
    #[error("certificate OIDC issuer is {found:?}, expected {expected:?}")]
    Issuer {
        /// The issuer extension's value.
        found: Option<String>,
        /// What the caller asked for.
        expected: String,
    },
    /// The bundle has no transparency-log entry.
    #[error("signature is not in the transparency log: the bundle has no log entry")]
    NotLogged,
    /// The entry's log is not in the trust root.
    #[error("log entry is from log {0}, which the trust root does not know")]
    UnknownLog(String),
    /// Something about the log entry does not hold.
    #[error("log entry {index}: {reason}")]
    Log {
        /// The entry's index.
        index: u64,
        /// What did not hold.
        reason: String,
    },
    /// The entry was logged outside the certificate's validity.
    #[error(
        "signature was logged at {logged}, outside the certificate's validity ({not_before} to {not_after}, unix seconds)"
    )]
    Expired {
        /// Integrated time.
        logged: i64,
        /// Validity start.
        not_before: u64,
        /// Validity end.
        not_after: u64,
    },
    /// The signature does not verify with the signer's key.
    #[error("signature does not verify with the signing key: {0}")]
    Signature(String),
    /// What was signed is not the expected artifact.
    #[error("{what} signs {found}, not {expected}")]
    Subject {
        /// What was looked at.
        what: &'static str,
        /// What it names.
        found: String,
        /// What was expected.
        expected: String,
    },
    /// The provenance names another builder.
    #[error("provenance builder is {found:?}, expected {expected:?}")]
    Builder {
        /// `runDetails.builder.id`.
        found: String,
        /// What the caller trusts.
        expected: String,
    },
    /// The certificate's embedded SCT is missing or does not verify with a CT log
    /// of the trust root.
    #[error("certificate transparency: {0}")]
    Sct(String),
    /// The signature names another repository than the image was found in.
    #[error(
        "the signature is for {signed:?} (module {signed_slug:?}), not for repository {expected:?} (module {expected_slug:?})"
    )]
    Repository {
        /// The signed `critical.identity.docker-reference`.
        signed: String,
        /// Its last path component.
        signed_slug: String,
        /// The repository the image was found in.
        expected: String,
        /// Its last path component.
        expected_slug: String,
    },
    /// A statement or payload could not be read.
    #[error("{0}")]
    Malformed(String),
}

/// What a verified bundle established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// SAN identities of the signing certificate (empty with a key).
    pub identities: Vec<String>,
    /// OIDC issuer of the certificate.
    pub issuer: Option<String>,
    /// Log index and time of the entry.
    pub log_index: u64,
    /// Seconds since the epoch.
    pub integrated_time: i64,
    /// The checkpoint's tree size the inclusion was proved against.
    pub tree_size: u64,
    /// That tree's root.
    pub root_hash: [u8; 32],
    /// The signed payload (DSSE) or the artifact digest's hex (message signature).
    pub payload: Vec<u8>,
}

/// What the caller requires of a signer.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// Exact SAN identity required.
    pub identity: Option<String>,
    /// Exact OIDC issuer required.
    pub issuer: Option<String>,
    /// A public key instead of a certificate (key-mode instances).
    pub key: Option<PublicKey>,
}

fn secs(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

/// Verifies `bundle` against `trust`: for a message signature, over the artifact
/// whose SHA-256 is `artifact`; for a DSSE envelope, of payload type in-toto.
/// [`verify_signature`], then [`verify_logged`].
pub fn verify_bundle(
    bundle: &Bundle,
    trust: &TrustRoot,
    artifact: Option<&[u8; 32]>,
    policy: &Policy,
) -> Result<Verified, VerifyError> {
    let signed = verify_signature(bundle, trust, artifact, policy)?;
    verify_logged(bundle, signed, trust)
}

/// What a bundle's signature establishes before its log entry is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    /// SAN identities of the signing certificate (empty with a key).
    pub identities: Vec<String>,
    /// OIDC issuer of the certificate.
    pub issuer: Option<String>,
    /// The signed payload (DSSE) or the artifact digest's hex (message signature).
    pub payload: Vec<u8>,
    /// The entry body the log must hold for this signature.
    pub expected_body: Vec<u8>,
}

/// The first half of [`verify_bundle`]: the signer (certificate chain, embedded
/// SCT, identity, issuer, validity at the logged time, or the policy's key) and
/// the signature over the artifact or envelope. The bundle must carry a log entry
/// (its time is when the certificate must have been valid), but the entry itself
/// is checked by [`verify_logged`].
pub fn verify_signature(
    bundle: &Bundle,
    trust: &TrustRoot,
    artifact: Option<&[u8; 32]>,
    policy: &Policy,
) -> Result<Signed, VerifyError> {
    let entry = bundle.tlog_entries.first().ok_or(VerifyError::NotLogged)?;
    // Signer.
    let (key, verifier_pem, cert) = match (&bundle.certificate, &policy.key) {
        (Some(der), _) => {
            let leaf = CertInfo::parse(der).map_err(|e| VerifyError::Certificate(e.to_string()))?;
            let issuer = check_chain(&leaf, trust)?;
            check_sct(&leaf, &issuer, trust)?;
            (leaf.public_key, der_to_pem(der), Some(leaf))
        }
        (None, Some(key)) => (*key, key.to_pem(), None),
        (None, None) => return Err(VerifyError::NoVerifier),
    };
    let mut identities = vec![];
    let mut issuer = None;
    if let Some(leaf) = &cert {
        identities = leaf
            .san_uris
            .iter()
            .chain(&leaf.san_emails)
            .cloned()
            .collect();
        issuer = leaf.oidc_issuer.clone();
        if let Some(want) = &policy.identity
            && !identities.contains(want)
        {
            return Err(VerifyError::Identity {
                found: identities,
                expected: want.clone(),
            });
        }
        if let Some(want) = &policy.issuer
            && issuer.as_ref() != Some(want)
        {
            return Err(VerifyError::Issuer {
                found: issuer,
                expected: want.clone(),
            });
        }
        let t = u64::try_from(entry.integrated_time).unwrap_or(0);
        let (nb, na) = (secs(leaf.not_before), secs(leaf.not_after));
        if t < nb || t > na {
            return Err(VerifyError::Expired {
                logged: entry.integrated_time,
                not_before: nb,
                not_after: na,
            });
        }
    }
    // Signature, and the body the log holds for it.
    let (payload, expected_body) = match &bundle.content {
        Content::MessageSignature { digest, signature } => {
            if let Some(a) = artifact
                && a != digest
            {
                return Err(VerifyError::Subject {
                    what: "the bundle",
                    found: format!("sha256:{}", hex(digest)),
                    expected: format!("sha256:{}", hex(a)),
                });
            }
            key.verify_prehash(digest, signature)
                .map_err(|e| VerifyError::Signature(e.to_string()))?;
            (
                hex(digest).into_bytes(),
                rekor::hashedrekord(digest, signature, &verifier_pem),
            )
        }
        Content::Dsse(envelope) => {
            let payload = envelope
                .verify(&key, INTOTO_PAYLOAD_TYPE)
                .map_err(|e| VerifyError::Signature(e.to_string()))?;
            let body = rekor::dsse(envelope, &verifier_pem)
                .map_err(|e| VerifyError::Malformed(e.to_string()))?;
            (payload, body)
        }
    };
    Ok(Signed {
        identities,
        issuer,
        payload,
        expected_body,
    })
}

/// The second half of [`verify_bundle`]: the bundle's log entry holds the signature
/// [`verify_signature`] checked, is included in a tree whose checkpoint a trusted
/// log signed, and carries a valid signed entry timestamp.
pub fn verify_logged(
    bundle: &Bundle,
    signed: Signed,
    trust: &TrustRoot,
) -> Result<Verified, VerifyError> {
    let entry = bundle.tlog_entries.first().ok_or(VerifyError::NotLogged)?;
    check_entry(entry, trust, &signed.expected_body)?;
    Ok(Verified {
        identities: signed.identities,
        issuer: signed.issuer,
        log_index: entry.log_index,
        integrated_time: entry.integrated_time,
        tree_size: entry.inclusion_proof.tree_size,
        root_hash: entry.inclusion_proof.root_hash,
        payload: signed.payload,
    })
}

/// Checks `leaf` chains to a CA of `trust`; returns that CA.
fn check_chain(leaf: &CertInfo, trust: &TrustRoot) -> Result<CertInfo, VerifyError> {
    if !leaf.code_signing {
        return Err(VerifyError::Certificate(
            "extended key usage lacks code signing".into(),
        ));
    }
    if leaf.is_ca {
        return Err(VerifyError::Certificate(
            "it is a CA certificate, not a signing certificate".into(),
        ));
    }
    trust
        .certificate_authorities
        .iter()
        .flat_map(|(_, c)| c)
        .filter_map(|der| CertInfo::parse(der).ok())
        .find(|ca| ca.is_ca && leaf.verify_issued_by(ca).is_ok())
        .ok_or_else(|| VerifyError::Untrusted {
            issuer: leaf.issuer.clone(),
        })
}

/// Checks the leaf's embedded SCT (RFC 6962 precertificate form) against the
/// trust root's CT logs: at least one SCT must come from a trusted CT log (log id
/// = SHA-256 of its key) and verify over the precertificate issued by `issuer`.
/// Nothing to check when the trust root names no CT log.
pub fn check_sct(leaf: &CertInfo, issuer: &CertInfo, trust: &TrustRoot) -> Result<(), VerifyError> {
    if trust.ctlogs.is_empty() {
        return Ok(());
    }
    let embedded = leaf.embedded_scts.as_ref().ok_or_else(|| {
        VerifyError::Sct(
            "the signing certificate has no embedded SCT, but the trust root requires one from its CT logs".into(),
        )
    })?;
    let scts = Sct::parse_list(&embedded.list).map_err(|e| VerifyError::Sct(e.to_string()))?;
    let issuer_key_hash = sha256(&issuer.spki_der);
    let mut reasons = Vec::new();
    for sct in &scts {
        let Some(log) = trust.ctlogs.iter().find(|l| l.key.key_id() == sct.log_id) else {
            reasons.push(format!(
                "SCT from log {}, which the trust root does not know",
                hex(&sct.log_id)
            ));
            continue;
        };
        match sct.verify(&log.key, &issuer_key_hash, &embedded.precert_tbs) {
            Ok(()) => return Ok(()),
            Err(e) => reasons.push(e.to_string()),
        }
    }
    Err(VerifyError::Sct(reasons.join("; ")))
}

/// Checks a log entry: its body is `expected_body`, its inclusion proof leads to the
/// root a checkpoint signed by a trusted log commits to, and its SET verifies.
pub fn check_entry(
    entry: &TlogEntry,
    trust: &TrustRoot,
    expected_body: &[u8],
) -> Result<(), VerifyError> {
    let index = entry.log_index;
    let fail = |reason: String| VerifyError::Log { index, reason };
    let log = trust
        .tlog(&entry.log_id)
        .ok_or_else(|| VerifyError::UnknownLog(hex(&entry.log_id)))?;
    if entry.canonicalized_body != expected_body {
        let parsed: Option<Value> = serde_json::from_slice(&entry.canonicalized_body).ok();
        let expected: Option<Value> = serde_json::from_slice(expected_body).ok();
        if parsed.is_none() || parsed != expected {
            return Err(fail(
                "the logged body is not this signature (different digest, signature or signer)"
                    .into(),
            ));
        }
    }
    let kind_ok = matches!(
        (
            entry.kind,
            serde_json::from_slice::<Value>(&entry.canonicalized_body)
                .ok()
                .and_then(|v| v["kind"].as_str().map(str::to_string))
                .as_deref()
        ),
        (Kind::HashedRekord, Some("hashedrekord")) | (Kind::Dsse, Some("dsse"))
    );
    if !kind_ok {
        return Err(fail("the entry's kind does not match its body".into()));
    }
    let p = &entry.inclusion_proof;
    let leaf = merkle::leaf_hash(&entry.canonicalized_body);
    merkle::verify_inclusion(p.log_index, p.tree_size, &leaf, &p.hashes, &p.root_hash)
        .map_err(|e| fail(format!("inclusion proof does not verify: {e}")))?;
    let note = crate::checkpoint::verify(&p.checkpoint, log.key.verifying_key(), None)
        .map_err(|e| fail(format!("checkpoint is not signed by the log: {e}")))?;
    if note.size != p.tree_size || note.root != p.root_hash {
        return Err(fail(format!(
            "checkpoint commits to size {} root {}, but the proof is for size {} root {}",
            note.size,
            hex(&note.root),
            p.tree_size,
            hex(&p.root_hash)
        )));
    }
    let set = rekor::set_payload(
        &entry.canonicalized_body,
        entry.integrated_time,
        &hex(&entry.log_id),
        index,
    );
    log.key
        .verify(&set, &entry.signed_entry_timestamp)
        .map_err(|_| fail("signed entry timestamp does not verify with the log's key".into()))?;
    Ok(())
}

/// Reads a cosign simple-signing payload and checks it names `image_digest`;
/// returns its docker reference.
pub fn check_simple_signing(payload: &[u8], image_digest: &str) -> Result<String, VerifyError> {
    let v: Value = serde_json::from_slice(payload)
        .map_err(|e| VerifyError::Malformed(format!("signature payload is not JSON: {e}")))?;
    let signed = v["critical"]["image"]["docker-manifest-digest"]
        .as_str()
        .unwrap_or_default();
    if signed != image_digest {
        return Err(VerifyError::Subject {
            what: "the signature",
            found: signed.to_string(),
            expected: image_digest.to_string(),
        });
    }
    Ok(v["critical"]["identity"]["docker-reference"]
        .as_str()
        .unwrap_or_default()
        .to_string())
}

/// The module a repository or image reference names: its path's last component,
/// without tag or digest (`host:5000/flareo/hello:v1` → `hello`).
pub fn module_of(reference: &str) -> &str {
    let name = reference.split('@').next().unwrap_or_default();
    let last = name.rsplit('/').next().unwrap_or_default();
    last.split(':').next().unwrap_or_default()
}

/// Checks the docker reference a signature names (`critical.identity.docker-reference`)
/// is for the repository the image was found in. Copies of an image live on other
/// hosts and under other prefixes, so the module (the path's last component) is
/// what is compared.
pub fn check_docker_reference(signed: &str, repository: &str) -> Result<(), VerifyError> {
    let (signed_slug, expected_slug) = (module_of(signed), module_of(repository));
    if signed_slug.is_empty() || signed_slug != expected_slug {
        return Err(VerifyError::Repository {
            signed: signed.to_string(),
            signed_slug: signed_slug.to_string(),
            expected: repository.to_string(),
            expected_slug: expected_slug.to_string(),
        });
    }
    Ok(())
}

/// Reads an in-toto statement (a verified DSSE payload) and checks it is about
/// `image_digest`; returns (predicate type, predicate).
pub fn check_statement(payload: &[u8], image_digest: &str) -> Result<(String, Value), VerifyError> {
    let v: Value = serde_json::from_slice(payload)
        .map_err(|e| VerifyError::Malformed(format!("attestation payload is not JSON: {e}")))?;
    if v["_type"] != STATEMENT_TYPE {
        return Err(VerifyError::Malformed(format!(
            "attestation is not an in-toto Statement v1 ({})",
            v["_type"]
        )));
    }
    let want = image_digest.strip_prefix("sha256:").unwrap_or(image_digest);
    let subjects: Vec<String> = v["subject"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|s| {
            s["digest"]["sha256"]
                .as_str()
                .map(|d| format!("sha256:{d}"))
        })
        .collect();
    if !subjects
        .iter()
        .any(|s| s.strip_prefix("sha256:") == Some(want))
    {
        return Err(VerifyError::Subject {
            what: "the attestation",
            found: subjects.join(", "),
            expected: image_digest.to_string(),
        });
    }
    let predicate_type = v["predicateType"].as_str().unwrap_or_default().to_string();
    Ok((predicate_type, v["predicate"].clone()))
}

/// Checks SLSA provenance names `builder_id` as its builder; returns the build type.
pub fn check_provenance(
    predicate_type: &str,
    predicate: &Value,
    builder_id: &str,
) -> Result<String, VerifyError> {
    if predicate_type != SLSA_PROVENANCE_V1 {
        return Err(VerifyError::Malformed(format!(
            "predicate type {predicate_type:?} is not SLSA provenance v1"
        )));
    }
    let found = predicate["runDetails"]["builder"]["id"]
        .as_str()
        .unwrap_or_default();
    if found != builder_id {
        return Err(VerifyError::Builder {
            found: found.to_string(),
            expected: builder_id.to_string(),
        });
    }
    Ok(predicate["buildDefinition"]["buildType"]
        .as_str()
        .unwrap_or_default()
        .to_string())
}

/// SHA-256 of `bytes` as `sha256:<hex>`.
pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&sha256(bytes)))
}

/// Base64 decode helper for callers reading cosign annotations.
pub fn b64decode(s: &str) -> Result<Vec<u8>, VerifyError> {
    B64.decode(s)
        .map_err(|e| VerifyError::Malformed(format!("not base64: {e}")))
}

/// Base64 encode helper (standard alphabet, padded), for annotations.
pub fn b64encode(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::ca::{Ca, Identity};
    use crate::keys::KeyPair;
    use crate::trust_root::TrustedLog;

    #[test]
    fn docker_references_are_compared_by_module() {
        let check = |signed: &str, repository: &str| check_docker_reference(signed, repository);
        assert_eq!(check("127.0.0.1:8080/hello", "hello"), Ok(()));
        assert_eq!(check("127.0.0.1:8080/hello", "flareo/hello"), Ok(()));
        assert_eq!(check("flareo.example/hello", "hello:v1.0.0"), Ok(()));
        assert_eq!(
            check("flareo.example/hello", "r.example:5000/x/hello@sha256:00"),
            Ok(())
        );
        let e = check("127.0.0.1:8080/hello", "flareo/other").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the signature is for \"127.0.0.1:8080/hello\" (module \"hello\"), not for repository \"flareo/other\" (module \"other\")"
        );
        assert!(check("127.0.0.1:8080/hello-two", "hello").is_err());
        assert!(check("", "hello").is_err());
        assert_eq!(module_of("host:5000/a/b/c:tag"), "c");
        assert_eq!(module_of("c@sha256:ab"), "c");
    }

    struct Fixture {
        ca: Ca,
        ct: KeyPair,
        leaf: Vec<u8>,
    }

    fn fixture() -> Fixture {
        let now = SystemTime::now();
        let day = Duration::from_secs(86400);
        let ca = Ca::create(KeyPair::generate(), "test root", now, day).unwrap();
        let ct = KeyPair::generate();
        let identity = Identity {
            san: crate::ca::San::Uri("https://flareo.test/builders/v1".into()),
            issuer: "https://flareo.test".into(),
            extras: vec![],
        };
        let leaf = ca
            .issue(
                &KeyPair::generate().public(),
                &identity,
                now,
                day,
                Some(&ct),
            )
            .unwrap();
        Fixture { ca, ct, leaf }
    }

    fn trust(ca: &Ca, ctlogs: &[&KeyPair]) -> TrustRoot {
        let log = |k: &KeyPair| TrustedLog {
            base_url: "https://flareo.test".into(),
            key: k.public(),
            valid_from: "2026-01-01T00:00:00Z".into(),
        };
        TrustRoot {
            certificate_authorities: vec![(
                "https://flareo.test".into(),
                vec![ca.root_der().to_vec()],
            )],
            tlogs: vec![],
            ctlogs: ctlogs.iter().map(|k| log(k)).collect(),
            valid_from: "2026-01-01T00:00:00Z".into(),
        }
    }

    /// The leaf with one byte of its embedded SCT list changed (`from_end` bytes
    /// before the list's end).
    fn tampered(leaf: &[u8], from_end: usize) -> CertInfo {
        let info = CertInfo::parse(leaf).unwrap();
        let list = info.embedded_scts.unwrap().list;
        let at = leaf
            .windows(list.len())
            .position(|w| w == list.as_slice())
            .unwrap();
        let mut der = leaf.to_vec();
        der[at + list.len() - from_end] ^= 0x01;
        CertInfo::parse(&der).unwrap()
    }

    #[test]
    fn embedded_scts_must_come_from_a_trusted_ct_log_and_cover_the_certificate() {
        let f = fixture();
        let leaf = CertInfo::parse(&f.leaf).unwrap();
        let root = CertInfo::parse(f.ca.root_der()).unwrap();
        let trusted = trust(&f.ca, &[&f.ct]);
        assert_eq!(check_chain(&leaf, &trusted).unwrap(), root);
        check_sct(&leaf, &root, &trusted).unwrap();
        // Another CT log among the trusted ones does not matter.
        let stranger = KeyPair::generate();
        check_sct(&leaf, &root, &trust(&f.ca, &[&stranger, &f.ct])).unwrap();
        // No CT log in the trust root: nothing to check.
        check_sct(&leaf, &root, &trust(&f.ca, &[])).unwrap();

        // The SCT is from a log the trust root does not name.
        let e = check_sct(&leaf, &root, &trust(&f.ca, &[&stranger])).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "certificate transparency: SCT from log {}, which the trust root does not know",
                f.ct.public().key_id_hex()
            )
        );
        // A tampered signature, or a tampered timestamp: the signature does not cover it.
        let want = format!(
            "certificate transparency: SCT from log {} does not verify: its signature does not cover this certificate's precertificate and issuer",
            f.ct.public().key_id_hex()
        );
        let bad_signature = tampered(&f.leaf, 1);
        assert_eq!(
            check_sct(&bad_signature, &root, &trusted)
                .unwrap_err()
                .to_string(),
            want
        );
        let sct = &Sct::parse_list(&leaf.embedded_scts.as_ref().unwrap().list).unwrap()[0];
        let timestamp_from_end = 2 + 2 + 2 + sct.signature.len() + 1; // ext len, algs, sig len, sig; last timestamp byte
        let bad_time = tampered(&f.leaf, timestamp_from_end);
        let e = check_sct(&bad_time, &root, &trusted).unwrap_err();
        assert_eq!(e.to_string(), want);
        // Signed for a certificate of another issuer.
        let other = Ca::create(
            KeyPair::generate(),
            "other",
            SystemTime::now(),
            Duration::from_secs(60),
        )
        .unwrap();
        let other_root = CertInfo::parse(other.root_der()).unwrap();
        assert_eq!(
            check_sct(&leaf, &other_root, &trusted)
                .unwrap_err()
                .to_string(),
            want
        );
        // No SCT at all.
        let identity = Identity {
            san: crate::ca::San::Uri("https://flareo.test/builders/v1".into()),
            issuer: "https://flareo.test".into(),
            extras: vec![],
        };
        let bare =
            f.ca.issue(
                &KeyPair::generate().public(),
                &identity,
                SystemTime::now(),
                Duration::from_secs(60),
                None,
            )
            .unwrap();
        let e = check_sct(&CertInfo::parse(&bare).unwrap(), &root, &trusted).unwrap_err();
        assert!(matches!(e, VerifyError::Sct(_)), "{e}");
        assert!(e.to_string().contains("has no embedded SCT"), "{e}");
    }
}
