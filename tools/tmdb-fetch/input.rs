//! The IDs to fetch and the IDs to skip.
//!
//! Input lines are ID lines (`tmdb_core::ids`): a bad one is reported as `FILE:LINE: reason`,
//! skipped, and makes the exit status 1; a truncated last line is reported the same way.
//! Duplicates are fetched once. The whole list is read before anything is fetched, so it is
//! put in order of interest: lines that carry a numeric `popularity` (the export's lines,
//! TMDB's own records) come first, most popular first; lines without one (bare IDs, `{"id"}`
//! lines) follow in input order. An interrupted or partial run then holds what users want
//! most. Skip files are checkpoints a killed run may have left: only their complete lines
//! count, lines that are not records are passed over silently, and a record fetched without
//! one of the sub-resources this run appends does not count (it is fetched again: a longer
//! `--append` list upgrades a finished stage).

use std::cmp::Ordering;
use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tmdb_core::ids::parse_id_entry;
use tmdb_core::ndjson::{Input, input_paths};

/// The IDs read, most popular first, and how many lines were not IDs.
pub struct Ids {
    pub ids: Vec<u64>,
    pub bad_lines: u64,
}

/// Most popular first, lines without a popularity last; a stable sort, so ties and lines
/// without one keep their input order.
fn by_popularity(entries: &mut [(u64, Option<f64>)]) {
    entries.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(Ordering::Equal));
}

/// The IDs of `files`, most popular first; with a `limit`, only that many of the most
/// popular (`make mirror LIMIT=N`: a quick try holds what users want most).
pub fn read_ids(files: &[PathBuf], limit: Option<usize>) -> Result<Ids> {
    let mut seen = HashSet::new();
    let mut entries = Vec::new();
    let mut bad_lines = 0;
    let mut buf = Vec::new();
    for path in input_paths(files) {
        let mut lines = Input::open(&path)?.lines();
        while let Some(info) = lines
            .read_into(&mut buf)
            .with_context(|| format!("cannot read {}", lines.source()))?
        {
            let problem = if info.is_complete {
                match parse_id_entry(&buf, &[]) {
                    Ok(entry) => {
                        if seen.insert(entry.id) {
                            entries.push((entry.id, entry.popularity));
                        }
                        continue;
                    }
                    Err(err) => err.to_string(),
                }
            } else {
                "ignoring a truncated last line".to_owned()
            };
            bad_lines += 1;
            eprintln!("tmdb-fetch: {}: {problem}", lines.position());
        }
    }
    by_popularity(&mut entries);
    if let Some(limit) = limit {
        entries.truncate(limit);
    }
    let ids = entries.into_iter().map(|(id, _)| id).collect();
    Ok(Ids { ids, bad_lines })
}

/// What a checkpoint line must hold to count as done.
pub struct Complete<'a> {
    /// A key only this kind's records have (a movie's `title`, a person's `name`): lines
    /// without it (gone and failed lists, bare IDs) count as done whatever they hold.
    pub record_key: &'a str,
    /// The sub-resources this run asks for: a record fetched without one of them is fetched
    /// again, so a longer `--append` list upgrades a finished mirror.
    pub appends: Vec<&'a str>,
}

/// The IDs to skip, and how many records of the files lack an asked-for append.
pub struct Skip {
    pub ids: HashSet<u64>,
    pub incomplete: HashSet<u64>,
}

/// The IDs of the complete lines of `files` that hold what `complete` asks for; a missing
/// file is an empty set. A later line for the same ID counts too (a refetch appends one).
pub fn read_skip(files: &[PathBuf], complete: &Complete) -> Result<Skip> {
    let mut keys = vec![complete.record_key];
    keys.extend(&complete.appends);
    // Bit 0 is the record key, bits 1.. the appends.
    let all = (1u64 << keys.len()) - 1;
    let mut done = HashSet::new();
    let mut lacking = HashSet::new();
    let mut buf = Vec::new();
    for path in files {
        let input = match Input::open(path) {
            Ok(input) => input,
            Err(err) if err.kind() == io::ErrorKind::NotFound && !is_stdin(path) => continue,
            Err(err) => return Err(err.into()),
        };
        let mut lines = input.lines();
        while let Some(info) = lines
            .read_into(&mut buf)
            .with_context(|| format!("cannot read {}", lines.source()))?
        {
            if !info.is_complete {
                continue;
            }
            let Ok(entry) = parse_id_entry(&buf, &keys) else {
                continue;
            };
            if entry.keys & 1 == 0 || entry.keys == all {
                done.insert(entry.id);
            } else {
                lacking.insert(entry.id);
            }
        }
    }
    let incomplete = lacking.difference(&done).copied().collect();
    Ok(Skip {
        ids: done,
        incomplete,
    })
}

fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_popular_first_then_the_rest_in_input_order() {
        let mut entries = vec![
            (1, None),
            (2, Some(0.5)),
            (3, Some(9.0)),
            (4, None),
            (5, Some(0.5)),
            (6, Some(100.0)),
        ];
        by_popularity(&mut entries);
        let ids: Vec<u64> = entries.iter().map(|e| e.0).collect();
        assert_eq!(ids, [6, 3, 2, 5, 1, 4]);
    }
}
