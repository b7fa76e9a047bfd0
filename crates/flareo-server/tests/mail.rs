//! The mail outbox against a real SMTP server (aiosmtpd) on both real databases:
//! mail queued while the server is down is retried with backoff and delivered,
//! exactly once, when it comes back; two mailers draining one outbox deliver each
//! message exactly once.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use flareo_server::Db;
use flareo_server::mail::{self, Mailer, OutboxRow, SmtpConfig};
use flareo_testkit::{Postgres, Smtp, sqlite_url};

/// Generous: these are correctness tests, not timings.
const PATIENCE: Duration = Duration::from_secs(60);

fn config(smtp: &Smtp) -> SmtpConfig {
    SmtpConfig {
        port: smtp.port(),
        ..SmtpConfig::default()
    }
}

/// A raw message's unfolded headers (name lower-cased) and its body.
fn parse(raw: &str) -> (BTreeMap<String, String>, String) {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw
        .split_once("\n\n")
        .expect("a blank line after the headers");
    let mut headers = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            let name = last.as_ref().expect("a continuation after a header");
            headers
                .entry(name.clone())
                .and_modify(|v: &mut String| v.push_str(line));
        } else if let Some((name, value)) = line.split_once(':') {
            let name = name.to_ascii_lowercase();
            headers.insert(name.clone(), value.trim().to_string());
            last = Some(name);
        }
    }
    (headers, body.to_string())
}

/// Messages by subject; panics if a subject arrived twice.
fn by_subject(raw: &[String]) -> BTreeMap<String, (BTreeMap<String, String>, String)> {
    let mut out = BTreeMap::new();
    for m in raw {
        let (headers, body) = parse(m);
        let subject = headers["subject"].clone();
        assert!(
            out.insert(subject.clone(), (headers, body)).is_none(),
            "{subject:?} delivered twice"
        );
    }
    out
}

/// Polls the outbox until `done` holds; panics after [`PATIENCE`].
async fn outbox_until(db: &Db, what: &str, done: impl Fn(&[OutboxRow]) -> bool) -> Vec<OutboxRow> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let rows = db.outbox().await.unwrap();
        if done(&rows) {
            return rows;
        }
        assert!(Instant::now() < deadline, "{what}: {rows:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn retried_while_down_then_delivered_once(url: &str) {
    let db = Db::open(url).await.unwrap();
    let mut smtp = Smtp::start();
    let port = smtp.port();
    smtp.stop();

    let digest = format!("sha256:{}", "5e".repeat(32));
    let pull = format!("registry.flareo.test:8443/hello@{digest}");
    let mails = [
        (
            "maint@example.test",
            mail::submission_received("hello", 41, "http://flareo.test/api/v1/submissions/41"),
        ),
        (
            "maint@example.test",
            mail::build_published("hello", 41, &digest, &pull),
        ),
        (
            "other@example.test",
            mail::build_failed(
                "broken",
                42,
                "base image not in approved list: my-registry/my-image",
            ),
        ),
    ];
    let mut ids = Vec::new();
    for (to, (subject, body)) in &mails {
        ids.push(db.queue_mail(to, subject, body).await.unwrap());
    }
    assert_eq!(db.outbox_pending().await.unwrap(), 3);

    let (base, cap) = (Duration::from_millis(200), Duration::from_millis(800));
    let mailer = Mailer::new(db.clone(), &config(&smtp))
        .unwrap()
        .with_backoff(base, cap)
        .with_poll(Duration::from_millis(50));

    // One pass while the server is down: the first message fails, is scheduled
    // after the base delay, and the pass stops there.
    let before = flareo_server::now_ms();
    assert_eq!(mailer.drain_once().await.unwrap(), 0);
    let after = flareo_server::now_ms();
    let rows = db.outbox().await.unwrap();
    assert_eq!(rows.len(), 3, "nothing is dropped");
    let first = &rows[0];
    assert_eq!((first.id, first.attempts, first.sent_at), (ids[0], 1, None));
    let error = first.last_error.as_deref().unwrap_or_default();
    assert!(!error.is_empty(), "{first:?}");
    let delay = mailer.backoff(1).as_millis() as i64;
    assert_eq!(delay, 200);
    assert!(
        (before + delay..=after + delay).contains(&first.next_attempt_at),
        "{first:?} (before {before}, after {after})"
    );
    assert_eq!((rows[1].attempts, rows[2].attempts), (0, 0), "{rows:#?}");

    // The loop keeps retrying with growing delays while the server stays down.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(mailer.run(stop_rx));
    let rows = outbox_until(&db, "three failed attempts of every message", |rows| {
        rows.iter().all(|r| r.attempts >= 3)
    })
    .await;
    for r in &rows {
        assert_eq!(r.sent_at, None);
        assert!(
            r.last_error.as_deref().is_some_and(|e| !e.is_empty()),
            "{r:?}"
        );
    }
    assert!(smtp.messages().is_empty());

    // The server comes back on the same port: everything is delivered, once.
    smtp.restart();
    assert_eq!(smtp.port(), port);
    let rows = outbox_until(&db, "every message delivered", |rows| {
        rows.iter().all(|r| r.sent_at.is_some())
    })
    .await;
    assert_eq!(db.outbox_pending().await.unwrap(), 0);
    for r in &rows {
        assert!(r.attempts >= 4, "delivered after the failures: {r:?}");
        assert!(r.last_error.is_some(), "the failure history stays: {r:?}");
    }
    let raw = tokio::task::block_in_place(|| smtp.wait_for(3, PATIENCE));
    // Give a duplicate, if the mailer sent one, the time to land.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop_tx.send(true).unwrap();
    tokio::time::timeout(PATIENCE, running)
        .await
        .expect("the mailer stops when told")
        .unwrap();
    let raw_now = smtp.messages();
    assert_eq!(raw_now.len(), 3, "{raw_now:#?}");
    assert_eq!(raw.len(), 3);
    let got = by_subject(&raw_now);

    for (to, (subject, body)) in &mails {
        let (headers, got_body) = got
            .get(subject)
            .unwrap_or_else(|| panic!("{subject:?} in {got:#?}"));
        assert_eq!(headers["to"], *to);
        assert_eq!(headers["x-rcptto"], *to, "envelope recipient");
        assert_eq!(headers["from"], "Flareo <flareo@localhost>");
        assert_eq!(headers["content-transfer-encoding"], "7bit");
        assert!(
            headers["content-type"].starts_with("text/plain"),
            "{headers:?}"
        );
        assert_eq!(got_body.trim_end(), body.trim_end());
    }
    let published = &got["[flareo] hello: submission 41 published"].1;
    assert!(
        published.contains(&digest) && published.contains(&pull),
        "{published}"
    );
    let failed = &got["[flareo] broken: submission 42 failed"].1;
    assert!(
        failed.contains("base image not in approved list: my-registry/my-image"),
        "{failed}"
    );
    let received = &got["[flareo] hello: submission 41 received"].1;
    assert!(received.contains("submission 41") && received.contains("/api/v1/submissions/41"));

    // Nothing left to send: another pass delivers nothing again.
    let again = Mailer::new(db.clone(), &config(&smtp)).unwrap();
    assert_eq!(again.drain_once().await.unwrap(), 0);
    assert_eq!(smtp.messages().len(), 3);
}

async fn two_mailers_deliver_each_once(url: &str) {
    let db = Db::open(url).await.unwrap();
    let smtp = Smtp::start();
    const N: usize = 30;
    for i in 0..N {
        db.queue_mail(
            &format!("m{i}@example.test"),
            &format!("message {i}"),
            &format!("body of message {i}\n"),
        )
        .await
        .unwrap();
    }
    // Two mailers, each with its own pool, as two server processes would have.
    let mut handles = Vec::new();
    for _ in 0..2 {
        let db = Db::open(url).await.unwrap();
        let mailer = Mailer::new(db.clone(), &config(&smtp)).unwrap();
        handles.push(tokio::spawn(async move {
            let mut sent = 0;
            while db.outbox_pending().await.unwrap() > 0 {
                sent += mailer.drain_once().await.unwrap();
            }
            sent
        }));
    }
    let mut total = 0;
    for h in handles {
        total += tokio::time::timeout(PATIENCE, h)
            .await
            .expect("the outbox drains")
            .unwrap();
    }
    assert_eq!(total, N, "each message is counted delivered once");
    let rows = db.outbox().await.unwrap();
    assert!(
        rows.iter()
            .all(|r| r.sent_at.is_some() && r.attempts == 1 && r.last_error.is_none()),
        "{rows:#?}"
    );
    tokio::task::block_in_place(|| smtp.wait_for(N, PATIENCE));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = by_subject(&smtp.messages());
    assert_eq!(got.len(), N);
    for i in 0..N {
        let (headers, body) = &got[&format!("message {i}")];
        assert_eq!(headers["to"], format!("m{i}@example.test"));
        assert_eq!(body.trim_end(), format!("body of message {i}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_outbox_retries_and_delivers_once() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    retried_while_down_then_delivered_once(&sqlite_url(a.path())).await;
    two_mailers_deliver_each_once(&sqlite_url(b.path())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_outbox_retries_and_delivers_once() {
    let pg = Postgres::start();
    retried_while_down_then_delivered_once(&pg.database("retries")).await;
    two_mailers_deliver_each_once(&pg.database("concurrent")).await;
}
