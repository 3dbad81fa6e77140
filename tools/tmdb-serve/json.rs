//! The mapping of rows onto the JSON shapes documented in `routes.rs`: one table per shape of
//! (SQL expression, JSON name), from which come both the SELECT list and the reading of a row.
//!
//! Values are read leniently ([`value`]): whatever type a column holds becomes JSON, an empty
//! string becomes `null` (docs/data-contract.md, "Values: as TMDB sent them"), and nothing a row
//! holds can fail a request.

use rusqlite::Row;
use rusqlite::types::ValueRef;
use serde_json::{Map, Value, json};

/// How a column's value becomes JSON.
#[derive(Debug, Clone, Copy)]
pub enum As {
    /// As it is ([`value`]).
    Value,
    /// An integer flag as a boolean.
    Bool,
    /// A list stored as text ([`string_list`]).
    List,
    /// JSON text built by SQLite (an array; `[]` when absent).
    Json,
}

/// One field of a JSON shape as [`read`] reads it: its JSON name and how (its SQL expression
/// is in the shape's `_COLUMNS`, at the same place).
#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub kind: As,
}

/// Declares a JSON shape from one table of `SQL => "name" As`: the SELECT list (`$columns`, a
/// string constant for format strings) and the fields [`read`] reads in the same order.
macro_rules! shape {
    ($(#[$doc:meta])* $columns:ident, $fields:ident =
        $sql0:literal => $name0:literal $kind0:ident $(, $sql:literal => $name:literal $kind:ident)* $(,)?) => {
        $(#[$doc])*
        pub const $columns: &str = concat!($sql0 $(, ", ", $sql)*);
        pub const $fields: &[Field] = &[
            Field { name: $name0, kind: As::$kind0 },
            $(Field { name: $name, kind: As::$kind },)*
        ];
    };
}

shape! {
    /// A Movie list item. Genres come as one JSON array built by SQLite, ordered by genre id.
    MOVIE_COLUMNS, MOVIE =
    "m.id" => "id" Value,
    "m.title" => "title" Value,
    "m.original_title" => "original_title" Value,
    "m.original_language" => "original_language" Value,
    "m.overview" => "overview" Value,
    "m.release_date" => "release_date" Value,
    "m.poster_path" => "poster_path" Value,
    "m.backdrop_path" => "backdrop_path" Value,
    "m.popularity" => "popularity" Value,
    "m.vote_average" => "vote_average" Value,
    "m.vote_count" => "vote_count" Value,
    "m.adult" => "adult" Bool,
    "(SELECT json_group_array(json_object('id', mg.genre_id, 'name', g.name)) \
      FROM movie_genre mg LEFT JOIN genre g ON g.id = mg.genre_id WHERE mg.movie_id = m.id)"
        => "genres" Json,
}

shape! {
    /// What `/movies/{id}` adds to a Movie.
    MOVIE_DETAIL_COLUMNS, MOVIE_DETAIL =
    "m.runtime" => "runtime" Value,
    "m.status" => "status" Value,
    "m.video" => "video" Bool,
    "m.budget" => "budget" Value,
    "m.revenue" => "revenue" Value,
    "m.imdb_id" => "imdb_id" Value,
    "m.homepage" => "homepage" Value,
    "m.tagline" => "tagline" Value,
    "m.collection_id" => "collection_id" Value,
    "m.origin_country" => "origin_country" List,
    "(SELECT count(*) FROM credit WHERE movie_id = m.id AND kind = 'cast')" => "cast_count" Value,
    "(SELECT count(*) FROM credit WHERE movie_id = m.id AND kind = 'crew')" => "crew_count" Value,
}

shape! {
    /// A PersonItem.
    PERSON_COLUMNS, PERSON =
    "p.id" => "id" Value,
    "p.name" => "name" Value,
    "p.known_for_department" => "known_for_department" Value,
    "p.profile_path" => "profile_path" Value,
    "p.popularity" => "popularity" Value,
    "p.gender" => "gender" Value,
    "p.adult" => "adult" Bool,
}

shape! {
    /// What `/people/{id}` adds to a PersonItem.
    PERSON_DETAIL_COLUMNS, PERSON_DETAIL =
    "p.also_known_as" => "also_known_as" List,
    "p.biography" => "biography" Value,
    "p.birthday" => "birthday" Value,
    "p.deathday" => "deathday" Value,
    "p.place_of_birth" => "place_of_birth" Value,
    "p.imdb_id" => "imdb_id" Value,
    "p.homepage" => "homepage" Value,
    "(SELECT count(*) FROM credit WHERE person_id = p.id AND kind = 'cast')" => "cast_count" Value,
    "(SELECT count(*) FROM credit WHERE person_id = p.id AND kind = 'crew')" => "crew_count" Value,
}

shape! {
    /// What Cast and Crew entries of `/movies/{id}/credits` share (from `credit`).
    CREDIT_COLUMNS, CREDIT =
    "credit_id" => "credit_id" Value,
    "person_id" => "person_id" Value,
    "name" => "name" Value,
    "original_name" => "original_name" Value,
    "gender" => "gender" Value,
    "known_for_department" => "known_for_department" Value,
    "profile_path" => "profile_path" Value,
    "popularity" => "popularity" Value,
    "adult" => "adult" Bool,
}

shape! {
    /// A Cast entry's role.
    CAST_ROLE_COLUMNS, CAST_ROLE =
    "character" => "character" Value,
    "cast_order" => "order" Value,
}

shape! {
    /// A Crew entry's role.
    CREW_ROLE_COLUMNS, CREW_ROLE =
    "department" => "department" Value,
    "job" => "job" Value,
}

shape! {
    /// What a filmography's cast entry adds to a Movie (from `credit c`).
    FILM_CAST_COLUMNS, FILM_CAST =
    "c.credit_id" => "credit_id" Value,
    "c.character" => "character" Value,
    "c.cast_order" => "order" Value,
}

shape! {
    /// What a filmography's crew entry adds to a Movie (from `credit c`).
    FILM_CREW_COLUMNS, FILM_CREW =
    "c.credit_id" => "credit_id" Value,
    "c.department" => "department" Value,
    "c.job" => "job" Value,
}

/// Reads a row selected as the `_COLUMNS` of `shapes`, one after the other, into one object.
pub fn read(row: &Row<'_>, shapes: &[&[Field]]) -> rusqlite::Result<Value> {
    let mut out = Map::new();
    for (index, field) in shapes.iter().flat_map(|shape| shape.iter()).enumerate() {
        let json = match field.kind {
            As::Value => value(row, index),
            As::Bool => boolean(row, index),
            As::List => string_list(row, index),
            As::Json => match row.get_ref(index)? {
                ValueRef::Text(text) => serde_json::from_slice(text).unwrap_or_else(|_| json!([])),
                _ => json!([]),
            },
        };
        out.insert(field.name.to_owned(), json);
    }
    Ok(Value::Object(out))
}

/// A Movie list item from [`MOVIE_COLUMNS`].
pub fn movie_item(row: &Row<'_>) -> rusqlite::Result<Value> {
    read(row, &[MOVIE])
}

/// A PersonItem from [`PERSON_COLUMNS`].
pub fn person_item(row: &Row<'_>) -> rusqlite::Result<Value> {
    read(row, &[PERSON])
}

/// Any column as JSON: NULL, "" and blobs are `null`; NaN or infinite reals are `null`.
pub fn value(row: &Row<'_>, index: usize) -> Value {
    match row.get_ref(index) {
        Ok(ValueRef::Integer(n)) => n.into(),
        Ok(ValueRef::Real(x)) => serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number),
        Ok(ValueRef::Text(t)) if !t.is_empty() => String::from_utf8_lossy(t).into_owned().into(),
        _ => Value::Null,
    }
}

/// An integer flag column as a JSON boolean.
fn boolean(row: &Row<'_>, index: usize) -> Value {
    match row.get_ref(index) {
        Ok(ValueRef::Integer(n)) => (n != 0).into(),
        _ => false.into(),
    }
}

/// A list stored as JSON array text (TMDB's form) or as comma-separated text, as a JSON array.
fn string_list(row: &Row<'_>, index: usize) -> Value {
    let Ok(ValueRef::Text(text)) = row.get_ref(index) else {
        return json!([]);
    };
    let text = String::from_utf8_lossy(text);
    let trimmed = text.trim();
    if trimmed.starts_with('[')
        && let Ok(list @ Value::Array(_)) = serde_json::from_str::<Value>(trimmed)
    {
        return list;
    }
    Value::Array(
        trimmed
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Value::String(s.to_owned()))
            .collect(),
    )
}
