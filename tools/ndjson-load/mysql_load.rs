//! Loading into a MySQL or MariaDB mirror: the records of a batch are written together, in one
//! transaction (docs/architecture.md, "Storage"; `server.rs` holds what this shares with the
//! PostgreSQL loader).
//!
//! A batch takes the mirror's write lock first (`tmdb_core::mysql::lock_writes`, `GET_LOCK`),
//! so two loads into one database take turns batch by batch: neither fails on a deadlock, and
//! no reader sees a movie half replaced. Records go through `record::store_mysql` (`LOAD DATA
//! LOCAL INFILE` per table); ID lists and gone lists are a few statements each. Each batch and
//! the run's record in load_log raise the change counter (`tmdb_core::mysql::COUNT_CHANGE`), by
//! which tmdb-serve sees that the data changed.

use std::collections::{HashMap, HashSet};

use anyhow::{Context, Result, anyhow};
use mysql::Conn;
use mysql::prelude::Queryable;
use rusqlite::types::Value as Sql;
use tmdb_core::model::ItemKind;
use tmdb_core::mysql::{COUNT_CHANGE, MyUrl, lock_writes, unlock_writes};
use tmdb_core::record::store_mysql::{self, MyWriter, id_list, literal_row};

use crate::batch::Counts;
use crate::kinds::{Kind, Record};
use crate::server::{self, Backend, ServerLoad};
use crate::store::Outcome;

/// A multi-row statement stops growing here, well under the server's `max_allowed_packet`.
const STATEMENT_BYTES: usize = 1 << 20;

/// The time as the SQLite mirror writes it, in MySQL's words.
const NOW: &str = "DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%dT%H:%i:%sZ')";

/// A MySQL mirror's side of a load.
struct MyBackend {
    conn: Conn,
    writer: MyWriter,
    url: MyUrl,
}

/// Connects, applies the missing migrations and starts the writer thread.
pub fn open(url: &MyUrl) -> Result<ServerLoad> {
    let mut conn = tmdb_core::mysql::open(url)?;
    let writer = MyWriter::new(&mut conn);
    let started_at: Option<String> = conn
        .query_first(format!("SELECT {NOW}"))
        .map_err(|err| anyhow!("{}", url.explain(&err)))?;
    let backend = MyBackend {
        conn,
        writer,
        url: url.clone(),
    };
    Ok(ServerLoad::start(
        Box::new(backend),
        url.to_string(),
        started_at.unwrap_or_default(),
        unstorable,
    ))
}

/// Why MySQL cannot store `record` (a value longer than its `VARCHAR` column), for a reject;
/// `None` when it can.
fn unstorable(record: &Record) -> Option<String> {
    let (column, length) = match record {
        Record::Genre(rows) | Record::Movie(rows) | Record::Person(rows) => {
            store_mysql::too_long(rows)?
        }
        Record::MovieId(_) | Record::Gone(_) => return None,
    };
    Some(format!(
        "{column} is {length} characters long; the MySQL mirror's column holds at most {}",
        store_mysql::VARCHAR_LENGTH
    ))
}

impl Backend for MyBackend {
    fn write_batch(&mut self, records: &[Record]) -> Result<Vec<Outcome>> {
        lock_writes(&mut self.conn, &self.url)?;
        self.conn.query_drop("START TRANSACTION")?;
        let written = write_batch(&mut self.conn, &self.writer, records).and_then(|outcomes| {
            self.conn.query_drop(COUNT_CHANGE)?;
            Ok(outcomes)
        });
        let ended = match written {
            Ok(_) => self.conn.query_drop("COMMIT"),
            Err(_) => self.conn.query_drop("ROLLBACK"),
        };
        unlock_writes(&mut self.conn, &self.url)?;
        let outcomes = written?;
        ended?;
        Ok(outcomes)
    }

    fn explain(&self, err: &anyhow::Error) -> String {
        let server = err
            .chain()
            .find_map(|cause| cause.downcast_ref::<mysql::Error>())
            .map(|my| self.url.explain(my));
        match server {
            Some(server) if err.downcast_ref::<mysql::Error>().is_some() => server,
            Some(server) => format!("{err}: {server}"),
            None => self.url.redact(&format!("{err:#}")),
        }
    }

    fn log_run(&mut self, kind: Kind, started_at: &str, counts: &Counts) -> Result<()> {
        let n = |v: u64| v as i64;
        // The counter first: a server that sees the new count reads the new load_log.
        let explain = |err: mysql::Error| anyhow!("{}", self.url.explain(&err));
        let mut tx = self
            .conn
            .start_transaction(mysql::TxOpts::default())
            .map_err(explain)?;
        tx.query_drop(COUNT_CHANGE).map_err(explain)?;
        tx.exec_drop(
            format!(
                "INSERT INTO load_log (kind, started_at, finished_at, `read`, inserted,
                        updated, unchanged, deleted, rejected)
                     VALUES (?, ?, {NOW}, ?, ?, ?, ?, ?, ?)"
            ),
            (
                kind.name(),
                started_at,
                n(counts.read),
                n(counts.inserted),
                n(counts.updated),
                n(counts.unchanged),
                n(counts.deleted),
                n(counts.rejected),
            ),
        )
        .map_err(explain)
        .context("cannot record the run in load_log")?;
        tx.commit().map_err(explain)
    }
}

/// One outcome per record, in order.
fn write_batch(conn: &mut Conn, writer: &MyWriter, records: &[Record]) -> Result<Vec<Outcome>> {
    let first = records.first().expect("a batch is never empty");
    match first {
        Record::Genre(_) => {
            let rows = server::record_rows(records);
            let written = writer.write(conn, &rows)?;
            Ok(server::counted_outcomes(
                written.inserted,
                written.updated,
                rows.len(),
            ))
        }
        Record::Movie(_) => write_records(conn, writer, records, ItemKind::Movie),
        Record::Person(_) => write_records(conn, writer, records, ItemKind::Person),
        Record::MovieId(_) => write_movie_ids(conn, records),
        Record::Gone(_) => write_gone(conn, records),
    }
}

/// Movies or people: unchanged ones (same `source_hash`) skipped, the last version of each
/// changed one written whole.
fn write_records(
    conn: &mut Conn,
    writer: &MyWriter,
    records: &[Record],
    kind: ItemKind,
) -> Result<Vec<Outcome>> {
    let (table, children) = server::tables_of(kind);
    let rows = server::record_rows(records);
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let stored: HashMap<i64, i64> = conn
        .query::<(i64, i64), _>(format!(
            "SELECT id, source_hash FROM {table} WHERE id IN ({})",
            id_list(&ids)
        ))?
        .into_iter()
        .collect();
    let plan = server::plan_records(&rows, &stored);
    writer.delete_children(conn, children, &plan.replaced)?;
    let written: Vec<_> = plan.changed.iter().map(|&at| rows[at]).collect();
    writer.write(conn, &written)?;
    // A record loaded again came back upstream: it is no longer gone.
    let back: Vec<i64> = written.iter().map(|r| r.id).collect();
    if !back.is_empty() {
        conn.exec_drop(
            format!(
                "DELETE FROM gone WHERE kind = ? AND id IN ({})",
                id_list(&back)
            ),
            (kind.as_str(),),
        )?;
    }
    Ok(plan.outcomes)
}

/// Runs `head` + `rows` (SQL literal tuples) + `tail` in statements of at most
/// [`STATEMENT_BYTES`]; returns the rows the server counted as affected.
fn insert_rows(conn: &mut Conn, head: &str, rows: &[Vec<Sql>], tail: &str) -> Result<u64> {
    let mut affected = 0;
    let mut sql = String::new();
    for (n, row) in rows.iter().enumerate() {
        sql.push_str(if sql.is_empty() { head } else { ", " });
        literal_row(&mut sql, row);
        if sql.len() >= STATEMENT_BYTES || n + 1 == rows.len() {
            sql.push_str(tail);
            conn.query_drop(&sql)?;
            affected += conn.affected_rows();
            sql.clear();
        }
    }
    Ok(affected)
}

/// How many of `ids` `table` holds (rows keyed by `id`, of `kind` when given).
fn present(conn: &mut Conn, table: &str, kind: Option<&str>, ids: &[i64]) -> Result<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let filter = kind.map_or(String::new(), |k| format!("kind = '{k}' AND "));
    Ok(conn.query(format!(
        "SELECT id FROM {table} WHERE {filter}id IN ({})",
        id_list(ids)
    ))?)
}

/// Export lines upserted (the last line of an ID wins), bare IDs added where missing.
fn write_movie_ids(conn: &mut Conn, records: &[Record]) -> Result<Vec<Outcome>> {
    let lines = server::movie_ids(records);
    let mut ids: Vec<i64> = lines.full.keys().copied().collect();
    ids.sort_unstable();
    let rows: Vec<Vec<Sql>> = ids
        .iter()
        .map(|id| {
            let line = lines.full[id];
            vec![
                Sql::Integer(*id),
                Sql::Integer(line.adult.unwrap_or(false).into()),
                Sql::Integer(line.video.unwrap_or(false).into()),
                line.popularity.map_or(Sql::Null, Sql::Real),
                line.original_title.clone().map_or(Sql::Null, Sql::Text),
            ]
        })
        .collect();
    let before = present(conn, "movie_ids", None, &ids)?.len() as u64;
    let affected = insert_rows(
        conn,
        "INSERT INTO movie_ids (id, adult, video, popularity, original_title) VALUES ",
        &rows,
        " ON DUPLICATE KEY UPDATE adult = VALUES(adult), video = VALUES(video),
          popularity = VALUES(popularity), original_title = VALUES(original_title)",
    )?;
    let mut inserted = ids.len() as u64 - before;
    // MySQL counts 1 for a new row, 2 for a changed one, 0 for one left as it was.
    let updated = affected.saturating_sub(inserted) / 2;
    // A bare ID says only "this movie exists": it never overwrites what an export line said.
    let bare: Vec<Vec<Sql>> = lines
        .bare
        .iter()
        .map(|id| vec![Sql::Integer(*id)])
        .collect();
    inserted += insert_rows(
        conn,
        "INSERT INTO movie_ids (id) VALUES ",
        &bare,
        " ON DUPLICATE KEY UPDATE id = id",
    )?;
    Ok(server::counted_outcomes(inserted, updated, lines.lines))
}

/// Deletes the movies and people listed (what hangs off them cascades) and remembers the IDs.
fn write_gone(conn: &mut Conn, records: &[Record]) -> Result<Vec<Outcome>> {
    let lines = server::gone_lines(records);
    let mut deleted: HashSet<(&str, i64)> = HashSet::new();
    let mut recorded: HashSet<(&str, i64)> = HashSet::new();
    let now: Option<String> = conn.query_first(format!("SELECT {NOW}"))?;
    let now = Sql::Text(now.unwrap_or_default());
    for (kind, table) in [(ItemKind::Movie, "movie"), (ItemKind::Person, "people")] {
        let ids = server::gone_ids(&lines, kind);
        if ids.is_empty() {
            continue;
        }
        for id in present(conn, table, None, &ids)? {
            deleted.insert((kind.as_str(), id));
        }
        conn.query_drop(format!(
            "DELETE FROM {table} WHERE id IN ({})",
            id_list(&ids)
        ))?;
        let known: HashSet<i64> = present(conn, "gone", Some(kind.as_str()), &ids)?
            .into_iter()
            .collect();
        let mut new: Vec<i64> = ids.into_iter().filter(|id| !known.contains(id)).collect();
        new.sort_unstable();
        new.dedup();
        let rows: Vec<Vec<Sql>> = new
            .iter()
            .map(|id| {
                let kind = Sql::Text(kind.as_str().to_owned());
                vec![kind, Sql::Integer(*id), now.clone()]
            })
            .collect();
        insert_rows(
            conn,
            "INSERT INTO gone (kind, id, gone_at) VALUES ",
            &rows,
            "",
        )?;
        recorded.extend(new.into_iter().map(|id| (kind.as_str(), id)));
    }
    Ok(server::gone_outcomes(&lines, &deleted, &recorded))
}
