//! tmdb-export: the mirror as files, one per table: Parquet for DuckDB, pandas, Polars and
//! Spark, CSV for spreadsheets, NDJSON for jq.
//!
//! Each table is streamed row by row (a full mirror's credit table holds tens of millions of
//! rows) into `TABLE.EXT.part`, then renamed, so a killed export never leaves a half file under
//! the final name. The database is opened read-only: exporting while `make update` runs sees
//! one consistent snapshot per table. docs/export.md says what each column becomes.

mod export;
mod source;
mod to_csv;
mod to_ndjson;
mod to_parquet;
mod types;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use tmdb_core::env::{Env, Location};
use tmdb_core::exit::{self, Status};

use crate::export::Format;
use crate::source::{Mysql, Postgres, Source, Sqlite};

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

/// Writes the mirror's tables as files, one per table: Parquet (typed columns, zstd), CSV
/// (header row, UTF-8, RFC 4180 quoting) or NDJSON (one JSON object per row).
#[derive(Parser)]
#[command(
    name = "tmdb-export",
    version,
    after_help = "Exit status: 0 done; 2 bad usage, unreadable database or unwritable folder.\n\n\
Examples:\n  \
tmdb-export --out data/export                     # every table as CSV\n  \
tmdb-export --format parquet --out data/export    # every table as Parquet\n  \
tmdb-export --format ndjson --out /tmp/j genre    # one table as NDJSON"
)]
struct Cli {
    /// The mirror (else DB, else DB_URL, else data/tmdb.db): a SQLite path, sqlite:///path,
    /// postgres://user[:password]@host[:port]/dbname or mysql://user[:password]@host[:port]/dbname.
    #[arg(long, value_name = "PATH|URL")]
    db: Option<String>,

    /// The folder to write TABLE.EXT files into (created if missing).
    #[arg(long, value_name = "DIR", default_value = "data/export")]
    out: PathBuf,

    /// The file format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    format: Format,

    /// Tables to export (default: every table of the mirror).
    #[arg(value_name = "TABLE")]
    tables: Vec<String>,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if err.use_stderr() => {
            eprintln!("tmdb-export: {}", one_line(&err.render().to_string()));
            return ExitCode::from(Status::Usage.code());
        }
        Err(err) => err.exit(), // --help, --version
    };
    match run(cli) {
        Ok(status) => status.into(),
        Err(err) => exit::report("tmdb-export", &err),
    }
}

/// clap's usage error on one line: its message and the values it lists, without the usage
/// and the hint to try --help.
fn one_line(rendered: &str) -> String {
    rendered
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more"))
        .map(|l| l.strip_prefix("error: ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join(" ")
}

fn run(cli: Cli) -> Result<Status> {
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
    let env = Env::load()?;
    let source: Box<dyn Source> = match env.db_location(cli.db.as_deref())? {
        Location::Sqlite(path) => Box::new(Sqlite::new(tmdb_core::db::open_read_only(&path)?)),
        Location::Postgres(url) => {
            Box::new(Postgres::new(tmdb_core::pg::open_read_only(&url)?, *url))
        }
        Location::Mysql(url) => Box::new(Mysql::new(tmdb_core::mysql::open_read_only(&url)?, *url)),
    };
    std::fs::create_dir_all(&cli.out)
        .with_context(|| format!("cannot create folder {}", cli.out.display()))?;
    for table in tables {
        let started = Instant::now();
        let written = export::export_table(source.as_ref(), table, &cli.out, cli.format)?;
        eprintln!(
            "tmdb-export: {table}: {} rows to {} ({:.1} MB) in {:.1}s",
            written.rows,
            written.path.display(),
            written.bytes as f64 / 1e6,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(Status::Success)
}

#[cfg(test)]
mod tests {
    use super::{TABLES, one_line};

    #[test]
    fn every_table_of_the_record_is_exported() {
        for table in tmdb_core::record::spec::TABLES {
            assert!(TABLES.contains(&table.name), "{}", table.name);
        }
    }

    /// Tables derived from the others: the full-text indexes (and their shadow tables) and the
    /// genre listing index (sql/0006_genre_movie_by_date.sql); and the loader's own bookkeeping,
    /// not data: the indexes a first load still has to build (sql/0010_deferred_index.sql) and
    /// how far it loaded each stage file (sql/0011_load_checkpoint.sql).
    const DERIVED: &[&str] = &[
        "movie_fts",
        "people_fts",
        "genre_movie_by_date",
        "deferred_index",
        "load_checkpoint",
    ];

    #[test]
    fn every_table_of_the_schema_is_exported() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        tmdb_core::db::migrate(&mut conn).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                 ORDER BY name",
            )
            .unwrap();
        let names: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let missing: Vec<&String> = names
            .iter()
            .filter(|n| !TABLES.contains(&n.as_str()))
            .filter(|n| !DERIVED.iter().any(|d| n.starts_with(d)))
            .collect();
        assert!(
            missing.is_empty(),
            "tables neither exported nor excluded: {missing:?}"
        );
    }

    #[test]
    fn usage_errors_fit_on_one_line() {
        let rendered = "error: invalid value 'xml' for '--format <FORMAT>'\n  [possible values: csv, parquet, ndjson]\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line(rendered),
            "invalid value 'xml' for '--format <FORMAT>' [possible values: csv, parquet, ndjson]"
        );
    }
}
