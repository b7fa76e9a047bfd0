//! Transparency log speed at 1,000,000 entries: the database-backed log (a SQLite
//! file in a temporary directory, the embedded default) against the in-memory
//! tree (`flareo_attest::merkle::MemoryTree`, the same maths with no storage) in
//! the same run. Reports medians of single appends at ~1M entries (each its own
//! transaction), inclusion and consistency proof generation at size 1M, the bulk
//! load that builds the fixture (`append_batch`, 10,000 entries per transaction),
//! and the ratios database / memory.
//!
//! `cargo bench -p flareo-server --bench tlog` (`TLOG_BENCH_ENTRIES` to change 1M;
//! `TLOG_BENCH_DATABASE=postgres` to run the database side on a PostgreSQL the
//! bench starts with the test fixture, instead of SQLite).

use std::time::Instant;

use flareo_attest::merkle::{self, MemoryTree};
use flareo_server::Db;

const BATCH: u64 = 10_000;
const SINGLE_APPENDS: u64 = 2_000;
const PROOFS: usize = 1_000;

/// A Rekor-sized entry body (a canonical hashedrekord is ~700 bytes).
fn body(i: u64) -> Vec<u8> {
    let mut b = format!(
        "{{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"spec\":{{\"n\":{i},\"data\":\""
    )
    .into_bytes();
    b.resize(680, b'x');
    b.extend_from_slice(b"\"}}");
    b
}

/// A small deterministic PRNG (xorshift), so runs are comparable.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn us(secs: f64) -> String {
    format!("{:.1} µs", secs * 1e6)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("tlog benchmark: run it with `cargo bench`");
        return;
    }
    let n: u64 = std::env::var("TLOG_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let indexes: Vec<u64> = (0..PROOFS).map(|_| rng.below(n)).collect();
    let olds: Vec<u64> = (0..PROOFS).map(|_| 1 + rng.below(n - 1)).collect();

    // The reference: the same entries in memory.
    let t = Instant::now();
    let mut mem = MemoryTree::new();
    for i in 0..n {
        mem.push(&body(i));
    }
    let mem_build = t.elapsed().as_secs_f64();
    let mem_incl = median(
        indexes
            .iter()
            .map(|&i| {
                let t = Instant::now();
                let p = merkle::inclusion_proof(&mem, i, n).unwrap();
                let r = merkle::root(&mem, n).unwrap();
                std::hint::black_box((p, r));
                t.elapsed().as_secs_f64()
            })
            .collect(),
    );
    let mem_cons = median(
        olds.iter()
            .map(|&m| {
                let t = Instant::now();
                let p = merkle::consistency_proof(&mem, m, n).unwrap();
                let r = (
                    merkle::root(&mem, m).unwrap(),
                    merkle::root(&mem, n).unwrap(),
                );
                std::hint::black_box((p, r));
                t.elapsed().as_secs_f64()
            })
            .collect(),
    );
    let mem_root = mem.root();
    let mut mem_appends = Vec::new();
    for i in n..n + SINGLE_APPENDS {
        let b = body(i);
        let t = Instant::now();
        mem.push(&b);
        std::hint::black_box(mem.root());
        mem_appends.push(t.elapsed().as_secs_f64());
    }

    // The database: bulk-load the fixture, then measure at 1M.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("flareo.db");
    let postgres = (std::env::var("TLOG_BENCH_DATABASE").as_deref() == Ok("postgres"))
        .then(flareo_testkit::Postgres::start);
    let (db, engine) = match &postgres {
        Some(pg) => (
            rt.block_on(Db::open(&pg.database("tlog_bench"))).unwrap(),
            "PostgreSQL",
        ),
        None => (rt.block_on(Db::open_sqlite(&file)).unwrap(), "SQLite"),
    };
    let log = db.tlog();
    let t = Instant::now();
    let mut i = 0;
    while i < n {
        let bodies: Vec<Vec<u8>> = (i..(i + BATCH).min(n)).map(body).collect();
        let batch: Vec<(&str, &[u8])> = bodies
            .iter()
            .map(|b| ("hashedrekord", b.as_slice()))
            .collect();
        rt.block_on(log.append_batch(&batch)).unwrap();
        i += BATCH;
    }
    let db_build = t.elapsed().as_secs_f64();
    let head = rt.block_on(log.head()).unwrap();
    assert_eq!(
        (head.size, head.root),
        (n, mem_root),
        "the database tree is the reference's"
    );
    let db_incl = median(
        indexes
            .iter()
            .map(|&i| {
                let t = Instant::now();
                let p = rt.block_on(log.inclusion_proof(i, n)).unwrap();
                let secs = t.elapsed().as_secs_f64();
                assert_eq!(p.hashes, merkle::inclusion_proof(&mem, i, n).unwrap());
                secs
            })
            .collect(),
    );
    let db_cons = median(
        olds.iter()
            .map(|&m| {
                let t = Instant::now();
                let p = rt.block_on(log.consistency_proof(m, n)).unwrap();
                let secs = t.elapsed().as_secs_f64();
                assert_eq!(p.hashes, merkle::consistency_proof(&mem, m, n).unwrap());
                secs
            })
            .collect(),
    );
    let mut db_appends = Vec::new();
    let t = Instant::now();
    for i in n..n + SINGLE_APPENDS {
        let b = body(i);
        let t = Instant::now();
        let a = rt.block_on(log.append("hashedrekord", &b)).unwrap();
        db_appends.push(t.elapsed().as_secs_f64());
        assert_eq!(a.index, i);
    }
    let db_append_total = t.elapsed().as_secs_f64();
    assert_eq!(rt.block_on(log.head()).unwrap().root, mem.root());
    let file_mb = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;

    let (ma, da) = (median(mem_appends), median(db_appends));
    println!("transparency log at {n} entries (~700-byte bodies); database {engine}");
    if postgres.is_none() {
        println!("SQLite file {file_mb:.0} MB");
    }
    println!(
        "{:<34} {:>14} {:>14} {:>10}",
        "", "in-memory", engine, "db/mem"
    );
    println!(
        "{:<34} {:>14} {:>14} {:>10.0}",
        "single append at ~1M (median)",
        us(ma),
        us(da),
        da / ma
    );
    println!(
        "{:<34} {:>12.0}/s {:>12.0}/s {:>10}",
        "single appends, throughput",
        1.0 / ma,
        SINGLE_APPENDS as f64 / db_append_total,
        ""
    );
    println!(
        "{:<34} {:>12.0}/s {:>12.0}/s {:>10.0}",
        "bulk build of 1M (batches of 10k)",
        n as f64 / mem_build,
        n as f64 / db_build,
        db_build / mem_build
    );
    println!(
        "{:<34} {:>14} {:>14} {:>10.0}",
        "inclusion proof + root (median)",
        us(mem_incl),
        us(db_incl),
        db_incl / mem_incl
    );
    println!(
        "{:<34} {:>14} {:>14} {:>10.0}",
        "consistency proof + roots (median)",
        us(mem_cons),
        us(db_cons),
        db_cons / mem_cons
    );
}
