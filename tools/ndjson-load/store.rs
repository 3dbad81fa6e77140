//! Writing one record into the mirror: upserts by primary key that tell inserted, updated and
//! unchanged apart, so a reload neither rewrites rows nor churns the full-text index and WAL.
//!
//! Every statement is a cached prepared statement. Nothing here begins or commits: the caller
//! (`batch.rs`) wraps many records in one transaction. The FTS tables are not written here; the
//! triggers of `sql/0002_fts.sql` follow `movie` and `people`.

use rusqlite::{Connection, OptionalExtension, params};

use tmdb_core::model::ItemKind;

use crate::kinds::{Credit, Genre, Gone, Id, Movie, MovieId, Person, Record};

/// What writing one record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Inserted,
    Updated,
    Unchanged,
    Deleted,
}

/// Writes `record`; the caller holds the transaction.
pub fn write(conn: &Connection, record: &Record) -> rusqlite::Result<Outcome> {
    match record {
        Record::Genre(genre) => write_genre(conn, genre),
        Record::MovieId(movie_id) => write_movie_id(conn, movie_id),
        Record::Movie(movie) => write_movie(conn, movie),
        Record::Person(person) => write_person(conn, person),
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

fn write_genre(conn: &Connection, genre: &Genre) -> rusqlite::Result<Outcome> {
    insert_or_update(
        conn,
        "INSERT INTO genre (id, name) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
        "UPDATE genre SET name = ?2 WHERE id = ?1 AND name IS NOT ?2",
        params![genre.id, genre.name],
    )
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
    id: Id,
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

const UPSERT_MOVIE: &str = "INSERT INTO movie (
        id, title, original_title, original_language, overview, release_date, runtime, status,
        adult, video, poster_path, backdrop_path, vote_average, vote_count, popularity, budget,
        revenue, imdb_id, homepage, tagline, collection_id, origin_country, source_hash)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
        ?19, ?20, ?21, ?22, ?23)
    ON CONFLICT (id) DO UPDATE SET
        title = excluded.title, original_title = excluded.original_title,
        original_language = excluded.original_language, overview = excluded.overview,
        release_date = excluded.release_date, runtime = excluded.runtime,
        status = excluded.status, adult = excluded.adult, video = excluded.video,
        poster_path = excluded.poster_path, backdrop_path = excluded.backdrop_path,
        vote_average = excluded.vote_average, vote_count = excluded.vote_count,
        popularity = excluded.popularity, budget = excluded.budget, revenue = excluded.revenue,
        imdb_id = excluded.imdb_id, homepage = excluded.homepage, tagline = excluded.tagline,
        collection_id = excluded.collection_id, origin_country = excluded.origin_country,
        source_hash = excluded.source_hash";

fn write_movie(conn: &Connection, m: &Movie) -> rusqlite::Result<Outcome> {
    let select = "SELECT source_hash FROM movie WHERE id = ?1";
    let Some(outcome) = write_outcome(conn, select, m.id, m.source_hash)? else {
        return Ok(Outcome::Unchanged);
    };
    conn.prepare_cached(UPSERT_MOVIE)?.execute(params![
        m.id,
        m.title,
        m.original_title,
        m.original_language,
        m.overview,
        m.release_date,
        m.runtime,
        m.status,
        m.adult.unwrap_or(false),
        m.video.unwrap_or(false),
        m.poster_path,
        m.backdrop_path,
        m.vote_average,
        m.vote_count,
        m.popularity,
        m.budget,
        m.revenue,
        m.imdb_id,
        m.homepage,
        m.tagline,
        m.belongs_to_collection.as_ref().map(|c| c.id),
        m.origin_country,
        m.source_hash,
    ])?;
    // A newly inserted movie has no genres or credits yet (the foreign keys cascade on
    // delete), so only an update needs the old ones cleared.
    let is_update = outcome == Outcome::Updated;
    if let Some(genres) = &m.genres {
        if is_update {
            conn.prepare_cached("DELETE FROM movie_genre WHERE movie_id = ?1")?
                .execute([m.id])?;
        }
        let mut insert = conn.prepare_cached(
            "INSERT INTO movie_genre (movie_id, genre_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?;
        for genre in genres {
            insert.execute(params![m.id, genre.id])?;
        }
    }
    if let Some(credits) = &m.credits {
        if is_update {
            conn.prepare_cached("DELETE FROM credit WHERE movie_id = ?1")?
                .execute([m.id])?;
        }
        for (kind, list) in [("cast", &credits.cast), ("crew", &credits.crew)] {
            for credit in list {
                write_credit(conn, m.id, kind, credit)?;
            }
        }
    }
    forget_gone(conn, ItemKind::Movie, m.id)?;
    Ok(outcome)
}

/// Credits are inserted one statement per row: with ~700 credits per movie this is the hot
/// path of a load.
macro_rules! insert_credit {
    ($tail:literal) => {
        concat!(
            "INSERT INTO credit (credit_id, movie_id, person_id, kind, name, original_name,
                character, cast_order, department, job, gender, known_for_department,
                profile_path, popularity, adult)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            $tail
        )
    };
}

const INSERT_CREDIT: &str = insert_credit!("");

const UPSERT_CREDIT: &str = insert_credit!(
    " ON CONFLICT (credit_id) DO UPDATE SET
        movie_id = excluded.movie_id, person_id = excluded.person_id, kind = excluded.kind,
        name = excluded.name, original_name = excluded.original_name,
        character = excluded.character, cast_order = excluded.cast_order,
        department = excluded.department, job = excluded.job, gender = excluded.gender,
        known_for_department = excluded.known_for_department,
        profile_path = excluded.profile_path, popularity = excluded.popularity,
        adult = excluded.adult"
);

fn write_credit(conn: &Connection, movie_id: Id, kind: &str, c: &Credit) -> rusqlite::Result<()> {
    let values = params![
        c.credit_id,
        movie_id,
        c.id,
        kind,
        c.name,
        c.original_name,
        c.character,
        c.order,
        c.department,
        c.job,
        c.gender,
        c.known_for_department,
        c.profile_path,
        c.popularity,
        c.adult.unwrap_or(false),
    ];
    // A plain single-row INSERT needs no statement journal, an upsert does (SQLite copies every
    // page it touches into one): the plain form is a large share of a fresh load's speed. The
    // upsert is only for a credit_id TMDB lists twice or under another movie: the last one read
    // wins rather than failing the batch.
    match conn.prepare_cached(INSERT_CREDIT)?.execute(values) {
        Err(rusqlite::Error::SqliteFailure(err, _))
            if err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                || err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            conn.prepare_cached(UPSERT_CREDIT)?.execute(values)?;
            Ok(())
        }
        other => other.map(drop),
    }
}

const UPSERT_PERSON: &str = "INSERT INTO people (
        id, name, also_known_as, biography, birthday, deathday, gender, known_for_department,
        place_of_birth, profile_path, popularity, imdb_id, homepage, adult, source_hash)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
    ON CONFLICT (id) DO UPDATE SET
        name = excluded.name, also_known_as = excluded.also_known_as,
        biography = excluded.biography, birthday = excluded.birthday,
        deathday = excluded.deathday, gender = excluded.gender,
        known_for_department = excluded.known_for_department,
        place_of_birth = excluded.place_of_birth, profile_path = excluded.profile_path,
        popularity = excluded.popularity, imdb_id = excluded.imdb_id,
        homepage = excluded.homepage, adult = excluded.adult, source_hash = excluded.source_hash";

fn write_person(conn: &Connection, p: &Person) -> rusqlite::Result<Outcome> {
    let select = "SELECT source_hash FROM people WHERE id = ?1";
    let Some(outcome) = write_outcome(conn, select, p.id, p.source_hash)? else {
        return Ok(Outcome::Unchanged);
    };
    conn.prepare_cached(UPSERT_PERSON)?.execute(params![
        p.id,
        p.name,
        p.also_known_as,
        p.biography,
        p.birthday,
        p.deathday,
        p.gender,
        p.known_for_department,
        p.place_of_birth,
        p.profile_path,
        p.popularity,
        p.imdb_id,
        p.homepage,
        p.adult.unwrap_or(false),
        p.source_hash,
    ])?;
    forget_gone(conn, ItemKind::Person, p.id)?;
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
