//! `tmdb-fetch genres`: TMDB's movie genres, one `{"id","name"}` line each.

use anyhow::Result;
use serde::Deserialize;
use tmdb_core::exit::Status;
use tmdb_core::model::Genre;

use super::Ctx;
use crate::output::Sink;
use crate::progress::Progress;

#[derive(Deserialize)]
struct GenreList {
    genres: Vec<Genre>,
}

pub async fn run(ctx: &Ctx) -> Result<Status> {
    let progress = Progress::start("genres", None, ctx.client.clone());
    let list = tokio::select! {
        list = ctx.client.get_required::<GenreList>("/genre/movie/list") => list?,
        () = ctx.shutdown.requested() => GenreList { genres: Vec::new() },
    };
    let mut out = Sink::stdout(false);
    for genre in &list.genres {
        out.write_json(genre)?;
        progress.done(&progress.counts.fetched);
    }
    out.flush()?;
    progress.finish();
    Ok(Status::Success)
}
