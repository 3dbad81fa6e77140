//! PostgreSQL mirrors: the URL, connecting with messages that never show the password, and the
//! schema's numbered migrations (`sql/postgres/`), tracked in `schema_migrations`.
//!
//! docs/architecture.md ("Storage") says how the backends share one description of the tables;
//! the loader's PostgreSQL writer is `record::store_pg`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use postgres::{Client, NoTls};

use crate::db::Migration;
use crate::env::mask_password;

/// Every PostgreSQL migration, in order. A unit test checks this list against `sql/postgres/`.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init",
        sql: include_str!("../../../sql/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_search",
        sql: include_str!("../../../sql/postgres/0002_search.sql"),
    },
    Migration {
        version: 3,
        name: "0003_load_checkpoint",
        sql: include_str!("../../../sql/postgres/0003_load_checkpoint.sql"),
    },
    Migration {
        version: 4,
        name: "0004_serve",
        sql: include_str!("../../../sql/postgres/0004_serve.sql"),
    },
    Migration {
        version: 5,
        name: "0005_movie_date_cover",
        sql: include_str!("../../../sql/postgres/0005_movie_date_cover.sql"),
    },
];

/// Raises the mirror's change counter (sql/postgres/0004_serve.sql): every writer runs it in
/// each transaction that changes the data, so that servers drop the answers they kept.
pub const COUNT_CHANGE: &str = "UPDATE tmdb_change_counter SET changes = changes + 1";

/// The schema version this binary writes and expects.
pub fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// The advisory lock every writer of a mirror takes for a migration or a load batch, in the
/// transaction (released at its end): two loads into one database take turns batch by batch,
/// so neither deadlocks nor sees a half-replaced record. The value is "tmdb" in ASCII.
pub const WRITE_LOCK: i64 = 0x746d_6462;

/// How long a connection attempt may take before the server counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A `postgres://` or `postgresql://` URL. It prints with its password masked (`Display` and
/// `Debug`); only [`PgUrl::connect`] uses the password.
#[derive(Clone)]
pub struct PgUrl {
    url: String,
    config: postgres::Config,
}

impl PgUrl {
    /// Parses `postgres://user[:password]@host[:port]/dbname[?host=/socket/dir&...]`.
    pub fn parse(value: &str) -> Result<PgUrl> {
        let url = value.trim().to_owned();
        let shown = mask_password(&url);
        let mut config = postgres::Config::from_str(&url).map_err(|err| {
            anyhow!(
                "DB URL {shown:?} is not a valid PostgreSQL URL ({}); expected postgres://user[:password]@host[:port]/dbname",
                redact(&err.to_string(), &url)
            )
        })?;
        if config.get_dbname().is_none_or(str::is_empty) {
            bail!(
                "DB URL {shown:?} names no database; expected postgres://user[:password]@host[:port]/dbname"
            );
        }
        if config.get_hosts().is_empty() {
            bail!(
                "DB URL {shown:?} names no host; add one (postgres://user@localhost/dbname) or a socket folder (?host=/run/postgresql)"
            );
        }
        if config.get_user().is_none() {
            // As libpq does: the login name of the user running the tool.
            let user = std::env::var("USER").unwrap_or_else(|_| "postgres".to_owned());
            config.user(&user);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.application_name("tmdb-mirror");
        Ok(PgUrl { url, config })
    }

    /// The database's name.
    pub fn dbname(&self) -> &str {
        self.config.get_dbname().unwrap_or_default()
    }

    /// Connects, with one line saying why not (the password masked): refused login, missing
    /// database, unreachable server.
    pub fn connect(&self) -> Result<Client> {
        self.config
            .connect(NoTls)
            .map_err(|err| anyhow!("{}", self.explain(&err)))
    }

    /// One line for a client error, naming the database, never its password.
    pub fn explain(&self, err: &postgres::Error) -> String {
        let text = match err.as_db_error() {
            Some(db) => match db.code().code() {
                // invalid_password, invalid_authorization_specification
                "28P01" | "28000" => format!(
                    "PostgreSQL refused the login to {self}: {}; check the user and password in DB",
                    db.message()
                ),
                // invalid_catalog_name
                "3D000" => format!(
                    "PostgreSQL database {:?} does not exist ({self}); create it first: createdb {}",
                    self.dbname(),
                    self.dbname()
                ),
                _ => format!("PostgreSQL error on {self}: {}", db.message()),
            },
            None => {
                let mut text = err.to_string();
                let mut source = std::error::Error::source(err);
                while let Some(cause) = source {
                    text = format!("{text}: {cause}");
                    source = cause.source();
                }
                format!("cannot reach PostgreSQL at {self}: {text}")
            }
        };
        redact(&text, &self.url)
    }
}

impl fmt::Display for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&mask_password(&self.url))
    }
}

impl fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgUrl({self})")
    }
}

/// `text` with the URL's password, as written and decoded, replaced by `***`: a last line of
/// defence for messages that quote what the server or the client library said.
fn redact(text: &str, url: &str) -> String {
    let mut out = text.to_owned();
    let Ok(config) = postgres::Config::from_str(url) else {
        return out;
    };
    if let Some(password) = config
        .get_password()
        .and_then(|p| std::str::from_utf8(p).ok())
    {
        if !password.is_empty() {
            out = out.replace(password, "***");
        }
    }
    out
}

/// Connects for writing and applies the missing migrations.
pub fn open(url: &PgUrl) -> Result<Client> {
    let mut client = url.connect()?;
    migrate(&mut client).with_context(|| format!("cannot migrate database {url}"))?;
    Ok(client)
}

/// Connects for reading an up-to-date mirror: a database without the mirror's tables, or with
/// another schema version, is refused with what to do.
pub fn open_read_only(url: &PgUrl) -> Result<Client> {
    let mut client = url.connect()?;
    let version = schema_version(&mut client).map_err(|err| anyhow!("{}", url.explain(&err)))?;
    crate::db::require_server_schema(url, version, latest_version())?;
    client
        .batch_execute("SET default_transaction_read_only = on")
        .map_err(|err| anyhow!("{}", url.explain(&err)))?;
    Ok(client)
}

/// The highest migration applied, 0 for a database without `schema_migrations`.
pub fn schema_version(client: &mut Client) -> Result<u32, postgres::Error> {
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let version: i32 = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )?
        .get(0);
    Ok(u32::try_from(version).unwrap_or(0))
}

/// Applies every missing migration, each in its own transaction under [`WRITE_LOCK`] (two
/// loaders starting together: the second waits, then finds the step done); returns how many.
pub fn migrate(client: &mut Client) -> Result<usize> {
    let latest = latest_version();
    let mut applied = 0;
    for migration in MIGRATIONS {
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    integer PRIMARY KEY,
                 name       text NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now())",
        )?;
        let current: i32 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM schema_migrations",
                &[],
            )?
            .get(0);
        let current = u32::try_from(current).unwrap_or(0);
        if current > latest {
            bail!(
                "this database was written by a newer tmdb-mirror (schema {current} > {latest}): upgrade tmdb-mirror"
            );
        }
        if current >= migration.version {
            continue;
        }
        tx.batch_execute(migration.sql).map_err(|err| {
            let message = err
                .as_db_error()
                .map_or_else(|| err.to_string(), |db| db.message().to_owned());
            anyhow!(
                "migration sql/postgres/{}.sql failed: {message}",
                migration.name
            )
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[&(migration.version as i32), &migration.name],
        )?;
        tx.commit()?;
        applied += 1;
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_list_matches_the_sql_postgres_folder() {
        crate::db::tests::assert_listed_in_order("sql/postgres", MIGRATIONS);
    }

    #[test]
    fn urls_parse_and_print_without_their_password() {
        let url = PgUrl::parse("postgres://mirror:s3cr%40t@db.local:5433/tmdb").unwrap();
        assert_eq!(url.dbname(), "tmdb");
        assert_eq!(url.to_string(), "postgres://mirror:***@db.local:5433/tmdb");
        assert!(!format!("{url:?}").contains("s3cr"));
        let socket = PgUrl::parse("postgresql://me@/tmdb?host=/tmp/pg.sock").unwrap();
        assert_eq!(socket.dbname(), "tmdb");
        for bad in [
            "postgres://u:s3cret@h:notaport/db",
            "postgres://u:s3cret@h/",
            "postgres://u:s3cret@h",
        ] {
            let err = PgUrl::parse(bad).unwrap_err().to_string();
            assert!(!err.contains("s3cret"), "{bad}: {err}");
            assert!(err.contains("***"), "{bad}: {err}");
        }
    }
}
