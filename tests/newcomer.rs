//! A newcomer's first hour (issue 18), as tests of the real Makefile targets, scripts and
//! binaries: `make test` installs what it needs, `make clean` destroys nothing of the user's,
//! every form of database URL, `make serve` after `make demo`, `make install`, and the
//! messages that say what to do next (a newer database, Ctrl-C in `make mirror`, an update
//! with an older `TODAY`).

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::util::mirror::{DAY0, lines, make, make_cmd, sim_args, start_sim};
use crate::util::{Run, Workdir, bin, http_get, repo_root, run, run_with_input};

const DEADLINE: Duration = Duration::from_secs(300);

/// `make ARGS...` in the repository with no TMDB or database settings from the caller.
fn make_plain(args: &[&str]) -> Command {
    let mut cmd = Command::new("make");
    cmd.current_dir(repo_root())
        .arg("--no-print-directory")
        .args(args)
        .env_remove("TMDB_TOKEN")
        .env_remove("BEARER_TOKEN")
        .env_remove("TMDB_API_URL")
        .env_remove("TMDB_EXPORT_URL")
        .env_remove("DB")
        .env_remove("DB_URL")
        // make exports its command-line variables: `make test DEPS=0` must not leak into
        // the make commands under test.
        .env_remove("DEPS")
        .env_remove("PREFIX")
        .env_remove("MAKEFLAGS");
    cmd
}

fn tool(name: &str) -> PathBuf {
    match name {
        "tmdb-export" => PathBuf::from(env!("CARGO_BIN_EXE_tmdb-export")),
        other => bin(other),
    }
}

/// A tool run in `dir` with `DB`/`DB_URL` cleared, then `envs` set.
fn tool_run(name: &str, dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(tool(name));
    cmd.current_dir(dir)
        .args(args)
        .env_remove("DB")
        .env_remove("DB_URL")
        .envs(envs.iter().copied());
    run_with_input(cmd, b"", DEADLINE)
}

/// A mirror built by `make demo SERVE=0` once for this test process (it takes a while), in
/// `target/test-work/newcomer-demo-PID/`; returns that DATA folder. Shared by the `make serve`
/// test and the README's examples (tests/readme.rs); left in place for the next run to remove.
pub fn demo_data() -> &'static Path {
    static DEMO: OnceLock<PathBuf> = OnceLock::new();
    DEMO.get_or_init(|| {
        let root = repo_root().join("target/test-work");
        // Earlier runs' demo mirrors (this process's predecessors) are stale.
        if let Ok(entries) = std::fs::read_dir(&root) {
            for entry in entries.flatten() {
                if entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with("newcomer-demo-")
                {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        let data = root.join(format!("newcomer-demo-{}", std::process::id()));
        std::fs::create_dir_all(&data).unwrap();
        let mut cmd = make_plain(&["demo", "SERVE=0", "BUILD=0"]);
        cmd.arg(format!("DATA={}", data.display()));
        let out = run_with_input(cmd, b"", Duration::from_secs(900));
        out.expect_success();
        let last = out.stdout.lines().last().unwrap_or_default().to_owned();
        assert_eq!(
            last,
            format!(
                "demo: mirror ready in {0}/demo; serve it with: make serve DATA={0}/demo",
                data.display()
            ),
            "the demo's last line says how to serve it\n{out}"
        );
        data
    })
}

/// `make serve ...` (or any server command) running in its own process group, its stdout read
/// until the `listening on URL` line; the whole group is stopped when dropped.
pub struct Served {
    child: Child,
    pub url: String,
    pub stderr: PathBuf,
}

impl Served {
    pub fn start(mut cmd: Command, stderr: PathBuf) -> Served {
        let err = std::fs::File::create(&stderr).unwrap();
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(err)
            .process_group(0);
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if !sent && let Some(url) = line.trim().strip_prefix("listening on ") {
                    let _ = tx.send(url.trim_end_matches('/').to_owned());
                    sent = true;
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(url) => Served { child, url, stderr },
            Err(_) => {
                let mut served = Served {
                    child,
                    url: String::new(),
                    stderr,
                };
                served.stop();
                panic!(
                    "no `listening on` line; stderr:\n{}",
                    std::fs::read_to_string(&served.stderr).unwrap_or_default()
                );
            }
        }
    }

    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .status();
        let started = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(10) {
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", self.child.id())])
                    .status();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop();
    }
}

fn write_exe(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

// ---- 1. make test installs what the tests need --------------------------------------------

/// scripts/test-deps.sh with fake `apt-get`, `sudo`, `id` and `dpkg-query` first on PATH,
/// logging what they are asked, and `list` as the package list.
fn test_deps(work: &Workdir, list: &str, uid: u32, args: &[&str]) -> (Run, String) {
    let fake = work.join("fake-bin");
    std::fs::create_dir_all(&fake).unwrap();
    let log = work.join("calls.log");
    let _ = std::fs::remove_file(&log);
    let log_line = format!("echo \"$(basename \"$0\") $*\" >> '{}'", log.display());
    write_exe(&fake.join("apt-get"), &format!("#!/bin/sh\n{log_line}\n"));
    write_exe(
        &fake.join("sudo"),
        &format!("#!/bin/sh\n{log_line}\nexec \"$@\"\n"),
    );
    write_exe(&fake.join("id"), &format!("#!/bin/sh\necho {uid}\n"));
    write_exe(&fake.join("dpkg-query"), "#!/bin/sh\nexit 1\n");
    let list_path = work.write("deps.list", list);
    let mut cmd = Command::new(repo_root().join("scripts/test-deps.sh"));
    cmd.args(args)
        .env(
            "PATH",
            format!("{}:{}", fake.display(), std::env::var("PATH").unwrap()),
        )
        .env("DEPS_LIST", &list_path);
    let out = run(cmd);
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    (out, calls)
}

#[test]
fn make_test_first_installs_what_is_missing_once_and_says_so() {
    let work = Workdir::new("newcomer-deps");
    let list = "# comment\n\
                present-pkg   sh\n\
                missing-file  /nonexistent/tmdb-mirror/chromium\n\
                missing-cmd   no-such-command-tmdb-mirror\n\
                \n\
                dpkg-only     -\n";
    // Not root: sudo, apt-get update once, one install of exactly the missing packages.
    let (out, calls) = test_deps(&work, list, 1000, &[]);
    out.expect_success();
    assert!(
        out.stdout
            .contains("installing missing-file missing-cmd dpkg-only with apt-get"),
        "{out}"
    );
    assert_eq!(
        calls
            .lines()
            .filter(|l| l.starts_with("apt-get update"))
            .count(),
        1,
        "{calls}"
    );
    assert!(
        calls.contains("apt-get install -y -qq missing-file missing-cmd dpkg-only\n"),
        "{calls}"
    );
    assert!(calls.contains("sudo apt-get update"), "{calls}");
    assert!(!calls.contains("present-pkg"), "{calls}");
    // Root: no sudo.
    let (out, calls) = test_deps(&work, list, 0, &[]);
    out.expect_success();
    assert!(!calls.contains("sudo"), "{calls}");
    // --dry-run reports and runs nothing.
    let (out, calls) = test_deps(&work, list, 1000, &["--dry-run"]);
    out.expect_success();
    assert!(
        out.stdout
            .starts_with("test-deps: would install missing-file missing-cmd dpkg-only"),
        "{out}"
    );
    assert_eq!(calls, "");
    // Everything present: nothing run.
    let (out, calls) = test_deps(&work, "present-pkg sh\nalso-present env\n", 1000, &[]);
    out.expect_success();
    assert_eq!(
        out.stdout,
        "test-deps: all present (present-pkg also-present)\n"
    );
    assert_eq!(calls, "");

    // The real list names what the tests use; --dry-run on this machine installs nothing.
    let real = std::fs::read_to_string(repo_root().join("scripts/test-deps.list")).unwrap();
    for package in [
        "make",
        "gcc",
        "chromium",
        "chromium-driver",
        "jq",
        "sqlite3",
    ] {
        assert!(
            real.lines()
                .any(|l| l.split_whitespace().next() == Some(package)),
            "{package} missing from scripts/test-deps.list"
        );
    }
    let mut cmd = Command::new(repo_root().join("scripts/test-deps.sh"));
    cmd.arg("--dry-run");
    let out = run(cmd);
    out.expect_success();
    assert!(out.stdout.starts_with("test-deps: "), "{out}");

    // make test runs it first (DEPS=0 skips it); .ci/install calls it; .ci/run runs make test.
    let out = run(make_plain(&["-n", "test"]));
    out.expect_success();
    assert_eq!(
        out.stdout.lines().next(),
        Some("scripts/test-deps.sh"),
        "{out}"
    );
    let out = run(make_plain(&["-n", "test", "DEPS=0"]));
    assert!(!out.stdout.contains("test-deps"), "{out}");
    let ci_install = std::fs::read_to_string(repo_root().join(".ci/install")).unwrap();
    assert!(
        ci_install.contains("exec scripts/test-deps.sh"),
        "{ci_install}"
    );
    let ci_run = std::fs::read_to_string(repo_root().join(".ci/run")).unwrap();
    assert!(ci_run.lines().any(|l| l.trim() == "make test"), "{ci_run}");
}

// ---- 2. make clean ---------------------------------------------------------------------------

/// Every file the pipeline writes, relative to DATA (Makefile, scripts/*.sh, tmdb-export).
const PIPELINE_FILES: &[&str] = &[
    "genres.ndjson",
    "genres.ndjson.part",
    "movie_ids.ndjson",
    "movies.ndjson",
    "movies.ndjson.part",
    "movies.failed.ndjson",
    "movies.gone.ndjson",
    "movies.rejects.ndjson",
    "movies.retry.ndjson",
    "movies.recovered.ndjson",
    "person_ids.ndjson",
    "people.ndjson",
    "people.failed.ndjson",
    "people.gone.ndjson",
    "people.rejects.ndjson",
    "people.new.ndjson",
    "tmdb.db",
    "tmdb.db-wal",
    "tmdb.db-shm",
    ".stamps/genres.loaded",
    ".stamps/movie_ids.loaded",
    ".stamps/movies.loaded",
    ".stamps/people.loaded",
    ".stamps/limit",
    ".stamps/ids_date",
    ".stamps/synced",
    "export/movie.csv",
    "export/credit.csv.part",
    "update/2026-01-16/tools.log",
    "update/2026-01-16/movie_changes.ndjson",
    "update/2026-01-16/movies.ndjson.part",
    "update/last/person_candidates.ndjson",
    "update/last/people.gone.ndjson",
    "demo/tmdb.db",
    "demo/movies.ndjson",
    "demo/sim.stdout",
    "demo/.stamps/people.loaded",
];

/// The user's own files, beside and among the pipeline's.
const USER_FILES: &[&str] = &[
    "notes.txt",
    "my-movies.ndjson",
    "backup.db",
    "export/my-chart.png",
    "update/README",
    ".stamps/mine",
];

fn clean_run(data: &Path, home: &Path) -> Run {
    let mut cmd = make_plain(&["clean"]);
    cmd.arg(format!("DATA={}", data.display()))
        .env("HOME", home);
    run(cmd)
}

#[test]
fn make_clean_removes_the_pipelines_files_by_name_and_keeps_the_users() {
    let work = Workdir::new("newcomer-clean");
    let data = work.join("mirror");
    for file in PIPELINE_FILES.iter().chain(USER_FILES) {
        work.write(Path::new("mirror").join(file), "x\n");
    }
    let out = clean_run(&data, &work.join("home"));
    out.expect_success();
    for file in PIPELINE_FILES {
        assert!(!data.join(file).exists(), "{file} survived\n{out}");
    }
    for file in USER_FILES {
        assert!(
            data.join(file).exists(),
            "the user's {file} was removed\n{out}"
        );
    }
    assert!(
        !data.join("demo").exists(),
        "the emptied demo folder stays\n{out}"
    );
    assert!(
        out.stdout.contains("kept what the pipeline does not write"),
        "{out}"
    );

    // A DB outside DATA is not DATA's to remove.
    let elsewhere = work.write("elsewhere/mirror.db", "x");
    work.write("mirror/.stamps/limit", "");
    let mut cmd = make_plain(&["clean"]);
    cmd.arg(format!("DATA={}", data.display()))
        .arg(format!("DB={}", elsewhere.display()));
    run(cmd).expect_success();
    assert!(elsewhere.exists());
}

#[test]
fn make_clean_refuses_the_root_the_home_folder_and_folders_that_are_no_mirror() {
    let work = Workdir::new("newcomer-clean-refuse");
    // $HOME, set to a scratch folder that looks like a mirror: refused all the same.
    let home = work.join("home");
    for file in [
        "genres.ndjson",
        ".stamps/genres.loaded",
        "tmdb.db",
        "thesis.tex",
    ] {
        work.write(Path::new("home").join(file), "x");
    }
    let out = clean_run(&home, &home);
    out.expect_code(2);
    assert!(
        out.stderr.contains("is your home folder; nothing removed"),
        "{out}"
    );
    assert!(home.join("genres.ndjson").exists() && home.join("thesis.tex").exists());

    // `/`, reached through a symlink so that no version of the target could harm the machine.
    let root_link = work.join("root-link");
    std::os::unix::fs::symlink("/", &root_link).unwrap();
    let out = clean_run(&root_link, &home);
    out.expect_code(2);
    assert!(
        out.stderr.contains("is the root folder; nothing removed"),
        "{out}"
    );

    // A folder with pipeline-looking names but no .stamps/: not a mirror folder.
    let stranger = work.join("downloads");
    for file in ["genres.ndjson", "movies.ndjson", "tmdb.db", "photo.jpg"] {
        work.write(Path::new("downloads").join(file), "x");
    }
    let out = clean_run(&stranger, &home);
    out.expect_code(2);
    assert!(out.stderr.contains("is not a mirror folder"), "{out}");
    assert!(stranger.join("movies.ndjson").exists() && stranger.join("tmdb.db").exists());

    // A DATA that does not exist is nothing to do.
    clean_run(&work.join("absent"), &home).expect_success();
}

// ---- 3. database URLs ------------------------------------------------------------------------

const GENRES: &str = "{\"id\":28,\"name\":\"Action\"}\n{\"id\":18,\"name\":\"Drama\"}\n";

fn genre_count(db: &Path) -> i64 {
    Connection::open(db)
        .unwrap()
        .query_row("SELECT count(*) FROM genre", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn every_tool_takes_sqlite_urls_file_uris_db_and_db_url_and_masks_passwords() {
    let work = Workdir::new("newcomer-urls");
    let dir = work.path.clone();
    work.write("genres.ndjson", GENRES);
    let abs = dir.join("abs/mirror.db");

    // sqlite:////absolute: four slashes, an absolute path (not ./abs/... under the cwd).
    let url = format!("sqlite:///{}", abs.display());
    assert!(url.starts_with("sqlite:////"));
    tool_run(
        "ndjson-load",
        &dir,
        &["--kind", "genres", "--db", &url, "genres.ndjson"],
        &[],
    )
    .expect_success();
    assert_eq!(genre_count(&abs), 2);
    assert!(!dir.join(abs.strip_prefix("/").unwrap()).exists());

    // sqlite:///relative in DB, file: in DB_URL, both relative to the working folder.
    tool_run(
        "ndjson-load",
        &dir,
        &["--kind", "genres", "genres.ndjson"],
        &[("DB", "sqlite:///rel/one.db")],
    )
    .expect_success();
    assert_eq!(genre_count(&dir.join("rel/one.db")), 2);
    tool_run(
        "ndjson-load",
        &dir,
        &["--kind", "genres", "genres.ndjson"],
        &[("DB_URL", "file:rel/two%20words.db?mode=rwc")],
    )
    .expect_success();
    assert_eq!(genre_count(&dir.join("rel/two words.db")), 2);
    // --db wins over both.
    tool_run(
        "ndjson-load",
        &dir,
        &["--kind", "genres", "--db", "flag.db", "genres.ndjson"],
        &[("DB", "sqlite:///nope.db"), ("DB_URL", "file:nope2.db")],
    )
    .expect_success();
    assert!(dir.join("flag.db").exists() && !dir.join("nope.db").exists());

    // The readers take the same forms: ndjson-ids, tmdb-export, tmdb-serve.
    let file_uri = format!("file://localhost{}", abs.display());
    let out = tool_run(
        "ndjson-ids",
        &dir,
        &["list", "db:movies"],
        &[("DB_URL", &file_uri)],
    );
    out.expect_success();
    tool_run(
        "tmdb-export",
        &dir,
        &["--db", &url, "--out", "csv", "genre"],
        &[],
    )
    .expect_success();
    assert_eq!(work.read("csv/genre.csv").lines().count(), 3);
    let mut serve = Command::new(tool("tmdb-serve"));
    serve
        .current_dir(&dir)
        .args(["--addr", "127.0.0.1:0"])
        .env_remove("DB")
        .env("DB", &url);
    let served = Served::start(serve, work.join("serve.stderr"));
    let (status, body) = http_get(&format!("{}/genres", served.url), &[]);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Drama"), "{body}");
    drop(served);

    // A scheme tmdb-mirror does not support yet: exit 2, one line naming it, no password.
    for name in ["ndjson-load", "ndjson-ids", "tmdb-export", "tmdb-serve"] {
        let args: &[&str] = match name {
            "ndjson-load" => &["--kind", "genres", "genres.ndjson"],
            "ndjson-ids" => &["list", "db:movies"],
            "tmdb-serve" => &["--addr", "127.0.0.1:0"],
            _ => &[],
        };
        for (flag, url, scheme) in [
            (
                true,
                "postgres://mirror:hunter2@db.example:5432/tmdb",
                "postgres",
            ),
            (false, "mysql://root:hunter2@127.0.0.1/tmdb", "mysql"),
            (false, "mongodb://u:hunter2@h/x", "mongodb"),
        ] {
            let out = if flag {
                let mut all = vec!["--db", url];
                all.extend_from_slice(args);
                tool_run(name, &dir, &all, &[])
            } else {
                tool_run(name, &dir, args, &[("DB_URL", url)])
            };
            out.expect_code(2);
            assert!(
                !out.stderr.contains("hunter2"),
                "{name}: the password leaked\n{out}"
            );
            assert!(
                !out.stdout.contains("hunter2"),
                "{name}: the password leaked\n{out}"
            );
            assert!(out.stderr.contains(scheme), "{name}\n{out}");
            assert_eq!(out.stderr.lines().count(), 1, "{name}: one line\n{out}");
        }
    }
    assert!(!dir.join("postgres:").exists(), "a URL became a folder");

    // make serve and make clean never echo a database URL's password.
    work.write("pgdata/.stamps/limit", "");
    for target in ["serve", "clean"] {
        let mut cmd = make_plain(&[target, "BUILD=0", "ADDR=127.0.0.1:0"]);
        cmd.arg(format!("DATA={}", dir.join("pgdata").display()))
            .arg("DB=postgres://mirror:hunter2@db.example/tmdb");
        let out = run(cmd);
        assert!(
            !out.stdout.contains("hunter2") && !out.stderr.contains("hunter2"),
            "make {target} printed the password\n{out}"
        );
    }

    // make passes DB_URL on (the summary reads the mirror it names).
    let mut cmd = make_plain(&["summary", "BUILD=0"]);
    cmd.arg(format!("DATA={}", dir.join("data").display()))
        .env("DB_URL", &url);
    let out = run(cmd);
    out.expect_success();
    assert!(out.stdout.contains("0 movies"), "{out}");
}

// ---- 4. make serve after make demo -----------------------------------------------------------

#[test]
fn make_serve_after_make_demo_serves_the_demo_and_says_what_to_run_otherwise() {
    let work = Workdir::new("newcomer-serve");
    let data = demo_data();
    // No mirror of its own in DATA: make serve finds the demo's, and says so.
    let mut cmd = make_plain(&["serve", "BUILD=0", "ADDR=127.0.0.1:0"]);
    cmd.arg(format!("DATA={}", data.display()));
    let served = Served::start(cmd, work.join("serve.stderr"));
    let (status, body) = http_get(&format!("{}/stats", served.url), &[]);
    assert_eq!(status, 200, "{body}");
    let stats: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(body.contains("movie"), "{stats}");
    assert!(
        served.stderr_text().contains(&format!(
            "serving the demo's, {}/demo/tmdb.db (make serve DATA={0}/demo)",
            data.display()
        )),
        "{}",
        served.stderr_text()
    );
    drop(served);

    // The demo's own line works as printed.
    let mut cmd = make_plain(&["serve", "BUILD=0", "ADDR=127.0.0.1:0"]);
    cmd.arg(format!("DATA={}/demo", data.display()));
    let served = Served::start(cmd, work.join("serve2.stderr"));
    let (status, _) = http_get(&format!("{}/health", served.url), &[]);
    assert_eq!(status, 200);
    drop(served);

    // Nothing to serve: exit 2 and what to run.
    let mut cmd = make_plain(&["serve", "BUILD=0", "ADDR=127.0.0.1:0"]);
    cmd.arg(format!("DATA={}", work.join("empty").display()));
    let out = run(cmd);
    assert_ne!(out.code(), 0, "{out}");
    assert!(
        out.stderr
            .contains("`make demo` (offline) and then `make serve DATA=")
            && out.stderr.contains("`make mirror`"),
        "{out}"
    );
}

// ---- 5. make install -------------------------------------------------------------------------

#[test]
fn make_install_copies_every_binary_into_prefix_bin() {
    let work = Workdir::new("newcomer-install");
    let prefix = work.join("prefix");
    let mut cmd = make_plain(&["install", "BUILD=0"]);
    cmd.arg(format!("PREFIX={}", prefix.display()))
        .env("PATH", "/usr/bin:/bin");
    let out = run(cmd);
    out.expect_success();
    for name in [
        "tmdb-fetch",
        "ndjson-load",
        "ndjson-ids",
        "tmdb-export",
        "tmdb-serve",
        "tmdb-sim",
    ] {
        let path = prefix.join("bin").join(name);
        let mode = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{}: {e}\n{out}", path.display()))
            .permissions()
            .mode();
        assert!(mode & 0o111 != 0, "{name} is not executable");
        let mut version = Command::new(&path);
        version.arg("--version");
        run(version).expect_success();
    }
    assert!(
        out.stdout.contains(&format!(
            "{}/bin is not on your PATH; add it",
            prefix.display()
        )),
        "{out}"
    );
    // A second install over the first (a running tmdb-serve keeps its file) works too.
    let mut cmd = make_plain(&["install", "BUILD=0"]);
    cmd.arg(format!("PREFIX={}", prefix.display()));
    run(cmd).expect_success();
}

// ---- 7. the messages ---------------------------------------------------------------------------

#[test]
fn a_database_from_a_newer_tmdb_mirror_is_named_as_such_by_every_tool() {
    let work = Workdir::new("newcomer-newer");
    let dir = work.path.clone();
    work.write("genres.ndjson", GENRES);
    tool_run(
        "ndjson-load",
        &dir,
        &["--kind", "genres", "--db", "m.db", "genres.ndjson"],
        &[],
    )
    .expect_success();
    let conn = Connection::open(dir.join("m.db")).unwrap();
    let latest: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let want = format!(
        "this database was written by a newer tmdb-mirror (schema 99 > {latest}): upgrade tmdb-mirror"
    );
    for (name, args) in [
        ("ndjson-load", &["--kind", "genres", "genres.ndjson"][..]),
        ("ndjson-ids", &["list", "db:movies"][..]),
        ("tmdb-export", &["--out", "csv"][..]),
        ("tmdb-serve", &["--addr", "127.0.0.1:0"][..]),
    ] {
        let out = tool_run(name, &dir, args, &[("DB", "m.db")]);
        out.expect_code(2);
        assert!(out.stderr.contains(&want), "{name}\n{out}");
        assert!(!out.stderr.contains("run ndjson-load"), "{name}\n{out}");
    }
}

/// Ctrl-C during `make mirror` ends with the word that the same command resumes, and it does.
#[test]
fn ctrl_c_in_make_mirror_says_that_running_it_again_resumes() {
    let work = Workdir::new("newcomer-ctrl-c");
    let sim = start_sim(&sim_args("300", "0"));
    let data = work.join("data");
    let stderr = work.join("make.stderr");
    let mut cmd = make_cmd(
        &sim,
        &data,
        "mirror",
        &[&format!("TODAY={DAY0}"), "RATE=20"],
    );
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .process_group(0);
    let mut child = cmd.spawn().unwrap();
    let part = data.join("movies.ndjson.part");
    let started = Instant::now();
    while lines(&part) < 10 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "make finished before the interrupt"
        );
        assert!(started.elapsed() < DEADLINE, "stage 3 never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // What a terminal's Ctrl-C does: SIGINT to the whole foreground process group.
    let status = Command::new("kill")
        .args(["-INT", "--", &format!("-{}", child.id())])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "make ignored Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = std::fs::read_to_string(&stderr).unwrap();
    assert!(
        text.contains(
            "interrupted; what was fetched is kept: run the same make command again to resume"
        ),
        "{text}"
    );
    let fetched = lines(&part);
    assert!(fetched >= 10, "the checkpoint was kept");
    let out = make(&sim, &data, "mirror", &[&format!("TODAY={DAY0}")]);
    out.expect_success();
    let skipped: usize = out
        .stderr
        .lines()
        .find(|l| l.starts_with("tmdb-fetch: movies:"))
        .and_then(|l| l.split("skipped ").nth(1))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no stage 3 summary\n{out}"));
    assert!(
        skipped >= fetched,
        "it resumed: skipped {skipped} of {fetched}\n{out}"
    );
}

#[test]
fn make_update_with_an_older_today_never_moves_the_sync_stamp_back() {
    let work = Workdir::new("newcomer-stamp");
    let sim = start_sim(&sim_args("120", "0"));
    let data = work.join("data");
    make(&sim, &data, "mirror", &[&format!("TODAY={DAY0}")]).expect_success();
    let stamp = || {
        std::fs::read_to_string(data.join(".stamps/synced"))
            .unwrap()
            .trim()
            .to_owned()
    };
    assert_eq!(stamp(), DAY0);
    let out = make(&sim, &data, "update", &["TODAY=2026-01-10"]);
    assert_eq!(stamp(), DAY0, "the stamp went back\n{out}");
    assert!(
        out.stderr
            .contains(&format!("the sync stamp stays at {DAY0}")),
        "{out}"
    );
    // A later day still moves it on.
    make(&sim, &data, "update", &["TODAY=2026-01-16"]).expect_success();
    assert_eq!(stamp(), "2026-01-16");
}
