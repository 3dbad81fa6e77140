//! The load itself: three stages joined by bounded channels, so reading, parsing and writing
//! overlap and memory stays flat whatever the input size.
//!
//! 1. A reader thread reads lines.
//! 2. A parser gathers them into chunks (a few MB at most, or whatever arrived before the input
//!    paused) and parses each chunk in parallel on rayon's pool, keeping line order.
//! 3. One writer owns the connection: it writes `--batch` records per transaction and reports
//!    rejects in input order. A kill therefore leaves only whole transactions, and a rerun
//!    upserts the rest.
//!
//! Input piped from a slow producer (`tmdb-fetch movies | ndjson-load`) should not sit unseen in
//! a half-full chunk or an open transaction: a chunk is parsed as soon as the input pauses, and
//! the writer commits early when no record has come for a second.
//!
//! SQLite has one writer per database anyway; the parallelism is in the JSON parsing, which is
//! most of the CPU time for movies with their full credits.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use indicatif::ProgressBar;
use rayon::prelude::*;
use rusqlite::Connection;
use tmdb_core::ndjson::{Input, Reached};
use tmdb_core::record::store::Written;

use crate::kinds::{self, Kind, Record, Rejection};
use crate::rejects::{Reject, Rejects};
use crate::server::{ServerLoad, Unstorable};
use crate::store::{self, Outcome};

/// Lines per parse chunk, and bytes: whichever comes first. Small enough that a few chunks in
/// flight stay well under the memory budget with 300 kB movie records; large enough to keep
/// every core busy between two channel hand-offs.
const CHUNK_LINES: usize = 256;
const CHUNK_BYTES: usize = 4 << 20;
/// Bytes of lines read but not parsed yet (one line may exceed it alone), and parsed chunks
/// waiting for the writer. With the chunk limits, these bound memory whatever the input: the
/// writer's chunk, one waiting, one being parsed and the lines behind it.
const LINE_BYTES_IN_FLIGHT: usize = 8 << 20;
const CHUNKS_IN_FLIGHT: usize = 1;
/// How long the parser waits for more lines before parsing a partial chunk.
const INPUT_PAUSE: Duration = Duration::from_millis(50);
/// How long the writer keeps a transaction open while no record comes.
const IDLE_COMMIT: Duration = Duration::from_secs(1);

/// What a load did; `read` counts every non-blank line, rejected ones included.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub read: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub deleted: u64,
    pub rejected: u64,
}

impl Counts {
    pub fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Inserted => self.inserted += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Deleted => self.deleted += 1,
        }
    }
}

struct Line {
    source: usize,
    number: u64,
    is_complete: bool,
    /// The whole length of a line over `--max-line`, of which `bytes` holds the start.
    oversized: Option<u64>,
    bytes: Vec<u8>,
}

struct Item {
    source: usize,
    number: u64,
    parsed: Result<Record, Reason>,
}

struct Reason {
    error: String,
    /// The line's whole length when `text` is only its start.
    length: Option<u64>,
    /// The kind the line seems to be instead (see `kinds::parse`).
    looks_like: Option<Kind>,
    text: Vec<u8>,
}

/// A progress bar on stderr, drawn only when stderr is a terminal: input bytes against the
/// total when every input's size is known (files), else a running count (pipes).
pub fn progress_bar(inputs: &[Input]) -> ProgressBar {
    let total: Option<u64> = inputs.iter().map(|input| input.size).sum();
    tmdb_core::progress::bar("ndjson-load", total, tmdb_core::progress::Unit::Bytes)
}

/// Where a load writes: a SQLite connection (record by record in a transaction), or a
/// database server's load (PostgreSQL, MySQL: the batch gathered, then written set-based in
/// one transaction).
pub enum Target<'a> {
    Sqlite(&'a Connection),
    Server(&'a mut ServerLoad),
}

/// Loads every input into `target`, `batch` lines per transaction, advancing `bar` by the bytes
/// read. Also returns how far each input was read in whole lines.
pub fn load(
    target: Target<'_>,
    kind: Kind,
    inputs: Vec<Input>,
    batch: usize,
    max_line: usize,
    rejects: &mut Rejects,
    bar: &ProgressBar,
) -> Result<(Counts, Vec<Reached>)> {
    let sources: Vec<String> = inputs.iter().map(|input| input.name.clone()).collect();
    // The line channel is unbounded; the budget bounds it, in bytes rather than lines.
    let (line_tx, line_rx) = std::sync::mpsc::channel::<Line>();
    let (item_tx, item_rx) = sync_channel::<Vec<Item>>(CHUNKS_IN_FLIGHT);
    let budget = Arc::new(Budget::new(LINE_BYTES_IN_FLIGHT));
    // Not scoped: when the writer fails, its error is reported at once, without waiting for a
    // reader blocked on a pipe that may stay open.
    let (reader_bar, reader_budget) = (bar.clone(), Arc::clone(&budget));
    let reader = std::thread::spawn(move || {
        read_lines(inputs, max_line, &line_tx, &reader_bar, &reader_budget)
    });
    let unstorable = match &target {
        Target::Server(load) => load.unstorable(),
        Target::Sqlite(_) => None,
    };
    let parser =
        std::thread::spawn(move || parse_chunks(kind, unstorable, line_rx, &item_tx, &budget));
    let counts = write_items(target, kind, item_rx, batch, rejects, &sources)?;
    parser.join().map_err(|_| anyhow!("the parser panicked"))?;
    let reached = reader
        .join()
        .map_err(|_| anyhow!("the reader panicked"))??;
    Ok((counts, reached))
}

fn read_lines(
    inputs: Vec<Input>,
    max_line: usize,
    out: &Sender<Line>,
    bar: &ProgressBar,
    budget: &Budget,
) -> Result<Vec<Reached>> {
    let mut buf = Vec::new();
    let mut reached = Vec::with_capacity(inputs.len());
    for (source, input) in inputs.into_iter().enumerate() {
        let mut lines = input.lines().with_max_line(max_line);
        while let Some(info) = lines
            .read_into(&mut buf)
            .with_context(|| format!("cannot read {}", lines.source()))?
        {
            // Line ends included, blank lines not: the bar is a guide, not a measure.
            bar.inc(buf.len() as u64 + 1);
            budget.take(buf.len());
            // A copy of exactly the line's size: `buf` keeps its capacity for the next line.
            let line = Line {
                source,
                number: info.number,
                is_complete: info.is_complete,
                oversized: info.oversized,
                bytes: buf.clone(),
            };
            if out.send(line).is_err() {
                return Ok(reached); // the writer stopped; it reports why
            }
        }
        reached.push(lines.reached());
    }
    Ok(reached)
}

/// `unstorable`: what the database refuses that SQLite takes (PostgreSQL: NUL characters,
/// MySQL: over-long keys), if it refuses anything: such a record is a reject, not a failed
/// batch.
fn parse_chunks(
    kind: Kind,
    unstorable: Option<Unstorable>,
    lines: Receiver<Line>,
    out: &SyncSender<Vec<Item>>,
    budget: &Budget,
) {
    while let Ok(first) = lines.recv() {
        let mut chunk_bytes = first.bytes.len();
        let mut chunk = vec![first];
        while chunk.len() < CHUNK_LINES && chunk_bytes < CHUNK_BYTES {
            match lines.recv_timeout(INPUT_PAUSE) {
                Ok(line) => {
                    chunk_bytes += line.bytes.len();
                    chunk.push(line);
                }
                Err(_) => break, // paused or ended: parse what came
            }
        }
        let items = chunk
            .into_par_iter()
            .map(|line| parse_line(kind, unstorable, line))
            .collect();
        // The lines are parsed (and dropped, but for rejects): the reader may read more.
        budget.give_back(chunk_bytes);
        if out.send(items).is_err() {
            return;
        }
    }
}

/// A count of bytes in flight between the reader and the parser, which the reader waits on.
struct Budget {
    limit: usize,
    used: Mutex<usize>,
    freed: Condvar,
}

impl Budget {
    fn new(limit: usize) -> Budget {
        Budget {
            limit,
            used: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// Waits until `n` more bytes fit (or nothing is in flight: a line longer than the limit
    /// still goes through, alone), then counts them.
    fn take(&self, n: usize) {
        let mut used = self.used.lock().expect("budget lock");
        while *used > 0 && *used + n > self.limit {
            used = self.freed.wait(used).expect("budget lock");
        }
        *used += n;
    }

    fn give_back(&self, n: usize) {
        *self.used.lock().expect("budget lock") -= n;
        self.freed.notify_one();
    }
}

fn parse_line(kind: Kind, unstorable: Option<Unstorable>, line: Line) -> Item {
    // docs/data-contract.md, "NDJSON lines": a last line without its newline was cut by a killed
    // writer; it is reported, never parsed, even when what is left happens to be valid JSON.
    let parsed = if let Some(length) = line.oversized {
        Err(Rejection::from(format!(
            "line of {length} bytes is over the --max-line limit: not loaded (the rejects \
             file keeps its first {} bytes and its length)",
            line.bytes.len()
        )))
    } else if !line.is_complete {
        Err(Rejection::from(
            "truncated last line (no newline at the end): not loaded".to_owned(),
        ))
    } else {
        kinds::parse(kind, &line.bytes).and_then(|record| {
            match unstorable.and_then(|check| check(&record)) {
                Some(reason) => Err(Rejection::from(reason)),
                None => Ok(record),
            }
        })
    };
    Item {
        source: line.source,
        number: line.number,
        parsed: parsed.map_err(|rejection| Reason {
            error: rejection.reason,
            length: line.oversized,
            looks_like: rejection.looks_like,
            text: line.bytes,
        }),
    }
}

/// Stops the load before anything is written when every line of the first chunk seems to be
/// of another kind: the wrong file, or the wrong `--kind`. Loading it would replace real
/// records with what are not records of this kind.
fn refuse_wrong_kind(kind: Kind, first: &[Item], sources: &[String]) -> Result<()> {
    let mut seen = None;
    for item in first {
        match &item.parsed {
            Err(Reason {
                looks_like: Some(other),
                ..
            }) => seen = Some((item, *other)),
            _ => return Ok(()),
        }
    }
    match seen {
        Some((item, other)) => Err(anyhow!(
            "{}: its lines look like --kind {}, not --kind {} (line {}: {}); nothing was loaded",
            sources[item.source],
            other.name(),
            kind.name(),
            item.number,
            match &item.parsed {
                Err(reason) => reason.error.as_str(),
                Ok(_) => "",
            }
        )),
        None => Ok(()),
    }
}

fn write_items(
    target: Target<'_>,
    kind: Kind,
    items: Receiver<Vec<Item>>,
    batch: usize,
    rejects: &mut Rejects,
    sources: &[String],
) -> Result<Counts> {
    let mut is_first = true;
    let mut writer = Writer {
        target,
        batch,
        batch_lines: None,
        rejects,
        sources,
        counts: Counts::default(),
        in_transaction: 0,
        written: Written::default(),
    };
    loop {
        let chunk = if writer.in_transaction == 0 {
            items.recv().ok()
        } else {
            match items.recv_timeout(IDLE_COMMIT) {
                Ok(chunk) => Some(chunk),
                Err(RecvTimeoutError::Timeout) => {
                    writer.commit()?;
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => None,
            }
        };
        let Some(chunk) = chunk else { break };
        if std::mem::take(&mut is_first) {
            refuse_wrong_kind(kind, &chunk, sources)?;
        }
        let mut written = Vec::with_capacity(chunk.len());
        for item in chunk {
            written.extend(writer.write(item)?);
        }
        // Freeing a chunk's records (millions of small allocations made by the parse threads)
        // was a tenth of the writer's time: the parse threads' pool does it instead.
        rayon::spawn(move || drop(written));
    }
    writer.commit()?;
    writer.counts.rejected = writer.rejects.count();
    Ok(writer.counts)
}

/// The writer's state: the open transaction and what was done so far.
struct Writer<'a> {
    target: Target<'a>,
    batch: usize,
    /// The source and the first and last line numbers of the open batch, for a message
    /// naming a server's batch that failed.
    batch_lines: Option<(usize, u64, u64)>,
    rejects: &'a mut Rejects,
    sources: &'a [String],
    counts: Counts,
    /// Records written in the open transaction; 0 when none is open.
    in_transaction: usize,
    /// The shared entities the open SQLite transaction wrote.
    written: Written,
}

impl Writer<'_> {
    /// Writes one record (beginning a transaction if none is open, committing it when full)
    /// and hands it back, or reports one reject.
    fn write(&mut self, item: Item) -> Result<Option<Record>> {
        self.counts.read += 1;
        let source = &self.sources[item.source];
        let record = match item.parsed {
            Ok(record) => record,
            Err(reason) => {
                let reject = Reject {
                    file: source.clone(),
                    line: item.number,
                    error: reason.error,
                    text: String::from_utf8_lossy(&reason.text).into_owned(),
                    length: reason.length,
                };
                self.rejects
                    .add(&reject)
                    .context("cannot write the rejects file")?;
                return Ok(None);
            }
        };
        let record = match &mut self.target {
            Target::Sqlite(conn) => {
                if self.in_transaction == 0 {
                    conn.execute_batch("BEGIN IMMEDIATE")
                        .context("cannot start a transaction")?;
                }
                let outcome = store::write(conn, &record, &mut self.written)
                    .with_context(|| format!("{source}:{}: cannot write", item.number))?;
                self.counts.add(outcome);
                Some(record)
            }
            Target::Server(load) => {
                load.push(record);
                let lines = self
                    .batch_lines
                    .get_or_insert((item.source, item.number, 0));
                lines.2 = item.number;
                None
            }
        };
        self.in_transaction += 1;
        if self.in_transaction >= self.batch {
            self.commit()?;
        }
        Ok(record)
    }

    /// Commits the open transaction, if any.
    fn commit(&mut self) -> Result<()> {
        if self.in_transaction > 0 {
            match &mut self.target {
                Target::Sqlite(conn) => {
                    conn.execute_batch("COMMIT")
                        .context("cannot commit a batch")?;
                    self.written.clear();
                }
                Target::Server(load) => {
                    let (source, first, last) = self.batch_lines.take().unwrap_or_default();
                    load.submit(format!("{}:{first}-{last}", self.sources[source]))?;
                }
            }
            self.in_transaction = 0;
        }
        // Rejects reach the file batch by batch too, so after a kill it lists what was skipped.
        self.rejects
            .flush()
            .context("cannot write the rejects file")
    }
}

/// Records one run in `load_log` (its own transaction, after the last batch).
pub fn log_run(conn: &Connection, kind: Kind, started_at: &str, counts: &Counts) -> Result<()> {
    conn.execute(
        "INSERT INTO load_log (kind, started_at, finished_at, read, inserted, updated,
            unchanged, deleted, rejected)
         VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![
            kind.name(),
            started_at,
            counts.read as i64,
            counts.inserted as i64,
            counts.updated as i64,
            counts.unchanged as i64,
            counts.deleted as i64,
            counts.rejected as i64
        ],
    )
    .context("cannot record the run in load_log")?;
    Ok(())
}

/// Merges each search index a load changed into one segment (FTS5's `optimize`).
///
/// Every committed batch leaves FTS5 a new segment, and its automerge still keeps about a
/// dozen after a full mirror's load. A search reads every segment for each word: on a
/// 1,000,000-movie mirror, tmdb-serve spent ~25% more CPU per search with the 8 segments of a
/// rebuilt index than with one. The merge takes about a second on such a mirror, and nothing
/// when the index is one segment already (a load that changed nothing skips it anyway).
pub fn optimize_search(conn: &Connection, kind: Kind, counts: &Counts) -> Result<()> {
    if counts.inserted + counts.updated + counts.deleted == 0 {
        return Ok(());
    }
    let tables: &[&str] = match kind {
        Kind::Movies => &["movie_fts"],
        Kind::People => &["people_fts"],
        Kind::Gone => &["movie_fts", "people_fts"],
        Kind::Genres | Kind::MovieIds => &[],
    };
    for table in tables {
        conn.execute(
            &format!("INSERT INTO {table} ({table}) VALUES ('optimize')"),
            [],
        )
        .with_context(|| format!("cannot merge the search index {table}"))?;
    }
    Ok(())
}

/// The current time as the database writes it, for `load_log.started_at`.
pub fn now(conn: &Connection) -> Result<String> {
    Ok(
        conn.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", [], |row| {
            row.get(0)
        })?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_lets_a_line_longer_than_the_limit_through_alone() {
        let budget = Budget::new(8);
        budget.take(100); // nothing in flight: goes through
        budget.give_back(100);
        budget.take(5);
        budget.take(3); // fits exactly
        budget.give_back(8);
        assert_eq!(*budget.used.lock().unwrap(), 0);
    }

    #[test]
    fn a_truncated_line_is_rejected_even_when_it_parses() {
        let line = Line {
            source: 0,
            number: 7,
            is_complete: false,
            oversized: None,
            bytes: br#"{"id":1,"name":"Action"}"#.to_vec(),
        };
        let item = parse_line(Kind::Genres, None, line);
        let Err(reason) = item.parsed else {
            panic!("a truncated line was parsed")
        };
        assert!(
            reason.error.starts_with("truncated last line"),
            "{}",
            reason.error
        );
        assert_eq!(reason.text, br#"{"id":1,"name":"Action"}"#);
    }
}
