//! TMDB's error answers, with TMDB's status codes and messages (docs/tmdb.md, "Errors").

use crate::http::Response;

/// An error answer: the HTTP status and the JSON body.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub body: Vec<u8>,
}

impl ApiError {
    pub fn into_response(self) -> Response {
        Response::json(self.status, self.body)
    }
}

/// The classic envelope `{"success":false,"status_code":N,"status_message":"..."}`.
pub fn envelope(status: u16, code: u32, message: &str) -> ApiError {
    let message = serde_json::to_string(message).expect("strings serialize");
    let body = format!("{{\"success\":false,\"status_code\":{code},\"status_message\":{message}}}");
    ApiError {
        status,
        body: body.into_bytes(),
    }
}

/// 404 / 34: a deleted or unknown ID, or an unknown path.
pub fn not_found() -> ApiError {
    envelope(404, 34, "The resource you requested could not be found.")
}

/// 401 / 7: missing or wrong token.
pub fn invalid_key() -> ApiError {
    envelope(401, 7, "Invalid API key: You must be granted a valid key.")
}

/// 429 / 25.
pub fn rate_limited(count: u64, limit: f64) -> ApiError {
    envelope(
        429,
        25,
        &format!("Your request count ({count}) is over the allowed limit of {limit}."),
    )
}

/// 400 / 22: page outside 1..=500.
pub fn invalid_page() -> ApiError {
    envelope(
        400,
        22,
        "Invalid page: Pages start at 1 and max at 500. They are expected to be an integer.",
    )
}

/// 400 / 27: more than 20 `append_to_response` items.
pub fn too_many_appends() -> ApiError {
    envelope(
        400,
        27,
        "Too many append to response objects: The maximum number of remote calls is 20.",
    )
}

/// 422 / 20: a changes window longer than 14 days.
pub fn date_range_too_long() -> ApiError {
    envelope(
        422,
        20,
        "Invalid date range: Should be a range no longer than 14 days.",
    )
}

/// 400 / 23: a date parameter that is not `YYYY-MM-DD`.
pub fn invalid_date(param: &str) -> ApiError {
    envelope(
        400,
        23,
        &format!("Invalid date: {param} must be formatted as YYYY-MM-DD."),
    )
}

/// 422 in the validation shape `{"errors":[...]}`.
pub fn invalid_param(param: &str) -> ApiError {
    let text = serde_json::to_string(&format!("{param} is not valid")).expect("strings serialize");
    ApiError {
        status: 422,
        body: format!("{{\"errors\":[{text}]}}").into_bytes(),
    }
}

/// 405 / 42: the API only reads.
pub fn method_not_allowed() -> ApiError {
    envelope(
        405,
        42,
        "The request method is not supported for this resource.",
    )
}

/// One of TMDB's refusals as tmdb-core words it (the `/3` routes both servers answer).
pub fn refused(refusal: tmdb_core::tmdb::Refusal) -> ApiError {
    let (status, body) = refusal.answer();
    ApiError {
        status,
        body: body.into_bytes(),
    }
}
