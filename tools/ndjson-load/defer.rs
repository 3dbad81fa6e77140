//! A first load builds the secondary indexes of a movie's tables after its rows.
//!
//! Loading movies into an empty mirror, every credit went into `credit_person` (ordered by a
//! person ID that is random in load order) and `credit_movie` one at a time: a third of the
//! writer's time. Creating an index from rows already written is one sort. So a movie load
//! into an empty mirror drops the non-unique indexes of the tables that hang off a movie,
//! listing each in `deferred_index` in the same transaction, and [`finish`] creates them again
//! when the load ends. Unique indexes and primary keys stay (they decide what a row replaces),
//! and so do the `movie` table's (tmdb-serve names `movie_date_cover`).
//!
//! A kill between the two leaves whole batches and the list of missing indexes: every
//! ndjson-load run ends with [`finish`], so the next one creates them (a movie load first
//! loads its own records with them still missing). docs/record.md "Loading" tells the rule.

use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use tmdb_core::record::spec;

use crate::kinds::Kind;

/// Before a load of `kind`: drops the movie tables' secondary indexes when the mirror holds no
/// movie yet. Returns how many indexes are deferred (dropped by this run or an earlier one).
pub fn begin(conn: &mut Connection, kind: Kind) -> Result<usize> {
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
        return Ok(0);
    }
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
                indexes.push(index?);
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
