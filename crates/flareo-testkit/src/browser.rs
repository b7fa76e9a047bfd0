//! Headless Chromium for the web pages' tests: Debian's `/usr/bin/chromium` driven
//! by `playwright-core` (npm, pinned; installed under
//! `~/.cache/flareo/peers/playwright-core-<version>` on first use) through a small
//! Node driver (`js/browser-driver.mjs`) that takes one JSON request per line.
//! Each [`Page`] has its own browser context, so two pages are two users with
//! their own cookies. Calls block: use them from `#[tokio::test(flavor =
//! "multi_thread")]` when the server runs on the test's runtime.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

/// The pinned playwright-core (1.61 is the newest that runs on Node 18 as well as 20).
pub const PLAYWRIGHT_CORE: &str = "1.61.0";

/// Debian's Chromium (package `chromium`, installed by scripts/setup.sh).
pub const CHROMIUM: &str = "/usr/bin/chromium";

struct Driver {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Driver {
    /// Sends one request and waits for its answer; `Err` carries the driver's
    /// message (what failed, the page's URL and text).
    fn call(&mut self, mut request: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        request["id"] = json!(id);
        writeln!(self.stdin, "{request}")
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("the browser driver is gone ({e}) at {request}"))?;
        let mut line = String::new();
        loop {
            line.clear();
            let n = self
                .stdout
                .read_line(&mut line)
                .map_err(|e| format!("reading the browser driver: {e}"))?;
            if n == 0 {
                return Err(format!("the browser driver exited during {request}"));
            }
            let Ok(reply) = serde_json::from_str::<Value>(&line) else {
                continue; // a stray line from Chromium or Node
            };
            if reply["id"] != json!(id) {
                continue;
            }
            if let Some(e) = reply.get("error") {
                return Err(e.as_str().unwrap_or_default().to_string());
            }
            return Ok(reply["ok"].clone());
        }
    }
}

/// A running headless Chromium; stopped on drop.
pub struct Browser {
    driver: Arc<Mutex<Driver>>,
    version: String,
    _dir: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium with an empty profile. Panics with what to install when
    /// Chromium, Node or npm is missing.
    pub fn launch() -> Self {
        assert!(
            Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is missing: run scripts/setup.sh (Debian package chromium)"
        );
        let driver = crate::peers::npm_peer(
            "playwright-core",
            PLAYWRIGHT_CORE,
            "browser-driver.mjs",
            include_str!("../js/browser-driver.mjs"),
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let stderr = std::fs::File::create(dir.path().join("driver.log")).expect("log file");
        let mut child = Command::new("node")
            .arg(&driver)
            .arg(CHROMIUM)
            // Chromium's profile and crash dumps stay in the temp dir.
            .env("HOME", dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("starting node (scripts/setup.sh installs nodejs)");
        let stdin = child.stdin.take().expect("piped stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut first = String::new();
        let _ = stdout.read_line(&mut first);
        let version = serde_json::from_str::<Value>(&first)
            .ok()
            .and_then(|v| v["ready"].as_str().map(str::to_string));
        let Some(version) = version else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "Chromium did not start under playwright-core {PLAYWRIGHT_CORE}: {first}\n{}",
                std::fs::read_to_string(dir.path().join("driver.log")).unwrap_or_default()
            );
        };
        Self {
            driver: Arc::new(Mutex::new(Driver {
                child,
                stdin,
                stdout,
                next_id: 0,
            })),
            version,
            _dir: dir,
        }
    }

    /// Chromium's version, as the browser reports it.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// A new tab in a fresh context (no cookies).
    pub fn new_page(&self) -> Page {
        let id = self
            .driver
            .lock()
            .expect("driver lock")
            .call(json!({"op": "newPage"}))
            .unwrap_or_else(|e| panic!("opening a page: {e}"));
        Page {
            driver: self.driver.clone(),
            id: id.as_u64().expect("page id"),
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Ok(mut d) = self.driver.lock() {
            // Closing stdin lets the driver close Chromium; kill if it lingers.
            let _ = d.child.kill();
            let _ = d.child.wait();
        }
    }
}

/// Where a navigation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landed {
    /// The main document's HTTP status (after redirects).
    pub status: u16,
    /// The URL shown.
    pub url: String,
    /// The document's title.
    pub title: String,
}

impl Landed {
    fn from(v: Value) -> Self {
        Self {
            status: v["status"].as_u64().unwrap_or(0) as u16,
            url: v["url"].as_str().unwrap_or_default().to_string(),
            title: v["title"].as_str().unwrap_or_default().to_string(),
        }
    }
}

/// One tab with its own cookies. Every method panics with the driver's message
/// (what failed, the URL and the page's text) unless it returns a `Result`.
pub struct Page {
    driver: Arc<Mutex<Driver>>,
    id: u64,
}

impl Page {
    /// Sends `op` with `args` for this page.
    pub fn try_call(&self, op: &str, mut args: Value) -> Result<Value, String> {
        args["op"] = json!(op);
        args["page"] = json!(self.id);
        self.driver.lock().expect("driver lock").call(args)
    }

    fn call(&self, op: &str, args: Value) -> Value {
        self.try_call(op, args.clone())
            .unwrap_or_else(|e| panic!("browser {op} {args}: {e}"))
    }

    /// Opens `url` and waits for it to load.
    pub fn goto(&self, url: &str) -> Landed {
        Landed::from(self.call("goto", json!({ "url": url })))
    }

    /// Types `value` into the field `selector`.
    pub fn fill(&self, selector: &str, value: &str) {
        self.call("fill", json!({ "selector": selector, "value": value }));
    }

    /// Chooses `path` in the file input `selector`.
    pub fn set_file(&self, selector: &str, path: &Path) {
        self.call("setFiles", json!({ "selector": selector, "path": path }));
    }

    /// Ticks the checkbox `selector`.
    pub fn check(&self, selector: &str) {
        self.call("check", json!({ "selector": selector }));
    }

    /// Clicks `selector` (a submit button or a link) and waits for the page it
    /// leads to.
    pub fn submit(&self, selector: &str) -> Landed {
        Landed::from(self.call("submit", json!({ "selector": selector })))
    }

    /// The rendered text of the first element matching `selector`.
    pub fn text(&self, selector: &str) -> String {
        let v = self.call("text", json!({ "selector": selector }));
        v.as_str().unwrap_or_default().to_string()
    }

    /// The rendered text of every element matching `selector`.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let v = self.call("texts", json!({ "selector": selector }));
        serde_json::from_value(v).expect("texts are strings")
    }

    /// Waits up to `timeout` until the first element matching `selector` shows
    /// `text` (a script changed it, or the page reloaded); its whole text.
    pub fn wait_for_text(
        &self,
        selector: &str,
        text: &str,
        timeout: std::time::Duration,
    ) -> String {
        let v = self.call(
            "waitForText",
            json!({ "selector": selector, "text": text, "timeoutMs": timeout.as_millis() as u64 }),
        );
        v.as_str().unwrap_or_default().to_string()
    }

    /// How many elements match `selector` (no waiting).
    pub fn count(&self, selector: &str) -> usize {
        self.call("count", json!({ "selector": selector }))
            .as_u64()
            .unwrap_or(0) as usize
    }

    /// Attribute `name` of the first element matching `selector`.
    pub fn attribute(&self, selector: &str, name: &str) -> Option<String> {
        let v = self.call("attribute", json!({ "selector": selector, "name": name }));
        v.as_str().map(str::to_string)
    }

    /// Runs `script` (a JavaScript expression) in the page; its JSON value.
    pub fn evaluate(&self, script: &str) -> Value {
        self.call("evaluate", json!({ "script": script }))
    }

    /// The context's cookies, as Playwright reports them (name, value, httpOnly,
    /// sameSite, ...).
    pub fn cookies(&self) -> Vec<Value> {
        serde_json::from_value(self.call("cookies", json!({}))).expect("cookies are a list")
    }

    /// A full-page PNG at `path`.
    pub fn screenshot(&self, path: &Path) -> PathBuf {
        self.call("screenshot", json!({ "path": path }));
        path.to_path_buf()
    }

    /// Console errors, uncaught exceptions and failed requests seen so far.
    pub fn problems(&self) -> Vec<String> {
        serde_json::from_value(self.call("problems", json!({}))).expect("problems are strings")
    }
}
