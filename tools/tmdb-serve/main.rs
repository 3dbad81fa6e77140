//! tmdb-serve: a read-only REST API and browse page over the SQLite mirror (DESIGN.md
//! "tmdb-serve"). The routes and their JSON shapes are in `routes.rs`.
//!
//! Shape: one tiny_http server shared by N worker threads, each with its own read-only SQLite
//! connection, so a slow query holds up one worker and never the others. The server runs until
//! it is stopped by a signal; with read-only connections there is nothing to flush or close.

mod cache;
mod http;
mod json;
mod params;
mod queries;
mod rank;
mod routes;
mod tmdb;

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use tiny_http::{Method, Server};

use crate::http::{ApiError, Hygiene, Negotiation};
use crate::queries::Db;
use crate::routes::Route;

/// Serve the tmdb-mirror database as a read-only JSON API, with a browse page at /.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = "Routes: GET /movies, /movies/search, /movies/{id}, /movies/{id}/credits, /people, \
/people/search, /people/{id}, /people/{id}/movies, /genres, /genres/{id}/movies, /health, /stats, \
/openapi.json, / (browse page).

The first line on stdout is `listening on http://ADDR`; one line per request goes to stderr.

Exit status: 2 when the database is missing or outdated or the address cannot be bound.

Example:
  tmdb-serve --db data/tmdb.db --addr 127.0.0.1:8000 &
  curl 'http://127.0.0.1:8000/movies?genre=drama&year=1999&sort=vote_average.desc'"
)]
struct Cli {
    /// The SQLite mirror [default: $DB, else data/tmdb.db; sqlite:///path URLs accepted].
    #[arg(long)]
    db: Option<String>,

    /// The address to listen on; port 0 picks a free port (the first stdout line tells which).
    #[arg(long, default_value = "127.0.0.1:8000")]
    addr: SocketAddr,

    /// Worker threads, each with its own database connection.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    threads: u16,

    /// The Access-Control-Allow-Origin sent with every answer (no credentials are allowed).
    #[arg(long, default_value = "*")]
    cors_origin: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => tmdb_core::exit::report("tmdb-serve", &err),
    }
}

fn run(cli: Cli) -> Result<()> {
    let env = tmdb_core::env::Env::load()?;
    let path = env.db_path(cli.db.as_deref())?;
    if !cli.cors_origin.is_ascii() || cli.cors_origin.chars().any(|c| c.is_ascii_control()) {
        bail!("--cors-origin must be printable ASCII such as * or https://example.org");
    }
    // Opened once here so a missing or outdated database fails before anything listens.
    let shared = Arc::new(cache::Shared::default());
    let mut dbs = (0..cli.threads)
        .map(|_| Db::open(&path, Arc::clone(&shared)))
        .collect::<Result<Vec<Db>>>()?;
    let server = listen(cli.addr)
        .and_then(|listener| {
            Server::from_listener(listener, None).map_err(|e| anyhow::anyhow!("{e}"))
        })
        .with_context(|| format!("cannot listen on {}", cli.addr))?;
    let addr = server
        .server_addr()
        .to_ip()
        .context("the server has no IP address")?;
    announce(addr)?;
    let server = Arc::new(server);
    let hygiene = Arc::new(Hygiene {
        cors_origin: cli.cors_origin,
    });
    let warm = Db::open(&path, Arc::clone(&shared))?;
    std::thread::spawn(move || warm_up(warm));
    let workers: Vec<_> = dbs
        .drain(..)
        .map(|db| {
            let server = Arc::clone(&server);
            let hygiene = Arc::clone(&hygiene);
            std::thread::spawn(move || serve(&server, db, &hygiene))
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    Ok(())
}

/// Binds the listening socket. tiny_http writes a response's head and a large body in two
/// writes; with Nagle's algorithm on, the second waits for the client's delayed ACK (40 ms on
/// Linux). TCP_NODELAY on the listener is inherited by every accepted connection.
fn listen(addr: SocketAddr) -> Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_tcp_nodelay(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

fn announce(addr: SocketAddr) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on http://{addr}")?;
    out.flush()?;
    Ok(())
}

/// Fills the shared caches with the answers listed in [`routes::WARM_TARGETS`], on its own
/// connection, while the workers already serve.
fn warm_up(mut db: Db) {
    for target in routes::WARM_TARGETS {
        let request = http::Request {
            method: "GET".to_owned(),
            url: (*target).to_owned(),
        };
        routes::handle(&request, &mut db);
    }
}

fn serve(server: &Server, mut db: Db, hygiene: &Hygiene) {
    loop {
        let request = match server.recv() {
            Ok(request) => request,
            Err(err) => {
                // Accept errors (too many open files, a reset during the handshake) are
                // passing; pause briefly so a persistent one cannot spin a core.
                eprintln!("tmdb-serve: {err}");
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        answer(request, &mut db, hygiene);
    }
}

/// Answers one request; whatever happens, the worker lives on.
fn answer(request: tiny_http::Request, db: &mut Db, hygiene: &Hygiene) {
    let started = Instant::now();
    let method = request.method().clone();
    let url = request.url().to_owned();
    let negotiation = Negotiation::from_headers(request.headers());
    let response = if method == Method::Options
        && url.len() <= routes::MAX_URL
        && Route::parse(url.split('?').next().unwrap_or("")).is_some()
    {
        http::preflight()
    } else {
        let req = http::Request {
            method: method.to_string(),
            url: url.clone(),
        };
        // A panic is a bug of ours; it costs this request a 500, never the worker.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| routes::handle(&req, db)))
            .unwrap_or_else(|_| {
                ApiError {
                    status: 500,
                    message: "internal error".to_owned(),
                    parameter: None,
                    allow: false,
                }
                .into_response()
            })
    };
    let response = http::finish(response, &method, &negotiation, hygiene);
    let bytes = response.data_length().unwrap_or(0);
    let status = response.status_code().0;
    // A client that went away mid-answer is its own business.
    let _ = request.respond(response);
    http::log(&method, &url, status, bytes, started);
}
