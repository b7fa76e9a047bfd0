//! The HTTP client the server-facing commands share: server URL and API token
//! from flags, environment or the credentials `flareo login` saved; JSON errors
//! turned into their human message and stable code.

use std::future::Future;
use std::path::PathBuf;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Default server.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// Where and as whom to talk to the server.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerArgs {
    /// The Flareo server [default: saved by `flareo login`, else http://127.0.0.1:8080].
    #[arg(long, env = "FLAREO_SERVER", global = true)]
    pub server: Option<String>,
    /// API token [default: saved by `flareo login`].
    #[arg(long, env = "FLAREO_TOKEN", global = true, hide_env_values = true)]
    pub token: Option<String>,
}

/// What `flareo login` saves (mode 0600).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Credentials {
    /// The server.
    pub server: String,
    /// The token.
    pub token: String,
}

/// The credentials file: `$XDG_CONFIG_HOME/flareo/credentials.json` or
/// `~/.config/flareo/credentials.json`.
pub fn credentials_path() -> anyhow::Result<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        return Ok(PathBuf::from(x).join("flareo/credentials.json"));
    }
    let home = std::env::var_os("HOME").context("HOME is not set; pass --server and --token")?;
    Ok(PathBuf::from(home).join(".config/flareo/credentials.json"))
}

fn saved() -> Option<Credentials> {
    let text = std::fs::read_to_string(credentials_path().ok()?).ok()?;
    serde_json::from_str(&text).ok()
}

/// Saves credentials readable only by this user.
pub fn save(creds: &Credentials) -> anyhow::Result<PathBuf> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = credentials_path()?;
    std::fs::create_dir_all(path.parent().expect("has a parent"))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(serde_json::to_string_pretty(creds)?.as_bytes())?;
    Ok(path)
}

/// A client of one server.
pub struct Client {
    http: reqwest::Client,
    /// The server's base URL, without a trailing slash.
    pub base: String,
    token: Option<String>,
}

impl Client {
    /// A client from flags, environment and saved credentials.
    pub fn new(args: &ServerArgs) -> anyhow::Result<Self> {
        let saved = saved();
        let base = args
            .server
            .clone()
            .or_else(|| saved.as_ref().map(|c| c.server.clone()))
            .unwrap_or_else(|| DEFAULT_SERVER.into())
            .trim_end_matches('/')
            .to_string();
        let token = args.token.clone().or_else(|| {
            saved
                .filter(|c| c.server.trim_end_matches('/') == base)
                .map(|c| c.token)
        });
        let http = reqwest::Client::builder()
            .user_agent(concat!("flareo/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, base, token })
    }

    fn with_auth(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder, what: &str) -> anyhow::Result<Value> {
        let response =
            self.with_auth(req).send().await.with_context(|| {
                format!("{what}: cannot reach the Flareo server at {}", self.base)
            })?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .with_context(|| format!("{what}: reading the answer"))?;
        let value: Value = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()))
        };
        if !status.is_success() {
            let message = value["error"]["message"].as_str().unwrap_or("no message");
            let code = value["error"]["code"].as_str().unwrap_or("unknown");
            bail!(ApiFailure {
                what: what.to_string(),
                status: status.as_u16(),
                code: code.to_string(),
                message: message.to_string(),
            });
        }
        Ok(value)
    }

    /// GET `path` (under the base URL) as JSON.
    pub async fn get(&self, path: &str, what: &str) -> anyhow::Result<Value> {
        self.send(self.http.get(format!("{}{path}", self.base)), what)
            .await
    }

    /// POST JSON to `path`.
    pub async fn post(&self, path: &str, body: &Value, what: &str) -> anyhow::Result<Value> {
        self.send(
            self.http.post(format!("{}{path}", self.base)).json(body),
            what,
        )
        .await
    }

    /// POST a multipart form to `path`.
    pub async fn post_form(
        &self,
        path: &str,
        form: reqwest::multipart::Form,
        what: &str,
    ) -> anyhow::Result<Value> {
        self.send(
            self.http
                .post(format!("{}{path}", self.base))
                .multipart(form),
            what,
        )
        .await
    }
}

/// A refusal from the server, with its stable code.
#[derive(Debug)]
pub struct ApiFailure {
    /// What the command was doing.
    pub what: String,
    /// HTTP status.
    pub status: u16,
    /// Stable code.
    pub code: String,
    /// Human message.
    pub message: String,
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} ({}, HTTP {})",
            self.what, self.message, self.code, self.status
        )
    }
}

impl std::error::Error for ApiFailure {}

/// Runs a future on a fresh runtime (the CLI's commands are synchronous).
pub fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(f)
}

/// Prints `value` as pretty JSON.
pub fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// Unix ms as `YYYY-MM-DD HH:MM:SS` UTC.
pub fn when(ms: i64) -> String {
    let (y, m, d, hh, mm, ss) = super::civil(ms.div_euclid(1000));
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn when_formats_utc() {
        assert_eq!(super::when(0), "1970-01-01 00:00:00");
        assert_eq!(super::when(1_795_000_000_000), "2026-11-18 11:06:40");
    }
}
