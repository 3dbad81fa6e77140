//! The HTTP side of tmdb-serve: the small request and response values the routes work with,
//! and the hygiene every answer gets on its way out (ETag and 304, Cache-Control, CORS, gzip,
//! one log line). Routes never see hyper, so tests can call them as plain functions.

use std::io::Write as _;
use std::time::Instant;

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use http_body_util::Full;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

/// What a route needs to know about a request.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `HEAD`, ... as the client sent it.
    pub method: String,
    /// The request target, e.g. `/movies?page=2`.
    pub url: String,
    /// The `Authorization` header, which TMDB's own routes may require (`tmdb-serve --token`).
    pub authorization: Option<String>,
}

/// A route's answer before hygiene: status, body and its content type, extra headers.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
}

/// The JSON content type.
pub const JSON: &str = "application/json";

impl Response {
    /// 200 with a JSON body.
    pub fn json(value: &Value) -> Response {
        Response::json_bytes(serde_json::to_vec(value).unwrap_or_default())
    }

    /// 200 with JSON already written.
    pub fn json_bytes(body: Vec<u8>) -> Response {
        Response {
            status: 200,
            content_type: JSON,
            body,
            headers: Vec::new(),
        }
    }

    /// 200 with fixed bytes (the browse page, the OpenAPI document).
    pub fn asset(content_type: &'static str, body: &'static str) -> Response {
        Response {
            status: 200,
            content_type,
            body: body.as_bytes().to_vec(),
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> Response {
        self.headers.push((name, value));
        self
    }
}

/// An error answer: `{"error":{"status","message","parameter"?}}`.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
    pub parameter: Option<String>,
    pub allow: bool,
    /// What went wrong on our side, for the log only.
    pub cause: Option<String>,
}

/// A database error is a 500, never caused by what a client sent: the client is told no more;
/// the details go to the log where the answer is made (`routes::handle`).
impl From<tmdb_core::read::Error> for ApiError {
    fn from(err: tmdb_core::read::Error) -> ApiError {
        ApiError {
            cause: Some(err.to_string()),
            ..ApiError::internal("internal error reading the database")
        }
    }
}

impl ApiError {
    /// 400, naming the parameter at fault when there is one.
    pub fn bad_request(parameter: Option<&str>, message: String) -> ApiError {
        ApiError {
            status: 400,
            message,
            parameter: parameter.map(str::to_owned),
            allow: false,
            cause: None,
        }
    }

    pub fn not_found(message: String) -> ApiError {
        ApiError {
            status: 404,
            message,
            parameter: None,
            allow: false,
            cause: None,
        }
    }

    /// 405; the answer carries `Allow`.
    pub fn method_not_allowed(method: &str) -> ApiError {
        ApiError {
            status: 405,
            message: format!("method {} is not allowed; use GET or HEAD", quoted(method)),
            parameter: None,
            allow: true,
            cause: None,
        }
    }

    /// Any status, with a message and nothing else.
    pub fn status(status: u16, message: &str) -> ApiError {
        ApiError {
            status,
            message: message.to_owned(),
            parameter: None,
            allow: false,
            cause: None,
        }
    }

    /// 500 for a failure of ours; the details are for the log, not for the client.
    pub fn internal(message: &str) -> ApiError {
        ApiError::status(500, message)
    }

    pub fn into_response(self) -> Response {
        let mut error = json!({"status": self.status, "message": self.message});
        if let Some(parameter) = self.parameter {
            error["parameter"] = Value::String(parameter);
        }
        let mut response = Response::json(&json!({ "error": error }));
        response.status = self.status;
        if self.allow {
            response.headers.push(("Allow", ALLOW.to_owned()));
        }
        response
    }
}

/// The methods every route answers.
pub const ALLOW: &str = "GET, HEAD, OPTIONS";

/// A client's value quoted for an error message, cut short and with control characters
/// escaped so a hostile value cannot forge lines in a log or a terminal.
pub fn quoted(value: &str) -> String {
    quoted_cut(value, 60)
}

/// [`quoted`] with a chosen length.
pub fn quoted_cut(value: &str, max_chars: usize) -> String {
    format!("\"{}\"", escaped(value, max_chars))
}

/// A client's value with control characters (terminal escapes included) and quotes escaped,
/// cut after `max_chars`.
pub fn escaped(value: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (count, c) in value.chars().enumerate() {
        if count == max_chars {
            out.push_str("...");
            break;
        }
        out.extend(c.escape_debug());
    }
    out
}

/// Bodies smaller than this are sent as they are: gzip would save little and cost a frame.
const GZIP_MIN: usize = 1024;

/// Settings for the hygiene pass.
#[derive(Debug, Clone)]
pub struct Hygiene {
    /// `Access-Control-Allow-Origin`.
    pub cors_origin: String,
}

/// The parts of a request the hygiene pass reads.
#[derive(Debug, Default)]
pub struct Negotiation {
    pub accepts_gzip: bool,
    pub if_none_match: Option<String>,
}

impl Negotiation {
    /// Reads the headers; the caller has already refused values that are not ASCII.
    pub fn from_headers(headers: &HeaderMap) -> Negotiation {
        let mut n = Negotiation::default();
        for value in headers.get_all(hyper::header::ACCEPT_ENCODING) {
            n.accepts_gzip |= value.to_str().is_ok_and(accepts_gzip);
        }
        if let Some(value) = headers.get(hyper::header::IF_NONE_MATCH) {
            n.if_none_match = value.to_str().ok().map(str::to_owned);
        }
        n
    }
}

/// True when an `Accept-Encoding` value allows gzip (`gzip;q=0` does not).
fn accepts_gzip(value: &str) -> bool {
    value.split(',').any(|part| {
        let mut pieces = part.split(';').map(str::trim);
        let coding = pieces.next().unwrap_or("");
        let refused = pieces.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

/// The CORS preflight answer (204). Only the headers a read-only API can use are granted,
/// whatever the client asked for.
pub fn preflight() -> Response {
    Response {
        status: 204,
        content_type: "text/plain",
        body: Vec::new(),
        headers: vec![
            ("Allow", ALLOW.to_owned()),
            ("Access-Control-Allow-Methods", ALLOW.to_owned()),
            ("Access-Control-Max-Age", "86400".to_owned()),
            (
                "Access-Control-Allow-Headers",
                "Accept, Accept-Encoding, If-None-Match, Content-Type".to_owned(),
            ),
        ],
    }
}

/// Applies ETag/304, Cache-Control, CORS and gzip, and builds hyper's response.
pub fn finish(
    mut response: Response,
    method: &str,
    n: &Negotiation,
    hygiene: &Hygiene,
) -> hyper::Response<Full<Bytes>> {
    let ok = response.status == 200;
    let cache_control_set = response.headers.iter().any(|(n, _)| *n == "Cache-Control");
    if ok {
        // A weak validator over the body: it changes exactly when what the client would see
        // changes, including mid-load, which a stamp of the last finished load would miss.
        let etag = format!("W/\"{:016x}\"", body_hash(&response.body));
        let matches = n.if_none_match.as_deref().is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t == etag.trim_start_matches("W/"))
        });
        response.headers.push(("ETag", etag));
        if !cache_control_set {
            response.headers.push((
                "Cache-Control",
                "public, max-age=60, stale-while-revalidate=60".to_owned(),
            ));
        }
        if matches && matches!(method, "GET" | "HEAD") {
            response.status = 304;
            response.body.clear();
        }
    } else if response.status >= 400 {
        response
            .headers
            .push(("Cache-Control", "no-store".to_owned()));
    }
    response
        .headers
        .push(("Access-Control-Allow-Origin", hygiene.cors_origin.clone()));
    if hygiene.cors_origin != "*" {
        response.headers.push(("Vary", "Origin".to_owned()));
    }
    let compressible = response.status != 304 && response.body.len() >= GZIP_MIN;
    if compressible {
        response
            .headers
            .push(("Vary", "Accept-Encoding".to_owned()));
        if n.accepts_gzip
            && let Some(gz) = gzip(&response.body)
        {
            response.body = gz;
            response
                .headers
                .push(("Content-Encoding", "gzip".to_owned()));
        }
    }
    let content_type = match response.content_type {
        JSON => "application/json; charset=utf-8",
        "text/html" => "text/html; charset=utf-8",
        "text/javascript" => "text/javascript; charset=utf-8",
        "text/css" => "text/css; charset=utf-8",
        other => other,
    };
    let length = response.body.len();
    // A HEAD answer has the headers of its GET (Content-Length included) and no body.
    let body = if method == "HEAD" {
        Bytes::new()
    } else {
        Bytes::from(response.body)
    };
    let mut out = hyper::Response::new(Full::new(body));
    *out.status_mut() =
        hyper::StatusCode::from_u16(response.status).unwrap_or(hyper::StatusCode::OK);
    let headers = out.headers_mut();
    if response.status != 304 && response.status != 204 {
        add_header(headers, "Content-Type", content_type);
        // Set by hand so that a HEAD answer carries the length its GET would have.
        add_header(headers, "Content-Length", &length.to_string());
    }
    add_header(headers, "Server", "tmdb-serve");
    for (name, value) in &response.headers {
        add_header(headers, name, value);
    }
    out
}

fn add_header(headers: &mut HeaderMap, name: &str, value: &str) {
    // Every value sent is ASCII built here (hex, numbers, fixed text, re-encoded URLs, the
    // origin checked at start-up), so this never drops anything in practice; it must not panic.
    if let (Ok(name), Ok(value)) = (
        HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        headers.append(name, value);
    }
}

fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    // Level 1: most of the saving on JSON for a fraction of the CPU of the default level.
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}

/// The ETag's hash of a body: stable across builds and runs (clients keep ETags), ample for
/// telling bodies apart, and eight bytes a step: multiply by an odd constant (the golden
/// ratio's bits) and fold the high half down, which a multiplication alone never carries to the
/// low bits; the length last, so that trailing zero bytes count. FNV-1a byte by byte was 5% of
/// a list answer's CPU, and it runs again for every answer served from the cache.
fn body_hash(bytes: &[u8]) -> u64 {
    fn step(hash: u64, word: u64) -> u64 {
        let h = (hash ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h ^ (h >> 32)
    }
    let mut chunks = bytes.chunks_exact(8);
    let mut hash = 0xcbf2_9ce4_8422_2325;
    let mut word = [0_u8; 8];
    for chunk in &mut chunks {
        word.copy_from_slice(chunk);
        hash = step(hash, u64::from_le_bytes(word));
    }
    let rest = chunks.remainder();
    word = [0; 8];
    word[..rest.len()].copy_from_slice(rest);
    hash = step(hash, u64::from_le_bytes(word));
    step(hash, bytes.len() as u64)
}

/// Writes one line on stderr. Never panics (as `eprintln!` does when stderr is gone), so that
/// no log line can take down the accept loop or a request.
pub fn warn(message: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "tmdb-serve: {message}");
}

/// Writes the one log line of a request on stderr: method, target, status, bytes, ms. What
/// the client chose is escaped, so it cannot move the cursor or forge a line on a terminal.
pub fn log(method: &str, url: &str, status: u16, bytes: usize, started: Instant) {
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let method = escaped(method, 20);
    let target = quoted_cut(url, 300);
    let line = format!("{method} {target} {status} {bytes} {ms:.2}ms\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_acceptance_follows_q_values() {
        assert!(accepts_gzip("gzip, deflate, br"));
        assert!(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
        assert!(accepts_gzip("*"));
        assert!(!accepts_gzip("gzip;q=0"));
        assert!(!accepts_gzip("identity"));
        assert!(!accepts_gzip(""));
    }

    #[test]
    fn body_hashes_are_stable_and_tell_bodies_apart() {
        // The same from one build and one run to the next (clients keep ETags).
        assert_eq!(body_hash(b""), 0x8603_89c5_7a9c_1205);
        let body = br#"{"page":1,"results":[{"id":550,"title":"Fight Club"}]}"#.to_vec();
        let mut seen = std::collections::HashSet::from([body_hash(&body)]);
        // Any one byte changed, in any position of a word or of the last partial one.
        for at in 0..body.len() {
            let mut changed = body.clone();
            changed[at] ^= 0x80;
            assert!(seen.insert(body_hash(&changed)), "byte {at}");
        }
        let mut longer = body.clone();
        longer.push(0);
        assert!(seen.insert(body_hash(&longer)), "a trailing zero byte");
    }
}
