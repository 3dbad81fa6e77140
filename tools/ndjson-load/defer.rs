//! A large movie load builds the secondary indexes of a movie's tables after its rows.
//!
//! Loading movies, every credit went into `credit_person` (ordered by a person ID that is random
//! in load order) and the other tables' lookup indexes one row at a time: a third of the
//! writer's time into an empty mirror, and more when a large append meets indexes bigger than
//! the page cache (each insert rereads an evicted page). Creating an index from rows already
//! written is one sort. So a movie load drops the non-unique indexes of the tables that hang off
//! a movie, listing each in `deferred_index` in the same transaction, and [`finish`] creates
//! them again when the load ends, when either
//! - the mirror holds no movie yet, or
//! - the input is a large append to the mirror ([`large_append`]): its files hold at least
//!   [`MIN_APPEND_BYTES`] still to read and at least half as many bytes as the database's pages
//!   in use, and most of its first records are new. Standard input (size unknown) never counts
//!   as large, nor does a `make update` batch (a day's changes) into any mirror that is not
//!   tiny, nor a reload of files already loaded (their unchanged records write nothing, and
//!   rebuilding the indexes would cost more than the reload).
//!
//! Unique indexes and primary keys stay (they decide what a row replaces), and so do the `movie`
//! table's (tmdb-serve names `movie_date_cover`, `movie_runtime_cover` and the sort indexes with
//! `INDEXED BY`). Into a mirror that already holds movies, `credit_movie` stays too: it is the
//! only index that serves a movie's own rows (the other tables' primary keys begin with
//! `movie_id`), so tmdb-serve's `/3/movie/{id}` and the loader's replacement of a movie's
//! credits stay lookups while the append runs; the lookups by person, keyword, company,
//! certification... are scans until the load ends.
//!
//! A kill between the two leaves whole batches and the list of missing indexes: every
//! ndjson-load run ends with [`finish`], so the next one creates them (a movie load first
//! loads its own records with them still missing). docs/record.md "Loading" tells the rule.

use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use tmdb_core::ndjson::Input;
use tmdb_core::record::spec;

use crate::kinds::Kind;

/// The smallest input a load into a mirror that already holds movies defers indexes for: the
/// page cache ndjson-load sets (main.rs), below which the pages an append's inserts touch stay
/// in memory anyway.
pub const MIN_APPEND_BYTES: u64 = 64 << 20;

/// The index a load into a mirror that holds movies keeps: it serves a movie's credits (by-id
/// answers, the replacement of a reloaded movie's rows).
const KEPT_WHEN_NOT_EMPTY: &[&str] = &["credit_movie"];

/// How many of the input's first records are looked up to tell an append from a reload.
const SAMPLE_RECORDS: usize = 64;

/// Whether `input_bytes` (what the input files hold still to read; `None` when one is standard
/// input) is a large append to a database whose pages in use hold `database_bytes`: at least
/// [`MIN_APPEND_BYTES`] and at least half of `database_bytes`, with at least half of the
/// `sampled` first records new to the mirror (`new` of them), so that a reload of files already
/// loaded, whose records are mostly unchanged, keeps its indexes.
pub fn large_append(
    input_bytes: Option<u64>,
    database_bytes: u64,
    sampled: usize,
    new: usize,
) -> bool {
    input_bytes.is_some_and(|bytes| bytes >= MIN_APPEND_BYTES && bytes >= database_bytes / 2)
        && sampled > 0
        && new * 2 >= sampled
}

/// Before a load of `kind` reading `inputs`: drops the movie tables' secondary indexes when the
/// mirror holds no movie yet or the inputs are a [`large_append`] to it (their sizes left to
/// read summed, unknown when one is standard input; the first input's first records sampled).
/// Returns how many indexes are deferred (dropped by this run or an earlier one).
pub fn begin(conn: &mut Connection, kind: Kind, inputs: &[Input]) -> Result<usize> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let pending: i64 = tx.query_row("SELECT count(*) FROM deferred_index", [], |row| row.get(0))?;
    if pending > 0 || kind != Kind::Movies {
        return Ok(usize::try_from(pending).unwrap_or(0));
    }
    let has_movies = tx
        .query_row("SELECT 1 FROM movie LIMIT 1", [], |_| Ok(()))
        .optional()?
        .is_some();
    if has_movies {
        let pages: i64 = tx.query_row(
            "SELECT p.page_count - f.freelist_count FROM pragma_page_count() p, \
             pragma_freelist_count() f",
            [],
            |row| row.get(0),
        )?;
        let page_size: i64 = tx.query_row("PRAGMA page_size", [], |row| row.get(0))?;
        let database_bytes = u64::try_from(pages.saturating_mul(page_size)).unwrap_or(0);
        let input_bytes = inputs.iter().map(|input| input.size).sum::<Option<u64>>();
        let first_ids = inputs
            .first()
            .map(|input| input.first_ids(SAMPLE_RECORDS))
            .unwrap_or_default();
        let mut known = tx.prepare("SELECT 1 FROM movie WHERE id = ?1")?;
        let mut new = 0;
        for id in &first_ids {
            if !known.exists([id])? {
                new += 1;
            }
        }
        drop(known);
        if !large_append(input_bytes, database_bytes, first_ids.len(), new) {
            return Ok(0);
        }
    }
    let kept: &[&str] = if has_movies { KEPT_WHEN_NOT_EMPTY } else { &[] };
    let mut indexes = Vec::new();
    {
        let mut select = tx.prepare(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1
             AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name",
        )?;
        for table in spec::MOVIE_CHILDREN {
            let rows = select.query_map([table.name], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })?;
            for index in rows {
                let index = index?;
                if !kept.contains(&index.0.as_str()) {
                    indexes.push(index);
                }
            }
        }
    }
    for (name, sql) in &indexes {
        tx.execute(
            "INSERT INTO deferred_index (name, sql) VALUES (?1, ?2)",
            [name, sql],
        )?;
        tx.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
    }
    tx.commit()
        .context("cannot defer the indexes of the movie tables")?;
    Ok(indexes.len())
}

/// Creates every index listed in `deferred_index`, in one transaction.
pub fn finish(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let indexes: Vec<(String, String)> = tx
        .prepare("SELECT name, sql FROM deferred_index ORDER BY name")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (name, sql) in &indexes {
        tx.execute_batch(sql)
            .with_context(|| format!("cannot create index {name} again"))?;
        tx.execute("DELETE FROM deferred_index WHERE name = ?1", [name])?;
    }
    tx.commit().context("cannot create the deferred indexes")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{MIN_APPEND_BYTES, large_append};

    #[test]
    fn only_a_large_file_input_of_new_records_against_the_database_is_a_large_append() {
        let mib = 1 << 20;
        // Standard input: size unknown, never.
        assert!(!large_append(None, 0, 64, 64));
        // A `make update` batch: small against the page cache, whatever the mirror.
        assert!(!large_append(Some(10 * mib), 0, 64, 64));
        assert!(!large_append(Some(MIN_APPEND_BYTES - 1), 2 * mib, 64, 64));
        // Large, and at least half the database.
        assert!(large_append(
            Some(MIN_APPEND_BYTES),
            2 * MIN_APPEND_BYTES,
            64,
            64
        ));
        assert!(large_append(Some(300 * mib), 215 * mib, 64, 32));
        assert!(!large_append(Some(300 * mib), 601 * mib + 2, 64, 64));
        // A reload: its first records are already in the mirror.
        assert!(!large_append(Some(300 * mib), 215 * mib, 64, 31));
        assert!(!large_append(Some(300 * mib), 215 * mib, 0, 0));
    }
}
