//! The daily ID export files (docs/tmdb.md, "Export files"): `movie_ids_MM_DD_YYYY.json.gz`,
//! `person_ids_...` and their `adult_` twins, gzipped NDJSON, ascending by ID. A file exists
//! for every date up to the simulator's current date and lists the current catalog; the plain
//! files hold no adult items and the `adult_` files only adult ones. A later date, or another
//! export type, answers 404 with an XML body, as the CDN does.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use rayon::prelude::*;
use serde::Serialize;

use crate::catalog::Catalog;
use crate::{dates, movie, person};

/// Which file: movies or people, adult or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExportKind {
    pub person: bool,
    pub adult: bool,
}

/// Parses a file name into its kind and date (a day number).
pub fn parse_name(name: &str) -> Option<(ExportKind, i64)> {
    let rest = name.strip_suffix(".json.gz")?;
    let (adult, rest) = match rest.strip_prefix("adult_") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let (person, date) = if let Some(d) = rest.strip_prefix("movie_ids_") {
        (false, d)
    } else {
        (true, rest.strip_prefix("person_ids_")?)
    };
    let [m, d, y] = <[&str; 3]>::try_from(date.split('_').collect::<Vec<_>>()).ok()?;
    let day = dates::parse(&format!("{y}-{m}-{d}")).ok()?;
    Some((ExportKind { person, adult }, day))
}

/// The body of a missing file (S3 behind CloudFront answers in XML).
pub const MISSING: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>";

#[derive(Serialize)]
struct MovieLine<'a> {
    adult: bool,
    id: u64,
    original_title: &'a str,
    popularity: f64,
    video: bool,
}

#[derive(Serialize)]
struct PersonLine<'a> {
    adult: bool,
    id: u64,
    name: &'a str,
    popularity: f64,
}

/// The uncompressed NDJSON lines of an export on `day`.
pub fn lines(cat: &Catalog, day: u32, kind: ExportKind) -> Vec<u8> {
    let slots = if kind.person {
        cat.person_slots(day)
    } else {
        cat.movie_slots(day)
    };
    const CHUNK: u64 = 4096;
    let chunks: Vec<Vec<u8>> = (0..slots.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut out = Vec::new();
            for slot in c * CHUNK..((c + 1) * CHUNK).min(slots) {
                if kind.person {
                    if !cat.person_alive(slot, day) {
                        continue;
                    }
                    let p = person::facts(cat, slot);
                    if p.adult == kind.adult {
                        let line = PersonLine {
                            adult: p.adult,
                            id: p.id,
                            name: &p.name,
                            popularity: p.popularity,
                        };
                        serde_json::to_writer(&mut out, &line).expect("lines serialize");
                        out.push(b'\n');
                    }
                } else {
                    if !cat.movie_alive(slot, day) {
                        continue;
                    }
                    let f = movie::facts(cat, slot, day);
                    if f.adult == kind.adult {
                        let (_, original_title) = movie::titles(cat, &f);
                        let line = MovieLine {
                            adult: f.adult,
                            id: f.id,
                            original_title: &original_title,
                            popularity: f.popularity,
                            video: f.video,
                        };
                        serde_json::to_writer(&mut out, &line).expect("lines serialize");
                        out.push(b'\n');
                    }
                }
            }
            out
        })
        .collect();
    chunks.concat()
}

/// `bytes` gzipped at the fast level (an export file, an answer to a client that takes gzip).
pub fn gzip(lines: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::with_capacity(lines.len() / 3), Compression::fast());
    gz.write_all(lines).expect("writing to memory");
    gz.finish().expect("writing to memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_parse() {
        let (k, d) = parse_name("adult_person_ids_11_30_2026.json.gz").unwrap();
        assert_eq!(
            k,
            ExportKind {
                person: true,
                adult: true
            }
        );
        assert_eq!(dates::format(d), "2026-11-30");
        let (k, _) = parse_name("movie_ids_01_02_2026.json.gz").unwrap();
        assert_eq!(
            k,
            ExportKind {
                person: false,
                adult: false
            }
        );
        assert!(parse_name("tv_series_ids_01_02_2026.json.gz").is_none());
        assert!(parse_name("movie_ids_13_02_2026.json.gz").is_none());
        assert!(parse_name("movie_ids_2026-01-02.json.gz").is_none());
    }
}
