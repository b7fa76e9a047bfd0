//! Mail: each message is a row of the `outbox` table, written in the same
//! transaction as the change it reports (a submission, a publication, a failure),
//! and a [`Mailer`] delivers the outbox over SMTP (lettre).
//!
//! A mailer claims one due message at a time in a single statement (PostgreSQL
//! with `FOR UPDATE SKIP LOCKED`; SQLite serialises writers), holding it for
//! [`CLAIM_HOLD`] by pushing its `next_attempt_at` ahead, so two server processes
//! never send the same message. A delivered message gets `sent_at`; a failed
//! attempt records `last_error` and waits an exponential backoff. Nothing is ever
//! deleted or dropped. Delivery is at least once: a mailer that dies between the
//! SMTP server's acceptance and recording `sent_at` leaves the message to be sent
//! again once its hold expires.
//!
//! Bodies that are ASCII with lines of at most 998 characters go out as `7bit`,
//! unchanged, so digests and pull URLs stay whole in the raw message; others are
//! encoded by lettre (quoted-printable or base64).

use std::fmt;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Body, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::db::{Backend, Db, DbError, now_ms, sql};

/// How long a claim holds a message: far longer than one delivery may take
/// ([`SEND_TIMEOUT`]), so a live mailer's message is never taken over.
pub const CLAIM_HOLD: Duration = Duration::from_secs(300);
/// The longest one delivery (connect, dialogue, data) may take.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(60);

/// How to reach the SMTP server (`smtp:` in the configuration).
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// Server host name or address (default `127.0.0.1`); with TLS, the name its
    /// certificate is checked against.
    pub host: String,
    /// Server port (default 25; submission servers usually want 587 with
    /// `starttls` or 465 with `tls`).
    pub port: u16,
    /// The sender, `Name <address>` or a bare address (default
    /// `Flareo <flareo@localhost>`).
    pub from: String,
    /// Login name, when the server wants authentication.
    pub username: Option<String>,
    /// Password for `username`.
    pub password: Option<String>,
    /// Transport security: `none` (default, plain SMTP, for a local relay),
    /// `starttls` (upgrade required) or `tls` (TLS from the first byte).
    pub tls: SmtpTls,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 25,
            from: "Flareo <flareo@localhost>".into(),
            username: None,
            password: None,
            tls: SmtpTls::None,
        }
    }
}

/// Shows everything but the password.
impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("tls", &self.tls)
            .finish()
    }
}

/// Transport security towards the SMTP server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP (a relay on this machine or a trusted network).
    #[default]
    None,
    /// Plain connection upgraded with STARTTLS; refuses to go on without it.
    Starttls,
    /// TLS from the first byte (SMTPS).
    Tls,
}

/// Why a mailer cannot be set up or cannot reach its outbox. (A failed delivery
/// is not an error: it is recorded on the message and retried.)
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// `from` is not a mailbox.
    #[error("smtp: sender {from:?} is not an address: {source}")]
    From {
        /// The configured sender.
        from: String,
        /// Why it does not parse.
        #[source]
        source: lettre::address::AddressError,
    },
    /// A password without a login name.
    #[error("smtp: a password is set but no username")]
    PasswordWithoutUsername,
    /// TLS towards `host` cannot be set up.
    #[error("smtp: TLS for {host:?}: {source}")]
    Tls {
        /// The configured host.
        host: String,
        /// lettre's error.
        #[source]
        source: lettre::transport::smtp::Error,
    },
    /// The outbox could not be read or written.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// One outbox message with its delivery record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxRow {
    /// Its id.
    pub id: i64,
    /// Recipient address.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// Queued, Unix ms.
    pub created_at: i64,
    /// Delivery attempts started so far (a delivered message counts the
    /// successful one).
    pub attempts: i64,
    /// When it is due next, Unix ms (while claimed: when the claim expires).
    pub next_attempt_at: i64,
    /// Delivered, Unix ms.
    pub sent_at: Option<i64>,
    /// The most recent failed attempt's error (kept after delivery).
    pub last_error: Option<String>,
}

/// Queues a message on `conn`, typically an open transaction, so that it commits
/// (or rolls back) with the change it reports. Returns its id.
pub async fn queue_mail_in(
    conn: &mut sqlx::AnyConnection,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<i64, DbError> {
    let now = now_ms();
    let row: (i64,) = sqlx::query_as(
        "INSERT INTO outbox (to_addr, subject, body, created_at, attempts, next_attempt_at) \
         VALUES ($1, $2, $3, $4, 0, $4) RETURNING id",
    )
    .bind(to)
    .bind(subject)
    .bind(body)
    .bind(now)
    .fetch_one(conn)
    .await
    .map_err(sql("queueing a mail"))?;
    Ok(row.0)
}

/// Claims the oldest due message: holds it and counts the attempt.
const CLAIM_SQLITE: &str = "UPDATE outbox SET next_attempt_at = $1, attempts = attempts + 1 \
     WHERE id = (SELECT id FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= $2 ORDER BY id LIMIT 1) \
     RETURNING id, to_addr, subject, body, attempts";

/// The same, skipping messages another mailer is claiming.
const CLAIM_POSTGRES: &str = "UPDATE outbox SET next_attempt_at = $1, attempts = attempts + 1 \
     WHERE id = (SELECT id FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= $2 ORDER BY id LIMIT 1 \
     FOR UPDATE SKIP LOCKED) \
     RETURNING id, to_addr, subject, body, attempts";

/// A message claimed for one delivery attempt.
#[derive(Debug)]
struct Claimed {
    id: i64,
    to: String,
    subject: String,
    body: String,
    /// Attempts including this one.
    attempts: i64,
    /// The `next_attempt_at` the claim set: proves the claim is still ours.
    held_until: i64,
}

impl Db {
    /// Queues a message; returns its id.
    pub async fn queue_mail(&self, to: &str, subject: &str, body: &str) -> Result<i64, DbError> {
        let mut conn = self.pool.acquire().await.map_err(sql("queueing a mail"))?;
        queue_mail_in(&mut conn, to, subject, body).await
    }

    /// The whole outbox, oldest first.
    pub async fn outbox(&self) -> Result<Vec<OutboxRow>, DbError> {
        type Row = (
            i64,
            String,
            String,
            String,
            i64,
            i64,
            i64,
            Option<i64>,
            Option<String>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, to_addr, subject, body, created_at, attempts, next_attempt_at, sent_at, last_error \
             FROM outbox ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(sql("reading the outbox"))?;
        Ok(rows
            .into_iter()
            .map(|r| OutboxRow {
                id: r.0,
                to: r.1,
                subject: r.2,
                body: r.3,
                created_at: r.4,
                attempts: r.5,
                next_attempt_at: r.6,
                sent_at: r.7,
                last_error: r.8,
            })
            .collect())
    }

    /// Messages not yet delivered (for `/metrics`).
    pub async fn outbox_pending(&self) -> Result<i64, DbError> {
        let row: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
            .fetch_one(&self.pool)
            .await
            .map_err(sql("counting the outbox"))?;
        Ok(row.0)
    }

    /// Claims the oldest due message for [`CLAIM_HOLD`].
    async fn claim_mail(&self) -> Result<Option<Claimed>, DbError> {
        let now = now_ms();
        let held_until = now + CLAIM_HOLD.as_millis() as i64;
        let query = match self.backend() {
            Backend::Postgres => CLAIM_POSTGRES,
            Backend::Sqlite => CLAIM_SQLITE,
        };
        let row: Option<(i64, String, String, String, i64)> = sqlx::query_as(query)
            .bind(held_until)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(sql("claiming a mail"))?;
        Ok(row.map(|(id, to, subject, body, attempts)| Claimed {
            id,
            to,
            subject,
            body,
            attempts,
            held_until,
        }))
    }

    /// Records a delivery. Unconditional: the server accepted the message, so
    /// whoever holds it now must not send it again.
    async fn mail_sent(&self, id: i64) -> Result<(), DbError> {
        sqlx::query("UPDATE outbox SET sent_at = $1 WHERE id = $2 AND sent_at IS NULL")
            .bind(now_ms())
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(sql("recording a mail delivery"))?;
        Ok(())
    }

    /// Records a failed attempt and when to retry; false when the claim was no
    /// longer ours (it expired and another mailer took the message).
    async fn mail_failed(
        &self,
        claim: &Claimed,
        error: &str,
        retry_at: i64,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE outbox SET last_error = $1, next_attempt_at = $2 \
             WHERE id = $3 AND sent_at IS NULL AND next_attempt_at = $4",
        )
        .bind(error)
        .bind(retry_at)
        .bind(claim.id)
        .bind(claim.held_until)
        .execute(&self.pool)
        .await
        .map_err(sql("recording a mail failure"))?;
        Ok(done.rows_affected() == 1)
    }
}

/// The delay before retrying after the `attempts`-th failed attempt (1-based):
/// `base`, doubling per attempt, at most `cap`.
pub fn backoff(attempts: i64, base: Duration, cap: Duration) -> Duration {
    let doublings = attempts.saturating_sub(1).clamp(0, 30) as u32;
    base.saturating_mul(1 << doublings).min(cap)
}

/// Why one delivery attempt failed.
enum SendFailure {
    /// This message cannot go (bad recipient, permanent refusal): try the next.
    Message(String),
    /// The server is unreachable or refuses for now: stop this pass.
    Server(String),
}

/// Delivers the outbox over SMTP until told to stop.
pub struct Mailer {
    db: Db,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    backoff_base: Duration,
    backoff_cap: Duration,
    poll: Duration,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("backoff_base", &self.backoff_base)
            .field("backoff_cap", &self.backoff_cap)
            .field("poll", &self.poll)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `config`: retries after 1 s, doubling up to 5 minutes, and
    /// looks for due mail every second. Connects only when it sends.
    pub fn new(db: Db, config: &SmtpConfig) -> Result<Self, MailError> {
        let from: Mailbox = config.from.parse().map_err(|source| MailError::From {
            from: config.from.clone(),
            source,
        })?;
        let tls = |host: &str| {
            TlsParameters::new(host.to_string()).map_err(|source| MailError::Tls {
                host: host.to_string(),
                source,
            })
        };
        let tls = match config.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Starttls => Tls::Required(tls(&config.host)?),
            SmtpTls::Tls => Tls::Wrapper(tls(&config.host)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(30)));
        match (&config.username, &config.password) {
            (Some(user), password) => {
                builder = builder.credentials(Credentials::new(
                    user.clone(),
                    password.clone().unwrap_or_default(),
                ));
            }
            (None, Some(_)) => return Err(MailError::PasswordWithoutUsername),
            (None, None) => {}
        }
        Ok(Self {
            db,
            transport: builder.build(),
            from,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(300),
            poll: Duration::from_secs(1),
        })
    }

    /// Retries after `base`, doubling per failed attempt, at most `cap`.
    pub fn with_backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.backoff_base = base;
        self.backoff_cap = cap;
        self
    }

    /// Looks for due mail every `poll` while idle.
    pub fn with_poll(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// The retry delay after the `attempts`-th failed attempt.
    pub fn backoff(&self, attempts: i64) -> Duration {
        backoff(attempts, self.backoff_base, self.backoff_cap)
    }

    /// Delivers due messages one at a time until none is due, or until the
    /// server fails (one failed connection per pass, not one per message).
    /// Returns how many this call delivered.
    pub async fn drain_once(&self) -> Result<usize, MailError> {
        let mut sent = 0;
        while let Some(claim) = self.db.claim_mail().await? {
            let (error, stop) = match self.send(&claim).await {
                Ok(()) => {
                    self.db.mail_sent(claim.id).await?;
                    tracing::info!(id = claim.id, to = %claim.to, attempts = claim.attempts, "mail delivered");
                    sent += 1;
                    continue;
                }
                Err(SendFailure::Message(e)) => (e, false),
                Err(SendFailure::Server(e)) => (e, true),
            };
            let retry_in = self.backoff(claim.attempts);
            let retry_at = now_ms() + retry_in.as_millis() as i64;
            if self.db.mail_failed(&claim, &error, retry_at).await? {
                tracing::warn!(id = claim.id, to = %claim.to, attempts = claim.attempts, ?retry_in, %error, "mail not delivered; will retry");
            } else {
                tracing::warn!(id = claim.id, %error, "mail not delivered; its claim had expired and another mailer holds it");
            }
            if stop {
                break;
            }
        }
        Ok(sent)
    }

    /// One delivery attempt.
    async fn send(&self, claim: &Claimed) -> Result<(), SendFailure> {
        let to: Mailbox = claim
            .to
            .parse()
            .map_err(|e| SendFailure::Message(format!("recipient {:?}: {e}", claim.to)))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(claim.subject.replace(['\r', '\n'], " "))
            .header(ContentType::TEXT_PLAIN)
            .body(body(&claim.body))
            .map_err(|e| SendFailure::Message(format!("building the message: {e}")))?;
        match tokio::time::timeout(SEND_TIMEOUT, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) if e.is_permanent() => Err(SendFailure::Message(e.to_string())),
            Ok(Err(e)) => Err(SendFailure::Server(e.to_string())),
            Err(_) => Err(SendFailure::Server(format!(
                "no answer within {}s",
                SEND_TIMEOUT.as_secs()
            ))),
        }
    }

    /// Delivers the outbox until `shutdown` turns true (or its sender goes).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(from = %self.from, "mailer started");
        while !*shutdown.borrow() {
            if let Err(e) = self.drain_once().await {
                tracing::error!(error = %e, "mail outbox");
            }
            tokio::select! {
                _ = tokio::time::sleep(self.poll) => {}
                changed = shutdown.changed() => if changed.is_err() { break },
            }
        }
        tracing::info!("mailer stopped");
    }
}

/// The body as `7bit` when it is ASCII with lines of at most 998 characters
/// (RFC 5322's limit; lettre's chooser would quote lines over 76), else as lettre
/// encodes it.
fn body(text: &str) -> Body {
    let seven_bit = text.is_ascii()
        && !text.contains(['\0', '\r'])
        && text.split('\n').all(|line| line.len() <= 998);
    if seven_bit {
        let crlf = text.replace('\n', "\r\n");
        Body::dangerous_pre_encoded(
            crlf.into_bytes(),
            lettre::message::header::ContentTransferEncoding::SevenBit,
        )
    } else {
        Body::new(text.to_string())
    }
}

/// The confirmation a maintainer gets when a submission lands in the review
/// queue: `(subject, body)`.
pub fn submission_received(slug: &str, id: i64, status_url: &str) -> (String, String) {
    (
        format!("[flareo] {slug}: submission {id} received"),
        format!(
            "Your submission {id} of {slug} is in the review queue.\n\
             \n\
             A reviewer reads the Dockerfile; typical review time is 2-5 business days.\n\
             Follow it with `flareo status {id} --follow` or at:\n\
             {status_url}\n\
             \n\
             Keep the submission id ({id}) for reference in case you need to ask us about it.\n"
        ),
    )
}

/// The mail on publication, with the pinned digest and the pull URL:
/// `(subject, body)`.
pub fn build_published(slug: &str, id: i64, digest: &str, pull_url: &str) -> (String, String) {
    (
        format!("[flareo] {slug}: submission {id} published"),
        format!(
            "Submission {id} of {slug} was built and published.\n\
             \n\
             Pinned digest:\n\
             {digest}\n\
             \n\
             Pull URL:\n\
             {pull_url}\n"
        ),
    )
}

/// The mail when a re-evaluation changed a published module's verdict:
/// `(subject, body)`.
pub fn verdict_changed(
    slug: &str,
    digest: &str,
    e: &crate::evaluations::EvaluationRecord,
) -> (String, String) {
    let what = if e.verdict == "pass" {
        "passes the vulnerability gate again".to_string()
    } else {
        format!("now fails the vulnerability gate:\n\n{}", e.reason)
    };
    (
        format!("[flareo] {slug}: verdict {}", e.verdict),
        format!(
            "The published image of {slug} ({digest}) was re-evaluated without a rebuild \
             ({}) and {what}\n\n\
             Findings after VEX: {}; suppressed by VEX: {}.\n\
             Report: /api/v1/modules/{slug}/vulnerabilities\n",
            e.trigger, e.findings, e.suppressed
        ),
    )
}

/// The mail on failure, with the specific error: `(subject, body)`.
pub fn build_failed(slug: &str, id: i64, error: &str) -> (String, String) {
    (
        format!("[flareo] {slug}: submission {id} failed"),
        format!(
            "Submission {id} of {slug} failed:\n\
             \n\
             {error}\n\
             \n\
             Fix it and resubmit: a resubmission creates a new submission, with no penalty.\n\
             Keep the submission id ({id}) for reference in case you need to ask us about it.\n"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submission_received_says_where_to_follow() {
        let (subject, body) = submission_received("hello", 7, "http://x/api/v1/submissions/7");
        assert_eq!(subject, "[flareo] hello: submission 7 received");
        assert_eq!(
            body,
            "Your submission 7 of hello is in the review queue.\n\
             \n\
             A reviewer reads the Dockerfile; typical review time is 2-5 business days.\n\
             Follow it with `flareo status 7 --follow` or at:\n\
             http://x/api/v1/submissions/7\n\
             \n\
             Keep the submission id (7) for reference in case you need to ask us about it.\n"
        );
    }

    #[test]
    fn build_published_carries_digest_and_pull_url() {
        let digest = format!("sha256:{}", "ab".repeat(32));
        let pull = format!("flareo.example:8080/hello@{digest}");
        let (subject, body) = build_published("hello", 7, &digest, &pull);
        assert_eq!(subject, "[flareo] hello: submission 7 published");
        assert_eq!(
            body,
            format!(
                "Submission 7 of hello was built and published.\n\n\
                 Pinned digest:\n{digest}\n\nPull URL:\n{pull}\n"
            )
        );
    }

    #[test]
    fn build_failed_carries_the_error() {
        let (subject, body) = build_failed("hello", 7, "build exceeded 10-minute time limit");
        assert_eq!(subject, "[flareo] hello: submission 7 failed");
        assert!(body.starts_with(
            "Submission 7 of hello failed:\n\nbuild exceeded 10-minute time limit\n\n"
        ));
        assert!(body.contains("(7)"));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let (base, cap) = (Duration::from_secs(1), Duration::from_secs(300));
        let delays: Vec<u64> = (0..=12).map(|n| backoff(n, base, cap).as_secs()).collect();
        assert_eq!(delays, [1, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
        assert_eq!(backoff(i64::MAX, base, cap), cap);
    }

    #[test]
    fn long_ascii_lines_stay_whole() {
        let url = format!("registry.example/hello@sha256:{}", "0".repeat(64));
        let b = body(&format!("Pull URL:\n{url}\n"));
        assert_eq!(
            b.encoding(),
            lettre::message::header::ContentTransferEncoding::SevenBit
        );
        assert_eq!(b.into_vec(), format!("Pull URL:\r\n{url}\r\n").into_bytes());
        let b = body("déjà vu\n");
        assert_ne!(
            b.encoding(),
            lettre::message::header::ContentTransferEncoding::SevenBit
        );
        let b = body(&"x".repeat(999));
        assert_ne!(
            b.encoding(),
            lettre::message::header::ContentTransferEncoding::SevenBit
        );
    }

    #[test]
    fn config_defaults_and_refusals() {
        let c: SmtpConfig = serde_saphyr::from_str("port: 2525\n").unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.tls),
            ("127.0.0.1", 2525, SmtpTls::None)
        );
        assert_eq!(c.from, "Flareo <flareo@localhost>");
        let c: SmtpConfig = serde_saphyr::from_str(
            "host: mail.example\ntls: starttls\nusername: u\npassword: secret\n",
        )
        .unwrap();
        assert_eq!(c.tls, SmtpTls::Starttls);
        assert!(!format!("{c:?}").contains("secret"));
        assert!(serde_saphyr::from_str::<SmtpConfig>("hots: x\n").is_err());
        assert!(serde_saphyr::from_str::<SmtpConfig>("tls: ssl\n").is_err());
    }

    #[tokio::test]
    async fn mailer_refuses_bad_settings() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open_sqlite(&dir.path().join("f.db")).await.unwrap();
        let bad_from = SmtpConfig {
            from: "not an address".into(),
            ..SmtpConfig::default()
        };
        let e = Mailer::new(db.clone(), &bad_from).unwrap_err().to_string();
        assert!(
            e.starts_with("smtp: sender \"not an address\" is not an address"),
            "{e}"
        );
        let no_user = SmtpConfig {
            password: Some("p".into()),
            ..SmtpConfig::default()
        };
        assert!(matches!(
            Mailer::new(db.clone(), &no_user),
            Err(MailError::PasswordWithoutUsername)
        ));
        let tls = SmtpConfig {
            host: "mail.example".into(),
            tls: SmtpTls::Tls,
            ..SmtpConfig::default()
        };
        Mailer::new(db, &tls).unwrap();
    }

    #[tokio::test]
    async fn mail_commits_and_rolls_back_with_its_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open_sqlite(&dir.path().join("f.db")).await.unwrap();
        let mut tx = db.pool.begin().await.unwrap();
        queue_mail_in(&mut tx, "a@example.test", "dropped", "b")
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        assert!(db.outbox().await.unwrap().is_empty());
        let mut tx = db.pool.begin().await.unwrap();
        let id = queue_mail_in(&mut tx, "a@example.test", "kept", "b")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let rows = db.outbox().await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].id, rows[0].subject.as_str(), rows[0].attempts),
            (id, "kept", 0)
        );
        assert_eq!(rows[0].next_attempt_at, rows[0].created_at);
        assert_eq!(db.outbox_pending().await.unwrap(), 1);
    }
}
