//! Flareo's buildah installation: storage under Flareo's data directory (never
//! the system default), a runc state root per build, the storage probe seeded as
//! DESIGN.md prescribes, and a janitor that removes what a crashed build left.
//!
//! One [`Engine`] owns a data directory: it holds an exclusive lock on it for its
//! lifetime, so the janitor never touches a build another process is running.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::cgroup;

/// uid/gid range that is root inside every build (DESIGN.md: one fixed range).
pub const USERNS_MAP: &str = "0:100000:65536";

/// Prefix of the names of images a build commits (removed after export).
pub const BUILD_IMAGE_PREFIX: &str = "localhost/flareo-build-";

/// Why the engine could not be used.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A directory or file of the data directory.
    #[error("{what} {}: {source}", .path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// Another process holds the data directory.
    #[error("data directory {} is in use by another flareo process; stop it or use another --data-dir", .0.display())]
    Locked(PathBuf),
    /// The build user namespace could not reach the data directory.
    #[error("data directory {}: {} has mode {:o}, so root inside builds (host uid 100000) cannot reach buildah's storage; use a data directory under /var/lib or /srv (the default for root is /var/lib/flareo), or `chmod o+x {}`", .dir.display(), .blocker.display(), .mode, .blocker.display())]
    Unreachable {
        /// The data directory.
        dir: PathBuf,
        /// The ancestor that others cannot traverse.
        blocker: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A tool failed.
    #[error("{tool} failed: {message}")]
    Tool {
        /// The command, e.g. `buildah push`.
        tool: String,
        /// Its error output, or why it could not run.
        message: String,
    },
}

/// buildah, runc and skopeo, configured for one data directory.
#[derive(Debug)]
pub struct Engine {
    dir: PathBuf,
    scope: String,
    _lock: nix::fcntl::Flock<File>,
}

fn io_err<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> EngineError + 'a {
    move |source| EngineError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

impl Engine {
    /// Opens (creating) the engine state under `data_dir/buildah`, locks it, and
    /// cleans up after any build a crash left behind.
    pub fn open(data_dir: &Path) -> Result<Self, EngineError> {
        let dir = data_dir.join("buildah");
        for sub in ["storage", "run", "runc", "tmp", "work"] {
            let p = dir.join(sub);
            std::fs::create_dir_all(&p).map_err(io_err("creating", &p))?;
        }
        // Builds reach their root filesystems through here as the mapped uid.
        for p in [data_dir.to_path_buf(), dir.clone()] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p)
                .map_err(io_err("reading", &p))?
                .permissions()
                .mode();
            if mode & 0o001 == 0 {
                std::fs::set_permissions(
                    &p,
                    std::fs::Permissions::from_mode((mode | 0o011) & 0o7777),
                )
                .map_err(io_err("making traversable", &p))?;
            }
        }
        let dir = dir.canonicalize().map_err(io_err("resolving", &dir))?;
        reachable_by_builds(&dir)?;
        let lock_path = dir.join("engine.lock");
        let file = File::create(&lock_path).map_err(io_err("creating", &lock_path))?;
        let lock = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock)
            .map_err(|_| EngineError::Locked(data_dir.to_path_buf()))?;
        let policy = dir.join("policy.json");
        std::fs::write(
            &policy,
            br#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
        )
        .map_err(io_err("writing", &policy))?;
        let scope = scope_of(&dir);
        let engine = Self {
            dir,
            scope,
            _lock: lock,
        };
        engine.janitor();
        Ok(engine)
    }

    /// The directory holding this engine's state.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cgroup scope of this engine's builds (`flareo/<scope>/<build>`).
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// A fresh per-build working directory (context, lowered Dockerfile, export).
    pub fn work_dir(&self) -> Result<tempfile::TempDir, EngineError> {
        let parent = self.dir.join("work");
        tempfile::Builder::new()
            .prefix("build-")
            .tempdir_in(&parent)
            .map_err(io_err("creating a work directory in", &parent))
    }

    /// The runc state directory of one build.
    pub fn runc_root(&self, build: &str) -> PathBuf {
        self.dir.join("runc").join(build)
    }

    /// `containers-storage:` transport reference to `name` in this storage.
    pub fn storage_ref(&self, name: &str) -> String {
        format!(
            "containers-storage:[overlay@{}+{}]{name}",
            self.dir.join("storage").display(),
            self.dir.join("run").display()
        )
    }

    /// The storage's layer directories (to watch what a build writes).
    pub fn layers_dir(&self) -> PathBuf {
        self.dir.join("storage/overlay")
    }

    /// A `buildah` command on this storage. Seeds the idmapped-lower-dir probe as
    /// negative first (DESIGN.md: otherwise layers are committed with host uids).
    pub fn buildah(&self) -> Command {
        let probe = self.dir.join("run/overlay");
        let _ = std::fs::create_dir_all(&probe);
        let _ = std::fs::remove_file(probe.join("idmapped-lower-dir-true"));
        let _ = File::create(probe.join("idmapped-lower-dir-false"));
        let mut cmd = Command::new("buildah");
        cmd.arg("--root")
            .arg(self.dir.join("storage"))
            .arg("--runroot")
            .arg(self.dir.join("run"))
            .args(["--storage-driver", "overlay"])
            .env("TMPDIR", self.dir.join("tmp"))
            .env("BUILDAH_ISOLATION", "oci");
        cmd
    }

    /// A `skopeo` command with this engine's signature policy.
    pub fn skopeo(&self, subcommand: &str) -> Command {
        let mut cmd = Command::new("skopeo");
        cmd.arg("--policy")
            .arg(self.dir.join("policy.json"))
            .arg(subcommand)
            .env("TMPDIR", self.dir.join("tmp"));
        cmd
    }

    /// Runs a prepared command, returning its output or its stderr as the error.
    pub fn run(&self, tool: &str, mut cmd: Command) -> Result<Output, EngineError> {
        let out = cmd.output().map_err(|e| EngineError::Tool {
            tool: tool.to_string(),
            message: format!("could not start: {e} (is it installed? run scripts/setup.sh)"),
        })?;
        if !out.status.success() {
            return Err(EngineError::Tool {
                tool: tool.to_string(),
                message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(out)
    }

    /// Removes one build's runtime leftovers: its processes and cgroups, its runc
    /// containers, and any buildah working containers.
    pub fn cleanup_build(&self, build: &str) {
        cgroup::BuildCgroup::create_handle(&self.scope, build).destroy();
        self.delete_runc_containers(&self.runc_root(build));
        let _ = std::fs::remove_dir_all(self.runc_root(build));
    }

    fn delete_runc_containers(&self, root: &Path) {
        let Ok(out) = Command::new("runc")
            .arg("--root")
            .arg(root)
            .args(["list", "-q"])
            .output()
        else {
            return;
        };
        for id in String::from_utf8_lossy(&out.stdout).lines() {
            let _ = Command::new("runc")
                .arg("--root")
                .arg(root)
                .args(["delete", "--force", id.trim()])
                .output();
        }
    }

    /// Cleans up after crashed builds: kills their cgroups, deletes runc
    /// containers, removes buildah working containers and build images.
    fn janitor(&self) {
        self.kill_orphans();
        cgroup::destroy_scope(&self.scope);
        if let Ok(entries) = std::fs::read_dir(self.dir.join("runc")) {
            for e in entries.flatten() {
                self.delete_runc_containers(&e.path());
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        let mut rm = self.buildah();
        rm.args(["rm", "--all"]);
        let _ = rm.output();
        let mut images = self.buildah();
        images.args(["images", "--noheading", "--format", "{{.Name}}:{{.Tag}}"]);
        if let Ok(out) = images.output() {
            for name in String::from_utf8_lossy(&out.stdout).lines() {
                if name.starts_with(BUILD_IMAGE_PREFIX) {
                    let mut rmi = self.buildah();
                    rmi.args(["rmi", "--force", name.trim()]);
                    let _ = rmi.output();
                }
            }
        }
        let _ = std::fs::remove_dir_all(self.dir.join("work"));
        let _ = std::fs::create_dir_all(self.dir.join("work"));
        let mut prune = self.buildah();
        prune.args(["rmi", "--prune"]);
        let _ = prune.output();
    }
}

impl Engine {
    /// Kills buildah processes still working on this storage: a crashed worker's
    /// builds (buildah runs in its own process group and outlives its parent).
    fn kill_orphans(&self) {
        let storage = self.dir.join("storage");
        let needle = storage.as_os_str().as_encoded_bytes();
        let Ok(procs) = std::fs::read_dir("/proc") else {
            return;
        };
        for p in procs.flatten() {
            let Some(pid) = p.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            if pid == std::process::id() as i32 {
                continue;
            }
            let Ok(cmdline) = std::fs::read(p.path().join("cmdline")) else {
                continue;
            };
            let mut args = cmdline.split(|b| *b == 0);
            let is_buildah = args.next().is_some_and(|a| a.ends_with(b"buildah"));
            if is_buildah && cmdline.windows(needle.len()).any(|w| w == needle) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }
}

/// Checks that every directory on the way to `dir` lets others traverse it: the
/// runtime mounts the build's root filesystem from there as the mapped uid.
fn reachable_by_builds(dir: &Path) -> Result<(), EngineError> {
    use std::os::unix::fs::PermissionsExt;
    for ancestor in dir.ancestors() {
        let mode = std::fs::metadata(ancestor)
            .map_err(io_err("reading", ancestor))?
            .permissions()
            .mode();
        if mode & 0o001 == 0 && !ancestor.starts_with(dir) {
            return Err(EngineError::Unreachable {
                dir: dir.to_path_buf(),
                blocker: ancestor.to_path_buf(),
                mode: mode & 0o7777,
            });
        }
    }
    Ok(())
}

/// A short stable name for a state directory, so engines on different data
/// directories never clean up each other's cgroups.
fn scope_of(dir: &Path) -> String {
    let digest = flareo_oci::Digest::of(dir.as_os_str().as_encoded_bytes());
    digest.hex()[..12].to_string()
}
