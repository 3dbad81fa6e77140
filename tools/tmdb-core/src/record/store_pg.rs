//! Writing the rows of many records into a PostgreSQL mirror, set-based: every table's rows of a
//! batch go to a temporary staging table in one `COPY ... FROM STDIN`, then one statement per
//! table moves them into the mirror (`INSERT ... SELECT ... ON CONFLICT ... DO UPDATE`).
//!
//! The statements are built from the same description as SQLite's (`spec`); the conflict keys
//! are read from the database's own primary keys. Within a batch the last row read wins, as in
//! SQLite's record-by-record writes: a company named by two movies, a credit listed twice.
//! Nothing here begins or commits; the caller holds the transaction.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;

use anyhow::{Context, Result};
use postgres::error::SqlState;
use postgres::{Client, GenericClient, Transaction};
use rusqlite::types::Value as Sql;

use super::flatten::Rows;
use super::spec::{self, Role, Table, Ty};
use super::text_rows;

/// The staging table of `table`.
fn stage(table: &Table) -> String {
    format!("stage_{}", table.name)
}

/// A writer for one connection: its staging tables exist, its statements are built.
pub struct PgWriter {
    statements: HashMap<&'static str, Statements>,
}

struct Statements {
    copy: String,
    /// A child table's rows as plain inserts, unsorted: after the replaced records' rows are
    /// deleted, a key is taken only in the rare clash (a credit_id TMDB lists twice, or under
    /// two movies), which the upsert then handles.
    insert: String,
    upsert: String,
    delete: String,
}

/// Rows written to an entity table: new ones, and existing ones whose values changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Rows that were not there.
    pub inserted: u64,
    /// Rows that were there with other values.
    pub updated: u64,
}

impl PgWriter {
    /// Creates the connection's staging tables (emptied at every commit) and the statements.
    pub fn new(client: &mut Client) -> Result<PgWriter> {
        let mut keys = primary_keys(client)?;
        let mut create = String::new();
        let mut statements = HashMap::new();
        for table in spec::TABLES {
            let key = keys
                .remove(table.name)
                .with_context(|| format!("table {} has no primary key", table.name))?;
            let _ = write!(
                create,
                "CREATE TEMPORARY TABLE IF NOT EXISTS {stage} (LIKE {name}) ON COMMIT DELETE ROWS;
                 ALTER TABLE {stage} ADD COLUMN IF NOT EXISTS stage_seq bigint;",
                stage = stage(table),
                name = table.name
            );
            statements.insert(table.name, build(table, &key));
        }
        client
            .batch_execute(&create)
            .context("cannot create the staging tables")?;
        Ok(PgWriter { statements })
    }

    /// Deletes what hangs off the records `ids` in `children` (before writing new versions).
    pub fn delete_children(
        &self,
        tx: &mut Transaction<'_>,
        children: &[&Table],
        ids: &[i64],
    ) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        for table in children {
            tx.execute(&self.statements[table.name].delete, &[&ids])
                .with_context(|| format!("cannot replace the rows of {}", table.name))?;
        }
        Ok(())
    }

    /// Writes every row of `records`: the roots first (the children's foreign keys need them),
    /// then the shared entities, then the children. Returns what the entity tables received.
    pub fn write(&self, tx: &mut Transaction<'_>, records: &[&Rows]) -> Result<Written> {
        let mut buffers: HashMap<&'static str, (&'static Table, Vec<u8>)> = HashMap::new();
        let mut seq: i64 = 0;
        let mut line = String::new();
        for rows in records {
            for (table, values) in &rows.rows {
                seq += 1;
                line.clear();
                text_rows::encode_row(&mut line, values);
                let _ = writeln!(line, "{seq}");
                buffers
                    .entry(table.name)
                    .or_insert_with(|| (table, Vec::new()))
                    .1
                    .extend_from_slice(line.as_bytes());
            }
        }
        let mut written = Written::default();
        for role in [Role::Root, Role::Entity, Role::Child] {
            for table in spec::TABLES.iter().filter(|t| t.role == role) {
                let Some((_, data)) = buffers.get(table.name) else {
                    continue;
                };
                let statements = &self.statements[table.name];
                let mut copy = tx
                    .copy_in(statements.copy.as_str())
                    .with_context(|| format!("cannot stage the rows of {}", table.name))?;
                copy.write_all(data)
                    .with_context(|| format!("cannot stage the rows of {}", table.name))?;
                copy.finish()
                    .with_context(|| format!("cannot stage the rows of {}", table.name))?;
                if role == Role::Entity {
                    for row in tx
                        .query(statements.upsert.as_str(), &[])
                        .with_context(|| format!("cannot write the rows of {}", table.name))?
                    {
                        match row.get::<_, bool>(0) {
                            true => written.inserted += 1,
                            false => written.updated += 1,
                        }
                    }
                } else if role == Role::Child {
                    write_children(tx, table, statements)?;
                } else {
                    tx.execute(statements.upsert.as_str(), &[])
                        .with_context(|| format!("cannot write the rows of {}", table.name))?;
                }
            }
        }
        Ok(written)
    }
}

/// A child table's staged rows: plain inserts, which need neither the sort that picks the
/// last row of a key nor speculative insertion, and the upsert only when a key clashes (the
/// savepoint undoes the plain attempt).
fn write_children(tx: &mut Transaction<'_>, table: &Table, statements: &Statements) -> Result<()> {
    let mut plain = tx.savepoint("plain_insert")?;
    match plain.execute(statements.insert.as_str(), &[]) {
        Ok(_) => plain.commit()?,
        Err(err) if err.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            plain.rollback()?;
            tx.execute(statements.upsert.as_str(), &[])
                .with_context(|| format!("cannot write the rows of {}", table.name))?;
        }
        Err(err) => {
            return Err(err).with_context(|| format!("cannot write the rows of {}", table.name));
        }
    }
    Ok(())
}

/// The primary key columns of every table of the description, in key order.
fn primary_keys(client: &mut impl GenericClient) -> Result<HashMap<String, Vec<String>>> {
    let names: Vec<&str> = spec::TABLES.iter().map(|t| t.name).collect();
    let rows = client
        .query(
            "SELECT c.relname::text, a.attname::text FROM pg_index i
             JOIN pg_class c ON c.oid = i.indrelid
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
             WHERE i.indrelid = ANY ($1::text[]::regclass[]) AND i.indisprimary
             ORDER BY c.relname, array_position(i.indkey::int2[], a.attnum)",
            &[&names],
        )
        .context("cannot read the tables' primary keys")?;
    let mut keys: HashMap<String, Vec<String>> = HashMap::new();
    for row in rows {
        keys.entry(row.get(0)).or_default().push(row.get(1));
    }
    Ok(keys)
}

fn build(table: &Table, key: &[String]) -> Statements {
    let columns: Vec<&str> = table.columns().collect();
    let list = columns.join(", ");
    let key_list = key.join(", ");
    let values: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|c| !key.iter().any(|k| k == c))
        .collect();
    let set = values
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let stage = stage(table);
    // The last row of a key in the batch wins, as the last write does in SQLite.
    let source = match table.role {
        Role::Root => format!("SELECT {list} FROM {stage}"),
        Role::Entity | Role::Child => format!(
            "SELECT DISTINCT ON ({key_list}) {list} FROM {stage} ORDER BY {key_list}, stage_seq DESC"
        ),
    };
    let on_conflict = if values.is_empty() {
        format!("ON CONFLICT ({key_list}) DO NOTHING")
    } else {
        format!("ON CONFLICT ({key_list}) DO UPDATE SET {set}")
    };
    let upsert = match table.role {
        Role::Entity => {
            let old = values
                .iter()
                .map(|c| format!("{}.{c}", table.name))
                .collect::<Vec<_>>()
                .join(", ");
            let new = values
                .iter()
                .map(|c| format!("excluded.{c}"))
                .collect::<Vec<_>>()
                .join(", ");
            // An entity shared by many records is rewritten only when a value differs; the
            // rows returned say which were new (xmax = 0: no earlier version).
            format!(
                "INSERT INTO {name} ({list}) {source} {on_conflict} \
                 WHERE ({old}) IS DISTINCT FROM ({new}) RETURNING (xmax = 0)",
                name = table.name
            )
        }
        Role::Root | Role::Child => {
            format!("INSERT INTO {} ({list}) {source} {on_conflict}", table.name)
        }
    };
    Statements {
        copy: format!("COPY {stage} ({list}, stage_seq) FROM STDIN"),
        insert: format!(
            "INSERT INTO {} ({list}) SELECT {list} FROM {stage}",
            table.name
        ),
        upsert,
        delete: format!(
            "DELETE FROM {} WHERE {} = ANY ($1)",
            table.name, table.lead[0]
        ),
    }
}

/// The first column (`table.column`) of `rows` whose value PostgreSQL cannot store: text
/// holding a NUL character (its `text` type refuses one), or JSON holding an escaped one
/// (`jsonb` refuses `\u0000`). SQLite stores both; a PostgreSQL load rejects such a record.
pub fn unstorable(rows: &Rows) -> Option<String> {
    for (table, values) in &rows.rows {
        for (column, value) in table.columns().zip(values) {
            let Sql::Text(text) = value else { continue };
            let json = column == "extra"
                || table
                    .fields
                    .iter()
                    .any(|f| f.column == column && f.ty == Ty::Strings);
            if text.contains('\0') || (json && text.contains("\\u0000")) {
                return Some(format!("{}.{column}", table.name));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_row_of_a_key_wins() {
        let key = vec!["credit_id".to_owned()];
        let s = build(&spec::CREDIT, &key);
        assert!(
            s.upsert.contains("DISTINCT ON (credit_id)")
                && s.upsert.contains("stage_seq DESC")
                && s.upsert.contains("ON CONFLICT (credit_id) DO UPDATE"),
            "{}",
            s.upsert
        );
        let genre = build(&spec::GENRE, &["id".to_owned()]);
        assert!(
            genre.upsert.contains("IS DISTINCT FROM"),
            "{}",
            genre.upsert
        );
    }
}
