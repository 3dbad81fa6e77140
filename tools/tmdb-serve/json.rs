//! The mapping of rows onto the JSON shapes documented in `routes.rs`: one table per shape of
//! (SQL expression, JSON name), from which come both the SELECT list and the reading of a row.
//!
//! Values are read leniently ([`value`]): whatever type a column holds becomes JSON, an empty
//! string becomes `null` (docs/data-contract.md, "Values: as TMDB sent them"), and nothing a row
//! holds can fail a request.

use serde_json::{Map, Value, json};
use tmdb_core::read::{self, Row, Val};

/// How a column's value becomes JSON.
#[derive(Debug, Clone, Copy)]
pub enum As {
    /// As it is ([`value`]).
    Value,
    /// An integer flag as a boolean.
    Bool,
    /// As TMDB sent it, `""` too: for TMDB's own routes (docs/data-contract.md, "Values: as
    /// TMDB sent them").
    Exact,
    /// [`As::Exact`], but an integer is a flag, a boolean.
    ExactFlag,
    /// A list stored as text ([`string_list`]).
    List,
    /// JSON text built by SQLite (an array; `[]` when absent).
    Json,
    /// JSON text built by SQLite (an object; `null` when absent).
    Object,
    /// JSON text built by SQLite: an array of arrays of strings, made one array, sorted, each
    /// string once. A union of two tables' values in SQL would be a subquery in FROM that
    /// names the outer row, which MySQL does not take.
    Union,
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
    /// A Movie list item but its genres ([`MOVIE_GENRES`], which follow it).
    MOVIE_FIELDS_COLUMNS, MOVIE_FIELDS =
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
}

shape! {
    /// A Movie's genres: one JSON array built by the database, ordered by genre id (as
    /// `discover_index::PageRows::genres` gives them).
    MOVIE_GENRES_COLUMNS, MOVIE_GENRES =
    "(SELECT json_group_array(json_object('id', mg.genre_id, 'name', g.name) ORDER BY mg.genre_id) \
      FROM movie_genre mg LEFT JOIN genre g ON g.id = mg.genre_id WHERE mg.movie_id = m.id)"
        => "genres" Json,
}

/// The SELECT list of a Movie list item: [`MOVIE_FIELDS_COLUMNS`], then
/// [`MOVIE_GENRES_COLUMNS`].
pub fn movie_columns() -> String {
    format!("{MOVIE_FIELDS_COLUMNS}, {MOVIE_GENRES_COLUMNS}")
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
    "(SELECT json_object('id', c.id, 'name', nullif(c.name, ''), \
      'poster_path', nullif(c.poster_path, ''), 'backdrop_path', nullif(c.backdrop_path, '')) \
      FROM collection c WHERE c.id = m.collection_id)" => "collection" Object,
    "(SELECT json_group_array(json_object('id', mk.keyword_id, 'name', nullif(k.name, '')) \
      ORDER BY mk.ord) FROM movie_keyword mk LEFT JOIN keyword k ON k.id = mk.keyword_id \
      WHERE mk.movie_id = m.id)" => "keywords" Json,
    "(SELECT json_group_array(json_object('id', mc.company_id, 'name', nullif(c.name, ''), \
      'logo_path', nullif(c.logo_path, ''), 'origin_country', nullif(c.origin_country, '')) \
      ORDER BY mc.ord) FROM movie_company mc LEFT JOIN company c ON c.id = mc.company_id \
      WHERE mc.movie_id = m.id)" => "production_companies" Json,
    "(SELECT json_group_array(json_object('iso_3166_1', nullif(iso_3166_1, ''), \
      'name', nullif(name, '')) ORDER BY ord) FROM movie_country WHERE movie_id = m.id)"
        => "production_countries" Json,
    "(SELECT json_group_array(json_object('iso_639_1', nullif(iso_639_1, ''), \
      'english_name', nullif(english_name, ''), 'name', nullif(name, '')) ORDER BY ord) \
      FROM movie_language WHERE movie_id = m.id)" => "spoken_languages" Json,
    "json_object('imdb_id', nullif(m.imdb_id, ''), 'wikidata_id', nullif(m.wikidata_id, ''), \
      'facebook_id', nullif(m.facebook_id, ''), 'instagram_id', nullif(m.instagram_id, ''), \
      'twitter_id', nullif(m.twitter_id, ''))" => "external_ids" Object,
    "?2" => "region" Value,
    "(SELECT certification FROM release_date WHERE movie_id = m.id AND iso_3166_1 = ?2 \
      AND certification <> '' ORDER BY type IS NOT 3, ord LIMIT 1)" => "certification" Value,
    "(SELECT json_group_array(json_object('iso_3166_1', nullif(iso_3166_1, ''), \
      'release_date', nullif(release_date, ''), 'type', type, \
      'certification', nullif(certification, ''), 'note', nullif(note, ''), \
      'iso_639_1', nullif(iso_639_1, ''), 'descriptors', \
      CASE WHEN json_valid(descriptors) THEN json(descriptors) ELSE json_array() END) \
      ORDER BY ord) FROM release_date WHERE movie_id = m.id)" => "release_dates" Json,
    "(SELECT json_group_array(json_object('id', nullif(id, ''), 'key', nullif(key, ''), \
      'site', nullif(site, ''), 'type', nullif(type, ''), 'name', nullif(name, ''), \
      'official', CASE WHEN official IS NULL THEN NULL WHEN official = 0 \
      THEN json('false') ELSE json('true') END, 'published_at', nullif(published_at, ''), 'size', size, \
      'iso_639_1', nullif(iso_639_1, ''), 'iso_3166_1', nullif(iso_3166_1, '')) \
      ORDER BY ord) FROM video WHERE movie_id = m.id)" => "videos" Json,
    "(SELECT json_object('region', ?2, \
      'link', (SELECT nullif(link, '') FROM watch_link WHERE movie_id = m.id AND iso_3166_1 = ?2), \
      'providers', json((SELECT json_group_object(k.kind, \
        json((SELECT json_group_array(json_object('provider_id', w.provider_id, \
           'provider_name', nullif(p.provider_name, ''), 'logo_path', nullif(p.logo_path, ''), \
           'display_priority', w.display_priority) ORDER BY w.ord) \
         FROM movie_watch_provider w LEFT JOIN watch_provider p ON p.id = w.provider_id \
         WHERE w.movie_id = m.id AND w.iso_3166_1 = ?2 AND w.kind = k.kind))) \
       FROM movie_watch_provider k WHERE k.movie_id = m.id AND k.iso_3166_1 = ?2 \
         AND NOT EXISTS (SELECT 1 FROM movie_watch_provider e WHERE e.movie_id = m.id \
           AND e.iso_3166_1 = ?2 AND e.kind = k.kind AND e.ord < k.ord)))) \
      WHERE EXISTS (SELECT 1 FROM watch_link WHERE movie_id = m.id AND iso_3166_1 = ?2) \
         OR EXISTS (SELECT 1 FROM movie_watch_provider WHERE movie_id = m.id AND iso_3166_1 = ?2))"
        => "watch_providers" Object,
    "json_array(json((SELECT json_group_array(iso_3166_1) FROM watch_link WHERE movie_id = m.id)), \
      json((SELECT json_group_array(iso_3166_1) FROM movie_watch_provider WHERE movie_id = m.id)))"
        => "watch_regions" Union,
}

shape! {
    /// A collection (`/collections/{id}`), before its parts.
    COLLECTION_COLUMNS, COLLECTION =
    "c.id" => "id" Value,
    "c.name" => "name" Value,
    "c.poster_path" => "poster_path" Value,
    "c.backdrop_path" => "backdrop_path" Value,
}

shape! {
    /// A company (`/companies/{id}`).
    COMPANY_COLUMNS, COMPANY =
    "c.id" => "id" Value,
    "c.name" => "name" Value,
    "c.logo_path" => "logo_path" Value,
    "c.origin_country" => "origin_country" Value,
}

shape! {
    /// A keyword (`/keywords/{id}`).
    KEYWORD_COLUMNS, KEYWORD =
    "k.id" => "id" Value,
    "k.name" => "name" Value,
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
pub fn read(row: &Row<'_>, shapes: &[&[Field]]) -> read::Result<Value> {
    read_from(row, 0, shapes).map(Value::Object)
}

/// [`read`] of the columns from `at` on.
pub fn read_from(
    row: &Row<'_>,
    at: usize,
    shapes: &[&[Field]],
) -> read::Result<Map<String, Value>> {
    // Collected, then made a map at once: the map sorts the fields and builds itself from
    // them in one go, a quarter less time than inserting them one by one.
    let mut out = Vec::with_capacity(shapes.iter().map(|shape| shape.len()).sum());
    for (index, field) in shapes.iter().flat_map(|shape| shape.iter()).enumerate() {
        out.push((field.name.to_owned(), column(row, at + index, field.kind)?));
    }
    Ok(out.into_iter().collect())
}

/// Column `index` of `row` as JSON, read as `kind` says.
pub fn column(row: &Row<'_>, index: usize, kind: As) -> read::Result<Value> {
    Ok(match kind {
        As::Value => value(row, index),
        As::Bool => boolean(row, index),
        As::Exact | As::ExactFlag => match row.get(index)? {
            Val::Null => Value::Null,
            Val::Int(n) if matches!(kind, As::ExactFlag) => Value::Bool(n != 0),
            Val::Int(n) => Value::from(n),
            Val::Real(x) => serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number),
            Val::Text(t) => Value::String(read::owned_text(t)),
        },
        As::List => string_list(row, index),
        As::Json => match row.get(index)? {
            Val::Text(text) => serde_json::from_slice(text).unwrap_or_else(|_| json!([])),
            _ => json!([]),
        },
        As::Object => match row.get(index)? {
            Val::Text(text) => serde_json::from_slice(text).unwrap_or(Value::Null),
            _ => Value::Null,
        },
        As::Union => union(row, index)?,
    })
}

/// A JSON value already written out: a list item written from its row as [`read`] would read
/// it and serde_json would then write it, with no tree of `Value`s between the two. Building,
/// writing and dropping that tree was a third of a list page's CPU time on a 1,000,000-movie
/// mirror (docs/architecture.md, "Serving").
#[derive(Debug, Clone, PartialEq)]
pub struct Text(Vec<u8>);

impl Text {
    /// The value written (for tests, which look into items), checked to be written exactly
    /// as serde_json writes it: keys sorted and each once, numbers and strings as it spells them.
    #[cfg(test)]
    pub fn value(&self) -> Value {
        let value: Value = serde_json::from_slice(&self.0).expect("a Text is JSON");
        let again = serde_json::to_vec(&value).expect("JSON");
        assert_eq!(
            String::from_utf8_lossy(&again),
            String::from_utf8_lossy(&self.0),
            "written as serde_json writes it"
        );
        value
    }
}

/// Writes `value` as JSON at the end of `out`.
pub fn put(out: &mut Vec<u8>, value: &impl serde::Serialize) {
    // Writing into a Vec cannot fail, nor can serializing the values we give it.
    let _ = serde_json::to_writer(out, value);
}

/// Writes `items` at the end of `out` as the elements of an array, `[` and `]` around them.
pub fn join(out: &mut Vec<u8>, items: &[Text]) {
    out.reserve(items.iter().map(|item| item.0.len() + 1).sum::<usize>() + 2);
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&item.0);
    }
    out.push(b']');
}

/// Writes rows selected as the `_COLUMNS` of some shapes as objects ([`Text`]), each with
/// the same fields as [`read`] gives, plus named values given with each row, the keys in the
/// order a `Value` object writes them (sorted), so an answer's bytes do not depend on the path
/// that made it.
pub struct Writer {
    /// The fields in the order written.
    fields: Vec<Written>,
}

/// A field of a [`Writer`]'s objects.
enum Written {
    /// Column `index`, read as `kind`.
    Column {
        name: &'static str,
        index: usize,
        kind: As,
    },
    /// The `n`th value given with the row.
    Given { name: &'static str, n: usize },
}

impl Written {
    fn name(&self) -> &'static str {
        match self {
            Written::Column { name, .. } | Written::Given { name, .. } => name,
        }
    }
}

impl Writer {
    /// A writer of rows selected as the columns of `shapes`, with values named `given`.
    pub fn new(shapes: &[&[Field]], given: &[&'static str]) -> Writer {
        let columns = shapes.iter().flat_map(|shape| shape.iter()).enumerate();
        let mut fields: Vec<Written> = columns
            .map(|(index, field)| Written::Column {
                name: field.name,
                index,
                kind: field.kind,
            })
            .chain(
                given
                    .iter()
                    .enumerate()
                    .map(|(n, name)| Written::Given { name, n }),
            )
            .collect();
        fields.sort_by_key(Written::name);
        // What `write` relies on: names it need not escape, and each once, as in a map.
        debug_assert!(
            fields.windows(2).all(|w| w[0].name() < w[1].name())
                && fields.iter().all(|f| f
                    .name()
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')),
            "field names distinct, plain ASCII"
        );
        Writer { fields }
    }

    /// The object of `row`, with `given` (written JSON, in the order of the names given to
    /// [`Writer::new`]).
    pub fn write(&self, row: &Row<'_>, given: &[&[u8]]) -> read::Result<Text> {
        let mut out = Vec::with_capacity(512);
        out.push(b'{');
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // The names are ours: plain ASCII, nothing to escape.
            out.push(b'"');
            out.extend_from_slice(field.name().as_bytes());
            out.extend_from_slice(b"\":");
            match *field {
                Written::Given { n, .. } => out.extend_from_slice(given[n]),
                Written::Column { index, kind, .. } => write_column(&mut out, row, index, kind)?,
            }
        }
        out.push(b'}');
        Ok(Text(out))
    }
}

/// Writes column `index` as [`column`] reads it, the common kinds with no `Value` between.
fn write_column(out: &mut Vec<u8>, row: &Row<'_>, index: usize, kind: As) -> read::Result<()> {
    match kind {
        As::Value => match row.get(index) {
            Ok(Val::Int(n)) => put(out, &n),
            // Non-finite reals are written `null`, as `Number::from_f64` refuses them.
            Ok(Val::Real(x)) => put(out, &x),
            Ok(Val::Text(t)) if !t.is_empty() => put(out, &String::from_utf8_lossy(t)),
            _ => out.extend_from_slice(b"null"),
        },
        As::Bool => {
            let flag = matches!(row.get(index), Ok(Val::Int(n)) if n != 0);
            out.extend_from_slice(if flag { b"true" } else { b"false" });
        }
        As::Exact | As::ExactFlag => match row.get(index)? {
            Val::Null => out.extend_from_slice(b"null"),
            Val::Int(n) if matches!(kind, As::ExactFlag) => {
                out.extend_from_slice(if n != 0 { b"true" } else { b"false" });
            }
            Val::Int(n) => put(out, &n),
            Val::Real(x) => put(out, &x),
            Val::Text(t) => put(out, &String::from_utf8_lossy(t)),
        },
        _ => put(out, &column(row, index, kind)?),
    }
    Ok(())
}

/// An [`As::Union`] column: its arrays' strings, sorted, each once.
fn union(row: &Row<'_>, index: usize) -> read::Result<Value> {
    let arrays: Vec<Vec<String>> = match row.get(index)? {
        Val::Text(text) => serde_json::from_slice(text).unwrap_or_default(),
        _ => Vec::new(),
    };
    let set: std::collections::BTreeSet<String> = arrays.into_iter().flatten().collect();
    Ok(set.into_iter().collect::<Vec<_>>().into())
}

/// Any column as JSON: NULL, "" and blobs are `null`; NaN or infinite reals are `null`.
pub fn value(row: &Row<'_>, index: usize) -> Value {
    match row.get(index) {
        Ok(Val::Int(n)) => n.into(),
        Ok(Val::Real(x)) => serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number),
        Ok(Val::Text(t)) if !t.is_empty() => read::owned_text(t).into(),
        _ => Value::Null,
    }
}

/// An integer flag column as a JSON boolean.
fn boolean(row: &Row<'_>, index: usize) -> Value {
    match row.get(index) {
        Ok(Val::Int(n)) => (n != 0).into(),
        _ => false.into(),
    }
}

/// A list stored as JSON array text (TMDB's form) or as comma-separated text, as a JSON array.
fn string_list(row: &Row<'_>, index: usize) -> Value {
    let Ok(Val::Text(text)) = row.get(index) else {
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
