//! The route table of tmdb-serve and the JSON shapes it answers (the README's "tmdb-serve"
//! section).
//!
//! This comment is the contract the browse page (page/app.js) and API clients build on; the
//! same facts are in `GET /openapi.json`. Field names follow TMDB's. Absent values are `null`,
//! never `""`. Every route answers GET and HEAD, with or without a trailing slash.
//!
//! ## Lists
//! Every paginated route answers the envelope
//! `{"page":1,"limit":20,"total_results":1234,"total_pages":62,"results":[...]}`
//! and a `Link` header with `rel="next"` / `rel="prev"` when there is such a page.
//! `page`: 1..=500 (default 1; TMDB's own cap), `limit`: 1..=100 (default 20).
//! A page past the end is an empty `results`, not an error. `total_pages` is at most 500,
//! as on TMDB, while `total_results` is the true count: a list serves its first 500 pages
//! (500 x `limit` results at most), and `total_pages` never names a page that answers 400.
//!
//! ## Movie (list item, also inside search results and genre lists)
//! `{"id":550,"title":"Fight Club","original_title":"Fight Club","original_language":"en",
//!   "overview":"...","release_date":"1999-10-15"|null,"poster_path":"/x.jpg"|null,
//!   "backdrop_path":"/y.jpg"|null,"popularity":61.4,"vote_average":8.4,"vote_count":26280,
//!   "adult":false,"genres":[{"id":18,"name":"Drama"}]}`
//!
//! ## Routes
//! - `GET /movies` -> list of Movie. Filters: `year` (1800..=2200, by release_date),
//!   `genre_id` (integer), `genre` (name, case-insensitive, must exist), `language`
//!   (original_language, 2-3 letters), `status` (Rumored, Planned, In Production,
//!   Post Production, Released, Canceled; case-insensitive), `adult` (true|false, default
//!   false: adult movies are left out unless `adult=true`, which includes them), `min_votes`
//!   (vote_count >= N). `sort`: `popularity|release_date|vote_average|vote_count|title`, with
//!   `.asc` or `.desc` (default `popularity.desc`; a bare field sorts descending, except title
//!   ascending). Ties break on id; absent values sort last.
//!   The whole record's filters: `keyword` (id), `company` (id), `certification` (as the
//!   country writes it, compared exactly, such as PG-13) in `region`, `provider` (watch
//!   provider id, any kind of offer) in `region`, `runtime_min` and `runtime_max` (minutes,
//!   0..=100000, min <= max; movies with no runtime are left out). `region` is an ISO 3166-1
//!   code, any case, US when absent.
//! - `GET /movies/search?query=...` -> list of Movie ranked by relevance (bm25 over title and
//!   original_title, diacritics folded, the last word matched as a prefix), with every filter
//!   of `/movies`; `sort` also takes `relevance` (the default, best first).
//!   `query` is required (400 when missing or empty); a query with no words has no results.
//! - `GET /movies/{id}?region=CC` -> Movie plus `runtime, status, video, budget, revenue,
//!   imdb_id, homepage, tagline, collection_id, origin_country:[..], cast_count, crew_count`,
//!   and the whole record: `collection:{id,name,poster_path,backdrop_path}|null`,
//!   `keywords:[{id,name}]`, `production_companies:[{id,name,logo_path,origin_country}]`,
//!   `production_countries:[{iso_3166_1,name}]`, `spoken_languages:[{iso_639_1,english_name,
//!   name}]`, `external_ids:{imdb_id,wikidata_id,facebook_id,instagram_id,twitter_id}`,
//!   `region` (the parameter, US when absent), `certification` (in `region`: a rated
//!   theatrical release's (type 3), else the first rated release's, else null),
//!   `release_dates:[{iso_3166_1,release_date,type,certification,note,iso_639_1,
//!   descriptors}]` (every country, TMDB's order), `videos:[{id,key,site,type,name,official,
//!   published_at,size,iso_639_1,iso_3166_1}]`, `watch_providers:{region,link,providers:
//!   {flatrate|rent|buy|ads|free:[{provider_id,provider_name,logo_path,display_priority}]}}`
//!   (null when TMDB lists nothing in `region`), `watch_regions:[CC..]` (the countries that
//!   have providers). Lists in TMDB's order.
//! - `GET /movies/{id}/credits` ->
//!   `{"id":550,"cast":[Cast...],"crew":[Crew...]}`, cast in billing order, crew by
//!   department, job, name. Cast: `{"credit_id","person_id","name","original_name",
//!   "character","order","gender","known_for_department","profile_path","popularity","adult"}`;
//!   Crew: the same with `"department","job"` instead of `"character","order"`.
//! - `GET /people` -> list of PersonItem `{"id","name","known_for_department","profile_path",
//!   "popularity","gender","adult"}`; `sort`: `popularity|name` with `.asc|.desc` (default
//!   `popularity.desc`); `adult` as above.
//! - `GET /people/search?query=...` -> list of PersonItem, ranked (name and also_known_as).
//! - `GET /people/{id}` -> PersonItem plus `also_known_as:[..], biography, birthday, deathday,
//!   place_of_birth, imdb_id, homepage, cast_count, crew_count`.
//! - `GET /people/{id}/movies` -> `{"id":62,"cast":[Movie + "character","order","credit_id"],
//!   "crew":[Movie + "department","job","credit_id"]}`, newest release first, undated last.
//!   Adult movies are included here (it is that person's record). 404 when the person has
//!   neither a record nor any credit.
//! - `GET /genres` -> `{"genres":[{"id":28,"name":"Action","movie_count":123}]}` by name;
//!   movie_count counts non-adult movies.
//! - `GET /genres/{id}/movies` -> list of Movie in that genre; the same filters (except
//!   `genre`/`genre_id`) and sorts as `/movies`. 404 for an unknown genre.
//! - `GET /keywords/{id}` -> `{"id","name"}`; `GET /keywords/{id}/movies` -> list of Movie
//!   with that keyword, the filters (except `keyword`) and sorts of `/movies`. 404 for an
//!   unknown keyword.
//! - `GET /companies/{id}` -> `{"id","name","logo_path","origin_country"}` (its movies are
//!   `/movies?company=ID`).
//! - `GET /collections/{id}` -> `{"id","name","poster_path","backdrop_path","parts":[Movie]}`,
//!   the parts the mirror holds (adult ones too), oldest first, undated last.
//! - `GET /health` -> `{"status":"ok","schema_version":2}`.
//! - `GET /stats` -> `{"movies":N,"people":N,"credits":N,"genres":N,"movie_ids":N,"gone":N,
//!   "last_load":{"kind":"movies","finished_at":"2026-11-30T12:00:00Z",...}|null}`.
//! - `GET /openapi.json` -> the OpenAPI 3.1 document. `GET /`, `/app.js`, `/style.css` -> the
//!   browse page.
//!
//! ## Errors
//! `{"error":{"status":400,"message":"page must be an integer from 1 to 500","parameter":"page"}}`
//! (`parameter` only on 400s about one parameter). 400 also for an unknown or repeated
//! parameter; 404 for a missing record or route; 405 (with `Allow: GET, HEAD, OPTIONS`) for
//! another method; 414 for a URL over 2048 bytes. `OPTIONS` answers a CORS preflight (204).

use crate::http::{ApiError, Request, Response};
use crate::json;
use crate::params::{self, MovieSort, Page, PeopleSort, Query, SearchSort, Sort};
use crate::queries::{self, Db, Listing, MovieFilter};
use crate::tmdb::{self, TmdbRoute};

/// Longer request targets are refused (414) before any parsing: no real client needs more,
/// and it bounds the work a hostile one can ask for.
pub const MAX_URL: usize = 2048;

/// The browse page and the OpenAPI document, built into the binary.
const INDEX_HTML: &str = include_str!("page/index.html");
const APP_JS: &str = include_str!("page/app.js");
const STYLE_CSS: &str = include_str!("page/style.css");
pub const OPENAPI: &str = include_str!("openapi.json");

/// TMDB's movie statuses (docs/tmdb.md, "Endpoints we use"), the values `status` accepts.
const STATUSES: &[&str] = &[
    "Rumored",
    "Planned",
    "In Production",
    "Post Production",
    "Released",
    "Canceled",
];

/// Answers that cost a scan of the whole mirror on first asking (counts of everything): a
/// background pass computes them at start so the first visitor of the browse page does not wait.
pub const WARM_TARGETS: &[&str] = &["/genres", "/stats", "/movies", "/people"];

/// What a request target names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Index,
    AppJs,
    StyleCss,
    OpenApi,
    Health,
    Stats,
    Movies,
    MovieSearch,
    Movie(i64),
    MovieCredits(i64),
    People,
    PeopleSearch,
    Person(i64),
    PersonMovies(i64),
    Genres,
    GenreMovies(i64),
    Collection(i64),
    Company(i64),
    Keyword(i64),
    KeywordMovies(i64),
    /// TMDB's own routes under `/3` (`tmdb.rs`).
    Tmdb(TmdbRoute),
}

impl Route {
    /// Matches a path (without its query), one trailing slash optional.
    pub fn parse(path: &str) -> Option<Route> {
        let path = params::decode_path(path)?;
        let trimmed = path
            .strip_suffix('/')
            .filter(|p| !p.is_empty())
            .unwrap_or(&path);
        let segments: Vec<&str> = trimmed.strip_prefix('/')?.split('/').collect();
        let route = match segments.as_slice() {
            [""] | ["index.html"] => Route::Index,
            ["app.js"] => Route::AppJs,
            ["style.css"] => Route::StyleCss,
            ["openapi.json"] => Route::OpenApi,
            ["health"] => Route::Health,
            ["stats"] => Route::Stats,
            ["movies"] => Route::Movies,
            ["movies", "search"] => Route::MovieSearch,
            ["movies", id] => Route::Movie(parse_id(id)?),
            ["movies", id, "credits"] => Route::MovieCredits(parse_id(id)?),
            ["people"] => Route::People,
            ["people", "search"] => Route::PeopleSearch,
            ["people", id] => Route::Person(parse_id(id)?),
            ["people", id, "movies"] => Route::PersonMovies(parse_id(id)?),
            ["genres"] => Route::Genres,
            ["genres", id, "movies"] => Route::GenreMovies(parse_id(id)?),
            ["collections", id] => Route::Collection(parse_id(id)?),
            ["companies", id] => Route::Company(parse_id(id)?),
            ["keywords", id] => Route::Keyword(parse_id(id)?),
            ["keywords", id, "movies"] => Route::KeywordMovies(parse_id(id)?),
            ["3", rest @ ..] => Route::Tmdb(TmdbRoute::parse(rest)),
            _ => return None,
        };
        Some(route)
    }
}

/// TMDB ids are positive integers; anything else names no record.
fn parse_id(segment: &str) -> Option<i64> {
    if segment.is_empty() || segment.len() > 18 || !segment.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    segment.parse().ok().filter(|&id| id > 0)
}

/// Answers one GET or HEAD request (the caller handles OPTIONS and other methods through
/// [`Route::parse`] and [`crate::http`]).
///
/// Successful answers are kept by request target until the data changes (`cache.rs`): a
/// mirror is read far more often than it is loaded, and the same pages are asked for again.
pub fn handle(request: &Request, db: &mut Db) -> Response {
    if let Some(refused) = tmdb::refuse(request) {
        return refused;
    }
    let cacheable = matches!(request.method.as_str(), "GET" | "HEAD");
    // A kept answer costs one read of the change counter (on PostgreSQL one round trip, with
    // no transaction open); an answer to compute reads it as its transaction starts.
    if cacheable
        && let Some(hit) = db.shared().response(&request.url)
        && db.unchanged()
    {
        return hit;
    }
    let started = db.begin().map_err(ApiError::from);
    // Taken after the counter was read: an answer computed from older data is not kept.
    let epoch = db.shared().epoch();
    let answer = started.and_then(|()| respond(request, db, epoch));
    db.end();
    match answer {
        Ok(response) => {
            if cacheable {
                db.shared().put_response(epoch, &request.url, &response);
            }
            response
        }
        Err(err) => {
            if let Some(cause) = &err.cause {
                crate::http::warn(format_args!("{}: {cause}", params::quoted(&request.url)));
            }
            err.into_response()
        }
    }
}

/// `epoch`: the data's, as the request's reads began (the discover index must be of it).
fn respond(request: &Request, db: &mut Db, epoch: u64) -> Result<Response, ApiError> {
    if request.url.len() > MAX_URL {
        let mut err = ApiError::bad_request(None, format!("URL longer than {MAX_URL} bytes"));
        err.status = 414;
        return Err(err);
    }
    let (path, raw_query) = request.url.split_once('?').unwrap_or((&request.url, ""));
    let Some(route) = Route::parse(path) else {
        return Err(ApiError::not_found(format!(
            "no such route: {}; see /openapi.json",
            params::quoted(path)
        )));
    };
    if !matches!(request.method.as_str(), "GET" | "HEAD") {
        return Err(ApiError::method_not_allowed(&request.method));
    }
    let query = Query::parse(raw_query)?;
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    match route {
        // The page's own state lives in its URL, so the page routes ignore query strings.
        Route::Index => Ok(Response::asset("text/html", INDEX_HTML)),
        Route::AppJs => Ok(Response::asset("text/javascript", APP_JS)),
        Route::StyleCss => Ok(Response::asset("text/css", STYLE_CSS)),
        Route::OpenApi => {
            query.check_allowed(&[])?;
            Ok(Response::asset(crate::http::JSON, OPENAPI))
        }
        Route::Health => {
            query.check_allowed(&[])?;
            Ok(Response::json(&db.health()?))
        }
        Route::Stats => {
            query.check_allowed(&[])?;
            Ok(Response::json(&db.stats()?))
        }
        Route::Movies => {
            query.check_allowed(MOVIES_PARAMS)?;
            let mut filter = movie_filter(&query)?;
            filter.genre_id = genre_filter(&query, db)?;
            movie_list(path, &query, db, &filter, epoch)
        }
        Route::GenreMovies(id) => {
            // The genre is in the path: the same list without the genre parameters.
            query.check_allowed(&without(MOVIES_PARAMS, &["genre", "genre_id"]))?;
            if !db.genre_exists(id)? {
                return Err(ApiError::not_found(format!("no genre with id {id}")));
            }
            let mut filter = movie_filter(&query)?;
            filter.genre_id = Some(id);
            movie_list(path, &query, db, &filter, epoch)
        }
        Route::KeywordMovies(id) => {
            query.check_allowed(&without(MOVIES_PARAMS, &["keyword"]))?;
            if db.keyword(id)?.is_none() {
                return Err(ApiError::not_found(format!("no keyword with id {id}")));
            }
            let mut filter = movie_filter(&query)?;
            filter.genre_id = genre_filter(&query, db)?;
            filter.keyword_id = Some(id);
            movie_list(path, &query, db, &filter, epoch)
        }
        Route::Keyword(id) => record(&query, db.keyword(id)?, || {
            format!("no keyword with id {id}")
        }),
        Route::Company(id) => record(&query, db.company(id)?, || {
            format!("no company with id {id}")
        }),
        Route::Collection(id) => record(&query, db.collection(id)?, || {
            format!("no collection with id {id}")
        }),
        Route::MovieSearch => {
            query.check_allowed(MOVIE_SEARCH_PARAMS)?;
            let text = search_text(&query)?;
            let mut filter = movie_filter(&query)?;
            filter.genre_id = genre_filter(&query, db)?;
            let sort = params::sort(
                &query,
                Sort {
                    field: SearchSort::Relevance,
                    descending: true,
                },
            )?;
            let page = query.page()?;
            let listing = match queries::fts_query(db.dialect(), text) {
                None => Listing::default(),
                Some(fts) => {
                    let index = db.shared().discover_index(epoch);
                    db.search_movies(&fts, &filter, sort, page, index.as_deref())?
                }
            };
            Ok(envelope(path, &query, page, listing))
        }
        Route::PeopleSearch => {
            query.check_allowed(&["query", "page", "limit", "adult"])?;
            let text = search_text(&query)?;
            let include_adult = query.flag("adult")?;
            let page = query.page()?;
            let listing = match queries::fts_query(db.dialect(), text) {
                None => Listing::default(),
                Some(fts) => db.search_people(&fts, include_adult, page)?,
            };
            Ok(envelope(path, &query, page, listing))
        }
        Route::People => {
            query.check_allowed(&["page", "limit", "adult", "sort"])?;
            let include_adult = query.flag("adult")?;
            let sort = params::sort(
                &query,
                Sort {
                    field: PeopleSort::Popularity,
                    descending: true,
                },
            )?;
            let page = query.page()?;
            Ok(envelope(
                path,
                &query,
                page,
                db.people(include_adult, sort, page)?,
            ))
        }
        Route::Movie(id) => {
            query.check_allowed(&["region"])?;
            let region = region(&query)?;
            record(&Query::default(), db.movie(id, &region)?, || {
                format!("no movie with id {id}")
            })
        }
        Route::MovieCredits(id) => {
            record(&query, db.credits(id)?, || format!("no movie with id {id}"))
        }
        Route::Person(id) => record(&query, db.person(id)?, || format!("no person with id {id}")),
        Route::PersonMovies(id) => record(&query, db.filmography(id)?, || {
            format!("no person with id {id}")
        }),
        Route::Genres => {
            query.check_allowed(&[])?;
            Ok(Response::json(&db.genres()?))
        }
        Route::Tmdb(route) => {
            let index = match route {
                tmdb::TmdbRoute::Discover => db.shared().discover_index(epoch),
                _ => None,
            };
            Ok(tmdb::respond(
                route,
                path,
                &query,
                db.conn(),
                index.as_deref(),
            )?)
        }
    }
}

fn record(
    query: &Query,
    found: Option<serde_json::Value>,
    missing: impl FnOnce() -> String,
) -> Result<Response, ApiError> {
    query.check_allowed(&[])?;
    match found {
        Some(value) => Ok(Response::json(&value)),
        None => Err(ApiError::not_found(missing())),
    }
}

/// The parameters of `/movies/search`. `/movies` takes all but the last (the words),
/// `/genres/{id}/movies` and `/keywords/{id}/movies` those of `/movies` but the one in their
/// path.
const MOVIE_SEARCH_PARAMS: &[&str] = &[
    "genre_id",
    "genre",
    "page",
    "limit",
    "year",
    "language",
    "status",
    "adult",
    "min_votes",
    "keyword",
    "company",
    "certification",
    "provider",
    "region",
    "runtime_min",
    "runtime_max",
    "sort",
    "query",
];
const MOVIES_PARAMS: &[&str] = MOVIE_SEARCH_PARAMS
    .split_at(MOVIE_SEARCH_PARAMS.len() - 1)
    .0;

/// The words of a search, which must be there.
fn search_text(query: &Query) -> Result<&str, ApiError> {
    let text = query.get("query").unwrap_or("");
    if text.trim().is_empty() {
        return Err(ApiError::bad_request(
            Some("query"),
            "query is required: the words to search for".to_owned(),
        ));
    }
    Ok(text)
}

/// One page of a filtered movie list, sorted, in the list envelope; from the discover index
/// when it is of `epoch`, the data the request reads.
fn movie_list(
    path: &str,
    query: &Query,
    db: &mut Db,
    filter: &MovieFilter,
    epoch: u64,
) -> Result<Response, ApiError> {
    let sort = params::sort(
        query,
        Sort {
            field: MovieSort::Popularity,
            descending: true,
        },
    )?;
    let page = query.page()?;
    let index = db.shared().discover_index(epoch);
    let listing = db.movies(filter, sort, page, index.as_deref())?;
    Ok(envelope(path, query, page, listing))
}

/// The filters shared by `/movies` and `/genres/{id}/movies`.
fn movie_filter(query: &Query) -> Result<MovieFilter, ApiError> {
    let language = match query.get("language") {
        None => None,
        Some(lang) => {
            let lower = lang.trim().to_ascii_lowercase();
            if !(2..=3).contains(&lower.len()) || !lower.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(ApiError::bad_request(
                    Some("language"),
                    format!(
                        "language must be an ISO 639-1 code such as en or fr, not {}",
                        params::quoted(lang)
                    ),
                ));
            }
            Some(lower)
        }
    };
    let status = match query.get("status") {
        None => None,
        Some(value) => match STATUSES
            .iter()
            .find(|s| s.eq_ignore_ascii_case(value.trim()))
        {
            Some(s) => Some((*s).to_owned()),
            None => {
                return Err(ApiError::bad_request(
                    Some("status"),
                    format!(
                        "status must be one of {}, not {}",
                        STATUSES.join(", "),
                        params::quoted(value)
                    ),
                ));
            }
        },
    };
    let region = region(query)?;
    let certification = match query.get("certification") {
        None => None,
        Some(value) => {
            let value = value.trim();
            if value.is_empty() || value.chars().count() > MAX_CERTIFICATION {
                return Err(ApiError::bad_request(
                    Some("certification"),
                    format!(
                        "certification must be a rating as the country writes it, such as \
                         PG-13 or 12 (at most {MAX_CERTIFICATION} characters), not {}",
                        params::quoted(value)
                    ),
                ));
            }
            Some((region.clone(), value.to_owned()))
        }
    };
    let runtime_min = query.int("runtime_min", 0, MAX_RUNTIME)?;
    let runtime_max = query.int("runtime_max", 0, MAX_RUNTIME)?;
    if let (Some(min), Some(max)) = (runtime_min, runtime_max)
        && min > max
    {
        return Err(ApiError::bad_request(
            Some("runtime_max"),
            format!("runtime_max ({max}) is less than runtime_min ({min})"),
        ));
    }
    Ok(MovieFilter {
        year: query.int("year", 1800, 2200)?,
        genre_id: None,
        language,
        status,
        include_adult: query.flag("adult")?,
        min_votes: query.int("min_votes", 0, i64::from(i32::MAX))?,
        keyword_id: query.int("keyword", 1, i64::MAX)?,
        company_id: query.int("company", 1, i64::MAX)?,
        certification,
        provider: query
            .int("provider", 1, i64::MAX)?
            .map(|id| (id, region.clone())),
        runtime_min,
        runtime_max,
    })
}

/// The longest certification accepted (TMDB's are a few characters: PG-13, 12A, FSK 16).
const MAX_CERTIFICATION: usize = 20;
/// The largest runtime filter, in minutes: longer than any film, small enough to stay a
/// plain integer comparison.
const MAX_RUNTIME: i64 = 100_000;
/// The country `region` means when it is not given.
pub const DEFAULT_REGION: &str = "US";

/// `region`: the country (ISO 3166-1 alpha-2, any case) whose certification and watch
/// providers a movie shows and the certification and provider filters use; US by default.
fn region(query: &Query) -> Result<String, ApiError> {
    let Some(value) = query.get("region") else {
        return Ok(DEFAULT_REGION.to_owned());
    };
    let upper = value.trim().to_ascii_uppercase();
    if upper.len() != 2 || !upper.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ApiError::bad_request(
            Some("region"),
            format!(
                "region must be an ISO 3166-1 country code such as US or FR, not {}",
                params::quoted(value)
            ),
        ));
    }
    Ok(upper)
}

/// `params` without those in `left_out`.
fn without<'a>(params: &[&'a str], left_out: &[&str]) -> Vec<&'a str> {
    params
        .iter()
        .copied()
        .filter(|p| !left_out.contains(p))
        .collect()
}

/// `genre_id`, or `genre` resolved by name (an unknown name is a 400: it is a typo, not an
/// empty genre).
fn genre_filter(query: &Query, db: &Db) -> Result<Option<i64>, ApiError> {
    let by_id = query.int("genre_id", 1, i64::MAX)?;
    let Some(name) = query.get("genre") else {
        return Ok(by_id);
    };
    if by_id.is_some() {
        return Err(ApiError::bad_request(
            Some("genre"),
            "give genre or genre_id, not both".to_owned(),
        ));
    }
    match db.genre_by_name(name.trim())? {
        Some(id) => Ok(Some(id)),
        None => Err(ApiError::bad_request(
            Some("genre"),
            format!("no genre named {}; see /genres", params::quoted(name)),
        )),
    }
}

/// The list envelope, with `Link` to the next and previous pages.
fn envelope(path: &str, query: &Query, page: Page, listing: Listing) -> Response {
    let total_pages = page.total_pages(listing.total);
    // Written as `json!` would write it (keys sorted), the items as they were written.
    let mut body = format!(
        "{{\"limit\":{},\"page\":{},\"results\":",
        page.limit, page.page
    )
    .into_bytes();
    json::join(&mut body, &listing.results);
    body.extend_from_slice(
        format!(
            ",\"total_pages\":{total_pages},\"total_results\":{}}}",
            listing.total
        )
        .as_bytes(),
    );
    let rest = query.encode_without("page");
    let link = |n: i64, rel: &str| {
        let sep = if rest.is_empty() { "" } else { "&" };
        format!("<{path}?{rest}{sep}page={n}>; rel=\"{rel}\"")
    };
    let mut links = Vec::new();
    if page.page < total_pages {
        links.push(link(page.page + 1, "next"));
    }
    if page.page > 1 {
        links.push(link((page.page - 1).min(total_pages.max(1)), "prev"));
    }
    let response = Response::json_bytes(body);
    if links.is_empty() {
        response
    } else {
        response.with_header("Link", links.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_with_or_without_a_trailing_slash() {
        assert_eq!(Route::parse("/"), Some(Route::Index));
        assert_eq!(Route::parse("/movies"), Some(Route::Movies));
        assert_eq!(Route::parse("/movies/"), Some(Route::Movies));
        assert_eq!(Route::parse("/movies/550"), Some(Route::Movie(550)));
        assert_eq!(
            Route::parse("/movies/550/credits/"),
            Some(Route::MovieCredits(550))
        );
        assert_eq!(Route::parse("/movies/search"), Some(Route::MovieSearch));
        assert_eq!(
            Route::parse("/people/62/movies"),
            Some(Route::PersonMovies(62))
        );
        assert_eq!(
            Route::parse("/genres/18/movies"),
            Some(Route::GenreMovies(18))
        );
        assert_eq!(Route::parse("/movies/%35%35%30"), Some(Route::Movie(550)));
        for bad in [
            "",
            "movies",
            "/movies//",
            "/movies/0",
            "/movies/-1",
            "/movies/abc",
            "/movies/99999999999999999999",
            "/genres/18",
            "/movies/550/credits/x",
            "/%ZZ",
            "/movies/1e3",
            "/movies/+5",
        ] {
            assert_eq!(Route::parse(bad), None, "{bad}");
        }
    }
}
