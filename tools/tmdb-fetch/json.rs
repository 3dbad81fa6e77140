//! TMDB's bodies as tmdb-fetch needs them: a record checked and compacted onto one line with
//! its fields untouched (unknown fields, key order and number spelling kept), a one-line
//! message out of any of TMDB's error shapes (REFERENCE.md §2), and the paged list envelope.

use serde::Deserialize;

/// Checks that `body` is one JSON object with a positive integer `id`, and returns it on one
/// line. JSON strings cannot hold raw line breaks, so a body without `\n`/`\r` is already one
/// line and is kept byte for byte; otherwise whitespace outside strings is removed.
pub fn record_line(mut body: Vec<u8>) -> Result<(u64, Vec<u8>), String> {
    if body.iter().any(|&b| b == b'\n' || b == b'\r') {
        body = compact(&body);
    }
    let trimmed = body.trim_ascii();
    if trimmed.len() != body.len() {
        body = trimmed.to_vec();
    }
    // One pass: reading the `id` parses (and so checks) every other field too, and refuses
    // anything after the object.
    let id = tmdb_core::ids::parse_id_line(&body).map_err(|err| err.to_string())?;
    Ok((id, body))
}

/// Removes whitespace outside strings.
fn compact(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for &b in text {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if !b.is_ascii_whitespace() {
            if b == b'"' {
                in_string = true;
            }
            out.push(b);
        }
    }
    out
}

#[derive(Deserialize)]
struct ErrorBody {
    status_code: Option<i64>,
    status_message: Option<String>,
    errors: Option<Vec<serde_json::Value>>,
}

/// TMDB's message in an error body (`status_message`, or the 422 `errors` list), else a note
/// that the body was not TMDB's JSON (a CDN page). Kept short: it ends up on one line. The
/// server's words go through `scrub` whole, before they are shortened, so that a secret they
/// echo cannot survive in part.
pub fn error_message(body: &[u8], scrub: impl Fn(&str) -> String) -> String {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(ErrorBody {
            status_message: Some(message),
            status_code,
            ..
        }) => match status_code {
            Some(code) => format!("{} (status_code {code})", one_line(&scrub(&message))),
            None => one_line(&scrub(&message)),
        },
        Ok(ErrorBody {
            errors: Some(errors),
            ..
        }) => {
            let text = errors
                .iter()
                .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join("; ");
            one_line(&scrub(&text))
        }
        _ if body.is_empty() => "empty body".to_owned(),
        _ => "non-JSON body".to_owned(),
    }
}

fn one_line(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(200) {
        Some((at, _)) => format!("{}...", &flat[..at]),
        None => flat,
    }
}

/// One page of a paged list (discover, changes). Totals may be missing in odd answers; the
/// caller then sees one page.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    #[serde(default)]
    pub results: Vec<T>,
    #[serde(default)]
    pub total_pages: u32,
    #[serde(default)]
    pub total_results: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_kept_byte_for_byte_or_compacted_onto_one_line() {
        let raw = br#"{"id":550,"title":"Fight Club","x":1.50,"new_field":{"a":[]}}"#.to_vec();
        assert_eq!(record_line(raw.clone()).unwrap(), (550, raw));
        let pretty = b"{\n  \"id\": 7,\n  \"title\": \"a \\\" b\\n\\\\\",\n  \"t\": \"x  y\"\n}\n";
        let (id, line) = record_line(pretty.to_vec()).unwrap();
        assert_eq!(id, 7);
        assert_eq!(line, br#"{"id":7,"title":"a \" b\n\\","t":"x  y"}"#);
    }

    #[test]
    fn records_without_an_id_or_cut_short_are_refused() {
        assert!(record_line(br#"{"id":550,"title":"Fi"#.to_vec()).is_err());
        assert!(record_line(b"<html>502</html>".to_vec()).is_err());
        assert_eq!(
            record_line(br#"{"title":"x"}"#.to_vec()).unwrap_err(),
            "no \"id\" field"
        );
        assert!(record_line(br#"{"id":1} {"id":2}"#.to_vec()).is_err());
    }

    #[test]
    fn error_messages_from_every_shape() {
        let cases: &[(&[u8], &str)] = &[
            (
                br#"{"success":false,"status_code":34,"status_message":"The resource you requested could not be found."}"#,
                "The resource you requested could not be found. (status_code 34)",
            ),
            (
                br#"{"status_code":25,"status_message":"Your request count (46) is over the allowed limit of 40."}"#,
                "Your request count (46) is over the allowed limit of 40. (status_code 25)",
            ),
            (
                br#"{"errors":["query must be provided","page must be less than or equal to 500"]}"#,
                "query must be provided; page must be less than or equal to 500",
            ),
            (b"<html><body>502 Bad Gateway</body></html>", "non-JSON body"),
            (b"", "empty body"),
        ];
        for (body, want) in cases {
            assert_eq!(error_message(body, str::to_owned), *want);
        }
    }

    #[test]
    fn an_echoed_secret_is_scrubbed_before_the_message_is_shortened() {
        let secret = "s3cr3t-token";
        let scrub = |text: &str| text.replace(secret, "***");
        // The secret straddles the 200th character, where the message is cut.
        let message = format!("{}Bearer {secret} is not valid", "x".repeat(195));
        let body = serde_json::json!({"status_code": 7, "status_message": message}).to_string();
        let text = error_message(body.as_bytes(), scrub);
        assert!(!text.contains("s3cr"), "{text}");
        let body = serde_json::json!({"errors": [format!("bad {secret}"), "x"]}).to_string();
        assert_eq!(error_message(body.as_bytes(), scrub), "bad ***; x");
    }
}
