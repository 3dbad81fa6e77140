//! One table from a [`Source`] to one file, in the format asked for.
//!
//! The file is written as `TABLE.EXT.part` and renamed to `TABLE.EXT` only once complete and
//! synced, so a killed export never leaves a half file under the final name (a `.part` file
//! may stay behind; the next export overwrites it). A Parquet column that meets a value its type
//! cannot hold is widened to strings and the table written again (docs/export.md).

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::ValueEnum;

use crate::source::Source;
use crate::to_csv::CsvRows;
use crate::to_ndjson::NdjsonRows;
use crate::to_parquet::ParquetRows;
use crate::types::{self, Kind, Misfit, Typed};

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text, a header row, RFC 4180 quoting (NULL and "" both empty).
    Csv,
    /// Typed columns, zstd, for DuckDB, pandas, Polars, Spark.
    Parquet,
    /// One JSON object per row, for jq.
    Ndjson,
}

impl Format {
    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            Format::Ndjson => "ndjson",
        }
    }
}

/// What exporting a table wrote.
pub struct Written {
    /// The final file.
    pub path: PathBuf,
    /// Rows written.
    pub rows: u64,
    /// The file's size in bytes.
    pub bytes: u64,
}

/// Writes `table` into `dir/TABLE.EXT`.
pub fn export_table(
    source: &dyn Source,
    table: &str,
    dir: &Path,
    format: Format,
) -> Result<Written> {
    let columns = source.columns(table)?;
    let mut typed = match format {
        // CSV is text whatever the types: no need to ask the database about dates.
        Format::Csv => Vec::new(),
        Format::Parquet | Format::Ndjson => types::plan(source, table, &columns)?,
    };
    let path = dir.join(format!("{table}.{}", format.extension()));
    loop {
        let part = Part::new(&path);
        let file = part.file()?;
        let written = match format {
            Format::Csv => {
                let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
                let mut out = CsvRows::new(file, &names)?;
                let rows = source
                    .scan(table, &mut |row| out.row(row))
                    .with_context(|| format!("cannot export {table}"))?;
                (rows, out.finish())
            }
            Format::Ndjson => {
                let mut out = NdjsonRows::new(file, &typed)?;
                let rows = source
                    .scan(table, &mut |row| out.row(row))
                    .with_context(|| format!("cannot export {table}"))?;
                (rows, out.finish())
            }
            Format::Parquet => {
                let mut out = ParquetRows::new(file, &typed)?;
                match source.scan(table, &mut |row| out.row(row)) {
                    Ok(rows) => (rows, out.finish()),
                    Err(err) => match err.downcast::<Misfit>() {
                        Ok(misfit) => {
                            widen(table, &mut typed, misfit)?;
                            continue;
                        }
                        Err(err) => return Err(err.context(format!("cannot export {table}"))),
                    },
                }
            }
        };
        let (rows, file) = written;
        let file = file.with_context(|| format!("cannot write {}", part.part.display()))?;
        let bytes = part.commit(file)?;
        return Ok(Written { path, rows, bytes });
    }
}

/// Exports `misfit`'s column as strings from now on, saying so; an error if it already was.
fn widen(table: &str, typed: &mut [Typed], misfit: Misfit) -> Result<()> {
    if misfit.kind == Kind::Text {
        bail!("cannot export {table}.{misfit}");
    }
    eprintln!("tmdb-export: {table}.{misfit}: the column is exported as strings");
    typed[misfit.column].kind = Kind::Text;
    Ok(())
}

/// A file being written under its temporary name; removed unless committed.
struct Part {
    part: PathBuf,
    path: PathBuf,
    committed: bool,
}

impl Part {
    fn new(path: &Path) -> Part {
        let mut part = path.as_os_str().to_owned();
        part.push(".part");
        Part {
            part: part.into(),
            path: path.to_owned(),
            committed: false,
        }
    }

    fn file(&self) -> Result<File> {
        File::create(&self.part).with_context(|| format!("cannot create {}", self.part.display()))
    }

    /// Syncs `file` and moves it to the final name; returns its size.
    fn commit(mut self, file: File) -> Result<u64> {
        file.sync_all()
            .with_context(|| format!("cannot write {}", self.part.display()))?;
        let bytes = file.metadata()?.len();
        std::fs::rename(&self.part, &self.path).with_context(|| {
            format!(
                "cannot rename {} to {}",
                self.part.display(),
                self.path.display()
            )
        })?;
        self.committed = true;
        Ok(bytes)
    }
}

impl Drop for Part {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.part);
        }
    }
}
