//! `make update` after the simulated TMDB moved on (`POST /__mutate`): the mirror equals the
//! new ground truth field by field, the requests are the changes and not a refetch, a gap of
//! more than 14 days walks several change windows, and a failed update keeps its stamp and
//! resumes.

use std::collections::BTreeSet;
use std::path::Path;

use rusqlite::Connection;

use crate::util::Workdir;
use crate::util::mirror::{
    DAY0, Truth, assert_mirror_matches, deliveries, ids, kill_group, lines, make, sim_args,
    spawn_make, start_sim, wait_for_lines,
};

/// `TODAY=` for the simulated day `day` after DAY0 (2026-01-15).
fn today(day: u32) -> String {
    assert!(day <= 16, "the test dates stay in January");
    format!("TODAY=2026-01-{}", 15 + day)
}

fn stamp(data: &Path) -> String {
    std::fs::read_to_string(data.join(".stamps/synced"))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

#[test]
fn an_update_after_a_day_fetches_only_the_changes_and_matches_the_new_truth() {
    let work = Workdir::new("update-day");
    let sim = start_sim(&sim_args("600", "0.02"));
    let data = work.join("data");
    make(&sim, &data, "mirror", &[&today(0)]).expect_success();
    assert_eq!(stamp(&data), DAY0);
    let movies_before = deliveries(&sim, "movie");
    let people_before = deliveries(&sim, "person");
    let requests_before = sim.stats()["requests"].as_u64().unwrap();

    let day = sim.mutate(1);
    let run = make(&sim, &data, "update", &[&today(1)]);
    run.expect_success();
    assert!(
        run.stdout.contains("update: movies:"),
        "the update ends with a summary\n{run}"
    );
    assert_eq!(stamp(&data), "2026-01-16", "the stamp moves forward\n{run}");
    // A make mirror after it has nothing to do and leaves the stamp where the update put it.
    make(&sim, &data, "mirror", &[&today(1)]).expect_success();
    assert_eq!(
        stamp(&data),
        "2026-01-16",
        "make mirror moved the stamp back"
    );

    let truth = Truth::load(&sim, 1, &work);
    assert_mirror_matches(&data.join("tmdb.db"), &truth, &truth.exported_movies());

    // Requests: the changed and added records (and the people newly credited), not a refetch.
    let refetched = |before: &std::collections::BTreeMap<u64, u64>, kind: &str| -> usize {
        deliveries(&sim, kind)
            .iter()
            .filter(|(id, n)| before.get(id).copied().unwrap_or(0) < **n)
            .count()
    };
    let changed_movies = (day["movie"]["changed"].as_u64().unwrap()
        + day["movie"]["added"].as_u64().unwrap()) as usize;
    let changed_people = (day["person"]["changed"].as_u64().unwrap()
        + day["person"]["added"].as_u64().unwrap()) as usize;
    let movies = refetched(&movies_before, "movie");
    let people = refetched(&people_before, "person");
    assert!(
        movies > 0 && movies <= changed_movies,
        "{movies} movies refetched for {day}"
    );
    assert!(
        people <= changed_people,
        "{people} people refetched for {day}"
    );
    let requests = sim.stats()["requests"].as_u64().unwrap() - requests_before;
    assert!(
        requests * 10 < requests_before,
        "an update made {requests} requests, the mirror {requests_before}"
    );
}

#[test]
fn a_gap_of_more_than_14_days_walks_several_windows_and_deletes_what_is_gone() {
    let work = Workdir::new("update-gap");
    let sim = start_sim(&sim_args("300", "0.02"));
    let data = work.join("data");
    make(&sim, &data, "mirror", &[&today(0)]).expect_success();
    let db = data.join("tmdb.db");
    let before = ids(&Connection::open(&db).unwrap(), "SELECT id FROM movie");

    sim.mutate(16);
    let windows_before = sim.stats()["by_route"]["/3/movie/changes"]
        .as_u64()
        .unwrap_or(0);
    make(&sim, &data, "update", &[&today(16)]).expect_success();
    let windows = sim.stats()["by_route"]["/3/movie/changes"]
        .as_u64()
        .unwrap()
        - windows_before;
    assert!(
        windows >= 2,
        "16 days of movie changes in {windows} request(s)"
    );

    let truth = Truth::load(&sim, 16, &work);
    let now = truth.exported_movies();
    assert_mirror_matches(&db, &truth, &now);
    let deleted: BTreeSet<u64> = before.difference(&now).copied().collect();
    assert!(
        !deleted.is_empty(),
        "16 days deleted none of {} movies",
        before.len()
    );
    let conn = Connection::open(&db).unwrap();
    for id in &deleted {
        let credits: i64 = conn
            .query_row(
                "SELECT count(*) FROM credit WHERE movie_id = ?1",
                [*id as i64],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(credits, 0, "deleted movie {id} kept its credits");
    }
    let gone = ids(&conn, "SELECT id FROM gone WHERE kind = 'movie'");
    assert!(deleted.is_subset(&gone), "deleted movies are recorded gone");
}

#[test]
fn a_failed_or_killed_update_keeps_its_stamp_and_a_rerun_finishes_it() {
    let work = Workdir::new("update-resume");
    let sim = start_sim(&sim_args("600", "0.2"));
    let data = work.join("data");
    make(&sim, &data, "mirror", &[&today(0)]).expect_success();
    sim.mutate(3);

    // No retries against 20% faults: some of the update's requests fail, the stamp stays.
    let failed = make(&sim, &data, "update", &[&today(3), "RETRIES=0"]);
    assert_ne!(
        failed.code(),
        0,
        "an update with failures reports them\n{failed}"
    );
    assert_eq!(
        stamp(&data),
        DAY0,
        "a failed update moved the stamp\n{failed}"
    );

    // Killed (kill -9 of make and its tools) while it writes movies: the stamp stays too.
    let part = data.join("update/2026-01-18/movies.ndjson.part");
    let mut killed = spawn_make(&sim, &data, "update", &[&today(3), "RATE=20"]);
    let interrupted = wait_for_lines(&mut killed, &part, lines(&part) + 3);
    kill_group(&mut killed);
    assert!(interrupted, "the update finished before it could be killed");
    assert_eq!(stamp(&data), DAY0, "a killed update moved the stamp");
    let written: BTreeSet<u64> = read_ndjson_complete(&part);
    let at_kill = deliveries(&sim, "movie");

    make(&sim, &data, "update", &[&today(3)]).expect_success();
    assert_eq!(stamp(&data), "2026-01-18");
    let truth = Truth::load(&sim, 3, &work);
    assert_mirror_matches(&data.join("tmdb.db"), &truth, &truth.exported_movies());
    // Records already written before the kill were not fetched again.
    let refetched: Vec<u64> = deliveries(&sim, "movie")
        .iter()
        .filter(|(id, n)| at_kill.get(id).copied().unwrap_or(0) < **n && written.contains(id))
        .map(|(id, _)| *id)
        .collect();
    assert!(
        refetched.is_empty(),
        "the re-run refetched written movies {refetched:?}"
    );

    // Without a stamp the update compares the export with the mirror, and says so.
    std::fs::remove_file(data.join(".stamps/synced")).unwrap();
    let run = make(&sim, &data, "update", &[&today(3)]);
    run.expect_success();
    assert!(run.stderr.contains("no usable sync stamp"), "{run}");
    assert_eq!(stamp(&data), "2026-01-18");
}

#[test]
fn a_longer_limit_after_an_update_keeps_what_the_update_refreshed() {
    let work = Workdir::new("update-then-limit");
    let sim = start_sim(&sim_args("600", "0.02"));
    let data = work.join("data");
    make(&sim, &data, "mirror", &[&today(0), "LIMIT=150"]).expect_success();
    let day = sim.mutate(3);
    make(&sim, &data, "update", &[&today(3)]).expect_success();

    // A longer LIMIT reruns stages 3 and 5: they fetch the new movies and people (at day 3),
    // and load only those. The stage files also hold the day-0 copies of what the update
    // refreshed or deleted; loading them again would turn the mirror back (or bring back
    // movies TMDB deleted).
    let run = make(&sim, &data, "mirror", &[&today(3), "LIMIT=250"]);
    run.expect_success();
    assert!(
        run.stderr.contains("movies.ndjson: loading from line "),
        "the rerun loads the stage file from where the last load stopped\n{run}"
    );
    let truth = Truth::load(&sim, 3, &work);
    let mut export: Vec<(f64, u64)> = crate::util::read_ndjson(&data.join("movie_ids.ndjson"))
        .iter()
        .map(|l| (l["popularity"].as_f64().unwrap(), l["id"].as_u64().unwrap()))
        .collect();
    export.sort_by(|a, b| b.0.total_cmp(&a.0));
    let alive: BTreeSet<u64> = export
        .iter()
        .take(250)
        .map(|(_, id)| *id)
        .filter(|id| truth.movies.contains_key(id))
        .collect();
    assert!(
        day["movie"]["changed"].as_u64().unwrap() > 0,
        "the day changed movies: {day}"
    );
    assert_mirror_matches(&data.join("tmdb.db"), &truth, &alive);
}

/// The IDs of the complete lines of an NDJSON file a kill may have left half written.
fn read_ndjson_complete(path: &Path) -> BTreeSet<u64> {
    let text = std::fs::read_to_string(path).unwrap();
    let complete = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
    complete
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_u64()
                .unwrap()
        })
        .collect()
}
