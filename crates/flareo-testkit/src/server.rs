//! What the server fixtures share: a raw HTTP status probe (no HTTP client in the
//! fixtures) and waiting for a started server to answer, with its log on failure.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

/// Sends `method path` (empty body) to 127.0.0.1:`port`; the response's status code.
pub(crate) fn http_status(port: u16, method: &str, path: &str) -> std::io::Result<u16> {
    http_request(port, method, path, "", "").map(|(status, _)| status)
}

/// Sends `method path` with `body` of `content_type` to 127.0.0.1:`port` over
/// HTTP/1.1 (`Connection: close`); the response's status code and body.
pub(crate) fn http_request(
    port: u16,
    method: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let content_type = if content_type.is_empty() {
        String::new()
    } else {
        format!("Content-Type: {content_type}\r\n")
    };
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{content_type}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    let status = text
        .lines()
        .next()
        .and_then(|status| status.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {text:?}")))?;
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    Ok((status, body))
}

/// The server `name` started as `child` on `port`, logging to `log`.
pub(crate) struct Starting<'a> {
    pub name: &'a str,
    pub port: u16,
    pub child: Option<&'a mut Child>,
    pub log: &'a Path,
    pub timeout: Duration,
}

impl Starting<'_> {
    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log).unwrap_or_default()
    }

    /// Polls `ready` every 50 ms until it is true; panics with the server's log if
    /// the process exits first or `timeout` passes.
    pub fn wait(mut self, mut ready: impl FnMut() -> bool) {
        let deadline = Instant::now() + self.timeout;
        loop {
            if ready() {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!("{} exited ({status}): {}", self.name, self.log());
            }
            assert!(
                Instant::now() < deadline,
                "{} did not answer on port {} within {:?}: {}",
                self.name,
                self.port,
                self.timeout,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
