//! Writing the rows of a record: SQL built once per table from its description, run as cached
//! prepared statements. Nothing here begins or commits; the caller holds the transaction.

use foldhash::HashMap;
use std::sync::OnceLock;

use rusqlite::{Connection, params_from_iter};

use super::flatten::Rows;
use super::spec::{self, Role, Table};

/// The statements of one table.
struct Statements {
    /// Inserts a row; a root's and an entity's update the existing row instead (an entity's
    /// only when a value differs, so a shared company is not rewritten by every movie).
    insert: String,
    /// A child row whose key is taken already (TMDB lists a credit_id twice, or under two
    /// movies): the last one read wins.
    replace: String,
    /// Deletes a record's rows from a child table.
    delete: String,
}

fn statements(table: &Table) -> &'static Statements {
    static ALL: OnceLock<HashMap<&'static str, Statements>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        spec::TABLES
            .iter()
            .map(|table| (table.name, build(table)))
            .collect()
    });
    &all[table.name]
}

fn build(table: &Table) -> Statements {
    let columns: Vec<&str> = table.columns().collect();
    let list = columns.join(", ");
    let slots = (1..=columns.len())
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let values: Vec<&str> = columns.iter().copied().filter(|c| *c != "id").collect();
    let set = values
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let insert = match table.role {
        Role::Root => {
            format!(
                "INSERT INTO {} ({list}) VALUES ({slots}) ON CONFLICT (id) DO UPDATE SET {set}",
                table.name
            )
        }
        Role::Entity => {
            let old = values.join(", ");
            let new = values
                .iter()
                .map(|c| format!("excluded.{c}"))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "INSERT INTO {} ({list}) VALUES ({slots}) ON CONFLICT (id) DO UPDATE SET {set} \
                 WHERE ({old}) IS NOT ({new})",
                table.name
            )
        }
        Role::Child => format!("INSERT INTO {} ({list}) VALUES ({slots})", table.name),
    };
    Statements {
        insert,
        replace: format!(
            "INSERT OR REPLACE INTO {} ({list}) VALUES ({slots})",
            table.name
        ),
        delete: format!("DELETE FROM {} WHERE {} = ?1", table.name, table.lead[0]),
    }
}

/// Deletes what hangs off record `id` in `children` (before writing a new version of it).
pub fn delete_children(conn: &Connection, children: &[&Table], id: i64) -> rusqlite::Result<()> {
    for table in children {
        conn.prepare_cached(&statements(table).delete)?
            .execute([id])?;
    }
    Ok(())
}

/// Writes every row of a record. Consecutive rows of one table share one statement (a
/// movie's hundreds of credits are one lookup in the statement cache, not hundreds).
pub fn write(conn: &Connection, rows: &Rows) -> rusqlite::Result<()> {
    let mut current: Option<(&str, rusqlite::CachedStatement<'_>)> = None;
    for (table, values) in &rows.rows {
        let statements = statements(table);
        let insert = match &mut current {
            Some((name, insert)) if *name == table.name => insert,
            _ => {
                let insert = conn.prepare_cached(&statements.insert)?;
                &mut current.insert((table.name, insert)).1
            }
        };
        match insert.execute(params_from_iter(values)) {
            // A plain single-row INSERT needs no statement journal where an upsert does: the
            // plain form is much of a fresh load's speed, the replace is for the rare clash.
            Err(rusqlite::Error::SqliteFailure(err, _))
                if table.role == Role::Child
                    && (err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                        || err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE) =>
            {
                conn.prepare_cached(&statements.replace)?
                    .execute(params_from_iter(values))?;
            }
            other => {
                other?;
            }
        }
    }
    Ok(())
}
