//! tmdb-export: every table of a real mirror (tmdb-sim's catalog loaded by ndjson-load) read
//! back from Parquet with the parquet crate and compared with the database row by row and type
//! by type; NDJSON; a kill -9 in the middle of a table; bad usage. See: issue #19.

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rusqlite::Connection;
use rusqlite::types::Value as Sql;

use crate::util::{Run, Workdir, bin, read_ndjson, run};

fn export(dir: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tmdb-export"));
    cmd.current_dir(dir)
        .env_remove("DB")
        .env_remove("DB_URL")
        .args(args);
    run(cmd)
}

/// A mirror of tmdb-sim's catalog (whole records: every table has rows), loaded by ndjson-load.
fn sim_mirror(dir: &Workdir) -> PathBuf {
    let dump = dir.join("dump");
    let mut sim = Command::new(bin("tmdb-sim"));
    sim.args(["--movies", "150", "--seed", "19", "--dump"])
        .arg(&dump);
    run(sim).expect_success();
    // The movie ID list and the gone list as tmdb-fetch writes them.
    let movies = read_ndjson(&dump.join("movies.ndjson"));
    let ids: String = movies
        .iter()
        .map(|m| {
            format!(
                "{{\"id\":{},\"adult\":false,\"video\":false,\"popularity\":{},\"original_title\":{}}}\n",
                m["id"], m["popularity"], m["original_title"]
            )
        })
        .collect();
    dir.write("movie_ids.ndjson", ids);
    let gone: String = read_ndjson(&dump.join("gone_movies.ndjson"))
        .iter()
        .map(|g| format!("{{\"id\":{},\"kind\":\"movie\"}}\n", g["id"]))
        .collect();
    dir.write("gone.ndjson", gone);
    let db = dir.join("tmdb.db");
    for (kind, file) in [
        ("genres", dump.join("genres.ndjson")),
        ("movie-ids", dir.join("movie_ids.ndjson")),
        ("movies", dump.join("movies.ndjson")),
        ("people", dump.join("people.ndjson")),
        ("gone", dir.join("gone.ndjson")),
    ] {
        let mut load = Command::new(bin("ndjson-load"));
        load.arg("--db").arg(&db).args(["--kind", kind]).arg(file);
        run(load).expect_success();
    }
    db
}

/// The tables the export must write: every table of the schema but the derived ones (the
/// full-text indexes and their shadow tables, the genre listing index) and the loader's
/// bookkeeping (indexes still to build, how far it loaded each stage file).
fn tables(conn: &Connection) -> BTreeSet<String> {
    let mut stmt = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name NOT LIKE '%_fts%' \
             AND name NOT IN ('genre_movie_by_date', 'deferred_index', 'load_checkpoint')",
        )
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The batches of a Parquet file, read with the parquet crate.
fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .build()
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// A value as both sides can state it.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Int(i64),
    /// A double by its bits: the same double, not a close one.
    Real(u64),
    Bool(bool),
    /// Days since 1970-01-01.
    Date(i32),
    Text(String),
    List(Vec<String>),
}

fn parquet_cell(array: &dyn Array, i: usize) -> Cell {
    if array.is_null(i) {
        return Cell::Null;
    }
    match array.data_type() {
        DataType::Int64 => Cell::Int(array.as_primitive::<Int64Type>().value(i)),
        DataType::Float64 => Cell::Real(array.as_primitive::<Float64Type>().value(i).to_bits()),
        DataType::Boolean => Cell::Bool(array.as_boolean().value(i)),
        DataType::Date32 => Cell::Date(array.as_primitive::<Date32Type>().value(i)),
        DataType::Utf8 => Cell::Text(array.as_string::<i32>().value(i).to_owned()),
        DataType::List(_) => {
            let items = array.as_list::<i32>().value(i);
            let items = items.as_string::<i32>();
            Cell::List(
                (0..items.len())
                    .map(|j| items.value(j).to_owned())
                    .collect(),
            )
        }
        other => panic!("unexpected column type {other}"),
    }
}

/// The database's value, as the column's Parquet type states it. Dates are counted by SQLite
/// (julianday), lists parsed by serde_json: nothing of tmdb-export's own code.
fn sql_cell(value: Sql, ty: &DataType) -> Cell {
    match (value, ty) {
        (Sql::Null, _) => Cell::Null,
        (Sql::Integer(n), DataType::Int64 | DataType::Date32) => {
            if matches!(ty, DataType::Date32) {
                Cell::Date(n as i32)
            } else {
                Cell::Int(n)
            }
        }
        (Sql::Integer(n), DataType::Boolean) => {
            assert!(n == 0 || n == 1, "boolean column holds {n}");
            Cell::Bool(n == 1)
        }
        (Sql::Real(x), DataType::Float64) => Cell::Real(x.to_bits()),
        (Sql::Text(t), DataType::Utf8) => Cell::Text(t),
        (Sql::Text(t), DataType::List(_)) => Cell::List(serde_json::from_str(&t).unwrap()),
        (value, ty) => panic!("database value {value:?} in a {ty} column"),
    }
}

/// Compares `table`'s Parquet file with the database, row by row, in the table's storage order
/// (primary key for a WITHOUT ROWID table, rowid otherwise); returns the rows compared.
fn assert_table_matches(conn: &Connection, table: &str, path: &Path) -> usize {
    let batches = read_parquet(path);
    let schema = batches
        .first()
        .map(|b| b.schema())
        .unwrap_or_else(|| panic!("{table}: no rows in {}", path.display()));
    let columns: Vec<String> = conn
        .prepare(&format!(
            "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
        ))
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let names: Vec<&String> = schema.fields().iter().map(|f| f.name()).collect();
    assert_eq!(
        names,
        columns.iter().collect::<Vec<_>>(),
        "{table}: columns"
    );
    let select: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Date32 => {
                format!("CAST(julianday(\"{0}\") - 2440587.5 AS INTEGER)", f.name())
            }
            _ => format!("\"{}\"", f.name()),
        })
        .collect();
    let without_rowid: bool = conn
        .query_row(
            "SELECT wr FROM pragma_table_list WHERE name = ?1",
            [table],
            |r| r.get(0),
        )
        .unwrap();
    let order = if without_rowid {
        let keys: Vec<String> = conn
            .prepare(&format!(
                "SELECT name FROM pragma_table_info('{table}') WHERE pk > 0 ORDER BY pk"
            ))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        keys.join(", ")
    } else {
        "rowid".to_owned()
    };
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {} FROM {table} ORDER BY {order}",
            select.join(", ")
        ))
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    let mut n = 0;
    for batch in &batches {
        for i in 0..batch.num_rows() {
            let row = rows
                .next()
                .unwrap()
                .unwrap_or_else(|| panic!("{table}: more rows in Parquet"));
            for (c, field) in schema.fields().iter().enumerate() {
                let want = sql_cell(row.get(c).unwrap(), field.data_type());
                let got = parquet_cell(batch.column(c).as_ref(), i);
                assert_eq!(got, want, "{table} row {} column {}", n + 1, field.name());
            }
            n += 1;
        }
    }
    assert!(
        rows.next().unwrap().is_none(),
        "{table}: more rows in the database"
    );
    n
}

/// The Parquet type of `table.column`.
fn column_type(dir: &Path, table: &str, column: &str) -> DataType {
    let batches = read_parquet(&dir.join(format!("{table}.parquet")));
    let schema = batches[0].schema();
    schema
        .field_with_name(column)
        .unwrap_or_else(|e| panic!("{table}.{column}: {e}"))
        .data_type()
        .clone()
}

#[test]
fn parquet_files_equal_the_database_table_by_table_row_by_row_type_by_type() {
    let dir = Workdir::new("export-parquet");
    let db = sim_mirror(&dir);
    let out = export(
        &dir.path,
        &[
            "--db",
            db.to_str().unwrap(),
            "--format",
            "parquet",
            "--out",
            "pq",
        ],
    );
    out.expect_success();
    let conn = Connection::open(&db).unwrap();
    let want = tables(&conn);
    let written: BTreeSet<String> = std::fs::read_dir(dir.join("pq"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let want_files: BTreeSet<String> = want.iter().map(|t| format!("{t}.parquet")).collect();
    assert_eq!(written, want_files, "{out}");
    for table in &want {
        let rows = assert_table_matches(&conn, table, &dir.join(format!("pq/{table}.parquet")));
        assert!(
            out.stderr
                .contains(&format!("tmdb-export: {table}: {rows} rows to ")),
            "{out}"
        );
    }

    // Types from the schema and the record description: booleans, lists of strings, dates
    // where every value is one, strings where TMDB sent "" for an unknown date.
    let pq = dir.join("pq");
    let list = DataType::List(std::sync::Arc::new(arrow_schema::Field::new_list_field(
        DataType::Utf8,
        true,
    )));
    for (table, column, ty) in [
        ("movie", "id", DataType::Int64),
        ("movie", "adult", DataType::Boolean),
        ("movie", "softcore", DataType::Boolean),
        ("movie", "budget", DataType::Int64),
        ("movie", "popularity", DataType::Float64),
        ("movie", "origin_country", list.clone()),
        ("movie", "release_date", DataType::Utf8),
        ("movie", "extra", DataType::Utf8),
        ("people", "birthday", DataType::Date32),
        ("people", "also_known_as", list.clone()),
        ("release_date", "descriptors", list),
        ("video", "official", DataType::Boolean),
        ("image", "aspect_ratio", DataType::Float64),
        ("credit", "kind", DataType::Utf8),
        ("gone", "gone_at", DataType::Utf8),
    ] {
        assert_eq!(column_type(&pq, table, column), ty, "{table}.{column}");
    }
    // Both "" and NULL are in the mirror and stay apart (the row comparison holds them).
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert!(count("SELECT count(*) FROM movie WHERE homepage = ''") > 0);
    assert!(count("SELECT count(*) FROM credit WHERE character = ''") > 0);
    assert!(count("SELECT count(*) FROM credit WHERE character IS NULL") > 0);
    assert!(count("SELECT count(*) FROM movie WHERE release_date = ''") > 0);
    assert!(count("SELECT count(*) FROM people WHERE birthday IS NULL") > 0);
}

#[test]
fn ndjson_writes_one_typed_object_per_row() {
    let dir = Workdir::new("export-ndjson");
    let db = sim_mirror(&dir);
    let out = export(
        &dir.path,
        &[
            "--db",
            db.to_str().unwrap(),
            "--format",
            "ndjson",
            "--out",
            "j",
            "movie",
            "people",
        ],
    );
    out.expect_success();
    let conn = Connection::open(&db).unwrap();
    let lines = read_ndjson(&dir.join("j/movie.ndjson"));
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM movie ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let got: Vec<i64> = lines.iter().map(|l| l["id"].as_i64().unwrap()).collect();
    assert_eq!(got, ids);
    for line in &lines {
        let id = line["id"].as_i64().unwrap();
        let (adult, homepage, origin): (i64, Option<String>, Option<String>) = conn
            .query_row(
                "SELECT adult, homepage, origin_country FROM movie WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(line["adult"], serde_json::json!(adult == 1), "{line}");
        assert_eq!(line["homepage"], serde_json::json!(homepage), "{line}");
        let origin: serde_json::Value = origin.map_or(serde_json::Value::Null, |o| {
            serde_json::from_str(&o).unwrap()
        });
        assert!(origin.is_null() || origin.is_array());
        assert_eq!(line["origin_country"], origin, "{line}");
    }
    assert!(lines.iter().any(|l| l["homepage"] == ""));
    assert!(lines.iter().any(|l| l["imdb_id"].is_null()));
    let people = read_ndjson(&dir.join("j/people.ndjson"));
    let count: i64 = conn
        .query_row("SELECT count(*) FROM people", [], |r| r.get(0))
        .unwrap();
    assert_eq!(people.len() as i64, count);
    assert!(people.iter().all(|p| p["also_known_as"].is_array()));
}

#[test]
fn a_value_that_does_not_fit_its_column_type_turns_the_column_into_strings() {
    let dir = Workdir::new("export-misfit");
    let db = dir.join("tmdb.db");
    let conn = tmdb_core::db::open(&db).unwrap();
    // SQLite keeps text in an INTEGER column; every release date here is a date.
    conn.execute_batch(
        "INSERT INTO movie (id, title, runtime, release_date, homepage) VALUES
             (1, 'One', 120, '1999-12-31', ''),
             (2, 'Two', 'about two hours', '2000-02-29', NULL),
             (3, 'Three', NULL, NULL, 'https://example.org');",
    )
    .unwrap();
    drop(conn);
    let out = export(
        &dir.path,
        &[
            "--db",
            db.to_str().unwrap(),
            "--format",
            "parquet",
            "--out",
            "pq",
            "movie",
        ],
    );
    out.expect_success();
    assert!(
        out.stderr.contains(
            "tmdb-export: movie.runtime: row 2 holds text \"about two hours\", not an integer: \
             the column is exported as strings\n"
        ),
        "{out}"
    );
    let pq = dir.join("pq");
    assert_eq!(column_type(&pq, "movie", "runtime"), DataType::Utf8);
    assert_eq!(column_type(&pq, "movie", "release_date"), DataType::Date32);
    let batch = &read_parquet(&pq.join("movie.parquet"))[0];
    let cells = |name: &str| -> Vec<Cell> {
        let col = batch.column_by_name(name).unwrap();
        (0..batch.num_rows())
            .map(|i| parquet_cell(col.as_ref(), i))
            .collect()
    };
    assert_eq!(
        cells("runtime"),
        [
            Cell::Text("120".into()),
            Cell::Text("about two hours".into()),
            Cell::Null
        ]
    );
    assert_eq!(
        cells("release_date"),
        [Cell::Date(10_956), Cell::Date(11_016), Cell::Null]
    );
    assert_eq!(
        cells("homepage"),
        [
            Cell::Text(String::new()),
            Cell::Null,
            Cell::Text("https://example.org".into())
        ]
    );
    assert!(!pq.join("movie.parquet.part").exists());
}

#[test]
fn kill_9_during_an_export_leaves_no_half_file_under_a_final_name() {
    let dir = Workdir::new("export-kill");
    let db = dir.join("tmdb.db");
    let conn = tmdb_core::db::open(&db).unwrap();
    // A credit table long enough to be caught in the middle: incompressible names.
    conn.execute_batch(
        "INSERT INTO genre (id, name) VALUES (18, 'Drama'), (35, 'Comedy');
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
         INSERT INTO movie (id, title) SELECT i, 'Movie ' || i FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
         INSERT INTO credit (credit_id, movie_id, person_id, kind, name, adult)
         SELECT printf('c%08d', i), 1 + i % 100, i, 'cast', hex(randomblob(24)), 0 FROM n;",
    )
    .unwrap();
    drop(conn);
    let args = [
        "--db",
        db.to_str().unwrap(),
        "--format",
        "parquet",
        "--out",
        "pq",
        "genre",
        "credit",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_tmdb-export"))
        .current_dir(&dir.path)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let part = dir.join("pq/credit.parquet.part");
    let started = Instant::now();
    while !part.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the export finished before the kill"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no {}",
            part.display()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(9),
        "the export finished before the kill"
    );
    assert!(!dir.join("pq/credit.parquet").exists());
    let conn = Connection::open(&db).unwrap();
    assert_eq!(
        assert_table_matches(&conn, "genre", &dir.join("pq/genre.parquet")),
        2
    );

    // The same command again finishes the job over the leftover .part.
    export(&dir.path, &args).expect_success();
    assert!(!part.exists());
    assert_eq!(
        assert_table_matches(&conn, "credit", &dir.join("pq/credit.parquet")),
        1_000_000
    );
}

#[test]
fn bad_format_and_unwritable_folder_exit_2_with_one_line() {
    let dir = Workdir::new("export-usage");
    let db = dir.join("tmdb.db");
    drop(tmdb_core::db::open(&db).unwrap());
    let out = export(&dir.path, &["--db", "tmdb.db", "--format", "xml"]);
    out.expect_code(2);
    assert_eq!(
        out.stderr,
        "tmdb-export: invalid value 'xml' for '--format <FORMAT>' \
         [possible values: csv, parquet, ndjson]\n",
        "{out}"
    );
    // A file where the folder should be: no user, root included, can write into it.
    dir.write("taken", "not a folder");
    for format in ["csv", "parquet", "ndjson"] {
        let out = export(
            &dir.path,
            &[
                "--db",
                "tmdb.db",
                "--format",
                format,
                "--out",
                "taken/export",
            ],
        );
        out.expect_code(2);
        assert_eq!(out.stderr.lines().count(), 1, "{out}");
        assert!(
            out.stderr
                .starts_with("tmdb-export: cannot create folder taken/export: "),
            "{out}"
        );
        assert!(out.stdout.is_empty(), "{out}");
    }
}
