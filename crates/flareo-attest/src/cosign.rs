//! cosign's storage formats in a registry: the simple-signing payload, signature
//! (`sha256-<hex>.sig`) and attestation (`sha256-<hex>.att`) manifests with their
//! annotations, and OCI 1.1 artifact manifests whose `subject` is the image.

use serde_json::{Value, json};

use crate::keys::{hex, sha256};

/// OCI image manifest media type.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// cosign's simple-signing layer media type.
pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// DSSE envelope layer media type (cosign attestations).
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";
/// The OCI 1.1 empty config/descriptor media type.
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// Annotation: base64 signature.
pub const ANN_SIGNATURE: &str = "dev.cosignproject.cosign/signature";
/// Annotation: PEM signing certificate.
pub const ANN_CERTIFICATE: &str = "dev.sigstore.cosign/certificate";
/// Annotation: PEM chain above the certificate.
pub const ANN_CHAIN: &str = "dev.sigstore.cosign/chain";
/// Annotation: the Rekor bundle (SET and entry).
pub const ANN_BUNDLE: &str = "dev.sigstore.cosign/bundle";
/// Annotation on an attestation layer: its predicate type.
pub const ANN_PREDICATE_TYPE: &str = "predicateType";
/// Annotation on an OCI 1.1 bundle referrer: the bundle's predicate type.
pub const ANN_BUNDLE_PREDICATE_TYPE: &str = "dev.sigstore.bundle.predicateType";
/// Annotation on an OCI 1.1 bundle referrer: what it holds.
pub const ANN_BUNDLE_CONTENT: &str = "dev.sigstore.bundle.content";

/// A manifest and the blobs it references (config and layers), ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// The manifest JSON bytes.
    pub manifest: Vec<u8>,
    /// Its media type.
    pub media_type: String,
    /// Blobs the manifest references, each stored under its SHA-256.
    pub blobs: Vec<Vec<u8>>,
}

impl Artifact {
    /// `sha256:<hex>` of the manifest.
    pub fn digest(&self) -> String {
        format!("sha256:{}", hex(&sha256(&self.manifest)))
    }
}

/// The tag cosign stores signatures of `digest` (`sha256:<hex>`) under.
pub fn signature_tag(digest: &str) -> String {
    format!("{}.sig", digest.replace(':', "-"))
}

/// The tag cosign stores attestations of `digest` under.
pub fn attestation_tag(digest: &str) -> String {
    format!("{}.att", digest.replace(':', "-"))
}

/// The simple-signing payload cosign signs for `reference` (`host/repo`) at
/// manifest `digest`.
pub fn simple_signing_payload(reference: &str, digest: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "critical": {
            "identity": {"docker-reference": reference},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature",
        },
        "optional": null,
    }))
    .expect("JSON always serialises")
}

/// One layer of a `.sig` or `.att` manifest: a blob and its annotations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    /// Layer media type ([`SIMPLE_SIGNING`] or [`DSSE_ENVELOPE`]).
    pub media_type: String,
    /// The blob (payload or envelope JSON).
    pub blob: Vec<u8>,
    /// Its annotations.
    pub annotations: Vec<(String, String)>,
}

fn descriptor(media_type: &str, blob: &[u8]) -> Value {
    json!({
        "mediaType": media_type,
        "size": blob.len(),
        "digest": format!("sha256:{}", hex(&sha256(blob))),
    })
}

fn annotations(pairs: &[(String, String)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// A cosign signature or attestation manifest holding `layers` (the config is the
/// small image config cosign writes, with the layers' digests as diff ids).
pub fn layered_manifest(layers: &[Layer]) -> Artifact {
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| format!("sha256:{}", hex(&sha256(&l.blob))))
        .collect();
    let config = serde_json::to_vec(&json!({
        "architecture": "",
        "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"}],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "config": {},
    }))
    .expect("JSON always serialises");
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor("application/vnd.oci.image.config.v1+json", &config),
        "layers": layers.iter().map(|l| {
            let mut d = descriptor(&l.media_type, &l.blob);
            d["annotations"] = annotations(&l.annotations);
            d
        }).collect::<Vec<_>>(),
    });
    let mut blobs = vec![config];
    blobs.extend(layers.iter().map(|l| l.blob.clone()));
    Artifact {
        manifest: serde_json::to_vec(&manifest).expect("JSON always serialises"),
        media_type: OCI_MANIFEST.into(),
        blobs,
    }
}

/// An OCI 1.1 artifact manifest of type `artifact_type` holding one `blob`, whose
/// `subject` is the manifest (`subject_media_type`, `subject_digest`, `subject_size`).
pub fn referrer_manifest(
    artifact_type: &str,
    blob_media_type: &str,
    blob: &[u8],
    subject: (&str, &str, u64),
    manifest_annotations: &[(String, String)],
) -> Artifact {
    let (subject_media_type, subject_digest, subject_size) = subject;
    let empty = b"{}".to_vec();
    let mut manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": descriptor(OCI_EMPTY, &empty),
        "layers": [descriptor(blob_media_type, blob)],
        "subject": {"mediaType": subject_media_type, "digest": subject_digest, "size": subject_size},
    });
    if !manifest_annotations.is_empty() {
        manifest["annotations"] = annotations(manifest_annotations);
    }
    Artifact {
        manifest: serde_json::to_vec(&manifest).expect("JSON always serialises"),
        media_type: OCI_MANIFEST.into(),
        blobs: vec![empty, blob.to_vec()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_payloads_follow_cosign() {
        let d = format!("sha256:{}", "ab".repeat(32));
        assert_eq!(signature_tag(&d), format!("sha256-{}.sig", "ab".repeat(32)));
        assert_eq!(
            attestation_tag(&d),
            format!("sha256-{}.att", "ab".repeat(32))
        );
        let p: Value =
            serde_json::from_slice(&simple_signing_payload("r.example/demo", &d)).unwrap();
        assert_eq!(p["critical"]["image"]["docker-manifest-digest"], d.as_str());
        assert_eq!(p["critical"]["type"], "cosign container image signature");
    }

    #[test]
    fn manifests_reference_every_blob_they_carry() {
        let layer = Layer {
            media_type: SIMPLE_SIGNING.into(),
            blob: b"payload".to_vec(),
            annotations: vec![(ANN_SIGNATURE.into(), "c2ln".into())],
        };
        let a = layered_manifest(&[layer]);
        let m: Value = serde_json::from_slice(&a.manifest).unwrap();
        assert_eq!(m["layers"][0]["annotations"][ANN_SIGNATURE], "c2ln");
        assert_eq!(
            m["config"]["digest"],
            format!("sha256:{}", hex(&sha256(&a.blobs[0])))
        );
        let r = referrer_manifest(
            "application/x",
            "application/y",
            b"blob",
            (OCI_MANIFEST, "sha256:00", 3),
            &[],
        );
        let m: Value = serde_json::from_slice(&r.manifest).unwrap();
        assert_eq!(m["subject"]["digest"], "sha256:00");
        assert_eq!(
            m["config"]["digest"],
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
    }
}
