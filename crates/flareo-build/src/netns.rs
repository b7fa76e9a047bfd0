//! Spawning a process inside a fresh network namespace that has only `lo`.
//!
//! buildah fetches some sources itself, in its own process, and `--network none`
//! does not cover that (DESIGN.md, "buildah on our machines"). So the whole buildah
//! process runs in an empty namespace and is told `--network host`: "host" is then
//! that namespace. A helper thread calls `unshare(CLONE_NEWNET)` (which affects only
//! that thread), brings `lo` up and spawns the child, which inherits the namespace.
//! The namespace disappears when its last process exits.

use std::io;
use std::process::{Child, Command};

/// Spawns `command` in a new network namespace with only `lo`, up.
pub fn spawn_without_network(mut command: Command) -> io::Result<Child> {
    std::thread::spawn(move || {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).map_err(|e| {
            io::Error::other(format!(
                "creating the build's network namespace (unshare CLONE_NEWNET): {e}; Flareo's worker must run as root"
            ))
        })?;
        let status = Command::new("ip")
            .args(["link", "set", "lo", "up"])
            .status()
            .map_err(|e| io::Error::other(format!("running `ip link set lo up`: {e}; install iproute2")))?;
        if !status.success() {
            return Err(io::Error::other(format!(
                "`ip link set lo up` in the build's network namespace failed ({status})"
            )));
        }
        command.spawn()
    })
    .join()
    .map_err(|_| io::Error::other("the network namespace helper thread panicked"))?
}
