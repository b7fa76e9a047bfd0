//! RFC 6962 signed certificate timestamps for precertificates: what the embedded CT
//! log signs, the TLS-encoded SCT list that goes into a certificate, and reading
//! and verifying such a list against the CT logs a trust root names.

use crate::keys::{KeyPair, PublicKey, hex};

/// `HashAlgorithm.sha256` in RFC 5246's `SignatureAndHashAlgorithm`.
const HASH_SHA256: u8 = 4;
/// `SignatureAlgorithm.ecdsa`.
const SIG_ECDSA: u8 = 3;

/// Why an SCT list could not be read or an SCT does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SctError {
    /// The TLS encoding is cut short or has trailing bytes.
    #[error("SCT list is malformed: {0}")]
    Malformed(String),
    /// An SCT uses a version, hash or signature algorithm this verifier does not.
    #[error("SCT from log {log_id} is unsupported: {reason}")]
    Unsupported {
        /// The log id in hex.
        log_id: String,
        /// What is unsupported.
        reason: String,
    },
    /// The log's signature does not cover this precertificate.
    #[error(
        "SCT from log {log_id} does not verify: its signature does not cover this certificate's precertificate and issuer"
    )]
    BadSignature {
        /// The log id in hex.
        log_id: String,
    },
}

/// One signed certificate timestamp (v1) as read from a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sct {
    /// SHA-256 of the log's DER SubjectPublicKeyInfo.
    pub log_id: [u8; 32],
    /// Milliseconds since the epoch.
    pub timestamp_ms: u64,
    /// The SCT's extensions (opaque; signed over).
    pub extensions: Vec<u8>,
    /// The DER ECDSA signature.
    pub signature: Vec<u8>,
}

/// The TLS-encoded `SignedCertificateTimestampList` for one SCT over the
/// precertificate `tbs` (DER, without the SCT extension) issued by the CA whose
/// SubjectPublicKeyInfo hashes to `issuer_key_hash`, at `timestamp_ms`, signed by `log`.
pub fn sign_precert(
    log: &KeyPair,
    issuer_key_hash: &[u8; 32],
    tbs: &[u8],
    timestamp_ms: u64,
) -> Vec<u8> {
    let signed = signed_data(issuer_key_hash, tbs, timestamp_ms);
    let signature = log.sign(&signed);
    let mut sct = vec![0u8]; // v1
    sct.extend_from_slice(&log.public().key_id());
    sct.extend_from_slice(&timestamp_ms.to_be_bytes());
    sct.extend_from_slice(&0u16.to_be_bytes()); // no extensions
    sct.extend_from_slice(&[HASH_SHA256, SIG_ECDSA]);
    sct.extend_from_slice(&(signature.len() as u16).to_be_bytes());
    sct.extend_from_slice(&signature);
    let mut list = ((sct.len() + 2) as u16).to_be_bytes().to_vec();
    list.extend_from_slice(&(sct.len() as u16).to_be_bytes());
    list.extend_from_slice(&sct);
    list
}

/// The bytes an SCT signature covers for a precertificate entry (RFC 6962 3.2),
/// for an SCT without extensions.
pub fn signed_data(issuer_key_hash: &[u8; 32], tbs: &[u8], timestamp_ms: u64) -> Vec<u8> {
    precert_signed_data(issuer_key_hash, tbs, timestamp_ms, &[])
}

fn precert_signed_data(
    issuer_key_hash: &[u8; 32],
    tbs: &[u8],
    timestamp_ms: u64,
    extensions: &[u8],
) -> Vec<u8> {
    let mut d = vec![0u8, 0u8]; // v1, certificate_timestamp
    d.extend_from_slice(&timestamp_ms.to_be_bytes());
    d.extend_from_slice(&1u16.to_be_bytes()); // precert_entry
    d.extend_from_slice(issuer_key_hash);
    let len = tbs.len() as u32;
    d.extend_from_slice(&len.to_be_bytes()[1..]); // uint24 length
    d.extend_from_slice(tbs);
    d.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    d.extend_from_slice(extensions);
    d
}

/// A cursor over TLS-encoded bytes.
struct Tls<'a>(&'a [u8]);

impl<'a> Tls<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], SctError> {
        if self.0.len() < n {
            return Err(SctError::Malformed(format!(
                "{what} needs {n} bytes, {} left",
                self.0.len()
            )));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u8(&mut self, what: &str) -> Result<u8, SctError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<usize, SctError> {
        let b = self.take(2, what)?;
        Ok(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }

    /// A `<0..2^16-1>` vector.
    fn vec16(&mut self, what: &str) -> Result<&'a [u8], SctError> {
        let n = self.u16(what)?;
        self.take(n, what)
    }
}

impl Sct {
    /// Reads a TLS-encoded `SignedCertificateTimestampList` (the value of the
    /// certificate's SCT extension, inside its OCTET STRING).
    pub fn parse_list(list: &[u8]) -> Result<Vec<Sct>, SctError> {
        let mut outer = Tls(list);
        let mut entries = Tls(outer.vec16("the list")?);
        if !outer.0.is_empty() {
            return Err(SctError::Malformed(format!(
                "{} bytes after the list",
                outer.0.len()
            )));
        }
        let mut out = Vec::new();
        while !entries.0.is_empty() {
            let mut sct = Tls(entries.vec16("an SCT")?);
            let version = sct.u8("the version")?;
            let log_id: [u8; 32] = sct
                .take(32, "the log id")?
                .try_into()
                .expect("took 32 bytes");
            let unsupported = |reason: String| SctError::Unsupported {
                log_id: hex(&log_id),
                reason,
            };
            if version != 0 {
                return Err(unsupported(format!("version {version} (only v1)")));
            }
            let ts = sct.take(8, "the timestamp")?;
            let timestamp_ms = u64::from_be_bytes(ts.try_into().expect("took 8 bytes"));
            let extensions = sct.vec16("the extensions")?.to_vec();
            let (hash, sig) = (
                sct.u8("the hash algorithm")?,
                sct.u8("the signature algorithm")?,
            );
            if (hash, sig) != (HASH_SHA256, SIG_ECDSA) {
                return Err(unsupported(format!(
                    "hash algorithm {hash} with signature algorithm {sig} (only ECDSA with SHA-256)"
                )));
            }
            let signature = sct.vec16("the signature")?.to_vec();
            if !sct.0.is_empty() {
                return Err(SctError::Malformed(format!(
                    "{} bytes after an SCT",
                    sct.0.len()
                )));
            }
            out.push(Sct {
                log_id,
                timestamp_ms,
                extensions,
                signature,
            });
        }
        if out.is_empty() {
            return Err(SctError::Malformed("the list is empty".into()));
        }
        Ok(out)
    }

    /// Checks this SCT's signature by `log` over the precertificate `tbs` (DER, the
    /// certificate's TBS without the SCT extension) issued by the CA whose
    /// SubjectPublicKeyInfo hashes to `issuer_key_hash`.
    pub fn verify(
        &self,
        log: &PublicKey,
        issuer_key_hash: &[u8; 32],
        tbs: &[u8],
    ) -> Result<(), SctError> {
        let signed = precert_signed_data(issuer_key_hash, tbs, self.timestamp_ms, &self.extensions);
        log.verify(&signed, &self.signature)
            .map_err(|_| SctError::BadSignature {
                log_id: hex(&self.log_id),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_lists_read_back_and_verify_only_over_what_was_signed() {
        let log = KeyPair::generate();
        let issuer = [7u8; 32];
        let list = sign_precert(&log, &issuer, b"tbs bytes", 1_700_000_000_123);
        let scts = Sct::parse_list(&list).unwrap();
        assert_eq!(scts.len(), 1);
        let sct = &scts[0];
        assert_eq!(sct.log_id, log.public().key_id());
        assert_eq!(sct.timestamp_ms, 1_700_000_000_123);
        assert!(sct.extensions.is_empty());
        sct.verify(&log.public(), &issuer, b"tbs bytes").unwrap();

        let bad = SctError::BadSignature {
            log_id: log.public().key_id_hex(),
        };
        assert_eq!(
            sct.verify(&log.public(), &issuer, b"tbs byteZ"),
            Err(bad.clone())
        );
        assert_eq!(
            sct.verify(&log.public(), &[8; 32], b"tbs bytes"),
            Err(bad.clone())
        );
        let later = Sct {
            timestamp_ms: sct.timestamp_ms + 1,
            ..sct.clone()
        };
        assert_eq!(later.verify(&log.public(), &issuer, b"tbs bytes"), Err(bad));
        let e = sct
            .verify(&KeyPair::generate().public(), &issuer, b"tbs bytes")
            .unwrap_err();
        assert!(matches!(e, SctError::BadSignature { .. }), "{e}");
    }

    #[test]
    fn malformed_lists_say_what_is_wrong() {
        let list = sign_precert(&KeyPair::generate(), &[1; 32], b"x", 1);
        let e = Sct::parse_list(&list[..list.len() - 1]).unwrap_err();
        assert!(e.to_string().starts_with("SCT list is malformed"), "{e}");
        let mut trailing = list.clone();
        trailing.push(0);
        assert_eq!(
            Sct::parse_list(&trailing),
            Err(SctError::Malformed("1 bytes after the list".into()))
        );
        let mut v2 = list.clone();
        v2[4] = 1; // the first SCT's version byte
        let e = Sct::parse_list(&v2).unwrap_err().to_string();
        assert!(e.contains("version 1 (only v1)"), "{e}");
        assert_eq!(
            Sct::parse_list(&[0, 0]),
            Err(SctError::Malformed("the list is empty".into()))
        );
    }
}
