//! MySQL/MariaDB mirrors (`DB=mysql://...`), against a real MariaDB the tests start
//! (`util::mysql::Server`): the whole pipeline and an update against tmdb-sim give the same
//! tables, row by row, as the SQLite mirror of the same data (which equals the simulator's
//! truth); a load killed with -9 leaves whole batches and a rerun finishes it; two loads at
//! once both succeed; a bad URL, a wrong password, an unreachable server and a missing database
//! each stop a tool with exit 2 and one line, and the password is never printed. `make serve`
//! serves it (`mysql_serve.rs` compares every route with SQLite's).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::util::mirror::{Truth, assert_mirror_matches, make_cmd, sim_args, start_sim};
use crate::util::mysql::{PASSWORD, Server, assert_same_tables};
use mysql::prelude::Queryable;
use rusqlite::Connection;

use crate::newcomer::Served;
use crate::util::server::{
    MIRROR_FILES, kill_a_load_then_rerun, load_fixtures_beside_sqlite, load_sqlite,
    two_loads_at_once,
};
use crate::util::{Run, Workdir, bin, http_get, run, run_with_input};

fn no_password(run: &Run) {
    assert!(
        !run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD),
        "the password was printed\n{run}"
    );
}

/// `make TARGET` with the database in DB (the environment), the way a user sets it.
fn make_db(sim: &crate::util::Sim, data: &Path, db: &str, target: &str, vars: &[&str]) -> Run {
    let mut cmd = make_cmd(sim, data, target, vars);
    cmd.env("DB", db);
    let out = run_with_input(cmd, b"", Duration::from_secs(600));
    no_password(&out);
    out
}

fn load(db: &str, args: &[&str]) -> Run {
    let mut cmd = Command::new(bin("ndjson-load"));
    cmd.env("DB", db).env_remove("DB_URL").args(args);
    let out = run(cmd);
    no_password(&out);
    out
}

#[test]
fn make_mirror_and_update_into_mariadb_equal_the_sqlite_mirror_row_by_row() {
    let server = Server::get();
    let url = server.database("pipeline");
    let work = Workdir::new("my-pipeline");
    let sim = start_sim(&sim_args("80", "0"));
    let data = work.join("data");

    let out = make_db(&sim, &data, &url, "mirror", &["TODAY=2026-01-15"]);
    out.expect_success();
    assert!(
        out.stdout.contains("mirror mysql://mirror:***@127.0.0.1:"),
        "the summary names the database, password masked\n{out}"
    );
    assert!(!data.join("tmdb.db").exists(), "a SQLite file was made");

    // The same stage files loaded into SQLite: that mirror equals the truth, and MariaDB's
    // tables equal it row by row.
    let sqlite = work.join("reference.db");
    load_sqlite(&sqlite, &data, MIRROR_FILES);
    let truth = Truth::load(&sim, 0, &work);
    assert_mirror_matches(&sqlite, &truth, &truth.exported_movies());
    let mut conn = server.admin("pipeline");
    let rows = assert_same_tables(&sqlite, &mut conn);
    assert!(rows > 1000, "only {rows} rows compared");

    // make summary and make export read it too.
    let out = make_db(&sim, &data, &url, "summary", &[]);
    out.expect_success();
    let movies = truth.exported_movies().len();
    assert!(out.stdout.contains(&format!(": {movies} movies")), "{out}");
    make_db(&sim, &data, &url, "export", &["FORMAT=ndjson"]).expect_success();
    let exported = std::fs::read_to_string(data.join("export/movie.ndjson")).unwrap();
    assert_eq!(exported.lines().count(), movies);

    // A day later: make update brings both to the new truth.
    sim.mutate(1);
    let out = make_db(&sim, &data, &url, "update", &["TODAY=2026-01-16"]);
    out.expect_success();
    assert!(out.stdout.contains("update: loaded movies:"), "{out}");
    let update = data.join("update/last");
    load_sqlite(
        &sqlite,
        &update,
        &[
            ("movies", "movies.ndjson.part"),
            ("gone", "movies.gone.ndjson"),
            ("movie-ids", "movie_ids.ndjson"),
            ("people", "people.ndjson.part"),
            ("gone", "people.gone.ndjson"),
        ],
    );
    let truth = Truth::load(&sim, 1, &work);
    assert_mirror_matches(&sqlite, &truth, &truth.exported_movies());
    assert_same_tables(&sqlite, &mut conn);

    // make serve serves it (its /stats counts the SQLite mirror's movies); make clean keeps
    // the database.
    let mut cmd = make_cmd(&sim, &data, "serve", &["ADDR=127.0.0.1:0"]);
    cmd.env("DB", &url);
    let served = Served::start(cmd, work.join("serve.stderr"));
    let (status, body) = http_get(&format!("{}/stats", served.url), &[]);
    assert_eq!(status, 200, "{body}");
    let stats: serde_json::Value = serde_json::from_str(&body).unwrap();
    let lite = Connection::open(&sqlite).unwrap();
    let movies: i64 = lite
        .query_row("SELECT count(*) FROM movie", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stats["movies"], movies, "{stats}");
    let stderr = std::fs::read_to_string(&served.stderr).unwrap();
    assert!(
        !stderr.contains(PASSWORD),
        "the password was printed\n{stderr}"
    );
    drop(served);
    let out = make_db(&sim, &data, &url, "clean", &[]);
    out.expect_success();
    assert!(
        out.stdout
            .contains("kept the MySQL database mysql://mirror:***@127.0.0.1:"),
        "{out}"
    );
}

/// Movie records with every append, from the simulator's truth.
fn movie_dump(work: &Workdir, movies: &str) -> std::path::PathBuf {
    let sim = start_sim(&sim_args(movies, "0"));
    let dir = work.join("dump");
    sim.dump(0, &dir);
    dir.join("movies.ndjson")
}

fn count(conn: &mut mysql::Conn, sql: &str) -> i64 {
    conn.query_first(sql).unwrap().unwrap()
}

#[test]
fn a_load_killed_mid_way_keeps_whole_batches_and_a_rerun_finishes_it() {
    let server = Server::get();
    let url = server.database("killed");
    let work = Workdir::new("my-kill");
    let movies = movie_dump(&work, "1500");
    let mut admin = server.admin("killed");
    kill_a_load_then_rerun(&url, &work, &movies, &mut admin, load);
}

#[test]
fn two_loads_at_once_both_succeed_and_leave_whole_movies() {
    let server = Server::get();
    let url = server.database("twoloads");
    let work = Workdir::new("my-two");
    let movies = movie_dump(&work, "800");
    two_loads_at_once(&url, &work, &movies, &mut server.admin("twoloads"));
}

#[test]
fn bad_urls_wrong_passwords_and_missing_servers_stop_every_tool_with_one_line() {
    let server = Server::get();
    server.database("present");
    let work = Workdir::new("my-errors");
    work.write("genres.ndjson", "{\"id\":28,\"name\":\"Action\"}\n");
    let port = server.port;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port(); // bound then freed: nothing listens there
    let cases = [
        (
            format!("mysql://mirror:{PASSWORD}@127.0.0.1:notaport/present"),
            "not a valid MySQL URL",
        ),
        (
            format!("mysql://mirror:{PASSWORD}@127.0.0.1:{port}/"),
            "names no database",
        ),
        (
            format!("mysql://mirror:wrong-{PASSWORD}@127.0.0.1:{port}/present"),
            "refused the login",
        ),
        (
            format!("mysql://mirror:{PASSWORD}@127.0.0.1:{closed}/present"),
            "cannot reach MySQL",
        ),
        (
            format!("mariadb://mirror:{PASSWORD}@127.0.0.1:{port}/absent"),
            "does not exist",
        ),
    ];
    for (url, says) in &cases {
        for (tool, args) in [
            ("ndjson-load", &["--kind", "genres", "genres.ndjson"][..]),
            ("ndjson-ids", &["list", "db:movies"][..]),
            ("tmdb-export", &["--out", "csv"][..]),
        ] {
            let mut cmd = Command::new(bin(tool));
            cmd.current_dir(&work.path)
                .env("DB", url)
                .env_remove("DB_URL")
                .args(args);
            let out = run(cmd);
            out.expect_code(2);
            no_password(&out);
            assert_eq!(out.stderr.lines().count(), 1, "{tool}: one line\n{out}");
            assert!(out.stderr.contains(says), "{tool} {url}: {says}\n{out}");
            assert!(
                out.stderr.contains("***"),
                "{tool}: the URL is shown masked\n{out}"
            );
        }
    }
    // A Unix socket (?socket=) works as well as TCP, and so does a password-less login there.
    let socket = format!(
        "mariadb://mirror:{PASSWORD}@localhost/present?socket={}",
        server.socket.display()
    );
    let mut cmd = Command::new(bin("ndjson-load"));
    cmd.current_dir(&work.path)
        .env("DB", &socket)
        .args(["--kind", "genres", "genres.ndjson"]);
    let out = run(cmd);
    out.expect_success();
    no_password(&out);
}

#[test]
fn rejects_summaries_load_log_and_search_as_for_sqlite() {
    let server = Server::get();
    let url = server.database("fixtures");
    let work = Workdir::new("my-fixtures");
    let sqlite = work.join("reference.db");
    load_fixtures_beside_sqlite(&url, &work, &sqlite, load);
    let mut conn = server.admin("fixtures");
    assert_same_tables(&sqlite, &mut conn);
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM credit WHERE (credit_id, movie_id, person_id) IN \
             (('shared', 953, 8), ('dup1', 951, 6))"
        ),
        2,
        "the last credit of a clashing key wins"
    );
    // load_log: one row per run, the same counts.
    let report = |db: &str| {
        let mut cmd = Command::new(bin("ndjson-load"));
        cmd.env("DB", db).args(["--report-after", "0"]);
        let out = run(cmd);
        out.expect_success();
        no_password(&out);
        out.stdout
    };
    assert_eq!(report(&url), report(&sqlite.display().to_string()));

    // Search: FULLTEXT over titles, case and accents folded by the titles' collation.
    let found: Vec<i64> = conn
        .query(
            "SELECT id FROM movie WHERE MATCH (title, original_title) \
             AGAINST ('amelie' IN BOOLEAN MODE) ORDER BY id",
        )
        .unwrap();
    let want: Vec<i64> = Connection::open(&sqlite)
        .unwrap()
        .prepare("SELECT rowid FROM movie_fts WHERE movie_fts MATCH 'amelie' ORDER BY rowid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!want.is_empty());
    assert_eq!(found, want);

    // A NUL character, which PostgreSQL refuses, is stored as it was sent.
    let nul = work.write(
        "nul.ndjson",
        "{\"id\":901,\"title\":\"a\\u0000b\"}\n{\"id\":903,\"title\":\"ok\"}\n",
    );
    load(&url, &["--kind", "movies", &nul.display().to_string()]).expect_success();
    let title: Option<String> = conn
        .query_first("SELECT title FROM movie WHERE id = 901")
        .unwrap();
    assert_eq!(title.as_deref(), Some("a\0b"));

    // A key longer than its VARCHAR column is a reject naming the column, not a failed batch
    // (and never a value cut short); the loader's list of such columns is the schema's.
    let long = "t".repeat(300);
    let file = work.write(
        "long.ndjson",
        format!(
            "{{\"id\":904,\"title\":\"long\",\"imdb_id\":\"{long}\"}}\n\
             {{\"id\":905,\"title\":\"fine\"}}\n"
        ),
    );
    let out = load(&url, &["--kind", "movies", &file.display().to_string()]);
    out.expect_code(1);
    assert!(
        out.stderr
            .contains("long.ndjson:1: movie.imdb_id is 300 characters long"),
        "{out}"
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM movie WHERE id IN (904, 905)"
        ),
        1
    );
    let mut varchar: Vec<String> = conn
        .query(
            "SELECT DISTINCT column_name FROM information_schema.columns
             WHERE table_schema = DATABASE() AND data_type = 'varchar'
               AND table_name NOT IN ('schema_migrations', 'load_log', 'load_checkpoint', 'gone')",
        )
        .unwrap();
    varchar.sort();
    let mut listed: Vec<&str> = tmdb_core::record::store_mysql::VARCHAR_COLUMNS.to_vec();
    listed.sort();
    assert_eq!(varchar, listed);
}
