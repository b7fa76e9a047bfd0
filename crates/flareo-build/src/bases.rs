//! The base-image cache: approved `name:tag` → the digest held locally. Builds
//! may only start from images in it (`--pull=never`), each pinned to its digest.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use flareo_dockerfile::ImageRef;
use serde::{Deserialize, Serialize};

use crate::engine::{Engine, EngineError};

/// Repository prefix of cached bases inside Flareo's buildah storage.
const STORAGE_PREFIX: &str = "localhost/flareo-base/";

/// One cached base image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedBase {
    /// Short name as Dockerfiles write it, e.g. `debian`.
    pub name: String,
    /// Tag, e.g. `12-slim`.
    pub tag: String,
    /// Manifest digest held in the cache.
    pub digest: String,
    /// Bytes of layers.
    pub size: u64,
    /// Seconds since the epoch when it was imported.
    pub imported_at: u64,
    /// What it was imported from (transport and path).
    pub source: String,
}

impl CachedBase {
    /// `name:tag`.
    pub fn reference(&self) -> String {
        format!("{}:{}", self.name, self.tag)
    }

    /// The digest-pinned reference a lowered `FROM` uses.
    pub fn pinned(&self) -> String {
        format!("{STORAGE_PREFIX}{}@{}", self.name, self.digest)
    }
}

/// Why a base-image operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BaseError {
    /// The name is not `name:tag`.
    #[error("invalid base image name {0:?}: expected NAME:TAG, e.g. debian:12-slim")]
    BadName(String),
    /// The file is none of the accepted formats.
    #[error("{}: not an OCI archive, OCI layout directory or docker archive", .0.display())]
    UnknownFormat(PathBuf),
    /// Reading or writing the cache index.
    #[error("base-image index {}: {}", .0.display(), .1)]
    Index(PathBuf, String),
    /// buildah/skopeo failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// The cache index, stored as JSON beside the buildah storage.
#[derive(Debug)]
pub struct BaseCache<'e> {
    engine: &'e Engine,
    index: PathBuf,
}

fn split_name(reference: &str) -> Result<(String, String), BaseError> {
    let parsed = ImageRef::parse(reference).map_err(|_| BaseError::BadName(reference.into()))?;
    let Some(tag) = parsed.tag.clone() else {
        return Err(BaseError::BadName(reference.into()));
    };
    if parsed.digest.is_some() {
        return Err(BaseError::BadName(reference.into()));
    }
    let name = ImageRef {
        tag: None,
        ..parsed
    }
    .familiar();
    Ok((name, tag))
}

impl<'e> BaseCache<'e> {
    /// The cache of `engine`.
    pub fn new(engine: &'e Engine) -> Self {
        Self {
            engine,
            index: engine.dir().join("bases.json"),
        }
    }

    /// Every cached base, sorted by name and tag.
    pub fn list(&self) -> Result<Vec<CachedBase>, BaseError> {
        match std::fs::read(&self.index) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| BaseError::Index(self.index.clone(), e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(BaseError::Index(self.index.clone(), e.to_string())),
        }
    }

    fn save(&self, mut bases: Vec<CachedBase>) -> Result<(), BaseError> {
        bases.sort_by(|a, b| (&a.name, &a.tag).cmp(&(&b.name, &b.tag)));
        let json = serde_json::to_vec_pretty(&bases).expect("plain data serialises");
        let tmp = self.index.with_extension("json.tmp");
        std::fs::write(&tmp, json)
            .and_then(|()| std::fs::rename(&tmp, &self.index))
            .map_err(|e| BaseError::Index(self.index.clone(), e.to_string()))
    }

    /// The cached base an image reference names (matched by name and tag).
    pub fn find(&self, reference: &ImageRef) -> Result<Option<CachedBase>, BaseError> {
        let name = ImageRef {
            tag: None,
            digest: None,
            ..reference.clone()
        }
        .familiar();
        let tag = reference.tag.as_deref().unwrap_or("latest");
        Ok(self
            .list()?
            .into_iter()
            .find(|b| b.name == name && b.tag == tag))
    }

    /// Imports `file` (OCI archive, OCI layout directory or docker archive) as
    /// `name:tag`, replacing any earlier import of that name.
    pub fn import(&self, reference: &str, file: &Path) -> Result<CachedBase, BaseError> {
        let (name, tag) = split_name(reference)?;
        let source = transport(file)?;
        let target = self
            .engine
            .storage_ref(&format!("{STORAGE_PREFIX}{name}:{tag}"));
        let mut copy = self.engine.skopeo("copy");
        copy.args(["--quiet", &source, &target]);
        self.engine.run("skopeo copy", copy)?;
        let mut inspect = self.engine.skopeo("inspect");
        inspect.arg(&target);
        let out = self.engine.run("skopeo inspect", inspect)?;
        let info: serde_json::Value =
            serde_json::from_slice(&out.stdout).map_err(|e| EngineError::Tool {
                tool: "skopeo inspect".into(),
                message: e.to_string(),
            })?;
        let digest = info["Digest"].as_str().unwrap_or_default().to_string();
        let mut raw = self.engine.skopeo("inspect");
        raw.args(["--raw", &target]);
        let manifest: serde_json::Value =
            serde_json::from_slice(&self.engine.run("skopeo inspect --raw", raw)?.stdout)
                .unwrap_or_default();
        let size = manifest["layers"]
            .as_array()
            .map(|l| l.iter().filter_map(|x| x["size"].as_u64()).sum())
            .unwrap_or(0);
        let base = CachedBase {
            name,
            tag,
            digest,
            size,
            imported_at: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            source,
        };
        let mut all: Vec<CachedBase> = self
            .list()?
            .into_iter()
            .filter(|b| b.reference() != base.reference())
            .collect();
        all.push(base.clone());
        self.save(all)?;
        Ok(base)
    }
}

/// The containers-image transport for a file or directory to import.
fn transport(file: &Path) -> Result<String, BaseError> {
    let unknown = || BaseError::UnknownFormat(file.to_path_buf());
    let path = file.canonicalize().map_err(|_| unknown())?;
    if path.is_dir() {
        if path.join("oci-layout").exists() {
            return Ok(format!("oci:{}", path.display()));
        }
        return Err(unknown());
    }
    let reader = std::fs::File::open(&path).map_err(|_| unknown())?;
    let mut archive = tar::Archive::new(reader);
    let mut names = Vec::new();
    for entry in archive.entries().map_err(|_| unknown())?.take(10_000) {
        let entry = entry.map_err(|_| unknown())?;
        names.push(entry.path().map_err(|_| unknown())?.display().to_string());
    }
    let has = |n: &str| names.iter().any(|x| x.trim_start_matches("./") == n);
    if has("oci-layout") {
        Ok(format!("oci-archive:{}", path.display()))
    } else if has("manifest.json") {
        Ok(format!("docker-archive:{}", path.display()))
    } else {
        Err(unknown())
    }
}

/// The cached base images a Dockerfile's stages start from, as (reference as
/// written, manifest digest): what a build of it was pinned to. Stages built on
/// `scratch` or on other stages add nothing; a reference the cache lacks is
/// reported with an empty digest.
pub fn bases_of(
    cache: &BaseCache<'_>,
    dockerfile: &str,
) -> Result<Vec<(String, String)>, BaseError> {
    let Ok(parsed) = flareo_dockerfile::parse_bytes(dockerfile.as_bytes()) else {
        return Ok(vec![]);
    };
    let Ok(program) = flareo_dockerfile::check(&parsed) else {
        return Ok(vec![]);
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for stage in &program.stages {
        if let flareo_dockerfile::instructions::Base::Image { resolved, .. } = &stage.base {
            if out.iter().any(|(r, _)| r == resolved) {
                continue;
            }
            let digest = match ImageRef::parse(resolved) {
                Ok(r) => cache.find(&r)?.map(|b| b.digest).unwrap_or_default(),
                Err(_) => String::new(),
            };
            out.push((resolved.clone(), digest));
        }
    }
    Ok(out)
}
