//! tmdb-serve: the real server over loopback on a real SQLite mirror.
//!
//! The mirror is built here with the project's migrations and SQL inserts of a small but nasty
//! catalog (many scripts, diacritics, absent dates and popularity, a movie with no genres,
//! adult items, ties), and every list is checked against SQL written independently of the
//! server's. Requests go over a plain TcpStream so that headers (gzip, ETag, CORS) and bad
//! requests are under the test's control.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rusqlite::Connection;
use serde_json::Value;

use crate::util::{Rng, Workdir, bin, run, spawn_listening};

/// A running tmdb-serve, killed when dropped.
pub(crate) struct Serve {
    pub(crate) child: Child,
    pub(crate) addr: String,
}

impl Serve {
    pub(crate) fn start(db: &Path, extra: &[&str]) -> Serve {
        let mut cmd = Command::new(bin("tmdb-serve"));
        cmd.arg("--db")
            .arg(db)
            .args(["--addr", "127.0.0.1:0", "--threads", "2"])
            .args(extra)
            .stderr(Stdio::null());
        Serve::spawn(cmd)
    }

    /// Runs a command that starts tmdb-serve (perhaps under a wrapper such as `setpriv`).
    pub(crate) fn spawn(cmd: Command) -> Serve {
        let (child, url) = spawn_listening(cmd, "tmdb-serve");
        let addr = url
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("tmdb-serve listens on {url:?}, not http://"))
            .to_owned();
        Serve { child, addr }
    }

    /// Sends raw bytes, returns the raw answer (empty if the server closed without one).
    pub(crate) fn raw(&self, request: &[u8]) -> Vec<u8> {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let _ = stream.write_all(request);
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out);
        out
    }

    pub(crate) fn request(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> Answer {
        let mut text = format!("{method} {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
        for (name, value) in headers {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        text.push_str("\r\n");
        let raw = self.raw(text.as_bytes());
        Answer::parse(&raw).unwrap_or_else(|| {
            panic!(
                "{method} {target}: no HTTP answer: {:?}",
                String::from_utf8_lossy(&raw)
            )
        })
    }

    pub(crate) fn get(&self, target: &str) -> Answer {
        self.request("GET", target, &[])
    }

    /// GET that must answer 200 with JSON.
    pub(crate) fn json(&self, target: &str) -> Value {
        let answer = self.get(target);
        assert_eq!(answer.status, 200, "GET {target}: {}", answer.text());
        answer.json()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) struct Answer {
    pub(crate) status: u16,
    headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn parse(raw: &[u8]) -> Option<Answer> {
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Some(Answer {
            status,
            headers,
            body: raw[split + 4..].to_vec(),
        })
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

const GENRES: &[(i64, &str)] = &[
    (28, "Action"),
    (12, "Adventure"),
    (35, "Comedy"),
    (18, "Drama"),
    (14, "Fantasy"),
    (27, "Horror"),
    (10770, "TV Movie"),
];

/// Titles in many scripts, with diacritics, punctuation and FTS operator words.
const TITLES: &[&str] = &[
    "Amélie",
    "Crème Brûlée",
    "千と千尋の神隠し",
    "Сталкер",
    "الرسالة",
    "Ζορμπάς",
    "दिलवाले दुल्हनिया ले जायेंगे",
    "Fight Club",
    "AND OR NOT",
    "\"Quoted\" (Title)*",
    "Ünïcödé Ümläuts",
    "🎬 Emoji Movie",
    "Naïve Café",
    "Heat",
    "Heat Wave",
];

const LANGUAGES: &[&str] = &["en", "fr", "ja", "ru", "ar", "el", "hi"];
const STATUSES: &[&str] = &[
    "Released",
    "Released",
    "Post Production",
    "Rumored",
    "Canceled",
];

/// Builds the test mirror: the real migrations, then SQL inserts.
pub(crate) fn build_db(dir: &Workdir) -> std::path::PathBuf {
    let path = dir.join("tmdb.db");
    let conn = tmdb_core::db::open(&path).unwrap();
    for (id, name) in GENRES {
        conn.execute("INSERT INTO genre (id, name) VALUES (?1, ?2)", (id, name))
            .unwrap();
    }
    for i in 0..90_i64 {
        let id = 100 + i * 7;
        let title = format!("{} {}", TITLES[i as usize % TITLES.len()], i / 15);
        let date = match i % 9 {
            0 => None,
            _ => Some(format!(
                "{}-{:02}-{:02}",
                1990 + (i * 13) % 35,
                1 + i % 12,
                1 + i % 28
            )),
        };
        // Ties on popularity (the tie-break on id is part of the contract) and absent values.
        let popularity = if i % 10 == 3 {
            None
        } else {
            Some(((i * 37) % 23) as f64 / 2.0)
        };
        let votes = if i % 8 == 5 {
            None
        } else {
            Some((i * 53) % 400)
        };
        let average = votes.map(|v| (v % 100) as f64 / 10.0);
        conn.execute(
            "INSERT INTO movie (id, title, original_title, original_language, overview,
               release_date, runtime, status, adult, poster_path, vote_average, vote_count,
               popularity, origin_country)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            rusqlite::params![
                id,
                title,
                format!("Original {title}"),
                LANGUAGES[i as usize % LANGUAGES.len()],
                if i % 4 == 0 {
                    None
                } else {
                    Some(format!("Overview of {title}"))
                },
                date,
                90 + i,
                STATUSES[i as usize % STATUSES.len()],
                (i % 11 == 4) as i64,
                format!("/p{id}.jpg"),
                average,
                votes,
                popularity,
                if i % 2 == 0 { "[\"US\",\"FR\"]" } else { "[]" },
            ],
        )
        .unwrap();
        // i % 6 == 1: no genres at all.
        for (k, (genre, _)) in GENRES.iter().enumerate() {
            if i % 6 != 1 && (i as usize + k) % 3 == 0 {
                conn.execute(
                    "INSERT INTO movie_genre (movie_id, genre_id) VALUES (?1, ?2)",
                    (id, genre),
                )
                .unwrap();
            }
        }
    }
    // People: 30, some adult, some only credited (no people row).
    for p in 0..30_i64 {
        let id = 5000 + p;
        if p % 7 != 6 {
            conn.execute(
                "INSERT INTO people (id, name, also_known_as, popularity, adult, birthday)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![
                    id,
                    format!(
                        "{} Person{p}",
                        ["José", "Zoë", "李", "Ольга", "Bob"][p as usize % 5]
                    ),
                    format!("[\"Alias{p}\"]"),
                    if p % 9 == 2 {
                        None
                    } else {
                        Some((p % 6) as f64)
                    },
                    (p % 10 == 9) as i64,
                    if p % 3 == 0 { None } else { Some("1970-01-02") },
                ],
            )
            .unwrap();
        }
    }
    let mut credit = 0;
    for i in 0..90_i64 {
        let movie = 100 + i * 7;
        for k in 0..(i % 5) {
            let person = 5000 + (i + k * 11) % 30;
            credit += 1;
            conn.execute(
                "INSERT INTO credit (credit_id, movie_id, person_id, kind, name, character, cast_order)
                 VALUES (?1, ?2, ?3, 'cast', ?4, ?5, ?6)",
                rusqlite::params![
                    format!("c{credit:05}"),
                    movie,
                    person,
                    format!("Name {person}"),
                    format!("Role {k}"),
                    if k == 3 { None } else { Some(4 - k) },
                ],
            )
            .unwrap();
        }
        if i % 3 == 0 {
            for (department, job) in [("Directing", "Director"), ("Writing", "Screenplay")] {
                credit += 1;
                conn.execute(
                    "INSERT INTO credit (credit_id, movie_id, person_id, kind, name, department, job)
                     VALUES (?1, ?2, ?3, 'crew', ?4, ?5, ?6)",
                    rusqlite::params![
                        format!("c{credit:05}"),
                        movie,
                        5000 + i % 30,
                        format!("Name {}", 5000 + i % 30),
                        department,
                        job
                    ],
                )
                .unwrap();
            }
        }
    }
    // A little of the whole record, for the routes and fields that show it (tests/serve_record.rs
    // checks them all on a simulated mirror).
    conn.execute_batch(
        r#"
        INSERT INTO collection (id, name, poster_path, backdrop_path) VALUES (1, 'Heat Collection', '', NULL);
        UPDATE movie SET collection_id = 1 WHERE id IN (107, 114);
        INSERT INTO company (id, name, logo_path, origin_country) VALUES (1, 'Studio & Co', '/s.png', 'US');
        INSERT INTO movie_company (movie_id, ord, company_id) VALUES (107, 0, 1), (114, 0, 1);
        INSERT INTO keyword (id, name) VALUES (1, 'heist');
        INSERT INTO movie_keyword (movie_id, ord, keyword_id) VALUES (107, 0, 1), (114, 1, 1);
        INSERT INTO movie_country (movie_id, ord, iso_3166_1, name) VALUES (107, 0, 'US', 'United States of America');
        INSERT INTO movie_language (movie_id, ord, iso_639_1, english_name, name) VALUES (107, 0, 'fr', 'French', 'Français');
        INSERT INTO release_date (movie_id, ord, iso_3166_1, certification, descriptors, iso_639_1, note, release_date, type) VALUES
          (107, 0, 'FR', '12', '[]', '', '', '1990-02-02T00:00:00.000Z', 3),
          (107, 1, 'US', 'PG-13', '["violence"]', 'en', 'Festival', '1990-01-01T00:00:00.000Z', 1),
          (107, 2, 'US', 'R', 'not json', '', '', '1990-03-03T00:00:00.000Z', 3);
        INSERT INTO video (movie_id, ord, id, iso_639_1, iso_3166_1, name, key, site, size, type, official, published_at) VALUES
          (107, 0, 'v1', 'en', 'US', 'Official Trailer', 'abc', 'YouTube', 1080, 'Trailer', 1, '1990-01-01T00:00:00.000Z');
        INSERT INTO watch_provider (id, provider_name, logo_path) VALUES (8, 'Netflix', '/n.jpg');
        INSERT INTO watch_link (movie_id, iso_3166_1, link) VALUES (107, 'US', 'https://www.themoviedb.org/movie/107/watch?locale=US');
        INSERT INTO movie_watch_provider (movie_id, iso_3166_1, kind, ord, provider_id, display_priority) VALUES
          (107, 'US', 'flatrate', 0, 8, 3), (107, 'US', 'rent', 0, 8, 3);
        UPDATE movie SET wikidata_id = 'Q1' WHERE id = 107;
        "#,
    )
    .unwrap();
    conn.execute(
        "INSERT INTO load_log (kind, started_at, finished_at, read, inserted, updated, unchanged, deleted, rejected)
         VALUES ('movies', '2026-11-30T10:00:00Z', '2026-11-30T10:01:00Z', 90, 90, 0, 0, 0, 0)",
        [],
    )
    .unwrap();
    path
}

/// The test database in a fresh Workdir, a connection to read it with, and a server on it
/// (keep the Workdir for as long as the server runs).
fn serve_test_db(name: &str) -> (Workdir, Connection, Serve) {
    let dir = Workdir::new(name);
    let db = build_db(&dir);
    let conn = Connection::open(&db).unwrap();
    let serve = Serve::start(&db, &[]);
    (dir, conn, serve)
}

fn ids(conn: &Connection, sql: &str) -> Vec<i64> {
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Every page of a list route, concatenated; checks the envelope on the way.
fn all_pages(serve: &Serve, target: &str, limit: i64) -> Vec<Value> {
    let sep = if target.contains('?') { '&' } else { '?' };
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let url = format!("{target}{sep}limit={limit}&page={page}");
        let answer = serve.get(&url);
        assert_eq!(answer.status, 200, "{url}: {}", answer.text());
        let body = answer.json();
        assert_eq!(body["page"], page, "{url}");
        assert_eq!(body["limit"], limit, "{url}");
        let total = body["total_results"].as_i64().unwrap();
        assert_eq!(body["total_pages"], (total + limit - 1) / limit, "{url}");
        let results = body["results"].as_array().unwrap();
        out.extend(results.iter().cloned());
        let link = answer.header("link").unwrap_or("");
        if page >= body["total_pages"].as_i64().unwrap() {
            assert!(!link.contains("rel=\"next\""), "{url}: {link}");
            assert_eq!(out.len() as i64, total, "{url}: total_results");
            let distinct: BTreeSet<i64> = out.iter().map(|v| v["id"].as_i64().unwrap()).collect();
            assert_eq!(distinct.len(), out.len(), "{url}: a result on two pages");
            return out;
        }
        assert_eq!(results.len() as i64, limit, "{url}");
        assert!(
            link.contains(&format!("page={}>; rel=\"next\"", page + 1)),
            "{url}: {link}"
        );
        page += 1;
    }
}

fn id_list(values: &[Value]) -> Vec<i64> {
    values.iter().map(|v| v["id"].as_i64().unwrap()).collect()
}

#[test]
fn serve_refuses_a_missing_or_outdated_database_with_exit_2() {
    let dir = Workdir::new("serve-missing");
    let mut cmd = Command::new(bin("tmdb-serve"));
    cmd.arg("--db")
        .arg(dir.join("absent.db"))
        .args(["--addr", "127.0.0.1:0"]);
    let out = run(cmd);
    out.expect_code(2);
    assert!(out.stderr.starts_with("tmdb-serve: database "), "{out}");
    assert!(out.stderr.contains("does not exist"), "{out}");
    assert_eq!(out.stderr.lines().count(), 1, "{out}");

    let old = dir.join("old.db");
    let mut conn = Connection::open(&old).unwrap();
    tmdb_core::db::migrate_to(&mut conn, 1).unwrap();
    drop(conn);
    let mut cmd = Command::new(bin("tmdb-serve"));
    cmd.env("DB", format!("sqlite:///{}", old.display()))
        .args(["--addr", "127.0.0.1:0"]);
    let out = run(cmd);
    out.expect_code(2);
    assert!(out.stderr.contains("schema version 1"), "{out}");
}

#[test]
fn serve_refuses_bad_flags_with_exit_2() {
    let dir = Workdir::new("serve-flags");
    let db = build_db(&dir);
    for (args, message) in [
        (
            &["--cors-origin", "https://ex\u{e4}mple.org"][..],
            "--cors-origin must be printable ASCII",
        ),
        (&["--threads", "0"][..], "invalid value '0' for '--threads"),
        (
            &["--addr", "localhost"][..],
            "invalid value 'localhost' for '--addr",
        ),
    ] {
        let mut cmd = Command::new(bin("tmdb-serve"));
        cmd.arg("--db").arg(&db).args(args);
        let out = run(cmd);
        out.expect_code(2);
        assert!(out.stderr.contains(message), "{out}");
        assert!(out.stdout.is_empty(), "{out}");
    }
}

/// `/movies` filters and the SQL WHERE (on movie) each means; search takes them too.
const FILTER_SQL: &[(&str, &str)] = &[
    ("", "adult = 0"),
    ("adult=true", "1"),
    (
        "year=2003",
        "adult = 0 AND substr(release_date, 1, 4) = '2003'",
    ),
    (
        "genre_id=18",
        "adult = 0 AND id IN (SELECT movie_id FROM movie_genre WHERE genre_id = 18)",
    ),
    (
        "genre=tv%20MOVIE",
        "adult = 0 AND id IN (SELECT movie_id FROM movie_genre WHERE genre_id = 10770)",
    ),
    ("language=JA", "adult = 0 AND original_language = 'ja'"),
    (
        "status=post+production",
        "adult = 0 AND status = 'Post Production'",
    ),
    ("min_votes=200", "adult = 0 AND vote_count >= 200"),
    (
        "adult=1&language=fr&min_votes=1&genre=drama",
        "original_language = 'fr' AND vote_count >= 1 \
         AND id IN (SELECT movie_id FROM movie_genre WHERE genre_id = 18)",
    ),
    ("year=1800", "0"),
];

/// The explicit list sorts and the SQL ORDER BY (on movie) each means.
const SORT_SQL: &[(&str, &str)] = &[
    (
        "sort=popularity.asc",
        "popularity IS NULL, popularity ASC, id ASC",
    ),
    (
        "sort=release_date",
        "release_date IS NULL, release_date DESC, id DESC",
    ),
    (
        "sort=release_date.asc",
        "release_date IS NULL, release_date ASC, id ASC",
    ),
    (
        "sort=vote_average.desc",
        "vote_average IS NULL, vote_average DESC, id DESC",
    ),
    (
        "sort=vote_count.asc",
        "vote_count IS NULL, vote_count ASC, id ASC",
    ),
    ("sort=title", "title IS NULL, title ASC, id ASC"),
    ("sort=TITLE.DESC", "title IS NULL, title DESC, id DESC"),
];

#[test]
fn movie_lists_match_sql_for_every_filter_and_sort() {
    let (_dir, conn, serve) = serve_test_db("serve-movies");
    let filters = FILTER_SQL;
    let default_sort = [("", "popularity IS NULL, popularity DESC, id DESC")];
    let sorts: Vec<(&str, &str)> = default_sort.iter().chain(SORT_SQL).copied().collect();
    // A deep page asked first, before its count is known (counted and paged in one pass),
    // and again once the count is cached: the same rows both times, the rows SQL gives.
    for (filter, where_sql) in &filters[..3] {
        let target = format!("/movies?{filter}&sort=title.desc&limit=7&page=3");
        let want = ids(
            &conn,
            &format!(
                "SELECT id FROM movie WHERE {where_sql} ORDER BY title DESC, id DESC LIMIT 7 OFFSET 14"
            ),
        );
        for _ in 0..2 {
            let body = serve.json(&target);
            assert_eq!(
                id_list(body["results"].as_array().unwrap()),
                want,
                "{target}"
            );
        }
    }
    for (filter, where_sql) in filters {
        for (sort, order_sql) in &sorts {
            let query = [*filter, *sort]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("&");
            let target = format!("/movies?{query}");
            let got = id_list(&all_pages(&serve, &target, 7));
            let want = ids(
                &conn,
                &format!("SELECT id FROM movie WHERE {where_sql} ORDER BY {order_sql}"),
            );
            assert_eq!(got, want, "{target}");
        }
    }
    // Each result carries its genres (by id), and an absent value is null, never "".
    let all = all_pages(&serve, "/movies?adult=true", 100);
    assert_eq!(all.len(), 90);
    for movie in &all {
        let id = movie["id"].as_i64().unwrap();
        let want = ids(
            &conn,
            &format!("SELECT genre_id FROM movie_genre WHERE movie_id = {id} ORDER BY genre_id"),
        );
        assert_eq!(
            id_list(movie["genres"].as_array().unwrap()),
            want,
            "movie {id}"
        );
        for genre in movie["genres"].as_array().unwrap() {
            assert!(genre["name"].is_string(), "movie {id}: {genre}");
        }
        for (key, value) in movie.as_object().unwrap() {
            assert_ne!(value, "", "movie {id} field {key}");
        }
    }
    assert!(all.iter().any(|m| m["genres"] == serde_json::json!([])));
    assert!(all.iter().any(|m| m["release_date"].is_null()));
    assert!(all.iter().any(|m| m["overview"].is_null()));
    // A page past the end is empty, not an error.
    let past = serve.json("/movies?page=500");
    assert_eq!(past["results"], serde_json::json!([]));
    assert_eq!(
        past["total_results"],
        ids(&conn, "SELECT count(*) FROM movie WHERE adult = 0")[0]
    );
}

#[test]
fn genre_lists_count_and_filter_like_sql() {
    let (_dir, conn, serve) = serve_test_db("serve-genres");
    let genres = serve.json("/genres/");
    let list = genres["genres"].as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|g| g["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "genres by name");
    assert_eq!(list.len(), GENRES.len());
    for genre in list {
        let id = genre["id"].as_i64().unwrap();
        let count = ids(
            &conn,
            &format!(
                "SELECT count(*) FROM movie_genre JOIN movie ON movie.id = movie_id \
                 WHERE genre_id = {id} AND adult = 0"
            ),
        )[0];
        assert_eq!(genre["movie_count"], count, "genre {id}");
        let got = id_list(&all_pages(
            &serve,
            &format!("/genres/{id}/movies?sort=title"),
            9,
        ));
        let want = ids(
            &conn,
            &format!(
                "SELECT id FROM movie WHERE adult = 0 AND id IN \
                 (SELECT movie_id FROM movie_genre WHERE genre_id = {id}) \
                 ORDER BY title IS NULL, title, id"
            ),
        );
        assert_eq!(got, want, "genre {id}");
    }
    let got = id_list(&all_pages(
        &serve,
        "/genres/35/movies?year=1995&adult=true",
        5,
    ));
    let want = ids(
        &conn,
        "SELECT id FROM movie WHERE substr(release_date, 1, 4) = '1995' AND id IN \
         (SELECT movie_id FROM movie_genre WHERE genre_id = 35) \
         ORDER BY popularity IS NULL, popularity DESC, id DESC",
    );
    assert_eq!(got, want);
    assert_eq!(serve.get("/genres/99/movies").status, 404);
    assert_eq!(serve.get("/genres/35/movies?genre=drama").status, 400);
}

#[test]
fn movie_detail_and_credits_match_sql() {
    let (_dir, conn, serve) = serve_test_db("serve-movie");
    let movie = serve.json("/movies/107");
    let (title, language, runtime, status): (String, String, i64, String) = conn
        .query_row(
            "SELECT title, original_language, runtime, status FROM movie WHERE id = 107",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(movie["id"], 107);
    assert_eq!(movie["title"], title.as_str());
    assert_eq!(movie["original_language"], language.as_str());
    assert_eq!(movie["runtime"], runtime);
    assert_eq!(movie["status"], status.as_str());
    assert_eq!(movie["adult"], false);
    assert_eq!(movie["video"], false);
    assert_eq!(movie["origin_country"], serde_json::json!([]));
    assert_eq!(
        serve.json("/movies/100")["origin_country"],
        serde_json::json!(["US", "FR"])
    );
    for id in [100_i64, 107, 114, 121, 128, 135, 142] {
        let detail = serve.json(&format!("/movies/{id}"));
        let credits = serve.json(&format!("/movies/{id}/credits/"));
        assert_eq!(credits["id"], id);
        let cast = ids(
            &conn,
            &format!(
                "SELECT person_id FROM credit WHERE movie_id = {id} AND kind = 'cast' \
                 ORDER BY cast_order IS NULL, cast_order, credit_id"
            ),
        );
        let crew = ids(
            &conn,
            &format!(
                "SELECT person_id FROM credit WHERE movie_id = {id} AND kind = 'crew' \
                 ORDER BY department, job, name, credit_id"
            ),
        );
        let person_ids = |key: &str| -> Vec<i64> {
            credits[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["person_id"].as_i64().unwrap())
                .collect()
        };
        assert_eq!(person_ids("cast"), cast, "movie {id} cast");
        assert_eq!(person_ids("crew"), crew, "movie {id} crew");
        assert_eq!(detail["cast_count"], cast.len(), "movie {id}");
        assert_eq!(detail["crew_count"], crew.len(), "movie {id}");
        for c in credits["cast"].as_array().unwrap() {
            assert!(
                c["character"].is_string() && c.get("order").is_some(),
                "{c}"
            );
            assert!(c.get("job").is_none(), "{c}");
        }
        for c in credits["crew"].as_array().unwrap() {
            assert!(c["department"].is_string() && c["job"].is_string(), "{c}");
        }
    }
    let missing = serve.get("/movies/99999");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"]["status"], 404);
    assert_eq!(serve.get("/movies/99999/credits").status, 404);
}

#[test]
fn search_is_ranked_folds_diacritics_and_takes_any_text() {
    let (_dir, conn, serve) = serve_test_db("serve-search");
    let titles = |target: &str| -> Vec<String> {
        all_pages(&serve, target, 10)
            .iter()
            .map(|m| m["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let amelie = titles("/movies/search?query=amelie");
    assert!(!amelie.is_empty());
    assert!(amelie.iter().all(|t| t.starts_with("Amélie")), "{amelie:?}");
    let prefix = titles("/movies/search?query=cr%C3%A8me+br");
    assert!(
        !prefix.is_empty() && prefix.iter().all(|t| t.starts_with("Crème Brûlée")),
        "{prefix:?}"
    );
    let heat = titles("/movies/search?query=heat");
    let want_heat = ids(
        &conn,
        "SELECT count(*) FROM movie WHERE adult = 0 AND (title LIKE 'Heat %' OR title LIKE 'Heat Wave%')",
    )[0];
    assert_eq!(heat.len() as i64, want_heat, "{heat:?}");
    assert!(
        titles("/movies/search?query=%D0%A1%D1%82%D0%B0%D0%BB")
            .iter()
            .all(|t| t.starts_with("Сталкер"))
    );
    let with_adult = all_pages(&serve, "/movies/search?query=original&adult=true", 50).len() as i64;
    assert_eq!(
        with_adult, 90,
        "every original_title contains the word Original"
    );
    let without = all_pages(&serve, "/movies/search?query=original", 50).len() as i64;
    assert_eq!(
        without,
        ids(&conn, "SELECT count(*) FROM movie WHERE adult = 0")[0]
    );
    // Text FTS would choke on is taken as plain words: never a 5xx.
    for query in [
        "%22",
        "AND",
        "OR+NOT",
        "NEAR(a+b)",
        "*",
        "title%3Aheat",
        "%22quoted%22+(title)*",
        "-x",
        "%F0%9F%8E%AC",
        "%00",
        "%FF%FE",
        "a%22b",
        "^heat",
        "heat*+*",
    ] {
        let answer = serve.get(&format!("/movies/search?query={query}"));
        assert_eq!(answer.status, 200, "query={query}: {}", answer.text());
        assert!(answer.json()["results"].is_array());
    }
    let operators = titles("/movies/search?query=and+or+not");
    assert!(operators.iter().all(|t| t.starts_with("AND OR NOT")) && !operators.is_empty());
    assert_eq!(serve.json("/movies/search?query=!!!")["total_results"], 0);
    for target in [
        "/movies/search",
        "/movies/search?query=",
        "/movies/search?query=+++",
    ] {
        let answer = serve.get(target);
        assert_eq!(answer.status, 400, "{target}");
        assert_eq!(answer.json()["error"]["parameter"], "query", "{target}");
    }
    let people = all_pages(&serve, "/people/search?query=zoe", 3);
    let want = ids(
        &conn,
        "SELECT count(*) FROM people WHERE adult = 0 AND name LIKE 'Zoë %'",
    )[0];
    assert_eq!(people.len() as i64, want);
    let alias = serve.json("/people/search?query=alias12");
    assert_eq!(id_list(alias["results"].as_array().unwrap()), [5012]);
}

#[test]
fn people_and_filmographies_match_sql() {
    let (_dir, conn, serve) = serve_test_db("serve-people");
    let got = id_list(&all_pages(&serve, "/people", 4));
    let want = ids(
        &conn,
        "SELECT id FROM people WHERE adult = 0 ORDER BY popularity IS NULL, popularity DESC, id DESC",
    );
    assert_eq!(got, want);
    let got = id_list(&all_pages(&serve, "/people?sort=name&adult=true", 4));
    assert_eq!(
        got,
        ids(
            &conn,
            "SELECT id FROM people ORDER BY name IS NULL, name, id"
        )
    );
    let person = serve.json("/people/5001");
    assert_eq!(person["also_known_as"], serde_json::json!(["Alias1"]));
    assert_eq!(person["birthday"], "1970-01-02");
    assert!(person["deathday"].is_null());
    for id in 5000..5030_i64 {
        let film = serve.get(&format!("/people/{id}/movies"));
        let has_row = ids(
            &conn,
            &format!("SELECT count(*) FROM people WHERE id = {id}"),
        )[0] == 1;
        let credits = ids(
            &conn,
            &format!("SELECT count(*) FROM credit WHERE person_id = {id}"),
        )[0];
        if !has_row && credits == 0 {
            assert_eq!(film.status, 404, "person {id}");
            continue;
        }
        assert_eq!(film.status, 200, "person {id}");
        let film = film.json();
        for (kind, key) in [("cast", "cast"), ("crew", "crew")] {
            let want = ids(
                &conn,
                &format!(
                    "SELECT m.id FROM credit c JOIN movie m ON m.id = c.movie_id \
                     WHERE c.person_id = {id} AND c.kind = '{kind}' \
                     ORDER BY m.release_date IS NULL, m.release_date DESC, m.id DESC, c.credit_id"
                ),
            );
            assert_eq!(
                id_list(film[key].as_array().unwrap()),
                want,
                "person {id} {kind}"
            );
        }
        for credit in film["cast"].as_array().unwrap() {
            assert!(
                credit["character"].is_string() && credit["genres"].is_array(),
                "{credit}"
            );
        }
        for credit in film["crew"].as_array().unwrap() {
            assert!(
                credit["job"].is_string() && credit["department"].is_string(),
                "{credit}"
            );
        }
        if has_row {
            let detail = serve.json(&format!("/people/{id}"));
            let cast = film["cast"].as_array().unwrap().len();
            assert_eq!(detail["cast_count"], cast, "person {id}");
        } else {
            assert_eq!(serve.get(&format!("/people/{id}")).status, 404);
        }
    }
}

#[test]
fn errors_name_the_parameter_and_use_the_right_status() {
    let dir = Workdir::new("serve-errors");
    let db = build_db(&dir);
    let serve = Serve::start(&db, &[]);
    let cases: &[(&str, u16, Option<&str>)] = &[
        ("/movies?page=abc", 400, Some("page")),
        ("/movies?page=0", 400, Some("page")),
        ("/movies?page=501", 400, Some("page")),
        ("/movies?limit=1000", 400, Some("limit")),
        ("/movies?limit=0", 400, Some("limit")),
        ("/movies?year=19999", 400, Some("year")),
        ("/movies?year=19x9", 400, Some("year")),
        ("/movies?sort=budget", 400, Some("sort")),
        ("/movies?sort=title.sideways", 400, Some("sort")),
        ("/movies?genre=nonsense", 400, Some("genre")),
        ("/movies?genre_id=x", 400, Some("genre_id")),
        ("/movies?genre=drama&genre_id=18", 400, Some("genre")),
        ("/movies?language=english", 400, Some("language")),
        ("/movies?status=done", 400, Some("status")),
        ("/movies?adult=maybe", 400, Some("adult")),
        ("/movies?min_votes=-1", 400, Some("min_votes")),
        ("/movies?genres=18", 400, Some("genres")),
        ("/movies?page=1&page=2", 400, Some("page")),
        ("/people?sort=title", 400, Some("sort")),
        ("/movies/550?x=1", 400, Some("x")),
        ("/nope", 404, None),
        ("/movies/abc", 404, None),
        ("/movies/0", 404, None),
        ("/movies/123456", 404, None),
        ("/people/1", 404, None),
        ("/people/1/movies", 404, None),
        ("/genres/1/movies", 404, None),
    ];
    for (target, status, parameter) in cases {
        let answer = serve.get(target);
        assert_eq!(answer.status, *status, "{target}: {}", answer.text());
        assert!(
            answer
                .header("content-type")
                .unwrap()
                .starts_with("application/json")
        );
        let body = answer.json();
        assert_eq!(body["error"]["status"], *status, "{target}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        match parameter {
            Some(p) => assert_eq!(body["error"]["parameter"], *p, "{target}"),
            None => assert!(body["error"].get("parameter").is_none(), "{target}"),
        }
    }
    for method in ["POST", "PUT", "DELETE", "PATCH", "FOO"] {
        let answer = serve.request(method, "/movies", &[("Content-Length", "0")]);
        assert_eq!(answer.status, 405, "{method}");
        assert_eq!(
            answer.header("allow"),
            Some("GET, HEAD, OPTIONS"),
            "{method}"
        );
        assert_eq!(answer.json()["error"]["status"], 405);
    }
    let long = format!("/movies?query={}", "a".repeat(3000));
    assert_eq!(serve.get(&long).status, 414);
}

#[test]
fn head_trailing_slash_etag_cors_and_gzip() {
    let dir = Workdir::new("serve-hygiene");
    let db = build_db(&dir);
    let serve = Serve::start(&db, &["--cors-origin", "https://example.org"]);
    let get = serve.get("/movies?limit=100&adult=true");
    assert_eq!(get.status, 200);
    assert_eq!(
        get.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        get.header("access-control-allow-origin"),
        Some("https://example.org")
    );
    assert!(get.header("cache-control").is_some());
    let length: usize = get.header("content-length").unwrap().parse().unwrap();
    assert_eq!(length, get.body.len());
    let head = serve.request("HEAD", "/movies/?limit=100&adult=true", &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length"),
        Some(length.to_string().as_str())
    );
    assert_eq!(head.header("etag"), get.header("etag"));
    assert_eq!(
        serve.get("/movies/?limit=100&adult=true").body,
        get.body,
        "trailing slash"
    );

    // Link keeps the other parameters (re-encoded) and points both ways from a middle page.
    let middle = serve.get("/movies/?genre=tv+MOVIE&adult=true&limit=2&page=2");
    assert_eq!(middle.status, 200);
    assert_eq!(
        middle.header("link"),
        Some(
            "</movies?genre=tv%20MOVIE&adult=true&limit=2&page=3>; rel=\"next\", \
             </movies?genre=tv%20MOVIE&adult=true&limit=2&page=1>; rel=\"prev\""
        )
    );
    let etag = get.header("etag").unwrap().to_owned();
    let cached = serve.request(
        "GET",
        "/movies?limit=100&adult=true",
        &[("If-None-Match", &etag)],
    );
    assert_eq!(cached.status, 304);
    assert!(cached.body.is_empty());
    assert_eq!(cached.header("etag"), Some(etag.as_str()));
    let other = serve.request(
        "GET",
        "/movies?limit=99&adult=true",
        &[("If-None-Match", &etag)],
    );
    assert_eq!(other.status, 200, "another body has another ETag");

    let gz = serve.request(
        "GET",
        "/movies?limit=100&adult=true",
        &[("Accept-Encoding", "gzip, br")],
    );
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert!(gz.body.len() < get.body.len());
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, get.body);
    let refused = serve.request(
        "GET",
        "/movies?limit=100",
        &[("Accept-Encoding", "gzip;q=0")],
    );
    assert!(refused.header("content-encoding").is_none());
    let small = serve.request("GET", "/health", &[("Accept-Encoding", "gzip")]);
    assert!(
        small.header("content-encoding").is_none(),
        "small bodies go as they are"
    );

    let preflight = serve.request(
        "OPTIONS",
        "/movies",
        &[
            ("Origin", "https://example.org"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "if-none-match"),
        ],
    );
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://example.org")
    );
    assert!(
        preflight
            .header("access-control-allow-methods")
            .unwrap()
            .contains("GET")
    );
    assert!(
        preflight
            .header("access-control-allow-headers")
            .unwrap()
            .contains("If-None-Match")
    );
    assert_eq!(serve.request("OPTIONS", "/nowhere", &[]).status, 404);

    for (target, content_type) in [
        ("/", "text/html; charset=utf-8"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/style.css", "text/css; charset=utf-8"),
        ("/openapi.json", "application/json; charset=utf-8"),
    ] {
        let answer = serve.get(target);
        assert_eq!(answer.status, 200, "{target}");
        assert_eq!(
            answer.header("content-type"),
            Some(content_type),
            "{target}"
        );
    }
    // The page loads its script and styles relative to itself (a proxy may serve it under a
    // prefix), and both answer above.
    let page = serve.get("/").text();
    assert!(page.contains("<script src=\"app.js\""), "{page}");
    assert!(page.contains("href=\"style.css\""), "{page}");
}

#[test]
fn stats_and_health_report_the_mirror() {
    let dir = Workdir::new("serve-stats");
    let db = build_db(&dir);
    let conn = Connection::open(&db).unwrap();
    let serve = Serve::start(&db, &[]);
    let stats = serve.json("/stats");
    for (key, table) in [
        ("movies", "movie"),
        ("people", "people"),
        ("credits", "credit"),
        ("genres", "genre"),
        ("movie_ids", "movie_ids"),
        ("gone", "gone"),
    ] {
        assert_eq!(
            stats[key],
            ids(&conn, &format!("SELECT count(*) FROM {table}"))[0],
            "{key}"
        );
    }
    assert_eq!(stats["last_load"]["kind"], "movies");
    assert_eq!(stats["last_load"]["finished_at"], "2026-11-30T10:01:00Z");
    let health = serve.json("/health");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["schema_version"], tmdb_core::db::latest_version());
}

#[test]
fn hostile_input_never_gets_a_5xx_and_the_server_lives_on() {
    let dir = Workdir::new("serve-hostile");
    let db = build_db(&dir);
    let serve = Serve::start(&db, &[]);
    let paths = [
        "/movies",
        "/movies/search",
        "/movies/107",
        "/movies/107/credits",
        "/people",
        "/people/search",
        "/people/5001",
        "/people/5001/movies",
        "/genres",
        "/genres/18/movies",
        "/stats",
        "/health",
        "/openapi.json",
        "/",
        "/..%2f..%2fetc%2fpasswd",
        "/movies/%00",
        "/movies/107%2Fcredits",
        "/%E2%80%AE",
        "/movies/search/",
        "/people//movies",
    ];
    let keys = [
        "page",
        "limit",
        "year",
        "genre",
        "genre_id",
        "language",
        "status",
        "adult",
        "min_votes",
        "sort",
        "query",
        "",
        "%00",
        "page%5B%5D",
        "__proto__",
    ];
    let values = [
        "1",
        "0",
        "-1",
        "abc",
        "%27%20OR%201%3D1--",
        "%22",
        "%FF",
        "%00",
        "1e9",
        "99999999999999999999",
        "drama",
        "DRAMA",
        "title.asc",
        "popularity.desc",
        "%E2%80%AE",
        "NEAR(",
        "*",
        "%25",
        "+",
        "2001",
        "true",
        "ja",
        "Released",
        "%3Cscript%3E",
        "%F0%9F%8E%AC",
    ];
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for _ in 0..600 {
        let path = rng.pick(&paths);
        let n = rng.next() % 5;
        let query: Vec<String> = (0..n)
            .map(|_| format!("{}={}", rng.pick(&keys), rng.pick(&values)))
            .collect();
        let target = format!("{path}?{}", query.join("&"));
        let answer = serve.get(&target);
        assert!(
            answer.status < 500,
            "{target}: {} {}",
            answer.status,
            answer.text()
        );
        assert!(answer.header("content-type").is_some(), "{target}");
    }
    // Random bytes as the query string (printable, so the request line stays valid HTTP).
    for _ in 0..200 {
        let len = (rng.next() % 200) as usize;
        let junk: String = (0..len)
            .map(|_| (33 + (rng.next() % 94) as u8) as char)
            .collect();
        let junk = junk.replace('#', "%23");
        let target = format!("/movies?{junk}");
        let answer = serve.get(&target);
        assert!(
            answer.status < 500,
            "{target}: {} {}",
            answer.status,
            answer.text()
        );
    }
    // Raw requests no browser would send: each gets a 4xx or a closed connection, never a 5xx.
    let raw: Vec<Vec<u8>> = vec![
        b"GARBAGE\r\n\r\n".to_vec(),
        b"GET\r\n\r\n".to_vec(),
        b"GET /movies HTTP/9.9\r\n\r\n".to_vec(),
        b"GET /movies HTTP/1.1\r\nBad Header Line\r\n\r\n".to_vec(),
        b"GET /mov\xffies HTTP/1.1\r\n\r\n".to_vec(),
        b"GET http://evil.example/movies HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        b"GET * HTTP/1.1\r\n\r\n".to_vec(),
        b"POST /movies HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello".to_vec(),
        b"GET /movies HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".to_vec(),
        format!("GET /movies?{} HTTP/1.1\r\n\r\n", "x=1&".repeat(5000)).into_bytes(),
        format!("GET /{} HTTP/1.1\r\n\r\n", "a/".repeat(3000)).into_bytes(),
        b"GET /movies HTTP/1.1\r\nHost: x\r\n".to_vec(),
        Vec::new(),
    ];
    for request in &raw {
        let answer = serve.raw(request);
        if let Some(parsed) = Answer::parse(&answer) {
            assert!(
                parsed.status < 500,
                "{:?}: {}",
                String::from_utf8_lossy(request),
                parsed.status
            );
        }
    }
    // Clients that hang up mid-request or before reading the answer.
    for _ in 0..20 {
        let mut stream = TcpStream::connect(&serve.addr).unwrap();
        let _ = stream.write_all(b"GET /movies?limit=100&adult=true HTTP/1.1\r\nHost: x\r\n\r\n");
        drop(stream);
        let mut half = TcpStream::connect(&serve.addr).unwrap();
        let _ = half.write_all(b"GET /movies?li");
        drop(half);
    }
    assert_eq!(serve.json("/health")["status"], "ok");
    let paged = serve.json("/movies?limit=3");
    assert_eq!(paged["results"].as_array().unwrap().len(), 3);
}

/// The routes a client can call, with example arguments (ids that exist in the test mirror).
fn example(path: &str) -> String {
    path.replace(
        "{id}",
        match path {
            p if p.starts_with("/movies/") => "107",
            p if p.starts_with("/people/") => "5001",
            p if p.starts_with("/collections/")
                || p.starts_with("/companies/")
                || p.starts_with("/keywords/") =>
            {
                "1"
            }
            _ => "18",
        },
    )
}

/// Where `value` differs from `schema` (of the OpenAPI document, `$ref`s to `schemas`): a
/// field missing, a field not documented, a value of another type, at any depth.
fn schema_problems(value: &Value, schema: &Value, schemas: &Value, at: &str) -> Vec<String> {
    if let Some(name) = schema["$ref"].as_str() {
        let name = name.trim_start_matches("#/components/schemas/");
        assert!(schemas[name].is_object(), "{at}: no schema {name}");
        return schema_problems(value, &schemas[name], schemas, at);
    }
    if let Some(choices) = schema["oneOf"].as_array() {
        let fits = choices
            .iter()
            .filter(|s| schema_problems(value, s, schemas, at).is_empty())
            .count();
        return match fits {
            1 => Vec::new(),
            n => vec![format!(
                "{at}: {value} fits {n} of the oneOf schemas, not 1"
            )],
        };
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let fits = types.is_empty()
        || types.contains(&kind)
        || (kind == "integer" && types.contains(&"number"));
    if !fits {
        return vec![format!("{at}: {value} is {kind}, documented {types:?}")];
    }
    let mut problems = Vec::new();
    match value {
        Value::Object(fields) => {
            for key in schema["required"].as_array().into_iter().flatten() {
                let key = key.as_str().unwrap();
                if !fields.contains_key(key) {
                    problems.push(format!("{at}.{key}: documented field missing"));
                }
            }
            let properties = schema["properties"].as_object();
            for (key, field) in fields {
                let path = format!("{at}.{key}");
                match properties.and_then(|p| p.get(key)) {
                    Some(sub) => problems.extend(schema_problems(field, sub, schemas, &path)),
                    None if schema["additionalProperties"].is_object() => problems.extend(
                        schema_problems(field, &schema["additionalProperties"], schemas, &path),
                    ),
                    None if properties.is_some() => {
                        problems.push(format!("{path}: field not documented"));
                    }
                    None => {}
                }
            }
        }
        Value::Array(items) if schema["items"].is_object() => {
            for (i, item) in items.iter().enumerate() {
                let path = format!("{at}[{i}]");
                problems.extend(schema_problems(item, &schema["items"], schemas, &path));
            }
        }
        _ => {}
    }
    problems
}

#[test]
fn openapi_documents_every_route_truthfully() {
    let dir = Workdir::new("serve-openapi");
    let db = build_db(&dir);
    let serve = Serve::start(&db, &[]);
    let doc = serve.json("/openapi.json");
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let documented: BTreeSet<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    let routes: BTreeSet<String> = [
        "/",
        "/app.js",
        "/style.css",
        "/openapi.json",
        "/health",
        "/stats",
        "/movies",
        "/movies/search",
        "/movies/{id}",
        "/movies/{id}/credits",
        "/people",
        "/people/search",
        "/people/{id}",
        "/people/{id}/movies",
        "/genres",
        "/genres/{id}/movies",
        "/keywords/{id}",
        "/keywords/{id}/movies",
        "/collections/{id}",
        "/companies/{id}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(documented, routes, "every route documented, nothing else");
    let schemas = &doc["components"]["schemas"];
    let resolve = |schema: &Value| -> Value {
        match schema["$ref"].as_str() {
            Some(r) => schemas[r.trim_start_matches("#/components/schemas/")].clone(),
            None => schema.clone(),
        }
    };
    for (path, item) in doc["paths"].as_object().unwrap() {
        let get = &item["get"];
        assert!(get.is_object(), "{path} documents GET");
        let mut target = example(path);
        let mut required_query = Vec::new();
        for param in get["parameters"].as_array().into_iter().flatten() {
            let param = resolve(param);
            if param["in"] == "query" && param["required"] == true {
                required_query.push(format!("{}=heat", param["name"].as_str().unwrap()));
            }
        }
        if !required_query.is_empty() {
            target = format!("{target}?{}", required_query.join("&"));
        }
        let answer = serve.get(&target);
        assert_eq!(answer.status, 200, "{target}");
        let ok = &get["responses"]["200"]["content"];
        let (media, content) = ok.as_object().unwrap().iter().next().unwrap();
        assert!(
            answer
                .header("content-type")
                .unwrap()
                .starts_with(media.as_str()),
            "{target}"
        );
        if media == "application/json" {
            let problems = schema_problems(&answer.json(), &content["schema"], schemas, "");
            assert!(problems.is_empty(), "{target}: {problems:#?}");
        }
        // Every documented query parameter is accepted (none answers "unknown parameter").
        for param in get["parameters"].as_array().into_iter().flatten() {
            let param = resolve(param);
            if param["in"] != "query" {
                continue;
            }
            let name = param["name"].as_str().unwrap();
            let sample = param["example"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| param["example"].to_string());
            let sep = if target.contains('?') { '&' } else { '?' };
            let url = if required_query
                .iter()
                .any(|q| q.starts_with(&format!("{name}=")))
            {
                target.clone()
            } else {
                format!("{target}{sep}{name}={sample}")
            };
            let answer = serve.get(&url);
            assert_eq!(answer.status, 200, "{url}: {}", answer.text());
        }
        for (status, _) in get["responses"].as_object().unwrap() {
            assert!(
                ["200", "304", "400", "404", "405", "414"].contains(&status.as_str()),
                "{path} {status}"
            );
        }
    }
}

#[test]
fn answers_and_counts_follow_a_load_made_while_serving() {
    let dir = Workdir::new("serve-reload");
    let db = build_db(&dir);
    let serve = Serve::start(&db, &[]);
    // Ask twice so that every worker has the answers cached.
    for _ in 0..4 {
        assert_eq!(serve.get("/movies/9999").status, 404);
        serve.json("/stats");
        serve.json("/movies?language=ja");
    }
    let before = serve.json("/movies?language=ja")["total_results"]
        .as_i64()
        .unwrap();
    let etag = serve.get("/movies/107").header("etag").unwrap().to_owned();
    let conn = tmdb_core::db::open(&db).unwrap();
    conn.execute_batch(
        "INSERT INTO movie (id, title, original_language, popularity) VALUES (9999, 'Late Arrival', 'ja', 1000);
         UPDATE movie SET title = 'Renamed' WHERE id = 107;",
    )
    .unwrap();
    for _ in 0..4 {
        assert_eq!(serve.json("/movies/9999")["title"], "Late Arrival");
        assert_eq!(serve.json("/movies/107")["title"], "Renamed");
        let list = serve.json("/movies?language=ja");
        assert_eq!(list["total_results"], before + 1);
        assert_eq!(list["results"][0]["id"], 9999);
        assert_eq!(serve.json("/stats")["movies"], 91);
        let fresh = serve.request("GET", "/movies/107", &[("If-None-Match", &etag)]);
        assert_eq!(fresh.status, 200, "the old ETag no longer matches");
    }
}

/// The movies in tmdb-serve's discover index of the current data, from /metrics (0 while the
/// index is built).
fn discover_index_movies(serve: &Serve) -> i64 {
    let text = serve.get("/metrics").text();
    text.lines()
        .find_map(|l| l.strip_prefix("tmdb_serve_discover_index_movies "))
        .unwrap_or_else(|| panic!("no discover index gauge in\n{text}"))
        .parse()
        .unwrap()
}

/// Waits (at most 30 s) until the discover index holds `movies`.
fn wait_for_discover_index(serve: &Serve, movies: i64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while discover_index_movies(serve) != movies {
        assert!(
            std::time::Instant::now() < deadline,
            "no discover index of {movies} movies after 30 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn discover_follows_a_load_made_while_serving_from_its_index_too() {
    let dir = Workdir::new("serve-discover-reload");
    let db = build_db(&dir);
    let serve = Serve::start(&db, &[]);
    let movies = serve.json("/stats")["movies"].as_i64().unwrap();
    wait_for_discover_index(&serve, movies);
    let target = |n: usize| format!("/3/discover/movie?with_original_language=ja&page=1&n={n}");
    let before = serve.json(&target(0))["total_results"].as_i64().unwrap();
    let conn = tmdb_core::db::open(&db).unwrap();
    conn.execute_batch(
        "INSERT INTO movie (id, title, original_language, popularity) VALUES (9999, 'Late Arrival', 'ja', 1000);",
    )
    .unwrap();
    // Answered at once (by SQL while the index is read again), then from the new index.
    let check = |n: usize| {
        let list = serve.json(&target(n));
        assert_eq!(list["total_results"], before + 1, "{list}");
        assert_eq!(list["results"][0]["id"], 9999, "{list}");
    };
    for n in 1..=4 {
        check(n);
    }
    wait_for_discover_index(&serve, movies + 1);
    for n in 5..=8 {
        check(n);
    }
}

/// The ids SQLite's own bm25 ranks first for an FTS query, with the server's tie-breaks.
fn bm25_ids(conn: &Connection, table: &str, fts: &str, include_adult: bool) -> Vec<i64> {
    let (fts_table, alias) = match table {
        "movie" => ("movie_fts", "m"),
        _ => ("people_fts", "p"),
    };
    let sql = format!(
        "SELECT {alias}.id FROM {fts_table} JOIN {table} {alias} ON {alias}.id = {fts_table}.rowid \
         WHERE {fts_table} MATCH ?1 AND (?2 OR {alias}.adult = 0) \
         ORDER BY bm25({fts_table}, 4.0, 1.0), {alias}.popularity DESC, {alias}.id"
    );
    let mut stmt = conn.prepare(&sql).unwrap();
    stmt.query_map((fts, include_adult), |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn search_order_is_sqlite_bm25_on_every_page() {
    let dir = Workdir::new("serve-search-order");
    let db = build_db(&dir);
    let conn = Connection::open(&db).unwrap();
    // A word in the title weighs 4 times one in the original title; equal scores fall back
    // on popularity (absent last), then id. "noir" and "lum"* are in movies and people with
    // counts that rank 9401 and 9402 the other way round if one table's were used for the
    // other's.
    conn.execute_batch(
        "INSERT INTO movie (id, title, original_title, popularity) VALUES
           (9301, 'Lumen Noir', 'Noir', 1), (9302, 'Noir', 'Lumen Noir', 5),
           (9303, 'Lumen', 'Lumen', NULL), (9304, 'Lumen', 'Lumen', 2),
           (9305, 'Lumen', 'Lumen', 2), (9306, 'Lumen Lumen Noir', '', 9);
         INSERT INTO people (id, name, also_known_as) VALUES
           (9401, 'Quinn', '[\"Noir Noir Lumen\"]'), (9402, 'Lumen', '[\"Noir Lumen Lumen\"]');
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8)
         INSERT INTO people (id, name) SELECT 9410 + i, 'Lumen Filler' FROM n;",
    )
    .unwrap();
    let serve = Serve::start(&db, &[]);
    // (route, what is typed, the FTS query it means): one and several words, prefixes short
    // and long, words shared between queries (their counts come from the cache the second
    // time), a word the tokenizer splits (x–y) and one it drops (—).
    let cases = [
        ("movie", "lumen", "\"lumen\"*"),
        ("movie", "noir+lum", "\"noir\" \"lum\"*"),
        ("movie", "heat", "\"heat\"*"),
        ("movie", "heat+wave", "\"heat\" \"wave\"*"),
        ("movie", "heat+w", "\"heat\" \"w\"*"),
        ("movie", "original+heat", "\"original\" \"heat\"*"),
        ("movie", "original+1", "\"original\" \"1\"*"),
        ("movie", "o", "\"o\"*"),
        ("movie", "cr%C3%A8me+br", "\"crème\" \"br\"*"),
        ("movie", "naive+caf", "\"naive\" \"caf\"*"),
        ("movie", "heat%E2%80%93wave", "\"heat–wave\"*"),
        ("movie", "heat+%E2%80%94+wave", "\"heat\" \"—\" \"wave\"*"),
        ("people", "noir+lum", "\"noir\" \"lum\"*"),
        ("people", "person1", "\"person1\"*"),
        ("people", "alias", "\"alias\"*"),
        ("people", "zoe+person", "\"zoe\" \"person\"*"),
        ("people", "person2+alias2", "\"person2\" \"alias2\"*"),
    ];
    for round in 0..2 {
        for (table, typed, fts) in cases {
            for include_adult in [false, true] {
                let route = if table == "movie" { "movies" } else { "people" };
                let target = format!("/{route}/search?query={typed}&adult={include_adult}");
                let got = id_list(&all_pages(&serve, &target, 3 + round * 4));
                let want = bm25_ids(&conn, table, fts, include_adult);
                assert!(!want.is_empty(), "{fts} finds something");
                assert_eq!(got, want, "{target}");
            }
        }
    }
}

#[test]
fn search_ranking_follows_a_load_made_while_serving() {
    let dir = Workdir::new("serve-search-reload");
    let db = build_db(&dir);
    let conn = tmdb_core::db::open(&db).unwrap();
    // 9001 and 9002 contain both words and differ only in which one the original title
    // repeats: whichever word is rarer (weighs more in bm25) puts its row first.
    conn.execute_batch(
        "INSERT INTO movie (id, title, original_title) VALUES
           (9001, 'Zeta Omega', 'Zeta'), (9002, 'Zeta Omega', 'Omega');
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
         INSERT INTO movie (id, title) SELECT 9100 + i, 'Omega Filler' FROM n;",
    )
    .unwrap();
    let serve = Serve::start(&db, &[]);
    let fts = "\"zeta\" \"omega\"*";
    let search = |limit: i64| id_list(&all_pages(&serve, "/movies/search?query=zeta+omega", limit));
    for limit in 1..5 {
        assert_eq!(search(limit), [9001, 9002]);
    }
    assert_eq!(bm25_ids(&conn, "movie", fts, false), [9001, 9002]);
    conn.execute_batch(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20)
         INSERT INTO movie (id, title) SELECT 9200 + i, 'Zeta Filler' FROM n;",
    )
    .unwrap();
    assert_eq!(bm25_ids(&conn, "movie", fts, false), [9002, 9001]);
    for limit in 1..9 {
        assert_eq!(search(limit), [9002, 9001], "limit={limit}");
    }
}

/// Lists with a genre and a year come from genre_movie_by_date (sql/0006), kept by triggers:
/// after inserts, updates (dates moved into, out of and within the year, sort keys, filters)
/// and deletes made with the sqlite3-like SQL any writer could run, every such list, filter
/// and sort is what SQL joining movie and movie_genre says, page by page.
#[test]
fn genre_and_year_lists_match_sql_joining_movie_and_movie_genre() {
    let dir = Workdir::new("serve-genre-year");
    let db = build_db(&dir);
    let conn = tmdb_core::db::open(&db).unwrap();
    // 80 more movies, crowded into 2001 and 2002 so that a genre and a year span pages:
    // shared dates, popularity and titles (the id tie-break decides), absent values, the
    // year's first and last days, and a date that is only a year (outside every range).
    for i in 0..80_i64 {
        let id = 20_000 + i * 3;
        let date = match i % 10 {
            0 => None,
            1 => Some("2001-01-01".to_owned()),
            2 => Some("2001-12-31".to_owned()),
            3 => Some("2002-01-01".to_owned()),
            4 => Some("2001".to_owned()),
            5 | 6 => Some("2001-06-15".to_owned()),
            _ => Some(format!(
                "{}-{:02}-{:02}",
                2001 + i % 2,
                1 + i % 12,
                1 + i % 27
            )),
        };
        conn.execute(
            "INSERT INTO movie (id, title, original_language, release_date, status, adult,
               popularity, vote_average, vote_count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            rusqlite::params![
                id,
                if i % 13 == 0 {
                    None
                } else {
                    Some(format!("Title {}", i % 9))
                },
                ["en", "fr", "en", "ja"][i as usize % 4],
                date,
                ["Released", "Rumored", "Released"][i as usize % 3],
                (i % 9 == 2) as i64,
                if i % 7 == 0 {
                    None
                } else {
                    Some((i % 5) as f64)
                },
                if i % 6 == 0 {
                    None
                } else {
                    Some((i % 4) as f64 * 2.5)
                },
                if i % 8 == 0 { None } else { Some(i * 11 % 300) },
            ],
        )
        .unwrap();
        for (k, genre) in [18, 35, 28].iter().enumerate() {
            if (i as usize + k) % 2 == 0 || k == 0 && i % 5 != 4 {
                conn.execute(
                    "INSERT INTO movie_genre (movie_id, genre_id) VALUES (?1, ?2)",
                    (id, genre),
                )
                .unwrap();
            }
        }
    }
    conn.execute_batch(
        "UPDATE movie SET release_date = '2002-03-03' WHERE id IN (20003, 20030);
         UPDATE movie SET release_date = '2001-07-07' WHERE id IN (20006, 20120);
         UPDATE movie SET release_date = NULL WHERE id = 20033;
         UPDATE movie SET popularity = 99, title = 'Zzz', status = 'Rumored' WHERE id = 20045;
         UPDATE movie SET adult = 1, original_language = 'fr', vote_count = 5 WHERE id = 20048;
         DELETE FROM movie_genre WHERE movie_id = 20060 AND genre_id = 18;
         INSERT INTO movie_genre (movie_id, genre_id) VALUES (20063, 28) ON CONFLICT DO NOTHING;
         DELETE FROM movie WHERE id IN (20066, 20069, 20072);",
    )
    .unwrap();
    drop(conn);
    let conn = Connection::open(&db).unwrap();
    let serve = Serve::start(&db, &[]);
    let filters: &[(&str, &str)] = &[
        ("", "adult = 0"),
        ("adult=true", "1"),
        ("language=FR", "adult = 0 AND original_language = 'fr'"),
        ("status=rumored", "adult = 0 AND status = 'Rumored'"),
        ("min_votes=100", "adult = 0 AND vote_count >= 100"),
        (
            "adult=1&language=en&status=Released&min_votes=1",
            "original_language = 'en' AND status = 'Released' AND vote_count >= 1",
        ),
    ];
    let sorts: &[(&str, &str)] = &[
        ("", "popularity IS NULL, popularity DESC, id DESC"),
        (
            "sort=popularity.asc",
            "popularity IS NULL, popularity ASC, id ASC",
        ),
        ("sort=release_date", "release_date DESC, id DESC"),
        ("sort=release_date.asc", "release_date ASC, id ASC"),
        (
            "sort=vote_average.desc",
            "vote_average IS NULL, vote_average DESC, id DESC",
        ),
        (
            "sort=vote_count.asc",
            "vote_count IS NULL, vote_count ASC, id ASC",
        ),
        ("sort=title", "title IS NULL, title ASC, id ASC"),
        ("sort=title.desc", "title IS NULL, title DESC, id DESC"),
    ];
    let mut compared = 0;
    for genre in [18, 35, 28, 10770] {
        for year in [2001, 2002, 1995] {
            for (f, (filter, where_sql)) in filters.iter().enumerate() {
                for (s, (sort, order_sql)) in sorts.iter().enumerate() {
                    let query = [format!("year={year}"), filter.to_string(), sort.to_string()]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join("&");
                    // Both routes, alternately, so each sees every filter and every sort.
                    let target = if (f + s) % 2 == 0 {
                        format!("/movies?genre_id={genre}&{query}")
                    } else {
                        format!("/genres/{genre}/movies?{query}")
                    };
                    let got = id_list(&all_pages(&serve, &target, 6));
                    let want = ids(
                        &conn,
                        &format!(
                            "SELECT id FROM movie JOIN movie_genre ON movie_genre.movie_id = movie.id \
                             WHERE movie_genre.genre_id = {genre} \
                               AND release_date >= '{year}-01-01' AND release_date < '{}-01-01' \
                               AND {where_sql} ORDER BY {order_sql}",
                            year + 1
                        ),
                    );
                    assert_eq!(got, want, "{target}");
                    compared += want.len();
                }
            }
        }
    }
    assert!(
        compared > 2000,
        "the lists compared are not all empty: {compared}"
    );
    // The same list asked again (its count now cached) at a deep page: the same rows.
    let target = "/movies?genre=drama&year=2001&sort=title.desc&limit=4&page=3";
    let first = serve.json(target);
    assert_eq!(serve.json(target), first);
    assert_eq!(first["results"].as_array().unwrap().len(), 4, "{first}");
}

/// `/movies/search` takes `/movies`' filters and sorts (relevance first by default): every
/// page of each combination is what SQL says, ranking with SQLite's own bm25.
#[test]
fn movie_search_filters_and_sorts_match_sql() {
    let (_dir, conn, serve) = serve_test_db("serve-search-filters");
    let relevance = [
        ("", "score, popularity DESC, id"),
        ("sort=relevance", "score, popularity DESC, id"),
        ("sort=relevance.asc", "score DESC, popularity ASC, id DESC"),
    ];
    let sorts: Vec<(&str, &str)> = relevance.iter().chain(SORT_SQL).copied().collect();
    let mut found = 0;
    for (typed, fts) in [("heat", "\"heat\"*"), ("original+c", "\"original\" \"c\"*")] {
        for (filter, where_sql) in FILTER_SQL {
            for (sort, order) in &sorts {
                let want = ids(
                    &conn,
                    &format!(
                        "SELECT id FROM (SELECT rowid AS fid, bm25(movie_fts, 4.0, 1.0) AS score \
                         FROM movie_fts WHERE movie_fts MATCH '{fts}') \
                         JOIN movie ON id = fid WHERE {where_sql} ORDER BY {order}"
                    ),
                );
                let target = format!("/movies/search?query={typed}&{filter}&{sort}");
                assert_eq!(id_list(&all_pages(&serve, &target, 4)), want, "{target}");
                found += usize::from(!want.is_empty());
            }
        }
    }
    assert!(found >= 40, "most combinations find something ({found})");
    let err = serve.get("/movies/search?query=heat&sort=rank");
    assert_eq!(err.status, 400);
    assert_eq!(err.json()["error"]["parameter"], "sort");
}

/// A list keeps its total and first ids for the next pages (`queries.rs`, `Db::list`): lists
/// longer than what is kept page the same at every limit, whichever page is asked first,
/// past the kept ids too, and follow a change made while serving.
#[test]
fn long_lists_page_the_same_at_every_limit_and_in_any_order() {
    let dir = Workdir::new("serve-long-lists");
    let db = build_db(&dir);
    let conn = tmdb_core::db::open(&db).unwrap();
    // 260 movies of 1987: shared popularity and titles (the id tie-break decides), absent
    // sort keys, adult ones and two statuses.
    conn.execute_batch(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 260)
         INSERT INTO movie (id, title, release_date, status, adult, popularity, vote_average)
         SELECT 30000 + i * 7 % 1000, CASE WHEN i % 11 = 0 THEN NULL ELSE 'T' || (i % 17) END,
           printf('1987-%02d-%02d', 1 + i % 12, 1 + i % 28),
           CASE WHEN i % 3 = 0 THEN 'Rumored' ELSE 'Released' END, i % 19 = 0,
           CASE WHEN i % 13 = 0 THEN NULL ELSE i % 23 END, (i % 10) / 2.0 FROM n;",
    )
    .unwrap();
    let serve = Serve::start(&db, &[]);
    let want = |filter: &str, order: &str| {
        ids(
            &conn,
            &format!(
                "SELECT id FROM movie WHERE adult = 0 AND release_date >= '1987-01-01' \
                 AND release_date < '1988-01-01' {filter} ORDER BY {order}"
            ),
        )
    };
    let cases = [
        ("", "popularity.desc", "popularity DESC, id DESC"),
        ("", "title", "title ASC NULLS LAST, id ASC"),
        (
            "&status=released",
            "vote_average.asc",
            "vote_average ASC NULLS LAST, id ASC",
        ),
    ];
    for (query, sort, order) in cases {
        let filter = if query.is_empty() {
            ""
        } else {
            "AND status = 'Released'"
        };
        let expected = want(filter, order);
        assert!(expected.len() > 150, "more than a list keeps");
        let target = format!("/movies?year=1987{query}&sort={sort}");
        // The last page first: the list is read and kept from a page past its kept ids.
        let last = serve.json(&format!("{target}&limit=7&page=20"));
        assert_eq!(last["total_results"], expected.len());
        assert_eq!(
            id_list(last["results"].as_array().unwrap()),
            expected[133..140]
        );
        for limit in [7, 30, 100, 1] {
            let got = id_list(&all_pages(&serve, &target, limit));
            assert_eq!(got, expected, "{target} limit={limit}");
        }
    }
    // A change made while serving: the kept lists are dropped with everything else.
    conn.execute_batch("UPDATE movie SET popularity = 1000 WHERE id = 30007;")
        .unwrap();
    let first = serve.json("/movies?year=1987&sort=popularity.desc&limit=3");
    assert_eq!(first["results"][0]["id"], 30007);
    assert_eq!(
        id_list(&all_pages(
            &serve,
            "/movies?year=1987&sort=popularity.desc",
            30
        )),
        want("", "popularity DESC, id DESC")
    );
}
