//! Signed tree heads as C2SP `tlog-checkpoint` bodies in C2SP `signed-note`
//! envelopes, signed with ECDSA P-256 the way Rekor v1 writes them: the
//! signature line is `— <name> <base64(key hint ‖ DER signature)>`, the key hint
//! being the first 4 bytes of SHA-256 over the key's DER SubjectPublicKeyInfo, the
//! signature ECDSA/SHA-256 over the body's bytes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use p256::pkcs8::EncodePublicKey;
use sha2::{Digest, Sha256};

use crate::merkle::Hash;

/// The signature line's prefix: an em dash and a space.
const DASH: &str = "\u{2014} ";

/// A tree head: which log (`origin`), how many entries, their root, and any
/// extension lines (e.g. Rekor's `Timestamp: ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, first line of the body (Rekor: `<hostname> - <tree id>`).
    pub origin: String,
    /// The tree size.
    pub size: u64,
    /// The RFC 6962 root of the first `size` entries.
    pub root: Hash,
    /// Further body lines, in order, without their newlines.
    pub extensions: Vec<String>,
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The signer's name.
    pub name: String,
    /// The first 4 bytes of SHA-256 of the signer's SubjectPublicKeyInfo (DER).
    pub key_hint: [u8; 4],
    /// The signature (DER ECDSA for the keys signed here).
    pub signature: Vec<u8>,
}

/// A parsed (not yet verified) signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The checkpoint the body states.
    pub checkpoint: Checkpoint,
    /// The body's exact text, as signed.
    pub body: String,
    /// The signature lines, in order.
    pub signatures: Vec<NoteSignature>,
}

/// Why a checkpoint could not be written, read or trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// A field would break the note's line structure.
    #[error("checkpoint {field} {value:?} {reason}")]
    InvalidField {
        /// Which field (`origin`, `extension`, `signer name`).
        field: &'static str,
        /// Its value.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The public key could not be DER-encoded for its key hint.
    #[error("encoding the public key as SubjectPublicKeyInfo for the key hint: {0}")]
    KeyEncoding(String),
    /// The note is not a text, a blank line and signature lines.
    #[error("signed note: {0}")]
    Malformed(String),
    /// The body's first three lines are not origin, size and root.
    #[error("checkpoint body line {line}: {reason}")]
    BadBody {
        /// 1-based line of the body.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A signature line is not `— <name> <base64>`.
    #[error("signature line {line:?}: {reason}")]
    BadSignatureLine {
        /// The line.
        line: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The checkpoint is for another log.
    #[error("checkpoint origin {found:?} is not the expected {expected:?}")]
    OriginMismatch {
        /// The origin the body states.
        found: String,
        /// The origin the caller trusts.
        expected: String,
    },
    /// No signature line carries the key's hint.
    #[error(
        "no signature by the given key (key hint {}): the note is signed by {}",
        crate::merkle::hex(.key_hint),
        .signers.join(", ")
    )]
    NoSignatureByKey {
        /// The hint of the key given.
        key_hint: [u8; 4],
        /// The `name/hint` of each signature present.
        signers: Vec<String>,
    },
    /// A signature with the key's hint does not verify over the body.
    #[error("signature by {name:?} does not verify over the checkpoint body with the given key")]
    BadSignature {
        /// The signer name on the line.
        name: String,
    },
}

/// The key hint of `key`: the first 4 bytes of SHA-256 over its DER
/// SubjectPublicKeyInfo (what Rekor writes and the validators check).
pub fn key_hint(key: &VerifyingKey) -> Result<[u8; 4], CheckpointError> {
    let der = key
        .to_public_key_der()
        .map_err(|e| CheckpointError::KeyEncoding(e.to_string()))?;
    let digest = Sha256::digest(der.as_bytes());
    Ok([digest[0], digest[1], digest[2], digest[3]])
}

fn check_line(field: &'static str, value: &str) -> Result<(), CheckpointError> {
    let invalid = |reason| {
        Err(CheckpointError::InvalidField {
            field,
            value: value.to_string(),
            reason,
        })
    };
    if value.is_empty() {
        return invalid("is empty");
    }
    if value.chars().any(char::is_control) {
        return invalid("contains a newline or another control character");
    }
    Ok(())
}

impl Checkpoint {
    /// The note body: `<origin>\n<size>\n<base64 root>\n` then one line per
    /// extension. The bytes signed.
    pub fn body(&self) -> String {
        let mut body = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        );
        for ext in &self.extensions {
            body.push_str(ext);
            body.push('\n');
        }
        body
    }

    /// The complete signed note: body, blank line, and the signature line
    /// `— <name> <base64(key hint ‖ DER ECDSA-SHA256 signature over the body)>`.
    /// Refuses an origin, extension or name that would break the format.
    pub fn sign(&self, name: &str, key: &SigningKey) -> Result<String, CheckpointError> {
        check_line("origin", &self.origin)?;
        for ext in &self.extensions {
            check_line("extension", ext)?;
        }
        check_line("signer name", name)?;
        if name.chars().any(char::is_whitespace) || name.contains('+') {
            return Err(CheckpointError::InvalidField {
                field: "signer name",
                value: name.to_string(),
                reason: "contains a space or a plus sign",
            });
        }
        let body = self.body();
        let signature: DerSignature = key.sign(body.as_bytes());
        let mut blob = key_hint(key.verifying_key())?.to_vec();
        blob.extend_from_slice(signature.as_bytes());
        Ok(format!("{body}\n{DASH}{name} {}\n", STANDARD.encode(blob)))
    }

    /// Splits a signed note into its checkpoint and signature lines, checking
    /// the structure only (no signature is checked).
    pub fn parse(note: &str) -> Result<SignedCheckpoint, CheckpointError> {
        let malformed = |m: &str| CheckpointError::Malformed(m.to_string());
        if note.chars().any(|c| c.is_ascii_control() && c != '\n') {
            return Err(malformed("contains a control character other than newline"));
        }
        let split = note
            .rfind("\n\n")
            .ok_or_else(|| malformed("no blank line between the text and its signatures"))?;
        let (body, sigs) = (&note[..=split], &note[split + 2..]);
        if !sigs.ends_with('\n') {
            return Err(malformed("does not end with a newline"));
        }
        let mut lines = body.lines();
        let mut line_no = 0;
        let mut next = |what: &str| {
            line_no += 1;
            lines.next().ok_or_else(|| CheckpointError::BadBody {
                line: line_no,
                reason: format!("missing: a checkpoint body needs {what}"),
            })
        };
        let bad = |line: usize, reason: String| CheckpointError::BadBody { line, reason };
        let origin = next("an origin line")?;
        if origin.is_empty() {
            return Err(bad(1, "empty origin".into()));
        }
        let size_text = next("a tree size line")?;
        let size_ok = !size_text.is_empty()
            && size_text.bytes().all(|b| b.is_ascii_digit())
            && (size_text == "0" || !size_text.starts_with('0'));
        let size = size_text
            .parse::<u64>()
            .ok()
            .filter(|_| size_ok)
            .ok_or_else(|| {
                bad(
                    2,
                    format!(
                        "tree size {size_text:?} is not a decimal number without leading zeros"
                    ),
                )
            })?;
        let root_text = next("a root hash line")?;
        let root: Hash = STANDARD
            .decode(root_text)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| bad(3, format!("root {root_text:?} is not 32 bytes of base64")))?;
        let extensions: Vec<String> = lines.map(str::to_string).collect();
        if let Some(i) = extensions.iter().position(String::is_empty) {
            return Err(bad(4 + i, "empty extension line".into()));
        }
        let mut signatures = Vec::new();
        for line in sigs.lines() {
            signatures.push(parse_signature_line(line)?);
        }
        if signatures.is_empty() {
            return Err(malformed("has no signature lines"));
        }
        Ok(SignedCheckpoint {
            checkpoint: Checkpoint {
                origin: origin.to_string(),
                size,
                root,
                extensions,
            },
            body: body.to_string(),
            signatures,
        })
    }

    /// Parses `note` and checks that `key` signed it (a signature line with the
    /// key's hint verifies over the body) and, when given, that it is for
    /// `expected_origin`. Returns the trusted checkpoint.
    pub fn verify(
        note: &str,
        key: &VerifyingKey,
        expected_origin: Option<&str>,
    ) -> Result<Checkpoint, CheckpointError> {
        let parsed = Self::parse(note)?;
        if let Some(expected) = expected_origin
            && parsed.checkpoint.origin != expected
        {
            return Err(CheckpointError::OriginMismatch {
                found: parsed.checkpoint.origin,
                expected: expected.to_string(),
            });
        }
        let hint = key_hint(key)?;
        let mut tried = None;
        for sig in parsed.signatures.iter().filter(|s| s.key_hint == hint) {
            let ok = Signature::from_der(&sig.signature)
                .is_ok_and(|s| key.verify(parsed.body.as_bytes(), &s).is_ok());
            if ok {
                return Ok(parsed.checkpoint);
            }
            tried.get_or_insert_with(|| sig.name.clone());
        }
        Err(match tried {
            Some(name) => CheckpointError::BadSignature { name },
            None => CheckpointError::NoSignatureByKey {
                key_hint: hint,
                signers: parsed
                    .signatures
                    .iter()
                    .map(|s| format!("{}/{}", s.name, crate::merkle::hex(&s.key_hint)))
                    .collect(),
            },
        })
    }
}

/// [`Checkpoint::parse`]: the structure of a signed checkpoint, unverified.
pub fn parse(note: &str) -> Result<SignedCheckpoint, CheckpointError> {
    Checkpoint::parse(note)
}

/// [`Checkpoint::verify`]: the checkpoint `note` states, once `key` is found to
/// have signed it (and it is for `expected_origin`, when given).
pub fn verify(
    note: &str,
    key: &VerifyingKey,
    expected_origin: Option<&str>,
) -> Result<Checkpoint, CheckpointError> {
    Checkpoint::verify(note, key, expected_origin)
}

fn parse_signature_line(line: &str) -> Result<NoteSignature, CheckpointError> {
    let bad = |reason| CheckpointError::BadSignatureLine {
        line: line.to_string(),
        reason,
    };
    let rest = line
        .strip_prefix(DASH)
        .ok_or_else(|| bad("does not start with an em dash and a space"))?;
    let (name, b64) = rest
        .rsplit_once(' ')
        .ok_or_else(|| bad("is not `— <name> <base64 signature>`"))?;
    if name.is_empty() || name.contains(' ') {
        return Err(bad("the signer name is empty or has spaces"));
    }
    let blob = STANDARD
        .decode(b64)
        .map_err(|_| bad("the signature is not base64"))?;
    if blob.len() < 5 {
        return Err(bad("the signature is shorter than a key hint and one byte"));
    }
    Ok(NoteSignature {
        name: name.to_string(),
        key_hint: [blob[0], blob[1], blob[2], blob[3]],
        signature: blob[4..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_slice(&[seed; 32]).unwrap()
    }

    fn checkpoint() -> Checkpoint {
        Checkpoint {
            origin: "flareo.test - 1234".into(),
            size: 42,
            root: [7; 32],
            extensions: vec!["Timestamp: 1700000000000000000".into()],
        }
    }

    #[test]
    fn body_and_note_have_the_c2sp_shape() {
        let cp = checkpoint();
        assert_eq!(
            cp.body(),
            "flareo.test - 1234\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\nTimestamp: 1700000000000000000\n"
        );
        let note = cp.sign("flareo.test", &key(1)).unwrap();
        let (body, sig) = note.split_once("\n\n").unwrap();
        assert_eq!(format!("{body}\n"), cp.body());
        assert!(sig.starts_with("\u{2014} flareo.test "), "{sig}");
        assert!(sig.ends_with('\n'));
        let parsed = Checkpoint::parse(&note).unwrap();
        assert_eq!(parsed.checkpoint, cp);
        assert_eq!(
            parsed.signatures[0].key_hint,
            key_hint(key(1).verifying_key()).unwrap()
        );
        assert_eq!(
            Checkpoint::verify(&note, key(1).verifying_key(), Some("flareo.test - 1234")),
            Ok(cp)
        );
    }

    #[test]
    fn wrong_key_origin_or_body_is_named() {
        let cp = checkpoint();
        let note = cp.sign("flareo.test", &key(1)).unwrap();
        assert!(matches!(
            Checkpoint::verify(&note, key(2).verifying_key(), None),
            Err(CheckpointError::NoSignatureByKey { .. })
        ));
        assert_eq!(
            Checkpoint::verify(&note, key(1).verifying_key(), Some("other")),
            Err(CheckpointError::OriginMismatch {
                found: "flareo.test - 1234".into(),
                expected: "other".into()
            })
        );
        let tampered = note.replacen("\n42\n", "\n43\n", 1);
        assert_eq!(
            Checkpoint::verify(&tampered, key(1).verifying_key(), None),
            Err(CheckpointError::BadSignature {
                name: "flareo.test".into()
            })
        );
        // A second signer's line does not get in the way.
        let other = Checkpoint::parse(&cp.sign("witness", &key(3)).unwrap()).unwrap();
        let sig_line = format!(
            "{DASH}witness {}\n",
            STANDARD.encode(
                [
                    &other.signatures[0].key_hint[..],
                    &other.signatures[0].signature
                ]
                .concat()
            )
        );
        let cosigned = format!("{note}{sig_line}");
        assert!(Checkpoint::verify(&cosigned, key(3).verifying_key(), None).is_ok());
        assert!(Checkpoint::verify(&cosigned, key(1).verifying_key(), None).is_ok());
    }

    #[test]
    fn malformed_notes_are_refused() {
        let note = checkpoint().sign("flareo.test", &key(1)).unwrap();
        let cases: &[(&str, &str)] = &[
            ("flareo\n1\nroot\n", "no blank line"),
            (
                "o\n01\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n\u{2014} a AAAAAAA=\n",
                "leading zeros",
            ),
            ("o\n1\nAAAA\n\n\u{2014} a AAAAAAA=\n", "32 bytes"),
            ("o\n1\n\n\u{2014} a AAAAAAA=\n", "missing"),
            (
                "o\n1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n- a AAAAAAA=\n",
                "em dash",
            ),
            (
                "o\n1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n\u{2014} a AAA=\n",
                "shorter",
            ),
            ("o\r\n1\n\n\u{2014} a AAAAAAA=\n", "control"),
        ];
        for (text, want) in cases {
            let err = Checkpoint::parse(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text:?}: {err}");
        }
        assert!(Checkpoint::parse(note.trim_end()).is_err());
        let mut bad = checkpoint();
        bad.origin = "two\nlines".into();
        assert!(matches!(
            bad.sign("n", &key(1)),
            Err(CheckpointError::InvalidField {
                field: "origin",
                ..
            })
        ));
        assert!(matches!(
            checkpoint().sign("has space", &key(1)),
            Err(CheckpointError::InvalidField {
                field: "signer name",
                ..
            })
        ));
    }
}
