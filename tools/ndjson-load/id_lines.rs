//! The small lines, stage 2's ID list and the gone lists: one table of fields per kind both
//! checks a line and reads it, so a wrong field is refused in words a user can act on
//! (`field "kind" is missing`) and what is read is what was checked. (Movies, people and genres
//! are read by `tmdb_core::record`, from its own description of TMDB's records.)

use serde_json::{Map, Value};
use tmdb_core::model::ItemKind;
use tmdb_core::record::flatten::type_name;

/// A TMDB ID: a positive integer that also fits SQLite's signed 64-bit integers, checked while
/// parsing so that an absurd ID is a rejected line rather than a failed batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Id(pub i64);

impl Id {
    pub fn new(id: u64) -> Option<Id> {
        i64::try_from(id).ok().filter(|&id| id > 0).map(Id)
    }
}

impl rusqlite::ToSql for Id {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        self.0.to_sql()
    }
}

/// A line of stage 2's ID list. A bare ID carries no values: it adds the ID if missing and
/// leaves an existing row as it is.
#[derive(Debug)]
pub struct MovieId {
    pub id: Id,
    pub adult: Option<bool>,
    pub video: Option<bool>,
    pub popularity: Option<f64>,
    pub original_title: Option<String>,
    pub is_bare: bool,
}

/// A line of a gone list: tmdb-fetch's `FailedRecord` (status 404), or any object with an `id`
/// and a `kind`.
#[derive(Debug)]
pub struct Gone {
    pub id: Id,
    pub kind: ItemKind,
}

/// What a field must hold. Every field may also be null or absent unless it is required.
#[derive(Clone, Copy)]
enum Expect {
    /// A positive integer that fits 64 signed bits.
    TmdbId,
    Number,
    Bool,
    Str,
    /// `movie`/`person`.
    MovieOrPerson,
}

/// One field of a line: its JSON name, what it must hold, and whether it may be missing.
#[derive(Clone, Copy)]
struct Field {
    name: &'static str,
    expect: Expect,
    required: bool,
}

const fn opt(name: &'static str, expect: Expect) -> Field {
    Field {
        name,
        expect,
        required: false,
    }
}

const fn req(name: &'static str, expect: Expect) -> Field {
    Field {
        name,
        expect,
        required: true,
    }
}

// The tables below read as a schema: `req("id", TmdbId)`. Other keys of a line are ignored.
use Expect::*;

const ID: Field = req("id", TmdbId);
const ADULT: Field = opt("adult", Bool);
const VIDEO: Field = opt("video", Bool);
const POPULARITY: Field = opt("popularity", Number);
const ORIGINAL_TITLE: Field = opt("original_title", Str);
const MOVIE_ID: &[Field] = &[ID, ADULT, VIDEO, POPULARITY, ORIGINAL_TITLE];

const KIND: Field = req("kind", MovieOrPerson);
const GONE: &[Field] = &[ID, KIND];

impl MovieId {
    /// A bare ID line: only the ID.
    pub fn bare(id: Id) -> MovieId {
        MovieId {
            id,
            adult: None,
            video: None,
            popularity: None,
            original_title: None,
            is_bare: true,
        }
    }

    /// An ID line given as an object; the error names the field that is wrong.
    pub fn read(map: &Map<String, Value>) -> Result<MovieId, String> {
        check(map, MOVIE_ID)?;
        Ok(MovieId {
            id: ID.id(map),
            adult: ADULT.value(map).and_then(Value::as_bool),
            video: VIDEO.value(map).and_then(Value::as_bool),
            popularity: POPULARITY.value(map).and_then(Value::as_f64),
            original_title: ORIGINAL_TITLE
                .value(map)
                .and_then(Value::as_str)
                .map(str::to_owned),
            is_bare: false,
        })
    }
}

impl Gone {
    /// A gone line; the error names the field that is wrong.
    pub fn read(map: &Map<String, Value>) -> Result<Gone, String> {
        check(map, GONE)?;
        let kind = match KIND.value(map).and_then(Value::as_str) {
            Some("person") => ItemKind::Person,
            _ => ItemKind::Movie,
        };
        Ok(Gone {
            id: ID.id(map),
            kind,
        })
    }
}

impl Field {
    /// The field's value in `map`; None when it is missing or null.
    fn value(self, map: &Map<String, Value>) -> Option<&Value> {
        map.get(self.name).filter(|v| !v.is_null())
    }

    /// The ID a checked line holds in this required ID field.
    fn id(self, map: &Map<String, Value>) -> Id {
        self.value(map)
            .and_then(Value::as_u64)
            .and_then(Id::new)
            .expect("a checked ID field")
    }
}

/// The first field of `fields` that `map` holds wrongly, as the reason to report.
fn check(map: &Map<String, Value>, fields: &[Field]) -> Result<(), String> {
    for field in fields {
        let path = field.name;
        match field.value(map) {
            None if field.required => return Err(format!("field \"{path}\" is missing")),
            None => {}
            Some(value) => check_value(value, field.expect, path)?,
        }
    }
    Ok(())
}

fn check_value(value: &Value, expect: Expect, path: &str) -> Result<(), String> {
    let wrong = |what: &str| {
        Err(format!(
            "field \"{path}\" is not {what} (found {})",
            type_name(value)
        ))
    };
    match expect {
        TmdbId if value.as_u64().and_then(Id::new).is_none() => wrong("a positive integer"),
        Number if !value.is_number() => wrong("a number"),
        Bool if !value.is_boolean() => wrong("true or false"),
        Str if !value.is_string() => wrong("a string"),
        MovieOrPerson if !matches!(value.as_str(), Some("movie" | "person")) => {
            wrong("\"movie\" or \"person\"")
        }
        _ => Ok(()),
    }
}
