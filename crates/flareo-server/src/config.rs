//! The instance's configuration: one YAML file holding the operator's build
//! settings (`approved_bases`, `build`, `archive`, `data_dir`; see
//! `flareo_build::OperatorConfig`) and the server's (`listen`, `public_url`,
//! `database`, `store`, `smtp`, `admin`, `worker`), then `FLAREO_*` environment
//! overrides. Everything left out takes the embedded default: SQLite and blobs
//! under the data directory, an embedded worker, no mail.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use flareo_build::OperatorConfig;
use flareo_oci::StoreConfig;
use serde::Deserialize;

use crate::mail::SmtpConfig;

/// Top-level keys that belong to the operator's build settings.
const OPERATOR_KEYS: [&str; 4] = ["approved_bases", "build", "archive", "data_dir"];
/// Top-level keys that belong to the server.
const SERVER_KEYS: [&str; 9] = [
    "listen",
    "signing",
    "push",
    "public_url",
    "database",
    "store",
    "smtp",
    "admin",
    "worker",
];

/// The first administrator, created on the first start when no user exists.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// Login e-mail (default `admin@localhost`).
    pub email: Option<String>,
    /// Password; when absent a random one is generated and printed once.
    pub password: Option<String>,
}

/// Worker tuning.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerConfig {
    /// Seconds a claim lasts without renewal (renewed every third of it).
    pub lease_secs: u64,
    /// Seconds between polls of an empty queue.
    pub poll_secs: f64,
    /// Claims of one job before it fails as abandoned.
    pub max_attempts: i64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            lease_secs: 30,
            poll_secs: 1.0,
            max_attempts: 3,
        }
    }
}

/// The server's own settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Address the HTTP server listens on (default 127.0.0.1:8080).
    pub listen: SocketAddr,
    /// The URL users reach this instance at (default `http://<listen>`); its
    /// host names the registry in pull URLs, `https` makes cookies `Secure`.
    pub public_url: Option<String>,
    /// `sqlite://PATH` or `postgres://...` (default: `<data_dir>/flareo.db`).
    pub database: Option<String>,
    /// Blob store (default: local disk under `<data_dir>/blobs`).
    pub store: Option<StoreConfig>,
    /// SMTP server for mail; none means mail stays queued in the outbox.
    pub smtp: Option<SmtpConfig>,
    /// The first administrator.
    pub admin: AdminConfig,
    /// Worker tuning.
    pub worker: WorkerConfig,
    /// How images are signed and logged (default: the embedded CA and log).
    pub signing: crate::signing::SigningConfig,
    /// An external registry every published module is also pushed to.
    pub push: Option<crate::signing::PushConfig>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            database: None,
            store: None,
            smtp: None,
            admin: AdminConfig::default(),
            worker: WorkerConfig::default(),
            signing: crate::signing::SigningConfig::default(),
            push: None,
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Build settings.
    pub operator: OperatorConfig,
    /// Server settings.
    pub server: ServerSettings,
}

/// The configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Reading the file failed.
    #[error("reading config {}: {}", .0.display(), .1)]
    Read(PathBuf, std::io::Error),
    /// The file is not the expected YAML.
    #[error("parsing config {}: {}", .0.display(), .1)]
    Parse(PathBuf, String),
    /// An environment override is malformed.
    #[error("environment variable {0}: {1}")]
    Env(&'static str, String),
}

impl Config {
    /// Loads `path` (or the embedded defaults), then applies `FLAREO_*` overrides
    /// from `env` (`FLAREO_DATA_DIR`, `FLAREO_DATABASE_URL`, `FLAREO_LISTEN`,
    /// `FLAREO_PUBLIC_URL`, `FLAREO_ADMIN_EMAIL`, `FLAREO_ADMIN_PASSWORD`,
    /// `FLAREO_SMTP_HOST`, `FLAREO_SMTP_PORT`).
    pub fn load(
        path: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut config = match path {
            Some(path) => Self::parse(path)?,
            None => Self::default(),
        };
        config.apply_env(env)?;
        Ok(config)
    }

    fn parse(path: &Path) -> Result<Self, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.to_path_buf(), e))?;
        let bad = |e: String| ConfigError::Parse(path.to_path_buf(), e);
        let value: serde_json::Value = if text.trim().is_empty() {
            serde_json::Value::Object(Default::default())
        } else {
            serde_saphyr::from_str(&text).map_err(|e| bad(e.to_string()))?
        };
        let serde_json::Value::Object(map) = value else {
            return Err(bad("expected a mapping at the top level".into()));
        };
        let (mut operator, mut server) = (serde_json::Map::new(), serde_json::Map::new());
        for (key, v) in map {
            if OPERATOR_KEYS.contains(&key.as_str()) {
                operator.insert(key, v);
            } else if SERVER_KEYS.contains(&key.as_str()) {
                server.insert(key, v);
            } else {
                let known = OPERATOR_KEYS.iter().chain(&SERVER_KEYS).copied();
                let hint = known
                    .map(|k| (strsim::levenshtein(k, &key), k))
                    .min()
                    .filter(|(d, _)| *d <= 3)
                    .map(|(_, k)| format!(" (did you mean {k}?)"))
                    .unwrap_or_default();
                return Err(bad(format!("unknown key {key:?}{hint}")));
            }
        }
        Ok(Self {
            operator: serde_json::from_value(operator.into()).map_err(|e| bad(e.to_string()))?,
            server: serde_json::from_value(server.into()).map_err(|e| bad(e.to_string()))?,
        })
    }

    fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = env("FLAREO_DATA_DIR") {
            self.operator.data_dir = Some(v.into());
        }
        if let Some(v) = env("FLAREO_DATABASE_URL") {
            self.server.database = Some(v);
        }
        if let Some(v) = env("FLAREO_LISTEN") {
            self.server.listen = v
                .parse()
                .map_err(|e| ConfigError::Env("FLAREO_LISTEN", format!("{v:?}: {e}")))?;
        }
        if let Some(v) = env("FLAREO_PUBLIC_URL") {
            self.server.public_url = Some(v);
        }
        if let Some(v) = env("FLAREO_ADMIN_EMAIL") {
            self.server.admin.email = Some(v);
        }
        if let Some(v) = env("FLAREO_ADMIN_PASSWORD") {
            self.server.admin.password = Some(v);
        }
        if let Some(host) = env("FLAREO_SMTP_HOST") {
            let smtp = self.server.smtp.get_or_insert_with(SmtpConfig::default);
            smtp.host = host;
        }
        if let Some(port) = env("FLAREO_SMTP_PORT") {
            let smtp = self.server.smtp.get_or_insert_with(SmtpConfig::default);
            smtp.port = port
                .parse()
                .map_err(|e| ConfigError::Env("FLAREO_SMTP_PORT", format!("{port:?}: {e}")))?;
        }
        Ok(())
    }

    /// The data directory: configured, else [`default_data_dir`], else
    /// `flareo-data` in the working directory.
    pub fn data_dir(&self) -> PathBuf {
        self.operator
            .data_dir
            .clone()
            .or_else(default_data_dir)
            .unwrap_or_else(|| PathBuf::from("flareo-data"))
    }

    /// The database URL.
    pub fn database_url(&self) -> String {
        self.server.database.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir().join("flareo.db").display()
            )
        })
    }

    /// The blob store configuration.
    pub fn store(&self) -> StoreConfig {
        self.server
            .store
            .clone()
            .unwrap_or_else(|| StoreConfig::Local {
                path: self.data_dir().join("blobs"),
            })
    }

    /// The public URL, without a trailing slash.
    pub fn public_url(&self) -> String {
        self.server
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.server.listen))
            .trim_end_matches('/')
            .to_string()
    }

    /// The registry host in pull URLs (`host[:port]` of the public URL).
    pub fn registry_host(&self) -> String {
        let url = self.public_url();
        let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
        rest.split('/').next().unwrap_or(rest).to_string()
    }
}

/// The default data directory: `/var/lib/flareo` when the effective user is root
/// (builds need it traversable by the mapped uid), else `$XDG_DATA_HOME/flareo` or
/// `~/.local/share/flareo`; `None` when neither variable is set.
pub fn default_data_dir() -> Option<PathBuf> {
    let root = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        .unwrap_or(false);
    if root {
        return Some(PathBuf::from("/var/lib/flareo"));
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x).join("flareo"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/flareo"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(yaml: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.yaml");
        std::fs::write(&path, yaml).unwrap();
        Config::load(Some(&path), |k| {
            env.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn defaults_and_overrides() {
        let c = Config::load(None, |_| None).unwrap();
        assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
        assert!(c.database_url().ends_with("flareo.db?mode=rwc"));
        let c = load(
            "data_dir: /srv/f\nlisten: 127.0.0.1:9000\nbuild:\n  timeout_secs: 60\n",
            &[
                ("FLAREO_DATABASE_URL", "postgres://x/y"),
                ("FLAREO_SMTP_PORT", "2525"),
            ],
        )
        .unwrap();
        assert_eq!(c.data_dir(), PathBuf::from("/srv/f"));
        assert_eq!(c.operator.build.timeout_secs, 60);
        assert_eq!(c.database_url(), "postgres://x/y");
        assert_eq!(c.server.smtp.as_ref().unwrap().port, 2525);
        assert_eq!(c.registry_host(), "127.0.0.1:9000");
    }

    #[test]
    fn unknown_keys_are_refused_with_a_hint() {
        let e = load("listne: 1.2.3.4:5\n", &[]).unwrap_err().to_string();
        assert!(
            e.contains("unknown key \"listne\" (did you mean listen?)"),
            "{e}"
        );
        let e = load("build:\n  timeout: 5\n", &[]).unwrap_err().to_string();
        assert!(e.contains("timeout"), "{e}");
        let e = load("x", &[("FLAREO_LISTEN", "nope")])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("expected a mapping") || e.contains("FLAREO_LISTEN"),
            "{e}"
        );
    }
}
