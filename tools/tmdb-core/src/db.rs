//! Opening the SQLite mirror and bringing its schema up to date.
//!
//! The schema is the numbered files in `sql/`, embedded at build time in an explicit ordered
//! list. Each missing one is applied in its own transaction that also bumps
//! `PRAGMA user_version`, so a mirror built by an older release upgrades in place and a kill
//! mid-upgrade leaves the previous version intact. A database newer than the binary is refused
//! rather than guessed at.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

/// One schema step: `sql/NNNN_name.sql`, version `NNNN`.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The `user_version` the database has after this step.
    pub version: u32,
    /// The file name without `.sql`.
    pub name: &'static str,
    /// The statements.
    pub sql: &'static str,
}

/// Every migration, in order. A unit test checks this list against the `sql/` folder.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init",
        sql: include_str!("../../../sql/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_fts",
        sql: include_str!("../../../sql/0002_fts.sql"),
    },
    Migration {
        version: 3,
        name: "0003_fts_backfill",
        sql: include_str!("../../../sql/0003_fts_backfill.sql"),
    },
    Migration {
        version: 4,
        name: "0004_movie_date_cover",
        sql: include_str!("../../../sql/0004_movie_date_cover.sql"),
    },
    Migration {
        version: 5,
        name: "0005_movie_fts_prefix",
        sql: include_str!("../../../sql/0005_movie_fts_prefix.sql"),
    },
    Migration {
        version: 6,
        name: "0006_genre_movie_by_date",
        sql: include_str!("../../../sql/0006_genre_movie_by_date.sql"),
    },
    Migration {
        version: 7,
        name: "0007_people_fts_prefix",
        sql: include_str!("../../../sql/0007_people_fts_prefix.sql"),
    },
    Migration {
        version: 8,
        name: "0008_movie_date_cover_status",
        sql: include_str!("../../../sql/0008_movie_date_cover_status.sql"),
    },
    Migration {
        version: 9,
        name: "0009_whole_record",
        sql: include_str!("../../../sql/0009_whole_record.sql"),
    },
    Migration {
        version: 10,
        name: "0010_deferred_index",
        sql: include_str!("../../../sql/0010_deferred_index.sql"),
    },
    Migration {
        version: 11,
        name: "0011_load_checkpoint",
        sql: include_str!("../../../sql/0011_load_checkpoint.sql"),
    },
    Migration {
        version: 12,
        name: "0012_tmdb_routes",
        sql: include_str!("../../../sql/0012_tmdb_routes.sql"),
    },
    Migration {
        version: 13,
        name: "0013_native_api_indexes",
        sql: include_str!("../../../sql/0013_native_api_indexes.sql"),
    },
];

/// The schema version this binary writes and expects.
pub fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Refuses a database server's mirror (PostgreSQL, MySQL) at schema `found` when these binaries
/// expect `latest`, saying what to do; 0 means it holds no mirror at all.
pub fn require_server_schema(url: &dyn std::fmt::Display, found: u32, latest: u32) -> Result<()> {
    match found {
        0 => bail!(
            "{url} holds no tmdb-mirror tables (no schema_migrations); load it first (`make mirror DB=...` or any ndjson-load run)"
        ),
        v if v > latest => bail!(
            "database {url}: this database was written by a newer tmdb-mirror (schema {v} > {latest}): upgrade tmdb-mirror"
        ),
        v if v < latest => bail!(
            "database {url} has schema version {v}, these binaries expect {latest}: upgrade it in place with `ndjson-load --kind genres </dev/null` (DB set to it)"
        ),
        _ => Ok(()),
    }
}

/// Opens (creating if needed, with its folder) the database for writing, with WAL, foreign
/// keys and a wait for other writers that says so on stderr, and applies any missing
/// migrations.
pub fn open(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder of database {}", path.display()))?;
    }
    let mut conn = Connection::open(path)
        .with_context(|| format!("cannot open database {}", path.display()))?;
    configure(&mut conn, path)
        .with_context(|| format!("cannot configure database {}", path.display()))?;
    migrate(&mut conn).with_context(|| format!("cannot migrate database {}", path.display()))?;
    Ok(conn)
}

/// Opens an existing, up-to-date database for reading only (the server's connections).
pub fn open_read_only(path: &Path) -> Result<Connection> {
    if !path.exists() {
        bail!(
            "database {} does not exist: build it with `make mirror` (needs a TMDB token), or run `make demo` and then `make serve DATA=data/demo` to serve the demo's",
            path.display()
        );
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .with_context(|| format!("cannot open database {}", path.display()))?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "query_only", true)?;
    let version = schema_version(&conn)?;
    if version > latest_version() {
        bail!("{}", newer_schema(path, version));
    }
    if version == 0 {
        bail!(
            "{} holds no tmdb-mirror tables (schema version 0); point --db or DB at a mirror built by `make mirror` or `make demo`",
            path.display()
        );
    }
    if version < latest_version() {
        bail!(
            "database {} has schema version {version}, these binaries expect {}: upgrade it in place with `ndjson-load --db {} --kind genres </dev/null` (or any `make mirror` run)",
            path.display(),
            latest_version(),
            path.display()
        );
    }
    Ok(conn)
}

/// How a read-only connection reads the database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAccess {
    /// As any reader: it sees what a writer commits while it is open. A WAL database needs its
    /// `-shm` file for that, which SQLite creates in the database's folder.
    Shared,
    /// SQLite's `immutable`: no locks and no `-shm` file, so the folder need not be writable;
    /// what a writer commits meanwhile is not seen.
    Immutable,
}

/// Opens an existing, up-to-date database for reading only, as [`open_read_only`] does, and
/// also where that cannot work because the folder is not writable: such a database is opened
/// [`ReadAccess::Immutable`] when nothing waits in its `-wal` file (an immutable reader would
/// not see it); otherwise the error says what to do.
pub fn open_read_only_anywhere(path: &Path) -> Result<(Connection, ReadAccess)> {
    let shared_err = match open_read_only(path) {
        Ok(conn) => return Ok((conn, ReadAccess::Shared)),
        Err(err) => err,
    };
    let cannot_open = shared_err
        .chain()
        .filter_map(|e| e.downcast_ref::<rusqlite::Error>())
        .any(|e| {
            matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
            )
        });
    if !cannot_open {
        return Err(shared_err);
    }
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        bail!(
            "database {} has changes in its -wal file that a reader can only see with write access to its folder; \
             let ndjson-load finish (it merges them when it closes) or make the folder writable",
            path.display()
        );
    }
    match open_read_only_immutable(path) {
        Ok(conn) => Ok((conn, ReadAccess::Immutable)),
        Err(_) => Err(shared_err),
    }
}

/// Opens an existing, up-to-date database for reading only, [`ReadAccess::Immutable`].
pub fn open_read_only_immutable(path: &Path) -> Result<Connection> {
    // SQLite URIs take the path percent-encoded; every byte outside a safe set is.
    let mut uri = String::from("file:");
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(&uri, flags)
        .with_context(|| format!("cannot open database {}", path.display()))?;
    conn.pragma_update(None, "query_only", true)?;
    let version = schema_version(&conn)
        .with_context(|| format!("cannot read database {}", path.display()))?;
    if version != latest_version() {
        bail!(
            "database {} has schema version {version}, this binary expects {}",
            path.display(),
            latest_version()
        );
    }
    Ok(conn)
}

/// How long a writer waits for another one (another ndjson-load, whose first load ends by
/// creating indexes for a while; a `sqlite3` shell in a transaction) before giving up with
/// "database is locked", in steps of [`WAIT_STEP`].
const WRITER_WAIT: Duration = Duration::from_secs(300);
const WAIT_STEP: Duration = Duration::from_millis(10);

/// The database the writer of this process opened last, for the message of [`wait_for_writer`].
static WRITER_DB: Mutex<String> = Mutex::new(String::new());
static SAID_WAITING: AtomicBool = AtomicBool::new(false);

/// SQLite's busy handler of a writer: says once on stderr why the program is not moving, then
/// waits up to [`WRITER_WAIT`].
fn wait_for_writer(retries: i32) -> bool {
    if !SAID_WAITING.swap(true, Ordering::Relaxed) {
        let program = std::env::args_os()
            .next()
            .map(PathBuf::from)
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        let db = WRITER_DB.lock().map(|db| db.clone()).unwrap_or_default();
        eprintln!("{program}: waiting for {db}: locked by another writer");
    }
    let waited = WAIT_STEP * u32::try_from(retries).unwrap_or(u32::MAX);
    if waited >= WRITER_WAIT {
        return false;
    }
    std::thread::sleep(WAIT_STEP);
    true
}

fn configure(conn: &mut Connection, path: &Path) -> Result<()> {
    if let Ok(mut db) = WRITER_DB.lock() {
        *db = path.display().to_string();
    }
    conn.busy_handler(Some(wait_for_writer))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        bail!("cannot switch to WAL mode (journal_mode is {mode})");
    }
    // In WAL mode NORMAL is safe against a killed process (only a power cut can lose the last
    // commits, never corrupt the file), and much faster than FULL for batched loads.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(())
}

/// The database's `PRAGMA user_version`.
pub fn schema_version(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
}

/// Applies every missing migration; returns how many were applied.
pub fn migrate(conn: &mut Connection) -> Result<usize> {
    migrate_to(conn, latest_version())
}

/// Applies the missing migrations up to `target`, each in its own transaction.
pub fn migrate_to(conn: &mut Connection, target: u32) -> Result<usize> {
    apply(conn, MIGRATIONS, target)
}

/// Applies the migrations of `list` up to `target` that the database lacks.
fn apply(conn: &mut Connection, list: &[Migration], target: u32) -> Result<usize> {
    let latest = list.last().map_or(0, |m| m.version);
    let mut applied = 0;
    for migration in list.iter().filter(|m| m.version <= target) {
        // IMMEDIATE takes the write lock first, so two loaders starting together cannot both
        // apply the same step: the second waits, then sees the new version and skips it.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = schema_version(&tx)?;
        if current > latest {
            bail!(
                "this database was written by a newer tmdb-mirror (schema {current} > {latest}): upgrade tmdb-mirror"
            );
        }
        if current >= migration.version {
            continue;
        }
        tx.execute_batch(migration.sql)
            .map_err(|err| migration_error(migration, err))?;
        tx.pragma_update(None, "user_version", migration.version)?;
        tx.commit()?;
        applied += 1;
    }
    Ok(applied)
}

/// The message for a database newer than these binaries: only a newer release can read it.
fn newer_schema(path: &Path, version: u32) -> String {
    format!(
        "database {}: this database was written by a newer tmdb-mirror (schema {version} > {}): upgrade tmdb-mirror",
        path.display(),
        latest_version()
    )
}

/// A failed migration as one short line: its file, the line SQLite stopped at when it says,
/// and SQLite's message. rusqlite's own message for a syntax error quotes the whole rest of
/// the batch (kilobytes of SQL), which buries the one fact that matters.
fn migration_error(migration: &Migration, err: rusqlite::Error) -> anyhow::Error {
    let file = format!("sql/{}.sql", migration.name);
    if let rusqlite::Error::SqlInputError {
        msg, sql, offset, ..
    } = &err
    {
        // `sql` is the statement SQLite was given: the tail of the file from the failing
        // statement on. Its offset within the file gives the line.
        let start = migration
            .sql
            .len()
            .checked_sub(sql.len())
            .filter(|&start| migration.sql.get(start..) == Some(sql.as_str()));
        let at = usize::try_from(*offset).ok().zip(start).map(|(o, s)| s + o);
        return match at.and_then(|at| migration.sql.get(..at)) {
            Some(before) => anyhow::anyhow!(
                "migration {file} failed at line {}: {msg}",
                before.matches('\n').count() + 1
            ),
            None => anyhow::anyhow!("migration {file} failed: {msg}"),
        };
    }
    let mut text = err.to_string();
    if text.len() > 300 {
        let mut end = 300;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("...");
    }
    anyhow::anyhow!("migration {file} failed: {text}")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts_%' ORDER BY name")
            .unwrap();
        stmt.query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn migration_list_matches_the_sql_folder() {
        assert_listed_in_order("sql", MIGRATIONS);
    }

    /// Every `.sql` file of `folder` (from the repository root) is in `migrations`, in order,
    /// numbered 1, 2, 3... as its name says.
    pub(crate) fn assert_listed_in_order(folder: &str, migrations: &[Migration]) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(folder);
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<String> = migrations
            .iter()
            .map(|m| format!("{}.sql", m.name))
            .collect();
        assert_eq!(
            files, listed,
            "every {folder}/ file must be listed in MIGRATIONS, in order"
        );
        for (index, m) in migrations.iter().enumerate() {
            assert_eq!(m.version as usize, index + 1, "{}", m.name);
            assert!(
                m.name.starts_with(&format!("{:04}_", m.version)),
                "{}",
                m.name
            );
        }
    }

    #[test]
    fn migrates_from_empty() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), MIGRATIONS.len());
        assert_eq!(schema_version(&conn).unwrap(), latest_version());
        assert_eq!(
            tables(&conn),
            [
                "alternative_title",
                "collection",
                "company",
                "credit",
                "deferred_index",
                "genre",
                "genre_movie_by_date",
                "gone",
                "image",
                "keyword",
                "load_checkpoint",
                "load_log",
                "movie",
                "movie_company",
                "movie_country",
                "movie_fts",
                "movie_genre",
                "movie_ids",
                "movie_keyword",
                "movie_language",
                "movie_watch_provider",
                "people",
                "people_fts",
                "person_image",
                "person_translation",
                "release_date",
                "translation",
                "video",
                "watch_link",
                "watch_provider"
            ]
        );
        // The record description names only columns the schema has.
        for table in crate::record::spec::TABLES {
            for column in table.columns() {
                let sql = format!("SELECT {column} FROM {} LIMIT 0", table.name);
                assert!(conn.prepare(&sql).is_ok(), "{}.{column}", table.name);
            }
        }
        assert_eq!(
            migrate(&mut conn).unwrap(),
            0,
            "a second run has nothing to do"
        );
    }

    #[test]
    fn migrates_from_every_earlier_version_keeping_rows() {
        for start in 1..latest_version() {
            let mut conn = Connection::open_in_memory().unwrap();
            migrate_to(&mut conn, start).unwrap();
            assert_eq!(schema_version(&conn).unwrap(), start);
            conn.execute_batch(
                "INSERT INTO movie (id, title) VALUES (550, 'Fight Club');
                 INSERT INTO people (id, name) VALUES (287, 'Brad Pitt');",
            )
            .unwrap();
            let applied = migrate(&mut conn).unwrap();
            assert_eq!(applied as u32, latest_version() - start);
            assert_eq!(schema_version(&conn).unwrap(), latest_version());
            let title: String = conn
                .query_row("SELECT title FROM movie WHERE id = 550", [], |r| r.get(0))
                .unwrap();
            assert_eq!(title, "Fight Club");
            // The search indexes hold the rows, found by a 2-character prefix (versions 5, 7).
            for (table, prefix, id) in [("movie_fts", "fi", 550), ("people_fts", "br", 287)] {
                let found: Vec<i64> = conn
                    .prepare(&format!(
                        "SELECT rowid FROM {table} WHERE {table} MATCH '\"{prefix}\"*'"
                    ))
                    .unwrap()
                    .query_map([], |r| r.get(0))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                assert_eq!(found, [id], "{table} after migrating from version {start}");
                conn.execute(
                    &format!("INSERT INTO {table} ({table}) VALUES ('integrity-check')"),
                    [],
                )
                .unwrap();
            }
        }
    }

    #[test]
    fn refuses_a_newer_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", latest_version() + 1)
            .unwrap();
        let err = migrate(&mut conn).unwrap_err().to_string();
        let want = format!(
            "this database was written by a newer tmdb-mirror (schema {} > {}): upgrade tmdb-mirror",
            latest_version() + 1,
            latest_version()
        );
        assert_eq!(err, want);
    }

    #[test]
    fn read_only_open_names_the_remedy_for_newer_older_and_empty_databases() {
        let dir = std::env::temp_dir().join(format!("tmdb-core-versions-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("v.db");
        let set = |version: u32| {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", version).unwrap();
        };
        set(latest_version() + 2);
        let err = open_read_only(&path).unwrap_err().to_string();
        assert!(
            err.contains(&format!(
                "this database was written by a newer tmdb-mirror (schema {} > {}): upgrade tmdb-mirror",
                latest_version() + 2,
                latest_version()
            )),
            "{err}"
        );
        assert!(!err.contains("ndjson-load"), "{err}");
        set(1);
        let err = open_read_only(&path).unwrap_err().to_string();
        assert!(
            err.contains("ndjson-load --db") && err.contains("schema version 1"),
            "{err}"
        );
        set(0);
        let err = open_read_only(&path).unwrap_err().to_string();
        assert!(err.contains("no tmdb-mirror tables"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_migration_names_its_file_and_line_not_its_sql() {
        let filler = "-- a long comment that stands for kilobytes of schema\n".repeat(100);
        let sql: &'static str = Box::leak(
            format!("CREATE TABLE ok (id INTEGER);\n{filler}CREATE TABLE broken (id INTEGR PRIMARY KEY,, x);\n{filler}")
                .into_boxed_str(),
        );
        let list = [
            Migration {
                version: 1,
                name: "0001_fine",
                sql: "CREATE TABLE fine (id INTEGER);",
            },
            Migration {
                version: 2,
                name: "0002_broken",
                sql,
            },
        ];
        let mut conn = Connection::open_in_memory().unwrap();
        let err = apply(&mut conn, &list, 2).unwrap_err().to_string();
        assert!(
            err.starts_with("migration sql/0002_broken.sql failed at line 102: "),
            "{err}"
        );
        assert!(err.contains("syntax error"), "{err}");
        assert!(err.len() < 200, "{} bytes: {err}", err.len());
        assert_eq!(
            schema_version(&conn).unwrap(),
            1,
            "the good step stays applied"
        );
        // A failure that is not a parse error (a constraint) is kept short too.
        let list = [Migration {
            version: 1,
            name: "0001_dup",
            sql: "CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1); INSERT INTO t VALUES (1);",
        }];
        let mut conn = Connection::open_in_memory().unwrap();
        let err = apply(&mut conn, &list, 1).unwrap_err().to_string();
        assert!(
            err.starts_with("migration sql/0001_dup.sql failed: "),
            "{err}"
        );
        assert!(err.contains("UNIQUE"), "{err}");
        assert_eq!(
            schema_version(&conn).unwrap(),
            0,
            "a failed step is rolled back"
        );
    }

    #[test]
    fn full_text_index_follows_the_tables() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        let search = |conn: &Connection, q: &str| -> Vec<i64> {
            let mut stmt = conn
                .prepare("SELECT rowid FROM movie_fts WHERE movie_fts MATCH ?1 ORDER BY rowid")
                .unwrap();
            stmt.query_map([q], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        conn.execute_batch(
            "INSERT INTO movie (id, title, original_title) VALUES (1, 'Amélie', 'Le Fabuleux Destin d''Amélie Poulain');
             INSERT INTO movie (id, title, original_title) VALUES (2, 'Heat', 'Heat');",
        )
        .unwrap();
        assert_eq!(search(&conn, "amelie"), [1], "diacritics are folded");
        assert_eq!(search(&conn, "poul*"), [1]);
        conn.execute(
            "UPDATE movie SET title = 'Heat Wave', popularity = 3 WHERE id = 2",
            [],
        )
        .unwrap();
        assert_eq!(search(&conn, "wave"), [2]);
        conn.execute("DELETE FROM movie WHERE id = 1", []).unwrap();
        assert_eq!(search(&conn, "amelie"), Vec::<i64>::new());
        conn.execute(
            "INSERT INTO people (id, name, also_known_as) VALUES (62, 'Bruce Willis', '[\"Walter Bruce Willis\"]')",
            [],
        )
        .unwrap();
        let hit: i64 = conn
            .query_row(
                "SELECT rowid FROM people_fts WHERE people_fts MATCH 'walter'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(hit, 62);
        // FTS5 raises an error here if the index disagrees with its content table.
        conn.execute(
            "INSERT INTO movie_fts (movie_fts) VALUES ('integrity-check')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO people_fts (people_fts) VALUES ('integrity-check')",
            [],
        )
        .unwrap();
    }

    /// genre_movie_by_date, and what its definition (movie JOIN movie_genre, dated movies)
    /// says it should hold, both in key order.
    fn genre_movie_by_date_and_its_definition(
        conn: &Connection,
    ) -> (
        Vec<Vec<rusqlite::types::Value>>,
        Vec<Vec<rusqlite::types::Value>>,
    ) {
        let read = |sql: &str| -> Vec<Vec<rusqlite::types::Value>> {
            let mut stmt = conn.prepare(sql).unwrap();
            stmt.query_map([], |row| (0..10).map(|i| row.get(i)).collect())
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        let columns = "release_date, id, adult, popularity, vote_average, vote_count, title, \
                       original_language, status";
        let table = read(&format!(
            "SELECT genre_id, {columns} FROM genre_movie_by_date ORDER BY genre_id, release_date, id"
        ));
        let definition = read(
            "SELECT mg.genre_id, m.release_date, m.id, m.adult, m.popularity, m.vote_average, \
               m.vote_count, m.title, m.original_language, m.status \
             FROM movie m JOIN movie_genre mg ON mg.movie_id = m.id \
             WHERE m.release_date IS NOT NULL ORDER BY 1, 2, 3",
        );
        (table, definition)
    }

    #[test]
    fn genre_movie_by_date_is_filled_from_the_rows_of_a_version_5_mirror() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 5).unwrap();
        conn.execute_batch(
            "INSERT INTO movie (id, title, release_date, adult, popularity, vote_count, status,
               original_language)
             VALUES (1, 'One', '1999-03-01', 0, 2.5, 10, 'Released', 'en'),
                    (2, 'Two', NULL, 0, 1.0, 3, 'Rumored', 'fr'),
                    (3, NULL, '1999-03-01', 1, NULL, NULL, NULL, NULL);
             INSERT INTO movie_genre (movie_id, genre_id) VALUES (1, 18), (1, 35), (2, 18), (3, 18);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let (table, definition) = genre_movie_by_date_and_its_definition(&conn);
        assert_eq!(table.len(), 3, "the undated movie 2 is left out: {table:?}");
        assert_eq!(table, definition);
    }

    #[test]
    fn genre_movie_by_date_follows_every_write_with_foreign_keys_on_or_off() {
        for foreign_keys in [true, false] {
            let mut conn = Connection::open_in_memory().unwrap();
            conn.pragma_update(None, "foreign_keys", foreign_keys)
                .unwrap();
            migrate(&mut conn).unwrap();
            let steps = [
                "INSERT INTO movie (id, title, release_date, popularity) VALUES
                   (1, 'One', '1999-03-01', 2.5), (2, 'Two', NULL, 1.0), (3, 'Three', '2001-01-01', 3.0)",
                "INSERT INTO movie_genre (movie_id, genre_id) VALUES (1, 18), (1, 35), (2, 18), (3, 28)",
                // Every copied column, then a date going away and coming back.
                "UPDATE movie SET title = 'Uno', adult = 1, popularity = 9.5, vote_average = 7.1,
                   vote_count = 40, original_language = 'es', status = 'Released' WHERE id = 1",
                "UPDATE movie SET status = 'Canceled' WHERE id = 1",
                "UPDATE movie SET release_date = '2000-05-05' WHERE id = 1",
                "UPDATE movie SET release_date = NULL WHERE id = 1",
                "UPDATE movie SET release_date = '1998-01-01' WHERE id = 2",
                "UPDATE movie SET release_date = '1998-02-02' WHERE id = 1",
                // A reload's upsert names every column; unchanged ones change nothing.
                "INSERT INTO movie (id, title, release_date, popularity) VALUES (3, 'Three', '2001-01-01', 3.0)
                   ON CONFLICT (id) DO UPDATE SET title = excluded.title,
                   release_date = excluded.release_date, popularity = excluded.popularity",
                "UPDATE movie_genre SET genre_id = 99 WHERE movie_id = 1 AND genre_id = 35",
                "DELETE FROM movie_genre WHERE movie_id = 1 AND genre_id = 18",
                "UPDATE movie SET id = 4 WHERE id = 3",
                "DELETE FROM movie WHERE id = 1",
                "DELETE FROM movie WHERE id = 2",
                // With foreign keys off, genres can come before their movie.
                "INSERT INTO movie_genre (movie_id, genre_id) VALUES (5, 18), (5, 35)",
                "INSERT INTO movie (id, title, release_date) VALUES (5, 'Five', '2010-10-10')",
            ];
            for step in steps {
                if step.starts_with("UPDATE movie SET id") && foreign_keys {
                    // movie_genre's key does not follow an id change: refused with them on.
                    assert!(conn.execute(step, []).is_err(), "{step}");
                    continue;
                }
                if step.contains("(5, 18)") && foreign_keys {
                    assert!(conn.execute(step, []).is_err(), "{step}");
                    continue;
                }
                conn.execute(step, []).unwrap();
                let (table, definition) = genre_movie_by_date_and_its_definition(&conn);
                assert_eq!(
                    table, definition,
                    "foreign keys {foreign_keys}, after {step}"
                );
            }
            let (table, _) = genre_movie_by_date_and_its_definition(&conn);
            assert!(!table.is_empty(), "foreign keys {foreign_keys}");
        }
    }

    #[test]
    fn open_sets_wal_and_foreign_keys_and_read_only_refuses_writes() {
        let dir = std::env::temp_dir().join(format!("tmdb-core-db-{}", std::process::id()));
        let path = dir.join("nested/tmdb.db");
        let conn = open(&path).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        drop(conn);
        let ro = open_read_only(&path).unwrap();
        assert!(
            ro.execute("INSERT INTO genre (id, name) VALUES (1, 'x')", [])
                .is_err()
        );
        let missing = open_read_only(&dir.join("absent.db")).unwrap_err();
        assert!(missing.to_string().contains("does not exist"), "{missing}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
