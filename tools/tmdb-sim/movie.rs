//! Movies: their facts on a given day and the body of `/3/movie/{id}`, field for field in TMDB's
//! order and with TMDB's `""`/`null` conventions (docs/tmdb.md, "Endpoints we use", "Empty
//! values"). Credits live in `credits.rs`, the other sub-resources in `appends.rs`.

use serde::Serialize;

use crate::appends::{self, Subs};
use crate::catalog::Catalog;
use crate::entities::{Collection, Company};
use crate::rng::{Rng, chance, tag};
use crate::{reserved, text};

/// TMDB's 19 movie genres with their real IDs (docs/tmdb.md, "Endpoints we use").
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
    /// 0 (obscure) to 1 (famous): how many credits, release dates, translations, images...
    pub fame: f64,
}

/// A movie's fame, fixed for life: most movies are obscure, a few are famous, and the reserved
/// ones are among the famous.
pub fn fame(cat: &Catalog, slot: u64) -> f64 {
    if reserved::movie(slot).is_some() {
        return 0.7;
    }
    cat.rng(&[tag::CREDITS, slot]).unit().powi(8)
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
    let mut facts = MovieFacts {
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
        fame: fame(cat, slot),
    };
    if let Some(r) = reserved::movie(slot) {
        let (y, m, d) = r.release_date;
        facts.adult = false;
        facts.video = false;
        facts.language = r.original_language;
        facts.country = r.country;
        facts.release_date = Some(crate::dates::from_ymd(y, m, d));
        facts.genres = r
            .genres
            .iter()
            .filter_map(|g| GENRES.iter().position(|(id, _)| id == g))
            .collect();
        facts.genres.sort_unstable();
    }
    facts
}

fn round(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

/// (title, original_title) at the facts' title version.
pub fn titles(cat: &Catalog, f: &MovieFacts) -> (String, String) {
    if let Some(r) = reserved::movie(f.slot) {
        return (r.title.to_owned(), r.original_title.to_owned());
    }
    let mut rng = cat.rng(&[tag::TITLE_CHANGE, f.slot, u64::from(f.title_version)]);
    text::title(&mut rng, f.language)
}

#[derive(Serialize)]
struct Named {
    id: u32,
    name: &'static str,
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

/// `/3/movie/{id}` in TMDB's field order.
#[derive(Serialize)]
struct MovieBody<'a> {
    adult: bool,
    backdrop_path: Option<String>,
    belongs_to_collection: Option<Collection>,
    budget: u64,
    genres: Vec<Named>,
    homepage: String,
    id: u64,
    imdb_id: Option<String>,
    origin_country: [&'a str; 1],
    original_language: &'a str,
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
}

/// The body of `/3/movie/{id}` with the `subs` sub-resources appended, for a live slot.
pub fn details_body(cat: &Catalog, slot: u64, day: u32, subs: Subs) -> Vec<u8> {
    appends::details_with(cat, &facts(cat, slot, day), day, subs)
}

/// (backdrop_path, poster_path): the first draws of the details' stream.
fn artwork_from(rng: &mut Rng) -> (Option<String>, Option<String>) {
    let mut image =
        |null_per_mille| (!rng.chance(null_per_mille)).then(|| text::image_path(rng, "jpg"));
    let backdrop = image(250);
    (backdrop, image(150))
}

/// The movie's (backdrop_path, poster_path), which its images list first.
pub fn artwork(cat: &Catalog, slot: u64) -> (Option<String>, Option<String>) {
    artwork_from(&mut cat.rng(&[tag::MOVIE, slot, 0x7e47]))
}

/// The details alone, as one JSON object.
pub fn details_json(cat: &Catalog, f: &MovieFacts) -> Vec<u8> {
    let (title, original_title) = titles(cat, f);
    let reserved = reserved::movie(f.slot);
    let mut rng = cat.rng(&[tag::MOVIE, f.slot, 0x7e47]);
    let (backdrop_path, poster_path) = artwork_from(&mut rng);
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
    let overview = if rng.chance(60) {
        String::new()
    } else {
        let len = 80 + rng.below(500) as usize;
        text::prose(&mut rng, len)
    };
    let mut runtime = if rng.chance(100) {
        0
    } else {
        60 + rng.below(140)
    };
    let tagline = if rng.chance(350) {
        String::new()
    } else {
        let words = 2 + rng.below(6);
        text::sentence(&mut rng, words)
    };
    let mut status = match f.release_date {
        Some(d) if d > cat.today => *rng.pick(STATUSES_FUTURE),
        _ => *rng.pick(STATUSES_PAST),
    };
    if let Some(r) = reserved {
        runtime = r.runtime;
        status = "Released";
    }
    let parts = appends::details_parts(cat, f);
    let body = MovieBody {
        adult: f.adult,
        backdrop_path,
        belongs_to_collection: parts.collection,
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
        imdb_id: appends::imdb_id(cat, f),
        origin_country: [f.country],
        original_language: f.language,
        original_title,
        overview,
        popularity: f.popularity,
        poster_path,
        production_companies: parts.companies,
        production_countries: parts
            .countries
            .iter()
            .map(|&c| {
                let (iso_3166_1, name) = text::country(c);
                Country { iso_3166_1, name }
            })
            .collect(),
        release_date: f.release_date.map(crate::dates::format).unwrap_or_default(),
        revenue: f.revenue,
        runtime,
        softcore: false,
        spoken_languages: parts
            .languages
            .iter()
            .map(|&l| {
                let (iso_639_1, english_name, name) = text::language(l);
                Spoken {
                    english_name,
                    iso_639_1,
                    name,
                }
            })
            .collect(),
        status,
        tagline,
        title,
        video: f.video,
        vote_average: f.vote_average,
        vote_count: f.vote_count,
    };
    let mut out = Vec::with_capacity(2048);
    serde_json::to_writer(&mut out, &body).expect("movie bodies serialize");
    out
}
