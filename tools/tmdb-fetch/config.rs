//! The validated configuration: the command line's shared flags checked, and the environment
//! (token, API and export URLs) read once through `tmdb_core::env`.

use std::time::Duration;

use anyhow::{Result, bail};
use tmdb_core::env::{Env, Token};

use crate::cli::Shared;

/// Every request of a run is shaped by this.
#[derive(Debug)]
pub struct Config {
    /// Requests per second for the whole process.
    pub rate: f64,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Retries after the first attempt.
    pub retries: u32,
    /// Per-request deadline for API calls; also the longest silence of an export download.
    pub timeout: Duration,
    /// The largest API body read, in bytes.
    pub max_body: u64,
    pub verbose: bool,
    /// `None` only when the subcommand needs no token (the export files are public).
    pub token: Option<Token>,
    /// The API root, e.g. `https://api.themoviedb.org/3`.
    pub api_url: String,
    /// The export folder, e.g. `https://files.tmdb.org/p/exports`.
    pub export_url: String,
}

impl Config {
    /// Checks the shared flags and reads the environment; `needs_token` is false only for the
    /// export download.
    pub fn new(shared: &Shared, needs_token: bool) -> Result<Config> {
        if !(shared.rate.is_finite() && shared.rate > 0.0) {
            bail!("--rate must be a positive number of requests per second");
        }
        if shared.concurrency == 0 || shared.concurrency > 1024 {
            bail!("--concurrency must be between 1 and 1024");
        }
        if !(shared.timeout.is_finite() && shared.timeout > 0.0) {
            bail!("--timeout must be a positive number of seconds");
        }
        let env = Env::load()?;
        let token = env.token();
        if needs_token && token.is_none() {
            bail!(
                "no TMDB token: set TMDB_TOKEN (or BEARER_TOKEN) to your API read access token, \
                 in the environment or in a .env file in the working folder"
            );
        }
        let api_url = env.api_url();
        let export_url = env.export_url();
        check_url("TMDB_API_URL", &api_url)?;
        check_url("TMDB_EXPORT_URL", &export_url)?;
        Ok(Config {
            rate: shared.rate,
            concurrency: shared.concurrency,
            retries: shared.retries,
            timeout: Duration::from_secs_f64(shared.timeout),
            max_body: shared.max_body,
            verbose: shared.verbose,
            token,
            api_url,
            export_url,
        })
    }
}

/// A bad URL would otherwise surface as a connection error on every request, retried for
/// minutes: refuse it at once.
fn check_url(name: &str, value: &str) -> Result<()> {
    match reqwest::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
        _ => bail!("{name} {value:?} is not an http(s) URL"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_http_with_a_host() {
        assert!(check_url("TMDB_API_URL", "https://api.themoviedb.org/3").is_ok());
        assert!(check_url("TMDB_API_URL", "http://127.0.0.1:8010/3").is_ok());
        for bad in ["api.themoviedb.org/3", "ftp://x/3", "http://", ""] {
            let err = check_url("TMDB_API_URL", bad).unwrap_err();
            assert!(err.to_string().starts_with("TMDB_API_URL"), "{bad}: {err}");
        }
    }
}
