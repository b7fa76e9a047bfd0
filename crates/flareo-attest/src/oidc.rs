//! OpenID Connect identity tokens as a Fulcio-style CA takes them: read the
//! (unverified) issuer to pick its keys, verify the JWS against the issuer's JWKS
//! with issuer, audience, expiry and not-before checked, and turn the verified
//! claims into the certificate identity and the proof-of-possession challenge
//! (the claim the requester must sign with the key to be certified).

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation, errors::ErrorKind};
use serde::Deserialize;

use crate::ca::San;

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// Not a compact JWS with a JSON header and claims.
    #[error("the identity token is not a JWT: {0}")]
    Malformed(String),
    /// The issuer is not one this CA accepts.
    #[error("identity tokens from {issuer} are not accepted here (accepted issuers: {accepted})")]
    UntrustedIssuer {
        /// The token's `iss`.
        issuer: String,
        /// The configured issuers, comma-separated (or "none").
        accepted: String,
    },
    /// The header names a key the issuer does not publish.
    #[error(
        "the identity token is signed with key id {kid:?}, which {issuer} does not publish in its JWKS"
    )]
    UnknownKey {
        /// The issuer.
        issuer: String,
        /// The header's `kid` (empty when absent).
        kid: String,
    },
    /// Signature, expiry, audience or another check failed.
    #[error("the identity token from {issuer} is invalid: {reason}")]
    Invalid {
        /// The issuer.
        issuer: String,
        /// What failed, in words.
        reason: String,
    },
    /// The claims do not give an identity of the issuer's kind.
    #[error("the identity token from {issuer} names no usable identity: {reason}")]
    NoIdentity {
        /// The issuer.
        issuer: String,
        /// What is missing or wrong.
        reason: String,
    },
}

/// The claims Flareo reads from a verified token.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The issuer.
    pub iss: String,
    /// The subject (required: a missing one is refused by [`verify`]).
    #[serde(default)]
    pub sub: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// An e-mail address, when the issuer vouches for one.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether the issuer verified `email`.
    #[serde(default)]
    pub email_verified: Option<bool>,
}

/// How an issuer's tokens map to a certificate identity (Fulcio's issuer types).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IssuerKind {
    /// Workload identities: `sub` is a URI whose scheme and host are those of
    /// `subject_domain`; it becomes the SAN URI and is the challenge.
    Uri {
        /// e.g. `https://ci.example.com`.
        subject_domain: String,
    },
    /// People: the `email` claim, which the issuer must have verified
    /// (`email_verified: true`), becomes the SAN e-mail and is the challenge.
    Email,
}

impl IssuerKind {
    /// The claim a requester signs as proof of possession (Fulcio's
    /// `challengeClaim`).
    pub fn challenge_claim(&self) -> &'static str {
        match self {
            IssuerKind::Uri { .. } => "sub",
            IssuerKind::Email => "email",
        }
    }
}

/// The issuer named by `token`, read without verifying anything (to choose which
/// issuer's keys to verify it with).
pub fn peek_issuer(token: &str) -> Result<String, OidcError> {
    peek(token).map(|c| c.iss)
}

/// The value a client signs as proof of possession for `token` (read without
/// verification): the e-mail address when the token carries a verified one, else
/// the subject — what Sigstore clients sign.
pub fn challenge_of(token: &str) -> Result<String, OidcError> {
    let c = peek(token)?;
    Ok(match (c.email, c.email_verified) {
        (Some(email), Some(true)) => email,
        _ => c.sub,
    })
}

/// The token's claims, unverified.
pub fn peek(token: &str) -> Result<Claims, OidcError> {
    jsonwebtoken::dangerous::insecure_decode::<Claims>(token)
        .map(|d| d.claims)
        .map_err(|e| OidcError::Malformed(e.to_string()))
}

/// Verifies `token` from `issuer` against the issuer's `jwks` (its JWKS document)
/// for `audience`: signature, `iss`, `aud`, `exp` and `nbf` (60 s leeway), and a
/// `sub`. Returns the claims.
pub fn verify(
    token: &str,
    jwks: &serde_json::Value,
    issuer: &str,
    audience: &str,
) -> Result<Claims, OidcError> {
    let header =
        jsonwebtoken::decode_header(token).map_err(|e| OidcError::Malformed(e.to_string()))?;
    let set: JwkSet = serde_json::from_value(jwks.clone()).map_err(|e| OidcError::Invalid {
        issuer: issuer.into(),
        reason: format!("the issuer's JWKS cannot be read: {e}"),
    })?;
    let kid = header.kid.clone().unwrap_or_default();
    let jwk = match &header.kid {
        Some(kid) => set.find(kid),
        None if set.keys.len() == 1 => set.keys.first(),
        None => None,
    }
    .ok_or_else(|| OidcError::UnknownKey {
        issuer: issuer.into(),
        kid: kid.clone(),
    })?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| OidcError::Invalid {
        issuer: issuer.into(),
        reason: format!("key {kid:?} in the issuer's JWKS is unusable: {e}"),
    })?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| {
        let reason = match e.kind() {
            ErrorKind::ExpiredSignature => {
                let exp = peek(token).map(|c| c.exp).unwrap_or_default();
                format!("it expired at {exp} (seconds since the epoch); get a fresh token")
            }
            ErrorKind::ImmatureSignature => "it is not valid yet (nbf is in the future)".into(),
            ErrorKind::InvalidAudience => {
                format!(
                    "its audience (aud) is not {audience:?}; request the token for that audience"
                )
            }
            ErrorKind::InvalidIssuer => format!("its iss is not {issuer:?}"),
            ErrorKind::InvalidSignature => {
                format!("its signature does not verify with key {kid:?} of the issuer")
            }
            ErrorKind::MissingRequiredClaim(c) => format!("it has no {c} claim"),
            ErrorKind::InvalidAlgorithm => {
                format!("its algorithm {:?} does not match key {kid:?}", header.alg)
            }
            _ => e.to_string(),
        };
        OidcError::Invalid {
            issuer: issuer.into(),
            reason,
        }
    })?;
    Ok(data.claims)
}

/// The certificate identity and the proof-of-possession challenge for verified
/// `claims` from an issuer of `kind`.
pub fn identity(kind: &IssuerKind, claims: &Claims) -> Result<(San, String), OidcError> {
    match kind {
        IssuerKind::Email => match (&claims.email, claims.email_verified) {
            (Some(email), Some(true)) if email.contains('@') && email.is_ascii() => {
                Ok((San::Email(email.clone()), email.clone()))
            }
            (Some(email), Some(true)) => Err(OidcError::NoIdentity {
                issuer: claims.iss.clone(),
                reason: format!("its email {email:?} is not an ASCII e-mail address"),
            }),
            (Some(email), _) => Err(OidcError::NoIdentity {
                issuer: claims.iss.clone(),
                reason: format!("its email {email:?} is not verified (email_verified is not true)"),
            }),
            (None, _) => Err(OidcError::NoIdentity {
                issuer: claims.iss.clone(),
                reason: "it has no email claim, which this issuer's certificates are for".into(),
            }),
        },
        IssuerKind::Uri { subject_domain } => {
            let origin = |s: &str| -> Option<String> {
                let (scheme, rest) = s.split_once("://")?;
                let host = rest.split(['/', '?', '#']).next()?;
                (!host.is_empty() && matches!(scheme, "https" | "http" | "spiffe"))
                    .then(|| format!("{scheme}://{host}").to_ascii_lowercase())
            };
            match (origin(&claims.sub), origin(subject_domain)) {
                (Some(a), Some(b)) if a == b => {
                    Ok((San::Uri(claims.sub.clone()), claims.sub.clone()))
                }
                _ => Err(OidcError::NoIdentity {
                    issuer: claims.iss.clone(),
                    reason: format!(
                        "its subject {:?} is not a URI under {subject_domain}",
                        claims.sub
                    ),
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyPair;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use serde_json::json;

    const ISS: &str = "https://issuer.test";

    fn jwks(key: &KeyPair, kid: &str) -> serde_json::Value {
        // The SPKI of a P-256 key ends with the uncompressed point 04 || x || y.
        let spki = key.public().spki_der();
        let bytes = &spki[spki.len() - 65..];
        json!({"keys": [{
            "kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
            "x": B64URL.encode(&bytes[1..33]), "y": B64URL.encode(&bytes[33..65]),
        }]})
    }

    fn token(key: &KeyPair, kid: &str, claims: serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid.into());
        let enc = EncodingKey::from_ec_pem(key.to_pem().as_bytes()).unwrap();
        jsonwebtoken::encode(&header, &claims, &enc).unwrap()
    }

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    fn claims(sub: &str, aud: &str, exp: u64) -> serde_json::Value {
        json!({"iss": ISS, "sub": sub, "aud": aud, "exp": exp, "iat": now(), "nbf": now() - 5})
    }

    #[test]
    fn good_tokens_verify_and_map_to_an_identity() {
        let key = KeyPair::generate();
        let t = token(
            &key,
            "k1",
            claims("https://ci.test/workers/7", "sigstore", now() + 600),
        );
        assert_eq!(peek_issuer(&t).unwrap(), ISS);
        assert_eq!(challenge_of(&t).unwrap(), "https://ci.test/workers/7");
        let c = verify(&t, &jwks(&key, "k1"), ISS, "sigstore").unwrap();
        assert_eq!(c.sub, "https://ci.test/workers/7");
        let kind = IssuerKind::Uri {
            subject_domain: "https://CI.test".into(),
        };
        assert_eq!(
            identity(&kind, &c).unwrap(),
            (San::Uri(c.sub.clone()), "https://ci.test/workers/7".into())
        );
        let elsewhere = IssuerKind::Uri {
            subject_domain: "https://other.test".into(),
        };
        let e = identity(&elsewhere, &c).unwrap_err().to_string();
        assert!(e.contains("is not a URI under https://other.test"), "{e}");
    }

    #[test]
    fn each_bad_token_is_refused_with_its_reason() {
        let key = KeyPair::generate();
        let set = jwks(&key, "k1");
        let check = |t: &str, want: &str| {
            let e = verify(t, &set, ISS, "sigstore").unwrap_err().to_string();
            assert!(e.contains(want), "{e} (wanted {want:?})");
        };
        let sub = "https://ci.test/w";
        check(
            &token(&key, "k1", claims(sub, "sigstore", now() - 3600)),
            "expired at",
        );
        check(
            &token(&key, "k1", claims(sub, "other", now() + 600)),
            "audience (aud) is not \"sigstore\"",
        );
        check(
            &token(
                &KeyPair::generate(),
                "k1",
                claims(sub, "sigstore", now() + 600),
            ),
            "signature does not verify with key \"k1\"",
        );
        check(
            &token(&key, "k2", claims(sub, "sigstore", now() + 600)),
            "does not publish in its JWKS",
        );
        let mut wrong_iss = claims(sub, "sigstore", now() + 600);
        wrong_iss["iss"] = json!("https://evil.test");
        check(&token(&key, "k1", wrong_iss), "its iss is not");
        let mut later = claims(sub, "sigstore", now() + 6000);
        later["nbf"] = json!(now() + 3000);
        check(&token(&key, "k1", later), "not valid yet");
        let no_sub = json!({"iss": ISS, "aud": "sigstore", "exp": now() + 600});
        check(&token(&key, "k1", no_sub), "has no sub claim");
        assert!(matches!(
            verify("a.b.c", &set, ISS, "sigstore"),
            Err(OidcError::Malformed(_))
        ));
    }

    #[test]
    fn the_challenge_is_a_verified_email_when_there_is_one() {
        let key = KeyPair::generate();
        let mut c = claims("12345", "sigstore", now() + 600);
        c["email"] = json!("dev@example.test");
        c["email_verified"] = json!(true);
        assert_eq!(
            challenge_of(&token(&key, "k", c.clone())).unwrap(),
            "dev@example.test"
        );
        c["email_verified"] = json!(false);
        assert_eq!(challenge_of(&token(&key, "k", c)).unwrap(), "12345");
    }

    #[test]
    fn email_issuers_certify_verified_addresses_only() {
        let key = KeyPair::generate();
        let set = jwks(&key, "k1");
        let mut c = claims("12345", "sigstore", now() + 600);
        c["email"] = json!("dev@example.test");
        c["email_verified"] = json!(true);
        let verified = verify(&token(&key, "k1", c.clone()), &set, ISS, "sigstore").unwrap();
        assert_eq!(
            identity(&IssuerKind::Email, &verified).unwrap(),
            (
                San::Email("dev@example.test".into()),
                "dev@example.test".into()
            )
        );
        assert_eq!(IssuerKind::Email.challenge_claim(), "email");
        let refused = |c: serde_json::Value| {
            let verified = verify(&token(&key, "k1", c), &set, ISS, "sigstore").unwrap();
            identity(&IssuerKind::Email, &verified)
                .unwrap_err()
                .to_string()
        };
        let mut unverified = c.clone();
        unverified["email_verified"] = json!(false);
        assert!(refused(unverified).contains("is not verified"));
        let mut unsaid = c.clone();
        unsaid.as_object_mut().unwrap().remove("email_verified");
        assert!(refused(unsaid).contains("is not verified"));
        let mut none = c.clone();
        none.as_object_mut().unwrap().remove("email");
        assert!(refused(none).contains("has no email claim"));
        let mut odd = c;
        odd["email"] = json!("dév@example.test");
        assert!(refused(odd).contains("not an ASCII e-mail address"));
    }
}
