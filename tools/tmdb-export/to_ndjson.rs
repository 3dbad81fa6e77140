//! Rows to NDJSON: one JSON object per row, keyed by column name, for jq.
//!
//! Values take their column's type as in Parquet (booleans as `true`/`false`, lists of strings
//! as JSON arrays, NULL as `null`, `""` as `""`). JSON needs no schema, so a value its column's
//! type cannot hold is written as the database holds it rather than widening the column.

use std::fs::File;
use std::io::{BufWriter, Write};

use anyhow::{Context, Result};

use crate::source::Value;
use crate::types::{Kind, Typed};

/// An NDJSON file being written.
pub struct NdjsonRows {
    out: BufWriter<File>,
    /// `"name":` of each column, escaped once.
    keys: Vec<Vec<u8>>,
    columns: Vec<Typed>,
}

impl NdjsonRows {
    /// Starts a file.
    pub fn new(file: File, columns: &[Typed]) -> Result<NdjsonRows> {
        let keys = columns
            .iter()
            .map(|c| {
                let mut key = serde_json::to_vec(&c.name)?;
                key.push(b':');
                Ok(key)
            })
            .collect::<Result<_>>()?;
        Ok(NdjsonRows {
            out: BufWriter::with_capacity(1 << 20, file),
            keys,
            columns: columns.to_vec(),
        })
    }

    /// Adds one row.
    pub fn row(&mut self, values: &[Value<'_>]) -> Result<()> {
        let out = &mut self.out;
        out.write_all(b"{")?;
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            out.write_all(&self.keys[i])?;
            let column = &self.columns[i];
            match (column.kind, *value) {
                (_, Value::Null) => out.write_all(b"null")?,
                (Kind::Boolean, Value::Integer(n @ (0 | 1))) => {
                    out.write_all(if n == 1 { b"true" } else { b"false" })?
                }
                (_, Value::Integer(n)) => write!(out, "{n}")?,
                // A double the database holds is finite (SQLite stores NaN as NULL); an
                // infinity would be written as null by serde_json.
                (_, Value::Real(x)) => serde_json::to_writer(&mut *out, &x)?,
                (_, Value::Blob(b)) => {
                    anyhow::bail!(
                        "{} holds a blob of {} bytes: the mirror writes none",
                        column.name,
                        b.len()
                    )
                }
                (kind, Value::Text(t)) => {
                    let list = match kind {
                        Kind::Strings => serde_json::from_slice::<Vec<String>>(t).ok(),
                        _ => None,
                    };
                    match list {
                        Some(items) => serde_json::to_writer(&mut *out, &items)?,
                        None => {
                            let text = std::str::from_utf8(t).with_context(|| {
                                format!("{} holds bytes that are not UTF-8", column.name)
                            })?;
                            serde_json::to_writer(&mut *out, text)?
                        }
                    }
                }
            }
        }
        out.write_all(b"}\n")?;
        Ok(())
    }

    /// Flushes; returns the file.
    pub fn finish(self) -> Result<File> {
        self.out.into_inner().map_err(|e| e.into_error().into())
    }
}
