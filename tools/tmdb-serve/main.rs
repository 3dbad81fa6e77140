//! tmdb-serve: a read-only REST API and browse page over the mirror (a SQLite file, or a
//! PostgreSQL or MySQL/MariaDB database). The routes and their JSON shapes are in `routes.rs`,
//! the network side and its bounds in `server.rs`, the SQL in `queries.rs` and `tmdb/`.
//!
//! Shape: a tokio runtime of `--threads` workers running hyper; a request is answered on the
//! worker that read it, with a read-only database connection from a pool, so a slow query
//! holds up one worker and never the others. The server runs until it is stopped by a signal;
//! with read-only connections there is nothing to flush or close.

mod cache;
mod http;
mod json;
mod metrics;
mod params;
mod queries;
mod rank;
mod routes;
mod server;
mod tmdb;

use std::io::Write as _;
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Parser;
use tmdb_core::db::ReadAccess;
use tmdb_core::env::Location;

use crate::http::Hygiene;
use crate::queries::Source;
use crate::server::{App, Pool};

/// Every answer builds and drops many small values (JSON maps and strings, rows, buffers) on
/// every worker: mimalloc serves them from per-thread pages, where glibc's malloc and free took
/// about a quarter of the CPU of a `/3/movie/{id}` answer (perf, 1,000,000-movie bench mirror).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Serve the tmdb-mirror database as a read-only JSON API, with a browse page at /.
#[derive(Debug, Parser)]
#[command(
    name = "tmdb-serve",
    version,
    after_help = "Routes: GET /movies, /movies/search, /movies/{id}, /movies/{id}/credits, /people, \
/people/search, /people/{id}, /people/{id}/movies, /genres, /genres/{id}/movies, /keywords/{id}, \
/keywords/{id}/movies, /companies/{id}, /collections/{id}, /health, /stats, /openapi.json, \
/metrics (Prometheus), / (browse page); TMDB's own routes under /3 (docs/tmdb-routes.md).

The first line on stdout is `listening on http://ADDR`; one line per request goes to stderr.

Limits: request heads of 16 kB, sent within 10 s (also the idle keep-alive time); no request
bodies (413); --max-connections open at once, the idlest closed to make room for a new one.
A database whose folder is not writable is opened immutable (changes are not seen).

Exit status: 2 when the database is missing, outdated or unreachable (a server's URL with a
wrong password, an unknown database, no server), or the address cannot be bound.

Example:
  tmdb-serve --db data/tmdb.db --addr localhost:8000 &
  tmdb-serve --db postgres://mirror@localhost/tmdb &
  tmdb-serve --db mysql://mirror@localhost/tmdb &
  curl 'http://localhost:8000/movies?genre=drama&year=1999&sort=vote_average.desc'"
)]
struct Cli {
    /// The mirror: a SQLite file, a postgres://user[:password]@host[:port]/dbname URL or a
    /// mysql://user[:password]@host[:port]/dbname URL (mariadb:// too, ?socket=/path)
    /// [default: $DB, else $DB_URL, else data/tmdb.db; sqlite:///path URLs accepted]. Prefer
    /// DB in the environment for a URL with a password: a command line is visible to all.
    #[arg(long, value_name = "PATH|URL")]
    db: Option<String>,

    /// HOST:PORT to listen on (a name such as localhost is resolved, IPv4 preferred); port 0
    /// picks a free port (the first stdout line tells which).
    #[arg(long, default_value = "127.0.0.1:8000", value_parser = parse_addr)]
    addr: SocketAddr,

    /// Worker threads; each answers one request at a time with its own SQLite connection; on
    /// PostgreSQL or MySQL each adds two connections that answer one shared queue [default: the
    /// number of CPUs].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    threads: Option<u16>,

    /// Client connections open at once; past this the one idle longest is closed.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    max_connections: u32,

    /// The Access-Control-Allow-Origin sent with every answer (no credentials are allowed).
    #[arg(long, default_value = "*")]
    cors_origin: String,

    /// Require this credential on TMDB's routes under /3, as TMDB does (`Authorization:
    /// Bearer T` or `api_key=T`; 401 with TMDB's body otherwise). Without it any is accepted.
    #[arg(long)]
    token: Option<String>,
}

/// The PostgreSQL or MySQL connections of each worker thread (see `run`).
const SERVER_CONNECTIONS_PER_WORKER: usize = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => tmdb_core::exit::report("tmdb-serve", &err),
    }
}

fn run(cli: Cli) -> Result<()> {
    let env = tmdb_core::env::Env::load()?;
    let location = env.db_location(cli.db.as_deref())?;
    if !cli.cors_origin.is_ascii() || cli.cors_origin.chars().any(|c| c.is_ascii_control()) {
        bail!("--cors-origin must be printable ASCII such as * or https://example.org");
    }
    // The database first, so that a missing or outdated one fails before anything listens
    // (a server's when the pool below connects).
    let source = match location {
        Location::Sqlite(path) => {
            let (_, access) = tmdb_core::db::open_read_only_anywhere(&path)?;
            if access == ReadAccess::Immutable {
                eprintln!(
                    "tmdb-serve: {} is in a folder this user cannot write: reading it immutable, so \
                     changes made while serving are not seen until a restart",
                    path.display()
                );
            }
            Source::Sqlite(path, access)
        }
        Location::Postgres(url) => Source::Postgres(url),
        Location::Mysql(url) => {
            let shortest = tmdb_core::mysql::shortest_indexed_word(&url)?;
            if shortest > 1 {
                eprintln!(
                    "tmdb-serve: {url}: the server's search indexes hold no word shorter than \
                     {shortest} characters (innodb_ft_min_token_size), so such words find \
                     nothing; README \"MySQL / MariaDB\" says how to index them"
                );
            }
            Source::Mysql(url)
        }
    };
    // More workers than CPUs only adds preemption: measured on 2 cores, 4 workers had a p99
    // of 4 ms where 2 had 0.25 ms, at the same throughput.
    let threads = cli.threads.map_or_else(
        || std::thread::available_parallelism().map_or(2, usize::from),
        usize::from,
    );
    if let Some(token) = cli.token {
        tmdb::require_token(token);
    }
    let shared = Arc::new(cache::Shared::default());
    // SQLite: one connection per worker, and one for the warm-up below. PostgreSQL and MySQL: a
    // thread per connection answers the requests of one queue (server.rs), so that the server's
    // backends, tmdb-serve and the clients share the CPUs. Two connections a worker keep both
    // busy; more only add backends that preempt one another: with 2 workers and 32 clients
    // by id on 2 cores shared with other work, 6 or 9 connections mostly had a p99 of
    // 100-300 ms where 3 or 4 mostly had 10-25 ms (at about 0.8x the requests per second of 6).
    let size = match source {
        Source::Sqlite(..) => threads + 1,
        Source::Postgres(_) | Source::Mysql(_) => threads * SERVER_CONNECTIONS_PER_WORKER,
    };
    let pool = Pool::open(source.clone(), Arc::clone(&shared), size)?;
    let listener = std::net::TcpListener::bind(cli.addr)
        .with_context(|| format!("cannot listen on {}", cli.addr))?;
    announce(listener.local_addr()?)?;
    raise_open_files_limit();
    let hygiene = Hygiene {
        cors_origin: cli.cors_origin,
    };
    let app = Arc::new(App::new(pool, hygiene, cli.max_connections as usize));
    // The answers that cost a scan of the whole mirror are computed now, on a thread of their
    // own, so the first visitor of the browse page does not wait.
    let warm = Arc::clone(&app);
    std::thread::spawn(move || warm.warm_up());
    // Discover and the native movie lists answer from memory once this has read the mirror
    // (tmdb/discover_index.rs), through one more connection of its own.
    std::thread::spawn(move || tmdb::discover_index::keep_built(source, shared));
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?
        .block_on(app.serve(vec![listener]))
}

/// `--addr`: an IP address and port, or a host name and port resolved now.
fn parse_addr(value: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = value.parse() {
        return Ok(addr);
    }
    let resolved: Vec<SocketAddr> = value
        .to_socket_addrs()
        .map_err(|e| format!("{e}; expected HOST:PORT such as 127.0.0.1:8000 or localhost:8000"))?
        .collect();
    resolved
        .iter()
        .find(|a| a.is_ipv4())
        .or(resolved.first())
        .copied()
        .ok_or_else(|| format!("{value} resolves to no address"))
}

fn announce(addr: SocketAddr) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on http://{addr}")?;
    out.flush()?;
    Ok(())
}

/// Lifts the soft limit on open files to the hard one: the default soft limit (often 1024)
/// would run out before `--max-connections` does. Where it cannot be lifted, failed accepts
/// are survived (see `server.rs`).
fn raise_open_files_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed by pointer.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
