//! `--since-last-load`: where the last load of a file stopped, kept in the mirror itself
//! (`load_checkpoint`: sql/0011_load_checkpoint.sql, sql/postgres/0003_load_checkpoint.sql,
//! sql/mysql/0001_init.sql),
//! so that a rerun of a pipeline stage loads only what its fetch appended. docs/record.md
//! "Loading" tells why a whole reload is wrong.
//!
//! The point is kept in the database rather than beside the file: a new or emptied mirror has
//! none and loads the whole file. It is trusted only while the file still begins with the bytes
//! it began with and holds, just before the point, the bytes it held then; a file replaced by
//! another (fetched again from scratch) is loaded whole.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use mysql::prelude::Queryable;
use rusqlite::{Connection, OptionalExtension};
use tmdb_core::ndjson::Reached;

use crate::batch::Counts;
use crate::kinds::Kind;

/// Bytes compared at each end of what was loaded.
const WITNESS: u64 = 256;

/// A row of `load_checkpoint`.
struct Saved {
    kind: String,
    point: Reached,
    /// The file's first bytes and the last ones before the point.
    witnesses: (Vec<u8>, Vec<u8>),
}

/// Where a mirror keeps its rows of `load_checkpoint`.
pub enum Store<'a> {
    Sqlite(&'a Connection),
    Postgres(&'a mut postgres::Client),
    Mysql(&'a mut mysql::Conn),
}

/// A file loaded with `--since-last-load`, and the point its last load reached.
pub struct Checkpoint {
    /// The file's absolute path: the key, whatever folder the load ran in.
    path: PathBuf,
    /// Where this load starts: the point of the last load when it still holds, else the start.
    pub start: Reached,
}

impl Checkpoint {
    /// Looks up where the last load of `file` as `kind` stopped.
    pub fn find(store: Store<'_>, kind: Kind, file: &Path) -> Result<Checkpoint> {
        let path = file
            .canonicalize()
            .with_context(|| format!("cannot open {}", file.display()))?;
        let key = path.to_string_lossy().into_owned();
        let saved = match store {
            Store::Sqlite(conn) => conn
                .query_row(
                    "SELECT kind, bytes, lines, head, tail FROM load_checkpoint WHERE path = ?1",
                    [&key],
                    |r| {
                        Ok(Saved {
                            kind: r.get(0)?,
                            point: point(r.get(1)?, r.get(2)?),
                            witnesses: (r.get(3)?, r.get(4)?),
                        })
                    },
                )
                .optional()
                .map_err(anyhow::Error::from),
            Store::Postgres(client) => client
                .query_opt(
                    "SELECT kind, bytes, lines, head, tail FROM load_checkpoint WHERE path = $1",
                    &[&key],
                )
                .map(|row| {
                    row.map(|r| Saved {
                        kind: r.get(0),
                        point: point(r.get(1), r.get(2)),
                        witnesses: (r.get(3), r.get(4)),
                    })
                })
                .map_err(anyhow::Error::from),
            Store::Mysql(conn) => conn
                .exec_first::<(String, i64, i64, Vec<u8>, Vec<u8>), _, _>(
                    "SELECT kind, bytes, `lines`, head, tail FROM load_checkpoint WHERE path = ?",
                    (&key,),
                )
                .map(|row| {
                    row.map(|(kind, bytes, lines, head, tail)| Saved {
                        kind,
                        point: point(bytes, lines),
                        witnesses: (head, tail),
                    })
                })
                .map_err(anyhow::Error::from),
        }
        .context("cannot read load_checkpoint")?;
        Checkpoint::from_saved(path, kind, file, saved)
    }

    /// Starts at `saved`'s point if it still holds, saying so; else at the start.
    fn from_saved(path: PathBuf, kind: Kind, file: &Path, saved: Option<Saved>) -> Result<Self> {
        let mut start = Reached::default();
        if let Some(saved) = saved {
            if saved.kind != kind.name() {
                eprintln!(
                    "ndjson-load: {} was last loaded as {}: loading it whole",
                    file.display(),
                    saved.kind
                );
            } else if witnesses(&path, saved.point.bytes)? != Some(saved.witnesses) {
                eprintln!(
                    "ndjson-load: {} is not the file loaded before (it no longer holds what \
                     was loaded from it): loading it whole",
                    file.display()
                );
            } else {
                start = saved.point;
                eprintln!(
                    "ndjson-load: {}: loading from line {} on (the lines before were loaded \
                     by an earlier run)",
                    file.display(),
                    start.lines + 1
                );
            }
        }
        Ok(Checkpoint { path, start })
    }

    /// Records that the load reached `reached` (after its last batch).
    fn save(&self, store: Store<'_>, kind: Kind, reached: Reached) -> Result<()> {
        let (head, tail) = witnesses(&self.path, reached.bytes)?
            .context("the loaded file shrank during the load")?;
        let key = self.path.to_string_lossy().into_owned();
        let (bytes, lines) = (reached.bytes as i64, reached.lines as i64);
        match store {
            Store::Sqlite(conn) => conn
                .execute(
                    "INSERT OR REPLACE INTO load_checkpoint (path, kind, bytes, lines, head, tail)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    rusqlite::params![key, kind.name(), bytes, lines, head, tail],
                )
                .map(drop)
                .map_err(anyhow::Error::from),
            Store::Postgres(client) => client
                .execute(
                    "INSERT INTO load_checkpoint (path, kind, bytes, lines, head, tail)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (path) DO UPDATE SET kind = excluded.kind,
                        bytes = excluded.bytes, lines = excluded.lines,
                        head = excluded.head, tail = excluded.tail",
                    &[&key, &kind.name(), &bytes, &lines, &head, &tail],
                )
                .map(drop)
                .map_err(anyhow::Error::from),
            Store::Mysql(conn) => conn
                .exec_drop(
                    "REPLACE INTO load_checkpoint (path, kind, bytes, `lines`, head, tail)
                     VALUES (?, ?, ?, ?, ?, ?)",
                    (key, kind.name(), bytes, lines, head, tail),
                )
                .map_err(anyhow::Error::from),
        }
        .context("cannot record how far the load got in load_checkpoint")
    }
}

/// After a load of the file of `checkpoint` (if it was one) that read it to `reached`: moves its
/// point there, unless a line was rejected (the point stays, so the next run reports that line
/// again rather than leaving it behind unseen).
pub fn advance(
    checkpoint: Option<&Checkpoint>,
    store: Store<'_>,
    kind: Kind,
    reached: &[Reached],
    counts: &Counts,
) -> Result<()> {
    match (checkpoint, reached, counts.rejected) {
        (Some(checkpoint), [reached], 0) => checkpoint.save(store, kind, *reached),
        _ => Ok(()),
    }
}

fn point(bytes: i64, lines: i64) -> Reached {
    Reached {
        bytes: bytes as u64,
        lines: lines as u64,
    }
}

/// The first bytes of `path` and the last ones before `bytes` (up to [`WITNESS`] each), or
/// `None` when the file is shorter than `bytes`.
fn witnesses(path: &Path, bytes: u64) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata()?.len();
    if size < bytes {
        return Ok(None);
    }
    let mut read = |from: u64, len: u64| -> std::io::Result<Vec<u8>> {
        let mut buf = vec![0; len as usize];
        file.seek(SeekFrom::Start(from))?;
        file.read_exact(&mut buf)?;
        Ok(buf)
    };
    let head = read(0, bytes.min(WITNESS))?;
    let tail_from = bytes.saturating_sub(WITNESS);
    let tail = read(tail_from, bytes - tail_from)?;
    Ok(Some((head, tail)))
}
