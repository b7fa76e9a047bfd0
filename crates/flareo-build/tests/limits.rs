//! The build sandbox for real: no network (not even the host's 127.0.0.1, no name
//! resolution), memory/CPU/pid limits, a mapped uid, the wall-clock limit and the
//! layer-size cap, each ending with nothing left behind.

mod common;

use std::net::TcpListener;

use common::{Fixture, TAIL, module};
use flareo_build::BuildError;

/// Records what a RUN can see about its sandbox into /facts.
const PROBE: &str = r#"#!/bin/sh
cg() { sed -n "s/^[0-9]*:$1:\(.*\)/\1/p" /proc/self/cgroup; }
{
  echo "uid_map=$(tr -s ' ' < /proc/self/uid_map | sed 's/^ //')"
  echo "whoami=$(id -u)"
  echo "memory=$(cat /sys/fs/cgroup/memory$(cg memory)/memory.limit_in_bytes 2>&1)"
  echo "cpu_quota=$(cat /sys/fs/cgroup/cpu$(cg cpu)/cpu.cfs_quota_us 2>&1)"
  echo "pids_max=$(cat /sys/fs/cgroup/pids$(cg pids)/../pids.max 2>&1)"
  if nc -w 2 127.0.0.1 "$1" </dev/null >/dev/null 2>&1; then echo host=reached; else echo host=unreachable; fi
  if nslookup example.com >/dev/null 2>&1; then echo dns=resolved; else echo dns=failed; fi
  echo "interfaces=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\n' ' ')"
} > /facts
"#;

#[test]
fn run_sees_limits_mapped_uid_and_no_network() {
    let mut fx = Fixture::new();
    fx.config.build.memory_bytes = 256 << 20;
    fx.config.build.cpus = 1;
    fx.config.build.pids = 300;
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = module(&[
        ("probe.sh", PROBE),
        (
            "Dockerfile",
            &format!("FROM busybox:1.35\nCOPY probe.sh /probe.sh\nRUN sh /probe.sh {port}\n{TAIL}"),
        ),
    ]);
    let (result, log) = fx.build_dir(dir.path());
    let out = result.unwrap_or_else(|e| panic!("{e}\n{}", log.join("\n")));
    let (facts, _, _) = fx.image_file(&out, "facts").expect("facts");
    let facts = String::from_utf8(facts).unwrap();
    let fact = |k: &str| {
        facts
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("no {k} in {facts}"))
            .trim()
            .to_string()
    };
    assert_eq!(fact("uid_map"), "0 100000 65536", "{facts}");
    assert_eq!(fact("whoami"), "0");
    assert_eq!(fact("memory"), (256u64 << 20).to_string(), "{facts}");
    assert_eq!(fact("cpu_quota"), "100000", "{facts}");
    assert_eq!(fact("pids_max"), "300", "{facts}");
    assert_eq!(fact("host"), "unreachable", "{facts}");
    assert_eq!(fact("dns"), "failed", "{facts}");
    assert_eq!(fact("interfaces"), "lo", "{facts}");
    assert!(
        listener.accept().is_err(),
        "the build connected to the host's 127.0.0.1"
    );
}

#[test]
fn network_attempt_fails_in_the_seeds_terms() {
    let fx = Fixture::new();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    // A script lint cannot see into: only the sandbox stops it.
    let dir = module(&[
        ("fetch.sh", &format!("nc 127.0.0.1 {port} </dev/null\n")),
        (
            "Dockerfile",
            &format!("FROM busybox:1.35\nCOPY fetch.sh /fetch.sh\nRUN sh /fetch.sh\n{TAIL}"),
        ),
    ]);
    let (result, log) = fx.build_dir(dir.path());
    match result {
        Err(e @ BuildError::Network(_)) => {
            assert_eq!(
                e.to_string(),
                "network disabled — connection refused to 127.0.0.1"
            )
        }
        other => panic!(
            "expected a network failure, got {other:?}\n{}",
            log.join("\n")
        ),
    }
    assert!(
        log.iter()
            .any(|l| l == "network disabled — connection refused to 127.0.0.1"),
        "{log:?}"
    );
    assert!(fx.leftovers().is_empty(), "{:?}", fx.leftovers());
}

#[test]
fn timeout_kills_the_whole_tree() {
    let mut fx = Fixture::new();
    fx.config.build.timeout_secs = 4;
    let dir = module(&[(
        "Dockerfile",
        &format!("FROM busybox:1.35\nRUN sleep 300 & sleep 300; echo never\n{TAIL}"),
    )]);
    let (result, log) = fx.build_dir(dir.path());
    match result {
        Err(e @ BuildError::Timeout(_)) => {
            assert_eq!(e.to_string(), "build exceeded 4-second time limit")
        }
        other => panic!("expected a timeout, got {other:?}\n{}", log.join("\n")),
    }
    assert!(!log.iter().any(|l| l == "never"));
    assert!(fx.leftovers().is_empty(), "{:?}", fx.leftovers());
    let sleeping = std::process::Command::new("pgrep")
        .args(["-f", "sleep 300"])
        .output()
        .unwrap();
    assert!(
        sleeping.stdout.is_empty(),
        "processes survived: {}",
        String::from_utf8_lossy(&sleeping.stdout)
    );
}

#[test]
fn layer_cap_stops_the_build() {
    let mut fx = Fixture::new();
    fx.config.build.layer_bytes = 50_000_000;
    let dir = module(&[(
        "Dockerfile",
        &format!("FROM busybox:1.35\nRUN head -c 80000000 /dev/urandom > /big && sleep 30\n{TAIL}"),
    )]);
    let (result, log) = fx.build_dir(dir.path());
    match result {
        Err(e @ BuildError::LayerSize { .. }) => {
            assert_eq!(e.to_string(), "layer size limit exceeded")
        }
        other => panic!("expected the layer cap, got {other:?}\n{}", log.join("\n")),
    }
    assert!(fx.leftovers().is_empty(), "{:?}", fx.leftovers());
}
