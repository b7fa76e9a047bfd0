//! Mode 3 (keyless through Fulcio and Rekor URLs) for real, over HTTP: instance A
//! runs the whole application with its Fulcio-compatible endpoint trusting an
//! OIDC issuer (oauth2-mock-server, real RS256 JWTs); instance B, configured with
//! `mode: sigstore` pointing at A, signs an image, its provenance and SBOM. The
//! result verifies with Flareo's verifier and with sigstore-python against A's
//! trust root, under the token's identity; every entry is in A's log; and each
//! bad token or request is refused with its own message.

use std::path::PathBuf;
use std::sync::Arc;

use flareo_attest::bundle::Bundle;
use flareo_attest::ca::{CertInfo, Identity};
use flareo_attest::fulcio::CertificateRequest;
use flareo_attest::intoto::SLSA_PROVENANCE_V1;
use flareo_attest::keys::{KeyPair, sha256};
use flareo_attest::trust_root::TrustRoot;
use flareo_attest::verify::{self, Policy};
use flareo_server::api::AppState;
use flareo_server::fulcio::OidcIssuer;
use flareo_server::signing::{SigningMode, ToSign, sign_build};
use flareo_server::{Config, Db};
use flareo_testkit::sigstore_verify;
use serde_json::{Value, json};

mod support;

const DOMAIN: &str = "https://ci.flareo.test";

/// A whole Flareo application on a free port.
struct Instance {
    url: String,
    config: Config,
    db: Db,
    _dir: tempfile::TempDir,
}

/// Starts an instance whose signing config is `signing` (public URL filled in).
async fn start(signing: flareo_server::signing::SigningConfig) -> Instance {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.operator.data_dir = Some(dir.path().to_path_buf());
    config.server.signing = signing;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    config.server.public_url = Some(url.clone());
    let db = Db::open(&config.database_url()).await.unwrap();
    let setup = flareo_server::signing::setup(&config, &db).unwrap();
    let state = AppState {
        db: db.clone(),
        store: flareo_oci::BlobStore::local(&dir.path().join("blobs")).unwrap(),
        config: Arc::new(config.clone()),
        metrics: flareo_server::app::metrics_handle(),
        log: setup.log.clone(),
        trust_root: Some(Arc::new(setup.trust_root.clone())),
        fulcio: setup.fulcio.clone(),
    };
    support::serve(listener, state);
    Instance {
        url,
        config,
        db,
        _dir: dir,
    }
}

async fn get(url: &str) -> Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

fn what<'a>(digest: &'a str, builder: &str) -> ToSign<'a> {
    ToSign {
        reference: "flareo.test/demo",
        digest,
        media_type: flareo_attest::cosign::OCI_MANIFEST,
        size: 80,
        facts: support::facts(
            digest.trim_start_matches("sha256:"),
            builder,
            "https://b.flareo.test",
        ),
        sbom: json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": []}),
        vex: None,
    }
}

/// Posts a Fulcio request body to A; the status and error message.
async fn post_cert(a: &Instance, body: &Value) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(format!("{}/api/v2/signingCert", a.url))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    (
        status,
        v["message"].as_str().unwrap_or_default().to_string(),
    )
}

/// Instance B: `mode: sigstore` at A's Fulcio and Rekor URLs, reading its
/// identity token from `token_file` and trusting A's root (`trust_file`).
struct KeylessSigner {
    b: Instance,
    setup: flareo_server::signing::SigningSetup,
    token_file: PathBuf,
    trust_file: PathBuf,
    dir: tempfile::TempDir,
}

/// Starts B with `token` in its token file and A's trust root `trust_json`.
async fn keyless_signer(a: &Instance, trust_json: &Value, token: String) -> KeylessSigner {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, token).unwrap();
    let trust_file = dir.path().join("trust.json");
    std::fs::write(&trust_file, trust_json.to_string()).unwrap();
    let b = start(flareo_server::signing::SigningConfig {
        mode: SigningMode::Sigstore,
        fulcio_url: Some(a.url.clone()),
        rekor_url: Some(a.url.clone()),
        oidc_token_file: Some(token_file.clone()),
        trusted_root: Some(trust_file.clone()),
        ..Default::default()
    })
    .await;
    let setup = flareo_server::signing::setup(&b.config, &b.db).unwrap();
    KeylessSigner {
        b,
        setup,
        token_file,
        trust_file,
        dir,
    }
}

impl KeylessSigner {
    /// Runs both independent verifiers (sigstore-python, sigstore-js) on the image
    /// signature `sig` of `signed`, offline against A's trust root.
    fn independent_verify(
        &self,
        signed: &flareo_server::signing::SignedBuild,
        sig: &Bundle,
        identity: &str,
        issuer: &str,
    ) -> Result<String, String> {
        let payload = self.dir.path().join("payload.json");
        std::fs::write(&payload, &signed.payload).unwrap();
        let sig_file = self.dir.path().join("sig.bundle.json");
        std::fs::write(&sig_file, sig.to_json().to_string()).unwrap();
        sigstore_verify(
            &self.trust_file,
            &sig_file,
            identity,
            issuer,
            payload.to_str().unwrap(),
        )
    }
}

#[tokio::test]
async fn an_instance_signs_keylessly_through_another_instances_fulcio_and_rekor() {
    let issuer = flareo_testkit::OidcIssuer::start();
    let stranger = flareo_testkit::OidcIssuer::start();
    let a = start(flareo_server::signing::SigningConfig {
        oidc_issuers: vec![OidcIssuer {
            url: issuer.url(),
            audience: "sigstore".into(),
            kind: flareo_server::fulcio::IssuerType::Uri,
            subject_domain: Some(DOMAIN.into()),
            jwks_url: None,
        }],
        ..Default::default()
    })
    .await;

    // A publishes what it accepts and its trust material.
    let config = get(&format!("{}/api/v2/configuration", a.url)).await;
    assert_eq!(config["issuers"][0]["issuerUrl"], issuer.url());
    assert_eq!(config["issuers"][0]["audience"], "sigstore");
    let bundle_roots = get(&format!("{}/api/v2/trustBundle", a.url)).await;
    let trust_json = get(&format!("{}/api/v1/trust-root", a.url)).await;
    let trust = TrustRoot::from_json(&trust_json).unwrap();
    assert_eq!(
        flareo_attest::ca::pem_to_der(
            bundle_roots["chains"][0]["certificates"][0]
                .as_str()
                .unwrap()
        )
        .unwrap()[0],
        trust.certificate_authorities[0].1[0]
    );

    // B: mode sigstore at A's URLs, a token file, A's trust root.
    let subject = format!("{DOMAIN}/workers/b-1");
    let k = keyless_signer(&a, &trust_json, issuer.token(&subject, "sigstore", 600)).await;
    let (b, b_setup, token_file) = (&k.b, &k.setup, &k.token_file);
    // B hands verifiers A's trust root.
    let served = get(&format!("{}/api/v1/trust-root", b.url)).await;
    assert_eq!(
        TrustRoot::from_json(&served)
            .unwrap()
            .certificate_authorities,
        trust.certificate_authorities
    );

    let builder = format!("{}/builders/v1", b.url);
    let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}"#;
    let digest = verify::digest_of(manifest);
    let ignored = Identity {
        san: flareo_attest::ca::San::Uri(builder.clone()),
        issuer: b.url.clone(),
        extras: vec![],
    };
    let signed = sign_build(b_setup.signer.as_ref(), &ignored, &what(&digest, &builder))
        .await
        .unwrap();
    // Logged in A's log (B's own log is untouched).
    assert_eq!(signed.log_indexes, vec![0, 1, 2]);
    let a_log = get(&format!("{}/api/v1/log", a.url)).await;
    assert_eq!(a_log["treeSize"], 3, "{a_log}");
    let b_log = get(&format!("{}/api/v1/log", b.url)).await;
    assert_eq!(b_log["treeSize"], 0, "{b_log}");

    // Logging an entry A already has answers with the existing one (409 + Location).
    let (_, sig_json) = signed.bundles.iter().find(|(p, _)| p.is_empty()).unwrap();
    let first = Bundle::from_json(sig_json).unwrap().tlog_entries[0].clone();
    let again: Value = serde_json::from_slice(&first.canonicalized_body).unwrap();
    let existing = b_setup.signer.log(&again).await.unwrap();
    assert_eq!(existing.log_index, first.log_index);
    assert_eq!(existing.canonicalized_body, first.canonicalized_body);

    // The certificate names the token's subject and issuer.
    let (_, sig) = signed.bundles.iter().find(|(p, _)| p.is_empty()).unwrap();
    let sig = Bundle::from_json(sig).unwrap();
    let leaf = CertInfo::parse(sig.certificate.as_ref().unwrap()).unwrap();
    assert_eq!(leaf.san_uris, vec![subject.clone()]);
    assert_eq!(leaf.oidc_issuer.as_deref(), Some(issuer.url().as_str()));

    // Flareo's verifier, under the token identity; provenance names B's builder.
    let policy = Policy {
        identity: Some(subject.clone()),
        issuer: Some(issuer.url()),
        key: None,
    };
    verify::verify_bundle(&sig, &trust, Some(&sha256(&signed.payload)), &policy).unwrap();
    let (_, prov) = signed
        .bundles
        .iter()
        .find(|(p, _)| p == SLSA_PROVENANCE_V1)
        .unwrap();
    let v =
        verify::verify_bundle(&Bundle::from_json(prov).unwrap(), &trust, None, &policy).unwrap();
    let (t, p) = verify::check_statement(&v.payload, &digest).unwrap();
    verify::check_provenance(&t, &p, &builder).unwrap();

    // sigstore-python and sigstore-js, offline, against A's trust root.
    if let Err(out) = k.independent_verify(&signed, &sig, &subject, &issuer.url()) {
        panic!("an independent verifier refused the keyless signature:\n{out}");
    }

    // Refusals, each with its reason, through B's signer (token file rewritten)...
    let refused = |token: String| {
        std::fs::write(token_file, token).unwrap();
        let signer = b_setup.signer.clone();
        let ignored = ignored.clone();
        async move { signer.begin(&ignored).await.err().unwrap().to_string() }
    };
    let e = refused(issuer.token(&subject, "other-audience", 600)).await;
    assert!(
        e.contains("401") && e.contains("audience (aud) is not \"sigstore\""),
        "{e}"
    );
    let e = refused(stranger.token(&subject, "sigstore", 600)).await;
    assert!(
        e.contains(&format!(
            "identity tokens from {} are not accepted here (accepted issuers: {})",
            stranger.url(),
            issuer.url()
        )),
        "{e}"
    );
    let e = refused(issuer.token("https://elsewhere.test/w", "sigstore", 600)).await;
    assert!(
        e.contains("is not a URI under https://ci.flareo.test"),
        "{e}"
    );
    let e = refused(issuer.token(&subject, "sigstore", -120)).await;
    assert!(
        e.contains("expired at") && e.contains("must refresh it"),
        "{e}"
    );
    std::fs::remove_file(token_file).unwrap();
    let e = refused_without_file(b_setup).await;
    assert!(e.contains("reading the identity token from"), "{e}");

    // ... and directly at A's endpoint.
    let key = KeyPair::generate();
    let expired = issuer.token(&subject, "sigstore", -120);
    let (status, m) = post_cert(
        &a,
        &CertificateRequest::new(&expired, &key, &subject).to_json(),
    )
    .await;
    assert_eq!(status, 401, "{m}");
    assert!(m.contains("expired at"), "{m}");
    let good = issuer.token(&subject, "sigstore", 600);
    let wrong_pop = CertificateRequest::new(&good, &key, "https://ci.flareo.test/someone-else");
    let (status, m) = post_cert(&a, &wrong_pop.to_json()).await;
    assert_eq!(status, 400, "{m}");
    assert!(m.contains("proof of possession does not verify"), "{m}");
    // One character of the signature changed (not the last: its spare bits).
    let mut tampered = good.clone().into_bytes();
    let at = tampered.len() - 10;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let (status, m) = post_cert(
        &a,
        &CertificateRequest::new(&tampered, &key, &subject).to_json(),
    )
    .await;
    assert_eq!(status, 401, "{m}");
    assert!(m.contains("signature does not verify"), "{m}");
    let (status, m) = post_cert(&a, &json!({"publicKeyRequest": {}})).await;
    assert_eq!(status, 400, "{m}");
    assert!(m.contains("oidcIdentityToken is missing"), "{m}");
}

async fn refused_without_file(setup: &flareo_server::signing::SigningSetup) -> String {
    let id = Identity {
        san: flareo_attest::ca::San::Uri("x".into()),
        issuer: "y".into(),
        extras: vec![],
    };
    setup.signer.begin(&id).await.err().unwrap().to_string()
}

#[tokio::test]
async fn sigstore_mode_needs_its_urls_and_trust_root() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.operator.data_dir = Some(dir.path().to_path_buf());
    let db = Db::open(&config.database_url()).await.unwrap();
    let mut check = |signing: flareo_server::signing::SigningConfig, want: &str| {
        config.server.signing = signing;
        let e = flareo_server::signing::setup(&config, &db)
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{e} (wanted {want:?})");
    };
    let sigstore = flareo_server::signing::SigningConfig {
        mode: SigningMode::Sigstore,
        ..Default::default()
    };
    check(sigstore.clone(), "mode: sigstore needs fulcio_url");
    let with_urls = flareo_server::signing::SigningConfig {
        fulcio_url: Some("https://fulcio.example".into()),
        rekor_url: Some("https://rekor.example".into()),
        ..sigstore
    };
    check(with_urls.clone(), "mode: sigstore needs trusted_root");
    let bad_root = dir.path().join("root.json");
    std::fs::write(&bad_root, "{\"mediaType\": \"x\"}").unwrap();
    check(
        flareo_server::signing::SigningConfig {
            trusted_root: Some(bad_root),
            ..with_urls
        },
        "is neither a client trust config nor a trusted root",
    );
}

/// A person's identity: an issuer of `type: email` certifies the token's verified
/// e-mail address (SAN e-mail, challenge the address), which both verifiers
/// accept as the identity; an unverified address is refused, and the issuer
/// config must say what it needs.
#[tokio::test]
async fn verified_email_identities_sign_keylessly() {
    let people = flareo_testkit::OidcIssuer::start();
    let issuer = |kind, subject_domain: Option<&str>| OidcIssuer {
        url: people.url(),
        audience: "sigstore".into(),
        kind,
        subject_domain: subject_domain.map(str::to_string),
        jwks_url: None,
    };
    use flareo_server::fulcio::IssuerType;
    let a = start(flareo_server::signing::SigningConfig {
        oidc_issuers: vec![issuer(IssuerType::Email, None)],
        ..Default::default()
    })
    .await;
    let config = get(&format!("{}/api/v2/configuration", a.url)).await;
    assert_eq!(config["issuers"][0]["challengeClaim"], "email");
    let trust_json = get(&format!("{}/api/v1/trust-root", a.url)).await;
    let trust = TrustRoot::from_json(&trust_json).unwrap();

    let email = "dev@example.test";
    let token = people.email_token("uid-12345", email, true, "sigstore");
    let k = keyless_signer(&a, &trust_json, token).await;
    let (b, b_setup, token_file) = (&k.b, &k.setup, &k.token_file);
    let builder = format!("{}/builders/v1", b.url);
    let digest = verify::digest_of(b"{\"schemaVersion\":2}");
    let ignored = Identity {
        san: flareo_attest::ca::San::Uri(builder.clone()),
        issuer: b.url.clone(),
        extras: vec![],
    };
    let signed = sign_build(b_setup.signer.as_ref(), &ignored, &what(&digest, &builder))
        .await
        .unwrap();
    let (_, sig) = signed.bundles.iter().find(|(p, _)| p.is_empty()).unwrap();
    let sig = Bundle::from_json(sig).unwrap();
    let leaf = CertInfo::parse(sig.certificate.as_ref().unwrap()).unwrap();
    assert_eq!(leaf.san_emails, vec![email.to_string()]);
    assert!(leaf.san_uris.is_empty(), "{:?}", leaf.san_uris);

    let policy = |identity: &str| Policy {
        identity: Some(identity.into()),
        issuer: Some(people.url()),
        key: None,
    };
    verify::verify_bundle(&sig, &trust, Some(&sha256(&signed.payload)), &policy(email)).unwrap();
    let e = verify::verify_bundle(&sig, &trust, None, &policy("uid-12345"))
        .unwrap_err()
        .to_string();
    assert!(e.contains(email), "{e}");
    if let Err(out) = k.independent_verify(&signed, &sig, email, &people.url()) {
        panic!("an independent verifier refused the e-mail identity:\n{out}");
    }

    // An address the provider has not verified, or none at all: no certificate.
    std::fs::write(
        token_file,
        people.email_token("uid-12345", email, false, "sigstore"),
    )
    .unwrap();
    let e = b_setup
        .signer
        .begin(&ignored)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("401") && e.contains("\"dev@example.test\" is not verified"),
        "{e}"
    );
    std::fs::write(token_file, people.token("uid-12345", "sigstore", 600)).unwrap();
    let e = b_setup
        .signer
        .begin(&ignored)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("has no email claim"), "{e}");

    // The issuer config says what each type needs.
    for (kind, domain, wanted) in [
        (IssuerType::Uri, None, "type uri needs subject_domain"),
        (
            IssuerType::Email,
            Some(DOMAIN),
            "type email takes no subject_domain",
        ),
    ] {
        let mut config = a.config.clone();
        config.server.signing.oidc_issuers = vec![issuer(kind, domain)];
        let e = flareo_server::signing::setup(&config, &a.db)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains(wanted), "{e}");
    }
}
