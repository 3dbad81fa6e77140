//! Lines that were not loaded: each is reported on stderr as `ndjson-load: FILE:LINE: reason`
//! and, with `--rejects FILE`, written there as one NDJSON object
//! (`{"file","line","error","text"}`) so it can be inspected, fixed and loaded again.
//!
//! The rejects file is rewritten by every run: it lists this run's rejects, never stale ones.

use std::fs::File;
use std::io;
use std::path::Path;

use anyhow::{Context, Result};
use indicatif::ProgressBar;
use serde::Serialize;
use tmdb_core::ndjson::NdjsonWriter;

/// One rejected line.
#[derive(Debug, Serialize)]
pub struct Reject {
    pub file: String,
    pub line: u64,
    pub error: String,
    /// The line as read (invalid UTF-8 replaced), so that a fixed copy can be loaded again;
    /// only its start for a line over `--max-line`.
    pub text: String,
    /// The whole length in bytes of a line whose `text` is only its start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
}

/// Where rejects go: stderr always, the `--rejects` file when given.
pub struct Rejects {
    file: Option<NdjsonWriter<File>>,
    count: u64,
    /// Messages are printed around the progress bar, not through it.
    bar: ProgressBar,
}

impl Rejects {
    /// Creates (or empties) the `--rejects` file up front, so an unwritable path stops the run
    /// before anything is loaded.
    pub fn create(path: Option<&Path>, bar: ProgressBar) -> Result<Rejects> {
        let file = match path {
            None => None,
            Some(path) => Some(NdjsonWriter::new(File::create(path).with_context(
                || format!("cannot create rejects file {}", path.display()),
            )?)),
        };
        Ok(Rejects {
            file,
            count: 0,
            bar,
        })
    }

    /// Reports one rejected line.
    pub fn add(&mut self, reject: &Reject) -> io::Result<()> {
        self.count += 1;
        self.bar.suspend(|| {
            eprintln!(
                "ndjson-load: {}:{}: {}",
                reject.file, reject.line, reject.error
            )
        });
        match &mut self.file {
            Some(file) => file.write(reject),
            None => Ok(()),
        }
    }

    /// How many lines were rejected.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Pushes the rejects written so far to the file.
    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}
