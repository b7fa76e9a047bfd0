//! The submission lifecycle and the build queue on both real databases.

use flareo_testkit as common;

use std::collections::BTreeSet;
use std::time::Duration;

use flareo_server::{Db, DbError, NewSubmission, Status};

fn submission(slug: &str, maintainer: i64) -> NewSubmission {
    NewSubmission {
        slug: slug.into(),
        maintainer_id: maintainer,
        recipe: "slug: x".into(),
        dockerfile: "FROM busybox:1.35".into(),
        lint_report: "{}".into(),
        context_digest: format!("sha256:{}", "a".repeat(64)),
        tag: "v1".into(),
        requires_network: false,
        network_reason: None,
    }
}

async fn lifecycle(db: &Db) {
    let m = db
        .create_user("m@example.com", "M", "maintainer")
        .await
        .unwrap();
    let first = db
        .create_submission(&submission("demo", m), |_| None)
        .await
        .unwrap();
    match db.create_submission(&submission("demo", m), |_| None).await {
        Err(DbError::Conflict(msg)) => assert_eq!(msg, "submission already pending for slug demo"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    // Another slug is independent.
    db.create_submission(&submission("other", m), |_| None)
        .await
        .unwrap();

    let err = db
        .set_status(first, Status::Queued, None)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("is pending_review; it cannot become queued"),
        "{err}"
    );
    for s in [Status::Approved, Status::Queued, Status::Building] {
        db.set_status(first, s, None).await.unwrap();
    }
    db.set_status(
        first,
        Status::Failed,
        Some("build exceeded 10-minute time limit"),
    )
    .await
    .unwrap();
    let stored = db.submission(first).await.unwrap();
    assert_eq!(stored.status, Status::Failed);
    assert_eq!(
        stored.error.as_deref(),
        Some("build exceeded 10-minute time limit")
    );
    let history: Vec<Status> = db
        .events(first)
        .await
        .unwrap()
        .iter()
        .map(|e| e.status)
        .collect();
    assert_eq!(
        history,
        [
            Status::PendingReview,
            Status::Approved,
            Status::Queued,
            Status::Building,
            Status::Failed
        ]
    );

    // Once it left review, a resubmission is a new row; the old one is untouched.
    let second = db
        .create_submission(&submission("demo", m), |_| None)
        .await
        .unwrap();
    assert_ne!(second, first);
    assert_eq!(db.submission(first).await.unwrap(), stored);
    let pending: Vec<i64> = db
        .pending_review()
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(pending.len(), 2, "oldest first: {pending:?}");
    assert!(pending[0] < pending[1]);
}

async fn concurrent_claims(url: &str) {
    let db = Db::open(url).await.unwrap();
    let m = db
        .create_user("q@example.com", "Q", "maintainer")
        .await
        .unwrap();
    let mut jobs = BTreeSet::new();
    for i in 0..40 {
        let s = db
            .create_submission(&submission(&format!("m{i}"), m), |_| None)
            .await
            .unwrap();
        jobs.insert(db.enqueue(s).await.unwrap());
    }
    assert_eq!(db.queue_depth().await.unwrap(), 40);
    // Four workers, each with its own pool, as separate processes would have.
    let mut handles = Vec::new();
    for w in 0..4 {
        let url = url.to_string();
        handles.push(tokio::spawn(async move {
            let db = Db::open(&url).await.unwrap();
            let me = format!("worker-{w}");
            let mut mine = Vec::new();
            while let Some(job) = db.claim(&me, Duration::from_secs(60)).await.unwrap() {
                assert_eq!(job.attempts, 1, "a live lease is never taken over");
                assert!(db.finish(job.id, &me, Ok(())).await.unwrap());
                mine.push(job.id);
            }
            mine
        }));
    }
    let mut claimed = Vec::new();
    for h in handles {
        claimed.extend(h.await.unwrap());
    }
    let unique: BTreeSet<i64> = claimed.iter().copied().collect();
    assert_eq!(claimed.len(), unique.len(), "a job was claimed twice");
    assert_eq!(unique, jobs);
    assert_eq!(db.queue_depth().await.unwrap(), 0);
}

async fn lease_expiry_resumes(db: &Db) {
    let m = db
        .create_user("l@example.com", "L", "maintainer")
        .await
        .unwrap();
    let s = db
        .create_submission(&submission("lease", m), |_| None)
        .await
        .unwrap();
    let job = db.enqueue(s).await.unwrap();
    let a = db
        .claim("a", Duration::from_millis(300))
        .await
        .unwrap()
        .expect("a claims");
    assert_eq!((a.id, a.step.as_str(), a.attempts), (job, "", 1));
    assert!(db.complete_step(job, "a", "built").await.unwrap());
    assert!(
        db.claim("b", Duration::from_secs(60))
            .await
            .unwrap()
            .is_none(),
        "lease still live"
    );
    // Worker a dies: no renewal. After the lease, b resumes from a's last step.
    tokio::time::sleep(Duration::from_millis(450)).await;
    let b = db
        .claim("b", Duration::from_secs(60))
        .await
        .unwrap()
        .expect("b takes over");
    assert_eq!((b.id, b.step.as_str(), b.attempts), (job, "built", 2));
    assert!(b.first_claimed_at >= b.created_at);
    assert!(
        !db.renew(job, "a", Duration::from_secs(60)).await.unwrap(),
        "a lost the job"
    );
    assert!(!db.complete_step(job, "a", "scanned").await.unwrap());
    assert!(!db.finish(job, "a", Ok(())).await.unwrap());
    assert!(db.renew(job, "b", Duration::from_secs(60)).await.unwrap());
    assert!(
        db.finish(job, "b", Err("layer size limit exceeded"))
            .await
            .unwrap()
    );
    assert!(
        db.claim("c", Duration::from_secs(60))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_lifecycle_and_queue() {
    let dir = tempfile::tempdir().unwrap();
    let url = common::sqlite_url(dir.path());
    let db = Db::open(&url).await.unwrap();
    db.ping().await.unwrap();
    lifecycle(&db).await;
    lease_expiry_resumes(&db).await;
    concurrent_claims(&url).await;
    // Reopening migrates nothing twice and keeps the data.
    let again = Db::open(&url).await.unwrap();
    assert!(again.submission(1).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_lifecycle_and_queue() {
    let pg = common::Postgres::start();
    let db = Db::open(&pg.database("lifecycle")).await.unwrap();
    db.ping().await.unwrap();
    lifecycle(&db).await;
    lease_expiry_resumes(&db).await;
    concurrent_claims(&pg.database("claims")).await;
}
