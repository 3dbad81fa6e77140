//! `GET /3/discover/movie`: the filters of docs/tmdb.md ("Endpoints we use") over every live movie,
//! a stable sort (ties broken by ID in the sort's direction), 20 per page, pages 1 to 500, true totals. Adult and
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
use crate::index::{Index, Movie};
use crate::movie::{self, GENRES};
use tmdb_core::tmdb::query::{Discover, SortField, passes};

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

/// Whether a query filters on what only the catalog index knows (keywords, companies,
/// people, runtime, certifications, watch providers).
fn needs_index(q: &Discover) -> bool {
    !(q.with_keywords.is_empty()
        && q.without_keywords.is_empty()
        && q.with_companies.is_empty()
        && q.without_companies.is_empty()
        && q.with_cast.is_empty()
        && q.with_crew.is_empty()
        && q.with_people.is_empty()
        && q.runtime_gte.is_none()
        && q.runtime_lte.is_none()
        && q.certification.is_none()
        && q.providers.is_none())
}

/// Whether a movie passes every filter of `q`; `rich` is its entry in the catalog index when
/// the query needs one.
fn keeps(q: &Discover, r: &Row, rich: Option<&Movie>) -> bool {
    if (r.adult && !q.include_adult) || (r.video && !q.include_video) {
        return false;
    }
    if q.needs_date() {
        let Some(d) = r.release else { return false };
        let day = dates::format(d);
        if q.date_gte.as_ref().is_some_and(|g| day < *g)
            || q.date_lte.as_ref().is_some_and(|l| day > *l)
            || q.year.is_some_and(|y| dates::to_ymd(d).0 != y)
        {
            return false;
        }
    }
    let genres: Vec<i64> = (0..GENRES.len())
        .filter(|i| r.genres & (1 << i) != 0)
        .map(|i| i64::from(GENRES[i].0))
        .collect();
    let none_of = |ids: &[i64], of: &[i64]| !ids.iter().any(|x| of.contains(x));
    let within = |v: Option<i64>, gte: Option<i64>, lte: Option<i64>| match v {
        None => gte.is_none() && lte.is_none(),
        Some(v) => gte.is_none_or(|g| v >= g) && lte.is_none_or(|l| v <= l),
    };
    let basic = passes(&q.with_genres, &genres)
        && none_of(&q.without_genres, &genres)
        && q.language.as_deref().is_none_or(|l| l == r.language)
        && q.vote_average_gte.is_none_or(|v| r.vote_average >= v)
        && q.vote_average_lte.is_none_or(|v| r.vote_average <= v)
        && within(
            Some(r.vote_count as i64),
            q.vote_count_gte,
            q.vote_count_lte,
        );
    let Some(m) = rich else { return basic };
    let people: Vec<i64> = m.cast.iter().chain(&m.crew).copied().collect();
    basic
        && passes(&q.with_keywords, &m.keywords)
        && none_of(&q.without_keywords, &m.keywords)
        && passes(&q.with_companies, &m.companies)
        && none_of(&q.without_companies, &m.companies)
        && passes(&q.with_cast, &m.cast)
        && passes(&q.with_crew, &m.crew)
        && passes(&q.with_people, &people)
        && within(m.runtime, q.runtime_gte, q.runtime_lte)
        && q.certification.as_ref().is_none_or(|c| {
            m.certs
                .iter()
                .any(|(country, cert)| *country == c.country && c.allowed.contains(cert))
        })
        && q.providers.as_ref().is_none_or(|p| {
            p.ids.iter().all(|group| {
                m.offers.iter().any(|(region, kind, id)| {
                    group.contains(id)
                        && p.region.as_ref().is_none_or(|r| r == region)
                        && p.kinds.contains(kind)
                })
            })
        })
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

/// Answers a discover request over the day's rows; `index` gives the catalog index, built
/// only when a filter needs it.
pub fn answer(
    cat: &Catalog,
    day: u32,
    rows: &[Row],
    req: &Request,
    cache: &HitCache,
    index: &dyn Fn() -> Arc<Index>,
) -> Result<Vec<u8>, ApiError> {
    let get = |k: &str| req.param(k);
    let q = Discover::parse(&get).map_err(errors::refused)?;
    let key = format!(
        "{day} {:?}",
        Discover {
            page: 0,
            ..q.clone()
        }
    );
    let hits = cache.get_or_sort(key, || {
        let index = needs_index(&q).then(index);
        sorted_hits(cat, day, rows, &q, index.as_deref())
    });
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

/// Indexes of the rows the query keeps, in its order (ties by ID in the sort's direction, as
/// the mirror's index gives them: a stable order).
fn sorted_hits(
    cat: &Catalog,
    day: u32,
    rows: &[Row],
    q: &Discover,
    index: Option<&Index>,
) -> Vec<usize> {
    let rich = |r: &Row| index.and_then(|ix| ix.by_id.get(&r.id).map(|&i| &ix.movies[i]));
    let mut hits: Vec<usize> = (0..rows.len())
        .filter(|&i| keeps(q, &rows[i], rich(&rows[i])))
        .collect();
    let (field, desc) = q.sort;
    let directed = |o: std::cmp::Ordering| if desc { o.reverse() } else { o };
    if matches!(field, SortField::Title | SortField::OriginalTitle) {
        let mut keyed: Vec<(String, usize)> = hits
            .into_par_iter()
            .map(|i| {
                let (t, o) = movie::titles(cat, &movie::facts(cat, rows[i].slot, day));
                (if field == SortField::Title { t } else { o }, i)
            })
            .collect();
        keyed.sort_by(|a, b| directed(a.0.cmp(&b.0).then(rows[a.1].id.cmp(&rows[b.1].id))));
        return keyed.into_iter().map(|(_, i)| i).collect();
    }
    hits.sort_by(|&a, &b| {
        let (a, b) = (&rows[a], &rows[b]);
        let o = match field {
            SortField::Revenue => a.revenue.cmp(&b.revenue),
            SortField::VoteAverage => a.vote_average.total_cmp(&b.vote_average),
            SortField::VoteCount => a.vote_count.cmp(&b.vote_count),
            SortField::ReleaseDate => a.release.cmp(&b.release),
            _ => a.popularity.total_cmp(&b.popularity),
        };
        directed(o.then(a.id.cmp(&b.id)))
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
