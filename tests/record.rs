//! The whole record on real TMDB data: captured responses served by a loopback server as TMDB
//! serves them, fetched by the real tmdb-fetch, loaded by ndjson-load, and asked back from
//! tmdb-serve's `/3` routes, which must answer exactly the line that was fetched.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::util::record::{appends_of, json_difference};
use crate::util::{
    Run, Workdir, bin, http_get, read_ndjson, repo_root, run_with_input, spawn_listening,
};

fn capture(name: &str) -> Value {
    let path = repo_root().join("tests/fixtures/tmdb-api").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Movie 47964's sub-resources by append name, as the standalone routes answered them.
const MOVIE_47964_APPENDS: &[(&str, &str)] = &[
    ("credits", "tmdblib-movie-47964-credits.json"),
    ("keywords", "tmdblib-movie-47964-keywords.json"),
    ("release_dates", "tmdblib-movie-47964-release-dates.json"),
    (
        "alternative_titles",
        "tmdblib-movie-47964-alternative-titles-country-US.json",
    ),
    ("translations", "tmdblib-movie-47964-translations.json"),
    ("videos", "tmdblib-movie-47964-videos.json"),
    ("images", "tmdblib-movie-47964-images.json"),
    (
        "watch/providers",
        "tmdblib-movie-47964-watch-providers.json",
    ),
];

/// What the captures let this server answer: a record with the sub-resources it has, each
/// appended without its `id` as TMDB appends them.
struct Records {
    base: BTreeMap<String, Value>,
    parts: BTreeMap<(String, String), Value>,
}

impl Records {
    fn new() -> Records {
        let mut base = BTreeMap::new();
        let mut parts = BTreeMap::new();
        base.insert("movie/47964".into(), capture("tmdblib-movie-47964.json"));
        for (append, file) in MOVIE_47964_APPENDS {
            let mut part = capture(file);
            part.as_object_mut().unwrap().remove("id");
            parts.insert(("movie/47964".into(), (*append).into()), part);
        }
        base.insert("movie/550".into(), capture("jdrouet-movie-550.json"));
        let mut credits = capture("jdrouet-movie-550-credits.json");
        credits.as_object_mut().unwrap().remove("id");
        parts.insert(("movie/550".into(), "credits".into()), credits);
        base.insert(
            "movie/49026".into(),
            capture("tmdblib-movie-tt1345836-append-credits-images-keywords.json"),
        );
        base.insert("person/62".into(), capture("tmdblib-person-62.json"));
        let mut ext = capture("tmdblib-person-62-external-ids.json");
        ext.as_object_mut().unwrap().remove("id");
        parts.insert(("person/62".into(), "external_ids".into()), ext);
        base.insert("person/287".into(), capture("jdrouet-person-287.json"));
        Records { base, parts }
    }

    /// The body for `/3/{path}?append_to_response={appends}`, or None (a 404).
    fn body(&self, path: &str, appends: &str) -> Option<Value> {
        let mut body = self.base.get(path)?.clone();
        let map: &mut Map<String, Value> = body.as_object_mut().unwrap();
        for append in appends.split(',').filter(|a| !a.is_empty()) {
            if let Some(part) = self.parts.get(&(path.to_owned(), append.to_owned())) {
                map.insert(append.to_owned(), part.clone());
            }
        }
        Some(body)
    }
}

/// A loopback server answering TMDB's `/3/movie/{id}` and `/3/person/{id}` from the captures,
/// one request per connection; stopped when dropped.
struct CaptureServer {
    url: String,
    stop: Arc<AtomicBool>,
    addr: String,
}

impl CaptureServer {
    fn start() -> CaptureServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let records = Arc::new(Records::new());
        let stopping = Arc::clone(&stop);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let records = Arc::clone(&records);
                    std::thread::spawn(move || answer(stream, &records));
                }
            }
        });
        CaptureServer {
            url: format!("http://{addr}/3"),
            stop,
            addr,
        }
    }
}

impl Drop for CaptureServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.addr); // wakes the accept loop
    }
}

fn answer(stream: TcpStream, records: &Records) {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => break,
            Ok(_) if header == "\r\n" => break,
            Ok(_) => {}
        }
    }
    let target = request_line.split(' ').nth(1).unwrap_or("");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let appends = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("append_to_response="))
        .unwrap_or("")
        .replace("%2F", "/")
        .replace("%2C", ",");
    let found = path
        .strip_prefix("/3/")
        .and_then(|path| records.body(path, &appends));
    let (status, body) = match found {
        Some(body) => ("200 OK", body.to_string()),
        None => (
            "404 Not Found",
            r#"{"success":false,"status_code":34,"status_message":"The resource you requested could not be found."}"#.to_owned(),
        ),
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json;charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn fetch(server: &CaptureServer, dir: &Workdir, args: &[&str], ids: &str) -> Run {
    let mut cmd = Command::new(bin("tmdb-fetch"));
    cmd.current_dir(&dir.path)
        .env("TMDB_API_URL", &server.url)
        .env("TMDB_TOKEN", "test-token")
        .args(args);
    run_with_input(cmd, ids.as_bytes(), Duration::from_secs(60))
}

fn load(dir: &Workdir, kind: &str, file: &Path) -> Run {
    let mut cmd = Command::new(bin("ndjson-load"));
    cmd.current_dir(&dir.path)
        .args(["--db", "tmdb.db", "--kind", kind])
        .arg(file);
    run_with_input(cmd, b"", Duration::from_secs(60))
}

fn serve(dir: &Workdir) -> (Child, String) {
    let mut cmd = Command::new(bin("tmdb-serve"));
    cmd.arg("--db")
        .arg(dir.join("tmdb.db"))
        .args(["--addr", "127.0.0.1:0", "--threads", "2"])
        .stderr(Stdio::null());
    spawn_listening(cmd, "tmdb-serve")
}

/// Asserts that tmdb-serve answers every line of `file` exactly, asked with its appends.
fn assert_served_back(url: &str, kind: &str, file: &Path, known: &[&'static str]) -> usize {
    let lines = read_ndjson(file);
    for line in &lines {
        let appends = appends_of(line, known).join(",");
        let target = format!("{url}/3/{kind}/{}?append_to_response={appends}", line["id"]);
        let (status, body) = http_get(&target, &[]);
        assert_eq!(status, 200, "{target}: {body}");
        let got: Value = serde_json::from_str(&body).unwrap();
        if let Some(difference) = json_difference(&got, line, "") {
            panic!("{target} differs from the fetched line: {difference}");
        }
    }
    lines.len()
}

#[test]
fn real_tmdb_records_come_back_from_the_mirror_exactly() {
    use tmdb_core::record::spec::{MOVIE_APPENDS, PERSON_APPENDS};
    let server = CaptureServer::start();
    let dir = Workdir::new("record-captures");
    let movies = fetch(&server, &dir, &["movies"], "47964\n550\n49026\n");
    movies.expect_success();
    dir.write("movies.ndjson", &movies.stdout);
    let people = fetch(&server, &dir, &["people"], "62\n287\n");
    people.expect_success();
    dir.write("people.ndjson", &people.stdout);
    load(&dir, "movies", &dir.join("movies.ndjson")).expect_success();
    load(&dir, "people", &dir.join("people.ndjson")).expect_success();

    let (mut child, url) = serve(&dir);
    let movies = assert_served_back(&url, "movie", &dir.join("movies.ndjson"), MOVIE_APPENDS);
    let people = assert_served_back(&url, "person", &dir.join("people.ndjson"), PERSON_APPENDS);
    // Each sub-resource on its own route answers exactly what TMDB answered there.
    for (append, file) in MOVIE_47964_APPENDS {
        let query = if *append == "alternative_titles" {
            "?country=US"
        } else {
            ""
        };
        let target = format!("{url}/3/movie/47964/{append}{query}");
        let (status, body) = http_get(&target, &[]);
        assert_eq!(status, 200, "{target}: {body}");
        let got: Value = serde_json::from_str(&body).unwrap();
        if let Some(difference) = json_difference(&got, &capture(file), "") {
            panic!("{target} differs from TMDB's answer: {difference}");
        }
    }
    let (_, body) = http_get(&format!("{url}/3/person/62/external_ids"), &[]);
    let got: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        json_difference(&got, &capture("tmdblib-person-62-external-ids.json"), ""),
        None
    );
    // A record without an append answers without it; a missing record answers TMDB's 404.
    let (status, body) = http_get(&format!("{url}/3/movie/47964"), &[]);
    assert_eq!(status, 200);
    let bare: Value = serde_json::from_str(&body).unwrap();
    assert!(bare.get("credits").is_none() && bare["production_companies"].is_array());
    let (status, body) = http_get(&format!("{url}/3/movie/999999999"), &[]);
    assert_eq!(status, 404);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        capture("tmdblib-error-404-movie-999999999.json")
    );
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!((movies, people), (3, 2));
}

/// A mirror fetched with fewer appends knows only those: asked for every append, it answers
/// the line it fetched, without inventing empty lists for the ones it never asked TMDB for.
#[test]
fn a_record_fetched_with_fewer_appends_answers_only_those() {
    use tmdb_core::record::spec::MOVIE_APPENDS;
    let server = CaptureServer::start();
    let dir = Workdir::new("record-fewer-appends");
    let movies = fetch(
        &server,
        &dir,
        &["movies", "--append", "credits,keywords"],
        "47964\n",
    );
    movies.expect_success();
    dir.write("movies.ndjson", &movies.stdout);
    let line = &read_ndjson(&dir.join("movies.ndjson"))[0];
    assert!(line["credits"]["cast"].is_array() && line["keywords"]["keywords"].is_array());
    assert!(
        line.get("videos").is_none(),
        "fetched more than asked: {line}"
    );
    load(&dir, "movies", &dir.join("movies.ndjson")).expect_success();

    let (mut child, url) = serve(&dir);
    let every = MOVIE_APPENDS.join(",");
    let (status, body) = http_get(
        &format!("{url}/3/movie/47964?append_to_response={every}"),
        &[],
    );
    let (sub_status, _) = http_get(&format!("{url}/3/movie/47964/videos"), &[]);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200, "{body}");
    let got: Value = serde_json::from_str(&body).unwrap();
    if let Some(difference) = json_difference(&got, line, "") {
        panic!("asked for every append: {difference}");
    }
    // The sub-resource the mirror never fetched is unknown to it, not empty.
    assert_eq!(sub_status, 404);
}

#[test]
fn an_unknown_field_and_an_unknown_append_survive_in_extra() {
    let dir = Workdir::new("record-extra");
    let mut movie = capture("tmdblib-movie-47964.json");
    let map = movie.as_object_mut().unwrap();
    map.insert(
        "brand_new_field".into(),
        serde_json::json!({"a": [1, "two", null]}),
    );
    map.insert(
        "recommendations".into(),
        serde_json::json!({"page": 1, "results": []}),
    );
    map["production_companies"][0]
        .as_object_mut()
        .unwrap()
        .insert("parent_company".into(), Value::Null);
    map.insert(
        "credits".into(),
        serde_json::json!({"cast": [], "crew": [], "id": 47964}),
    );
    let line = format!("{movie}\n");
    dir.write("movies.ndjson", &line);
    load(&dir, "movies", &dir.join("movies.ndjson")).expect_success();
    let (mut child, url) = serve(&dir);
    let ask = |appends: &str| {
        let (status, body) = http_get(
            &format!("{url}/3/movie/47964?append_to_response={appends}"),
            &[],
        );
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<Value>(&body).unwrap()
    };
    let all = ask("credits,recommendations");
    assert_eq!(json_difference(&all, &movie, ""), None);
    let bare = ask("");
    assert_eq!(bare["brand_new_field"], movie["brand_new_field"]);
    assert!(bare.get("recommendations").is_none() && bare.get("credits").is_none());
    let _ = child.kill();
    let _ = child.wait();
}

/// What a row cannot say (a credit_id listed twice, a release country without dates, without
/// its country key, with a key of its own or twice in a row, a country's empty list of offers
/// or empty listing) is kept in `extra` and comes back exactly: one movie per case, each a copy
/// of movie 47964 with all its appends (credit_ids made its own: one movie's are not another's).
#[test]
fn what_the_rows_cannot_say_comes_back_from_extra() {
    use tmdb_core::record::spec::MOVIE_APPENDS;
    let cases: &[(&str, Change)] = &[
        ("a credit_id listed twice", |m| {
            let first = m["credits"]["cast"][0]["credit_id"].clone();
            m["credits"]["crew"][0]["credit_id"] = first;
        }),
        ("a release country without dates", |m| {
            let groups = m["release_dates"]["results"].as_array_mut().unwrap();
            groups.push(serde_json::json!({"iso_3166_1": "XX", "release_dates": []}));
        }),
        ("a release country without its country key", |m| {
            let groups = m["release_dates"]["results"].as_array_mut().unwrap();
            groups.push(serde_json::json!({"release_dates": [{"type": 3}]}));
        }),
        ("a release country with a key of its own", |m| {
            m["release_dates"]["results"][0]["a_key_of_its_own"] = "x".into();
        }),
        ("one release country twice in a row", |m| {
            let groups = m["release_dates"]["results"].as_array_mut().unwrap();
            let again = groups[1].clone();
            groups.insert(2, again);
        }),
        ("an empty list of offers", |m| {
            let countries = m["watch/providers"]["results"].as_object_mut().unwrap();
            let (_, listing) = countries.iter_mut().next().unwrap();
            listing["rent"] = serde_json::json!([]);
        }),
        ("a country with nothing listed", |m| {
            m["watch/providers"]["results"]["ZY"] = serde_json::json!({});
        }),
    ];
    let dir = Workdir::new("record-odd");
    let every = MOVIE_APPENDS.join(",");
    let base = Records::new().body("movie/47964", &every).unwrap();
    let mut movies = Vec::new();
    for (n, (_, change)) in cases.iter().enumerate() {
        let mut movie = base.clone();
        let map = movie.as_object_mut().unwrap();
        map.insert("id".into(), (1_000_001 + n).into());
        for kind in ["cast", "crew"] {
            for credit in map["credits"][kind].as_array_mut().unwrap() {
                let own = format!("{}-{n}", credit["credit_id"].as_str().unwrap());
                credit["credit_id"] = own.into();
            }
        }
        change(map);
        movies.push(movie);
    }
    let lines: String = movies.iter().map(|m| format!("{m}\n")).collect();
    dir.write("movies.ndjson", lines);
    load(&dir, "movies", &dir.join("movies.ndjson")).expect_success();

    let (mut child, url) = serve(&dir);
    let ask = |id: &Value, query: &str| {
        let (status, body) = http_get(&format!("{url}/3/movie/{id}{query}"), &[]);
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<Value>(&body).unwrap()
    };
    let answers: Vec<[Value; 4]> = movies
        .iter()
        .map(|m| {
            let id = &m["id"];
            [
                ask(id, &format!("?append_to_response={every}")),
                ask(id, "/release_dates"),
                ask(id, "?append_to_response=credits"),
                ask(id, ""),
            ]
        })
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    let conn = rusqlite::Connection::open(dir.join("tmdb.db")).unwrap();
    for (((what, _), movie), [all, alone, fewer, bare]) in cases.iter().zip(&movies).zip(answers) {
        if let Some(difference) = json_difference(&all, movie, "") {
            panic!("{what}: {difference}");
        }
        assert_eq!(
            alone["results"], movie["release_dates"]["results"],
            "{what}"
        );
        // What `extra` keeps for an append comes back only with that append.
        assert_eq!(fewer["credits"], movie["credits"], "{what}");
        assert!(fewer.get("release_dates").is_none(), "{what}");
        assert!(fewer.get("watch/providers").is_none(), "{what}");
        assert!(bare.get("credits").is_none() && bare.get("release_dates").is_none());
        // The rows are there too, for SQL: every date of every country.
        let dates: i64 = conn
            .query_row(
                "SELECT count(*) FROM release_date WHERE movie_id = ?1",
                [movie["id"].as_i64().unwrap()],
                |r| r.get(0),
            )
            .unwrap();
        let sent: usize = movie["release_dates"]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["release_dates"].as_array().unwrap().len())
            .sum();
        assert_eq!(usize::try_from(dates).unwrap(), sent, "{what}");
    }
}

type TableRows = Vec<(&'static str, Vec<rusqlite::types::Value>)>;

/// A change made to a record before it is read again.
type Change = fn(&mut Map<String, Value>);

/// One kind of record line, read both ways ndjson-load reads it: the line scan, and the value
/// tree it falls back on.
struct Twin {
    /// The key without which a line is not of this kind (ndjson-load's `require`).
    required: &'static str,
    scan: fn(&[u8]) -> Option<tmdb_core::record::flatten::Rows>,
    flatten: fn(
        &Map<String, Value>,
        i64,
    )
        -> Result<tmdb_core::record::flatten::Rows, tmdb_core::record::flatten::Refusal>,
}

impl Twin {
    /// The rows of a line as the value tree gives them, or why it refuses the line.
    fn tree_rows(&self, line: &str) -> Result<TableRows, String> {
        use tmdb_core::record::flatten;
        let map = flatten::object(line.as_bytes()).map_err(|r| r.to_string())?;
        if !map.contains_key(self.required) {
            return Err(format!("no {}", self.required));
        }
        let rows = (self.flatten)(&map, 7).map_err(|r| r.to_string())?;
        Ok(rows
            .rows
            .into_iter()
            .map(|(t, row)| (t.name, row))
            .collect())
    }

    /// The scan gives exactly the rows of the tree, or leaves the line to it; a line it must
    /// read (`scanned`) it reads, and one it must leave (refused, or odd) it leaves.
    fn check(&self, line: &str, scanned: bool, what: &str) {
        let tree = self.tree_rows(line);
        match (self.scan)(line.as_bytes()) {
            Some(rows) => {
                assert!(
                    scanned,
                    "{what}: read by the scan, not left to the tree: {line}"
                );
                let rows: Vec<_> = rows.rows.into_iter().map(|(t, r)| (t.name, r)).collect();
                assert_eq!(Ok(rows), tree, "{what}: {line}");
            }
            None => assert!(!scanned, "{what}: left to the tree ({tree:?}): {line}"),
        }
    }

    /// Checks every line as given; then, on the first and the last line, each of `changes`
    /// (after `fill` put a value under each of its keys that had none, so that every change
    /// finds what it changes), and what the tree decides that the scan cannot see: duplicate
    /// keys (the last wins), JSON that is not valid or not one object.
    fn check_all(&self, lines: &[Value], fill: &[(&str, &str)], changes: &[(&str, bool, Change)]) {
        for line in lines {
            self.check(&line.to_string(), true, "as given");
        }
        for base in [&lines[0], lines.last().unwrap()] {
            for (what, scanned, change) in changes {
                let mut line = base.clone();
                let map = line.as_object_mut().unwrap();
                for (key, value) in fill {
                    let empty = match map.get(*key) {
                        Some(Value::Object(o)) => {
                            o.values().all(|v| v.as_array().is_some_and(Vec::is_empty))
                        }
                        Some(Value::Array(a)) => a.is_empty(),
                        _ => true,
                    };
                    if empty {
                        map.insert((*key).into(), serde_json::from_str(value).unwrap());
                    }
                }
                self.check(&line.to_string(), true, "filled");
                change(line.as_object_mut().unwrap());
                self.check(&line.to_string(), *scanned, what);
            }
            let text = base.to_string();
            let body = &text[1..];
            let (first, rest) = self.required.split_at(1);
            let escaped = format!("\\u{:04x}{rest}", u32::from(first.as_bytes()[0]));
            for (what, line) in [
                (
                    "a key twice",
                    format!(r#"{{"{}":"first",{body}"#, self.required),
                ),
                ("id twice", format!(r#"{{"id":1,{body}"#)),
                (
                    "an escaped key",
                    format!(r#"{{"{escaped}":"escaped",{body}"#),
                ),
                ("cut", text[..text.len() - 2].to_owned()),
                ("trailing", format!("{text} x")),
                ("a list", format!("[{text}]")),
            ] {
                self.check(&line, false, what);
            }
        }
    }
}

/// Every movie line (sim records, captures, and each with odd or wrong values) read by the line
/// scan gives exactly the rows the value tree gives, or is left to the tree: a refused line
/// always is, so its refusal keeps its words.
#[test]
fn the_line_scan_gives_the_rows_of_the_value_tree() {
    use tmdb_core::record::spec::MOVIE_APPENDS;
    use tmdb_core::record::{flatten, scan};
    let dir = Workdir::new("record-scan");
    let dump = dir.join("dump");
    let mut sim = Command::new(bin("tmdb-sim"));
    sim.args(["--movies", "300", "--seed", "23", "--dump"])
        .arg(&dump);
    crate::util::run(sim).expect_success();
    let mut lines: Vec<Value> = read_ndjson(&dump.join("movies.ndjson"));
    assert!(lines.len() > 250, "{} sim movies", lines.len());
    let records = Records::new();
    for path in ["movie/47964", "movie/550", "movie/49026"] {
        lines.push(records.body(path, &MOVIE_APPENDS.join(",")).unwrap());
    }
    let twin = Twin {
        required: "title",
        scan: |line| scan::movie(line, 7),
        flatten: flatten::movie,
    };
    // Shapes the mirror keeps (scanned) and shapes it refuses or finds odd (left to the tree),
    // each applied to a sim record and to a capture.
    let changes: &[(&str, bool, Change)] = &[
        ("unknown keys", true, |m| {
            m.insert("new".into(), serde_json::json!({"a": [1, null, "x"]}));
            m.insert("recommendations".into(), serde_json::json!({"page": 1}));
            m["credits"]["id"] = 5.into();
            m["credits"]["cast"][0]["new"] = true.into();
            m["genres"][0]["new"] = Value::Null;
            m["watch/providers"]["results"]["US"]["buy"][0]["id"] = 1.into();
            m["translations"]["translations"][0]["data"]["new"] = "x".into();
            m["images"]["new"] = serde_json::json!([]);
        }),
        ("nulls and absences", true, |m| {
            m.insert("adult".into(), Value::Null);
            m.insert("imdb_id".into(), Value::Null);
            m.remove("runtime");
            m.remove("keywords");
            m["credits"]["cast"][0]["adult"] = Value::Null;
            m["credits"]["crew"][0]
                .as_object_mut()
                .unwrap()
                .remove("job");
            m["translations"]["translations"][0]["data"] = Value::Null;
            m["release_dates"]["results"][0]["iso_3166_1"] = Value::Null;
            m["watch/providers"]["results"]["US"]["link"] = Value::Null;
            m["watch/providers"]["results"]["US"]["buy"][0]["display_priority"] = Value::Null;
        }),
        ("external_ids null", true, |m| {
            m.insert("external_ids".into(), Value::Null);
        }),
        ("external_ids.imdb_id not the details'", true, |m| {
            m["external_ids"]["imdb_id"] = "tt0".into();
            m["external_ids"]["id"] = 3.into();
        }),
        ("external_ids.imdb_id missing", true, |m| {
            m["external_ids"].as_object_mut().unwrap().remove("imdb_id");
        }),
        ("escapes", true, |m| {
            m.insert("title".into(), "a \"quote\" \\ \u{1F600} \n".into());
            m.insert("tagline".into(), "\u{0}".into());
            m.insert("odd \"key\"".into(), 1.into());
        }),
        ("a link given as a list", true, |m| {
            let offers = m["watch/providers"]["results"]["US"]["buy"].clone();
            m["watch/providers"]["results"]["US"]["link"] = offers;
        }),
        ("a wrong type", false, |m| {
            m.insert("runtime".into(), "120".into());
        }),
        ("a decimal integer", false, |m| {
            m["credits"]["crew"][0]["order"] = 1.5.into();
        }),
        ("a huge integer", false, |m| {
            m.insert("budget".into(), u64::MAX.into());
        }),
        ("no id", false, |m| {
            m.remove("id");
        }),
        ("id 0", false, |m| {
            m.insert("id".into(), 0.into());
        }),
        ("no title", false, |m| {
            m.remove("title");
        }),
        ("a credit without credit_id", false, |m| {
            m["credits"]["cast"][0]
                .as_object_mut()
                .unwrap()
                .remove("credit_id");
        }),
        ("a credit's person -1", false, |m| {
            m["credits"]["cast"][0]["id"] = (-1).into();
        }),
        ("a genre's name null", false, |m| {
            m["genres"][0]["name"] = Value::Null;
        }),
        ("a collection without id", false, |m| {
            m.insert(
                "belongs_to_collection".into(),
                serde_json::json!({"name": "x"}),
            );
        }),
        ("credits null", false, |m| {
            m.insert("credits".into(), Value::Null);
        }),
        ("images.posters null", false, |m| {
            m["images"]["posters"] = Value::Null;
        }),
        ("a listing key of no list", false, |m| {
            m["watch/providers"]["results"]["US"]["note"] = "x".into();
        }),
        ("a release country with a key of its own", false, |m| {
            m["release_dates"]["results"][0]["kept_in_extra"] = 3.into();
        }),
        ("a release country without dates", false, |m| {
            m["release_dates"]["results"][0]["release_dates"] = serde_json::json!([]);
        }),
        ("an empty list of offers", false, |m| {
            m["watch/providers"]["results"]["US"]["rent"] = serde_json::json!([]);
        }),
        ("a country with nothing listed", false, |m| {
            m["watch/providers"]["results"]["ZZ"] = serde_json::json!({});
        }),
        ("a release country without its country key", false, |m| {
            m["release_dates"]["results"][0]
                .as_object_mut()
                .unwrap()
                .remove("iso_3166_1");
        }),
        ("two release groups of one country in a row", false, |m| {
            let groups = m["release_dates"]["results"].as_array_mut().unwrap();
            let again = groups[0].clone();
            groups.insert(1, again);
        }),
        ("a credit_id listed twice", false, |m| {
            let first = m["credits"]["cast"][0]["credit_id"].clone();
            m["credits"]["crew"][0]["credit_id"] = first;
        }),
        ("a translation's data a list", false, |m| {
            m["translations"]["translations"][0]["data"] = serde_json::json!([]);
        }),
        ("origin_country with a number", false, |m| {
            m.insert("origin_country".into(), serde_json::json!(["FR", 3]));
        }),
    ];
    twin.check_all(
        &lines,
        &[
            (
                "credits",
                r#"{"cast":[{"credit_id":"c","id":1}],"crew":[{"credit_id":"d","id":2}]}"#,
            ),
            ("genres", r#"[{"id":1,"name":"g"}]"#),
            (
                "translations",
                r#"{"translations":[{"data":{"title":"t"}}]}"#,
            ),
            (
                "release_dates",
                r#"{"results":[{"iso_3166_1":"FR","release_dates":[{"type":3}]}]}"#,
            ),
            (
                "watch/providers",
                r#"{"results":{"US":{"link":"l","buy":[{"provider_id":2,"display_priority":1}]}}}"#,
            ),
            ("images", r#"{"backdrops":[],"logos":[],"posters":[]}"#),
            ("external_ids", r#"{"imdb_id":null}"#),
        ],
        changes,
    );
    // A country group's key of its own is left to the tree (which keeps the group in
    // `extra`), one the tree refuses as JSON too.
    for base in [&lines[0], lines.last().unwrap()] {
        let mut base = base.clone();
        base.as_object_mut().unwrap().remove("release_dates");
        let body = &base.to_string()[1..];
        for (what, value, scanned) in [
            ("a key of its own (kept in extra)", r#""\u00ff""#, false),
            ("a lone surrogate in a key of its own", r#""\ud800""#, false),
        ] {
            let line = format!(r#"{{"release_dates":{{"results":[{{"x":{value}}}]}},{body}"#);
            twin.check(&line, scanned, what);
        }
    }
}

/// The person twin: every person line (sim records, the captures of person 62 with its
/// external IDs and person 287, and each with odd or wrong values) read by the line scan gives
/// exactly the rows of the value tree, or is left to it, as is a line that looks like a
/// movie's (ndjson-load's kind check words that).
#[test]
fn the_line_scan_gives_the_rows_of_the_value_tree_for_people() {
    use tmdb_core::record::spec::PERSON_APPENDS;
    use tmdb_core::record::{flatten, scan};
    let dir = Workdir::new("record-scan-people");
    let dump = dir.join("dump");
    let mut sim = Command::new(bin("tmdb-sim"));
    sim.args(["--movies", "300", "--seed", "23", "--dump"])
        .arg(&dump);
    crate::util::run(sim).expect_success();
    let mut lines: Vec<Value> = read_ndjson(&dump.join("people.ndjson"));
    assert!(lines.len() > 250, "{} sim people", lines.len());
    let records = Records::new();
    for path in ["person/62", "person/287"] {
        lines.push(records.body(path, &PERSON_APPENDS.join(",")).unwrap());
    }
    let twin = Twin {
        required: "name",
        scan: |line| scan::person(line, 7, &["title", "release_date"]),
        flatten: flatten::person,
    };
    let changes: &[(&str, bool, Change)] = &[
        ("unknown keys", true, |m| {
            m.insert("new".into(), serde_json::json!({"a": [1, null, "x"]}));
            m.insert("combined_credits".into(), serde_json::json!({"cast": []}));
            m["external_ids"]["new"] = 1.into();
            m["translations"]["id"] = 5.into();
            m["translations"]["translations"][0]["new"] = true.into();
            m["translations"]["translations"][0]["data"]["new"] = "x".into();
            m["images"]["new"] = serde_json::json!([]);
            m["images"]["profiles"][0]["new"] = Value::Null;
        }),
        ("nulls and absences", true, |m| {
            m.insert("adult".into(), Value::Null);
            m.insert("imdb_id".into(), Value::Null);
            m.insert("also_known_as".into(), Value::Null);
            m.remove("birthday");
            m.remove("images");
            m["external_ids"]["tvrage_id"] = Value::Null;
            m["translations"]["translations"][0]["data"] = Value::Null;
        }),
        // A genre's shape: left to ndjson-load's kind check, which refuses it for a person.
        ("only id and name", false, |m| {
            m.retain(|key, _| key == "id" || key == "name");
        }),
        ("id, name and gender", true, |m| {
            m.retain(|key, _| key == "id" || key == "name" || key == "gender");
        }),
        ("name null", true, |m| {
            m.insert("name".into(), Value::Null);
        }),
        ("external_ids null", true, |m| {
            m.insert("external_ids".into(), Value::Null);
        }),
        ("external_ids.imdb_id not the details'", true, |m| {
            m["external_ids"]["imdb_id"] = "nm0".into();
            m["external_ids"]["id"] = 3.into();
        }),
        ("external_ids.imdb_id missing", true, |m| {
            m["external_ids"].as_object_mut().unwrap().remove("imdb_id");
        }),
        ("escapes", true, |m| {
            m.insert("name".into(), "a \"quote\" \\ \u{1F600} \n".into());
            m.insert("biography".into(), "\u{0}".into());
            m.insert("odd \"key\"".into(), 1.into());
        }),
        ("a wrong type", false, |m| {
            m.insert("gender".into(), "2".into());
        }),
        ("a decimal integer", false, |m| {
            m["external_ids"]["tvrage_id"] = 1.5.into();
        }),
        ("a huge integer", false, |m| {
            m.insert("gender".into(), u64::MAX.into());
        }),
        ("no id", false, |m| {
            m.remove("id");
        }),
        ("id 0", false, |m| {
            m.insert("id".into(), 0.into());
        }),
        ("no name", false, |m| {
            m.remove("name");
        }),
        ("also_known_as with a number", false, |m| {
            m.insert("also_known_as".into(), serde_json::json!(["a", 3]));
        }),
        ("external_ids a list", false, |m| {
            m.insert("external_ids".into(), serde_json::json!([]));
        }),
        ("translations null", false, |m| {
            m.insert("translations".into(), Value::Null);
        }),
        ("images.profiles null", false, |m| {
            m["images"]["profiles"] = Value::Null;
        }),
        ("a profile a list", false, |m| {
            m["images"]["profiles"][0] = serde_json::json!([]);
        }),
        ("a translation's data a list", false, |m| {
            m["translations"]["translations"][0]["data"] = serde_json::json!([]);
        }),
        ("a key of a movie", false, |m| {
            m.insert("release_date".into(), "".into());
        }),
    ];
    twin.check_all(
        &lines,
        &[
            (
                "translations",
                r#"{"translations":[{"iso_639_1":"en","data":{"biography":"b"}}]}"#,
            ),
            (
                "images",
                r#"{"profiles":[{"file_path":"/p.jpg","width":1}]}"#,
            ),
            ("external_ids", r#"{"imdb_id":null,"tvrage_id":1}"#),
        ],
        changes,
    );
}
