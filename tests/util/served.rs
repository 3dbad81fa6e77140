//! What the tests of tmdb-serve on a database server share (`postgres_serve.rs` for
//! PostgreSQL, `mysql_serve.rs` for MariaDB), each body run against a real server the tests
//! start: the same data in SQLite and in the server answers every route, native and TMDB's
//! `/3`, with the same bodies (searches ranked by relevance: the same matches, and the same
//! first result for an exact title); two servers on one database both see a load made after
//! they started; 40 clients at once use no more database connections than the server's pool
//! holds; a bad URL, a wrong password, an unreachable server and a missing database stop it
//! with exit 2, one line, and the password never printed.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use rusqlite::Connection;
use serde_json::Value;
use tmdb_core::record::spec;

use crate::util::mirror::{DAY0, make, sim_args, start_sim};
use crate::util::record::json_difference;
use crate::util::server::MIRROR_FILES;
use crate::util::{Rng, Workdir, bin, column, http_get, repo_root, run, spawn_listening};

/// A database server as these tests use it.
pub trait Served {
    /// Its name in messages ("PostgreSQL").
    fn name(&self) -> &'static str;

    /// A new, empty database; its URL (with the password).
    fn database(&self, name: &str) -> String;

    /// The password of the URLs: never to appear in any output.
    fn password(&self) -> &'static str;

    /// How many client connections database `name` has now.
    fn connections(&self, name: &str) -> i64;

    /// URLs tmdb-serve must refuse, each with what its one line says: a bad URL, a wrong
    /// password, no server, no such database, and `present` (an empty database) last.
    fn refused(&self, present: &str) -> Vec<(String, &'static str)>;

    /// Whether its `=` ignores trailing spaces (MariaDB's PAD SPACE collations).
    fn pads_spaces(&self) -> bool {
        false
    }
}

/// A tmdb-serve, stopped when dropped.
pub struct Serve {
    child: Child,
    pub url: String,
}

impl Serve {
    pub fn start(db: &str) -> Serve {
        let mut cmd = Command::new(bin("tmdb-serve"));
        cmd.args(["--db", db, "--addr", "127.0.0.1:0", "--threads", "2"])
            .env_remove("DB")
            .env_remove("DB_URL")
            .stderr(Stdio::null());
        let (child, url) = spawn_listening(cmd, "tmdb-serve");
        Serve { child, url }
    }

    /// Waits (at most 60 s) until discover is answered from the server's in-memory index, so
    /// that what is compared is that index on each database, not the SQL it answers with
    /// while the index is read.
    fn wait_for_discover_index(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let (_, metrics) = http_get(&format!("{}/metrics", self.url), &[]);
            let movies = metrics
                .lines()
                .find_map(|l| l.strip_prefix("tmdb_serve_discover_index_movies "));
            if movies.is_some_and(|n| n != "0") {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no discover index after 60 s at {}",
                self.url
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    pub fn get(&self, target: &str) -> (u16, Value) {
        let (status, body) = http_get(&format!("{}{target}", self.url), &[]);
        let value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{target} answered {status}, not JSON ({e}): {body}"));
        (status, value)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn load(served: &dyn Served, db: &str, kind: &str, file: &Path) {
    let mut cmd = Command::new(bin("ndjson-load"));
    cmd.env("DB", db)
        .env_remove("DB_URL")
        .args(["--kind", kind])
        .arg(file);
    let out = run(cmd);
    assert!(out.code() <= 1, "{out}");
    assert!(!out.stderr.contains(served.password()), "{out}");
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The ids of a list answer's results (native `results`, or TMDB's).
fn result_ids(body: &Value) -> Vec<Value> {
    body["results"]
        .as_array()
        .map(|r| r.iter().map(|item| item["id"].clone()).collect())
        .unwrap_or_default()
}

/// The two servers over the same data, and what the comparison saw.
struct Pair<'a> {
    sqlite: &'a Serve,
    server: &'a Serve,
    /// The server's database's name in messages.
    name: &'static str,
    compared: usize,
}

impl Pair<'_> {
    /// Asserts both answer `target` with the same status and body.
    fn same(&mut self, target: &str) -> Value {
        let (want_status, want) = self.sqlite.get(target);
        let (status, got) = self.server.get(target);
        let name = self.name;
        assert_eq!(status, want_status, "{target}: {name} {got}\nSQLite {want}");
        if let Some(difference) = json_difference(&got, &want, "") {
            panic!("{target}: {name}'s answer differs from SQLite's: {difference}");
        }
        self.compared += 1;
        want
    }

    /// A search ranked by relevance: the same total and, where one page holds every match,
    /// the same matches; a page in another order where ranks tie or differ.
    fn same_matches(&mut self, target: &str) -> Value {
        let (want_status, want) = self.sqlite.get(target);
        let (status, got) = self.server.get(target);
        let name = self.name;
        assert_eq!(status, want_status, "{target}: {name} {got}\nSQLite {want}");
        assert_eq!(
            got["total_results"], want["total_results"],
            "{target}: {name} {got}\nSQLite {want}"
        );
        let total = want["total_results"].as_u64().unwrap_or(0);
        let shown = result_ids(&want).len() as u64;
        if total == shown {
            let set = |body: &Value| -> BTreeSet<String> {
                result_ids(body).iter().map(Value::to_string).collect()
            };
            assert_eq!(set(&got), set(&want), "{target}: not the same matches");
        }
        self.compared += 1;
        want
    }
}

/// The same data in SQLite and in the server's database answer every route alike.
pub fn every_route_answers_alike(served: &dyn Served) {
    let url = served.database("serve_same");
    let work = Workdir::new(&format!("{}-serve-same", served.name()));
    let sim = start_sim(&sim_args("150", "0"));
    let data = work.join("data");
    // Adult movies too, so the adult filters have something to leave out.
    let ids = format!("IDS_ARGS=ids --source export --date {DAY0} --include-adult");
    make(&sim, &data, "mirror", &[&format!("TODAY={DAY0}"), &ids]).expect_success();
    let sqlite_db = data.join("tmdb.db");
    let (long_movie, long_texts) = add_long_movie(&data);
    for (kind, file) in MIRROR_FILES.iter().chain(&[("movies", LONG_FILE)]) {
        let path = data.join(file);
        if path.exists() {
            load(served, &url, kind, &path);
        }
    }
    load(
        served,
        &sqlite_db.display().to_string(),
        "movies",
        &data.join(LONG_FILE),
    );
    let sqlite = Serve::start(&sqlite_db.display().to_string());
    let server = Serve::start(&url);
    let mut pair = Pair {
        sqlite: &sqlite,
        server: &server,
        name: served.name(),
        compared: 0,
    };
    let conn = Connection::open(&sqlite_db).unwrap();
    let q = |sql: &str| column(&conn, sql);
    let movies = q("SELECT id FROM movie ORDER BY id");
    let people = q("SELECT id FROM people ORDER BY id");
    assert!(movies.len() > 100 && people.len() > 200, "a small mirror");
    let mut rng = Rng(0x5eed_0015);

    // Values for each query parameter the native routes document, from the data.
    let pools: Vec<(&str, Vec<String>)> = vec![
        ("genre_id", q("SELECT id FROM genre")),
        ("genre", q("SELECT lower(name) FROM genre")),
        (
            "year",
            q("SELECT DISTINCT substr(release_date, 1, 4) FROM movie WHERE release_date <> ''"),
        ),
        (
            "language",
            q("SELECT DISTINCT original_language FROM movie"),
        ),
        ("status", q("SELECT DISTINCT status FROM movie")),
        ("min_votes", vec!["0".into(), "10".into(), "500".into()]),
        (
            "keyword",
            q("SELECT keyword_id FROM movie_keyword GROUP BY 1 ORDER BY count(*) DESC LIMIT 20"),
        ),
        (
            "company",
            q("SELECT company_id FROM movie_company GROUP BY 1 ORDER BY count(*) DESC LIMIT 20"),
        ),
        (
            "certification",
            q(
                "SELECT DISTINCT certification FROM release_date WHERE iso_3166_1 = 'US' AND certification <> ''",
            ),
        ),
        (
            "provider",
            q("SELECT DISTINCT provider_id FROM movie_watch_provider"),
        ),
        (
            "region",
            q("SELECT DISTINCT iso_3166_1 FROM movie_watch_provider"),
        ),
        ("runtime_min", vec!["60".into(), "90".into(), "120".into()]),
        ("runtime_max", vec!["90".into(), "150".into()]),
        (
            "sort",
            [
                "popularity",
                "release_date",
                "vote_average",
                "vote_count",
                "title",
            ]
            .iter()
            .flat_map(|s| [format!("{s}.asc"), format!("{s}.desc")])
            .collect(),
        ),
        ("page", vec!["1".into(), "2".into(), "3".into()]),
        ("limit", vec!["5".into(), "20".into(), "100".into()]),
        ("adult", vec!["true".into(), "false".into()]),
    ];
    let people_sorts: Vec<String> = ["name", "popularity"]
        .iter()
        .flat_map(|s| [s.to_string(), format!("{s}.asc"), format!("{s}.desc")])
        .collect();
    let titles = q("SELECT title FROM movie WHERE title <> '' ORDER BY popularity DESC");
    let names = q("SELECT name FROM people WHERE name <> '' ORDER BY popularity DESC");
    let id_of = |path: &str| -> Vec<String> {
        let sql = match path.split('/').nth(1).unwrap_or_default() {
            "movies" => "SELECT id FROM movie ORDER BY id",
            "people" => "SELECT id FROM people ORDER BY id",
            "genres" => "SELECT id FROM genre ORDER BY id",
            "keywords" => "SELECT DISTINCT keyword_id FROM movie_keyword ORDER BY 1",
            "collections" => "SELECT id FROM collection ORDER BY id",
            "companies" => "SELECT id FROM company ORDER BY id",
            other => panic!("no ids known for /{other}: add them here"),
        };
        let mut ids = q(sql);
        ids.push("999999999".into()); // none such: a 404 from both
        ids
    };

    // The long movie, explicitly: MySQL's fast form cuts its array items and asks again.
    for target in [
        format!("/movies/{long_movie}"),
        format!("/3/movie/{long_movie}?append_to_response=keywords,videos,release_dates"),
    ] {
        let body = pair.same(&target).to_string();
        for text in &long_texts {
            assert!(body.contains(text.as_str()), "{target}: lacks a long text");
        }
    }

    // Native routes: every path /openapi.json documents (the route table's own list, which a
    // tmdb-serve test holds to the routes), each with sample ids and its query parameters
    // one at a time and in seeded combinations.
    let doc = pair.same("/openapi.json");
    let components = &doc["components"]["parameters"];
    for (path, item) in doc["paths"].as_object().unwrap() {
        if matches!(
            path.as_str(),
            "/" | "/app.js" | "/style.css" | "/openapi.json"
        ) {
            continue;
        }
        let params: Vec<String> = item["get"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| match p["$ref"].as_str() {
                Some(r) => components[r.trim_start_matches("#/components/parameters/")].clone(),
                None => p.clone(),
            })
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect();
        let targets: Vec<String> = if path.contains("{id}") {
            let ids = id_of(path);
            let step = (ids.len() / 25).max(1);
            ids.iter()
                .step_by(step)
                .chain(ids.last())
                .map(|id| path.replace("{id}", id))
                .collect()
        } else {
            vec![path.clone()]
        };
        let search = path.ends_with("/search");
        for (n, target) in targets.iter().enumerate() {
            let mut queries: Vec<Vec<(String, String)>> = vec![Vec::new()];
            if !params.is_empty() && (n < 3 || !path.contains("{id}")) {
                for name in &params {
                    queries.push(vec![(name.clone(), String::new())]);
                }
                for _ in 0..if path.contains("{id}") { 5 } else { 40 } {
                    let k = 1 + rng.below(4);
                    queries.push(
                        (0..k)
                            .map(|_| (params[rng.below(params.len())].clone(), String::new()))
                            .collect(),
                    );
                }
            }
            for query in queries {
                let mut parts: Vec<String> = Vec::new();
                if search {
                    let pool = if path.starts_with("/people") {
                        &names
                    } else {
                        &titles
                    };
                    let text = rng.pick(pool).to_owned();
                    let words: Vec<&str> = text.split_whitespace().collect();
                    let word = words[rng.below(words.len())];
                    parts.push(format!("query={}", urlencode(word)));
                }
                for (name, _) in &query {
                    if name == "query" || params.is_empty() {
                        continue;
                    }
                    let value = match name.as_str() {
                        "sort" if path.starts_with("/people") => rng.pick(&people_sorts).to_owned(),
                        "sort" if search && rng.below(3) == 0 => "relevance".to_owned(),
                        "region" if path.starts_with("/movies/") => "US".to_owned(),
                        _ => match pools.iter().find(|(p, _)| p == name) {
                            Some((_, pool)) if !pool.is_empty() => rng.pick(pool).to_owned(),
                            _ => continue,
                        },
                    };
                    parts.push(format!("{name}={}", urlencode(&value)));
                }
                let full = if parts.is_empty() {
                    target.clone()
                } else {
                    format!("{target}?{}", parts.join("&"))
                };
                let by_relevance = search
                    && !parts
                        .iter()
                        .any(|p| p.starts_with("sort=") && !p.ends_with("=relevance"));
                if by_relevance {
                    pair.same_matches(&full);
                } else if path == "/stats" || path == "/health" {
                    compare_status_routes(&pair, &full);
                } else {
                    pair.same(&full);
                }
            }
        }
    }

    // An exact title: the same first result.
    let mut exact = 0;
    for title in titles.iter().take(40) {
        let target = format!("/movies/search?query={}&adult=true", urlencode(title));
        let want = pair.same_matches(&target);
        let got = server.get(&target).1;
        assert_eq!(
            result_ids(&got).first(),
            result_ids(&want).first(),
            "{target}: another first result\n{} {got}\nSQLite {want}",
            served.name()
        );
        exact += 1;
    }
    assert_eq!(exact, 40);

    // TMDB's routes under /3: every route docs/tmdb-routes.md lists is asked below.
    let mut asked: BTreeSet<String> = BTreeSet::new();
    let mut tmdb = |pair: &mut Pair<'_>, pattern: &str, target: String| {
        asked.insert(pattern.to_owned());
        pair.same(&format!("/3/{target}"))
    };
    let appends = spec::MOVIE_APPENDS.join(",");
    for id in movies
        .iter()
        .step_by(5)
        .chain(["999999999".to_owned()].iter())
    {
        tmdb(
            &mut pair,
            "/3/movie/{id}",
            format!("movie/{id}?append_to_response={appends}"),
        );
        tmdb(&mut pair, "/3/movie/{id}", format!("movie/{id}"));
        for sub in spec::MOVIE_APPENDS {
            tmdb(
                &mut pair,
                &format!("/3/movie/{{id}}/{sub}"),
                format!("movie/{id}/{sub}"),
            );
        }
        tmdb(
            &mut pair,
            "/3/movie/{id}/alternative_titles",
            format!("movie/{id}/alternative_titles?country=US"),
        );
    }
    let person_appends = spec::PERSON_APPENDS.join(",");
    for id in people.iter().step_by(9) {
        tmdb(
            &mut pair,
            "/3/person/{id}",
            format!("person/{id}?append_to_response={person_appends}"),
        );
        for sub in spec::PERSON_APPENDS {
            tmdb(
                &mut pair,
                &format!("/3/person/{{id}}/{sub}"),
                format!("person/{id}/{sub}"),
            );
        }
        tmdb(
            &mut pair,
            "/3/person/{id}/movie_credits",
            format!("person/{id}/movie_credits"),
        );
    }
    tmdb(
        &mut pair,
        "/3/genre/movie/list",
        "genre/movie/list".to_owned(),
    );
    tmdb(&mut pair, "/3/configuration", "configuration".to_owned());
    for id in q("SELECT id FROM collection ORDER BY id") {
        tmdb(&mut pair, "/3/collection/{id}", format!("collection/{id}"));
    }
    for id in q("SELECT id FROM company ORDER BY id").iter().step_by(3) {
        tmdb(&mut pair, "/3/company/{id}", format!("company/{id}"));
    }
    for id in
        q("SELECT keyword_id FROM movie_keyword GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 20")
    {
        tmdb(&mut pair, "/3/keyword/{id}", format!("keyword/{id}"));
        tmdb(
            &mut pair,
            "/3/keyword/{id}/movies",
            format!("keyword/{id}/movies?include_adult=true&page=2"),
        );
        tmdb(
            &mut pair,
            "/3/keyword/{id}/movies",
            format!("keyword/{id}/movies"),
        );
    }
    let keyword_names = q("SELECT name FROM keyword WHERE name <> ''");
    let company_names = q("SELECT name FROM company WHERE name <> ''");
    for round in 0..100 {
        let (kind, pool) = match round % 5 {
            0 | 1 => ("movie", &titles),
            2 => ("person", &names),
            3 => ("keyword", &keyword_names),
            _ => ("company", &company_names),
        };
        let text = rng.pick(pool).to_owned();
        let words: Vec<&str> = text.split_whitespace().collect();
        let word = words[rng.below(words.len())];
        let adult = if rng.below(4) == 0 {
            "&include_adult=true"
        } else {
            ""
        };
        // TMDB's searches are by popularity or id: the same page from both.
        tmdb(
            &mut pair,
            &format!("/3/search/{kind}"),
            format!("search/{kind}?query={}{adult}", urlencode(word)),
        );
        tmdb(
            &mut pair,
            "/3/search/collection",
            format!("search/collection?query={}", urlencode(word)),
        );
    }
    for (source, table) in [
        ("imdb_id", "movie"),
        ("wikidata_id", "movie"),
        ("imdb_id", "people"),
        ("instagram_id", "people"),
    ] {
        for id in q(&format!(
            "SELECT {source} FROM {table} WHERE {source} IS NOT NULL ORDER BY id LIMIT 5"
        )) {
            tmdb(
                &mut pair,
                "/3/find/{external_id}",
                format!("find/{id}?external_source={source}"),
            );
        }
    }
    let genres = q("SELECT id FROM genre");
    pair.sqlite.wait_for_discover_index();
    pair.server.wait_for_discover_index();
    let sorts = [
        "popularity",
        "revenue",
        "primary_release_date",
        "title",
        "original_title",
        "vote_average",
        "vote_count",
    ];
    for _ in 0..150 {
        let mut params = vec![format!(
            "sort_by={}.{}",
            sorts[rng.below(sorts.len())],
            if rng.below(2) == 0 { "asc" } else { "desc" }
        )];
        for (name, pool) in [
            ("with_genres", &genres),
            ("without_genres", &genres),
            ("with_keywords", &pools[6].1),
            ("with_companies", &pools[7].1),
            ("with_original_language", &pools[3].1),
            ("primary_release_year", &pools[2].1),
        ] {
            if rng.below(4) == 0 && !pool.is_empty() {
                params.push(format!("{name}={}", rng.pick(pool)));
            }
        }
        for extra in [
            "include_adult=true",
            "include_video=true",
            "vote_count.gte=10",
            "with_runtime.gte=90",
            "page=2",
            "certification_country=US&certification.lte=PG-13",
            "with_watch_providers=8|9&watch_region=US",
        ] {
            if rng.below(6) == 0 {
                params.push(extra.to_owned());
            }
        }
        tmdb(
            &mut pair,
            "/3/discover/movie",
            format!("discover/movie?{}", params.join("&")),
        );
    }
    tmdb(&mut pair, "/3/unknown", "tv/1".to_owned());

    // A certification and a country typed with a trailing space (discover does not trim):
    // SQLite and PostgreSQL compare bytes and find nothing, MariaDB ignores trailing spaces and
    // finds the rated movies. The discover index (ready above) must answer as the SQL would.
    let rating = q(
        "SELECT certification FROM release_date WHERE iso_3166_1 = 'US' \
         AND certification <> '' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
    );
    let total = |target: &str| server.get(target).1["total_results"].as_i64().unwrap();
    let rated = format!(
        "/3/discover/movie?certification_country=US&certification={}",
        urlencode(&rating[0])
    );
    let exact = total(&rated);
    assert!(exact > 0, "{rated}: no movie");
    let spaced = total(&format!("{}+", rated.replace("=US&", "=US+&")));
    let want = if served.pads_spaces() { exact } else { 0 };
    assert_eq!(spaced, want, "{}: a trailing space", served.name());

    let listed = tmdb_routes_listed();
    let missing: Vec<&String> = listed.iter().filter(|r| !asked.contains(*r)).collect();
    assert!(
        missing.is_empty(),
        "routes of docs/tmdb-routes.md not compared: {missing:?}"
    );
    assert!(
        pair.compared > 1500,
        "only {} answers compared",
        pair.compared
    );
}

/// The file [`add_long_movie`] writes.
const LONG_FILE: &str = "long.ndjson";

/// Writes [`LONG_FILE`] in `data`: a copy of the mirror's first movie, under a new id, whose
/// keyword, company, release date note and video name are each longer than a MySQL mirror's
/// fast form of an array builds (`tmdb_core::read::BOUNDED_ITEM` characters an item, counted
/// in characters: half of them are two bytes long). Answers its id and those texts.
fn add_long_movie(data: &Path) -> (i64, Vec<String>) {
    let movies = std::fs::read_to_string(data.join("movies.ndjson")).unwrap();
    let mut movie: Value = serde_json::from_str(movies.lines().next().unwrap()).unwrap();
    let long = |what: &str| {
        let half = tmdb_core::read::BOUNDED_ITEM / 2;
        format!("{what} {} {}", "é".repeat(half), "x".repeat(half))
    };
    let texts = [
        long("keyword"),
        long("company"),
        long("note"),
        long("video"),
    ];
    let id = 990_000_001;
    movie["id"] = id.into();
    movie["keywords"] = serde_json::json!({"keywords": [
        {"id": 990_001, "name": texts[0]}, {"id": 990_002, "name": "short"}]});
    movie["production_companies"] = serde_json::json!([
        {"id": 990_001, "name": texts[1], "logo_path": null, "origin_country": ""}]);
    movie["release_dates"] = serde_json::json!({"results": [{"iso_3166_1": "US", "release_dates": [
        {"certification": "R", "descriptors": [], "iso_639_1": "", "note": texts[2],
         "release_date": "2001-02-03T00:00:00.000Z", "type": 3}]}]});
    movie["videos"] = serde_json::json!({"results": [
        {"iso_639_1": "en", "iso_3166_1": "US", "name": texts[3], "key": "k", "site": "YouTube",
         "size": 1080, "type": "Trailer", "official": true,
         "published_at": "2001-01-01T00:00:00.000Z", "id": "v990000001"}]});
    std::fs::write(data.join(LONG_FILE), format!("{movie}\n")).unwrap();
    (id, texts.into())
}

/// `/health` and `/stats`: the same status and counts; the schema versions (each backend
/// numbers its own migrations) and the load times differ by nature.
fn compare_status_routes(pair: &Pair<'_>, target: &str) {
    let (want_status, mut want) = pair.sqlite.get(target);
    let (status, mut got) = pair.server.get(target);
    assert_eq!(status, want_status, "{target}");
    for body in [&mut want, &mut got] {
        if let Some(map) = body.as_object_mut() {
            map.remove("schema_version");
            map.remove("last_load");
        }
    }
    assert_eq!(got, want, "{target}");
}

/// The route patterns of docs/tmdb-routes.md's table: `/3/...` items, and the `/sub` items
/// that follow one (siblings of its last segment), without their query strings.
fn tmdb_routes_listed() -> BTreeSet<String> {
    let doc = std::fs::read_to_string(repo_root().join("docs").join("tmdb-routes.md")).unwrap();
    let mut routes = BTreeSet::new();
    for line in doc.lines().filter(|l| l.starts_with("| `/3/")) {
        let cell = line.split(" | ").next().unwrap_or_default();
        let mut base = String::new();
        for item in cell.split('`').skip(1).step_by(2) {
            let item = item.split('?').next().unwrap_or_default();
            if item.starts_with("/3/") {
                base = item
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_owned())
                    .unwrap_or_default();
                routes.insert(item.to_owned());
            } else if let Some(sub) = item.strip_prefix('/') {
                let pattern = if sub.contains('/') && !base.ends_with("{id}") {
                    format!("/3/{sub}")
                } else {
                    format!("{base}/{sub}")
                };
                routes.insert(pattern);
            }
        }
    }
    assert!(routes.len() > 15, "{routes:?}");
    routes
}

/// Two tmdb-serve processes on one database both see a load made after they started.
pub fn two_servers_see_a_load(served: &dyn Served) {
    let url = served.database("serve_two");
    let work = Workdir::new(&format!("{}-serve-two", served.name()));
    let sim = start_sim(&sim_args("40", "0"));
    let dump = work.join("dump");
    sim.dump(0, &dump);
    let movies = std::fs::read_to_string(dump.join("movies.ndjson")).unwrap();
    let lines: Vec<&str> = movies.lines().collect();
    let (first, rest) = lines.split_at(lines.len() / 2);
    let first_file = work.write("first.ndjson", first.join("\n") + "\n");
    let rest_file = work.write("rest.ndjson", rest.join("\n") + "\n");
    load(served, &url, "movies", &first_file);
    let later: i64 = serde_json::from_str::<Value>(rest[0]).unwrap()["id"]
        .as_i64()
        .unwrap();

    let a = Serve::start(&url);
    let b = Serve::start(&url);
    for serve in [&a, &b] {
        assert_eq!(serve.get(&format!("/movies/{later}")).0, 404);
        assert_eq!(serve.get(&format!("/3/movie/{later}")).0, 404);
        assert_eq!(serve.get("/stats").1["movies"], first.len());
    }
    load(served, &url, "movies", &rest_file);
    for serve in [&a, &b] {
        let (status, body) = serve.get(&format!("/movies/{later}"));
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["id"], later);
        assert_eq!(serve.get(&format!("/3/movie/{later}")).0, 200);
        assert_eq!(serve.get("/stats").1["movies"], lines.len());
    }
}

/// A request on a database server waits for it, and every client connection once got a
/// database connection of its own (33 for 32 clients): the server must keep to its pool, two
/// connections a worker and the discover index's (README, "When one machine is not enough"),
/// however many clients ask at once, and answer them all.
pub fn many_clients_share_few_connections(served: &dyn Served) {
    let url = served.database("serve_pool");
    let work = Workdir::new(&format!("{}-serve-pool", served.name()));
    let sim = start_sim(&sim_args("40", "0"));
    sim.dump(0, &work.join("dump"));
    load(
        served,
        &url,
        "movies",
        &work.join("dump").join("movies.ndjson"),
    );
    // Two workers (Serve::start): at most 2 * 2 connections, and the one the discover index
    // is read through (kept, so that it notices a change made before it reads).
    let serve = Serve::start(&url);
    let clients: Vec<_> = (0..40)
        .map(|client| {
            let base = serve.url.clone();
            std::thread::spawn(move || {
                // Every target a new one, so that no answer comes from the server's cache.
                for page in 1..=5 {
                    let target = format!("{base}/movies?limit={}&page={page}", client + 1);
                    let (status, body) = http_get(&target, &[]);
                    assert_eq!(status, 200, "{target}: {body}");
                }
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
    let open = served.connections("serve_pool");
    assert!(
        (1..=5).contains(&open),
        "{open} connections to the database for 40 clients"
    );
}

/// A bad URL, a wrong password, no server, no such database and a database without the
/// mirror's tables stop tmdb-serve with exit 2 and one line, the password never printed.
pub fn bad_databases_stop_tmdb_serve_with_one_line(served: &dyn Served) {
    served.database("serve_present");
    let password = served.password();
    for (url, says) in &served.refused("serve_present") {
        for by_env in [false, true] {
            let mut cmd = Command::new(bin("tmdb-serve"));
            cmd.args(["--addr", "127.0.0.1:0"]).env_remove("DB_URL");
            if by_env {
                cmd.env("DB_URL", url).env_remove("DB");
            } else {
                cmd.arg("--db").arg(url).env_remove("DB");
            }
            let out = run(cmd);
            out.expect_code(2);
            assert!(
                !out.stdout.contains(password) && !out.stderr.contains(password),
                "the password was printed\n{out}"
            );
            assert_eq!(out.stderr.lines().count(), 1, "one line\n{out}");
            assert!(out.stderr.contains(says), "{url}: {says}\n{out}");
            assert!(out.stdout.is_empty(), "nothing listened\n{out}");
        }
    }
}
