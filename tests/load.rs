//! ndjson-load: the real binary loading fixture NDJSON into real SQLite files under a Workdir,
//! checked by querying the database: every kind, idempotent reloads, replacement of genres and
//! credits, gone lists, rejects, truncated lines, migrations, and kill -9 in the middle of a load.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};

use crate::util::record::assert_rebuilds;
use crate::util::{Run, Workdir, bin, read_ndjson, run_with_input};

const TABLES: &[(&str, &str)] = &[
    ("genre", "id"),
    ("movie_ids", "id"),
    ("movie", "id"),
    ("movie_genre", "movie_id, genre_id"),
    ("credit", "credit_id"),
    ("people", "id"),
    ("gone", "kind, id"),
];

fn fixture(name: &str) -> PathBuf {
    crate::util::repo_root()
        .join("tests/fixtures/load")
        .join(name)
}

/// Runs `ndjson-load --db tmdb.db ARGS...` in `dir` with `stdin`.
fn load_with_input(dir: &Workdir, args: &[&str], stdin: &[u8]) -> Run {
    let mut cmd = Command::new(bin("ndjson-load"));
    cmd.current_dir(&dir.path)
        .env_remove("DB")
        .args(["--db", "tmdb.db"])
        .args(args);
    run_with_input(cmd, stdin, Duration::from_secs(120))
}

fn load(dir: &Workdir, args: &[&str]) -> Run {
    load_with_input(dir, args, b"")
}

fn load_fixture(dir: &Workdir, kind: &str, name: &str) -> Run {
    let path = fixture(name);
    load(dir, &["--kind", kind, path.to_str().unwrap()])
}

/// The loaded database. Read-write only because FTS5's integrity-check is an INSERT; tests
/// never change it.
fn db(dir: &Workdir) -> Connection {
    Connection::open_with_flags(dir.join("tmdb.db"), OpenFlags::SQLITE_OPEN_READ_WRITE).unwrap()
}

fn rows(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
    let mut stmt = conn.prepare(sql).unwrap();
    let columns = stmt.column_count();
    stmt.query_map([], |row| (0..columns).map(|i| row.get(i)).collect())
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The rows of `table` in `dir`'s mirror as a reader sees them now, while a load may be
/// writing it (0 while it cannot be read yet).
fn rows_now(dir: &Workdir, table: &str) -> i64 {
    Connection::open_with_flags(dir.join("tmdb.db"), OpenFlags::SQLITE_OPEN_READ_ONLY)
        .ok()
        .and_then(|c| {
            c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                .ok()
        })
        .unwrap_or(0)
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |row| row.get(0)).unwrap()
}

fn text(v: &str) -> Value {
    Value::Text(v.to_owned())
}

/// Every table the loader writes and the columns that order its rows: the older tables above,
/// and those of the whole record by their leading columns.
fn content_tables() -> Vec<(&'static str, String)> {
    let record_tables = tmdb_core::record::spec::TABLES
        .iter()
        .filter(|table| !TABLES.iter().any(|(name, _)| name == &table.name))
        .map(|table| (table.name, table.lead.join(", ")));
    let older = TABLES.iter().map(|(name, key)| (*name, (*key).to_owned()));
    older.chain(record_tables).collect()
}

/// Every table of [`content_tables`], row by row (gone without its timestamp).
fn contents(conn: &Connection) -> Vec<Vec<Vec<Value>>> {
    content_tables()
        .into_iter()
        .map(|(table, key)| {
            let columns = if table == "gone" { "kind, id" } else { "*" };
            rows(
                conn,
                &format!("SELECT {columns} FROM {table} ORDER BY {key}"),
            )
        })
        .collect()
}

/// Asserts that two [`contents`] are equal table by table, naming the first table and row that
/// differ: printing every row of a large mirror would bury the difference.
fn assert_same_contents(actual: &[Vec<Vec<Value>>], expected: &[Vec<Vec<Value>>]) {
    for (((table, _), actual), expected) in content_tables().iter().zip(actual).zip(expected) {
        let differs = actual.iter().zip(expected).position(|(a, e)| a != e);
        if let Some(row) = differs {
            panic!(
                "{table}: row {row} differs\n  actual: {:?}\nexpected: {:?}",
                actual[row], expected[row]
            );
        }
        assert_eq!(actual.len(), expected.len(), "{table}: rows");
    }
}

/// The summary line without its timing, which varies.
fn summary(run: &Run) -> String {
    let last = run.stderr.lines().last().unwrap_or_default();
    match last.split_once(" in ") {
        Some((counts, _)) => counts.to_owned(),
        None => panic!("no summary line\n{run}"),
    }
}

/// The rows of search index `fts` (`movie_fts`, `people_fts`) that `query` matches (a MATCH
/// reads the index itself; a plain count of an external-content FTS5 table would read its
/// table).
fn fts_matching(conn: &Connection, fts: &str, query: &str) -> Vec<i64> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT rowid FROM {fts} WHERE {fts} MATCH ?1 ORDER BY rowid"
        ))
        .unwrap();
    stmt.query_map([query], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn movie_titles_matching(conn: &Connection, query: &str) -> Vec<i64> {
    fts_matching(conn, "movie_fts", query)
}

/// The (name, sql) of every index `from` lists (`sqlite_master WHERE ...`, `deferred_index`).
fn indexes(conn: &Connection, from: &str) -> Vec<(String, Option<String>)> {
    conn.prepare(&format!("SELECT name, sql FROM {from} ORDER BY name"))
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn assert_consistent(conn: &Connection) {
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    assert_eq!(
        rows(conn, "PRAGMA foreign_key_check"),
        Vec::<Vec<Value>>::new()
    );
    // FTS5 raises an error if an index disagrees with its content table.
    for table in ["movie_fts", "people_fts"] {
        conn.execute(
            &format!("INSERT INTO {table} ({table}) VALUES ('integrity-check')"),
            [],
        )
        .unwrap_or_else(|e| panic!("{table}: {e}"));
    }
    assert_genre_movie_by_date_is_its_definition(conn);
}

/// genre_movie_by_date (sql/0006), kept by triggers, holds exactly what its definition says:
/// movie JOIN movie_genre, dated movies only. Returns its rows.
fn assert_genre_movie_by_date_is_its_definition(conn: &Connection) -> Vec<Vec<Value>> {
    let table = rows(
        conn,
        "SELECT genre_id, release_date, id, adult, popularity, vote_average, vote_count, title,
           original_language, status FROM genre_movie_by_date ORDER BY genre_id, release_date, id",
    );
    let definition = rows(
        conn,
        "SELECT mg.genre_id, m.release_date, m.id, m.adult, m.popularity, m.vote_average,
           m.vote_count, m.title, m.original_language, m.status
         FROM movie m JOIN movie_genre mg ON mg.movie_id = m.id
         WHERE m.release_date IS NOT NULL ORDER BY 1, 2, 3",
    );
    assert_eq!(table, definition, "genre_movie_by_date");
    table
}

#[test]
fn loads_every_kind() {
    let dir = Workdir::new("load-kinds");
    let run = load_fixture(&dir, "genres", "genres.ndjson");
    run.expect_success();
    assert_eq!(
        summary(&run),
        "ndjson-load: genres: read 19, inserted 19, updated 0, unchanged 0, deleted 0, rejected 0"
    );
    load_fixture(&dir, "movie-ids", "movie_ids.ndjson").expect_success();
    load_fixture(&dir, "movies", "movie-details-append-credits.ndjson").expect_success();
    load_fixture(&dir, "people", "person-details.ndjson").expect_success();

    let conn = db(&dir);
    assert_eq!(
        rows(
            &conn,
            "SELECT id, name FROM genre WHERE id IN (28, 10751) ORDER BY id"
        ),
        [
            [Value::Integer(28), text("Action")],
            [Value::Integer(10751), text("Family")]
        ]
    );
    assert_eq!(
        rows(&conn, "SELECT * FROM movie_ids ORDER BY id"),
        [
            vec![
                Value::Integer(2),
                Value::Integer(0),
                Value::Integer(0),
                Value::Null,
                Value::Null
            ],
            vec![
                Value::Integer(3924),
                Value::Integer(0),
                Value::Integer(0),
                Value::Real(2.4),
                text("Blondie")
            ],
            vec![
                Value::Integer(6124),
                Value::Integer(1),
                Value::Integer(1),
                Value::Real(0.6),
                text("Der Mann ohne Namen")
            ],
        ]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT title, release_date, runtime, budget, imdb_id, homepage, collection_id,
                    origin_country, vote_count
             FROM movie WHERE id = 49026"
        ),
        [[
            text("The Dark Knight Rises"),
            text("2012-07-17"),
            Value::Integer(165),
            Value::Integer(250_000_000),
            text("tt1345836"),
            text("http://www.thedarkknightrises.com/"),
            Value::Integer(263),
            text(r#"["GB","US"]"#),
            Value::Integer(24327)
        ]]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT genre_id FROM movie_genre WHERE movie_id = 49026 ORDER BY genre_id"
        ),
        [
            [Value::Integer(18)],
            [Value::Integer(28)],
            [Value::Integer(53)],
            [Value::Integer(80)]
        ]
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM credit WHERE kind = 'cast'"),
        167
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM credit WHERE kind = 'crew'"),
        560
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT person_id, name, character, cast_order, gender, profile_path, department
             FROM credit WHERE credit_id = '52fe4781c3a36847f8139869'"
        ),
        [[
            Value::Integer(3894),
            text("Christian Bale"),
            text("Bruce Wayne"),
            Value::Integer(0),
            Value::Integer(2),
            text("/7Pxez9J8fuPd2Mn9kex13YALrCQ.jpg"),
            Value::Null
        ]]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT kind, department, job FROM credit WHERE credit_id = '52fe4781c3a36847f8139915'"
        ),
        [[text("crew"), text("Writing"), text("Story")]]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT name, also_known_as, birthday, deathday, homepage, imdb_id, gender
             FROM people WHERE id = 62"
        ),
        [[
            text("Bruce Willis"),
            text(r#"["Walter Bruce Willis"]"#),
            text("1955-03-19"),
            Value::Null,
            Value::Null,
            text("nm0000246"),
            Value::Integer(2)
        ]]
    );
    assert_eq!(movie_titles_matching(&conn, "dark knight"), [49026]);
    assert_eq!(
        rows(
            &conn,
            "SELECT kind, read, inserted FROM load_log ORDER BY id"
        ),
        [
            [text("genres"), Value::Integer(19), Value::Integer(19)],
            [text("movie-ids"), Value::Integer(3), Value::Integer(3)],
            [text("movies"), Value::Integer(1), Value::Integer(1)],
            [text("people"), Value::Integer(1), Value::Integer(1)],
        ]
    );
    assert_consistent(&conn);
}

#[test]
fn reloading_the_same_files_changes_nothing() {
    let dir = Workdir::new("load-idempotent");
    let inputs = [
        ("genres", "genres.ndjson"),
        ("movie-ids", "movie_ids.ndjson"),
        ("movies", "movies_v1.ndjson"),
        ("people", "people.ndjson"),
    ];
    for (kind, name) in inputs {
        load_fixture(&dir, kind, name).expect_success();
    }
    let before = contents(&db(&dir));
    let wal_before = std::fs::metadata(dir.join("tmdb.db-wal")).map_or(0, |m| m.len());
    for (kind, name) in inputs {
        let run = load_fixture(&dir, kind, name);
        run.expect_success();
        let read = read_ndjson(&fixture(name)).len();
        assert_eq!(
            summary(&run),
            format!(
                "ndjson-load: {kind}: read {read}, inserted 0, updated 0, unchanged {read}, deleted 0, rejected 0"
            )
        );
    }
    assert_eq!(contents(&db(&dir)), before);
    let movies = rows(
        &db(&dir),
        "SELECT id, source_hash != 0 FROM movie ORDER BY id",
    );
    assert_eq!(
        movies,
        [
            [Value::Integer(1), Value::Integer(1)],
            [Value::Integer(2), Value::Integer(1)]
        ]
    );
    // Only the load_log rows were written: far less than one page per record.
    let wal_after = std::fs::metadata(dir.join("tmdb.db-wal")).map_or(0, |m| m.len());
    assert!(
        wal_after <= wal_before.max(1) * 2,
        "WAL grew from {wal_before} to {wal_after}"
    );
}

#[test]
fn a_newer_record_replaces_the_row_its_genres_and_credits() {
    let dir = Workdir::new("load-replace");
    load_fixture(&dir, "movies", "movies_v1.ndjson").expect_success();
    let conn = db(&dir);
    assert_eq!(movie_titles_matching(&conn, "heat"), [1]);
    assert_eq!(
        movie_titles_matching(&conn, "amelie"),
        [2],
        "diacritics folded"
    );
    drop(conn);

    let run = load_fixture(&dir, "movies", "movies_v2.ndjson");
    run.expect_success();
    assert_eq!(
        summary(&run),
        "ndjson-load: movies: read 2, inserted 0, updated 2, unchanged 0, deleted 0, rejected 0"
    );
    let conn = db(&dir);
    assert_eq!(
        rows(&conn, "SELECT title, runtime FROM movie WHERE id = 1"),
        [[text("Heat Wave"), Value::Integer(171)]]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT genre_id FROM movie_genre WHERE movie_id = 1 ORDER BY genre_id"
        ),
        [[Value::Integer(18)], [Value::Integer(80)]],
        "Action is gone, Drama is new"
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT credit_id, character FROM credit WHERE movie_id = 1 ORDER BY credit_id"
        ),
        [
            [text("52fe4213c3a36847f8000001"), text("Lt. Vincent Hanna")],
            [text("52fe4213c3a36847f8000003"), Value::Null],
            [text("52fe4213c3a36847f8000004"), Value::Null],
        ],
        "De Niro's credit was removed upstream"
    );
    // Movie 2 came without a credits key (fetched without the append): the new record
    // replaces the old one whole, so the credits it no longer carries are gone.
    assert_eq!(
        count(&conn, "SELECT count(*) FROM credit WHERE movie_id = 2"),
        0
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT release_date, runtime FROM movie WHERE id = 2"
        ),
        [[text("2001-04-25"), Value::Integer(122)]]
    );
    assert_eq!(movie_titles_matching(&conn, "wave"), [1]);
    assert_eq!(movie_titles_matching(&conn, "heat"), [1]);
    assert_eq!(movie_titles_matching(&conn, "amelie"), [2]);
    drop(conn);

    // Back to the first version: the old title is found again and "wave" no longer is.
    load_fixture(&dir, "movies", "movies_v1.ndjson").expect_success();
    let conn = db(&dir);
    assert_eq!(movie_titles_matching(&conn, "wave"), Vec::<i64>::new());
    assert_eq!(
        count(&conn, "SELECT count(*) FROM credit WHERE movie_id = 1"),
        4
    );
    assert_consistent(&conn);
}

#[test]
fn empty_strings_and_nulls_stay_as_tmdb_sent_them_and_every_line_rebuilds() {
    let dir = Workdir::new("load-empty");
    load_fixture(&dir, "movies", "movies_v1.ndjson").expect_success();
    load_fixture(&dir, "people", "people.ndjson").expect_success();
    let conn = db(&dir);
    assert_eq!(
        rows(
            &conn,
            "SELECT release_date, homepage, imdb_id, overview, tagline FROM movie WHERE id = 2"
        ),
        [[text(""), text(""), Value::Null, text(""), text("")]]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT birthday, deathday, biography, also_known_as FROM people ORDER BY id"
        ),
        [
            [Value::Null, Value::Null, text(""), text("[]")],
            [
                text("1940-04-25"),
                text(""),
                text(""),
                text(r#"["Alfredo James Pacino"]"#)
            ],
        ]
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM credit WHERE character = ''"),
        1,
        "an empty character is kept as TMDB sent it"
    );
    for (kind, file) in [("movie", "movies_v1.ndjson"), ("person", "people.ndjson")] {
        for line in read_ndjson(&fixture(file)) {
            assert_rebuilds(&conn, kind, &line);
        }
    }
}

#[test]
fn gone_deletes_with_what_hangs_off_and_a_reload_brings_it_back() {
    let dir = Workdir::new("load-gone");
    load_fixture(&dir, "movies", "movies_v1.ndjson").expect_success();
    load_fixture(&dir, "people", "people.ndjson").expect_success();
    let run = load_fixture(&dir, "gone", "gone.ndjson");
    run.expect_success();
    assert_eq!(
        summary(&run),
        "ndjson-load: gone: read 3, inserted 1, updated 0, unchanged 0, deleted 2, rejected 0"
    );
    let conn = db(&dir);
    assert_eq!(rows(&conn, "SELECT id FROM movie"), [[Value::Integer(2)]]);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM credit WHERE movie_id = 1"),
        0
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM movie_genre WHERE movie_id = 1"),
        0
    );
    assert_eq!(
        rows(&conn, "SELECT id FROM people"),
        [[Value::Integer(1158)]]
    );
    assert_eq!(
        rows(&conn, "SELECT kind, id FROM gone ORDER BY kind, id"),
        [
            [text("movie"), Value::Integer(1)],
            [text("movie"), Value::Integer(77)],
            [text("person"), Value::Integer(638)],
        ]
    );
    assert_eq!(movie_titles_matching(&conn, "heat"), Vec::<i64>::new());
    assert_consistent(&conn);
    drop(conn);

    let again = load_fixture(&dir, "gone", "gone.ndjson");
    assert_eq!(
        summary(&again),
        "ndjson-load: gone: read 3, inserted 0, updated 0, unchanged 3, deleted 0, rejected 0"
    );
    // Movie 1 came back upstream: loading it removes it from gone.
    load_fixture(&dir, "movies", "movies_v1.ndjson").expect_success();
    let conn = db(&dir);
    assert_eq!(
        rows(&conn, "SELECT kind, id FROM gone ORDER BY kind, id"),
        [
            [text("movie"), Value::Integer(77)],
            [text("person"), Value::Integer(638)]
        ]
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM credit WHERE movie_id = 1"),
        4
    );
}

#[test]
fn bad_lines_are_reported_with_file_and_line_and_good_ones_loaded() {
    let dir = Workdir::new("load-rejects");
    let input = fixture("malformed_lines.ndjson");
    let run = load(
        &dir,
        &[
            "--kind",
            "movies",
            "--rejects",
            "rejects.ndjson",
            input.to_str().unwrap(),
        ],
    );
    run.expect_code(1);
    let file = input.display();
    let mut lines = run.stderr.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!("ndjson-load: {file}:2: field \"runtime\" is not an integer (found a string)")
    );
    assert!(
        lines.next().unwrap().starts_with(&format!(
            "ndjson-load: {file}:3: invalid JSON: expected value"
        )),
        "{run}"
    );
    assert_eq!(
        lines.next().unwrap(),
        format!("ndjson-load: {file}:5: field \"id\" is missing")
    );
    assert_eq!(
        lines.next().unwrap(),
        format!("ndjson-load: {file}:6: field \"id\" is not a positive integer (found a string)")
    );
    assert_eq!(
        summary(&run),
        "ndjson-load: movies: read 6, inserted 2, updated 0, unchanged 0, deleted 0, rejected 4"
    );
    let rejects = read_ndjson(&dir.join("rejects.ndjson"));
    assert_eq!(rejects.len(), 4);
    assert_eq!(
        rejects[0],
        serde_json::json!({
            "file": file.to_string(),
            "line": 2,
            "error": "field \"runtime\" is not an integer (found a string)",
            "text": "{\"id\":6,\"title\":\"Bad runtime\",\"runtime\":\"120\"}",
        })
    );
    let lines: Vec<u64> = rejects
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3, 5, 6]);
    assert_eq!(rejects[1]["text"], "<html>502 Bad Gateway</html>");
    let conn = db(&dir);
    assert_eq!(
        rows(&conn, "SELECT id, title FROM movie ORDER BY id"),
        [
            [Value::Integer(5), text("Good one")],
            [Value::Integer(8), text("Good two")]
        ]
    );
    assert_eq!(
        rows(&conn, "SELECT read, inserted, rejected FROM load_log"),
        [[Value::Integer(6), Value::Integer(2), Value::Integer(4)]]
    );
}

#[test]
fn a_truncated_last_line_is_reported_not_parsed() {
    let dir = Workdir::new("load-truncated");
    let input = fixture("truncated_tail.ndjson");
    let run = load(&dir, &["--kind", "movies", input.to_str().unwrap()]);
    run.expect_code(1);
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        format!(
            "ndjson-load: {}:2: truncated last line (no newline at the end): not loaded",
            input.display()
        )
    );
    assert_eq!(
        rows(&db(&dir), "SELECT id FROM movie"),
        [[Value::Integer(5)]]
    );

    // Even a cut that leaves valid JSON is not taken as a record.
    let run = load_with_input(
        &dir,
        &["--kind", "genres", "-"],
        b"{\"id\":1,\"name\":\"A\"}\n{\"id\":2,\"name\":\"B\"}",
    );
    run.expect_code(1);
    assert!(
        run.stderr
            .starts_with("ndjson-load: stdin:2: truncated last line"),
        "{run}"
    );
    assert_eq!(
        rows(&db(&dir), "SELECT id FROM genre"),
        [[Value::Integer(1)]]
    );
}

#[test]
fn since_last_load_takes_only_appended_lines_and_a_replaced_file_whole() {
    let dir = Workdir::new("load-since-last");
    let stage = dir.write(
        "stage.ndjson",
        "{\"id\":1,\"name\":\"A\"}\n\n{\"id\":2,\"name\":\"B\"}\n",
    );
    let stage_arg = stage.to_str().unwrap();
    let args = ["--kind", "genres", "--since-last-load", stage_arg];
    load(&dir, &args).expect_success();
    let names = |dir: &Workdir| rows(&db(dir), "SELECT id, name FROM genre ORDER BY id");
    // Another file (an update) refreshes genre 1 since.
    let other = dir.write("other.ndjson", "{\"id\":1,\"name\":\"A, renamed\"}\n");
    load(&dir, &["--kind", "genres", other.to_str().unwrap()]).expect_success();

    // What the stage appends is loaded; its older copy of genre 1 is not.
    let append = |line: &str| {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&stage)
            .unwrap();
        file.write_all(line.as_bytes()).unwrap();
    };
    append("{\"id\":3,\"name\":\"C\"}\n");
    let run = load(&dir, &args);
    run.expect_success();
    assert!(
        run.stderr
            .contains(&format!("{stage_arg}: loading from line 4 on")),
        "{run}"
    );
    assert!(summary(&run).contains("read 1,"), "{run}");
    assert_eq!(
        names(&dir),
        [
            [Value::Integer(1), text("A, renamed")],
            [Value::Integer(2), text("B")],
            [Value::Integer(3), text("C")]
        ]
    );

    // A rejected line keeps the point where it was: the next run reports it again, under its
    // own line number, and loads what follows again.
    append("[4,\"D\"]\n{\"id\":5,\"name\":\"E\"}\n");
    for _ in 0..2 {
        let run = load(&dir, &args);
        run.expect_code(1);
        assert!(run.stderr.contains(&format!("{stage_arg}:5: ")), "{run}");
        assert!(summary(&run).contains("read 2,"), "{run}");
    }

    // The same name for another file: loaded whole, and said so.
    dir.write("stage.ndjson", "{\"id\":1,\"name\":\"A again\"}\n");
    let run = load(&dir, &args);
    run.expect_success();
    assert!(
        run.stderr.contains("is not the file loaded before"),
        "{run}"
    );
    assert_eq!(names(&dir)[0], [Value::Integer(1), text("A again")]);

    // Nothing new: nothing read.
    let run = load(&dir, &args);
    run.expect_success();
    assert!(summary(&run).contains("read 0,"), "{run}");

    let run = load(&dir, &["--kind", "genres", "--since-last-load", "-"]);
    run.expect_code(2);
    assert_eq!(
        run.stderr.trim(),
        "ndjson-load: --since-last-load takes exactly one FILE, not standard input"
    );
}

#[test]
fn odd_but_valid_input_loads_bom_crlf_blank_lines_and_a_huge_line() {
    let dir = Workdir::new("load-odd");
    let mut input =
        b"\xEF\xBB\xBF{\"id\":1,\"name\":\"Action\"}\r\n\r\n\n{\"id\":2,\"name\":\"Drama\"}\r\n"
            .to_vec();
    let run = load_with_input(&dir, &["--kind", "genres"], &input);
    run.expect_success();
    assert_eq!(count(&db(&dir), "SELECT count(*) FROM genre"), 2);

    // A 10 MB record: a movie with a very long cast.
    input.clear();
    input.extend_from_slice(br#"{"id":9,"title":"Epic","credits":{"crew":[],"cast":["#);
    let cast = 60_000;
    for i in 0..cast {
        if i > 0 {
            input.push(b',');
        }
        input.extend_from_slice(
            format!(
                r#"{{"id":{},"credit_id":"{i:024x}","name":"Extra number {i} of a very long cast","character":"Crowd member {i}","order":{i},"gender":0,"adult":false,"popularity":0.1}}"#,
                i + 1
            )
            .as_bytes(),
        );
    }
    input.extend_from_slice(b"]}}\n");
    assert!(input.len() > 10 << 20, "{} bytes", input.len());
    let run = load_with_input(&dir, &["--kind", "movies", "-"], &input);
    run.expect_success();
    assert_eq!(
        count(&db(&dir), "SELECT count(*) FROM credit WHERE movie_id = 9"),
        cast
    );
}

#[test]
fn migrates_an_empty_file_and_a_version_1_database() {
    let dir = Workdir::new("load-migrate");
    std::fs::write(dir.join("tmdb.db"), b"").unwrap();
    load_fixture(&dir, "genres", "genres.ndjson").expect_success();
    let latest = tmdb_core::db::latest_version();
    let version = |path: &Path| -> u32 {
        Connection::open(path)
            .unwrap()
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap()
    };
    assert_eq!(version(&dir.join("tmdb.db")), latest);

    // A version 1 mirror already holding a movie and a person, as an older release left it.
    let old = dir.join("old.db");
    let mut conn = Connection::open(&old).unwrap();
    tmdb_core::db::migrate_to(&mut conn, 1).unwrap();
    conn.execute_batch(
        "INSERT INTO genre (id, name) VALUES (28, 'Old Action');
         INSERT INTO movie (id, title, original_title) VALUES (1, 'Heat', 'Heat');
         INSERT INTO people (id, name, also_known_as) VALUES (638, 'Michael Mann', '[]');",
    )
    .unwrap();
    drop(conn);
    assert_eq!(version(&old), 1);
    let mut cmd = Command::new(bin("ndjson-load"));
    cmd.current_dir(&dir.path)
        .env("DB", "sqlite:///old.db")
        .args(["--kind", "genres", "-"]);
    run_with_input(
        cmd,
        b"{\"id\":18,\"name\":\"Drama\"}\n",
        Duration::from_secs(60),
    )
    .expect_success();
    assert_eq!(version(&old), latest);
    let conn = Connection::open(&old).unwrap();
    assert_eq!(
        count(&conn, "SELECT count(*) FROM genre"),
        2,
        "existing rows kept"
    );
    assert_eq!(
        movie_titles_matching(&conn, "heat"),
        [1],
        "rows from before FTS are indexed"
    );
    assert_consistent(&conn);
    drop(conn);

    // The old rows can be updated and deleted through the index.
    let mut cmd = Command::new(bin("ndjson-load"));
    cmd.current_dir(&dir.path)
        .env("DB", "sqlite:///old.db")
        .args([
            "--kind",
            "movies",
            fixture("movies_v2.ndjson").to_str().unwrap(),
        ]);
    run_with_input(cmd, b"", Duration::from_secs(60)).expect_success();
    let mut cmd = Command::new(bin("ndjson-load"));
    cmd.current_dir(&dir.path)
        .env("DB", "sqlite:///old.db")
        .args(["--kind", "gone", fixture("gone.ndjson").to_str().unwrap()]);
    run_with_input(cmd, b"", Duration::from_secs(60)).expect_success();
    let conn = Connection::open(&old).unwrap();
    assert_eq!(movie_titles_matching(&conn, "heat"), Vec::<i64>::new());
    assert_eq!(movie_titles_matching(&conn, "amelie"), [2]);
    assert_consistent(&conn);
}

#[test]
fn bad_usage_and_unreadable_input_exit_2_before_touching_the_database() {
    let dir = Workdir::new("load-usage");
    let run = load(&dir, &["--kind", "movies", "--batch", "0"]);
    run.expect_code(2);
    let run = load(&dir, &["--kind", "films"]);
    run.expect_code(2);
    let run = load(&dir, &["--kind", "movies", "missing.ndjson"]);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "ndjson-load: cannot open missing.ndjson: No such file or directory (os error 2)\n"
    );
    let genres = fixture("genres.ndjson");
    let run = load(
        &dir,
        &[
            "--kind",
            "genres",
            "--rejects",
            "no/such/dir/rejects.ndjson",
            genres.to_str().unwrap(),
        ],
    );
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "ndjson-load: cannot create rejects file no/such/dir/rejects.ndjson: No such file or directory (os error 2)\n"
    );
    let input = dir.write("movies.ndjson", "{\"id\":1,\"title\":\"Heat\"}\n");
    let run = load(
        &dir,
        &[
            "--kind",
            "movies",
            "--rejects",
            "./movies.ndjson",
            "movies.ndjson",
        ],
    );
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "ndjson-load: --rejects ./movies.ndjson is also an input; it would be emptied before being read\n"
    );
    assert_eq!(
        std::fs::read_to_string(&input).unwrap(),
        "{\"id\":1,\"title\":\"Heat\"}\n"
    );
    assert!(!dir.join("tmdb.db").exists());
}

/// A few of every append with a table, so a kill can land in any of them.
fn appends(id: usize) -> String {
    let k = id % 50 + 1;
    format!(
        r#""keywords":{{"keywords":[{{"id":{k},"name":"keyword {k}"}}]}},"release_dates":{{"results":[{{"iso_3166_1":"US","release_dates":[{{"certification":"PG","descriptors":[],"iso_639_1":"","note":"","release_date":"2001-01-01T00:00:00.000Z","type":3}}]}}]}},"external_ids":{{"imdb_id":null,"wikidata_id":"Q{id}","facebook_id":null,"instagram_id":null,"twitter_id":null}},"alternative_titles":{{"titles":[{{"iso_3166_1":"FR","title":"Film {id}","type":""}}]}},"translations":{{"translations":[{{"iso_3166_1":"FR","iso_639_1":"fr","name":"Français","english_name":"French","data":{{"homepage":"","overview":"","runtime":0,"tagline":"","title":"Film {id}"}}}}]}},"videos":{{"results":[{{"iso_639_1":"en","iso_3166_1":"US","name":"Trailer","key":"k{id}","site":"YouTube","size":1080,"type":"Trailer","official":true,"published_at":"2001-01-01T00:00:00.000Z","id":"v{id}"}}]}},"images":{{"backdrops":[],"logos":[],"posters":[{{"aspect_ratio":0.667,"height":1500,"iso_639_1":null,"iso_3166_1":null,"file_path":"/p{id}.jpg","vote_average":0,"vote_count":0,"width":1000}}]}},"watch/providers":{{"results":{{"US":{{"link":"https://example.org/{id}","flatrate":[{{"logo_path":"/l.jpg","provider_id":{k},"provider_name":"Provider {k}","display_priority":{k}}}]}}}}}}"#
    )
}

/// Writes synthetic movies `ids` with `credits` credits each and one of every other append.
fn synthetic_movies(path: &Path, ids: std::ops::RangeInclusive<usize>, credits: usize) {
    let mut out = String::new();
    for id in ids {
        let cast: Vec<String> = (0..credits)
            .map(|c| {
                format!(
                    r#"{{"id":{},"credit_id":"{id:012x}{c:012x}","name":"Person {c}","character":"Role {c}","order":{c},"gender":2,"adult":false,"popularity":1.5,"profile_path":null,"known_for_department":"Acting","original_name":"Person {c}"}}"#,
                    c + 1
                )
            })
            .collect();
        out.push_str(&format!(
            r#"{{"id":{id},"title":"Movie number {id}","original_title":"Movie {id}","release_date":"2001-01-01","runtime":90,"overview":"A synthetic movie for the kill test, number {id}.","genres":[{{"id":18,"name":"Drama"}}],"credits":{{"cast":[{}],"crew":[]}},{}}}"#,
            cast.join(","),
            appends(id)
        ));
        out.push('\n');
    }
    std::fs::write(path, out).unwrap();
}

/// Starts `ndjson-load --db tmdb.db ARGS... INPUT` in `dir`, its output discarded.
fn spawn_load(dir: &Workdir, args: &[&str], input: &Path) -> Child {
    Command::new(bin("ndjson-load"))
        .current_dir(&dir.path)
        .env_remove("DB")
        .args(["--db", "tmdb.db"])
        .args(args)
        .arg(input)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Runs `ndjson-load --db tmdb.db ARGS... INPUT` in `dir` and kills it (SIGKILL) once the
/// mirror's `table` holds `records` rows, or when it ends by itself.
fn kill_when_loaded(dir: &Workdir, args: &[&str], input: &Path, table: &str, records: i64) {
    let mut child = spawn_load(dir, args, input);
    let started = Instant::now();
    loop {
        let loaded = rows_now(dir, table);
        if loaded >= records || child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "load made no progress"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill(); // SIGKILL
    child.wait().unwrap();
}

#[test]
fn kill_9_mid_load_leaves_whole_batches_and_a_rerun_converges() {
    let dir = Workdir::new("load-kill");
    let (movies, credits, batch) = (6000_i64, 20_i64, 100_i64);
    let input = dir.join("movies.ndjson");
    synthetic_movies(&input, 1..=movies as usize, credits as usize);
    // Every index of a new mirror, to hold against what a killed first load left.
    let fresh = Workdir::new("load-kill-fresh");
    load_with_input(&fresh, &["--kind", "genres"], b"").expect_success();
    let all_indexes = indexes(&db(&fresh), "sqlite_master WHERE type = 'index'");

    // Kill at three points of the load, each run resuming the previous one's database.
    for threshold in [1, 15, 35] {
        kill_when_loaded(
            &dir,
            &["--kind", "movies", "--batch", &batch.to_string()],
            &input,
            "movie",
            threshold * batch,
        );

        let conn = db(&dir);
        assert_consistent(&conn);
        let loaded = count(&conn, "SELECT count(*) FROM movie");
        assert!(loaded < movies, "killed mid-load: {loaded} of {movies}");
        // Whole transactions of whole records: a prefix of the input, every movie complete.
        assert_eq!(
            count(&conn, "SELECT max(id) FROM movie"),
            loaded,
            "a prefix of the input"
        );
        assert_eq!(
            loaded % batch,
            0,
            "full batches (the input never paused): {loaded} movies"
        );
        assert_eq!(
            count(&conn, "SELECT count(*) FROM credit"),
            loaded * credits
        );
        assert_eq!(count(&conn, "SELECT count(*) FROM movie_genre"), loaded);
        assert_eq!(count(&conn, "SELECT count(*) FROM movie_fts"), loaded);
        // A first load builds the movie tables' secondary indexes at its end (sql/0010): each
        // index is either there or listed as deferred, never lost.
        assert!(count(&conn, "SELECT count(*) FROM deferred_index") > 0);
        let mut present = indexes(&conn, "sqlite_master WHERE type = 'index'");
        present.extend(indexes(&conn, "deferred_index"));
        present.sort();
        assert_eq!(present, all_indexes);
    }

    let run = load(
        &dir,
        &[
            "--kind",
            "movies",
            "--batch",
            "100",
            input.to_str().unwrap(),
        ],
    );
    run.expect_success();
    let conn = db(&dir);
    assert_consistent(&conn);
    assert_eq!(count(&conn, "SELECT count(*) FROM movie"), movies);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM credit"),
        movies * credits
    );
    let resumed = contents(&conn);
    assert_eq!(count(&conn, "SELECT count(*) FROM deferred_index"), 0);
    assert_eq!(
        indexes(&conn, "sqlite_master WHERE type = 'index'"),
        all_indexes
    );
    drop(conn);

    // The same content as a clean, uninterrupted load.
    let clean = Workdir::new("load-kill-clean");
    let run = load(&clean, &["--kind", "movies", input.to_str().unwrap()]);
    run.expect_success();
    assert_same_contents(&contents(&db(&clean)), &resumed);
}

/// The biography translations and the profile pictures each synthetic person carries.
const PERSON_TRANSLATIONS: usize = 3;
const PERSON_IMAGES: usize = 3;

/// Writes synthetic people `ids` in tmdb-sim's shape and key order (tools/tmdb-sim/person.rs)
/// with every append the mirror keeps: external_ids, [`PERSON_TRANSLATIONS`] translations and
/// [`PERSON_IMAGES`] profile pictures. Each is named `Person N` and also known as `Alias N`.
fn synthetic_people(path: &Path, ids: std::ops::RangeInclusive<usize>) {
    const LOCALES: [(&str, &str, &str, &str); PERSON_TRANSLATIONS] = [
        ("DE", "de", "Deutsch", "German"),
        ("FR", "fr", "Français", "French"),
        ("JP", "ja", "日本語", "Japanese"),
    ];
    let mut out = String::new();
    for id in ids {
        let biography =
            format!("Person {id} was born, acted in synthetic movies and was loaded. ").repeat(8);
        let translations: Vec<String> = LOCALES
            .iter()
            .map(|(country, language, name, english)| {
                format!(
                    r#"{{"iso_3166_1":"{country}","iso_639_1":"{language}","name":"{name}","english_name":"{english}","data":{{"biography":"{language}: {biography}"}}}}"#
                )
            })
            .collect();
        let profiles: Vec<String> = (0..PERSON_IMAGES)
            .map(|i| {
                format!(
                    r#"{{"aspect_ratio":0.667,"height":1500,"iso_639_1":null,"file_path":"/p{id}-{i}.jpg","vote_average":{}.5,"vote_count":{i},"width":1000}}"#,
                    5 + i
                )
            })
            .collect();
        out.push_str(&format!(
            r#"{{"adult":false,"also_known_as":["Alias {id}"],"biography":"{biography}","birthday":"1970-01-01","deathday":null,"gender":{},"homepage":null,"id":{id},"imdb_id":"nm{id:07}","known_for_department":"Acting","name":"Person {id}","place_of_birth":"Springfield","popularity":{}.25,"profile_path":"/p{id}-0.jpg","external_ids":{{"freebase_mid":null,"freebase_id":null,"imdb_id":"nm{id:07}","tvrage_id":null,"wikidata_id":"Q{id}","facebook_id":"","instagram_id":null,"tiktok_id":null,"twitter_id":"p{id}","youtube_id":null}},"translations":{{"translations":[{}]}},"images":{{"profiles":[{}]}}}}"#,
            id % 4,
            id % 50,
            translations.join(","),
            profiles.join(",")
        ));
        out.push('\n');
    }
    std::fs::write(path, out).unwrap();
}

fn people_matching(conn: &Connection, query: &str) -> Vec<i64> {
    fts_matching(conn, "people_fts", query)
}

#[test]
fn kill_9_mid_people_load_leaves_whole_batches_and_a_rerun_converges() {
    let dir = Workdir::new("load-kill-people");
    let (people, batch) = (20000_i64, 100_i64);
    let (translations, images) = (PERSON_TRANSLATIONS as i64, PERSON_IMAGES as i64);
    let input = dir.join("people.ndjson");
    synthetic_people(&input, 1..=people as usize);
    let batch_arg = batch.to_string();
    let args = ["--kind", "people", "--batch", &batch_arg];

    // Kill at three points of the load, each run resuming the previous one's database. A clean
    // load of these 20,000 people takes about 2 s on 2 busy cores, so the last kill, at 8,000,
    // still lands well before the end.
    for threshold in [1, 30, 80] {
        kill_when_loaded(&dir, &args, &input, "people", threshold * batch);

        let conn = db(&dir);
        assert_consistent(&conn);
        let loaded = count(&conn, "SELECT count(*) FROM people");
        assert!(
            loaded >= threshold * batch && loaded < people,
            "killed mid-load: {loaded} of {people} people"
        );
        // Whole transactions of whole records: a prefix of the input, every person complete.
        assert_eq!(
            count(&conn, "SELECT max(id) FROM people"),
            loaded,
            "a prefix of the input"
        );
        assert_eq!(
            loaded % batch,
            0,
            "full batches (the input never paused): {loaded} people"
        );
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM people WHERE wikidata_id = 'Q' || id"
            ),
            loaded,
            "external_ids"
        );
        assert_eq!(
            count(&conn, "SELECT count(*) FROM person_translation"),
            loaded * translations
        );
        assert_eq!(
            count(&conn, "SELECT count(*) FROM person_image"),
            loaded * images
        );
        assert_eq!(people_matching(&conn, "alias").len() as i64, loaded);
    }

    let rerun = [
        "--kind",
        "people",
        "--batch",
        &batch_arg,
        input.to_str().unwrap(),
    ];
    load(&dir, &rerun).expect_success();
    let conn = db(&dir);
    assert_consistent(&conn);
    assert_eq!(count(&conn, "SELECT count(*) FROM people"), people);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM person_translation"),
        people * translations
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM person_image"),
        people * images
    );
    let resumed = contents(&conn);
    // Words of names and aliases, a prefix (sql/0007's prefix index) and one person's number.
    let queries = ["alias", "person", "pe*", "12345"];
    let resumed_found = queries.map(|query| people_matching(&conn, query));
    assert_eq!(resumed_found[0].len() as i64, people);
    drop(conn);

    // The same tables and search index as a clean, uninterrupted load.
    let clean = Workdir::new("load-kill-people-clean");
    load(&clean, &["--kind", "people", input.to_str().unwrap()]).expect_success();
    let conn = db(&clean);
    assert_same_contents(&contents(&conn), &resumed);
    for (query, resumed) in queries.iter().zip(&resumed_found) {
        let clean = people_matching(&conn, query);
        assert!(
            &clean == resumed,
            "people_fts MATCH {query}: {} people in the clean load, {} resumed",
            clean.len(),
            resumed.len()
        );
    }
}

/// The indexes `deferred_index` lists, by name.
fn deferred(conn: &Connection) -> Vec<String> {
    indexes(conn, "deferred_index")
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

/// A finished load: consistent, nothing left deferred, every index of a new mirror, and the
/// `expected` contents.
fn assert_complete(
    conn: &Connection,
    all_indexes: &[(String, Option<String>)],
    expected: &[Vec<Vec<Value>>],
) {
    assert_consistent(conn);
    assert_eq!(deferred(conn), Vec::<String>::new());
    assert_eq!(
        indexes(conn, "sqlite_master WHERE type = 'index'"),
        all_indexes
    );
    assert_eq!(contents(conn), expected);
}

#[test]
fn a_large_append_builds_the_lookup_indexes_after_its_rows_and_a_small_one_or_a_reload_does_not() {
    // A mirror of 1,000 movies (8 MB), then 9,000 more: 73 MB, over ndjson-load's 64 MiB and
    // half the mirror's database (docs/record.md "Loading").
    let (first, last, credits, batch) = (1000_i64, 10000_i64, 30_usize, 100_i64);
    let inputs = Workdir::new("load-append-inputs");
    let base = inputs.join("base.ndjson");
    let appended = inputs.join("appended.ndjson");
    synthetic_movies(&base, 1..=first as usize, credits);
    synthetic_movies(&appended, first as usize + 1..=last as usize, credits);
    assert!(std::fs::metadata(&appended).unwrap().len() > 64 << 20);
    let (base, appended) = (base.to_str().unwrap(), appended.to_str().unwrap());
    let fresh = Workdir::new("load-append-fresh");
    load_with_input(&fresh, &["--kind", "genres"], b"").expect_success();
    let all_indexes = indexes(&db(&fresh), "sqlite_master WHERE type = 'index'");

    // Without deferral: the same movies appended in pieces of 1,000 (8 MB, the size of a
    // `make update` batch or more), each keeping every index up to date row by row.
    let pieces = Workdir::new("load-append-pieces");
    load(&pieces, &["--kind", "movies", base]).expect_success();
    let text = std::fs::read_to_string(inputs.join("appended.ndjson")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for (i, piece) in lines.chunks(1000).enumerate() {
        let path = inputs.join(format!("piece-{i}.ndjson"));
        std::fs::write(&path, piece.join("\n") + "\n").unwrap();
        if i == 0 {
            // Killed halfway: nothing was deferred, every index is there.
            let args = ["--kind", "movies", "--batch", "100"];
            kill_when_loaded(&pieces, &args, &path, "movie", first + 500);
            let conn = db(&pieces);
            assert!(count(&conn, "SELECT count(*) FROM movie") < first + 1000);
            assert_eq!(deferred(&conn), Vec::<String>::new());
            assert_eq!(
                indexes(&conn, "sqlite_master WHERE type = 'index'"),
                all_indexes
            );
        }
        load(&pieces, &["--kind", "movies", path.to_str().unwrap()]).expect_success();
    }
    let conn = db(&pieces);
    assert_consistent(&conn);
    assert_eq!(count(&conn, "SELECT count(*) FROM movie"), last);
    let expected = contents(&conn);
    drop(conn);

    // In one run: the lookup indexes of the movie tables are built after the rows, and come
    // back the same.
    let clean = Workdir::new("load-append-clean");
    load(&clean, &["--kind", "movies", base]).expect_success();
    load(&clean, &["--kind", "movies", appended]).expect_success();
    let conn = db(&clean);
    assert_complete(&conn, &all_indexes, &expected);
    drop(conn);

    // Reloaded whole: as large, but its records are already there and unchanged, so no index is
    // dropped at any moment of the run.
    let mut reload = spawn_load(&clean, &["--kind", "movies"], Path::new(appended));
    let watcher =
        Connection::open_with_flags(clean.join("tmdb.db"), OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut looks = 0;
    while reload.try_wait().unwrap().is_none() {
        let present = count(
            &watcher,
            "SELECT count(*) FROM sqlite_master WHERE name = 'credit_person'",
        );
        assert_eq!(present, 1, "a reload dropped credit_person");
        looks += 1;
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(reload.wait().unwrap().success());
    assert!(
        looks > 10,
        "the reload ended before it was watched ({looks} looks)"
    );
    assert_eq!(contents(&db(&clean)), expected);

    // Killed halfway: the deferred indexes are listed, and none that tmdb-serve needs is among
    // them: not `movie`'s (it names some with INDEXED BY), not `credit_movie` (a movie's
    // credits). A rerun converges on the clean load.
    let dir = Workdir::new("load-append-kill");
    load(&dir, &["--kind", "movies", base]).expect_success();
    let args = ["--kind", "movies", "--batch", &batch.to_string()];
    kill_when_loaded(&dir, &args, Path::new(appended), "movie", first + 3000);
    let conn = db(&dir);
    assert_consistent(&conn);
    let loaded = count(&conn, "SELECT count(*) FROM movie");
    assert!(loaded < last, "killed before the end: {loaded} movies");
    assert_eq!(loaded % batch, 0, "whole batches: {loaded} movies");
    let dropped = deferred(&conn);
    assert!(dropped.contains(&"credit_person".to_owned()), "{dropped:?}");
    assert!(!dropped.contains(&"credit_movie".to_owned()), "{dropped:?}");
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM sqlite_master s JOIN deferred_index d ON d.name = s.name"
        ),
        0
    );
    for (name, sql) in indexes(&conn, "deferred_index") {
        let sql = sql.unwrap();
        assert!(!sql.contains(" ON movie "), "{name}: {sql}");
    }
    let mut present = indexes(&conn, "sqlite_master WHERE type = 'index'");
    present.extend(indexes(&conn, "deferred_index"));
    present.sort();
    assert_eq!(present, all_indexes);
    drop(conn);
    load(&dir, &["--kind", "movies", appended]).expect_success();
    let conn = db(&dir);
    assert_complete(&conn, &all_indexes, &expected);
}

#[test]
fn a_credit_id_listed_twice_or_under_another_movie_keeps_the_last_one_read() {
    let dir = Workdir::new("load-dup-credit");
    let input = concat!(
        r#"{"id":1,"title":"A","credits":{"cast":[{"id":10,"credit_id":"c1","character":"first"}],"crew":[{"id":10,"credit_id":"c1","job":"Director"}]}}"#,
        "\n",
        r#"{"id":2,"title":"B","credits":{"cast":[{"id":11,"credit_id":"c2","character":"x"},{"id":10,"credit_id":"c1","character":"moved"}],"crew":[]}}"#,
        "\n"
    );
    load_with_input(&dir, &["--kind", "movies"], input.as_bytes()).expect_success();
    let conn = db(&dir);
    assert_eq!(
        rows(
            &conn,
            "SELECT credit_id, movie_id, kind, character FROM credit ORDER BY credit_id"
        ),
        [
            [text("c1"), Value::Integer(2), text("cast"), text("moved")],
            [text("c2"), Value::Integer(2), text("cast"), text("x")],
        ]
    );
    assert_consistent(&conn);
}

/// Credits are written many rows per statement: a clash in the middle of one (the same
/// credit_id earlier in the list, or under another movie) replaces only that row, and every
/// row ends where writing them one by one in the order read puts it.
#[test]
fn a_credit_id_clash_amid_a_long_cast_replaces_only_that_credit() {
    let dir = Workdir::new("load-dup-credit-many");
    let credit = |id: &str, character: &str| {
        format!(r#"{{"id":10,"credit_id":"{id}","character":"{character}"}}"#)
    };
    // Movie 1 has k50; movie 2 lists 40 credits, with k2 again at 5, k50 at 20, k30 again
    // at 35 (the first, second and last statement of the list).
    let ids: Vec<String> = (0..40)
        .map(|i| match i {
            5 => "k2".to_owned(),
            20 => "k50".to_owned(),
            35 => "k30".to_owned(),
            i => format!("k{i}"),
        })
        .collect();
    let cast: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| credit(id, &format!("role {i}")))
        .collect();
    let input = format!(
        "{}\n{}\n",
        format_args!(
            r#"{{"id":1,"title":"A","credits":{{"cast":[{}],"crew":[]}}}}"#,
            credit("k50", "before")
        ),
        format_args!(
            r#"{{"id":2,"title":"B","credits":{{"cast":[{}],"crew":[]}}}}"#,
            cast.join(",")
        )
    );
    load_with_input(&dir, &["--kind", "movies"], input.as_bytes()).expect_success();
    // One by one: a clash deletes the older row, the new one goes last.
    let mut want: Vec<(String, String)> = vec![("k50".into(), "before".into())];
    for (i, id) in ids.iter().enumerate() {
        want.retain(|(old, _)| old != id);
        want.push((id.clone(), format!("role {i}")));
    }
    let conn = db(&dir);
    let got: Vec<(String, String)> = conn
        .prepare("SELECT credit_id, character FROM credit ORDER BY rowid")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(got, want);
    assert_eq!(got.len(), 38);
    assert_consistent(&conn);
}

#[test]
fn records_from_a_pausing_pipe_are_committed_without_waiting_for_a_full_batch() {
    let dir = Workdir::new("load-pipe");
    let mut child = Command::new(bin("ndjson-load"))
        .current_dir(&dir.path)
        .env_remove("DB")
        .args(["--db", "tmdb.db", "--kind", "genres"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"{\"id\":28,\"name\":\"Action\"}\n{\"id\":18,\"name\":\"Drama\"}\n")
        .unwrap();
    stdin.flush().unwrap();
    // Like tmdb-fetch waiting on a retry: the input pauses with the pipe still open.
    let started = Instant::now();
    let visible = loop {
        let loaded = rows_now(&dir, "genre");
        if loaded == 2 || started.elapsed() > Duration::from_secs(30) {
            break loaded;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    stdin
        .write_all(b"{\"id\":35,\"name\":\"Comedy\"}\n")
        .unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        visible, 2,
        "the first records were committed while the pipe was open"
    );
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("ndjson-load: genres: read 3, inserted 3,"),
        "{stderr}"
    );
}

/// A row or a record with every number as f64 and booleans as 0/1, the way SQLite hands them
/// back, so that the dump and the database compare field by field.
fn normalised(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        J::Bool(b) => J::from(f64::from(u8::from(b))),
        J::Number(n) => J::from(n.as_f64().unwrap()),
        J::Object(map) => J::Object(map.into_iter().map(|(k, v)| (k, normalised(v))).collect()),
        other => other,
    }
}

/// Every row of `sql` as a JSON object keyed by column name.
fn json_rows(conn: &Connection, sql: &str) -> Vec<serde_json::Value> {
    let mut stmt = conn.prepare(sql).unwrap();
    let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    stmt.query_map([], |row| {
        let mut object = serde_json::Map::new();
        for (i, name) in names.iter().enumerate() {
            let value = match row.get::<_, Value>(i)? {
                Value::Null => serde_json::Value::Null,
                Value::Integer(n) => serde_json::Value::from(n),
                Value::Real(x) => serde_json::Value::from(x),
                Value::Text(s) => serde_json::Value::from(s),
                Value::Blob(_) => panic!("{name}: unexpected blob"),
            };
            object.insert(name.clone(), value);
        }
        Ok(normalised(serde_json::Value::Object(object)))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// Loads a `tmdb-sim --dump` folder the way the pipeline does: genres, movies, people, then
/// the gone lists (the dump's `{"id"}` lines, given their kind as tmdb-fetch's gone file has).
fn load_dump(dir: &Workdir, dump: &Path) {
    for (kind, file) in [
        ("genres", "genres"),
        ("movies", "movies"),
        ("people", "people"),
    ] {
        let path = dump.join(format!("{file}.ndjson"));
        load(dir, &["--kind", kind, path.to_str().unwrap()]).expect_success();
    }
    for (kind, file) in [("movie", "gone_movies"), ("person", "gone_people")] {
        let lines: String = read_ndjson(&dump.join(format!("{file}.ndjson")))
            .iter()
            .map(|g| format!("{{\"id\":{},\"kind\":\"{kind}\"}}\n", g["id"]))
            .collect();
        load_with_input(dir, &["--kind", "gone"], lines.as_bytes()).expect_success();
    }
}

/// Every movie and person of the dump rebuilds from the mirror to exactly its line (every
/// field and append, "" and null, array order), the mirror holds no others, and the genre list
/// is the dump's.
fn assert_mirror_equals_dump(dir: &Workdir, dump: &Path) {
    let conn = db(dir);
    for (kind, file, table) in [("movie", "movies", "movie"), ("person", "people", "people")] {
        let lines = read_ndjson(&dump.join(format!("{file}.ndjson")));
        for line in &lines {
            assert_rebuilds(&conn, kind, line);
        }
        assert_eq!(
            count(&conn, &format!("SELECT count(*) FROM {table}")),
            lines.len() as i64,
            "{file}"
        );
    }
    let genre_list = read_ndjson(&dump.join("genres.ndjson"));
    let mut genre_list: Vec<serde_json::Value> = genre_list.into_iter().map(normalised).collect();
    genre_list.sort_by(|a, b| a["id"].as_f64().partial_cmp(&b["id"].as_f64()).unwrap());
    assert_eq!(
        json_rows(&conn, "SELECT id, name FROM genre ORDER BY id"),
        genre_list
    );
    assert_consistent(&conn);
}

/// `tmdb-sim SIM_ARGS --mutate DAY --dump DIR/NAME`: the ground truth after DAY simulated days.
fn sim_dump(dir: &Workdir, sim_args: &[&str], day: u32, name: &str) -> PathBuf {
    let out = dir.join(name);
    let mut cmd = Command::new(bin("tmdb-sim"));
    cmd.args(sim_args)
        .args(["--mutate", &day.to_string(), "--dump"])
        .arg(&out);
    run_with_input(cmd, b"", Duration::from_secs(60)).expect_success();
    out
}

#[test]
fn a_loaded_sim_dump_equals_its_ground_truth_field_by_field_and_after_changes() {
    let dir = Workdir::new("load-sim-dump");
    let sim_args = ["--movies", "400", "--seed", "11", "--today", "2026-06-01"];
    let dump = |day: u32, name: &str| sim_dump(&dir, &sim_args, day, name);
    let day0 = dump(0, "day0");
    load_dump(&dir, &day0);
    assert_mirror_equals_dump(&dir, &day0);

    // Ten days later: changed, new and deleted movies and people; the mirror follows.
    let day10 = dump(10, "day10");
    load_dump(&dir, &day10);
    assert_mirror_equals_dump(&dir, &day10);
    let gone_movies = read_ndjson(&day10.join("gone_movies.ndjson")).len() as i64;
    assert_eq!(
        count(&db(&dir), "SELECT count(*) FROM gone WHERE kind = 'movie'"),
        gone_movies
    );
}

/// How many segments an FTS5 index has: each has at least one row in its `_idx` table.
fn fts_segments(conn: &Connection, table: &str) -> i64 {
    count(
        conn,
        &format!("SELECT count(DISTINCT segid) FROM {table}_idx"),
    )
}

#[test]
fn a_load_leaves_each_search_index_it_changed_in_one_segment() {
    let dir = Workdir::new("load-fts-optimize");
    let movies = dir.join("movies.ndjson");
    synthetic_movies(&movies, 1..=300, 1);
    let people: String = (1..=300)
        .map(|id| format!("{{\"id\":{id},\"name\":\"Person {id}\",\"also_known_as\":[]}}\n"))
        .collect();
    std::fs::write(dir.join("people.ndjson"), people).unwrap();

    // 30 batches, 30 commits: without the merge FTS5's automerge leaves several segments.
    for kind in ["movies", "people"] {
        let file = format!("{kind}.ndjson");
        load(&dir, &["--kind", kind, "--batch", "10", &file]).expect_code(0);
    }
    let conn = db(&dir);
    assert_eq!(fts_segments(&conn, "movie_fts"), 1);
    assert_eq!(fts_segments(&conn, "people_fts"), 1);
    assert_eq!(movie_titles_matching(&conn, "\"number\" \"299\""), [299]);
    assert_consistent(&conn);
    drop(conn);

    // Deletions write FTS5 delete markers as segments of their own; they are merged too.
    load_with_input(
        &dir,
        &["--kind", "gone", "--batch", "1"],
        b"{\"id\":299,\"kind\":\"movie\"}\n{\"id\":7,\"kind\":\"person\"}\n",
    )
    .expect_code(0);
    let conn = db(&dir);
    assert_eq!(fts_segments(&conn, "movie_fts"), 1);
    assert_eq!(fts_segments(&conn, "people_fts"), 1);
    assert_eq!(
        movie_titles_matching(&conn, "\"number\" \"299\""),
        Vec::<i64>::new()
    );
    assert_consistent(&conn);
}

#[test]
fn genre_movie_by_date_follows_loads_of_changed_and_gone_movies() {
    let dir = Workdir::new("load-genre-movie-by-date");
    let sim_args = ["--movies", "300", "--seed", "5", "--today", "2026-06-01"];
    let dump = |day: u32, name: &str| sim_dump(&dir, &sim_args, day, name);
    let day0 = dump(0, "day0");
    load_dump(&dir, &day0);
    let before = assert_genre_movie_by_date_is_its_definition(&db(&dir));
    assert!(before.len() > 300, "most movies have a date and a genre");
    // Two weeks of changes: changed records reloaded (upserts, genres replaced), new
    // movies, and gone movies deleted by `--kind gone` (their genres cascade).
    let day14 = dump(14, "day14");
    load_dump(&dir, &day14);
    let conn = db(&dir);
    let after = assert_genre_movie_by_date_is_its_definition(&conn);
    assert_ne!(after, before, "the changes reached the table");
    let gone = count(&conn, "SELECT count(*) FROM gone WHERE kind = 'movie'");
    assert!(gone > 0, "some movies were deleted");
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM genre_movie_by_date WHERE id IN
               (SELECT id FROM gone WHERE kind = 'movie')"
        ),
        0
    );
    // The same files again: nothing changes.
    load_dump(&dir, &day14);
    assert_eq!(
        assert_genre_movie_by_date_is_its_definition(&db(&dir)),
        after
    );
}

#[test]
fn a_file_of_another_kind_stops_the_load_before_anything_is_written() {
    let dir = Workdir::new("load-wrong-kind");
    load_fixture(&dir, "movies", "movies_v1.ndjson").expect_success();
    let before = contents(&db(&dir));
    // The people file given as movies: exit 2, one line naming the kind it looks like.
    let run = load_fixture(&dir, "movies", "people.ndjson");
    run.expect_code(2);
    let last = run.stderr.lines().last().unwrap_or_default().to_owned();
    assert!(
        last.contains("look like --kind people") && last.contains("nothing was loaded"),
        "{run}"
    );
    // The genres file given as people: its lines are an id and a name, which no person is.
    let run = load_fixture(&dir, "people", "genres.ndjson");
    run.expect_code(2);
    let last = run.stderr.lines().last().unwrap_or_default().to_owned();
    assert!(
        last.contains("look like --kind genres") && last.contains("nothing was loaded"),
        "{run}"
    );
    // A movie line whose credits are not an object, and one with no title: each rejected with
    // its reason; the movie's credits and row stay as they were.
    let run = load_with_input(
        &dir,
        &["--kind", "movies"],
        b"{\"id\":1,\"title\":\"Heat\",\"credits\":[]}\n{\"id\":2}\n",
    );
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("stdin:1: field \"credits\" is not an object (found a list)"),
        "{run}"
    );
    assert!(
        run.stderr
            .contains("stdin:2: field \"title\" is missing: not a movie record"),
        "{run}"
    );
    // A genre line and a gone line that are arrays: rejected, not read as records.
    load_with_input(&dir, &["--kind", "genres"], b"[902,\"x\"]\n").expect_code(1);
    load_with_input(&dir, &["--kind", "gone"], b"[1,\"movie\"]\n").expect_code(1);
    let after = contents(&db(&dir));
    assert!(before == after, "a refused line changed the mirror");
}

#[test]
fn a_line_over_max_line_is_rejected_by_its_start_and_length_and_the_rest_loads() {
    let dir = Workdir::new("load-max-line");
    let huge = format!(
        "{{\"id\":3,\"title\":\"{}\"}}",
        "x".repeat(8 << 20) // 8 MB
    );
    let input = format!("{{\"id\":1,\"title\":\"One\"}}\n{huge}\n{{\"id\":2,\"title\":\"Two\"}}\n");
    dir.write("movies.ndjson", &input);
    let run = load(
        &dir,
        &[
            "--kind",
            "movies",
            "--max-line",
            "1048576",
            "--rejects",
            "rejects.ndjson",
            "movies.ndjson",
        ],
    );
    run.expect_code(1);
    assert!(
        run.stderr.contains(&format!(
            "movies.ndjson:2: line of {} bytes is over the --max-line limit",
            huge.len()
        )),
        "{run}"
    );
    let rejects = read_ndjson(&dir.join("rejects.ndjson"));
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["length"], huge.len() as u64);
    assert_eq!(rejects[0]["text"].as_str().unwrap(), &huge[..1024]);
    assert_eq!(
        count(&db(&dir), "SELECT count(*) FROM movie WHERE id IN (1, 2)"),
        2
    );
}

#[test]
fn a_load_waiting_for_another_writer_says_so_once_then_loads() {
    let dir = Workdir::new("load-locked");
    load_with_input(
        &dir,
        &["--kind", "genres"],
        b"{\"id\":28,\"name\":\"Action\"}\n",
    )
    .expect_success();
    // Another writer (this test's own connection, a second process for ndjson-load) holds a
    // write transaction.
    let holder = db(&dir);
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    holder
        .execute("UPDATE genre SET name = 'Action!' WHERE id = 28", [])
        .unwrap();
    let mut child = Command::new(bin("ndjson-load"))
        .current_dir(&dir.path)
        .env_remove("DB")
        .args(["--db", "tmdb.db", "--kind", "genres"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"id\":18,\"name\":\"Drama\"}\n")
        .unwrap(); // and closed: the input is whole
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut first).unwrap();
    assert_eq!(
        first,
        "ndjson-load: waiting for tmdb.db: locked by another writer\n"
    );
    // Only once it has said so does the other writer let go.
    holder.execute_batch("COMMIT").unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(child.wait().unwrap().success(), "{rest}");
    assert!(!rest.contains("waiting"), "said more than once: {rest}");
    assert!(rest.contains("inserted 1"), "{rest}");
    assert_eq!(
        rows(&holder, "SELECT id, name FROM genre ORDER BY id"),
        [
            [Value::Integer(18), text("Drama")],
            [Value::Integer(28), text("Action!")],
        ]
    );
}
