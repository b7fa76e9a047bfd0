//! The operator's configuration (YAML), with the seed's defaults for everything
//! left out: approved base images, build limits and submission-archive caps.

use std::path::{Path, PathBuf};
use std::time::Duration;

use flareo_dockerfile::rules::{ApprovedBase, LintConfig};
use serde::Deserialize;

/// Resource limits for one build. Defaults are the seed's: 4 GB of RAM, 2 CPUs,
/// 10 minutes, 20 GB of layers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Memory limit of every `RUN`, in bytes.
    pub memory_bytes: u64,
    /// CPUs every `RUN` may use (a CFS quota).
    pub cpus: u32,
    /// Most processes alive at once in the build's cgroup.
    pub pids: u32,
    /// Wall-clock limit from build start to image committed, in seconds.
    pub timeout_secs: u64,
    /// Most bytes of layers (written while building, and in the final image).
    pub layer_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_bytes: 4 << 30,
            cpus: 2,
            pids: 4096,
            timeout_secs: 600,
            layer_bytes: 20_000_000_000,
        }
    }
}

impl Limits {
    /// The wall-clock limit.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
}

/// Caps on a submission archive, checked while extracting.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArchiveLimits {
    /// Most bytes after decompression.
    pub max_bytes: u64,
    /// Most entries.
    pub max_entries: u64,
    /// Most uncompressed bytes per compressed byte.
    pub max_ratio: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        Self {
            max_bytes: 2 << 30,
            max_entries: 100_000,
            max_ratio: 100,
        }
    }
}

/// Everything an operator can configure for linting and building.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OperatorConfig {
    /// Base images approved on top of the seed's list, optionally digest-pinned.
    pub approved_bases: Vec<ApprovedBase>,
    /// Build limits.
    pub build: Limits,
    /// Submission archive caps.
    pub archive: ArchiveLimits,
    /// Where Flareo keeps its state (blobs, base cache, buildah storage).
    pub data_dir: Option<PathBuf>,
}

/// The config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Reading failed.
    #[error("reading config {}: {}", .0.display(), .1)]
    Read(PathBuf, std::io::Error),
    /// Not the expected YAML.
    #[error("parsing config {}: {}", .0.display(), .1)]
    Parse(PathBuf, String),
}

impl OperatorConfig {
    /// Loads a YAML config file; `None` gives the defaults.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.to_path_buf(), e))?;
        serde_saphyr::from_str(&text)
            .map_err(|e| ConfigError::Parse(path.to_path_buf(), e.to_string()))
    }

    /// The lint rules' configuration: the seed's bases plus the operator's.
    pub fn lint_config(&self) -> LintConfig {
        LintConfig::default().with_additions(self.approved_bases.clone())
    }
}
