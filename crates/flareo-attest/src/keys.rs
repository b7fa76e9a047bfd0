//! ECDSA P-256 key pairs and public keys (cosign's default algorithm): generation,
//! PEM in and out, DER signatures, and the SHA-256 key ids Sigstore logs use.

use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use p256::elliptic_curve::Generate;
use p256::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use sha2::{Digest, Sha256};

/// What went wrong reading a key or checking a signature.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The private key text is not a PKCS#8 or SEC1 P-256 key.
    #[error(
        "private key is not a PEM P-256 key (PKCS#8 \"PRIVATE KEY\" or SEC1 \"EC PRIVATE KEY\"): {0}"
    )]
    PrivateKey(String),
    /// The public key text is not a PEM SubjectPublicKeyInfo of a P-256 key.
    #[error("public key is not a PEM P-256 \"PUBLIC KEY\": {0}")]
    PublicKey(String),
    /// The signature bytes are not a DER ECDSA signature.
    #[error("signature is not a DER-encoded ECDSA signature: {0}")]
    SignatureEncoding(String),
    /// The signature is well formed but does not verify with this key.
    #[error("signature does not verify with the given key")]
    BadSignature,
}

/// A P-256 signing key. Signatures are deterministic (RFC 6979) and DER-encoded.
#[derive(Clone)]
pub struct KeyPair {
    signing: SigningKey,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyPair({})", self.public().key_id_hex())
    }
}

impl KeyPair {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Self {
        Self {
            signing: SigningKey::generate(),
        }
    }

    /// Reads a PKCS#8 (`PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`) PEM P-256 key.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        if pem.contains("BEGIN EC PRIVATE KEY") {
            let secret = p256::SecretKey::from_sec1_pem(pem)
                .map_err(|e| KeyError::PrivateKey(e.to_string()))?;
            return Ok(Self {
                signing: secret.into(),
            });
        }
        SigningKey::from_pkcs8_pem(pem)
            .map(|signing| Self { signing })
            .map_err(|e| KeyError::PrivateKey(e.to_string()))
    }

    /// The key as PKCS#8 PEM (keep it secret).
    pub fn to_pem(&self) -> String {
        self.signing
            .to_pkcs8_pem(LineEnding::LF)
            .map(|s| s.to_string())
            .expect("a P-256 key always encodes as PKCS#8")
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(*self.signing.verifying_key())
    }

    /// A DER ECDSA-SHA256 signature over `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let sig: DerSignature = self.signing.sign(message);
        sig.as_bytes().to_vec()
    }

    /// The underlying signer, for X.509 building.
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing
    }
}

/// A P-256 public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(pub(crate) VerifyingKey);

impl PublicKey {
    /// Reads a PEM `PUBLIC KEY` (SubjectPublicKeyInfo).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        VerifyingKey::from_public_key_pem(pem)
            .map(Self)
            .map_err(|e| KeyError::PublicKey(e.to_string()))
    }

    /// Reads a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        VerifyingKey::from_public_key_der(der)
            .map(Self)
            .map_err(|e| KeyError::PublicKey(e.to_string()))
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> Vec<u8> {
        self.0
            .to_public_key_der()
            .expect("a P-256 key always encodes")
            .as_bytes()
            .to_vec()
    }

    /// PEM `PUBLIC KEY`.
    pub fn to_pem(&self) -> String {
        self.0
            .to_public_key_pem(LineEnding::LF)
            .expect("a P-256 key always encodes")
    }

    /// SHA-256 of the DER SubjectPublicKeyInfo: Rekor's log id, CT's log id, and the
    /// source of the 4-byte key hint in signed notes.
    pub fn key_id(&self) -> [u8; 32] {
        Sha256::digest(self.spki_der()).into()
    }

    /// [`Self::key_id`] in lowercase hex.
    pub fn key_id_hex(&self) -> String {
        hex(&self.key_id())
    }

    /// Checks a DER (or raw 64-byte r||s) ECDSA-SHA256 signature over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        let sig = match Signature::from_der(signature) {
            Ok(s) => s,
            Err(e) if signature.len() == 64 => Signature::from_slice(signature)
                .map_err(|_| KeyError::SignatureEncoding(e.to_string()))?,
            Err(e) => return Err(KeyError::SignatureEncoding(e.to_string())),
        };
        self.0
            .verify(message, &sig)
            .map_err(|_| KeyError::BadSignature)
    }

    /// Checks a signature over a message whose SHA-256 is `digest` (Rekor's
    /// `hashedrekord` entries carry only the digest).
    pub fn verify_prehash(&self, digest: &[u8; 32], signature: &[u8]) -> Result<(), KeyError> {
        use p256::ecdsa::signature::hazmat::PrehashVerifier;
        let sig = Signature::from_der(signature)
            .or_else(|e| Signature::from_slice(signature).map_err(|_| e))
            .map_err(|e| KeyError::SignatureEncoding(e.to_string()))?;
        self.0
            .verify_prehash(digest, &sig)
            .map_err(|_| KeyError::BadSignature)
    }

    /// The underlying verifying key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.0
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_pem_and_sign() {
        let k = KeyPair::generate();
        let again = KeyPair::from_pem(&k.to_pem()).unwrap();
        assert_eq!(k.public(), again.public());
        let sig = k.sign(b"hello");
        let public = PublicKey::from_pem(&k.public().to_pem()).unwrap();
        public.verify(b"hello", &sig).unwrap();
        assert!(matches!(
            public.verify(b"hellO", &sig),
            Err(KeyError::BadSignature)
        ));
        let other = KeyPair::generate().public();
        assert!(matches!(
            other.verify(b"hello", &sig),
            Err(KeyError::BadSignature)
        ));
        assert_eq!(public.key_id(), sha256(&public.spki_der()));
    }

    #[test]
    fn bad_pem_says_what_it_wanted() {
        let e = KeyPair::from_pem("nope").unwrap_err().to_string();
        assert!(e.contains("PEM P-256 key"), "{e}");
    }
}
