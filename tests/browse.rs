//! The browse page, tested in a real browser: headless Chromium (Debian's `chromium`) driven
//! through chromedriver, against the real `tmdb-serve` on a real SQLite mirror.
//!
//! The mirror is a small hand-made one with values that break careless pages: quotes, `<`, `&`,
//! emoji and markup in titles, names and characters, an adult movie, a movie with no genres and
//! no date, a credited person with no record of their own. Screenshots of every page are kept
//! in `target/test-work/browse-screenshots/` (artifacts, not committed).

mod webdriver;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::util::{Workdir, bin, read_ndjson, repo_root, run, spawn_listening};
use webdriver::{Browser, ENTER, TAB};

const NASTY_TITLE: &str = "Tom & Jerry's \"<Big>\" Day 🎬";
const XSS_CHARACTER: &str = "<img src=x onerror=\"window.__xss=1\">";
const PERSON_NAME: &str = "Zoë O'Brien-Łukasz";
const ODD_ALIAS: &str = "Zoe \"Z\" O<b>B</b>";

/// A `tmdb-serve` on a free loopback port, killed when dropped.
struct Serve {
    child: Child,
    base: String,
}

impl Serve {
    fn start(db: &std::path::Path) -> Serve {
        let mut cmd = Command::new(bin("tmdb-serve"));
        cmd.arg("--db")
            .arg(db)
            .args(["--addr", "127.0.0.1:0"])
            .env_remove("DB")
            .stderr(Stdio::null());
        let (child, base) = spawn_listening(cmd, "tmdb-serve");
        Serve { child, base }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Builds the test mirror with the real migrations and plain SQL.
fn nasty_mirror(dir: &Workdir) -> PathBuf {
    let path = dir.join("tmdb.db");
    let conn = tmdb_core::db::open(&path).unwrap();
    conn.execute_batch(
        r#"
        INSERT INTO genre (id, name) VALUES (18, 'Drama'), (35, 'Comedy'), (878, 'Science Fiction');
        INSERT INTO movie (id, title, original_title, original_language, overview, release_date,
                           runtime, status, adult, poster_path, vote_average, vote_count,
                           popularity, imdb_id, tagline) VALUES
          (101, 'Tom & Jerry''s "<Big>" Day 🎬', 'Tom & Jerry : le « grand » jour <3', 'fr',
           'A cat & a mouse. <script>window.__xss=2</script> "Quoted" 🐭', '2003-06-01', 95,
           'Released', 0, '/no-such-poster.jpg', 7.5, 1200, 90.0, 'tt0000101', 'Cats & mice < dogs'),
          (102, 'Amélie', 'Le Fabuleux Destin d''Amélie Poulain', 'fr', 'Paris.', '2001-04-25', 122,
           'Released', 0, NULL, 7.9, 11000, 80.0, 'tt0211915', NULL),
          (103, 'Ночной дозор', 'Ночной дозор', 'ru', NULL, '2004-07-08', 114,
           'Released', 0, NULL, 6.3, 900, 70.0, NULL, NULL),
          (104, '千と千尋の神隠し', '千と千尋の神隠し', 'ja', NULL, '2001-07-20', 125,
           'Released', 0, NULL, 8.5, 16000, 60.0, NULL, NULL),
          (105, 'Untitled <Project> & Co', NULL, 'en', NULL, NULL, NULL,
           'Rumored', 0, NULL, 0, 0, 10.0, NULL, NULL),
          (106, 'Adults Only Feature', 'Adults Only Feature', 'en', NULL, '2010-01-01', 90,
           'Released', 1, NULL, 5.0, 10, 100.0, NULL, NULL),
          (107, 'The Second Film', 'The Second Film', 'en', NULL, '1999-10-15', 139,
           'Released', 0, NULL, 8.4, 26000, 50.0, NULL, NULL);
        UPDATE movie SET budget = 25000000, revenue = 0 WHERE id = 101;
        INSERT INTO movie_genre (movie_id, genre_id) VALUES
          (101, 35), (102, 35), (102, 18), (103, 878), (104, 18), (106, 18), (107, 18);
        INSERT INTO people (id, name, also_known_as, biography, birthday, deathday, gender,
                            known_for_department, place_of_birth, popularity, imdb_id) VALUES
          (201, 'Zoë O''Brien-Łukasz', '["ゾーイ", "Zoe \"Z\" O<b>B</b>"]',
           'Born in Łódź. <b>not bold</b> & "quoted".

Second paragraph 🎭.', '1970-01-02', NULL, 1, 'Acting', 'Łódź, Poland', 20.0, 'nm0000201'),
          (202, 'Jean-Pierre Jeunet', '[]', NULL, '1953-09-03', NULL, 2, 'Directing', NULL, 9.0, NULL);
        INSERT INTO credit (credit_id, movie_id, person_id, kind, name, character, cast_order,
                            department, job) VALUES
          ('c1', 101, 201, 'cast', 'Zoë O''Brien-Łukasz', '<img src=x onerror="window.__xss=1">', 0, NULL, NULL),
          ('c2', 101, 203, 'cast', 'Ghost & Person', 'Himself 🐭', 1, NULL, NULL),
          ('c3', 101, 202, 'crew', 'Jean-Pierre Jeunet', NULL, NULL, 'Directing', 'Director'),
          ('c4', 101, 201, 'crew', 'Zoë O''Brien-Łukasz', NULL, NULL, 'Writing', 'Screenplay'),
          ('c5', 107, 201, 'cast', 'Zoë O''Brien-Łukasz', 'Lead', 0, NULL, NULL),
          ('c6', 102, 201, 'cast', 'Zoë O''Brien-Łukasz', 'Narrator', 3, NULL, NULL),
          ('c7', 105, 201, 'cast', 'Zoë O''Brien-Łukasz', 'Cameo', 0, NULL, NULL);
        "#,
    )
    .unwrap();
    // A cast long enough to be shown in part first.
    for n in 1..=30 {
        conn.execute(
            "INSERT INTO credit (credit_id, movie_id, person_id, kind, name, character, cast_order)
             VALUES (?1, 107, ?2, 'cast', ?3, 'Extra', ?2)",
            rusqlite::params![format!("x{n}"), 3000 + n, format!("Extra {n}")],
        )
        .unwrap();
    }
    // Enough low-popularity movies for the home grid to need a second page.
    for n in 1..=25 {
        conn.execute(
            "INSERT INTO movie (id, title, original_title, original_language, release_date, status, popularity)
             VALUES (?1, ?2, ?2, 'en', '2020-01-01', 'Released', ?3)",
            rusqlite::params![1000 + n, format!("Filler {n}"), 1.0 / f64::from(n)],
        )
        .unwrap();
    }
    path
}

fn screenshots() -> PathBuf {
    repo_root().join("target/test-work/browse-screenshots")
}

/// Console entries that are errors, except failed requests the scenario causes on purpose
/// (`expected`: URL parts) and TMDB's image CDN, unreachable in tests (the placeholders are
/// what is under test). Chromium logs every failed request, even one the page handles.
fn unexpected_errors(entries: &[Value], expected: &[&str]) -> Vec<String> {
    entries
        .iter()
        .filter(|e| e["level"] == "SEVERE")
        .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
        .filter(|m| !m.contains("https://image.tmdb.org/"))
        .filter(|m| !expected.iter().any(|url| m.contains(url)))
        .collect()
}

#[test]
fn browse_page_search_movie_person_back_and_not_found_in_chromium() {
    let dir = Workdir::new("browse");
    let db = nasty_mirror(&dir);
    let mut serve = Some(Serve::start(&db));
    let base = serve.as_ref().unwrap().base.clone();
    let browser = Browser::start(&dir.path);
    let shots = screenshots();

    // Home: the most popular movies first, adult ones left out, paginated, attributed.
    browser.goto(&format!("{base}/"));
    browser.wait_for("a full first page of movies", || {
        (browser.find_all(".grid .card").len() == 20).then_some(())
    });
    let titles = browser.texts(".grid .card-title");
    assert_eq!(titles[..3], [NASTY_TITLE, "Amélie", "Ночной дозор"]);
    assert!(
        !titles.iter().any(|t| t.contains("Adults Only")),
        "{titles:?}"
    );
    assert_eq!(browser.texts(".pager .where"), ["Page 1 of 2"]);
    let footer = browser.texts("footer").join(" ");
    assert!(
        footer.contains("This product uses the TMDB API but is not endorsed or certified by TMDB."),
        "{footer}"
    );
    browser.screenshot(&shots.join("01-home.png"));

    // Search as you type: the URL follows, the result and its count show.
    let search = browser.find("#search-q");
    browser.click(&search);
    browser.type_into(&search, "Jerr");
    browser.wait_texts(".grid .card-title", &[NASTY_TITLE]);
    assert_eq!(browser.texts("#result-count"), ["1 movie found"]);
    assert!(
        browser.url().ends_with("#/search?q=Jerr"),
        "{}",
        browser.url()
    );
    browser.screenshot(&shots.join("02-search.png"));

    // The movie: every value shown as text, never as markup; the poster falls back to its
    // placeholder; cast with characters, crew grouped by department.
    browser.click(&browser.find(".grid .card-link"));
    browser.wait_texts(".detail h1", &[&format!("{NASTY_TITLE} (2003)")]);
    assert!(browser.url().ends_with("#/movie/101"), "{}", browser.url());
    browser.find(".detail > .pic .placeholder");
    assert!(
        browser.find_all(".detail img").is_empty(),
        "a broken poster is left"
    );
    browser.wait_texts(".cast .role", &[XSS_CHARACTER, "Himself 🐭"]);
    assert_eq!(
        browser.texts(".cast .name"),
        [PERSON_NAME, "Ghost & Person"]
    );
    assert_eq!(browser.texts(".dept h3"), ["Directing", "Writing"]);
    let facts = browser.texts(".facts").join("");
    assert!(
        facts.contains("1 h 35 min") && facts.contains("Budget $25,000,000"),
        "{facts}"
    );
    assert!(
        !facts.contains("Revenue"),
        "an unknown revenue (0) is left out: {facts}"
    );
    assert_eq!(
        browser.texts(".dept li"),
        [
            "Jean-Pierre Jeunet — Director",
            "Zoë O'Brien-Łukasz — Screenplay"
        ]
    );
    let overview = browser.texts(".overview").join("");
    assert!(
        overview.contains("<script>window.__xss=2</script>"),
        "{overview}"
    );
    assert_eq!(
        browser.texts(".original"),
        ["Tom & Jerry : le « grand » jour <3"]
    );
    assert_eq!(
        browser.exec("return [window.__xss ?? null, document.querySelectorAll('img[src=\"x\"], main script').length];", json!([])),
        json!([null, 0]),
        "a value from the API ran as markup"
    );
    assert_eq!(
        browser.texts("title"),
        [format!("{NASTY_TITLE} · tmdb-mirror")]
    );
    browser.screenshot(&shots.join("03-movie.png"));

    // A person from the cast: details and filmography newest first, undated last.
    browser.click(&browser.find(".cast a.name[href='#/person/201']"));
    browser.wait_texts(".detail h1", &[PERSON_NAME]);
    browser.wait_texts(
        "#film-cast li a",
        &[
            NASTY_TITLE,
            "Amélie",
            "The Second Film",
            "Untitled <Project> & Co",
        ],
    );
    assert_eq!(
        browser.texts("#film-cast .role"),
        [XSS_CHARACTER, "Narrator", "Lead", "Cameo"]
    );
    assert_eq!(browser.texts("#film-crew li a"), [NASTY_TITLE]);
    assert_eq!(browser.texts("#film-crew h3"), ["Writing (1)"]);
    assert_eq!(browser.texts("#film-crew .role"), ["Screenplay"]);
    assert_eq!(browser.texts(".aka li"), ["ゾーイ", ODD_ALIAS]);
    assert_eq!(
        browser.texts(".bio p"),
        [
            "Born in Łódź. <b>not bold</b> & \"quoted\".",
            "Second paragraph 🎭."
        ]
    );
    let facts = browser.texts(".facts-list dd");
    assert_eq!(facts[0], "Acting");
    assert_eq!(facts[2], "Łódź, Poland");
    browser.screenshot(&shots.join("04-person.png"));

    // A deep link survives a reload; the back button returns to the movie.
    browser.refresh();
    browser.wait_texts(".detail h1", &[PERSON_NAME]);
    browser.back();
    browser.wait_texts(".detail h1", &[&format!("{NASTY_TITLE} (2003)")]);
    assert!(browser.url().ends_with("#/movie/101"), "{}", browser.url());
    browser.screenshot(&shots.join("05-back-to-movie.png"));

    // A credited person with no record of their own still has their filmography.
    browser.click(&browser.find(".cast a.name[href='#/person/203']"));
    browser.wait_texts("#film-cast li a", &[NASTY_TITLE]);

    // Back walks the whole way: the movie, the search as typed (one entry, not one per key),
    // the home page.
    browser.back();
    browser.wait_texts(".detail h1", &[&format!("{NASTY_TITLE} (2003)")]);
    browser.back();
    browser.wait_texts(".grid .card-title", &[NASTY_TITLE]);
    assert!(
        browser.url().ends_with("#/search?q=Jerr"),
        "{}",
        browser.url()
    );
    assert_eq!(
        browser.exec(
            "return document.querySelector('#search-q').value;",
            json!([])
        ),
        "Jerr"
    );
    browser.back();
    browser.wait_texts("main h1", &["Popular movies"]);
    browser.wait_for("the home grid", || {
        let titles = browser.texts(".grid .card-title");
        (titles.len() == 20 && titles[..2] == [NASTY_TITLE, "Amélie"]).then_some(())
    });

    // An unknown movie: a friendly not-found page.
    browser.goto(&format!("{base}/#/movie/999999"));
    browser.find("[data-state='not-found']");
    assert_eq!(browser.texts("main h1"), ["Not found"]);
    let message = browser.texts("main p").join(" ");
    assert!(
        message.contains("This mirror has no movie 999999."),
        "{message}"
    );
    browser.screenshot(&shots.join("06-not-found.png"));

    // At a phone's width nothing runs off the side.
    browser.emulate_width(375);
    browser.goto(&format!("{base}/#/movie/101"));
    browser.wait_texts(".detail h1", &[&format!("{NASTY_TITLE} (2003)")]);
    let widths = browser.exec(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];",
        json!([]),
    );
    assert_eq!(
        widths[0], widths[1],
        "page wider than the 375 px screen: {widths}"
    );
    browser.screenshot(&shots.join("07-movie-375px.png"));
    browser.goto(&format!("{base}/#/person/201"));
    browser.wait_texts(".detail h1", &[PERSON_NAME]);
    let widths = browser.exec(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];",
        json!([]),
    );
    assert_eq!(
        widths[0], widths[1],
        "page wider than the 375 px screen: {widths}"
    );
    browser.screenshot(&shots.join("08-person-375px.png"));

    // The unknown movie and its credits answer 404, and so does the record of the credited
    // person who has none.
    let errors = unexpected_errors(&browser.console(), &["/movies/999999", "/people/203 "]);
    assert!(errors.is_empty(), "console errors: {errors:#?}");

    // The API goes away under an open page: a message, not a blank page.
    drop(serve.take());
    browser.goto(&format!("{base}/#/movie/102"));
    browser.find("[data-state='unreachable']");
    assert_eq!(browser.texts("main h1"), ["The API cannot be reached"]);
    browser.screenshot(&shots.join("09-api-unreachable.png"));
}

#[test]
fn browse_page_filters_genres_people_pages_and_keyboard_in_chromium() {
    let dir = Workdir::new("browse-filters");
    let db = nasty_mirror(&dir);
    let serve = Serve::start(&db);
    let base = serve.base.clone();
    let browser = Browser::start(&dir.path);
    let shots = screenshots();
    let value_of = |css: &str| {
        browser.exec(
            "return document.querySelector(arguments[0]).value;",
            json!([css]),
        )
    };

    // A deep link with filters fills the form and lists what the API filtered and sorted.
    browser.goto(&format!("{base}/#/search?genre=18&sort=release_date.asc"));
    browser.wait_texts(
        ".grid .card-title",
        &["The Second Film", "Amélie", "千と千尋の神隠し"],
    );
    assert_eq!(value_of("select[name=genre]"), "18");
    assert_eq!(value_of("select[name=sort]"), "release_date.asc");
    assert_eq!(browser.texts("#result-count"), ["3 movies"]);

    // Typing a year narrows it, and the address follows.
    let year = browser.find("input[name=year]");
    browser.click(&year);
    browser.type_into(&year, "2001");
    browser.wait_texts(".grid .card-title", &["Amélie", "千と千尋の神隠し"]);
    assert!(browser.url().contains("year=2001"), "{}", browser.url());

    // Words and filters together.
    let q = browser.find("#search-q");
    browser.click(&q);
    browser.type_into(&q, "amel");
    browser.wait_texts(".grid .card-title", &["Amélie"]);
    assert_eq!(browser.texts("#result-count"), ["1 movie found"]);
    // The API filters searches too, so every filter stays usable with words typed.
    assert_eq!(
        browser.exec(
            "return document.querySelector('select[name=status]').disabled;",
            json!([])
        ),
        json!(false)
    );
    browser.screenshot(&shots.join("10-search-filters.png"));

    // A value the API refuses is named on the page, with the form kept.
    browser.goto(&format!("{base}/#/search?year=1700"));
    browser.find(".results [role=alert]");
    let alert = browser.texts(".results [role=alert]").join("");
    assert!(alert.starts_with("Check the year: year must be"), "{alert}");
    assert_eq!(value_of("input[name=year]"), "1700");

    // Home pages through the most popular movies.
    browser.goto(&format!("{base}/#/"));
    browser.wait_texts(".pager .where", &["Page 1 of 2"]);
    browser.click(&browser.find(".pager a[rel=next]"));
    browser.wait_texts(".pager .where", &["Page 2 of 2"]);
    assert_eq!(browser.find_all(".grid .card").len(), 11);
    browser.back();
    browser.wait_texts(".pager .where", &["Page 1 of 2"]);

    // Keyboard: after a load the first Tab reaches the skip link; Enter on a focused link
    // follows it.
    browser.refresh();
    browser.wait_texts(".pager .where", &["Page 1 of 2"]);
    browser.press(TAB);
    assert_eq!(
        browser.exec(
            "const e = document.activeElement; return [e.textContent, getComputedStyle(e).outlineStyle];",
            json!([])
        ),
        json!(["Skip to content", "solid"]),
        "the focused link is visible as focused"
    );
    browser.goto(&format!("{base}/#/genres"));
    browser.wait_texts(
        ".chips .chip",
        &["Comedy 2", "Drama 3", "Science Fiction 1"],
    );
    browser.screenshot(&shots.join("11-genres.png"));
    browser.exec(
        "document.querySelector('.chip[href=\"#/genre/35\"]').focus();",
        json!([]),
    );
    browser.press(ENTER);
    browser.wait_texts("main h1", &["Comedy"]);
    assert_eq!(browser.texts(".grid .card-title"), [NASTY_TITLE, "Amélie"]);
    browser.screenshot(&shots.join("12-genre.png"));

    // People: the most popular, then searched by name as you type.
    // The nav's People opens the list with the focus in its search box.
    browser.click(&browser.find("nav a[data-nav=people]"));
    browser.wait_texts(".grid .card-title", &[PERSON_NAME, "Jean-Pierre Jeunet"]);
    let focused = browser.wait_for("the focus in the people search box", || {
        let id = browser.exec("return document.activeElement.id;", json!([]));
        (id == "people-q").then_some(id)
    });
    assert_eq!(focused, "people-q");
    browser.type_into(&browser.find("#people-q"), "jean");
    browser.wait_texts(".grid .card-title", &["Jean-Pierre Jeunet"]);
    assert!(
        browser.url().ends_with("#/people?q=jean"),
        "{}",
        browser.url()
    );
    browser.screenshot(&shots.join("13-people-search.png"));

    // A long cast shows its head; the button shows the rest and moves the focus there.
    browser.goto(&format!("{base}/#/movie/107"));
    browser.wait_texts("button.more", &["Show all 31 cast members"]);
    assert_eq!(browser.find_all(".cast").len(), 24);
    browser.click(&browser.find("button.more"));
    browser.wait_for("the whole cast", || {
        (browser.find_all(".cast").len() == 31).then_some(())
    });
    assert_eq!(
        browser.exec("return document.activeElement.textContent;", json!([])),
        "Extra 24"
    );
    assert!(browser.find_all("button.more").is_empty());

    // Addresses that name nothing.
    browser.goto(&format!("{base}/#/nowhere"));
    browser.wait_texts(
        "[data-state='not-found'] p:first-of-type",
        &["There is no page at this address."],
    );
    browser.goto(&format!("{base}/#/genre/4242"));
    browser.wait_texts(
        "[data-state='not-found'] p:first-of-type",
        &["This mirror has no genre 4242."],
    );

    // At a phone's width the home grid and filters fit.
    browser.emulate_width(375);
    browser.goto(&format!("{base}/#/"));
    browser.wait_texts(".pager .where", &["Page 1 of 2"]);
    let widths = browser.exec(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];",
        json!([]),
    );
    assert_eq!(
        widths[0], widths[1],
        "page wider than the 375 px screen: {widths}"
    );
    browser.screenshot(&shots.join("14-home-375px.png"));

    // A dark system theme gets the dark palette.
    browser.emulate_color_scheme("dark");
    browser.goto(&format!("{base}/#/movie/101"));
    browser.wait_texts(".detail h1", &[&format!("{NASTY_TITLE} (2003)")]);
    assert_eq!(
        browser.exec(
            "return getComputedStyle(document.documentElement).backgroundColor;",
            json!([])
        ),
        "rgb(18, 20, 23)"
    );
    browser.screenshot(&shots.join("15-movie-dark-375px.png"));

    let errors = unexpected_errors(
        &browser.console(),
        &["/movies?page=1&limit=20&year=1700&", "/genres/4242/movies?"],
    );
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

/// The page's whole weight before data, and its one rule for safety: values reach the DOM as
/// text, so no HTML-parsing sink may appear in the script (issue 8).
#[test]
fn browse_page_is_small_and_has_no_html_sinks() {
    let page = repo_root().join("tools/tmdb-serve/page");
    let mut total = 0;
    for name in ["index.html", "app.js", "style.css"] {
        total += std::fs::metadata(page.join(name)).unwrap().len();
    }
    assert!(total < 100_000, "the page weighs {total} bytes");
    let script = std::fs::read_to_string(page.join("app.js")).unwrap();
    for sink in [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
    ] {
        assert!(!script.contains(sink), "app.js uses {sink}");
    }
}

/// A mirror built the way users build one: `tmdb-sim --dump` (every append of every record),
/// loaded by `ndjson-load`. Returns the database, the catalog's movies (most popular first)
/// and people by id.
fn simulated_mirror(dir: &Workdir) -> (PathBuf, Vec<Value>, HashMap<u64, Value>) {
    let dump = dir.join("dump");
    let mut sim = Command::new(bin("tmdb-sim"));
    sim.args(["--movies", "200", "--seed", "3", "--dump"])
        .arg(&dump);
    run(sim).expect_success();
    let db = dir.join("tmdb.db");
    for (kind, file) in [
        ("genres", "genres.ndjson"),
        ("movies", "movies.ndjson"),
        ("people", "people.ndjson"),
    ] {
        let mut load = Command::new(bin("ndjson-load"));
        load.arg("--db")
            .arg(&db)
            .args(["--kind", kind])
            .arg(dump.join(file))
            .env_remove("DB");
        run(load).expect_success();
    }
    let people: HashMap<u64, Value> = read_ndjson(&dump.join("people.ndjson"))
        .into_iter()
        .map(|p| (p["id"].as_u64().unwrap(), p))
        .collect();
    let mut movies = read_ndjson(&dump.join("movies.ndjson"));
    movies.sort_by(|a, b| {
        let pop = |m: &Value| m["popularity"].as_f64().unwrap_or(0.0);
        pop(b)
            .total_cmp(&pop(a))
            .then(b["id"].as_u64().cmp(&a["id"].as_u64()))
    });
    (db, movies, people)
}

/// The brief's scenario on a mirror built the way users build one: `tmdb-sim --dump`, loaded by
/// `ndjson-load`, with the titles and names the simulated catalog holds.
#[test]
fn browse_page_on_a_simulated_mirror_finds_a_title_its_cast_and_their_filmography() {
    let dir = Workdir::new("browse-sim");
    let (db, movies, people) = simulated_mirror(&dir);

    // The most popular movie with a plain title whose first-billed actor has a record.
    let lead = |m: &Value| -> Option<Value> {
        let mut cast = m["credits"]["cast"].as_array()?.clone();
        cast.sort_by_key(|c| c["order"].as_i64());
        cast.into_iter().next()
    };
    let movie = movies
        .iter()
        .find(|m| {
            let title = m["title"].as_str().unwrap_or_default();
            m["adult"] == false
                && title.len() > 3
                && title.chars().all(|c| c.is_ascii_alphabetic() || c == ' ')
                && lead(m).is_some_and(|c| people.contains_key(&c["id"].as_u64().unwrap()))
        })
        .expect("the simulated catalog has a movie to look for");
    let id = movie["id"].as_u64().unwrap();
    let title = movie["title"].as_str().unwrap();
    let lead = lead(movie).unwrap();
    let person = &people[&lead["id"].as_u64().unwrap()];
    let mut cast = movie["credits"]["cast"].as_array().unwrap().clone();
    cast.sort_by_key(|c| c["order"].as_i64());
    let cast_names: Vec<&str> = cast
        .iter()
        .take(24)
        .map(|c| c["name"].as_str().unwrap())
        .collect();

    let serve = Serve::start(&db);
    let base = serve.base.clone();
    let browser = Browser::start(&dir.path);
    let shots = screenshots();

    browser.goto(&format!("{base}/"));
    let search = browser.find("#search-q");
    browser.click(&search);
    browser.type_into(&search, title);
    // Long titles take more than the debounce to type: wait for the search of the whole title
    // to be answered before clicking, or the click may land on a list being replaced.
    browser.wait_for("the search for the whole title", || {
        let settled = browser.exec(
            "return new URLSearchParams(location.hash.split('?')[1]).get('q') === arguments[0]
                 && !document.querySelector('[aria-busy]');",
            json!([title]),
        );
        (settled == true).then_some(())
    });
    let card = format!(".grid a[href='#/movie/{id}']");
    browser.wait_for(&format!("{title:?} among the results"), || {
        browser.find_all(&card).into_iter().next()
    });
    browser.screenshot(&shots.join("20-sim-search.png"));
    browser.click(&browser.find(&card));
    let heading = browser.wait_for("the movie's heading", || {
        browser
            .texts(".detail h1")
            .into_iter()
            .find(|h| h.starts_with(title))
    });
    assert!(heading.starts_with(title), "{heading}");
    browser.wait_texts(".cast .name", &cast_names);
    browser.screenshot(&shots.join("21-sim-movie.png"));

    let name = person["name"].as_str().unwrap();
    let lead_link = format!(".cast a.name[href='#/person/{}']", person["id"]);
    browser.click(&browser.find(&lead_link));
    browser.wait_texts(".detail h1", &[name]);
    let films = browser.wait_for("the filmography", || {
        let films = browser.texts("#film-cast li a");
        (!films.is_empty()).then_some(films)
    });
    assert!(
        films.iter().any(|f| f == title),
        "{title:?} not in {films:?}"
    );
    browser.screenshot(&shots.join("22-sim-person.png"));

    browser.back();
    browser.wait_texts(".cast .name", &cast_names);
    assert!(
        browser.url().ends_with(&format!("#/movie/{id}")),
        "{}",
        browser.url()
    );
    let errors = unexpected_errors(&browser.console(), &[]);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

/// The names of a movie's crew whose credit passes `keep`, each person once, in the order the
/// credits route gives (department, job, name, credit_id).
fn crew_names(movie: &Value, keep: impl Fn(&Value) -> bool) -> Vec<String> {
    let mut crew: Vec<&Value> = movie["credits"]["crew"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| keep(c))
        .collect();
    let key = |c: &Value| {
        ["department", "job", "name", "credit_id"].map(|k| c[k].as_str().unwrap_or("").to_owned())
    };
    crew.sort_by_key(|c| key(c));
    let mut seen = Vec::new();
    let mut names = Vec::new();
    for c in crew {
        if !seen.contains(&c["id"]) {
            seen.push(c["id"].clone());
            names.push(c["name"].as_str().unwrap().to_owned());
        }
    }
    names
}

/// A movie's certification in `region` (docs/architecture.md): a rated theatrical release's,
/// else the first rated one's.
fn certification_in(movie: &Value, region: &str) -> Option<String> {
    let country = movie["release_dates"]["results"]
        .as_array()?
        .iter()
        .find(|c| c["iso_3166_1"] == region)?;
    let rated: Vec<&Value> = country["release_dates"]
        .as_array()?
        .iter()
        .filter(|d| d["certification"].as_str().is_some_and(|c| !c.is_empty()))
        .collect();
    let pick = rated.iter().find(|d| d["type"] == 3).or(rated.first())?;
    Some(pick["certification"].as_str()?.to_owned())
}

/// The provider names a region lists, in the page's order of kinds.
fn provider_names(movie: &Value, region: &str) -> Vec<String> {
    let offers = &movie["watch/providers"]["results"][region];
    ["flatrate", "free", "ads", "rent", "buy"]
        .iter()
        .flat_map(|kind| offers[kind].as_array().cloned().unwrap_or_default())
        .map(|p| p["provider_name"].as_str().unwrap().to_owned())
        .collect()
}

fn texts_of(values: &Value, key: &str) -> Vec<String> {
    values
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| v[key].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The whole record on the page: a movie's makers, rating, keywords, collection, companies,
/// languages, trailers, where to watch (with JustWatch's credit) and release dates, in two
/// regions; the keyword, collection and company pages; a filmography grouped by role; the
/// vote floor of "Best rated". Every expectation comes from the simulator's catalog.
#[test]
fn browse_page_shows_the_whole_record_of_a_simulated_mirror() {
    let dir = Workdir::new("browse-record");
    let (db, movies, _) = simulated_mirror(&dir);
    let listed: Vec<&Value> = movies.iter().filter(|m| m["adult"] != true).collect();
    let trailer_keys = |m: &Value| -> Vec<String> {
        m["videos"]["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| v["site"] == "YouTube" && (v["type"] == "Trailer" || v["type"] == "Teaser"))
            .map(|v| {
                format!(
                    "https://www.youtube.com/watch?v={}",
                    v["key"].as_str().unwrap()
                )
            })
            .collect()
    };
    let movie = *listed
        .iter()
        .find(|m| {
            m["belongs_to_collection"].is_object()
                && !texts_of(&m["keywords"]["keywords"], "name").is_empty()
                && !texts_of(&m["production_companies"], "name").is_empty()
                && !texts_of(&m["spoken_languages"], "english_name").is_empty()
                && !trailer_keys(m).is_empty()
                && !provider_names(m, "US").is_empty()
                && certification_in(m, "US").is_some()
                && !crew_names(m, |c| c["job"] == "Director").is_empty()
                && !crew_names(m, |c| c["department"] == "Writing").is_empty()
        })
        .expect("the simulated catalog has a movie with every part of the record");
    let id = movie["id"].as_u64().unwrap();
    let title = movie["title"].as_str().unwrap();

    let serve = Serve::start(&db);
    let base = serve.base.clone();
    let browser = Browser::start(&dir.path);
    let shots = screenshots();
    browser.goto(&format!("{base}/#/movie/{id}"));
    browser.wait_for("the movie's heading", || {
        browser
            .texts(".detail h1")
            .into_iter()
            .find(|h| h.starts_with(title))
    });
    let directors = crew_names(movie, |c| c["job"] == "Director");
    let writers = crew_names(movie, |c| c["department"] == "Writing");
    assert_eq!(browser.texts(".makers.directors a"), directors);
    assert_eq!(browser.texts(".makers.writers a"), writers);
    assert_eq!(
        browser.texts(".cert"),
        [certification_in(movie, "US").unwrap()]
    );
    assert_eq!(
        browser.texts(".keywords .chip"),
        texts_of(&movie["keywords"]["keywords"], "name")
    );
    let collection = &movie["belongs_to_collection"];
    assert_eq!(
        browser.texts(".collection a"),
        [collection["name"].as_str().unwrap()]
    );
    assert_eq!(
        browser.texts(".companies a"),
        texts_of(&movie["production_companies"], "name")
    );
    assert_eq!(
        browser.texts(".languages"),
        [format!(
            "Spoken languages: {}",
            texts_of(&movie["spoken_languages"], "english_name").join(", ")
        )]
    );
    let hrefs = browser.exec(
        "return [...document.querySelectorAll('.trailers a')].map((a) => a.href);",
        json!([]),
    );
    let mut hrefs: Vec<String> = serde_json::from_value(hrefs).unwrap();
    let mut keys = trailer_keys(movie);
    hrefs.sort();
    keys.sort();
    assert_eq!(hrefs, keys);
    assert_eq!(
        browser.texts(".providers .provider span"),
        provider_names(movie, "US")
    );
    assert_eq!(
        browser.texts(".attribution"),
        ["Streaming data by JustWatch."]
    );
    let dates: usize = movie["release_dates"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["release_dates"].as_array().unwrap().len())
        .sum();
    if dates > 10 {
        assert_eq!(browser.find_all(".releases tbody tr").len(), 8);
        browser.click(&browser.find("button.more:last-of-type"));
    }
    browser.wait_for("every release date", || {
        (browser.find_all(".releases tbody tr").len() == dates).then_some(())
    });
    browser.screenshot(&shots.join("30-record-movie.png"));

    // Another country: its rating and its offers, and the address says which.
    let regions: Vec<&String> = movie["watch/providers"]["results"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    let other = regions
        .into_iter()
        .find(|r| provider_names(movie, r) != provider_names(movie, "US"))
        .expect("another country with other offers")
        .as_str();
    browser.exec(
        "const s = document.querySelector('select[name=region]'); s.value = arguments[0]; \
         s.dispatchEvent(new Event('change'));",
        json!([other]),
    );
    browser.wait_for("the other country's offers", || {
        browser
            .url()
            .ends_with(&format!("#/movie/{id}?region={other}"))
            .then_some(())
    });
    browser.wait_texts(
        ".providers .provider span",
        &provider_names(movie, other)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(
        browser.texts(".cert"),
        certification_in(movie, other)
            .into_iter()
            .collect::<Vec<_>>()
    );
    if provider_names(movie, other).is_empty() {
        let none = browser.texts(".watch .muted").join("");
        assert!(
            none.starts_with("No streaming, rental or purchase offer"),
            "{none}"
        );
    }
    browser.screenshot(&shots.join("31-record-movie-other-region.png"));
    // The choice is remembered for the next movie.
    browser.goto(&format!("{base}/#/movie/{id}"));
    browser.wait_for("the remembered country", || {
        let chosen = browser.exec(
            "return document.querySelector('select[name=region]')?.value;",
            json!([]),
        );
        (chosen == other).then_some(())
    });

    // The keyword's page: its movies, most popular first.
    let keyword = &movie["keywords"]["keywords"][0];
    browser.click(&browser.find(&format!(".keywords a[href='#/keyword/{}']", keyword["id"])));
    browser.wait_texts("main h1", &[keyword["name"].as_str().unwrap()]);
    let with_keyword: Vec<&str> = listed
        .iter()
        .filter(|m| {
            m["keywords"]["keywords"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["id"] == keyword["id"])
        })
        .map(|m| m["title"].as_str().unwrap())
        .collect();
    let first_page: Vec<&str> = with_keyword.iter().copied().take(20).collect();
    browser.wait_texts(".grid .card-title", &first_page);
    assert_eq!(
        browser.texts(".count"),
        [format!(
            "{} movie{}",
            with_keyword.len(),
            if with_keyword.len() == 1 { "" } else { "s" }
        )]
    );
    browser.screenshot(&shots.join("32-record-keyword.png"));

    // The collection's page: its parts, oldest first.
    browser.back();
    browser.click(&browser.find(".collection a"));
    browser.wait_texts("main h1", &[collection["name"].as_str().unwrap()]);
    let mut parts: Vec<&Value> = movies
        .iter()
        .filter(|m| m["belongs_to_collection"]["id"] == collection["id"])
        .collect();
    parts.sort_by_key(|m| {
        let date = m["release_date"].as_str().unwrap_or("").to_owned();
        (date.is_empty(), date, m["id"].as_u64())
    });
    let parts: Vec<&str> = parts.iter().map(|m| m["title"].as_str().unwrap()).collect();
    browser.wait_texts(".grid .card-title", &parts);
    browser.screenshot(&shots.join("33-record-collection.png"));

    // The company's page.
    browser.back();
    let company = &movie["production_companies"][0];
    browser.click(&browser.find(&format!(".companies a[href='#/company/{}']", company["id"])));
    browser.wait_texts("main h1", &[company["name"].as_str().unwrap()]);
    let made: Vec<&str> = listed
        .iter()
        .filter(|m| {
            m["production_companies"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["id"] == company["id"])
        })
        .map(|m| m["title"].as_str().unwrap())
        .take(20)
        .collect();
    browser.wait_texts(".grid .card-title", &made);
    browser.screenshot(&shots.join("34-record-company.png"));

    // A person's filmography: one row per movie as cast, crew by department (Directing and
    // Writing first), one row per movie in each with its jobs. The person chosen has the most
    // crew departments.
    let mut credits: HashMap<u64, Vec<(&Value, &Value)>> = HashMap::new();
    for m in &movies {
        for kind in ["cast", "crew"] {
            for c in m["credits"][kind].as_array().unwrap() {
                credits
                    .entry(c["id"].as_u64().unwrap())
                    .or_default()
                    .push((m, c));
            }
        }
    }
    let departments = |person: u64| -> Vec<String> {
        let mut ds: Vec<String> = credits[&person]
            .iter()
            .filter_map(|(_, c)| c["department"].as_str().map(str::to_owned))
            .collect();
        ds.sort_by_key(|d| {
            (
                if d == "Directing" {
                    0
                } else if d == "Writing" {
                    1
                } else {
                    2
                },
                d.clone(),
            )
        });
        ds.dedup();
        ds
    };
    let person = *credits
        .keys()
        .max_by_key(|p| (departments(**p).len(), std::cmp::Reverse(**p)))
        .unwrap();
    browser.goto(&format!("{base}/#/person/{person}"));
    let distinct = |keep: &dyn Fn(&Value) -> bool| -> usize {
        let mut ids: Vec<u64> = credits[&person]
            .iter()
            .filter(|(_, c)| keep(c))
            .map(|(m, _)| m["id"].as_u64().unwrap())
            .collect();
        ids.sort();
        ids.dedup();
        ids.len()
    };
    let cast_movies = distinct(&|c: &Value| c["department"].is_null());
    browser.wait_for("the filmography", || {
        (browser.find_all("#film-cast li a").len() == cast_movies.min(50)
            && !browser.find_all("#film-crew h3").is_empty())
        .then_some(())
    });
    let headings: Vec<String> = departments(person)
        .iter()
        .map(|d| {
            format!(
                "{d} ({})",
                distinct(&|c: &Value| c["department"] == d.as_str())
            )
        })
        .collect();
    assert_eq!(browser.texts("#film-crew h3"), headings);
    browser.screenshot(&shots.join("35-record-person.png"));

    // Best rated: only movies with at least 100 votes, best first.
    browser.goto(&format!("{base}/#/search?sort=vote_average.desc"));
    let mut rated: Vec<&&Value> = listed
        .iter()
        .filter(|m| m["vote_count"].as_u64().unwrap_or(0) >= 100)
        .collect();
    rated.sort_by(|a, b| {
        let avg = |m: &Value| m["vote_average"].as_f64().unwrap_or(f64::NEG_INFINITY);
        avg(b)
            .total_cmp(&avg(a))
            .then(b["id"].as_u64().cmp(&a["id"].as_u64()))
    });
    let best: Vec<&str> = rated
        .iter()
        .take(20)
        .map(|m| m["title"].as_str().unwrap())
        .collect();
    browser.wait_texts(".grid .card-title", &best);
    assert_eq!(
        browser.texts("#result-count"),
        [format!("{} movies with at least 100 votes", rated.len())]
    );
    browser.screenshot(&shots.join("36-record-best-rated.png"));

    let errors = unexpected_errors(&browser.console(), &[]);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}
