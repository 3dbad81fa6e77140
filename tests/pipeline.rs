//! The pipeline: the real Makefile targets (`make mirror`, `refetch-failed`, `update`,
//! `export`, `demo`) driving the real binaries against tmdb-sim with faults on, each mirror
//! compared field by field with the simulator's ground truth (`tmdb-sim --dump`).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use rusqlite::Connection;

use crate::util::mirror::{
    DAY0, Truth, assert_mirror_matches, deliveries, ids, kill_group, lines, make, sim_args,
    spawn_make, start_sim, wait_for_lines,
};
use crate::util::{Workdir, read_ndjson, repo_root, run_with_input};

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

    // make export: one CSV per table, every table of the whole record included, a header
    // plus one record per row.
    make(&sim, &data, "export", &[]).expect_success();
    let db = Connection::open(data.join("tmdb.db")).unwrap();
    let tables = tmdb_core::record::spec::TABLES
        .iter()
        .map(|t| t.name)
        .chain(["movie_ids", "gone"]);
    for table in tables {
        let path = data.join(format!("export/{table}.csv"));
        let csv = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let exported = csv::Reader::from_reader(csv.as_slice())
            .records()
            .map(Result::unwrap)
            .count();
        let held: i64 = db
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(exported, usize::try_from(held).unwrap(), "{table}.csv");
        if table == "movie" {
            assert_eq!(exported, movies.len());
        }
    }
}

#[test]
fn limit_mirrors_the_most_popular_and_longer_runs_resume_and_upgrade() {
    let work = Workdir::new("pipeline-limit");
    let sim = start_sim(&sim_args("300", "0.02"));
    let data = work.join("data");
    let today = format!("TODAY={DAY0}");
    make(
        &sim,
        &data,
        "mirror",
        &[&today, "LIMIT=40", "APPEND=credits"],
    )
    .expect_success();
    let conn = Connection::open(data.join("tmdb.db")).unwrap();
    let first = ids(&conn, "SELECT id FROM movie");
    let gone_first = ids(&conn, "SELECT id FROM gone WHERE kind = 'movie'");
    let mut export: Vec<(f64, u64)> = read_ndjson(&data.join("movie_ids.ndjson"))
        .iter()
        .map(|l| (l["popularity"].as_f64().unwrap(), l["id"].as_u64().unwrap()))
        .collect();
    export.sort_by(|a, b| b.0.total_cmp(&a.0));
    let most_popular: BTreeSet<u64> = export.iter().take(40).map(|(_, id)| *id).collect();
    assert_eq!(
        first.union(&gone_first).copied().collect::<BTreeSet<u64>>(),
        most_popular,
        "LIMIT=40 mirrors the 40 most popular IDs of the export"
    );
    let keywords: i64 = conn
        .query_row("SELECT count(*) FROM movie_keyword", [], |r| r.get(0))
        .unwrap();
    assert_eq!(keywords, 0, "APPEND=credits fetched no keywords");
    drop(conn);

    // The default appends: the same 40 movies are fetched again, whole.
    let run = make(&sim, &data, "mirror", &[&today, "LIMIT=40"]);
    run.expect_success();
    assert!(
        run.stderr.contains(&format!(
            "{} records of the --skip files lack sub-resources asked for",
            first.len()
        )),
        "{}",
        run.stderr
    );
    let truth = Truth::load(&sim, 0, &work);
    assert_mirror_matches(&data.join("tmdb.db"), &truth, &first);
    let upgraded = deliveries(&sim, "movie");
    assert!(
        first.iter().all(|id| upgraded[id] == 2),
        "each of the 40 fetched twice: {upgraded:?}"
    );

    // No LIMIT: the rest, each once.
    make(&sim, &data, "mirror", &[&today]).expect_success();
    assert_mirror_matches(&data.join("tmdb.db"), &truth, &truth.exported_movies());
    let twice: BTreeSet<u64> = deliveries(&sim, "movie")
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(id, n)| {
            assert_eq!(n, 2, "movie {id} fetched {n} times");
            id
        })
        .collect();
    assert_eq!(twice, first, "only the upgraded movies were fetched twice");

    // Stage 5 asked for people most popular first: their IDs came with the credits' popularity.
    let conn = Connection::open(data.join("tmdb.db")).unwrap();
    for line in read_ndjson(&data.join("person_ids.ndjson")) {
        let id = line["id"].as_i64().unwrap();
        let most: Option<f64> = conn
            .query_row(
                "SELECT max(popularity) FROM credit WHERE person_id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(line["popularity"].as_f64(), most, "person {id}");
    }
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
        let mut make_run = spawn_make(&sim, &data, "mirror", &[&format!("TODAY={DAY0}")]);
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
