//! Signing for real, without a build: the embedded CA and transparency log sign an
//! image, its provenance and SBOM; the results verify with Flareo's verifier,
//! with sigstore-python (offline, against the exported trust config) and with the
//! shared validators (DSSE, SLSA provenance, Rekor entry and checkpoint); and a
//! re-tagged image, a signature from another instance's CA, a forged log entry and
//! a wrong builder each fail with their own message.

use std::path::Path;
use std::sync::Arc;

use flareo_attest::bundle::{Bundle, Content};
use flareo_attest::ca::{CertInfo, Identity};
use flareo_attest::intoto::{CYCLONEDX_PREDICATE, SLSA_PROVENANCE_V1};
use flareo_attest::keys::{hex, sha256};
use flareo_attest::verify::{self, Policy, VerifyError};
use flareo_server::Db;
use flareo_server::signing::{EmbeddedSigner, Material, SignedBuild, ToSign, sign_build};
use flareo_server::transparency::EmbeddedLog;
use flareo_testkit::{sigstore_verify, validate};
use serde_json::{Value, json};

mod support;
use support::facts;

const URL: &str = "http://flareo.test";

fn identity() -> Identity {
    Identity {
        san: flareo_attest::ca::San::Uri(format!("{URL}/builders/v1")),
        issuer: URL.into(),
        extras: vec![],
    }
}

async fn sign(material: &Material, log: Arc<EmbeddedLog>, manifest: &[u8]) -> SignedBuild {
    let signer = EmbeddedSigner::new(material.clone(), log);
    let digest = verify::digest_of(manifest);
    let what = ToSign {
        reference: "flareo.test/demo",
        digest: &digest,
        media_type: flareo_attest::cosign::OCI_MANIFEST,
        size: manifest.len() as u64,
        facts: facts(
            digest.trim_start_matches("sha256:"),
            &format!("{URL}/builders/v1"),
            URL,
        ),
        sbom: json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": []}),
        vex: None,
    };
    sign_build(&signer, &identity(), &what).await.unwrap()
}

fn bundle(signed: &SignedBuild, predicate: &str) -> Bundle {
    let (_, v) = signed.bundles.iter().find(|(p, _)| p == predicate).unwrap();
    Bundle::from_json(v).unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

#[tokio::test]
async fn signed_images_verify_with_flareo_sigstore_python_and_the_validators() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&flareo_testkit::sqlite_url(dir.path()))
        .await
        .unwrap();
    let material = Material::open(&dir.path().join("signing"), "flareo.test").unwrap();
    let log = Arc::new(EmbeddedLog::new(
        db.clone(),
        material.log_key.clone(),
        "flareo.test",
    ));
    let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}"#;
    let digest = verify::digest_of(manifest);
    let signed = sign(&material, log.clone(), manifest).await;
    assert_eq!(signed.log_indexes, vec![0, 1, 2]);
    let trust = material.trust_root(URL);
    let trust_file = write(
        dir.path(),
        "trust.json",
        trust.client_trust_config_json().to_string().as_bytes(),
    );
    let policy = Policy {
        identity: Some(format!("{URL}/builders/v1")),
        issuer: Some(URL.into()),
        key: None,
    };

    // Flareo's own verifier: signature, log, provenance, SBOM.
    let sig = bundle(&signed, "");
    let v = verify::verify_bundle(&sig, &trust, Some(&sha256(&signed.payload)), &policy).unwrap();
    assert_eq!(v.log_index, 0);
    assert_eq!(
        verify::check_simple_signing(&signed.payload, &digest).unwrap(),
        "flareo.test/demo"
    );
    let prov = bundle(&signed, SLSA_PROVENANCE_V1);
    let v = verify::verify_bundle(&prov, &trust, None, &policy).unwrap();
    let (t, p) = verify::check_statement(&v.payload, &digest).unwrap();
    verify::check_provenance(&t, &p, &format!("{URL}/builders/v1")).unwrap();
    let sbom = bundle(&signed, CYCLONEDX_PREDICATE);
    verify::verify_bundle(&sbom, &trust, None, &policy).unwrap();

    // sigstore-python, offline, against the exported trust config.
    let payload = write(dir.path(), "payload.json", &signed.payload);
    let sig_file = write(
        dir.path(),
        "sig.bundle.json",
        sig.to_json().to_string().as_bytes(),
    );
    let prov_file = write(
        dir.path(),
        "prov.bundle.json",
        prov.to_json().to_string().as_bytes(),
    );
    let id = format!("{URL}/builders/v1");
    if let Err(out) = sigstore_verify(
        Path::new(&trust_file),
        Path::new(&sig_file),
        &id,
        URL,
        &payload,
    ) {
        panic!("an independent verifier refused the image signature:\n{out}");
    }
    if let Err(out) = sigstore_verify(
        Path::new(&trust_file),
        Path::new(&prov_file),
        &id,
        URL,
        &digest,
    ) {
        panic!("an independent verifier refused the provenance:\n{out}");
    }

    // The shared validators.
    let leaf = CertInfo::parse(sig.certificate.as_ref().unwrap()).unwrap();
    let leaf_pem = write(dir.path(), "leaf.pem", leaf.public_key.to_pem().as_bytes());
    validate(
        "verify-dsse",
        Path::new(&prov_file),
        &[&leaf_pem, "--payload-type", "application/vnd.in-toto+json"],
    )
    .unwrap_or_else(|o| panic!("verify-dsse: {o}"));
    validate(
        "validate-slsa-provenance",
        Path::new(&prov_file),
        &[
            "--builder-id",
            &id,
            "--subject-digest",
            &digest,
            "--build-type",
            flareo_attest::intoto::FLAREO_BUILD_TYPE,
        ],
    )
    .unwrap_or_else(|o| panic!("validate-slsa-provenance: {o}"));
    let entry = log.entry(1).await.unwrap().unwrap();
    let uuid = log.entry_uuid(&entry);
    let entry_file = write(
        dir.path(),
        "entry.json",
        entry.to_rekor_response(&uuid).to_string().as_bytes(),
    );
    let log_pem = write(
        dir.path(),
        "log.pem",
        material.log_key.public().to_pem().as_bytes(),
    );
    let (code, out) = flareo_testkit::run_validator(
        "verify-merkle-inclusion",
        &["rekor", &entry_file, "--checkpoint-key", &log_pem],
    );
    assert_eq!(code, 0, "{out}");
    // Search by artifact hash finds the image signature's entry.
    let found = log.search(&hex(&sha256(&signed.payload))).await.unwrap();
    assert_eq!(
        found,
        vec![flareo_attest::merkle::leaf_hash(
            &sig.tlog_entries[0].canonicalized_body
        )]
    );

    // A re-tagged image: the signature names another digest.
    let other = verify::digest_of(b"another image");
    let e = verify::check_simple_signing(&signed.payload, &other).unwrap_err();
    assert!(matches!(e, VerifyError::Subject { .. }), "{e}");
    assert!(e.to_string().contains(&format!("not {other}")), "{e}");
    let e = verify::check_statement(&v.payload, &other)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("the attestation signs"), "{e}");

    // A signature by another instance's CA (its own log is trusted, its CA is not).
    let stranger = Material::open(&dir.path().join("other"), "other.test").unwrap();
    let strange = sign(&stranger, log.clone(), manifest).await;
    let e = verify::verify_bundle(
        &bundle(&strange, ""),
        &trust,
        Some(&sha256(&strange.payload)),
        &policy,
    )
    .unwrap_err();
    assert!(matches!(e, VerifyError::Untrusted { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("does not chain to any certificate authority"),
        "{e}"
    );

    // A forged log entry: another body, or a doctored proof.
    let mut forged = sig.clone();
    forged.tlog_entries[0].inclusion_proof.root_hash[0] ^= 1;
    let e = verify::verify_bundle(&forged, &trust, Some(&sha256(&signed.payload)), &policy)
        .unwrap_err();
    assert!(
        e.to_string().contains("inclusion proof does not verify"),
        "{e}"
    );
    let forged_file = write(
        dir.path(),
        "forged.json",
        forged.to_json().to_string().as_bytes(),
    );
    // sigstore-python refuses the doctored `rootHash` too. sigstore-js computes the
    // root from the proof and compares it with the signed checkpoint's, never
    // reading that unsigned field: the forgery means nothing to it, so it is not
    // asked here.
    assert!(
        flareo_testkit::sigstore_python_verify(
            Path::new(&trust_file),
            Path::new(&forged_file),
            &id,
            URL,
            &payload
        )
        .is_err()
    );
    let mut swapped = sig.clone();
    swapped.tlog_entries[0] = prov.tlog_entries[0].clone();
    let e = verify::verify_bundle(&swapped, &trust, Some(&sha256(&signed.payload)), &policy)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("the logged body is not this signature"),
        "{e}"
    );
    // Another signature's log entry: both independent verifiers refuse it.
    let swapped_file = write(
        dir.path(),
        "swapped.json",
        swapped.to_json().to_string().as_bytes(),
    );
    let trust_path = Path::new(&trust_file);
    assert!(
        flareo_testkit::sigstore_python_verify(
            trust_path,
            Path::new(&swapped_file),
            &id,
            URL,
            &payload
        )
        .is_err()
    );
    let refused = flareo_testkit::sigstore_js_verify(
        trust_path,
        Path::new(&swapped_file),
        &id,
        URL,
        Some(Path::new(&payload)),
    )
    .unwrap_err();
    assert!(refused.contains("TLOG_BODY_ERROR"), "{refused}");
    let mut unsigned_set = sig.clone();
    unsigned_set.tlog_entries[0].integrated_time += 1;
    let e = verify::verify_bundle(
        &unsigned_set,
        &trust,
        Some(&sha256(&signed.payload)),
        &policy,
    )
    .unwrap_err();
    assert!(e.to_string().contains("signed entry timestamp"), "{e}");

    // A wrong builder.
    let e = verify::check_provenance(&t, &p, "https://evil.example/builders/v1")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "provenance builder is \"{URL}/builders/v1\", expected \"https://evil.example/builders/v1\""
        )
    );

    // Another identity or issuer is refused by name.
    let wrong = Policy {
        identity: Some("https://someone/else".into()),
        ..policy.clone()
    };
    let e =
        verify::verify_bundle(&sig, &trust, Some(&sha256(&signed.payload)), &wrong).unwrap_err();
    assert!(e.to_string().starts_with("certificate identity is"), "{e}");
    if let Content::MessageSignature { .. } = sig.content {
    } else {
        panic!("the image signature is a message signature");
    }
}

#[tokio::test]
async fn concurrent_signers_share_one_log_without_forks() {
    let dir = tempfile::tempdir().unwrap();
    let url = flareo_testkit::sqlite_url(dir.path());
    let material = Material::open(&dir.path().join("signing"), "flareo.test").unwrap();
    let mut tasks = Vec::new();
    for i in 0..4u8 {
        let db = Db::open(&url).await.unwrap();
        let log = Arc::new(EmbeddedLog::new(
            db,
            material.log_key.clone(),
            "flareo.test",
        ));
        let material = material.clone();
        tasks.push(tokio::spawn(async move {
            let manifest = format!("{{\"n\":{i}}}");
            sign(&material, log, manifest.as_bytes()).await
        }));
    }
    let mut indexes = Vec::new();
    for t in tasks {
        indexes.extend(t.await.unwrap().log_indexes);
    }
    indexes.sort_unstable();
    assert_eq!(indexes, (0..12).collect::<Vec<u64>>());
    let _ = Value::Null;
}
