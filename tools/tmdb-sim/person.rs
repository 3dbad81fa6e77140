//! People: the facts credits repeat (fixed for life, so a movie's body never changes behind
//! the movie changes list), and the body of `/3/person/{id}` whose other fields change on the
//! person's change days. `null` where TMDB uses null for people (REFERENCE.md §4.5, §6).

use serde::Serialize;

use crate::catalog::Catalog;
use crate::rng::tag;
use crate::text;

const DEPARTMENTS: &[&str] = &[
    "Acting",
    "Acting",
    "Acting",
    "Acting",
    "Directing",
    "Writing",
    "Production",
    "Editing",
    "Camera",
    "Sound",
    "Art",
    "Costume & Make-Up",
    "Visual Effects",
    "Lighting",
    "Crew",
];

/// What a credit shows of a person.
#[derive(Debug, Clone)]
pub struct PersonFacts {
    pub id: u64,
    pub adult: bool,
    pub gender: u8,
    pub known_for_department: &'static str,
    pub name: String,
    pub original_name: String,
    pub popularity: f64,
    pub profile_path: Option<String>,
}

pub fn facts(cat: &Catalog, slot: u64) -> PersonFacts {
    let mut rng = cat.rng(&[tag::PERSON, slot]);
    let adult = rng.chance(12);
    // Gender 0 (unknown) for over half of the credits (REFERENCE.md §4.4).
    let gender = match rng.below(100) {
        0..=51 => 0,
        52..=71 => 1,
        72..=97 => 2,
        _ => 3,
    };
    let known_for_department = *rng.pick(DEPARTMENTS);
    let (name, original_name) = text::name(&mut rng);
    let popularity = (rng.unit().powi(5) * 50.0 * 10_000.0).round() / 10_000.0;
    let profile_path = (!rng.chance(700)).then(|| text::image_path(&mut rng, "jpg"));
    PersonFacts {
        id: cat.person_id(slot),
        adult,
        gender,
        known_for_department,
        name,
        original_name,
        popularity,
        profile_path,
    }
}

/// `/3/person/{id}` in TMDB's field order.
#[derive(Serialize)]
struct PersonBody {
    adult: bool,
    also_known_as: Vec<String>,
    biography: String,
    birthday: Option<String>,
    deathday: Option<String>,
    gender: u8,
    homepage: Option<String>,
    id: u64,
    imdb_id: Option<String>,
    known_for_department: &'static str,
    name: String,
    place_of_birth: Option<String>,
    popularity: f64,
    profile_path: Option<String>,
}

/// The body of `/3/person/{id}` for a live slot on `day`.
pub fn body(cat: &Catalog, slot: u64, day: u32) -> Vec<u8> {
    let f = facts(cat, slot);
    let mut rng = cat.rng(&[tag::PERSON, slot, 0xb10]);
    let birthday = (!rng.chance(400)).then(|| cat.today - 365 * 18 - rng.below(365 * 80) as i64);
    let place_of_birth = (!rng.chance(400)).then(|| {
        format!(
            "{}, {}",
            text::title(&mut rng, "en").0,
            text::country(text::pick_language(&mut rng).1).1
        )
    });
    // What changes on a person's change days: biography, aliases, deathday, homepage, imdb_id.
    let version = cat.person_version(slot, day);
    let mut v = cat.rng(&[tag::PERSON_CHANGE, slot, u64::from(version)]);
    let also_known_as = if v.chance(600) {
        Vec::new()
    } else {
        (0..1 + v.below(3)).map(|_| text::name(&mut v).1).collect()
    };
    let biography = match v.below(1000) {
        0..=399 => String::new(),
        // A few 20 kB biographies.
        400..=404 => text::prose(&mut v, 20_000),
        _ => {
            let len = 100 + v.below(1500) as usize;
            text::prose(&mut v, len)
        }
    };
    let deathday = match birthday {
        Some(b) if v.chance(100) => Some(crate::dates::format(
            (b + 365 * 20 + v.below(365 * 60) as i64).min(cat.today),
        )),
        _ => None,
    };
    let homepage = v
        .chance(50)
        .then(|| format!("https://www.example.com/people/{}", f.id));
    let imdb_id = (!v.chance(300)).then(|| format!("nm{:07}", v.below(20_000_000)));
    let body = PersonBody {
        adult: f.adult,
        also_known_as,
        biography,
        birthday: birthday.map(crate::dates::format),
        deathday,
        gender: f.gender,
        homepage,
        id: f.id,
        imdb_id,
        known_for_department: f.known_for_department,
        name: f.name,
        place_of_birth,
        popularity: f.popularity,
        profile_path: f.profile_path,
    };
    serde_json::to_vec(&body).expect("person bodies serialize")
}
