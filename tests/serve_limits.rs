//! tmdb-serve under attack, as a hostile or careless client would try it on loopback: request
//! bodies, header floods, thousands of half-sent requests, descriptor exhaustion, HTTP/2, bytes
//! that are not ASCII, terminal escapes meant for the log; a database folder it cannot write;
//! `/metrics`. Every test is bounded in time and memory and stops the servers it starts.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::serve::{Answer, Serve, build_db};
use crate::util::{Workdir, bin};

/// A tmdb-serve command on a free loopback port with its stderr (the request log) in `log`.
fn serve_command(db: &Path, log: &Path) -> Command {
    let mut cmd = Command::new(bin("tmdb-serve"));
    cmd.arg("--db")
        .arg(db)
        .args(["--addr", "127.0.0.1:0", "--threads", "2"])
        .stderr(std::fs::File::create(log).unwrap());
    cmd
}

/// Sends `bytes` without closing its side, and reads until the server closes or `wait`
/// passes. Returns what came back and how long the server took to close (None: it did not).
fn exchange(addr: &str, bytes: &[u8], wait: Duration) -> (Vec<u8>, Option<Duration>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(wait)).unwrap();
    let started = Instant::now();
    let _ = stream.write_all(bytes);
    let mut out = Vec::new();
    let mut buf = [0_u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (out, Some(started.elapsed())),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            // A reset is a close too.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return (out, Some(started.elapsed()));
            }
            Err(_) => return (out, None),
        }
    }
}

fn status_of(raw: &[u8]) -> Option<u16> {
    Answer::parse(raw).map(|a| a.status)
}

/// A `Key: value` of `/proc/PID/status` in kB or as a count.
fn proc_status(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in /proc/{pid}/status"))
}

/// The value of one sample line of `/metrics` (`name{labels}` as printed).
fn metric(serve: &Serve, series: &str) -> Option<f64> {
    let answer = serve.get("/metrics");
    assert_eq!(answer.status, 200);
    answer.text().lines().find_map(|l| {
        let (name, value) = l.rsplit_once(' ')?;
        (name == series).then(|| value.parse().unwrap())
    })
}

/// Lifts this test process's soft limit on open files to its hard limit; returns the limit.
fn raise_own_open_files_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed by pointer.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        }
    }
    limit.rlim_cur
}

#[test]
fn a_request_body_is_refused_413_and_a_terabyte_claim_costs_nothing() {
    let dir = Workdir::new("limits-body");
    let db = build_db(&dir);
    let serve = Serve::start(&db, &[]);
    // Before: tiny_http allocated the announced body and the process aborted (exit 134).
    let answer = serve.request("GET", "/health", &[("Content-Length", "1000000000000")]);
    assert_eq!(answer.status, 413, "{}", answer.text());
    let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(body["error"]["status"], 413);
    assert_eq!(answer.header("connection"), Some("close"));
    for raw in [
        &b"POST /movies HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"[..],
        b"GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    ] {
        assert_eq!(
            status_of(&serve.raw(raw)),
            Some(413),
            "{}",
            String::from_utf8_lossy(raw)
        );
    }
    assert_eq!(serve.json("/health")["status"], "ok");
}

#[test]
fn a_normal_client_is_answered_at_once_while_2000_half_sent_requests_are_held() {
    let limit = raise_own_open_files_limit();
    // Two descriptors per connection would be the server's too if it shared this limit; keep
    // well inside whatever this machine allows.
    let held_count = 2000.min(
        usize::try_from(limit)
            .unwrap_or(usize::MAX)
            .saturating_sub(200),
    );
    let dir = Workdir::new("limits-slowloris");
    let db = build_db(&dir);
    let serve = Serve::start(&db, &["--max-connections", "500"]);
    let mut held = Vec::with_capacity(held_count);
    for _ in 0..held_count {
        let mut stream = TcpStream::connect(&serve.addr).unwrap();
        stream
            .write_all(b"GET /movies?limit=5 HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .unwrap();
        held.push(stream);
    }
    // Before: one thread per connection (2,006 threads), none timed out; after, a client with a
    // whole request is answered while the idlest half-sent ones make room for it.
    let mut fastest = Duration::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        let answer = serve.get("/movies?limit=3");
        assert_eq!(answer.status, 200, "{}", answer.text());
        fastest = fastest.min(started.elapsed());
    }
    assert!(
        fastest < Duration::from_millis(100),
        "answered in {fastest:?} at best"
    );
    let pid = serve.child.id();
    let threads = proc_status(pid, "Threads");
    assert!(
        threads < 64,
        "{threads} threads for {held_count} connections"
    );
    let open = metric(&serve, "tmdb_serve_open_connections").unwrap();
    assert!(open <= 500.0, "{open} connections open over a cap of 500");
    drop(held);
    assert_eq!(serve.json("/health")["status"], "ok");
}

#[test]
fn descriptor_exhaustion_is_survived_and_the_port_stays_open() {
    let dir = Workdir::new("limits-fds");
    let db = build_db(&dir);
    let log = dir.join("serve.log");
    // A limit of 64 open files for the server alone (the shell sets it, then becomes it).
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -n 64 && exec \"$0\" \"$@\"")
        .arg(bin("tmdb-serve"))
        .arg("--db")
        .arg(&db)
        .args(["--addr", "127.0.0.1:0", "--threads", "2"])
        .stderr(std::fs::File::create(&log).unwrap());
    let serve = Serve::spawn(cmd);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", serve.child.id())).unwrap();
    assert!(
        limits
            .lines()
            .any(|l| l.starts_with("Max open files") && l.contains(" 64 ")),
        "{limits}"
    );
    // Before: the first failed accept closed the listening socket for good.
    let mut held = Vec::new();
    for _ in 0..200 {
        let mut stream = TcpStream::connect(&serve.addr).unwrap();
        let _ = stream.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n");
        held.push(stream);
    }
    let answer = serve.get("/health");
    assert_eq!(answer.status, 200, "answered while descriptors ran out");
    drop(held);
    for _ in 0..5 {
        assert_eq!(serve.json("/health")["status"], "ok");
    }
    let errors = metric(&serve, "tmdb_serve_accept_errors_total").unwrap();
    assert!(errors > 0.0, "descriptors did run out");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("accept failed"), "{text}");
}

#[test]
fn header_floods_get_431_and_memory_stays_small() {
    let dir = Workdir::new("limits-headers");
    let db = build_db(&dir);
    let serve = Serve::start(&db, &[]);
    let pid = serve.child.id();
    // 20 clients at once, each offering 40 MB of short headers. Before: 774 MB for one client,
    // 1.85 GB for 20.
    let clients: Vec<_> = (0..20)
        .map(|_| {
            let addr = serve.addr.clone();
            std::thread::spawn(move || flood_headers(&addr, 40 << 20))
        })
        .collect();
    let statuses: Vec<Option<u16>> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    for status in &statuses {
        assert!(
            matches!(status, None | Some(431)),
            "answered {statuses:?} to a header flood"
        );
    }
    assert!(
        statuses.contains(&Some(431)),
        "no client read its 431: {statuses:?}"
    );
    // One flood that stops where the server does, so its 431 is always read.
    let mut head = b"GET /health HTTP/1.1\r\nHost: x\r\n".to_vec();
    while head.len() < 20_000 {
        head.extend_from_slice(b"X-Flood: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    let (raw, _) = exchange(&serve.addr, &head, Duration::from_secs(5));
    assert!(matches!(status_of(&raw), None | Some(431)));
    let peak_kb = proc_status(pid, "VmHWM");
    assert!(peak_kb < 100 * 1024, "peak RSS {peak_kb} kB");
    assert_eq!(serve.json("/health")["status"], "ok");
}

/// Writes a request head of `total` bytes of headers and returns the status read, if any (a
/// server that closes with unread bytes resets the connection, which can lose its answer).
fn flood_headers(addr: &str, total: usize) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let line = b"X-Flood: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    let chunk: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(line.len() * 1000)
        .collect();
    let _ = stream.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n");
    let mut sent = 0;
    while sent < total {
        if stream.write_all(&chunk).is_err() {
            break;
        }
        sent += chunk.len();
    }
    assert!(sent < total, "the server read 40 MB of headers");
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    status_of(&out)
}

#[test]
fn http_2_and_1_0_are_answered_or_closed_within_a_second() {
    let dir = Workdir::new("limits-versions");
    let db = build_db(&dir);
    let serve = Serve::start(&db, &[]);
    let second = Duration::from_secs(1);
    // Before: both hung forever.
    let (raw, closed) = exchange(
        &serve.addr,
        b"GET /health HTTP/2.0\r\nHost: x\r\n\r\n",
        Duration::from_secs(3),
    );
    assert!(closed.is_some_and(|d| d < second), "{closed:?}");
    assert!(matches!(status_of(&raw), None | Some(400)), "{raw:?}");
    // HTTP/2 with prior knowledge: the preface, then an empty SETTINGS frame.
    let mut preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    preface.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    let (_, closed) = exchange(&serve.addr, &preface, Duration::from_secs(3));
    assert!(closed.is_some_and(|d| d < second), "{closed:?}");
    // HTTP/1.0 without keep-alive: answered, then closed.
    let (raw, closed) = exchange(
        &serve.addr,
        b"GET /health HTTP/1.0\r\n\r\n",
        Duration::from_secs(3),
    );
    assert_eq!(status_of(&raw), Some(200));
    assert!(closed.is_some_and(|d| d < second), "{closed:?}");
    // HTTP/1.1 keeps the connection for a second request.
    let (raw, _) = exchange(
        &serve.addr,
        b"GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /genres HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        Duration::from_secs(3),
    );
    let text = String::from_utf8_lossy(&raw);
    assert_eq!(text.matches("HTTP/1.1 200").count(), 2, "{text}");
    assert_eq!(serve.json("/health")["status"], "ok");
}

#[test]
fn bytes_that_are_not_ascii_and_malformed_heads_get_400() {
    let dir = Workdir::new("limits-ascii");
    let db = build_db(&dir);
    let serve = Serve::start(&db, &[]);
    // Before: the connection closed with no answer.
    for raw in [
        &b"GET /mov\xffies HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-Name: caf\xe9\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-N\xe4me: a\r\n\r\n",
        b"GET /health HTTP/1.1\r\nBad Header Line\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET /health HTTP/1.1 extra\r\n\r\n",
    ] {
        assert_eq!(
            status_of(&serve.raw(raw)),
            Some(400),
            "{}",
            String::from_utf8_lossy(raw)
        );
    }
    assert_eq!(serve.json("/health")["status"], "ok");
}

#[test]
fn terminal_escapes_never_reach_the_log_raw() {
    let dir = Workdir::new("limits-log");
    let db = build_db(&dir);
    let log = dir.join("serve.log");
    let serve = Serve::spawn(serve_command(&db, &log));
    for raw in [
        &b"\x1b[2J\x1b[31mGET /health HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        b"GE\x1b]0;pwned\x07T /health HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /health\x1b[31m HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-E: \x1b[31m\r\n\r\n",
    ] {
        assert_eq!(
            status_of(&serve.raw(raw)),
            Some(400),
            "{}",
            String::from_utf8_lossy(raw)
        );
    }
    // What is logged (a method that is a valid token, a target with escapes spelled out) is
    // escaped as it is written.
    assert_eq!(serve.get("/movies?x=%1B[31m").status, 400);
    assert_eq!(serve.request("M\u{7f}X", "/health", &[]).status, 400);
    assert_eq!(serve.json("/health")["status"], "ok");
    let text = std::fs::read(&log).unwrap();
    assert!(
        !text.iter().any(|&b| b < 0x20 && b != b'\n' || b == 0x7f),
        "{}",
        String::from_utf8_lossy(&text)
    );
    assert!(
        String::from_utf8_lossy(&text).contains("GET \"/health\" 200"),
        "{}",
        String::from_utf8_lossy(&text)
    );
}

/// Parses Prometheus' text format strictly enough to catch a malformed line: comments are
/// `# HELP name text` or `# TYPE name kind`, samples `name{label="value",...} number`.
fn parse_prometheus(text: &str) -> Vec<(String, f64)> {
    let is_name = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
            && !s.starts_with(|c: char| c.is_ascii_digit())
    };
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            let mut parts = comment.splitn(3, ' ');
            let (kind, name, rest) = (parts.next(), parts.next(), parts.next());
            assert!(matches!(kind, Some("HELP" | "TYPE")), "{line}");
            assert!(name.is_some_and(is_name), "{line}");
            if kind == Some("TYPE") {
                assert!(
                    matches!(rest, Some("counter" | "gauge" | "histogram")),
                    "{line}"
                );
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let name = series.split('{').next().unwrap();
        assert!(is_name(name), "{line}");
        if let Some(labels) = series.strip_prefix(name).filter(|l| !l.is_empty()) {
            let inner = labels
                .strip_prefix('{')
                .and_then(|l| l.strip_suffix('}'))
                .unwrap_or_else(|| panic!("{line}"));
            for pair in inner.split("\",") {
                let (key, value) = pair.split_once("=\"").unwrap_or_else(|| panic!("{line}"));
                assert!(is_name(key), "{line}");
                assert!(!value.contains('\n'), "{line}");
            }
        }
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line}"));
        samples.push((series.to_owned(), value));
    }
    samples
}

#[test]
fn metrics_are_prometheus_text_and_count_each_request() {
    let dir = Workdir::new("limits-metrics");
    let db = build_db(&dir);
    let serve = Serve::start(&db, &[]);
    let answer = serve.get("/metrics");
    assert_eq!(answer.status, 200);
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let before = parse_prometheus(&answer.text());
    let get = |samples: &[(String, f64)], series: &str| {
        samples
            .iter()
            .find(|(s, _)| s == series)
            .map_or(0.0, |(_, v)| *v)
    };
    let health = "tmdb_serve_requests_total{route=\"/health\",status=\"200\"}";
    let movie = "tmdb_serve_requests_total{route=\"/movies/{id}\",status=\"200\"}";
    serve.get("/health");
    serve.get("/movies/107");
    serve.get("/movies/107");
    serve.get("/movies/107/");
    assert_eq!(serve.get("/movies/123456").status, 404);
    let after = parse_prometheus(&serve.get("/metrics").text());
    assert_eq!(get(&after, health) - get(&before, health), 1.0);
    assert_eq!(get(&after, movie) - get(&before, movie), 3.0);
    let missing = "tmdb_serve_requests_total{route=\"/movies/{id}\",status=\"404\"}";
    assert_eq!(get(&after, missing), 1.0);
    let inf = "tmdb_serve_request_duration_seconds_bucket{route=\"/movies/{id}\",status=\"200\",le=\"+Inf\"}";
    assert_eq!(get(&after, inf), 3.0);
    let count = "tmdb_serve_request_duration_seconds_count{route=\"/movies/{id}\",status=\"200\"}";
    assert_eq!(get(&after, count), 3.0);
    // Buckets only grow with their bound.
    let buckets: Vec<f64> = after
        .iter()
        .filter(|(s, _)| {
            s.starts_with(
                "tmdb_serve_request_duration_seconds_bucket{route=\"/movies/{id}\",status=\"200\"",
            )
        })
        .map(|(_, v)| *v)
        .collect();
    assert!(
        buckets.len() > 5 && buckets.windows(2).all(|w| w[0] <= w[1]),
        "{buckets:?}"
    );
    for series in [
        "tmdb_serve_open_connections",
        "tmdb_serve_cache_hits_total",
        "tmdb_serve_data_version",
    ] {
        assert!(after.iter().any(|(s, _)| s == series), "{series}");
    }
    assert!(
        get(&after, "tmdb_serve_cache_hits_total") >= 1.0,
        "/movies/107 twice"
    );
}

/// A copy of the test mirror in a fresh folder that is not writable for the user the server
/// will run as, and the command prefix that runs it as that user.
fn read_only_folder(db: &Path, name: &str) -> (PathBuf, Vec<String>) {
    let folder = std::env::temp_dir().join(format!("tmdb-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir(&folder).unwrap();
    let copy = folder.join("tmdb.db");
    std::fs::copy(db, &copy).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o644)).unwrap();
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let prefix = if root {
        // root writes anywhere: run the server as nobody instead, in a folder owned by root.
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ]
        .map(str::to_owned)
        .to_vec()
    } else {
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o555)).unwrap();
        Vec::new()
    };
    (folder, prefix)
}

/// tmdb-serve, run through `prefix` (the user switch of [`read_only_folder`]).
fn serve_as(prefix: &[String]) -> Command {
    match prefix.split_first() {
        Some((program, args)) => {
            let mut cmd = Command::new(program);
            cmd.args(args).arg(bin("tmdb-serve"));
            cmd
        }
        None => Command::new(bin("tmdb-serve")),
    }
}

#[test]
fn a_database_in_a_folder_without_write_access_is_served() {
    let dir = Workdir::new("limits-readonly");
    let db = build_db(&dir);
    let (folder, prefix) = read_only_folder(&db, "readonly");
    let log = dir.join("serve.log");
    let mut cmd = serve_as(&prefix);
    cmd.arg("--db")
        .arg(folder.join("tmdb.db"))
        .args(["--addr", "127.0.0.1:0", "--threads", "2"])
        .stderr(std::fs::File::create(&log).unwrap());
    // Before: refused to start (SQLite could not create the WAL's -shm file beside it).
    let serve = Serve::spawn(cmd);
    assert_eq!(serve.json("/movies/107")["id"], 107);
    assert_eq!(serve.json("/health")["status"], "ok");
    drop(serve);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("immutable"), "{text}");
    assert!(
        !folder.join("tmdb.db-shm").exists(),
        "nothing written beside it"
    );
    let _ = std::fs::remove_dir_all(&folder);
}

#[test]
fn addr_takes_a_host_name() {
    let dir = Workdir::new("limits-addr");
    let db = build_db(&dir);
    let mut cmd = Command::new(bin("tmdb-serve"));
    cmd.arg("--db")
        .arg(&db)
        .args(["--addr", "localhost:0", "--threads", "1"])
        .stderr(Stdio::null());
    let serve = Serve::spawn(cmd);
    assert!(serve.addr.starts_with("127.0.0.1:"), "{}", serve.addr);
    assert_eq!(serve.json("/health")["status"], "ok");
}

#[test]
fn slow_heads_and_idle_connections_are_closed_after_10_s() {
    let dir = Workdir::new("limits-idle");
    let db = build_db(&dir);
    let serve = Serve::start(&db, &[]);
    // Before: neither was ever timed out. Both run at once, so the test waits 10 s, not 20.
    let clients: Vec<_> = [
        &b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        b"GET /health HTTP/1.1\r\nHo",
    ]
    .into_iter()
    .map(|request| {
        let addr = serve.addr.clone();
        std::thread::spawn(move || exchange(&addr, request, Duration::from_secs(30)))
    })
    .collect();
    let results: Vec<_> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let (answer, idle) = &results[0];
    assert_eq!(status_of(answer), Some(200));
    let (nothing, slow) = &results[1];
    assert!(nothing.is_empty());
    for closed in [idle, slow] {
        assert!(
            closed.is_some_and(|d| d >= Duration::from_secs(9) && d < Duration::from_secs(20)),
            "{closed:?}"
        );
    }
}

#[test]
fn unmerged_changes_in_a_read_only_folder_are_a_clear_refusal() {
    let dir = Workdir::new("limits-readonly-wal");
    let db = build_db(&dir);
    // A writer that has committed into the -wal file and not merged it yet, as a killed
    // ndjson-load leaves it: its -wal is copied beside the database, without a -shm file.
    let writer = rusqlite::Connection::open(&db).unwrap();
    writer
        .execute_batch(
            "PRAGMA wal_autocheckpoint = 0; UPDATE movie SET title = 'X' WHERE id = 107;",
        )
        .unwrap();
    let (folder, prefix) = read_only_folder(&db, "readonly-wal");
    let mut wal = db.clone().into_os_string();
    wal.push("-wal");
    std::fs::copy(&wal, folder.join("tmdb.db-wal")).unwrap();
    drop(writer);
    let mut cmd = serve_as(&prefix);
    cmd.arg("--db")
        .arg(folder.join("tmdb.db"))
        .args(["--addr", "127.0.0.1:0"]);
    let out = crate::util::run(cmd);
    let _ = std::fs::remove_dir_all(&folder);
    out.expect_code(2);
    assert!(out.stderr.contains("-wal"), "{out}");
    assert!(out.stderr.contains("writable"), "{out}");
    assert_eq!(out.stderr.lines().count(), 1, "{out}");
}
