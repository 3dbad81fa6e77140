//! `/3/search/movie`, `/person`, `/keyword`, `/company`, `/collection`. Movies and people are
//! matched by the full-text index (every word, the last one as a prefix) and ordered by
//! popularity; keywords, companies and collections by the same rule on their names, by id.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, Row};
use serde_json::{Map, Value, json};
use tmdb_core::tmdb::query::{Params, Search};
use tmdb_core::tmdb::{PAGE_SIZE, words};

use super::Answer;
use super::lists::{Clauses, ITEM, item, page, value};

/// What is searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Movie,
    Person,
    Keyword,
    Company,
    Collection,
}

impl Kind {
    pub fn parse(name: &str) -> Option<Kind> {
        Some(match name {
            "movie" => Kind::Movie,
            "person" => Kind::Person,
            "keyword" => Kind::Keyword,
            "company" => Kind::Company,
            "collection" => Kind::Collection,
            _ => return None,
        })
    }
}

/// TMDB's empty page.
fn empty(page: u64) -> Value {
    json!({"page": page, "results": [], "total_pages": 1, "total_results": 0})
}

pub fn search(conn: &Connection, kind: Kind, get: Params<'_>) -> rusqlite::Result<Answer> {
    let q = match Search::parse(get) {
        Ok(q) => q,
        Err(refused) => return Ok(Err(refused)),
    };
    match kind {
        Kind::Movie => movies(conn, &q),
        Kind::Person => people(conn, &q),
        Kind::Keyword => entities(conn, &q, "keyword", &["name"]),
        Kind::Company => entities(
            conn,
            &q,
            "company",
            &["logo_path", "name", "origin_country"],
        ),
        Kind::Collection => entities(
            conn,
            &q,
            "collection",
            &["name", "poster_path", "backdrop_path"],
        ),
    }
    .map(Ok)
}

fn movies(conn: &Connection, q: &Search) -> rusqlite::Result<Value> {
    let Some(fts) = crate::queries::fts_query(&q.text) else {
        return Ok(empty(q.page));
    };
    let mut c = Clauses::default();
    c.push("movie_fts MATCH ?".to_owned(), [SqlValue::Text(fts)]);
    if !q.include_adult {
        c.push("m.adult = 0".to_owned(), []);
    }
    if let Some(y) = q.year {
        c.push(
            "m.release_date >= ? AND m.release_date <= ?".to_owned(),
            [
                SqlValue::Text(format!("{y:04}-01-01")),
                SqlValue::Text(format!("{y:04}-12-31")),
            ],
        );
    }
    // CROSS JOIN: the matches drive, each joined to its movie by id.
    let from_where = format!(
        "FROM movie_fts CROSS JOIN movie m ON m.id = movie_fts.rowid WHERE {}",
        c.sql.join(" AND ")
    );
    page(
        conn,
        &from_where,
        &c.params,
        "m.popularity DESC, m.id",
        None,
        q.page,
    )
}

/// A person as TMDB's lists show one, with up to three movies they are known for (their most
/// popular credited movies in the mirror).
pub fn person_item(conn: &Connection, row: &Row<'_>) -> rusqlite::Result<Value> {
    let mut map = Map::new();
    for (i, name) in [
        "id",
        "adult",
        "gender",
        "known_for_department",
        "name",
        "popularity",
        "profile_path",
    ]
    .iter()
    .enumerate()
    {
        map.insert((*name).to_owned(), value(row, i, *name == "adult")?);
    }
    map.insert("original_name".to_owned(), map["name"].clone());
    let id: i64 = row.get(0)?;
    let sql = format!(
        "SELECT {ITEM} FROM movie m WHERE m.id IN (SELECT movie_id FROM credit WHERE person_id = ?1)
         ORDER BY m.popularity DESC, m.id LIMIT 3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let known = stmt
        .query_map([id], |r| {
            let mut m = item(r, 0)?;
            m.insert("media_type".to_owned(), json!("movie"));
            Ok(Value::Object(m))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    map.insert("known_for".to_owned(), Value::Array(known));
    Ok(Value::Object(map))
}

/// The columns [`person_item`] reads, of `people p`.
pub const PERSON: &str =
    "p.id, p.adult, p.gender, p.known_for_department, p.name, p.popularity, p.profile_path";

fn people(conn: &Connection, q: &Search) -> rusqlite::Result<Value> {
    let Some(fts) = crate::queries::fts_query(&q.text) else {
        return Ok(empty(q.page));
    };
    let adult = if q.include_adult {
        ""
    } else {
        " AND p.adult = 0"
    };
    let from_where = format!(
        "FROM people_fts CROSS JOIN people p ON p.id = people_fts.rowid \
         WHERE people_fts MATCH ?1{adult}"
    );
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) {from_where}"))?
        .query_row([&fts], |r| r.get(0))?;
    let sql = format!(
        "SELECT p.id {from_where} ORDER BY p.popularity DESC, p.id LIMIT {PAGE_SIZE} OFFSET {}",
        (q.page - 1) * PAGE_SIZE
    );
    let ids: Vec<i64> = conn
        .prepare_cached(&sql)?
        .query_map([&fts], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let results = ids
        .into_iter()
        .map(|id| person_by_id(conn, id))
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let total = total as u64;
    Ok(json!({
        "page": q.page,
        "results": results,
        "total_pages": total.div_ceil(PAGE_SIZE).max(1),
        "total_results": total,
    }))
}

/// The list item of person `id`, who is in the mirror.
pub fn person_by_id(conn: &Connection, id: i64) -> rusqlite::Result<Value> {
    conn.prepare_cached(&format!("SELECT {PERSON} FROM people p WHERE p.id = ?1"))?
        .query_row([id], |r| person_item(conn, r))
}

/// Keywords, companies or collections whose name holds the words, by id.
fn entities(
    conn: &Connection,
    q: &Search,
    table: &str,
    fields: &[&str],
) -> rusqlite::Result<Value> {
    let words = words::query(&q.text);
    if words.is_empty() {
        return Ok(empty(q.page));
    }
    let sql = format!(
        "SELECT id, name, {} FROM {table} ORDER BY id",
        fields.join(", ")
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([])?;
    let (mut total, start) = (0u64, (q.page - 1) * PAGE_SIZE);
    let mut results = Vec::new();
    while let Some(row) = rows.next()? {
        let name: Option<String> = row.get(1)?;
        if !words::matches(&words, &words::tokens(name.as_deref().unwrap_or(""))) {
            continue;
        }
        if total >= start && total < start + PAGE_SIZE {
            let mut map = Map::new();
            map.insert("id".to_owned(), value(row, 0, false)?);
            for (i, f) in fields.iter().enumerate() {
                map.insert((*f).to_owned(), value(row, 2 + i, false)?);
            }
            results.push(Value::Object(map));
        }
        total += 1;
    }
    Ok(json!({
        "page": q.page,
        "results": results,
        "total_pages": total.div_ceil(PAGE_SIZE).max(1),
        "total_results": total,
    }))
}
