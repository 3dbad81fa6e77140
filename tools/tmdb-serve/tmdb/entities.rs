//! `/3/genre/movie/list`, `/3/collection/{id}` (its parts from the mirrored movies),
//! `/3/company/{id}`, `/3/keyword/{id}` and `/3/keyword/{id}/movies`, `/3/find/{external_id}`.

use serde_json::{Map, Value, json};
use tmdb_core::read::{self, Param as SqlValue, Read};
use tmdb_core::tmdb::Refusal;
use tmdb_core::tmdb::query::{self, Params};

use super::Answer;
use super::lists::{ITEM, item, page, value};
use super::search::person_by_id;

/// TMDB lists the genres by name.
pub fn genres(conn: &dyn Read) -> read::Result<Answer> {
    let genres = read::rows(
        conn,
        "SELECT id, name FROM genre ORDER BY name, id",
        &[],
        |r| Ok(json!({"id": value(r, 0, false)?, "name": value(r, 1, false)?})),
    )?;
    Ok(Ok(json!({ "genres": genres }).into()))
}

/// The row of entity `id` in `table` as an object of `fields` and its id; None when absent.
fn entity(
    conn: &dyn Read,
    table: &str,
    id: i64,
    fields: &[&str],
) -> read::Result<Option<Map<String, Value>>> {
    let sql = format!("SELECT {} FROM {table} WHERE id = ?1", fields.join(", "));
    read::first(conn, &sql, &[SqlValue::Int(id)], |row| {
        let mut map = Map::new();
        map.insert("id".to_owned(), Value::from(id));
        for (i, f) in fields.iter().enumerate() {
            map.insert((*f).to_owned(), value(row, i, false)?);
        }
        Ok(map)
    })
}

/// A movie list item marked `"media_type":"movie"`, as collections and find list them.
fn movie_items(conn: &dyn Read, where_order: &str, param: SqlValue) -> read::Result<Vec<Value>> {
    let sql = format!("SELECT {ITEM} FROM movie m {where_order}");
    read::rows(conn, &sql, &[param], |r| {
        let mut m = item(r, 0)?;
        m.insert("media_type".to_owned(), json!("movie"));
        Ok(Value::Object(m))
    })
}

/// The collection with its parts: the mirrored movies that belong to it, oldest first
/// (undated last).
pub fn collection(conn: &dyn Read, id: i64) -> read::Result<Answer> {
    let Some(mut map) = entity(
        conn,
        "collection",
        id,
        &["name", "poster_path", "backdrop_path"],
    )?
    else {
        return Ok(Err(Refusal::NotFound));
    };
    let parts = movie_items(
        conn,
        "WHERE m.collection_id = ?1 ORDER BY m.release_date = '', m.release_date, m.id",
        SqlValue::Int(id),
    )?;
    map.insert("parts".to_owned(), Value::Array(parts));
    Ok(Ok(Value::Object(map).into()))
}

pub fn company(conn: &dyn Read, id: i64) -> read::Result<Answer> {
    let found = entity(
        conn,
        "company",
        id,
        &["logo_path", "name", "origin_country"],
    )?;
    Ok(found
        .map(|map| Value::Object(map).into())
        .ok_or(Refusal::NotFound))
}

pub fn keyword(conn: &dyn Read, id: i64) -> read::Result<Answer> {
    let found = entity(conn, "keyword", id, &["name"])?;
    Ok(found
        .map(|map| Value::Object(map).into())
        .ok_or(Refusal::NotFound))
}

/// The movies tagged with a keyword, most popular first (`include_adult`, `page`).
pub fn keyword_movies(conn: &dyn Read, id: i64, get: Params<'_>) -> read::Result<Answer> {
    if entity(conn, "keyword", id, &["name"])?.is_none() {
        return Ok(Err(Refusal::NotFound));
    }
    let page_number = match query::page(get) {
        Ok(p) => p,
        Err(refused) => return Ok(Err(refused)),
    };
    let adult = if get("include_adult") == Some("true") {
        ""
    } else {
        " AND m.adult = 0"
    };
    let from_where = format!(
        "FROM movie m WHERE m.id IN (SELECT movie_id FROM movie_keyword WHERE keyword_id = ?){adult}"
    );
    let mut body = page(
        conn,
        &from_where,
        &[SqlValue::Int(id)],
        "m.popularity DESC, m.id",
        None,
        page_number,
    )?;
    body.id = Some(id);
    Ok(Ok(body.into()))
}

/// The external sources `/3/find` takes, and the column that holds each for movies and people.
const SOURCES: &[(&str, Option<&str>, Option<&str>)] = &[
    ("imdb_id", Some("imdb_id"), Some("imdb_id")),
    ("wikidata_id", Some("wikidata_id"), Some("wikidata_id")),
    ("facebook_id", Some("facebook_id"), Some("facebook_id")),
    ("instagram_id", Some("instagram_id"), Some("instagram_id")),
    ("twitter_id", Some("twitter_id"), Some("twitter_id")),
    ("tiktok_id", None, Some("tiktok_id")),
    ("youtube_id", None, Some("youtube_id")),
    ("tvdb_id", None, None),
];

/// Movies and people with that external ID (TMDB's TV lists are always empty here).
pub fn find(conn: &dyn Read, external: &str, source: Option<&str>) -> read::Result<Answer> {
    let Some(&(_, movie_column, person_column)) =
        SOURCES.iter().find(|(name, _, _)| Some(*name) == source)
    else {
        return Ok(Err(Refusal::InvalidParam("external_source".to_owned())));
    };
    let movies = match movie_column {
        Some(column) => movie_items(
            conn,
            &format!("WHERE m.{column} = ?1 ORDER BY m.id"),
            SqlValue::Text(external.to_owned()),
        )?,
        None => Vec::new(),
    };
    let mut people = Vec::new();
    if let Some(column) = person_column {
        let ids = read::rows(
            conn,
            &format!("SELECT id FROM people WHERE {column} = ?1 ORDER BY id"),
            &[SqlValue::from(external)],
            |r| r.int(0).map(Option::unwrap_or_default),
        )?;
        for id in ids {
            people.push(person_by_id(conn, id)?);
        }
    }
    Ok(Ok(json!({
        "movie_results": movies,
        "person_results": people,
        "tv_results": [],
        "tv_episode_results": [],
        "tv_season_results": [],
    })
    .into()))
}
