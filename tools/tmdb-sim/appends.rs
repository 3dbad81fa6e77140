//! A movie's sub-resources: served alone under `/3/movie/{id}/<name>` (with the movie's `id`)
//! and appended to the details by `append_to_response` under the same name (without `id`).
//! Shapes, key orders and the `""`/`null` habits are TMDB's (recorded answers for movie 47964).
//!
//! How much a movie has grows with its fame: a famous movie has tens of release dates and
//! translations, an obscure one a few. Keywords and videos grow on the movie's change days and
//! its watch providers are redrawn on them, so a mutation changes appends too, and only on days
//! the changes list names the movie.

use serde::Serialize;

use crate::catalog::Catalog;
use crate::credits;
use crate::entities::{self, Collection, Company, Keyword, Provider};
use crate::movie::{self, MovieFacts};
use crate::rng::{Rng, tag};
use crate::{dates, text};

/// The movie sub-resources, in the order they follow the details when appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sub {
    Credits,
    Keywords,
    ReleaseDates,
    ExternalIds,
    AlternativeTitles,
    Translations,
    Videos,
    Images,
    WatchProviders,
}

impl Sub {
    pub const ALL: [Sub; 9] = [
        Sub::Credits,
        Sub::Keywords,
        Sub::ReleaseDates,
        Sub::ExternalIds,
        Sub::AlternativeTitles,
        Sub::Translations,
        Sub::Videos,
        Sub::Images,
        Sub::WatchProviders,
    ];

    /// The append name, which is also the JSON key and the route's last segments.
    pub fn name(self) -> &'static str {
        match self {
            Sub::Credits => "credits",
            Sub::Keywords => "keywords",
            Sub::ReleaseDates => "release_dates",
            Sub::ExternalIds => "external_ids",
            Sub::AlternativeTitles => "alternative_titles",
            Sub::Translations => "translations",
            Sub::Videos => "videos",
            Sub::Images => "images",
            Sub::WatchProviders => "watch/providers",
        }
    }

    pub fn from_name(name: &str) -> Option<Sub> {
        Sub::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The `/__stats` label of the sub-resource's own route.
    pub fn label(self) -> &'static str {
        match self {
            Sub::Credits => "/3/movie/{id}/credits",
            Sub::Keywords => "/3/movie/{id}/keywords",
            Sub::ReleaseDates => "/3/movie/{id}/release_dates",
            Sub::ExternalIds => "/3/movie/{id}/external_ids",
            Sub::AlternativeTitles => "/3/movie/{id}/alternative_titles",
            Sub::Translations => "/3/movie/{id}/translations",
            Sub::Videos => "/3/movie/{id}/videos",
            Sub::Images => "/3/movie/{id}/images",
            Sub::WatchProviders => "/3/movie/{id}/watch/providers",
        }
    }

    fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// A set of sub-resources, as `append_to_response` asks for them (order and repeats do not
/// matter; unknown names are ignored, as TMDB ignores them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Subs(u16);

impl Subs {
    pub const ALL: Subs = Subs(0x1ff);

    pub fn parse(list: &str) -> Subs {
        Subs(
            list.split(',')
                .filter_map(Sub::from_name)
                .fold(0, |m, s| m | s.bit()),
        )
    }

    pub fn contains(self, sub: Sub) -> bool {
        self.0 & sub.bit() != 0
    }
}

/// What a sub-resource is written for: alone (with the movie's ID, and the country filter of
/// `alternative_titles`) or appended (neither).
#[derive(Debug, Clone, Copy)]
pub enum Form<'a> {
    Alone { country: Option<&'a str> },
    Appended,
}

/// Writes one sub-resource's JSON object into `out`.
pub fn write(cat: &Catalog, f: &MovieFacts, day: u32, sub: Sub, form: Form, out: &mut Vec<u8>) {
    let id = match form {
        Form::Alone { .. } => Some(f.id),
        Form::Appended => None,
    };
    let w = &mut *out;
    let result = match sub {
        Sub::Credits => serde_json::to_writer(w, &credits::credits(cat, f.slot, day, id)),
        Sub::Keywords => serde_json::to_writer(w, &keywords(cat, f, day, id)),
        Sub::ReleaseDates => serde_json::to_writer(w, &release_dates(cat, f, id)),
        Sub::ExternalIds => serde_json::to_writer(w, &external_ids(cat, f, id)),
        Sub::AlternativeTitles => {
            let country = match form {
                Form::Alone { country } => country,
                Form::Appended => None,
            };
            serde_json::to_writer(w, &alternative_titles(cat, f, id, country))
        }
        Sub::Translations => serde_json::to_writer(w, &translations(cat, f, id)),
        Sub::Videos => serde_json::to_writer(w, &videos(cat, f, day, id)),
        Sub::Images => serde_json::to_writer(w, &images(cat, f, id)),
        Sub::WatchProviders => serde_json::to_writer(w, &watch_providers(cat, f, day, id)),
    };
    result.expect("sub-resources serialize");
}

/// Sub-tags of [`tag::APPEND`]: each sub-resource draws from its own stream.
mod part {
    pub const KEYWORDS: u64 = 1;
    pub const RELEASE_DATES: u64 = 2;
    pub const EXTERNAL_IDS: u64 = 3;
    pub const ALTERNATIVE_TITLES: u64 = 4;
    pub const TRANSLATIONS: u64 = 5;
    pub const VIDEOS: u64 = 6;
    pub const IMAGES: u64 = 7;
    pub const WATCH_PROVIDERS: u64 = 8;
    pub const DETAILS: u64 = 9;
}

fn stream(cat: &Catalog, f: &MovieFacts, part: u64) -> Rng {
    cat.rng(&[tag::APPEND, f.slot, part])
}

/// How many items of something a movie has: a few when obscure, up to `famous` when famous.
fn count(rng: &mut Rng, fame: f64, few: u64, famous: f64) -> usize {
    (rng.below(few + 1) as f64 + fame * famous * (0.6 + 0.4 * rng.unit())) as usize
}

/// The details fields that depend on entities and places.
pub struct DetailsParts {
    pub collection: Option<Collection>,
    pub companies: Vec<Company>,
    pub countries: Vec<&'static str>,
    pub languages: Vec<&'static str>,
}

/// `belongs_to_collection`, `production_companies`, the production countries (the first is
/// `origin_country`) and the spoken languages (the first is the original language).
pub fn details_parts(cat: &Catalog, f: &MovieFacts) -> DetailsParts {
    let mut rng = stream(cat, f, part::DETAILS);
    let collection = rng
        .chance(100)
        .then(|| entities::collection(cat, entities::pick_collection(cat, &mut rng)));
    let mut ids: Vec<u64> = (0..count(&mut rng, f.fame, 3, 8.0))
        .map(|_| entities::pick_company(cat, &mut rng))
        .collect();
    dedup_keep_order(&mut ids);
    let companies = ids
        .into_iter()
        .map(|id| entities::company(cat, id))
        .collect();
    let mut countries = vec![f.country];
    let mut languages = vec![f.language];
    for _ in 0..rng.below(3) {
        let (language, country) = text::pick_language(&mut rng);
        if !countries.contains(&country) {
            countries.push(country);
        }
        if !languages.contains(&language) {
            languages.push(language);
        }
    }
    DetailsParts {
        collection,
        companies,
        countries,
        languages,
    }
}

fn dedup_keep_order(ids: &mut Vec<u64>) {
    let mut seen = Vec::with_capacity(ids.len());
    ids.retain(|id| {
        let new = !seen.contains(id);
        seen.push(*id);
        new
    });
}

#[derive(Serialize)]
struct Keywords {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    keywords: Vec<Keyword>,
}

fn keywords(cat: &Catalog, f: &MovieFacts, day: u32, id: Option<u64>) -> Keywords {
    let mut rng = stream(cat, f, part::KEYWORDS);
    let mut ids: Vec<u64> = (0..count(&mut rng, f.fame, 4, 30.0))
        .map(|_| entities::pick_keyword(cat, &mut rng))
        .collect();
    // Editors tag movies over time: a keyword is added on some change days.
    for d in cat.movie_change_days(f.slot, day) {
        let mut edit = cat.rng(&[tag::APPEND, f.slot, part::KEYWORDS, u64::from(d)]);
        if edit.chance(500) {
            ids.push(entities::pick_keyword(cat, &mut edit));
        }
    }
    dedup_keep_order(&mut ids);
    Keywords {
        id,
        keywords: ids.into_iter().map(|k| entities::keyword(cat, k)).collect(),
    }
}

/// Countries with the certifications their rating boards give (none for the others, whose
/// `certification` is always `""`).
const REGIONS: &[(&str, &[&str])] = &[
    ("US", &["G", "PG", "PG-13", "R", "NC-17", "NR"]),
    ("GB", &["U", "PG", "12A", "15", "18"]),
    ("DE", &["0", "6", "12", "16", "18"]),
    ("FR", &["U", "12", "16", "18"]),
    ("AU", &["G", "PG", "M", "MA15+", "R18+"]),
    ("BR", &["L", "10", "12", "14", "16", "18"]),
    ("CA", &["G", "PG", "14A", "18A", "R"]),
    ("ES", &["A", "7", "12", "16", "18"]),
    ("IT", &["T", "6+", "14+", "18+"]),
    ("JP", &["G", "PG12", "R15+", "R18+"]),
    ("KR", &["All", "12", "15", "18"]),
    ("NL", &["AL", "6", "9", "12", "14", "16", "18"]),
    ("RU", &["0+", "6+", "12+", "16+", "18+"]),
    ("AR", &[]),
    ("AT", &[]),
    ("BE", &[]),
    ("BG", &[]),
    ("CH", &[]),
    ("CL", &[]),
    ("CN", &[]),
    ("CO", &[]),
    ("CZ", &[]),
    ("DK", &[]),
    ("EG", &[]),
    ("FI", &[]),
    ("GR", &[]),
    ("HK", &[]),
    ("HU", &[]),
    ("ID", &[]),
    ("IE", &[]),
    ("IL", &[]),
    ("IN", &[]),
    ("IS", &[]),
    ("KZ", &[]),
    ("LT", &[]),
    ("LV", &[]),
    ("MX", &[]),
    ("MY", &[]),
    ("NO", &[]),
    ("NZ", &[]),
    ("PE", &[]),
    ("PH", &[]),
    ("PL", &[]),
    ("PT", &[]),
    ("RO", &[]),
    ("RS", &[]),
    ("SE", &[]),
    ("SG", &[]),
    ("SK", &[]),
    ("TH", &[]),
    ("TR", &[]),
    ("TW", &[]),
    ("UA", &[]),
    ("UY", &[]),
    ("VE", &[]),
    ("VN", &[]),
    ("ZA", &[]),
];

/// Up to `n` distinct indexes of `0..len`, ascending (so lists keyed by country come sorted,
/// as TMDB sorts them).
fn sample(rng: &mut Rng, len: usize, n: usize) -> Vec<usize> {
    let mut picked = vec![false; len];
    let n = n.min(len);
    let mut got = 0;
    while got < n {
        let i = rng.below(len as u64) as usize;
        if !picked[i] {
            picked[i] = true;
            got += 1;
        }
    }
    (0..len).filter(|&i| picked[i]).collect()
}

/// Region indexes sorted by country code.
fn regions_by_code(rng: &mut Rng, n: usize, first: &str) -> Vec<usize> {
    let mut chosen = sample(rng, REGIONS.len(), n);
    if let Some(home) = REGIONS.iter().position(|r| r.0 == first)
        && !chosen.contains(&home)
        && n > 0
    {
        chosen.push(home);
    }
    chosen.sort_by_key(|&i| REGIONS[i].0);
    chosen
}

#[derive(Serialize)]
struct ReleaseDates {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    results: Vec<CountryReleases>,
}

#[derive(Serialize)]
struct CountryReleases {
    iso_3166_1: &'static str,
    release_dates: Vec<ReleaseDate>,
}

#[derive(Serialize)]
struct ReleaseDate {
    certification: &'static str,
    descriptors: Vec<&'static str>,
    iso_639_1: &'static str,
    note: &'static str,
    release_date: String,
    #[serde(rename = "type")]
    kind: u8,
}

const RELEASE_NOTES: &[&str] = &[
    "DVD & Blu-Ray",
    "Disney+",
    "Netflix",
    "Festival",
    "Premiere",
];
const DESCRIPTORS: &[&str] = &["Violence", "Drugs", "Language", "Sex", "Fear"];

fn release_dates(cat: &Catalog, f: &MovieFacts, id: Option<u64>) -> ReleaseDates {
    let mut rng = stream(cat, f, part::RELEASE_DATES);
    let Some(base) = f.release_date else {
        return ReleaseDates {
            id,
            results: Vec::new(),
        };
    };
    let n = count(&mut rng, f.fame, 2, 70.0).max(1);
    let results = regions_by_code(&mut rng, n, f.country)
        .into_iter()
        .map(|r| {
            let (code, certs) = REGIONS[r];
            let mut kinds = vec![3];
            // Home media, digital and TV releases follow for some countries.
            for kind in [4, 5, 6, 1, 2] {
                if rng.chance(60) {
                    kinds.push(kind);
                }
            }
            let release_dates = kinds
                .into_iter()
                .map(|kind| {
                    let offset = match kind {
                        1..=3 => rng.below(40) as i64,
                        _ => 90 + rng.below(2000) as i64,
                    };
                    let certification = if certs.is_empty() || rng.chance(350) {
                        ""
                    } else {
                        *rng.pick(certs)
                    };
                    ReleaseDate {
                        certification,
                        descriptors: if code == "BR" && rng.chance(300) {
                            vec![*rng.pick(DESCRIPTORS)]
                        } else {
                            Vec::new()
                        },
                        iso_639_1: if rng.chance(15) { f.language } else { "" },
                        note: if kind == 3 && !rng.chance(30) {
                            ""
                        } else {
                            RELEASE_NOTES[rng.below(RELEASE_NOTES.len() as u64) as usize]
                        },
                        release_date: format!("{}T00:00:00.000Z", dates::format(base + offset)),
                        kind,
                    }
                })
                .collect();
            CountryReleases {
                iso_3166_1: code,
                release_dates,
            }
        })
        .collect();
    ReleaseDates { id, results }
}

#[derive(Serialize)]
struct ExternalIds {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    imdb_id: Option<String>,
    wikidata_id: Option<String>,
    facebook_id: Option<String>,
    instagram_id: Option<String>,
    twitter_id: Option<String>,
}

/// The movie's IMDb ID, as its details and its external IDs both show it.
pub fn imdb_id(cat: &Catalog, f: &MovieFacts) -> Option<String> {
    if let Some(r) = crate::reserved::movie(f.slot) {
        return Some(r.imdb_id.to_owned());
    }
    let mut rng = stream(cat, f, part::EXTERNAL_IDS);
    (!rng.chance(150)).then(|| format!("tt{:07}", rng.below(40_000_000)))
}

fn handle(rng: &mut Rng, per_mille: u64) -> Option<String> {
    rng.chance(per_mille).then(|| {
        text::sentence(rng, 2)
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_lowercase()
    })
}

fn external_ids(cat: &Catalog, f: &MovieFacts, id: Option<u64>) -> ExternalIds {
    let imdb_id = imdb_id(cat, f);
    let mut rng = cat.rng(&[tag::APPEND, f.slot, part::EXTERNAL_IDS, 1]);
    let known = (f.fame * 1000.0) as u64;
    ExternalIds {
        id,
        imdb_id,
        wikidata_id: rng
            .chance(300 + known)
            .then(|| format!("Q{}", 1000 + rng.below(130_000_000))),
        facebook_id: handle(&mut rng, 50 + known),
        instagram_id: handle(&mut rng, 30 + known),
        twitter_id: handle(&mut rng, 30 + known),
    }
}

#[derive(Serialize)]
struct AlternativeTitles {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    titles: Vec<AlternativeTitle>,
}

#[derive(Serialize)]
struct AlternativeTitle {
    iso_3166_1: &'static str,
    title: String,
    #[serde(rename = "type")]
    kind: &'static str,
}

const TITLE_TYPES: &[&str] = &[
    "",
    "",
    "",
    "",
    "working title",
    "informal title",
    "short title",
    "transliteration",
    "DVD title",
];

fn alternative_titles(
    cat: &Catalog,
    f: &MovieFacts,
    id: Option<u64>,
    country: Option<&str>,
) -> AlternativeTitles {
    let mut rng = stream(cat, f, part::ALTERNATIVE_TITLES);
    let titles = (0..count(&mut rng, f.fame, 1, 25.0))
        .map(|_| {
            let (code, _) = rng.pick(REGIONS);
            let language = LOCALES.iter().find(|l| l.0 == *code).map_or("en", |l| l.1);
            AlternativeTitle {
                iso_3166_1: code,
                title: text::title(&mut rng, language).1,
                kind: TITLE_TYPES[rng.below(TITLE_TYPES.len() as u64) as usize],
            }
        })
        .filter(|t| country.is_none_or(|c| c == t.iso_3166_1))
        .collect();
    AlternativeTitles { id, titles }
}

/// (iso_3166_1, iso_639_1, native name, English name) of the translations TMDB holds.
const LOCALES: &[(&str, &str, &str, &str)] = &[
    ("US", "en", "English", "English"),
    ("DE", "de", "Deutsch", "German"),
    ("FR", "fr", "Français", "French"),
    ("ES", "es", "Español", "Spanish"),
    ("MX", "es", "Español", "Spanish"),
    ("IT", "it", "Italiano", "Italian"),
    ("BR", "pt", "Português", "Portuguese"),
    ("PT", "pt", "Português", "Portuguese"),
    ("RU", "ru", "Pусский", "Russian"),
    ("UA", "uk", "Український", "Ukrainian"),
    ("PL", "pl", "Polski", "Polish"),
    ("CZ", "cs", "Český", "Czech"),
    ("SK", "sk", "Slovenčina", "Slovak"),
    ("HU", "hu", "Magyar", "Hungarian"),
    ("RO", "ro", "Română", "Romanian"),
    ("BG", "bg", "български език", "Bulgarian"),
    ("GR", "el", "ελληνικά", "Greek"),
    ("TR", "tr", "Türkçe", "Turkish"),
    ("IL", "he", "עִבְרִית", "Hebrew"),
    ("SA", "ar", "العربية", "Arabic"),
    ("EG", "ar", "العربية", "Arabic"),
    ("IR", "fa", "فارسی", "Persian"),
    ("IN", "hi", "हिन्दी", "Hindi"),
    ("TH", "th", "ภาษาไทย", "Thai"),
    ("VN", "vi", "Tiếng Việt", "Vietnamese"),
    ("ID", "id", "Bahasa indonesia", "Indonesian"),
    ("CN", "zh", "普通话", "Mandarin"),
    ("TW", "zh", "普通话", "Mandarin"),
    ("HK", "zh", "普通话", "Mandarin"),
    ("JP", "ja", "日本語", "Japanese"),
    ("KR", "ko", "한국어/조선말", "Korean"),
    ("NL", "nl", "Nederlands", "Dutch"),
    ("SE", "sv", "svenska", "Swedish"),
    ("DK", "da", "Dansk", "Danish"),
    ("NO", "no", "Norsk", "Norwegian"),
    ("FI", "fi", "suomi", "Finnish"),
    ("LT", "lt", "Lietuvių", "Lithuanian"),
    ("LV", "lv", "Latviešu", "Latvian"),
    ("RS", "sr", "Srpski", "Serbian"),
    ("GE", "ka", "ქართული", "Georgian"),
    ("CA", "fr", "Français", "French"),
    ("GB", "en", "English", "English"),
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
    homepage: String,
    overview: String,
    runtime: u64,
    tagline: String,
    title: String,
}

fn translations(cat: &Catalog, f: &MovieFacts, id: Option<u64>) -> Translations {
    let mut rng = stream(cat, f, part::TRANSLATIONS);
    let n = count(&mut rng, f.fame, 3, 55.0).max(1);
    // TMDB lists translations in no useful order: shuffle the chosen locales.
    let mut chosen = sample(&mut rng, LOCALES.len(), n);
    for i in (1..chosen.len()).rev() {
        chosen.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let translations = chosen
        .into_iter()
        .map(|l| {
            let (country, language, name, english_name) = LOCALES[l];
            let data = TranslationData {
                homepage: if rng.chance(930) {
                    String::new()
                } else {
                    format!("https://www.example.com/{language}/movie/{}", f.id)
                },
                overview: if rng.chance(50) {
                    String::new()
                } else {
                    let len = 80 + rng.below(600) as usize;
                    text::prose(&mut rng, len)
                },
                runtime: if rng.chance(400) {
                    0
                } else {
                    60 + rng.below(140)
                },
                tagline: if rng.chance(450) {
                    String::new()
                } else {
                    let words = 2 + rng.below(6);
                    text::sentence(&mut rng, words)
                },
                title: if rng.chance(110) {
                    String::new()
                } else {
                    text::title(&mut rng, language).1
                },
            };
            Translation {
                iso_3166_1: country,
                iso_639_1: language,
                name,
                english_name,
                data,
            }
        })
        .collect();
    Translations { id, translations }
}

#[derive(Serialize)]
struct Videos {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    results: Vec<Video>,
}

#[derive(Serialize)]
struct Video {
    iso_639_1: &'static str,
    iso_3166_1: &'static str,
    name: String,
    key: String,
    site: &'static str,
    size: u64,
    #[serde(rename = "type")]
    kind: &'static str,
    official: bool,
    id: String,
    published_at: String,
}

const VIDEO_TYPES: &[&str] = &[
    "Trailer",
    "Trailer",
    "Teaser",
    "Clip",
    "Clip",
    "Featurette",
    "Featurette",
    "Behind the Scenes",
    "Bloopers",
];

fn video(rng: &mut Rng, f: &MovieFacts, published: i64) -> Video {
    const KEY: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
    let (language, country) = if rng.chance(700) {
        ("en", "US")
    } else {
        (f.language, f.country)
    };
    let kind = *rng.pick(VIDEO_TYPES);
    let words = 2 + rng.below(6);
    let youtube = !rng.chance(50);
    Video {
        iso_639_1: language,
        iso_3166_1: country,
        name: format!(
            "{} {kind}",
            text::sentence(rng, words).trim_end_matches('.')
        ),
        key: if youtube {
            (0..11)
                .map(|_| KEY[rng.below(64) as usize] as char)
                .collect()
        } else {
            (100_000_000 + rng.below(900_000_000)).to_string()
        },
        site: if youtube { "YouTube" } else { "Vimeo" },
        size: *rng.pick(&[360, 480, 720, 1080, 1080, 2160]),
        kind,
        official: !rng.chance(200),
        id: format!("{:016x}{:08x}", rng.next(), rng.next() >> 32),
        published_at: format!(
            "{}T{:02}:{:02}:{:02}.000Z",
            dates::format(published),
            rng.below(24),
            rng.below(60),
            rng.below(60)
        ),
    }
}

fn videos(cat: &Catalog, f: &MovieFacts, day: u32, id: Option<u64>) -> Videos {
    let mut rng = stream(cat, f, part::VIDEOS);
    let around = f.release_date.unwrap_or(cat.today).min(cat.today);
    let mut results: Vec<Video> = (0..count(&mut rng, f.fame, 2, 25.0))
        .map(|_| {
            let published = around - 200 + rng.below(400) as i64;
            video(&mut rng, f, published.min(cat.today))
        })
        .collect();
    // A trailer or clip is published on some change days, dated that day.
    for d in cat.movie_change_days(f.slot, day) {
        let mut edit = cat.rng(&[tag::APPEND, f.slot, part::VIDEOS, u64::from(d)]);
        if edit.chance(400) {
            results.push(video(&mut edit, f, cat.date_of(d)));
        }
    }
    // Newest first, as TMDB lists them.
    results.sort_by(|a, b| b.published_at.cmp(&a.published_at));
    Videos { id, results }
}

#[derive(Serialize)]
struct Images {
    backdrops: Vec<Image>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    logos: Vec<Image>,
    posters: Vec<Image>,
}

#[derive(Serialize)]
struct Image {
    aspect_ratio: f64,
    height: u64,
    iso_3166_1: Option<&'static str>,
    iso_639_1: Option<&'static str>,
    file_path: String,
    vote_average: f64,
    vote_count: u64,
    width: u64,
}

/// Which kind of image: its aspect ratio, how often it has no language, and its file type.
struct ImageKind {
    aspect: fn(&mut Rng) -> f64,
    no_language: u64,
    ext: &'static str,
}

const BACKDROP: ImageKind = ImageKind {
    aspect: |_| 1.778,
    no_language: 500,
    ext: "jpg",
};
const POSTER: ImageKind = ImageKind {
    aspect: |_| 0.667,
    no_language: 100,
    ext: "jpg",
};
const LOGO: ImageKind = ImageKind {
    aspect: |rng| 1.5 + (rng.below(3000) as f64) / 1000.0,
    no_language: 0,
    ext: "png",
};

fn image_list(rng: &mut Rng, f: &MovieFacts, kind: &ImageKind, n: usize) -> Vec<Image> {
    let mut list: Vec<Image> = (0..n)
        .map(|_| {
            let aspect_ratio = (kind.aspect)(rng);
            let width = *rng.pick(&[500, 1000, 1280, 1400, 1920, 2000, 3840]);
            let (language, country) = if rng.chance(kind.no_language) {
                (None, None)
            } else if rng.chance(600) {
                (Some("en"), Some("US"))
            } else {
                let l = rng.pick(LOCALES);
                if rng.chance(300) {
                    (Some(f.language), Some(f.country))
                } else {
                    (Some(l.1), Some(l.0))
                }
            };
            let vote_count = rng.below(12);
            Image {
                aspect_ratio,
                height: (width as f64 / aspect_ratio).round() as u64,
                iso_3166_1: country,
                iso_639_1: language,
                file_path: text::image_path(rng, kind.ext),
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
    // Best voted first, as TMDB sorts them.
    list.sort_by(|a, b| b.vote_average.total_cmp(&a.vote_average));
    list
}

/// The images: the details' `backdrop_path` and `poster_path` are the first (best voted)
/// backdrop and poster, as TMDB picks them.
fn images(cat: &Catalog, f: &MovieFacts, id: Option<u64>) -> Images {
    let (backdrop, poster) = movie::artwork(cat, f.slot);
    let mut rng = stream(cat, f, part::IMAGES);
    let at_least = |path: &Option<String>| usize::from(path.is_some());
    let backdrops = count(&mut rng, f.fame, 2, 50.0).max(at_least(&backdrop));
    let logos = count(&mut rng, f.fame, 1, 35.0);
    let posters = count(&mut rng, f.fame, 3, 120.0).max(at_least(&poster));
    let mut images = Images {
        backdrops: image_list(&mut rng, f, &BACKDROP, backdrops),
        id,
        logos: image_list(&mut rng, f, &LOGO, logos),
        posters: image_list(&mut rng, f, &POSTER, posters),
    };
    for (list, path) in [
        (&mut images.backdrops, backdrop),
        (&mut images.posters, poster),
    ] {
        if let (Some(first), Some(path)) = (list.first_mut(), path) {
            first.file_path = path;
        }
    }
    images
}

#[derive(Serialize)]
struct WatchProviders {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    /// Serialized as an object keyed by country, in ascending order.
    results: Countries,
}

struct Countries(Vec<(&'static str, CountryProviders)>);

impl Serialize for Countries {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// One country's offers: a category with no provider is absent, never `[]`.
#[derive(Serialize)]
struct CountryProviders {
    link: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ads: Vec<Provider>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    buy: Vec<Provider>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    flatrate: Vec<Provider>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    free: Vec<Provider>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rent: Vec<Provider>,
}

fn watch_providers(cat: &Catalog, f: &MovieFacts, day: u32, id: Option<u64>) -> WatchProviders {
    // Offers come and go: the whole list is redrawn on each change day.
    let version = cat
        .movie_change_days(f.slot, day)
        .last()
        .copied()
        .unwrap_or(cat.movie_born(f.slot));
    let mut rng = cat.rng(&[
        tag::APPEND,
        f.slot,
        part::WATCH_PROVIDERS,
        u64::from(version),
    ]);
    let released = f.release_date.is_some_and(|d| d <= cat.today);
    let n = if released && (crate::reserved::movie(f.slot).is_some() || !rng.chance(300)) {
        count(&mut rng, f.fame, 3, 60.0)
    } else {
        0
    };
    let results = regions_by_code(&mut rng, n, f.country)
        .into_iter()
        .map(|r| {
            let code = REGIONS[r].0;
            let mut offers = CountryProviders {
                link: format!(
                    "https://www.themoviedb.org/movie/{}/watch?locale={code}",
                    f.id
                ),
                ads: Vec::new(),
                buy: Vec::new(),
                flatrate: Vec::new(),
                free: Vec::new(),
                rent: Vec::new(),
            };
            // At least one offer per listed country.
            while offers.ads.len()
                + offers.buy.len()
                + offers.flatrate.len()
                + offers.free.len()
                + offers.rent.len()
                == 0
            {
                for (list, per_mille) in [
                    (&mut offers.ads, 80),
                    (&mut offers.buy, 600),
                    (&mut offers.flatrate, 450),
                    (&mut offers.free, 60),
                    (&mut offers.rent, 500),
                ] {
                    if rng.chance(per_mille) {
                        let k = 1 + rng.below(4) as usize;
                        let mut picked: Vec<Provider> =
                            sample(&mut rng, entities::PROVIDERS.len(), k)
                                .into_iter()
                                .map(|p| entities::provider(cat, p, code))
                                .collect();
                        picked.sort_by_key(|p| (p.display_priority, p.provider_id));
                        *list = picked;
                    }
                }
            }
            (code, offers)
        })
        .collect();
    WatchProviders {
        id,
        results: Countries(results),
    }
}

/// Writes the details of `f` followed by the `subs` sub-resources, appended.
pub fn details_with(cat: &Catalog, f: &MovieFacts, day: u32, subs: Subs) -> Vec<u8> {
    let mut out = movie::details_json(cat, f);
    if subs != Subs::default() {
        out.pop(); // the closing brace
        for sub in Sub::ALL.into_iter().filter(|&s| subs.contains(s)) {
            out.push(b',');
            serde_json::to_writer(&mut out, sub.name()).expect("keys serialize");
            out.push(b':');
            write(cat, f, day, sub, Form::Appended, &mut out);
        }
        out.push(b'}');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_lists_are_sets_of_known_names() {
        let names: Vec<&str> = Sub::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(Subs::parse(&names.join(",")), Subs::ALL);
        assert_eq!(
            Subs::parse("images,credits"),
            Subs::parse("credits,reviews,images,credits")
        );
        assert_eq!(Subs::parse(""), Subs::default());
        assert!(!Subs::parse("credits").contains(Sub::Images));
        for sub in Sub::ALL {
            assert_eq!(Sub::from_name(sub.name()), Some(sub));
        }
    }

    #[test]
    fn famous_movies_have_more_of_everything() {
        let cat = Catalog::new(2, 2000, 20_000);
        let size = |slot| {
            let f = movie::facts(&cat, slot, 0);
            (f.fame, movie::details_body(&cat, slot, 0, Subs::ALL).len())
        };
        let (fame, famous) = size(crate::reserved::FIGHT_CLUB_SLOT);
        let obscure = (3..200)
            .map(size)
            .filter(|(f, _)| *f < 0.01)
            .map(|(_, len)| len)
            .max()
            .unwrap();
        assert!(fame > 0.5 && famous > 10 * obscure, "{famous} vs {obscure}");
    }
}
