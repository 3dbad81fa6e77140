//! ID lines: what `tmdb-fetch` reads, and what `--skip` files are scanned for.
//!
//! docs/data-contract.md ("NDJSON lines"): an ID line is a bare integer or a JSON object with an
//! integer `id` field, so that any stage's output, a `failed` file, or `jq '.id'` output can be
//! piped straight back in. TMDB's IDs are positive; anything else on such a line is an error the
//! caller reports with the line's position.

use std::fmt;

use serde::Deserialize;

/// Why a line is not an ID line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdError {
    /// Neither digits nor a JSON object.
    NotAnId,
    /// Digits, but zero or too large for an ID.
    OutOfRange,
    /// A JSON object that does not parse.
    BadJson(String),
    /// A JSON object without an `id` field.
    MissingId,
    /// A JSON object whose `id` is not a positive integer.
    IdNotInteger,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdError::NotAnId => f.write_str(
                "not an ID: expected an integer or a JSON object with an integer \"id\"",
            ),
            IdError::OutOfRange => f.write_str("ID out of range: expected a positive integer"),
            IdError::BadJson(err) => write!(f, "invalid JSON: {err}"),
            IdError::MissingId => f.write_str("no \"id\" field"),
            IdError::IdNotInteger => f.write_str("field \"id\" is not a positive integer"),
        }
    }
}

impl std::error::Error for IdError {}

/// Reads the ID from one non-blank line (as [`crate::ndjson::LineReader`] yields it).
pub fn parse_id_line(line: &[u8]) -> Result<u64, IdError> {
    let text = line.trim_ascii();
    match text.first() {
        Some(b'0'..=b'9') => parse_digits(text),
        Some(b'{') => parse_object(text),
        _ => Err(IdError::NotAnId),
    }
}

fn parse_digits(text: &[u8]) -> Result<u64, IdError> {
    if !text.iter().all(u8::is_ascii_digit) {
        return Err(IdError::NotAnId);
    }
    // All ASCII digits, so this is valid UTF-8; parse fails only on overflow.
    let id: u64 = std::str::from_utf8(text)
        .map_err(|_| IdError::NotAnId)?
        .parse()
        .map_err(|_| IdError::OutOfRange)?;
    if id == 0 {
        Err(IdError::OutOfRange)
    } else {
        Ok(id)
    }
}

/// Only `id` is looked at; serde skips every other field without allocating, which matters
/// when `--skip` scans movie lines of several hundred kilobytes.
#[derive(Deserialize)]
struct IdField {
    id: Option<serde_json::Number>,
}

fn parse_object(text: &[u8]) -> Result<u64, IdError> {
    let record: IdField = serde_json::from_slice(text).map_err(|err| {
        if err.is_data() && err.to_string().starts_with("invalid type") {
            IdError::IdNotInteger
        } else {
            IdError::BadJson(err.to_string())
        }
    })?;
    let id = record.id.ok_or(IdError::MissingId)?;
    match id.as_u64() {
        Some(0) | None => Err(IdError::IdNotInteger),
        Some(id) => Ok(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lines() {
        let cases: &[(&str, Result<u64, IdError>)] = &[
            ("550", Ok(550)),
            ("  550 ", Ok(550)),
            (r#"{"id":550}"#, Ok(550)),
            (
                r#"{"adult":false,"id":12,"title":"x","credits":{"cast":[{"id":9}]}}"#,
                Ok(12),
            ),
            (
                r#"{"id":550,"status":404,"error":"gone","attempts":1}"#,
                Ok(550),
            ),
            ("0", Err(IdError::OutOfRange)),
            ("99999999999999999999999", Err(IdError::OutOfRange)),
            ("-5", Err(IdError::NotAnId)),
            ("12a", Err(IdError::NotAnId)),
            ("1.5", Err(IdError::NotAnId)),
            ("\"550\"", Err(IdError::NotAnId)),
            ("tt0137523", Err(IdError::NotAnId)),
            (r#"{"title":"x"}"#, Err(IdError::MissingId)),
            (r#"{"id":"550"}"#, Err(IdError::IdNotInteger)),
            (r#"{"id":5.5}"#, Err(IdError::IdNotInteger)),
            (r#"{"id":-3}"#, Err(IdError::IdNotInteger)),
            (r#"{"id":0}"#, Err(IdError::IdNotInteger)),
            (r#"{"id":null}"#, Err(IdError::MissingId)),
        ];
        for (line, want) in cases {
            assert_eq!(&parse_id_line(line.as_bytes()), want, "line {line:?}");
        }
    }

    #[test]
    fn broken_json_is_reported_as_such() {
        let err = parse_id_line(br#"{"id":550,"tit"#).unwrap_err();
        assert!(matches!(err, IdError::BadJson(_)), "{err:?}");
        assert!(err.to_string().starts_with("invalid JSON: "), "{err}");
    }
}
