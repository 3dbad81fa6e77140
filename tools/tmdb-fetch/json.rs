//! TMDB's bodies as tmdb-fetch needs them: a record checked and compacted onto one line with
//! its fields untouched (unknown fields, key order and number spelling kept), a one-line
//! message out of any of TMDB's error shapes (docs/tmdb.md, "Errors"), and the paged list envelope.

use serde::Deserialize;

/// Checks that `body` is one JSON object with a positive integer top-level `id`, and returns
/// it on one line. JSON strings cannot hold raw line breaks, so a body without `\n`/`\r` is
/// already one line and is kept byte for byte; otherwise whitespace outside strings is
/// removed.
///
/// Only the start of the body is read to find `id` (TMDB sends it among the first fields,
/// before the appended sub-resources that make up most of a 300 kB record): parsing the whole
/// body cost more CPU than everything else tmdb-fetch does per record. A body cut short is
/// caught by HTTP's framing (Content-Length or the chunked terminator) and by the closing
/// brace checked here; ndjson-load validates every line it loads.
pub fn record_line(mut body: Vec<u8>) -> Result<(u64, Vec<u8>), String> {
    // `contains` on bytes is a vectorised memchr.
    if body.contains(&b'\n') || body.contains(&b'\r') {
        body = compact(&body);
    }
    let trimmed = body.trim_ascii();
    if trimmed.len() != body.len() {
        body = trimmed.to_vec();
    }
    if body.last() != Some(&b'}') {
        return Err("not a whole JSON object (no closing brace)".to_owned());
    }
    let id = top_level_id(&body)?;
    Ok((id, body))
}

/// The value of the top-level `id` key of the JSON object `text`, reading no further than
/// that key's value. Nested objects and arrays are skipped by their brackets; strings by
/// their quotes, escapes included.
fn top_level_id(text: &[u8]) -> Result<u64, String> {
    const NO_ID: &str = "no \"id\" field";
    let bad = || "invalid JSON before the \"id\" field".to_owned();
    if text.first() != Some(&b'{') {
        return Err("not a JSON object".to_owned());
    }
    let mut at = 1;
    let mut depth = 1usize;
    let mut expect_key = true;
    while let Some(&b) = text.get(at) {
        match b {
            b'"' => {
                let end = string_end(text, at).ok_or_else(bad)?;
                if depth == 1 && expect_key {
                    let colon = skip_whitespace(text, end);
                    if text.get(colon) != Some(&b':') {
                        return Err(bad());
                    }
                    if &text[at + 1..end - 1] == b"id" {
                        return id_value(&text[skip_whitespace(text, colon + 1)..]);
                    }
                    expect_key = false;
                    at = colon + 1;
                } else {
                    at = end;
                }
            }
            b'{' | b'[' => {
                depth += 1;
                at += 1;
            }
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Err(NO_ID.to_owned());
                }
                at += 1;
            }
            b',' => {
                expect_key = depth == 1;
                at += 1;
            }
            _ => at += 1,
        }
    }
    Err(NO_ID.to_owned())
}

/// The index just past the string that opens at `start` (a `"`).
fn string_end(text: &[u8], start: usize) -> Option<usize> {
    let mut at = start + 1;
    loop {
        let next = text
            .get(at..)?
            .iter()
            .position(|&b| b == b'"' || b == b'\\')?;
        at += next;
        if text[at] == b'"' {
            return Some(at + 1);
        }
        at += 2; // a backslash and the character it escapes
    }
}

fn skip_whitespace(text: &[u8], mut at: usize) -> usize {
    while text.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// A positive integer that ends where a JSON value ends.
fn id_value(text: &[u8]) -> Result<u64, String> {
    let not_integer = || "field \"id\" is not a positive integer".to_owned();
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    let ends = matches!(text.get(digits), Some(b',' | b'}' | b' ' | b'\t'));
    if digits == 0 || !ends {
        return Err(not_integer());
    }
    match std::str::from_utf8(&text[..digits])
        .ok()
        .and_then(|d| d.parse::<u64>().ok())
    {
        Some(0) | None => Err(not_integer()),
        Some(id) => Ok(id),
    }
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
        for bad in [
            r#"{"id":"5"}"#,
            r#"{"id":-5}"#,
            r#"{"id":5.5}"#,
            r#"{"id":0}"#,
        ] {
            assert_eq!(
                record_line(bad.as_bytes().to_vec()).unwrap_err(),
                "field \"id\" is not a positive integer",
                "{bad}"
            );
        }
    }

    #[test]
    fn only_the_top_level_id_counts() {
        let cases: &[(&str, Result<u64, &str>)] = &[
            (r#"{"id":7}"#, Ok(7)),
            (r#"{ "id" : 7 , "x":1}"#, Ok(7)),
            (r#"{"a":{"id":1},"b":[{"id":2}],"id":3}"#, Ok(3)),
            (r#"{"s":"\"id\":4,","id":5}"#, Ok(5)),
            (r#"{"s":"a\\","id":6}"#, Ok(6)),
            (r#"{"kid":1,"x":"id","id":8}"#, Ok(8)),
            (r#"{"a":{"id":1}}"#, Err("no \"id\" field")),
            (r#"{"a":[1,"id",2]}"#, Err("no \"id\" field")),
            (r#"{"a":"\"#, Err("invalid JSON before the \"id\" field")),
        ];
        for (text, want) in cases {
            let got = top_level_id(text.as_bytes());
            assert_eq!(got, want.map_err(str::to_owned), "{text}");
        }
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
