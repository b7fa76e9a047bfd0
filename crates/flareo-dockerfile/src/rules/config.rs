//! Lint configuration: the approved base images (the seed's list by default; an
//! operator may add entries, pin digests and record each image's known config).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::image_ref::ImageRef;

/// The seed's recommended base images, approved by default.
pub const SEED_BASE_IMAGES: [&str; 14] = [
    "node:20-slim",
    "node:22-slim",
    "python:3.12-slim",
    "python:3.11-slim",
    "golang:1.22",
    "golang:1.23",
    "rust:1.80",
    "rust:1.81",
    "alpine:3.19",
    "debian:12-slim",
    "nginx:1.27-alpine",
    "caddy:2.8-alpine",
    "postgres:16-alpine",
    "redis:7-alpine",
];

/// What is known of a base image's own config (from the base-image cache).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseConfig {
    /// The image's ENTRYPOINT.
    #[serde(default)]
    pub entrypoint: Vec<String>,
    /// The image's CMD.
    #[serde(default)]
    pub cmd: Vec<String>,
    /// The image's USER (empty means root).
    #[serde(default)]
    pub user: String,
    /// Whether the image declares a HEALTHCHECK.
    #[serde(default)]
    pub healthcheck: bool,
    /// The image's labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// One approved base image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovedBase {
    /// `name:tag` as users write it, e.g. `node:20-slim`.
    pub image: String,
    /// The pinned digest, when the operator (or cache) pinned one.
    #[serde(default)]
    pub digest: Option<String>,
    /// The image's config, when known.
    #[serde(default)]
    pub config: Option<BaseConfig>,
}

/// Configuration for [`crate::rules::lint`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LintConfig {
    /// Approved base images.
    pub approved_bases: Vec<ApprovedBase>,
}

impl Default for LintConfig {
    fn default() -> Self {
        Self {
            approved_bases: SEED_BASE_IMAGES
                .iter()
                .map(|image| ApprovedBase {
                    image: (*image).to_string(),
                    digest: None,
                    config: None,
                })
                .collect(),
        }
    }
}

impl LintConfig {
    /// Adds `extra` entries, replacing any default with the same `name:tag`
    /// (so an operator can pin a digest or record a config for a seed image).
    pub fn with_additions(mut self, extra: Vec<ApprovedBase>) -> Self {
        for entry in extra {
            let key = ImageRef::parse(&entry.image).ok();
            self.approved_bases
                .retain(|b| key.is_none() || ImageRef::parse(&b.image).ok() != key);
            self.approved_bases.push(entry);
        }
        self
    }

    /// The approved entry for `reference`: same repository and tag, or (for a
    /// digest-only reference) same repository and pinned digest.
    pub fn approved(&self, reference: &ImageRef) -> Option<&ApprovedBase> {
        self.approved_bases.iter().find(|b| {
            let Ok(approved) = ImageRef::parse(&b.image) else {
                return false;
            };
            if approved.repository != reference.repository {
                return false;
            }
            match (&reference.tag, &reference.digest) {
                (Some(tag), _) => approved.tag.as_ref() == Some(tag),
                (None, Some(d)) => b.digest.as_ref() == Some(d),
                (None, None) => approved.tag.as_deref() == Some("latest"),
            }
        })
    }
}
