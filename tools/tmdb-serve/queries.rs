//! The SQL behind every route (the rows become JSON in `json.rs`).
//!
//! Each worker thread owns one [`Db`]: a read-only connection with its prepared-statement
//! cache, and a handle on the caches all workers share (`cache.rs`), which are dropped
//! whenever the database's change counter says a load committed (SQLite's `data_version`,
//! the `tmdb_change_counter` of a PostgreSQL or MySQL one).
//!
//! The SQL is written once, in SQLite's dialect, and read through `tmdb_core::read`: a
//! PostgreSQL or MySQL mirror runs it translated, and asks its [`Dialect`] for what differs
//! (search).

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use anyhow::Result;
use serde_json::{Map, Value, json};
use tmdb_core::db::ReadAccess;
use tmdb_core::mysql::MyUrl;
use tmdb_core::pg::PgUrl;
use tmdb_core::read::{self, Dialect, Param as SqlValue, Read, Row, Searched, Val};

use crate::cache::{Histogram, Kept, LIST_HEAD, Shared};
use crate::json::{
    CAST_ROLE, CAST_ROLE_COLUMNS, COLLECTION, COLLECTION_COLUMNS, COMPANY, COMPANY_COLUMNS, CREDIT,
    CREDIT_COLUMNS, CREW_ROLE, CREW_ROLE_COLUMNS, FILM_CAST, FILM_CAST_COLUMNS, FILM_CREW,
    FILM_CREW_COLUMNS, KEYWORD, KEYWORD_COLUMNS, MOVIE_DETAIL, MOVIE_DETAIL_COLUMNS, MOVIE_FIELDS,
    MOVIE_FIELDS_COLUMNS, MOVIE_GENRES, PERSON, PERSON_COLUMNS, PERSON_DETAIL,
    PERSON_DETAIL_COLUMNS, Text, Writer, movie_columns, read, value,
};
use crate::params::{MovieSort, Page, PeopleSort, SearchSort, Sort};
use crate::rank::{self, Ranker};
use crate::tmdb::discover_index::Index;

/// The name of a PostgreSQL connection's prepared read of the change counter: a statement sent
/// as text with the BEGIN (one round trip for both) is parsed and planned at every request,
/// which cost the server more than the BEGIN itself.
const PG_CHANGES: &str = "tmdb_changes";

/// Search results up to this many are counted and paged in one pass (see `Db::list`).
const ONE_PASS_MAX: usize = 10_000;

/// A list route's query, in parts: `from` is the FROM and WHERE (rows aliased `alias`),
/// `order` the ORDER BY, `columns` and `item` what one result is and how to read it. `keep`:
/// whether its first ids are worth keeping (`Db::list`); a search's words rarely come again.
struct List<'a> {
    keep: bool,
    /// The index that answers this list's total and ids instead of its SQL (see
    /// [`Db::indexed`]); only with `keep`.
    indexed: Option<Indexed<'a>>,
    /// The same rows in the sort's index order, each filter an expression of the row
    /// ([`walk`]); lists with a year have none (the year's range is the better plan).
    walk: Option<&'a (String, Vec<SqlValue>)>,
    /// A runtime range's total is summed from this histogram (see [`RuntimeTotal`]).
    runtime_total: Option<&'a RuntimeTotal>,
    from: &'a str,
    order: &'a str,
    table: &'a str,
    alias: &'a str,
    items: Items<'a>,
}

/// What a list's rows are.
enum Items<'a> {
    /// Movie list items; their genres from this discover index when it holds every movie of
    /// the page (the index is of the data the request reads: the caller takes it for the
    /// request's epoch), else from SQL: reading each movie's in `movie_genre` and `genre` was
    /// about half of reading a page of 20 (~2.5 us a movie on a 1,000,000-movie mirror).
    Movies(Option<&'a Index>),
    People,
}

/// A native movie list as the discover index answers it.
struct Indexed<'a> {
    index: &'a Index,
    filter: &'a MovieFilter,
    sort: Sort<MovieSort>,
}

/// Where the mirror is, as the server opens it.
#[derive(Clone)]
pub enum Source {
    /// A SQLite file, and how it can be opened.
    Sqlite(PathBuf, ReadAccess),
    /// A PostgreSQL database.
    Postgres(Box<PgUrl>),
    /// A MySQL or MariaDB database.
    Mysql(Box<MyUrl>),
}

/// A read-only connection of any backend (a server's boxed: it holds its client's settings
/// and statement cache, many times a SQLite handle's size).
pub enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(Box<read::Postgres>),
    Mysql(Box<read::Mysql>),
}

impl Read for Conn {
    fn dialect(&self) -> Dialect {
        match self {
            Conn::Sqlite(conn) => conn.dialect(),
            Conn::Postgres(conn) => conn.dialect(),
            Conn::Mysql(conn) => conn.dialect(),
        }
    }

    fn each_while(
        &self,
        sql: &str,
        params: &[SqlValue],
        each: &mut dyn FnMut(&Row<'_>) -> read::Result<bool>,
    ) -> read::Result<()> {
        match self {
            Conn::Sqlite(conn) => conn.each_while(sql, params, each),
            Conn::Postgres(conn) => conn.each_while(sql, params, each),
            Conn::Mysql(conn) => conn.each_while(sql, params, each),
        }
    }
}

/// One worker's database handle.
pub struct Db {
    conn: Conn,
    shared: Arc<Shared>,
    /// SQLite's ranking function (the servers rank with their own).
    ranker: Option<Arc<Ranker>>,
    data_version: i64,
    /// A PostgreSQL or MySQL transaction is over but its COMMIT not yet sent (see [`Db::end`]).
    commit_due: bool,
}

/// Filters of `/movies` and the other movie lists, already validated.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct MovieFilter {
    pub year: Option<i64>,
    pub genre_id: Option<i64>,
    pub language: Option<String>,
    pub status: Option<String>,
    pub include_adult: bool,
    pub min_votes: Option<i64>,
    pub keyword_id: Option<i64>,
    pub company_id: Option<i64>,
    /// A certification and the country that gives it (`release_date`).
    pub certification: Option<(String, String)>,
    /// A watch provider and the country it offers the movie in (`movie_watch_provider`).
    pub provider: Option<(i64, String)>,
    pub runtime_min: Option<i64>,
    pub runtime_max: Option<i64>,
}

/// A filter on a table that hangs off a movie: the movies having a row with these values.
/// Such a filter can drive a list (its index gives the movie ids: `drive`) or be checked per
/// movie (the table's key starts with movie_id: `probe`).
struct Link {
    table: &'static str,
    columns: &'static [&'static str],
    values: Vec<SqlValue>,
}

impl Link {
    fn condition(&self, alias: &str) -> String {
        self.columns
            .iter()
            .map(|c| format!("{alias}.{c} = ?"))
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// The movie ids, from the index on the filter's columns (sql/0009), each once.
    fn drive(&self) -> String {
        format!(
            "m.id IN (SELECT l.movie_id FROM {} l WHERE {})",
            self.table,
            self.condition("l")
        )
    }

    /// Whether the movie `m` has such a row: a range of the table's primary key.
    fn probe(&self) -> String {
        format!(
            "EXISTS (SELECT 1 FROM {} l WHERE l.movie_id = m.id AND {})",
            self.table,
            self.condition("l")
        )
    }
}

impl MovieFilter {
    /// The filters on tables that hang off a movie, the likeliest to be selective first
    /// (a keyword or a company names a few movies; a country's certification, many).
    fn links(&self) -> Vec<Link> {
        let mut links = Vec::new();
        if let Some(id) = self.keyword_id {
            links.push(Link {
                table: "movie_keyword",
                columns: &["keyword_id"],
                values: vec![SqlValue::Int(id)],
            });
        }
        if let Some(id) = self.company_id {
            links.push(Link {
                table: "movie_company",
                columns: &["company_id"],
                values: vec![SqlValue::Int(id)],
            });
        }
        if let Some((id, region)) = &self.provider {
            links.push(Link {
                table: "movie_watch_provider",
                columns: &["provider_id", "iso_3166_1"],
                values: vec![SqlValue::Int(*id), SqlValue::Text(region.clone())],
            });
        }
        if let Some((region, certification)) = &self.certification {
            links.push(Link {
                table: "release_date",
                columns: &["iso_3166_1", "certification"],
                values: vec![
                    SqlValue::Text(region.clone()),
                    SqlValue::Text(certification.clone()),
                ],
            });
        }
        links
    }

    fn has_runtime(&self) -> bool {
        self.runtime_min.is_some() || self.runtime_max.is_some()
    }
}

/// A list envelope's contents before paging metadata.
#[derive(Default)]
pub struct Listing {
    pub total: i64,
    pub results: Vec<Text>,
}

/// The writers of list items, made once (each sorts its fields) rather than at every page: a
/// PersonItem, a Movie with its genres read by SQL, and one with its genres given.
static PERSON_ITEM: LazyLock<Writer> = LazyLock::new(|| Writer::new(&[PERSON], &[]));
static MOVIE_ITEM: LazyLock<Writer> =
    LazyLock::new(|| Writer::new(&[MOVIE_FIELDS, MOVIE_GENRES], &[]));
static MOVIE_ITEM_GIVEN_GENRES: LazyLock<Writer> =
    LazyLock::new(|| Writer::new(&[MOVIE_FIELDS], &["genres"]));

/// What the database layer answers: a value or the database's own error, which the routes
/// turn into an HTTP answer (`routes::handle`).
type Sql<T> = read::Result<T>;

impl Db {
    /// Opens the mirror read-only (a missing or outdated database is an error).
    pub fn open(source: &Source, shared: Arc<Shared>) -> Result<Db> {
        let (conn, ranker) = match source {
            Source::Sqlite(path, access) => {
                let conn = Db::open_sqlite(path, *access)?;
                let ranker = rank::register(&conn, Arc::clone(&shared))?;
                (Conn::Sqlite(conn), Some(ranker))
            }
            Source::Postgres(url) => {
                let conn = read::Postgres::open(url)?;
                // The counter read is planned once for the connection rather than at every
                // request (see `begin`). Every statement keeps its generic plan: PostgreSQL
                // otherwise plans a statement for its values while that looks cheaper than the
                // generic plan, which for a title search it always did (0.2 ms of planning at
                // every search, for the same plan), while a server's statements are few and
                // their plans fixed by their SQL, as SQLite's are (`open_sqlite`).
                conn.execute(&format!(
                    "PREPARE {PG_CHANGES} AS {}; SET plan_cache_mode = force_generic_plan",
                    Dialect::Postgres.change_counter()
                ))?;
                (Conn::Postgres(Box::new(conn)), None)
            }
            Source::Mysql(url) => (Conn::Mysql(Box::new(read::Mysql::open(url)?)), None),
        };
        let data_version = read::first(&conn, conn.dialect().change_counter(), &[], |r| {
            Ok(r.int(0)?.unwrap_or(-1))
        })?
        .unwrap_or(-1);
        Ok(Db {
            conn,
            shared,
            ranker,
            data_version,
            commit_due: false,
        })
    }

    /// Whether the connection was lost (a database server restarted): the pool replaces it.
    pub fn is_broken(&self) -> bool {
        match &self.conn {
            Conn::Sqlite(_) => false,
            Conn::Postgres(conn) => conn.is_closed(),
            Conn::Mysql(conn) => conn.is_closed(),
        }
    }

    /// [`Db::is_broken`] after a failed answer, which asks the server whether the connection
    /// still answers (one round trip).
    pub fn is_broken_after_failure(&self) -> bool {
        match &self.conn {
            Conn::Sqlite(_) => false,
            Conn::Postgres(conn) => !conn.answers(),
            // The MySQL client marks its connection closed when a statement finds it lost.
            Conn::Mysql(conn) => conn.is_closed(),
        }
    }

    /// Starts the request's reads. On PostgreSQL one read-only transaction, so that the
    /// statements of one answer see one state of the mirror (a load may commit meanwhile);
    /// its first statement reads the change counter, in the same round trip as the BEGIN (and
    /// as the COMMIT of the transaction before, when it is due) and in the same state as the
    /// answer. On SQLite one read transaction too, then its `data_version`: each statement
    /// otherwise took and released SQLite's shared lock on its own (fcntl calls on the file and
    /// its WAL index), and a record of `/3/movie` reads several tables (with credits: 142 ->
    /// 91 us of CPU an answer on 1,000,000 movies). Either way the shared caches are emptied if
    /// the data changed (see [`Db::unchanged`]), and the request's ranking epoch starts (see
    /// [`Ranker::begin`]).
    pub fn begin(&mut self) -> Sql<()> {
        match &self.conn {
            Conn::Sqlite(conn) => {
                // A transaction an earlier answer left open (its COMMIT failed) ends first.
                if !conn.is_autocommit() {
                    conn.execute_batch("ROLLBACK")?;
                }
                conn.execute_batch("BEGIN")?;
                self.unchanged();
            }
            Conn::Postgres(_) => {
                let counter = self.server_counter(&format!(
                    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; EXECUTE {PG_CHANGES}"
                ))?;
                self.seen(counter);
            }
            // The same on MySQL: a snapshot taken at the start, read-only.
            Conn::Mysql(_) => {
                let counter = self.server_counter(&format!(
                    "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY; {}",
                    Dialect::Mysql.change_counter()
                ))?;
                self.seen(counter);
            }
        }
        if let Some(ranker) = &self.ranker {
            ranker.begin();
        }
        Ok(())
    }

    /// Ends what [`Db::begin`] started. A PostgreSQL or MySQL transaction's COMMIT is only due:
    /// it goes with whatever this connection sends next, in the same round trip (the next
    /// request's BEGIN, or the next read of the change counter), or alone from [`Db::finish`],
    /// which the connection's thread calls when no request waits. Under load that spares a
    /// round trip per request; idle, no transaction is left open (it would hold its snapshot,
    /// and its locks would keep a migration waiting).
    /// SQLite's read transaction ends at once: it has nothing to send, and a reader holds
    /// back the checkpoints of a load.
    pub fn end(&mut self) {
        match &self.conn {
            // A failure leaves the transaction open, and the next `begin` ends it.
            Conn::Sqlite(conn) => {
                if !conn.is_autocommit() {
                    let _ = conn.execute_batch("COMMIT");
                }
            }
            Conn::Postgres(_) | Conn::Mysql(_) => self.commit_due = true,
        }
    }

    /// Sends the COMMIT that [`Db::end`] left due, if any.
    pub fn finish(&mut self) -> Sql<()> {
        if !self.commit_due {
            return Ok(());
        }
        self.commit_due = false;
        match &self.conn {
            Conn::Sqlite(_) => Ok(()),
            Conn::Postgres(conn) => conn.execute("COMMIT"),
            Conn::Mysql(conn) => conn.execute("COMMIT"),
        }
    }

    /// Runs `sql` (the server's own, ending with the change counter's read) after the COMMIT
    /// that is due, in one round trip, and answers the counter (-1 when it cannot be read).
    fn server_counter(&mut self, sql: &str) -> Sql<i64> {
        if let Conn::Sqlite(_) = &self.conn {
            return Ok(-1);
        }
        let sql = if self.commit_due {
            Cow::Owned(format!("COMMIT; {sql}"))
        } else {
            Cow::Borrowed(sql)
        };
        // After a failure, whatever it left open is committed next time (a COMMIT with no
        // transaction open only draws a warning).
        self.commit_due = true;
        let counter = match &self.conn {
            Conn::Sqlite(_) => None,
            Conn::Postgres(conn) => conn.batch_value(&sql)?,
            Conn::Mysql(conn) => conn.batch_value(&sql)?,
        };
        self.commit_due = false;
        Ok(counter.and_then(|n| n.parse().ok()).unwrap_or(-1))
    }

    /// The SQLite connection, tuned for a read-mostly server.
    fn open_sqlite(path: &std::path::Path, access: ReadAccess) -> Result<rusqlite::Connection> {
        let conn = match access {
            ReadAccess::Shared => tmdb_core::db::open_read_only(path)?,
            ReadAccess::Immutable => tmdb_core::db::open_read_only_immutable(path)?,
        };
        // Reads served from the page cache mapping rather than copied through read(2). SQLite
        // clamps the request to its build's limit (2 GiB by default); past that it reads.
        conn.pragma_update(None, "mmap_size", 1_i64 << 40)?;
        conn.set_prepared_statement_cache_capacity(128);
        // Without the query planner stability guarantee, SQLite recompiles a cached statement
        // whenever a bound value it looked at while planning changes (a LIMIT, a compared
        // column's value): every list and search request paid a new parse and plan. Our plans
        // are fixed by their SQL (named indexes, CROSS JOIN), so nothing is lost.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        Ok(conn)
    }

    /// The caches shared by all workers.
    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Whether the database is as it was when this worker last looked (one read of the change
    /// counter, outside any transaction); when not, the shared caches are emptied.
    pub fn unchanged(&mut self) -> bool {
        let version = match &self.conn {
            Conn::Sqlite(conn) => read::first(conn, Dialect::Sqlite.change_counter(), &[], |r| {
                Ok(r.int(0)?.unwrap_or(-1))
            })
            .ok()
            .flatten(),
            Conn::Postgres(_) => self.server_counter(&format!("EXECUTE {PG_CHANGES}")).ok(),
            Conn::Mysql(_) => self.server_counter(Dialect::Mysql.change_counter()).ok(),
        };
        self.seen(version.unwrap_or(-1))
    }

    /// Takes `version`, the change counter just read: whether it is the one seen last (when
    /// not, the shared caches are emptied).
    fn seen(&mut self, version: i64) -> bool {
        if version == self.data_version {
            return true;
        }
        self.data_version = version;
        self.shared.invalidate();
        false
    }

    fn count(&mut self, sql: &str, params: &[SqlValue]) -> Sql<i64> {
        let key = count_key(sql, params);
        if let Some(n) = self.shared.count(&key) {
            return Ok(n);
        }
        let epoch = self.shared.epoch();
        let n = read::first(&self.conn, sql, params, |r| Ok(r.int(0)?.unwrap_or(0)))?.unwrap_or(0);
        self.shared.put_count(epoch, &key, n);
        Ok(n)
    }

    fn rows<T>(
        &self,
        sql: &str,
        params: &[SqlValue],
        map: impl FnMut(&Row<'_>) -> read::Result<T>,
    ) -> Sql<Vec<T>> {
        read::rows(&self.conn, sql, params, map)
    }

    fn first<T>(
        &self,
        sql: &str,
        params: &[SqlValue],
        map: impl FnMut(&Row<'_>) -> read::Result<T>,
    ) -> Sql<Option<T>> {
        Ok(self.rows(sql, params, map)?.into_iter().next())
    }

    /// How this database spells what differs (search above all).
    pub fn dialect(&self) -> Dialect {
        self.conn.dialect()
    }

    /// The genre id of a name, compared case-insensitively.
    pub fn genre_by_name(&self, name: &str) -> Sql<Option<i64>> {
        self.first(
            "SELECT id FROM genre WHERE lower(name) = lower(?1) ORDER BY id LIMIT 1",
            &[SqlValue::Text(name.to_owned())],
            |r| r.int(0).map(Option::unwrap_or_default),
        )
    }

    /// `GET /movies`, `GET /genres/{id}/movies`, `GET /keywords/{id}/movies`. With `index`,
    /// the discover index of the data the request reads, its total and ids come from memory
    /// (`tmdb/discover_index.rs`): a certification in a country is ~165,000 movies of
    /// 1,000,000, ~100 ms for SQL to count, a few bitset operations there.
    pub fn movies(
        &mut self,
        filter: &MovieFilter,
        sort: Sort<MovieSort>,
        page: Page,
        index: Option<&Index>,
    ) -> Sql<Listing> {
        let (from, params) = movie_from(filter);
        // The walk and the runtime histogram are SQL's ways to a list: not built for the index.
        let (walk, runtime_total) = match index {
            Some(_) => (None, None),
            None => (movie_walk(filter, sort), RuntimeTotal::of(filter)),
        };
        let list = List {
            keep: true,
            indexed: index.map(|index| Indexed {
                index,
                filter,
                sort,
            }),
            walk: walk.as_ref(),
            runtime_total: runtime_total.as_ref(),
            from: &from,
            order: &movie_order(sort),
            table: "movie m",
            alias: "m",
            items: Items::Movies(index),
        };
        self.list(&list, params, page)
    }

    /// The total of an indexed list ([`Indexed`]) and the ids of its rows `start..end`. The
    /// index holds every filter but the keyword and the company: their movies are asked of the
    /// database, by their index.
    fn indexed(&self, indexed: &Indexed<'_>, start: usize, end: usize) -> Sql<(i64, Vec<i64>)> {
        let filter = indexed.filter;
        let mut linked = Vec::new();
        for (table, column, id) in [
            ("movie_keyword", "keyword_id", filter.keyword_id),
            ("movie_company", "company_id", filter.company_id),
        ] {
            if let Some(id) = id {
                let sql = format!("SELECT movie_id FROM {table} WHERE {column} = ?1");
                linked.push(self.rows(&sql, &[SqlValue::Int(id)], |row| {
                    row.int(0).map(Option::unwrap_or_default)
                })?);
            }
        }
        let (total, ids) = indexed
            .index
            .list(filter, indexed.sort, &linked, start, end);
        Ok((i64::try_from(total).unwrap_or(i64::MAX), ids))
    }

    /// `GET /movies/search`: bm25 over titles (the title weighs more than the original title),
    /// then popularity, or one of the list sorts; filtered as `/movies`. `cached_bm25` is
    /// bm25 with its phrase counts cached (`rank.rs`). FTS drives: the filters are checked
    /// on the matching movies only, so a genre is a probe per match rather than a join.
    pub fn search_movies(
        &mut self,
        fts: &str,
        filter: &MovieFilter,
        sort: Sort<SearchSort>,
        page: Page,
        index: Option<&Index>,
    ) -> Sql<Listing> {
        // The MATCH is ?1 (the rank names it again); the filters' bare `?`s number on.
        let search = self.dialect().search(Searched::Movies, "m");
        let mut clauses = vec![search.matches];
        let mut params = vec![SqlValue::Text(fts.to_owned())];
        if let Some(genre) = filter.genre_id {
            clauses.push(GENRE_PROBE.to_owned());
            params.push(SqlValue::Int(genre));
        }
        filter_clauses(filter, &filter.links(), &mut clauses, &mut params);
        // SQLite's CROSS JOIN keeps the matches the outer loop: with a year SQLite could
        // otherwise start from the year's movies and run the whole MATCH once for each of them.
        let from = format!("{} WHERE {}", search.from, clauses.join(" AND "));
        let rank = search.rank;
        let order = match sort.field {
            SearchSort::Relevance if sort.descending => {
                format!("{rank}, m.popularity DESC, m.id")
            }
            // The exact reverse: least relevant first.
            SearchSort::Relevance => format!("{rank} DESC, m.popularity ASC, m.id DESC"),
            SearchSort::By(field) => movie_order(Sort {
                field,
                descending: sort.descending,
            }),
        };
        let list = List {
            keep: false,
            indexed: None,
            walk: None,
            runtime_total: None,
            from: &from,
            order: &order,
            table: "movie m",
            alias: "m",
            items: Items::Movies(index),
        };
        // Unfiltered but for adult films, by relevance, with the discover index of the data:
        // the matches and their ranks come from the search index alone, sorted in memory by
        // the discover index's popularity, where SQL read each match's movie row for its
        // popularity (~2 us a match on 1,000,000 movies; 6-7% of a two-word search's CPU).
        let unfiltered = MovieFilter {
            include_adult: filter.include_adult,
            ..MovieFilter::default()
        };
        if let (Some(index), Some(ranked_ids), SearchSort::Relevance) =
            (index, &search.ranked_ids, sort.field)
            && *filter == unfiltered
        {
            let matches = self.rows(ranked_ids, &params, |row| {
                let rank = match row.get(1)? {
                    Val::Real(x) => x,
                    Val::Int(x) => x as f64,
                    _ => f64::NAN,
                };
                Ok((row.int(0)?.unwrap_or_default(), rank))
            })?;
            if let Some(mut ranked) = index.sort_ranked(matches, filter.include_adult) {
                // The exact reverse, as in SQL's order above.
                if !sort.descending {
                    ranked.reverse();
                }
                let start = usize::try_from(page.offset()).unwrap_or(usize::MAX);
                let limit = usize::try_from(page.limit).unwrap_or(0);
                let ids: Vec<i64> = ranked.iter().skip(start).take(limit).map(|m| m.0).collect();
                return Ok(Listing {
                    total: ranked.len() as i64,
                    results: self.items_by_id(&list, &ids)?,
                });
            }
        }
        self.list(&list, params, page)
    }

    /// `GET /movies/{id}`, with the certification and watch providers of `region`.
    pub fn movie(&self, id: i64, region: &str) -> Sql<Option<Value>> {
        let sql = format!(
            "SELECT {}, {MOVIE_DETAIL_COLUMNS} FROM movie m WHERE m.id = ?1",
            movie_columns()
        );
        let params = [SqlValue::Int(id), SqlValue::Text(region.to_owned())];
        self.first(&sql, &params, |row| {
            read(row, &[MOVIE_FIELDS, MOVIE_GENRES, MOVIE_DETAIL])
        })
    }

    /// `GET /collections/{id}`: the collection and its parts (the mirrored movies that belong
    /// to it, adult ones too: it is the collection's record), oldest first, undated last.
    pub fn collection(&self, id: i64) -> Sql<Option<Value>> {
        let sql = format!("SELECT {COLLECTION_COLUMNS} FROM collection c WHERE c.id = ?1");
        let Some(mut collection) =
            self.first(&sql, &[SqlValue::Int(id)], |row| read(row, &[COLLECTION]))?
        else {
            return Ok(None);
        };
        let parts = self.rows(
            &format!(
                "SELECT {} FROM movie m WHERE m.collection_id = ?1 \
                 ORDER BY coalesce(m.release_date, '') = '', m.release_date, m.id",
                movie_columns()
            ),
            &[SqlValue::Int(id)],
            |row| read(row, &[MOVIE_FIELDS, MOVIE_GENRES]),
        )?;
        collection["parts"] = parts.into();
        Ok(Some(collection))
    }

    /// `GET /companies/{id}`.
    pub fn company(&self, id: i64) -> Sql<Option<Value>> {
        let sql = format!("SELECT {COMPANY_COLUMNS} FROM company c WHERE c.id = ?1");
        self.first(&sql, &[SqlValue::Int(id)], |row| read(row, &[COMPANY]))
    }

    /// `GET /keywords/{id}`.
    pub fn keyword(&self, id: i64) -> Sql<Option<Value>> {
        let sql = format!("SELECT {KEYWORD_COLUMNS} FROM keyword k WHERE k.id = ?1");
        self.first(&sql, &[SqlValue::Int(id)], |row| read(row, &[KEYWORD]))
    }

    /// `GET /movies/{id}/credits`; `None` when there is no such movie.
    pub fn credits(&self, id: i64) -> Sql<Option<Value>> {
        if !self.exists("SELECT 1 FROM movie WHERE id = ?1", id)? {
            return Ok(None);
        }
        let cast = self.rows(
            &format!(
                "SELECT {CREDIT_COLUMNS}, {CAST_ROLE_COLUMNS} FROM credit \
                 WHERE movie_id = ?1 AND kind = 'cast' \
                 ORDER BY cast_order IS NULL, cast_order, credit_id"
            ),
            &[SqlValue::Int(id)],
            |row| read(row, &[CREDIT, CAST_ROLE]),
        )?;
        let crew = self.rows(
            &format!(
                "SELECT {CREDIT_COLUMNS}, {CREW_ROLE_COLUMNS} FROM credit \
                 WHERE movie_id = ?1 AND kind = 'crew' \
                 ORDER BY department, job, name, credit_id"
            ),
            &[SqlValue::Int(id)],
            |row| read(row, &[CREDIT, CREW_ROLE]),
        )?;
        Ok(Some(json!({"id": id, "cast": cast, "crew": crew})))
    }

    /// `GET /people`.
    pub fn people(
        &mut self,
        include_adult: bool,
        sort: Sort<PeopleSort>,
        page: Page,
    ) -> Sql<Listing> {
        let adult = SqlValue::Bool(include_adult);
        let total = self.count(
            "SELECT count(*) FROM people p WHERE (?1 OR p.adult = 0)",
            std::slice::from_ref(&adult),
        )?;
        let order = match (sort.field, sort.descending) {
            (PeopleSort::Name, false) => "p.name ASC NULLS LAST, p.id ASC",
            (PeopleSort::Name, true) => "p.name DESC, p.id DESC",
            (PeopleSort::Popularity, false) => "p.popularity ASC NULLS LAST, p.id ASC",
            (PeopleSort::Popularity, true) => "p.popularity DESC, p.id DESC",
        };
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM people p WHERE (?1 OR p.adult = 0) \
             ORDER BY {order} LIMIT ?2 OFFSET ?3"
        );
        let params = [
            adult,
            SqlValue::Int(page.limit),
            SqlValue::Int(page.offset()),
        ];
        let results = self.rows(&sql, &params, |row| PERSON_ITEM.write(row, &[]))?;
        Ok(Listing { total, results })
    }

    /// `GET /people/search`: ranked as `/movies/search`.
    pub fn search_people(&mut self, fts: &str, include_adult: bool, page: Page) -> Sql<Listing> {
        let search = self.dialect().search(Searched::People, "p");
        let from = format!(
            "{} WHERE {} AND (?2 OR p.adult = 0)",
            search.from, search.matches
        );
        let order = format!("{}, p.popularity DESC, p.id", search.rank);
        let list = List {
            keep: false,
            indexed: None,
            walk: None,
            runtime_total: None,
            from: &from,
            order: &order,
            table: "people p",
            alias: "p",
            items: Items::People,
        };
        let params = vec![
            SqlValue::Text(fts.to_owned()),
            SqlValue::Bool(include_adult),
        ];
        self.list(&list, params, page)
    }

    /// One page of a list and its total.
    ///
    /// A list that is not a search is first read as its total and its first [`LIST_HEAD`]
    /// ids in order, which are kept (`Shared::list`): another page of the same list, or
    /// another limit, then reads only its own rows. The first ids are one sort that keeps the
    /// best [`LIST_HEAD`] (a year's list by title or popularity sorts ~7,000 ids on a
    /// 1,000,000-movie mirror), and the total is counted apart only when there are more.
    ///
    /// A search's words rarely come again, so nothing is kept; while its total is not known
    /// to be larger, its matching ids are read once in order (up to [`ONE_PASS_MAX`]), which
    /// gives the total and the page together, where a count query and a page query would each
    /// run the full-text match again. Pages past the kept ids, and bigger sets, are counted
    /// apart and paged by the query.
    ///
    /// Either way the page is found as ids and its rows are then read by id, so the sort
    /// carries an id and its key per matching row, not every column of the row: selecting
    /// the columns in the sorted query computed them (the genres subquery included) for every
    /// match before the LIMIT: 4.8 ms instead of 2.2 ms for a page of a year and a genre
    /// (~720 matches) on 1,000,000 movies.
    fn list(&mut self, list: &List<'_>, mut params: Vec<SqlValue>, page: Page) -> Sql<Listing> {
        let start = usize::try_from(page.offset()).unwrap_or(usize::MAX);
        let end = start.saturating_add(usize::try_from(page.limit).unwrap_or(0));
        let count_sql = count_sql(list.from);
        let ids_sql = |limit: usize| {
            format!(
                "SELECT {}.id {} ORDER BY {} LIMIT {limit}",
                list.alias, list.from, list.order
            )
        };
        let id = |row: &Row<'_>| row.int(0).map(Option::unwrap_or_default);
        let total = if list.keep {
            let head_sql = ids_sql(LIST_HEAD + 1);
            let key = count_key(&head_sql, &params);
            let kept = match self.shared.list(&key) {
                Some(kept) => kept,
                None => {
                    let epoch = self.shared.epoch();
                    let (total, head) = match (&list.indexed, list.walk) {
                        (Some(indexed), _) => self.indexed(indexed, 0, LIST_HEAD)?,
                        (None, Some(walk)) => {
                            let total = match list.runtime_total {
                                Some(runtime) => self.runtime_total(runtime)?,
                                None => self.count(&count_sql, &params)?,
                            };
                            let walked = self.walk(list, walk, total)?;
                            let head = match walked {
                                Some(head) => head,
                                None => self.rows(&ids_sql(LIST_HEAD), &params, id)?,
                            };
                            (total, head)
                        }
                        (None, None) => {
                            let mut head = self.rows(&head_sql, &params, id)?;
                            let total = if head.len() > LIST_HEAD {
                                head.truncate(LIST_HEAD);
                                self.count(&count_sql, &params)?
                            } else {
                                head.len() as i64
                            };
                            (total, head)
                        }
                    };
                    let kept = Kept {
                        total,
                        head: head.into(),
                    };
                    self.shared.put_list(epoch, &key, kept.clone());
                    kept
                }
            };
            if end <= kept.head.len() || kept.total <= kept.head.len() as i64 {
                let results = self.items_by_id(list, page_ids(&kept.head, start, end))?;
                return Ok(Listing {
                    total: kept.total,
                    results,
                });
            }
            if let Some(indexed) = &list.indexed {
                let (total, ids) = self.indexed(indexed, start, end)?;
                let results = self.items_by_id(list, &ids)?;
                return Ok(Listing { total, results });
            }
            kept.total
        } else if self.shared.count(&count_key(&count_sql, &params)).is_none() {
            let epoch = self.shared.epoch();
            let ids = self.rows(&ids_sql(ONE_PASS_MAX + 1), &params, id)?;
            if ids.len() <= ONE_PASS_MAX {
                let total = ids.len() as i64;
                self.shared
                    .put_count(epoch, &count_key(&count_sql, &params), total);
                let results = self.items_by_id(list, page_ids(&ids, start, end))?;
                return Ok(Listing { total, results });
            }
            self.count(&count_sql, &params)?
        } else {
            self.count(&count_sql, &params)?
        };
        // Numbered after the filter's own parameters (SQLite numbers a bare `?` after the
        // highest number used before it).
        let n = params.len();
        let sql = format!(
            "SELECT {}.id {} ORDER BY {} LIMIT ?{} OFFSET ?{}",
            list.alias,
            list.from,
            list.order,
            n + 1,
            n + 2
        );
        params.extend([SqlValue::Int(page.limit), SqlValue::Int(page.offset())]);
        let ids = self.rows(&sql, &params, id)?;
        let results = self.items_by_id(list, &ids)?;
        Ok(Listing { total, results })
    }

    /// A list's first [`LIST_HEAD`] ids (or all of its `total`, when fewer) read by walking its
    /// sort's index ([`walk_budget`] says when); `None` when sorting costs less or the walk ran
    /// out of rows (then the list is sorted instead).
    ///
    /// A list without a year is driven by a filter's index and sorted: a certification or a
    /// watch provider in a country, a runtime range, a genre can match a sixth of the mirror or
    /// more (a certification's 165,000 movies of 1,000,000, ~0.5 s to sort), while the first
    /// 100 of them in popularity order are among the first ~600 of the popularity index.
    fn walk(
        &self,
        list: &List<'_>,
        walk: &(String, Vec<SqlValue>),
        total: i64,
    ) -> Sql<Option<Vec<i64>>> {
        let wanted = usize::try_from(total).unwrap_or(0).min(LIST_HEAD);
        if wanted == 0 {
            return Ok(Some(Vec::new()));
        }
        let Some(budget) = walk_budget(&self.conn, wanted, total)? else {
            return Ok(None);
        };
        let sql = format!(
            "SELECT {}.id, {} ORDER BY {}",
            list.alias, walk.0, list.order
        );
        walk_ids(&self.conn, &sql, &walk.1, 0, wanted, budget)
    }

    /// The total of a runtime range, summed from the runtime histogram of its other filters.
    fn runtime_total(&self, runtime: &RuntimeTotal) -> Sql<i64> {
        let key = count_key(&runtime.sql, &runtime.params);
        let histogram = match self.shared.histogram(&key) {
            Some(histogram) => histogram,
            None => {
                let epoch = self.shared.epoch();
                let histogram: Histogram = self
                    .rows(&runtime.sql, &runtime.params, |r| {
                        Ok((r.int(0)?.unwrap_or_default(), r.int(1)?.unwrap_or_default()))
                    })?
                    .into();
                self.shared
                    .put_histogram(epoch, &key, Arc::clone(&histogram));
                histogram
            }
        };
        Ok(histogram
            .iter()
            .filter(|(minutes, _)| {
                runtime.min.is_none_or(|min| *minutes >= min)
                    && runtime.max.is_none_or(|max| *minutes <= max)
            })
            .map(|(_, n)| n)
            .sum())
    }

    /// A list's items for these ids, in their order, read by one statement: a statement per
    /// id took and released SQLite's read lock once per row, and with several workers that
    /// lock is contended.
    fn items_by_id(&self, list: &List<'_>, ids: &[i64]) -> Sql<Vec<Text>> {
        let (conn, table, alias) = (&self.conn, list.table, list.alias);
        match list.items {
            Items::People => in_order(conn, PERSON_COLUMNS, table, alias, ids, |row| {
                PERSON_ITEM.write(row, &[])
            }),
            Items::Movies(Some(index)) if let Some(mut rows) = index.page_rows(ids) => {
                let writer = &*MOVIE_ITEM_GIVEN_GENRES;
                let mut genres = Vec::new();
                in_order(conn, MOVIE_FIELDS_COLUMNS, table, alias, ids, |row| {
                    let id = row.int(0)?.unwrap_or_default();
                    genres.clear();
                    if !rows.write_genres(id, &mut genres) {
                        genres.extend_from_slice(b"null");
                    }
                    writer.write(row, &[&genres])
                })
            }
            Items::Movies(_) => in_order(conn, &movie_columns(), table, alias, ids, |row| {
                MOVIE_ITEM.write(row, &[])
            }),
        }
    }

    /// The connection, for TMDB's own routes (`tmdb/`), which hold their own SQL.
    pub fn conn(&self) -> &Conn {
        &self.conn
    }

    /// `GET /people/{id}`.
    pub fn person(&self, id: i64) -> Sql<Option<Value>> {
        let sql = format!(
            "SELECT {PERSON_COLUMNS}, {PERSON_DETAIL_COLUMNS} FROM people p WHERE p.id = ?1"
        );
        self.first(&sql, &[SqlValue::Int(id)], |row| {
            read(row, &[PERSON, PERSON_DETAIL])
        })
    }

    /// `GET /people/{id}/movies`; `None` when the person has neither a record nor a credit.
    pub fn filmography(&self, id: i64) -> Sql<Option<Value>> {
        let sql = |kind: &str, extra: &str| {
            format!(
                "SELECT {}, {extra} FROM credit c \
                 JOIN movie m ON m.id = c.movie_id WHERE c.person_id = ?1 AND c.kind = '{kind}' \
                 ORDER BY m.release_date IS NULL, m.release_date DESC, m.id DESC, c.credit_id",
                movie_columns()
            )
        };
        let cast = self.rows(
            &sql("cast", FILM_CAST_COLUMNS),
            &[SqlValue::Int(id)],
            |row| read(row, &[MOVIE_FIELDS, MOVIE_GENRES, FILM_CAST]),
        )?;
        let crew = self.rows(
            &sql("crew", FILM_CREW_COLUMNS),
            &[SqlValue::Int(id)],
            |row| read(row, &[MOVIE_FIELDS, MOVIE_GENRES, FILM_CREW]),
        )?;
        if cast.is_empty()
            && crew.is_empty()
            && !self.exists("SELECT 1 FROM people WHERE id = ?1", id)?
        {
            return Ok(None);
        }
        Ok(Some(json!({"id": id, "cast": cast, "crew": crew})))
    }

    /// `GET /genres`, by name, each with its count of non-adult movies. Counted as all the
    /// genre's movies (from the genre index alone) minus its adult ones (one scan of movie):
    /// joining every genre row to its movie instead takes seconds on a large mirror.
    pub fn genres(&self) -> Sql<Value> {
        let genres = self.rows(
            "WITH adult AS MATERIALIZED (
               SELECT mg.genre_id, count(*) AS n FROM movie m
               JOIN movie_genre mg ON mg.movie_id = m.id WHERE m.adult <> 0 GROUP BY mg.genre_id)
             SELECT g.id, g.name,
               (SELECT count(*) FROM movie_genre mg WHERE mg.genre_id = g.id)
                 - coalesce((SELECT n FROM adult WHERE adult.genre_id = g.id), 0)
             FROM genre g ORDER BY g.name, g.id",
            &[],
            |row| {
                Ok(json!({
                    "id": value(row, 0),
                    "name": value(row, 1),
                    "movie_count": value(row, 2),
                }))
            },
        )?;
        Ok(json!({ "genres": genres }))
    }

    /// Whether a genre id is known.
    pub fn genre_exists(&self, id: i64) -> Sql<bool> {
        self.exists("SELECT 1 FROM genre WHERE id = ?1", id)
    }

    /// `GET /stats`: row counts and the last load.
    pub fn stats(&mut self) -> Sql<Value> {
        let mut out = Map::new();
        for (key, table) in [
            ("movies", "movie"),
            ("people", "people"),
            ("credits", "credit"),
            ("genres", "genre"),
            ("movie_ids", "movie_ids"),
            ("gone", "gone"),
        ] {
            let n = self.count(&format!("SELECT count(*) FROM {table}"), &[])?;
            out.insert(key.to_owned(), n.into());
        }
        let last = self.first(
            "SELECT * FROM load_log ORDER BY id DESC LIMIT 1",
            &[],
            |row| {
                Ok((0..row.len())
                    .filter(|&i| row.name(i) != "id")
                    .map(|i| (row.name(i).to_owned(), value(row, i)))
                    .collect::<Map<String, Value>>())
            },
        )?;
        out.insert(
            "last_load".to_owned(),
            last.map_or(Value::Null, Value::Object),
        );
        Ok(Value::Object(out))
    }

    /// `GET /health`: the schema version, read from the database (so a broken file shows).
    pub fn health(&self) -> Sql<Value> {
        let version = self
            .first(self.dialect().schema_version(), &[], |r| r.int(0))?
            .flatten()
            .unwrap_or(0);
        Ok(json!({"status": "ok", "schema_version": version}))
    }

    fn exists(&self, sql: &str, id: i64) -> Sql<bool> {
        Ok(self.first(sql, &[SqlValue::Int(id)], |_| Ok(()))?.is_some())
    }
}

/// The rows of `table` (aliased `alias`) whose ids are `ids`, selected as `columns` (the id
/// first) and each made by `map`, in the order of `ids`, read by one statement: a statement per
/// id took and released SQLite's read lock once per row. The order is made here: with `ORDER BY`
/// on json_each's key SQLite copied every row, long texts too, into a temporary B-tree to sort
/// it, as json_each does not say its rows come in order.
pub fn in_order<T>(
    conn: &dyn Read,
    columns: &str,
    table: &str,
    alias: &str,
    ids: &[i64],
    mut map: impl FnMut(&Row<'_>) -> Sql<T>,
) -> Sql<Vec<T>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {columns} FROM json_each(?1) AS page CROSS JOIN {table} ON {alias}.id = page.value"
    );
    let page = [SqlValue::Text(Value::from(ids).to_string())];
    // A page is at most a few hundred ids: a search of them per row costs less than a map.
    let mut placed = read::rows(conn, &sql, &page, |row| {
        let id = row.int(0)?;
        let place = ids
            .iter()
            .position(|&at| Some(at) == id)
            .unwrap_or(usize::MAX);
        Ok((place, map(row)?))
    })?;
    placed.sort_by_key(|&(place, _)| place);
    Ok(placed.into_iter().map(|(_, item)| item).collect())
}

/// How many rows a walk of a sort's index may read to find the first `wanted` of `total`
/// matching movies, or `None` when sorting the matches costs less.
///
/// If the matches are spread evenly over the index, the walk reads `expected = wanted *
/// movies / total` entries, each with its movie row and the filters' probes; sorting reads
/// `total` entries, of an index or of movie rows, and sorts them. The walk is taken when
/// `2 * expected < total`, and given `4 * expected` rows, so that a filter correlated with
/// the sort (its matches late in the index) costs at most about twice the sort before the
/// sort is done anyway. `max(id)` stands in for the number of movies (TMDB's ids are dense
/// enough, and it costs one step of the primary key).
pub fn walk_budget(conn: &dyn Read, wanted: usize, total: i64) -> Sql<Option<usize>> {
    // The walk is SQLite's plan, forced with INDEXED BY; PostgreSQL's planner weighs a LIMIT
    // against its own statistics, and its client would fetch every row before the first.
    if conn.dialect() != Dialect::Sqlite {
        return Ok(None);
    }
    let movies = read::first(conn, "SELECT coalesce(max(id), 0) FROM movie", &[], |r| {
        r.int(0)
    })?
    .flatten()
    .unwrap_or(0);
    let expected = wanted as f64 * movies as f64 / total.max(1) as f64;
    Ok((expected * 2.0 < total as f64).then_some((expected * 4.0).ceil() as usize))
}

/// Steps through `sql`'s rows (an id, then whether the row passes the filter) until `wanted`
/// rows have passed after the first `skip` that did: their ids, or `None` when `budget` rows
/// were read first. Stopping there is what bounds a walk of an index (`Db::walk`, and
/// discover's in `tmdb/lists.rs`).
pub fn walk_ids(
    conn: &dyn Read,
    sql: &str,
    params: &[SqlValue],
    skip: usize,
    wanted: usize,
    budget: usize,
) -> Sql<Option<Vec<i64>>> {
    let mut ids = Vec::with_capacity(wanted);
    let mut skipped = 0;
    let mut read_rows = 0;
    conn.each_while(sql, params, &mut |row| {
        read_rows += 1;
        if row.int(1)? == Some(1) {
            if skipped < skip {
                skipped += 1;
            } else {
                ids.push(row.int(0)?.unwrap_or_default());
            }
        }
        Ok(ids.len() < wanted && read_rows < budget)
    })?;
    Ok((ids.len() == wanted).then_some(ids))
}

/// The ids from `start` to `end` (a page) of a list's first ids, as many as there are.
fn page_ids(ids: &[i64], start: usize, end: usize) -> &[i64] {
    &ids[start.min(ids.len())..end.min(ids.len())]
}

/// The query counting a list's rows.
fn count_sql(from: &str) -> String {
    format!("SELECT count(*) {from}")
}

/// The shared count cache's key for a count query.
fn count_key(sql: &str, params: &[SqlValue]) -> String {
    format!("{sql}\u{1}{params:?}")
}

/// The FROM and WHERE (rows aliased `m`) and their parameters for a movie filter. Every
/// branch is an indexed comparison or a probe of a key, so the sort's index, the year's range
/// of movie_date_cover or a filter's own index can drive the scan.
///
/// A genre and a year read genre_movie_by_date (sql/0006): one range of its key holds the
/// genre's movies of that year with every column a filter or a sort needs, under movie's
/// names, so the same clauses apply and no movie row is read (~0.1 ms where the year's range
/// of movie_date_cover and a movie_genre probe per movie took ~3 ms on 1,000,000 movies).
/// It has no runtime: with a runtime filter the year's range drives instead.
///
/// A year names its index. The year's range of movie_date_cover is a small slice of the
/// mirror, a language or a status often a big one ("en", "Released"); without ANALYZE
/// statistics (ndjson-load writes none) SQLite picked their indexes instead: 0.35 s instead
/// of 2 ms for a year of English movies on 1,000,000. The year's range is always usable, so
/// naming the index cannot fail.
///
/// Without a year, a keyword, company, watch provider or certification drives: its index
/// gives the movie ids (`m.id IN (...)`, each id once even when a movie has two US release
/// dates with the same certification), which are looked up by rowid and then sorted. NOT
/// INDEXED keeps SQLite from walking the sort's index over the whole mirror instead and testing
/// each movie against the list, which it prefers without statistics. The other such filters
/// are probes of their table's key.
///
/// A genre alone is a join, not `EXISTS (SELECT ...)`: the same one probe per movie, but
/// without a subquery run per row it costs about 0.5 µs instead of 1.2 µs. movie_genre's key
/// is (movie_id, genre_id), so the join yields each movie at most once. CROSS JOIN keeps movie
/// the outer loop: without it, on a mirror that was never ANALYZEd, SQLite would start from
/// the genre's index and sort all of its movies (~95,000 a genre for 1,000,000).
///
/// A runtime range alone reads movie_runtime_cover (sql/0013), which holds the columns of the
/// filters and sorts, so the range is counted and sorted from the index alone.
fn movie_from(f: &MovieFilter) -> (String, Vec<SqlValue>) {
    let mut clauses = Vec::new();
    let mut params = Vec::new();
    let mut links = f.links();
    let mut genre_probe = None;
    // A join's `?` comes before the WHERE's in the text, and SQLite numbers them in order.
    let from = match (f.genre_id, f.year) {
        (Some(genre), Some(_)) if !f.has_runtime() => {
            clauses.push("m.genre_id = ?".to_owned());
            params.push(SqlValue::Int(genre));
            "genre_movie_by_date m"
        }
        (genre, Some(_)) => {
            genre_probe = genre;
            "movie m INDEXED BY movie_date_cover"
        }
        (genre, None) if !links.is_empty() => {
            genre_probe = genre;
            let first = links.remove(0);
            clauses.push(first.drive());
            params.extend(first.values);
            "movie m NOT INDEXED"
        }
        (Some(genre), None) => {
            params.push(SqlValue::Int(genre));
            "movie m CROSS JOIN movie_genre mg ON mg.movie_id = m.id AND mg.genre_id = ?"
        }
        (None, None) if f.has_runtime() => "movie m INDEXED BY movie_runtime_cover",
        (None, None) => "movie m",
    };
    if let Some(genre) = genre_probe {
        clauses.push(GENRE_PROBE.to_owned());
        params.push(SqlValue::Int(genre));
    }
    filter_clauses(f, &links, &mut clauses, &mut params);
    if clauses.is_empty() {
        clauses.push("1".to_owned());
    }
    (
        format!("FROM {from} WHERE {}", clauses.join(" AND ")),
        params,
    )
}

/// The index that gives a movie sort's order (its column first, the rowid last).
fn sort_index(field: MovieSort) -> &'static str {
    match field {
        MovieSort::Popularity => "movie_popularity",
        MovieSort::ReleaseDate => "movie_date_cover",
        MovieSort::VoteAverage => "movie_vote_average",
        MovieSort::VoteCount => "movie_vote_count",
        MovieSort::Title => "movie_title",
    }
}

/// The walk of a list without a year (`Db::walk`): `FROM movie m INDEXED BY <the sort's
/// index>`, preceded by the filter as one expression of the row (every filter a probe), and
/// its parameters in the order of their `?`s.
fn movie_walk(f: &MovieFilter, sort: Sort<MovieSort>) -> Option<(String, Vec<SqlValue>)> {
    if f.year.is_some() {
        return None;
    }
    let mut clauses = Vec::new();
    let mut params = Vec::new();
    if let Some(genre) = f.genre_id {
        clauses.push(GENRE_PROBE.to_owned());
        params.push(SqlValue::Int(genre));
    }
    filter_clauses(f, &f.links(), &mut clauses, &mut params);
    if clauses.is_empty() {
        clauses.push("1".to_owned());
    }
    let filter = clauses.join(" AND ");
    Some((
        format!(
            "({filter}) FROM movie m INDEXED BY {}",
            sort_index(sort.field)
        ),
        params,
    ))
}

/// The total of a list whose only range is a runtime range, read from the index of runtimes
/// as one count per runtime (sql/0013): the counts of every minute, for the list's other
/// filters, are kept (`Shared::histogram`), and a range's total is their sum. Counting the
/// range itself read every movie in it: a quarter of the mirror for a range of 20 minutes
/// (~40 ms on 1,000,000 movies), and nearly every request of a varied run names a new range.
struct RuntimeTotal {
    sql: String,
    params: Vec<SqlValue>,
    min: Option<i64>,
    max: Option<i64>,
}

impl RuntimeTotal {
    /// For a list that `movie_from` reads from movie_runtime_cover.
    fn of(f: &MovieFilter) -> Option<RuntimeTotal> {
        if !f.has_runtime() || f.year.is_some() || f.genre_id.is_some() || !f.links().is_empty() {
            return None;
        }
        let others = MovieFilter {
            runtime_min: None,
            runtime_max: None,
            ..f.clone()
        };
        let mut clauses = vec!["m.runtime IS NOT NULL".to_owned()];
        let mut params = Vec::new();
        filter_clauses(&others, &[], &mut clauses, &mut params);
        Some(RuntimeTotal {
            sql: format!(
                "SELECT m.runtime, count(*) FROM movie m INDEXED BY movie_runtime_cover \
                 WHERE {} GROUP BY m.runtime",
                clauses.join(" AND ")
            ),
            params,
            min: f.runtime_min,
            max: f.runtime_max,
        })
    }
}

/// Whether the movie `m` is in the genre `?`: one probe of movie_genre's key.
const GENRE_PROBE: &str =
    "EXISTS (SELECT 1 FROM movie_genre mg WHERE mg.movie_id = m.id AND mg.genre_id = ?)";

/// The WHERE clauses (rows aliased `m`) and parameters of a movie filter's adult flag, year,
/// language, status, vote count and runtime, and the probes of `links`, in the order of their
/// `?`s.
fn filter_clauses(
    f: &MovieFilter,
    links: &[Link],
    clauses: &mut Vec<String>,
    params: &mut Vec<SqlValue>,
) {
    if !f.include_adult {
        clauses.push("m.adult = 0".to_owned());
    }
    if let Some(year) = f.year {
        clauses.push("m.release_date >= ? AND m.release_date < ?".to_owned());
        params.push(SqlValue::Text(format!("{year:04}-01-01")));
        params.push(SqlValue::Text(format!("{:04}-01-01", year + 1)));
    }
    if let Some(language) = &f.language {
        clauses.push("m.original_language = ?".to_owned());
        params.push(SqlValue::Text(language.clone()));
    }
    if let Some(status) = &f.status {
        clauses.push("m.status = ?".to_owned());
        params.push(SqlValue::Text(status.clone()));
    }
    if let Some(votes) = f.min_votes {
        clauses.push("m.vote_count >= ?".to_owned());
        params.push(SqlValue::Int(votes));
    }
    if let Some(min) = f.runtime_min {
        clauses.push("m.runtime >= ?".to_owned());
        params.push(SqlValue::Int(min));
    }
    if let Some(max) = f.runtime_max {
        clauses.push("m.runtime <= ?".to_owned());
        params.push(SqlValue::Int(max));
    }
    for link in links {
        clauses.push(link.probe());
        params.extend(link.values.iter().cloned());
    }
}

/// ORDER BY for a movie sort; ties break on id so pages never overlap, absent values last.
fn movie_order(sort: Sort<MovieSort>) -> String {
    let column = match sort.field {
        MovieSort::Popularity => "m.popularity",
        MovieSort::ReleaseDate => "m.release_date",
        MovieSort::VoteAverage => "m.vote_average",
        MovieSort::VoteCount => "m.vote_count",
        MovieSort::Title => "m.title",
    };
    if sort.descending {
        // SQLite sorts NULL lowest, so descending already puts absent values last.
        format!("{column} DESC, m.id DESC")
    } else {
        format!("{column} ASC NULLS LAST, m.id ASC")
    }
}

/// Turns what a user typed into a full-text query of `dialect` that always parses: each word
/// quoted (operators and punctuation lose their meaning), the last one a prefix (search as you
/// type). `None` when nothing searchable is left.
pub fn fts_query(dialect: Dialect, input: &str) -> Option<String> {
    let words: Vec<&str> = input
        .split(|c: char| c.is_whitespace() || c.is_ascii_punctuation() || c.is_control())
        .filter(|w| !w.is_empty())
        .take(16)
        .collect();
    dialect.search_query(&words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_queries_quote_every_word_and_prefix_the_last() {
        assert_eq!(
            fts_query(Dialect::Sqlite, "fight cl").as_deref(),
            Some("\"fight\" \"cl\"*")
        );
        assert_eq!(
            fts_query(Dialect::Sqlite, "  AND OR NOT").as_deref(),
            Some("\"AND\" \"OR\" \"NOT\"*")
        );
        assert_eq!(
            fts_query(Dialect::Sqlite, "\"unbalanced (x* ^y").as_deref(),
            Some("\"unbalanced\" \"x\" \"y\"*")
        );
        assert_eq!(
            fts_query(Dialect::Sqlite, "Amélie").as_deref(),
            Some("\"Amélie\"*")
        );
        assert_eq!(fts_query(Dialect::Sqlite, "!!! ***"), None);
        assert_eq!(fts_query(Dialect::Sqlite, ""), None);
    }

    #[test]
    fn movie_filters_build_indexed_clauses() {
        let (from, params) = movie_from(&MovieFilter {
            year: Some(1999),
            language: Some("en".into()),
            ..MovieFilter::default()
        });
        assert_eq!(
            from,
            "FROM movie m INDEXED BY movie_date_cover WHERE m.adult = 0 \
             AND m.release_date >= ? AND m.release_date < ? AND m.original_language = ?"
        );
        assert_eq!(params.len(), 3);
        let (from, params) = movie_from(&MovieFilter {
            include_adult: true,
            ..MovieFilter::default()
        });
        assert_eq!((from.as_str(), params.len()), ("FROM movie m WHERE 1", 0));
        // The genre's parameter comes first, as its `?` does.
        let (from, params) = movie_from(&MovieFilter {
            genre_id: Some(18),
            min_votes: Some(5),
            ..MovieFilter::default()
        });
        assert_eq!(
            from,
            "FROM movie m CROSS JOIN movie_genre mg ON mg.movie_id = m.id AND mg.genre_id = ? \
             WHERE m.adult = 0 AND m.vote_count >= ?"
        );
        assert_eq!(params, [SqlValue::Int(18), SqlValue::Int(5)]);
        // A genre and a year: one range of genre_movie_by_date, no movie row read.
        let (from, params) = movie_from(&MovieFilter {
            year: Some(1999),
            genre_id: Some(18),
            status: Some("Released".into()),
            ..MovieFilter::default()
        });
        assert_eq!(
            from,
            "FROM genre_movie_by_date m WHERE m.genre_id = ? AND m.adult = 0 \
             AND m.release_date >= ? AND m.release_date < ? AND m.status = ?"
        );
        assert_eq!(
            params,
            [
                SqlValue::Int(18),
                SqlValue::Text("1999-01-01".into()),
                SqlValue::Text("2000-01-01".into()),
                SqlValue::Text("Released".into()),
            ]
        );
    }
}

#[cfg(test)]
mod plans {
    use super::*;
    use rusqlite::{Connection, params_from_iter};

    /// EXPLAIN QUERY PLAN of a statement, one line per step.
    fn plan(conn: &Connection, sql: &str, params: &[SqlValue]) -> Vec<String> {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        stmt.query_map(params_from_iter(params), |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// Every filter of the movie lists is served by an index: no step of the count or of the
    /// page reads a whole table (on 1,000,000 movies that is a second, not a millisecond).
    #[test]
    fn every_movie_filter_is_indexed() {
        let mut conn = Connection::open_in_memory().unwrap();
        tmdb_core::db::migrate(&mut conn).unwrap();
        // What the check looks for: a filter with no index reads the whole table.
        let unindexed = plan(
            &conn,
            "SELECT count(*) FROM movie m WHERE m.budget = 1",
            &[],
        );
        assert!(
            unindexed.iter().any(|s| s.starts_with("SCAN ")),
            "{unindexed:?}"
        );
        let us = || "US".to_owned();
        let filters = [
            MovieFilter {
                keyword_id: Some(1),
                ..MovieFilter::default()
            },
            MovieFilter {
                company_id: Some(1),
                genre_id: Some(18),
                ..MovieFilter::default()
            },
            MovieFilter {
                certification: Some((us(), "PG-13".into())),
                ..MovieFilter::default()
            },
            MovieFilter {
                provider: Some((8, us())),
                runtime_min: Some(90),
                ..MovieFilter::default()
            },
            MovieFilter {
                runtime_min: Some(90),
                runtime_max: Some(120),
                ..MovieFilter::default()
            },
            MovieFilter {
                runtime_max: Some(60),
                language: Some("en".into()),
                ..MovieFilter::default()
            },
            MovieFilter {
                year: Some(1999),
                genre_id: Some(18),
                runtime_min: Some(90),
                keyword_id: Some(3),
                ..MovieFilter::default()
            },
            MovieFilter {
                year: Some(1999),
                genre_id: Some(18),
                certification: Some((us(), "R".into())),
                provider: Some((8, us())),
                company_id: Some(4),
                ..MovieFilter::default()
            },
        ];
        for filter in &filters {
            let (from, params) = movie_from(filter);
            for sort in [MovieSort::Popularity, MovieSort::Title] {
                let order = movie_order(Sort {
                    field: sort,
                    descending: true,
                });
                for sql in [
                    count_sql(&from),
                    format!("SELECT m.id {from} ORDER BY {order} LIMIT 101"),
                ] {
                    let steps = plan(&conn, &sql, &params);
                    let scans: Vec<&String> =
                        steps.iter().filter(|s| s.starts_with("SCAN ")).collect();
                    assert!(scans.is_empty(), "{filter:?}: {sql}\n{steps:#?}");
                }
            }
        }
    }
}

#[cfg(test)]
mod walks {
    use super::*;
    use rusqlite::{Connection, params_from_iter};

    /// A mirror of 2,000 movies in a scratch file: ties in every sort key, undated and
    /// untitled movies, adult ones, a certification a third of them have, and one only the
    /// least popular have (a filter correlated with the sort, which a walk must give up on).
    fn mirror(name: &str) -> std::path::PathBuf {
        let path =
            std::env::temp_dir().join(format!("tmdb-serve-{name}-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let mut conn = Connection::open(&path).unwrap();
        tmdb_core::db::migrate(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO genre (id, name) VALUES (18, 'Drama'), (35, 'Comedy');
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
             INSERT INTO movie (id, title, release_date, runtime, adult, popularity, vote_average,
               vote_count)
             SELECT i, CASE WHEN i % 50 = 0 THEN NULL ELSE 'T' || (i * 7 % 300) END,
               CASE WHEN i % 40 = 0 THEN NULL ELSE printf('%04d-01-01', 1950 + i % 70) END,
               CASE WHEN i % 30 = 0 THEN NULL ELSE 60 + i % 90 END, i % 97 = 0,
               (i * 13) % 500, (i % 11) / 1.0, i % 17 FROM n;
             INSERT INTO movie_genre (movie_id, genre_id, ord)
               SELECT id, CASE WHEN id % 3 = 0 THEN 35 ELSE 18 END, 0 FROM movie;
             INSERT INTO release_date (movie_id, ord, iso_3166_1, certification)
               SELECT id, 0, 'US', 'PG' FROM movie WHERE id % 3 = 1;
             INSERT INTO release_date (movie_id, ord, iso_3166_1, certification)
               SELECT id, 1, 'US', 'X' FROM movie ORDER BY popularity LIMIT 900;",
        )
        .unwrap();
        path
    }

    /// The list as the sort plan alone answers it: what a walk must give too.
    fn sorted(
        conn: &Connection,
        filter: &MovieFilter,
        sort: Sort<MovieSort>,
        page: Page,
    ) -> (i64, Vec<i64>) {
        let (from, params) = movie_from(filter);
        let total = conn
            .query_row(&count_sql(&from), params_from_iter(&params), |r| r.get(0))
            .unwrap();
        let sql = format!(
            "SELECT m.id {from} ORDER BY {} LIMIT {} OFFSET {}",
            movie_order(sort),
            page.limit,
            page.offset()
        );
        let mut stmt = conn.prepare(&sql).unwrap();
        let ids = stmt
            .query_map(params_from_iter(&params), |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        (total, ids)
    }

    #[test]
    fn walked_lists_and_runtime_totals_equal_the_sorted_ones() {
        let path = mirror("walks");
        let plain = Connection::open(&path).unwrap();
        let mut db = Db::open(
            &Source::Sqlite(path.clone(), ReadAccess::Shared),
            Arc::new(Shared::default()),
        )
        .unwrap();
        let us = |c: &str| Some(("US".to_owned(), c.to_owned()));
        let filters = [
            MovieFilter::default(),
            MovieFilter {
                include_adult: true,
                ..MovieFilter::default()
            },
            MovieFilter {
                genre_id: Some(18),
                ..MovieFilter::default()
            },
            MovieFilter {
                certification: us("PG"),
                ..MovieFilter::default()
            },
            MovieFilter {
                certification: us("X"),
                ..MovieFilter::default()
            },
            MovieFilter {
                runtime_min: Some(70),
                runtime_max: Some(120),
                ..MovieFilter::default()
            },
            MovieFilter {
                runtime_min: Some(100),
                min_votes: Some(3),
                genre_id: Some(35),
                ..MovieFilter::default()
            },
            MovieFilter {
                runtime_max: Some(90),
                ..MovieFilter::default()
            },
        ];
        let sorts = [
            MovieSort::Popularity,
            MovieSort::ReleaseDate,
            MovieSort::VoteAverage,
            MovieSort::VoteCount,
            MovieSort::Title,
        ];
        let mut walked = 0;
        for filter in &filters {
            for field in sorts {
                for descending in [true, false] {
                    let sort = Sort { field, descending };
                    for (page, limit) in [(1, 20), (3, 30), (2, 100), (9, 50)] {
                        let page = Page { page, limit };
                        let listing = db.movies(filter, sort, page, None).unwrap();
                        let ids: Vec<i64> = listing
                            .results
                            .iter()
                            .map(|m| m.value()["id"].as_i64().unwrap())
                            .collect();
                        let want = sorted(&plain, filter, sort, page);
                        assert_eq!((listing.total, ids), want, "{filter:?} {sort:?} {page:?}");
                    }
                    let total = sorted(&plain, filter, sort, Page { page: 1, limit: 1 }).0;
                    let wanted = usize::try_from(total).unwrap().min(LIST_HEAD);
                    if movie_walk(filter, sort).is_some()
                        && walk_budget(&plain, wanted, total).unwrap().is_some()
                    {
                        walked += 1;
                    }
                }
            }
        }
        assert!(
            walked > 40,
            "the walk is taken for most of these lists: {walked}"
        );
        // The movies certified X are the least popular: walking by popularity runs out of rows
        // and the list is sorted instead (its answer checked above).
        let x = &filters[4];
        let sort = Sort {
            field: MovieSort::Popularity,
            descending: true,
        };
        let (sql, params) = movie_walk(x, sort).unwrap();
        let sql = format!("SELECT m.id, {sql} ORDER BY {}", movie_order(sort));
        let total = sorted(&plain, x, sort, Page { page: 1, limit: 1 }).0;
        let budget = walk_budget(&plain, LIST_HEAD, total).unwrap().unwrap();
        assert_eq!(
            walk_ids(&plain, &sql, &params, 0, LIST_HEAD, budget).unwrap(),
            None
        );
        drop(db);
        let _ = std::fs::remove_file(&path);
    }

    /// Discover's pages, walked or sorted, are those of the plain query.
    #[test]
    fn walked_discover_pages_equal_the_sorted_ones() {
        let path = mirror("discover");
        let plain = Connection::open(&path).unwrap();
        let db = Db::open(
            &Source::Sqlite(path.clone(), ReadAccess::Shared),
            Arc::new(Shared::default()),
        )
        .unwrap();
        let filters = [
            ("", "1"),
            (
                "&with_genres=18",
                "m.id IN (SELECT movie_id FROM movie_genre WHERE genre_id = 18)",
            ),
            ("&with_runtime.gte=100", "m.runtime >= 100"),
            ("&vote_count.gte=5", "m.vote_count >= 5"),
        ];
        let sorts = [
            ("popularity", "m.popularity"),
            ("primary_release_date", "m.release_date"),
            ("title", "m.title"),
            ("vote_average", "m.vote_average"),
            ("vote_count", "m.vote_count"),
        ];
        let mut walked = 0;
        for (params, condition) in filters {
            for (sort, column) in sorts {
                for direction in ["asc", "desc"] {
                    for page in 1..=4 {
                        let raw = format!("sort_by={sort}.{direction}&page={page}{params}");
                        let query = crate::params::Query::parse(&raw).unwrap();
                        let answer = crate::tmdb::respond(
                            crate::tmdb::TmdbRoute::Discover,
                            "/3/discover/movie",
                            &query,
                            &db.conn,
                            None,
                        )
                        .unwrap();
                        let body: Value = serde_json::from_slice(&answer.body).unwrap();
                        let ids: Vec<i64> = body["results"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|m| m["id"].as_i64().unwrap())
                            .collect();
                        let from = format!(
                            "FROM movie m WHERE m.adult = 0 AND m.video = 0 AND {condition}"
                        );
                        let total: i64 = plain
                            .query_row(&format!("SELECT count(*) {from}"), [], |r| r.get(0))
                            .unwrap();
                        let sql = format!(
                            "SELECT m.id {from} ORDER BY {column} {direction}, m.id {direction} \
                             LIMIT 20 OFFSET {}",
                            (page - 1) * 20
                        );
                        let mut stmt = plain.prepare(&sql).unwrap();
                        let want: Vec<i64> = stmt
                            .query_map([], |r| r.get(0))
                            .unwrap()
                            .map(Result::unwrap)
                            .collect();
                        assert_eq!(
                            (body["total_results"].as_i64(), ids),
                            (Some(total), want),
                            "{raw}"
                        );
                        let wanted = usize::try_from(page * 20).unwrap();
                        walked +=
                            usize::from(walk_budget(&plain, wanted, total).unwrap().is_some());
                    }
                }
            }
        }
        assert!(
            walked > 80,
            "the walk is taken for most of these pages: {walked}"
        );
        drop(db);
        let _ = std::fs::remove_file(&path);
    }
}
