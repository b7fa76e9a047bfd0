//! One module per subcommand, plus what several share.

pub mod advisories;
pub mod base;
pub mod build;
pub mod client;
pub mod lint;
pub mod modules;
pub mod publish;
pub mod review;
pub mod serve;
pub mod status;
pub mod trust_root;
pub mod users;
pub mod verify;
pub mod vex;

use std::path::{Path, PathBuf};

use anyhow::Context;
use flareo_build::OperatorConfig;
use flareo_server::Config;

/// Loads the instance config (operator and server settings) with `FLAREO_*`
/// environment overrides; the embedded defaults when `path` is `None`.
pub fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    Ok(Config::load(path, |k| std::env::var(k).ok())?)
}

/// The operator's part of the config.
pub fn operator_config(path: Option<&Path>) -> anyhow::Result<OperatorConfig> {
    Ok(load_config(path)?.operator)
}

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
        let config = operator_config(self.config.as_deref())?;
        let dir = match (&self.data_dir, &config.data_dir) {
            (Some(d), _) | (None, Some(d)) => d.clone(),
            (None, None) => flareo_server::config::default_data_dir()
                .context("neither --data-dir, FLAREO_DATA_DIR nor HOME is set")?,
        };
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating data directory {}", dir.display()))?;
        Ok((config, dir))
    }
}

/// Unix seconds as UTC (year, month, day, hour, minute, second), by Howard
/// Hinnant's days-to-civil algorithm.
pub fn civil(secs: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3600, rem / 60 % 60, rem % 60)
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
