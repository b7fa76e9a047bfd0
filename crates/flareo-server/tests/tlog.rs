//! The transparency log in the database, on SQLite and on a real PostgreSQL:
//! roots and proofs equal the in-memory reference tree's and pass the independent
//! validator (`verify-merkle-inclusion`); duplicates are refused with the existing
//! index; appenders in several tasks and pools never fork the log; and a process
//! killed (SIGKILL) while appending never leaves half an entry.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use flareo_attest::merkle::{self, Hash, MemoryTree, hex};
use flareo_server::Db;
use flareo_server::tlog::{Appended, LogEntry, Tlog, TlogError};

/// Set in the child process of the kill tests: the database it appends to.
const CHILD_ENV: &str = "FLAREO_TLOG_TEST_APPENDER_URL";

fn body(i: u64) -> Vec<u8> {
    format!("{{\"kind\":\"hashedrekord\",\"n\":{i}}}").into_bytes()
}

/// Runs `verify-merkle-inclusion` with `args`; (exit code, output).
fn validator(args: &[String]) -> (i32, String) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    flareo_testkit::run_validator("verify-merkle-inclusion", &args)
}

fn hexes(proof: &[Hash]) -> String {
    proof.iter().map(|h| hex(h)).collect::<Vec<_>>().join(",")
}

/// The log's contents as the reference tree, checking indexes are dense.
async fn reference(log: &Tlog) -> (MemoryTree, Vec<LogEntry>) {
    let size = log.size().await.unwrap();
    let entries = log.entries(0, size + 10).await.unwrap();
    assert_eq!(entries.len() as u64, size, "one stored entry per index");
    let mut tree = MemoryTree::new();
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.index, i as u64, "indexes are dense");
        assert_eq!(e.leaf_hash, merkle::leaf_hash(&e.body), "leaf {i}'s hash");
        tree.push(&e.body);
    }
    (tree, entries)
}

/// Everything the log stores agrees: size = entries, exactly the perfect nodes of
/// that size exist (counted per level in the tables themselves), and every
/// entry's proof verifies against the head.
async fn audit(url: &str, log: &Tlog) -> MemoryTree {
    let (tree, entries) = reference(log).await;
    let size = tree.size();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let (leaves,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tlog_leaves")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(leaves as u64, size, "tree size = stored entries");
    let levels: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT level, COUNT(*), MAX(idx) FROM tlog_nodes GROUP BY level ORDER BY level",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let want: Vec<(i64, i64, i64)> = (0..64)
        .map(|l| (l, (size >> l) as i64, (size >> l) as i64 - 1))
        .take_while(|&(_, n, _)| n > 0)
        .collect();
    assert_eq!(levels, want, "(level, nodes, last index) for size {size}");
    pool.close().await;

    let head = log.head().await.unwrap();
    assert_eq!((head.size, head.root), (size, tree.root()));
    for e in &entries {
        let p = log.inclusion_proof(e.index, size).await.unwrap();
        merkle::verify_inclusion(e.index, size, &e.leaf_hash, &p.hashes, &head.root)
            .unwrap_or_else(|err| panic!("entry {} of {size}: {err}", e.index));
    }
    tree
}

async fn body_of(log: &Tlog, index: u64) -> Vec<u8> {
    log.entry_by_index(index).await.unwrap().unwrap().body
}

async fn proofs_match_the_reference(db: &Db) {
    let log = db.tlog();
    assert_eq!(log.size().await.unwrap(), 0);
    assert_eq!(log.head().await.unwrap().root, merkle::empty_root());
    let mut tree = MemoryTree::new();
    // One at a time, then in batches: the same tree either way.
    for i in 0..40 {
        let a = log.append("hashedrekord", &body(i)).await.unwrap();
        tree.push(&body(i));
        assert_eq!(
            (a.index, a.size_after, a.root_after, a.leaf_hash),
            (i, i + 1, tree.root(), merkle::leaf_hash(&body(i)))
        );
        assert!(a.integrated_time > 1_700_000_000, "seconds since the epoch");
    }
    for chunk in (40..70).collect::<Vec<u64>>().chunks(7) {
        let bodies: Vec<Vec<u8>> = chunk.iter().map(|&i| body(i)).collect();
        let batch: Vec<(&str, &[u8])> = bodies.iter().map(|b| ("dsse", b.as_slice())).collect();
        let done = log.append_batch(&batch).await.unwrap();
        for (a, b) in done.iter().zip(&bodies) {
            assert_eq!(a.index, tree.push(b));
            assert_eq!(a.root_after, tree.root());
        }
    }
    let n = tree.size();
    assert_eq!(log.size().await.unwrap(), n);

    for size in 0..=n {
        let root = merkle::root(&tree, size).unwrap();
        assert_eq!(log.root(size).await.unwrap(), root, "root({size})");
        for index in (0..size).step_by(1 + size as usize / 9) {
            let p = log.inclusion_proof(index, size).await.unwrap();
            assert_eq!(p.root, root);
            assert_eq!(
                p.hashes,
                merkle::inclusion_proof(&tree, index, size).unwrap()
            );
        }
        for old in (0..=size).step_by(1 + size as usize / 9) {
            let c = log.consistency_proof(old, size).await.unwrap();
            assert_eq!(
                (c.old_root, c.new_root),
                (merkle::root(&tree, old).unwrap(), root)
            );
            assert_eq!(
                c.hashes,
                merkle::consistency_proof(&tree, old, size).unwrap()
            );
        }
    }

    // The independent validator accepts proofs read from the database.
    let mut wrong = Vec::new();
    for (index, size, old) in [
        (0, 1, 1),
        (5, 6, 3),
        (12, 13, 8),
        (31, 64, 32),
        (44, 70, 37),
        (69, 70, 1),
    ] {
        let p = log.inclusion_proof(index, size).await.unwrap();
        let leaf = merkle::leaf_hash(&body(index));
        let (code, text) = validator(&[
            "inclusion".into(),
            format!("--index={index}"),
            format!("--size={size}"),
            format!("--root={}", hex(&p.root)),
            format!("--proof={}", hexes(&p.hashes)),
            format!("--leaf-hash={}", hex(&leaf)),
        ]);
        if code != 0 {
            wrong.push(format!("inclusion {index}/{size}: {text}"));
        }
        let c = log.consistency_proof(old, size).await.unwrap();
        let (code, text) = validator(&[
            "consistency".into(),
            format!("--size1={old}"),
            format!("--size2={size}"),
            format!("--root1={}", hex(&c.old_root)),
            format!("--root2={}", hex(&c.new_root)),
            format!("--proof={}", hexes(&c.hashes)),
        ]);
        if code != 0 {
            wrong.push(format!("consistency {old}->{size}: {text}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // Reads.
    let e = log.entry_by_index(44).await.unwrap().unwrap();
    assert_eq!(
        (e.index, e.kind.as_str(), e.body.clone()),
        (44, "dsse", body(44))
    );
    assert_eq!(log.entry_by_leaf_hash(&e.leaf_hash).await.unwrap(), Some(e));
    assert_eq!(log.entry_by_index(n).await.unwrap(), None);
    assert_eq!(log.entry_by_leaf_hash(&[0; 32]).await.unwrap(), None);
    assert_eq!(log.entries(68, 10).await.unwrap().len(), 2);

    // Refusals, each specific; none of them changes the log.
    match log.append("hashedrekord", &body(12)).await {
        Err(TlogError::Duplicate { index, leaf_hash }) => {
            assert_eq!((index, leaf_hash), (12, merkle::leaf_hash(&body(12))));
        }
        other => panic!("a duplicate append gave {other:?}"),
    }
    let err = log
        .append_batch(&[
            ("dsse", b"fresh-1"),
            ("dsse", &body(3)),
            ("dsse", b"fresh-2"),
        ])
        .await
        .unwrap_err();
    assert!(
        matches!(err, TlogError::Duplicate { index: 3, .. }),
        "{err}"
    );
    // Two already logged: the earlier entry is named.
    let err = log
        .append_batch(&[
            ("dsse", &body(40)),
            ("dsse", b"fresh-3"),
            ("dsse", &body(7)),
        ])
        .await
        .unwrap_err();
    assert!(
        matches!(err, TlogError::Duplicate { index: 7, .. }),
        "{err}"
    );
    let err = log
        .append_batch(&[("dsse", b"twice"), ("dsse", b"twice")])
        .await
        .unwrap_err();
    assert!(
        matches!(err, TlogError::Duplicate { index, .. } if index == n),
        "{err}"
    );
    assert!(
        err.to_string().contains("already in the transparency log"),
        "{err}"
    );
    assert!(matches!(
        log.root(n + 1).await,
        Err(TlogError::BeyondSize { asked, size }) if asked == n + 1 && size == n
    ));
    assert!(matches!(
        log.inclusion_proof(n, n).await,
        Err(TlogError::Range(_))
    ));
    assert!(matches!(
        log.consistency_proof(5, 4).await,
        Err(TlogError::Range(_))
    ));
    assert!(matches!(
        log.consistency_proof(5, n + 3).await,
        Err(TlogError::BeyondSize { .. })
    ));
    assert_eq!(log.size().await.unwrap(), n);
    assert_eq!(log.head().await.unwrap().root, tree.root());
}

/// `pools` pools on one database, each with `tasks` tasks appending `each`
/// entries at once; the log comes out whole.
async fn concurrent_appenders_never_fork(url: &str, pools: usize, tasks: usize, each: u64) {
    let mut dbs = Vec::new();
    for _ in 0..pools {
        dbs.push(Db::open(url).await.unwrap());
    }
    let mut handles = Vec::new();
    for (p, db) in dbs.iter().enumerate() {
        for t in 0..tasks {
            let log = db.tlog();
            handles.push(tokio::spawn(async move {
                let mut done: Vec<(Vec<u8>, Appended)> = Vec::new();
                for i in 0..each {
                    let b = format!("pool {p} task {t} entry {i}").into_bytes();
                    let a = log.append("hashedrekord", &b).await.unwrap();
                    done.push((b, a));
                }
                done
            }));
        }
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    let n = (pools * tasks) as u64 * each;
    let log = dbs[0].tlog();
    let tree = audit(url, &log).await;
    assert_eq!(tree.size(), n);
    let mut indexes: Vec<u64> = all.iter().map(|(_, a)| a.index).collect();
    indexes.sort_unstable();
    assert_eq!(
        indexes,
        (0..n).collect::<Vec<_>>(),
        "every append got its own index"
    );
    let root = tree.root();
    for (b, a) in &all {
        assert_eq!(
            body_of(&log, a.index).await,
            *b,
            "entry {} is what was appended",
            a.index
        );
        // The root this appender saw is a prefix of the final tree.
        let c = log.consistency_proof(a.size_after, n).await.unwrap();
        assert_eq!(c.old_root, a.root_after, "root after {}", a.index);
        merkle::verify_consistency(a.size_after, n, &a.root_after, &root, &c.hashes)
            .unwrap_or_else(|e| panic!("root after entry {}: {e}", a.index));
    }
    for db in dbs {
        db.tlog().size().await.unwrap();
    }
}

/// The child's side of the kill tests: append until killed.
async fn append_forever(url: &str) -> ! {
    let log = Db::open(url).await.unwrap().tlog();
    let pid = std::process::id();
    let mut i = 0u64;
    loop {
        let b = format!("appender {pid} entry {i}");
        log.append("hashedrekord", b.as_bytes()).await.unwrap();
        i += 1;
    }
}

/// Runs this test binary's `test` as an appender on `url`, SIGKILLs it at a
/// moment after it made progress, several times; the log stays whole.
async fn killed_appender_leaves_no_half_entry(url: &str, test: &str) {
    let log = Db::open(url).await.unwrap().tlog();
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    for round in 0..4 {
        let before = log.size().await.unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", test, "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while log.size().await.unwrap() < before + 20 {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the appender made no progress (round {round})"
            );
            assert!(child.try_wait().unwrap().is_none(), "the appender exited");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        tokio::time::sleep(Duration::from_micros(rng % 20_000)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let tree = audit(url, &log).await;
        assert!(tree.size() >= before + 20);
        // The log takes appends again at once.
        let a = log
            .append("dsse", format!("after kill {round}").as_bytes())
            .await
            .unwrap();
        assert_eq!(a.index, tree.size());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_proofs() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&flareo_testkit::sqlite_url(dir.path()))
        .await
        .unwrap();
    proofs_match_the_reference(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_proofs() {
    let pg = flareo_testkit::Postgres::start();
    let db = Db::open(&pg.database("tlog")).await.unwrap();
    proofs_match_the_reference(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_appends() {
    let dir = tempfile::tempdir().unwrap();
    concurrent_appenders_never_fork(&flareo_testkit::sqlite_url(dir.path()), 3, 3, 20).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_appends() {
    let pg = flareo_testkit::Postgres::start();
    concurrent_appenders_never_fork(&pg.database("tlog"), 3, 3, 20).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_killed_appender() {
    if let Ok(url) = std::env::var(CHILD_ENV) {
        append_forever(&url).await;
    }
    let dir = tempfile::tempdir().unwrap();
    killed_appender_leaves_no_half_entry(
        &flareo_testkit::sqlite_url(dir.path()),
        "sqlite_killed_appender",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_killed_appender() {
    if let Ok(url) = std::env::var(CHILD_ENV) {
        append_forever(&url).await;
    }
    let pg = flareo_testkit::Postgres::start();
    killed_appender_leaves_no_half_entry(&pg.database("tlog"), "postgres_killed_appender").await;
}
