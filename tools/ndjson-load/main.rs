//! ndjson-load: load NDJSON records (TMDB objects, ID lists, gone lists) into the mirror, a SQLite
//! file or a PostgreSQL or MySQL/MariaDB database (`server.rs`, with `pg.rs` and
//! `mysql_load.rs`, writes those a batch at a time).
//!
//! docs/data-contract.md ("What a load does") is the contract: upserts by primary key (a reload
//! changes nothing), a movie replaces its genres and credits, `--kind gone` deletes, batches per
//! transaction (a kill leaves only whole batches), bad lines reported and skipped, migrations
//! applied first. This file is the manual; the work is in `batch` (the pipeline), `kinds` (typed
//! lines), `check` (why a line was rejected), `store` (the SQL), `defer` (the indexes a first
//! load builds at its end) and `rejects`.

mod batch;
mod checkpoint;
mod defer;
mod id_lines;
mod kinds;
mod log;
mod mysql_load;
mod pg;
mod rejects;
mod server;
mod store;

/// Parsing a movie line builds and drops thousands of small JSON values on every parser thread:
/// mimalloc serves them from per-thread pages where glibc's malloc took a sixth of a load's CPU
/// (docs/record.md "Loading").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use tmdb_core::env::{Env, Location};
use tmdb_core::exit::{self, Status};
use tmdb_core::ndjson::{Input, input_paths};

use checkpoint::{Checkpoint, Store};
use kinds::Kind;
use rejects::Rejects;

/// Load NDJSON records into the mirror (SQLite, PostgreSQL or MySQL/MariaDB): batched upserts,
/// one transaction per batch.
///
/// Reads FILEs (or stdin) of one kind. Loading the same file twice changes nothing; a newer
/// record replaces the older one, and a movie's genres and credits with it. Lines that are not
/// valid records are reported as FILE:LINE: reason, skipped, and loading goes on. The database's
/// schema is brought up to date first. One summary line on stderr at the end.
#[derive(Parser)]
#[command(
    name = "ndjson-load",
    version,
    after_help = "Exit status: 0 all lines loaded; 1 loaded, but some lines were rejected \
(listed on stderr and in --rejects); 2 bad usage, unreadable input, or a database error (the \
batches committed before it stay).\n\n\
Examples:\n  \
tmdb-fetch genres | ndjson-load --kind genres\n  \
ndjson-load --kind movies --rejects data/movies.rejects.ndjson data/movies.ndjson\n  \
ndjson-load --kind gone data/movies.gone.ndjson\n  \
# the rejected lines as they were read, to fix and load again\n  \
jq -r .text data/movies.rejects.ndjson > movies.fix.ndjson"
)]
struct Cli {
    /// What the lines are.
    #[arg(long, value_enum, required_unless_present_any = ["last_run", "report_after"])]
    kind: Option<Kind>,

    /// Load nothing: print the number of the last run recorded in the mirror's load_log (0
    /// when there is none), for a later --report-after.
    #[arg(long, conflicts_with_all = ["kind", "files", "report_after"])]
    last_run: bool,

    /// Load nothing: print, one line per kind, the totals of the runs recorded after run RUN
    /// (as --last-run numbered it): `movies: read R, inserted I, updated U, unchanged N,
    /// deleted D, rejected J (K runs)`.
    #[arg(long, value_name = "RUN", conflicts_with_all = ["kind", "files"])]
    report_after: Option<i64>,

    /// The mirror (else DB, else DB_URL, else data/tmdb.db): a SQLite path (sqlite:///path
    /// accepted; created if missing), postgres://user[:password]@host[:port]/dbname or
    /// mysql://user[:password]@host[:port]/dbname (mariadb:// too; ?socket=/path for a Unix
    /// socket) naming an existing database; prefer DB for a URL with a password, a command line
    /// is visible.
    #[arg(long, value_name = "PATH|URL")]
    db: Option<String>,

    /// Records per transaction (fewer when the input pauses for a second): a kill loses at
    /// most the transaction being written, and a rerun loads it again.
    #[arg(long, visible_alias = "batch-size", value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..))]
    batch: u32,

    /// Lines longer than this many bytes are rejected without being held whole (the rejects
    /// file keeps their start and length). TMDB's largest records are a few MB.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20,
          value_parser = clap::value_parser!(u64).range(1024..))]
    max_line: u64,

    /// Also write each rejected line to FILE as {"file","line","error","text"} (rewritten on
    /// every run).
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,

    /// Load only the lines of FILE (one file, which only ever grows, like the pipeline's stage
    /// files) that this mirror has not loaded from it yet: those after the point where the
    /// last load of FILE with this flag stopped; the whole file the first time, or when FILE
    /// is no longer the file loaded then. A rerun of a stage then loads what it appended
    /// without putting the file's older copies back over records another file (an update)
    /// loaded since. A run with rejected lines leaves the point where it was.
    #[arg(long)]
    since_last_load: bool,

    /// NDJSON inputs; `-` or none for stdin.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(status) => status.into(),
        Err(err) => exit::report("ndjson-load", &err),
    }
}

fn run(cli: Cli) -> Result<Status> {
    let started = Instant::now();
    let db = Env::load()?.db_location(cli.db.as_deref())?;
    let Some(kind) = cli.kind else {
        // clap asks for --kind unless one of these was given.
        log::print(&db, cli.report_after)?;
        return Ok(Status::Success);
    };
    // Inputs first: a typo in a file name stops the run before the database is touched.
    let paths = input_paths(&cli.files);
    let since_last_load = match (cli.since_last_load, paths.as_slice()) {
        (false, _) => None,
        (true, [file]) if file != Path::new("-") => Some(file.clone()),
        (true, _) => bail!("--since-last-load takes exactly one FILE, not standard input"),
    };
    let mut inputs = paths
        .iter()
        .map(|path| Input::open(path))
        .collect::<std::io::Result<Vec<_>>>()?;
    if let Some(rejects) = &cli.rejects {
        refuse_input_as_rejects(rejects, &cli.files)?;
    }
    let batch_size = cli.batch as usize;
    let max_line = usize::try_from(cli.max_line).unwrap_or(usize::MAX);
    let bar = batch::progress_bar(&inputs);
    let mut rejects = Rejects::create(cli.rejects.as_deref(), bar.clone())?;
    // The point where the last load of a --since-last-load file stopped: its input restarts
    // there.
    let mut resume = |store: Store<'_>| -> Result<Option<Checkpoint>> {
        let Some(file) = &since_last_load else {
            return Ok(None);
        };
        let checkpoint = Checkpoint::find(store, kind, file)?;
        let input = Input::open_at(file, checkpoint.start)?;
        bar.set_length(input.size.unwrap_or_default());
        inputs = vec![input];
        Ok(Some(checkpoint))
    };
    let path = match db {
        Location::Sqlite(path) => path,
        Location::Postgres(url) => {
            let mut client = tmdb_core::pg::open(&url)?;
            let checkpoint = resume(Store::Postgres(&mut client))?;
            let load = pg::open(&url)?;
            let (counts, reached) =
                load_server(load, kind, inputs, batch_size, max_line, &mut rejects, &bar)?;
            let store = Store::Postgres(&mut client);
            checkpoint::advance(checkpoint.as_ref(), store, kind, &reached, &counts)?;
            return Ok(summary(kind, &counts, started));
        }
        Location::Mysql(url) => {
            let mut conn = tmdb_core::mysql::open(&url)?;
            let checkpoint = resume(Store::Mysql(&mut conn))?;
            let load = mysql_load::open(&url)?;
            let (counts, reached) =
                load_server(load, kind, inputs, batch_size, max_line, &mut rejects, &bar)?;
            let store = Store::Mysql(&mut conn);
            checkpoint::advance(checkpoint.as_ref(), store, kind, &reached, &counts)?;
            return Ok(summary(kind, &counts, started));
        }
    };
    let mut conn = tmdb_core::db::open(&path)?;
    let checkpoint = resume(Store::Sqlite(&conn))?;
    // A bigger page cache keeps the credit indexes in memory during large loads.
    conn.pragma_update(None, "cache_size", -65536)
        .context("cannot set the page cache size")?;
    // A load cycles through ~140 statements (per table an insert of 1, 2, 4... 32 rows, a
    // replace, a delete): the default cache of 16 recompiled them on every record.
    conn.set_prepared_statement_cache_capacity(192);
    // Checkpoints every 64 MB of WAL rather than SQLite's 4 MB: a page the batches of a large
    // load rewrite many times (an index's, the search index's) is copied to the database once
    // per checkpoint, not once per batch (~7% of a first load's CPU). The WAL is merged and
    // removed when the load closes the database.
    conn.pragma_update(None, "wal_autocheckpoint", 16384)
        .context("cannot set the checkpoint interval")?;
    // A movie or person load writes what hangs off a record after it, in the same transaction,
    // and deletes an older version's rows itself: the foreign keys' checks (a lookup per row)
    // and cascades have nothing to do, and without them a many-row INSERT needs no statement
    // journal (docs/record.md "Loading"). `gone` deletes by cascade and keeps them.
    if matches!(kind, Kind::Movies | Kind::People) {
        conn.pragma_update(None, "foreign_keys", false)
            .context("cannot turn the foreign keys off")?;
    }
    let started_at = batch::now(&conn)?;
    // A first load into an empty mirror, or a large append to any mirror, builds the movie
    // tables' secondary indexes at its end (defer.rs).
    defer::begin(&mut conn, kind, &inputs)?;
    let loaded = batch::load(
        batch::Target::Sqlite(&conn),
        kind,
        inputs,
        batch_size,
        max_line,
        &mut rejects,
        &bar,
    );
    bar.finish_and_clear();
    // Also after a failed load: the indexes of whole batches are made whatever stopped it.
    let finished = defer::finish(&mut conn);
    let (counts, reached) = loaded?;
    finished?;
    batch::optimize_search(&conn, kind, &counts)?;
    batch::log_run(&conn, kind, &started_at, &counts)?;
    checkpoint::advance(
        checkpoint.as_ref(),
        Store::Sqlite(&conn),
        kind,
        &reached,
        &counts,
    )?;
    Ok(summary(kind, &counts, started))
}

/// Loads `inputs` into a database server and records the run in its `load_log`.
fn load_server(
    mut load: server::ServerLoad,
    kind: Kind,
    inputs: Vec<Input>,
    batch_size: usize,
    max_line: usize,
    rejects: &mut Rejects,
    bar: &indicatif::ProgressBar,
) -> Result<(batch::Counts, Vec<tmdb_core::ndjson::Reached>)> {
    let target = batch::Target::Server(&mut load);
    let loaded = batch::load(target, kind, inputs, batch_size, max_line, rejects, bar);
    bar.finish_and_clear();
    let (mut counts, reached) = loaded?;
    load.end(kind, &mut counts)?;
    Ok((counts, reached))
}

/// The summary line on stderr; the exit status.
fn summary(kind: Kind, counts: &batch::Counts, started: Instant) -> Status {
    let elapsed = started.elapsed().as_secs_f64();
    eprintln!(
        "ndjson-load: {}: read {}, inserted {}, updated {}, unchanged {}, deleted {}, rejected {} in {elapsed:.1}s ({})",
        kind.name(),
        counts.read,
        counts.inserted,
        counts.updated,
        counts.unchanged,
        counts.deleted,
        counts.rejected,
        tmdb_core::progress::rate(counts.read as f64 / elapsed.max(1e-9), "records"),
    );
    Status::from_failures(counts.rejected)
}

/// Creating the rejects file empties it: if it is also an input, its records would be lost.
fn refuse_input_as_rejects(rejects: &Path, files: &[PathBuf]) -> Result<()> {
    let Ok(rejects_path) = rejects.canonicalize() else {
        return Ok(()); // does not exist yet, so it is no input
    };
    for file in files {
        if file.canonicalize().is_ok_and(|input| input == rejects_path) {
            bail!(
                "--rejects {} is also an input; it would be emptied before being read",
                rejects.display()
            );
        }
    }
    Ok(())
}
