//! The read side of storage: the one interface through which tmdb-serve (and the record
//! rebuild it shares with the tests) reads a mirror, whatever database holds it.
//!
//! [`Read`] runs a statement with [`Param`]s and hands each result row to a callback as a
//! [`Row`] of borrowed [`Val`]s (no copy of a text column: the by-id answers are the hot path).
//! The SQL common to all databases is written once, in SQLite's dialect, which is what the
//! SQLite mirror runs as it is; another backend translates it once per statement text
//! ([`Dialect::translate`]) and keeps the prepared statement. What cannot be translated,
//! because the databases do it differently rather than spell it differently (full-text search
//! and its ranking, the change counter, the schema version), is a [`Dialect`] method of its
//! own. docs/architecture.md ("Storage") tells the whole design.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use rusqlite::types::ValueRef;

use crate::mysql::MyUrl;
use crate::pg::PgUrl;

/// A parameter of a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A double.
    Real(f64),
    /// Text.
    Text(String),
    /// A flag: 1/0 for SQLite, a boolean where the column is one.
    Bool(bool),
}

impl From<i64> for Param {
    fn from(n: i64) -> Param {
        Param::Int(n)
    }
}

impl From<&str> for Param {
    fn from(s: &str) -> Param {
        Param::Text(s.to_owned())
    }
}

impl From<String> for Param {
    fn from(s: String) -> Param {
        Param::Text(s)
    }
}

impl From<bool> for Param {
    fn from(b: bool) -> Param {
        Param::Bool(b)
    }
}

/// One value of a result row, borrowed from the row. Flags come as `Int(0)`/`Int(1)` from
/// every backend (SQLite stores them so), JSON as its text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val<'a> {
    /// NULL.
    Null,
    /// An integer or a flag.
    Int(i64),
    /// A double.
    Real(f64),
    /// Text (UTF-8 unless a writer put something else there) or JSON text.
    Text(&'a [u8]),
}

/// An error of the database, with its own words (a server's URL is part of it only with its
/// password masked).
#[derive(Debug)]
pub enum Error {
    /// SQLite's.
    Sqlite(rusqlite::Error),
    /// PostgreSQL's, already put in one line.
    Postgres(String),
    /// MySQL's or MariaDB's, already put in one line.
    Mysql(String),
    /// A value the reader could not take (a column of a type the mirror never writes).
    Value(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Sqlite(err) => write!(f, "{err}"),
            Error::Postgres(text) | Error::Mysql(text) | Error::Value(text) => f.write_str(text),
        }
    }
}

impl StdError for Error {}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Error {
        Error::Sqlite(err)
    }
}

/// What reading answers.
pub type Result<T> = std::result::Result<T, Error>;

/// A result row.
pub enum Row<'a> {
    /// A row of a SQLite statement.
    Sqlite(&'a rusqlite::Row<'a>),
    /// A row of a PostgreSQL statement.
    Postgres(&'a postgres::Row),
    /// A row of a MySQL statement (the binary protocol: numbers come as numbers).
    Mysql(&'a mysql::Row),
}

impl Row<'_> {
    /// The value of column `i`.
    pub fn get(&self, i: usize) -> Result<Val<'_>> {
        match self {
            Row::Sqlite(row) => Ok(match row.get_ref(i)? {
                ValueRef::Null => Val::Null,
                ValueRef::Integer(n) => Val::Int(n),
                ValueRef::Real(x) => Val::Real(x),
                ValueRef::Text(t) | ValueRef::Blob(t) => Val::Text(t),
            }),
            Row::Postgres(row) => row
                .try_get::<_, Val<'_>>(i)
                .map_err(|err| Error::Value(format!("column {i}: {err}"))),
            Row::Mysql(row) => mysql_val(row, i),
        }
    }

    /// Column `i` as an integer (a flag as 0/1); None for NULL or another type.
    pub fn int(&self, i: usize) -> Result<Option<i64>> {
        Ok(match self.get(i)? {
            Val::Int(n) => Some(n),
            _ => None,
        })
    }

    /// Column `i` as text; None for NULL or another type.
    pub fn text(&self, i: usize) -> Result<Option<String>> {
        Ok(match self.get(i)? {
            Val::Text(t) => Some(owned_text(t)),
            _ => None,
        })
    }

    /// The number of columns.
    pub fn len(&self) -> usize {
        match self {
            Row::Sqlite(row) => row.as_ref().column_count(),
            Row::Postgres(row) => row.len(),
            Row::Mysql(row) => row.len(),
        }
    }

    /// Whether the row has no columns.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name of column `i`.
    pub fn name(&self, i: usize) -> &str {
        match self {
            Row::Sqlite(row) => row.as_ref().column_name(i).unwrap_or_default(),
            Row::Postgres(row) => row.columns()[i].name(),
            Row::Mysql(row) => {
                std::str::from_utf8(row.columns_ref()[i].name_ref()).unwrap_or_default()
            }
        }
    }
}

/// A text column's bytes as a String. What the loader writes is always UTF-8, checked by
/// `from_utf8`'s fast path; anything else gets replacement characters.
pub fn owned_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// A connection that reads a mirror.
pub trait Read {
    /// How this database spells what SQLite's SQL does not say for it.
    fn dialect(&self) -> Dialect;

    /// Runs `sql` (SQLite's dialect, `?N` and `?` parameters) with `params`, calling `each` with
    /// the rows in order while it answers true; the first error stops it too. Stopping early
    /// spares a SQLite statement the rows after (a walk of an index reads only what it needs).
    fn each_while(
        &self,
        sql: &str,
        params: &[Param],
        each: &mut dyn FnMut(&Row<'_>) -> Result<bool>,
    ) -> Result<()>;

    /// [`Read::each_while`] over every row.
    fn each(
        &self,
        sql: &str,
        params: &[Param],
        each: &mut dyn FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        self.each_while(sql, params, &mut |row| each(row).map(|()| true))
    }
}

/// Every row of `sql`, each made a `T` by `map`.
pub fn rows<T>(
    db: &(impl Read + ?Sized),
    sql: &str,
    params: &[Param],
    mut map: impl FnMut(&Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    db.each(sql, params, &mut |row| {
        out.push(map(row)?);
        Ok(())
    })?;
    Ok(out)
}

/// The first row of `sql` made a `T` by `map`, None when there is none.
pub fn first<T>(
    db: &(impl Read + ?Sized),
    sql: &str,
    params: &[Param],
    map: impl FnOnce(&Row<'_>) -> Result<T>,
) -> Result<Option<T>> {
    let mut map = Some(map);
    let mut out = None;
    db.each(sql, params, &mut |row| {
        if let Some(map) = map.take() {
            out = Some(map(row)?);
        }
        Ok(())
    })?;
    Ok(out)
}

impl Read for rusqlite::Connection {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn each_while(
        &self,
        sql: &str,
        params: &[Param],
        each: &mut dyn FnMut(&Row<'_>) -> Result<bool>,
    ) -> Result<()> {
        let mut stmt = self.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        while let Some(row) = rows.next()? {
            if !each(&Row::Sqlite(row))? {
                break;
            }
        }
        Ok(())
    }
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value};
        Ok(match self {
            Param::Null => ToSqlOutput::Owned(Value::Null),
            Param::Int(n) => ToSqlOutput::Owned(Value::Integer(*n)),
            Param::Real(x) => ToSqlOutput::Owned(Value::Real(*x)),
            Param::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Param::Bool(b) => ToSqlOutput::Owned(Value::Integer(i64::from(*b))),
        })
    }
}

/// The SQL dialect of a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite: the dialect the statements are written in; FTS5 search.
    Sqlite,
    /// PostgreSQL: statements translated; tsvector search (sql/postgres/0002_search.sql).
    Postgres,
    /// MySQL and MariaDB: statements translated; InnoDB FULLTEXT search
    /// (sql/mysql/0002_serve.sql).
    Mysql,
}

/// How a list searches one table's full-text index: the FROM and the WHERE condition that
/// match (the query is `?1`, `alias` the table's rows), and an expression to sort by, best
/// first when ascending.
pub struct Search {
    /// `FROM ...` joining whatever the match needs to the table, aliased as asked.
    pub from: String,
    /// The match condition.
    pub matches: String,
    /// The ranking, ascending = best first.
    pub rank: String,
    /// `SELECT id, rank` of every match without reading the table's rows, where the match
    /// has an index of its own to read them from (SQLite's FTS5 table); None elsewhere.
    pub ranked_ids: Option<String>,
}

/// The table searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Searched {
    /// Movies by title and original title.
    Movies,
    /// People by name and other names.
    People,
}

impl Dialect {
    /// The search query for what a user typed, already split into `words` (the last one a
    /// prefix), as this dialect's match operator takes it as `?1`. `None` when nothing is
    /// left to search for.
    pub fn search_query(&self, words: &[&str]) -> Option<String> {
        let last = words.len().checked_sub(1)?;
        let mut out = String::new();
        for (i, word) in words.iter().enumerate() {
            match self {
                // Each word quoted, so FTS5 operators and punctuation lose their meaning.
                Dialect::Sqlite => {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push('"');
                    out.push_str(&word.replace('"', ""));
                    out.push('"');
                    if i == last {
                        out.push('*');
                    }
                }
                // Each word a quoted lexeme, all of them required, the last a prefix.
                Dialect::Postgres => {
                    if i > 0 {
                        out.push_str(" & ");
                    }
                    out.push('\'');
                    out.push_str(&word.replace(['\'', '\\'], ""));
                    out.push('\'');
                    if i == last {
                        out.push_str(":*");
                    }
                }
                // Each word required (`+`), the last a prefix (`*`). A word is cut where
                // InnoDB's parser cuts it, at what is not a letter or digit (the query's words
                // are cut at ASCII punctuation already), and each part required: an emoji
                // alone is no word, as in SQLite's index.
                Dialect::Mysql => {
                    let parts: Vec<&str> = word
                        .split(|c: char| !c.is_alphanumeric())
                        .filter(|p| !p.is_empty())
                        .collect();
                    for (n, part) in parts.iter().enumerate() {
                        if !out.is_empty() {
                            out.push(' ');
                        }
                        out.push('+');
                        out.push_str(part);
                        if i == last && n + 1 == parts.len() {
                            out.push('*');
                        }
                    }
                }
            }
        }
        (!out.is_empty()).then_some(out)
    }

    /// How to search `table` with the query `?1` ([`Dialect::search_query`]); its rows are
    /// aliased `alias`. SQLite ranks with bm25 over its FTS5 index (the title weighs four
    /// times the original title, `cached_bm25` of tmdb-serve); PostgreSQL with ts_rank over
    /// the same columns, weighted alike, normalised by length as bm25 favours short matches;
    /// MySQL with InnoDB's FULLTEXT relevance divided by the weighted length.
    pub fn search(&self, table: Searched, alias: &str) -> Search {
        let (name, fts, first, second) = match table {
            Searched::Movies => ("movie", "movie_fts", "title", "original_title"),
            Searched::People => ("people", "people_fts", "name", "also_known_as"),
        };
        match self {
            Dialect::Sqlite => {
                let rank = format!("cached_bm25({fts}, '{fts}', ?1, 4.0, 1.0)");
                Search {
                    from: format!(
                        "FROM {fts} CROSS JOIN {name} {alias} ON {alias}.id = {fts}.rowid"
                    ),
                    matches: format!("{fts} MATCH ?1"),
                    ranked_ids: Some(format!(
                        "SELECT {fts}.rowid, {rank} FROM {fts} WHERE {fts} MATCH ?1"
                    )),
                    rank,
                }
            }
            Dialect::Postgres => {
                // The indexed expression of sql/postgres/0002_search.sql, exactly.
                let second_text = match table {
                    Searched::Movies => format!("{alias}.{second}"),
                    Searched::People => format!("{alias}.{second} #>> '{{}}'"),
                };
                let vector = |column: &str, weight: char| {
                    format!("setweight(tmdb_search_text({column}), '{weight}')")
                };
                Search {
                    from: format!("FROM {name} {alias}"),
                    matches: format!(
                        "tmdb_search_text({alias}.{first}, {second_text}) @@ tmdb_search_query(?1)"
                    ),
                    rank: format!(
                        "-ts_rank('{{0.25, 0, 0, 1}}', {} || {}, tmdb_search_query(?1), 2)",
                        vector(&format!("{alias}.{first}"), 'A'),
                        vector(&second_text, 'D'),
                    ),
                    ranked_ids: None,
                }
            }
            // The FULLTEXT index of sql/mysql/0002_serve.sql over both columns. InnoDB's
            // relevance does not weigh a match by the length of what it matched in, as bm25
            // does, so it is divided by that length (the title's counting four times, as its
            // weight does in SQLite): of two titles holding the words, the shorter comes first,
            // and an exact title before the longer ones that contain it.
            Dialect::Mysql => {
                let against = format!(
                    "MATCH ({alias}.{first}, {alias}.{second}) AGAINST (?1 IN BOOLEAN MODE)"
                );
                Search {
                    from: format!("FROM {name} {alias}"),
                    rank: format!(
                        "-{against} / (4 * char_length(coalesce({alias}.{first}, '')) \
                         + char_length(coalesce({alias}.{second}, '')) + 1)"
                    ),
                    matches: against,
                    ranked_ids: None,
                }
            }
        }
    }

    /// A statement whose one value changes whenever a load commits (SQLite's own
    /// `data_version`; the counter of sql/postgres/0004_serve.sql and sql/mysql/0002_serve.sql).
    pub fn change_counter(&self) -> &'static str {
        match self {
            Dialect::Sqlite => "PRAGMA data_version",
            Dialect::Postgres | Dialect::Mysql => "SELECT changes FROM tmdb_change_counter",
        }
    }

    /// A statement whose one value is the schema version.
    pub fn schema_version(&self) -> &'static str {
        match self {
            Dialect::Sqlite => "PRAGMA user_version",
            Dialect::Postgres => "SELECT coalesce(max(version), 0)::int8 FROM schema_migrations",
            Dialect::Mysql => "SELECT coalesce(max(version), 0) FROM schema_migrations",
        }
    }
}

/// The flag columns (booleans in PostgreSQL, 0/1 in SQLite) that SQL compares with 0 or 1.
const FLAGS: &[&str] = &["adult", "video", "softcore", "official"];

/// SQLite's SQL as PostgreSQL takes it. The statements are the mirror's own (no user text is
/// ever part of them: values are parameters), so the rules cover what they use:
///
/// - `?N` is `$N`; a bare `?` numbers after the highest number before it, as SQLite's do;
/// - `INDEXED BY name` and `NOT INDEXED` (SQLite's plan hints) go; `CROSS JOIN ... ON` (which
///   fixes SQLite's join order) is a `JOIN`; `+column` in an ORDER BY (which keeps SQLite off
///   the column's index) is the column;
/// - a flag compared with 0 or 1 is compared with false or true; a bare `0` or `1` condition
///   is false or true; `IS NOT 3` is `IS DISTINCT FROM 3`;
/// - NULLs sort as SQLite sorts them, lowest: `DESC` is `DESC NULLS LAST` and `ASC` is
///   `ASC NULLS FIRST` unless the statement says where;
/// - the JSON functions are PostgreSQL's: `json_object` is `json_build_object`,
///   `json_group_array` and `json_group_object` are `json_agg` and `json_object_agg` (an empty
///   set giving `[]` and `{}`, as SQLite's do), `json(x)` is `to_json(x)`, `json('false')` the
///   JSON literal, `json_array()` is `[]` and `json_array(x, y)` is `json_build_array(x, y)`,
///   `json_valid(x)` is `x IS NOT NULL` (a jsonb column
///   holds only valid JSON) and `json_each(?N) AS t` of an array of ids is its rows
///   (`t.value`, `t.key`);
/// - a subquery in FROM gets the alias PostgreSQL 15 requires.
pub fn to_postgres(sql: &str) -> String {
    let mut highest = 0;
    let mut aliases = 0;
    translate(&tokenize(sql), &mut highest, &mut aliases)
}

/// [`to_postgres`] of `tokens`, whose bare `?`s number on from `highest`.
fn translate(tokens: &[Tok], highest: &mut u32, aliases: &mut u32) -> String {
    let mut out: Vec<Tok> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    let is = |at: usize, w: &str| tokens.get(at).is_some_and(|t| t.is_word(w));
    while i < tokens.len() {
        let tok = &tokens[i];
        let raw = |text: String| Tok {
            space: tok.space,
            t: Token::Raw(text),
        };
        match &tok.t {
            Token::Param(n) => {
                let n = n.unwrap_or(*highest + 1);
                *highest = (*highest).max(n);
                out.push(raw(format!("${n}")));
            }
            Token::Word(_) if plan_hint_len(tokens, i) > 0 => {
                i += plan_hint_len(tokens, i);
                continue;
            }
            Token::Word(_) if tok.is_word("CROSS") && is(i + 1, "JOIN") => {}
            Token::Word(_)
                if tok.is_word("IS")
                    && is(i + 1, "NOT")
                    && matches!(tokens.get(i + 2).map(|t| &t.t), Some(Token::Number(_))) =>
            {
                out.push(raw("IS DISTINCT FROM".to_owned()));
                i += 2;
                continue;
            }
            Token::Word(w)
                if (tok.is_word("DESC") || tok.is_word("ASC")) && !is(i + 1, "NULLS") =>
            {
                let nulls = if tok.is_word("DESC") { "LAST" } else { "FIRST" };
                out.push(raw(format!("{w} NULLS {nulls}")));
            }
            Token::Word(w)
                if FLAGS.contains(&w.rsplit('.').next().unwrap_or_default())
                    && flag_comparison(&tokens[i + 1..]) =>
            {
                out.push(tok.clone());
                out.push(tokens[i + 1].clone());
                let value = tokens[i + 2].is_number("1");
                out.push(Tok {
                    space: tokens[i + 2].space,
                    t: Token::Raw(value.to_string()),
                });
                i += 3;
                continue;
            }
            Token::Number(n)
                if (n == "0" || n == "1")
                    && condition_start(&out)
                    && condition_end(tokens.get(i + 1)) =>
            {
                out.push(raw((n == "1").to_string()));
            }
            // Its space stays, for the column that follows it.
            Token::Symbol('+') if out.last().is_some_and(|t| t.is_word("BY")) => {
                out.push(raw(String::new()));
            }
            Token::Word(w) if tokens.get(i + 1).is_some_and(|t| t.t == Token::Symbol('(')) => {
                let (args, end) = call_args(tokens, i + 1);
                let mut inner = || translate(args, highest, aliases);
                let replaced = match w.to_ascii_lowercase().as_str() {
                    "json_object" => Some(format!("json_build_object({})", inner())),
                    "json_group_array" => {
                        Some(format!("coalesce(json_agg({}), '[]'::json)", inner()))
                    }
                    "json_group_object" => Some(format!(
                        "coalesce(json_object_agg({}), '{{}}'::json)",
                        inner()
                    )),
                    "json_array" if args.is_empty() => Some("'[]'::json".to_owned()),
                    "json_array" => Some(format!("json_build_array({})", inner())),
                    "json_valid" => Some(format!("({} IS NOT NULL)", inner())),
                    "json" => match args {
                        [
                            Tok {
                                t: Token::Text(text),
                                ..
                            },
                        ] => Some(format!("'{}'::json", text.replace('\'', "''"))),
                        _ => Some(format!("to_json({})", inner())),
                    },
                    // `json_each(?N) AS alias`: the alias is kept by what follows.
                    "json_each" => Some(format!(
                        "(SELECT e.value::int8 AS value, e.key FROM \
                         jsonb_array_elements_text(CAST({} AS jsonb)) WITH ORDINALITY AS e(value, key))",
                        inner()
                    )),
                    _ => None,
                };
                match replaced {
                    Some(text) => {
                        out.push(raw(text));
                        i = end + 1;
                        continue;
                    }
                    None => out.push(tok.clone()),
                }
            }
            Token::Symbol('(')
                if out.last().is_some_and(|t| t.is_word("FROM")) && is(i + 1, "SELECT") =>
            {
                let (args, end) = call_args(tokens, i);
                let inner = translate(args, highest, aliases);
                let alias = subquery_alias(tokens.get(end + 1), aliases);
                out.push(raw(format!("({inner}){alias}")));
                i = end + 1;
                continue;
            }
            _ => out.push(tok.clone()),
        }
        i += 1;
    }
    render(&out)
}

/// How many tokens from `at` are one of SQLite's plan hints, which other databases do not take:
/// `INDEXED BY name` or `NOT INDEXED` (0 when there is none).
fn plan_hint_len(tokens: &[Tok], at: usize) -> usize {
    let is = |at: usize, w: &str| tokens.get(at).is_some_and(|t| t.is_word(w));
    if is(at, "INDEXED") && is(at + 1, "BY") {
        3
    } else if is(at, "NOT") && is(at + 1, "INDEXED") && !is(at + 2, "BY") {
        2
    } else {
        0
    }
}

/// The alias a subquery in FROM needs (PostgreSQL and MySQL both require one): none when the
/// token after it already names one, else a new `sub{n}`.
fn subquery_alias(next: Option<&Tok>, aliases: &mut u32) -> String {
    if next.is_some_and(|t| matches!(&t.t, Token::Word(w) if !is_clause_word(w))) {
        return String::new();
    }
    *aliases += 1;
    format!(" AS sub{aliases}")
}

/// Words that end a FROM item rather than name its alias.
fn is_clause_word(w: &str) -> bool {
    [
        "WHERE", "GROUP", "ORDER", "LIMIT", "UNION", "JOIN", "CROSS", "LEFT", "INNER", "ON",
        "HAVING", "OFFSET",
    ]
    .iter()
    .any(|k| w.eq_ignore_ascii_case(k))
}

/// Whether the tokens start with `= 0`, `<> 0`, `= 1` or `<> 1`.
fn flag_comparison(tokens: &[Tok]) -> bool {
    matches!(
        (tokens.first().map(|t| &t.t), tokens.get(1)),
        (Some(Token::Op(op)), Some(n))
            if (op == "=" || op == "<>" || op == "!=") && (n.is_number("0") || n.is_number("1"))
    )
}

/// Whether a condition starts here: after WHERE, AND, OR or ON, or a `(` after one of them.
fn condition_start(out: &[Tok]) -> bool {
    let keyword = |t: &Tok| ["WHERE", "AND", "OR", "ON"].iter().any(|k| t.is_word(k));
    match out {
        [.., last] if keyword(last) => true,
        [.., before, last] => last.t == Token::Symbol('(') && keyword(before),
        _ => false,
    }
}

/// Whether a condition ends before `next`.
fn condition_end(next: Option<&Tok>) -> bool {
    match next {
        None => true,
        Some(t) => {
            t.t == Token::Symbol(')')
                || ["AND", "OR", "ORDER", "GROUP", "LIMIT"]
                    .iter()
                    .any(|k| t.is_word(k))
        }
    }
}

/// The tokens between the `(` at `open` and its `)`, and where that `)` is.
fn call_args(tokens: &[Tok], open: usize) -> (&[Tok], usize) {
    let mut depth = 0;
    for (j, t) in tokens.iter().enumerate().skip(open) {
        match t.t {
            Token::Symbol('(') => depth += 1,
            Token::Symbol(')') => {
                depth -= 1;
                if depth == 0 {
                    return (&tokens[open + 1..j], j);
                }
            }
            _ => {}
        }
    }
    (&tokens[open + 1..], tokens.len())
}

/// The text columns whose MySQL collation is not binary (sql/mysql/0001_init.sql gives titles
/// and names `utf8mb4_unicode_ci` for their FULLTEXT indexes): sorted by, they are sorted as
/// binary, as SQLite sorts them.
const FOLDED: &[&str] = &["title", "original_title", "name"];

/// The mirror's column names that MySQL reserves: quoted where a statement names them bare.
const RESERVED: &[&str] = &["key", "character", "read", "lines"];

/// SQLite's SQL as MySQL and MariaDB (10.6 and later) take it, and the parameter each `?` of it
/// takes (MySQL's parameters are positional: a `?N` used twice is sent twice). As for
/// [`to_postgres`], the rules cover what the mirror's statements use:
///
/// - `?N` is `?`; a bare `?` numbers after the highest number before it;
/// - `INDEXED BY name` and `NOT INDEXED` go; `+column` in an ORDER BY is the column; `AS
///   MATERIALIZED` (a CTE hint MariaDB lacks) is `AS`; `"name"` is `` `name` ``, and so is a
///   bare column name MySQL reserves (`key`);
/// - `x IS NOT 3` is `NOT (x <=> 3)`;
/// - NULLs sort lowest in both, so only an explicit `ASC NULLS LAST` or `DESC NULLS FIRST` is
///   spelled out (`x IS NULL, x ASC`); a title or name sorted by is sorted `COLLATE
///   utf8mb4_bin`;
/// - `json_group_array` and `json_group_object` are `JSON_ARRAYAGG` and `JSON_OBJECTAGG` (an
///   empty set giving `[]` and `{}`), `json(x)` is `JSON_EXTRACT(x, '$')`, and `json_each(?N)`
///   of an array of ids is a `JSON_TABLE` of `value` and `key`;
/// - a subquery in FROM gets the alias MySQL requires.
///
/// A subquery's array of JSON objects, `(SELECT json_group_array(json_object(...) ...) ...)`,
/// is built fast in [`Translated::text`] and exactly in [`Translated::exact`]: see there.
pub fn to_mysql(sql: &str) -> Translated {
    let tokens = tokenize(sql);
    let mut state = MyState::default();
    let exact = translate_mysql(&tokens, &mut state);
    let order = state.order;
    let mut state = MyState {
        bounded: true,
        ..MyState::default()
    };
    let text = translate_mysql(&tokens, &mut state);
    debug_assert_eq!(state.order, order, "both forms take the same parameters");
    match state.bounded_used {
        true => Translated {
            text,
            exact: Some(exact),
            order,
        },
        false => Translated {
            text: exact,
            exact: None,
            order,
        },
    }
}

/// A statement as MySQL takes it ([`to_mysql`]).
#[derive(Debug)]
pub struct Translated {
    /// The statement to run.
    pub text: String,
    /// The statement to run instead when `text` drew a warning, if `text` builds an array of
    /// JSON objects as text within [`BOUNDED_ITEM`] characters an object. MariaDB aggregates
    /// through a temporary table that lives in memory only while its columns are shorter than
    /// 512 characters; a `JSON_ARRAYAGG` of objects (long text) made one on disk for every
    /// subquery of every row: 300-400 µs each, most of a movie's 3 ms. `GROUP_CONCAT` of the
    /// objects cast to `CHAR(512)` stays in memory, and an object it had to cut draws a
    /// warning ("Truncated incorrect CHAR(512) value"), as does a `GROUP_CONCAT` cut at
    /// `group_concat_max_len`: the answer is then asked again of this exact form.
    pub exact: Option<String>,
    /// For each `?`, the index of the parameter it takes (the same in both forms).
    pub order: Vec<usize>,
}

/// The longest JSON object (in characters) [`Translated::text`] builds without a warning.
pub const BOUNDED_ITEM: usize = 512;

/// What translating one statement for MySQL counts as it goes.
#[derive(Default)]
struct MyState {
    /// Whether arrays of JSON objects are built within [`BOUNDED_ITEM`] ([`Translated`]).
    bounded: bool,
    /// Whether one was.
    bounded_used: bool,
    /// The highest `?N` so far.
    highest: u32,
    /// Subquery aliases given.
    aliases: u32,
    /// For each `?` written, the index of the parameter it takes.
    order: Vec<usize>,
}

/// [`to_mysql`] of `tokens`.
fn translate_mysql(tokens: &[Tok], state: &mut MyState) -> String {
    let mut out: Vec<Tok> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    let is = |at: usize, w: &str| tokens.get(at).is_some_and(|t| t.is_word(w));
    while i < tokens.len() {
        let tok = &tokens[i];
        let raw = |text: String| Tok {
            space: tok.space,
            t: Token::Raw(text),
        };
        match &tok.t {
            Token::Param(n) => {
                let n = n.unwrap_or(state.highest + 1);
                state.highest = state.highest.max(n);
                state.order.push(n as usize - 1);
                out.push(raw("?".to_owned()));
            }
            Token::Word(_) if plan_hint_len(tokens, i) > 0 => {
                i += plan_hint_len(tokens, i);
                continue;
            }
            Token::Word(_)
                if tok.is_word("MATERIALIZED") && out.last().is_some_and(|t| t.is_word("AS")) => {}
            Token::Word(_)
                if tok.is_word("IS")
                    && is(i + 1, "NOT")
                    && matches!(tokens.get(i + 2).map(|t| &t.t), Some(Token::Number(_))) =>
            {
                let left = out.pop().map(|t| render(&[t])).unwrap_or_default();
                let right = render(&tokens[i + 2..i + 3]);
                out.push(raw(format!(
                    "NOT ({} <=> {})",
                    left.trim_start(),
                    right.trim_start()
                )));
                i += 3;
                continue;
            }
            Token::Word(w) if w.contains('"') => out.push(raw(w.replace('"', "`"))),
            Token::Word(w) if RESERVED.iter().any(|r| w.eq_ignore_ascii_case(r)) => {
                out.push(raw(format!("`{w}`")));
            }
            Token::Word(_) if tok.is_word("ORDER") && is(i + 1, "BY") => {
                let end = order_by_end(tokens, i + 2);
                let items = split_items(&tokens[i + 2..end]);
                let mut text = String::from("ORDER BY ");
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        text.push_str(", ");
                    }
                    text.push_str(&order_item(item, state));
                }
                out.push(raw(text));
                i = end;
                continue;
            }
            Token::Word(w) if tokens.get(i + 1).is_some_and(|t| t.t == Token::Symbol('(')) => {
                let (args, end) = call_args(tokens, i + 1);
                // A subquery's array of objects: what the caller reads, or takes through
                // `json()`, as text.
                let objects = state.bounded
                    && w.eq_ignore_ascii_case("json_group_array")
                    && out.last().is_some_and(|t| t.is_word("SELECT"))
                    && args.first().is_some_and(|t| t.is_word("json_object"))
                    && args.get(1).is_some_and(|t| t.t == Token::Symbol('('));
                if objects {
                    let (_, object_end) = call_args(args, 1);
                    let object = translate_mysql(&args[..=object_end], state);
                    let order = translate_mysql(&args[object_end + 1..], state);
                    state.bounded_used = true;
                    out.push(raw(format!(
                        "coalesce(concat('[', GROUP_CONCAT(CAST({} AS CHAR({BOUNDED_ITEM})) {}\
                         SEPARATOR ','), ']'), '[]')",
                        object.trim_start(),
                        match order.trim() {
                            "" => String::new(),
                            order => format!("{order} "),
                        }
                    )));
                    i = end + 1;
                    continue;
                }
                let mut inner = || translate_mysql(args, state);
                let replaced = match w.to_ascii_lowercase().as_str() {
                    "json_group_array" => Some(format!(
                        "coalesce(JSON_ARRAYAGG({}), JSON_ARRAY())",
                        inner()
                    )),
                    "json_group_object" => Some(format!(
                        "coalesce(JSON_OBJECTAGG({}), JSON_OBJECT())",
                        inner()
                    )),
                    "json" => Some(format!("JSON_EXTRACT({}, '$')", inner())),
                    // `json_each(?N) AS alias`: the alias is kept by what follows.
                    "json_each" => Some(format!(
                        "JSON_TABLE({}, '$[*]' COLUMNS (`key` FOR ORDINALITY, value BIGINT PATH '$'))",
                        inner()
                    )),
                    _ => None,
                };
                match replaced {
                    Some(text) => {
                        out.push(raw(text));
                        i = end + 1;
                        continue;
                    }
                    None => out.push(tok.clone()),
                }
            }
            Token::Symbol('(')
                if out.last().is_some_and(|t| t.is_word("FROM")) && is(i + 1, "SELECT") =>
            {
                let (args, end) = call_args(tokens, i);
                let inner = translate_mysql(args, state);
                let alias = subquery_alias(tokens.get(end + 1), &mut state.aliases);
                out.push(raw(format!("({inner}){alias}")));
                i = end + 1;
                continue;
            }
            _ => out.push(tok.clone()),
        }
        i += 1;
    }
    render(&out)
}

/// Where the ORDER BY list starting at `start` ends: at a LIMIT, OFFSET or UNION of its own
/// level, or at the `)` that closes the level.
fn order_by_end(tokens: &[Tok], start: usize) -> usize {
    let mut depth = 0;
    for (j, t) in tokens.iter().enumerate().skip(start) {
        match t.t {
            Token::Symbol('(') => depth += 1,
            Token::Symbol(')') if depth == 0 => return j,
            Token::Symbol(')') => depth -= 1,
            _ if depth == 0 && ["LIMIT", "OFFSET", "UNION"].iter().any(|k| t.is_word(k)) => {
                return j;
            }
            _ => {}
        }
    }
    tokens.len()
}

/// `tokens` split at the commas of their own level.
fn split_items(tokens: &[Tok]) -> Vec<&[Tok]> {
    let mut items = Vec::new();
    let (mut depth, mut from) = (0, 0);
    for (j, t) in tokens.iter().enumerate() {
        match t.t {
            Token::Symbol('(') => depth += 1,
            Token::Symbol(')') => depth -= 1,
            Token::Symbol(',') if depth == 0 => {
                items.push(&tokens[from..j]);
                from = j + 1;
            }
            _ => {}
        }
    }
    items.push(&tokens[from..]);
    items
}

/// One item of an ORDER BY for MySQL: its expression (a `+` before it dropped, a title or name
/// sorted as binary), its direction, and where NULLs go when MySQL's place is not the one asked.
fn order_item(item: &[Tok], state: &mut MyState) -> String {
    let mut item = item;
    if let [
        Tok {
            t: Token::Symbol('+'),
            ..
        },
        rest @ ..,
    ] = item
    {
        item = rest;
    }
    let mut nulls_first = None;
    if let [rest @ .., n, w] = item
        && n.is_word("NULLS")
    {
        nulls_first = Some(w.is_word("FIRST"));
        item = rest;
    }
    let descending = item.last().is_some_and(|t| t.is_word("DESC"));
    if item
        .last()
        .is_some_and(|t| t.is_word("DESC") || t.is_word("ASC"))
    {
        item = &item[..item.len() - 1];
    }
    let params_before = state.order.len();
    let mut expr = translate_mysql(item, state).trim().to_owned();
    if let [
        Tok {
            t: Token::Word(w), ..
        },
    ] = item
        && FOLDED.contains(&w.rsplit('.').next().unwrap_or_default())
    {
        expr.push_str(" COLLATE utf8mb4_bin");
    }
    let direction = if descending { "DESC" } else { "ASC" };
    // MySQL puts NULLs first ascending and last descending.
    match nulls_first {
        Some(first) if first == descending => {
            let params: Vec<usize> = state.order[params_before..].to_vec();
            state.order.extend(params);
            let test = if first { "IS NOT NULL" } else { "IS NULL" };
            format!("{expr} {test}, {expr} {direction}")
        }
        _ => format!("{expr} {direction}"),
    }
}

/// A piece of SQL, and whether spaces came before it.
#[derive(Debug, Clone, PartialEq)]
struct Tok {
    space: bool,
    t: Token,
}

impl Tok {
    fn is_word(&self, w: &str) -> bool {
        matches!(&self.t, Token::Word(x) if x.eq_ignore_ascii_case(w))
    }

    fn is_number(&self, n: &str) -> bool {
        matches!(&self.t, Token::Number(x) if x == n)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A name or keyword (with any `alias.` before it).
    Word(String),
    /// A number.
    Number(String),
    /// A quoted string's content (quotes undoubled).
    Text(String),
    /// `?N` (Some) or `?` (None).
    Param(Option<u32>),
    /// An operator of symbols (`=`, `<>`, `>=`, `||`...).
    Op(String),
    /// `(`, `)`, `,`, `+`, `*`...
    Symbol(char),
    /// Already in the target dialect.
    Raw(String),
}

fn tokenize(sql: &str) -> Vec<Tok> {
    let chars: Vec<char> = sql.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut space = false;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let t = if c.is_whitespace() {
            i += 1;
            space = true;
            continue;
        } else if c == '\'' {
            let mut text = String::new();
            i += 1;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        text.push('\'');
                        i += 2;
                        continue;
                    }
                    break;
                }
                text.push(chars[i]);
                i += 1;
            }
            i += 1;
            Token::Text(text)
        } else if c == '?' {
            i += 1;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let digits: String = chars[start + 1..i].iter().collect();
            Token::Param(digits.parse().ok())
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            Token::Number(chars[start..i].iter().collect())
        } else if c.is_alphanumeric() || c == '_' || c == '"' {
            while i < chars.len()
                && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '.' | '"'))
            {
                i += 1;
            }
            Token::Word(chars[start..i].iter().collect())
        } else if matches!(c, '=' | '<' | '>' | '!' | '|') {
            while i < chars.len() && matches!(chars[i], '=' | '<' | '>' | '!' | '|') {
                i += 1;
            }
            Token::Op(chars[start..i].iter().collect())
        } else {
            i += 1;
            Token::Symbol(c)
        };
        tokens.push(Tok { space, t });
        space = false;
    }
    tokens
}

fn render(tokens: &[Tok]) -> String {
    let mut out = String::new();
    for tok in tokens {
        if tok.space && !out.is_empty() {
            out.push(' ');
        }
        match &tok.t {
            Token::Word(s) | Token::Number(s) | Token::Op(s) | Token::Raw(s) => out.push_str(s),
            Token::Text(s) => {
                out.push('\'');
                out.push_str(&s.replace('\'', "''"));
                out.push('\'');
            }
            Token::Param(Some(n)) => {
                out.push('?');
                out.push_str(&n.to_string());
            }
            Token::Param(None) => out.push('?'),
            Token::Symbol(c) => out.push(*c),
        }
    }
    out
}

/// A PostgreSQL mirror, read through one connection whose transactions are read-only
/// (`pg::open_read_only`). Statements are translated and prepared once, then kept.
pub struct Postgres {
    client: RefCell<postgres::Client>,
    url: PgUrl,
    statements: RefCell<HashMap<(String, Vec<Type>), postgres::Statement>>,
}

impl Postgres {
    /// Connects to the mirror at `url` for reading; the error says why not in one line.
    pub fn open(url: &PgUrl) -> anyhow::Result<Postgres> {
        Ok(Postgres {
            client: RefCell::new(crate::pg::open_read_only(url)?),
            url: url.clone(),
            statements: RefCell::new(HashMap::new()),
        })
    }

    /// Whether the connection was lost (the server restarted): a new one is needed.
    pub fn is_closed(&self) -> bool {
        self.client.borrow().is_closed()
    }

    /// Whether the connection still answers, asked in a round trip: after a failed statement,
    /// since a server that closes a connection first sends the error that says so, and the
    /// client sees the connection closed only after that.
    pub fn answers(&self) -> bool {
        !self.is_closed()
            && self
                .client
                .borrow_mut()
                .is_valid(std::time::Duration::from_secs(1))
                .is_ok()
    }

    /// Runs `sql` (PostgreSQL's own, no parameters, no result) as it is: a transaction's
    /// BEGIN and COMMIT.
    pub fn execute(&self, sql: &str) -> Result<()> {
        self.client
            .borrow_mut()
            .batch_execute(sql)
            .map_err(|err| self.error(&err))
    }

    /// Runs `sql` (PostgreSQL's own, no parameters, one statement or several) in one round
    /// trip, and answers the first column of the last row it returned, as text: a
    /// transaction's BEGIN and its first read together.
    pub fn batch_value(&self, sql: &str) -> Result<Option<String>> {
        let messages = self
            .client
            .borrow_mut()
            .simple_query(sql)
            .map_err(|err| self.error(&err))?;
        Ok(messages
            .iter()
            .rev()
            .find_map(|message| match message {
                postgres::SimpleQueryMessage::Row(row) => Some(row.get(0).map(str::to_owned)),
                _ => None,
            })
            .flatten())
    }

    fn error(&self, err: &postgres::Error) -> Error {
        Error::Postgres(self.url.explain(err))
    }
}

/// The type a parameter is sent as.
fn param_type(param: &Param) -> Type {
    match param {
        Param::Int(_) => Type::INT8,
        Param::Real(_) => Type::FLOAT8,
        Param::Bool(_) => Type::BOOL,
        Param::Text(_) | Param::Null => Type::TEXT,
    }
}

impl Read for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn each_while(
        &self,
        sql: &str,
        params: &[Param],
        each: &mut dyn FnMut(&Row<'_>) -> Result<bool>,
    ) -> Result<()> {
        let types: Vec<Type> = params.iter().map(param_type).collect();
        let key = (sql.to_owned(), types);
        let cached = self.statements.borrow().get(&key).cloned();
        let mut client = self.client.borrow_mut();
        let statement = match cached {
            Some(statement) => statement,
            None => {
                let translated = to_postgres(sql);
                let statement = client.prepare_typed(&translated, &key.1).map_err(|err| {
                    Error::Postgres(format!("{}: {translated}", self.url.explain(&err)))
                })?;
                self.statements.borrow_mut().insert(key, statement.clone());
                statement
            }
        };
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let rows = client
            .query(&statement, &refs)
            .map_err(|err| self.error(&err))?;
        drop(client);
        for row in &rows {
            if !each(&Row::Postgres(row))? {
                break;
            }
        }
        Ok(())
    }
}

impl ToSql for Param {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self {
            Param::Null => Ok(IsNull::Yes),
            Param::Int(n) => n.to_sql(ty, out),
            Param::Real(x) => x.to_sql(ty, out),
            Param::Text(s) => s.as_str().to_sql(ty, out),
            Param::Bool(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        [Type::INT8, Type::FLOAT8, Type::TEXT, Type::BOOL].contains(ty)
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Val<'a> {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Val<'a>, Box<dyn StdError + Sync + Send>> {
        Ok(match *ty {
            Type::BOOL => Val::Int(i64::from(bool::from_sql(ty, raw)?)),
            Type::INT2 => Val::Int(i16::from_sql(ty, raw)?.into()),
            Type::INT4 => Val::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT8 => Val::Int(i64::from_sql(ty, raw)?),
            Type::FLOAT4 => Val::Real(f32::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Val::Real(f64::from_sql(ty, raw)?),
            // jsonb's binary form is a version byte, then the JSON text.
            Type::JSONB => match raw.split_first() {
                Some((1, text)) => Val::Text(text),
                _ => return Err(format!("jsonb of an unknown version ({ty})").into()),
            },
            _ => Val::Text(raw),
        })
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Val<'a>, Box<dyn StdError + Sync + Send>> {
        Ok(Val::Null)
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::BOOL
                | Type::INT2
                | Type::INT4
                | Type::INT8
                | Type::FLOAT4
                | Type::FLOAT8
                | Type::JSONB
                | Type::JSON
                | Type::TEXT
                | Type::VARCHAR
                | Type::BPCHAR
                | Type::NAME
                | Type::UNKNOWN
        )
    }
}

/// A MySQL or MariaDB mirror, read through one connection whose transactions are read-only
/// (`mysql::open_read_only`). Statements are translated once and kept with the order of their
/// parameters; the client keeps them prepared (its statement cache, sized for every statement
/// tmdb-serve writes).
pub struct Mysql {
    conn: RefCell<mysql::Conn>,
    url: MyUrl,
    statements: RefCell<HashMap<String, Arc<Translated>>>,
    /// Set when the connection failed (the server restarted or closed it): a new one is needed.
    broken: Cell<bool>,
}

impl Mysql {
    /// Connects to the mirror at `url` for reading; the error says why not in one line.
    pub fn open(url: &MyUrl) -> anyhow::Result<Mysql> {
        Ok(Mysql {
            conn: RefCell::new(crate::mysql::open_read_only(url)?),
            url: url.clone(),
            statements: RefCell::new(HashMap::new()),
            broken: Cell::new(false),
        })
    }

    /// Whether the connection was lost: a new one is needed.
    pub fn is_closed(&self) -> bool {
        self.broken.get()
    }

    /// Runs `sql` (MySQL's own, no parameters, one statement or several) in one round trip,
    /// and answers the first column of the last row it returned, as text: a transaction's
    /// start and its first read together.
    pub fn batch_value(&self, sql: &str) -> Result<Option<String>> {
        use mysql::prelude::Queryable;
        let mut conn = self.conn.borrow_mut();
        let mut result = conn.query_iter(sql).map_err(|err| self.error(&err))?;
        let mut value = None;
        while let Some(set) = result.iter() {
            for row in set {
                let row = row.map_err(|err| self.error(&err))?;
                value = match row.as_ref(0) {
                    Some(mysql::Value::Bytes(bytes)) => {
                        Some(String::from_utf8_lossy(bytes).into_owned())
                    }
                    Some(mysql::Value::Int(n)) => Some(n.to_string()),
                    Some(mysql::Value::UInt(n)) => Some(n.to_string()),
                    _ => None,
                };
            }
        }
        Ok(value)
    }

    /// Runs `sql` (MySQL's own, no parameters, no result) as it is: a transaction's COMMIT.
    pub fn execute(&self, sql: &str) -> Result<()> {
        use mysql::prelude::Queryable;
        self.conn
            .borrow_mut()
            .query_drop(sql)
            .map_err(|err| self.error(&err))
    }

    fn error(&self, err: &mysql::Error) -> Error {
        if !matches!(err, mysql::Error::MySqlError(_)) {
            self.broken.set(true);
        }
        Error::Mysql(self.url.explain(err))
    }
}

impl Read for Mysql {
    fn dialect(&self) -> Dialect {
        Dialect::Mysql
    }

    fn each_while(
        &self,
        sql: &str,
        params: &[Param],
        each: &mut dyn FnMut(&Row<'_>) -> Result<bool>,
    ) -> Result<()> {
        use mysql::prelude::Queryable;
        let cached = self.statements.borrow().get(sql).cloned();
        let translated = match cached {
            Some(translated) => translated,
            None => {
                let translated = Arc::new(to_mysql(sql));
                self.statements
                    .borrow_mut()
                    .insert(sql.to_owned(), Arc::clone(&translated));
                translated
            }
        };
        let values = || -> mysql::Params {
            if translated.order.is_empty() {
                return mysql::Params::Empty;
            }
            let values = translated.order.iter().map(|&n| match params.get(n) {
                None | Some(Param::Null) => mysql::Value::NULL,
                Some(Param::Int(n)) => mysql::Value::Int(*n),
                Some(Param::Real(x)) => mysql::Value::Double(*x),
                Some(Param::Text(s)) => mysql::Value::Bytes(s.as_bytes().to_vec()),
                Some(Param::Bool(b)) => mysql::Value::Int(i64::from(*b)),
            });
            mysql::Params::Positional(values.collect())
        };
        // Every row first, as the PostgreSQL reader does: `each` may read again.
        let run = |text: &str| {
            let mut conn = self.conn.borrow_mut();
            let rows: Vec<mysql::Row> =
                conn.exec(text, values())
                    .map_err(|err| match self.error(&err) {
                        Error::Mysql(message) => Error::Mysql(format!("{message}: {text}")),
                        other => other,
                    })?;
            Ok::<_, Error>((rows, conn.warnings()))
        };
        let (mut rows, warnings) = run(&translated.text)?;
        if let Some(exact) = &translated.exact
            && warnings > 0
        {
            (rows, _) = run(exact)?;
        }
        for row in &rows {
            if !each(&Row::Mysql(row))? {
                break;
            }
        }
        Ok(())
    }
}

/// Column `i` of a MySQL row. A DECIMAL (what `sum` of integers gives) comes as its text and
/// is read as the integer or double it is, as SQLite would have answered it.
fn mysql_val(row: &mysql::Row, i: usize) -> Result<Val<'_>> {
    use mysql::consts::ColumnType;
    let value = row
        .as_ref(i)
        .ok_or_else(|| Error::Value(format!("column {i}: no such column")))?;
    Ok(match value {
        mysql::Value::NULL => Val::Null,
        mysql::Value::Int(n) => Val::Int(*n),
        mysql::Value::UInt(n) => Val::Int(i64::try_from(*n).unwrap_or(i64::MAX)),
        mysql::Value::Float(x) => Val::Real(f64::from(*x)),
        mysql::Value::Double(x) => Val::Real(*x),
        mysql::Value::Bytes(bytes) => {
            let decimal = matches!(
                row.columns_ref()[i].column_type(),
                ColumnType::MYSQL_TYPE_NEWDECIMAL | ColumnType::MYSQL_TYPE_DECIMAL
            );
            let text = std::str::from_utf8(bytes).unwrap_or_default();
            match (decimal, text.parse::<i64>(), text.parse::<f64>()) {
                (true, Ok(n), _) => Val::Int(n),
                (true, _, Ok(x)) => Val::Real(x),
                _ => Val::Text(bytes),
            }
        }
        other => {
            return Err(Error::Value(format!(
                "column {i}: a {other:?}, which the mirror never writes"
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_statements_become_postgres_ones() {
        assert_eq!(
            to_postgres(
                "SELECT id FROM movie m INDEXED BY movie_date_cover WHERE m.adult = 0 AND m.release_date >= ? AND m.title = ?3 AND x = ?"
            ),
            "SELECT id FROM movie m WHERE m.adult = false AND m.release_date >= $1 AND m.title = $3 AND x = $4"
        );
        assert_eq!(
            to_postgres(
                "FROM movie m NOT INDEXED WHERE 1 ORDER BY +m.title DESC, m.id ASC NULLS LAST"
            ),
            "FROM movie m WHERE true ORDER BY m.title DESC NULLS LAST, m.id ASC NULLS LAST"
        );
        assert_eq!(
            to_postgres(
                "SELECT json_group_array(json_object('id', g.id, 'ok', json('false')) ORDER BY g.ord) FROM (SELECT 1 AS id) WHERE (?1 OR p.adult = 0) AND type IS NOT 3 AND 0"
            ),
            "SELECT coalesce(json_agg(json_build_object('id', g.id, 'ok', 'false'::json) ORDER BY g.ord), '[]'::json) FROM (SELECT 1 AS id) AS sub1 WHERE ($1 OR p.adult = false) AND type IS DISTINCT FROM 3 AND false"
        );
        assert_eq!(
            to_postgres(
                "SELECT m.id FROM json_each(?1) AS page CROSS JOIN movie m ON m.id = page.value WHERE m.title = 'it''s ?'"
            ),
            "SELECT m.id FROM (SELECT e.value::int8 AS value, e.key FROM jsonb_array_elements_text(CAST($1 AS jsonb)) WITH ORDINALITY AS e(value, key)) AS page JOIN movie m ON m.id = page.value WHERE m.title = 'it''s ?'"
        );
        // An aggregate's ORDER BY too: NULLs first when `ASC` is spelled out, as in SQLite (a
        // bare item keeps PostgreSQL's NULLS LAST).
        assert_eq!(
            to_postgres(
                "SELECT json_group_array(genre_id ORDER BY ord ASC, genre_id ASC) FROM movie_genre"
            ),
            "SELECT coalesce(json_agg(genre_id ORDER BY ord ASC NULLS FIRST, genre_id ASC NULLS FIRST), '[]'::json) FROM movie_genre"
        );
        assert_eq!(
            to_postgres("CASE WHEN json_valid(d) THEN json(d) ELSE json_array() END"),
            "CASE WHEN (d IS NOT NULL) THEN to_json(d) ELSE '[]'::json END"
        );
    }

    #[test]
    fn sqlite_statements_become_mysql_ones() {
        let Translated {
            text: sql,
            exact: None,
            order,
        } = to_mysql(
            "SELECT id FROM movie m INDEXED BY movie_date_cover WHERE m.adult = 0 AND m.title = ?3 AND x = ? AND type IS NOT 3 ORDER BY +m.title DESC, p.name ASC NULLS LAST, ?1 LIMIT ?",
        )
        else {
            panic!("no array of objects, no second form");
        };
        assert_eq!(
            sql,
            "SELECT id FROM movie m WHERE m.adult = 0 AND m.title = ? AND x = ? AND NOT (type <=> 3) ORDER BY m.title COLLATE utf8mb4_bin DESC, p.name COLLATE utf8mb4_bin IS NULL, p.name COLLATE utf8mb4_bin ASC, ? ASC LIMIT ?"
        );
        assert_eq!(order, [2, 3, 0, 4]);
        let objects = to_mysql(
            "SELECT (SELECT json_group_array(json_object('id', g.id, 'key', key, 'n', ?2, 'ok', json('false')) ORDER BY g.ord, ?1) FROM (SELECT 1 AS id) WHERE \"character\" = ?1 OR ?1), json_group_array(json_object('id', 1)), (SELECT json_group_array(id) FROM genre)",
        );
        assert_eq!(
            objects.text,
            "SELECT (SELECT coalesce(concat('[', GROUP_CONCAT(CAST(json_object('id', g.id, 'key', `key`, 'n', ?, 'ok', JSON_EXTRACT('false', '$')) AS CHAR(512)) ORDER BY g.ord ASC, ? ASC SEPARATOR ','), ']'), '[]') FROM (SELECT 1 AS id) AS sub1 WHERE `character` = ? OR ?), coalesce(JSON_ARRAYAGG(json_object('id', 1)), JSON_ARRAY()), (SELECT coalesce(JSON_ARRAYAGG(id), JSON_ARRAY()) FROM genre)"
        );
        assert_eq!(
            objects.exact.as_deref(),
            Some(
                "SELECT (SELECT coalesce(JSON_ARRAYAGG(json_object('id', g.id, 'key', `key`, 'n', ?, 'ok', JSON_EXTRACT('false', '$')) ORDER BY g.ord ASC, ? ASC), JSON_ARRAY()) FROM (SELECT 1 AS id) AS sub1 WHERE `character` = ? OR ?), coalesce(JSON_ARRAYAGG(json_object('id', 1)), JSON_ARRAY()), (SELECT coalesce(JSON_ARRAYAGG(id), JSON_ARRAY()) FROM genre)"
            )
        );
        assert_eq!(objects.order, [1, 0, 0, 0]);
        assert_eq!(
            to_mysql("WITH a AS MATERIALIZED (SELECT 1) SELECT m.id FROM json_each(?1) AS page CROSS JOIN movie m ON m.id = page.value").text,
            "WITH a AS (SELECT 1) SELECT m.id FROM JSON_TABLE(?, '$[*]' COLUMNS (`key` FOR ORDINALITY, value BIGINT PATH '$')) AS page CROSS JOIN movie m ON m.id = page.value"
        );
    }

    #[test]
    fn search_queries_quote_each_word() {
        assert_eq!(
            Dialect::Sqlite.search_query(&["fight", "cl"]).as_deref(),
            Some("\"fight\" \"cl\"*")
        );
        assert_eq!(
            Dialect::Postgres.search_query(&["fight", "cl"]).as_deref(),
            Some("'fight' & 'cl':*")
        );
        assert_eq!(Dialect::Postgres.search_query(&[]), None);
        assert_eq!(
            Dialect::Mysql
                .search_query(&["l’amour", "👩‍🚀", "cl"])
                .as_deref(),
            Some("+l +amour +cl*")
        );
        assert_eq!(Dialect::Mysql.search_query(&["👩‍🚀"]), None);
    }
}
