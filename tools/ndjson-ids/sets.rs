//! Reading one ID set: an NDJSON file of ID lines, stdin, or a set of the mirror's (`db:...`).
//!
//! Lines that are not IDs are reported with their position and counted, never fatal: the good
//! lines still count. A truncated last line (a writer was killed mid-line) is noted and
//! ignored, as `tmdb-fetch --skip` ignores it.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, Result};
use rusqlite::Connection;
use tmdb_core::ids::parse_id_line;
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

    fn query(self) -> &'static str {
        match self {
            DbSet::Movies => "SELECT id FROM movie",
            DbSet::People => "SELECT id FROM people",
            // credit_person is an index on person_id: DISTINCT walks it without sorting.
            DbSet::Credited => "SELECT DISTINCT person_id FROM credit",
            DbSet::MovieIds => "SELECT id FROM movie_ids",
            DbSet::GoneMovies => "SELECT id FROM gone WHERE kind = 'movie'",
            DbSet::GonePeople => "SELECT id FROM gone WHERE kind = 'person'",
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
    db_path: PathBuf,
    conn: Option<Connection>,
    bad_lines: u64,
}

impl SetReader {
    pub fn new(db_path: PathBuf) -> SetReader {
        SetReader {
            db_path,
            conn: None,
            bad_lines: 0,
        }
    }

    /// Lines that were not IDs, over every file read so far.
    pub fn bad_lines(&self) -> u64 {
        self.bad_lines
    }

    pub fn read(&mut self, spec: &SetSpec) -> Result<Vec<u64>> {
        match spec {
            SetSpec::File(path) => self.read_file(path),
            SetSpec::Db(set) => self.read_db(*set),
        }
    }

    fn read_file(&mut self, path: &Path) -> Result<Vec<u64>> {
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
            match parse_id_line(&buf) {
                Ok(id) => ids.push(id),
                Err(err) => {
                    self.bad_lines += 1;
                    eprintln!("ndjson-ids: {}: {err}", lines.position());
                }
            }
        }
        Ok(ids)
    }

    fn read_db(&mut self, set: DbSet) -> Result<Vec<u64>> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => self
                .conn
                .insert(tmdb_core::db::open_read_only(&self.db_path)?),
        };
        let mut stmt = conn.prepare(set.query())?;
        let ids = stmt
            .query_map([], |row| row.get::<_, i64>(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()
            .with_context(|| format!("cannot list {set:?} from {}", self.db_path.display()))?;
        // ndjson-load stores only positive IDs, so the conversion never drops a real one.
        Ok(ids
            .into_iter()
            .filter_map(|id| u64::try_from(id).ok())
            .collect())
    }
}

/// Sorts and removes duplicates.
pub fn sorted_unique(mut ids: Vec<u64>) -> Vec<u64> {
    ids.sort_unstable();
    ids.dedup();
    ids
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
    fn sorted_unique_sorts_and_dedups() {
        assert_eq!(sorted_unique(vec![5, 1, 5, 3, 1]), vec![1, 3, 5]);
    }
}
