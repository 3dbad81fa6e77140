//! ndjson-ids: set operations over ID lists and over the mirror's own ID sets.
//!
//! The pipeline needs a few questions answered without jq or Python: which people do the
//! loaded credits name (stage 4), which IDs in today's export does the mirror lack, which
//! mirrored movies left the export (`make update`). Each is a union, difference or
//! intersection of ID sets, where a set is an NDJSON file of ID lines or one of the mirror's
//! tables. This tool only reads; it never fetches or writes the database.

mod sets;

use std::collections::HashSet;
use std::io;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use tmdb_core::env::Env;
use tmdb_core::exit::{self, Status};
use tmdb_core::ndjson::NdjsonWriter;

use sets::{Entry, SetReader, SetSpec};

/// Set operations over ID lists and the mirror's ID sets; `{"id":N}` lines out, ascending,
/// with `"popularity"` where the set knows it.
///
/// A SET is an NDJSON file of ID lines (bare integers, or objects with an integer "id", so any
/// stage's output fits), `-` for stdin, or one of the mirror's sets: db:movies, db:people,
/// db:credited (person IDs named by loaded credits), db:movie-ids (stage 2's list),
/// db:gone-movies, db:gone-people.
#[derive(Parser)]
#[command(
    name = "ndjson-ids",
    version,
    after_help = "Exit status: 0 done; 1 done, but some lines were not IDs (listed on stderr); \
2 bad usage, unreadable file or database.\n\n\
Examples:\n  \
# people credited in the mirror but not fetched yet\n  \
ndjson-ids minus db:credited db:people db:gone-people | tmdb-fetch people\n  \
# IDs of today's export the mirror lacks\n  \
ndjson-ids minus data/movie_ids.ndjson db:movies db:gone-movies"
)]
struct Cli {
    /// The mirror, for db: sets (else DB, else DB_URL, else data/tmdb.db): a SQLite path,
    /// sqlite:///path, postgres://user[:password]@host[:port]/dbname or
    /// mysql://user[:password]@host[:port]/dbname (mariadb:// too).
    #[arg(long, global = true, value_name = "PATH|URL")]
    db: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Every ID found in any of the sets, once.
    List {
        #[arg(required = true, value_name = "SET")]
        sets: Vec<SetSpec>,
    },
    /// The IDs of SET that are in none of the EXCEPT sets.
    Minus {
        #[arg(value_name = "SET")]
        set: SetSpec,
        #[arg(required = true, value_name = "EXCEPT")]
        except: Vec<SetSpec>,
    },
    /// The IDs found in every one of the sets.
    Common {
        #[arg(required = true, num_args = 2.., value_name = "SET")]
        sets: Vec<SetSpec>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(status) => status.into(),
        Err(err) => exit::report("ndjson-ids", &err),
    }
}

fn run(cli: Cli) -> Result<Status> {
    let env = Env::load()?;
    let mut reader = SetReader::new(env.db_location(cli.db.as_deref())?);
    let ids = match cli.command {
        Command::List { sets } => {
            let mut all = Vec::new();
            for spec in &sets {
                all.extend(reader.read(spec)?);
            }
            sets::unique(all)
        }
        Command::Minus { set, except } => {
            let mut excluded = HashSet::new();
            for spec in &except {
                excluded.extend(reader.read(spec)?.iter().map(|e| e.id));
            }
            let mut kept = reader.read(&set)?;
            kept.retain(|e| !excluded.contains(&e.id));
            sets::unique(kept)
        }
        Command::Common { sets } => {
            let mut common = sets::unique(reader.read(&sets[0])?);
            for spec in &sets[1..] {
                let other: HashSet<u64> = reader.read(spec)?.iter().map(|e| e.id).collect();
                common.retain(|e| other.contains(&e.id));
            }
            common
        }
    };
    let mut out = NdjsonWriter::new(io::stdout().lock());
    for Entry { id, popularity } in ids {
        out.write(&IdLine { id, popularity })?;
    }
    out.flush()?;
    Ok(Status::from_failures(reader.bad_lines()))
}

/// `{"id":N}`, with `"popularity"` when the set knows it, so that `tmdb-fetch` fetches the
/// most popular first.
#[derive(serde::Serialize)]
struct IdLine {
    id: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    popularity: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use std::path::PathBuf;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sets_parse_from_the_command_line() {
        let cli =
            Cli::try_parse_from(["ndjson-ids", "minus", "a.ndjson", "db:movies", "-"]).unwrap();
        let Command::Minus { set, except } = cli.command else {
            panic!("not minus")
        };
        assert_eq!(set, SetSpec::File(PathBuf::from("a.ndjson")));
        assert_eq!(except.len(), 2);
        assert!(Cli::try_parse_from(["ndjson-ids", "list", "db:nonsense"]).is_err());
        assert!(Cli::try_parse_from(["ndjson-ids", "common", "a"]).is_err());
    }
}
