//! Helpers shared by every integration test: a running `tmdb-sim` on a free loopback port
//! ([`Sim`]), a scratch folder ([`Workdir`]), and running the real binaries with failure output
//! you can act on ([`Run`]).
//!
//! Tests never reach the internet and never sleep to wait for a server: the simulator prints
//! the address it bound on one line, and [`Sim`] reads it.

#![allow(dead_code)] // each test module uses its own subset of these helpers

pub mod mirror;
pub mod mysql;
pub mod pg;
pub mod record;
pub mod served;
pub mod server;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The path of one of the project's binaries, built by `cargo test`.
pub fn bin(name: &str) -> PathBuf {
    let path = match name {
        "tmdb-fetch" => env!("CARGO_BIN_EXE_tmdb-fetch"),
        "ndjson-load" => env!("CARGO_BIN_EXE_ndjson-load"),
        "tmdb-serve" => env!("CARGO_BIN_EXE_tmdb-serve"),
        "tmdb-sim" => env!("CARGO_BIN_EXE_tmdb-sim"),
        "ndjson-ids" => env!("CARGO_BIN_EXE_ndjson-ids"),
        "tmdb-export" => env!("CARGO_BIN_EXE_tmdb-export"),
        other => panic!("unknown binary {other}"),
    };
    PathBuf::from(path)
}

/// The repository root (where the Makefile is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch folder under `target/test-work/`, removed when the test passes and kept (its path
/// printed) when it fails, so the files can be inspected.
pub struct Workdir {
    pub path: PathBuf,
}

impl Workdir {
    pub fn new(name: &str) -> Workdir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path = repo_root()
            .join("target/test-work")
            .join(format!("{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create workdir");
        Workdir { path }
    }

    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.path.join(rel)
    }

    pub fn write(&self, rel: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(&path, contents).unwrap();
        path
    }

    pub fn read(&self, rel: impl AsRef<Path>) -> String {
        let path = self.join(rel);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("test files kept in {}", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// A finished command with everything it printed.
pub struct Run {
    pub command: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }

    /// Panics with the command, status, stdout and stderr unless the exit code is `code`.
    pub fn expect_code(&self, code: i32) -> &Run {
        if self.code() != code {
            panic!("expected exit code {code}\n{self}");
        }
        self
    }

    pub fn expect_success(&self) -> &Run {
        self.expect_code(0)
    }

    /// stdout parsed as NDJSON, one value per line.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        parse_ndjson(&self.stdout).unwrap_or_else(|e| panic!("{e}\n{self}"))
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let clip = |s: &str| -> String {
            if s.len() > 8000 {
                let mut end = 8000;
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                format!("{}... [{} bytes in all]", &s[..end], s.len())
            } else {
                s.to_owned()
            }
        };
        write!(
            f,
            "command: {}\nstatus: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command,
            self.status,
            clip(&self.stdout),
            clip(&self.stderr)
        )
    }
}

/// Parses NDJSON text; every line must be a complete JSON value.
pub fn parse_ndjson(text: &str) -> Result<Vec<serde_json::Value>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}: {l:.200}", i + 1)))
        .collect()
}

/// Reads an NDJSON file.
pub fn read_ndjson(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_ndjson(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `cmd` to completion with `stdin` as its input, killing it after `deadline` (a guard
/// against hangs, not a timing assertion).
pub fn run_with_input(mut cmd: Command, stdin: &[u8], deadline: Duration) -> Run {
    let command = format!("{cmd:?}");
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {command}: {e}"));
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let output = wait_with_deadline(child, deadline, &command);
    let _ = writer.join();
    Run {
        command,
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `cmd` with no input.
pub fn run(cmd: Command) -> Run {
    run_with_input(cmd, b"", Duration::from_secs(300))
}

fn wait_with_deadline(mut child: Child, deadline: Duration, command: &str) -> Output {
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let status = child.wait().unwrap();
            let stderr = String::from_utf8_lossy(&err.join().unwrap()).into_owned();
            panic!(
                "{command} still running after {deadline:?}; killed ({status})\nstderr:\n{stderr}"
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Spawns a server that prints `listening on URL` as its first stdout line (tmdb-sim,
/// tmdb-serve), waits for that line and returns the child with the URL (no trailing slash).
/// The rest of stdout is drained so the server never blocks on a full pipe. stdin is closed;
/// stderr is as `cmd` set it.
pub fn spawn_listening(mut cmd: Command, name: &str) -> (Child, String) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {name}: {e}"));
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let _ = tx.send(lines.next());
        for _ in lines {}
    });
    let line = match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(Some(Ok(line))) => line,
        other => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name} printed no listening line: {other:?}");
        }
    };
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line from {name}: {line:?}"))
        .trim_end_matches('/')
        .to_owned();
    (child, url)
}

/// A `tmdb-sim` serving on `127.0.0.1:<free port>`, killed when dropped.
pub struct Sim {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The arguments it was started with (to run `--dump` with the same catalog).
    pub args: Vec<String>,
}

impl Sim {
    /// Starts `tmdb-sim --port 0 ARGS...` and waits for its "listening on" line.
    pub fn start(args: &[&str]) -> Sim {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mut cmd = Command::new(bin("tmdb-sim"));
        cmd.args(["--port", "0"])
            .args(&args)
            .stderr(Stdio::inherit());
        let (child, base) = spawn_listening(cmd, "tmdb-sim");
        Sim { child, base, args }
    }

    /// The API root to give as `TMDB_API_URL`.
    pub fn api_url(&self) -> String {
        format!("{}/3", self.base)
    }

    /// The export folder to give as `TMDB_EXPORT_URL`.
    pub fn export_url(&self) -> String {
        format!("{}/p/exports", self.base)
    }

    /// GETs `path` (e.g. `/3/movie/2`); returns the status and body, whatever the status.
    pub fn get(&self, path: &str) -> (u16, String) {
        http_get(&format!("{}{path}", self.base), &[])
    }

    /// GETs `path` with headers.
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        http_get(&format!("{}{path}", self.base), headers)
    }

    /// `GET /__stats`: request counts by route and status, faults, per-ID deliveries.
    pub fn stats(&self) -> serde_json::Value {
        let (status, body) = self.get("/__stats");
        assert_eq!(status, 200, "/__stats answered {status}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// `POST /__mutate?days=N`: advances the simulated catalog by `days` days.
    pub fn mutate(&self, days: u32) -> serde_json::Value {
        let url = format!("{}/__mutate?days={days}", self.base);
        let agent = agent();
        let mut resp = agent
            .post(&url)
            .send_empty()
            .unwrap_or_else(|e| panic!("POST {url}: {e}"));
        let status = resp.status().as_u16();
        let body = resp.body_mut().read_to_string().unwrap();
        assert_eq!(status, 200, "POST {url} answered {status}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// Writes the simulator's ground truth for the same catalog at `day` into `dir`, by running
    /// `tmdb-sim ARGS... --mutate DAY --dump DIR` (the catalog is a function of its arguments).
    pub fn dump(&self, day: u32, dir: &Path) {
        let mut cmd = Command::new(bin("tmdb-sim"));
        cmd.args(strip_mutate(&self.args))
            .arg("--mutate")
            .arg(day.to_string())
            .arg("--dump")
            .arg(dir);
        run(cmd).expect_success();
    }
}

fn strip_mutate(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip = false;
    for arg in args {
        if skip {
            skip = false;
            continue;
        }
        if arg == "--mutate" {
            skip = true;
            continue;
        }
        if arg.starts_with("--mutate=") {
            continue;
        }
        out.push(arg.clone());
    }
    out
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// A plain GET over loopback: status and body as text, whatever the status.
pub fn http_get(url: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let agent = agent();
    let mut req = agent.get(url);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let mut resp = req.call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_string()
        .unwrap_or_default();
    (status, body)
}

/// A small seeded generator (xorshift64): the same requests on every run, so a failing one can
/// be replayed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, list: &'a [T]) -> &'a T {
        &list[self.below(list.len())]
    }
}

/// The first column of `sql`'s rows as text (integers written out), to pick request values from.
pub fn column(conn: &rusqlite::Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| r.get::<_, rusqlite::types::Value>(0))
        .unwrap()
        .map(|v| match v.unwrap() {
            rusqlite::types::Value::Integer(n) => n.to_string(),
            rusqlite::types::Value::Text(t) => t,
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}
