//! The command line. The doc comments are `--help`; [`crate::config::Config`] validates what
//! clap cannot (positive rates, year order, the token).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::date::Date;

const AFTER_HELP: &str = "\
Environment: TMDB_TOKEN (or BEARER_TOKEN, or a .env file in the working folder) holds the API
read access token; TMDB_API_URL and TMDB_EXPORT_URL point elsewhere than TMDB (tmdb-sim).

Exit status: 0 all done; 1 finished, but some IDs failed or some input lines were not IDs
(listed on stderr and in --failed); 2 bad usage or configuration; 3 TMDB refused the token;
130/143 interrupted by SIGINT/SIGTERM (what was written is complete).

Examples:
  tmdb-fetch ids --source export | head -n 100 | tmdb-fetch movies > movies.ndjson
  tmdb-fetch movies --skip movies.ndjson --failed failed.ndjson --out movies.ndjson ids.ndjson
  tmdb-fetch movies --append credits,keywords < ids.ndjson > movies.ndjson
  tmdb-fetch changes --kind movie --since 2026-11-20 | tmdb-fetch movies > changed.ndjson";

/// Talk to the TMDB API: rate-limited, concurrent, retrying; one JSON object per line on stdout.
#[derive(Parser, Debug)]
#[command(name = "tmdb-fetch", version, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub shared: Shared,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand takes, before or after its name.
#[derive(Args, Debug)]
#[command(next_help_heading = "Shared options")]
pub struct Shared {
    /// Requests per second for the whole process (TMDB allows about 40-50 per address).
    #[arg(long, global = true, default_value_t = 40.0, value_name = "REQ_PER_S")]
    pub rate: f64,
    /// Requests in flight at once, which bounds the open connections (TMDB allows 20).
    #[arg(long, global = true, default_value_t = 20, value_name = "N")]
    pub concurrency: usize,
    /// Retries of one request after its first attempt (5xx, timeouts, dropped connections,
    /// truncated or invalid bodies); 429s are waited out on top of these.
    #[arg(long, global = true, default_value_t = 8, value_name = "N")]
    pub retries: u32,
    /// Seconds before one API request is abandoned and retried.
    #[arg(long, global = true, default_value_t = 30.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// The largest body one API answer may have (bytes; k, M, G suffixes are powers of
    /// 1000): a larger one fails its ID without being held.
    #[arg(long, global = true, default_value = "64M", value_parser = parse_size, value_name = "SIZE")]
    pub max_body: u64,
    /// Log every retry on stderr (IDs that still fail are always listed).
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// One {"id","name"} line per movie genre (/genre/movie/list).
    Genres,
    /// Every movie ID: from TMDB's daily export file (one download), or by walking
    /// /discover/movie over release-date ranges.
    Ids(IdsArgs),
    /// Each movie with its sub-resources in the same request
    /// (/movie/{id}?append_to_response=LIST), one line per movie as TMDB sent it, the most
    /// popular first when the input says how popular.
    Movies(ItemArgs),
    /// Each person (/person/{id}?append_to_response=LIST), one line per person as TMDB sent it.
    People(ItemArgs),
    /// IDs changed since a date (/movie/changes or /person/changes), one {"id"} line each,
    /// ascending, each once.
    Changes(ChangesArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Source {
    /// TMDB's daily movie_ids export (gzipped NDJSON); needs no token.
    Export,
    /// /discover/movie by release-date ranges; misses movies without a release date.
    Discover,
}

#[derive(Args, Debug)]
pub struct IdsArgs {
    /// Where the IDs come from.
    #[arg(long, value_enum, default_value_t = Source::Export)]
    pub source: Source,
    /// Export: the file's date (default: today in UTC); when it is not published yet, the
    /// previous days are tried, a few at most.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<Date>,
    /// Also list adult movies (export: the adult_movie_ids file too; discover:
    /// include_adult=true).
    #[arg(long)]
    pub include_adult: bool,
    /// Discover: the first release year to cover.
    #[arg(long, value_name = "YEAR")]
    pub from_year: Option<i64>,
    /// Discover: the last release year to cover (default: this year).
    #[arg(long, value_name = "YEAR")]
    pub to_year: Option<i64>,
}

#[derive(Args, Debug)]
pub struct ItemArgs {
    /// Files of ID lines (a bare integer, or an object with an integer "id"); `-` or none
    /// reads stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// IDs of the complete lines of these files are not fetched (a checkpoint to resume
    /// from; a missing file is empty), unless the line is a record fetched without one of
    /// the sub-resources this run appends: that one is fetched again. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub skip: Vec<PathBuf>,
    /// Fetch only the N most popular of the IDs read (before --skip: a resumed run does not
    /// move on to less popular ones).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// The sub-resources asked for in the same request, comma-separated (TMDB takes at most
    /// 20); "" or "none" for none. Default for movies:
    /// credits,keywords,release_dates,external_ids,alternative_titles,translations,videos,images,watch/providers;
    /// for people: external_ids,translations,images.
    #[arg(long, value_name = "LIST")]
    pub append: Option<String>,
    /// Write records to FILE instead of stdout: created if missing, cut back to its last
    /// complete line, then appended to (a checkpoint to resume with --skip FILE).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Append one {"id","kind","status","error","attempts"} line per ID that still failed
    /// after every retry (and per 404, when --gone is not given).
    #[arg(long, value_name = "FILE")]
    pub failed: Option<PathBuf>,
    /// Append one line (status 404, error "gone") per ID TMDB no longer has.
    #[arg(long, value_name = "FILE")]
    pub gone: Option<PathBuf>,
}

/// A size in bytes: digits with an optional k, M or G (powers of 1000; a trailing B is
/// allowed).
fn parse_size(text: &str) -> Result<u64, String> {
    let upper = text.trim().to_ascii_uppercase();
    let digits = upper.strip_suffix('B').unwrap_or(&upper);
    let (digits, unit) = match digits.chars().last() {
        Some('K') => (&digits[..digits.len() - 1], 1_000),
        Some('M') => (&digits[..digits.len() - 1], 1_000_000),
        Some('G') => (&digits[..digits.len() - 1], 1_000_000_000),
        _ => (digits, 1),
    };
    digits
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{text:?} is not a size: expected e.g. 65536, 512k, 64M"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChangeKind {
    Movie,
    Person,
}

#[derive(Args, Debug)]
pub struct ChangesArgs {
    /// Movies or people.
    #[arg(long, value_enum)]
    pub kind: ChangeKind,
    /// The first day to cover (UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub since: Date,
    /// The last day to cover (default: today in UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub until: Option<Date>,
    /// Keep IDs TMDB marks adult (dropped by default).
    #[arg(long)]
    pub include_adult: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("65536"), Ok(65_536));
        assert_eq!(parse_size("512k"), Ok(512_000));
        assert_eq!(parse_size("64M"), Ok(64_000_000));
        assert_eq!(parse_size("64MB"), Ok(64_000_000));
        assert_eq!(parse_size("1G"), Ok(1_000_000_000));
        for bad in ["", "0", "M", "-5", "1.5M", "64 MiB", "99999999999G"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
