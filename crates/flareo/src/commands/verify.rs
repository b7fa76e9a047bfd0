//! `flareo verify`: checks a published image offline against a trust root — every
//! blob against its digest, the cosign signature and its certificate chain and
//! identity, transparency-log inclusion (bundle proof and signed checkpoint;
//! optionally consistency with the live log), SLSA provenance subject and builder,
//! and the SBOM attestation — one line per check, `--json`, non-zero on failure.

use std::process::ExitCode;

use anyhow::{Context, bail};
use flareo_attest::bundle::{BUNDLE_V03, Bundle, Content};
use flareo_attest::intoto::{CYCLONEDX_PREDICATE, SLSA_PROVENANCE_V1};
use flareo_attest::trust_root::TrustRoot;
use flareo_attest::verify::{self, Policy};
use flareo_oci::Digest;
use flareo_oci::registry_client::{Credentials, ImageTarget, RegistryClient};
use serde_json::{Value, json};

use super::client::{block_on, print_json};

/// Arguments of `flareo verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// `[http://]host[:port]/<slug>:<tag>` (or `@sha256:...`) in a registry.
    image: String,
    /// The trust root (`flareo trust-root` output) [default: fetched from the
    /// registry host's /api/v1/trust-root, trusted on first use].
    #[arg(long)]
    trust_root: Option<std::path::PathBuf>,
    /// Required certificate identity [default: the builder of the trust root's
    /// instance, `<instance>/builders/v1`].
    #[arg(long)]
    identity: Option<String>,
    /// Required OIDC issuer [default: the trust root's instance URL].
    #[arg(long)]
    issuer: Option<String>,
    /// Required provenance builder id [default: the identity].
    #[arg(long)]
    builder: Option<String>,
    /// Also check the bundle's checkpoint is consistent with the live log at this
    /// Rekor-compatible URL.
    #[arg(long)]
    log_url: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

struct Checks {
    list: Vec<Value>,
    json: bool,
}

impl Checks {
    fn record(&mut self, name: &str, result: Result<String, String>) -> bool {
        let ok = result.is_ok();
        let detail = result.unwrap_or_else(|e| e);
        if !self.json {
            println!("{} {name}: {detail}", if ok { "✓" } else { "✗" });
        }
        self.list
            .push(json!({"check": name, "ok": ok, "detail": detail}));
        ok
    }
}

/// Runs `flareo verify`.
pub fn run(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    block_on(verify_image(args))
}

async fn verify_image(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let with_scheme = if args.image.contains("://") {
        args.image.clone()
    } else {
        format!("http://{}", args.image)
    };
    let target: ImageTarget = with_scheme.parse()?;
    let client = RegistryClient::new(&target.registry, Credentials::default())?;
    let trust_json: Value = match &args.trust_root {
        Some(path) => serde_json::from_str(
            &std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?,
        )
        .with_context(|| format!("{} is not JSON", path.display()))?,
        None => {
            let url = format!("{}/api/v1/trust-root", target.registry);
            reqwest::get(&url)
                .await?
                .error_for_status()?
                .json()
                .await
                .with_context(|| format!("fetching {url}"))?
        }
    };
    let trust = TrustRoot::from_json(&trust_json)?;
    let instance = trust
        .certificate_authorities
        .first()
        .map(|(uri, _)| uri.clone())
        .unwrap_or_default();
    let identity = args
        .identity
        .clone()
        .unwrap_or_else(|| format!("{instance}/builders/v1"));
    let issuer = args.issuer.clone().unwrap_or_else(|| instance.clone());
    let builder = args.builder.clone().unwrap_or_else(|| identity.clone());
    let policy = Policy {
        identity: Some(identity.clone()),
        issuer: Some(issuer),
        key: None,
    };
    let mut checks = Checks {
        list: vec![],
        json: args.json,
    };
    let repo = target.repository.as_str();

    // The image and every blob it references.
    let manifest = client.get_manifest(repo, &target.reference).await;
    let manifest = match manifest {
        Ok(m) => m,
        Err(e) => {
            checks.record("image", Err(e.to_string()));
            return finish(&checks, args);
        }
    };
    let digest = manifest.digest.to_string();
    let mut blobs_ok = Ok(format!(
        "{digest}: manifest and every blob match their digests"
    ));
    let parsed: Value = serde_json::from_slice(&manifest.bytes).unwrap_or_default();
    let referenced = std::iter::once(&parsed["config"])
        .chain(
            parsed["layers"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default(),
        )
        .filter_map(|d| d["digest"].as_str());
    for d in referenced {
        let d: Digest = match d.parse() {
            Ok(d) => d,
            Err(e) => {
                blobs_ok = Err(format!("manifest names a malformed digest {d:?}: {e:?}"));
                break;
            }
        };
        if let Err(e) = client.get_blob(repo, &d).await {
            blobs_ok = Err(format!("layer or config {d}: {e}"));
            break;
        }
    }
    checks.record("image", blobs_ok);

    // Bundles attached to the image (OCI 1.1 referrers, or the referrers tag).
    let bundles = match referrer_bundles(&client, &target, &digest).await {
        Ok(b) => b,
        Err(e) => {
            checks.record(
                "signature",
                Err(format!("reading the bundles attached to {digest}: {e:#}")),
            );
            return finish(&checks, args);
        }
    };
    let find = |predicate: &str| bundles.iter().find(|(p, _)| p == predicate).map(|(_, b)| b);

    // The cosign signature: the payload from the `.sig` manifest, its bundle.
    let signature = async {
        let sig_tag = flareo_attest::cosign::signature_tag(&digest);
        let sig = client
            .get_manifest(repo, &sig_tag)
            .await
            .map_err(|e| format!("no cosign signature for {digest} (tag {sig_tag}): {e}"))?;
        let sig: Value = serde_json::from_slice(&sig.bytes).map_err(|e| e.to_string())?;
        let layer = sig["layers"][0]["digest"].as_str().unwrap_or_default();
        let payload = client
            .get_blob(
                repo,
                &layer.parse::<Digest>().map_err(|e| format!("{e:?}"))?,
            )
            .await
            .map_err(|e| e.to_string())?;
        let bundle =
            find("").ok_or_else(|| format!("no Sigstore bundle of the signature of {digest}"))?;
        let verified = verify::verify_bundle(
            bundle,
            &trust,
            Some(&flareo_attest::keys::sha256(&payload)),
            &policy,
        )
        .map_err(|e| e.to_string())?;
        let reference =
            verify::check_simple_signing(&payload, &digest).map_err(|e| e.to_string())?;
        Ok::<_, String>((verified, reference))
    }
    .await;
    let logged = signature.as_ref().ok().map(|(v, _)| v.clone());
    checks.record(
        "signature",
        signature.map(|(v, r)| {
            format!(
                "{r}@{digest} signed by {} (issuer {})",
                v.identities.join(", "),
                v.issuer.unwrap_or_default()
            )
        }),
    );
    checks.record(
        "transparency log",
        match &logged {
            Some(v) => Ok(format!(
                "entry {} integrated at {} is in the tree of size {} (checkpoint signed by the log)",
                v.log_index, v.integrated_time, v.tree_size
            )),
            None => Err("not checked: the signature did not verify".into()),
        },
    );
    if let (Some(url), Some(v)) = (&args.log_url, &logged) {
        checks.record("log consistency", consistency(url, v, &trust).await);
    }

    // Provenance and SBOM.
    let attestation = |predicate: &str| -> Result<(String, Value, u64), String> {
        let bundle = find(predicate)
            .ok_or_else(|| format!("no {predicate} attestation attached to {digest}"))?;
        let v = verify::verify_bundle(bundle, &trust, None, &policy).map_err(|e| e.to_string())?;
        let (t, p) = verify::check_statement(&v.payload, &digest).map_err(|e| e.to_string())?;
        Ok((t, p, v.log_index))
    };
    checks.record(
        "provenance",
        attestation(SLSA_PROVENANCE_V1).and_then(|(t, p, index)| {
            let build_type =
                verify::check_provenance(&t, &p, &builder).map_err(|e| e.to_string())?;
            Ok(format!(
                "SLSA v1 by {builder} (build type {build_type}), log entry {index}"
            ))
        }),
    );
    checks.record(
        "sbom",
        attestation(CYCLONEDX_PREDICATE).map(|(_, p, index)| {
            let n = p["components"].as_array().map_or(0, Vec::len);
            format!("CycloneDX attestation with {n} components, log entry {index}")
        }),
    );
    finish(&checks, args)
}

fn finish(checks: &Checks, args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let ok = checks.list.iter().all(|c| c["ok"] == true);
    if args.json {
        print_json(&json!({"image": args.image, "verified": ok, "checks": checks.list}));
    } else if ok {
        println!("verified: {}", args.image);
    } else {
        println!("NOT verified: {}", args.image);
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The Sigstore bundles attached to `digest`: (predicate type or "" for the image
/// signature, bundle).
async fn referrer_bundles(
    client: &RegistryClient,
    target: &ImageTarget,
    digest: &str,
) -> anyhow::Result<Vec<(String, Bundle)>> {
    let repo = &target.repository;
    let subject: Digest = digest.parse().map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let index = client
        .get_referrers(repo, &subject)
        .await?
        .with_context(|| {
            format!(
                "{} has neither the referrers API nor a referrers tag for {digest}",
                target.registry
            )
        })?;
    let mut out = Vec::new();
    for d in index["manifests"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        if d["artifactType"] != BUNDLE_V03 {
            continue;
        }
        let m = client
            .get_manifest(repo, d["digest"].as_str().unwrap_or_default())
            .await?;
        let m: Value = serde_json::from_slice(&m.bytes)?;
        let layer: Digest = m["layers"][0]["digest"]
            .as_str()
            .context("bundle manifest has no layer")?
            .parse()
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let blob = client.get_blob(repo, &layer).await?;
        let bundle = Bundle::from_json(&serde_json::from_slice(&blob)?)?;
        let predicate = match &bundle.content {
            Content::MessageSignature { .. } => String::new(),
            Content::Dsse(env) => {
                let payload: Value = serde_json::from_slice(&env.payload_bytes()?)?;
                payload["predicateType"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            }
        };
        out.push((predicate, bundle));
    }
    if out.is_empty() {
        bail!("no Sigstore bundles are attached to {digest}");
    }
    Ok(out)
}

/// Checks the bundle's tree is a prefix of the live log's.
async fn consistency(url: &str, v: &verify::Verified, trust: &TrustRoot) -> Result<String, String> {
    let base = url.trim_end_matches('/');
    let info: Value = async {
        reqwest::get(format!("{base}/api/v1/log"))
            .await?
            .json()
            .await
    }
    .await
    .map_err(|e| format!("reading {base}/api/v1/log: {e}"))?;
    let note = info["signedTreeHead"].as_str().unwrap_or_default();
    let log = trust
        .tlogs
        .first()
        .ok_or("the trust root has no transparency log")?;
    let head =
        flareo_attest::checkpoint::verify(note, log.key.verifying_key(), None).map_err(|e| {
            format!("the live log's checkpoint is not signed by the trusted log key: {e}")
        })?;
    let proof: Value = async {
        reqwest::get(format!(
            "{base}/api/v1/log/proof?firstSize={}&lastSize={}",
            v.tree_size, head.size
        ))
        .await?
        .json()
        .await
    }
    .await
    .map_err(|e| format!("reading a consistency proof: {e}"))?;
    let hashes: Vec<[u8; 32]> = proof["hashes"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|h| flareo_attest::bundle::hash_from_hex(h.as_str().unwrap_or_default()))
        .collect();
    flareo_attest::merkle::verify_consistency(
        v.tree_size,
        head.size,
        &v.root_hash,
        &head.root,
        &hashes,
    )
    .map_err(|e| {
        format!("the log at {base} is not consistent with the bundle's checkpoint: {e}")
    })?;
    Ok(format!(
        "the bundle's tree (size {}) is a prefix of the live log (size {})",
        v.tree_size, head.size
    ))
}
