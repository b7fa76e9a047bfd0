//! A cgroup per build. buildah puts every `RUN` container under it
//! (`--cgroup-parent`), Flareo sets the pid limit on it, and after a failure,
//! timeout or crash everything left inside can be found and killed.
//!
//! On cgroup v1 (these machines: one hierarchy per controller) the group exists
//! in each controller's tree; on v2, in the unified tree.

use std::io;
use std::path::{Path, PathBuf};

const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// The cgroup of one build: `<hierarchy>/flareo/<scope>/<build>`.
#[derive(Debug, Clone)]
pub struct BuildCgroup {
    relative: PathBuf,
}

/// Every hierarchy directory the machine has (v1 controllers, or the v2 root).
fn hierarchies() -> Vec<PathBuf> {
    let root = Path::new(CGROUP_ROOT);
    if root.join("cgroup.controllers").exists() {
        return vec![root.to_path_buf()];
    }
    let mut out: Vec<PathBuf> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("cgroup.procs").exists() && !p.is_symlink())
        .collect();
    out.sort();
    out
}

/// The hierarchy that holds pid limits (the `pids` controller, or v2's root).
fn pids_hierarchy() -> Option<PathBuf> {
    hierarchies().into_iter().find(|h| {
        h.join("pids.max").exists() || h.ends_with("pids") || h.join("cgroup.controllers").exists()
    })
}

impl BuildCgroup {
    /// Creates the cgroup for build `build` of the worker scope `scope` and sets
    /// its pid limit.
    pub fn create(scope: &str, build: &str, pids: u32) -> io::Result<Self> {
        let me = Self {
            relative: Path::new("flareo").join(scope).join(build),
        };
        if let Some(h) = pids_hierarchy() {
            let dir = h.join(&me.relative);
            std::fs::create_dir_all(&dir)?;
            if h.join("cgroup.controllers").exists() {
                // v2: the limit needs the controller enabled on the way down.
                let mut at = h.clone();
                for c in me.relative.components() {
                    let _ = std::fs::write(at.join("cgroup.subtree_control"), "+pids +memory +cpu");
                    at.push(c);
                }
            }
            std::fs::write(dir.join("pids.max"), pids.to_string())?;
        }
        Ok(me)
    }

    /// A handle on an existing (or absent) build group, for cleanup.
    pub fn create_handle(scope: &str, build: &str) -> Self {
        Self {
            relative: Path::new("flareo").join(scope).join(build),
        }
    }

    /// The value for buildah's `--cgroup-parent`: a leaf under this build's group,
    /// so runc's cleanup of the leaf leaves the limits in place.
    pub fn parent_for_buildah(&self) -> String {
        format!("/{}/run", self.relative.display())
    }

    /// Kills every process in the group (any hierarchy) and removes the groups.
    pub fn destroy(&self) {
        destroy_tree(&self.relative);
    }
}

/// Kills and removes every build group under `flareo/<scope>` (a crash's leftovers).
pub fn destroy_scope(scope: &str) {
    destroy_tree(&Path::new("flareo").join(scope));
}

fn destroy_tree(relative: &Path) {
    for h in hierarchies() {
        let dir = h.join(relative);
        if dir.is_dir() {
            kill_all(&dir);
        }
    }
    for h in hierarchies() {
        let dir = h.join(relative);
        if dir.is_dir() {
            remove_tree(&dir);
        }
    }
}

fn kill_all(dir: &Path) {
    for entry in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if entry.file_name() == "cgroup.procs"
            && let Ok(text) = std::fs::read_to_string(entry.path())
        {
            for pid in text.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }
}

fn remove_tree(dir: &Path) {
    // Children first; a group with live processes refuses, so retry briefly.
    for _ in 0..50 {
        let mut dirs: Vec<PathBuf> = walkdir::WalkDir::new(dir)
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_dir())
            .map(|e| e.into_path())
            .collect();
        dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        for d in &dirs {
            let _ = std::fs::remove_dir(d);
        }
        if !dir.exists() {
            return;
        }
        kill_all(dir);
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
