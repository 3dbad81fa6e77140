//! TMDB's routes over the whole catalog besides discover: `/3/search/...`, `/3/find/{id}`,
//! `/3/collection/{id}`, `/3/company/{id}`, `/3/keyword/{id}` and its movies,
//! `/3/person/{id}/movie_credits`, answered from the day's [`Index`] with the semantics the
//! mirror's answers are compared against (docs/tmdb-routes.md).

use std::cmp::Ordering;

use serde_json::{Map, Value, json};
use tmdb_core::tmdb::query::{self, Search};
use tmdb_core::tmdb::{PAGE_SIZE, Refusal, words};

use crate::http::Request;
use crate::index::{Index, Movie};

/// TMDB's page envelope over `total` results.
fn envelope(page: u64, results: Vec<Value>, total: usize) -> Value {
    let total = total as u64;
    json!({
        "page": page,
        "results": results,
        "total_pages": total.div_ceil(PAGE_SIZE).max(1),
        "total_results": total,
    })
}

/// One page of `all`.
fn paged(page: u64, all: Vec<Value>) -> Value {
    let total = all.len();
    let start = ((page - 1) * PAGE_SIZE) as usize;
    let results = all
        .into_iter()
        .skip(start)
        .take(PAGE_SIZE as usize)
        .collect();
    envelope(page, results, total)
}

/// Most popular first, ties by ascending id.
fn by_popularity(a: &Movie, b: &Movie) -> Ordering {
    b.popularity.total_cmp(&a.popularity).then(a.id.cmp(&b.id))
}

fn with_media_type(m: &Movie) -> Value {
    let mut item = m.item.clone();
    item.insert("media_type".to_owned(), json!("movie"));
    Value::Object(item)
}

/// A person as TMDB's lists show one, with up to three movies they are known for.
fn person_item(ix: &Index, id: u64) -> Option<Value> {
    let p = ix.people.get(&id)?;
    let mut map = Map::new();
    for key in [
        "id",
        "adult",
        "gender",
        "known_for_department",
        "name",
        "popularity",
        "profile_path",
    ] {
        map.insert(
            key.to_owned(),
            p.body.get(key).cloned().unwrap_or(Value::Null),
        );
    }
    map.insert("original_name".to_owned(), map["name"].clone());
    let mut known: Vec<&Movie> = ix
        .credited
        .get(&(id as i64))
        .into_iter()
        .flatten()
        .map(|&i| &ix.movies[i])
        .collect();
    known.sort_by(|a, b| by_popularity(a, b));
    let known: Vec<Value> = known.into_iter().take(3).map(with_media_type).collect();
    map.insert("known_for".to_owned(), Value::Array(known));
    Some(Value::Object(map))
}

/// `/3/search/{kind}`.
pub fn search(ix: &Index, kind: &str, req: &Request) -> Result<Value, Refusal> {
    let get = |k: &str| req.param(k);
    let q = Search::parse(&get)?;
    let words = words::query(&q.text);
    if words.is_empty() {
        return Ok(envelope(q.page, Vec::new(), 0));
    }
    Ok(match kind {
        "movie" => {
            let mut found: Vec<&Movie> = ix
                .movies
                .iter()
                .filter(|m| q.include_adult || !m.adult)
                .filter(|m| {
                    q.year
                        .is_none_or(|y| m.release_date.get(..4) == Some(&format!("{y:04}")))
                })
                .filter(|m| words::matches(&words, &m.tokens))
                .collect();
            found.sort_by(|a, b| by_popularity(a, b));
            paged(
                q.page,
                found
                    .into_iter()
                    .map(|m| Value::Object(m.item.clone()))
                    .collect(),
            )
        }
        "person" => {
            let mut found: Vec<(u64, f64)> = ix
                .people
                .iter()
                .filter(|(_, p)| (q.include_adult || !p.adult) && words::matches(&words, &p.tokens))
                .map(|(&id, p)| (id, p.popularity))
                .collect();
            found.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let total = found.len();
            let start = ((q.page - 1) * PAGE_SIZE) as usize;
            let results = found
                .into_iter()
                .skip(start)
                .take(PAGE_SIZE as usize)
                .filter_map(|(id, _)| person_item(ix, id))
                .collect();
            envelope(q.page, results, total)
        }
        _ => {
            let (list, fields): (_, &[&str]) = match kind {
                "keyword" => (&ix.keywords, &["name"]),
                "company" => (&ix.companies, &["logo_path", "name", "origin_country"]),
                _ => (&ix.collections, &["name", "poster_path", "backdrop_path"]),
            };
            let found = list
                .iter()
                .filter(|(_, e)| {
                    words::matches(
                        &words,
                        &words::tokens(e["name"].as_str().unwrap_or_default()),
                    )
                })
                .map(|(&id, e)| entity(id, e, fields))
                .collect();
            paged(q.page, found)
        }
    })
}

/// An entity object of `fields` and its id.
fn entity(id: u64, e: &Map<String, Value>, fields: &[&str]) -> Value {
    let mut map = Map::new();
    map.insert("id".to_owned(), json!(id));
    for f in fields {
        map.insert((*f).to_owned(), e.get(*f).cloned().unwrap_or(Value::Null));
    }
    Value::Object(map)
}

pub fn collection(ix: &Index, id: u64) -> Result<Value, Refusal> {
    let c = ix.collections.get(&id).ok_or(Refusal::NotFound)?;
    let mut map = match entity(id, c, &["name", "poster_path", "backdrop_path"]) {
        Value::Object(map) => map,
        _ => unreachable!("entity builds an object"),
    };
    let mut parts: Vec<&Movie> = ix
        .movies
        .iter()
        .filter(|m| m.collection == Some(id))
        .collect();
    // Oldest first, undated last.
    parts.sort_by(|a, b| {
        (a.release_date.is_empty(), &a.release_date, a.id).cmp(&(
            b.release_date.is_empty(),
            &b.release_date,
            b.id,
        ))
    });
    map.insert(
        "parts".to_owned(),
        Value::Array(parts.into_iter().map(with_media_type).collect()),
    );
    Ok(Value::Object(map))
}

pub fn company(ix: &Index, id: u64) -> Result<Value, Refusal> {
    let c = ix.companies.get(&id).ok_or(Refusal::NotFound)?;
    Ok(entity(id, c, &["logo_path", "name", "origin_country"]))
}

pub fn keyword(ix: &Index, id: u64) -> Result<Value, Refusal> {
    let k = ix.keywords.get(&id).ok_or(Refusal::NotFound)?;
    Ok(entity(id, k, &["name"]))
}

/// The movies tagged with a keyword, most popular first.
pub fn keyword_movies(ix: &Index, id: u64, req: &Request) -> Result<Value, Refusal> {
    ix.keywords.get(&id).ok_or(Refusal::NotFound)?;
    let get = |k: &str| req.param(k);
    let page = query::page(&get)?;
    let adult = req.param("include_adult") == Some("true");
    let mut found: Vec<&Movie> = ix
        .movies
        .iter()
        .filter(|m| (adult || !m.adult) && m.keywords.contains(&(id as i64)))
        .collect();
    found.sort_by(|a, b| by_popularity(a, b));
    let mut body = paged(
        page,
        found
            .into_iter()
            .map(|m| Value::Object(m.item.clone()))
            .collect(),
    );
    body["id"] = json!(id);
    Ok(body)
}

/// `/3/person/{id}/movie_credits`: by movie id, then billing order.
pub fn movie_credits(ix: &Index, id: u64) -> Result<Value, Refusal> {
    ix.people.get(&id).ok_or(Refusal::NotFound)?;
    let (mut cast, mut crew) = (Vec::new(), Vec::new());
    for &i in ix.credited.get(&(id as i64)).into_iter().flatten() {
        let m = &ix.movies[i];
        for (person, kind, own) in &m.credits {
            if *person != id as i64 {
                continue;
            }
            let mut item = m.item.clone();
            item.extend(own.clone());
            if *kind == "cast" {
                cast.push(Value::Object(item));
            } else {
                crew.push(Value::Object(item));
            }
        }
    }
    Ok(json!({"id": id, "cast": cast, "crew": crew}))
}

/// The external sources `/3/find` takes.
const SOURCES: &[&str] = &[
    "imdb_id",
    "wikidata_id",
    "facebook_id",
    "instagram_id",
    "twitter_id",
    "tiktok_id",
    "youtube_id",
    "tvdb_id",
];

/// `/3/find/{external_id}?external_source=...`.
pub fn find(ix: &Index, external: &str, req: &Request) -> Result<Value, Refusal> {
    let source = req
        .param("external_source")
        .filter(|s| SOURCES.contains(s))
        .ok_or_else(|| Refusal::InvalidParam("external_source".to_owned()))?;
    let movies: Vec<Value> = ix
        .movies
        .iter()
        .filter(|m| m.external.iter().any(|(k, v)| k == source && v == external))
        .map(with_media_type)
        .collect();
    let people: Vec<Value> = ix
        .people
        .iter()
        .filter(|(_, p)| {
            p.body
                .get("external_ids")
                .and_then(|e| e.get(source))
                .and_then(Value::as_str)
                == Some(external)
        })
        .filter_map(|(&id, _)| person_item(ix, id))
        .collect();
    Ok(json!({
        "movie_results": movies,
        "person_results": people,
        "tv_results": [],
        "tv_episode_results": [],
        "tv_season_results": [],
    }))
}
