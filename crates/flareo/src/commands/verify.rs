//! `flareo verify`: checks a published image offline against a trust root — every
//! blob against its digest, the cosign signature (its certificate chain, embedded
//! SCT and identity, and the repository it names), transparency-log inclusion
//! (bundle proof and signed checkpoint; optionally consistency with the live log),
//! SLSA provenance subject and builder, and the SBOM attestation — one line per
//! check, `--json`, non-zero on failure. The image is read from a registry or from
//! an OCI image layout (`oci:DIR[:REF]`); the checks are the same for both.

use std::process::ExitCode;

use anyhow::{Context, bail};
use flareo_attest::bundle::{BUNDLE_V03, Bundle, Content};
use flareo_attest::intoto::{CYCLONEDX_PREDICATE, SLSA_PROVENANCE_V1};
use flareo_attest::trust_root::TrustRoot;
use flareo_attest::verify::{self, Policy};
use flareo_oci::manifest::ManifestInfo;
use flareo_oci::registry_client::{Credentials, ImageTarget, RegistryClient};
use flareo_oci::{Digest, OciLayout};
use serde_json::{Value, json};

use super::client::{block_on, print_json};

/// Arguments of `flareo verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// `[http://]host[:port]/<slug>:<tag>` (or `@sha256:...`) in a registry, or
    /// `oci:DIR[:REF]`, an OCI image layout, REF being the manifest's
    /// `org.opencontainers.image.ref.name` (default `latest`) or its digest; a REF
    /// like `<slug>:<tag>` also names the repository the signature must be for.
    image: String,
    /// The trust root (`flareo trust-root` output) [default: fetched from the
    /// registry host's /api/v1/trust-root, trusted on first use; required for a
    /// layout].
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

/// Where the image and what is attached to it are read from: a registry, or an
/// OCI image layout. Everything read is checked against its digest.
enum Source {
    /// A registry (`/v2/` API).
    Registry {
        /// The client (boxed: it is much larger than a layout).
        client: Box<RegistryClient>,
        /// What was asked for.
        target: ImageTarget,
    },
    /// An OCI image layout on disk.
    Layout {
        /// The opened layout.
        layout: OciLayout,
        /// The ref name or digest asked for.
        reference: String,
    },
}

impl Source {
    /// Reads `oci:DIR[:REF]` (REF may be a digest: split at the first colon, as
    /// skopeo does) or `[scheme://]host/repository:tag|@digest`.
    fn open(image: &str) -> anyhow::Result<Self> {
        if let Some((dir, reference)) = layout_reference(image) {
            let layout = OciLayout::open(std::path::Path::new(dir))?;
            return Ok(Self::Layout {
                layout,
                reference: reference.to_string(),
            });
        }
        let with_scheme = if image.contains("://") {
            image.to_string()
        } else {
            format!("http://{image}")
        };
        let target: ImageTarget = with_scheme.parse()?;
        let client = Box::new(RegistryClient::new(
            &target.registry,
            Credentials::default(),
        )?);
        Ok(Self::Registry { client, target })
    }

    /// The tag, ref name or digest the image was asked for by.
    fn reference(&self) -> &str {
        match self {
            Self::Registry { target, .. } => &target.reference,
            Self::Layout { reference, .. } => reference,
        }
    }

    /// The repository the consumer asked for: the registry's, or for a layout the
    /// one a ref name like `[host/]slug:tag` names (a bare tag or a digest names
    /// none).
    fn repository(&self) -> Option<String> {
        match self {
            Self::Registry { target, .. } => Some(target.repository.clone()),
            Self::Layout { reference, .. } => layout_repository(reference),
        }
    }

    /// Where the trust root is served, for a registry that is a Flareo instance.
    fn trust_root_url(&self) -> Option<String> {
        match self {
            Self::Registry { target, .. } => Some(format!("{}/api/v1/trust-root", target.registry)),
            Self::Layout { .. } => None,
        }
    }

    /// For messages: the registry or the layout's directory.
    fn describe(&self) -> String {
        match self {
            Self::Registry { target, .. } => format!("registry {}", target.registry),
            Self::Layout { layout, .. } => format!("OCI layout {}", layout.dir().display()),
        }
    }

    /// The manifest `reference` (tag, ref name or digest): its digest and bytes.
    async fn manifest(&self, reference: &str) -> anyhow::Result<(Digest, Vec<u8>)> {
        Ok(match self {
            Self::Registry { client, target } => {
                let m = client.get_manifest(&target.repository, reference).await?;
                (m.digest, m.bytes.to_vec())
            }
            Self::Layout { layout, .. } => layout.manifest(reference)?,
        })
    }

    /// Blob `digest`.
    async fn blob(&self, digest: &Digest) -> anyhow::Result<Vec<u8>> {
        Ok(match self {
            Self::Registry { client, target } => {
                client.get_blob(&target.repository, digest).await?.to_vec()
            }
            Self::Layout { layout, .. } => layout.blob(digest)?,
        })
    }

    /// The referrers of `digest` as an image index; `None` when there are none to
    /// find (no referrers API and no referrers tag, or none in the layout).
    async fn referrers(&self, digest: &Digest) -> anyhow::Result<Option<Value>> {
        Ok(match self {
            Self::Registry { client, target } => {
                client.get_referrers(&target.repository, digest).await?
            }
            Self::Layout { layout, .. } => layout.referrers(digest)?,
        })
    }
}

/// `oci:DIR[:REF]` → (DIR, REF), REF defaulting to `latest`; split at the first
/// colon after `oci:`, as skopeo does, so REF may be a digest or `slug:tag`.
fn layout_reference(image: &str) -> Option<(&str, &str)> {
    let rest = image.strip_prefix("oci:")?;
    let (dir, reference) = rest.split_once(':').unwrap_or((rest, ""));
    Some((
        dir,
        if reference.is_empty() {
            "latest"
        } else {
            reference
        },
    ))
}

/// The repository a layout ref name names: `[host/]path:tag` or `host/path` give
/// the part before the tag; a bare tag (`v1.0.0`) or a digest names none.
fn layout_repository(reference: &str) -> Option<String> {
    if reference.parse::<Digest>().is_ok() || !(reference.contains(':') || reference.contains('/'))
    {
        return None;
    }
    Some(match reference.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => repository.to_string(),
        _ => reference.to_string(),
    })
}

/// Runs `flareo verify`.
pub fn run(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    block_on(verify_image(args))
}

async fn trust_root(args: &VerifyArgs, source: &Source) -> anyhow::Result<TrustRoot> {
    let trust_json: Value = match (&args.trust_root, source.trust_root_url()) {
        (Some(path), _) => serde_json::from_str(
            &std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?,
        )
        .with_context(|| format!("{} is not JSON", path.display()))?,
        (None, Some(url)) => reqwest::get(&url)
            .await?
            .error_for_status()?
            .json()
            .await
            .with_context(|| format!("fetching {url}"))?,
        (None, None) => bail!("--trust-root is required to verify an OCI layout"),
    };
    Ok(TrustRoot::from_json(&trust_json)?)
}

async fn verify_image(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let source = Source::open(&args.image)?;
    let trust = trust_root(args, &source).await?;
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

    // The image and every blob it references.
    let (image, manifest) = match source.manifest(source.reference()).await {
        Ok(m) => m,
        Err(e) => {
            checks.record("image", Err(format!("{e:#}")));
            return finish(&checks, args);
        }
    };
    let digest = image.to_string();
    checks.record("image", check_blobs(&source, &image, &manifest).await);

    // Bundles attached to the image (OCI 1.1 referrers, or the referrers tag).
    let bundles = referrer_bundles(&source, &image)
        .await
        .map_err(|e| format!("reading the bundles attached to {digest}: {e:#}"));
    let find = |predicate: &str, what: &str| -> Result<&Bundle, String> {
        bundles
            .as_ref()
            .map_err(Clone::clone)?
            .iter()
            .find(|(p, _)| p == predicate)
            .map(|(_, b)| b)
            .ok_or_else(|| format!("no {what} attached to {digest}"))
    };

    // The cosign signature: the payload from the `.sig` manifest, its bundle.
    let signature = async {
        let sig_tag = flareo_attest::cosign::signature_tag(&digest);
        let (_, sig) = source
            .manifest(&sig_tag)
            .await
            .map_err(|e| format!("no cosign signature for {digest} (tag {sig_tag}): {e:#}"))?;
        let sig: Value = serde_json::from_slice(&sig).map_err(|e| e.to_string())?;
        let layer = sig["layers"][0]["digest"].as_str().unwrap_or_default();
        let payload = source
            .blob(&layer.parse::<Digest>().map_err(|e| e.to_string())?)
            .await
            .map_err(|e| format!("{e:#}"))?;
        let bundle = find("", "Sigstore bundle of the signature")?;
        let signed = verify::verify_signature(
            bundle,
            &trust,
            Some(&flareo_attest::keys::sha256(&payload)),
            &policy,
        )
        .map_err(|e| e.to_string())?;
        let reference =
            verify::check_simple_signing(&payload, &digest).map_err(|e| e.to_string())?;
        let repository = match source.repository() {
            Some(repository) => {
                verify::check_docker_reference(&reference, &repository)
                    .map_err(|e| e.to_string())?;
                format!("for repository {repository}")
            }
            None => "(repository not checked: the layout reference names none)".to_string(),
        };
        Ok::<_, String>((bundle, signed, format!("{reference}@{digest} {repository}")))
    }
    .await;
    let signature = match signature {
        Ok((bundle, signed, what)) => {
            checks.record(
                "signature",
                Ok(format!(
                    "{what}, signed by {} (issuer {})",
                    signed.identities.join(", "),
                    signed.issuer.clone().unwrap_or_default()
                )),
            );
            Some((bundle, signed))
        }
        Err(e) => {
            checks.record("signature", Err(e));
            None
        }
    };
    // The signature's log entry: inclusion proof, signed checkpoint, SET.
    let logged = match signature {
        Some((bundle, signed)) => {
            verify::verify_logged(bundle, signed, &trust).map_err(|e| e.to_string())
        }
        None => Err("not checked: the signature did not verify".to_string()),
    };
    checks.record(
        "transparency log",
        logged.as_ref().map_err(Clone::clone).map(|v| {
            format!(
                "entry {} integrated at {} is in the tree of size {} (checkpoint signed by the log)",
                v.log_index, v.integrated_time, v.tree_size
            )
        }),
    );
    let logged = logged.ok();
    if let (Some(url), Some(v)) = (&args.log_url, &logged) {
        checks.record("log consistency", consistency(url, v, &trust).await);
    }

    // Provenance and SBOM.
    let attestation = |predicate: &str| -> Result<(String, Value, u64), String> {
        let bundle = find(predicate, &format!("{predicate} attestation"))?;
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

/// Reads every blob the image manifest references (each checked against its
/// digest by the source); names the first that fails.
async fn check_blobs(source: &Source, image: &Digest, manifest: &[u8]) -> Result<String, String> {
    let info = ManifestInfo::parse(manifest).map_err(|e| format!("image manifest {image}: {e}"))?;
    let parsed: Value = serde_json::from_slice(manifest).unwrap_or_default();
    let layers = parsed["layers"].as_array().map_or(0, Vec::len);
    let has_config = parsed.get("config").is_some();
    for (i, blob) in info.blobs.iter().enumerate() {
        let what = match (has_config, i) {
            (true, 0) => "config".to_string(),
            (true, n) => format!("layer {n} of {layers}"),
            (false, n) => format!("blob {}", n + 1),
        };
        source
            .blob(&blob.digest)
            .await
            .map_err(|e| format!("{what} {}: {e:#}", blob.digest))?;
    }
    Ok(format!(
        "{image}: manifest and every blob ({} in all) match their digests",
        info.blobs.len()
    ))
}

/// The Sigstore bundles attached to `digest`: (predicate type or "" for the image
/// signature, bundle).
async fn referrer_bundles(
    source: &Source,
    digest: &Digest,
) -> anyhow::Result<Vec<(String, Bundle)>> {
    let index = source.referrers(digest).await?.with_context(|| {
        format!(
            "{} has neither the referrers API nor a referrers tag for {digest}",
            source.describe()
        )
    })?;
    let mut out = Vec::new();
    for d in index["manifests"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        // Referrers-tag indexes rewritten by older tools lose the artifact type:
        // the manifest itself says.
        if d["artifactType"].as_str().is_some_and(|t| t != BUNDLE_V03) {
            continue;
        }
        let (referrer, bytes) = source
            .manifest(d["digest"].as_str().unwrap_or_default())
            .await?;
        let info = ManifestInfo::parse(&bytes).with_context(|| format!("referrer {referrer}"))?;
        if info.artifact_type.as_deref() != Some(BUNDLE_V03)
            || info.subject.as_ref() != Some(digest)
        {
            continue;
        }
        let m: Value = serde_json::from_slice(&bytes)?;
        let layer: Digest = m["layers"][0]["digest"]
            .as_str()
            .with_context(|| format!("bundle manifest {referrer} has no layer"))?
            .parse()?;
        let blob = source.blob(&layer).await?;
        let bundle = Bundle::from_json(&serde_json::from_slice(&blob)?)
            .with_context(|| format!("bundle {layer} of referrer {referrer}"))?;
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

#[cfg(test)]
mod tests {
    use super::{layout_reference, layout_repository};

    #[test]
    fn layout_references_split_like_skopeo_and_name_a_repository_when_they_can() {
        let digest = format!("sha256:{}", "ab".repeat(32));
        assert_eq!(layout_reference("oci:/tmp/l"), Some(("/tmp/l", "latest")));
        assert_eq!(layout_reference("oci:/tmp/l:"), Some(("/tmp/l", "latest")));
        assert_eq!(
            layout_reference("oci:/tmp/l:hello:v1.0.0"),
            Some(("/tmp/l", "hello:v1.0.0"))
        );
        let with_digest = format!("oci:/tmp/l:{digest}");
        assert_eq!(
            layout_reference(&with_digest),
            Some(("/tmp/l", digest.as_str()))
        );
        assert_eq!(layout_reference("127.0.0.1:5000/hello:v1"), None);

        let repository = |r: &str| layout_repository(r);
        assert_eq!(repository("hello:v1.0.0").as_deref(), Some("hello"));
        assert_eq!(
            repository("127.0.0.1:5000/flareo/hello:v1.0.0").as_deref(),
            Some("127.0.0.1:5000/flareo/hello")
        );
        assert_eq!(
            repository("127.0.0.1:5000/hello").as_deref(),
            Some("127.0.0.1:5000/hello")
        );
        assert_eq!(repository("v1.0.0"), None);
        assert_eq!(repository("latest"), None);
        assert_eq!(repository(&digest), None);
    }
}
