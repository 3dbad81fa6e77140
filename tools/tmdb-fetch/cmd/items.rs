//! `tmdb-fetch movies` and `tmdb-fetch people`: one request per ID, one line per record.
//!
//! IDs are read whole first (so the progress bar knows the total and duplicates are dropped),
//! less those in the `--skip` checkpoints. `--concurrency` workers then take IDs from one
//! queue; every request goes through the client's shared limiter. Each record is written the
//! moment it arrives, so a kill loses only what was in flight. A 404 is a tombstone (counted
//! as gone, listed in `--gone`, else in `--failed` with status 404); an ID still failing after
//! its retries goes to `--failed` and makes the exit status 1. A refused token aborts every
//! worker at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use tmdb_core::exit::Status;
use tmdb_core::model::{FailedRecord, ItemKind};
use tokio::task::JoinSet;

use super::Ctx;
use crate::cli::ItemArgs;
use crate::client::{Outcome, Stats};
use crate::input::{read_ids, read_skip};
use crate::json::record_line;
use crate::output::Sink;
use crate::progress::Progress;

struct Sinks {
    records: Sink,
    failed: Option<Sink>,
    gone: Option<Sink>,
}

/// The queue and everything a worker writes to.
struct Work {
    kind: ItemKind,
    ids: Vec<u64>,
    next: AtomicUsize,
    sinks: Mutex<Sinks>,
    progress: Arc<Progress>,
}

pub async fn run(ctx: &Ctx, kind: ItemKind, args: ItemArgs) -> Result<Status> {
    let input = read_ids(&args.files)?;
    let skip = read_skip(&args.skip)?;
    let ids: Vec<u64> = input
        .ids
        .iter()
        .copied()
        .filter(|id| !skip.contains(id))
        .collect();
    let skipped = (input.ids.len() - ids.len()) as u64;
    let sinks = Sinks {
        records: match &args.append {
            Some(path) => Sink::append(path)?,
            None => Sink::stdout(true),
        },
        failed: args.failed.as_deref().map(Sink::append).transpose()?,
        gone: args.gone.as_deref().map(Sink::append).transpose()?,
    };
    let label = match kind {
        ItemKind::Movie => "movies",
        ItemKind::Person => "people",
    };
    let progress = Progress::start(label, Some(ids.len() as u64), ctx.client.clone());
    progress.counts.skipped.store(skipped, Ordering::Relaxed);
    let workers = ctx.config.concurrency.min(ids.len());
    let work = Arc::new(Work {
        kind,
        ids,
        next: AtomicUsize::new(0),
        sinks: Mutex::new(sinks),
        progress: Arc::clone(&progress),
    });
    let mut set = JoinSet::new();
    for _ in 0..workers {
        set.spawn(worker(
            Arc::clone(&work),
            ctx.client.clone(),
            ctx.shutdown.clone(),
        ));
    }
    let mut result = Ok(());
    while let Some(joined) = set.join_next().await {
        if let Err(err) = joined.map_err(anyhow::Error::from).and_then(|r| r) {
            // A refused token or a broken output: nothing more can be done.
            set.abort_all();
            result = Err(err);
            break;
        }
    }
    let flushed = {
        let mut sinks = work.sinks.lock().unwrap_or_else(|e| e.into_inner());
        sinks.records.flush()
    };
    progress.finish();
    result?;
    flushed?;
    let failed = Stats::get(&progress.counts.failed) + input.bad_lines;
    Ok(Status::from_failures(failed))
}

async fn worker(
    work: Arc<Work>,
    client: Arc<crate::client::Client>,
    shutdown: Arc<crate::shutdown::Shutdown>,
) -> Result<()> {
    loop {
        if shutdown.signal().is_some() {
            return Ok(());
        }
        let Some(&id) = work.ids.get(work.next.fetch_add(1, Ordering::Relaxed)) else {
            return Ok(());
        };
        let path = match work.kind {
            ItemKind::Movie => format!("/movie/{id}?append_to_response=credits"),
            ItemKind::Person => format!("/person/{id}"),
        };
        let outcome = tokio::select! {
            outcome = client.get(&path, |body| record_line(body).map(|(_, line)| line)) => outcome?,
            // In flight and not written: a resumed run fetches it.
            () = shutdown.requested() => return Ok(()),
        };
        work.record(id, outcome)?;
    }
}

impl Work {
    fn record(&self, id: u64, outcome: Outcome<Vec<u8>>) -> Result<()> {
        let mut sinks = self.sinks.lock().unwrap_or_else(|e| e.into_inner());
        let counts = &self.progress.counts;
        match outcome {
            Outcome::Done(line) => {
                sinks.records.write_line(line)?;
                self.progress.done(&counts.fetched);
            }
            Outcome::Gone { attempts } => {
                let line = FailedRecord {
                    id,
                    kind: self.kind,
                    status: Some(404),
                    error: "gone".to_owned(),
                    attempts,
                };
                let Sinks { failed, gone, .. } = &mut *sinks;
                if let Some(sink) = gone.as_mut().or(failed.as_mut()) {
                    sink.write_json(&line)?;
                }
                self.progress.done(&counts.gone);
            }
            Outcome::Failed(failure) => {
                eprintln!(
                    "tmdb-fetch: {} {id}: {} (after {} attempts)",
                    self.kind.as_str(),
                    failure.error,
                    failure.attempts
                );
                if let Some(sink) = sinks.failed.as_mut() {
                    sink.write_json(&FailedRecord {
                        id,
                        kind: self.kind,
                        status: failure.status,
                        error: failure.error,
                        attempts: failure.attempts,
                    })?;
                }
                self.progress.done(&counts.failed);
            }
        }
        Ok(())
    }
}
