//! tmdb-fetch: talk to the TMDB API (rate-limited, concurrent, retrying) and write one JSON
//! object per line on stdout. See the README's "tmdb-fetch" section and `tmdb-fetch --help`.

mod append;
mod cli;
mod client;
mod cmd;
mod config;
mod date;
mod input;
mod json;
mod limiter;
mod output;
mod progress;
mod retry;
mod shutdown;

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

use crate::cli::Cli;
use crate::config::Config;

fn main() -> ExitCode {
    let cli = Cli::parse(); // usage errors: clap prints them and exits 2
    match run(cli) {
        Ok(code) => code,
        Err(err) => tmdb_core::exit::report("tmdb-fetch", &err),
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let config = Config::new(&cli.shared, cmd::needs_token(&cli.command))?;
    // Two threads match the work: the waits are network waits, the CPU goes to parsing.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let code = runtime.block_on(cmd::run(cli.command, config));
    // In-flight requests dropped by a signal or an error must not delay the exit.
    runtime.shutdown_background();
    code
}
