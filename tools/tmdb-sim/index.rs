//! What TMDB's list routes need to know about the whole catalog on one day: every live movie's
//! list item and what discover filters on (keywords, companies, people, runtime,
//! certifications, watch providers), the credited people, and the collections, companies and
//! keywords the movies name. Built from the same bodies `/3/movie/{id}` and `/3/person/{id}`
//! answer, once per day and only when a route needs it (docs/tmdb-routes.md).

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use serde_json::{Map, Value};
use tmdb_core::tmdb::words;

use crate::appends::Subs;
use crate::catalog::Catalog;
use crate::{movie, person};

/// A live movie.
pub struct Movie {
    pub id: u64,
    /// TMDB's list item (`genre_ids`, no credits).
    pub item: Map<String, Value>,
    pub popularity: f64,
    pub adult: bool,
    /// `YYYY-MM-DD`, or "" when unknown.
    pub release_date: String,
    /// The words of its title and original title.
    pub tokens: Vec<String>,
    pub keywords: Vec<i64>,
    pub companies: Vec<i64>,
    pub cast: Vec<i64>,
    pub crew: Vec<i64>,
    pub runtime: Option<i64>,
    /// (country, certification) of every release.
    pub certs: Vec<(String, String)>,
    /// (region, kind, provider id) of every offer.
    pub offers: Vec<(String, String, i64)>,
    pub collection: Option<u64>,
    /// (external source, id).
    pub external: Vec<(String, String)>,
    /// (person id, "cast" or "crew", the credit's own fields).
    pub credits: Vec<(i64, &'static str, Map<String, Value>)>,
}

/// A live person credited by a live movie (the people a mirror fetches).
pub struct Person {
    pub body: Map<String, Value>,
    pub popularity: f64,
    pub adult: bool,
    pub tokens: Vec<String>,
}

/// The catalog of one day, as lists see it.
pub struct Index {
    /// Ascending by id.
    pub movies: Vec<Movie>,
    pub by_id: HashMap<u64, usize>,
    pub people: BTreeMap<u64, Person>,
    /// For each person, the movies (indexes into `movies`) that credit them, ascending.
    pub credited: HashMap<i64, Vec<usize>>,
    pub keywords: BTreeMap<u64, Map<String, Value>>,
    pub companies: BTreeMap<u64, Map<String, Value>>,
    pub collections: BTreeMap<u64, Map<String, Value>>,
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn ids(list: &Value, key: &str) -> Vec<i64> {
    list.as_array()
        .map(|a| a.iter().filter_map(|x| x[key].as_i64()).collect())
        .unwrap_or_default()
}

/// The list item of a movie's details.
pub fn item(details: &Value) -> Map<String, Value> {
    let mut map = Map::new();
    for key in [
        "adult",
        "backdrop_path",
        "id",
        "title",
        "original_language",
        "original_title",
        "overview",
        "popularity",
        "poster_path",
        "release_date",
        "softcore",
        "video",
        "vote_average",
        "vote_count",
    ] {
        map.insert(
            key.to_owned(),
            details.get(key).cloned().unwrap_or(Value::Null),
        );
    }
    map.insert(
        "genre_ids".to_owned(),
        Value::from(ids(&details["genres"], "id")),
    );
    map
}

fn movie(cat: &Catalog, slot: u64, day: u32) -> (Movie, Value) {
    let body: Value =
        serde_json::from_slice(&movie::details_body(cat, slot, day, Subs::ALL)).expect("own JSON");
    let b = &body;
    let mut credits = Vec::new();
    for (kind, list) in [
        ("cast", &b["credits"]["cast"]),
        ("crew", &b["credits"]["crew"]),
    ] {
        for c in list.as_array().into_iter().flatten() {
            let mut own = Map::new();
            own.insert("credit_id".to_owned(), c["credit_id"].clone());
            let keys: &[&str] = if kind == "cast" {
                &["character", "order"]
            } else {
                &["department", "job"]
            };
            for k in keys {
                own.insert((*k).to_owned(), c[*k].clone());
            }
            credits.push((c["id"].as_i64().unwrap_or_default(), kind, own));
        }
    }
    let mut certs = Vec::new();
    for country in b["release_dates"]["results"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for r in country["release_dates"].as_array().into_iter().flatten() {
            certs.push((text(&country["iso_3166_1"]), text(&r["certification"])));
        }
    }
    let mut offers = Vec::new();
    for (region, listing) in b["watch/providers"]["results"]
        .as_object()
        .into_iter()
        .flatten()
    {
        for (kind, list) in listing.as_object().into_iter().flatten() {
            for id in ids(list, "provider_id") {
                offers.push((region.clone(), kind.clone(), id));
            }
        }
    }
    let external = b["external_ids"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
        .collect();
    let mut tokens = words::tokens(b["title"].as_str().unwrap_or_default());
    tokens.extend(words::tokens(
        b["original_title"].as_str().unwrap_or_default(),
    ));
    let m = Movie {
        id: b["id"].as_u64().unwrap_or_default(),
        item: item(b),
        popularity: b["popularity"].as_f64().unwrap_or_default(),
        adult: b["adult"].as_bool().unwrap_or_default(),
        release_date: text(&b["release_date"]),
        tokens,
        keywords: ids(&b["keywords"]["keywords"], "id"),
        companies: ids(&b["production_companies"], "id"),
        cast: credits
            .iter()
            .filter(|c| c.1 == "cast")
            .map(|c| c.0)
            .collect(),
        crew: credits
            .iter()
            .filter(|c| c.1 == "crew")
            .map(|c| c.0)
            .collect(),
        runtime: b["runtime"].as_i64(),
        certs,
        offers,
        collection: b["belongs_to_collection"]["id"].as_u64(),
        external,
        credits,
    };
    (m, body)
}

/// The entity objects of a list in a movie's details (`production_companies`...).
fn entities(into: &mut BTreeMap<u64, Map<String, Value>>, list: &Value) {
    for e in list.as_array().into_iter().flatten() {
        if let (Some(id), Some(obj)) = (e["id"].as_u64(), e.as_object()) {
            into.insert(id, obj.clone());
        }
    }
}

impl Index {
    pub fn build(cat: &Catalog, day: u32) -> Index {
        let built: Vec<(Movie, Value)> = (0..cat.movie_slots(day))
            .into_par_iter()
            .filter(|&slot| cat.movie_alive(slot, day))
            .map(|slot| movie(cat, slot, day))
            .collect();
        let (mut keywords, mut companies, mut collections) =
            (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
        let mut credited: HashMap<i64, Vec<usize>> = HashMap::new();
        let mut movies = Vec::with_capacity(built.len());
        for (i, (m, body)) in built.into_iter().enumerate() {
            entities(&mut keywords, &body["keywords"]["keywords"]);
            entities(&mut companies, &body["production_companies"]);
            if let Some(c) = m.collection {
                let obj = body["belongs_to_collection"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
                collections.insert(c, obj);
            }
            for (person, _, _) in &m.credits {
                let list = credited.entry(*person).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
            movies.push(m);
        }
        let ids: Vec<i64> = credited.keys().copied().collect();
        let people = ids
            .into_par_iter()
            .filter_map(|id| {
                let slot = cat.person_slot(u64::try_from(id).ok()?)?;
                if !cat.person_alive(slot, day) {
                    return None;
                }
                let body = person::body(cat, slot, day, person::Subs::parse("external_ids"));
                let body: Map<String, Value> = serde_json::from_slice(&body).ok()?;
                let mut tokens = words::tokens(body["name"].as_str().unwrap_or_default());
                for alias in body["also_known_as"].as_array().into_iter().flatten() {
                    tokens.extend(words::tokens(alias.as_str().unwrap_or_default()));
                }
                Some((
                    id as u64,
                    Person {
                        popularity: body["popularity"].as_f64().unwrap_or_default(),
                        adult: body["adult"].as_bool().unwrap_or_default(),
                        tokens,
                        body,
                    },
                ))
            })
            .collect();
        let by_id = movies.iter().enumerate().map(|(i, m)| (m.id, i)).collect();
        Index {
            movies,
            by_id,
            people,
            credited,
            keywords,
            companies,
            collections,
        }
    }
}
