//! One module per subcommand; this one sets up what they share (the client, the signal
//! listener) and maps how a run ended to the exit status.

mod changes;
mod discover;
mod export;
mod genres;
mod items;
mod pager;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use tmdb_core::exit::Status;
use tmdb_core::model::ItemKind;

use crate::cli::{Command, Source};
use crate::client::Client;
use crate::config::Config;
use crate::shutdown::Shutdown;

/// What every subcommand gets.
pub struct Ctx {
    pub config: Config,
    pub client: Arc<Client>,
    pub shutdown: Arc<Shutdown>,
}

/// Whether `command` talks to the API (and so needs the token).
pub fn needs_token(command: &Command) -> bool {
    !matches!(command, Command::Ids(args) if args.source == Source::Export)
}

pub async fn run(command: Command, config: Config) -> Result<ExitCode> {
    let ctx = Ctx {
        client: Arc::new(Client::new(&config)?),
        shutdown: Shutdown::listen()?,
        config,
    };
    let status = match command {
        Command::Genres => genres::run(&ctx).await?,
        Command::Ids(args) => match args.source {
            Source::Export => export::run(&ctx, &args).await?,
            Source::Discover => discover::run(&ctx, &args).await?,
        },
        Command::Movies(args) => items::run(&ctx, ItemKind::Movie, args).await?,
        Command::People(args) => items::run(&ctx, ItemKind::Person, args).await?,
        Command::Changes(args) => changes::run(&ctx, &args).await?,
    };
    Ok(exit_code(status, ctx.shutdown.signal()))
}

/// 128 + the signal number when a signal stopped the run (the shell's convention), else the
/// status of what was done.
fn exit_code(status: Status, signal: Option<i32>) -> ExitCode {
    match signal {
        Some(n) => ExitCode::from(128 + n as u8),
        None => status.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_wins_over_the_status_of_what_was_done() {
        assert_eq!(exit_code(Status::Success, None), ExitCode::from(0));
        assert_eq!(exit_code(Status::Failures, None), ExitCode::from(1));
        assert_eq!(exit_code(Status::Failures, Some(2)), ExitCode::from(130));
        assert_eq!(exit_code(Status::Success, Some(15)), ExitCode::from(143));
    }
}
