//! What each `--kind` of line holds, and how one line becomes one [`Record`].
//!
//! Movies, people and genres are read with the mirror's one description of TMDB's records
//! (`tmdb_core::record`): every field TMDB sends has a column or is kept in `extra`, values are
//! kept as sent (`""` stays `""`), and a field of the wrong type refuses the line with its
//! path. Parsing is the parallel half of a load, so it also hashes each movie and person line
//! (`source_hash`), which lets a reload skip records it already holds. Writing is `store.rs`'s
//! job; the small ID and gone lines are read by `id_lines.rs`.

use clap::ValueEnum;
use serde_json::{Map, Value};
use tmdb_core::ids::parse_id_line;
use tmdb_core::record::flatten::{self, Rows};
use tmdb_core::record::scan;

pub use crate::id_lines::{Gone, Id, MovieId};

/// The kinds of input, one per table family (the Makefile's stages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// `{"id","name"}` lines from `tmdb-fetch genres`.
    Genres,
    /// TMDB export lines (`{"adult","id","original_title","popularity","video"}`) or bare IDs.
    MovieIds,
    /// `/movie/{id}?append_to_response=...` objects: the movie with every append.
    Movies,
    /// `/person/{id}` objects.
    People,
    /// `{"id","kind":"movie"|"person"}` lines (tmdb-fetch's gone list): delete and remember.
    Gone,
}

impl Kind {
    /// The keys that tell a line of this kind from others, for a message.
    fn evidence(self) -> &'static str {
        match self {
            Kind::People => "it has a biography or birthday and no title",
            Kind::Movies => "it has a title, release_date, credits or genres",
            Kind::Gone => "it has an id and a kind",
            Kind::Genres => "it has an id and a name and nothing else",
            Kind::MovieIds => "",
        }
    }

    /// The name users type and the summary and `load_log` show.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Genres => "genres",
            Kind::MovieIds => "movie-ids",
            Kind::Movies => "movies",
            Kind::People => "people",
            Kind::Gone => "gone",
        }
    }
}

/// One parsed input line, ready to be written.
#[derive(Debug)]
pub enum Record {
    Genre(Rows),
    MovieId(MovieId),
    Movie(Rows),
    Person(Rows),
    Gone(Gone),
}

/// Why a line was not loaded; `looks_like` names the kind it seems to be when that is not
/// the kind asked for (a whole file of those stops the load: see `batch.rs`).
#[derive(Debug)]
pub struct Rejection {
    pub reason: String,
    pub looks_like: Option<Kind>,
}

impl From<String> for Rejection {
    fn from(reason: String) -> Rejection {
        Rejection {
            reason,
            looks_like: None,
        }
    }
}

/// Parses one non-blank line of `kind`; the error is the reason to report, naming the field.
pub fn parse(kind: Kind, line: &[u8]) -> Result<Record, Rejection> {
    if kind == Kind::MovieIds && line.first().is_some_and(u8::is_ascii_digit) {
        return match parse_id_line(line).map(Id::new) {
            Ok(Some(id)) => Ok(Record::MovieId(MovieId::bare(id))),
            Ok(None) => Err("ID out of range: expected a positive integer"
                .to_owned()
                .into()),
            Err(err) => Err(err.to_string().into()),
        };
    }
    // Most movie and person lines are read without the tree of values; whatever that reading
    // leaves (a refusal to word, an odd line, a line that may be another kind's) is read below
    // from the tree, which gives the same rows.
    let scanned = match kind {
        Kind::Movies => scan::movie(line, hash(line)).map(Record::Movie),
        Kind::People => scan::person(line, hash(line), MOVIE_KEYS).map(Record::Person),
        _ => None,
    };
    if let Some(record) = scanned {
        return Ok(record);
    }
    let map = flatten::object(line).map_err(|refusal| match kind {
        Kind::MovieIds if !refusal.reason.starts_with("invalid JSON") => {
            "not an ID: expected an integer or a JSON object with an integer \"id\"".to_owned()
        }
        _ => refusal.to_string(),
    })?;
    if let Some(other) = looks_like(&map).filter(|&other| other != kind && kind != Kind::MovieIds) {
        return Err(Rejection {
            reason: format!(
                "looks like a line of --kind {} ({}), not {}",
                other.name(),
                other.evidence(),
                kind.name()
            ),
            looks_like: Some(other),
        });
    }
    let refused = |refusal: flatten::Refusal| Rejection::from(refusal.to_string());
    match kind {
        Kind::Genres => flatten::genre(&map).map(Record::Genre).map_err(refused),
        Kind::Movies => {
            require(&map, "title", "a movie")?;
            flatten::movie(&map, hash(line))
                .map(Record::Movie)
                .map_err(refused)
        }
        Kind::People => {
            require(&map, "name", "a person")?;
            flatten::person(&map, hash(line))
                .map(Record::Person)
                .map_err(refused)
        }
        Kind::MovieIds => MovieId::read(&map)
            .map(Record::MovieId)
            .map_err(Rejection::from),
        Kind::Gone => Gone::read(&map).map(Record::Gone).map_err(Rejection::from),
    }
}

/// A record that lacks the key every TMDB record of its kind has is not one: loading it would
/// replace a real record with an empty one.
fn require(map: &Map<String, Value>, key: &str, what: &str) -> Result<(), Rejection> {
    match map.contains_key(key) {
        true => Ok(()),
        false => Err(format!("field \"{key}\" is missing: not {what} record").into()),
    }
}

/// Keys only a movie has. A person line with none of them (and a `name`) is one
/// `looks_like` takes for a person or for nothing: those are the lines `scan::person` reads.
const MOVIE_KEYS: &[&str] = &["title", "release_date", "credits", "runtime", "genres"];

/// The kind a line seems to be, from keys only records of that kind have.
fn looks_like(map: &Map<String, Value>) -> Option<Kind> {
    let has = |keys: &[&str]| keys.iter().any(|key| map.contains_key(*key));
    if has(&["biography", "also_known_as", "place_of_birth", "birthday"]) && !has(&["title"]) {
        Some(Kind::People)
    } else if has(MOVIE_KEYS) {
        Some(Kind::Movies)
    } else if map.contains_key("kind") && map.contains_key("id") && !map.contains_key("name") {
        Some(Kind::Gone)
    } else if map.len() == 2 && map.contains_key("id") && map.contains_key("name") {
        // Every TMDB person has a dozen keys: a line of two would replace one with nothing.
        Some(Kind::Genres)
    } else {
        None
    }
}

/// A 64-bit hash of the line as fetched: the same bytes give the same value in every build and
/// on every machine, which is what `source_hash` needs to recognise a record it already holds.
/// Eight bytes per step (lines are up to megabytes long); every step is a bijection of the
/// state, so a change confined to one 8-byte word always changes the hash.
pub fn hash(bytes: &[u8]) -> i64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h: u64 = 0;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        h = (h.rotate_left(23) ^ w).wrapping_mul(K);
    }
    let mut tail = [0u8; 8];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    h = (h.rotate_left(23) ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    h ^= bytes.len() as u64;
    // MurmurHash3's finaliser, so that nearby inputs land far apart.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    // SQLite integers are signed: keep the bits, not the value.
    h as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use tmdb_core::model::ItemKind;
    use tmdb_core::record::spec;

    fn movie(line: &str) -> Rows {
        match parse(Kind::Movies, line.as_bytes()).unwrap() {
            Record::Movie(rows) => rows,
            other => panic!("{other:?}"),
        }
    }

    fn reason(kind: Kind, line: &str) -> String {
        parse(kind, line.as_bytes()).unwrap_err().reason
    }

    #[test]
    fn movie_values_are_kept_as_sent() {
        let rows = movie(
            r#"{"id":1,"title":"","release_date":"","homepage":"","imdb_id":null,"origin_country":["GB","US"],"softcore":false}"#,
        );
        let (table, row) = &rows.rows[0];
        assert_eq!(table.name, "movie");
        let column = |name: &str| {
            let at = table.columns().position(|c| c == name).unwrap();
            row[at].clone()
        };
        use rusqlite::types::Value as Sql;
        assert_eq!(column("title"), Sql::Text(String::new()));
        assert_eq!(column("release_date"), Sql::Text(String::new()));
        assert_eq!(column("homepage"), Sql::Text(String::new()));
        assert_eq!(column("imdb_id"), Sql::Null);
        assert_eq!(column("origin_country"), Sql::Text(r#"["GB","US"]"#.into()));
        assert_eq!(column("softcore"), Sql::Integer(0));
        assert_eq!(rows.count(&spec::CREDIT), 0);
    }

    #[test]
    fn a_line_of_another_kind_is_named() {
        let person = r#"{"id":5,"name":"X","biography":"b","birthday":null}"#;
        let rejection = parse(Kind::Movies, person.as_bytes()).unwrap_err();
        assert_eq!(rejection.looks_like, Some(Kind::People));
        assert!(
            rejection.reason.contains("--kind people"),
            "{}",
            rejection.reason
        );
        let movie = r#"{"id":5,"title":"X","release_date":""}"#;
        assert_eq!(
            parse(Kind::People, movie.as_bytes())
                .unwrap_err()
                .looks_like,
            Some(Kind::Movies)
        );
        // A genre line given as a person: refused, named; as a genre, read.
        let genre = r#"{"id":28,"name":"Action"}"#;
        let rejection = parse(Kind::People, genre.as_bytes()).unwrap_err();
        assert_eq!(
            rejection.looks_like,
            Some(Kind::Genres),
            "{}",
            rejection.reason
        );
        assert!(parse(Kind::Genres, genre.as_bytes()).is_ok());
        assert!(parse(Kind::People, br#"{"id":28,"name":"A","gender":0}"#).is_ok());
        // A movie line with a person's `name` too, whichever key tells it for a movie.
        for key in MOVIE_KEYS {
            let line = format!(r#"{{"id":5,"name":"X","{key}":null}}"#);
            let rejection = parse(Kind::People, line.as_bytes()).unwrap_err();
            assert_eq!(rejection.looks_like, Some(Kind::Movies), "{line}");
        }
        assert_eq!(
            reason(Kind::Movies, r#"{"id":901}"#),
            "field \"title\" is missing: not a movie record"
        );
    }

    #[test]
    fn names_the_wrong_field() {
        let cases = [
            (
                Kind::Movies,
                r#"{"id":1,"title":"x","runtime":"120"}"#,
                "field \"runtime\" is not an integer (found a string)",
            ),
            (Kind::Movies, r#"{"title":"x"}"#, "field \"id\" is missing"),
            (
                Kind::Movies,
                r#"{"id":"7","title":"x"}"#,
                "field \"id\" is not a positive integer (found a string)",
            ),
            (
                Kind::Movies,
                r#"{"id":-7,"title":"x"}"#,
                "field \"id\" is not a positive integer (found a negative number)",
            ),
            (
                Kind::Movies,
                r#"{"id":1,"title":"x","genres":[{"id":2,"name":"a"},{"name":"x"}]}"#,
                "field \"genres[1].id\" is missing",
            ),
            (
                Kind::Movies,
                r#"{"id":901,"title":"x","credits":[]}"#,
                "field \"credits\" is not an object (found a list)",
            ),
            (
                Kind::Movies,
                r#"{"id":1,"title":"x","credits":{"cast":[],"crew":[{"credit_id":"a","id":2,"order":1.5}]}}"#,
                "field \"credits.crew[0].order\" is not an integer (found a fractional number)",
            ),
            (
                Kind::Movies,
                r#"{"id":1,"title":"x","translations":{"translations":[{"data":{"runtime":"9"}}]}}"#,
                "field \"translations.translations[0].data.runtime\" is not an integer (found a string)",
            ),
            (
                Kind::People,
                r#"{"id":1,"name":"x","also_known_as":["a",3]}"#,
                "field \"also_known_as[1]\" is not a string (found a number)",
            ),
            (
                Kind::Gone,
                r#"{"id":1,"kind":"tv"}"#,
                "field \"kind\" is not \"movie\" or \"person\" (found a string)",
            ),
            (Kind::Gone, r#"{"kind":"movie"}"#, "field \"id\" is missing"),
            (
                Kind::Gone,
                r#"{"id":4,"kind":null}"#,
                "field \"kind\" is missing",
            ),
            (
                Kind::MovieIds,
                r#"{"id":-3}"#,
                "field \"id\" is not a positive integer (found a negative number)",
            ),
            (
                Kind::MovieIds,
                r#"{"id":3,"popularity":"high"}"#,
                "field \"popularity\" is not a number (found a string)",
            ),
            (
                Kind::MovieIds,
                r#"{"id":3,"adult":0}"#,
                "field \"adult\" is not true or false (found a number)",
            ),
            (
                Kind::Genres,
                r#"[902,"x"]"#,
                "expected a JSON object, found a list",
            ),
            (
                Kind::Gone,
                r#"[903,"movie"]"#,
                "expected a JSON object, found a list",
            ),
            (
                Kind::MovieIds,
                r#""5""#,
                "not an ID: expected an integer or a JSON object with an integer \"id\"",
            ),
        ];
        for (kind, line, want) in cases {
            assert_eq!(reason(kind, line), want, "{line}");
        }
        let bad = reason(Kind::Movies, r#"{"id":1,"title":"x""#);
        assert!(bad.starts_with("invalid JSON: "), "{bad}");
    }

    #[test]
    fn movie_ids_take_export_lines_and_bare_ids() {
        match parse(Kind::MovieIds, b"603").unwrap() {
            Record::MovieId(m) => assert!(m.id == Id(603) && m.is_bare),
            other => panic!("{other:?}"),
        }
        let line = br#"{"adult":false,"id":3924,"original_title":"Blondie","popularity":2.4,"video":false}"#;
        match parse(Kind::MovieIds, line).unwrap() {
            Record::MovieId(m) => {
                assert!(m.id == Id(3924) && !m.is_bare);
                assert_eq!(m.original_title.as_deref(), Some("Blondie"));
            }
            other => panic!("{other:?}"),
        }
        match parse(
            Kind::MovieIds,
            br#"{"id":7,"popularity":3,"adult":null,"x":[]}"#,
        )
        .unwrap()
        {
            Record::MovieId(m) => {
                assert!(m.id == Id(7) && !m.is_bare && m.adult.is_none());
                assert_eq!((m.popularity, m.original_title), (Some(3.0), None));
            }
            other => panic!("{other:?}"),
        }
        match parse(Kind::Gone, br#"{"id":9,"kind":"person","status":404}"#).unwrap() {
            Record::Gone(g) => assert!(g.id == Id(9) && g.kind == ItemKind::Person),
            other => panic!("{other:?}"),
        }
        assert!(parse(Kind::MovieIds, b"0").is_err());
        assert!(parse(Kind::MovieIds, b"9223372036854775808").is_err());
    }

    #[test]
    fn hash_is_stable_and_tells_lines_apart() {
        let line = br#"{"id":1,"title":"Heat","runtime":170}"#;
        // Stored in databases: a new value here means every mirror reloads everything once.
        assert_eq!(hash(line), 4_529_749_422_699_636_868);
        let mut seen = std::collections::HashSet::new();
        for cut in 0..=line.len() {
            assert!(seen.insert(hash(&line[..cut])), "prefix {cut}");
        }
        for at in 0..line.len() {
            let mut changed = line.to_vec();
            changed[at] ^= 1;
            assert!(seen.insert(hash(&changed)), "byte {at}");
        }
    }
}
