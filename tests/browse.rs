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
    assert_eq!(browser.texts("#film-crew .role"), ["Writing — Screenplay"]);
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

/// The brief's scenario on a mirror built the way users build one: `tmdb-sim --dump`, loaded by
/// `ndjson-load`, with the titles and names the simulated catalog holds.
#[test]
fn browse_page_on_a_simulated_mirror_finds_a_title_its_cast_and_their_filmography() {
    let dir = Workdir::new("browse-sim");
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

    // The most popular movie with a plain title whose first-billed actor has a record.
    let people: HashMap<u64, Value> = read_ndjson(&dump.join("people.ndjson"))
        .into_iter()
        .map(|p| (p["id"].as_u64().unwrap(), p))
        .collect();
    let mut movies = read_ndjson(&dump.join("movies.ndjson"));
    movies.sort_by(|a, b| {
        let pop = |m: &Value| m["popularity"].as_f64().unwrap_or(0.0);
        pop(b).total_cmp(&pop(a))
    });
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
