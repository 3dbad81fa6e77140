//! ndjson-ids: set operations over ID files and the mirror's ID sets, run as the real binary.

use std::process::Command;
use std::time::Duration;

use crate::util::{Run, Workdir, bin, run, run_with_input};

fn ids(dir: &Workdir, args: &[&str]) -> Run {
    let mut cmd = Command::new(bin("ndjson-ids"));
    cmd.current_dir(&dir.path).env_remove("DB").args(args);
    run(cmd)
}

fn id_list(run: &Run) -> Vec<u64> {
    run.json_lines()
        .iter()
        .map(|v| v["id"].as_u64().unwrap())
        .collect()
}

/// A small mirror: movies 1-3, person 10 fetched, persons 10-12 credited, person 12 gone.
fn small_mirror(dir: &Workdir) {
    let conn = tmdb_core::db::open(&dir.join("tmdb.db")).unwrap();
    conn.execute_batch(
        "INSERT INTO movie (id, title) VALUES (1, 'a'), (2, 'b'), (3, 'c');
         INSERT INTO people (id, name) VALUES (10, 'p');
         INSERT INTO credit (credit_id, movie_id, person_id, kind) VALUES
             ('c1', 1, 10, 'cast'), ('c2', 1, 11, 'crew'), ('c3', 2, 11, 'cast'), ('c4', 3, 12, 'crew');
         INSERT INTO gone (kind, id) VALUES ('person', 12), ('movie', 4);",
    )
    .unwrap();
}

#[test]
fn list_unions_files_once_in_ascending_order() {
    let dir = Workdir::new("ids-list");
    dir.write("a.ndjson", "5\n{\"id\":3,\"title\":\"x\"}\n\n5\n");
    dir.write(
        "b.ndjson",
        "{\"id\":1,\"kind\":\"movie\",\"status\":404,\"error\":\"gone\",\"attempts\":1}\n3\n",
    );
    let out = ids(&dir, &["list", "a.ndjson", "b.ndjson"]);
    out.expect_success();
    assert_eq!(out.stdout, "{\"id\":1}\n{\"id\":3}\n{\"id\":5}\n");
}

#[test]
fn bad_lines_are_reported_with_their_position_and_good_ones_kept() {
    let dir = Workdir::new("ids-bad");
    dir.write("a.ndjson", "7\nseven\n{\"id\":\"8\"}\n9\n{\"id\":10,\"tit");
    let out = ids(&dir, &["list", "a.ndjson"]);
    out.expect_code(1);
    assert_eq!(id_list(&out), [7, 9]);
    assert_eq!(
        out.stderr,
        "ndjson-ids: a.ndjson:2: not an ID: expected an integer or a JSON object with an integer \"id\"\n\
         ndjson-ids: a.ndjson:3: field \"id\" is not a positive integer\n\
         ndjson-ids: a.ndjson:5: ignoring a truncated last line\n"
    );
}

#[test]
fn minus_and_common_work_on_mirror_sets() {
    let dir = Workdir::new("ids-db");
    small_mirror(&dir);
    let missing = ids(
        &dir,
        &[
            "--db",
            "tmdb.db",
            "minus",
            "db:credited",
            "db:people",
            "db:gone-people",
        ],
    );
    missing.expect_success();
    assert_eq!(id_list(&missing), [11], "credited, not fetched, not gone");

    dir.write(
        "export.ndjson",
        "{\"id\":2}\n{\"id\":3}\n{\"id\":4}\n{\"id\":5}\n",
    );
    let new = ids(
        &dir,
        &[
            "--db",
            "tmdb.db",
            "minus",
            "export.ndjson",
            "db:movies",
            "db:gone-movies",
        ],
    );
    assert_eq!(
        id_list(new.expect_success()),
        [5],
        "in the export, neither mirrored nor gone"
    );
    let left = ids(
        &dir,
        &[
            "--db",
            "sqlite:///tmdb.db",
            "minus",
            "db:movies",
            "export.ndjson",
        ],
    );
    assert_eq!(
        id_list(left.expect_success()),
        [1],
        "mirrored, no longer exported"
    );
    let both = ids(
        &dir,
        &["--db", "tmdb.db", "common", "export.ndjson", "db:movies"],
    );
    assert_eq!(id_list(both.expect_success()), [2, 3]);
}

#[test]
fn reads_stdin_and_the_db_variable() {
    let dir = Workdir::new("ids-stdin");
    small_mirror(&dir);
    let mut cmd = Command::new(bin("ndjson-ids"));
    cmd.current_dir(&dir.path)
        .env("DB", "tmdb.db")
        .args(["common", "-", "db:movies"]);
    let out = run_with_input(cmd, b"3\n99\n1\n", Duration::from_secs(60));
    assert_eq!(id_list(out.expect_success()), [1, 3]);
}

#[test]
fn usage_and_database_errors_exit_2_with_one_line() {
    let dir = Workdir::new("ids-errors");
    let out = ids(&dir, &["--db", "absent.db", "list", "db:movies"]);
    out.expect_code(2);
    assert_eq!(
        out.stderr,
        "ndjson-ids: database absent.db does not exist: build it with `make mirror` (needs a TMDB token), or run `make demo` and then `make serve DATA=data/demo` to serve the demo's\n"
    );
    let out = ids(&dir, &["list", "nowhere.ndjson"]);
    out.expect_code(2);
    assert!(
        out.stderr
            .starts_with("ndjson-ids: cannot open nowhere.ndjson: "),
        "{out}"
    );
    assert_eq!(out.stderr.lines().count(), 1, "{out}");
    ids(&dir, &["list", "db:films"]).expect_code(2);
}
