//! One module per subcommand, plus what several share.

pub mod base;
pub mod build;
pub mod lint;

use std::path::{Path, PathBuf};

use anyhow::Context;
use flareo_build::OperatorConfig;

/// Options every command touching Flareo's state shares.
#[derive(Debug, Clone, clap::Args)]
pub struct StateArgs {
    /// Operator config (YAML): approved_bases, build limits, archive caps, data_dir.
    #[arg(long, env = "FLAREO_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Where Flareo keeps blobs, the base-image cache and buildah's storage
    /// [default: config's data_dir, else /var/lib/flareo for root, else
    /// $XDG_DATA_HOME/flareo or ~/.local/share/flareo].
    #[arg(long, env = "FLAREO_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
}

impl StateArgs {
    /// The operator config and the data directory to use.
    pub fn load(&self) -> anyhow::Result<(OperatorConfig, PathBuf)> {
        let config = OperatorConfig::load(self.config.as_deref())?;
        let dir = match (&self.data_dir, &config.data_dir) {
            (Some(d), _) | (None, Some(d)) => d.clone(),
            (None, None) => default_data_dir()?,
        };
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating data directory {}", dir.display()))?;
        Ok((config, dir))
    }
}

fn default_data_dir() -> anyhow::Result<PathBuf> {
    if is_root() {
        return Ok(PathBuf::from("/var/lib/flareo"));
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return Ok(Path::new(&x).join("flareo"));
    }
    let home =
        std::env::var_os("HOME").context("neither --data-dir, FLAREO_DATA_DIR nor HOME is set")?;
    Ok(Path::new(&home).join(".local/share/flareo"))
}

/// Human-readable byte count (`1.2 MB`).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

fn is_root() -> bool {
    // The effective uid, from /proc (no libc call needed at this edge).
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}
