//! Writing one record into the mirror: upserts by primary key that tell inserted, updated and
//! unchanged apart, so a reload neither rewrites rows nor churns the full-text index and WAL.
//!
//! Movies, people and genres are written by `tmdb_core::record::store` from the rows of the
//! one description; this module decides what a record's write is (new, changed, unchanged)
//! and writes the ID and gone lists. Every statement is a cached prepared statement. Nothing
//! here begins or commits: the caller (`batch.rs`) wraps many records in one transaction. The
//! FTS tables are not written here; the triggers of `sql/0002_fts.sql` follow `movie` and
//! `people`.

use rusqlite::{Connection, OptionalExtension, params};

use tmdb_core::model::ItemKind;

use tmdb_core::record::flatten::Rows;
use tmdb_core::record::store::Written;
use tmdb_core::record::{spec, store};

use crate::kinds::{Gone, Id, MovieId, Record};

/// What writing one record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Inserted,
    Updated,
    Unchanged,
    Deleted,
}

/// Writes `record`; the caller holds the transaction, and `written` is what it wrote before.
pub fn write(
    conn: &Connection,
    record: &Record,
    written: &mut Written,
) -> rusqlite::Result<Outcome> {
    match record {
        Record::Genre(genre) => write_genre(conn, genre, written),
        Record::MovieId(movie_id) => write_movie_id(conn, movie_id),
        Record::Movie(movie) => write_record(conn, movie, ItemKind::Movie, written),
        Record::Person(person) => write_record(conn, person, ItemKind::Person, written),
        Record::Gone(gone) => write_gone(conn, gone),
    }
}

/// Inserts with `insert` (which must do nothing on conflict); else runs `update` (which must
/// change nothing when the values are the same).
fn insert_or_update(
    conn: &Connection,
    insert: &str,
    update: &str,
    params: &[&dyn rusqlite::ToSql],
) -> rusqlite::Result<Outcome> {
    if conn.prepare_cached(insert)?.execute(params)? == 1 {
        return Ok(Outcome::Inserted);
    }
    match conn.prepare_cached(update)?.execute(params)? {
        0 => Ok(Outcome::Unchanged),
        _ => Ok(Outcome::Updated),
    }
}

/// A genre: inserted, or updated when its name (or what TMDB added) changed.
fn write_genre(
    conn: &Connection,
    genre: &Rows,
    written: &mut Written,
) -> rusqlite::Result<Outcome> {
    let before = conn.changes();
    let existed = conn
        .prepare_cached("SELECT 1 FROM genre WHERE id = ?1")?
        .exists([genre.id])?;
    store::write(conn, genre, written)?;
    Ok(match (existed, conn.changes() != before) {
        (false, _) => Outcome::Inserted,
        (true, true) => Outcome::Updated,
        (true, false) => Outcome::Unchanged,
    })
}

fn write_movie_id(conn: &Connection, m: &MovieId) -> rusqlite::Result<Outcome> {
    if m.is_bare {
        // A bare ID says only "this movie exists": it never overwrites what an export line said.
        let inserted = conn
            .prepare_cached("INSERT INTO movie_ids (id) VALUES (?1) ON CONFLICT (id) DO NOTHING")?
            .execute([m.id])?;
        return Ok(match inserted {
            1 => Outcome::Inserted,
            _ => Outcome::Unchanged,
        });
    }
    insert_or_update(
        conn,
        "INSERT INTO movie_ids (id, adult, video, popularity, original_title)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO NOTHING",
        "UPDATE movie_ids SET adult = ?2, video = ?3, popularity = ?4, original_title = ?5
         WHERE id = ?1 AND (adult, video, popularity, original_title) IS NOT (?2, ?3, ?4, ?5)",
        params![
            m.id,
            m.adult.unwrap_or(false),
            m.video.unwrap_or(false),
            m.popularity,
            m.original_title
        ],
    )
}

/// What writing a record with `hash` would do, from the hash stored for its ID (`select`
/// reads `source_hash` by id): `None` when it is unchanged and nothing needs writing.
fn write_outcome(
    conn: &Connection,
    select: &str,
    id: i64,
    hash: i64,
) -> rusqlite::Result<Option<Outcome>> {
    let stored: Option<i64> = conn
        .prepare_cached(select)?
        .query_row([id], |row| row.get(0))
        .optional()?;
    Ok(match stored {
        Some(stored) if stored == hash => None,
        Some(_) => Some(Outcome::Updated),
        None => Some(Outcome::Inserted),
    })
}

/// A movie or a person with everything hanging off it. A new version replaces the record
/// whole: what the new line lacks (an append not asked for this time, a credit removed
/// upstream) is gone from the mirror too.
fn write_record(
    conn: &Connection,
    rows: &Rows,
    kind: ItemKind,
    written: &mut Written,
) -> rusqlite::Result<Outcome> {
    let (select, children) = match kind {
        ItemKind::Movie => (
            "SELECT source_hash FROM movie WHERE id = ?1",
            spec::MOVIE_CHILDREN,
        ),
        ItemKind::Person => (
            "SELECT source_hash FROM people WHERE id = ?1",
            spec::PERSON_CHILDREN,
        ),
    };
    let hash = match rows.rows[0].1[1] {
        rusqlite::types::Value::Integer(hash) => hash,
        _ => unreachable!("the second column of a record's row is its source_hash"),
    };
    let Some(outcome) = write_outcome(conn, select, rows.id, hash)? else {
        return Ok(Outcome::Unchanged);
    };
    // A newly inserted record has nothing hanging off it yet (the foreign keys cascade on
    // delete), so only an update needs the old rows cleared.
    if outcome == Outcome::Updated {
        store::delete_children(conn, children, rows.id)?;
    }
    store::write(conn, rows, written)?;
    forget_gone(conn, kind, Id(rows.id))?;
    Ok(outcome)
}

/// A record loaded again came back upstream: it is no longer gone.
fn forget_gone(conn: &Connection, kind: ItemKind, id: Id) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM gone WHERE kind = ?1 AND id = ?2")?
        .execute(params![kind.as_str(), id])?;
    Ok(())
}

/// Deletes the movie (its genres and credits cascade) or the person, and remembers the ID as
/// gone. Deleted if a row went, Inserted if only the gone entry is new, else Unchanged.
fn write_gone(conn: &Connection, gone: &Gone) -> rusqlite::Result<Outcome> {
    let delete = match gone.kind {
        ItemKind::Movie => "DELETE FROM movie WHERE id = ?1",
        ItemKind::Person => "DELETE FROM people WHERE id = ?1",
    };
    let deleted = conn.prepare_cached(delete)?.execute([gone.id])?;
    let recorded = conn
        .prepare_cached("INSERT INTO gone (kind, id) VALUES (?1, ?2) ON CONFLICT DO NOTHING")?
        .execute(params![gone.kind.as_str(), gone.id])?;
    Ok(match (deleted, recorded) {
        (1.., _) => Outcome::Deleted,
        (0, 1..) => Outcome::Inserted,
        _ => Outcome::Unchanged,
    })
}
