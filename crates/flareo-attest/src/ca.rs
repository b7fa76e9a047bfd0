//! The embedded certificate authority: a self-signed root whose key lives with the
//! instance, issuing short-lived code-signing certificates Fulcio-style (the build
//! identity in the SAN, the OIDC issuer in Sigstore's OID extensions, optionally an
//! embedded SCT from the instance's CT log key), and reading such certificates back.

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use x509_cert::SubjectPublicKeyInfo;
use x509_cert::TbsCertificate;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::certificate::Certificate;
use x509_cert::der::asn1::{Ia5String, OctetString, Utf8StringRef};
use x509_cert::der::{Decode, DecodePem, Encode, EncodePem, pem::LineEnding};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{ObjectIdentifier, SubjectPublicKeyInfoRef};
use x509_cert::time::{Time, Validity};

use crate::keys::{KeyPair, PublicKey, sha256};

/// Sigstore's OIDC issuer extension, v1 (the raw string as the extension value).
pub const OID_ISSUER_V1: &str = "1.3.6.1.4.1.57264.1.1";
/// Sigstore's OIDC issuer extension, v2 (a DER UTF8String).
pub const OID_ISSUER_V2: &str = "1.3.6.1.4.1.57264.1.8";
/// Sigstore: build signer URI.
pub const OID_BUILD_SIGNER_URI: &str = "1.3.6.1.4.1.57264.1.9";
/// Sigstore: source repository URI.
pub const OID_SOURCE_REPOSITORY_URI: &str = "1.3.6.1.4.1.57264.1.12";
/// Sigstore: source repository digest (commit).
pub const OID_SOURCE_REPOSITORY_DIGEST: &str = "1.3.6.1.4.1.57264.1.13";
/// Sigstore: source repository ref (tag).
pub const OID_SOURCE_REPOSITORY_REF: &str = "1.3.6.1.4.1.57264.1.14";
/// Sigstore: run invocation URI.
pub const OID_RUN_INVOCATION_URI: &str = "1.3.6.1.4.1.57264.1.21";
/// RFC 6962 embedded SCT list.
pub const OID_SCT_LIST: &str = "1.3.6.1.4.1.11129.2.4.2";
const OID_CODE_SIGNING: &str = "1.3.6.1.5.5.7.3.3";

/// Why a certificate could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// ASN.1/DER encoding or decoding failed.
    #[error("certificate {what}: {reason}")]
    Encoding {
        /// What was being done.
        what: &'static str,
        /// The encoder's message.
        reason: String,
    },
    /// A certificate's key is not a P-256 key.
    #[error("certificate public key is not ECDSA P-256: {0}")]
    Key(String),
    /// The certificate's signature does not verify with the issuer's key.
    #[error("certificate was not issued by {issuer}: its signature does not verify with that key")]
    NotIssuedBy {
        /// The issuer's subject name.
        issuer: String,
    },
    /// A required part is missing or malformed.
    #[error("certificate {0}")]
    Malformed(String),
}

fn enc(what: &'static str) -> impl Fn(x509_cert::der::Error) -> CaError {
    move |e| CaError::Encoding {
        what,
        reason: e.to_string(),
    }
}

/// Who a certificate is for, as its subject alternative name says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum San {
    /// A URI: a workload (Flareo's builder, a CI job), e.g.
    /// `https://flareo.example/builders/v1`.
    Uri(String),
    /// An e-mail address a person's identity provider verified.
    Email(String),
}

impl San {
    /// The name itself.
    pub fn as_str(&self) -> &str {
        match self {
            San::Uri(s) | San::Email(s) => s,
        }
    }
}

impl std::fmt::Display for San {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whom a leaf certificate is issued to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The identity (the certificate's only SAN).
    pub san: San,
    /// The OIDC issuer the identity is vouched by.
    pub issuer: String,
    /// Extra Sigstore extensions: (OID, value), each written as a DER UTF8String.
    pub extras: Vec<(String, String)>,
}

/// The embedded CA: a root key pair and its self-signed certificate.
#[derive(Clone, Debug)]
pub struct Ca {
    key: KeyPair,
    root_der: Vec<u8>,
}

/// A profile that writes exactly the names and extensions it is given.
struct Exact {
    issuer: Name,
    subject: Name,
    extensions: Vec<Extension>,
}

impl BuilderProfile for Exact {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }
    fn get_subject(&self) -> Name {
        self.subject.clone()
    }
    fn build_extensions(
        &self,
        _spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        _tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        Ok(self.extensions.clone())
    }
}

fn ext<T: Encode>(oid: ObjectIdentifier, critical: bool, value: &T) -> Result<Extension, CaError> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der().map_err(enc("extension"))?)
            .map_err(enc("extension"))?,
    })
}

fn oid(s: &str) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(s)
}

fn key_identifier(public: &PublicKey) -> Result<OctetString, CaError> {
    // RFC 7093 method 1: the leftmost 160 bits of SHA-256 of the key.
    OctetString::new(&public.key_id()[..20]).map_err(enc("key identifier"))
}

fn spki(public: &PublicKey) -> Result<SubjectPublicKeyInfo, CaError> {
    SubjectPublicKeyInfo::from_der(&public.spki_der()).map_err(enc("public key"))
}

fn validity(not_before: SystemTime, lifetime: Duration) -> Result<Validity, CaError> {
    Ok(Validity::new(
        Time::try_from(not_before).map_err(enc("validity"))?,
        Time::try_from(not_before + lifetime).map_err(enc("validity"))?,
    ))
}

fn serial() -> Result<SerialNumber, CaError> {
    let mut bytes = KeyPair::generate().public().key_id()[..16].to_vec();
    bytes[0] &= 0x7f; // positive
    SerialNumber::new(&bytes).map_err(enc("serial number"))
}

fn build(
    profile: Exact,
    validity: Validity,
    public: &PublicKey,
    serial: SerialNumber,
    signer: &KeyPair,
) -> Result<Vec<u8>, CaError> {
    let builder =
        CertificateBuilder::new(profile, serial, validity, spki(public)?).map_err(|e| {
            CaError::Encoding {
                what: "building",
                reason: e.to_string(),
            }
        })?;
    let cert = builder
        .build::<_, p256::ecdsa::DerSignature>(signer.signing_key())
        .map_err(|e| CaError::Encoding {
            what: "signing",
            reason: e.to_string(),
        })?;
    cert.to_der().map_err(enc("encoding"))
}

impl Ca {
    /// A new root named `common_name` (organisation "Flareo"), valid from `now` for
    /// `lifetime`, self-signed by `key`.
    pub fn create(
        key: KeyPair,
        common_name: &str,
        now: SystemTime,
        lifetime: Duration,
    ) -> Result<Self, CaError> {
        let name =
            Name::from_str(&format!("CN={common_name},O=Flareo")).map_err(enc("root name"))?;
        let public = key.public();
        let ski = key_identifier(&public)?;
        let extensions = vec![
            ext(
                oid("2.5.29.19"),
                true,
                &BasicConstraints {
                    ca: true,
                    path_len_constraint: Some(0),
                },
            )?,
            ext(
                oid("2.5.29.15"),
                true,
                &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign),
            )?,
            ext(oid("2.5.29.14"), false, &SubjectKeyIdentifier(ski))?,
        ];
        let profile = Exact {
            issuer: name.clone(),
            subject: name,
            extensions,
        };
        let root_der = build(profile, validity(now, lifetime)?, &public, serial()?, &key)?;
        Ok(Self { key, root_der })
    }

    /// A CA from its stored key and root certificate (PEM); checks they belong together.
    pub fn from_parts(key: KeyPair, root_pem: &str) -> Result<Self, CaError> {
        let cert = Certificate::from_pem(root_pem.as_bytes()).map_err(enc("reading the root"))?;
        let root_der = cert.to_der().map_err(enc("reading the root"))?;
        let info = CertInfo::parse(&root_der)?;
        if info.public_key != key.public() {
            return Err(CaError::Malformed(
                "root does not match the CA key: the data directory's ca.key and ca.pem are from different CAs".into(),
            ));
        }
        Ok(Self { key, root_der })
    }

    /// The root certificate, DER.
    pub fn root_der(&self) -> &[u8] {
        &self.root_der
    }

    /// The root certificate, PEM.
    pub fn root_pem(&self) -> String {
        der_to_pem(&self.root_der)
    }

    /// The CA's key (to store it).
    pub fn key(&self) -> &KeyPair {
        &self.key
    }

    /// Issues a code-signing certificate for `subject_key` to `identity`, valid from
    /// `not_before` for `lifetime`. With `ct`, the certificate carries an embedded
    /// SCT signed by that CT log key at `not_before` (RFC 6962 precertificate form).
    pub fn issue(
        &self,
        subject_key: &PublicKey,
        identity: &Identity,
        not_before: SystemTime,
        lifetime: Duration,
        ct: Option<&KeyPair>,
    ) -> Result<Vec<u8>, CaError> {
        let root = Certificate::from_der(&self.root_der).map_err(enc("reading the root"))?;
        let issuer = root.tbs_certificate().subject().clone();
        let name = Ia5String::new(identity.san.as_str()).map_err(|_| {
            CaError::Malformed(format!(
                "identity {:?} is not ASCII (an IA5String)",
                identity.san.as_str()
            ))
        })?;
        let name = match &identity.san {
            San::Uri(_) => GeneralName::UniformResourceIdentifier(name),
            San::Email(_) => GeneralName::Rfc822Name(name),
        };
        let mut extensions = vec![
            ext(
                oid("2.5.29.15"),
                true,
                &KeyUsage(KeyUsages::DigitalSignature.into()),
            )?,
            ext(
                oid("2.5.29.37"),
                false,
                &ExtendedKeyUsage(vec![oid(OID_CODE_SIGNING)]),
            )?,
            ext(
                oid("2.5.29.14"),
                false,
                &SubjectKeyIdentifier(key_identifier(subject_key)?),
            )?,
            ext(
                oid("2.5.29.35"),
                false,
                &AuthorityKeyIdentifier {
                    key_identifier: Some(key_identifier(&self.key.public())?),
                    ..Default::default()
                },
            )?,
            // Empty subject: the SAN is critical (RFC 5280 4.2.1.6), as Fulcio writes it.
            ext(oid("2.5.29.17"), true, &SubjectAltName(vec![name]))?,
            Extension {
                extn_id: oid(OID_ISSUER_V1),
                critical: false,
                extn_value: OctetString::new(identity.issuer.as_bytes()).map_err(enc("issuer"))?,
            },
            ext(oid(OID_ISSUER_V2), false, &utf8(&identity.issuer)?)?,
        ];
        for (o, v) in &identity.extras {
            let id = ObjectIdentifier::new(o)
                .map_err(|_| CaError::Malformed(format!("extension OID {o:?} is not an OID")))?;
            extensions.push(ext(id, false, &utf8(v)?)?);
        }
        let validity = validity(not_before, lifetime)?;
        let serial = serial()?;
        let Some(ct) = ct else {
            let profile = Exact {
                issuer,
                subject: Name::default(),
                extensions,
            };
            return build(profile, validity, subject_key, serial, &self.key);
        };
        // The precertificate TBS is the final TBS without the SCT extension.
        let mut pre = CertificateBuilder::new(
            Exact {
                issuer: issuer.clone(),
                subject: Name::default(),
                extensions: extensions.clone(),
            },
            serial.clone(),
            validity,
            spki(subject_key)?,
        )
        .map_err(|e| CaError::Encoding {
            what: "building",
            reason: e.to_string(),
        })?;
        let tbs = pre
            .finalize(self.key.signing_key())
            .map_err(|e| CaError::Encoding {
                what: "building",
                reason: e.to_string(),
            })?;
        let millis = not_before
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_err(|_| CaError::Malformed("issued before 1970".into()))?
            .as_millis() as u64;
        let list =
            crate::sct::sign_precert(ct, &sha256(&self.key.public().spki_der()), &tbs, millis);
        extensions.push(ext(
            oid(OID_SCT_LIST),
            false,
            &OctetString::new(list).map_err(enc("SCT"))?,
        )?);
        let profile = Exact {
            issuer,
            subject: Name::default(),
            extensions,
        };
        build(profile, validity, subject_key, serial, &self.key)
    }
}

fn utf8(s: &str) -> Result<Utf8StringRef<'_>, CaError> {
    Utf8StringRef::new(s).map_err(enc("UTF8String"))
}

/// DER certificate → PEM.
pub fn der_to_pem(der: &[u8]) -> String {
    Certificate::from_der(der)
        .and_then(|c| c.to_pem(LineEnding::LF))
        .expect("a certificate we hold always re-encodes")
}

/// PEM certificate(s) → DER, in order.
pub fn pem_to_der(pem: &str) -> Result<Vec<Vec<u8>>, CaError> {
    let certs = Certificate::load_pem_chain(pem.as_bytes()).map_err(enc("reading PEM"))?;
    certs
        .iter()
        .map(|c| c.to_der().map_err(enc("reading PEM")))
        .collect()
}

/// What a verifier needs from a certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    /// The subject's key.
    pub public_key: PublicKey,
    /// SAN URIs.
    pub san_uris: Vec<String>,
    /// SAN e-mail addresses.
    pub san_emails: Vec<String>,
    /// The OIDC issuer (v2 extension, else v1), if present.
    pub oidc_issuer: Option<String>,
    /// Validity start and end.
    pub not_before: SystemTime,
    /// Validity end.
    pub not_after: SystemTime,
    /// Whether extended key usage includes code signing.
    pub code_signing: bool,
    /// Whether it is a CA (basic constraints).
    pub is_ca: bool,
    /// Subject and issuer names, for messages.
    pub subject: String,
    /// Issuer name.
    pub issuer: String,
    /// The DER SubjectPublicKeyInfo as the certificate holds it (its SHA-256 is
    /// the issuer key hash of SCTs on certificates this one issues).
    pub spki_der: Vec<u8>,
    /// The embedded SCTs, if the certificate carries the RFC 6962 extension.
    pub embedded_scts: Option<EmbeddedScts>,
    /// The DER TBS (signed part) and the signature over it, to check the chain.
    tbs: Vec<u8>,
    signature: Vec<u8>,
}

/// A certificate's embedded SCT list and what its SCTs sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmbeddedScts {
    /// The TLS-encoded `SignedCertificateTimestampList` (see [`crate::sct::Sct::parse_list`]).
    pub list: Vec<u8>,
    /// The precertificate TBS the SCTs were signed over: the certificate's TBS
    /// (DER) without the SCT extension.
    pub precert_tbs: Vec<u8>,
}

/// `tbs_der` (a DER TBSCertificate) re-encoded without the extension `oid`.
fn tbs_without_extension(tbs_der: &[u8], oid: &ObjectIdentifier) -> Result<Vec<u8>, CaError> {
    use x509_cert::der::asn1::Any;
    use x509_cert::der::{Reader, SliceReader, Tag, TagNumber, Tagged};
    let read = enc("reading the precertificate");
    let tbs = Any::from_der(tbs_der).map_err(&read)?;
    let mut reader = SliceReader::new(tbs.value()).map_err(&read)?;
    let mut body = Vec::with_capacity(tbs_der.len());
    while !reader.is_finished() {
        let field: Any = reader.decode().map_err(&read)?;
        let is_extensions = matches!(
            field.tag(),
            Tag::ContextSpecific { constructed: true, number } if number == TagNumber(3)
        );
        let field = if is_extensions {
            let kept: Vec<Extension> = Vec::<Extension>::from_der(field.value())
                .map_err(&read)?
                .into_iter()
                .filter(|e| &e.extn_id != oid)
                .collect();
            Any::new(field.tag(), kept.to_der().map_err(&read)?).map_err(&read)?
        } else {
            field
        };
        body.extend(field.to_der().map_err(&read)?);
    }
    Any::new(Tag::Sequence, body)
        .and_then(|seq| seq.to_der())
        .map_err(&read)
}

impl CertInfo {
    /// Reads a DER certificate.
    pub fn parse(der: &[u8]) -> Result<Self, CaError> {
        let cert = Certificate::from_der(der).map_err(enc("parsing"))?;
        let tbs = cert.tbs_certificate();
        let spki_der = tbs
            .subject_public_key_info()
            .to_der()
            .map_err(enc("parsing"))?;
        let public_key =
            PublicKey::from_spki_der(&spki_der).map_err(|e| CaError::Key(e.to_string()))?;
        let mut info = CertInfo {
            public_key,
            san_uris: vec![],
            san_emails: vec![],
            oidc_issuer: None,
            not_before: tbs.validity().not_before.to_system_time(),
            not_after: tbs.validity().not_after.to_system_time(),
            code_signing: false,
            is_ca: false,
            subject: tbs.subject().to_string(),
            issuer: tbs.issuer().to_string(),
            spki_der,
            embedded_scts: None,
            tbs: tbs.to_der().map_err(enc("parsing"))?,
            signature: cert.signature().raw_bytes().to_vec(),
        };
        let mut v1 = None;
        for e in tbs.extensions().map(|v| v.as_slice()).unwrap_or_default() {
            let value = e.extn_value.as_bytes();
            match e.extn_id.to_string().as_str() {
                "2.5.29.17" => {
                    let san = SubjectAltName::from_der(value).map_err(enc("reading the SAN"))?;
                    for n in san.0 {
                        match n {
                            GeneralName::UniformResourceIdentifier(u) => {
                                info.san_uris.push(u.to_string())
                            }
                            GeneralName::Rfc822Name(m) => info.san_emails.push(m.to_string()),
                            _ => {}
                        }
                    }
                }
                "2.5.29.37" => {
                    let eku = ExtendedKeyUsage::from_der(value).map_err(enc("reading EKU"))?;
                    info.code_signing = eku.0.contains(&oid(OID_CODE_SIGNING));
                }
                "2.5.29.19" => {
                    info.is_ca = BasicConstraints::from_der(value)
                        .map_err(enc("reading basic constraints"))?
                        .ca;
                }
                OID_ISSUER_V2 => {
                    let s = Utf8StringRef::from_der(value).map_err(enc("reading the issuer"))?;
                    info.oidc_issuer = Some(s.as_str().to_string());
                }
                OID_ISSUER_V1 => v1 = Some(String::from_utf8_lossy(value).into_owned()),
                OID_SCT_LIST => {
                    let list = OctetString::from_der(value).map_err(enc("reading the SCT list"))?;
                    info.embedded_scts = Some(EmbeddedScts {
                        list: list.as_bytes().to_vec(),
                        precert_tbs: tbs_without_extension(&info.tbs, &e.extn_id)?,
                    });
                }
                _ => {}
            }
        }
        if info.oidc_issuer.is_none() {
            info.oidc_issuer = v1;
        }
        Ok(info)
    }

    /// Checks this certificate's signature with `issuer`'s key.
    pub fn verify_issued_by(&self, issuer: &CertInfo) -> Result<(), CaError> {
        issuer
            .public_key
            .verify(&self.tbs, &self.signature)
            .map_err(|_| CaError::NotIssuedBy {
                issuer: issuer.subject.clone(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Identity {
        Identity {
            san: San::Uri("https://flareo.local/builders/v1".into()),
            issuer: "https://flareo.local/oidc".into(),
            extras: vec![(OID_SOURCE_REPOSITORY_REF.into(), "v1.0.0".into())],
        }
    }

    #[test]
    fn issues_fulcio_style_leaves_that_chain_to_the_root() {
        let now = SystemTime::now();
        let ca = Ca::create(
            KeyPair::generate(),
            "Flareo test root",
            now,
            Duration::from_secs(86400),
        )
        .unwrap();
        let root = CertInfo::parse(ca.root_der()).unwrap();
        assert!(root.is_ca);
        root.verify_issued_by(&root).unwrap();
        let leaf_key = KeyPair::generate();
        for ct in [None, Some(KeyPair::generate())] {
            let der = ca
                .issue(
                    &leaf_key.public(),
                    &identity(),
                    now,
                    Duration::from_secs(600),
                    ct.as_ref(),
                )
                .unwrap();
            let leaf = CertInfo::parse(&der).unwrap();
            assert_eq!(leaf.public_key, leaf_key.public());
            assert_eq!(
                leaf.san_uris,
                vec!["https://flareo.local/builders/v1".to_string()]
            );
            assert_eq!(
                leaf.oidc_issuer.as_deref(),
                Some("https://flareo.local/oidc")
            );
            assert!(leaf.code_signing && !leaf.is_ca);
            assert_eq!(
                leaf.not_after
                    .duration_since(leaf.not_before)
                    .unwrap()
                    .as_secs(),
                600
            );
            leaf.verify_issued_by(&root).unwrap();
            let stranger =
                Ca::create(KeyPair::generate(), "other", now, Duration::from_secs(60)).unwrap();
            let other = CertInfo::parse(stranger.root_der()).unwrap();
            assert!(matches!(
                leaf.verify_issued_by(&other),
                Err(CaError::NotIssuedBy { .. })
            ));
        }
        let again = Ca::from_parts(ca.key().clone(), &ca.root_pem()).unwrap();
        assert_eq!(again.root_der(), ca.root_der());
        assert!(Ca::from_parts(KeyPair::generate(), &ca.root_pem()).is_err());
    }
}

#[cfg(test)]
mod sct_tests {
    use super::*;
    use crate::sct::{Sct, SctError};

    #[test]
    fn embedded_scts_verify_over_the_precertificate_and_issuer() {
        let now = SystemTime::now();
        let day = Duration::from_secs(86400);
        let ca = Ca::create(KeyPair::generate(), "Flareo test root", now, day).unwrap();
        let root = CertInfo::parse(ca.root_der()).unwrap();
        assert_eq!(root.embedded_scts, None);
        assert_eq!(sha256(&root.spki_der), ca.key().public().key_id());
        let identity = Identity {
            san: San::Uri("https://flareo.local/builders/v1".into()),
            issuer: "https://flareo.local".into(),
            extras: vec![],
        };
        let leaf_key = KeyPair::generate().public();
        let plain = ca.issue(&leaf_key, &identity, now, day, None).unwrap();
        assert_eq!(CertInfo::parse(&plain).unwrap().embedded_scts, None);

        let ct = KeyPair::generate();
        let der = ca.issue(&leaf_key, &identity, now, day, Some(&ct)).unwrap();
        let leaf = CertInfo::parse(&der).unwrap();
        let embedded = leaf.embedded_scts.clone().expect("an embedded SCT");
        assert!(embedded.precert_tbs.len() < leaf.tbs.len());
        let scts = Sct::parse_list(&embedded.list).unwrap();
        assert_eq!(scts[0].log_id, ct.public().key_id());
        let issuer_hash = sha256(&root.spki_der);
        scts[0]
            .verify(&ct.public(), &issuer_hash, &embedded.precert_tbs)
            .unwrap();
        // The final TBS (with the SCT) is not what was signed, nor is another issuer.
        assert!(matches!(
            scts[0].verify(&ct.public(), &issuer_hash, &leaf.tbs),
            Err(SctError::BadSignature { .. })
        ));
        let other = sha256(&KeyPair::generate().public().spki_der());
        assert!(
            scts[0]
                .verify(&ct.public(), &other, &embedded.precert_tbs)
                .is_err()
        );
        // Without an SCT extension, re-encoding gives back the same TBS.
        let plain_info = CertInfo::parse(&plain).unwrap();
        assert_eq!(
            tbs_without_extension(&plain_info.tbs, &oid(OID_SCT_LIST)).unwrap(),
            plain_info.tbs
        );
    }
}
