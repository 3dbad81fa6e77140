//! `GET /3/discover/movie`: the filters of docs/tmdb.md ("Endpoints we use") over every live movie,
//! a stable sort (ties broken by ascending ID), 20 per page, pages 1 to 500, true totals. Adult and
//! video movies are hidden unless asked for, and any date filter leaves out movies without a
//! release date (as TMDB's does).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use serde::Serialize;

use crate::catalog::Catalog;
use crate::dates;
use crate::errors::{self, ApiError};
use crate::http::Request;
use crate::movie::{self, GENRES};

/// The facts of one live movie that discover filters and sorts on.
#[derive(Debug, Clone)]
pub struct Row {
    pub slot: u64,
    pub id: u64,
    pub adult: bool,
    pub video: bool,
    pub release: Option<i64>,
    /// Bit i set when the movie has genre `GENRES[i]`.
    pub genres: u32,
    pub popularity: f64,
    pub vote_average: f64,
    pub vote_count: u64,
    pub revenue: u64,
    pub language: &'static str,
}

/// Every live movie on `day`, ascending by ID (computed in parallel, cached by the caller).
pub fn rows(cat: &Catalog, day: u32) -> Vec<Row> {
    (0..cat.movie_slots(day))
        .into_par_iter()
        .filter(|&slot| cat.movie_alive(slot, day))
        .map(|slot| {
            let f = movie::facts(cat, slot, day);
            Row {
                slot,
                id: f.id,
                adult: f.adult,
                video: f.video,
                release: f.release_date,
                genres: f.genres.iter().fold(0, |m, &g| m | 1 << g),
                popularity: f.popularity,
                vote_average: f.vote_average,
                vote_count: f.vote_count,
                revenue: f.revenue,
                language: f.language,
            }
        })
        .collect()
}

/// A parsed discover query.
#[derive(Debug, Clone)]
struct Query {
    page: u64,
    include_adult: bool,
    include_video: bool,
    date_gte: Option<i64>,
    date_lte: Option<i64>,
    year: Option<i64>,
    /// Every mask must be matched by at least one bit (comma = AND of pipe-separated ORs).
    with_genres: Vec<u32>,
    without_genres: u32,
    language: Option<String>,
    vote_count_gte: Option<u64>,
    sort: (String, bool),
}

fn parse(req: &Request) -> Result<Query, ApiError> {
    let page = match req.param("page") {
        None => 1,
        Some(p) => p
            .parse::<u64>()
            .ok()
            .filter(|p| (1..=500).contains(p))
            .ok_or_else(errors::invalid_page)?,
    };
    let flag = |name: &str| req.param(name) == Some("true");
    let date = |name: &str| -> Result<Option<i64>, ApiError> {
        req.param(name)
            .filter(|v| !v.is_empty())
            .map(|v| dates::parse(v).map_err(|_| errors::invalid_date(name)))
            .transpose()
    };
    let max_opt = |a: Option<i64>, b: Option<i64>| a.max(b);
    let min_opt = |a: Option<i64>, b: Option<i64>| match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let date_gte = max_opt(date("primary_release_date.gte")?, date("release_date.gte")?);
    let date_lte = min_opt(date("primary_release_date.lte")?, date("release_date.lte")?);
    let year = req
        .param("primary_release_year")
        .or(req.param("year"))
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| errors::invalid_param("primary_release_year"))
        })
        .transpose()?;
    let genre_mask = |list: &str| -> u32 {
        list.split('|')
            .filter_map(|g| g.trim().parse::<u32>().ok())
            .filter_map(|id| GENRES.iter().position(|&(gid, _)| gid == id))
            .fold(0, |m, i| m | 1 << i)
    };
    let with_genres = req
        .param("with_genres")
        .filter(|v| !v.is_empty())
        .map(|v| v.split(',').map(genre_mask).collect())
        .unwrap_or_default();
    let without_genres = req
        .param("without_genres")
        .map(|v| genre_mask(&v.replace(',', "|")))
        .unwrap_or(0);
    let sort = req.param("sort_by").unwrap_or("popularity.desc");
    let (field, order) = sort.rsplit_once('.').unwrap_or((sort, "desc"));
    let known = [
        "popularity",
        "revenue",
        "primary_release_date",
        "release_date",
        "title",
        "original_title",
        "vote_average",
        "vote_count",
    ];
    let sort = if known.contains(&field) && (order == "asc" || order == "desc") {
        (field.to_owned(), order == "desc")
    } else {
        ("popularity".to_owned(), true)
    };
    Ok(Query {
        page,
        include_adult: flag("include_adult"),
        include_video: flag("include_video"),
        date_gte,
        date_lte,
        year,
        with_genres,
        without_genres,
        language: req
            .param("with_original_language")
            .filter(|v| !v.is_empty())
            .map(str::to_owned),
        vote_count_gte: req.param("vote_count.gte").and_then(|v| v.parse().ok()),
        sort,
    })
}

impl Query {
    fn keeps(&self, r: &Row) -> bool {
        if (r.adult && !self.include_adult) || (r.video && !self.include_video) {
            return false;
        }
        if self.date_gte.is_some() || self.date_lte.is_some() || self.year.is_some() {
            let Some(d) = r.release else { return false };
            if self.date_gte.is_some_and(|g| d < g) || self.date_lte.is_some_and(|l| d > l) {
                return false;
            }
            if self.year.is_some_and(|y| dates::to_ymd(d).0 != y) {
                return false;
            }
        }
        self.with_genres.iter().all(|&m| r.genres & m != 0)
            && r.genres & self.without_genres == 0
            && self.language.as_deref().is_none_or(|l| l == r.language)
            && self.vote_count_gte.is_none_or(|v| r.vote_count >= v)
    }
}

#[derive(Serialize)]
struct Page {
    page: u64,
    results: Vec<Item>,
    total_pages: u64,
    total_results: u64,
}

/// One result, in TMDB's field order (docs/tmdb.md, "Endpoints we use").
#[derive(Serialize)]
struct Item {
    adult: serde_json::Value,
    backdrop_path: serde_json::Value,
    genre_ids: Vec<u32>,
    id: u64,
    title: serde_json::Value,
    original_language: serde_json::Value,
    original_title: serde_json::Value,
    overview: serde_json::Value,
    popularity: serde_json::Value,
    poster_path: serde_json::Value,
    release_date: serde_json::Value,
    softcore: serde_json::Value,
    video: serde_json::Value,
    vote_average: serde_json::Value,
    vote_count: serde_json::Value,
}

/// How many recent queries keep their sorted hits.
const CACHED_QUERIES: usize = 16;

/// The sorted hits of recent queries, so that a client walking the pages of one query (or a
/// few at once) sorts the catalog once, not once per page.
#[derive(Default)]
pub struct HitCache(Mutex<VecDeque<(String, Arc<Vec<usize>>)>>);

impl HitCache {
    fn get_or_sort(&self, key: String, sort: impl FnOnce() -> Vec<usize>) -> Arc<Vec<usize>> {
        if let Some((_, hits)) = self.0.lock().unwrap().iter().find(|(k, _)| *k == key) {
            return Arc::clone(hits);
        }
        let hits = Arc::new(sort());
        let mut cache = self.0.lock().unwrap();
        if cache.len() == CACHED_QUERIES {
            cache.pop_front();
        }
        cache.push_back((key, Arc::clone(&hits)));
        hits
    }
}

/// Answers a discover request over the day's rows.
pub fn answer(
    cat: &Catalog,
    day: u32,
    rows: &[Row],
    req: &Request,
    cache: &HitCache,
) -> Result<Vec<u8>, ApiError> {
    let q = parse(req)?;
    let key = format!(
        "{day} {:?}",
        Query {
            page: 0,
            ..q.clone()
        }
    );
    let hits = cache.get_or_sort(key, || sorted_hits(cat, day, rows, &q));
    let total = hits.len() as u64;
    let start = ((q.page - 1) * 20) as usize;
    let results = hits
        .iter()
        .skip(start)
        .take(20)
        .map(|&i| item(cat, &rows[i], day))
        .collect();
    let page = Page {
        page: q.page,
        results,
        total_pages: total.div_ceil(20).max(1),
        total_results: total,
    };
    Ok(serde_json::to_vec(&page).expect("discover pages serialize"))
}

/// Indexes of the rows the query keeps, in its order (ties by ascending ID: a stable order).
fn sorted_hits(cat: &Catalog, day: u32, rows: &[Row], q: &Query) -> Vec<usize> {
    let mut hits: Vec<usize> = (0..rows.len()).filter(|&i| q.keeps(&rows[i])).collect();
    let (field, desc) = (q.sort.0.as_str(), q.sort.1);
    let directed = |o: std::cmp::Ordering| if desc { o.reverse() } else { o };
    if field == "title" || field == "original_title" {
        let mut keyed: Vec<(String, usize)> = hits
            .into_par_iter()
            .map(|i| {
                let (t, o) = movie::titles(cat, &movie::facts(cat, rows[i].slot, day));
                (if field == "title" { t } else { o }, i)
            })
            .collect();
        keyed.sort_by(|a, b| directed(a.0.cmp(&b.0)).then(rows[a.1].id.cmp(&rows[b.1].id)));
        return keyed.into_iter().map(|(_, i)| i).collect();
    }
    hits.sort_by(|&a, &b| {
        let (a, b) = (&rows[a], &rows[b]);
        let o = match field {
            "revenue" => a.revenue.cmp(&b.revenue),
            "vote_average" => a.vote_average.total_cmp(&b.vote_average),
            "vote_count" => a.vote_count.cmp(&b.vote_count),
            "primary_release_date" | "release_date" => a.release.cmp(&b.release),
            _ => a.popularity.total_cmp(&b.popularity),
        };
        directed(o).then(a.id.cmp(&b.id))
    });
    hits
}

/// A result item, taken from the movie's details so both always agree.
fn item(cat: &Catalog, r: &Row, day: u32) -> Item {
    let body = movie::details_body(cat, r.slot, day, Default::default());
    let mut d: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&body).expect("own JSON");
    let mut take = |k: &str| d.remove(k).unwrap_or(serde_json::Value::Null);
    Item {
        adult: take("adult"),
        backdrop_path: take("backdrop_path"),
        genre_ids: (0..GENRES.len())
            .filter(|i| r.genres & (1 << i) != 0)
            .map(|i| GENRES[i].0)
            .collect(),
        id: r.id,
        title: take("title"),
        original_language: take("original_language"),
        original_title: take("original_title"),
        overview: take("overview"),
        popularity: take("popularity"),
        poster_path: take("poster_path"),
        release_date: take("release_date"),
        softcore: take("softcore"),
        video: take("video"),
        vote_average: take("vote_average"),
        vote_count: take("vote_count"),
    }
}
