//! The simulator's route table: which answer a path names, and the label `/__stats` counts it
//! under. Plain matching on path segments; no input makes it panic.

use crate::appends;
use crate::changes::Kind;
use crate::person;

/// A route of the simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    Genres,
    Discover,
    Changes(Kind),
    /// `/3/movie/{id}` with the raw ID segment.
    Movie(&'a str),
    /// `/3/movie/{id}/<sub-resource>`.
    MovieSub(&'a str, appends::Sub),
    Person(&'a str),
    /// `/3/person/{id}/<sub-resource>`.
    PersonSub(&'a str, person::Sub),
    /// `/3/person/{id}/movie_credits`.
    PersonMovieCredits(&'a str),
    /// `/3/configuration`.
    Configuration,
    /// `/3/search/{kind}`.
    Search(&'a str),
    /// `/3/find/{external_id}`.
    Find(&'a str),
    /// `/3/collection/{id}`.
    Collection(&'a str),
    /// `/3/company/{id}`.
    Company(&'a str),
    /// `/3/keyword/{id}`.
    Keyword(&'a str),
    /// `/3/keyword/{id}/movies`.
    KeywordMovies(&'a str),
    /// `/p/exports/{file}`.
    Export(&'a str),
    Stats,
    Mutate,
    Unknown,
}

impl<'a> Route<'a> {
    /// The route of a path (a trailing slash is ignored).
    pub fn parse(path: &'a str) -> Route<'a> {
        if let Some(file) = path.strip_prefix("/p/exports/") {
            return Route::Export(file);
        }
        let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        match parts.as_slice() {
            ["", "__stats"] => Route::Stats,
            ["", "__mutate"] => Route::Mutate,
            ["", "3", "genre", "movie", "list"] => Route::Genres,
            ["", "3", "discover", "movie"] => Route::Discover,
            ["", "3", "movie", "changes"] => Route::Changes(Kind::Movie),
            ["", "3", "person", "changes"] => Route::Changes(Kind::Person),
            ["", "3", "movie", id] => Route::Movie(id),
            ["", "3", "movie", id, "watch", "providers"] => {
                Route::MovieSub(id, appends::Sub::WatchProviders)
            }
            ["", "3", "movie", id, sub] => match appends::Sub::from_name(sub) {
                Some(sub) => Route::MovieSub(id, sub),
                None => Route::Unknown,
            },
            ["", "3", "person", id] => Route::Person(id),
            ["", "3", "person", id, "movie_credits"] => Route::PersonMovieCredits(id),
            ["", "3", "configuration"] => Route::Configuration,
            [
                "",
                "3",
                "search",
                kind @ ("movie" | "person" | "keyword" | "company" | "collection"),
            ] => Route::Search(kind),
            ["", "3", "find", external] if !external.is_empty() => Route::Find(external),
            ["", "3", "collection", id] => Route::Collection(id),
            ["", "3", "company", id] => Route::Company(id),
            ["", "3", "keyword", id] => Route::Keyword(id),
            ["", "3", "keyword", id, "movies"] => Route::KeywordMovies(id),
            ["", "3", "person", id, sub] => match person::Sub::from_name(sub) {
                Some(sub) => Route::PersonSub(id, sub),
                None => Route::Unknown,
            },
            _ => Route::Unknown,
        }
    }

    /// Whether the route is part of TMDB's API (token, rate limit and faults apply).
    pub fn is_api(&self, path: &str) -> bool {
        !matches!(self, Route::Export(_) | Route::Stats | Route::Mutate) && path.starts_with("/3/")
    }

    /// The label `/__stats` counts requests under.
    pub fn label(&self) -> &'static str {
        match self {
            Route::Genres => "/3/genre/movie/list",
            Route::Discover => "/3/discover/movie",
            Route::Changes(Kind::Movie) => "/3/movie/changes",
            Route::Changes(Kind::Person) => "/3/person/changes",
            Route::Movie(_) => "/3/movie/{id}",
            Route::MovieSub(_, sub) => sub.label(),
            Route::Person(_) => "/3/person/{id}",
            Route::PersonSub(_, sub) => sub.label(),
            Route::PersonMovieCredits(_) => "/3/person/{id}/movie_credits",
            Route::Configuration => "/3/configuration",
            Route::Search("movie") => "/3/search/movie",
            Route::Search("person") => "/3/search/person",
            Route::Search("keyword") => "/3/search/keyword",
            Route::Search("company") => "/3/search/company",
            Route::Search(_) => "/3/search/collection",
            Route::Find(_) => "/3/find/{external_id}",
            Route::Collection(_) => "/3/collection/{id}",
            Route::Company(_) => "/3/company/{id}",
            Route::Keyword(_) => "/3/keyword/{id}",
            Route::KeywordMovies(_) => "/3/keyword/{id}/movies",
            Route::Export(_) => "/p/exports",
            Route::Stats => "/__stats",
            Route::Mutate => "/__mutate",
            Route::Unknown => "other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_routes() {
        assert_eq!(Route::parse("/3/movie/550"), Route::Movie("550"));
        assert_eq!(Route::parse("/3/movie/550/"), Route::Movie("550"));
        assert_eq!(
            Route::parse("/3/movie/550/credits"),
            Route::MovieSub("550", appends::Sub::Credits)
        );
        assert_eq!(
            Route::parse("/3/movie/550/watch/providers"),
            Route::MovieSub("550", appends::Sub::WatchProviders)
        );
        assert_eq!(
            Route::parse("/3/person/287/external_ids"),
            Route::PersonSub("287", person::Sub::ExternalIds)
        );
        assert_eq!(Route::parse("/3/movie/550/watch"), Route::Unknown);
        assert_eq!(Route::parse("/3/person/287/credits"), Route::Unknown);
        assert_eq!(
            Route::parse("/3/movie/changes"),
            Route::Changes(Kind::Movie)
        );
        assert_eq!(
            Route::parse("/3/person/changes"),
            Route::Changes(Kind::Person)
        );
        assert_eq!(Route::parse("/3/person/62"), Route::Person("62"));
        assert_eq!(
            Route::parse("/3/person/62/movie_credits"),
            Route::PersonMovieCredits("62")
        );
        assert_eq!(Route::parse("/3/search/company"), Route::Search("company"));
        assert_eq!(Route::parse("/3/search/tv"), Route::Unknown);
        assert_eq!(Route::parse("/3/find/tt1"), Route::Find("tt1"));
        assert_eq!(
            Route::parse("/3/keyword/5/movies"),
            Route::KeywordMovies("5")
        );
        assert_eq!(
            Route::parse("/p/exports/movie_ids_11_30_2026.json.gz"),
            Route::Export("movie_ids_11_30_2026.json.gz")
        );
        assert_eq!(Route::parse("/3/movie/550/reviews"), Route::Unknown);
        assert_eq!(Route::parse(""), Route::Unknown);
        assert!(Route::parse("/3/tv/1").is_api("/3/tv/1"));
        assert!(!Route::parse("/__stats").is_api("/__stats"));
        assert!(!Route::parse("/nope").is_api("/nope"));
    }
}
