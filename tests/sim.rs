//! tmdb-sim: TMDB's shapes and error bodies, determinism, the rate limit and faults, discover,
//! changes, exports, mutation, the dump, and many concurrent keep-alive clients — all over
//! loopback against the real binary.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::util::{Sim, Workdir, read_ndjson};

const TODAY: &str = "2026-11-30";
/// What tmdb-fetch appends by default: the whole record in one request.
const ALL_APPENDS: &str = "credits,keywords,release_dates,external_ids,alternative_titles,translations,videos,images,watch/providers";
const ALL_PERSON_APPENDS: &str = "external_ids,translations,images";

fn sim(extra: &[&str]) -> Sim {
    let mut args = vec!["--movies", "300", "--seed", "7", "--today", TODAY];
    args.extend_from_slice(extra);
    Sim::start(&args)
}

fn json(sim: &Sim, path: &str) -> Value {
    let (status, body) = sim.get(path);
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body:.300}"))
}

fn fixture(name: &str) -> Value {
    let path = crate::util::repo_root()
        .join("tests/fixtures/tmdb-api")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Panics unless `actual` has exactly the keys of `sample` with the same JSON types, recursing
/// into objects and arrays; a key in `nullable` may be null on either side.
fn assert_shape(sample: &Value, actual: &Value, nullable: &[&str], path: &str) {
    match (sample, actual) {
        (Value::Object(s), Value::Object(a)) => {
            let sk: BTreeSet<&String> = s.keys().collect();
            let ak: BTreeSet<&String> = a.keys().collect();
            assert_eq!(sk, ak, "keys of {path}");
            for (k, sv) in s {
                let av = &a[k];
                if nullable.contains(&k.as_str()) && (sv.is_null() || av.is_null()) {
                    continue;
                }
                assert_shape(sv, av, nullable, &format!("{path}.{k}"));
            }
        }
        (Value::Array(s), Value::Array(a)) => {
            if let Some(first) = s.first() {
                for (i, item) in a.iter().enumerate() {
                    assert_shape(first, item, nullable, &format!("{path}[{i}]"));
                }
            }
        }
        (s, a) => assert_eq!(
            kind(s),
            kind(a),
            "type of {path}: sample {s}, simulator {a}"
        ),
    }
}

const NULLABLE: &[&str] = &[
    "backdrop_path",
    "poster_path",
    "belongs_to_collection",
    "imdb_id",
    "logo_path",
    "profile_path",
];
const PERSON_NULLABLE: &[&str] = &[
    "birthday",
    "deathday",
    "homepage",
    "imdb_id",
    "place_of_birth",
    "profile_path",
];

/// Movie IDs that answer 200 on day 0, from the dump.
fn dumped(dir: &Path, file: &str) -> Vec<Value> {
    read_ndjson(&dir.join(file))
}

#[test]
fn bodies_have_tmdbs_keys_and_types() {
    let sim = sim(&[]);
    let dir = Workdir::new("sim-shapes");
    sim.dump(0, &dir.path);
    assert_eq!(
        json(&sim, "/3/genre/movie/list"),
        fixture("tmdblib-genre-movie-list.json")
    );
    let details = fixture("tmdblib-movie-47964.json");
    let credits = fixture("jdrouet-movie-550-credits.json");
    let movies = dumped(&dir.path, "movies.ndjson");
    assert!(movies.len() > 250, "{}", movies.len());
    for m in movies.iter().take(60) {
        let id = m["id"].as_u64().unwrap();
        let mut plain = json(&sim, &format!("/3/movie/{id}"));
        assert_shape(&details, &plain, NULLABLE, &format!("movie {id}"));
        let with = json(
            &sim,
            &format!("/3/movie/{id}?append_to_response=credits,images"),
        );
        let appended = with["credits"].clone();
        plain["credits"] = appended.clone();
        plain["images"] = with["images"].clone();
        assert_eq!(with, plain, "appending adds only the appended keys");
        assert!(appended.get("id").is_none(), "appended credits carry no id");
        let standalone = json(&sim, &format!("/3/movie/{id}/credits"));
        assert_shape(&credits, &standalone, NULLABLE, &format!("credits {id}"));
        assert_eq!(standalone["cast"], appended["cast"]);
        assert_eq!(standalone["crew"], appended["crew"]);
    }
    let person = fixture("tmdblib-person-62.json");
    for p in dumped(&dir.path, "people.ndjson").iter().take(60) {
        let id = p["id"].as_u64().unwrap();
        assert_shape(
            &person,
            &json(&sim, &format!("/3/person/{id}")),
            PERSON_NULLABLE,
            &format!("person {id}"),
        );
    }
    let discover = json(&sim, "/3/discover/movie");
    assert_shape(
        &fixture("tmdblib-discover-movie-page1.json"),
        &discover,
        NULLABLE,
        "discover",
    );
    sim.mutate(1);
    let changes = json(&sim, &format!("/3/movie/changes?start_date={TODAY}"));
    assert_shape(
        &fixture("tmdblib-movie-changes-page1.json"),
        &changes,
        &["adult", "softcore"],
        "movie changes",
    );
    let changes = json(&sim, &format!("/3/person/changes?start_date={TODAY}"));
    assert_shape(
        &fixture("tmdblib-person-changes-end-date-2025-11-24.json"),
        &changes,
        &["adult", "softcore"],
        "person changes",
    );
}

#[test]
fn empty_strings_and_nulls_are_where_tmdb_puts_them() {
    let sim = Sim::start(&["--movies", "1000", "--seed", "3", "--today", TODAY]);
    let dir = Workdir::new("sim-nulls");
    sim.dump(0, &dir.path);
    let movies = dumped(&dir.path, "movies.ndjson");
    let people = dumped(&dir.path, "people.ndjson");
    let count = |items: &[Value], f: &dyn Fn(&Value) -> bool| items.iter().filter(|v| f(v)).count();
    // Movies: "" for release_date, homepage, overview, tagline; null for imdb_id.
    for key in [
        "release_date",
        "homepage",
        "overview",
        "tagline",
        "title",
        "original_title",
    ] {
        assert_eq!(
            count(&movies, &|m| !m[key].is_string()),
            0,
            "movie {key} is always a string"
        );
    }
    for key in ["release_date", "homepage", "overview", "tagline"] {
        assert!(
            count(&movies, &|m| m[key] == "") > 0,
            "some movie has {key} \"\""
        );
    }
    assert!(count(&movies, &|m| m["imdb_id"].is_null()) > 0);
    assert!(
        count(&movies, &|m| m["genres"].as_array().unwrap().is_empty()) > 0,
        "movies without genres"
    );
    assert!(count(&movies, &|m| m["adult"] == true) > 0, "adult movies");
    assert!(count(&movies, &|m| m["video"] == true) > 0, "video movies");
    assert!(count(&movies, &|m| m["runtime"] == 0) > 0);
    // People: null for birthday, deathday, homepage, place_of_birth, imdb_id; "" biography.
    for key in [
        "birthday",
        "deathday",
        "homepage",
        "place_of_birth",
        "imdb_id",
    ] {
        assert!(
            count(&people, &|p| p[key].is_null()) > 0,
            "some person has {key} null"
        );
        assert_eq!(
            count(&people, &|p| p[key] == ""),
            0,
            "no person has {key} \"\""
        );
    }
    assert!(count(&people, &|p| p["biography"] == "") > 0);
    assert!(
        count(&people, &|p| p["biography"].as_str().unwrap().len()
            >= 20_000)
            > 0,
        "20 kB biographies"
    );
    let text: String = movies
        .iter()
        .map(|m| m["original_title"].as_str().unwrap())
        .collect();
    for needle in ["\"", "\\", "🎬"] {
        assert!(text.contains(needle), "titles contain {needle}");
    }
    assert!(
        text.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c)),
        "Cyrillic titles"
    );
    assert!(
        text.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)),
        "CJK titles"
    );
    // Credits: unique 24-hex credit_ids, one person with several crew rows on one movie,
    // cast sorted by order, sizes from none to hundreds.
    let mut ids = BTreeSet::new();
    let mut repeated_crew = 0;
    let mut biggest = 0;
    for m in &movies {
        let cast = m["credits"]["cast"].as_array().unwrap();
        let crew = m["credits"]["crew"].as_array().unwrap();
        biggest = biggest.max(cast.len() + crew.len());
        for c in cast.iter().chain(crew) {
            let id = c["credit_id"].as_str().unwrap();
            assert!(
                id.len() == 24
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
                "{id}"
            );
            assert!(ids.insert(id.to_owned()), "credit_id {id} repeated");
        }
        let cast_ids: BTreeSet<u64> = cast
            .iter()
            .map(|c| c["cast_id"].as_u64().unwrap())
            .collect();
        assert_eq!(cast_ids.len(), cast.len(), "cast_ids of {} unique", m["id"]);
        let orders: Vec<u64> = cast.iter().map(|c| c["order"].as_u64().unwrap()).collect();
        assert!(
            orders.windows(2).all(|w| w[0] < w[1]),
            "cast of {} sorted by order",
            m["id"]
        );
        let crew_people: Vec<u64> = crew.iter().map(|c| c["id"].as_u64().unwrap()).collect();
        if crew_people.len() != crew_people.iter().collect::<BTreeSet<_>>().len() {
            repeated_crew += 1;
        }
    }
    assert!(repeated_crew > 0);
    let credits: Vec<&Value> = movies
        .iter()
        .flat_map(|m| m["credits"]["cast"].as_array().unwrap())
        .collect();
    assert!(
        credits.iter().any(|c| c["character"] == ""),
        "cast with character \"\""
    );
    assert!(credits.iter().any(|c| c["profile_path"].is_null()));
    assert!(credits.iter().any(|c| c["gender"] == 0));
    assert!(
        credits
            .iter()
            .all(|c| c["character"].is_string() && c["name"].is_string())
    );
    assert!(biggest > 300, "the biggest movie has {biggest} credits");
    assert!(
        count(&movies, &|m| m["credits"]["cast"]
            .as_array()
            .unwrap()
            .is_empty())
            > 0
    );
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_other_bytes() {
    let a = sim(&[]);
    let b = sim(&[]);
    let c = Sim::start(&["--movies", "300", "--seed", "8", "--today", TODAY]);
    let movie = json(&a, "/3/discover/movie")["results"][0]["id"]
        .as_u64()
        .unwrap();
    let cast = json(&a, &format!("/3/movie/{movie}/credits"))["cast"].clone();
    let person = cast[0]["id"].as_u64().unwrap_or(10);
    let paths = [
        format!("/3/movie/{movie}?append_to_response=credits"),
        format!("/3/person/{person}"),
        "/3/discover/movie?page=2".to_owned(),
        "/3/discover/movie?sort_by=title.asc".to_owned(),
    ];
    for path in &paths {
        let answer = a.get(path);
        assert_eq!(answer.0, 200, "{path}");
        assert_eq!(answer, b.get(path), "{path}");
        assert_ne!(answer, c.get(path), "seed 8 answers {path} like seed 7");
    }
    let file = "movie_ids_11_30_2026.json.gz";
    assert_eq!(export(&a, file), export(&b, file));
    assert_ne!(export(&a, file), export(&c, file));
}

#[test]
fn unknown_ids_and_paths_answer_tmdbs_404() {
    let sim = sim(&[]);
    let expected = fixture("tmdblib-error-404-movie-999999999.json");
    for path in [
        "/3/movie/999999999",
        "/3/person/999999999",
        "/3/movie/abc",
        "/3/movie/999999999/credits",
        "/3/tv/1",
        "/nope",
    ] {
        let (status, body) = sim.get(path);
        assert_eq!(status, 404, "{path}");
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap(),
            expected,
            "{path}"
        );
    }
    let appends = vec!["credits"; 21].join(",");
    let (status, body) = sim.get(&format!("/3/movie/3?append_to_response={appends}"));
    assert_eq!(status, 400);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["status_code"],
        27
    );
}

#[test]
fn a_token_is_required_on_the_api_but_not_on_exports() {
    let sim = sim(&["--token", "s3cret"]);
    let expected = fixture("jdrouet-error-401-invalid-api-key.json");
    for headers in [
        vec![],
        vec![("Authorization", "Bearer wrong")],
        vec![("Authorization", "s3cret")],
    ] {
        let (status, body) = sim.get_with("/3/genre/movie/list", &headers);
        assert_eq!(status, 401, "{headers:?}");
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), expected);
    }
    let (status, _) = sim.get_with("/3/genre/movie/list", &[("Authorization", "Bearer s3cret")]);
    assert_eq!(status, 200);
    let (status, _) = sim.get(&format!("/p/exports/movie_ids_{}.json.gz", "11_30_2026"));
    assert_eq!(status, 200);
}

#[test]
fn over_the_rate_the_api_answers_429_with_retry_after() {
    let sim = sim(&["--rate", "5"]);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut refused = None;
    for _ in 0..40 {
        let mut resp = agent
            .get(format!("{}/3/genre/movie/list", sim.base))
            .call()
            .unwrap();
        if resp.status() == 429 {
            let retry: u64 = resp
                .headers()
                .get("retry-after")
                .expect("Retry-After")
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            let body: Value =
                serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
            refused = Some((retry, body));
            break;
        }
    }
    let (retry, body) = refused.expect("40 quick requests at --rate 5 got no 429");
    assert!(retry >= 1);
    assert_eq!(body["status_code"], 25);
    assert_eq!(body["success"], false);
    let stats = sim.stats();
    assert_eq!(stats["by_status"]["429"], 1);
    assert_eq!(stats["by_route"]["/3/genre/movie/list"], stats["requests"]);
}

#[test]
fn bad_flags_exit_2_with_a_one_line_message() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["--fault-rate", "1.5"],
            "tmdb-sim: --fault-rate must be between 0 and 1, not 1.5\n",
        ),
        (
            &["--rate", "0"],
            "tmdb-sim: --rate must be a positive number of requests per second\n",
        ),
        (
            &["--today", "2026-02-30"],
            "tmdb-sim: --today: \"2026-02-30\" is not a valid date\n",
        ),
        (
            &["--movies", "0"],
            "tmdb-sim: --movies and --threads must be at least 1\n",
        ),
    ];
    for (args, message) in cases {
        let mut cmd = std::process::Command::new(crate::util::bin("tmdb-sim"));
        cmd.args(["--port", "0"]).args(args);
        let run = crate::util::run(cmd);
        run.expect_code(2);
        assert_eq!(run.stderr, message, "{args:?}");
        assert_eq!(run.stdout, "");
    }
    let sim = sim(&[]);
    let port = sim.base.rsplit(':').next().unwrap().to_owned();
    let mut cmd = std::process::Command::new(crate::util::bin("tmdb-sim"));
    cmd.args(["--port", &port]);
    let run = crate::util::run(cmd);
    run.expect_code(2);
    assert!(
        run.stderr
            .starts_with(&format!("tmdb-sim: binding 127.0.0.1:{port}: ")),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1);
}

/// One request on a fresh connection: its status, or how it failed.
fn raw_get(base: &str, path: &str) -> String {
    let mut s = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: sim\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    if buf.is_empty() {
        return "dropped".into();
    }
    let text = String::from_utf8_lossy(&buf);
    let (head, body) = text.split_once("\r\n\r\n").expect("a whole head");
    let status = &head[9..12];
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap();
    if body.len() < length {
        return "truncated".into();
    }
    if status == "502" {
        assert!(
            serde_json::from_str::<Value>(body).is_err(),
            "the 502 page is not JSON"
        );
        return "502 html".into();
    }
    if status != "200" {
        let v: Value = serde_json::from_str(body).expect("JSON error body");
        return format!("{status} {}", v["status_code"]);
    }
    status.into()
}

#[test]
fn faults_come_at_the_configured_rate_every_kind_and_replayable() {
    let args = [
        "--fault-rate",
        "0.4",
        "--fault-seed",
        "5",
        "--stall-ms",
        "20",
    ];
    let outcomes = |sim: &Sim| -> Vec<String> {
        (0..150)
            .map(|i| raw_get(&sim.base, &format!("/3/movie/{}", 1 + i % 9)))
            .collect()
    };
    let a = sim(&args);
    let first = outcomes(&a);
    let b = sim(&args);
    assert_eq!(
        first,
        outcomes(&b),
        "the same fault seed gives the same faults"
    );
    let c = sim(&[
        "--fault-rate",
        "0.4",
        "--fault-seed",
        "6",
        "--stall-ms",
        "20",
    ]);
    assert_ne!(first, outcomes(&c));
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &first {
        *seen.entry(o.as_str()).or_default() += 1;
    }
    for kind in ["dropped", "truncated", "502 html", "503 9", "500 11"] {
        assert!(seen.contains_key(kind), "{kind} never seen: {seen:?}");
    }
    let stats = a.stats();
    let faults = &stats["faults"];
    for name in [
        "html_502",
        "json_503",
        "json_500",
        "dropped",
        "stall",
        "truncated",
    ] {
        assert!(faults[name].as_u64().unwrap_or(0) > 0, "{name}: {faults}");
    }
    let total: u64 = faults
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert!(
        (30..=90).contains(&total),
        "{total} faults in 150 requests at 0.4"
    );
    // Exports and the /__ routes are never faulted.
    for _ in 0..20 {
        assert_eq!(
            raw_get(&a.base, "/p/exports/movie_ids_11_30_2026.json.gz"),
            "200"
        );
    }
}

fn all_pages(sim: &Sim, query: &str) -> (Vec<Value>, u64) {
    let first = json(sim, &format!("/3/discover/movie?{query}"));
    let pages = first["total_pages"].as_u64().unwrap();
    let mut items: Vec<Value> = first["results"].as_array().unwrap().clone();
    for page in 2..=pages.min(500) {
        let next = json(sim, &format!("/3/discover/movie?{query}&page={page}"));
        assert_eq!(next["total_results"], first["total_results"]);
        items.extend(next["results"].as_array().unwrap().iter().cloned());
    }
    (items, first["total_results"].as_u64().unwrap())
}

#[test]
fn discover_pages_filters_and_totals_are_true() {
    let sim = sim(&[]);
    let dir = Workdir::new("sim-discover");
    sim.dump(0, &dir.path);
    let movies = dumped(&dir.path, "movies.ndjson");
    let visible: BTreeSet<u64> = movies
        .iter()
        .filter(|m| m["adult"] == false && m["video"] == false)
        .map(|m| m["id"].as_u64().unwrap())
        .collect();
    let (items, total) = all_pages(&sim, "sort_by=popularity.desc");
    assert_eq!(total as usize, visible.len());
    assert_eq!(items.len(), visible.len());
    let ids: BTreeSet<u64> = items.iter().map(|m| m["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, visible, "every non-adult, non-video movie once");
    let pops: Vec<f64> = items
        .iter()
        .map(|m| m["popularity"].as_f64().unwrap())
        .collect();
    assert!(
        pops.windows(2).all(|w| w[0] >= w[1]),
        "sorted by popularity"
    );
    let (with_adult, _) = all_pages(&sim, "include_adult=true&include_video=true");
    assert_eq!(with_adult.len(), movies.len());
    // A date window leaves out movies without a release date; genres filter with AND and OR.
    let (dated, _) = all_pages(
        &sim,
        "primary_release_date.gte=2000-01-01&primary_release_date.lte=2019-12-31&sort_by=primary_release_date.asc",
    );
    let expect: Vec<u64> = {
        let mut v: Vec<(&str, u64)> = movies
            .iter()
            .filter(|m| m["adult"] == false && m["video"] == false)
            .map(|m| {
                (
                    m["release_date"].as_str().unwrap(),
                    m["id"].as_u64().unwrap(),
                )
            })
            .filter(|(d, _)| !d.is_empty() && *d >= "2000-01-01" && *d <= "2019-12-31")
            .collect();
        v.sort();
        v.into_iter().map(|(_, id)| id).collect()
    };
    assert_eq!(
        dated
            .iter()
            .map(|m| m["id"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        expect
    );
    let has = |m: &Value, g: u64| m["genre_ids"].as_array().unwrap().iter().any(|x| x == g);
    let (drama, _) = all_pages(&sim, "with_genres=18");
    assert!(!drama.is_empty() && drama.iter().all(|m| has(m, 18)));
    let (either, _) = all_pages(&sim, "with_genres=18%7C35");
    let (both, _) = all_pages(&sim, "with_genres=18,35");
    assert!(either.len() > drama.len() && both.len() < drama.len());
    assert!(both.iter().all(|m| has(m, 18) && has(m, 35)));
    let (no_drama, _) = all_pages(&sim, "without_genres=18");
    assert_eq!(no_drama.len() + drama.len(), visible.len());
    let (year, _) = all_pages(&sim, "primary_release_year=2020");
    assert!(
        !year.is_empty()
            && year
                .iter()
                .all(|m| m["release_date"].as_str().unwrap().starts_with("2020-"))
    );
    let (english, _) = all_pages(&sim, "with_original_language=en");
    assert!(!english.is_empty() && english.len() < visible.len());
    assert!(english.iter().all(|m| m["original_language"] == "en"));
    let (voted, _) = all_pages(&sim, "vote_count.gte=1000");
    assert!(
        !voted.is_empty()
            && voted
                .iter()
                .all(|m| m["vote_count"].as_u64().unwrap() >= 1000)
    );
    let (by_title, _) = all_pages(&sim, "sort_by=title.asc");
    let titles: Vec<&str> = by_title
        .iter()
        .map(|m| m["title"].as_str().unwrap())
        .collect();
    assert!(titles.windows(2).all(|w| w[0] <= w[1]), "sorted by title");
    // Past page 500: TMDB's 400 / 22. An empty result: page 1 of 1.
    let (status, body) = sim.get("/3/discover/movie?page=501");
    assert_eq!(status, 400);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["status_code"],
        22
    );
    let empty = json(
        &sim,
        "/3/discover/movie?primary_release_date.gte=2999-01-01",
    );
    assert_eq!(
        empty,
        serde_json::json!({"page":1,"results":[],"total_pages":1,"total_results":0})
    );
}

#[test]
fn the_page_cap_leaves_true_totals() {
    let sim = Sim::start(&["--movies", "12000", "--seed", "2", "--today", TODAY]);
    let first = json(&sim, "/3/discover/movie");
    let total = first["total_results"].as_u64().unwrap();
    assert!(total > 10_000, "{total}");
    assert_eq!(first["total_pages"].as_u64().unwrap(), total.div_ceil(20));
    assert_eq!(
        json(&sim, "/3/discover/movie?page=500")["results"]
            .as_array()
            .unwrap()
            .len(),
        20
    );
    assert_eq!(sim.get("/3/discover/movie?page=501").0, 400);
    assert_eq!(sim.get("/3/discover/movie?page=0").0, 400);
}

fn export(sim: &Sim, name: &str) -> Vec<Value> {
    let url = format!("{}/p/exports/{name}", sim.base);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent.get(&url).call().unwrap();
    assert_eq!(resp.status(), 200, "{url}");
    let mut gz = Vec::new();
    resp.body_mut().as_reader().read_to_end(&mut gz).unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut text)
        .unwrap();
    crate::util::parse_ndjson(&text).unwrap()
}

fn ids_of(items: &[Value]) -> BTreeSet<u64> {
    items.iter().map(|v| v["id"].as_u64().unwrap()).collect()
}

#[test]
fn exports_list_the_live_catalog_split_by_adult() {
    let sim = sim(&[]);
    let dir = Workdir::new("sim-exports");
    sim.dump(0, &dir.path);
    let movies = dumped(&dir.path, "movies.ndjson");
    let people = dumped(&dir.path, "people.ndjson");
    let plain = export(&sim, "movie_ids_11_30_2026.json.gz");
    let adult = export(&sim, "adult_movie_ids_11_30_2026.json.gz");
    assert!(plain.iter().all(|l| l["adult"] == false) && adult.iter().all(|l| l["adult"] == true));
    assert!(!adult.is_empty());
    let keys: Vec<&String> = plain[0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["adult", "id", "original_title", "popularity", "video"]
    );
    let mut all = ids_of(&plain);
    all.extend(ids_of(&adult));
    assert_eq!(all, ids_of(&movies));
    let by_id: BTreeMap<u64, &Value> = movies
        .iter()
        .map(|m| (m["id"].as_u64().unwrap(), m))
        .collect();
    for line in &plain {
        let m = by_id[&line["id"].as_u64().unwrap()];
        assert_eq!(line["original_title"], m["original_title"]);
        assert_eq!(line["popularity"], m["popularity"]);
        assert_eq!(line["video"], m["video"]);
    }
    let persons = export(&sim, "person_ids_11_30_2026.json.gz");
    let adult_persons = export(&sim, "adult_person_ids_11_30_2026.json.gz");
    let keys: Vec<&String> = persons[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["adult", "id", "name", "popularity"]);
    let mut all = ids_of(&persons);
    all.extend(ids_of(&adult_persons));
    assert_eq!(all, ids_of(&people));
    // Older dates exist, a later date does not (the CDN answers XML).
    export(&sim, "movie_ids_11_01_2026.json.gz");
    let (status, body) = sim.get("/p/exports/movie_ids_12_01_2026.json.gz");
    assert_eq!(status, 404);
    assert!(body.starts_with("<?xml"));
    assert_eq!(
        sim.get("/p/exports/tv_series_ids_11_30_2026.json.gz").0,
        404
    );
}

#[test]
fn changes_windows_are_capped_at_14_days_and_paged_by_100() {
    let sim = Sim::start(&["--movies", "3000", "--seed", "4", "--today", TODAY]);
    assert_eq!(
        json(&sim, "/3/movie/changes"),
        serde_json::json!({"results":[],"page":1,"total_pages":1,"total_results":0})
    );
    let (status, body) = sim.get("/3/movie/changes?start_date=2026-11-01&end_date=2026-11-16");
    assert_eq!(status, 422);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["status_code"],
        20
    );
    assert_eq!(
        sim.get("/3/movie/changes?start_date=2026-11-02&end_date=2026-11-16")
            .0,
        200
    );
    assert_eq!(sim.get("/3/movie/changes?start_date=30-11-2026").0, 400);
    let summary = sim.mutate(5);
    assert_eq!(summary["today"], "2026-12-05");
    let m = &summary["movie"];
    let expected = m["changed"].as_u64().unwrap()
        + m["added"].as_u64().unwrap()
        + m["deleted"].as_u64().unwrap();
    let first = json(&sim, &format!("/3/movie/changes?start_date={TODAY}"));
    let total = first["total_results"].as_u64().unwrap();
    assert!(total > 100 && total <= expected, "{total} of {expected}");
    assert_eq!(first["total_pages"].as_u64().unwrap(), total.div_ceil(100));
    let mut ids = Vec::new();
    for page in 1..=first["total_pages"].as_u64().unwrap() {
        let p = json(
            &sim,
            &format!("/3/movie/changes?start_date={TODAY}&page={page}"),
        );
        let results = p["results"].as_array().unwrap();
        assert!(results.len() <= 100);
        ids.extend(results.iter().map(|r| r["id"].as_u64().unwrap()));
    }
    assert_eq!(ids.len() as u64, total);
    assert_eq!(
        ids.iter().collect::<BTreeSet<_>>().len(),
        ids.len(),
        "each ID once"
    );
    // One day's window lists only that day.
    let day3 = json(
        &sim,
        "/3/movie/changes?start_date=2026-12-03&end_date=2026-12-03",
    )["total_results"]
        .as_u64()
        .unwrap();
    assert!(day3 > 0 && day3 < total);
}

/// Every ID of every page of a changes query.
fn changed_ids(sim: &Sim, kind: &str, query: &str) -> BTreeSet<u64> {
    let mut ids = BTreeSet::new();
    let mut page = 1;
    loop {
        let p = json(sim, &format!("/3/{kind}/changes?{query}&page={page}"));
        ids.extend(ids_of(p["results"].as_array().unwrap()));
        if page >= p["total_pages"].as_u64().unwrap() {
            return ids;
        }
        page += 1;
    }
}

#[test]
fn mutation_shows_in_details_changes_exports_and_the_dump() {
    let sim = Sim::start(&["--movies", "1000", "--seed", "7", "--today", TODAY]);
    let before = Workdir::new("sim-mutate-before");
    sim.dump(0, &before.path);
    sim.mutate(4);
    let after = Workdir::new("sim-mutate-after");
    sim.dump(4, &after.path);
    let old: BTreeMap<u64, Value> = dumped(&before.path, "movies.ndjson")
        .into_iter()
        .map(|m| (m["id"].as_u64().unwrap(), m))
        .collect();
    let new: BTreeMap<u64, Value> = dumped(&after.path, "movies.ndjson")
        .into_iter()
        .map(|m| (m["id"].as_u64().unwrap(), m))
        .collect();
    let listed = changed_ids(
        &sim,
        "movie",
        &format!("start_date={TODAY}&end_date=2026-12-04"),
    );
    let added: Vec<u64> = new
        .keys()
        .filter(|id| !old.contains_key(id))
        .copied()
        .collect();
    let deleted: Vec<u64> = old
        .keys()
        .filter(|id| !new.contains_key(id))
        .copied()
        .collect();
    let changed: Vec<u64> = new
        .iter()
        .filter(|(id, m)| old.get(id).is_some_and(|o| o != *m))
        .map(|(id, _)| *id)
        .collect();
    assert!(
        !added.is_empty() && !deleted.is_empty() && !changed.is_empty(),
        "{added:?} {deleted:?} {changed:?}"
    );
    // Appends change too (keywords and videos grow, watch providers are redrawn).
    for key in ["keywords", "videos", "watch/providers"] {
        assert!(
            changed.iter().any(|id| old[id][key] != new[id][key]),
            "no changed movie has new {key}"
        );
    }
    for id in added.iter().chain(&deleted).chain(&changed) {
        assert!(
            listed.contains(id),
            "movie {id} differs from day 0 but is not in the changes list"
        );
    }
    for id in &deleted {
        assert_eq!(sim.get(&format!("/3/movie/{id}")).0, 404);
    }
    for id in &added {
        assert_eq!(sim.get(&format!("/3/movie/{id}")).0, 200);
    }
    let gone = ids_of(&dumped(&after.path, "gone_movies.ndjson"));
    assert!(deleted.iter().all(|id| gone.contains(id)));
    let exported = ids_of(&export(&sim, "movie_ids_12_04_2026.json.gz"));
    assert!(
        added
            .iter()
            .all(|id| exported.contains(id) || new[id]["adult"] == true)
    );
    assert!(deleted.iter().all(|id| !exported.contains(id)));
    // People: the same rule.
    let old_p: BTreeMap<u64, Value> = dumped(&before.path, "people.ndjson")
        .into_iter()
        .map(|m| (m["id"].as_u64().unwrap(), m))
        .collect();
    let new_p: BTreeMap<u64, Value> = dumped(&after.path, "people.ndjson")
        .into_iter()
        .map(|m| (m["id"].as_u64().unwrap(), m))
        .collect();
    let listed_p = changed_ids(&sim, "person", &format!("start_date={TODAY}"));
    let mut differing = 0;
    for (id, p) in &new_p {
        if old_p.get(id) != Some(p) {
            differing += 1;
            assert!(listed_p.contains(id), "person {id}");
        }
    }
    for id in old_p.keys().filter(|id| !new_p.contains_key(id)) {
        assert!(listed_p.contains(id), "deleted person {id}");
    }
    assert!(differing > 0);
    // Every person credited by a live movie is alive.
    for m in new.values() {
        for c in m["credits"]["cast"]
            .as_array()
            .unwrap()
            .iter()
            .chain(m["credits"]["crew"].as_array().unwrap())
        {
            assert!(
                new_p.contains_key(&c["id"].as_u64().unwrap()),
                "movie {} credits a missing person",
                m["id"]
            );
        }
    }
}

#[test]
fn the_dump_is_what_the_simulator_serves() {
    let sim = sim(&["--mutate", "2"]);
    let dir = Workdir::new("sim-dump");
    sim.dump(2, &dir.path);
    let movies = std::fs::read_to_string(dir.join("movies.ndjson")).unwrap();
    let mut last = 0;
    for line in movies.lines() {
        let id = serde_json::from_str::<Value>(line).unwrap()["id"]
            .as_u64()
            .unwrap();
        assert!(id > last, "ascending");
        last = id;
        let (status, body) = sim.get(&format!("/3/movie/{id}?append_to_response={ALL_APPENDS}"));
        assert_eq!((status, body.as_str()), (200, line), "movie {id}");
    }
    let people = std::fs::read_to_string(dir.join("people.ndjson")).unwrap();
    for line in people.lines().step_by(7) {
        let id = serde_json::from_str::<Value>(line).unwrap()["id"]
            .as_u64()
            .unwrap();
        assert_eq!(
            sim.get(&format!(
                "/3/person/{id}?append_to_response={ALL_PERSON_APPENDS}"
            )),
            (200, line.to_owned()),
            "person {id}"
        );
    }
    for (file, path) in [
        ("gone_movies.ndjson", "movie"),
        ("gone_people.ndjson", "person"),
    ] {
        let gone = read_ndjson(&dir.join(file));
        assert!(!gone.is_empty(), "{file}");
        for g in gone.iter().take(50) {
            assert_eq!(g.as_object().unwrap().len(), 1);
            assert_eq!(sim.get(&format!("/3/{path}/{}", g["id"])).0, 404);
        }
    }
    let genres = read_ndjson(&dir.join("genres.ndjson"));
    assert_eq!(genres.len(), 19);
    assert_eq!(genres[0], serde_json::json!({"id":28,"name":"Action"}));
}

#[test]
fn stats_count_routes_statuses_and_deliveries() {
    let sim = sim(&[]);
    let id = json(&sim, "/3/discover/movie")["results"][0]["id"]
        .as_u64()
        .unwrap();
    json(&sim, &format!("/3/movie/{id}?append_to_response=credits"));
    json(&sim, &format!("/3/movie/{id}"));
    sim.get("/3/movie/999999999");
    let stats = sim.stats();
    assert_eq!(stats["requests"], 4);
    assert_eq!(stats["by_route"]["/3/movie/{id}"], 3);
    assert_eq!(stats["by_status"]["200"], 3);
    assert_eq!(stats["by_status"]["404"], 1);
    assert_eq!(stats["deliveries"]["movie"][id.to_string()], 2);
}

#[test]
fn answers_go_gzipped_to_a_client_that_takes_gzip_and_plain_to_one_that_does_not() {
    let sim = sim(&[]);
    let id = json(&sim, "/3/discover/movie")["results"][0]["id"]
        .as_u64()
        .unwrap();
    let path = format!("/3/movie/{id}?append_to_response=credits,translations");
    let get = |accept: &str| {
        let mut s = TcpStream::connect(sim.api_url()[7..].split('/').next().unwrap()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: sim\r\n{accept}Connection: close\r\n\r\n"
        )
        .unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).unwrap();
        let at = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8(buf[..at].to_vec())
            .unwrap()
            .to_ascii_lowercase();
        (head, buf[at + 4..].to_vec())
    };
    let before = sim.stats();
    let (plain_head, plain) = get("");
    assert!(!plain_head.contains("content-encoding"), "{plain_head}");
    let (head, gzipped) = get("Accept-Encoding: gzip, deflate\r\n");
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert!(
        head.contains(&format!("content-length: {}", gzipped.len())),
        "{head}"
    );
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(&gzipped[..])
        .read_to_end(&mut inflated)
        .unwrap();
    assert_eq!(inflated, plain, "the gzipped body is the plain one");
    assert!(
        gzipped.len() < plain.len(),
        "{} of {}",
        gzipped.len(),
        plain.len()
    );
    let after = sim.stats();
    let grew = |key: &str| after[key].as_u64().unwrap() - before[key].as_u64().unwrap();
    assert_eq!(grew("gzipped"), 1);
    assert_eq!(grew("body_bytes"), 2 * plain.len() as u64);
    assert_eq!(grew("sent_bytes"), (plain.len() + gzipped.len()) as u64);
}

#[test]
fn stalls_never_hold_up_other_keep_alive_clients() {
    let sim = sim(&["--fault-rate", "0.3", "--stall-ms", "1000"]);
    let (tx, rx) = mpsc::channel();
    for client in 0..64u64 {
        let base = sim.base.clone();
        let tx = tx.clone();
        std::thread::spawn(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(20)))
                .build()
                .into();
            let mut ok = 0;
            for i in 0..12 {
                // IDs above the reserved ones (194, 550, 603), about half of them live.
                let url = format!(
                    "{base}/3/movie/{}?append_to_response=credits",
                    604 + (client * 12 + i) % 600
                );
                if let Ok(mut resp) = agent.get(&url).call()
                    && resp
                        .body_mut()
                        .with_config()
                        .limit(1 << 24)
                        .read_to_vec()
                        .is_ok()
                {
                    ok += 1;
                }
            }
            let _ = tx.send(ok);
        });
    }
    drop(tx);
    let mut finished = 0;
    let mut answered = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while finished < 64 {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        answered += rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("only {finished} of 64 clients finished within 60 s"));
        finished += 1;
    }
    let stats = sim.stats();
    // Only dropped connections and truncated bodies (a third of the 30% faulted) fail a request.
    assert!(
        answered > 64 * 12 * 3 / 4,
        "{answered} of {} requests answered",
        64 * 12
    );
    assert!(stats["faults"]["stall"].as_u64().unwrap() > 0, "{stats}");
    assert!(
        stats["deliveries"]["movie"].as_object().unwrap().len() > 100,
        "{stats}"
    );
}

/// Each movie sub-resource with the recorded TMDB answer its shape is compared with (movie
/// 47964's, and 335984's external IDs) and the keys that may be null on either side.
const SUB_SAMPLES: &[(&str, &str, &[&str])] = &[
    ("credits", "jdrouet-movie-550-credits.json", NULLABLE),
    ("keywords", "tmdblib-movie-47964-keywords.json", &[]),
    (
        "release_dates",
        "tmdblib-movie-47964-release-dates.json",
        &[],
    ),
    (
        "external_ids",
        "tmdblib-movie-335984-external-ids.json",
        &[
            "imdb_id",
            "wikidata_id",
            "facebook_id",
            "instagram_id",
            "twitter_id",
        ],
    ),
    (
        "alternative_titles",
        "tmdblib-movie-47964-alternative-titles-country-US.json",
        &[],
    ),
    ("translations", "tmdblib-movie-47964-translations.json", &[]),
    ("videos", "tmdblib-movie-47964-videos.json", &[]),
    (
        "images",
        "tmdblib-movie-47964-images.json",
        &["iso_3166_1", "iso_639_1"],
    ),
];

/// Panics unless `offers` (one movie's `watch/providers` results) has TMDB's shape: countries
/// as keys, a `link` each, categories absent rather than empty, provider items as recorded.
fn assert_watch_providers(offers: &Value, movie: u64) {
    let recorded = fixture("tmdblib-movie-47964-watch-providers.json");
    let provider = &recorded["results"]["AR"]["buy"][0];
    assert!(provider.is_object());
    for (country, offer) in offers.as_object().unwrap() {
        assert_eq!(country.len(), 2, "movie {movie}: country {country}");
        assert_eq!(
            offer["link"].as_str().unwrap(),
            format!("https://www.themoviedb.org/movie/{movie}/watch?locale={country}")
        );
        let categories: Vec<&String> = offer
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| *k != "link")
            .collect();
        assert!(
            !categories.is_empty(),
            "movie {movie}: {country} offers nothing"
        );
        for category in categories {
            assert!(
                ["ads", "buy", "flatrate", "free", "rent"].contains(&category.as_str()),
                "{category}"
            );
            let list = offer[category].as_array().unwrap();
            assert!(
                !list.is_empty(),
                "movie {movie}: {country}.{category} is []"
            );
            for p in list {
                assert_shape(provider, p, &[], &format!("movie {movie} provider"));
            }
        }
    }
}

#[test]
fn every_append_has_tmdbs_shape_with_an_id_only_when_served_alone() {
    let sim = sim(&[]);
    let dir = Workdir::new("sim-appends");
    sim.dump(0, &dir.path);
    let samples: Vec<(&str, Value, &[&str])> = SUB_SAMPLES
        .iter()
        .map(|&(key, file, nullable)| (key, fixture(file), nullable))
        .collect();
    let mut filled: BTreeMap<&str, usize> = BTreeMap::new();
    for m in dumped(&dir.path, "movies.ndjson").iter().step_by(4) {
        let id = m["id"].as_u64().unwrap();
        for (key, sample, nullable) in samples.iter().map(|(k, s, n)| (*k, Some(s), *n)).chain([(
            "watch/providers",
            None,
            &[][..],
        )]) {
            let appended = &m[key];
            assert!(
                appended.is_object() && appended.get("id").is_none(),
                "movie {id}: appended {key} must be an object without id: {appended}"
            );
            let mut alone = json(&sim, &format!("/3/movie/{id}/{key}"));
            assert_eq!(alone["id"], id, "{key} of {id} served alone");
            match sample {
                Some(sample) => assert_shape(sample, &alone, nullable, &format!("{key} of {id}")),
                None => assert_watch_providers(&alone["results"], id),
            }
            alone.as_object_mut().unwrap().remove("id");
            assert_eq!(&alone, appended, "{key} of {id}: alone and appended differ");
            let has_items = appended.as_object().unwrap().values().any(|v| match v {
                Value::Array(a) => !a.is_empty(),
                Value::Object(o) => !o.is_empty(),
                Value::String(_) => true,
                _ => false,
            });
            *filled.entry(key).or_default() += usize::from(has_items);
        }
        // The details' IMDb ID is the external IDs' one.
        assert_eq!(m["imdb_id"], m["external_ids"]["imdb_id"], "movie {id}");
        // The details' poster and backdrop are the first of the images.
        for (path, list) in [("poster_path", "posters"), ("backdrop_path", "backdrops")] {
            if !m[path].is_null() {
                assert_eq!(m[path], m["images"][list][0]["file_path"], "movie {id}");
            }
        }
    }
    for (key, _, _) in SUB_SAMPLES {
        assert!(filled[key] > 5, "few movies have {key}: {filled:?}");
    }
    assert!(filled["watch/providers"] > 5, "{filled:?}");
    // alternative_titles?country= keeps that country's titles, all of them.
    let fight_club = json(&sim, "/3/movie/550/alternative_titles");
    let titles = fight_club["titles"].as_array().unwrap();
    let country = titles[0]["iso_3166_1"].as_str().unwrap();
    let filtered = json(
        &sim,
        &format!("/3/movie/550/alternative_titles?country={country}"),
    );
    let expected: Vec<&Value> = titles
        .iter()
        .filter(|t| t["iso_3166_1"] == country)
        .collect();
    assert_eq!(
        filtered["titles"]
            .as_array()
            .unwrap()
            .iter()
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(sim.get("/3/movie/550/watch").0, 404);
    assert_eq!(sim.get("/3/movie/999999999/keywords").0, 404);
}

#[test]
fn person_appends_have_tmdbs_shape_with_an_id_only_when_served_alone() {
    let sim = sim(&[]);
    let dir = Workdir::new("sim-person-appends");
    sim.dump(0, &dir.path);
    let details = fixture("tmdblib-person-62.json");
    let external = fixture("tmdblib-person-62-external-ids.json");
    let external_nullable: Vec<&str> = external
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let (mut translated, mut pictured, mut facebook_empty) = (0, 0, 0);
    for p in dumped(&dir.path, "people.ndjson").iter().step_by(3) {
        let id = p["id"].as_u64().unwrap();
        let mut bare = p.clone();
        for key in ["external_ids", "translations", "images"] {
            let appended = bare.as_object_mut().unwrap().remove(key).unwrap();
            assert!(appended.get("id").is_none(), "person {id}: appended {key}");
            let mut alone = json(&sim, &format!("/3/person/{id}/{key}"));
            assert_eq!(alone["id"], id, "{key} of person {id}");
            alone.as_object_mut().unwrap().remove("id");
            assert_eq!(alone, appended, "{key} of person {id}");
        }
        assert_shape(&details, &bare, PERSON_NULLABLE, &format!("person {id}"));
        let mut ids = p["external_ids"].clone();
        ids["id"] = id.into();
        assert_shape(&external, &ids, &external_nullable, &format!("ids {id}"));
        assert_eq!(p["external_ids"]["imdb_id"], p["imdb_id"], "person {id}");
        facebook_empty += usize::from(p["external_ids"]["facebook_id"] == "");
        for t in p["translations"]["translations"].as_array().unwrap() {
            let keys: BTreeSet<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                BTreeSet::from(["iso_3166_1", "iso_639_1", "name", "english_name", "data"]),
                "person {id}"
            );
            assert!(t["data"]["biography"].is_string());
            assert_eq!(t["data"].as_object().unwrap().len(), 1);
            translated += 1;
        }
        for image in p["images"]["profiles"].as_array().unwrap() {
            let keys: BTreeSet<&str> = image
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(
                keys,
                BTreeSet::from([
                    "aspect_ratio",
                    "height",
                    "iso_639_1",
                    "file_path",
                    "vote_average",
                    "vote_count",
                    "width"
                ])
            );
            assert!(image["vote_average"].is_f64() && image["aspect_ratio"].is_f64());
            pictured += 1;
        }
    }
    assert!(translated > 10 && pictured > 10 && facebook_empty > 0);
}

#[test]
fn appends_do_not_depend_on_their_order_repeats_or_company() {
    let sim = sim(&[]);
    let popular = json(&sim, "/3/discover/movie")["results"][0]["id"]
        .as_u64()
        .unwrap();
    let reversed: Vec<&str> = ALL_APPENDS.split(',').rev().collect();
    for id in [550, 603, 194, popular] {
        let (status, full_text) =
            sim.get(&format!("/3/movie/{id}?append_to_response={ALL_APPENDS}"));
        assert_eq!(status, 200);
        let (_, reversed_text) = sim.get(&format!(
            "/3/movie/{id}?append_to_response={}",
            reversed.join(",")
        ));
        assert_eq!(
            full_text, reversed_text,
            "movie {id}: order changes the body"
        );
        let full: Value = serde_json::from_str(&full_text).unwrap();
        let plain = json(&sim, &format!("/3/movie/{id}"));
        for key in ALL_APPENDS.split(',') {
            // Repeats and unknown names change nothing.
            let one = json(
                &sim,
                &format!("/3/movie/{id}?append_to_response={key},reviews,{key}"),
            );
            let mut expected = plain.clone();
            expected[key] = full[key].clone();
            assert_eq!(one, expected, "movie {id} with {key} alone");
        }
    }
    let person = json(&sim, "/3/movie/550/credits")["cast"][0]["id"]
        .as_u64()
        .unwrap();
    let full = json(
        &sim,
        &format!("/3/person/{person}?append_to_response={ALL_PERSON_APPENDS}"),
    );
    let images = json(
        &sim,
        &format!("/3/person/{person}?append_to_response=images"),
    );
    assert_eq!(images["images"], full["images"]);
    assert!(images.get("translations").is_none());
}

#[test]
fn the_whole_record_varies_as_tmdbs_does() {
    let sim = Sim::start(&["--movies", "1000", "--seed", "3", "--today", TODAY]);
    let dir = Workdir::new("sim-variety");
    sim.dump(0, &dir.path);
    let movies = dumped(&dir.path, "movies.ndjson");
    let len = |v: &Value| v.as_array().unwrap().len();
    let release_countries: Vec<usize> = movies
        .iter()
        .map(|m| len(&m["release_dates"]["results"]))
        .collect();
    let translations: Vec<usize> = movies
        .iter()
        .map(|m| len(&m["translations"]["translations"]))
        .collect();
    for (what, counts) in [
        ("release countries", &release_countries),
        ("translations", &translations),
    ] {
        assert!(counts.iter().max().unwrap() >= &20, "famous {what}");
        assert!(
            counts.iter().filter(|&&n| (1..=3).contains(&n)).count() > movies.len() / 3,
            "obscure {what}"
        );
    }
    let dates: Vec<&Value> = movies
        .iter()
        .flat_map(|m| m["release_dates"]["results"].as_array().unwrap())
        .flat_map(|r| r["release_dates"].as_array().unwrap())
        .collect();
    let share = |items: &[&Value], f: &dyn Fn(&Value) -> bool| {
        items.iter().filter(|v| f(v)).count() as f64 / items.len() as f64
    };
    assert!(dates.len() > release_countries.iter().sum::<usize>());
    let empty_cert = share(&dates, &|d| d["certification"] == "");
    assert!((0.3..0.95).contains(&empty_cert), "{empty_cert}");
    let empty_note = share(&dates, &|d| d["note"] == "");
    assert!((0.6..1.0).contains(&empty_note), "{empty_note}");
    assert!(dates.iter().any(|d| len(&d["descriptors"]) > 0));
    assert!(dates.iter().all(|d| {
        d["descriptors"].is_array()
            && d["release_date"]
                .as_str()
                .unwrap()
                .ends_with("T00:00:00.000Z")
    }));
    let data: Vec<&Value> = movies
        .iter()
        .flat_map(|m| m["translations"]["translations"].as_array().unwrap())
        .map(|t| &t["data"])
        .collect();
    for (key, empty) in [("homepage", 0.8), ("tagline", 0.2), ("title", 0.03)] {
        let s = share(&data, &|d| d[key] == "");
        assert!(s > empty && s < 1.0, "translation {key} \"\" in {s}");
    }
    assert!(data.iter().any(|d| d["runtime"] == 0));
    let images: Vec<&Value> = movies
        .iter()
        .flat_map(|m| {
            let i = &m["images"];
            [&i["backdrops"], &i["posters"], &i["logos"]]
        })
        .flat_map(|list| list.as_array().unwrap())
        .collect();
    assert!(images.iter().any(|i| i["iso_639_1"].is_null()));
    assert!(images.iter().any(|i| i["iso_639_1"].is_string()));
    // Floats stay floats, even when whole (TMDB's own sometimes sends 0 or 10).
    assert!(
        images
            .iter()
            .all(|i| i["vote_average"].is_f64() && i["aspect_ratio"].is_f64())
    );
    assert!(
        movies
            .iter()
            .all(|m| m["vote_average"].is_f64() && m["popularity"].is_f64())
    );
    let videos: Vec<&Value> = movies
        .iter()
        .flat_map(|m| m["videos"]["results"].as_array().unwrap())
        .collect();
    assert!(videos.iter().any(|v| v["official"] == false));
    assert!(
        videos
            .iter()
            .all(|v| v["published_at"].as_str().unwrap().ends_with(".000Z"))
    );
    let offers: Vec<&Value> = movies
        .iter()
        .map(|m| &m["watch/providers"]["results"])
        .collect();
    assert!(offers.iter().any(|o| o.as_object().unwrap().is_empty()));
    assert!(offers.iter().any(|o| o.as_object().unwrap().len() >= 10));
    for m in &movies {
        assert_watch_providers(&m["watch/providers"]["results"], m["id"].as_u64().unwrap());
    }
    let ids: Vec<&Value> = movies.iter().map(|m| &m["external_ids"]).collect();
    assert!(ids.iter().any(|e| e["facebook_id"].is_null()));
    assert!(ids.iter().any(|e| e["facebook_id"].is_string()));
    assert!(ids.iter().any(|e| e["imdb_id"].is_null()));
    let keywords: Vec<usize> = movies
        .iter()
        .map(|m| len(&m["keywords"]["keywords"]))
        .collect();
    assert!(keywords.contains(&0) && keywords.iter().any(|&n| n >= 10));
    assert!(
        movies
            .iter()
            .any(|m| m["belongs_to_collection"].is_object())
    );
    assert!(movies.iter().any(|m| len(&m["spoken_languages"]) > 1));
    let biggest = std::fs::read_to_string(dir.join("movies.ndjson"))
        .unwrap()
        .lines()
        .map(str::len)
        .max()
        .unwrap();
    assert!(biggest > 50_000, "the biggest record has {biggest} bytes");
}

/// Records the first JSON seen for an entity ID; panics if a later one differs. Returns whether
/// the ID had been seen before.
fn same_entity(
    seen: &mut BTreeMap<(&'static str, u64), Value>,
    kind: &'static str,
    id: &Value,
    fields: Value,
) -> bool {
    let id = id.as_u64().unwrap();
    match seen.get(&(kind, id)) {
        Some(first) => {
            assert_eq!(first, &fields, "{kind} {id} differs between movies");
            true
        }
        None => {
            seen.insert((kind, id), fields);
            false
        }
    }
}

#[test]
fn an_entity_is_the_same_in_every_movie_that_names_it() {
    let sim = Sim::start(&["--movies", "1000", "--seed", "5", "--today", TODAY]);
    let mut seen = BTreeMap::new();
    let mut repeats: BTreeMap<&str, usize> = BTreeMap::new();
    for day in [0, 3] {
        let dir = Workdir::new("sim-entities");
        sim.dump(day, &dir.path);
        for m in dumped(&dir.path, "movies.ndjson") {
            let mut entities: Vec<(&'static str, Value)> = Vec::new();
            if m["belongs_to_collection"].is_object() {
                entities.push(("collection", m["belongs_to_collection"].clone()));
            }
            for (kind, list) in [
                ("company", &m["production_companies"]),
                ("keyword", &m["keywords"]["keywords"]),
                ("genre", &m["genres"]),
            ] {
                entities.extend(list.as_array().unwrap().iter().map(|e| (kind, e.clone())));
            }
            for offer in m["watch/providers"]["results"]
                .as_object()
                .unwrap()
                .values()
            {
                for (k, list) in offer.as_object().unwrap() {
                    if k == "link" {
                        continue;
                    }
                    for p in list.as_array().unwrap() {
                        let fields = serde_json::json!({
                            "id": p["provider_id"],
                            "provider_name": p["provider_name"],
                            "logo_path": p["logo_path"],
                        });
                        entities.push(("provider", fields));
                    }
                }
            }
            for (kind, fields) in entities {
                let id = fields["id"].clone();
                if same_entity(&mut seen, kind, &id, fields) {
                    *repeats.entry(kind).or_default() += 1;
                }
            }
        }
    }
    for kind in ["collection", "company", "keyword", "genre", "provider"] {
        assert!(
            repeats.get(kind).is_some_and(|&n| n > 10),
            "{kind}: {repeats:?}"
        );
    }
}

/// Panics unless the reserved well-known records are there, whole, with their fixed facts.
fn assert_well_known_records(sim: &Sim, today: &str) {
    let fight_club = json(
        sim,
        &format!("/3/movie/550?append_to_response={ALL_APPENDS}"),
    );
    assert_eq!(fight_club["title"], "Fight Club");
    assert_eq!(fight_club["original_title"], "Fight Club");
    assert_eq!(fight_club["release_date"], "1999-10-15");
    assert_eq!(fight_club["original_language"], "en");
    assert_eq!(fight_club["credits"]["cast"][0]["id"], 287);
    assert_eq!(fight_club["credits"]["cast"][0]["name"], "Brad Pitt");
    assert!(fight_club["overview"].is_string() && fight_club["imdb_id"] == "tt0137523");
    for list in [
        &fight_club["credits"]["crew"],
        &fight_club["translations"]["translations"],
        &fight_club["release_dates"]["results"],
        &fight_club["images"]["posters"],
    ] {
        assert!(!list.as_array().unwrap().is_empty(), "{today}: {list}");
    }
    let matrix = json(sim, "/3/movie/603");
    assert_eq!(matrix["title"], "The Matrix");
    assert_eq!(matrix["release_date"], "1999-03-30");
    assert_eq!(matrix["original_language"], "en");
    let amelie = json(sim, "/3/movie/194");
    assert_eq!(amelie["title"], "Amélie");
    assert_eq!(
        amelie["original_title"],
        "Le Fabuleux Destin d'Amélie Poulain"
    );
    assert_eq!(amelie["release_date"], "2001-04-25");
    assert_eq!(amelie["original_language"], "fr");
    assert_eq!(json(sim, "/3/person/287")["name"], "Brad Pitt");
    let (y, m, d) = (&today[0..4], &today[5..7], &today[8..10]);
    let exported = ids_of(&export(sim, &format!("movie_ids_{m}_{d}_{y}.json.gz")));
    assert!(
        [194, 550, 603].iter().all(|id| exported.contains(id)),
        "{today}: export"
    );
    let people = ids_of(&export(sim, &format!("person_ids_{m}_{d}_{y}.json.gz")));
    assert!(people.contains(&287), "{today}: person export");
    let (found, _) = all_pages(sim, "primary_release_year=1999");
    let found = ids_of(&found);
    assert!(
        found.contains(&550) && found.contains(&603),
        "{today}: discover 1999"
    );
}

#[test]
fn well_known_records_are_in_every_catalog_on_every_day() {
    for (movies, seed) in [("10", "1"), ("300", "7"), ("3000", "9")] {
        let sim = Sim::start(&["--movies", movies, "--seed", seed, "--today", TODAY]);
        let mut today = TODAY.to_owned();
        let mut changed = BTreeSet::new();
        // A year, in windows of 13 days (the changes endpoints take at most 14).
        for window in 0..28 {
            if window % 9 == 0 {
                assert_well_known_records(&sim, &today);
            }
            let summary = sim.mutate(13);
            let end = summary["today"].as_str().unwrap().to_owned();
            changed.extend(changed_ids(
                &sim,
                "movie",
                &format!("start_date={today}&end_date={end}"),
            ));
            today = end;
        }
        assert_well_known_records(&sim, &today);
        // They change now and then, as any movie does (1% a day each).
        assert!(
            [194, 550, 603].iter().any(|id| changed.contains(id)),
            "{movies} movies: the reserved movies never change"
        );
    }
}
