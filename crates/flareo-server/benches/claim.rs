//! Claim latency of the build queue: 200 approvals arrive at random (exponential
//! gaps, mean 250 ms) while two worker loops poll the queue the way `Worker::run`
//! does (claim; when empty, sleep `poll_secs`, default 1 s), holding each job for a
//! random 0-400 ms. Run on SQLite and on a real PostgreSQL (initdb/pg_ctl).
//! Reports the distribution of (first claim - enqueue) from the jobs table, and
//! its ratio to the poll interval (the reference: an idle worker's wait).
//!
//! `cargo bench -p flareo-server --bench claim`

use std::time::Duration;

use flareo_server::Db;
use flareo_server::auth::Role;
use flareo_server::submissions::Decision;

#[path = "../tests/support/mod.rs"]
mod support;

const JOBS: usize = 200;
const WORKERS: usize = 2;
const POLL: Duration = Duration::from_secs(1);

/// A small deterministic PRNG (xorshift), so runs are comparable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

async fn run(db: Db) -> Vec<i64> {
    let m = db
        .create_user_with_password("m@b", "m", Role::Maintainer, "bench-password")
        .await
        .unwrap();
    let r = db
        .create_user_with_password("r@b", "r", Role::Reviewer, "bench-password")
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..JOBS {
        let id = db
            .create_submission(
                &support::new_submission(&format!("m{i}"), m, String::new()),
                |_| None,
            )
            .await
            .unwrap();
        ids.push(id);
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let (db, mut stop) = (db.clone(), stop_rx.clone());
        workers.push(tokio::spawn(async move {
            let name = format!("w{w}");
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ w as u64);
            while !*stop.borrow() {
                match db.claim(&name, Duration::from_secs(30)).await.unwrap() {
                    Some(job) => {
                        tokio::time::sleep(Duration::from_millis((rng.next() * 400.0) as u64))
                            .await;
                        db.finish(job.id, &name, Ok(())).await.unwrap();
                    }
                    None => {
                        tokio::select! {
                            _ = tokio::time::sleep(POLL) => {}
                            _ = stop.changed() => {}
                        }
                    }
                }
            }
        }));
    }
    let mut rng = Rng(42);
    for id in ids {
        let gap = -0.25 * (1.0 - rng.next()).ln();
        tokio::time::sleep(Duration::from_secs_f64(gap)).await;
        db.review(
            id,
            r,
            &Decision::Approve {
                network: false,
                reason: None,
            },
        )
        .await
        .unwrap();
    }
    while db.queue_depth().await.unwrap() > 0 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = stop_tx.send(true);
    for w in workers {
        w.await.unwrap();
    }
    let mut lat = db.claim_latencies(JOBS as i64).await.unwrap();
    lat.sort_unstable();
    lat
}

fn report(name: &str, lat: &[i64]) {
    let q = |p: f64| flareo_server::api::ops::quantile(lat, p).unwrap_or(0);
    let poll = POLL.as_millis() as f64;
    println!(
        "{name:<10} n={:<4} p50 {:>5} ms  p90 {:>5} ms  p99 {:>5} ms  max {:>5} ms  (max / poll interval = {:.2})",
        lat.len(),
        q(0.5),
        q(0.9),
        q(0.99),
        q(1.0),
        q(1.0) as f64 / poll
    );
}

fn main() {
    // `cargo test --all-targets` runs bench binaries without `--bench`: skip the
    // load there (the suite has no business timing anything); `cargo bench` runs it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("load benchmark: run it with `cargo bench`");
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    println!(
        "claim latency: {JOBS} approvals (mean gap 250 ms), {WORKERS} workers polling every {POLL:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let sqlite = rt.block_on(async {
        run(Db::open(&flareo_testkit::sqlite_url(dir.path()))
            .await
            .unwrap())
        .await
    });
    report("sqlite", &sqlite);
    let pg = flareo_testkit::Postgres::start();
    let url = pg.database("bench");
    let postgres = rt.block_on(async { run(Db::open(&url).await.unwrap()).await });
    report("postgres", &postgres);
}
