//! Real databases for tests: a SQLite file, and a PostgreSQL server started with
//! `initdb`/`pg_ctl` in a temporary directory on a free 127.0.0.1 port (stopped on
//! drop). A missing PostgreSQL fails the test: run scripts/setup.sh.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{free_port, is_root};

/// The newest installed PostgreSQL's bin directory.
fn pg_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed (/usr/lib/postgresql missing): run scripts/setup.sh")
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("no initdb under /usr/lib/postgresql: run scripts/setup.sh")
}

/// A PostgreSQL server for one test.
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl Postgres {
    /// Runs a PostgreSQL tool, as the `postgres` user when we are root.
    fn tool(&self, name: &str) -> Command {
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(self.bin.join(name));
            c
        } else {
            Command::new(self.bin.join(name))
        };
        cmd.current_dir(self.dir.path());
        cmd
    }

    /// Initialises and starts a server.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let pg = Self {
            dir,
            bin: pg_bin(),
            port,
        };
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(pg.dir.path())
                .status()
                .unwrap();
            assert!(status.success());
        }
        let data = pg.data();
        let out = pg
            .tool("initdb")
            .args([
                "-A",
                "trust",
                "-U",
                "flareo",
                "-E",
                "UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(&data)
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let options = format!(
            "-p {port} -h 127.0.0.1 -k {} -c fsync=off -c synchronous_commit=off -c max_connections=200",
            pg.dir.path().display()
        );
        let out = pg
            .tool("pg_ctl")
            .args(["-w", "-t", "60", "-o", &options, "-l"])
            .arg(pg.dir.path().join("server.log"))
            .arg("-D")
            .arg(&data)
            .arg("start")
            .output()
            .expect("run pg_ctl");
        assert!(
            out.status.success(),
            "pg_ctl start: {}{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(pg.dir.path().join("server.log")).unwrap_or_default()
        );
        pg
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Creates database `name` and returns its URL.
    pub fn database(&self, name: &str) -> String {
        let out = self
            .tool("createdb")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "flareo",
                name,
            ])
            .output()
            .expect("run createdb");
        assert!(
            out.status.success(),
            "createdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        format!("postgres://flareo@127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self
            .tool("pg_ctl")
            .args(["-m", "immediate", "-D"])
            .arg(self.data())
            .arg("stop")
            .output();
    }
}

/// A SQLite database URL in `dir`.
pub fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("flareo.db").display())
}
