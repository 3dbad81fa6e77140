//! What the tests of the database servers (PostgreSQL in `postgres.rs`, MariaDB in `mysql.rs`)
//! share: the pipeline's files in the Makefile's order, and the load fixtures compared with a
//! SQLite mirror, load by load.

use std::path::Path;
use std::process::Command;

use crate::util::{Run, Workdir, bin, run};

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
