//! Writing the rows of many records into a MySQL or MariaDB mirror: a batch's rows of each
//! record table go to the server in one `LOAD DATA LOCAL INFILE` per table, streamed from
//! memory; the shared entities (genres, companies...) in one multi-row
//! `INSERT ... ON DUPLICATE KEY UPDATE` per table.
//!
//! `LOAD DATA ... REPLACE` applies the rows in order, so within a batch the last row of a key
//! wins, as in SQLite's record-by-record writes (a credit listed twice, or under two movies).
//! A root row (`movie`, `people`) is written only for a record whose line changed, after its
//! child rows were deleted. `LOAD DATA LOCAL` turns what strict mode would refuse (a value
//! that does not fit) into warnings: any warning fails the batch, so nothing is stored cut.
//!
//! The local-file handler only ever sends the rows in hand, whatever file name the server
//! asks for: no file of the machine can be read through it. Nothing here begins or commits;
//! the caller holds the transaction.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use mysql::prelude::Queryable;
use mysql::{Conn, LocalInfileHandler};
use rusqlite::types::Value as Sql;

use super::flatten::Rows;
use super::spec::{self, Role, Table};
use super::text_rows;

pub use super::store_pg::Written;

/// The length of the `VARCHAR` columns of sql/mysql/ (in characters).
pub const VARCHAR_LENGTH: usize = 255;

/// The columns that are `VARCHAR(255)` in sql/mysql/ (keys and columns indexed whole), by
/// name: a longer value cannot be stored. tests/mysql.rs checks the list against the schema.
pub const VARCHAR_COLUMNS: &[&str] = &[
    "credit_id",
    "kind",
    "iso_3166_1",
    "iso_639_1",
    "original_language",
    "status",
    "release_date",
    "imdb_id",
    "wikidata_id",
    "certification",
];

/// The first column (`table.column`) of `rows` holding text too long for its `VARCHAR`
/// column, and that text's length in characters.
pub fn too_long(rows: &Rows) -> Option<(String, usize)> {
    for (table, values) in &rows.rows {
        for (column, value) in table.columns().zip(values) {
            let Sql::Text(text) = value else { continue };
            if text.len() > VARCHAR_LENGTH && VARCHAR_COLUMNS.contains(&column) {
                let length = text.chars().count();
                if length > VARCHAR_LENGTH {
                    return Some((format!("{}.{column}", table.name), length));
                }
            }
        }
    }
    None
}

/// A multi-row statement stops growing here: well under the servers' `max_allowed_packet`
/// (16 MB by default in MariaDB, 64 MB in MySQL).
const STATEMENT_BYTES: usize = 1 << 20;

/// A writer for one connection: its statements built, its local-file handler installed.
pub struct MyWriter {
    statements: HashMap<&'static str, Statements>,
    /// What the next `LOAD DATA LOCAL INFILE` sends.
    infile: Arc<Mutex<Vec<u8>>>,
}

struct Statements {
    load: String,
    /// `INSERT INTO t (columns) VALUES `, for the entities.
    insert: String,
    /// ` ON DUPLICATE KEY UPDATE ...`, for the entities.
    on_duplicate: String,
    delete: String,
}

impl MyWriter {
    /// Builds the statements and gives `conn` the handler that streams a batch's rows.
    pub fn new(conn: &mut Conn) -> MyWriter {
        let infile = Arc::new(Mutex::new(Vec::new()));
        let rows = Arc::clone(&infile);
        conn.set_local_infile_handler(Some(LocalInfileHandler::new(move |_name, stream| {
            let data = rows.lock().map_err(|_| std::io::Error::other("poisoned"))?;
            stream.write_all(&data)?;
            stream.flush()
        })));
        let statements = spec::TABLES
            .iter()
            .map(|table| (table.name, build(table)))
            .collect();
        MyWriter { statements, infile }
    }

    /// Deletes what hangs off the records `ids` in `children` (before writing new versions).
    pub fn delete_children(&self, conn: &mut Conn, children: &[&Table], ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let list = id_list(ids);
        for table in children {
            conn.query_drop(format!("{}({list})", self.statements[table.name].delete))
                .with_context(|| format!("cannot replace the rows of {}", table.name))?;
        }
        Ok(())
    }

    /// Writes every row of `records`: the roots first (the children's foreign keys need them),
    /// then the shared entities, then the children. Returns what the entity tables received.
    pub fn write(&self, conn: &mut Conn, records: &[&Rows]) -> Result<Written> {
        let mut by_table: HashMap<&'static str, Vec<&[Sql]>> = HashMap::new();
        for rows in records {
            for (table, values) in &rows.rows {
                by_table.entry(table.name).or_default().push(values);
            }
        }
        let mut written = Written::default();
        for role in [Role::Root, Role::Entity, Role::Child] {
            for table in spec::TABLES.iter().filter(|t| t.role == role) {
                let Some(rows) = by_table.get(table.name) else {
                    continue;
                };
                let done = match role {
                    Role::Entity => self.upsert(conn, table, rows).map(|w| {
                        written.inserted += w.inserted;
                        written.updated += w.updated;
                    }),
                    Role::Root | Role::Child => self.load(conn, table, rows),
                };
                done.with_context(|| format!("cannot write the rows of {}", table.name))?;
            }
        }
        Ok(written)
    }

    /// Streams `rows` into `table` with `LOAD DATA LOCAL INFILE ... REPLACE`.
    fn load(&self, conn: &mut Conn, table: &Table, rows: &[&[Sql]]) -> Result<()> {
        let mut text = String::new();
        for values in rows {
            text_rows::encode_row(&mut text, values);
            text.pop(); // the last value's tab
            text.push('\n');
        }
        *self.infile.lock().expect("infile lock") = text.into_bytes();
        let loaded = conn.query_drop(&self.statements[table.name].load);
        self.infile.lock().expect("infile lock").clear();
        loaded?;
        refuse_warnings(conn)
    }

    /// Upserts shared entities, the last row of an id winning; a row whose values are the
    /// stored ones is left alone. Counts what was new and what changed.
    fn upsert(&self, conn: &mut Conn, table: &Table, rows: &[&[Sql]]) -> Result<Written> {
        let mut last: HashMap<i64, usize> = HashMap::new();
        for (at, values) in rows.iter().enumerate() {
            let Sql::Integer(id) = values[0] else {
                bail!("an entity row without its integer id");
            };
            last.insert(id, at);
        }
        let mut picked: Vec<(i64, usize)> = last.into_iter().collect();
        picked.sort_unstable_by_key(|&(_, at)| at);
        let ids: Vec<i64> = picked.iter().map(|&(id, _)| id).collect();
        let present: Option<i64> = conn.query_first(format!(
            "SELECT count(*) FROM {} WHERE id IN ({})",
            table.name,
            id_list(&ids)
        ))?;
        let inserted = ids.len() as u64 - present.unwrap_or(0) as u64;
        let statements = &self.statements[table.name];
        let mut affected = 0;
        let mut sql = String::new();
        for (n, &(_, at)) in picked.iter().enumerate() {
            sql.push_str(if sql.is_empty() {
                &statements.insert
            } else {
                ", "
            });
            literal_row(&mut sql, rows[at]);
            if sql.len() >= STATEMENT_BYTES || n + 1 == picked.len() {
                sql.push_str(&statements.on_duplicate);
                conn.query_drop(&sql)?;
                refuse_warnings(conn)?;
                affected += conn.affected_rows();
                sql.clear();
            }
        }
        // MySQL counts 1 for a new row, 2 for a changed one, 0 for one left as it was.
        Ok(Written {
            inserted,
            updated: affected.saturating_sub(inserted) / 2,
        })
    }
}

/// Fails when the last statement left warnings (`LOAD DATA LOCAL` reports a value that does
/// not fit, or a row it skipped, as one), naming the first few.
fn refuse_warnings(conn: &mut Conn) -> Result<()> {
    if conn.warnings() == 0 {
        return Ok(());
    }
    let warnings: Vec<(String, u32, String)> = conn.query("SHOW WARNINGS LIMIT 3")?;
    let text = warnings
        .iter()
        .map(|(level, code, message)| format!("{level} {code}: {message}"))
        .collect::<Vec<_>>()
        .join("; ");
    bail!("the server changed or skipped values: {text}")
}

/// Comma-separated integers, for an `IN (...)` list.
pub fn id_list(ids: &[i64]) -> String {
    let mut out = String::with_capacity(ids.len() * 8);
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{id}");
    }
    out
}

/// `(v1, v2, ...)` as SQL literals. The session runs with `NO_BACKSLASH_ESCAPES`
/// (`tmdb_core::mysql`), so a quote doubled is the only escape a string needs.
pub fn literal_row(out: &mut String, values: &[Sql]) {
    out.push('(');
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        literal(out, value);
    }
    out.push(')');
}

fn literal(out: &mut String, value: &Sql) {
    match value {
        Sql::Null => out.push_str("NULL"),
        Sql::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        // With an exponent, MySQL reads the number as a double, not as an exact decimal.
        Sql::Real(r) => {
            let _ = write!(out, "{r:e}");
        }
        Sql::Text(text) => {
            out.push('\'');
            out.push_str(&text.replace('\'', "''"));
            out.push('\'');
        }
        Sql::Blob(bytes) => literal(out, &Sql::Text(String::from_utf8_lossy(bytes).into())),
    }
}

/// A column name as MySQL reads it: `character`, `key` and the like are reserved words.
fn quoted(column: &str) -> String {
    format!("`{column}`")
}

fn build(table: &Table) -> Statements {
    let columns: Vec<String> = table.columns().map(quoted).collect();
    let list = columns.join(", ");
    let values: Vec<&String> = columns.iter().skip(1).collect();
    let set = values
        .iter()
        .map(|c| format!("{c} = VALUES({c})"))
        .collect::<Vec<_>>()
        .join(", ");
    Statements {
        // text_rows' format: MySQL's default terminators, and its default escape character
        // named (NO_BACKSLASH_ESCAPES, which the session sets, would drop it; it also makes
        // '\' a one-character string).
        load: format!(
            "LOAD DATA LOCAL INFILE '{name}' REPLACE INTO TABLE {name} CHARACTER SET utf8mb4 \
             FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' ({list})",
            name = table.name
        ),
        insert: format!("INSERT INTO {} ({list}) VALUES ", table.name),
        on_duplicate: format!(" ON DUPLICATE KEY UPDATE {set}"),
        delete: format!("DELETE FROM {} WHERE {} IN ", table.name, table.lead[0]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_need_only_their_quotes_doubled() {
        let mut out = String::new();
        literal_row(
            &mut out,
            &[
                Sql::Null,
                Sql::Integer(-7),
                Sql::Real(2.522_000_000_000_000_2),
                Sql::Text("it's a \\ back".into()),
            ],
        );
        assert_eq!(out, "(NULL, -7, 2.5220000000000002e0, 'it''s a \\ back')");
    }

    #[test]
    fn statements_quote_reserved_column_names() {
        let credit = build(&spec::CREDIT);
        assert!(credit.load.contains("`character`"), "{}", credit.load);
        assert!(
            credit
                .load
                .starts_with("LOAD DATA LOCAL INFILE 'credit' REPLACE")
        );
        let genre = build(&spec::GENRE);
        assert!(
            genre.on_duplicate.contains("`name` = VALUES(`name`)"),
            "{}",
            genre.on_duplicate
        );
    }
}
