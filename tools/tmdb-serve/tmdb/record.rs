//! `/3/movie/{id}` and `/3/person/{id}` with `append_to_response`, each sub-resource on its own
//! route, and `/3/person/{id}/movie_credits` built from the mirrored credits. A record's body
//! is rebuilt from the tables by `tmdb_core::record::rebuild` (docs/record.md).

use serde_json::{Map, Value, json};
use tmdb_core::read::{self, Param, Read};
use tmdb_core::record::rebuild;
use tmdb_core::tmdb::Refusal;

use super::lists::{ITEM, item, value};
use super::{Answer, Body};

/// TMDB answers at most this many `append_to_response` names in one request.
const MAX_APPENDS: usize = 20;

/// The names of `append_to_response` (TMDB ignores the names it does not know).
fn appends(list: Option<&str>) -> Result<Vec<&str>, Refusal> {
    let names = rebuild::appends(list.unwrap_or(""));
    if names.len() > MAX_APPENDS {
        return Err(Refusal::TooManyAppends);
    }
    Ok(names)
}

pub fn movie(conn: &dyn Read, id: i64, list: Option<&str>) -> read::Result<Answer> {
    let wanted = match appends(list) {
        Ok(w) => w,
        Err(refused) => return Ok(Err(refused)),
    };
    Ok(rebuild::movie(conn, id, &wanted)?
        .map(Body::from)
        .ok_or(Refusal::NotFound))
}

pub fn person(conn: &dyn Read, id: i64, list: Option<&str>) -> read::Result<Answer> {
    let wanted = match appends(list) {
        Ok(w) => w,
        Err(refused) => return Ok(Err(refused)),
    };
    Ok(rebuild::person(conn, id, &wanted)?
        .map(Body::from)
        .ok_or(Refusal::NotFound))
}

/// A sub-resource alone: the appended object with the record's `id`. A record the mirror
/// fetched without that append answers 404: the mirror does not know it.
fn alone(record: Option<Value>, sub: &str, id: i64) -> Result<Value, Refusal> {
    let Some(Value::Object(mut map)) = record else {
        return Err(Refusal::NotFound);
    };
    match map.remove(sub) {
        Some(Value::Object(mut part)) => {
            part.insert("id".to_owned(), Value::from(id));
            Ok(Value::Object(part))
        }
        _ => Err(Refusal::NotFound),
    }
}

/// `/3/movie/{id}/{sub}`; `alternative_titles` takes `country` (the titles of one country).
pub fn movie_sub(
    conn: &dyn Read,
    id: i64,
    sub: &str,
    country: Option<&str>,
) -> read::Result<Answer> {
    let mut answer = alone(rebuild::movie(conn, id, &[sub])?, sub, id);
    if let (Ok(Value::Object(part)), "alternative_titles", Some(country)) =
        (&mut answer, sub, country.filter(|c| !c.is_empty()))
        && let Some(Value::Array(titles)) = part.get_mut("titles")
    {
        titles.retain(|t| t.get("iso_3166_1").and_then(Value::as_str) == Some(country));
    }
    Ok(answer.map(Body::from))
}

/// `/3/person/{id}/{sub}`.
pub fn person_sub(conn: &dyn Read, id: i64, sub: &str) -> read::Result<Answer> {
    Ok(alone(rebuild::person(conn, id, &[sub])?, sub, id).map(Body::from))
}

/// `/3/person/{id}/movie_credits`: every credit of the person in the mirrored movies, as a
/// movie list item with the credit's fields, by movie id then billing order.
pub fn movie_credits(conn: &dyn Read, id: i64) -> read::Result<Answer> {
    let known = read::first(
        conn,
        "SELECT EXISTS (SELECT 1 FROM people WHERE id = ?1)",
        &[Param::Int(id)],
        |r| r.int(0),
    )?
    .flatten();
    if known.unwrap_or(0) == 0 {
        return Ok(Err(Refusal::NotFound));
    }
    let sql = format!(
        "SELECT c.kind, c.credit_id, c.character, c.cast_order, c.department, c.job, {ITEM}
         FROM credit c CROSS JOIN movie m ON m.id = c.movie_id
         WHERE c.person_id = ?1 ORDER BY c.movie_id, c.kind, c.ord"
    );
    let rows = read::rows(conn, &sql, &[Param::Int(id)], |row| {
        let kind = row.text(0)?.unwrap_or_default();
        let mut map: Map<String, Value> = item(row, 6)?;
        map.insert("credit_id".to_owned(), value(row, 1, false)?);
        if kind == "cast" {
            map.insert("character".to_owned(), value(row, 2, false)?);
            map.insert("order".to_owned(), value(row, 3, false)?);
        } else {
            map.insert("department".to_owned(), value(row, 4, false)?);
            map.insert("job".to_owned(), value(row, 5, false)?);
        }
        Ok((kind, Value::Object(map)))
    })?;
    let (mut cast, mut crew) = (Vec::new(), Vec::new());
    for (kind, credit) in rows {
        if kind == "cast" {
            cast.push(credit);
        } else {
            crew.push(credit);
        }
    }
    Ok(Ok(json!({ "id": id, "cast": cast, "crew": crew }).into()))
}
