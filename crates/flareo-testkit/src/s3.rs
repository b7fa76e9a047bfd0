//! A real S3-compatible server for tests: `moto_server` on a free 127.0.0.1 port
//! with one freshly created bucket, killed on drop. A missing `moto_server` fails
//! the test: run scripts/setup.sh (it installs moto into `~/.cache/flareo/venv`).
//!
//! moto accepts any credentials (it does not check signatures); the ones given here
//! are the conventional `testing`/`testing`. It stores an *empty* object when a
//! PUT's `Content-Type` is a form type (`application/x-www-form-urlencoded`, as
//! curl `-d` sends by default, or `multipart/form-data`); no type at all is fine.
//! Clients under test should declare a real type.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::free_port;
use crate::server::{Starting, http_status};

/// How long moto may take to start answering.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Where `moto_server` is: `$FLAREO_MOTO_SERVER`, then the venv scripts/setup.sh
/// makes (`$FLAREO_CACHE/venv`, default `~/.cache/flareo/venv`), then `PATH`.
fn moto_server_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("FLAREO_MOTO_SERVER") {
        return PathBuf::from(bin);
    }
    let cache = std::env::var_os("FLAREO_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/flareo")));
    let venv = cache.map(|c| c.join("venv/bin/moto_server"));
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("moto_server"))
            .find(|bin| bin.is_file())
    });
    venv.filter(|bin| bin.is_file())
        .or(on_path)
        .expect("moto_server not found (FLAREO_MOTO_SERVER, ~/.cache/flareo/venv, PATH): run scripts/setup.sh")
}

/// A bucket name no other fixture in this or a concurrent test run uses
/// (lower-case, 3-63 characters, as S3 requires).
fn unique_bucket() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "flareo-test-{}-{}-{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// An S3-compatible server with one empty bucket, for one test.
pub struct S3 {
    child: Child,
    port: u16,
    bucket: String,
    /// Holds moto's log (one line per request), shown when it fails to start.
    dir: tempfile::TempDir,
}

impl S3 {
    /// Starts `moto_server` and creates a bucket with a unique name.
    pub fn start() -> Self {
        let bin = moto_server_bin();
        let dir = tempfile::tempdir().expect("temp dir");
        let log = std::fs::File::create(dir.path().join("moto.log")).expect("moto.log");
        let port = free_port();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("moto.log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e} (run scripts/setup.sh)", bin.display()));
        let mut s3 = Self {
            child,
            port,
            bucket: unique_bucket(),
            dir,
        };
        s3.wait_until_up();
        let status = http_status(port, "PUT", &format!("/{}", s3.bucket)).expect("create bucket");
        assert_eq!(status, 200, "create bucket {}: {}", s3.bucket, s3.log());
        s3
    }

    /// Polls until moto answers HTTP; panics with its log if it exits or hangs.
    fn wait_until_up(&mut self) {
        let port = self.port;
        let log = self.dir.path().join("moto.log");
        Starting {
            name: "moto_server",
            port,
            child: Some(&mut self.child),
            log: &log,
            timeout: START_TIMEOUT,
        }
        .wait(|| http_status(port, "GET", "/moto-api/").is_ok());
    }

    /// What moto has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("moto.log")).unwrap_or_default()
    }

    /// The server's URL, `http://127.0.0.1:<port>` (path-style addressing).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The bucket created for this test.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The region to sign requests for.
    pub fn region(&self) -> &'static str {
        "us-east-1"
    }

    /// An access key id moto accepts.
    pub fn access_key_id(&self) -> &'static str {
        "testing"
    }

    /// The matching secret access key.
    pub fn secret_access_key(&self) -> &'static str {
        "testing"
    }
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
