//! tmdb-sim: a local TMDB for tests and demos. It serves a deterministic synthetic catalog
//! under TMDB's own paths (`/3/...` and the export files `/p/exports/...`) with TMDB's shapes
//! and error bodies, and can misbehave on demand (rate limit, faults), advance the catalog by
//! simulated days (`POST /__mutate`), and write its ground truth (`--dump`).
mod app;
mod appends;
mod catalog;
mod changes;
mod credits;
mod dates;
mod discover;
mod dump;
mod entities;
mod errors;
mod export;
mod faults;
mod http;
mod index;
mod lists;
mod movie;
mod mutate;
mod person;
mod reserved;
mod rng;
mod routes;
mod stats;
mod text;

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;

/// A local TMDB simulator: TMDB's paths and shapes over a deterministic synthetic catalog.
#[derive(Parser, Debug)]
#[command(
    name = "tmdb-sim",
    version,
    after_help = "Prints `listening on http://HOST:PORT` as its first stdout line once ready; logs go to stderr.\n\n\
Routes: /3/genre/movie/list, /3/discover/movie, /3/movie/{id}[?append_to_response=LIST],\n\
/3/movie/{id}/{credits,keywords,release_dates,external_ids,alternative_titles,translations,\n\
videos,images,watch/providers}, /3/person/{id}[?append_to_response=LIST],\n\
/3/person/{id}/{external_ids,translations,images},\n\
/3/movie/changes, /3/person/changes,\n\
/p/exports/[adult_]{movie,person}_ids_MM_DD_YYYY.json.gz, GET /__stats, POST /__mutate?days=N.\n\n\
Exit status: 0 after --dump, 2 on bad usage or when the port cannot be bound.\n\n\
Example:\n  tmdb-sim --port 8010 --movies 2000 --fault-rate 0.05 &\n  \
TMDB_API_URL=http://127.0.0.1:8010/3 TMDB_EXPORT_URL=http://127.0.0.1:8010/p/exports TMDB_TOKEN=x tmdb-fetch genres"
)]
struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks a free one; the listening line tells which).
    #[arg(long, default_value_t = 8010)]
    port: u16,
    /// Movies in the catalog on day 0 (about 2% of them already deleted).
    #[arg(long, default_value_t = 2000)]
    movies: u64,
    /// Seed of the catalog: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Requests per second allowed on /3 (token bucket); beyond it 429 with Retry-After.
    #[arg(long)]
    rate: Option<f64>,
    /// Fraction (0 to 1) of /3 requests that get a fault: 502 HTML, 503, 500, dropped
    /// connection, stall, truncated body.
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// Seed of the fault sequence (faults follow the request count).
    #[arg(long, default_value_t = 1)]
    fault_seed: u64,
    /// How long a stall fault waits before answering, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    stall_ms: u64,
    /// Bearer token every /3 request must carry (401 otherwise); none means no check.
    #[arg(long)]
    token: Option<String>,
    /// The simulator's day 0, YYYY-MM-DD (default: today in UTC).
    #[arg(long)]
    today: Option<String>,
    /// Start with the catalog already advanced this many days (as after POST /__mutate).
    #[arg(long, default_value_t = 0)]
    mutate: u32,
    /// Write the ground truth (genres, whole movie and person records, gone IDs) into DIR and
    /// exit instead of serving.
    #[arg(long, value_name = "DIR")]
    dump: Option<PathBuf>,
    /// Most connections served at once (one thread each); more wait to be accepted.
    #[arg(long, default_value_t = 512)]
    threads: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => tmdb_core::exit::report("tmdb-sim", &err),
    }
}

fn run(cli: Cli) -> Result<()> {
    if !(0.0..=1.0).contains(&cli.fault_rate) {
        bail!(
            "--fault-rate must be between 0 and 1, not {}",
            cli.fault_rate
        );
    }
    if cli.rate.is_some_and(|r| r.is_nan() || r <= 0.0) {
        bail!("--rate must be a positive number of requests per second");
    }
    if cli.movies == 0 || cli.threads == 0 {
        bail!("--movies and --threads must be at least 1");
    }
    let today = match &cli.today {
        Some(t) => dates::parse(t).context("--today")?,
        None => dates::today_utc(),
    };
    let behaviour = app::Behaviour {
        token: cli.token.clone(),
        rate: cli.rate,
        faults: faults::Faults {
            rate: cli.fault_rate,
            seed: cli.fault_seed,
            stall: Duration::from_millis(cli.stall_ms),
        },
    };
    let app = app::App::new(
        catalog::Catalog::new(cli.seed, cli.movies, today),
        behaviour,
    );
    if cli.mutate > 0 {
        app.mutate(cli.mutate);
    }
    if let Some(dir) = &cli.dump {
        let (day, _) = app.snapshot();
        return dump::write(&app.cat, day, dir);
    }
    let listener = TcpListener::bind((cli.host.as_str(), cli.port))
        .with_context(|| format!("binding {}:{}", cli.host, cli.port))?;
    let addr = listener.local_addr()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{addr}")?;
    stdout.flush()?;
    drop(stdout);
    eprintln!(
        "tmdb-sim: {} movies, seed {}, day 0 = {}",
        cli.movies,
        cli.seed,
        dates::format(today)
    );
    http::serve(listener, Arc::new(app), cli.threads);
    Ok(())
}
