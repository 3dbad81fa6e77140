//! `/3/search/movie`, `/person`, `/keyword`, `/company`, `/collection`. Movies and people are
//! matched by the full-text index (every word, the last one as a prefix) and ordered by
//! popularity; keywords, companies and collections by the same rule on their names, by id.

use serde_json::{Map, Value, json};
use tmdb_core::read::{self, Param as SqlValue, Read, Row, Searched};
use tmdb_core::tmdb::query::{Params, Search};
use tmdb_core::tmdb::{PAGE_SIZE, words};

use super::lists::{Clauses, ITEM, ListPage, item, page, value};
use super::{Answer, Body};

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

pub fn search(conn: &dyn Read, kind: Kind, get: Params<'_>) -> read::Result<Answer> {
    let q = match Search::parse(get) {
        Ok(q) => q,
        Err(refused) => return Ok(Err(refused)),
    };
    let body: Body = match kind {
        Kind::Movie => movies(conn, &q)?.into(),
        Kind::Person => people(conn, &q)?.into(),
        Kind::Keyword => entities(conn, &q, "keyword", &["name"])?.into(),
        Kind::Company => entities(
            conn,
            &q,
            "company",
            &["logo_path", "name", "origin_country"],
        )?
        .into(),
        Kind::Collection => entities(
            conn,
            &q,
            "collection",
            &["name", "poster_path", "backdrop_path"],
        )?
        .into(),
    };
    Ok(Ok(body))
}

fn movies(conn: &dyn Read, q: &Search) -> read::Result<ListPage> {
    let Some(fts) = crate::queries::fts_query(conn.dialect(), &q.text) else {
        return Ok(ListPage::empty(q.page));
    };
    let search = conn.dialect().search(Searched::Movies, "m");
    let mut c = Clauses::default();
    c.push(search.matches, [SqlValue::Text(fts)]);
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
    // SQLite's CROSS JOIN: the matches drive, each joined to its movie by id.
    let from_where = format!("{} WHERE {}", search.from, c.sql.join(" AND "));
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
pub fn person_item(conn: &dyn Read, row: &Row<'_>) -> read::Result<Value> {
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
    let id = row.int(0)?.unwrap_or_default();
    let sql = format!(
        "SELECT {ITEM} FROM movie m WHERE m.id IN (SELECT movie_id FROM credit WHERE person_id = ?1)
         ORDER BY m.popularity DESC, m.id LIMIT 3"
    );
    let known = read::rows(conn, &sql, &[SqlValue::Int(id)], |r| {
        let mut m = item(r, 0)?;
        m.insert("media_type".to_owned(), json!("movie"));
        Ok(Value::Object(m))
    })?;
    map.insert("known_for".to_owned(), Value::Array(known));
    Ok(Value::Object(map))
}

/// The columns [`person_item`] reads, of `people p`.
pub const PERSON: &str =
    "p.id, p.adult, p.gender, p.known_for_department, p.name, p.popularity, p.profile_path";

fn people(conn: &dyn Read, q: &Search) -> read::Result<Value> {
    let Some(fts) = crate::queries::fts_query(conn.dialect(), &q.text) else {
        return Ok(empty(q.page));
    };
    let adult = if q.include_adult {
        ""
    } else {
        " AND p.adult = 0"
    };
    let search = conn.dialect().search(Searched::People, "p");
    let from_where = format!("{} WHERE {}{adult}", search.from, search.matches);
    let fts = [SqlValue::Text(fts)];
    let total = read::first(conn, &format!("SELECT count(*) {from_where}"), &fts, |r| {
        r.int(0)
    })?
    .flatten()
    .unwrap_or(0);
    let sql = format!(
        "SELECT p.id {from_where} ORDER BY p.popularity DESC, p.id LIMIT {PAGE_SIZE} OFFSET {}",
        (q.page - 1) * PAGE_SIZE
    );
    let ids = read::rows(conn, &sql, &fts, |r| {
        r.int(0).map(Option::unwrap_or_default)
    })?;
    let results = ids
        .into_iter()
        .map(|id| person_by_id(conn, id))
        .collect::<read::Result<Vec<_>>>()?;
    let total = total as u64;
    Ok(json!({
        "page": q.page,
        "results": results,
        "total_pages": total.div_ceil(PAGE_SIZE).max(1),
        "total_results": total,
    }))
}

/// The list item of person `id`, who is in the mirror.
pub fn person_by_id(conn: &dyn Read, id: i64) -> read::Result<Value> {
    let sql = format!("SELECT {PERSON} FROM people p WHERE p.id = ?1");
    read::first(conn, &sql, &[SqlValue::Int(id)], |r| person_item(conn, r))?
        .ok_or_else(|| read::Error::Value(format!("person {id} vanished")))
}

/// Keywords, companies or collections whose name holds the words, by id.
fn entities(conn: &dyn Read, q: &Search, table: &str, fields: &[&str]) -> read::Result<Value> {
    let words = words::query(&q.text);
    if words.is_empty() {
        return Ok(empty(q.page));
    }
    let sql = format!(
        "SELECT id, name, {} FROM {table} ORDER BY id",
        fields.join(", ")
    );
    let (mut total, start) = (0u64, (q.page - 1) * PAGE_SIZE);
    let mut results = Vec::new();
    conn.each(&sql, &[], &mut |row| {
        let name = row.text(1)?;
        if !words::matches(&words, &words::tokens(name.as_deref().unwrap_or(""))) {
            return Ok(());
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
        Ok(())
    })?;
    Ok(json!({
        "page": q.page,
        "results": results,
        "total_pages": total.div_ceil(PAGE_SIZE).max(1),
        "total_results": total,
    }))
}
