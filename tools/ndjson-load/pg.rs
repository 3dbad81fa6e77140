//! Loading into a PostgreSQL mirror: the records of a batch are written together, in one
//! transaction, set-based (docs/architecture.md, "Storage"; `server.rs` holds what this shares
//! with the MySQL loader).
//!
//! A batch takes the mirror's write lock first (`tmdb_core::pg::WRITE_LOCK`, a
//! transaction-level advisory lock), so two loads into one database take turns batch by batch:
//! neither fails on a deadlock, and no reader sees a movie half replaced. Records go through
//! `record::store_pg` (COPY into staging tables, then one upsert per table); ID lists and gone
//! lists are one statement each. Each batch also raises the mirror's change counter
//! (`tmdb_core::pg::COUNT_CHANGE`), by which tmdb-serve sees that the data changed.

use std::collections::{HashMap, HashSet};

use anyhow::{Context, Result};
use postgres::types::ToSql;
use postgres::{Client, Transaction};
use tmdb_core::model::ItemKind;
use tmdb_core::pg::{COUNT_CHANGE, PgUrl, WRITE_LOCK};
use tmdb_core::record::store_pg::{self, PgWriter};

use crate::batch::Counts;
use crate::kinds::{Kind, Record};
use crate::server::{self, Backend, ServerLoad};
use crate::store::Outcome;

/// A PostgreSQL mirror's side of a load: the connection and its staging tables.
struct PgBackend {
    client: Client,
    writer: PgWriter,
    url: PgUrl,
}

/// Connects, applies the missing migrations, prepares the staging tables and starts the
/// writer thread.
pub fn open(url: &PgUrl) -> Result<ServerLoad> {
    let mut client = tmdb_core::pg::open(url)?;
    let writer = PgWriter::new(&mut client)?;
    let started_at = now(&mut client)?;
    let backend = PgBackend {
        client,
        writer,
        url: url.clone(),
    };
    Ok(ServerLoad::start(
        Box::new(backend),
        url.to_string(),
        started_at,
        unstorable,
    ))
}

impl Backend for PgBackend {
    fn write_batch(&mut self, records: &[Record]) -> Result<Vec<Outcome>> {
        let mut tx = self.client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
        let outcomes = write_batch(&mut tx, &self.writer, records)?;
        tx.batch_execute(COUNT_CHANGE)?;
        tx.commit()?;
        Ok(outcomes)
    }

    fn explain(&self, err: &anyhow::Error) -> String {
        explain(&self.url, err)
    }

    fn log_run(&mut self, kind: Kind, started_at: &str, counts: &Counts) -> Result<()> {
        log_run(&mut self.client, &self.url, kind, started_at, counts)
    }
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
fn unstorable(record: &Record) -> Option<String> {
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
    let rows = server::record_rows(records);
    let written = writer.write(tx, &rows)?;
    Ok(server::counted_outcomes(
        written.inserted,
        written.updated,
        rows.len(),
    ))
}

/// Movies or people: unchanged ones (same `source_hash`) skipped, the last version of each
/// changed one written whole.
fn write_records(
    tx: &mut Transaction<'_>,
    writer: &PgWriter,
    records: &[Record],
    kind: ItemKind,
) -> Result<Vec<Outcome>> {
    let (table, children) = server::tables_of(kind);
    let rows = server::record_rows(records);
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let stored: HashMap<i64, i64> = tx
        .query(
            &format!("SELECT id, source_hash FROM {table} WHERE id = ANY ($1)"),
            &[&ids],
        )?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let plan = server::plan_records(&rows, &stored);
    writer.delete_children(tx, children, &plan.replaced)?;
    let written: Vec<_> = plan.changed.iter().map(|&at| rows[at]).collect();
    writer.write(tx, &written)?;
    // A record loaded again came back upstream: it is no longer gone.
    let back: Vec<i64> = written.iter().map(|r| r.id).collect();
    tx.execute(
        "DELETE FROM gone WHERE kind = $1 AND id = ANY ($2)",
        &[&kind.as_str() as &(dyn ToSql + Sync), &back],
    )?;
    Ok(plan.outcomes)
}

/// Export lines upserted (the last line of an ID wins), bare IDs added where missing.
fn write_movie_ids(tx: &mut Transaction<'_>, records: &[Record]) -> Result<Vec<Outcome>> {
    let lines = server::movie_ids(records);
    let full = &lines.full;
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
        &[&lines.bare],
    )? as i64;
    Ok(server::counted_outcomes(
        inserted as u64,
        updated as u64,
        lines.lines,
    ))
}

/// Deletes the movies and people listed (what hangs off them cascades) and remembers the IDs.
fn write_gone(tx: &mut Transaction<'_>, records: &[Record]) -> Result<Vec<Outcome>> {
    let lines = server::gone_lines(records);
    let mut deleted: HashSet<(&str, i64)> = HashSet::new();
    let mut recorded: HashSet<(&str, i64)> = HashSet::new();
    for (kind, table) in [(ItemKind::Movie, "movie"), (ItemKind::Person, "people")] {
        let ids = server::gone_ids(&lines, kind);
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
    Ok(server::gone_outcomes(&lines, &deleted, &recorded))
}
