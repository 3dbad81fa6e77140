//! Exit statuses, in one place (docs/architecture.md, "Conventions every binary keeps"):
//!
//! | status | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | finished, but some items failed (they are listed) |
//! | 2 | bad usage or configuration, or a fatal error that stopped the run (one-line message) |
//! | 3 | authentication refused by TMDB (the run stopped at once) |
//!
//! Per-item failures are values a tool counts and turns into [`Status::Failures`]; fatal
//! problems are `anyhow` errors that [`report`] prints once, on one line, and maps to a status.
//! A broken pipe (`tmdb-fetch movies | head`) means the reader is done: status 0, no message.

use std::fmt;
use std::io;
use std::process::ExitCode;

/// What a run ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything done.
    Success,
    /// Finished, but some items failed or were rejected.
    Failures,
    /// Bad usage, configuration, or a fatal error.
    Usage,
    /// TMDB refused the token.
    AuthRefused,
}

impl Status {
    /// The process exit status.
    pub fn code(self) -> u8 {
        match self {
            Status::Success => 0,
            Status::Failures => 1,
            Status::Usage => 2,
            Status::AuthRefused => 3,
        }
    }

    /// `Success` when nothing failed, `Failures` otherwise.
    pub fn from_failures(failed: u64) -> Status {
        if failed == 0 {
            Status::Success
        } else {
            Status::Failures
        }
    }
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> ExitCode {
        ExitCode::from(status.code())
    }
}

/// TMDB answered 401: the token is missing, wrong or suspended. The whole run stops.
#[derive(Debug)]
pub struct AuthRefused {
    /// TMDB's own message (never contains the token).
    pub message: String,
}

impl fmt::Display for AuthRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TMDB refused the token (HTTP 401: {}); set TMDB_TOKEN to an API read access token",
            self.message
        )
    }
}

impl std::error::Error for AuthRefused {}

/// The status an error maps to; `None` for a broken pipe (the reader went away: not a failure).
pub fn status_of(err: &anyhow::Error) -> Option<Status> {
    for cause in err.chain() {
        if cause.downcast_ref::<AuthRefused>().is_some() {
            return Some(Status::AuthRefused);
        }
        if let Some(io) = cause.downcast_ref::<io::Error>()
            && io.kind() == io::ErrorKind::BrokenPipe
        {
            return None;
        }
    }
    Some(Status::Usage)
}

/// The one-line form of an error: its context chain joined by `: `, line breaks flattened.
pub fn one_line(err: &anyhow::Error) -> String {
    let text = format!("{err:#}");
    text.split(['\n', '\r'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Prints `program: error` on stderr (unless the pipe broke) and returns the exit status.
pub fn report(program: &str, err: &anyhow::Error) -> ExitCode {
    match status_of(err) {
        None => ExitCode::SUCCESS,
        Some(status) => {
            eprintln!("{program}: {}", one_line(err));
            status.into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn statuses() {
        assert_eq!(Status::Success.code(), 0);
        assert_eq!(Status::Failures.code(), 1);
        assert_eq!(Status::Usage.code(), 2);
        assert_eq!(Status::AuthRefused.code(), 3);
        assert_eq!(Status::from_failures(0), Status::Success);
        assert_eq!(Status::from_failures(3), Status::Failures);
    }

    #[test]
    fn errors_map_to_statuses() {
        let auth = anyhow::Error::new(AuthRefused {
            message: "Invalid API key".into(),
        })
        .context("fetching /movie/550");
        assert_eq!(status_of(&auth), Some(Status::AuthRefused));
        let pipe = anyhow::Error::new(io::Error::from(io::ErrorKind::BrokenPipe))
            .context("writing stdout");
        assert_eq!(status_of(&pipe), None);
        let other = anyhow::anyhow!("--rate must be positive");
        assert_eq!(status_of(&other), Some(Status::Usage));
    }

    #[test]
    fn messages_fit_on_one_line() {
        let err: anyhow::Result<()> = Err(anyhow::anyhow!("line one\nline two"));
        let err = err.context("data/movies.ndjson:17").unwrap_err();
        assert_eq!(one_line(&err), "data/movies.ndjson:17: line one line two");
    }
}
