//! in-toto Statement v1 and the SLSA provenance v1 predicate Flareo writes for a
//! build, with the build-level reasoning recorded in it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// SLSA provenance v1 predicate type.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// CycloneDX predicate type (cosign's `--type cyclonedx`).
pub const CYCLONEDX_PREDICATE: &str = "https://cyclonedx.org/bom";
/// OpenVEX predicate type (cosign's `--type openvex`).
pub const OPENVEX_PREDICATE: &str = "https://openvex.dev/ns";
/// The build type of a Flareo module build (a stable URI naming the format of
/// `externalParameters` and `internalParameters` below).
pub const FLAREO_BUILD_TYPE: &str = "https://flareo.dev/buildtypes/module/v1";

/// An in-toto Statement v1 over one or more subjects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    /// Always [`STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub statement_type: String,
    /// What the statement is about.
    pub subject: Vec<ResourceDescriptor>,
    /// The predicate's type URI.
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The predicate.
    pub predicate: serde_json::Value,
}

impl Statement {
    /// A statement about one artifact named `name` with SHA-256 `sha256_hex`.
    pub fn about(
        name: &str,
        sha256_hex: &str,
        predicate_type: &str,
        predicate: serde_json::Value,
    ) -> Self {
        Self {
            statement_type: STATEMENT_TYPE.to_string(),
            subject: vec![ResourceDescriptor::sha256(name, sha256_hex)],
            predicate_type: predicate_type.to_string(),
            predicate,
        }
    }

    /// The statement's JSON bytes (the DSSE payload).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a statement always serialises")
    }
}

/// in-toto ResourceDescriptor (subjects, resolved dependencies).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceDescriptor {
    /// A URI naming the resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// A human name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Digests by algorithm (`sha256`, `gitCommit`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub digest: BTreeMap<String, String>,
}

impl ResourceDescriptor {
    /// A named resource with a SHA-256 digest.
    pub fn sha256(name: &str, hex: &str) -> Self {
        Self {
            uri: None,
            name: Some(name.to_string()),
            digest: BTreeMap::from([("sha256".to_string(), hex.to_string())]),
        }
    }
}

/// What Flareo knows about one build, to write its provenance from.
#[derive(Clone, Debug)]
pub struct BuildFacts {
    /// The image name the subject carries (`<registry>/<slug>`).
    pub image_name: String,
    /// Hex SHA-256 of the image manifest.
    pub image_sha256: String,
    /// The instance's builder id, stable across builds (`<public url>/builders/v1`).
    pub builder_id: String,
    /// The module's source repository URL, if it has one.
    pub source_repo: Option<String>,
    /// The built tag.
    pub tag: String,
    /// The source commit, when built from git.
    pub commit: Option<String>,
    /// SHA-256 of the uploaded source context (what was actually built).
    pub context_sha256: String,
    /// Dockerfile path in the context.
    pub dockerfile: String,
    /// Whether the build had (allowlisted) network.
    pub requires_network: bool,
    /// Every base image: (reference, manifest digest `sha256:...`).
    pub base_images: Vec<(String, String)>,
    /// Submission id (the invocation).
    pub invocation_id: String,
    /// RFC 3339 start and finish times.
    pub started_on: String,
    /// RFC 3339 finish time.
    pub finished_on: String,
    /// The module slug.
    pub slug: String,
}

/// The SLSA level reasoning recorded in every Flareo provenance.
pub const BUILD_LEVEL_REASONING: &str = "SLSA Build L2: the build ran on the Flareo hosted build platform (a worker, not the maintainer's machine) and this provenance was generated and signed by the platform after the build. The signing key and certificate authority live in the control plane's data directory and are never mounted into or reachable from the build sandbox (buildah/runc in an empty network namespace, its own user namespace and cgroup). Not L3: L3 would additionally need builds isolated from one another with no shared state that one build could influence (fresh VM or container host per build, no shared layer cache), signing performed by a separate service the worker cannot impersonate, and the provenance's contents derived only from the control plane's records rather than the worker's report.";

/// SLSA provenance v1 for one Flareo build, as a statement about the image.
pub fn provenance(b: &BuildFacts) -> Statement {
    let mut external = serde_json::json!({
        "source": {
            "repository": b.source_repo,
            "tag": b.tag,
            "commit": b.commit,
        },
        "module": b.slug,
        "dockerfile": b.dockerfile,
        "requiresNetwork": b.requires_network,
    });
    if b.source_repo.is_none() {
        external["source"]["repository"] = serde_json::Value::Null;
    }
    let mut deps = Vec::new();
    let mut source = ResourceDescriptor {
        uri: b.source_repo.clone().map(|r| match &b.commit {
            Some(c) => format!("git+{r}@{c}"),
            None => r,
        }),
        name: Some("source".into()),
        digest: BTreeMap::from([("sha256".to_string(), b.context_sha256.clone())]),
    };
    if let Some(c) = &b.commit {
        source.digest.insert("gitCommit".into(), c.clone());
    }
    deps.push(source);
    for (reference, digest) in &b.base_images {
        let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
        deps.push(ResourceDescriptor {
            uri: Some(format!("pkg:docker/{reference}")),
            name: Some(reference.clone()),
            digest: BTreeMap::from([("sha256".to_string(), hex.to_string())]),
        });
    }
    let predicate = serde_json::json!({
        "buildDefinition": {
            "buildType": FLAREO_BUILD_TYPE,
            "externalParameters": external,
            "internalParameters": {
                "buildEngine": "buildah+runc",
                "network": if b.requires_network { "allowlisted proxy" } else { "none" },
                "slsaBuildLevel": { "level": 2, "reasoning": BUILD_LEVEL_REASONING },
            },
            "resolvedDependencies": deps,
        },
        "runDetails": {
            "builder": { "id": b.builder_id },
            "metadata": {
                "invocationId": b.invocation_id,
                "startedOn": b.started_on,
                "finishedOn": b.finished_on,
            },
        },
    });
    Statement::about(
        &b.image_name,
        &b.image_sha256,
        SLSA_PROVENANCE_V1,
        predicate,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provenance_names_the_image_builder_and_every_base() {
        let facts = BuildFacts {
            image_name: "flareo.local/demo".into(),
            image_sha256: "ab".repeat(32),
            builder_id: "https://flareo.local/builders/v1".into(),
            source_repo: Some("https://git.example/demo".into()),
            tag: "v1.0.0".into(),
            commit: Some("c0ffee".into()),
            context_sha256: "cd".repeat(32),
            dockerfile: "Dockerfile".into(),
            requires_network: false,
            base_images: vec![(
                "debian:12-slim".into(),
                format!("sha256:{}", "ef".repeat(32)),
            )],
            invocation_id: "7".into(),
            started_on: "2026-11-23T10:00:00Z".into(),
            finished_on: "2026-11-23T10:01:00Z".into(),
            slug: "demo".into(),
        };
        let s = provenance(&facts);
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["_type"], STATEMENT_TYPE);
        assert_eq!(v["subject"][0]["digest"]["sha256"], "ab".repeat(32));
        let def = &v["predicate"]["buildDefinition"];
        assert_eq!(def["buildType"], FLAREO_BUILD_TYPE);
        assert_eq!(def["externalParameters"]["source"]["commit"], "c0ffee");
        assert_eq!(
            def["resolvedDependencies"][1]["digest"]["sha256"],
            "ef".repeat(32)
        );
        assert_eq!(
            def["resolvedDependencies"][0]["digest"]["gitCommit"],
            "c0ffee"
        );
        assert_eq!(
            v["predicate"]["runDetails"]["builder"]["id"],
            facts.builder_id
        );
    }
}
