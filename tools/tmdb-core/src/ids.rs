//! ID lines: what `tmdb-fetch` reads, and what `--skip` files are scanned for.
//!
//! docs/data-contract.md ("NDJSON lines"): an ID line is a bare integer or a JSON object with an
//! integer `id` field, so that any stage's output, a `failed` file, or `jq '.id'` output can be
//! piped straight back in. TMDB's IDs are positive; anything else on such a line is an error the
//! caller reports with the line's position.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

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
    parse_id_entry(line, &[]).map(|entry| entry.id)
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

/// What an ID line says besides its ID.
#[derive(Debug, Clone, PartialEq)]
pub struct IdEntry {
    /// The ID, positive.
    pub id: u64,
    /// The line's numeric `popularity` (export lines, TMDB's records, `ndjson-ids` output):
    /// fetches take the most popular first. Anything but a number there counts as none.
    pub popularity: Option<f64>,
    /// Bit i is set when the object has the top-level key `keys[i]` of the call: how
    /// `tmdb-fetch --skip` tells a record that lacks an asked-for append from a whole one.
    pub keys: u64,
}

/// Reads the ID, the popularity and which of `keys` (at most 64) an ID line has.
pub fn parse_id_entry(line: &[u8], keys: &[&str]) -> Result<IdEntry, IdError> {
    let text = line.trim_ascii();
    match text.first() {
        Some(b'0'..=b'9') => parse_digits(text).map(|id| IdEntry {
            id,
            popularity: None,
            keys: 0,
        }),
        Some(b'{') => parse_object(text, keys),
        _ => Err(IdError::NotAnId),
    }
}

/// One pass over the object that looks only at its top-level keys: values other than `id`
/// and `popularity` are skipped without allocating, which matters when `--skip` scans movie
/// lines of several hundred kilobytes.
fn parse_object(text: &[u8], keys: &[&str]) -> Result<IdEntry, IdError> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let seen = TopLevel { keys }
        .deserialize(&mut de)
        .and_then(|seen| de.end().map(|()| seen))
        .map_err(|err| IdError::BadJson(err.to_string()))?;
    let id = match seen.id {
        Some(serde_json::Value::Number(id)) => id,
        Some(serde_json::Value::Null) | None => return Err(IdError::MissingId),
        Some(_) => return Err(IdError::IdNotInteger),
    };
    match id.as_u64() {
        Some(0) | None => Err(IdError::IdNotInteger),
        Some(id) => Ok(IdEntry {
            id,
            popularity: seen.popularity,
            keys: seen.keys,
        }),
    }
}

/// What one pass over an object's top level collects.
struct Seen {
    id: Option<serde_json::Value>,
    popularity: Option<f64>,
    keys: u64,
}

/// Reads an object's top level, keeping `id`, `popularity` and which of `keys` it has.
struct TopLevel<'k> {
    keys: &'k [&'k str],
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_> {
    type Value = Seen;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Seen, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = Seen;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Seen, A::Error> {
        let mut seen = Seen {
            id: None,
            popularity: None,
            keys: 0,
        };
        while let Some(key) = map.next_key_seed(KeyName { keys: self.keys })? {
            match key {
                Key::Id => seen.id = Some(map.next_value()?),
                Key::Popularity => {
                    seen.popularity = map.next_value::<serde_json::Value>()?.as_f64();
                }
                Key::Wanted(i) => {
                    map.next_value::<IgnoredAny>()?;
                    seen.keys |= 1 << i;
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(seen)
    }
}

enum Key {
    Id,
    Popularity,
    /// The index of the key in [`TopLevel::keys`].
    Wanted(usize),
    Other,
}

/// Names a key without copying it.
struct KeyName<'k> {
    keys: &'k [&'k str],
}

impl<'de> DeserializeSeed<'de> for KeyName<'_> {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyName<'_> {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Key, E> {
        Ok(match key {
            "id" => Key::Id,
            "popularity" => Key::Popularity,
            _ => self
                .keys
                .iter()
                .take(64)
                .position(|k| *k == key)
                .map_or(Key::Other, Key::Wanted),
        })
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
    fn entries_carry_popularity_and_the_keys_asked_about() {
        let keys = ["title", "credits", "watch/providers"];
        let entry = |line: &str| parse_id_entry(line.as_bytes(), &keys).unwrap();
        assert_eq!(
            entry(r#"{"id":7,"title":"x","popularity":12.5,"watch/providers":{"results":{}}}"#),
            IdEntry {
                id: 7,
                popularity: Some(12.5),
                keys: 0b101
            }
        );
        // Only the top level counts: a nested "credits" is not the append.
        let nested = entry(r#"{"id":7,"credits\u0021":1,"x":{"credits":{}},"popularity":3}"#);
        assert_eq!((nested.keys, nested.popularity), (0, Some(3.0)));
        assert_eq!(entry(r#"{"popularity":"high","id":7}"#).popularity, None);
        assert_eq!(entry(r#"{"id":7,"popularity":null}"#).popularity, None);
        assert_eq!(
            entry("550"),
            IdEntry {
                id: 550,
                popularity: None,
                keys: 0
            }
        );
        // An escaped key is read as its text.
        assert_eq!(entry(r#"{"id":7,"t\u0069tle":""}"#).keys, 1);
        assert_eq!(
            parse_id_entry(br#"{"id":7} {"id":8}"#, &keys),
            Err(IdError::BadJson(
                "trailing characters at line 1 column 10".to_owned()
            ))
        );
    }

    #[test]
    fn broken_json_is_reported_as_such() {
        let err = parse_id_line(br#"{"id":550,"tit"#).unwrap_err();
        assert!(matches!(err, IdError::BadJson(_)), "{err:?}");
        assert!(err.to_string().starts_with("invalid JSON: "), "{err}");
    }
}
