//! Writing the rows of a record: SQL built once per table from its description, run as cached
//! prepared statements. Nothing here begins or commits; the caller holds the transaction.

use foldhash::HashMap;
use std::collections::hash_map::Entry;
use std::sync::OnceLock;

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::flatten::Rows;
use super::spec::{self, Role, Table};

/// Rows of one child table a single INSERT writes at most: a movie's credits go in a few
/// statements, not one each (each statement opens and closes a cursor per index, and those
/// were a tenth of a load's instructions).
const MOST_ROWS: usize = 32;

/// The statements of one table.
struct Statements {
    /// The table's position in `spec::TABLES`: a record's rows are written table by table in
    /// that order (roots, entities, then what hangs off them).
    rank: usize,
    /// Inserts a row; a root's and an entity's update the existing row instead (an entity's
    /// only when a value differs, so a shared company is not rewritten by every movie).
    insert: String,
    /// A child table's INSERT OR FAIL of 2^(i+1) rows, for i in 0..log2(MOST_ROWS): with the
    /// foreign keys off (ndjson-load's movie and person loads), nothing can abort it halfway,
    /// so it needs no statement journal (which copied every page a statement touched); a key
    /// clash stops it after the rows before the clash.
    insert_many: Vec<String>,
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
            .enumerate()
            .map(|(rank, table)| (table.name, build(rank, table)))
            .collect()
    });
    &all[table.name]
}

/// `(?1, ?2, ...), (...)`: `rows` tuples of `width` numbered parameters.
fn slots(width: usize, rows: usize) -> String {
    (0..rows)
        .map(|row| {
            let slots = (1..=width)
                .map(|i| format!("?{}", row * width + i))
                .collect::<Vec<_>>()
                .join(", ");
            format!("({slots})")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn build(rank: usize, table: &Table) -> Statements {
    let columns: Vec<&str> = table.columns().collect();
    let list = columns.join(", ");
    let one = slots(columns.len(), 1);
    let values: Vec<&str> = columns.iter().copied().filter(|c| *c != "id").collect();
    let set = values
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let insert = match table.role {
        Role::Root => {
            format!(
                "INSERT INTO {} ({list}) VALUES {one} ON CONFLICT (id) DO UPDATE SET {set}",
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
                "INSERT INTO {} ({list}) VALUES {one} ON CONFLICT (id) DO UPDATE SET {set} \
                 WHERE ({old}) IS NOT ({new})",
                table.name
            )
        }
        Role::Child => format!("INSERT INTO {} ({list}) VALUES {one}", table.name),
    };
    let insert_many = match table.role {
        Role::Child => std::iter::successors(Some(2), |n| Some(n * 2))
            .take_while(|&n| n <= MOST_ROWS)
            .map(|n| {
                let slots = slots(columns.len(), n);
                format!("INSERT OR FAIL INTO {} ({list}) VALUES {slots}", table.name)
            })
            .collect(),
        Role::Root | Role::Entity => Vec::new(),
    };
    Statements {
        rank,
        insert,
        insert_many,
        replace: format!(
            "INSERT OR REPLACE INTO {} ({list}) VALUES {one}",
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

/// The shared entities (genres, companies, keywords, watch providers...) written in the open
/// transaction, with their values. Movies name the same few dozen watch providers and genres
/// over and over: writing one again with the values it was just given would change nothing
/// (its upsert leaves an equal row alone), so it is not written again. Only valid while the
/// transaction that wrote them is open: the caller clears it when it ends.
#[derive(Default)]
pub struct Written {
    entities: HashMap<(&'static str, i64), Vec<Value>>,
}

impl Written {
    /// Forgets everything: the transaction ended.
    pub fn clear(&mut self) {
        self.entities.clear();
    }

    /// Whether this entity row was written with these values in this transaction; remembers
    /// it otherwise.
    fn again(&mut self, table: &'static str, values: &[Value]) -> bool {
        let Value::Integer(id) = values[0] else {
            return false;
        };
        match self.entities.entry((table, id)) {
            Entry::Occupied(entry) if entry.get() == values => true,
            Entry::Occupied(mut entry) => {
                *entry.get_mut() = values.to_vec();
                false
            }
            Entry::Vacant(entry) => {
                entry.insert(values.to_vec());
                false
            }
        }
    }
}

/// Writes every row of a record; `written` is what the open transaction wrote before.
///
/// Table by table, in the order of `spec::TABLES` (each table's rows in their order, so every
/// table ends as if the rows were written one by one in the record's order: the same rowids,
/// the same last writer of an entity), and a child table's rows in as few statements as
/// `MOST_ROWS` allows.
pub fn write(conn: &Connection, rows: &Rows, written: &mut Written) -> rusqlite::Result<()> {
    let mut order: Vec<(usize, &'static Table, &[Value])> = rows
        .rows
        .iter()
        .map(|(table, values)| (statements(table).rank, *table, values.as_slice()))
        .collect();
    order.sort_by_key(|(rank, _, _)| *rank); // stable: keeps each table's rows in order
    let mut rest = order.as_slice();
    while let Some(&(rank, table, _)) = rest.first() {
        let same = rest.iter().take_while(|(r, _, _)| *r == rank).count();
        let (run, tail) = rest.split_at(same);
        rest = tail;
        let run: Vec<&[Value]> = run.iter().map(|(_, _, values)| *values).collect();
        match table.role {
            Role::Child => insert_children(conn, table, &run)?,
            Role::Root | Role::Entity => {
                let mut insert = conn.prepare_cached(&statements(table).insert)?;
                for values in run {
                    if table.role == Role::Entity && written.again(table.name, values) {
                        continue;
                    }
                    insert.execute(params_from_iter(values))?;
                }
            }
        }
    }
    Ok(())
}

/// Inserts rows of a child table, up to `MOST_ROWS` per statement.
fn insert_children(conn: &Connection, table: &Table, run: &[&[Value]]) -> rusqlite::Result<()> {
    let statements = statements(table);
    let mut at = 0;
    while at < run.len() {
        // The largest power of two that fits: 2^(i+1) rows is `insert_many[i]`.
        let n = 1 << (run.len() - at).min(MOST_ROWS).ilog2();
        let rows = &run[at..at + n];
        if n == 1 {
            insert_child(conn, statements, rows[0])?;
            at += 1;
            continue;
        }
        let mut insert = conn.prepare_cached(&statements.insert_many[n.ilog2() as usize - 1])?;
        match insert.execute(params_from_iter(
            rows.iter().flat_map(|values| values.iter()),
        )) {
            Ok(_) => at += n,
            // A key taken already: OR FAIL kept the rows before the one that clashed (as
            // many as the statement changed); that one replaces the row that has its key,
            // and the rows after it go on.
            Err(err) if is_key_clash(&err) => {
                let kept = usize::try_from(conn.changes()).unwrap_or(usize::MAX);
                let Some(clash) = rows.get(kept) else {
                    return Err(err);
                };
                insert_child(conn, statements, clash)?;
                at += kept + 1;
            }
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

/// Inserts one row of a child table; one whose key is taken replaces the row that has it.
fn insert_child(
    conn: &Connection,
    statements: &Statements,
    values: &[Value],
) -> rusqlite::Result<()> {
    match conn
        .prepare_cached(&statements.insert)?
        .execute(params_from_iter(values))
    {
        // A plain single-row INSERT needs no statement journal where an upsert does: the
        // plain form is much of a fresh load's speed, the replace is for the rare clash.
        Err(err) if is_key_clash(&err) => {
            conn.prepare_cached(&statements.replace)?
                .execute(params_from_iter(values))?;
            Ok(())
        }
        other => other.map(|_| ()),
    }
}

fn is_key_clash(err: &rusqlite::Error) -> bool {
    matches!(err, rusqlite::Error::SqliteFailure(err, _)
        if err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            || err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}
