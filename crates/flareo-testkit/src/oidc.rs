//! An OpenID Connect issuer on 127.0.0.1 for the keyless-signing tests: axa-group's
//! `oauth2-mock-server` (npm, pinned; installed under
//! `~/.cache/flareo/peers/oauth2-mock-server-<version>` on first use) run by Node
//! with a fresh RS256 key. It serves discovery and JWKS like any issuer, and
//! issues real signed JWTs for a chosen subject, audience and lifetime.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::server::{Starting, http_request};

/// The pinned oauth2-mock-server version (7.2 runs on Debian 12's Node 18 and on 20).
pub const OAUTH2_MOCK_SERVER: &str = "7.2.1";

/// A running issuer; stopped on drop.
pub struct OidcIssuer {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl OidcIssuer {
    /// Starts an issuer on a free port.
    pub fn start() -> Self {
        let launcher = crate::peers::npm_peer(
            "oauth2-mock-server",
            OAUTH2_MOCK_SERVER,
            "oidc-issuer.mjs",
            include_str!("../js/oidc-issuer.mjs"),
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let port = crate::free_port();
        let log = dir.path().join("oidc.log");
        let out = std::fs::File::create(&log).expect("log file");
        let mut child = Command::new("node")
            .arg(&launcher)
            .arg(port.to_string())
            .stdout(out.try_clone().expect("log file"))
            .stderr(out)
            .stdin(Stdio::null())
            .spawn()
            .expect("starting node (scripts/setup.sh installs nodejs)");
        let ready_log = log.clone();
        Starting {
            name: "oauth2-mock-server",
            port,
            child: Some(&mut child),
            log: &log,
            timeout: Duration::from_secs(30),
        }
        .wait(|| {
            std::fs::read_to_string(&ready_log)
                .unwrap_or_default()
                .contains("ready ")
        });
        Self {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    /// The issuer URL (`iss` of its tokens).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The issuer's log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A token for `sub` and `audience` expiring in `lifetime_secs` (negative:
    /// already expired), from the issuer's token endpoint.
    pub fn token(&self, sub: &str, audience: &str, lifetime_secs: i64) -> String {
        self.token_with(sub, audience, lifetime_secs, None)
    }

    /// [`OidcIssuer::token`] carrying `email` and `email_verified` claims, as a
    /// person's identity provider issues them.
    pub fn email_token(&self, sub: &str, email: &str, verified: bool, audience: &str) -> String {
        self.token_with(sub, audience, 600, Some((email, verified)))
    }

    fn token_with(
        &self,
        sub: &str,
        audience: &str,
        lifetime_secs: i64,
        email: Option<(&str, bool)>,
    ) -> String {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "client_credentials")
            .append_pair("aud", audience)
            .append_pair("sub", sub)
            .append_pair("lifetime", &lifetime_secs.to_string());
        if let Some((email, verified)) = email {
            form.append_pair("email", email)
                .append_pair("email_verified", &verified.to_string());
        }
        let form = form.finish();
        let (status, body) = http_request(
            self.port,
            "POST",
            "/token",
            "application/x-www-form-urlencoded",
            &form,
        )
        .expect("asking the OIDC issuer for a token");
        assert_eq!(status, 200, "token endpoint: {body}\n{}", self.log());
        let v: serde_json::Value = serde_json::from_str(&body).expect("token response is JSON");
        v["access_token"]
            .as_str()
            .expect("token response has access_token")
            .to_string()
    }
}

impl Drop for OidcIssuer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
