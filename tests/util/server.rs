//! What the tests of the database servers (PostgreSQL in `postgres.rs`, MariaDB in `mysql.rs`)
//! share: the pipeline's files in the Makefile's order, and the load fixtures compared with a
//! SQLite mirror, load by load.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{Run, Workdir, bin, run};

/// What these tests ask of a server's administrative connection.
pub trait Admin {
    /// The one integer `sql` answers, or None when the statement fails.
    fn try_count(&mut self, sql: &str) -> Option<i64>;

    /// The one integer `sql` answers.
    fn count(&mut self, sql: &str) -> i64 {
        self.try_count(sql)
            .unwrap_or_else(|| panic!("no count from {sql}"))
    }

    /// The rows of two integers `sql` answers.
    fn pairs(&mut self, sql: &str) -> Vec<(i64, i64)>;

    /// Asserts that every table holds the rows of the same table of the SQLite mirror `sqlite`.
    fn assert_same_tables(&mut self, sqlite: &Path) -> usize;
}

/// The stage files a pipeline writes, with their kinds, in the Makefile's order.
pub const MIRROR_FILES: &[(&str, &str)] = &[
    ("genres", "genres.ndjson"),
    ("movie-ids", "movie_ids.ndjson"),
    ("movies", "movies.ndjson"),
    ("gone", "movies.gone.ndjson"),
    ("people", "people.ndjson"),
    ("gone", "people.gone.ndjson"),
];

/// Loads the files a pipeline wrote in `data` into a SQLite file, in the Makefile's order.
pub fn load_sqlite(db: &Path, data: &Path, files: &[(&str, &str)]) {
    for (kind, file) in files {
        let path = data.join(file);
        if !path.exists() {
            continue;
        }
        let mut cmd = Command::new(bin("ndjson-load"));
        cmd.arg("--db").arg(db).args(["--kind", kind]).arg(path);
        let out = run(cmd);
        assert!(out.code() <= 1, "{out}");
    }
}

/// The path of a load fixture (`tests/fixtures/load`), or `name` when it is a path already.
pub fn fixture(name: &str) -> String {
    if name.starts_with('/') {
        return name.to_owned();
    }
    crate::util::repo_root()
        .join("tests/fixtures/load")
        .join(name)
        .display()
        .to_string()
}

/// Loads the load fixtures (and a file of clashing keys) one by one into the server database
/// `url` with `load` (which checks that no password is printed) and into the SQLite file `sqlite`,
/// asserting after each the same exit status, summary counts and rejects.
pub fn load_fixtures_beside_sqlite(
    url: &str,
    work: &Workdir,
    sqlite: &Path,
    load: fn(&str, &[&str]) -> Run,
) {
    // Keys that clash: a credit_id twice in one movie, one credit_id under two movies, a genre
    // listed twice. The last one read wins, as in SQLite.
    let clash = work.write(
        "clash.ndjson",
        r#"{"id":951,"title":"A","genres":[{"id":28,"name":"Action"},{"id":28,"name":"Action"}],"credits":{"cast":[{"credit_id":"dup1","id":5,"name":"x","order":0},{"credit_id":"dup1","id":6,"name":"y","order":1}],"crew":[]}}
{"id":952,"title":"B","credits":{"cast":[{"credit_id":"shared","id":7,"name":"z","order":0}],"crew":[]}}
{"id":953,"title":"C","credits":{"cast":[{"credit_id":"shared","id":8,"name":"w","order":0}],"crew":[]}}
"#,
    );
    let clash = clash.display().to_string();
    let steps: &[(&str, &str)] = &[
        ("genres", "genres.ndjson"),
        ("movies", &clash),
        ("movie-ids", "movie_ids.ndjson"),
        ("movies", "movies_v1.ndjson"),
        ("movies", "movies_v2.ndjson"),
        ("movies", "movies_v2.ndjson"),
        ("movies", "malformed_lines.ndjson"),
        ("movies", "movie-details-append-credits.ndjson"),
        ("people", "people.ndjson"),
        ("people", "person-details.ndjson"),
        ("gone", "gone.ndjson"),
    ];
    let summary = |run: &Run| {
        let line = run.stderr.lines().last().unwrap_or_default().to_owned();
        // The counts, without the time and the rate.
        line.split(" in ").next().unwrap().to_owned()
    };
    for (at, (kind, file)) in steps.iter().enumerate() {
        let rejects_server = work.join(format!("server-{at}.rejects.ndjson"));
        let rejects_lite = work.join(format!("lite-{at}.rejects.ndjson"));
        let server = load(
            url,
            &[
                "--kind",
                kind,
                "--rejects",
                &rejects_server.display().to_string(),
                &fixture(file),
            ],
        );
        let mut cmd = Command::new(bin("ndjson-load"));
        cmd.arg("--db")
            .arg(sqlite)
            .args(["--kind", kind, "--rejects"])
            .arg(&rejects_lite)
            .arg(fixture(file));
        let lite = run(cmd);
        assert_eq!(server.code(), lite.code(), "{file}\n{server}\n{lite}");
        assert_eq!(summary(&server), summary(&lite), "{file}");
        assert_eq!(
            std::fs::read_to_string(&rejects_server).unwrap(),
            std::fs::read_to_string(&rejects_lite).unwrap(),
            "{file}: the rejects"
        );
    }
}

/// A movie load into `url` killed with SIGKILL once two batches are in leaves only whole batches
/// of whole movies (each with all its credits); a rerun with `load` inserts only the rest, and the
/// tables then equal a SQLite load of the same file. `movies` holds 1,500 or so movies.
pub fn kill_a_load_then_rerun(
    url: &str,
    work: &Workdir,
    movies: &Path,
    admin: &mut dyn Admin,
    load: fn(&str, &[&str]) -> Run,
) {
    let total = std::fs::read_to_string(movies).unwrap().lines().count() as i64;

    let mut child = Command::new(bin("ndjson-load"))
        .env("DB", url)
        .args(["--kind", "movies", "--batch", "50"])
        .arg(movies)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        // Before the first migration there is no table to count.
        let loaded = admin.try_count("SELECT count(*) FROM movie").unwrap_or(0);
        if loaded >= 100 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the load finished before it could be killed"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no batch committed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let loaded = admin.count("SELECT count(*) FROM movie");
    assert!(loaded < total, "killed after the end: {loaded} of {total}");
    assert_eq!(loaded % 50, 0, "only whole batches: {loaded} movies");
    // Whole movies: each one loaded has all of its credits.
    let want: std::collections::BTreeMap<i64, i64> = crate::util::read_ndjson(movies)
        .iter()
        .map(|m| {
            let credits = ["cast", "crew"]
                .iter()
                .map(|k| m["credits"][k].as_array().map_or(0, Vec::len))
                .sum::<usize>();
            (m["id"].as_i64().unwrap(), credits as i64)
        })
        .collect();
    for (id, credits) in admin
        .pairs("SELECT m.id, (SELECT count(*) FROM credit c WHERE c.movie_id = m.id) FROM movie m")
    {
        assert_eq!(credits, want[&id], "movie {id}: credits of a whole movie");
    }

    let out = load(url, &["--kind", "movies", &movies.display().to_string()]);
    out.expect_success();
    assert!(
        out.stderr.contains(&format!(
            "inserted {}, updated 0, unchanged {loaded}",
            total - loaded
        )),
        "the rerun skips what is there\n{out}"
    );
    let sqlite = work.join("reference.db");
    load_sqlite(
        &sqlite,
        movies.parent().unwrap(),
        &[("movies", "movies.ndjson")],
    );
    admin.assert_same_tables(&sqlite);
}

/// Two loads of the same movies into `url` at once both succeed, with no deadlock: each movie is
/// inserted by one of them, and the tables equal a SQLite load of the same file.
pub fn two_loads_at_once(url: &str, work: &Workdir, movies: &Path, admin: &mut dyn Admin) {
    let total = std::fs::read_to_string(movies).unwrap().lines().count();
    let spawn = || {
        Command::new(bin("ndjson-load"))
            .env("DB", url)
            .args(["--kind", "movies", "--batch", "20"])
            .arg(movies)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let mut inserted = 0;
    for out in [&a, &b] {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(!stderr.contains("deadlock"), "{stderr}");
        let summary = stderr.lines().last().unwrap();
        let n: usize = summary
            .split("inserted ")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{summary}"));
        inserted += n;
    }
    // Each movie inserted once, by one load or the other; the other found it unchanged.
    assert_eq!(inserted, total);
    let sqlite = work.join("reference.db");
    load_sqlite(
        &sqlite,
        movies.parent().unwrap(),
        &[("movies", "movies.ndjson")],
    );
    admin.assert_same_tables(&sqlite);
    assert_eq!(
        admin.count("SELECT count(*) FROM load_log WHERE kind = 'movies'"),
        2
    );
}
