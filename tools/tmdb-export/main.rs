//! tmdb-export: the mirror as CSV, one file per table, for spreadsheet and pandas users.
//!
//! Each table is streamed row by row (a full mirror's credit table holds tens of millions of
//! rows) into `TABLE.csv.part`, then renamed, so a killed export never leaves a half file under
//! the final name. The database is opened read-only: exporting while `make update` runs sees
//! one consistent snapshot per table.

use std::fmt::Write as _;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use rusqlite::types::ValueRef;
use tmdb_core::env::Env;
use tmdb_core::exit::{self, Status};

/// The tables worth exporting, in pipeline order, then the rest of the whole record (the FTS
/// shadow tables and the derived list index are not). A test checks that every table of the
/// record description is here.
const TABLES: &[&str] = &[
    "genre",
    "movie_ids",
    "movie",
    "movie_genre",
    "credit",
    "people",
    "gone",
    "load_log",
    "collection",
    "company",
    "movie_company",
    "movie_country",
    "movie_language",
    "keyword",
    "movie_keyword",
    "release_date",
    "alternative_title",
    "translation",
    "video",
    "image",
    "watch_provider",
    "watch_link",
    "movie_watch_provider",
    "person_translation",
    "person_image",
];

/// Writes the mirror's tables as CSV files (header row, UTF-8, RFC 4180 quoting).
#[derive(Parser)]
#[command(
    name = "tmdb-export",
    version,
    after_help = "Exit status: 0 done; 2 bad usage, unreadable database or unwritable folder.\n\n\
Examples:\n  \
tmdb-export --out data/export              # every table\n  \
tmdb-export --out /tmp/csv movie credit    # two tables"
)]
struct Cli {
    /// The mirror (else DB, else data/tmdb.db; sqlite:///path accepted).
    #[arg(long, value_name = "PATH")]
    db: Option<String>,

    /// The folder to write TABLE.csv files into (created if missing).
    #[arg(long, value_name = "DIR", default_value = "data/export")]
    out: PathBuf,

    /// Tables to export (default: genre movie_ids movie movie_genre credit people gone
    /// load_log).
    #[arg(value_name = "TABLE")]
    tables: Vec<String>,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(status) => status.into(),
        Err(err) => exit::report("tmdb-export", &err),
    }
}

fn run(cli: Cli) -> Result<Status> {
    let env = Env::load()?;
    let db = env.db_path(cli.db.as_deref())?;
    let conn = tmdb_core::db::open_read_only(&db)?;
    let tables: Vec<&str> = if cli.tables.is_empty() {
        TABLES.to_vec()
    } else {
        cli.tables.iter().map(String::as_str).collect()
    };
    if let Some(unknown) = tables.iter().find(|t| !TABLES.contains(t)) {
        bail!(
            "unknown table {unknown:?}; tables are: {}",
            TABLES.join(", ")
        );
    }
    std::fs::create_dir_all(&cli.out)
        .with_context(|| format!("cannot create folder {}", cli.out.display()))?;
    for table in tables {
        let started = Instant::now();
        let rows = export_table(&conn, table, &cli.out)?;
        eprintln!(
            "tmdb-export: {table}: {rows} rows to {} in {:.1}s",
            cli.out.join(format!("{table}.csv")).display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(Status::Success)
}

/// Streams one table into `DIR/TABLE.csv`; returns the row count.
fn export_table(conn: &rusqlite::Connection, table: &str, dir: &Path) -> Result<u64> {
    let path = dir.join(format!("{table}.csv"));
    let part = dir.join(format!("{table}.csv.part"));
    let file = File::create(&part).with_context(|| format!("cannot create {}", part.display()))?;
    let mut out = csv::Writer::from_writer(BufWriter::with_capacity(1 << 20, file));
    // The table name comes from TABLES, never from the user unchecked.
    let mut stmt = conn.prepare(&format!("SELECT * FROM {table} ORDER BY 1"))?;
    let columns: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    out.write_record(&columns)?;
    let mut rows = stmt.query([])?;
    let mut count = 0u64;
    let mut field = String::new();
    while let Some(row) = rows.next()? {
        for i in 0..columns.len() {
            field.clear();
            match row.get_ref(i)? {
                ValueRef::Null => {}
                ValueRef::Integer(n) => write!(field, "{n}")?,
                ValueRef::Real(x) => write!(field, "{x}")?,
                ValueRef::Text(t) | ValueRef::Blob(t) => {
                    field.push_str(&String::from_utf8_lossy(t))
                }
            }
            out.write_field(&field)?;
        }
        out.write_record(None::<&[u8]>)?;
        count += 1;
    }
    let file = out
        .into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write {}: {}", part.display(), e.error()))?
        .into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write {}: {}", part.display(), e.error()))?;
    file.sync_all()?;
    std::fs::rename(&part, &path)
        .with_context(|| format!("cannot rename {} to {}", part.display(), path.display()))?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::TABLES;

    #[test]
    fn every_table_of_the_record_is_exported() {
        for table in tmdb_core::record::spec::TABLES {
            assert!(TABLES.contains(&table.name), "{}", table.name);
        }
    }
}
