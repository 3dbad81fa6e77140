//! MySQL and MariaDB mirrors: the URL, connecting with messages that never show the password,
//! the schema's numbered migrations (`sql/mysql/`, tracked in `schema_migrations`) and the
//! mirror's write lock.
//!
//! docs/architecture.md ("Storage") says how the backends share one description of the tables;
//! the loader's MySQL writer is `record::store_mysql`.

use std::fmt;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder};

use crate::db::Migration;
use crate::env::mask_password;

/// Every MySQL migration, in order. A unit test checks this list against `sql/mysql/`.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init",
        sql: include_str!("../../../sql/mysql/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_serve",
        sql: include_str!("../../../sql/mysql/0002_serve.sql"),
    },
    Migration {
        version: 3,
        name: "0003_movie_date_cover",
        sql: include_str!("../../../sql/mysql/0003_movie_date_cover.sql"),
    },
];

/// Raises the change counter (sql/mysql/0002_serve.sql): every load batch runs it in its
/// transaction, as the run's record in load_log does, so tmdb-serve sees that the data changed.
pub const COUNT_CHANGE: &str = "UPDATE tmdb_change_counter SET changes = changes + 1";

/// The schema version this binary writes and expects.
pub fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// The prepared statements a reading connection keeps.
const READ_STATEMENTS: usize = 512;

/// How long a connection attempt may take before the server counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a writer waits for the mirror's write lock: another load's batch holds it for a
/// second or two, a migration for longer; an hour means something is stuck.
const LOCK_WAIT_SECONDS: u32 = 3600;

/// A `mysql://` or `mariadb://` URL. It prints with its password masked (`Display` and
/// `Debug`); only [`MyUrl::connect`] uses the password.
#[derive(Clone)]
pub struct MyUrl {
    url: String,
    user: String,
    password: Option<String>,
    host: Option<String>,
    port: u16,
    socket: Option<String>,
    dbname: String,
}

impl MyUrl {
    /// Parses `mysql://user[:password]@host[:port]/dbname[?socket=/path]` (`mariadb://` too).
    pub fn parse(value: &str) -> Result<MyUrl> {
        let url = value.trim().to_owned();
        let shown = mask_password(&url);
        let expected = "expected mysql://user[:password]@host[:port]/dbname or mysql://user@/dbname?socket=/path";
        let invalid =
            |why: &str| anyhow!("DB URL {shown:?} is not a valid MySQL URL ({why}); {expected}");
        let rest = value
            .trim()
            .split_once("://")
            .filter(|(scheme, _)| {
                ["mysql", "mariadb"].contains(&scheme.to_ascii_lowercase().as_str())
            })
            .map(|(_, rest)| rest)
            .ok_or_else(|| invalid("the scheme is not mysql:// or mariadb://"))?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            Some(info) => match info.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (info, None),
            },
            None => ("", None),
        };
        let decode = |part: &str, what: &str| {
            crate::env::percent_decode(part).map_err(|err| invalid(&format!("{what}: {err}")))
        };
        let user = match decode(user, "the user")? {
            // As the mysql client does: the login name of the user running the tool.
            user if user.is_empty() => std::env::var("USER").unwrap_or_else(|_| "root".into()),
            user => user,
        };
        let password = password.map(|p| decode(p, "the password")).transpose()?;
        let (host, port) = match hostport.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || hostport.starts_with('[') => {
                let port = port
                    .parse::<u16>()
                    .map_err(|_| invalid(&format!("port {port:?} is not a number")))?;
                (host, port)
            }
            _ => (hostport, 3306),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let mut socket = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("socket", path)) if !path.is_empty() => {
                    socket = Some(decode(path, "the socket")?);
                }
                _ => {
                    let key = pair.split('=').next().unwrap_or_default();
                    bail!(
                        "DB URL {shown:?}: unknown parameter {key:?}; the only one is socket=/path/to/mysqld.sock"
                    )
                }
            }
        }
        let dbname = decode(path.trim_end_matches('/'), "the database")?;
        if dbname.is_empty() {
            bail!("DB URL {shown:?} names no database; {expected}");
        }
        if host.is_empty() && socket.is_none() {
            bail!(
                "DB URL {shown:?} names no host; add one (mysql://user@localhost/dbname) or a socket (?socket=/run/mysqld/mysqld.sock)"
            );
        }
        Ok(MyUrl {
            url,
            user,
            password,
            host: (!host.is_empty()).then(|| host.to_owned()),
            port,
            socket,
            dbname,
        })
    }

    /// The database's name.
    pub fn dbname(&self) -> &str {
        &self.dbname
    }

    /// Connects, with one line saying why not (the password masked): refused login, missing
    /// database, unreachable server. LOAD DATA LOCAL reads only what the loader hands it.
    pub fn connect(&self) -> Result<Conn> {
        Conn::new(self.opts()).map_err(|err| anyhow!("{}", self.explain(&err)))
    }

    /// The client's settings for this URL.
    fn opts(&self) -> OptsBuilder {
        OptsBuilder::new()
            .user(Some(&self.user))
            .pass(self.password.as_deref())
            .ip_or_hostname(self.host.as_deref().or(Some("localhost")))
            .tcp_port(self.port)
            .socket(self.socket.as_deref())
            .db_name(Some(&self.dbname))
            .prefer_socket(false)
            .tcp_connect_timeout(Some(CONNECT_TIMEOUT))
            // Values exactly as given: a value that does not fit is an error, never cut.
            .init(vec![
                "SET NAMES utf8mb4 COLLATE utf8mb4_bin",
                "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,NO_BACKSLASH_ESCAPES'",
                "SET SESSION time_zone = '+00:00'",
            ])
    }

    /// One line for a client error, naming the database, never its password.
    pub fn explain(&self, err: &mysql::Error) -> String {
        let text = match err {
            mysql::Error::MySqlError(server) => match server.code {
                // ER_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR (no right to the database)
                1045 | 1044 => format!(
                    "MySQL refused the login to {self}: {}; check the user and password in DB",
                    server.message
                ),
                // ER_BAD_DB_ERROR
                1049 => format!(
                    "MySQL database {:?} does not exist ({self}); create it first: CREATE DATABASE {} CHARACTER SET utf8mb4",
                    self.dbname, self.dbname
                ),
                _ => format!("MySQL error on {self}: {}", server.message),
            },
            mysql::Error::IoError(io) => format!("cannot reach MySQL at {self}: {io}"),
            mysql::Error::DriverError(mysql::DriverError::CouldNotConnect(reason)) => {
                let why = reason
                    .as_ref()
                    .map_or(String::new(), |(_, text, _)| format!(": {text}"));
                format!("cannot reach MySQL at {self}{why}")
            }
            other => format!("MySQL error on {self}: {other}"),
        };
        self.redact(&text)
    }

    /// `text` with the password replaced by `***`: a last line of defence for messages that
    /// quote what the server or the client library said.
    pub fn redact(&self, text: &str) -> String {
        match self.password.as_deref() {
            Some(password) if !password.is_empty() => text.replace(password, "***"),
            _ => text.to_owned(),
        }
    }

    /// The name of the mirror's write lock (`GET_LOCK` names are per server, so the
    /// database's name is in it).
    fn lock_name(&self) -> String {
        format!("tmdb-mirror:{}", self.dbname)
    }
}

impl fmt::Display for MyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&mask_password(&self.url))
    }
}

impl fmt::Debug for MyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MyUrl({self})")
    }
}

/// Takes the mirror's write lock for this connection: every writer takes it for a migration
/// or a load batch and releases it after the commit, so two loads into one database take turns
/// batch by batch, and neither fails on a deadlock nor sees a record half replaced. A
/// connection that dies (a killed load) loses the lock with it.
pub fn lock_writes(conn: &mut Conn, url: &MyUrl) -> Result<()> {
    let got: Option<i64> = conn
        .exec_first(
            "SELECT GET_LOCK(?, ?)",
            (url.lock_name(), LOCK_WAIT_SECONDS),
        )
        .map_err(|err| anyhow!("{}", url.explain(&err)))?
        .flatten();
    if got != Some(1) {
        bail!(
            "{url}: another writer has held the mirror's write lock for {LOCK_WAIT_SECONDS} s; is a load stuck?"
        );
    }
    Ok(())
}

/// Releases the lock [`lock_writes`] took.
pub fn unlock_writes(conn: &mut Conn, url: &MyUrl) -> Result<()> {
    conn.exec_drop("DO RELEASE_LOCK(?)", (url.lock_name(),))
        .map_err(|err| anyhow!("{}", url.explain(&err)))
}

/// Connects for writing and applies the missing migrations.
pub fn open(url: &MyUrl) -> Result<Conn> {
    let mut conn = url.connect()?;
    lock_writes(&mut conn, url)?;
    let migrated = migrate(&mut conn, url);
    unlock_writes(&mut conn, url)?;
    migrated?;
    Ok(conn)
}

/// Connects for reading an up-to-date mirror: a database without the mirror's tables, or with
/// another schema version, is refused with what to do.
pub fn open_read_only(url: &MyUrl) -> Result<Conn> {
    // Each statement tmdb-serve writes is prepared once per connection and kept: the cache
    // holds every shape of list and search (their filters make a few hundred).
    let mut conn = Conn::new(url.opts().stmt_cache_size(Some(READ_STATEMENTS)))
        .map_err(|err| anyhow!("{}", url.explain(&err)))?;
    let version = schema_version(&mut conn).map_err(|err| anyhow!("{}", url.explain(&err)))?;
    crate::db::require_server_schema(url, version, latest_version())?;
    // JSON_ARRAYAGG is cut at group_concat_max_len (1 MB by default, with only a warning):
    // a movie's credits as one array can be longer.
    conn.query_drop(
        "SET SESSION TRANSACTION READ ONLY; SET SESSION group_concat_max_len = 4294967295",
    )
    .map_err(|err| anyhow!("{}", url.explain(&err)))?;
    Ok(conn)
}

/// The shortest word the server's FULLTEXT indexes hold (`innodb_ft_min_token_size`, read at
/// the server's start: 3 unless configured). A shorter search word finds nothing.
pub fn shortest_indexed_word(url: &MyUrl) -> Result<u32> {
    let mut conn = url.connect()?;
    let shortest: Option<u32> = conn
        .query_first("SELECT @@innodb_ft_min_token_size")
        .map_err(|err| anyhow!("{}", url.explain(&err)))?;
    Ok(shortest.unwrap_or(1))
}

/// The highest migration applied, 0 for a database without `schema_migrations`.
pub fn schema_version(conn: &mut Conn) -> Result<u32, mysql::Error> {
    let exists: Option<i64> = conn.query_first(
        "SELECT count(*) FROM information_schema.tables
         WHERE table_schema = DATABASE() AND table_name = 'schema_migrations'",
    )?;
    if exists.unwrap_or(0) == 0 {
        return Ok(0);
    }
    let version: Option<i64> =
        conn.query_first("SELECT coalesce(max(version), 0) FROM schema_migrations")?;
    Ok(u32::try_from(version.unwrap_or(0)).unwrap_or(0))
}

/// Applies every missing migration (the caller holds the write lock: two loaders starting
/// together, the second waits, then finds the steps done); returns how many.
///
/// MySQL commits each `CREATE` by itself, so a migration cannot be one transaction: its
/// statements are written to be run again (`IF NOT EXISTS`), and a migration cut short by a
/// kill is completed by the next run before it is recorded.
pub fn migrate(conn: &mut Conn, url: &MyUrl) -> Result<usize> {
    let explain = |err: mysql::Error| anyhow!("{}", url.explain(&err));
    conn.query_drop(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INT PRIMARY KEY,
             name       VARCHAR(255) NOT NULL,
             applied_at VARCHAR(20) NOT NULL
         ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin",
    )
    .map_err(explain)?;
    let current = schema_version(conn).map_err(explain)?;
    let latest = latest_version();
    if current > latest {
        bail!(
            "this database was written by a newer tmdb-mirror (schema {current} > {latest}): upgrade tmdb-mirror"
        );
    }
    let mut applied = 0;
    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        for statement in statements(migration.sql) {
            conn.query_drop(statement).map_err(|err| {
                let message = match &err {
                    mysql::Error::MySqlError(server) => server.message.clone(),
                    other => other.to_string(),
                };
                anyhow!(
                    "migration sql/mysql/{}.sql failed: {}",
                    migration.name,
                    url.redact(&message)
                )
            })?;
        }
        conn.exec_drop(
            "INSERT INTO schema_migrations (version, name, applied_at)
             VALUES (?, ?, DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%dT%H:%i:%sZ'))",
            (migration.version, migration.name),
        )
        .map_err(explain)?;
        applied += 1;
    }
    Ok(applied)
}

/// The statements of a migration file: `;` at the end of a line ends one; `--` lines are
/// comments.
fn statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in sql.lines() {
        if line.trim_start().starts_with("--") {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        if line.trim_end().ends_with(';') {
            out.push(current.trim().trim_end_matches(';').to_owned());
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_list_matches_the_sql_mysql_folder() {
        crate::db::tests::assert_listed_in_order("sql/mysql", MIGRATIONS);
    }

    #[test]
    fn migrations_split_into_statements() {
        let sql = "-- a comment; not a statement\nCREATE TABLE a (x INT);\nCREATE TABLE b (\n  y INT\n);\n";
        assert_eq!(
            statements(sql),
            ["CREATE TABLE a (x INT)", "CREATE TABLE b (\n  y INT\n)"]
        );
        for migration in MIGRATIONS {
            let all = statements(migration.sql);
            assert!(!all.is_empty(), "{}", migration.name);
            for statement in all {
                assert!(
                    !statement.trim().is_empty() && !statement.contains(";\n"),
                    "{}: {statement}",
                    migration.name
                );
            }
        }
    }

    #[test]
    fn urls_parse_and_print_without_their_password() {
        let url = MyUrl::parse("mysql://mirror:s3cr%40t@db.local:3307/tmdb").unwrap();
        assert_eq!(url.dbname(), "tmdb");
        assert_eq!(url.password.as_deref(), Some("s3cr@t"));
        assert_eq!((url.host.as_deref(), url.port), (Some("db.local"), 3307));
        assert_eq!(url.to_string(), "mysql://mirror:***@db.local:3307/tmdb");
        assert!(!format!("{url:?}").contains("s3cr"));
        let socket =
            MyUrl::parse("mariadb://me@/tmdb?socket=%2Frun%2Fmysqld%2Fmysqld.sock").unwrap();
        assert_eq!(socket.socket.as_deref(), Some("/run/mysqld/mysqld.sock"));
        assert_eq!((socket.user.as_str(), socket.port), ("me", 3306));
        for (bad, says) in [
            ("mysql://u:s3cret@h:notaport/db", "not a number"),
            ("mysql://u:s3cret@h/", "names no database"),
            ("mysql://u:s3cret@h", "names no database"),
            ("mysql://u:s3cret@/db", "names no host"),
            ("mysql://u:s3cret@h/db?ssl=true", "unknown parameter"),
        ] {
            let err = MyUrl::parse(bad).unwrap_err().to_string();
            assert!(err.contains(says), "{bad}: {err}");
            assert!(!err.contains("s3cret"), "{bad}: {err}");
            assert!(err.contains("***"), "{bad}: {err}");
        }
    }
}
