//! A real SMTP server for tests: Debian's aiosmtpd (`python3 -m aiosmtpd`) on a
//! free 127.0.0.1 port with its `Mailbox` handler, which stores every message it
//! accepts into a Maildir in a temporary directory. Killed on drop; `stop` and
//! `restart` (same port, same Maildir) simulate a mail server that is down for a
//! while. A missing aiosmtpd fails the test: run scripts/setup.sh.
//!
//! The Mailbox handler adds `X-Peer`, `X-MailFrom` and `X-RcptTo` headers to each
//! stored message; the rest is what the client sent (line endings as `\n`).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use crate::free_port;
use crate::server::Starting;

/// The interpreter Debian's python3-aiosmtpd is installed for.
const PYTHON: &str = "/usr/bin/python3";
/// How long aiosmtpd may take to start answering.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Reads the server's `220` greeting and says `QUIT`; Ok when an SMTP server
/// answers on `port`.
fn greets(port: u16) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut line = String::new();
    BufReader::new(stream.try_clone()?).read_line(&mut line)?;
    if !line.starts_with("220") {
        return Err(std::io::Error::other(format!(
            "not an SMTP greeting: {line:?}"
        )));
    }
    let _ = stream.write_all(b"QUIT\r\n");
    Ok(())
}

/// An SMTP server that keeps what it receives, for one test.
pub struct Smtp {
    /// The running server; none while stopped.
    child: Option<Child>,
    port: u16,
    /// Holds the Maildir (`mbox/`) and the server's log (`aiosmtpd.log`).
    dir: tempfile::TempDir,
}

impl Smtp {
    /// Starts aiosmtpd on a free port with an empty Maildir.
    pub fn start() -> Self {
        let ok = Command::new(PYTHON)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "python3-aiosmtpd is missing ({PYTHON} -c 'import aiosmtpd' failed): run scripts/setup.sh"
        );
        let mut smtp = Self {
            child: None,
            port: free_port(),
            dir: tempfile::tempdir().expect("temp dir"),
        };
        smtp.restart();
        smtp
    }

    /// The port the server listens on (kept across `stop` and `restart`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The Maildir messages are stored in.
    pub fn maildir(&self) -> PathBuf {
        self.dir.path().join("mbox")
    }

    /// What the server has logged so far (all its runs).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("aiosmtpd.log")).unwrap_or_default()
    }

    /// Stops the server (SIGKILL): connections to the port are refused until
    /// `restart`. Messages already stored stay.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and Maildir (stopping it first if
    /// it runs); returns once it answers.
    pub fn restart(&mut self) {
        self.stop();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("aiosmtpd.log"))
            .expect("aiosmtpd.log");
        let child = Command::new(PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(self.maildir())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("aiosmtpd.log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {PYTHON} -m aiosmtpd: {e} (run scripts/setup.sh)"));
        self.child = Some(child);
        self.wait_until_up();
    }

    /// Polls until the server greets; panics with its log if it exits or hangs.
    fn wait_until_up(&mut self) {
        let port = self.port;
        let log = self.dir.path().join("aiosmtpd.log");
        Starting {
            name: "aiosmtpd",
            port,
            child: self.child.as_mut(),
            log: &log,
            timeout: START_TIMEOUT,
        }
        .wait(|| greets(port).is_ok());
    }

    /// Every message received so far, raw (RFC 5322 text), oldest first.
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<(SystemTime, PathBuf)> = ["new", "cur"]
            .iter()
            .filter_map(|sub| std::fs::read_dir(self.maildir().join(sub)).ok())
            .flatten()
            .flatten()
            .filter_map(|e| {
                let modified = e.metadata().ok()?.modified().ok()?;
                Some((modified, e.path()))
            })
            .collect();
        files.sort();
        files
            .iter()
            .filter_map(|(_, path)| std::fs::read(path).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .collect()
    }

    /// Waits until at least `n` messages arrived or `timeout` passed; returns the
    /// messages there are then (the caller asserts on them).
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n || Instant::now() >= deadline {
                return messages;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until at least one message satisfies `matches` or `timeout` passed;
    /// returns the matching messages, raw (none on timeout). A message matches
    /// when its raw text does or, for a quoted-printable body (long or non-ASCII
    /// lines), its decoded text does.
    pub fn wait_for_matching(
        &self,
        matches: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let found: Vec<String> = self
                .messages()
                .into_iter()
                .filter(|m| matches(m) || matches(&decode_quoted_printable(m)))
                .collect();
            if !found.is_empty() || Instant::now() >= deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Undoes quoted-printable: soft line breaks (`=` at a line end) and `=XX` bytes.
fn decode_quoted_printable(text: &str) -> String {
    let text = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.stop();
    }
}
