//! `/v2/` blob throughput: Flareo's registry (the router `flareo serve` runs, a
//! SQLite index, blobs on local disk, streamed and verified) against Debian's
//! docker-registry (CNCF distribution 2.8) serving the same 64 MiB blob, pushed
//! to it with Flareo's registry client, in the same run. `curl` downloads from a
//! second process on loopback, rounds alternating between the two servers;
//! reported as MB/s (median of rounds) and as ratios. Cases: the whole blob, a
//! 16 MiB range from the middle, and many 4 KiB ranges (requests per second).
//! Flareo runs twice: listening as `flareo serve` does (TCP_NODELAY), and on a
//! plain listener, to show what Nagle and delayed ACKs cost small responses.
//!
//! `cargo bench -p flareo-server --bench registry`.

use std::process::Command;
use std::time::Instant;

use bytes::Bytes;
use flareo_oci::{BlobStore, Credentials, Digest, push_image};
use flareo_server::{Config, Db};
use flareo_testkit::DockerRegistry;

#[path = "../tests/support/mod.rs"]
mod support;

const BLOB: usize = 64 * 1024 * 1024;
const ROUNDS: usize = 5;
/// Whole-blob downloads per round and server.
const WHOLE_PER_ROUND: usize = 4;
/// 16 MiB range downloads per round and server.
const RANGE_PER_ROUND: usize = 8;
/// 4 KiB range requests per round and server (one curl process, kept-alive).
const SMALL_PER_ROUND: usize = 200;

/// Incompressible bytes (xorshift64), quickly.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Runs curl over `urls` (one process, one connection kept alive) with an
/// optional range; returns (seconds, bytes downloaded).
fn curl(urls: &[String], range: Option<&str>) -> (f64, u64) {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-f", "-w", "%{size_download}\n"]);
    if let Some(r) = range {
        cmd.args(["-r", r]);
    }
    for url in urls {
        cmd.args(["-o", "/dev/null", url]);
    }
    let started = Instant::now();
    let out = cmd.output().expect("run curl");
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "curl {urls:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().parse::<u64>().expect("size_download"))
        .sum();
    (seconds, bytes)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

struct Case {
    name: &'static str,
    range: Option<String>,
    per_round: usize,
    /// Report requests/s instead of MB/s.
    rate: bool,
}

fn main() {
    // `cargo test --all-targets` runs bench binaries without `--bench`: skip the
    // load there; `cargo bench` runs it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("registry benchmark: run it with `cargo bench`");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let docker = DockerRegistry::start();
    let ((flareo_nagle, flareo), layer) = rt.block_on(async {
        let mut config = Config::default();
        config.operator.data_dir = Some(dir.path().to_path_buf());
        let db = Db::open(&config.database_url()).await.unwrap();
        let store = BlobStore::local(&dir.path().join("blobs")).unwrap();
        let layer = store.put(Bytes::from(noise(BLOB))).await.unwrap();
        let config_blob = Bytes::from_static(b"{}");
        let config_digest = store.put(config_blob.clone()).await.unwrap();
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": config_digest.as_str(), "size": config_blob.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": layer.as_str(), "size": BLOB}],
        })
        .to_string();
        let manifest_digest = store.put(Bytes::from(manifest.clone())).await.unwrap();
        db.record_artifact("bench", manifest.as_bytes(), Some("v1"))
            .await
            .unwrap();
        // The same blob in docker-registry, pushed with Flareo's client.
        let pushed = push_image(
            &store,
            &manifest_digest,
            &format!("{}/bench:v1", docker.url()),
            Credentials::Anonymous,
        )
        .await
        .unwrap();
        assert!(pushed.uploaded.contains(&layer));

        // As `flareo serve` listens (TCP_NODELAY), and a plain listener to show
        // what Nagle and delayed ACKs cost small responses.
        let state = support::state(config, db, store);
        let plain = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let plain_url = format!("http://{}", plain.local_addr().unwrap());
        let router = flareo_server::app::router(state);
        let app = router.clone();
        tokio::spawn(async move { axum::serve(plain, app).await.unwrap() });
        let nodelay = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let nodelay_url = format!("http://{}", nodelay.local_addr().unwrap());
        let nodelay = flareo_server::app::without_nagle(nodelay);
        tokio::spawn(async move { axum::serve(nodelay, router).await.unwrap() });
        ((plain_url, nodelay_url), layer)
    });
    let blob_url = |base: &str| format!("{base}/v2/bench/blobs/{layer}");
    let servers = [
        ("flareo", blob_url(&flareo)),
        ("flareo-nagle", blob_url(&flareo_nagle)),
        ("docker-registry", blob_url(&docker.url())),
    ];
    // Same bytes from both, and warm page cache.
    for (name, url) in &servers {
        let (_, bytes) = curl(std::slice::from_ref(url), None);
        assert_eq!(bytes, BLOB as u64, "{name}");
        let body = rt.block_on(async { reqwest::get(url).await.unwrap().bytes().await.unwrap() });
        assert_eq!(Digest::of(&body), layer, "{name} serves the same blob");
    }

    let mid = format!("{}-{}", 24 << 20, (40 << 20) - 1);
    let cases = [
        Case {
            name: "whole 64 MiB blob",
            range: None,
            per_round: WHOLE_PER_ROUND,
            rate: false,
        },
        Case {
            name: "16 MiB range (bytes=24Mi-40Mi)",
            range: Some(mid),
            per_round: RANGE_PER_ROUND,
            rate: false,
        },
        Case {
            name: "4 KiB ranges",
            range: Some("1048576-1052671".into()),
            per_round: SMALL_PER_ROUND,
            rate: true,
        },
    ];
    println!(
        "blob {layer} ({} MiB), {ROUNDS} alternating rounds, curl on loopback, 2 cores shared",
        BLOB >> 20
    );
    for case in cases {
        let mut figures = [Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..ROUNDS {
            for (i, (_, url)) in servers.iter().enumerate() {
                let urls = vec![url.clone(); case.per_round];
                let (seconds, bytes) = curl(&urls, case.range.as_deref());
                figures[i].push(if case.rate {
                    case.per_round as f64 / seconds
                } else {
                    bytes as f64 / seconds / 1e6
                });
            }
        }
        let [ours, ours_nagle, theirs] = figures.map(median);
        let unit = if case.rate { "req/s" } else { "MB/s" };
        println!(
            "{:<32} flareo {:>7.1} {unit} (ratio {:.2})   without TCP_NODELAY {:>7.1} {unit} (ratio {:.2})   docker-registry {:>7.1} {unit}",
            case.name,
            ours,
            ours / theirs,
            ours_nagle,
            ours_nagle / theirs,
            theirs,
        );
    }
}
