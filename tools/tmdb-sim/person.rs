//! People: the facts credits repeat (fixed for life, so a movie's body never changes behind
//! the movie changes list), and the body of `/3/person/{id}` whose other fields change on the
//! person's change days. `null` where TMDB uses null for people (docs/tmdb.md, "Empty values").

use serde::Serialize;

use crate::catalog::Catalog;
use crate::rng::{Rng, tag};
use crate::{dates, reserved, text};

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
    // Gender 0 (unknown) for over half of the credits (docs/tmdb.md, "Endpoints we use").
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
    let mut facts = PersonFacts {
        id: cat.person_id(slot),
        adult,
        gender,
        known_for_department,
        name,
        original_name,
        popularity,
        profile_path,
    };
    if let Some(r) = reserved::person(slot) {
        facts.adult = false;
        facts.gender = r.gender;
        facts.known_for_department = r.known_for_department;
        facts.name = r.name.to_owned();
        facts.original_name = r.name.to_owned();
        facts.profile_path = facts
            .profile_path
            .or_else(|| Some(text::image_path(&mut rng, "jpg")));
    }
    facts
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

/// The person's IMDb ID on `day`, as the details and the external IDs both show it.
fn imdb_id(cat: &Catalog, slot: u64, day: u32) -> Option<String> {
    if let Some(r) = reserved::person(slot) {
        return Some(r.imdb_id.to_owned());
    }
    let version = cat.person_version(slot, day);
    let mut v = cat.rng(&[tag::PERSON_CHANGE, slot, u64::from(version), 1]);
    (!v.chance(300)).then(|| format!("nm{:07}", v.below(20_000_000)))
}

/// The body of `/3/person/{id}` with the `subs` sub-resources appended, for a live slot on
/// `day`.
pub fn body(cat: &Catalog, slot: u64, day: u32, subs: Subs) -> Vec<u8> {
    let f = facts(cat, slot);
    let mut rng = cat.rng(&[tag::PERSON, slot, 0xb10]);
    let mut birthday =
        (!rng.chance(400)).then(|| cat.today - 365 * 18 - rng.below(365 * 80) as i64);
    let mut place_of_birth = (!rng.chance(400)).then(|| {
        format!(
            "{}, {}",
            text::title(&mut rng, "en").0,
            text::country(text::pick_language(&mut rng).1).1
        )
    });
    if let Some(r) = reserved::person(slot) {
        let (y, m, d) = r.birthday;
        birthday = Some(dates::from_ymd(y, m, d));
        place_of_birth = Some(r.place_of_birth.to_owned());
    }
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
        Some(b) if v.chance(100) && reserved::person(slot).is_none() => Some(dates::format(
            (b + 365 * 20 + v.below(365 * 60) as i64).min(cat.today),
        )),
        _ => None,
    };
    let homepage = v
        .chance(50)
        .then(|| format!("https://www.example.com/people/{}", f.id));
    let body = PersonBody {
        adult: f.adult,
        also_known_as,
        biography,
        birthday: birthday.map(dates::format),
        deathday,
        gender: f.gender,
        homepage,
        id: f.id,
        imdb_id: imdb_id(cat, slot, day),
        known_for_department: f.known_for_department,
        name: f.name,
        place_of_birth,
        popularity: f.popularity,
        profile_path: f.profile_path,
    };
    let mut out = Vec::with_capacity(4096);
    serde_json::to_writer(&mut out, &body).expect("person bodies serialize");
    if subs != Subs::default() {
        out.pop(); // the closing brace
        for sub in Sub::ALL.into_iter().filter(|&s| subs.contains(s)) {
            out.push(b',');
            serde_json::to_writer(&mut out, sub.name()).expect("keys serialize");
            out.push(b':');
            write_sub(cat, slot, day, sub, None, &mut out);
        }
        out.push(b'}');
    }
    out
}

/// The person sub-resources, in the order they follow the details when appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sub {
    ExternalIds,
    Translations,
    Images,
}

impl Sub {
    pub const ALL: [Sub; 3] = [Sub::ExternalIds, Sub::Translations, Sub::Images];

    /// The append name, the JSON key and the route's last segment.
    pub fn name(self) -> &'static str {
        match self {
            Sub::ExternalIds => "external_ids",
            Sub::Translations => "translations",
            Sub::Images => "images",
        }
    }

    pub fn from_name(name: &str) -> Option<Sub> {
        Sub::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The `/__stats` label of the sub-resource's own route.
    pub fn label(self) -> &'static str {
        match self {
            Sub::ExternalIds => "/3/person/{id}/external_ids",
            Sub::Translations => "/3/person/{id}/translations",
            Sub::Images => "/3/person/{id}/images",
        }
    }
}

/// A set of person sub-resources, as `append_to_response` names them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Subs(u8);

impl Subs {
    pub const ALL: Subs = Subs(0b111);

    pub fn parse(list: &str) -> Subs {
        Subs(
            list.split(',')
                .filter_map(Sub::from_name)
                .fold(0, |m, s| m | 1 << s as u8),
        )
    }

    pub fn contains(self, sub: Sub) -> bool {
        self.0 & 1 << sub as u8 != 0
    }
}

/// Writes one sub-resource: with the person's `id` when served alone, without when appended.
pub fn write_sub(cat: &Catalog, slot: u64, day: u32, sub: Sub, id: Option<u64>, out: &mut Vec<u8>) {
    let w = &mut *out;
    let result = match sub {
        Sub::ExternalIds => serde_json::to_writer(w, &external_ids(cat, slot, day, id)),
        Sub::Translations => serde_json::to_writer(w, &translations(cat, slot, day, id)),
        Sub::Images => serde_json::to_writer(w, &images(cat, slot, id)),
    };
    result.expect("person sub-resources serialize");
}

/// Sub-tags of [`tag::PERSON_APPEND`].
const EXTERNAL_IDS: u64 = 1;
const TRANSLATIONS: u64 = 2;
const IMAGES: u64 = 3;

#[derive(Serialize)]
struct ExternalIds {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    freebase_mid: Option<String>,
    freebase_id: Option<String>,
    imdb_id: Option<String>,
    tvrage_id: Option<u64>,
    wikidata_id: Option<String>,
    facebook_id: Option<String>,
    instagram_id: Option<String>,
    tiktok_id: Option<String>,
    twitter_id: Option<String>,
    youtube_id: Option<String>,
}

/// A social handle: mostly null; Facebook's is sometimes `""` (TMDB keeps cleared ones so).
fn handle(rng: &mut Rng, per_mille: u64, cleared: bool) -> Option<String> {
    if cleared && rng.chance(150) {
        return Some(String::new());
    }
    rng.chance(per_mille).then(|| {
        text::sentence(rng, 2)
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_lowercase()
    })
}

fn external_ids(cat: &Catalog, slot: u64, day: u32, id: Option<u64>) -> ExternalIds {
    let mut rng = cat.rng(&[tag::PERSON_APPEND, slot, EXTERNAL_IDS]);
    let freebase = rng.chance(250);
    ExternalIds {
        id,
        freebase_mid: freebase.then(|| format!("/m/0{:x}", rng.below(0xff_ffff))),
        freebase_id: (freebase && rng.chance(500)).then(|| {
            let words = 2;
            format!(
                "/en/{}",
                text::sentence(&mut rng, words)
                    .trim_end_matches('.')
                    .replace(' ', "_")
                    .to_lowercase()
            )
        }),
        imdb_id: imdb_id(cat, slot, day),
        tvrage_id: rng.chance(100).then(|| rng.below(100_000)),
        wikidata_id: rng
            .chance(400)
            .then(|| format!("Q{}", 1000 + rng.below(130_000_000))),
        facebook_id: handle(&mut rng, 60, true),
        instagram_id: handle(&mut rng, 100, false),
        tiktok_id: handle(&mut rng, 20, false),
        twitter_id: handle(&mut rng, 60, false),
        youtube_id: handle(&mut rng, 20, false),
    }
}

/// (iso_3166_1, iso_639_1, native name, English name) of biography translations.
const LOCALES: &[(&str, &str, &str, &str)] = &[
    ("US", "en", "English", "English"),
    ("DE", "de", "Deutsch", "German"),
    ("FR", "fr", "Français", "French"),
    ("ES", "es", "Español", "Spanish"),
    ("IT", "it", "Italiano", "Italian"),
    ("BR", "pt", "Português", "Portuguese"),
    ("RU", "ru", "Pусский", "Russian"),
    ("CN", "zh", "普通话", "Mandarin"),
    ("JP", "ja", "日本語", "Japanese"),
    ("KR", "ko", "한국어/조선말", "Korean"),
    ("PL", "pl", "Polski", "Polish"),
    ("NL", "nl", "Nederlands", "Dutch"),
];

#[derive(Serialize)]
struct Translations {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    translations: Vec<Translation>,
}

#[derive(Serialize)]
struct Translation {
    iso_3166_1: &'static str,
    iso_639_1: &'static str,
    name: &'static str,
    english_name: &'static str,
    data: TranslationData,
}

#[derive(Serialize)]
struct TranslationData {
    biography: String,
}

/// Biography translations: none for most people, several for a few; they are rewritten on the
/// person's change days, as the biography is.
fn translations(cat: &Catalog, slot: u64, day: u32, id: Option<u64>) -> Translations {
    let version = cat.person_version(slot, day);
    let mut rng = cat.rng(&[tag::PERSON_APPEND, slot, TRANSLATIONS, u64::from(version)]);
    let n = match rng.below(100) {
        0..=59 => 0,
        60..=89 => 1 + rng.below(2),
        _ => 3 + rng.below(LOCALES.len() as u64 - 3),
    };
    let translations = (0..n as usize)
        .map(|i| {
            let (iso_3166_1, iso_639_1, name, english_name) = LOCALES[i];
            let biography = if rng.chance(200) {
                String::new()
            } else {
                let len = 100 + rng.below(1200) as usize;
                text::prose(&mut rng, len)
            };
            Translation {
                iso_3166_1,
                iso_639_1,
                name,
                english_name,
                data: TranslationData { biography },
            }
        })
        .collect();
    Translations { id, translations }
}

#[derive(Serialize)]
struct Images {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    profiles: Vec<Profile>,
}

#[derive(Serialize)]
struct Profile {
    aspect_ratio: f64,
    height: u64,
    iso_639_1: Option<&'static str>,
    file_path: String,
    vote_average: f64,
    vote_count: u64,
    width: u64,
}

/// Profile pictures: the person's `profile_path` first when they have one, then a few more
/// for some; almost all without a language.
fn images(cat: &Catalog, slot: u64, id: Option<u64>) -> Images {
    let f = facts(cat, slot);
    let mut rng = cat.rng(&[tag::PERSON_APPEND, slot, IMAGES]);
    let extra = if f.profile_path.is_some() && rng.chance(300) {
        1 + rng.below(8)
    } else {
        0
    };
    let paths = f
        .profile_path
        .into_iter()
        .chain((0..extra).map(|_| text::image_path(&mut rng, "jpg")))
        .collect::<Vec<_>>();
    let profiles = paths
        .into_iter()
        .map(|file_path| {
            let width = *rng.pick(&[400, 500, 667, 1000, 1400, 2000]);
            let vote_count = rng.below(10);
            Profile {
                aspect_ratio: 0.667,
                height: width * 3 / 2,
                iso_639_1: rng.chance(50).then_some("en"),
                file_path,
                vote_average: if vote_count == 0 {
                    0.0
                } else {
                    (3000.0 + rng.below(7001) as f64).round() / 1000.0
                },
                vote_count,
                width,
            }
        })
        .collect();
    Images { id, profiles }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_lists_are_sets_of_known_names() {
        assert_eq!(
            Subs::parse("external_ids,translations,images,combined_credits"),
            Subs::ALL
        );
        assert_eq!(Subs::parse("images,images"), Subs::parse("images"));
        assert!(!Subs::parse("images").contains(Sub::Translations));
    }
}
