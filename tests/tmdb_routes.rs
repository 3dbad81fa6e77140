//! TMDB's own routes under `/3`: a mirror built by the real pipeline from tmdb-sim with every
//! append, served by tmdb-serve, must answer every route as tmdb-sim itself does for the same
//! request (status and body), discover with many seeded random filter combinations included.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use rusqlite::Connection;
use serde_json::Value;

use crate::util::mirror::{DAY0, TOKEN, make, sim_args, start_sim};
use crate::util::record::json_difference;
use crate::util::{Rng, Sim, Workdir, bin, column, http_get, repo_root, spawn_listening};

/// A mirror of a 300-movie catalog with every append, the simulator it came from, and
/// tmdb-serve over it (both stopped when dropped).
pub struct Mirrored {
    pub sim: Sim,
    pub serve: Child,
    pub serve_url: String,
    pub db: std::path::PathBuf,
    _work: Workdir,
}

impl Drop for Mirrored {
    fn drop(&mut self) {
        let _ = self.serve.kill();
        let _ = self.serve.wait();
    }
}

pub fn serve(db: &Path, extra: &[&str]) -> (Child, String) {
    let mut cmd = Command::new(bin("tmdb-serve"));
    cmd.arg("--db")
        .arg(db)
        .args(["--addr", "127.0.0.1:0", "--threads", "2"])
        .args(extra)
        .stderr(Stdio::null());
    spawn_listening(cmd, "tmdb-serve")
}

impl Mirrored {
    pub fn build(name: &str) -> Mirrored {
        let work = Workdir::new(name);
        let sim = start_sim(&sim_args("300", "0"));
        let data = work.join("data");
        // Adult movies too (TMDB lists them in an export of their own), so that the mirror
        // holds the whole catalog tmdb-sim answers from.
        let ids = format!("IDS_ARGS=ids --source export --date {DAY0} --include-adult");
        make(&sim, &data, "mirror", &[&format!("TODAY={DAY0}"), &ids]).expect_success();
        let db = data.join("tmdb.db");
        let (serve, serve_url) = serve(&db, &[]);
        Mirrored {
            sim,
            serve,
            serve_url,
            db,
            _work: work,
        }
    }

    /// GETs `/3/{path}` from both; the mirror is sent the same credential as the simulator.
    pub fn both(&self, path: &str) -> ((u16, Value), (u16, Value)) {
        let auth = format!("Bearer {TOKEN}");
        let headers = [("Authorization", auth.as_str())];
        let get = |base: &str| {
            let (status, body) = http_get(&format!("{base}/3/{path}"), &headers);
            let value = serde_json::from_str(&body).unwrap_or_else(|e| {
                panic!("{base}/3/{path} answered {status}, not JSON ({e}): {body}")
            });
            (status, value)
        };
        (get(&self.serve_url), get(&self.sim.base))
    }

    /// Asserts both answer `/3/{path}` alike; returns the answer.
    pub fn same(&self, path: &str) -> (u16, Value) {
        let ((status, mirror), (sim_status, sim)) = self.both(path);
        assert_eq!(status, sim_status, "/3/{path}: mirror {mirror}\nsim {sim}");
        if let Some(difference) = json_difference(&mirror, &sim, "") {
            panic!("/3/{path}: the mirror's answer differs from tmdb-sim's: {difference}");
        }
        (status, mirror)
    }
}

/// A list of 1 to 3 values joined by `,` (AND) or `|` (OR), sometimes mixed.
fn id_list(rng: &mut Rng, pool: &[String]) -> String {
    let n = 1 + rng.below(3);
    let mut out = String::new();
    for i in 0..n {
        if i > 0 {
            out.push(if rng.chance(50) { ',' } else { '|' });
        }
        out.push_str(rng.pick(pool).as_str());
    }
    out
}

#[test]
fn every_tmdb_route_of_the_mirror_answers_as_tmdb_sim() {
    let m = Mirrored::build("tmdb-routes");
    let conn = Connection::open(&m.db).unwrap();
    let movies = column(&conn, "SELECT id FROM movie ORDER BY id");
    let people = column(&conn, "SELECT id FROM people ORDER BY id");
    assert!(
        movies.len() > 250 && people.len() > 500,
        "{} {}",
        movies.len(),
        people.len()
    );

    // Records and each sub-resource on its own route, for a sample.
    let all = "credits,keywords,release_dates,external_ids,alternative_titles,translations,videos,images,watch/providers";
    for id in movies.iter().step_by(7) {
        m.same(&format!("movie/{id}?append_to_response={all}"));
        for sub in all.split(',') {
            m.same(&format!("movie/{id}/{sub}"));
        }
        m.same(&format!("movie/{id}/alternative_titles?country=US"));
    }
    let mut credited = 0;
    for id in people.iter().step_by(11) {
        m.same(&format!(
            "person/{id}?append_to_response=external_ids,images,translations"
        ));
        for sub in ["external_ids", "images", "translations"] {
            m.same(&format!("person/{id}/{sub}"));
        }
        let (_, credits) = m.same(&format!("person/{id}/movie_credits"));
        credited +=
            credits["cast"].as_array().unwrap().len() + credits["crew"].as_array().unwrap().len();
    }
    assert!(credited > 50, "movie_credits listed {credited} credits");

    // Lists of the whole catalog.
    m.same("genre/movie/list");
    m.same("configuration");
    let mut parts = 0;
    for id in column(&conn, "SELECT id FROM collection ORDER BY id") {
        parts += m.same(&format!("collection/{id}")).1["parts"]
            .as_array()
            .unwrap()
            .len();
    }
    assert!(parts > 0);
    for id in column(&conn, "SELECT id FROM company ORDER BY id")
        .iter()
        .step_by(5)
    {
        m.same(&format!("company/{id}"));
    }
    let keywords = column(
        &conn,
        "SELECT keyword_id FROM movie_keyword GROUP BY keyword_id ORDER BY count(*) DESC, keyword_id",
    );
    for id in keywords.iter().take(30) {
        m.same(&format!("keyword/{id}"));
        m.same(&format!("keyword/{id}/movies"));
        m.same(&format!("keyword/{id}/movies?include_adult=true&page=2"));
    }

    // Search: words of real titles, names and entity names, some cut short (prefixes).
    let mut rng = Rng(0x5eed_0014);
    let titles = column(&conn, "SELECT title FROM movie");
    let names = column(&conn, "SELECT name FROM people");
    let mut found = 0;
    for round in 0..120 {
        let (kind, pool) = match round % 5 {
            0 | 1 => ("movie", &titles),
            2 => ("person", &names),
            3 => ("keyword", &keywords),
            _ => ("company", &titles),
        };
        let text = if kind == "keyword" {
            column(
                &conn,
                &format!("SELECT name FROM keyword WHERE id = {}", rng.pick(pool)),
            )[0]
            .clone()
        } else {
            rng.pick(pool).clone()
        };
        let words: Vec<&str> = text.split_whitespace().collect();
        let mut query = words[rng.below(words.len())].to_owned();
        if rng.chance(40) && query.chars().count() > 2 {
            query = query
                .chars()
                .take(2 + rng.below(query.chars().count() - 2))
                .collect();
        }
        let mut path = format!("search/{kind}?query={}", urlencode(&query));
        if rng.chance(20) {
            path.push_str("&include_adult=true");
        }
        if kind == "movie" && rng.chance(20) {
            path.push_str(&format!("&year={}", 1990 + rng.below(40)));
        }
        if rng.chance(10) {
            path.push_str("&page=2");
        }
        let (_, body) = m.same(&path);
        found += usize::from(body["total_results"].as_u64().unwrap() > 0);
        m.same(&format!("search/collection?query={}", urlencode(&query)));
    }
    assert!(found > 60, "only {found} of 120 searches found anything");

    // Find, by every external source the mirror holds.
    for (source, table) in [
        ("imdb_id", "movie"),
        ("wikidata_id", "movie"),
        ("facebook_id", "movie"),
        ("imdb_id", "people"),
        ("wikidata_id", "people"),
        ("instagram_id", "people"),
    ] {
        let ids = column(
            &conn,
            &format!("SELECT {source} FROM {table} WHERE {source} IS NOT NULL ORDER BY id LIMIT 5"),
        );
        assert!(!ids.is_empty(), "no {source} in {table}");
        for id in ids {
            let (_, body) = m.same(&format!("find/{id}?external_source={source}"));
            let hits = body["movie_results"].as_array().unwrap().len()
                + body["person_results"].as_array().unwrap().len();
            assert!(hits > 0, "find/{id}?external_source={source}: {body}");
        }
    }
    m.same("find/tt0000000?external_source=imdb_id");

    // Discover: seeded random combinations of every filter.
    let genres = column(&conn, "SELECT id FROM genre");
    let companies = column(
        &conn,
        "SELECT company_id FROM movie_company GROUP BY company_id ORDER BY count(*) DESC LIMIT 40",
    );
    let cast = column(
        &conn,
        "SELECT person_id FROM credit WHERE kind = 'cast' GROUP BY person_id ORDER BY count(*) DESC LIMIT 40",
    );
    let crew = column(
        &conn,
        "SELECT person_id FROM credit WHERE kind = 'crew' GROUP BY person_id ORDER BY count(*) DESC LIMIT 40",
    );
    let languages = column(&conn, "SELECT DISTINCT original_language FROM movie");
    let certs = column(
        &conn,
        "SELECT DISTINCT iso_3166_1 || ' ' || certification FROM release_date WHERE certification <> ''",
    );
    let providers = column(
        &conn,
        "SELECT DISTINCT provider_id FROM movie_watch_provider",
    );
    let regions = column(
        &conn,
        "SELECT DISTINCT iso_3166_1 FROM movie_watch_provider",
    );
    let sorts = [
        "popularity",
        "revenue",
        "primary_release_date",
        "release_date",
        "title",
        "original_title",
        "vote_average",
        "vote_count",
    ];
    let (mut some, mut none) = (0, 0);
    for _ in 0..500 {
        let mut params: Vec<String> = Vec::new();
        let mut add = |rng: &mut Rng, percent: u64, make: &mut dyn FnMut(&mut Rng) -> String| {
            if rng.chance(percent) {
                params.push(make(rng));
            }
        };
        add(&mut rng, 35, &mut |r| {
            format!("with_genres={}", id_list(r, &genres))
        });
        add(&mut rng, 15, &mut |r| {
            format!("without_genres={}", id_list(r, &genres))
        });
        add(&mut rng, 15, &mut |r| {
            format!(
                "with_keywords={}",
                id_list(r, &keywords[..40.min(keywords.len())])
            )
        });
        add(&mut rng, 15, &mut |r| {
            format!("with_companies={}", id_list(r, &companies))
        });
        add(&mut rng, 10, &mut |r| {
            format!("with_cast={}", id_list(r, &cast))
        });
        add(&mut rng, 10, &mut |r| {
            format!("with_crew={}", id_list(r, &crew))
        });
        add(&mut rng, 10, &mut |r| {
            format!("with_people={}", id_list(r, &cast))
        });
        add(&mut rng, 15, &mut |r| {
            format!("primary_release_year={}", 1960 + r.below(70))
        });
        add(&mut rng, 10, &mut |r| {
            format!("year={}", 1960 + r.below(70))
        });
        add(&mut rng, 15, &mut |r| {
            format!(
                "primary_release_date.gte={}-0{}-15",
                1950 + r.below(70),
                1 + r.below(9)
            )
        });
        add(&mut rng, 15, &mut |r| {
            format!("release_date.lte={}-1{}-01", 1980 + r.below(50), r.below(3))
        });
        add(&mut rng, 15, &mut |r| {
            format!("with_original_language={}", r.pick(&languages))
        });
        add(&mut rng, 15, &mut |r| {
            format!("with_runtime.gte={}", 60 + r.below(80))
        });
        add(&mut rng, 10, &mut |r| {
            format!("with_runtime.lte={}", 80 + r.below(120))
        });
        add(&mut rng, 15, &mut |r| {
            format!("vote_average.gte={}.{}", 1 + r.below(8), r.below(10))
        });
        add(&mut rng, 10, &mut |r| {
            format!("vote_average.lte={}", 4 + r.below(6))
        });
        add(&mut rng, 15, &mut |r| {
            format!("vote_count.gte={}", r.below(3000))
        });
        add(&mut rng, 10, &mut |r| {
            format!("vote_count.lte={}", r.below(20000))
        });
        add(&mut rng, 15, &mut |r| {
            let pick = r.pick(&certs).clone();
            let (country, cert) = pick.split_once(' ').unwrap();
            let key = *r.pick(&["certification", "certification.lte", "certification.gte"]);
            format!("certification_country={country}&{key}={}", urlencode(cert))
        });
        add(&mut rng, 15, &mut |r| {
            let mut p = format!("with_watch_providers={}", id_list(r, &providers));
            if r.chance(70) {
                p.push_str(&format!("&watch_region={}", r.pick(&regions)));
            }
            if r.chance(50) {
                p.push_str(&format!(
                    "&with_watch_monetization_types={}",
                    r.pick(&["flatrate", "rent|buy", "free|ads", "buy"])
                ));
            }
            p
        });
        add(&mut rng, 20, &mut |_| "include_adult=true".to_owned());
        add(&mut rng, 20, &mut |_| "include_video=true".to_owned());
        add(&mut rng, 60, &mut |r| {
            format!("sort_by={}.{}", r.pick(&sorts), r.pick(&["asc", "desc"]))
        });
        add(&mut rng, 15, &mut |r| format!("page={}", 2 + r.below(3)));
        let (_, body) = m.same(&format!("discover/movie?{}", params.join("&")));
        if body["total_results"].as_u64().unwrap() > 0 {
            some += 1;
        } else {
            none += 1;
        }
    }
    assert!(
        some > 150 && none > 20,
        "{some} combinations found movies, {none} found none"
    );

    // TMDB's refusals, the same from both.
    for (path, status) in [
        ("discover/movie?page=501", 400),
        ("discover/movie?page=0", 400),
        ("discover/movie?release_date.gte=2020-02-30", 400),
        ("discover/movie?vote_count.gte=many", 422),
        ("search/movie", 422),
        ("search/person?query=", 422),
        ("find/tt1?external_source=nope", 422),
        ("movie/999999999", 404),
        ("movie/999999999/credits", 404),
        ("person/999999999/movie_credits", 404),
        ("keyword/999999999/movies", 404),
        ("collection/999999999", 404),
        ("tv/1", 404),
    ] {
        assert_eq!(m.same(path).0, status, "{path}");
    }
    let too_many = vec!["credits"; 21].join(",");
    assert_eq!(
        m.same(&format!(
            "movie/{}?append_to_response={too_many}",
            movies[0]
        ))
        .0,
        400
    );
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn capture(name: &str) -> Value {
    let path = repo_root().join("tests/fixtures/tmdb-api").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_required_token_is_taken_as_tmdb_takes_it() {
    let work = Workdir::new("tmdb-routes-token");
    let sim = start_sim(&sim_args("40", "0"));
    let data = work.join("data");
    make(&sim, &data, "mirror", &[&format!("TODAY={DAY0}")]).expect_success();
    let (mut child, url) = serve(&data.join("tmdb.db"), &["--token", "s3cret"]);
    let refused = capture("jdrouet-error-401-invalid-api-key.json");
    let get = |target: &str, headers: &[(&str, &str)]| {
        let (status, body) = http_get(&format!("{url}{target}"), headers);
        (status, serde_json::from_str::<Value>(&body).unwrap())
    };
    // Asked first with the token, so that a kept answer exists for the same URL.
    assert_eq!(
        get("/3/genre/movie/list", &[("Authorization", "Bearer s3cret")]).0,
        200
    );
    assert_eq!(get("/3/genre/movie/list?api_key=s3cret", &[]).0, 200);
    for (target, headers) in [
        ("/3/genre/movie/list", &[][..]),
        (
            "/3/genre/movie/list",
            &[("Authorization", "Bearer wrong")][..],
        ),
        ("/3/genre/movie/list?api_key=wrong", &[][..]),
        ("/3/configuration", &[("Authorization", "s3cret")][..]),
    ] {
        assert_eq!(
            get(target, headers),
            (401, refused.clone()),
            "{target} {headers:?}"
        );
    }
    // The mirror's own routes stay open.
    assert_eq!(get("/health", &[]).0, 200);
    let _ = child.kill();
    let _ = child.wait();
    // tmdb-sim takes the api_key form too.
    let (status, _) = http_get(
        &format!("{}/3/genre/movie/list?api_key={TOKEN}", sim.base),
        &[],
    );
    assert_eq!(status, 200);
}

#[test]
fn the_genre_list_and_configuration_equal_tmdbs_captures() {
    let work = Workdir::new("tmdb-routes-captures");
    let sim = start_sim(&sim_args("20", "0"));
    let data = work.join("data");
    make(&sim, &data, "mirror", &[&format!("TODAY={DAY0}")]).expect_success();
    let (mut child, url) = serve(&data.join("tmdb.db"), &[]);
    for (target, file) in [
        ("/3/genre/movie/list", "tmdblib-genre-movie-list.json"),
        ("/3/configuration", "tmdblib-configuration.json"),
        (
            "/3/person/999999999",
            "tmdblib-error-404-person-999999999.json",
        ),
    ] {
        let (_, body) = http_get(&format!("{url}{target}"), &[]);
        let got: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json_difference(&got, &capture(file), ""), None, "{target}");
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The TMDB client libraries' drivers (tests/clients/) and how each is run.
fn client_command(client: &str, clients: &Path, api: &str) -> Command {
    let root = repo_root();
    let mut cmd = match client {
        "tmdbsimple" => {
            let mut cmd = Command::new("python3");
            cmd.arg(root.join("tests/clients/tmdbsimple_calls.py"))
                .env("PYTHONPATH", clients.join("py"));
            cmd
        }
        _ => {
            let mut cmd = Command::new("node");
            cmd.arg(root.join("tests/clients/moviedb_promise_calls.js"))
                .env("NODE_PATH", clients.join("node/node_modules"));
            cmd
        }
    };
    cmd.args([api, TOKEN]);
    cmd
}

#[test]
fn tmdb_client_libraries_get_the_same_answers_from_the_mirror_as_from_tmdb_sim() {
    let clients = bin("tmdb-serve")
        .parent()
        .and_then(Path::parent)
        .expect("the target folder")
        .join("tmdb-clients");
    let mut install = Command::new(repo_root().join("scripts/test-clients.sh"));
    install.arg(&clients);
    crate::util::run(install).expect_success();

    let m = Mirrored::build("tmdb-routes-clients");
    let conn = Connection::open(&m.db).unwrap();
    let first = |sql: &str| column(&conn, sql).into_iter().next().expect(sql);
    let movie = first(
        "SELECT m.id FROM movie m WHERE m.collection_id IS NOT NULL AND EXISTS (SELECT 1 FROM movie_watch_provider w WHERE w.movie_id = m.id) ORDER BY m.popularity DESC",
    );
    let person = first("SELECT person_id FROM credit GROUP BY person_id ORDER BY count(*) DESC");
    let collection = first(&format!(
        "SELECT collection_id FROM movie WHERE id = {movie}"
    ));
    let company = first(&format!(
        "SELECT company_id FROM movie_company WHERE movie_id = {movie}"
    ));
    let keyword =
        first("SELECT keyword_id FROM movie_keyword GROUP BY keyword_id ORDER BY count(*) DESC");
    let imdb = first(&format!("SELECT imdb_id FROM movie WHERE id = {movie}"));
    let title_word = first(&format!("SELECT title FROM movie WHERE id = {movie}"));
    let title_word = title_word.split_whitespace().next().unwrap().to_owned();
    let name_word = first(&format!("SELECT name FROM people WHERE id = {person}"));
    let name_word = name_word.split_whitespace().last().unwrap().to_owned();
    let mut calls = vec![
        serde_json::json!({"call": "movie.info", "id": movie, "params": {"append_to_response": "credits,keywords,release_dates,external_ids,videos,images"}}),
        serde_json::json!({"call": "movie.info", "id": 999999999}),
        serde_json::json!({"call": "person.info", "id": person, "params": {"append_to_response": "external_ids,images"}}),
        serde_json::json!({"call": "person.movie_credits", "id": person}),
        serde_json::json!({"call": "genre.movie_list"}),
        serde_json::json!({"call": "collection.info", "id": collection}),
        serde_json::json!({"call": "company.info", "id": company}),
        serde_json::json!({"call": "keyword.info", "id": keyword}),
        serde_json::json!({"call": "keyword.movies", "id": keyword}),
        serde_json::json!({"call": "discover.movie", "params": {"with_genres": "18|28", "sort_by": "vote_average.desc", "vote_count.gte": 10}}),
        serde_json::json!({"call": "discover.movie", "params": {"with_keywords": keyword, "include_adult": true}}),
        serde_json::json!({"call": "discover.movie", "params": {"certification_country": "US", "certification.lte": "PG-13", "page": 2}}),
        serde_json::json!({"call": "discover.movie", "params": {"with_watch_providers": "8|9|337", "watch_region": "US", "with_runtime.gte": 90}}),
        serde_json::json!({"call": "discover.movie", "params": {"page": 501}}),
        serde_json::json!({"call": "search.movie", "params": {"query": title_word}}),
        serde_json::json!({"call": "search.person", "params": {"query": name_word}}),
        serde_json::json!({"call": "search.keyword", "params": {"query": "a"}}),
        serde_json::json!({"call": "search.company", "params": {"query": "e"}}),
        serde_json::json!({"call": "search.collection", "params": {"query": "collection"}}),
        serde_json::json!({"call": "find.info", "id": imdb, "params": {"external_source": "imdb_id"}}),
        serde_json::json!({"call": "configuration.info"}),
    ];
    for sub in [
        "credits",
        "keywords",
        "release_dates",
        "external_ids",
        "translations",
        "videos",
        "images",
        "watch_providers",
    ] {
        calls.push(serde_json::json!({"call": format!("movie.{sub}"), "id": movie}));
    }
    calls.push(serde_json::json!({"call": "movie.alternative_titles", "id": movie, "params": {"country": "US"}}));
    for sub in ["external_ids", "images", "translations"] {
        calls.push(serde_json::json!({"call": format!("person.{sub}"), "id": person}));
    }
    let input: String = calls.iter().map(|c| format!("{c}\n")).collect();
    for client in ["tmdbsimple", "moviedb-promise"] {
        let answers = |base: &str| {
            let cmd = client_command(client, &clients, &format!("{base}/3"));
            let out = crate::util::run_with_input(
                cmd,
                input.as_bytes(),
                std::time::Duration::from_secs(120),
            );
            out.expect_success();
            out.json_lines()
        };
        let (mirror, sim) = (answers(&m.serve_url), answers(&m.sim.base));
        assert_eq!(
            mirror.len(),
            calls.len(),
            "{client} answered {} of {} calls",
            mirror.len(),
            calls.len()
        );
        assert_eq!(sim.len(), calls.len());
        let mut results = 0;
        for ((call, got), want) in calls.iter().zip(&mirror).zip(&sim) {
            if let Some(difference) = json_difference(got, want, "") {
                panic!(
                    "{client} {call}: the mirror's answer differs from tmdb-sim's: {difference}"
                );
            }
            results += usize::from(got.get("result").is_some());
        }
        // Two calls ask for what does not exist (a missing movie, page 501): the client
        // reports TMDB's error status for both; every other call has a result.
        assert_eq!(results, calls.len() - 2, "{client}: {mirror:?}");
        assert_eq!(mirror[1]["status"], 404, "{client}");
    }
}
