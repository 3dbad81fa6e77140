//! `GET /3/movie/changes` and `GET /3/person/changes`: the IDs changed, added or deleted on the
//! simulated days whose dates fall in `[start_date, end_date]`, each ID once, ascending, 100
//! per page. Deleted IDs carry `adult: null, softcore: null` (docs/tmdb.md, "Changes windows").
//!
//! Window rules: `end_date` defaults to the simulator's current date, `start_date` to the day
//! before `end_date`; a window longer than 14 days answers 422 / status_code 20. Day 0 (the
//! catalog at `--today`) has no changes: a client that mirrored on day 0 and later asks for
//! `start_date=<day 0>` sees every ID changed, added or deleted since.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::catalog::{Catalog, DayEffects};
use crate::dates;
use crate::errors::{self, ApiError};
use crate::http::Request;
use crate::{movie, person};

#[derive(Serialize)]
struct Page {
    results: Vec<Item>,
    page: u64,
    total_pages: u64,
    total_results: u64,
}

#[derive(Serialize)]
struct Item {
    id: u64,
    adult: Option<bool>,
    softcore: Option<bool>,
}

/// Movie or person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Movie,
    Person,
}

pub fn answer(
    cat: &Catalog,
    day: u32,
    effects: &[DayEffects],
    kind: Kind,
    req: &Request,
) -> Result<Vec<u8>, ApiError> {
    let date = |name: &str| -> Result<Option<i64>, ApiError> {
        req.param(name)
            .filter(|v| !v.is_empty())
            .map(|v| dates::parse(v).map_err(|_| errors::invalid_date(name)))
            .transpose()
    };
    let end = date("end_date")?.unwrap_or(cat.date_of(day));
    let start = date("start_date")?.unwrap_or(end - 1);
    if end - start > 14 {
        return Err(errors::date_range_too_long());
    }
    let page = match req.param("page") {
        None => 1,
        Some(p) => p
            .parse::<u64>()
            .ok()
            .filter(|p| (1..=500).contains(p))
            .ok_or_else(errors::invalid_page)?,
    };
    let mut ids = BTreeSet::new();
    for (i, e) in effects.iter().enumerate() {
        let d = cat.date_of(i as u32 + 1);
        if (start..=end).contains(&d) {
            let k = if kind == Kind::Movie {
                &e.movie
            } else {
                &e.person
            };
            ids.extend(k.all());
        }
    }
    let total = ids.len() as u64;
    let results = ids
        .into_iter()
        .skip(((page - 1) * 100) as usize)
        .take(100)
        .map(|id| {
            let adult = match kind {
                Kind::Movie => cat
                    .movie_slot(id)
                    .filter(|&s| cat.movie_alive(s, day))
                    .map(|s| movie::facts(cat, s, day).adult),
                Kind::Person => cat
                    .person_slot(id)
                    .filter(|&s| cat.person_alive(s, day))
                    .map(|s| person::facts(cat, s).adult),
            };
            Item {
                id,
                adult,
                softcore: adult.map(|_| false),
            }
        })
        .collect();
    let body = Page {
        results,
        page,
        total_pages: total.div_ceil(100).max(1),
        total_results: total,
    };
    Ok(serde_json::to_vec(&body).expect("change pages serialize"))
}
