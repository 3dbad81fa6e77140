//! `tmdb-fetch movies` and `tmdb-fetch people`: one request per ID (its sub-resources
//! appended to the same request), one line per record.
//!
//! IDs are read whole first (so the progress bar knows the total, duplicates are dropped and
//! the most popular come first), less those in the `--skip` checkpoints. `--concurrency`
//! workers then take IDs from one queue; every request goes through the client's shared
//! limiter. Each record is written the moment it arrives, so a kill loses only what was in
//! flight. A 404 is a tombstone (counted as gone, listed in `--gone`, else in `--failed` with
//! status 404); an ID still failing after its retries goes to `--failed` and makes the exit
//! status 1. A refused token aborts every worker at once.
//!
//! A body is data only if it is the record asked for: one whose `id` is another is listed in
//! `--failed` as an `id_mismatch`, since writing it would put a record where none was asked
//! for and leave the asked ID unfetched. The one exception is a merge: when TMDB redirected
//! the request to the other ID's own path, the surviving record is kept (written under its
//! own ID) and stderr says so.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use tmdb_core::exit::Status;
use tmdb_core::model::{FailedRecord, ItemKind};
use tokio::task::JoinSet;

use super::Ctx;
use crate::append::{append_list, kept_append};
use crate::cli::ItemArgs;
use crate::client::{Body, Outcome, Refusal, Stats, after_attempts};
use crate::input::{Complete, read_ids, read_skip};
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
    /// `?append_to_response=...`, or nothing.
    query: String,
    ids: Vec<u64>,
    next: AtomicUsize,
    sinks: Mutex<Sinks>,
    progress: Arc<Progress>,
}

/// A record that is the one asked for, or the one TMDB merged it into.
struct Record {
    line: Vec<u8>,
    merged_into: Option<u64>,
}

pub async fn run(ctx: &Ctx, kind: ItemKind, args: ItemArgs) -> Result<Status> {
    let appends = append_list(kind, args.append.as_deref())?;
    let query = match &appends {
        Some(list) => format!("?append_to_response={list}"),
        None => String::new(),
    };
    let input = read_ids(&args.files, args.limit)?;
    let complete = Complete {
        record_key: match kind {
            ItemKind::Movie => "title",
            ItemKind::Person => "name",
        },
        // Only what the mirror keeps: TMDB leaves out an append it does not know, and a
        // record lacking one every run would be fetched again every run.
        appends: appends.as_deref().map_or(Vec::new(), |list| {
            list.split(',')
                .filter(|name| kept_append(kind, name))
                .collect()
        }),
    };
    let skip = read_skip(&args.skip, &complete)?;
    let ids: Vec<u64> = input
        .ids
        .iter()
        .copied()
        .filter(|id| !skip.ids.contains(id))
        .collect();
    let upgrades = ids.iter().filter(|id| skip.incomplete.contains(id)).count();
    if upgrades > 0 {
        eprintln!(
            "tmdb-fetch: {upgrades} records of the --skip files lack sub-resources asked for \
             ({}): fetching them again",
            complete.appends.join(",")
        );
    }
    let skipped = (input.ids.len() - ids.len()) as u64;
    let sinks = Sinks {
        records: match &args.out {
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
        query,
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
        let path = format!("/{}/{id}{}", work.kind.as_str(), work.query);
        let outcome = tokio::select! {
            outcome = client.get(&path, |body| accept(work.kind, id, body)) => outcome?,
            // In flight and not written: a resumed run fetches it.
            () = shutdown.requested() => return Ok(()),
        };
        work.record(id, outcome)?;
    }
}

/// The record line of a 2xx body, if the body is the record asked for (or, after TMDB's
/// redirect, the record it was merged into).
fn accept(kind: ItemKind, id: u64, body: Body) -> Result<Record, Refusal> {
    let (got, line) = record_line(body.bytes).map_err(Refusal::Retry)?;
    if got == id {
        return Ok(Record {
            line,
            merged_into: None,
        });
    }
    let redirect = body.redirected_to.as_deref();
    if redirect.and_then(|path| path_id(kind, path)) == Some(got) {
        return Ok(Record {
            line,
            merged_into: Some(got),
        });
    }
    let kind = kind.as_str();
    Err(Refusal::Fail(match redirect {
        Some(path) => format!(
            "id_mismatch: asked for {kind} {id}, redirected to {path}, the body is {kind} {got}"
        ),
        None => format!("id_mismatch: asked for {kind} {id}, the body is {kind} {got}"),
    }))
}

/// The ID in an API path such as `/movie/603?append_to_response=credits`.
fn path_id(kind: ItemKind, path: &str) -> Option<u64> {
    let rest = path.strip_prefix('/')?.strip_prefix(kind.as_str())?;
    let rest = rest.strip_prefix('/')?;
    let end = rest.find(['?', '/', '#']).unwrap_or(rest.len());
    rest[..end].parse().ok()
}

impl Work {
    fn record(&self, id: u64, outcome: Outcome<Record>) -> Result<()> {
        let mut sinks = self.sinks.lock().unwrap_or_else(|e| e.into_inner());
        let counts = &self.progress.counts;
        match outcome {
            Outcome::Done(record) => {
                if let Some(other) = record.merged_into {
                    let kind = self.kind.as_str();
                    self.progress.note(&format!(
                        "tmdb-fetch: {kind} {id}: TMDB redirected it to {kind} {other} \
                         (merged records); written as {kind} {other}"
                    ));
                }
                sinks.records.write_line(record.line)?;
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
                self.progress.note(&format!(
                    "tmdb-fetch: {} {id}: {} ({})",
                    self.kind.as_str(),
                    failure.error,
                    after_attempts(failure.attempts)
                ));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str, redirected_to: Option<&str>) -> Body {
        Body {
            bytes: json.as_bytes().to_vec(),
            redirected_to: redirected_to.map(str::to_owned),
        }
    }

    fn refusal(result: Result<Record, Refusal>) -> String {
        match result {
            Err(Refusal::Fail(why)) => why,
            Err(Refusal::Retry(why)) => format!("retry: {why}"),
            Ok(_) => "accepted".to_owned(),
        }
    }

    #[test]
    fn the_record_asked_for_is_accepted() {
        let record = accept(ItemKind::Movie, 5, body(r#"{"id":5,"title":"x"}"#, None));
        let record = record.ok().unwrap();
        assert_eq!(record.line, br#"{"id":5,"title":"x"}"#);
        assert_eq!(record.merged_into, None);
    }

    #[test]
    fn another_id_is_a_mismatch_unless_a_redirect_led_there() {
        let why = refusal(accept(ItemKind::Movie, 5, body(r#"{"id":1005}"#, None)));
        assert_eq!(
            why,
            "id_mismatch: asked for movie 5, the body is movie 1005"
        );
        let merged = accept(
            ItemKind::Movie,
            5,
            body(
                r#"{"id":1005}"#,
                Some("/movie/1005?append_to_response=credits"),
            ),
        );
        assert_eq!(merged.ok().unwrap().merged_into, Some(1005));
        // A redirect elsewhere vouches for nothing.
        let why = refusal(accept(
            ItemKind::Movie,
            5,
            body(r#"{"id":1005}"#, Some("/movie/77")),
        ));
        assert!(why.starts_with("id_mismatch: asked for movie 5, redirected to /movie/77"));
        let why = refusal(accept(
            ItemKind::Person,
            5,
            body(r#"{"id":1005}"#, Some("/movie/1005")),
        ));
        assert!(why.starts_with("id_mismatch"), "{why}");
        let why = refusal(accept(ItemKind::Movie, 5, body(r#"{"id":5,"ti"#, None)));
        assert!(why.starts_with("retry: "), "{why}");
    }

    #[test]
    fn ids_in_paths() {
        assert_eq!(path_id(ItemKind::Movie, "/movie/603"), Some(603));
        assert_eq!(path_id(ItemKind::Movie, "/movie/603?x=1"), Some(603));
        assert_eq!(path_id(ItemKind::Person, "/person/62/"), Some(62));
        assert_eq!(path_id(ItemKind::Movie, "/person/62"), None);
        assert_eq!(path_id(ItemKind::Movie, "/movies/62"), None);
        assert_eq!(path_id(ItemKind::Movie, "https://elsewhere/movie/62"), None);
    }
}
