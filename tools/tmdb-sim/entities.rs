//! Entities that many movies mention: collections, companies, keywords and watch providers.
//! Each is a pure function of the seed and its own ID, never of the movie that mentions it, so
//! every movie shows the same fields for the same ID (a mirror normalises them into one row).
//! They do not change over simulated days.

use serde::Serialize;

use crate::catalog::Catalog;
use crate::rng::{Rng, hash, tag};
use crate::text;

/// Sub-tags of [`tag::ENTITY`].
const COLLECTION: u64 = 1;
const COMPANY: u64 = 2;
const KEYWORD: u64 = 3;
const PROVIDER: u64 = 4;

/// `belongs_to_collection`.
#[derive(Serialize)]
pub struct Collection {
    pub id: u64,
    pub name: String,
    pub poster_path: Option<String>,
    pub backdrop_path: Option<String>,
}

/// A collection ID for a movie: about one collection per ten movies mentioning one.
pub fn pick_collection(cat: &Catalog, rng: &mut Rng) -> u64 {
    1 + rng.below((cat.movies / 50).max(5))
}

pub fn collection(cat: &Catalog, id: u64) -> Collection {
    let mut rng = cat.rng(&[tag::ENTITY, COLLECTION, id]);
    let name = format!("{} Collection", text::title(&mut rng, "en").0);
    Collection {
        id,
        name,
        poster_path: (!rng.chance(150)).then(|| text::image_path(&mut rng, "jpg")),
        backdrop_path: (!rng.chance(300)).then(|| text::image_path(&mut rng, "jpg")),
    }
}

/// An item of `production_companies`.
#[derive(Serialize)]
pub struct Company {
    pub id: u64,
    pub logo_path: Option<String>,
    pub name: String,
    pub origin_country: &'static str,
}

/// A company ID for a movie, skewed so that a few studios make many movies.
pub fn pick_company(cat: &Catalog, rng: &mut Rng) -> u64 {
    let pool = (cat.movies / 4).max(20) as f64;
    1 + (pool * rng.unit().powi(2)) as u64
}

pub fn company(cat: &Catalog, id: u64) -> Company {
    let mut rng = cat.rng(&[tag::ENTITY, COMPANY, id]);
    Company {
        id,
        // Most small companies have no logo.
        logo_path: (!rng.chance(500)).then(|| text::image_path(&mut rng, "png")),
        name: text::title(&mut rng, "en").0,
        origin_country: if rng.chance(100) {
            ""
        } else {
            text::pick_language(&mut rng).1
        },
    }
}

/// An item of `keywords`.
#[derive(Serialize)]
pub struct Keyword {
    pub id: u64,
    pub name: String,
}

/// A keyword ID, skewed so that common keywords tag many movies.
pub fn pick_keyword(cat: &Catalog, rng: &mut Rng) -> u64 {
    let pool = (cat.movies / 2).max(500) as f64;
    1 + (pool * rng.unit().powi(2)) as u64
}

pub fn keyword(cat: &Catalog, id: u64) -> Keyword {
    let mut rng = cat.rng(&[tag::ENTITY, KEYWORD, id]);
    let words = 1 + rng.below(3);
    let name = text::sentence(&mut rng, words)
        .trim_end_matches('.')
        .to_lowercase();
    Keyword { id, name }
}

/// Streaming and store services (TMDB's provider IDs and names).
pub const PROVIDERS: &[(u64, &str)] = &[
    (2, "Apple TV Store"),
    (3, "Google Play Movies"),
    (7, "Fandango At Home"),
    (8, "Netflix"),
    (9, "Amazon Prime Video"),
    (10, "Amazon Video"),
    (35, "Rakuten TV"),
    (61, "Orange VOD"),
    (76, "Viaplay"),
    (130, "Sky Store"),
    (192, "YouTube"),
    (230, "Crave"),
    (337, "Disney Plus"),
    (350, "Apple TV+"),
    (384, "HBO Max"),
    (386, "Peacock"),
    (423, "Blockbuster"),
    (426, "SF Anytime"),
    (531, "Paramount Plus"),
    (538, "Plex"),
    (1899, "Max"),
    (73, "Tubi TV"),
    (300, "Pluto TV"),
    (2302, "Mercado Play"),
    (283, "Crunchyroll"),
    (11, "MUBI"),
];

/// A provider as a movie's watch providers list it in one country: the name and logo are the
/// provider's, the display priority is the provider's in that country.
#[derive(Serialize)]
pub struct Provider {
    pub logo_path: String,
    pub provider_id: u64,
    pub provider_name: &'static str,
    pub display_priority: u64,
}

pub fn provider(cat: &Catalog, index: usize, country: &str) -> Provider {
    let (id, name) = PROVIDERS[index];
    let mut rng = cat.rng(&[tag::ENTITY, PROVIDER, id]);
    let country_key = country.bytes().fold(0u64, |k, b| k << 8 | u64::from(b));
    Provider {
        logo_path: text::image_path(&mut rng, "jpg"),
        provider_id: id,
        provider_name: name,
        display_priority: hash(&[cat.seed, tag::ENTITY, PROVIDER, id, country_key]) % 60,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_depend_on_their_id_only() {
        let cat = Catalog::new(3, 1000, 20_000);
        let a = serde_json::to_string(&company(&cat, 42)).unwrap();
        assert_eq!(a, serde_json::to_string(&company(&cat, 42)).unwrap());
        assert_ne!(a, serde_json::to_string(&company(&cat, 43)).unwrap());
        let p = serde_json::to_string(&provider(&cat, 3, "FR")).unwrap();
        assert_eq!(p, serde_json::to_string(&provider(&cat, 3, "FR")).unwrap());
        assert!(!keyword(&cat, 7).name.is_empty());
    }
}
