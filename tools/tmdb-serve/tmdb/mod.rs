//! TMDB's own routes under `/3`, answered from the mirror with TMDB's paths, parameters,
//! shapes and error bodies, so a TMDB client library can be pointed at tmdb-serve
//! (docs/tmdb-routes.md lists them and what the mirror cannot know).
//!
//! One file per family of routes, each with its own SQL: `record.rs` (a movie or person and
//! their sub-resources), `lists.rs` (discover and the list items every list shares),
//! `search.rs`, `entities.rs` (genres, collections, companies, keywords, find, configuration);
//! `discover_index.rs` keeps discover's filter and sort columns in memory.
//! How parameters are read is shared with tmdb-sim (`tmdb_core::tmdb`), so the two answer alike.

pub mod discover_index;
mod entities;
mod lists;
mod record;
mod search;

use std::sync::OnceLock;

use tmdb_core::read::{self, Read};
use tmdb_core::record::spec;
use tmdb_core::tmdb::Refusal;

use crate::http::{JSON, Request, Response};
use crate::params::Query;

/// A TMDB route the mirror answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TmdbRoute {
    /// `/3/movie/{id}`
    Movie(i64),
    /// `/3/movie/{id}/{sub}` (`sub` is an append name such as `credits` or `watch/providers`).
    MovieSub(i64, &'static str),
    /// `/3/person/{id}`
    Person(i64),
    /// `/3/person/{id}/{sub}`
    PersonSub(i64, &'static str),
    /// `/3/person/{id}/movie_credits`
    PersonMovieCredits(i64),
    /// `/3/genre/movie/list`
    Genres,
    /// `/3/collection/{id}`
    Collection(i64),
    /// `/3/company/{id}`
    Company(i64),
    /// `/3/keyword/{id}`
    Keyword(i64),
    /// `/3/keyword/{id}/movies`
    KeywordMovies(i64),
    /// `/3/discover/movie`
    Discover,
    /// `/3/search/{kind}`
    Search(search::Kind),
    /// `/3/find/{external_id}` (the ID is read again from the path).
    Find,
    /// `/3/configuration`
    Configuration,
    /// Any other path under `/3`: TMDB's 404.
    Unknown,
}

/// The sub-resources that have a route of their own: every append the mirror keeps with the
/// record (tmdb-core's record description lists them).
const MOVIE_SUBS: &[&str] = spec::MOVIE_APPENDS;
const PERSON_SUBS: &[&str] = spec::PERSON_APPENDS;

impl TmdbRoute {
    /// The route of the segments after `/3`.
    pub fn parse(segments: &[&str]) -> TmdbRoute {
        let id = |s: &str| -> Option<i64> {
            (!s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
                .filter(|&n| n > 0)
        };
        let sub = |list: &[&'static str], name: &str| list.iter().copied().find(|s| *s == name);
        let route = match segments {
            ["movie", m] => id(m).map(TmdbRoute::Movie),
            ["movie", m, "watch", "providers"] => {
                id(m).map(|m| TmdbRoute::MovieSub(m, "watch/providers"))
            }
            ["movie", m, s] => id(m)
                .zip(sub(MOVIE_SUBS, s))
                .map(|(m, s)| TmdbRoute::MovieSub(m, s)),
            ["person", p] => id(p).map(TmdbRoute::Person),
            ["person", p, "movie_credits"] => id(p).map(TmdbRoute::PersonMovieCredits),
            ["person", p, s] => id(p)
                .zip(sub(PERSON_SUBS, s))
                .map(|(p, s)| TmdbRoute::PersonSub(p, s)),
            ["genre", "movie", "list"] => Some(TmdbRoute::Genres),
            ["collection", c] => id(c).map(TmdbRoute::Collection),
            ["company", c] => id(c).map(TmdbRoute::Company),
            ["keyword", k] => id(k).map(TmdbRoute::Keyword),
            ["keyword", k, "movies"] => id(k).map(TmdbRoute::KeywordMovies),
            ["discover", "movie"] => Some(TmdbRoute::Discover),
            ["search", kind] => search::Kind::parse(kind).map(TmdbRoute::Search),
            ["find", external] if !external.is_empty() => Some(TmdbRoute::Find),
            ["configuration"] => Some(TmdbRoute::Configuration),
            _ => None,
        };
        route.unwrap_or(TmdbRoute::Unknown)
    }
}

/// The credential `tmdb-serve --token` requires; none by default (any is accepted unchecked).
static TOKEN: OnceLock<String> = OnceLock::new();

/// Makes `/3` routes require `token` (`Authorization: Bearer T` or `api_key=T`).
pub fn require_token(token: String) {
    let _ = TOKEN.set(token);
}

/// TMDB's 401 for a `/3` request without the required credential; checked before any cached
/// answer is looked up, so a cached answer never reaches a client without it.
pub fn refuse(request: &Request) -> Option<Response> {
    let token = TOKEN.get()?;
    let (path, raw) = request.url.split_once('?').unwrap_or((&request.url, ""));
    if !path.starts_with("/3/") {
        return None;
    }
    let query = Query::parse(raw).unwrap_or_default();
    let ok = tmdb_core::tmdb::authorized(
        token,
        request.authorization.as_deref(),
        query.get("api_key"),
    );
    (!ok).then(|| refusal(&Refusal::InvalidKey))
}

/// A refusal as an answer.
pub fn refusal(refused: &Refusal) -> Response {
    let (status, body) = refused.answer();
    Response {
        status,
        content_type: JSON,
        body: body.into_bytes(),
        headers: Vec::new(),
    }
}

/// What a route answers: a body, or one of TMDB's refusals.
type Answer = Result<Body, Refusal>;

/// A route's JSON: a value, or a list page whose items were written from their rows.
#[derive(Debug, PartialEq)]
pub enum Body {
    /// A record, an entity, a list of them: a tree of values.
    Value(serde_json::Value),
    /// A page of movies (discover, movie search, a keyword's movies).
    List(lists::ListPage),
}

impl From<serde_json::Value> for Body {
    fn from(value: serde_json::Value) -> Body {
        Body::Value(value)
    }
}

impl From<lists::ListPage> for Body {
    fn from(page: lists::ListPage) -> Body {
        Body::List(page)
    }
}

impl Body {
    /// The body as a value (for tests, which look into it); a page checked to be written
    /// exactly as serde_json writes it.
    #[cfg(test)]
    pub fn value(&self) -> serde_json::Value {
        match self {
            Body::Value(value) => value.clone(),
            Body::List(page) => {
                let written = page.write();
                let value: serde_json::Value =
                    serde_json::from_slice(&written).expect("a page is JSON");
                let again = serde_json::to_vec(&value).expect("JSON");
                assert_eq!(
                    String::from_utf8_lossy(&again),
                    String::from_utf8_lossy(&written),
                    "written as serde_json writes it"
                );
                value
            }
        }
    }
}

/// Answers a TMDB route (`path` is the decoded path without a trailing slash). TMDB ignores
/// query parameters it does not use (`language`, `api_key` and the like), and so does this.
pub fn respond(
    route: TmdbRoute,
    path: &str,
    query: &Query,
    conn: &dyn Read,
    discover_index: Option<&discover_index::Index>,
) -> read::Result<Response> {
    let get = |key: &str| query.get(key);
    let answer: Answer = match route {
        TmdbRoute::Movie(id) => record::movie(conn, id, query.get("append_to_response"))?,
        TmdbRoute::MovieSub(id, sub) => record::movie_sub(conn, id, sub, query.get("country"))?,
        TmdbRoute::Person(id) => record::person(conn, id, query.get("append_to_response"))?,
        TmdbRoute::PersonSub(id, sub) => record::person_sub(conn, id, sub)?,
        TmdbRoute::PersonMovieCredits(id) => record::movie_credits(conn, id)?,
        TmdbRoute::Genres => entities::genres(conn)?,
        TmdbRoute::Collection(id) => entities::collection(conn, id)?,
        TmdbRoute::Company(id) => entities::company(conn, id)?,
        TmdbRoute::Keyword(id) => entities::keyword(conn, id)?,
        TmdbRoute::KeywordMovies(id) => entities::keyword_movies(conn, id, &get)?,
        TmdbRoute::Discover => lists::discover(conn, &get, discover_index)?,
        TmdbRoute::Search(kind) => search::search(conn, kind, &get)?,
        TmdbRoute::Find => {
            let external = path.rsplit('/').next().unwrap_or_default();
            entities::find(conn, external, query.get("external_source"))?
        }
        TmdbRoute::Configuration => {
            let configuration: serde_json::Value =
                serde_json::from_str(tmdb_core::tmdb::CONFIGURATION).unwrap_or_default();
            Ok(configuration.into())
        }
        TmdbRoute::Unknown => Err(Refusal::NotFound),
    };
    Ok(match answer {
        Ok(Body::Value(body)) => Response::json(&body),
        Ok(Body::List(page)) => Response::json_bytes(page.write()),
        Err(refused) => refusal(&refused),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_tmdb_routes() {
        assert_eq!(TmdbRoute::parse(&["movie", "550"]), TmdbRoute::Movie(550));
        assert_eq!(
            TmdbRoute::parse(&["movie", "550", "watch", "providers"]),
            TmdbRoute::MovieSub(550, "watch/providers")
        );
        assert_eq!(
            TmdbRoute::parse(&["person", "62", "movie_credits"]),
            TmdbRoute::PersonMovieCredits(62)
        );
        assert_eq!(TmdbRoute::parse(&["find", "tt0088247"]), TmdbRoute::Find);
        assert_eq!(TmdbRoute::parse(&["movie", "x"]), TmdbRoute::Unknown);
        assert_eq!(
            TmdbRoute::parse(&["movie", "5", "reviews"]),
            TmdbRoute::Unknown
        );
        assert_eq!(TmdbRoute::parse(&["tv", "1"]), TmdbRoute::Unknown);
    }
}
