//! The records tmdb-mirror's own tools exchange, besides TMDB's objects (which travel as TMDB
//! sent them, unknown fields included, and are typed only where they are consumed).

use serde::{Deserialize, Serialize};

/// What an ID names: TMDB keeps movies and people in separate ID spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// `/movie/{id}`
    Movie,
    /// `/person/{id}`
    Person,
}

impl ItemKind {
    /// `movie` or `person`, as in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Movie => "movie",
            ItemKind::Person => "person",
        }
    }
}

/// One line of a `--failed` file (an ID that still failed after every retry) or of a `--gone`
/// file (an ID TMDB answered 404 / status_code 34 for). Both can be piped back into
/// `tmdb-fetch`, and gone files into `ndjson-load --kind gone`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedRecord {
    /// The TMDB ID.
    pub id: u64,
    /// Movie or person.
    pub kind: ItemKind,
    /// The last HTTP status, when a response came back at all.
    pub status: Option<u16>,
    /// What went wrong: TMDB's message, or the error kind (`timeout`, `connection`,
    /// `truncated`, `invalid_json`, `gone`...).
    pub error: String,
    /// How many requests were made for this ID.
    pub attempts: u32,
}

/// A movie genre, as `/genre/movie/list` lists it and `tmdb-fetch genres` writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Genre {
    /// TMDB's genre ID (28 Action, 10751 Family...).
    pub id: u64,
    /// The English name.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_records_round_trip_and_read_as_id_lines() {
        let rec = FailedRecord {
            id: 550,
            kind: ItemKind::Movie,
            status: Some(404),
            error: "gone".into(),
            attempts: 1,
        };
        let line = serde_json::to_string(&rec).unwrap();
        assert_eq!(
            line,
            r#"{"id":550,"kind":"movie","status":404,"error":"gone","attempts":1}"#
        );
        assert_eq!(serde_json::from_str::<FailedRecord>(&line).unwrap(), rec);
        assert_eq!(crate::ids::parse_id_line(line.as_bytes()), Ok(550));
    }
}
