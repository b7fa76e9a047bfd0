//! Catalog read load: a real server (SQLite file, the same router as `flareo
//! serve`) holding 300 published modules, loaded by `wrk` from a second process
//! on loopback (bounded: 2 threads, 32 connections, 10 s per endpoint). The
//! reference run serves the same response bytes as static files from BusyBox
//! httpd in the same script, so the report is a ratio on this noisy machine.
//!
//! `cargo bench -p flareo-server --bench catalog` (installs wrk if missing).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use flareo_oci::BlobStore;
use flareo_server::{Config, Db};

#[path = "../tests/support/mod.rs"]
mod support;

const MODULES: usize = 300;

async fn seed(db: &Db) {
    for i in 0..MODULES {
        let category = ["productivity", "media", "database", "monitoring"][i % 4];
        let digest = format!("sha256:{i:064x}");
        support::seed_module(
            db,
            &format!("module-{i:03}"),
            &format!("Module {i}"),
            category,
            &digest,
        )
        .await;
    }
}

/// One wrk run: (requests/s, p50 ms, p99 ms).
fn wrk(url: &str) -> (f64, f64, f64) {
    let out = Command::new("wrk")
        .args(["-t2", "-c32", "-d10s", "--latency", url])
        .output()
        .expect("run wrk");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && !text.contains("Non-2xx"),
        "wrk {url}: {text}"
    );
    let field = |prefix: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix} in {text}"));
        let v = line.trim_start()[prefix.len()..]
            .split_whitespace()
            .next()
            .unwrap();
        if let Some(ms) = v.strip_suffix("ms") {
            ms.parse().unwrap()
        } else if let Some(us) = v.strip_suffix("us") {
            us.parse::<f64>().unwrap() / 1000.0
        } else if let Some(s) = v.strip_suffix('s') {
            s.parse::<f64>().unwrap() * 1000.0
        } else {
            v.parse().unwrap()
        }
    };
    (field("Requests/sec:"), field("50%"), field("99%"))
}

fn ensure_wrk() {
    if Command::new("wrk")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_err()
    {
        let ok = Command::new("apt-get")
            .args(["install", "-y", "-qq", "wrk"])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "wrk is missing and apt-get install wrk failed");
    }
}

fn main() {
    // `cargo test --all-targets` runs bench binaries without `--bench`: skip the
    // load there (the suite has no business timing anything); `cargo bench` runs it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("load benchmark: run it with `cargo bench`");
        return;
    }
    ensure_wrk();
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = rt.block_on(async {
        let mut config = Config::default();
        config.operator.data_dir = Some(dir.path().to_path_buf());
        let db = Db::open(&config.database_url()).await.unwrap();
        seed(&db).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let store = BlobStore::local(&dir.path().join("blobs")).unwrap();
        support::serve(listener, support::state(config, db, store));
        url
    });

    // The reference: the same bytes as static files from BusyBox httpd.
    let www = dir.path().join("www");
    let paths = [
        ("list", "/api/v1/modules?limit=500"),
        ("module", "/api/v1/modules/module-150"),
        ("search", "/api/v1/modules?q=module-1&category=media"),
    ];
    std::fs::create_dir_all(&www).unwrap();
    for (name, path) in paths {
        let body = rt.block_on(async {
            reqwest::get(format!("{url}{path}"))
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
        });
        std::fs::write(www.join(name), &body).unwrap();
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut httpd = Command::new("busybox")
        .args(["httpd", "-f", "-p", &format!("127.0.0.1:{port}"), "-h"])
        .arg(Path::new(&www))
        .spawn()
        .expect("busybox httpd (busybox-static, installed by scripts/setup.sh)");
    std::thread::sleep(Duration::from_millis(300));

    println!("catalog read load: {MODULES} modules, wrk -t2 -c32 -d10s, loopback");
    println!(
        "{:<8} {:>12} {:>9} {:>9} | {:>12} {:>9} {:>9} | {:>6}",
        "endpoint", "flareo req/s", "p50 ms", "p99 ms", "httpd req/s", "p50 ms", "p99 ms", "ratio"
    );
    for (name, path) in paths {
        let ours = wrk(&format!("{url}{path}"));
        let reference = wrk(&format!("http://127.0.0.1:{port}/{name}"));
        println!(
            "{name:<8} {:>12.0} {:>9.2} {:>9.2} | {:>12.0} {:>9.2} {:>9.2} | {:>6.2}",
            ours.0,
            ours.1,
            ours.2,
            reference.0,
            reference.1,
            reference.2,
            ours.0 / reference.0
        );
    }
    let _ = httpd.kill();
    let _ = httpd.wait();
}
