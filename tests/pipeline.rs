//! The pipeline: the real Makefile targets (`make mirror`, `refetch-failed`, `update`,
//! `export`, `demo`) driving the real binaries against tmdb-sim with faults on, each mirror
//! compared field by field with the simulator's ground truth (`tmdb-sim --dump`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use serde_json::Value;

use crate::util::{Run, Sim, Workdir, read_ndjson, repo_root, run_with_input};

/// The simulator's date for these tests: the export file name and the change-list windows.
const DAY0: &str = "2026-01-15";
const TOKEN: &str = "pipeline-test-token";

/// `make TARGET VARS...` in the repository, against `sim`, writing into `data`.
fn make_cmd(sim: &Sim, data: &Path, target: &str, vars: &[&str]) -> Command {
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

fn make(sim: &Sim, data: &Path, target: &str, vars: &[&str]) -> Run {
    run_with_input(
        make_cmd(sim, data, target, vars),
        b"",
        Duration::from_secs(600),
    )
}

fn sim_args(movies: &str, fault_rate: &str) -> Vec<String> {
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

fn start_sim(args: &[String]) -> Sim {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Sim::start(&args)
}

/// The simulator's ground truth at `day`.
struct Truth {
    movies: BTreeMap<u64, Value>,
    people: BTreeMap<u64, Value>,
    gone_people: BTreeSet<u64>,
}

impl Truth {
    fn load(sim: &Sim, day: u32, work: &Workdir) -> Truth {
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
    fn exported_movies(&self) -> BTreeSet<u64> {
        self.movies
            .iter()
            .filter(|(_, m)| m["adult"] != Value::Bool(true))
            .map(|(id, _)| *id)
            .collect()
    }
}

fn credit_ids(movie: &Value) -> BTreeSet<String> {
    ["cast", "crew"]
        .iter()
        .flat_map(|k| movie["credits"][k].as_array().cloned().unwrap_or_default())
        .map(|c| c["credit_id"].as_str().unwrap().to_owned())
        .collect()
}

fn person_ids(movie: &Value) -> BTreeSet<u64> {
    ["cast", "crew"]
        .iter()
        .flat_map(|k| movie["credits"][k].as_array().cloned().unwrap_or_default())
        .map(|c| c["id"].as_u64().unwrap())
        .collect()
}

fn ids(conn: &Connection, sql: &str) -> BTreeSet<u64> {
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| r.get::<_, i64>(0))
        .unwrap()
        .map(|r| r.unwrap() as u64)
        .collect()
}

/// A TMDB text field as the mirror stores it: `""` and null both mean "none".
fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn db_text(conn: &Connection, sql: &str, id: u64) -> Vec<Option<String>> {
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

const MOVIE_TEXT: &[&str] = &[
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
const PEOPLE_TEXT: &[&str] = &[
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
fn assert_mirror_matches(db: &Path, truth: &Truth, movies: &BTreeSet<u64>) {
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
        credited.extend(person_ids(m));
    }

    let live: BTreeSet<u64> = credited
        .iter()
        .filter(|p| truth.people.contains_key(p))
        .copied()
        .collect();
    let people = ids(&conn, "SELECT id FROM people");
    assert_eq!(
        people.len(),
        live.len(),
        "people count; missing {:?}, extra {:?}",
        live.difference(&people).take(10).collect::<Vec<_>>(),
        people.difference(&live).take(10).collect::<Vec<_>>()
    );
    assert_eq!(people, live);
    let gone = ids(&conn, "SELECT id FROM gone WHERE kind = 'person'");
    let want_gone: BTreeSet<u64> = credited.intersection(&truth.gone_people).copied().collect();
    assert_eq!(gone, want_gone, "people recorded gone");

    let people_sql = format!(
        "SELECT {} FROM people WHERE id = ?1",
        PEOPLE_TEXT.join(", ")
    );
    for id in &live {
        let p = &truth.people[id];
        let expected: Vec<Option<String>> = PEOPLE_TEXT.iter().map(|f| text(&p[*f])).collect();
        assert_eq!(
            db_text(&conn, &people_sql, *id),
            expected,
            "person {id} fields"
        );
    }
}

/// How many times the simulator delivered each movie (or person) with a 200.
fn deliveries(sim: &Sim, kind: &str) -> BTreeMap<u64, u64> {
    let stats = sim.stats();
    stats["deliveries"][kind]
        .as_object()
        .unwrap_or_else(|| panic!("/__stats has no deliveries.{kind}: {stats}"))
        .iter()
        .map(|(id, n)| (id.parse().unwrap(), n.as_u64().unwrap()))
        .collect()
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

#[test]
fn mirror_with_faults_equals_the_ground_truth_and_reruns_fetch_nothing() {
    let work = Workdir::new("pipeline-mirror");
    let sim = start_sim(&sim_args("400", "0.05"));
    let data = work.join("data");
    let run = make(&sim, &data, "mirror", &[&format!("TODAY={DAY0}")]);
    run.expect_success();
    assert!(
        run.stdout.contains("mirror ") && run.stdout.contains(" movies,"),
        "make mirror ends with the summary\n{run}"
    );
    let truth = Truth::load(&sim, 0, &work);
    let movies = truth.exported_movies();
    assert!(
        movies.len() > 300,
        "a 400-movie catalog exports {}",
        movies.len()
    );
    assert_eq!(
        lines(&data.join("movies.failed.ndjson")),
        0,
        "no movie failed for good\n{run}"
    );
    assert_mirror_matches(&data.join("tmdb.db"), &truth, &movies);

    // One request per movie and per person that answered: faults were retried, never
    // refetched once delivered.
    let twice: Vec<_> = deliveries(&sim, "movie")
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(twice.is_empty(), "movies delivered twice: {twice:?}");

    // A finished mirror has nothing left to do.
    let before = sim.stats()["requests"].as_u64().unwrap();
    make(&sim, &data, "mirror", &[&format!("TODAY={DAY0}")]).expect_success();
    assert_eq!(
        sim.stats()["requests"].as_u64().unwrap(),
        before,
        "a re-run made requests"
    );

    // make export: one CSV per table, a header plus one line per row.
    make(&sim, &data, "export", &[]).expect_success();
    let csv = std::fs::read_to_string(data.join("export/movie.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(reader.records().count(), movies.len());
    assert!(data.join("export/credit.csv").exists() && data.join("export/people.csv").exists());
}

#[test]
fn limit_mirrors_a_prefix_and_a_longer_run_resumes_from_it() {
    let work = Workdir::new("pipeline-limit");
    let sim = start_sim(&sim_args("300", "0.02"));
    let data = work.join("data");
    let today = format!("TODAY={DAY0}");
    make(&sim, &data, "mirror", &[&today, "LIMIT=40"]).expect_success();
    let conn = Connection::open(data.join("tmdb.db")).unwrap();
    let first = ids(&conn, "SELECT id FROM movie");
    let gone_first = ids(&conn, "SELECT id FROM gone WHERE kind = 'movie'");
    assert_eq!(
        first.len() + gone_first.len(),
        40,
        "LIMIT=40 mirrors the first 40 IDs"
    );
    drop(conn);

    make(&sim, &data, "mirror", &[&today]).expect_success();
    let truth = Truth::load(&sim, 0, &work);
    assert_mirror_matches(&data.join("tmdb.db"), &truth, &truth.exported_movies());
    let twice: Vec<_> = deliveries(&sim, "movie")
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(twice.is_empty(), "the longer run refetched {twice:?}");
}

/// Starts `make mirror` in its own process group, so that a kill reaches make and every tool
/// it runs, like Ctrl-\ or a crash of the whole session would.
fn spawn_make(sim: &Sim, data: &Path) -> Child {
    use std::os::unix::process::CommandExt;
    let mut cmd = make_cmd(sim, data, "mirror", &[&format!("TODAY={DAY0}")]);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    cmd.spawn().unwrap()
}

fn kill_group(child: &mut Child) {
    let status = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .status()
        .unwrap();
    assert!(status.success(), "kill -KILL the make process group");
    let _ = child.wait();
}

/// Waits until `path` holds at least `n` lines (or make finished); false if make finished.
fn wait_for_lines(child: &mut Child, path: &Path, n: usize) -> bool {
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

#[test]
fn kill_9_of_make_at_several_points_then_a_rerun_gives_the_same_mirror() {
    let work = Workdir::new("pipeline-kill");
    let sim = start_sim(&sim_args("500", "0.03"));
    let data = work.join("data");
    let movies_part: PathBuf = data.join("movies.ndjson.part");
    let people_part: PathBuf = data.join("people.ndjson.part");

    // Kill during stage 3, twice, then during stage 5.
    let mut kills = 0;
    for (path, at) in [(&movies_part, 60), (&movies_part, 250), (&people_part, 200)] {
        let mut make_run = spawn_make(&sim, &data);
        if wait_for_lines(&mut make_run, path, at) {
            kill_group(&mut make_run);
            kills += 1;
        }
    }
    assert!(
        kills >= 2,
        "the pipeline finished before it could be killed"
    );
    let run = make(&sim, &data, "mirror", &[&format!("TODAY={DAY0}")]);
    run.expect_success();

    let truth = Truth::load(&sim, 0, &work);
    assert_mirror_matches(&data.join("tmdb.db"), &truth, &truth.exported_movies());
    // A kill loses at most what was in flight (CONCURRENCY=16 requests) and never a record
    // already written: anything delivered again is bounded by that.
    for kind in ["movie", "person"] {
        let again: u64 = deliveries(&sim, kind).values().map(|n| n - 1).sum();
        assert!(
            again <= 16 * kills,
            "{again} {kind} records were delivered again after {kills} kills"
        );
    }
}

#[test]
fn refetch_failed_retries_exactly_the_failed_ids() {
    let work = Workdir::new("pipeline-refetch");
    let sim = start_sim(&sim_args("300", "0.15"));
    let data = work.join("data");
    let today = format!("TODAY={DAY0}");
    // No retries: with 15% faults some IDs fail, and the pipeline still finishes.
    make(&sim, &data, "mirror", &[&today, "RETRIES=0"]).expect_success();
    let failed: BTreeSet<u64> = read_ndjson(&data.join("movies.failed.ndjson"))
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert!(
        !failed.is_empty(),
        "15% faults with no retries left no failed movie"
    );
    let before = deliveries(&sim, "movie");

    make(&sim, &data, "refetch-failed", &["RETRIES=10"]).expect_success();
    let after = deliveries(&sim, "movie");
    let refetched: BTreeSet<u64> = after
        .iter()
        .filter(|(id, n)| before.get(id).copied().unwrap_or(0) < **n)
        .map(|(id, _)| *id)
        .collect();
    assert!(
        refetched.is_subset(&failed),
        "refetched IDs that had not failed: {:?}",
        refetched.difference(&failed).collect::<Vec<_>>()
    );
    assert_eq!(lines(&data.join("movies.failed.ndjson")), 0);

    let truth = Truth::load(&sim, 0, &work);
    assert_mirror_matches(&data.join("tmdb.db"), &truth, &truth.exported_movies());
}

#[test]
fn make_demo_runs_to_completion_offline() {
    let work = Workdir::new("pipeline-demo");
    let data = work.join("data");
    let mut cmd = Command::new("make");
    cmd.current_dir(repo_root())
        .args(["--no-print-directory", "demo", "SERVE=0", "BUILD=0"])
        .arg(format!("DATA={}", data.display()))
        .env_remove("TMDB_TOKEN")
        .env_remove("TMDB_API_URL")
        .env_remove("TMDB_EXPORT_URL")
        .env_remove("MAKEFLAGS");
    let run = run_with_input(cmd, b"", Duration::from_secs(600));
    run.expect_success();
    assert!(
        run.stdout.contains("mirror "),
        "demo prints what was mirrored\n{run}"
    );
    let conn = Connection::open(data.join("demo/tmdb.db")).unwrap();
    let movies: i64 = conn
        .query_row("SELECT count(*) FROM movie", [], |r| r.get(0))
        .unwrap();
    let people: i64 = conn
        .query_row("SELECT count(*) FROM people", [], |r| r.get(0))
        .unwrap();
    assert!(movies > 1800, "demo mirrored {movies} movies\n{run}");
    assert!(people > 1000, "demo mirrored {people} people\n{run}");
}
