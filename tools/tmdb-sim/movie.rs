//! Movies: their facts on a given day and the body of `/3/movie/{id}`, field for field in
//! TMDB's order and with TMDB's `""`/`null` conventions (REFERENCE.md §4.3, §6). Credits live
//! in `credits.rs`.

use serde::Serialize;

use crate::catalog::Catalog;
use crate::credits::{self, Credits};
use crate::rng::{Rng, chance, tag};
use crate::text;

/// TMDB's 19 movie genres with their real IDs (REFERENCE.md §4.1).
pub const GENRES: &[(u32, &str)] = &[
    (28, "Action"),
    (12, "Adventure"),
    (16, "Animation"),
    (35, "Comedy"),
    (80, "Crime"),
    (99, "Documentary"),
    (18, "Drama"),
    (10751, "Family"),
    (14, "Fantasy"),
    (36, "History"),
    (27, "Horror"),
    (10402, "Music"),
    (9648, "Mystery"),
    (10749, "Romance"),
    (878, "Science Fiction"),
    (10770, "TV Movie"),
    (53, "Thriller"),
    (10752, "War"),
    (37, "Western"),
];

const STATUSES_PAST: &[&str] = &[
    "Released", "Released", "Released", "Released", "Canceled", "Rumored",
];
const STATUSES_FUTURE: &[&str] = &["Planned", "In Production", "Post Production", "Rumored"];

/// What discover filters and sorts on, and what the export lists: cheap to compute for every
/// movie of a large catalog (no text except on demand).
#[derive(Debug, Clone)]
pub struct MovieFacts {
    pub slot: u64,
    pub id: u64,
    pub adult: bool,
    pub video: bool,
    pub language: &'static str,
    pub country: &'static str,
    /// Day number; `None` when TMDB would say `release_date: ""`.
    pub release_date: Option<i64>,
    /// Indexes into [`GENRES`].
    pub genres: Vec<usize>,
    pub popularity: f64,
    pub vote_average: f64,
    pub vote_count: u64,
    pub revenue: u64,
    /// The day the title was last rewritten (its text is a function of it).
    pub title_version: u32,
}

pub fn facts(cat: &Catalog, slot: u64, day: u32) -> MovieFacts {
    let mut rng = cat.rng(&[tag::MOVIE, slot]);
    let adult = rng.chance(12);
    let video = rng.chance(12);
    let (language, country) = text::pick_language(&mut rng);
    let release_date = if rng.chance(50) {
        None
    } else {
        // 1900 to two years after the simulator's today, weighted towards recent years.
        let span = (cat.today - crate::dates::from_ymd(1900, 1, 1) + 730) as f64;
        Some(cat.today + 730 - (span * rng.unit().powf(2.5)) as i64)
    };
    let genres = if rng.chance(80) {
        Vec::new()
    } else {
        let mut g: Vec<usize> = (0..1 + rng.below(4))
            .map(|_| rng.below(GENRES.len() as u64) as usize)
            .collect();
        g.sort_unstable();
        g.dedup();
        g
    };
    let revenue = if rng.chance(600) {
        0
    } else {
        rng.below(2_000_000_000)
    };
    let changes = cat.movie_change_days(slot, day);
    let version = changes.last().copied().unwrap_or(cat.movie_born(slot));
    let title_version = changes
        .iter()
        .rev()
        .find(|&&d| chance(&[cat.seed, tag::TITLE_CHANGE, slot, u64::from(d)], 300))
        .copied()
        .unwrap_or(cat.movie_born(slot));
    let mut vrng = cat.rng(&[tag::MOVIE, slot, 1 + u64::from(version)]);
    let popularity = round(vrng.unit().powi(4) * 800.0, 4);
    let vote_count = if vrng.chance(300) {
        0
    } else {
        (vrng.unit().powi(3) * 30_000.0) as u64
    };
    let vote_average = if vote_count == 0 {
        0.0
    } else {
        round(1.0 + vrng.unit() * 9.0, 3)
    };
    MovieFacts {
        slot,
        id: cat.movie_id(slot),
        adult,
        video,
        language,
        country,
        release_date,
        genres,
        popularity,
        vote_average,
        vote_count,
        revenue,
        title_version,
    }
}

fn round(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

/// (title, original_title) at the facts' title version.
pub fn titles(cat: &Catalog, f: &MovieFacts) -> (String, String) {
    let mut rng = cat.rng(&[tag::TITLE_CHANGE, f.slot, u64::from(f.title_version)]);
    text::title(&mut rng, f.language)
}

#[derive(Serialize)]
struct Named {
    id: u32,
    name: &'static str,
}

#[derive(Serialize)]
struct Collection {
    id: u64,
    name: String,
    poster_path: Option<String>,
    backdrop_path: Option<String>,
}

#[derive(Serialize)]
struct Company {
    id: u64,
    logo_path: Option<String>,
    name: String,
    origin_country: &'static str,
}

#[derive(Serialize)]
struct Country {
    iso_3166_1: &'static str,
    name: &'static str,
}

#[derive(Serialize)]
struct Spoken {
    english_name: &'static str,
    iso_639_1: &'static str,
    name: &'static str,
}

/// `/3/movie/{id}` in TMDB's field order; `credits` rides along when appended.
#[derive(Serialize)]
struct MovieBody {
    adult: bool,
    backdrop_path: Option<String>,
    belongs_to_collection: Option<Collection>,
    budget: u64,
    genres: Vec<Named>,
    homepage: String,
    id: u64,
    imdb_id: Option<String>,
    origin_country: Vec<&'static str>,
    original_language: &'static str,
    original_title: String,
    overview: String,
    popularity: f64,
    poster_path: Option<String>,
    production_companies: Vec<Company>,
    production_countries: Vec<Country>,
    release_date: String,
    revenue: u64,
    runtime: u64,
    softcore: bool,
    spoken_languages: Vec<Spoken>,
    status: &'static str,
    tagline: String,
    title: String,
    video: bool,
    vote_average: f64,
    vote_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    credits: Option<Credits>,
}

/// The body of `/3/movie/{id}` (with `credits` when `with_credits`) for a live slot.
pub fn details_body(cat: &Catalog, slot: u64, day: u32, with_credits: bool) -> Vec<u8> {
    let f = facts(cat, slot, day);
    let (title, original_title) = titles(cat, &f);
    let mut rng = cat.rng(&[tag::MOVIE, slot, 0x7e47]);
    let image = |rng: &mut Rng, null_per_mille| {
        (!rng.chance(null_per_mille)).then(|| text::image_path(rng, "jpg"))
    };
    let backdrop_path = image(&mut rng, 250);
    let poster_path = image(&mut rng, 150);
    let belongs_to_collection = rng.chance(100).then(|| Collection {
        id: 1 + rng.below(1_500_000),
        name: format!("{title} Collection"),
        poster_path: image(&mut rng, 300),
        backdrop_path: image(&mut rng, 300),
    });
    let budget = if rng.chance(600) {
        0
    } else {
        rng.below(300_000_000)
    };
    let homepage = if rng.chance(700) {
        String::new()
    } else {
        format!("https://www.example.com/movie/{}", f.id)
    };
    let imdb_id = (!rng.chance(150)).then(|| format!("tt{:07}", rng.below(40_000_000)));
    let overview = if rng.chance(60) {
        String::new()
    } else {
        {
            let len = 80 + rng.below(500) as usize;
            text::prose(&mut rng, len)
        }
    };
    let companies = (0..rng.below(4))
        .map(|_| Company {
            id: 1 + rng.below(250_000),
            logo_path: (!rng.chance(500)).then(|| text::image_path(&mut rng, "png")),
            name: text::title(&mut rng, "en").0,
            origin_country: if rng.chance(150) {
                ""
            } else {
                text::pick_language(&mut rng).1
            },
        })
        .collect();
    let (country_code, country_name) = text::country(f.country);
    let (iso, english, native) = text::language(f.language);
    let runtime = if rng.chance(100) {
        0
    } else {
        60 + rng.below(140)
    };
    let tagline = if rng.chance(350) {
        String::new()
    } else {
        {
            let words = 2 + rng.below(6);
            text::sentence(&mut rng, words)
        }
    };
    let status = match f.release_date {
        Some(d) if d > cat.today => *rng.pick(STATUSES_FUTURE),
        _ => *rng.pick(STATUSES_PAST),
    };
    let body = MovieBody {
        adult: f.adult,
        backdrop_path,
        belongs_to_collection,
        budget,
        genres: f
            .genres
            .iter()
            .map(|&g| Named {
                id: GENRES[g].0,
                name: GENRES[g].1,
            })
            .collect(),
        homepage,
        id: f.id,
        imdb_id,
        origin_country: vec![country_code],
        original_language: f.language,
        original_title,
        overview,
        popularity: f.popularity,
        poster_path,
        production_companies: companies,
        production_countries: vec![Country {
            iso_3166_1: country_code,
            name: country_name,
        }],
        release_date: f.release_date.map(crate::dates::format).unwrap_or_default(),
        revenue: f.revenue,
        runtime,
        softcore: false,
        spoken_languages: vec![Spoken {
            english_name: english,
            iso_639_1: iso,
            name: native,
        }],
        status,
        tagline,
        title,
        video: f.video,
        vote_average: f.vote_average,
        vote_count: f.vote_count,
        credits: with_credits.then(|| credits::credits(cat, slot, day, None)),
    };
    serde_json::to_vec(&body).expect("movie bodies serialize")
}
