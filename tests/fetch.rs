//! tmdb-fetch against the real simulator over loopback: every subcommand compared with the
//! simulator's ground truth (`tmdb-sim --dump`), faults and 429s that lose and duplicate
//! nothing (counted by the simulator's `/__stats` deliveries), a refused token, checkpoints
//! after a kill -9, and bad input lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
// Every sub-resource the mirror has tables for: what tmdb-fetch's default `--append` asks for.
use tmdb_core::record::spec::{MOVIE_APPENDS, PERSON_APPENDS};

use crate::util::{Run, Sim, Workdir, bin, read_ndjson, run_with_input};

const TOKEN: &str = "fetch-test-token-9b1c";
const DEADLINE: Duration = Duration::from_secs(120);

/// `tmdb-fetch ARGS...` in `dir` against `sim`, with the token, fed `stdin`.
fn fetch_in(sim: &Sim, dir: &Workdir, args: &[&str], stdin: &str) -> Run {
    run_with_input(fetch_cmd(sim, dir, args), stdin.as_bytes(), DEADLINE)
}

fn fetch_cmd(sim: &Sim, dir: &Workdir, args: &[&str]) -> Command {
    let mut cmd = Command::new(bin("tmdb-fetch"));
    cmd.args(args);
    against(&mut cmd, sim, dir);
    cmd
}

/// Runs `cmd` in `dir`, pointed at `sim`, with the token.
fn against(cmd: &mut Command, sim: &Sim, dir: &Workdir) {
    cmd.current_dir(&dir.path)
        .env("TMDB_TOKEN", TOKEN)
        .env_remove("BEARER_TOKEN")
        .env("TMDB_API_URL", sim.api_url())
        .env("TMDB_EXPORT_URL", sim.export_url());
}

/// The catalog's ground truth at `day`, as `tmdb-sim --dump` writes it.
struct Truth {
    movies: BTreeMap<u64, Value>,
    people: BTreeMap<u64, Value>,
    gone_movies: BTreeSet<u64>,
    gone_people: BTreeSet<u64>,
    genres: Vec<Value>,
}

fn truth(sim: &Sim, dir: &Workdir, day: u32) -> Truth {
    let out = dir.join(format!("truth-{day}"));
    sim.dump(day, &out);
    let by_id = |name: &str| -> BTreeMap<u64, Value> {
        read_ndjson(&out.join(name))
            .into_iter()
            .map(|v| (v["id"].as_u64().unwrap(), v))
            .collect()
    };
    Truth {
        movies: by_id("movies.ndjson"),
        people: by_id("people.ndjson"),
        gone_movies: by_id("gone_movies.ndjson").into_keys().collect(),
        gone_people: by_id("gone_people.ndjson").into_keys().collect(),
        genres: read_ndjson(&out.join("genres.ndjson")),
    }
}

fn ids_text<'a>(ids: impl IntoIterator<Item = &'a u64>) -> String {
    ids.into_iter().map(|id| format!("{id}\n")).collect()
}

/// Records by ID, asserting that no ID came twice.
fn records_by_id(records: Vec<Value>) -> BTreeMap<u64, Value> {
    let mut out = BTreeMap::new();
    for record in records {
        let id = record["id"].as_u64().expect("record without an integer id");
        assert!(out.insert(id, record).is_none(), "ID {id} written twice");
    }
    out
}

/// One number of the summary line, e.g. `summary(&run, "429s")`.
fn summary(run: &Run, name: &str) -> u64 {
    let line = run
        .stderr
        .lines()
        .rev()
        .find(|l| l.contains(" requests ") && l.contains(" retries "))
        .unwrap_or_else(|| panic!("no summary line\n{run}"));
    line.split(", ")
        .flat_map(|part| part.rsplit(": ").next())
        .find_map(|part| {
            let (key, value) = part.split_once(' ')?;
            (key == name).then(|| value.split(' ').next()?.parse().ok())?
        })
        .unwrap_or_else(|| panic!("no {name} in {line:?}"))
}

/// How many times the simulator delivered each ID's full 200 body.
fn deliveries(sim: &Sim, kind: &str) -> BTreeMap<u64, u64> {
    let stats = sim.stats();
    stats["deliveries"][kind]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(id, n)| (id.parse().unwrap(), n.as_u64().unwrap()))
                .collect()
        })
        .unwrap_or_default()
}

fn assert_no_token(runs: &[&Run], files: &[&Path]) {
    for run in runs {
        assert!(!run.stdout.contains(TOKEN), "token on stdout\n{run}");
        assert!(!run.stderr.contains(TOKEN), "token on stderr\n{run}");
    }
    for file in files {
        if let Ok(text) = std::fs::read_to_string(file) {
            assert!(!text.contains(TOKEN), "token in {}", file.display());
        }
    }
}

#[test]
fn genres_are_the_simulators_genre_list() {
    let sim = Sim::start(&["--movies", "50", "--token", TOKEN]);
    let dir = Workdir::new("fetch-genres");
    let truth = truth(&sim, &dir, 0);
    let run = fetch_in(&sim, &dir, &["genres"], "");
    run.expect_success();
    assert_eq!(run.json_lines(), truth.genres);
    assert_eq!(summary(&run, "fetched"), 19);
}

#[test]
fn movies_under_faults_match_the_ground_truth_each_delivered_once() {
    let sim = Sim::start(&[
        "--movies",
        "400",
        "--seed",
        "7",
        "--token",
        TOKEN,
        "--fault-rate",
        "0.05",
        "--fault-seed",
        "3",
        "--stall-ms",
        "300",
    ]);
    let dir = Workdir::new("fetch-movies-faults");
    let truth = truth(&sim, &dir, 0);
    let mut ids: Vec<u64> = truth
        .movies
        .keys()
        .chain(&truth.gone_movies)
        .copied()
        .collect();
    ids.sort_unstable();
    let run = fetch_in(
        &sim,
        &dir,
        &[
            "-v",
            "--rate",
            "2000",
            "--concurrency",
            "16",
            "movies",
            "--gone",
            "gone.ndjson",
            "--failed",
            "failed.ndjson",
        ],
        &ids_text(&ids),
    );
    run.expect_success();
    let got = records_by_id(run.json_lines());
    assert_eq!(got.len(), truth.movies.len());
    for (id, want) in &truth.movies {
        assert_eq!(got.get(id), Some(want), "movie {id} differs from the dump");
    }
    for line in run.stdout.lines() {
        assert!(!line.contains('\n') && line.starts_with('{'));
    }
    let gone: BTreeSet<u64> = read_ndjson(&dir.join("gone.ndjson"))
        .iter()
        .map(|v| {
            assert_eq!(v["status"], 404);
            assert_eq!(v["error"], "gone");
            assert_eq!(v["kind"], "movie");
            v["id"].as_u64().unwrap()
        })
        .collect();
    assert_eq!(gone, truth.gone_movies);
    assert!(!dir.join("failed.ndjson").exists() || dir.read("failed.ndjson").is_empty());
    assert!(
        summary(&run, "retries") > 0,
        "5% faults must cause retries\n{run}"
    );
    assert_eq!(summary(&run, "gone"), truth.gone_movies.len() as u64);
    let delivered = deliveries(&sim, "movie");
    for id in truth.movies.keys() {
        assert_eq!(
            delivered.get(id),
            Some(&1),
            "movie {id} delivered more or less than once"
        );
    }
    // The bodies came gzipped, as TMDB's CDN sends them to a client that takes gzip (the
    // truncated ones too: a cut gzip stream is retried like a cut plain one).
    let stats = sim.stats();
    assert!(
        stats["gzipped"].as_u64().unwrap() >= truth.movies.len() as u64,
        "{stats}"
    );
    assert!(
        stats["sent_bytes"].as_u64().unwrap() * 2 < stats["body_bytes"].as_u64().unwrap(),
        "{stats}"
    );
    // With -v every retry is logged: none of those lines may carry the token.
    assert!(run.stderr.contains("retrying in"), "{run}");
    assert_no_token(&[&run], &[&dir.join("gone.ndjson")]);
}

#[test]
fn people_match_the_ground_truth() {
    let sim = Sim::start(&["--movies", "60", "--seed", "11", "--token", TOKEN]);
    let dir = Workdir::new("fetch-people");
    let truth = truth(&sim, &dir, 0);
    let ids: Vec<u64> = truth
        .people
        .keys()
        .chain(&truth.gone_people)
        .copied()
        .collect();
    let list = dir.write("people.ids", ids_text(&ids));
    let run = fetch_in(
        &sim,
        &dir,
        &[
            "people",
            "--concurrency",
            "16",
            "--gone",
            "gone.ndjson",
            list.to_str().unwrap(),
        ],
        "",
    );
    run.expect_success();
    assert_eq!(records_by_id(run.json_lines()), truth.people);
    let gone = read_ndjson(&dir.join("gone.ndjson"));
    assert_eq!(gone.len(), truth.gone_people.len());
    assert!(gone.iter().all(|v| v["kind"] == "person"));
}

#[test]
fn a_refused_token_stops_the_run_with_exit_3_and_no_token_is_printed() {
    let sim = Sim::start(&["--movies", "200", "--token", TOKEN]);
    let dir = Workdir::new("fetch-auth");
    let wrong = "wrong-token-5e5e5e";
    let ids: String = (1..=2000).map(|id| format!("{id}\n")).collect();
    let mut cmd = fetch_cmd(&sim, &dir, &["movies", "-v", "--failed", "failed.ndjson"]);
    cmd.env("TMDB_TOKEN", wrong);
    let started = Instant::now();
    let run = run_with_input(cmd, ids.as_bytes(), DEADLINE);
    run.expect_code(3);
    // Generous: the run must stop at the first 401 rather than work through 2,000 IDs.
    assert!(started.elapsed() < Duration::from_secs(20), "{run}");
    assert!(run.stdout.is_empty(), "{run}");
    assert!(
        run.stderr
            .contains("tmdb-fetch: TMDB refused the token (HTTP 401"),
        "{run}"
    );
    assert!(
        !run.stderr.contains(wrong) && !run.stdout.contains(wrong),
        "{run}"
    );
    assert!(sim.stats()["requests"].as_u64().unwrap() < 100);

    let mut cmd = fetch_cmd(&sim, &dir, &["genres"]);
    cmd.env_remove("TMDB_TOKEN");
    let run = run_with_input(cmd, b"", DEADLINE);
    run.expect_code(2);
    assert!(
        run.stderr
            .starts_with("tmdb-fetch: no TMDB token: set TMDB_TOKEN"),
        "{run}"
    );
}

#[test]
fn throttling_by_the_simulator_is_honoured_with_few_429s() {
    let sim = Sim::start(&[
        "--movies", "150", "--seed", "5", "--token", TOKEN, "--rate", "20",
    ]);
    let dir = Workdir::new("fetch-429");
    let truth = truth(&sim, &dir, 0);
    let ids: Vec<u64> = truth.movies.keys().take(80).copied().collect();
    let run = fetch_in(
        &sim,
        &dir,
        &["movies", "--rate", "80", "--concurrency", "16"],
        &ids_text(&ids),
    );
    run.expect_success();
    assert_eq!(records_by_id(run.json_lines()).len(), ids.len());
    let throttled = summary(&run, "429s");
    let stats = sim.stats();
    let sim_429 = stats["by_status"]["429"].as_u64().unwrap_or(0);
    assert_eq!(
        throttled, sim_429,
        "every 429 the simulator sent was seen\n{run}"
    );
    assert!(
        throttled > 0,
        "a client at 4x the limit must meet 429s\n{run}"
    );
    // Each 429 halves the rate: a handful of bursts, not a 429 per request.
    assert!(throttled * 4 < ids.len() as u64, "too many 429s\n{run}");
    for id in &ids {
        assert_eq!(deliveries(&sim, "movie").get(id), Some(&1));
    }
}

#[test]
fn a_kill_9_then_skip_resumes_without_refetching_complete_lines() {
    let sim = Sim::start(&["--movies", "600", "--seed", "13", "--token", TOKEN]);
    let dir = Workdir::new("fetch-resume");
    let truth = truth(&sim, &dir, 0);
    let ids = dir.write("ids", ids_text(truth.movies.keys()));
    let args = |rate| {
        [
            "movies",
            "--rate",
            rate,
            "--skip",
            "part.ndjson",
            "--out",
            "part.ndjson",
            ids.to_str().unwrap(),
        ]
    };
    let mut child = fetch_cmd(&sim, &dir, &args("60"))
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let part = dir.join("part.ndjson");
    let started = Instant::now();
    while std::fs::read(&part).map_or(0, |t| t.iter().filter(|&&b| b == b'\n').count()) < 40 {
        assert!(started.elapsed() < DEADLINE, "no progress before the kill");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // What a kill mid-write leaves: half a record after the last complete line.
    let mut text = std::fs::read(&part).unwrap();
    text.extend_from_slice(br#"{"adult":false,"id":999999,"title":"half a li"#);
    std::fs::write(&part, &text).unwrap();
    let before: BTreeSet<u64> = text
        .split(|&b| b == b'\n')
        .filter_map(|l| serde_json::from_slice::<Value>(l).ok())
        .map(|v| v["id"].as_u64().unwrap())
        .collect();
    assert!(before.len() < truth.movies.len(), "the kill came too late");

    let resumed = fetch_in(&sim, &dir, &args("2000"), "");
    resumed.expect_success();
    assert_eq!(
        summary(&resumed, "skipped"),
        before.len() as u64,
        "{resumed}"
    );
    let all = records_by_id(read_ndjson(&part));
    assert_eq!(all, truth.movies, "every movie once, the fragment gone");
    let delivered = deliveries(&sim, "movie");
    for id in &before {
        assert_eq!(
            delivered[id], 1,
            "movie {id} was complete yet fetched again"
        );
    }
}

#[test]
fn failed_ids_are_listed_and_404s_count_as_gone_without_gone_file() {
    // Every request meets a fault and nothing is retried: some IDs still come through (a stall
    // is slow but whole), the rest must be listed as failed, none lost, none invented.
    let sim = Sim::start(&[
        "--movies",
        "120",
        "--seed",
        "17",
        "--token",
        TOKEN,
        "--fault-rate",
        "1",
        "--stall-ms",
        "50",
    ]);
    let dir = Workdir::new("fetch-failed");
    let truth = truth(&sim, &dir, 0);
    let ids: Vec<u64> = truth.movies.keys().take(60).copied().collect();
    let run = fetch_in(
        &sim,
        &dir,
        &[
            "movies",
            "--retries",
            "0",
            "--timeout",
            "5",
            "--failed",
            "failed.ndjson",
        ],
        &ids_text(&ids),
    );
    run.expect_code(1);
    let got = records_by_id(run.json_lines());
    let failed = read_ndjson(&dir.join("failed.ndjson"));
    assert!(!failed.is_empty(), "{run}");
    assert_eq!(got.len() + failed.len(), ids.len(), "{run}");
    for record in &failed {
        let id = record["id"].as_u64().unwrap();
        assert!(!got.contains_key(&id) && ids.contains(&id));
        assert_eq!(record["kind"], "movie");
        assert_eq!(record["attempts"], 1);
        assert!(record["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    for (id, record) in &got {
        assert_eq!(Some(record), truth.movies.get(id));
    }
    assert_eq!(summary(&run, "failed"), failed.len() as u64);

    // Without --gone, a 404 goes to --failed with status 404, yet counts as gone: exit 0.
    let sim = Sim::start(&["--movies", "120", "--seed", "17", "--token", TOKEN]);
    let gone: Vec<u64> = truth.gone_movies.iter().take(3).copied().collect();
    assert!(!gone.is_empty(), "the catalog should have deleted IDs");
    let run = fetch_in(
        &sim,
        &dir,
        &["movies", "--failed", "gone-as-failed.ndjson"],
        &ids_text(&gone),
    );
    run.expect_success();
    let lines = read_ndjson(&dir.join("gone-as-failed.ndjson"));
    let listed: Vec<u64> = lines.iter().map(|v| v["id"].as_u64().unwrap()).collect();
    assert_eq!(
        listed.iter().copied().collect::<BTreeSet<_>>(),
        gone.iter().copied().collect()
    );
    assert!(
        lines
            .iter()
            .all(|v| v["status"] == 404 && v["error"] == "gone")
    );
    assert_eq!(summary(&run, "gone"), gone.len() as u64);
    assert_eq!(summary(&run, "failed"), 0);
}

#[test]
fn bad_input_lines_are_reported_with_file_and_line_and_the_rest_fetched_once() {
    let sim = Sim::start(&["--movies", "40", "--seed", "19", "--token", TOKEN]);
    let dir = Workdir::new("fetch-input");
    let truth = truth(&sim, &dir, 0);
    let ids: Vec<u64> = truth.movies.keys().take(3).copied().collect();
    let (a, b, c) = (ids[0], ids[1], ids[2]);
    dir.write(
        "ids.ndjson",
        format!("{a}\n\nten\n{{\"id\":{b},\"title\":\"x\"}}\n{{\"id\":\"{c}\"}}\n{a}\n{c}\n{b}"),
    );
    let run = fetch_in(
        &sim,
        &dir,
        &["movies", "ids.ndjson", "-"],
        &format!("{c}\n0\n"),
    );
    run.expect_code(1);
    let got = records_by_id(run.json_lines());
    assert_eq!(got.keys().copied().collect::<Vec<_>>(), {
        let mut v = ids.clone();
        v.sort_unstable();
        v
    });
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| !l.contains(" requests "))
        .collect();
    assert_eq!(
        errors,
        [
            "tmdb-fetch: ids.ndjson:3: not an ID: expected an integer or a JSON object with an integer \"id\"",
            "tmdb-fetch: ids.ndjson:5: field \"id\" is not a positive integer",
            "tmdb-fetch: ids.ndjson:8: ignoring a truncated last line",
            "tmdb-fetch: stdin:2: ID out of range: expected a positive integer",
        ],
        "{run}"
    );
    for id in &ids {
        assert_eq!(
            deliveries(&sim, "movie").get(id),
            Some(&1),
            "duplicates fetched once"
        );
    }
}

#[test]
fn export_falls_back_to_the_last_published_day() {
    let sim = Sim::start(&["--movies", "300", "--seed", "23", "--today", "2026-03-01"]);
    let dir = Workdir::new("fetch-export");
    let truth = truth(&sim, &dir, 0);
    // Exports need no token.
    let mut cmd = fetch_cmd(
        &sim,
        &dir,
        &["ids", "--source", "export", "--date", "2026-03-03"],
    );
    cmd.env_remove("TMDB_TOKEN");
    let run = run_with_input(cmd, b"", DEADLINE);
    run.expect_success();
    assert!(
        run.stderr
            .contains("movie_ids_03_03_2026.json.gz: HTTP 404"),
        "{run}"
    );
    assert!(
        run.stderr
            .contains("movie_ids_03_02_2026.json.gz: HTTP 404"),
        "{run}"
    );
    let lines = run.json_lines();
    let got: BTreeSet<u64> = lines.iter().map(|v| v["id"].as_u64().unwrap()).collect();
    assert_eq!(got.len(), lines.len(), "no ID twice");
    let want: BTreeSet<u64> = truth
        .movies
        .iter()
        .filter(|(_, m)| m["adult"] == false)
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(got, want);
    assert!(
        lines
            .iter()
            .all(|v| v.get("original_title").is_some() && v.get("popularity").is_some())
    );

    let run = fetch_in(
        &sim,
        &dir,
        &["ids", "--include-adult", "--date", "2026-03-01"],
        "",
    );
    run.expect_success();
    let got: BTreeSet<u64> = run
        .json_lines()
        .iter()
        .map(|v| v["id"].as_u64().unwrap())
        .collect();
    assert_eq!(got, truth.movies.keys().copied().collect());
}

#[test]
fn discover_collects_every_movie_with_a_release_date_in_the_years() {
    let sim = Sim::start(&[
        "--movies",
        "1500",
        "--seed",
        "29",
        "--token",
        TOKEN,
        "--today",
        "2026-06-15",
    ]);
    let dir = Workdir::new("fetch-discover");
    let truth = truth(&sim, &dir, 0);
    let run = fetch_in(
        &sim,
        &dir,
        &[
            "ids",
            "--source",
            "discover",
            "--from-year",
            "1990",
            "--to-year",
            "2028",
            "--rate",
            "2000",
        ],
        "",
    );
    run.expect_success();
    let lines = run.json_lines();
    let got: BTreeSet<u64> = lines.iter().map(|v| v["id"].as_u64().unwrap()).collect();
    assert_eq!(got.len(), lines.len(), "no ID twice");
    let want: BTreeSet<u64> = truth
        .movies
        .iter()
        .filter(|(_, m)| {
            let date = m["release_date"].as_str().unwrap_or("");
            m["adult"] == false && ("1990".."2029").contains(&date)
        })
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(got, want);
    assert!(
        run.stderr
            .contains(&format!("claimed {}, collected {}", want.len(), want.len())),
        "{run}"
    );
}

#[test]
fn discover_splits_a_year_of_more_than_10000_movies_and_collects_all() {
    // Recent years hold the most movies: with 120,000, the year two years after the
    // simulator's today lists more than 10,000, past the 500-page cap of a single query.
    let sim = Sim::start(&[
        "--movies",
        "120000",
        "--seed",
        "31",
        "--token",
        TOKEN,
        "--today",
        "2026-06-15",
    ]);
    let dir = Workdir::new("fetch-discover-split");
    let run = fetch_in(
        &sim,
        &dir,
        &[
            "ids",
            "--source",
            "discover",
            "--from-year",
            "2028",
            "--to-year",
            "2028",
            "--rate",
            "5000",
            "--concurrency",
            "16",
        ],
        "",
    );
    run.expect_success();
    let lines = run.json_lines();
    let got: BTreeSet<u64> = lines.iter().map(|v| v["id"].as_u64().unwrap()).collect();
    assert_eq!(got.len(), lines.len(), "no ID twice");
    assert!(
        got.len() > 10_000,
        "the year must need splitting: {}",
        got.len()
    );
    // What discover claims for the year is what the simulator can list: all of it collected.
    assert!(
        run.stderr
            .contains(&format!("claimed {}, collected {}", got.len(), got.len())),
        "{run}"
    );
    // And every one is a live, non-adult movie of the catalog.
    let export = fetch_in(&sim, &dir, &["ids", "--date", "2026-06-15"], "");
    export.expect_success();
    let listed: BTreeSet<u64> = export
        .json_lines()
        .iter()
        .map(|v| v["id"].as_u64().unwrap())
        .collect();
    assert!(got.is_subset(&listed));
}

#[test]
fn changes_after_a_mutation_list_every_changed_added_and_deleted_movie() {
    let sim = Sim::start(&[
        "--movies",
        "800",
        "--seed",
        "37",
        "--token",
        TOKEN,
        "--today",
        "2026-02-01",
    ]);
    let dir = Workdir::new("fetch-changes");
    let before = truth(&sim, &dir, 0);
    sim.mutate(2);
    let after = truth(&sim, &dir, 2);
    let run = fetch_in(
        &sim,
        &dir,
        &[
            "changes",
            "--kind",
            "movie",
            "--since",
            "2026-02-01",
            "--until",
            "2026-02-03",
            "--include-adult",
        ],
        "",
    );
    run.expect_success();
    let got: Vec<u64> = run
        .json_lines()
        .iter()
        .map(|v| v["id"].as_u64().unwrap())
        .collect();
    let mut sorted = got.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(got, sorted, "ascending, each once");
    let got: BTreeSet<u64> = got.into_iter().collect();
    // A movie's own fields, not the people's fields its credits repeat (a person's rename
    // changes the person, not the movie).
    let own = |m: Option<&Value>| {
        m.map(|m| {
            let mut m = m.clone();
            m.as_object_mut().unwrap().remove("credits");
            m
        })
    };
    let ids: BTreeSet<u64> = before
        .movies
        .keys()
        .chain(after.movies.keys())
        .copied()
        .collect();
    let mut changed = 0;
    for id in ids {
        if own(before.movies.get(&id)) != own(after.movies.get(&id)) {
            changed += 1;
            assert!(got.contains(&id), "movie {id} changed but is not listed");
        }
    }
    assert!(changed > 0, "two simulated days must change some movies");
    // Adult items are dropped by default.
    let run = fetch_in(
        &sim,
        &dir,
        &[
            "changes",
            "--kind",
            "movie",
            "--since",
            "2026-02-01",
            "--until",
            "2026-02-03",
        ],
        "",
    );
    run.expect_success();
    for v in run.json_lines() {
        let id = v["id"].as_u64().unwrap();
        assert!(after.movies.get(&id).is_none_or(|m| m["adult"] == false));
    }
    // A window wider than 14 days is walked in several requests.
    let run = fetch_in(
        &sim,
        &dir,
        &[
            "changes",
            "--kind",
            "person",
            "--since",
            "2026-01-01",
            "--until",
            "2026-02-03",
        ],
        "",
    );
    run.expect_success();
    assert!(summary(&run, "requests") >= 3, "{run}");
}

#[test]
fn sigterm_stops_taking_ids_flushes_and_exits_143() {
    let sim = Sim::start(&["--movies", "300", "--seed", "41", "--token", TOKEN]);
    let dir = Workdir::new("fetch-sigterm");
    let truth = truth(&sim, &dir, 0);
    let ids = dir.write("ids", ids_text(truth.movies.keys()));
    let mut child = fetch_cmd(
        &sim,
        &dir,
        &["movies", "--rate", "30", ids.to_str().unwrap()],
    )
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let mut stdout = std::io::BufReader::new(stdout);
        let mut line = String::new();
        // Everything until tmdb-fetch closes its stdout.
        while std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() > 0 {
            text.push_str(&line);
            line.clear();
        }
        text
    });
    std::thread::sleep(Duration::from_millis(700));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let output = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < DEADLINE, "tmdb-fetch ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let stdout = reader.join().unwrap();
    assert_eq!(output.code(), Some(143), "{stderr}");
    assert!(stdout.ends_with('\n') || stdout.is_empty());
    let got = records_by_id(crate::util::parse_ndjson(&stdout).unwrap());
    assert!(
        !got.is_empty() && got.len() < truth.movies.len(),
        "{stderr}"
    );
    for (id, record) in &got {
        assert_eq!(Some(record), truth.movies.get(id));
    }
    assert!(
        stderr.contains(&format!("tmdb-fetch: movies: fetched {},", got.len())),
        "{stderr}"
    );
}

#[test]
fn a_reader_that_stops_early_ends_the_run_quietly_with_exit_0() {
    let sim = Sim::start(&["--movies", "200", "--seed", "43", "--token", TOKEN]);
    let dir = Workdir::new("fetch-pipe");
    let truth = truth(&sim, &dir, 0);
    dir.write("ids", ids_text(truth.movies.keys()));
    let script = format!(
        "set -o pipefail; '{}' --rate 500 movies ids | head -n 2",
        bin("tmdb-fetch").display()
    );
    let mut cmd = Command::new("bash");
    cmd.args(["-c", &script]);
    against(&mut cmd, &sim, &dir);
    let run = run_with_input(cmd, b"", DEADLINE);
    run.expect_success();
    assert_eq!(run.json_lines().len(), 2);
    assert!(
        !run.stderr.contains("error") && !run.stderr.contains("Broken pipe"),
        "{run}"
    );
}

#[test]
fn an_api_that_cannot_be_reached_stops_the_run_instead_of_failing_every_id() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }; // closed again: connections are refused
    let dir = Workdir::new("fetch-unreachable");
    let mut cmd = Command::new(bin("tmdb-fetch"));
    cmd.current_dir(&dir.path)
        .env("TMDB_TOKEN", TOKEN)
        .env("TMDB_API_URL", format!("http://127.0.0.1:{port}/3"))
        .args(["movies", "--failed", "failed.ndjson"]);
    let ids: String = (1..=500).map(|id| format!("{id}\n")).collect();
    let run = run_with_input(cmd, ids.as_bytes(), DEADLINE);
    run.expect_code(2);
    assert!(
        run.stderr.contains(&format!(
            "tmdb-fetch: cannot connect to http://127.0.0.1:{port}/3: 100 connection attempts in a row failed"
        )),
        "{run}"
    );
    assert!(
        std::fs::read_to_string(dir.join("failed.ndjson"))
            .unwrap_or_default()
            .is_empty()
    );
}

// ---- An upstream that misbehaves on purpose ---------------------------------------------
//
// tmdb-sim plays a well-behaved TMDB; these tests need one that lies (another record's id),
// echoes the token, never ends a body or a line, loops redirects or breaks HTTP. A few lines
// of std networking on loopback do it, and record every request line they get.

/// What the upstream does with one request.
enum Reply {
    /// These bytes, then the connection is closed.
    Raw(Vec<u8>),
    /// A 200 head without a length, then chunks of body until the client hangs up.
    Endless,
}

/// A status, a JSON body, the usual headers.
fn json_reply(status: &str, body: &str, extra_headers: &str) -> Reply {
    Reply::Raw(
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json;charset=utf-8\r\n\
             Content-Length: {}\r\nConnection: close\r\n{extra_headers}\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

/// A loopback HTTP server answering each request with `handler(request line, request head)`;
/// it keeps every request line, in order of arrival.
struct Upstream {
    base: String,
    requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Upstream {
    fn start(handler: impl Fn(&str, &str) -> Reply + Send + Sync + 'static) -> Upstream {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let handler = std::sync::Arc::new(handler);
        let seen = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let handler = handler.clone();
                let seen = seen.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut head = String::new();
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let end = line == "\r\n";
                        head.push_str(&line);
                        if end {
                            break;
                        }
                    }
                    let request_line = head.lines().next().unwrap_or("").to_owned();
                    seen.lock().unwrap().push(request_line.clone());
                    match handler(&request_line, &head) {
                        Reply::Raw(bytes) => {
                            let _ = stream.write_all(&bytes);
                        }
                        Reply::Endless => {
                            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                                        Transfer-Encoding: chunked\r\n\r\n";
                            if stream.write_all(head.as_bytes()).is_err() {
                                return;
                            }
                            let chunk = format!("10000\r\n{}\r\n", "x".repeat(0x10000));
                            while stream.write_all(chunk.as_bytes()).is_ok() {}
                        }
                    }
                });
            }
        });
        Upstream { base, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// `tmdb-fetch ARGS...` in `dir` against `upstream`, with the token, fed `stdin`.
fn fetch_upstream(upstream: &Upstream, dir: &Workdir, args: &[&str], stdin: &str) -> Run {
    let mut cmd = Command::new(bin("tmdb-fetch"));
    cmd.args(args)
        .current_dir(&dir.path)
        .env("TMDB_TOKEN", TOKEN)
        .env_remove("BEARER_TOKEN")
        .env("TMDB_API_URL", format!("{}/3", upstream.base))
        .env("TMDB_EXPORT_URL", format!("{}/p/exports", upstream.base));
    run_with_input(cmd, stdin.as_bytes(), DEADLINE)
}

/// The ID in a request line such as `GET /3/movie/5?append_to_response=credits HTTP/1.1`.
fn requested_id(request_line: &str) -> u64 {
    let path = request_line.split(' ').nth(1).unwrap();
    let last = path.split('?').next().unwrap().rsplit('/').next().unwrap();
    last.parse().unwrap()
}

/// Answers every movie or person request with `{"id": <the id asked for>}`.
fn echo_ids() -> Upstream {
    Upstream::start(|line, _| {
        json_reply("200 OK", &format!("{{\"id\":{}}}", requested_id(line)), "")
    })
}

#[test]
fn the_append_list_is_sent_in_one_request_per_id() {
    let upstream = echo_ids();
    let dir = Workdir::new("fetch-append");
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "movies",
            &[],
            "?append_to_response=credits,keywords,release_dates,external_ids,alternative_titles,translations,videos,images,watch/providers",
        ),
        (
            "people",
            &[],
            "?append_to_response=external_ids,translations,images",
        ),
        (
            "movies",
            &["--append", "credits"],
            "?append_to_response=credits",
        ),
        (
            "people",
            &["--append", "images"],
            "?append_to_response=images",
        ),
        ("movies", &["--append", ""], ""),
        ("people", &["--append", "none"], ""),
    ];
    for (command, flags, query) in cases {
        let before = upstream.requests().len();
        let mut args = vec![*command];
        args.extend_from_slice(flags);
        let run = fetch_upstream(&upstream, &dir, &args, "11\n12\n");
        run.expect_success();
        assert_eq!(run.json_lines().len(), 2, "{run}");
        let mut sent = upstream.requests()[before..].to_vec();
        sent.sort();
        let path = if *command == "movies" {
            "movie"
        } else {
            "person"
        };
        assert_eq!(
            sent,
            [11, 12].map(|id| format!("GET /3/{path}/{id}{query} HTTP/1.1")),
            "{command} {flags:?}"
        );
    }
    // The flag's old meaning (an output file) is refused with a hint, before any request.
    let before = upstream.requests().len();
    let run = fetch_upstream(
        &upstream,
        &dir,
        &["movies", "--append", "part.ndjson"],
        "11\n",
    );
    run.expect_code(2);
    assert!(run.stderr.contains("--out FILE"), "{run}");
    assert_eq!(upstream.requests().len(), before);
}

#[test]
fn the_most_popular_ids_are_fetched_first() {
    let upstream = echo_ids();
    let dir = Workdir::new("fetch-popular");
    let input = [
        r#"{"adult":false,"id":1,"original_title":"a","popularity":0.6,"video":false}"#,
        "2",
        r#"{"adult":false,"id":3,"original_title":"b","popularity":250.1,"video":false}"#,
        r#"{"id":4}"#,
        r#"{"adult":false,"id":5,"original_title":"c","popularity":12,"video":false}"#,
        r#"{"adult":false,"id":6,"original_title":"d","popularity":0.6,"video":false}"#,
        r#"{"adult":false,"id":3,"original_title":"b","popularity":0.1,"video":false}"#,
    ]
    .map(|line| format!("{line}\n"))
    .concat();
    let run = fetch_upstream(&upstream, &dir, &["movies", "--concurrency", "1"], &input);
    run.expect_success();
    let order: Vec<u64> = upstream
        .requests()
        .iter()
        .map(|l| requested_id(l))
        .collect();
    // By popularity (ties in input order), then the lines without one in input order.
    assert_eq!(order, [3, 5, 1, 6, 2, 4]);
}

#[test]
fn a_body_of_another_id_is_a_failed_id_unless_tmdb_redirected_there() {
    let upstream = Upstream::start(|line, _| match requested_id(line) {
        5 => json_reply("200 OK", r#"{"id":1005,"title":"not five"}"#, ""),
        // A merged record: TMDB sends the old ID to the surviving one's path.
        7 => json_reply(
            "301 Moved Permanently",
            "",
            "Location: /3/movie/1007?append_to_response=credits\r\n",
        ),
        id => json_reply("200 OK", &format!("{{\"id\":{id}}}"), ""),
    });
    let dir = Workdir::new("fetch-mismatch");
    let run = fetch_upstream(
        &upstream,
        &dir,
        &["movies", "--append", "credits", "--failed", "failed.ndjson"],
        "5\n6\n7\n",
    );
    run.expect_code(1);
    let mut got: Vec<u64> = run
        .json_lines()
        .iter()
        .map(|v| v["id"].as_u64().unwrap())
        .collect();
    got.sort();
    assert_eq!(got, [6, 1007], "{run}");
    let failed = read_ndjson(&dir.join("failed.ndjson"));
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["id"], 5);
    assert_eq!(failed[0]["status"], 200);
    assert_eq!(
        failed[0]["error"],
        "id_mismatch: asked for movie 5, the body is movie 1005"
    );
    assert_eq!(failed[0]["attempts"], 1, "a wrong body is not retried");
    assert!(
        run.stderr
            .contains("movie 7: TMDB redirected it to movie 1007 (merged records)"),
        "{run}"
    );
}

#[test]
fn a_token_echoed_by_the_upstream_is_never_printed_or_written() {
    // The upstream quotes the Authorization header back in its error messages.
    let upstream = Upstream::start(|line, head| {
        let auth = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
            .map_or("none", |l| l["authorization:".len()..].trim())
            .to_owned();
        let body = |code: u32| {
            serde_json::json!({
                "success": false,
                "status_code": code,
                "status_message": format!("rejected header authorization: {auth}"),
            })
            .to_string()
        };
        match requested_id(line) {
            1 => json_reply("500 Internal Server Error", &body(11), ""),
            2 => json_reply(
                "422 Unprocessable Entity",
                &format!(r#"{{"errors":["{auth}"]}}"#),
                "",
            ),
            _ => json_reply("401 Unauthorized", &body(7), ""),
        }
    });
    let dir = Workdir::new("fetch-echo");
    let failed = dir.join("failed.ndjson");
    let run = fetch_upstream(
        &upstream,
        &dir,
        &[
            "movies",
            "--retries",
            "1",
            "-v",
            "--failed",
            "failed.ndjson",
        ],
        "1\n2\n",
    );
    run.expect_code(1);
    let lines = read_ndjson(&failed);
    assert_eq!(lines.len(), 2, "{run}");
    assert!(
        run.stderr
            .contains("rejected header authorization: Bearer ***"),
        "the message is kept, the token is not\n{run}"
    );
    let refused = fetch_upstream(&upstream, &dir, &["movies"], "3\n");
    refused.expect_code(3);
    assert!(refused.stderr.contains("Bearer ***"), "{refused}");
    assert_no_token(&[&run, &refused], &[&failed]);
}

#[test]
fn a_body_over_the_limit_fails_its_id_without_being_held() {
    let upstream = Upstream::start(|line, _| {
        match requested_id(line) {
        // Announces 50 GB and sends nothing: refused on the announcement alone.
        1 => Reply::Raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 50000000000\r\n\r\n"
                .to_vec(),
        ),
        // Never ends: refused once the limit is passed, long before any timeout.
        2 => Reply::Endless,
        id => json_reply("200 OK", &format!("{{\"id\":{id}}}"), ""),
    }
    });
    let dir = Workdir::new("fetch-max-body");
    let started = Instant::now();
    let run = fetch_upstream(
        &upstream,
        &dir,
        &[
            "movies",
            "--max-body",
            "1M",
            "--timeout",
            "600",
            "--failed",
            "failed.ndjson",
        ],
        "1\n2\n3\n",
    );
    run.expect_code(1);
    assert!(started.elapsed() < Duration::from_secs(60), "{run}");
    assert_eq!(run.json_lines().len(), 1, "{run}");
    let failed = records_by_id(read_ndjson(&dir.join("failed.ndjson")));
    assert_eq!(
        failed[&1]["error"],
        "body_too_large: Content-Length 50 GB, over the limit of 1 MB (--max-body)"
    );
    let endless = failed[&2]["error"].as_str().unwrap();
    assert!(
        endless.starts_with("body_too_large: ")
            && endless.ends_with(" received and more coming, over the limit of 1 MB (--max-body)"),
        "{endless}"
    );
    assert_eq!(
        failed[&2]["attempts"], 1,
        "an oversized body is not retried"
    );
}

#[test]
fn an_export_inflating_to_one_huge_line_fails_with_bounded_memory() {
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;
    // 200 MB of one line, a few hundred kB compressed.
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    let block = vec![b'7'; 1 << 20];
    for _ in 0..200 {
        gz.write_all(&block).unwrap();
    }
    let gz = gz.finish().unwrap();
    let upstream = Upstream::start(move |_, _| {
        let mut reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            gz.len()
        )
        .into_bytes();
        reply.extend_from_slice(&gz);
        Reply::Raw(reply)
    });
    let dir = Workdir::new("fetch-export-line");
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "maxrss_kb %M", bin("tmdb-fetch").to_str().unwrap()])
        .args(["ids", "--source", "export", "--date", "2026-11-20"])
        .current_dir(&dir.path)
        .env("TMDB_EXPORT_URL", format!("{}/p/exports", upstream.base));
    let run = run_with_input(cmd, b"", DEADLINE);
    run.expect_code(2);
    assert!(
        run.stderr.contains(
            "tmdb-fetch: movie_ids_11_20_2026.json.gz: line 1 is longer than 1 MB: not an ID export"
        ),
        "{run}"
    );
    assert_eq!(upstream.requests().len(), 1, "not retried");
    let rss_kb: u64 = run
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("maxrss_kb "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no maxrss line\n{run}"));
    assert!(rss_kb < 60_000, "peak RSS {rss_kb} kB\n{run}");
}

#[test]
fn errors_name_their_cause() {
    let upstream = Upstream::start(|line, _| match requested_id(line) {
        1 => json_reply("302 Found", "", "Location: /3/movie/1\r\n"),
        2 => Reply::Raw(b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n".to_vec()),
        3 => {
            let header = format!("X-Big: {}\r\n", "h".repeat(4000));
            let head = header.repeat(500);
            Reply::Raw(format!("HTTP/1.1 200 OK\r\n{head}Content-Length: 0\r\n\r\n").into_bytes())
        }
        _ => Reply::Raw(Vec::new()),
    });
    let dir = Workdir::new("fetch-causes");
    let run = fetch_upstream(
        &upstream,
        &dir,
        &["movies", "--retries", "0", "--failed", "failed.ndjson"],
        "1\n2\n3\n4\n",
    );
    run.expect_code(1);
    let failed = records_by_id(read_ndjson(&dir.join("failed.ndjson")));
    let error = |id: u64| failed[&id]["error"].as_str().unwrap().to_owned();
    assert_eq!(error(1), "redirect loop: /3/movie/1 again", "{run}");
    assert!(error(2).starts_with("bad status line"), "{}", error(2));
    assert!(
        error(3).starts_with("oversized response headers"),
        "{}",
        error(3)
    );
    assert!(
        error(4).contains("closed") && !error(4).contains("connection failed"),
        "{}",
        error(4)
    );
}

/// Runs `make TARGET VARS...` against `sim` once per `(vars, appends)`, each into a data folder
/// of its own (a finished stage resumes from its file, which would keep the appends of an
/// earlier run), and checks that every record of `file` carries exactly `appends` of `known`.
fn assert_make_appends(
    sim: &Sim,
    dir: &Workdir,
    target: &str,
    file: &str,
    known: &[&str],
    cases: &[(&[&str], &[&str])],
) {
    for (vars, appends) in cases {
        let data = dir.join(format!("data-{target}-{}", vars.join("-")));
        crate::util::mirror::make(sim, &data, target, vars).expect_success();
        let records = read_ndjson(&data.join(file));
        assert!(!records.is_empty(), "{vars:?}: no records in {file}");
        for record in &records {
            let present: Vec<&str> = known
                .iter()
                .copied()
                .filter(|name| record.get(*name).is_some())
                .collect();
            assert_eq!(&present, appends, "{vars:?}: record {}", record["id"]);
        }
    }
}

#[test]
fn make_passes_append_to_stage_3_and_writes_through_out() {
    use crate::util::mirror::TOKEN as MAKE_TOKEN;
    let sim = Sim::start(&["--movies", "30", "--seed", "21", "--token", MAKE_TOKEN]);
    let dir = Workdir::new("fetch-make-append");
    // The simulator serves every append (tools/tmdb-sim/appends.rs), so a record holds the
    // ones tmdb-fetch asked for and no other.
    assert_make_appends(
        &sim,
        &dir,
        "movies",
        "movies.ndjson",
        MOVIE_APPENDS,
        &[
            (&["APPEND=none"], &[]),
            (&["APPEND=credits"], &["credits"]),
            (&[], MOVIE_APPENDS),
        ],
    );
}

#[test]
fn make_passes_people_append_to_stage_5() {
    use crate::util::mirror::TOKEN as MAKE_TOKEN;
    let sim = Sim::start(&["--movies", "30", "--seed", "21", "--token", MAKE_TOKEN]);
    let dir = Workdir::new("fetch-make-people-append");
    // The simulator serves every person append (tools/tmdb-sim/person.rs). Stage 3 fetches
    // credits only: stage 5 needs them for its ID list, and the rest would be wasted here.
    assert_make_appends(
        &sim,
        &dir,
        "people",
        "people.ndjson",
        PERSON_APPENDS,
        &[
            (
                &["APPEND=credits", "PEOPLE_APPEND=external_ids"],
                &["external_ids"],
            ),
            (&["APPEND=credits", "PEOPLE_APPEND=none"], &[]),
            (&["APPEND=credits"], PERSON_APPENDS),
        ],
    );
}
