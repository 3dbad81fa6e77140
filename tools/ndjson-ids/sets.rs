//! Reading one ID set: an NDJSON file of ID lines, stdin, or a set of the mirror's (`db:...`).
//!
//! Lines that are not IDs are reported with their position and counted, never fatal: the good
//! lines still count. A truncated last line (a writer was killed mid-line) is noted and
//! ignored, as `tmdb-fetch --skip` ignores it.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, Result};
use rusqlite::Connection;
use tmdb_core::env::Location;
use tmdb_core::ids::parse_id_entry;
use tmdb_core::ndjson::Input;

/// One of the mirror's ID sets, and the query that lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbSet {
    Movies,
    People,
    Credited,
    MovieIds,
    GoneMovies,
    GonePeople,
}

impl DbSet {
    const ALL: [(&'static str, DbSet); 6] = [
        ("movies", DbSet::Movies),
        ("people", DbSet::People),
        ("credited", DbSet::Credited),
        ("movie-ids", DbSet::MovieIds),
        ("gone-movies", DbSet::GoneMovies),
        ("gone-people", DbSet::GonePeople),
    ];

    /// The set's IDs, each with the popularity the mirror knows for it (NULL: none). The same
    /// SQL reads SQLite and PostgreSQL (a typed NULL: PostgreSQL needs to know its type).
    fn query(self) -> &'static str {
        match self {
            DbSet::Movies => "SELECT id, popularity FROM movie",
            DbSet::People => "SELECT id, popularity FROM people",
            // One row per credit: a person's rows are folded into one entry as they are read
            // (the table in storage order, no sort).
            DbSet::Credited => "SELECT person_id, popularity FROM credit",
            DbSet::MovieIds => "SELECT id, popularity FROM movie_ids",
            DbSet::GoneMovies => {
                "SELECT id, CAST(NULL AS DOUBLE PRECISION) FROM gone WHERE kind = 'movie'"
            }
            DbSet::GonePeople => {
                "SELECT id, CAST(NULL AS DOUBLE PRECISION) FROM gone WHERE kind = 'person'"
            }
        }
    }
}

impl DbSet {
    /// [`DbSet::query`] in MySQL's words: it casts to no DOUBLE PRECISION, and a bare NULL
    /// reads as a missing popularity.
    fn query_mysql(self) -> &'static str {
        match self {
            DbSet::GoneMovies => "SELECT id, NULL FROM gone WHERE kind = 'movie'",
            DbSet::GonePeople => "SELECT id, NULL FROM gone WHERE kind = 'person'",
            other => other.query(),
        }
    }
}

/// A set named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetSpec {
    File(PathBuf),
    Db(DbSet),
}

impl FromStr for SetSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<SetSpec, String> {
        let Some(name) = s.strip_prefix("db:") else {
            return Ok(SetSpec::File(PathBuf::from(s)));
        };
        DbSet::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, set)| SetSpec::Db(*set))
            .ok_or_else(|| {
                let names: Vec<String> =
                    DbSet::ALL.iter().map(|(n, _)| format!("db:{n}")).collect();
                format!(
                    "unknown mirror set {s:?}; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// Reads sets, opening the database on first need, and counts bad lines across them.
pub struct SetReader {
    db: Location,
    conn: Option<Db>,
    bad_lines: u64,
}

impl SetReader {
    pub fn new(db: Location) -> SetReader {
        SetReader {
            db,
            conn: None,
            bad_lines: 0,
        }
    }

    /// Lines that were not IDs, over every file read so far.
    pub fn bad_lines(&self) -> u64 {
        self.bad_lines
    }

    pub fn read(&mut self, spec: &SetSpec) -> Result<Vec<Entry>> {
        match spec {
            SetSpec::File(path) => self.read_file(path),
            SetSpec::Db(set) => self.read_db(*set),
        }
    }

    fn read_file(&mut self, path: &Path) -> Result<Vec<Entry>> {
        let mut lines = Input::open(path)?.lines();
        let mut ids = Vec::new();
        let mut buf = Vec::new();
        while let Some(info) = lines
            .read_into(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?
        {
            if !info.is_complete {
                eprintln!(
                    "ndjson-ids: {}: ignoring a truncated last line",
                    lines.position()
                );
                continue;
            }
            match parse_id_entry(&buf, &[]) {
                Ok(entry) => ids.push(Entry {
                    id: entry.id,
                    popularity: entry.popularity,
                }),
                Err(err) => {
                    self.bad_lines += 1;
                    eprintln!("ndjson-ids: {}: {err}", lines.position());
                }
            }
        }
        Ok(ids)
    }

    fn read_db(&mut self, set: DbSet) -> Result<Vec<Entry>> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => self.conn.insert(match &self.db {
                Location::Sqlite(path) => Db::Sqlite(tmdb_core::db::open_read_only(path)?),
                Location::Postgres(url) => Db::Postgres(tmdb_core::pg::open_read_only(url)?),
                Location::Mysql(url) => Db::Mysql(tmdb_core::mysql::open_read_only(url)?),
            }),
        };
        let rows = match conn {
            Db::Sqlite(conn) => {
                let mut stmt = conn.prepare(set.query())?;
                stmt.query_map([], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, Option<f64>>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
                .with_context(|| format!("cannot list {set:?} from {}", self.db))?
            }
            Db::Postgres(client) => {
                let rows = client
                    .query(set.query(), &[])
                    .map_err(|err| match &self.db {
                        Location::Postgres(url) => anyhow::anyhow!("{}", url.explain(&err)),
                        _ => err.into(),
                    });
                rows.with_context(|| format!("cannot list {set:?} from {}", self.db))?
                    .iter()
                    .map(|row| (row.get::<_, i64>(0), row.get::<_, Option<f64>>(1)))
                    .collect()
            }
            Db::Mysql(conn) => {
                use mysql::prelude::Queryable;
                let rows = conn
                    .query::<(i64, Option<f64>), _>(set.query_mysql())
                    .map_err(|err| match &self.db {
                        Location::Mysql(url) => anyhow::anyhow!("{}", url.explain(&err)),
                        _ => err.into(),
                    });
                rows.with_context(|| format!("cannot list {set:?} from {}", self.db))?
            }
        };
        // ndjson-load stores only positive IDs, so the conversion never drops a real one.
        let entries = rows.into_iter().filter_map(|(id, popularity)| {
            u64::try_from(id).ok().map(|id| Entry { id, popularity })
        });
        Ok(unique(entries.collect()))
    }
}

/// An open mirror, of either backend.
enum Db {
    Sqlite(Connection),
    Postgres(postgres::Client),
    Mysql(mysql::Conn),
}

/// One ID of a set, and how popular TMDB says it is, where known: the fetch that reads the
/// result takes the most popular first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry {
    pub id: u64,
    pub popularity: Option<f64>,
}

/// Sorted by ID, each ID once, with the highest popularity any of its entries has (a person
/// credited on several movies, an ID listed by two sets).
pub fn unique(mut entries: Vec<Entry>) -> Vec<Entry> {
    entries.sort_unstable_by_key(|e| e.id);
    entries.dedup_by(|later, kept| {
        if later.id != kept.id {
            return false;
        }
        kept.popularity = match (kept.popularity, later.popularity) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        true
    });
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_names() {
        assert_eq!(
            "db:credited".parse::<SetSpec>(),
            Ok(SetSpec::Db(DbSet::Credited))
        );
        assert_eq!(
            "-".parse::<SetSpec>(),
            Ok(SetSpec::File(PathBuf::from("-")))
        );
        let err = "db:film".parse::<SetSpec>().unwrap_err();
        assert!(
            err.starts_with("unknown mirror set \"db:film\"; expected one of db:movies"),
            "{err}"
        );
    }

    #[test]
    fn unique_sorts_dedups_and_keeps_the_highest_popularity() {
        let e = |id, popularity| Entry { id, popularity };
        assert_eq!(
            unique(vec![
                e(5, Some(1.0)),
                e(1, None),
                e(5, Some(3.0)),
                e(3, None),
                e(1, Some(2.0)),
                e(5, None),
            ]),
            vec![e(1, Some(2.0)), e(3, None), e(5, Some(3.0))]
        );
    }
}
