//! TMDB's `/3` routes as tmdb-serve and tmdb-sim both answer them: how a request's parameters
//! are read and which error each bad one gets (docs/tmdb-routes.md). The two servers share
//! this so that their answers can be compared: tmdb-sim filters its synthetic catalog with a
//! parsed query, tmdb-serve turns the same parsed query into SQL.

pub mod certification;
pub mod query;
pub mod words;

/// TMDB's `/3/configuration` body (image base URLs and sizes, change keys), as TMDB sent it.
pub const CONFIGURATION: &str = include_str!("configuration.json");

/// Movies per page of every TMDB list (discover, search, keyword movies).
pub const PAGE_SIZE: u64 = 20;
/// TMDB serves no page past this one.
pub const MAX_PAGE: u64 = 500;

/// A refused request, as TMDB words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 404 / 34: no such record (or route).
    NotFound,
    /// 401 / 7: a missing or wrong key or token.
    InvalidKey,
    /// 400 / 22: `page` outside 1..=500 or not an integer.
    InvalidPage,
    /// 400 / 23: a date parameter that is not `YYYY-MM-DD`.
    InvalidDate(String),
    /// 400 / 27: more than 20 `append_to_response` names.
    TooManyAppends,
    /// 422 `{"errors":[...]}`: a parameter with a value of the wrong kind.
    InvalidParam(String),
    /// 422 `{"errors":["query must be provided"]}`: a search without words.
    QueryRequired,
}

impl Refusal {
    /// The HTTP status and the JSON body.
    pub fn answer(&self) -> (u16, String) {
        let envelope = |status: u16, code: u32, message: &str| {
            let body = serde_json::json!({
                "success": false,
                "status_code": code,
                "status_message": message,
            });
            (status, body.to_string())
        };
        let errors =
            |message: String| (422, serde_json::json!({ "errors": [message] }).to_string());
        match self {
            Refusal::NotFound => {
                envelope(404, 34, "The resource you requested could not be found.")
            }
            Refusal::InvalidKey => {
                envelope(401, 7, "Invalid API key: You must be granted a valid key.")
            }
            Refusal::InvalidPage => envelope(
                400,
                22,
                "Invalid page: Pages start at 1 and max at 500. They are expected to be an integer.",
            ),
            Refusal::InvalidDate(param) => envelope(
                400,
                23,
                &format!("Invalid date: {param} must be formatted as YYYY-MM-DD."),
            ),
            Refusal::TooManyAppends => envelope(
                400,
                27,
                "Too many append to response objects: The maximum number of remote calls is 20.",
            ),
            Refusal::InvalidParam(param) => errors(format!("{param} is not valid")),
            Refusal::QueryRequired => errors("query must be provided".to_owned()),
        }
    }
}

/// Whether a request carries the credential `token`: `Authorization: Bearer T` or `api_key=T`,
/// the two ways TMDB takes one.
pub fn authorized(token: &str, authorization: Option<&str>, api_key: Option<&str>) -> bool {
    authorization.and_then(|a| a.strip_prefix("Bearer ")) == Some(token) || api_key == Some(token)
}
