//! The IDs to fetch and the IDs to skip.
//!
//! Input lines are ID lines (`tmdb_core::ids`): a bad one is reported as `FILE:LINE: reason`,
//! skipped, and makes the exit status 1; a truncated last line is reported the same way.
//! Duplicates are fetched once. The whole list is read before anything is fetched, so it is
//! put in order of interest: lines that carry a numeric `popularity` (the export's lines,
//! TMDB's own records) come first, most popular first; lines without one (bare IDs, `{"id"}`
//! lines) follow in input order. An interrupted or partial run then holds what users want
//! most. Skip files are checkpoints a killed run may have left: only their complete lines
//! count, and lines that are not records are passed over silently.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;
use tmdb_core::ids::parse_id_line;
use tmdb_core::ndjson::{Input, input_paths};

/// The IDs read, most popular first, and how many lines were not IDs.
pub struct Ids {
    pub ids: Vec<u64>,
    pub bad_lines: u64,
}

/// Only `popularity` is read (serde skips the rest without allocating); anything but a number
/// there counts as no popularity.
#[derive(Deserialize)]
struct Popularity {
    popularity: Option<f64>,
}

fn popularity(line: &[u8]) -> Option<f64> {
    if !line.trim_ascii_start().starts_with(b"{") {
        return None;
    }
    serde_json::from_slice::<Popularity>(line).ok()?.popularity
}

/// Most popular first, lines without a popularity last; a stable sort, so ties and lines
/// without one keep their input order.
fn by_popularity(entries: &mut [(u64, Option<f64>)]) {
    entries.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(Ordering::Equal));
}

pub fn read_ids(files: &[PathBuf]) -> Result<Ids> {
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
                match parse_id_line(&buf) {
                    Ok(id) => {
                        if seen.insert(id) {
                            entries.push((id, popularity(&buf)));
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
    let ids = entries.into_iter().map(|(id, _)| id).collect();
    Ok(Ids { ids, bad_lines })
}

/// The IDs of the complete lines of `files`; a missing file is an empty set.
pub fn read_skip(files: &[PathBuf]) -> Result<HashSet<u64>> {
    let mut skip = HashSet::new();
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
            if let (true, Ok(id)) = (info.is_complete, parse_id_line(&buf)) {
                skip.insert(id);
            }
        }
    }
    Ok(skip)
}

fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn popularity_is_read_from_objects_only() {
        assert_eq!(popularity(br#"{"id":1,"popularity":12.5}"#), Some(12.5));
        assert_eq!(popularity(br#"{"id":1,"popularity":3}"#), Some(3.0));
        assert_eq!(popularity(br#"{"id":1}"#), None);
        assert_eq!(popularity(br#"{"id":1,"popularity":null}"#), None);
        assert_eq!(popularity(br#"{"id":1,"popularity":"high"}"#), None);
        assert_eq!(popularity(b"550"), None);
    }

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
