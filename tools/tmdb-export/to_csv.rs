//! Rows to a CSV file: a header row, then every value as text (RFC 4180 quoting), as
//! `tmdb-export` always wrote them. CSV has no types: NULL and `""` both read back as an empty
//! field, which is why `--format parquet` exists.

use std::fmt::Write as _;
use std::fs::File;
use std::io::BufWriter;

use anyhow::{Result, anyhow};

use crate::source::Value;

/// A CSV file being written.
pub struct CsvRows {
    out: csv::Writer<BufWriter<File>>,
    field: String,
}

impl CsvRows {
    /// Starts a file with its header row.
    pub fn new(file: File, names: &[String]) -> Result<CsvRows> {
        let mut out = csv::Writer::from_writer(BufWriter::with_capacity(1 << 20, file));
        out.write_record(names)?;
        Ok(CsvRows {
            out,
            field: String::new(),
        })
    }

    /// Adds one row.
    pub fn row(&mut self, values: &[Value<'_>]) -> Result<()> {
        for value in values {
            self.field.clear();
            match *value {
                Value::Null => {}
                Value::Integer(n) => write!(self.field, "{n}")?,
                Value::Real(x) => write!(self.field, "{x}")?,
                Value::Text(t) | Value::Blob(t) => self.field.push_str(&String::from_utf8_lossy(t)),
            }
            self.out.write_field(&self.field)?;
        }
        self.out.write_record(None::<&[u8]>)?;
        Ok(())
    }

    /// Flushes; returns the file.
    pub fn finish(self) -> Result<File> {
        self.out
            .into_inner()
            .map_err(|e| anyhow!("{}", e.error()))?
            .into_inner()
            .map_err(|e| anyhow!("{}", e.error()))
    }
}
