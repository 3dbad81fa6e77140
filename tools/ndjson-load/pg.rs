//! Loading into a PostgreSQL mirror: the records of a batch are written together, in one
//! transaction, set-based (docs/architecture.md, "Storage").
//!
//! A batch takes the mirror's write lock first (`tmdb_core::pg::WRITE_LOCK`, a
//! transaction-level advisory lock), so two loads into one database take turns batch by batch:
//! neither fails on a deadlock, and no reader sees a movie half replaced. Then, as the SQLite
//! loader does record by record: a movie or person whose stored `source_hash` equals the line's
//! is unchanged and not written; a changed one has its child rows deleted and written again;
//! ID lists and gone lists are one statement each. Each batch also raises the mirror's change
//! counter (`tmdb_core::pg::COUNT_CHANGE`), by which tmdb-serve sees that the data changed.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use anyhow::{Context, Result};
use postgres::types::ToSql;
use postgres::{Client, Transaction};
use tmdb_core::model::ItemKind;
use tmdb_core::pg::{COUNT_CHANGE, PgUrl, WRITE_LOCK};
use tmdb_core::record::flatten::Rows;
use tmdb_core::record::spec;
use tmdb_core::record::store_pg::{self, PgWriter};

use crate::batch::Counts;
use crate::kinds::{Gone, Kind, MovieId, Record};
use crate::store::Outcome;

/// A load into PostgreSQL: the batch being gathered, and the thread that writes the batches
/// before it. The server's work on one batch overlaps the reading and parsing of the next
/// (without it, the parse threads stood idle while the server wrote). At most one batch waits
/// for the writer, so memory stays bounded.
pub struct PgLoad {
    url: PgUrl,
    /// When the load began, as the database tells time (`load_log.started_at`).
    started_at: String,
    pending: Vec<Record>,
    batches: Option<SyncSender<Batch>>,
    writer: Option<JoinHandle<Result<(Client, Counts)>>>,
}

/// A batch for the writer thread, with the input lines it came from, for a message.
struct Batch {
    records: Vec<Record>,
    lines: String,
}

impl PgLoad {
    /// Connects, applies the missing migrations, prepares the staging tables and starts the
    /// writer thread.
    pub fn open(url: &PgUrl) -> Result<PgLoad> {
        let mut client = tmdb_core::pg::open(url)?;
        let writer = PgWriter::new(&mut client)?;
        let started_at = now(&mut client)?;
        let (batches, received) = sync_channel::<Batch>(1);
        let thread_url = url.clone();
        let thread =
            std::thread::spawn(move || write_batches(client, writer, received, thread_url));
        Ok(PgLoad {
            url: url.clone(),
            started_at,
            pending: Vec::new(),
            batches: Some(batches),
            writer: Some(thread),
        })
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
    /// connection back for `load_log`.
    fn finish(&mut self) -> Result<(Client, Counts)> {
        self.batches = None;
        match self.writer.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| anyhow::anyhow!("the PostgreSQL writer panicked"))?,
            None => anyhow::bail!("the PostgreSQL writer has stopped"),
        }
    }

    /// Ends the load: waits for the last batches, adds what they did to `counts` and records
    /// the run in `load_log`.
    pub fn end(&mut self, kind: Kind, counts: &mut Counts) -> Result<()> {
        let (mut client, written) = self.finish()?;
        counts.inserted += written.inserted;
        counts.updated += written.updated;
        counts.unchanged += written.unchanged;
        counts.deleted += written.deleted;
        log_run(&mut client, &self.url, kind, &self.started_at, counts)
    }
}

/// The writer thread: each batch in its own transaction, under the mirror's write lock.
fn write_batches(
    mut client: Client,
    writer: PgWriter,
    batches: Receiver<Batch>,
    url: PgUrl,
) -> Result<(Client, Counts)> {
    let mut counts = Counts::default();
    for batch in batches {
        let written = (|| -> Result<Vec<Outcome>> {
            let mut tx = client.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
            let outcomes = write_batch(&mut tx, &writer, &batch.records)?;
            tx.batch_execute(COUNT_CHANGE)?;
            tx.commit()?;
            Ok(outcomes)
        })();
        match written {
            Ok(outcomes) => outcomes.into_iter().for_each(|o| counts.add(o)),
            Err(err) => anyhow::bail!(
                "{}: cannot write this batch into {url}: {}",
                batch.lines,
                explain(&url, &err)
            ),
        }
        // Freeing many small allocations is the parse threads' job, as for SQLite.
        rayon::spawn(move || drop(batch.records));
    }
    Ok((client, counts))
}

/// Records one run in `load_log`.
fn log_run(
    client: &mut Client,
    url: &PgUrl,
    kind: Kind,
    started_at: &str,
    counts: &Counts,
) -> Result<()> {
    let n = |v: u64| v as i64;
    client
        .execute(
            // The change counter too: /stats shows the last load.
            &format!(
                "WITH counted AS ({COUNT_CHANGE})
                 INSERT INTO load_log (kind, started_at, finished_at, read, inserted, updated,
                    unchanged, deleted, rejected)
                 VALUES ($1, $2, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    $3, $4, $5, $6, $7, $8)"
            ),
            &[
                &kind.name() as &(dyn ToSql + Sync),
                &started_at,
                &n(counts.read),
                &n(counts.inserted),
                &n(counts.updated),
                &n(counts.unchanged),
                &n(counts.deleted),
                &n(counts.rejected),
            ],
        )
        .map_err(|err| anyhow::anyhow!("{}", url.explain(&err)))
        .context("cannot record the run in load_log")?;
    Ok(())
}

/// Why PostgreSQL cannot store `record` (a NUL character), for a reject; `None` when it can.
pub fn unstorable(record: &Record) -> Option<String> {
    let column = match record {
        Record::Genre(rows) | Record::Movie(rows) | Record::Person(rows) => {
            store_pg::unstorable(rows)?
        }
        Record::MovieId(m) if m.original_title.as_deref()?.contains('\0') => {
            "movie_ids.original_title".to_owned()
        }
        Record::MovieId(_) | Record::Gone(_) => return None,
    };
    Some(format!(
        "{column} holds a NUL character (\\u0000), which PostgreSQL cannot store"
    ))
}

/// One line for an error of a load: what failed and the server's message, password masked.
pub fn explain(url: &PgUrl, err: &anyhow::Error) -> String {
    let server = err
        .chain()
        .find_map(|cause| cause.downcast_ref::<postgres::Error>())
        .map(|pg| url.explain(pg));
    match server {
        Some(server) if err.downcast_ref::<postgres::Error>().is_some() => server,
        Some(server) => format!("{err}: {server}"),
        None => format!("{err:#}"),
    }
}

/// `now()` in UTC, written as the SQLite mirror writes its times.
fn now(client: &mut Client) -> Result<String> {
    Ok(client
        .query_one(
            "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
            &[],
        )?
        .get(0))
}

/// One outcome per record, in order.
fn write_batch(
    tx: &mut Transaction<'_>,
    writer: &PgWriter,
    records: &[Record],
) -> Result<Vec<Outcome>> {
    let first = records.first().expect("a batch is never empty");
    match first {
        Record::Genre(_) => write_genres(tx, writer, records),
        Record::Movie(_) => write_records(tx, writer, records, ItemKind::Movie),
        Record::Person(_) => write_records(tx, writer, records, ItemKind::Person),
        Record::MovieId(_) => write_movie_ids(tx, records),
        Record::Gone(_) => write_gone(tx, records),
    }
}

fn write_genres(
    tx: &mut Transaction<'_>,
    writer: &PgWriter,
    records: &[Record],
) -> Result<Vec<Outcome>> {
    let rows: Vec<&Rows> = records
        .iter()
        .filter_map(|r| match r {
            Record::Genre(rows) => Some(rows),
            _ => None,
        })
        .collect();
    let written = writer.write(tx, &rows)?;
    let mut outcomes = vec![Outcome::Inserted; written.inserted as usize];
    outcomes.extend(vec![Outcome::Updated; written.updated as usize]);
    outcomes.resize(rows.len(), Outcome::Unchanged);
    Ok(outcomes)
}

/// Movies or people: unchanged ones (same `source_hash`) skipped, the last version of each
/// changed one written whole.
fn write_records(
    tx: &mut Transaction<'_>,
    writer: &PgWriter,
    records: &[Record],
    kind: ItemKind,
) -> Result<Vec<Outcome>> {
    let (table, children) = match kind {
        ItemKind::Movie => ("movie", spec::MOVIE_CHILDREN),
        ItemKind::Person => ("people", spec::PERSON_CHILDREN),
    };
    let rows: Vec<&Rows> = records
        .iter()
        .filter_map(|r| match r {
            Record::Movie(rows) | Record::Person(rows) => Some(rows),
            _ => None,
        })
        .collect();
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let stored: HashMap<i64, i64> = tx
        .query(
            &format!("SELECT id, source_hash FROM {table} WHERE id = ANY ($1)"),
            &[&ids],
        )?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
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
    let replaced: Vec<i64> = changed
        .iter()
        .map(|&at| rows[at].id)
        .filter(|id| stored.contains_key(id))
        .collect();
    writer.delete_children(tx, children, &replaced)?;
    let written: Vec<&Rows> = changed.iter().map(|&at| rows[at]).collect();
    writer.write(tx, &written)?;
    // A record loaded again came back upstream: it is no longer gone.
    let back: Vec<i64> = written.iter().map(|r| r.id).collect();
    tx.execute(
        "DELETE FROM gone WHERE kind = $1 AND id = ANY ($2)",
        &[&kind.as_str() as &(dyn ToSql + Sync), &back],
    )?;
    Ok(outcomes)
}

fn source_hash(rows: &Rows) -> i64 {
    match rows.rows[0].1[1] {
        rusqlite::types::Value::Integer(hash) => hash,
        _ => unreachable!("the second column of a record's row is its source_hash"),
    }
}

/// Export lines upserted (the last line of an ID wins), bare IDs added where missing.
fn write_movie_ids(tx: &mut Transaction<'_>, records: &[Record]) -> Result<Vec<Outcome>> {
    let lines: Vec<&MovieId> = records
        .iter()
        .filter_map(|r| match r {
            Record::MovieId(m) => Some(m),
            _ => None,
        })
        .collect();
    let mut full: HashMap<i64, &MovieId> = HashMap::new();
    let mut bare: Vec<i64> = Vec::new();
    for line in &lines {
        if line.is_bare {
            bare.push(line.id.0);
        } else {
            full.insert(line.id.0, line);
        }
    }
    let ids: Vec<i64> = full.keys().copied().collect();
    let adult: Vec<bool> = ids
        .iter()
        .map(|id| full[id].adult.unwrap_or(false))
        .collect();
    let video: Vec<bool> = ids
        .iter()
        .map(|id| full[id].video.unwrap_or(false))
        .collect();
    let popularity: Vec<Option<f64>> = ids.iter().map(|id| full[id].popularity).collect();
    let title: Vec<Option<&str>> = ids
        .iter()
        .map(|id| full[id].original_title.as_deref())
        .collect();
    let row = tx.query_one(
        "WITH up AS (
             INSERT INTO movie_ids (id, adult, video, popularity, original_title)
             SELECT * FROM unnest($1::bigint[], $2::boolean[], $3::boolean[], $4::float8[], $5::text[])
             ON CONFLICT (id) DO UPDATE SET adult = excluded.adult, video = excluded.video,
                 popularity = excluded.popularity, original_title = excluded.original_title
             WHERE (movie_ids.adult, movie_ids.video, movie_ids.popularity,
                    movie_ids.original_title)
                 IS DISTINCT FROM (excluded.adult, excluded.video, excluded.popularity,
                    excluded.original_title)
             RETURNING (xmax = 0) AS inserted)
         SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up",
        &[&ids as &(dyn ToSql + Sync), &adult, &video, &popularity, &title],
    )?;
    let (mut inserted, updated): (i64, i64) = (row.get(0), row.get(1));
    // A bare ID says only "this movie exists": it never overwrites what an export line said.
    inserted += tx.execute(
        "INSERT INTO movie_ids (id) SELECT unnest($1::bigint[]) ON CONFLICT (id) DO NOTHING",
        &[&bare],
    )? as i64;
    let mut outcomes = vec![Outcome::Inserted; inserted as usize];
    outcomes.extend(vec![Outcome::Updated; updated as usize]);
    outcomes.resize(lines.len(), Outcome::Unchanged);
    Ok(outcomes)
}

/// Deletes the movies and people listed (what hangs off them cascades) and remembers the IDs.
fn write_gone(tx: &mut Transaction<'_>, records: &[Record]) -> Result<Vec<Outcome>> {
    let lines: Vec<&Gone> = records
        .iter()
        .filter_map(|r| match r {
            Record::Gone(g) => Some(g),
            _ => None,
        })
        .collect();
    let mut deleted: HashSet<(&str, i64)> = HashSet::new();
    let mut recorded: HashSet<(&str, i64)> = HashSet::new();
    for (kind, table) in [(ItemKind::Movie, "movie"), (ItemKind::Person, "people")] {
        let ids: Vec<i64> = lines
            .iter()
            .filter(|g| g.kind == kind)
            .map(|g| g.id.0)
            .collect();
        if ids.is_empty() {
            continue;
        }
        for row in tx.query(
            &format!("DELETE FROM {table} WHERE id = ANY ($1) RETURNING id"),
            &[&ids],
        )? {
            deleted.insert((kind.as_str(), row.get(0)));
        }
        for row in tx.query(
            "INSERT INTO gone (kind, id) SELECT $1, unnest($2::bigint[])
             ON CONFLICT DO NOTHING RETURNING id",
            &[&kind.as_str() as &(dyn ToSql + Sync), &ids],
        )? {
            recorded.insert((kind.as_str(), row.get(0)));
        }
    }
    let mut seen = HashSet::new();
    Ok(lines
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
        .collect())
}
