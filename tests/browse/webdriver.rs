//! A minimal client for chromedriver's W3C WebDriver HTTP API, enough to drive the browse page
//! in headless Chromium from a test: navigate, find, click, type, run a script, read the
//! browser log, take screenshots.
//!
//! It talks plain JSON over loopback with ureq (already a dev-dependency), rather than pulling
//! in a WebDriver crate and its async runtime for a dozen endpoints. Chromium, chromedriver and
//! every browser process they start are stopped when the [`Browser`] is dropped, even when a
//! test fails halfway.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How long any one wait may take before the test fails: a guard against hangs, not a timing
/// assertion (a slow machine only gets slower, never fails).
pub const DEADLINE: Duration = Duration::from_secs(30);

/// One browser at a time: a Chromium is several busy processes, and two or three of them at once
/// on a small CI machine only make each test slower (and the whole module no faster).
static TURN: Mutex<()> = Mutex::new(());

/// WebDriver's code for the Tab key.
pub const TAB: char = '\u{E004}';
/// WebDriver's code for the Enter key.
pub const ENTER: char = '\u{E007}';

/// The W3C element reference key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A headless Chromium session behind its own chromedriver.
pub struct Browser {
    driver: Child,
    base: String,
    session: Option<String>,
    profile: PathBuf,
    agent: ureq::Agent,
    // Released after Drop has stopped every process (fields drop after `drop` runs).
    _turn: MutexGuard<'static, ()>,
}

impl Browser {
    /// Starts chromedriver on a free loopback port and opens a headless Chromium session
    /// whose profile lives in `dir`. Panics with one line naming the packages to install when
    /// Chromium or chromedriver is missing (no silent skip).
    pub fn start(dir: &Path) -> Browser {
        if let Some(message) = missing_browser(Path::new(CHROMIUM), Path::new(CHROMEDRIVER)) {
            panic!("{message}");
        }
        // A test that failed while holding the turn poisons the lock; the next one may go on.
        let turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let port = free_port();
        let profile = dir.join("chromium-profile");
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg(format!(
                "--log-path={}",
                dir.join("chromedriver.log").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let mut browser = Browser {
            driver,
            base: format!("http://127.0.0.1:{port}"),
            session: None,
            profile,
            agent,
            _turn: turn,
        };
        browser.wait_until_ready();
        browser.open_session();
        browser
    }

    fn wait_until_ready(&mut self) {
        let started = Instant::now();
        loop {
            let ready = self
                .agent
                .get(format!("{}/status", self.base))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_to_string().ok())
                .and_then(|body| serde_json::from_str::<Value>(&body).ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                return;
            }
            if let Ok(Some(status)) = self.driver.try_wait() {
                panic!("chromedriver exited before it was ready ({status})");
            }
            assert!(
                started.elapsed() < DEADLINE,
                "chromedriver not ready after {DEADLINE:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn open_session(&mut self) {
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--window-size=1280,900".to_owned(),
            // Every name but loopback fails to resolve: the test never reaches the internet,
            // and TMDB's image CDN is reliably unreachable, so the placeholders must show.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1".to_owned(),
            format!("--user-data-dir={}", self.profile.display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let value = self.raw("POST", "/session", Some(caps));
        let id = value["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver opened no session: {value}"));
        self.session = Some(id.to_owned());
    }

    /// One WebDriver command; returns its `value`, panicking with the driver's error message.
    fn raw(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let response = match method {
            "GET" => self.agent.get(&url).call(),
            "DELETE" => self.agent.delete(&url).call(),
            _ => self
                .agent
                .post(&url)
                .content_type("application/json")
                .send(body.unwrap_or_else(|| json!({})).to_string()),
        };
        let mut response = response.unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"));
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let parsed: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}: {text:.300}"));
        if status != 200 {
            panic!(
                "WebDriver {method} {path} answered {status}: {} {}",
                parsed["value"]["error"],
                parsed["value"]["message"].as_str().unwrap_or_default()
            );
        }
        parsed["value"].clone()
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let session = self.session.as_deref().expect("an open session");
        self.raw(method, &format!("/session/{session}{path}"), body)
    }

    /// Loads `url` and waits for the document to load.
    pub fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn back(&self) {
        self.cmd("POST", "/back", None);
    }

    pub fn refresh(&self) {
        self.cmd("POST", "/refresh", None);
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its result.
    pub fn exec(&self, script: &str, args: Value) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// The elements matching a CSS selector, now (possibly none).
    pub fn find_all(&self, css: &str) -> Vec<Element> {
        self.cmd(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        )
        .as_array()
        .expect("an element list")
        .iter()
        .map(|e| {
            let id = e[ELEMENT].as_str();
            Element(
                id.unwrap_or_else(|| panic!("no element reference in {e}"))
                    .to_owned(),
            )
        })
        .collect()
    }

    /// Waits for an element matching `css` to exist.
    pub fn find(&self, css: &str) -> Element {
        self.wait_for(&format!("an element matching {css:?}"), || {
            self.find_all(css).into_iter().next()
        })
    }

    /// The rendered text of each element matching `css`.
    pub fn texts(&self, css: &str) -> Vec<String> {
        let value = self.exec(
            "return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent);",
            json!([css]),
        );
        serde_json::from_value(value).expect("a list of strings")
    }

    pub fn click(&self, element: &Element) {
        self.cmd("POST", &format!("/element/{}/click", element.0), None);
    }

    /// Types `text` into an element, key by key, as a user would.
    pub fn type_into(&self, element: &Element, text: &str) {
        self.cmd(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(json!({ "text": text })),
        );
    }

    /// Presses and releases one key on whatever has the focus (WebDriver key codes:
    /// [`TAB`], [`ENTER`]).
    pub fn press(&self, key: char) {
        let key = key.to_string();
        self.cmd(
            "POST",
            "/actions",
            Some(
                json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
                {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]}]}),
            ),
        );
    }

    pub fn url(&self) -> String {
        self.cmd("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Polls `probe` until it yields something; panics naming `what` (and the page's current
    /// URL and heading) after [`DEADLINE`].
    pub fn wait_for<T>(&self, what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
        let started = Instant::now();
        loop {
            if let Some(found) = probe() {
                return found;
            }
            if started.elapsed() > DEADLINE {
                let main = self.texts("main").join("");
                panic!(
                    "waited {DEADLINE:?} for {what}; the page is at {} and shows: {main:.600}",
                    self.url()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the texts of the elements matching `css` equal `expected`.
    pub fn wait_texts(&self, css: &str, expected: &[&str]) {
        let mut last = Vec::new();
        let found = self.wait_for_or(|| {
            last = self.texts(css);
            (last == expected).then_some(())
        });
        if found.is_none() {
            panic!(
                "the texts of {css:?} are {last:?}, expected {expected:?} (page at {})",
                self.url()
            );
        }
    }

    fn wait_for_or<T>(&self, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
        let started = Instant::now();
        while started.elapsed() < DEADLINE {
            if let Some(found) = probe() {
                return Some(found);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// The browser console entries since the last call (chromedriver's goog:loggingPrefs).
    pub fn console(&self) -> Vec<Value> {
        self.cmd("POST", "/se/log", Some(json!({"type": "browser"})))
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Emulates a device `width` CSS pixels wide (a phone at 375), through the DevTools
    /// protocol that chromedriver exposes.
    pub fn emulate_width(&self, width: u32) {
        self.cmd(
            "POST",
            "/goog/cdp/execute",
            Some(
                json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": {
                "width": width, "height": 800, "deviceScaleFactor": 1, "mobile": true}}),
            ),
        );
    }

    /// Makes the page see `prefers-color-scheme: dark` (or `light`).
    pub fn emulate_color_scheme(&self, scheme: &str) {
        self.cmd(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": "Emulation.setEmulatedMedia", "params": {
                "features": [{"name": "prefers-color-scheme", "value": scheme}]}})),
        );
    }

    /// Saves a PNG screenshot of the viewport.
    pub fn screenshot(&self, path: &Path) {
        let data = self.cmd("GET", "/screenshot", None);
        let png = base64_decode(data.as_str().expect("base64 PNG"));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            // Closing the session makes chromedriver stop its Chromium cleanly.
            let _ = self
                .agent
                .delete(format!("{}/session/{session}", self.base))
                .call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // If chromedriver died first, its Chromium processes outlive it: find them by the
        // profile folder that only this test's browser uses, and stop them.
        kill_processes_using(&self.profile);
    }
}

/// The one-line message for a machine without Chromium or chromedriver, or None when both are
/// there.
fn missing_browser(chromium: &Path, chromedriver: &Path) -> Option<String> {
    [(chromium, "chromium"), (chromedriver, "chromedriver")]
        .into_iter()
        .find(|(path, _)| !path.exists())
        .map(|(path, what)| {
            format!(
                "the browse page test needs {what} at {}: install chromium and chromium-driver (apt-get install -y chromium chromium-driver)",
                path.display()
            )
        })
}

/// A found element (its WebDriver reference).
pub struct Element(String);

/// A port nobody listens on right now (chromedriver takes no port 0).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().unwrap().port()
}

/// Sends SIGKILL to every process whose command line names `profile` (this test's own
/// Chromium processes, and no others).
fn kill_processes_using(profile: &Path) {
    let needle = format!("--user-data-dir={}", profile.display());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if cmdline
            .split(|&b| b == 0)
            .any(|arg| arg == needle.as_bytes())
        {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

/// Standard base64 (the screenshot encoding), without pulling in a crate for it.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {:?}", c as char),
        }
    };
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c) << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len().saturating_sub(1)]);
    }
    out
}

#[test]
fn a_missing_browser_is_one_line_naming_the_packages() {
    let nowhere = Path::new("/nonexistent/chromium");
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(
        missing_browser(nowhere, here).as_deref(),
        Some(
            "the browse page test needs chromium at /nonexistent/chromium: install chromium and chromium-driver (apt-get install -y chromium chromium-driver)"
        )
    );
    let message = missing_browser(here, Path::new("/nonexistent/chromedriver")).unwrap();
    assert!(
        message.starts_with("the browse page test needs chromedriver at /nonexistent/chromedriver: install chromium and chromium-driver"),
        "{message}"
    );
    assert_eq!(missing_browser(here, here), None);
}

#[test]
fn base64_decodes_padded_and_unpadded_text() {
    assert_eq!(base64_decode("aGVsbG8="), b"hello");
    assert_eq!(base64_decode("aGk"), b"hi");
    assert_eq!(base64_decode("YWJj"), b"abc");
}
