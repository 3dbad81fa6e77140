//! What each `--kind` of line holds, typed, and how one line becomes one [`Record`].
//!
//! The types name only the fields the schema stores (DESIGN.md "Storage"); everything else TMDB
//! sends (images, keywords, fields added without notice) is skipped here and stays in the NDJSON
//! files. Parsing is the parallel half of a load, so it also does the normalising that needs no
//! database: TMDB's `""` for "no value" becomes `None` where the schema stores NULL, lists become
//! JSON array text, and each movie and person gets the hash of its line (`source_hash`) that lets
//! a reload skip records it already holds. Writing is `store.rs`'s job; naming the field of a
//! line that does not fit is `check.rs`'s.

use clap::ValueEnum;
use serde::Deserialize;
use tmdb_core::ids::parse_id_line;
use tmdb_core::model::ItemKind;

use crate::check;

/// The kinds of input, one per table family (the Makefile's stages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// `{"id","name"}` lines from `tmdb-fetch genres`.
    Genres,
    /// TMDB export lines (`{"adult","id","original_title","popularity","video"}`) or bare IDs.
    MovieIds,
    /// `/movie/{id}?append_to_response=credits` objects: movie, genres, cast and crew.
    Movies,
    /// `/person/{id}` objects.
    People,
    /// `{"id","kind":"movie"|"person"}` lines (tmdb-fetch's gone list): delete and remember.
    Gone,
}

impl Kind {
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
    Genre(Genre),
    MovieId(MovieId),
    Movie(Box<Movie>),
    Person(Box<Person>),
    Gone(Gone),
}

/// A TMDB ID: a positive integer that also fits SQLite's signed 64-bit integers, checked while
/// parsing so that an absurd ID is a rejected line rather than a failed batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Id(pub i64);

impl Id {
    fn new(id: u64) -> Option<Id> {
        i64::try_from(id).ok().filter(|&id| id > 0).map(Id)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Id, D::Error> {
        let id = u64::deserialize(deserializer)?;
        Id::new(id).ok_or_else(|| serde::de::Error::custom("ID out of range"))
    }
}

impl rusqlite::ToSql for Id {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        self.0.to_sql()
    }
}

/// A genre, as `/genre/movie/list` lists it and `tmdb-fetch genres` writes it.
#[derive(Debug, Deserialize)]
pub struct Genre {
    pub id: Id,
    pub name: String,
}

/// A line of stage 2's ID list. A bare ID carries no values: it adds the ID if missing and
/// leaves an existing row as it is.
#[derive(Debug, Deserialize)]
pub struct MovieId {
    pub id: Id,
    pub adult: Option<bool>,
    pub video: Option<bool>,
    pub popularity: Option<f64>,
    pub original_title: Option<String>,
    #[serde(skip)]
    pub is_bare: bool,
}

/// A movie as `/movie/{id}?append_to_response=credits` describes it.
#[derive(Debug, Deserialize)]
pub struct Movie {
    pub id: Id,
    pub title: Option<String>,
    pub original_title: Option<String>,
    pub original_language: Option<String>,
    pub overview: Option<String>,
    pub release_date: Option<String>,
    pub runtime: Option<i64>,
    pub status: Option<String>,
    pub adult: Option<bool>,
    pub video: Option<bool>,
    pub poster_path: Option<String>,
    pub backdrop_path: Option<String>,
    pub vote_average: Option<f64>,
    pub vote_count: Option<i64>,
    pub popularity: Option<f64>,
    pub budget: Option<i64>,
    pub revenue: Option<i64>,
    pub imdb_id: Option<String>,
    pub homepage: Option<String>,
    pub tagline: Option<String>,
    pub belongs_to_collection: Option<Collection>,
    #[serde(deserialize_with = "json_list")]
    #[serde(default)]
    pub origin_country: Option<String>,
    /// `None` when the record has no `genres` key: the movie keeps the genres it has.
    pub genres: Option<Vec<GenreRef>>,
    /// `None` when the record has no `credits` key (fetched without the append): the movie
    /// keeps the credits it has.
    pub credits: Option<Credits>,
    #[serde(skip)]
    pub source_hash: i64,
}

/// `belongs_to_collection`: only its ID is stored.
#[derive(Debug, Deserialize)]
pub struct Collection {
    pub id: Id,
}

/// An entry of a movie's `genres`: only its ID is stored (names come from `--kind genres`).
#[derive(Debug, Deserialize)]
pub struct GenreRef {
    pub id: Id,
}

/// The appended `credits`: the movie's whole cast and crew.
#[derive(Debug, Default, Deserialize)]
pub struct Credits {
    #[serde(default)]
    pub cast: Vec<Credit>,
    #[serde(default)]
    pub crew: Vec<Credit>,
}

/// One cast or crew entry (REFERENCE.md §4.4); `id` is the person's ID.
#[derive(Debug, Deserialize)]
pub struct Credit {
    pub credit_id: String,
    pub id: Id,
    pub name: Option<String>,
    pub original_name: Option<String>,
    pub character: Option<String>,
    pub order: Option<i64>,
    pub department: Option<String>,
    pub job: Option<String>,
    pub gender: Option<i64>,
    pub known_for_department: Option<String>,
    pub profile_path: Option<String>,
    pub popularity: Option<f64>,
    pub adult: Option<bool>,
}

/// A person as `/person/{id}` describes them.
#[derive(Debug, Deserialize)]
pub struct Person {
    pub id: Id,
    pub name: Option<String>,
    #[serde(deserialize_with = "json_list")]
    #[serde(default)]
    pub also_known_as: Option<String>,
    pub biography: Option<String>,
    pub birthday: Option<String>,
    pub deathday: Option<String>,
    pub gender: Option<i64>,
    pub known_for_department: Option<String>,
    pub place_of_birth: Option<String>,
    pub profile_path: Option<String>,
    pub popularity: Option<f64>,
    pub imdb_id: Option<String>,
    pub homepage: Option<String>,
    pub adult: Option<bool>,
    #[serde(skip)]
    pub source_hash: i64,
}

/// A line of a gone list: tmdb-fetch's `FailedRecord` (status 404), or any object with an `id`
/// and a `kind`.
#[derive(Debug, Deserialize)]
pub struct Gone {
    pub id: Id,
    pub kind: ItemKind,
}

/// Parses one non-blank line of `kind`; the error is the reason to report, naming the field.
pub fn parse(kind: Kind, line: &[u8]) -> Result<Record, String> {
    let record = match kind {
        Kind::Genres => serde_json::from_slice(line).map(Record::Genre),
        Kind::MovieIds if line.first().is_some_and(u8::is_ascii_digit) => {
            return match parse_id_line(line).map(Id::new) {
                Ok(Some(id)) => Ok(Record::MovieId(MovieId::bare(id))),
                Ok(None) => Err("ID out of range: expected a positive integer".to_owned()),
                Err(err) => Err(err.to_string()),
            };
        }
        Kind::MovieIds => serde_json::from_slice(line).map(Record::MovieId),
        Kind::Movies => serde_json::from_slice::<Movie>(line).map(|mut movie| {
            movie.source_hash = hash(line);
            movie.normalise();
            Record::Movie(Box::new(movie))
        }),
        Kind::People => serde_json::from_slice::<Person>(line).map(|mut person| {
            person.source_hash = hash(line);
            person.normalise();
            Record::Person(Box::new(person))
        }),
        Kind::Gone => serde_json::from_slice(line).map(Record::Gone),
    };
    // The typed parse is the fast path; only a line that fails it is parsed again, loosely, to
    // say which field is wrong (serde_json's own message names a column, not a field).
    record.map_err(|err| check::explain(kind, line, &err))
}

impl MovieId {
    fn bare(id: Id) -> MovieId {
        MovieId {
            id,
            adult: None,
            video: None,
            popularity: None,
            original_title: None,
            is_bare: true,
        }
    }
}

impl Movie {
    /// REFERENCE.md §6.1: movies say "none" with `""` for dates, homepage and (rarely) the
    /// IMDb ID; the schema stores NULL for those. Overview, tagline and titles keep TMDB's `""`.
    fn normalise(&mut self) {
        blank_to_none(&mut self.release_date);
        blank_to_none(&mut self.homepage);
        blank_to_none(&mut self.imdb_id);
    }
}

impl Person {
    /// REFERENCE.md §6.1: people say "none" with null, but older records used `""` for dates;
    /// both become NULL, as do an empty homepage and IMDb ID.
    fn normalise(&mut self) {
        blank_to_none(&mut self.birthday);
        blank_to_none(&mut self.deathday);
        blank_to_none(&mut self.homepage);
        blank_to_none(&mut self.imdb_id);
    }
}

fn blank_to_none(value: &mut Option<String>) {
    if value.as_deref() == Some("") {
        *value = None;
    }
}

/// A list of strings (`also_known_as`, `origin_country`) stored as its JSON array text, the
/// form the schema documents; null stays NULL.
fn json_list<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let list: Option<Vec<String>> = Option::deserialize(deserializer)?;
    Ok(list.map(|items| serde_json::to_string(&items).expect("strings serialize")))
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

    fn movie(line: &str) -> Movie {
        match parse(Kind::Movies, line.as_bytes()).unwrap() {
            Record::Movie(movie) => *movie,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn movie_dates_and_homepage_blank_become_none_other_blanks_stay() {
        let m = movie(
            r#"{"id":1,"title":"","release_date":"","homepage":"","imdb_id":"","tagline":"","overview":"x","origin_country":["GB","US"],"extra":{"a":[1]}}"#,
        );
        assert_eq!(m.release_date, None);
        assert_eq!(m.homepage, None);
        assert_eq!(m.imdb_id, None);
        assert_eq!(m.tagline.as_deref(), Some(""));
        assert_eq!(m.title.as_deref(), Some(""));
        assert_eq!(m.origin_country.as_deref(), Some(r#"["GB","US"]"#));
        assert!(m.credits.is_none() && m.genres.is_none());
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
