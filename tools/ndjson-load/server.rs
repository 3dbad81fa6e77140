//! Loading into a database server (PostgreSQL: `pg.rs`, MySQL/MariaDB: `mysql.rs`): what the
//! two share. The records of a batch are written together, in one transaction under the
//! mirror's write lock, by a thread of their own, so the server's work on one batch overlaps
//! the reading and parsing of the next (without it, the parse threads stood idle while the
//! server wrote). At most one batch waits for the writer, so memory stays bounded.
//!
//! The rules are the SQLite loader's, applied to a whole batch at once ([`plan_records`] and
//! the other helpers): a movie or person whose stored `source_hash` equals the line's is
//! unchanged and not written; a changed one has its child rows deleted and written again; the
//! last line of an ID in a batch wins. Each backend turns them into its own SQL.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use anyhow::{Result, anyhow, bail};
use tmdb_core::model::ItemKind;
use tmdb_core::record::flatten::Rows;

use crate::batch::Counts;
use crate::kinds::{Gone, Kind, MovieId, Record};
use crate::store::Outcome;

/// A database server's side of a load: one connection, one batch at a time.
pub trait Backend: Send + 'static {
    /// Writes `records` (all of one kind, never empty) in one transaction under the mirror's
    /// write lock; one outcome per record, in order.
    fn write_batch(&mut self, records: &[Record]) -> Result<Vec<Outcome>>;

    /// One line for an error of a batch: what failed and the server's message, password masked.
    fn explain(&self, err: &anyhow::Error) -> String;

    /// Records the run in `load_log`.
    fn log_run(&mut self, kind: Kind, started_at: &str, counts: &Counts) -> Result<()>;
}

/// A load into a server: the batch being gathered, and the thread that writes the batches
/// before it.
pub struct ServerLoad {
    /// The database, password masked, for messages.
    shown: String,
    /// When the load began, as the database tells time (`load_log.started_at`).
    started_at: String,
    /// Why the database cannot store a record SQLite can, if it refuses any.
    unstorable: Unstorable,
    pending: Vec<Record>,
    batches: Option<SyncSender<Batch>>,
    writer: Option<JoinHandle<Finished>>,
}

/// What the writer thread hands back: the backend, for `load_log`, and what the batches did.
type Finished = Result<(Box<dyn Backend>, Counts)>;

/// Says why the database cannot store a record that SQLite stores (a NUL character in
/// PostgreSQL, a key too long for MySQL's column), or `None` when it can: such a record is a
/// reject, found while parsing, rather than a batch that fails.
pub type Unstorable = fn(&Record) -> Option<String>;

/// A batch for the writer thread, with the input lines it came from, for a message.
struct Batch {
    records: Vec<Record>,
    lines: String,
}

impl ServerLoad {
    /// Starts the writer thread on `backend`; `shown` names the database in messages.
    pub fn start(
        backend: Box<dyn Backend>,
        shown: String,
        started_at: String,
        unstorable: Unstorable,
    ) -> ServerLoad {
        let (batches, received) = sync_channel::<Batch>(1);
        let name = shown.clone();
        let thread = std::thread::spawn(move || write_batches(backend, received, &name));
        ServerLoad {
            shown,
            started_at,
            unstorable,
            pending: Vec::new(),
            batches: Some(batches),
            writer: Some(thread),
        }
    }

    /// The check that turns a record the database cannot store into a reject.
    pub fn unstorable(&self) -> Option<Unstorable> {
        Some(self.unstorable)
    }

    /// Adds a record to the batch.
    pub fn push(&mut self, record: Record) {
        self.pending.push(record);
    }

    /// Hands the batch (read from `lines`: `file:first-last`) to the writer thread, which
    /// writes it in one transaction; waits only while the writer still has one waiting.
    pub fn submit(&mut self, lines: String) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = Batch {
            records: std::mem::take(&mut self.pending),
            lines,
        };
        let sent = self.batches.as_ref().is_some_and(|b| b.send(batch).is_ok());
        if sent {
            Ok(())
        } else {
            // The writer stopped on an error: that error is the one to report.
            self.finish().map(|_| ())
        }
    }

    /// Waits for the writer to write every batch handed to it; what the batches did, and the
    /// backend back for `load_log`.
    fn finish(&mut self) -> Finished {
        self.batches = None;
        match self.writer.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| anyhow!("the writer of {} panicked", self.shown))?,
            None => bail!("the writer of {} has stopped", self.shown),
        }
    }

    /// Ends the load: waits for the last batches, adds what they did to `counts` and records
    /// the run in `load_log`.
    pub fn end(&mut self, kind: Kind, counts: &mut Counts) -> Result<()> {
        let (mut backend, written) = self.finish()?;
        counts.inserted += written.inserted;
        counts.updated += written.updated;
        counts.unchanged += written.unchanged;
        counts.deleted += written.deleted;
        backend.log_run(kind, &self.started_at, counts)
    }
}

/// The writer thread: each batch in its own transaction.
fn write_batches(mut backend: Box<dyn Backend>, batches: Receiver<Batch>, shown: &str) -> Finished {
    let mut counts = Counts::default();
    for batch in batches {
        match backend.write_batch(&batch.records) {
            Ok(outcomes) => outcomes.into_iter().for_each(|o| counts.add(o)),
            Err(err) => bail!(
                "{}: cannot write this batch into {shown}: {}",
                batch.lines,
                backend.explain(&err)
            ),
        }
        // Freeing many small allocations is the parse threads' job, as for SQLite.
        rayon::spawn(move || drop(batch.records));
    }
    Ok((backend, counts))
}

/// The rows of a batch of movie or people records.
pub fn record_rows(records: &[Record]) -> Vec<&Rows> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Movie(rows) | Record::Person(rows) | Record::Genre(rows) => Some(rows),
            _ => None,
        })
        .collect()
}

/// The root table of a kind of record and the tables that hang off it.
pub fn tables_of(
    kind: ItemKind,
) -> (
    &'static str,
    &'static [&'static tmdb_core::record::spec::Table],
) {
    use tmdb_core::record::spec;
    match kind {
        ItemKind::Movie => ("movie", spec::MOVIE_CHILDREN),
        ItemKind::Person => ("people", spec::PERSON_CHILDREN),
    }
}

/// What to do with a batch of movie or people records, given the `source_hash` stored for
/// those already in the mirror.
pub struct Plan {
    /// One per record, in order.
    pub outcomes: Vec<Outcome>,
    /// The records to write: the last line of each changed ID, in input order.
    pub changed: Vec<usize>,
    /// The IDs among them already stored: their child rows are deleted first.
    pub replaced: Vec<i64>,
}

/// Unchanged records (same `source_hash` as stored, or as an earlier line of the batch) are
/// skipped; of a changed ID, the last line is written.
pub fn plan_records(rows: &[&Rows], stored: &HashMap<i64, i64>) -> Plan {
    let mut hashes = stored.clone();
    let mut last: HashMap<i64, usize> = HashMap::new();
    let mut outcomes = Vec::with_capacity(rows.len());
    for (at, record) in rows.iter().enumerate() {
        let hash = source_hash(record);
        let outcome = match hashes.insert(record.id, hash) {
            Some(old) if old == hash => Outcome::Unchanged,
            Some(_) => Outcome::Updated,
            None => Outcome::Inserted,
        };
        if outcome != Outcome::Unchanged {
            last.insert(record.id, at);
        }
        outcomes.push(outcome);
    }
    let mut changed: Vec<usize> = last.into_values().collect();
    changed.sort_unstable();
    let replaced = changed
        .iter()
        .map(|&at| rows[at].id)
        .filter(|id| stored.contains_key(id))
        .collect();
    Plan {
        outcomes,
        changed,
        replaced,
    }
}

fn source_hash(rows: &Rows) -> i64 {
    match rows.rows[0].1[1] {
        rusqlite::types::Value::Integer(hash) => hash,
        _ => unreachable!("the second column of a record's row is its source_hash"),
    }
}

/// `inserted` and `updated` outcomes, then unchanged ones up to `total`: the counts of a
/// set-based write that says how many, not which.
pub fn counted_outcomes(inserted: u64, updated: u64, total: usize) -> Vec<Outcome> {
    let mut outcomes = vec![Outcome::Inserted; inserted as usize];
    outcomes.extend(vec![Outcome::Updated; updated as usize]);
    outcomes.resize(total, Outcome::Unchanged);
    outcomes
}

/// The lines of a batch of ID-list records: export lines by ID (the last line of an ID wins),
/// bare IDs apart (a bare ID only says "this movie exists": it never overwrites an export
/// line's values), and how many lines there were.
pub struct MovieIds<'a> {
    pub full: HashMap<i64, &'a MovieId>,
    pub bare: Vec<i64>,
    pub lines: usize,
}

pub fn movie_ids(records: &[Record]) -> MovieIds<'_> {
    let mut ids = MovieIds {
        full: HashMap::new(),
        bare: Vec::new(),
        lines: 0,
    };
    for record in records {
        let Record::MovieId(line) = record else {
            continue;
        };
        ids.lines += 1;
        if line.is_bare {
            ids.bare.push(line.id.0);
        } else {
            ids.full.insert(line.id.0, line);
        }
    }
    ids
}

/// The gone lines of a batch.
pub fn gone_lines(records: &[Record]) -> Vec<&Gone> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Gone(g) => Some(g),
            _ => None,
        })
        .collect()
}

/// The IDs of `lines` of one kind.
pub fn gone_ids(lines: &[&Gone], kind: ItemKind) -> Vec<i64> {
    lines
        .iter()
        .filter(|g| g.kind == kind)
        .map(|g| g.id.0)
        .collect()
}

/// One outcome per gone line: the first line of a (kind, ID) that deleted a record is a
/// deletion, one that only recorded the ID as gone an insertion, any other unchanged.
pub fn gone_outcomes(
    lines: &[&Gone],
    deleted: &HashSet<(&str, i64)>,
    recorded: &HashSet<(&str, i64)>,
) -> Vec<Outcome> {
    let mut seen = HashSet::new();
    lines
        .iter()
        .map(|g| {
            let key = (g.kind.as_str(), g.id.0);
            if !seen.insert(key) {
                Outcome::Unchanged
            } else if deleted.contains(&key) {
                Outcome::Deleted
            } else if recorded.contains(&key) {
                Outcome::Inserted
            } else {
                Outcome::Unchanged
            }
        })
        .collect()
}
