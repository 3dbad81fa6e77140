//! The IDs to fetch and the IDs to skip.
//!
//! Input lines are ID lines (`tmdb_core::ids`): a bad one is reported as `FILE:LINE: reason`,
//! skipped, and makes the exit status 1; a truncated last line is reported the same way.
//! Duplicates are fetched once. Skip files are checkpoints a killed run may have left: only
//! their complete lines count, and lines that are not records are passed over silently.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tmdb_core::ids::parse_id_line;
use tmdb_core::ndjson::{Input, input_paths};

/// The IDs read, in first-seen order, and how many lines were not IDs.
pub struct Ids {
    pub ids: Vec<u64>,
    pub bad_lines: u64,
}

pub fn read_ids(files: &[PathBuf]) -> Result<Ids> {
    let mut seen = HashSet::new();
    let mut ids = Vec::new();
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
                            ids.push(id);
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
