//! The mapping of rows onto the JSON shapes documented in `routes.rs`: the column lists the
//! queries select, and the functions that read them in that order.
//!
//! Values are read leniently ([`value`]): whatever type a column holds becomes JSON, an empty
//! string becomes `null` (DESIGN.md "Storage"), and nothing a row holds can fail a request.

use rusqlite::Row;
use rusqlite::types::ValueRef;
use serde_json::{Map, Value, json};

/// The columns of a Movie list item, in the order [`movie_item`] reads them. Genres come as
/// one JSON array built by SQLite, ordered by genre id.
pub const MOVIE_COLUMNS: &str = "m.id, m.title, m.original_title, m.original_language, m.overview, \
     m.release_date, m.poster_path, m.backdrop_path, m.popularity, m.vote_average, m.vote_count, \
     m.adult, (SELECT json_group_array(json_object('id', mg.genre_id, 'name', g.name)) \
       FROM movie_genre mg LEFT JOIN genre g ON g.id = mg.genre_id WHERE mg.movie_id = m.id)";
pub const MOVIE_COLUMN_COUNT: usize = 13;

/// The columns of a PersonItem, in the order [`person_item`] reads them.
pub const PERSON_COLUMNS: &str =
    "p.id, p.name, p.known_for_department, p.profile_path, p.popularity, p.gender, p.adult";
pub const PERSON_COLUMN_COUNT: usize = 7;

/// A Movie list item from [`MOVIE_COLUMNS`] (callers append their own columns after them).
pub fn movie_item(row: &Row<'_>) -> rusqlite::Result<Value> {
    let mut movie = Map::new();
    let names = [
        "id",
        "title",
        "original_title",
        "original_language",
        "overview",
        "release_date",
        "poster_path",
        "backdrop_path",
        "popularity",
        "vote_average",
        "vote_count",
    ];
    for (i, name) in names.iter().enumerate() {
        movie.insert((*name).to_owned(), value(row, i));
    }
    movie.insert("adult".to_owned(), boolean(row, 11));
    let genres = match row.get_ref(12)? {
        ValueRef::Text(text) => serde_json::from_slice(text).unwrap_or_else(|_| json!([])),
        _ => json!([]),
    };
    movie.insert("genres".to_owned(), genres);
    Ok(Value::Object(movie))
}

/// A PersonItem from [`PERSON_COLUMNS`].
pub fn person_item(row: &Row<'_>) -> rusqlite::Result<Value> {
    let mut person = Map::new();
    let names = [
        "id",
        "name",
        "known_for_department",
        "profile_path",
        "popularity",
        "gender",
    ];
    for (i, name) in names.iter().enumerate() {
        person.insert((*name).to_owned(), value(row, i));
    }
    person.insert("adult".to_owned(), boolean(row, 6));
    Ok(Value::Object(person))
}

/// A Cast or Crew entry of `/movies/{id}/credits`, from the credit columns `queries.rs` selects.
pub fn credit(row: &Row<'_>, is_cast: bool) -> rusqlite::Result<Value> {
    let mut out = Map::new();
    let names = [
        "credit_id",
        "person_id",
        "name",
        "original_name",
        "gender",
        "known_for_department",
        "profile_path",
        "popularity",
    ];
    for (i, name) in names.iter().enumerate() {
        out.insert((*name).to_owned(), value(row, i));
    }
    out.insert("adult".to_owned(), boolean(row, 8));
    if is_cast {
        out.insert("character".to_owned(), value(row, 9));
        out.insert("order".to_owned(), value(row, 10));
    } else {
        out.insert("department".to_owned(), value(row, 11));
        out.insert("job".to_owned(), value(row, 12));
    }
    Ok(Value::Object(out))
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
pub fn boolean(row: &Row<'_>, index: usize) -> Value {
    match row.get_ref(index) {
        Ok(ValueRef::Integer(n)) => (n != 0).into(),
        _ => false.into(),
    }
}

/// A list stored as JSON array text (TMDB's form) or as comma-separated text, as a JSON array.
pub fn string_list(row: &Row<'_>, index: usize) -> Value {
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
