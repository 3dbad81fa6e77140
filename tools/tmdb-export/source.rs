//! The reader side of the export: a table's columns and its rows, from a mirror database.
//!
//! [`Source`] is the seam each storage backend implements: SQLite, PostgreSQL and
//! MySQL/MariaDB. A source says what the schema declares (never what the values happen to
//! be, but for the one question of whether a text column holds only dates) and streams rows one
//! at a time, so the writers never hold a table in memory.

use std::cell::RefCell;

use anyhow::{Context, Result, anyhow};
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;
use rusqlite::Connection;
use rusqlite::types::ValueRef;
use tmdb_core::mysql::MyUrl;
use tmdb_core::pg::PgUrl;

/// The type a column is declared with in `sql/`, as the backend understands it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declared {
    /// INTEGER (SQLite: any declared type containing "INT").
    Integer,
    /// REAL, DOUBLE, FLOAT.
    Real,
    /// TEXT, VARCHAR, CLOB.
    Text,
    /// Anything else (no type, NUMERIC, BLOB): exported as text.
    Other,
}

/// One column of a table.
#[derive(Debug, Clone)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its declared type.
    pub declared: Declared,
    /// Whether the schema lets it hold NULL.
    pub nullable: bool,
}

/// One value of a row, as the database holds it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// NULL.
    Null,
    /// An integer.
    Integer(i64),
    /// A double.
    Real(f64),
    /// Text, as stored (UTF-8 unless a writer put something else there).
    Text(&'a [u8]),
    /// Bytes (the mirror writes none).
    Blob(&'a [u8]),
}

/// A mirror database the export reads from.
pub trait Source {
    /// The columns of `table`, in the order its rows hold them.
    fn columns(&self, table: &str) -> Result<Vec<Column>>;

    /// Whether `column` holds at least one value and every value it holds is a date written
    /// `YYYY-MM-DD` (TMDB's `""` for an unknown date is not one).
    fn is_date(&self, table: &str, column: &str) -> Result<bool>;

    /// Calls `row` with every row of `table`, in primary-key (or storage) order, the same on
    /// every run; returns the number of rows. A table is read in one consistent snapshot.
    fn scan(&self, table: &str, row: &mut dyn FnMut(&[Value<'_>]) -> Result<()>) -> Result<u64>;
}

/// A SQLite mirror, opened read-only.
pub struct Sqlite {
    conn: Connection,
}

impl Sqlite {
    /// Wraps a read-only connection.
    pub fn new(conn: Connection) -> Sqlite {
        Sqlite { conn }
    }
}

/// SQLite's type affinity rules (https://www.sqlite.org/datatype3.html, section 3.1), in their
/// order: what a value stored in the column becomes.
fn affinity(declared: &str) -> Declared {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") {
        Declared::Integer
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        Declared::Text
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        Declared::Real
    } else {
        Declared::Other
    }
}

/// Quotes an identifier for SQL (table and column names come from the schema).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Source for Sqlite {
    fn columns(&self, table: &str) -> Result<Vec<Column>> {
        let mut stmt = self.conn.prepare(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1) ORDER BY cid",
        )?;
        let rows = stmt.query_map([table], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        let mut columns = Vec::new();
        let mut pk = 0;
        for row in rows {
            let (name, declared, not_null, key) = row?;
            pk += usize::from(key > 0);
            columns.push((name, affinity(&declared), not_null, key > 0));
        }
        anyhow::ensure!(!columns.is_empty(), "the database has no table {table}");
        // A lone INTEGER PRIMARY KEY is the rowid, never NULL though not declared NOT NULL.
        Ok(columns
            .into_iter()
            .map(|(name, declared, not_null, key)| Column {
                nullable: !(not_null || (key && pk == 1 && declared == Declared::Integer)),
                name,
                declared,
            })
            .collect())
    }

    fn is_date(&self, table: &str, column: &str) -> Result<bool> {
        // Each EXISTS stops at its first witness, so a column that is not all dates costs a
        // row or two, not a scan. date() checks the calendar (it turns 2023-02-30 into
        // 2023-03-02, which then differs).
        let (t, c) = (quoted(table), quoted(column));
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {t} WHERE {c} IS NOT NULL) \
             AND NOT EXISTS (SELECT 1 FROM {t} WHERE {c} IS NOT NULL AND (typeof({c}) <> 'text' \
               OR {c} NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' OR date({c}) IS NOT {c}))"
        );
        self.conn
            .query_row(&sql, [], |r| r.get(0))
            .with_context(|| format!("cannot read {table}.{column}"))
    }

    fn scan(&self, table: &str, row: &mut dyn FnMut(&[Value<'_>]) -> Result<()>) -> Result<u64> {
        // A WITHOUT ROWID table is stored in primary-key order, any other in rowid order: both
        // orders are a plain scan (credit's ORDER BY credit_id would walk an index and jump
        // about the table for every row).
        let without_rowid: bool = self
            .conn
            .query_row(
                "SELECT wr FROM pragma_table_list WHERE name = ?1 AND schema = 'main'",
                [table],
                |r| r.get(0),
            )
            .with_context(|| format!("the database has no table {table}"))?;
        let order = if without_rowid {
            let mut stmt = self
                .conn
                .prepare("SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk")?;
            let keys: Vec<String> = stmt
                .query_map([table], |r| r.get::<_, String>(0))?
                .map(|k| k.map(|k| quoted(&k)))
                .collect::<rusqlite::Result<_>>()?;
            keys.join(", ")
        } else {
            "rowid".to_owned()
        };
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT * FROM {} ORDER BY {order}", quoted(table)))?;
        let width = stmt.column_count();
        let mut rows = stmt.query([])?;
        let mut count = 0u64;
        while let Some(r) = rows.next()? {
            let values = (0..width)
                .map(|i| {
                    Ok(match r.get_ref(i)? {
                        ValueRef::Null => Value::Null,
                        ValueRef::Integer(n) => Value::Integer(n),
                        ValueRef::Real(x) => Value::Real(x),
                        ValueRef::Text(t) => Value::Text(t),
                        ValueRef::Blob(b) => Value::Blob(b),
                    })
                })
                .collect::<rusqlite::Result<Vec<_>>>()?;
            row(&values)?;
            count += 1;
        }
        Ok(count)
    }
}

/// A PostgreSQL mirror. Its booleans are exported as SQLite's 0/1 (the export's types come
/// from the one description, so they become booleans again), its jsonb as compact JSON text.
pub struct Postgres {
    client: RefCell<postgres::Client>,
    url: PgUrl,
}

impl Postgres {
    /// Wraps a connection to the mirror at `url`.
    pub fn new(client: postgres::Client, url: PgUrl) -> Postgres {
        Postgres {
            client: RefCell::new(client),
            url,
        }
    }

    fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<postgres::Row>> {
        self.client
            .borrow_mut()
            .query(sql, params)
            .map_err(|err| anyhow!("{}", self.url.explain(&err)))
    }

    /// The columns with their PostgreSQL type names.
    fn typed_columns(&self, table: &str) -> Result<Vec<(String, String, bool)>> {
        let rows = self.query(
            "SELECT column_name::text, data_type::text, is_nullable = 'YES'
             FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1
             ORDER BY ordinal_position",
            &[&table],
        )?;
        anyhow::ensure!(!rows.is_empty(), "the database has no table {table}");
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }
}

/// JSON text as serde_json writes it (no spaces), which is how the SQLite mirror stores it.
fn compact_json(text: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(json) => json.to_string(),
        Err(_) => text.to_owned(),
    }
}

/// How a PostgreSQL type is exported.
fn pg_declared(data_type: &str) -> Declared {
    match data_type {
        "bigint" | "integer" | "smallint" | "boolean" => Declared::Integer,
        "double precision" | "real" => Declared::Real,
        "text" | "character varying" | "jsonb" | "json" => Declared::Text,
        _ => Declared::Other,
    }
}

impl Source for Postgres {
    fn columns(&self, table: &str) -> Result<Vec<Column>> {
        Ok(self
            .typed_columns(table)?
            .into_iter()
            .map(|(name, data_type, nullable)| Column {
                name,
                declared: pg_declared(&data_type),
                nullable,
            })
            .collect())
    }

    fn is_date(&self, table: &str, column: &str) -> Result<bool> {
        let (t, c) = (quoted(table), quoted(column));
        let shaped: bool = self.query(
            &format!(
                "SELECT EXISTS (SELECT 1 FROM {t} WHERE {c} IS NOT NULL)
                 AND NOT EXISTS (SELECT 1 FROM {t} WHERE {c} IS NOT NULL
                     AND {c}::text !~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$')"
            ),
            &[],
        )?[0]
            .get(0);
        if !shaped {
            return Ok(false);
        }
        // Every value looks like a date; the cast refuses one the calendar lacks (2023-02-30).
        let calendar = self.client.borrow_mut().query(
            &format!(
                "SELECT count(*) FROM {t} WHERE {c} IS NOT NULL AND {c}::date::text <> {c}::text"
            ),
            &[],
        );
        Ok(calendar.is_ok_and(|rows| rows[0].get::<_, i64>(0) == 0))
    }

    fn scan(&self, table: &str, row: &mut dyn FnMut(&[Value<'_>]) -> Result<()>) -> Result<u64> {
        let columns = self.typed_columns(table)?;
        let keys: Vec<String> = self
            .query(
                "SELECT a.attname::text FROM pg_index i
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                 WHERE i.indrelid = $1::text::regclass AND i.indisprimary
                 ORDER BY array_position(i.indkey::int2[], a.attnum)",
                &[&table],
            )?
            .iter()
            .map(|r| quoted(&r.get::<_, String>(0)))
            .collect();
        let select: Vec<String> = columns
            .iter()
            .map(|(name, data_type, _)| match data_type.as_str() {
                "boolean" => format!("{}::int4::int8", quoted(name)),
                "integer" | "smallint" => format!("{}::int8", quoted(name)),
                "real" => format!("{}::float8", quoted(name)),
                "bigint" | "double precision" => quoted(name),
                "jsonb" | "json" => format!("{}::text", quoted(name)),
                _ => format!("{}::text", quoted(name)),
            })
            .collect();
        let order = if keys.is_empty() {
            String::new()
        } else {
            format!(" ORDER BY {}", keys.join(", "))
        };
        let sql = format!("SELECT {} FROM {}{order}", select.join(", "), quoted(table));
        let mut client = self.client.borrow_mut();
        let explain = |err: postgres::Error| anyhow!("{}", self.url.explain(&err));
        let mut rows = client
            .query_raw(&sql, std::iter::empty::<i64>())
            .map_err(explain)?;
        let mut count = 0u64;
        let mut texts: Vec<Option<String>> = vec![None; columns.len()];
        let mut numbers: Vec<Value<'static>> = vec![Value::Null; columns.len()];
        while let Some(r) = rows.next().map_err(explain)? {
            for (i, (_, data_type, _)) in columns.iter().enumerate() {
                texts[i] = None;
                numbers[i] = Value::Null;
                match pg_declared(data_type) {
                    Declared::Integer => {
                        if let Some(n) = r.get::<_, Option<i64>>(i) {
                            numbers[i] = Value::Integer(n);
                        }
                    }
                    Declared::Real => {
                        if let Some(x) = r.get::<_, Option<f64>>(i) {
                            numbers[i] = Value::Real(x);
                        }
                    }
                    Declared::Text | Declared::Other => {
                        let text: Option<String> = r.get(i);
                        texts[i] = match data_type.as_str() {
                            // jsonb prints `["GB", "US"]`; the SQLite mirror holds `["GB","US"]`.
                            "jsonb" | "json" => text.map(|text| compact_json(&text)),
                            _ => text,
                        };
                    }
                }
            }
            let values: Vec<Value<'_>> = numbers
                .iter()
                .zip(&texts)
                .map(|(number, text)| match text {
                    Some(text) => Value::Text(text.as_bytes()),
                    None => *number,
                })
                .collect();
            row(&values)?;
            count += 1;
        }
        Ok(count)
    }
}

/// A MySQL or MariaDB mirror. Its booleans are tiny integers already (0/1, as in SQLite); JSON
/// is exported as compact JSON text (MariaDB keeps it as written, MySQL reformats it).
pub struct Mysql {
    conn: RefCell<mysql::Conn>,
    url: MyUrl,
}

impl Mysql {
    /// Wraps a connection to the mirror at `url`.
    pub fn new(conn: mysql::Conn, url: MyUrl) -> Mysql {
        Mysql {
            conn: RefCell::new(conn),
            url,
        }
    }

    fn explain(&self, err: mysql::Error) -> anyhow::Error {
        anyhow!("{}", self.url.explain(&err))
    }

    /// The columns with their MySQL type names (`data_type`: bigint, double, longtext, json...).
    fn typed_columns(&self, table: &str) -> Result<Vec<(String, String, bool)>> {
        use mysql::prelude::Queryable;
        let rows: Vec<(String, String, String)> = self
            .conn
            .borrow_mut()
            .exec(
                "SELECT column_name, data_type, is_nullable FROM information_schema.columns
                 WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position",
                (table,),
            )
            .map_err(|err| self.explain(err))?;
        anyhow::ensure!(!rows.is_empty(), "the database has no table {table}");
        Ok(rows
            .into_iter()
            .map(|(name, data_type, nullable)| {
                (name, data_type.to_ascii_lowercase(), nullable == "YES")
            })
            .collect())
    }
}

/// How a MySQL type is exported.
fn mysql_declared(data_type: &str) -> Declared {
    match data_type {
        "bigint" | "int" | "mediumint" | "smallint" | "tinyint" => Declared::Integer,
        "double" | "float" => Declared::Real,
        "varchar" | "char" | "text" | "mediumtext" | "longtext" | "json" => Declared::Text,
        _ => Declared::Other,
    }
}

/// An identifier quoted for MySQL.
fn backquoted(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

impl Source for Mysql {
    fn columns(&self, table: &str) -> Result<Vec<Column>> {
        Ok(self
            .typed_columns(table)?
            .into_iter()
            .map(|(name, data_type, nullable)| Column {
                name,
                declared: mysql_declared(&data_type),
                nullable,
            })
            .collect())
    }

    fn is_date(&self, table: &str, column: &str) -> Result<bool> {
        use mysql::prelude::Queryable;
        let t = backquoted(table);
        let c = format!("CAST({} AS CHAR)", backquoted(column));
        // STR_TO_DATE gives NULL for a day the calendar lacks (2023-02-30).
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {t} WHERE {c} IS NOT NULL)
             AND NOT EXISTS (SELECT 1 FROM {t} WHERE {c} IS NOT NULL
                 AND ({c} NOT REGEXP '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$'
                      OR STR_TO_DATE({c}, '%Y-%m-%d') IS NULL
                      OR DATE_FORMAT(STR_TO_DATE({c}, '%Y-%m-%d'), '%Y-%m-%d') <> {c}))"
        );
        let dated: Option<i64> = self
            .conn
            .borrow_mut()
            .query_first(sql)
            .map_err(|err| self.explain(err))
            .with_context(|| format!("cannot read {table}.{column}"))?;
        Ok(dated == Some(1))
    }

    fn scan(&self, table: &str, row: &mut dyn FnMut(&[Value<'_>]) -> Result<()>) -> Result<u64> {
        use mysql::prelude::Queryable;
        let columns = self.typed_columns(table)?;
        let keys: Vec<String> = self
            .conn
            .borrow_mut()
            .exec::<String, _, _>(
                "SELECT column_name FROM information_schema.key_column_usage
                 WHERE table_schema = DATABASE() AND table_name = ? AND constraint_name = 'PRIMARY'
                 ORDER BY ordinal_position",
                (table,),
            )
            .map_err(|err| self.explain(err))?
            .iter()
            .map(|k| backquoted(k))
            .collect();
        let list: Vec<String> = columns
            .iter()
            .map(|(name, _, _)| backquoted(name))
            .collect();
        let order = if keys.is_empty() {
            String::new()
        } else {
            format!(" ORDER BY {}", keys.join(", "))
        };
        let sql = format!(
            "SELECT {} FROM {}{order}",
            list.join(", "),
            backquoted(table)
        );
        let mut conn = self.conn.borrow_mut();
        // The binary protocol (a prepared statement) gives integers and doubles as numbers.
        let rows = conn.exec_iter(sql, ()).map_err(|err| self.explain(err))?;
        let mut count = 0u64;
        let mut texts: Vec<Option<Vec<u8>>> = vec![None; columns.len()];
        for r in rows {
            let r = r.map_err(|err| self.explain(err))?;
            let mut numbers: Vec<Value<'static>> = vec![Value::Null; columns.len()];
            for (i, (_, data_type, _)) in columns.iter().enumerate() {
                texts[i] = None;
                match r.as_ref(i) {
                    Some(mysql::Value::Int(n)) => numbers[i] = Value::Integer(*n),
                    Some(mysql::Value::UInt(n)) => numbers[i] = Value::Integer(*n as i64),
                    Some(mysql::Value::Double(x)) => numbers[i] = Value::Real(*x),
                    Some(mysql::Value::Float(x)) => numbers[i] = Value::Real(f64::from(*x)),
                    Some(mysql::Value::Bytes(bytes)) => {
                        texts[i] = Some(match data_type.as_str() {
                            "json" => compact_json(&String::from_utf8_lossy(bytes)).into_bytes(),
                            _ => bytes.clone(),
                        });
                    }
                    _ => {}
                }
            }
            let values: Vec<Value<'_>> = numbers
                .iter()
                .zip(&texts)
                .map(|(number, text)| match text {
                    Some(text) => Value::Text(text),
                    None => *number,
                })
                .collect();
            row(&values)?;
            count += 1;
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affinity_follows_sqlite_rules() {
        for (declared, want) in [
            ("INTEGER", Declared::Integer),
            ("bigint", Declared::Integer),
            ("TEXT", Declared::Text),
            ("VARCHAR(10)", Declared::Text),
            ("REAL", Declared::Real),
            ("DOUBLE PRECISION", Declared::Real),
            ("", Declared::Other),
            ("NUMERIC", Declared::Other),
        ] {
            assert_eq!(affinity(declared), want, "{declared}");
        }
    }

    #[test]
    fn a_date_column_holds_only_calendar_dates() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (a TEXT, b TEXT, c TEXT, d TEXT, e TEXT);
             INSERT INTO t VALUES ('2020-02-29', '2020-01-01', NULL, '2023-02-30', '2020-01-01');
             INSERT INTO t VALUES (NULL, '', NULL, NULL, '2020-01-01T00:00:00Z');",
        )
        .unwrap();
        let db = Sqlite::new(conn);
        let dates: Vec<bool> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|c| db.is_date("t", c).unwrap())
            .collect();
        assert_eq!(dates, [true, false, false, false, false]);
    }
}
