//! A newcomer's first hour (issue 18), as tests of the real Makefile targets, scripts and
//! binaries: `make test` installs what it needs, `make clean` destroys nothing of the user's,
//! every form of database URL, `make serve` after `make demo`, `make install`, and the
//! messages that say what to do next (a newer database, Ctrl-C in `make mirror`, an update
//! with an older `TODAY`); one `--version` form and one progress bar for every tool; comments
//! that cite the repository's own docs; `make update`, `make refetch-failed` and stage 2's
//! `ids_date` as make file targets.

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
        "postgresql",
        "mariadb-server",
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
    "movies.recovered.rejects.ndjson",
    "movies.failed.ndjson.new",
    "movies.retry.ndjson.part",
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
    ".stamps/movies.recovered.loaded",
    ".stamps/people.recovered.loaded",
    "export/movie.csv",
    "export/credit.csv.part",
    "update/2026-01-16/tools.log",
    "update/2026-01-16/movie_changes.ndjson",
    "update/2026-01-16/movies.ndjson.part",
    "update/2026-01-16/start",
    "update/2026-01-16/mode",
    "update/2026-01-16/movies.done",
    "update/last/people.done",
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

    // A scheme tmdb-mirror does not support yet, or a database it cannot reach: exit 2, one
    // line naming it, no password.
    for name in ["ndjson-load", "ndjson-ids", "tmdb-export", "tmdb-serve"] {
        let args: &[&str] = match name {
            "ndjson-load" => &["--kind", "genres", "genres.ndjson"],
            "ndjson-ids" => &["list", "db:movies"],
            "tmdb-serve" => &["--addr", "127.0.0.1:0"],
            _ => &[],
        };
        for (flag, url, scheme) in [
            // Nothing listens on port 1: the PostgreSQL and MySQL tools cannot reach it
            // (tests/postgres.rs, tests/mysql.rs and their _serve.rs cover the server-side
            // cases).
            (
                true,
                "postgres://mirror:hunter2@127.0.0.1:1/tmdb",
                "postgres",
            ),
            (false, "mysql://root:hunter2@127.0.0.1:1/tmdb", "mysql"),
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

// ---- for whoever maintains this next: comments point into the repository -----------------

/// The `"Section"` names quoted right after `docs/NAME.md` in `text` (`docs/tmdb.md, "Errors",
/// "Rate limit"` or `docs/data-contract.md ("Storage")`), with the doc they belong to.
fn cited_sections(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("docs/") {
        rest = &rest[at + 5..];
        let Some(end) = rest.find(".md") else { break };
        let doc = &rest[..end];
        if doc.is_empty() || !doc.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
            continue;
        }
        let mut tail = &rest[end + 3..];
        for sep in [", ", " ("] {
            if let Some(t) = tail.strip_prefix(sep) {
                tail = t;
                break;
            }
        }
        while let Some(t) = tail.strip_prefix('"') {
            let Some(close) = t.find('"') else { break };
            out.push((doc.to_owned(), t[..close].to_owned()));
            tail = &t[close + 1..];
            match tail.strip_prefix(", \"") {
                Some(t) => tail = &tail[tail.len() - t.len() - 1..],
                None => break,
            }
        }
    }
    out
}

/// The headings of a markdown file, without their `#`s.
fn headings(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| l.trim_start_matches('#').trim().to_owned())
        .collect()
}

/// Every source, script, migration and doc file of the repository.
fn project_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| {
                ["rs", "sh", "sql", "md", "mk", "js", "html", "css", "list"]
                    .contains(&e.to_str().unwrap())
            }) {
                out.push(path);
            }
        }
    }
    let root = repo_root();
    let mut files = vec![root.join("Makefile"), root.join("README.md")];
    for dir in ["tools", "tests", "scripts", "sql", "docs"] {
        walk(&root.join(dir), &mut files);
    }
    files.extend(
        std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "mk")),
    );
    files
}

#[test]
fn comments_cite_the_repositorys_docs_and_every_cited_section_exists() {
    let root = repo_root();
    // Spelled in pieces, so that this file does not cite them itself.
    let outside = [format!("{}.md", "DESIGN"), format!("{}.md", "REFERENCE")];
    let mut cited = 0;
    for path in project_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let shown = path.strip_prefix(&root).unwrap().display().to_string();
        for name in &outside {
            assert!(
                !text.contains(name.as_str()),
                "{shown} cites {name}, a file outside the repository"
            );
        }
        // A comment wrapped inside a quoted section name reads as one line here.
        let joined = text
            .lines()
            .map(|l| {
                l.trim_start()
                    .trim_start_matches("//!")
                    .trim_start_matches("///")
                    .trim_start_matches("//")
                    .trim_start_matches("--")
                    .trim_start_matches('#')
                    .trim()
            })
            .collect::<Vec<_>>()
            .join(" ");
        for (doc, section) in cited_sections(&joined) {
            let doc_path = root.join("docs").join(format!("{doc}.md"));
            let doc_text = std::fs::read_to_string(&doc_path)
                .unwrap_or_else(|_| panic!("{shown} cites docs/{doc}.md, which does not exist"));
            assert!(
                headings(&doc_text).contains(&section),
                "{shown} cites docs/{doc}.md \"{section}\", which has no such heading"
            );
            cited += 1;
        }
    }
    assert!(
        cited >= 30,
        "only {cited} citations of docs/ sections found"
    );
    assert_eq!(
        cited_sections(
            r#"(docs/tmdb.md, "Errors", "Rate limit") docs/data-contract.md ("Storage")"#
        ),
        [
            ("tmdb".into(), "Errors".into()),
            ("tmdb".into(), "Rate limit".into()),
            ("data-contract".into(), "Storage".into())
        ]
    );
}

// ---- 8. --version, progress bars -------------------------------------------------------------

/// The binaries Cargo.toml declares.
fn binaries() -> Vec<String> {
    let manifest = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines() {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin && let Some(name) = line.strip_prefix("name = ") {
            names.push(name.trim_matches('"').to_owned());
        }
    }
    names
}

#[test]
fn every_binary_prints_its_own_name_and_the_version() {
    let names = binaries();
    assert_eq!(names.len(), 6, "{names:?}");
    for name in names {
        let dir = Workdir::new("newcomer-version");
        let out = tool_run(&name, &dir.path, &["--version"], &[]);
        out.expect_success();
        assert_eq!(
            out.stdout,
            format!("{name} {}\n", env!("CARGO_PKG_VERSION")),
            "{out}"
        );
    }
}

/// `command` run by `script` under a pseudo-terminal (so that progress bars are drawn), in
/// `dir`; what the terminal showed, split into the states it drew (`\r` and `\n` separated,
/// escape sequences removed).
fn on_a_terminal(dir: &Path, command: &str, envs: &[(&str, String)]) -> Vec<String> {
    let mut cmd = Command::new("script");
    cmd.current_dir(dir)
        .args(["-qfec", command, "/dev/null"])
        .env("COLUMNS", "120")
        .env("LINES", "40")
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())));
    let out = run_with_input(cmd, b"", DEADLINE);
    out.expect_success();
    let mut text = String::new();
    let mut chars = out.stdout.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters, ended by a letter.
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            text.push(c);
        }
    }
    text.split(['\r', '\n'])
        .map(|s| s.trim_end().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The parts of a drawn bar `PREFIX [BAR] COUNT RATE ETA T`: (prefix, bar width, rate).
fn bar_parts(line: &str) -> (&str, usize, &str) {
    let open = line
        .find(" [")
        .unwrap_or_else(|| panic!("no bar in {line:?}"));
    let close = line
        .find("] ")
        .unwrap_or_else(|| panic!("no bar in {line:?}"));
    let words: Vec<&str> = line[close + 2..].split(' ').collect();
    let rate_at = words
        .iter()
        .position(|w| w.ends_with("/s"))
        .unwrap_or_else(|| panic!("no rate in {line:?}"));
    let rate = if words[rate_at] == "MB/s" {
        words[rate_at - 1]
    } else {
        words[rate_at].trim_end_matches("/s")
    };
    assert_eq!(words.get(rate_at + 1), Some(&"ETA"), "{line:?}");
    (&line[..open], close - open - 2, rate)
}

fn one_decimal(number: &str) -> bool {
    matches!(number.split_once('.'), Some((whole, frac))
        if !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit())
            && frac.len() == 1 && frac.bytes().all(|b| b.is_ascii_digit()))
}

#[test]
fn tmdb_fetch_and_ndjson_load_draw_one_bar_style_with_a_one_decimal_rate() {
    let work = Workdir::new("newcomer-progress");
    let sim = start_sim(&sim_args("300", "0"));
    let ids: String = (1..=60).map(|id| format!("{id}\n")).collect();
    work.write("ids.ndjson", format!("550\n603\n194\n{ids}"));
    let envs = [
        ("TMDB_TOKEN", crate::util::mirror::TOKEN.to_owned()),
        ("TMDB_API_URL", sim.api_url()),
    ];
    // 63 requests at 20 a second: the bar is drawn several times.
    let fetch = on_a_terminal(
        &work.path,
        &format!(
            "{} --rate 20 movies ids.ndjson > movies.ndjson",
            tool("tmdb-fetch").display()
        ),
        &envs,
    );
    let load = on_a_terminal(
        &work.path,
        &format!(
            "{} --db t.db --kind movies movies.ndjson",
            tool("ndjson-load").display()
        ),
        &[],
    );
    let fetch_bars: Vec<&String> = fetch
        .iter()
        .filter(|l| l.starts_with("tmdb-fetch movies ["))
        .collect();
    let load_bars: Vec<&String> = load
        .iter()
        .filter(|l| l.starts_with("ndjson-load ["))
        .collect();
    assert!(fetch_bars.len() >= 2, "tmdb-fetch drew no bar: {fetch:?}");
    assert!(!load_bars.is_empty(), "ndjson-load drew no bar: {load:?}");
    for line in fetch_bars.iter().chain(&load_bars) {
        let (_, width, rate) = bar_parts(line);
        assert_eq!(width, 30, "{line:?}");
        assert!(one_decimal(rate), "the rate is not one decimal: {line:?}");
    }
    assert!(
        load_bars.iter().all(|l| l.contains(" MB/s ETA ")),
        "{load_bars:?}"
    );
    // The summaries' rates too.
    let summary = fetch
        .iter()
        .find(|l| l.starts_with("tmdb-fetch: movies:"))
        .unwrap();
    let rate = summary
        .rsplit('(')
        .next()
        .unwrap()
        .trim_end_matches(" req/s)");
    assert!(one_decimal(rate), "{summary}");
    let summary = load
        .iter()
        .find(|l| l.starts_with("ndjson-load: movies:"))
        .unwrap();
    let rate = summary
        .rsplit('(')
        .next()
        .unwrap()
        .trim_end_matches(" records/s)");
    assert!(one_decimal(rate), "{summary}");
}

// ---- 6. ids_date ---------------------------------------------------------------------------

#[test]
fn stage_2_declares_ids_date_so_make_knows_it_and_remakes_it() {
    let work = Workdir::new("newcomer-ids-date");
    let sim = start_sim(&sim_args("60", "0"));
    let data = work.join("data");
    let today = format!("TODAY={DAY0}");
    make(&sim, &data, "mirror", &[&today]).expect_success();
    let ids_date = data.join(".stamps/ids_date");
    // make knows the file: question mode says it is up to date (an undeclared file has no
    // rule to make it).
    let asked = make(
        &sim,
        &data,
        &ids_date.display().to_string(),
        &["-q", &today],
    );
    assert_eq!(asked.code(), 0, "{asked}");
    // Lost, it is made again with its list, and make mirror does not fail on it.
    std::fs::remove_file(&ids_date).unwrap();
    let again = make(&sim, &data, "mirror", &[&today]);
    again.expect_success();
    assert_eq!(
        std::fs::read_to_string(&ids_date).unwrap().trim(),
        DAY0,
        "{again}"
    );
}

// ---- 8. the hand refetch and make refetch-failed -----------------------------------------------

/// The README's "retry stage 3's failed IDs by hand" lines, as written there.
fn readme_hand_refetch() -> String {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let start = readme
        .find("# retry stage 3's failed IDs by hand")
        .expect("the README's hand refetch");
    let block = &readme[start..];
    block[..block.find("```").unwrap()].to_owned()
}

/// Every record line's ID in `files`, counted.
fn id_counts(files: &[PathBuf]) -> std::collections::BTreeMap<u64, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for file in files.iter().filter(|f| f.exists()) {
        for record in crate::util::read_ndjson(file) {
            *counts.entry(record["id"].as_u64().unwrap()).or_default() += 1;
        }
    }
    counts
}

fn mtime(path: &Path) -> std::time::SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

#[test]
fn a_hand_refetch_then_make_refetch_failed_fetch_each_id_once_and_leave_the_stages_alone() {
    use crate::util::mirror::{TOKEN, deliveries};
    let work = Workdir::new("newcomer-refetch");
    let sim = start_sim(&sim_args("300", "0.15"));
    let data = work.join("data");
    let today = format!("TODAY={DAY0}");
    make(&sim, &data, "mirror", &[&today, "RETRIES=0"]).expect_success();
    let failed_file = data.join("movies.failed.ndjson");
    let stale = std::fs::read_to_string(&failed_file).unwrap();
    assert!(
        lines(&failed_file) > 0,
        "15% faults with no retries left no failed movie"
    );

    // The README's lines, run as pasted (tools on PATH, DATA set), with a few retries.
    let path = format!(
        "{}:{}",
        tool("tmdb-fetch").parent().unwrap().display(),
        std::env::var("PATH").unwrap()
    );
    let mut hand = Command::new("bash");
    hand.current_dir(&work.path)
        .args(["-euo", "pipefail", "-c", &readme_hand_refetch()])
        .env("PATH", path)
        .env("DATA", &data)
        .env("DB", data.join("tmdb.db"))
        .env("TMDB_TOKEN", TOKEN)
        .env("TMDB_API_URL", sim.api_url());
    let hand = run_with_input(hand, b"", DEADLINE);
    hand.expect_success();
    let recovered_by_hand = id_counts(&[data.join("movies.recovered.ndjson")]);
    assert!(
        !recovered_by_hand.is_empty(),
        "the hand retry recovered nothing\n{hand}"
    );
    assert!(
        lines(&failed_file) < stale.lines().count(),
        "the README's retry left the failed list as it was\n{hand}"
    );
    // A user who skipped the README's last line keeps the stale list, and one who kept what
    // came back in the stage file (as the README used to say): make refetch-failed must still
    // fetch none of what came back by hand, and write no line twice.
    std::fs::write(&failed_file, &stale).unwrap();
    let by_hand = data.join("movies.recovered.ndjson");
    let mut stage = std::fs::OpenOptions::new()
        .append(true)
        .open(data.join("movies.ndjson"))
        .unwrap();
    std::io::Write::write_all(&mut stage, &std::fs::read(&by_hand).unwrap()).unwrap();
    std::fs::remove_file(&by_hand).unwrap();

    let stage_files = [
        data.join("movies.ndjson"),
        data.join("people.ndjson"),
        data.join(".stamps/movies.loaded"),
        data.join(".stamps/people.loaded"),
        data.join("person_ids.ndjson"),
    ];
    let before: Vec<_> = stage_files
        .iter()
        .map(|f| (mtime(f), std::fs::read(f).unwrap()))
        .collect();
    let delivered = deliveries(&sim, "movie");
    let out = make(&sim, &data, "refetch-failed", &[&today, "RETRIES=10"]);
    out.expect_success();
    let again: Vec<u64> = deliveries(&sim, "movie")
        .iter()
        .filter(|(id, n)| delivered.get(id).copied().unwrap_or(0) < **n)
        .map(|(id, _)| *id)
        .filter(|id| recovered_by_hand.contains_key(id))
        .collect();
    assert!(
        again.is_empty(),
        "refetched what the hand retry recovered: {again:?}\n{out}"
    );
    let twice: Vec<(u64, usize)> = id_counts(&[
        data.join("movies.ndjson"),
        data.join("movies.recovered.ndjson"),
    ])
    .into_iter()
    .filter(|(_, n)| *n > 1)
    .collect();
    assert!(twice.is_empty(), "movies written twice: {twice:?}\n{out}");
    assert_eq!(lines(&failed_file), 0, "{out}");

    // The stage files and their stamps are as the stages left them.
    for (file, (time, bytes)) in stage_files.iter().zip(&before) {
        assert_eq!(mtime(file), *time, "{} was touched\n{out}", file.display());
        assert_eq!(
            std::fs::read(file).unwrap(),
            *bytes,
            "{} changed",
            file.display()
        );
    }
    let truth = crate::util::mirror::Truth::load(&sim, 0, &work);
    crate::util::mirror::assert_mirror_matches(
        &data.join("tmdb.db"),
        &truth,
        &truth.exported_movies(),
    );
}

// ---- for whoever maintains this next: make update's summary comes from load_log ---------------

#[test]
fn the_update_summary_is_load_logs_totals_of_its_own_loads() {
    let work = Workdir::new("newcomer-update-summary");
    let sim = start_sim(&sim_args("200", "0"));
    let data = work.join("data");
    make(&sim, &data, "mirror", &[&format!("TODAY={DAY0}")]).expect_success();
    let db = data.join("tmdb.db");
    let runs_before: i64 = Connection::open(&db)
        .unwrap()
        .query_row("SELECT max(id) FROM load_log", [], |r| r.get(0))
        .unwrap();
    sim.mutate(1);
    let out = make(&sim, &data, "update", &["TODAY=2026-01-16"]);
    out.expect_success();

    let conn = Connection::open(&db).unwrap();
    let mut statement = conn
        .prepare(
            "SELECT kind, count(*), sum(read), sum(inserted), sum(updated), sum(unchanged),
                    sum(deleted), sum(rejected)
             FROM load_log WHERE id > ?1 GROUP BY kind ORDER BY min(id)",
        )
        .unwrap();
    let want: Vec<String> = statement
        .query_map([runs_before], |r| {
            let n = |i| r.get::<_, i64>(i);
            Ok(format!(
                "update: loaded {}: read {}, inserted {}, updated {}, unchanged {}, deleted {}, rejected {} ({} run{})",
                r.get::<_, String>(0)?,
                n(2)?,
                n(3)?,
                n(4)?,
                n(5)?,
                n(6)?,
                n(7)?,
                n(1)?,
                if n(1)? == 1 { "" } else { "s" }
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let got: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("update: loaded "))
        .collect();
    assert_eq!(got, want, "{out}");
    let kinds: Vec<&str> = got
        .iter()
        .map(|l| l.split(':').nth(1).unwrap().trim())
        .collect();
    assert!(
        kinds.contains(&"loaded movies") && kinds.contains(&"loaded people"),
        "{out}"
    );
    let movies = got
        .iter()
        .find(|l| l.starts_with("update: loaded movies:"))
        .unwrap();
    assert!(
        !movies.contains("updated 0,"),
        "a day of changes updated no movie: {out}"
    );
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("update: gone: ") && l.contains("failed: 0 movies, 0 people")),
        "{out}"
    );
}
