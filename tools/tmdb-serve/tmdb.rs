//! TMDB's own routes under `/3`, answered from the mirror with TMDB's paths, parameters,
//! shapes and error bodies, so a TMDB client library can be pointed at tmdb-serve.
//!
//! A record's body is rebuilt from the tables by `tmdb_core::record::rebuild`: for a record
//! the mirror loaded whole, it equals what TMDB sent (docs/data-contract.md).

use serde_json::json;
use tmdb_core::record::rebuild;

use crate::http::{ApiError, Response};
use crate::params::Query;
use crate::queries::Db;

/// TMDB answers at most this many `append_to_response` names in one request.
const MAX_APPENDS: usize = 20;

/// A TMDB route the mirror answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TmdbRoute {
    /// `/3/movie/{id}`
    Movie(i64),
    /// `/3/person/{id}`
    Person(i64),
}

/// TMDB's error body: `{"success":false,"status_code":N,"status_message":...}`.
fn tmdb_error(status: u16, code: u32, message: &str) -> Response {
    let mut response = Response::json(&json!({
        "success": false,
        "status_code": code,
        "status_message": message,
    }));
    response.status = status;
    response
}

/// The names of `append_to_response` (TMDB ignores the names it does not know).
fn appends(query: &Query) -> Result<Vec<&str>, Response> {
    let names = rebuild::appends(query.get("append_to_response").unwrap_or(""));
    if names.len() > MAX_APPENDS {
        return Err(tmdb_error(
            400,
            27,
            "Too many append to response objects: The maximum number of remote calls is 20.",
        ));
    }
    Ok(names)
}

/// Answers a TMDB route. TMDB ignores query parameters it does not use (`language`, `api_key`
/// and the like), and so does this.
pub fn respond(route: TmdbRoute, query: &Query, db: &Db) -> Result<Response, ApiError> {
    let wanted = match appends(query) {
        Ok(wanted) => wanted,
        Err(response) => return Ok(response),
    };
    let found = match route {
        TmdbRoute::Movie(id) => db.tmdb_movie(id, &wanted)?,
        TmdbRoute::Person(id) => db.tmdb_person(id, &wanted)?,
    };
    Ok(match found {
        Some(body) => Response::json(&body),
        None => tmdb_error(404, 34, "The resource you requested could not be found."),
    })
}
