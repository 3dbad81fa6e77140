//! Where lines go: stdout, or a file appended to. Each line is written whole with one
//! `write_all` and, for records, flushed at once, so a kill -9 leaves at most one partial line
//! (which `--skip` ignores and `--out` cuts off before writing again).

use std::fs::OpenOptions;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use tmdb_core::ndjson::truncate_partial_tail;

pub struct Sink {
    out: BufWriter<Box<dyn Write + Send>>,
    /// Records are flushed one by one (they are big and precious); ID lists in bulk.
    flush_each: bool,
    name: String,
}

impl Sink {
    /// stdout.
    pub fn stdout(flush_each: bool) -> Sink {
        Sink::new(Box::new(io::stdout()), flush_each, "stdout".to_owned())
    }

    /// Appends to `path` (created if missing), after cutting off a partial last line.
    pub fn append(path: &Path) -> Result<Sink> {
        truncate_partial_tail(path).with_context(|| format!("cannot repair {}", path.display()))?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open {} for appending", path.display()))?;
        Ok(Sink::new(Box::new(file), true, path.display().to_string()))
    }

    fn new(out: Box<dyn Write + Send>, flush_each: bool, name: String) -> Sink {
        Sink {
            out: BufWriter::with_capacity(1 << 16, out),
            flush_each,
            name,
        }
    }

    /// Writes `line` (one JSON text, no line end) plus `\n`.
    pub fn write_line(&mut self, line: Vec<u8>) -> Result<()> {
        self.write_line_io(line)
            .with_context(|| format!("cannot write to {}", self.name))
    }

    /// [`Sink::write_line`] for callers inside an `io::Write` chain (the export decoder).
    pub fn write_line_io(&mut self, mut line: Vec<u8>) -> io::Result<()> {
        line.push(b'\n');
        self.out.write_all(&line)?;
        if self.flush_each {
            self.out.flush()?;
        }
        Ok(())
    }

    /// Serializes `value` as one line.
    pub fn write_json<T: serde::Serialize>(&mut self, value: &T) -> Result<()> {
        let line = serde_json::to_vec(value).context("cannot serialize a line")?;
        self.write_line(line)
    }

    pub fn flush(&mut self) -> Result<()> {
        self.out
            .flush()
            .with_context(|| format!("cannot write to {}", self.name))
    }
}
