//! Comparing a record rebuilt from the mirror's tables with the line it was loaded from: the
//! whole-record contract (docs/data-contract.md) in one assertion.

use rusqlite::Connection;
use serde_json::Value;
use tmdb_core::record::{rebuild, spec};

/// The first place where `got` and `want` differ as JSON (key order free, numbers by value:
/// SQLite keeps a vote average of 0 as 0.0), or None when they are the same.
pub fn json_difference(got: &Value, want: &Value, path: &str) -> Option<String> {
    match (got, want) {
        (Value::Number(a), Value::Number(b)) => {
            (a.as_f64() != b.as_f64()).then(|| format!("{path}: {a} != {b}"))
        }
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().chain(b.keys()) {
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => {
                        if let Some(d) = json_difference(x, y, &format!("{path}.{key}")) {
                            return Some(d);
                        }
                    }
                    (Some(_), None) => return Some(format!("{path}.{key}: not in the line")),
                    (None, _) => return Some(format!("{path}.{key}: missing from the rebuild")),
                }
            }
            None
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                return Some(format!("{path}: {} items != {}", a.len(), b.len()));
            }
            a.iter()
                .zip(b)
                .enumerate()
                .find_map(|(i, (x, y))| json_difference(x, y, &format!("{path}[{i}]")))
        }
        (a, b) => (a != b).then(|| format!("{path}: {a} != {b}")),
    }
}

/// The appends a record line holds, as `append_to_response` would name them.
pub fn appends_of(line: &Value, known: &[&'static str]) -> Vec<&'static str> {
    known
        .iter()
        .copied()
        .filter(|name| line.get(*name).is_some())
        .collect()
}

/// Asserts that the movie or person of `line` rebuilds from `conn` to exactly `line`, asking
/// for the appends it has.
pub fn assert_rebuilds(conn: &Connection, kind: &str, line: &Value) {
    let id = line["id"].as_i64().expect("a record with an id");
    let got = match kind {
        "movie" => rebuild::movie(conn, id, &appends_of(line, spec::MOVIE_APPENDS)),
        "person" => rebuild::person(conn, id, &appends_of(line, spec::PERSON_APPENDS)),
        other => panic!("unknown kind {other}"),
    }
    .expect("the rebuild reads the database")
    .unwrap_or_else(|| panic!("{kind} {id} is not in the mirror"));
    if let Some(difference) = json_difference(&got, line, "") {
        panic!("{kind} {id} does not rebuild to its line: {difference}");
    }
}
