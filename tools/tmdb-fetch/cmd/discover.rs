//! `tmdb-fetch ids --source discover`: movie IDs by walking `/discover/movie`.
//!
//! Discover serves 500 pages of 20 per query (docs/tmdb.md, "Page cap (500)"), so the years are
//! covered by `primary_release_date` ranges, halved while a range has more than 500 pages; a single
//! day still over the cap is split by genre: one query per genre plus one for movies with none
//! (`without_genres` of all of them, `|` meaning "any of"), since genre-keyed walks miss those
//! (docs/tmdb.md, "Empty values"). Results are de-duplicated (a movie with two genres comes twice;
//! pages overlap as totals drift) and written ascending by ID in the export's line shape, so both
//! sources feed `ndjson-load --kind movie-ids` alike. `include_video=true` is always sent, since
//! the export lists video items too. Pages are sorted by `original_title`: a field that does not
//! move during a walk (popularity does, and pages then skip or repeat items) and rarely ties (every
//! movie of a one-day query shares its release date).
//!
//! A report line on stderr compares what discover claimed with what was collected, and counts
//! what cannot be reached: items past the cap of an unsplittable query, and the movies no date
//! filter can list (no release date, or outside the years), as the unfiltered total minus the
//! years' total.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use serde_json::{Value, json};
use tmdb_core::exit::Status;

use super::Ctx;
use super::pager::{Query, walk};
use crate::cli::IdsArgs;
use crate::date::Date;
use crate::json::Page;
use crate::output::Sink;
use crate::progress::Progress;

const PER_PAGE: u64 = 20;

/// TMDB's 19 movie genres (docs/tmdb.md, "Endpoints we use"; unchanged 2022-2026).
const GENRES: [u64; 19] = [
    28, 12, 16, 35, 80, 99, 18, 10751, 14, 36, 27, 10402, 9648, 10749, 878, 10770, 53, 10752, 37,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Genres {
    Any,
    With(u64),
    None,
}

#[derive(Debug, Clone)]
struct Range {
    from: Date,
    to: Date,
    genres: Genres,
    include_adult: bool,
}

impl Range {
    fn base(&self) -> String {
        format!(
            "/discover/movie?include_adult={}&include_video=true&sort_by=original_title.asc",
            self.include_adult
        )
    }
}

impl Query for Range {
    fn path(&self, page: u32) -> String {
        let genres = match self.genres {
            Genres::Any => String::new(),
            Genres::With(id) => format!("&with_genres={id}"),
            Genres::None => {
                let all: Vec<String> = GENRES.iter().map(u64::to_string).collect();
                format!("&without_genres={}", all.join("%7C"))
            }
        };
        format!(
            "{}&primary_release_date.gte={}&primary_release_date.lte={}{genres}&page={page}",
            self.base(),
            self.from,
            self.to
        )
    }

    fn split(&self) -> Vec<Range> {
        let days = self.from.days_until(self.to);
        if days > 0 {
            let mid = self.from.plus(days / 2);
            return vec![
                Range {
                    to: mid,
                    ..self.clone()
                },
                Range {
                    from: mid.plus(1),
                    ..self.clone()
                },
            ];
        }
        if self.genres != Genres::Any {
            return Vec::new();
        }
        GENRES
            .iter()
            .map(|&id| Genres::With(id))
            .chain([Genres::None])
            .map(|genres| Range {
                genres,
                ..self.clone()
            })
            .collect()
    }

    fn describe(&self) -> String {
        let genres = match self.genres {
            Genres::Any => String::new(),
            Genres::With(id) => format!(" genre {id}"),
            Genres::None => " without genres".to_owned(),
        };
        format!("discover {}..{}{genres}", self.from, self.to)
    }
}

/// The export's line shape, from a discover item.
fn id_line(item: &Value) -> Option<(u64, Value)> {
    let id = item.get("id")?.as_u64().filter(|&id| id > 0)?;
    let field = |name: &str| item.get(name).cloned().unwrap_or(Value::Null);
    Some((
        id,
        json!({
            "adult": field("adult"),
            "id": id,
            "original_title": field("original_title"),
            "popularity": field("popularity"),
            "video": field("video"),
        }),
    ))
}

pub async fn run(ctx: &Ctx, args: &IdsArgs) -> Result<Status> {
    let Some(from_year) = args.from_year else {
        bail!("ids --source discover needs --from-year (and --to-year, default this year)");
    };
    let to_year = args.to_year.unwrap_or_else(|| Date::today().ymd().0);
    let (Some(from), Some(to)) = (
        Date::from_ymd(from_year, 1, 1),
        Date::from_ymd(to_year, 12, 31),
    ) else {
        bail!("--from-year {from_year} or --to-year {to_year} is not a year");
    };
    if from > to {
        bail!("--from-year {from_year} is after --to-year {to_year}");
    }
    let root = Range {
        from,
        to,
        genres: Genres::Any,
        include_adult: args.include_adult,
    };
    let progress = Progress::start("ids", None, ctx.client.clone());
    let everything: Result<Page<Value>> = ctx
        .client
        .get_required(&format!("{}&page=1", root.base()))
        .await;
    let everything = progress.or_finish(everything)?;
    let mut lines = BTreeMap::new();
    let walked = walk(ctx, vec![root], PER_PAGE, |_, item| {
        if let Some((id, line)) = id_line(item)
            && lines.insert(id, line).is_none()
        {
            progress.done(&progress.counts.fetched);
        }
    })
    .await;
    let walked = progress.or_finish(walked)?;
    let mut out = Sink::stdout(false);
    for line in lines.values() {
        out.write_json(line)?;
    }
    out.flush()?;
    progress.finish();
    eprintln!(
        "tmdb-fetch: discover {from_year}..{to_year}: claimed {}, collected {}; unreachable: {} \
         past the 500-page cap, {} outside these years or without a release date (of {} in all)",
        walked.claimed,
        lines.len(),
        walked.unreachable,
        everything.total_results.saturating_sub(walked.claimed),
        everything.total_results,
    );
    for capped in &walked.capped {
        eprintln!("tmdb-fetch: {capped}: more than 500 pages even split by genre");
    }
    Ok(Status::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_halve_by_date_then_split_by_genre_including_none() {
        let d = |t: &str| t.parse::<Date>().unwrap();
        let year = Range {
            from: d("2001-01-01"),
            to: d("2001-12-31"),
            genres: Genres::Any,
            include_adult: false,
        };
        let halves = year.split();
        assert_eq!(halves.len(), 2);
        assert_eq!(halves[0].to, d("2001-07-02"));
        assert_eq!(halves[1].from, d("2001-07-03"));
        let day = Range {
            from: d("2001-03-04"),
            to: d("2001-03-04"),
            ..year.clone()
        };
        let parts = day.split();
        assert_eq!(parts.len(), 20);
        assert_eq!(parts[19].genres, Genres::None);
        assert!(parts[19].path(3).contains("&without_genres=28%7C12%7C16"));
        assert!(parts[19].split().is_empty());
        assert_eq!(
            parts[0].path(2),
            "/discover/movie?include_adult=false&include_video=true\
             &sort_by=original_title.asc&primary_release_date.gte=2001-03-04\
             &primary_release_date.lte=2001-03-04&with_genres=28&page=2"
        );
    }

    #[test]
    fn discover_items_become_export_lines() {
        let item = json!({"adult":false,"genre_ids":[],"id":12,"original_title":"Ü \"q\"","popularity":1.5,"video":true,"title":"x"});
        let (id, line) = id_line(&item).unwrap();
        assert_eq!(id, 12);
        assert_eq!(
            line.to_string(),
            r#"{"adult":false,"id":12,"original_title":"Ü \"q\"","popularity":1.5,"video":true}"#
        );
        assert!(id_line(&json!({"id":"12"})).is_none());
    }
}
