//! Mirrors built by the real Makefile against tmdb-sim, and their comparison with the
//! simulator's ground truth (`tmdb-sim --dump`): shared by the pipeline and update tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use serde_json::Value;

use super::{Run, Sim, Workdir, read_ndjson, repo_root, run_with_input};

/// The simulator's date for these tests: the export file name and the change-list windows.
pub const DAY0: &str = "2026-01-15";
pub const TOKEN: &str = "pipeline-test-token";

/// `make TARGET VARS...` in the repository, against `sim`, writing into `data`.
pub fn make_cmd(sim: &Sim, data: &Path, target: &str, vars: &[&str]) -> Command {
    let mut cmd = Command::new("make");
    cmd.current_dir(repo_root())
        .arg("--no-print-directory")
        .arg(target)
        .arg(format!("DATA={}", data.display()))
        .arg("BUILD=0")
        .arg("RATE=2000")
        .arg("CONCURRENCY=16")
        .args(vars)
        .env("TMDB_TOKEN", TOKEN)
        .env("TMDB_API_URL", sim.api_url())
        .env("TMDB_EXPORT_URL", sim.export_url())
        .env_remove("BEARER_TOKEN")
        .env_remove("DB")
        .env_remove("MAKEFLAGS");
    cmd
}

pub fn make(sim: &Sim, data: &Path, target: &str, vars: &[&str]) -> Run {
    run_with_input(
        make_cmd(sim, data, target, vars),
        b"",
        Duration::from_secs(600),
    )
}

pub fn sim_args(movies: &str, fault_rate: &str) -> Vec<String> {
    [
        "--movies",
        movies,
        "--seed",
        "11",
        "--fault-rate",
        fault_rate,
        "--stall-ms",
        "200",
        "--token",
        TOKEN,
        "--today",
        DAY0,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

pub fn start_sim(args: &[String]) -> Sim {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Sim::start(&args)
}

/// The simulator's ground truth at `day`.
pub struct Truth {
    pub movies: BTreeMap<u64, Value>,
    pub people: BTreeMap<u64, Value>,
    pub gone_people: BTreeSet<u64>,
}

impl Truth {
    pub fn load(sim: &Sim, day: u32, work: &Workdir) -> Truth {
        let dir = work.join(format!("truth-{day}"));
        sim.dump(day, &dir);
        let by_id = |name: &str| -> BTreeMap<u64, Value> {
            read_ndjson(&dir.join(name))
                .into_iter()
                .map(|v| (v["id"].as_u64().expect("dump line with an id"), v))
                .collect()
        };
        Truth {
            movies: by_id("movies.ndjson"),
            people: by_id("people.ndjson"),
            gone_people: by_id("gone_people.ndjson").into_keys().collect(),
        }
    }

    /// The movies a mirror built from the (non-adult) export holds.
    pub fn exported_movies(&self) -> BTreeSet<u64> {
        self.movies
            .iter()
            .filter(|(_, m)| m["adult"] != Value::Bool(true))
            .map(|(id, _)| *id)
            .collect()
    }
}

pub fn credit_ids(movie: &Value) -> BTreeSet<String> {
    ["cast", "crew"]
        .iter()
        .flat_map(|k| movie["credits"][k].as_array().cloned().unwrap_or_default())
        .map(|c| c["credit_id"].as_str().unwrap().to_owned())
        .collect()
}

pub fn person_ids(movie: &Value) -> BTreeSet<u64> {
    ["cast", "crew"]
        .iter()
        .flat_map(|k| movie["credits"][k].as_array().cloned().unwrap_or_default())
        .map(|c| c["id"].as_u64().unwrap())
        .collect()
}

pub fn ids(conn: &Connection, sql: &str) -> BTreeSet<u64> {
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| r.get::<_, i64>(0))
        .unwrap()
        .map(|r| r.unwrap() as u64)
        .collect()
}

/// A TMDB text field as the mirror stores it: `""` and null both mean "none".
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

pub fn db_text(conn: &Connection, sql: &str, id: u64) -> Vec<Option<String>> {
    conn.query_row(sql, [id as i64], |row| {
        (0..row.as_ref().column_count())
            .map(|i| {
                let v: rusqlite::types::Value = row.get(i)?;
                Ok(match v {
                    rusqlite::types::Value::Null => None,
                    rusqlite::types::Value::Text(s) if s.is_empty() => None,
                    rusqlite::types::Value::Text(s) => Some(s),
                    rusqlite::types::Value::Integer(n) => Some(n.to_string()),
                    rusqlite::types::Value::Real(x) => Some(format!("{x}")),
                    rusqlite::types::Value::Blob(_) => Some("<blob>".into()),
                })
            })
            .collect()
    })
    .unwrap_or_else(|e| panic!("row {id} for {sql}: {e}"))
}

pub const MOVIE_TEXT: &[&str] = &[
    "title",
    "original_title",
    "original_language",
    "overview",
    "release_date",
    "runtime",
    "status",
    "imdb_id",
    "homepage",
    "tagline",
    "poster_path",
    "vote_count",
    "budget",
    "revenue",
];
pub const PEOPLE_TEXT: &[&str] = &[
    "name",
    "biography",
    "birthday",
    "deathday",
    "place_of_birth",
    "imdb_id",
    "gender",
    "known_for_department",
    "profile_path",
];

/// Checks that the mirror at `db` holds exactly `movies` (with their genres, credits and
/// fields as the truth has them) and every live person they credit.
pub fn assert_mirror_matches(db: &Path, truth: &Truth, movies: &BTreeSet<u64>) {
    let conn = Connection::open(db).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let mirrored = ids(&conn, "SELECT id FROM movie");
    assert_eq!(
        mirrored.len(),
        movies.len(),
        "movie count; missing {:?}, extra {:?}",
        movies.difference(&mirrored).take(10).collect::<Vec<_>>(),
        mirrored.difference(movies).take(10).collect::<Vec<_>>()
    );
    assert_eq!(&mirrored, movies);

    let movie_sql = format!("SELECT {} FROM movie WHERE id = ?1", MOVIE_TEXT.join(", "));
    let mut credited = BTreeSet::new();
    for id in movies {
        let m = &truth.movies[id];
        let expected: Vec<Option<String>> = MOVIE_TEXT.iter().map(|f| text(&m[*f])).collect();
        assert_eq!(
            db_text(&conn, &movie_sql, *id),
            expected,
            "movie {id} fields {MOVIE_TEXT:?}"
        );
        let pop: f64 = conn
            .query_row(
                "SELECT popularity FROM movie WHERE id = ?1",
                [*id as i64],
                |r| r.get(0),
            )
            .unwrap();
        assert!(
            (pop - m["popularity"].as_f64().unwrap()).abs() < 1e-6,
            "movie {id} popularity"
        );
        let genres = ids(
            &conn,
            &format!("SELECT genre_id FROM movie_genre WHERE movie_id = {id}"),
        );
        let want: BTreeSet<u64> = m["genres"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_u64().unwrap())
            .collect();
        assert_eq!(genres, want, "movie {id} genres");
        let mut stmt = conn
            .prepare_cached("SELECT credit_id FROM credit WHERE movie_id = ?1")
            .unwrap();
        let credits: BTreeSet<String> = stmt
            .query_map([*id as i64], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(credits, credit_ids(m), "movie {id} credits");
        // And the whole record: every field and append, rebuilt from the tables, is the truth.
        super::record::assert_rebuilds(&conn, "movie", m);
        credited.extend(person_ids(m));
    }

    // Every live person the movies credit is mirrored. A person whose last credit an update
    // removed stays (a full mirror would not fetch them; the update keeps them, refreshed when
    // TMDB lists them changed), so the mirror may hold more, but only people TMDB has.
    let live: BTreeSet<u64> = credited
        .iter()
        .filter(|p| truth.people.contains_key(p))
        .copied()
        .collect();
    let people = ids(&conn, "SELECT id FROM people");
    let missing: Vec<_> = live.difference(&people).take(10).collect();
    assert!(missing.is_empty(), "credited people missing: {missing:?}");
    let unknown: Vec<_> = people
        .iter()
        .filter(|p| !truth.people.contains_key(p))
        .take(10)
        .collect();
    assert!(unknown.is_empty(), "people TMDB does not have: {unknown:?}");
    // Every credited person TMDB no longer has is recorded gone, and only such people (an
    // update also records the people it found deleted, whose credits went with their movie).
    let gone = ids(&conn, "SELECT id FROM gone WHERE kind = 'person'");
    let credited_gone: BTreeSet<u64> = credited.intersection(&truth.gone_people).copied().collect();
    assert!(
        credited_gone.is_subset(&gone),
        "credited people recorded gone: want {credited_gone:?}, have {gone:?}"
    );
    assert!(
        gone.is_subset(&truth.gone_people),
        "people recorded gone that TMDB has: {:?}",
        gone.difference(&truth.gone_people).collect::<Vec<_>>()
    );

    let people_sql = format!(
        "SELECT {} FROM people WHERE id = ?1",
        PEOPLE_TEXT.join(", ")
    );
    for id in &people {
        let p = &truth.people[id];
        let expected: Vec<Option<String>> = PEOPLE_TEXT.iter().map(|f| text(&p[*f])).collect();
        assert_eq!(
            db_text(&conn, &people_sql, *id),
            expected,
            "person {id} fields"
        );
        super::record::assert_rebuilds(&conn, "person", p);
    }
}

/// How many times the simulator delivered each movie (or person) with a 200.
pub fn deliveries(sim: &Sim, kind: &str) -> BTreeMap<u64, u64> {
    let stats = sim.stats();
    stats["deliveries"][kind]
        .as_object()
        .unwrap_or_else(|| panic!("/__stats has no deliveries.{kind}: {stats}"))
        .iter()
        .map(|(id, n)| (id.parse().unwrap(), n.as_u64().unwrap()))
        .collect()
}

pub fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

/// Starts `make TARGET` in its own process group, so that a kill reaches make and every tool
/// it runs, like a crash of the whole session would.
pub fn spawn_make(sim: &Sim, data: &Path, target: &str, vars: &[&str]) -> Child {
    use std::os::unix::process::CommandExt;
    let mut cmd = make_cmd(sim, data, target, vars);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    cmd.spawn().unwrap()
}

/// `kill -KILL` to the whole process group of a [`spawn_make`] child.
pub fn kill_group(child: &mut Child) {
    let status = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .status()
        .unwrap();
    assert!(status.success(), "kill -KILL the make process group");
    let _ = child.wait();
}

/// Waits until `path` holds at least `n` lines; false if make finished first.
pub fn wait_for_lines(child: &mut Child, path: &Path, n: usize) -> bool {
    let started = Instant::now();
    while lines(path) < n {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "{} never reached {n} lines",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}
