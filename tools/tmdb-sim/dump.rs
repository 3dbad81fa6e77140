//! `--dump DIR`: the ground truth of the catalog on the current day, so tests can compare a
//! mirror with it field by field. Each movie line is byte for byte the body of
//! `/3/movie/{id}?append_to_response=credits,keywords,release_dates,external_ids,alternative_titles,translations,videos,images,watch/providers`
//! (the whole record), each person line the body of
//! `/3/person/{id}?append_to_response=external_ids,translations,images`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use rayon::prelude::*;

use crate::catalog::Catalog;
use crate::{appends, movie, person};

/// Writes genres.ndjson, movies.ndjson, people.ndjson, gone_movies.ndjson and
/// gone_people.ndjson into `dir` (created if missing), ascending by ID.
pub fn write(cat: &Catalog, day: u32, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let genres: Vec<u8> = movie::GENRES
        .iter()
        .flat_map(|(id, name)| {
            format!(
                "{{\"id\":{id},\"name\":{}}}\n",
                serde_json::to_string(name).expect("strings serialize")
            )
            .into_bytes()
        })
        .collect();
    write_file(dir, "genres.ndjson", |w| w.write_all(&genres))?;
    let movies = cat.movie_slots(day);
    write_file(dir, "movies.ndjson", |w| {
        write_chunks(w, movies, |slot, out| {
            if cat.movie_alive(slot, day) {
                out.extend(movie::details_body(cat, slot, day, appends::Subs::ALL));
                out.push(b'\n');
            }
        })
    })?;
    let people = cat.person_slots(day);
    write_file(dir, "people.ndjson", |w| {
        write_chunks(w, people, |slot, out| {
            if cat.person_alive(slot, day) {
                out.extend(person::body(cat, slot, day, person::Subs::ALL));
                out.push(b'\n');
            }
        })
    })?;
    write_file(dir, "gone_movies.ndjson", |w| {
        write_chunks(w, movies, |slot, out| {
            if cat.movie_gone(slot, day) {
                out.extend(format!("{{\"id\":{}}}\n", cat.movie_id(slot)).into_bytes());
            }
        })
    })?;
    write_file(dir, "gone_people.ndjson", |w| {
        write_chunks(w, people, |slot, out| {
            if cat.person_gone(slot, day) {
                out.extend(format!("{{\"id\":{}}}\n", cat.person_id(slot)).into_bytes());
            }
        })
    })
}

fn write_file(
    dir: &Path,
    name: &str,
    fill: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<()> {
    let path = dir.join(name);
    let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = BufWriter::new(file);
    fill(&mut w)
        .and_then(|()| w.flush())
        .with_context(|| format!("writing {}", path.display()))
}

/// Renders slots `0..slots` in parallel, a chunk at a time, and writes them in order.
fn write_chunks(
    w: &mut impl Write,
    slots: u64,
    render: impl Fn(u64, &mut Vec<u8>) + Sync,
) -> std::io::Result<()> {
    // Small rounds keep memory low: a round holds at most 2,048 rendered slots.
    const CHUNK: u64 = 256;
    let mut start = 0;
    while start < slots {
        let end = (start + CHUNK * 8).min(slots);
        let parts: Vec<Vec<u8>> = (start..end)
            .step_by(CHUNK as usize)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|from| {
                let mut out = Vec::new();
                for slot in from..(from + CHUNK).min(end) {
                    render(slot, &mut out);
                }
                out
            })
            .collect();
        for part in parts {
            w.write_all(&part)?;
        }
        start = end;
    }
    Ok(())
}
