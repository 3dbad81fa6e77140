-- tmdb-mirror schema, version 1: the tables of docs/data-contract.md ("Storage") and the indexes
-- the API's filters and joins need. Column names follow TMDB's field names; TMDB's "" (no date, no
-- homepage...) is stored as NULL by ndjson-load. Forward-only: never edit after it lands.

-- TMDB's movie genres (19 of them, stable since 2022).
CREATE TABLE genre (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE INDEX genre_name ON genre (name COLLATE NOCASE);

-- Stage 2: what to fetch, from the daily export or from discover.
CREATE TABLE movie_ids (
    id             INTEGER PRIMARY KEY,
    adult          INTEGER NOT NULL DEFAULT 0,
    video          INTEGER NOT NULL DEFAULT 0,
    popularity     REAL,
    original_title TEXT
);

-- Stage 3: one row per movie, as /movie/{id} describes it.
-- source_hash is a hash of the record as fetched, so that reloading an unchanged record can
-- skip it without rewriting the row, its genres, its credits or the full-text index.
CREATE TABLE movie (
    id                INTEGER PRIMARY KEY,
    title             TEXT,
    original_title    TEXT,
    original_language TEXT,
    overview          TEXT,
    release_date      TEXT,
    runtime           INTEGER,
    status            TEXT,
    adult             INTEGER NOT NULL DEFAULT 0,
    video             INTEGER NOT NULL DEFAULT 0,
    poster_path       TEXT,
    backdrop_path     TEXT,
    vote_average      REAL,
    vote_count        INTEGER,
    popularity        REAL,
    budget            INTEGER,
    revenue           INTEGER,
    imdb_id           TEXT,
    homepage          TEXT,
    tagline           TEXT,
    collection_id     INTEGER,
    origin_country    TEXT,
    source_hash       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX movie_release_date      ON movie (release_date);
CREATE INDEX movie_popularity        ON movie (popularity);
CREATE INDEX movie_vote_average      ON movie (vote_average);
CREATE INDEX movie_vote_count        ON movie (vote_count);
CREATE INDEX movie_title             ON movie (title);
CREATE INDEX movie_original_language ON movie (original_language, popularity);
CREATE INDEX movie_status            ON movie (status, popularity);

-- A movie's genres; replaced whole whenever the movie is loaded again.
CREATE TABLE movie_genre (
    movie_id INTEGER NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    genre_id INTEGER NOT NULL,
    PRIMARY KEY (movie_id, genre_id)
) WITHOUT ROWID;
CREATE INDEX movie_genre_genre ON movie_genre (genre_id, movie_id);

-- Cast and crew of every movie, keyed by TMDB's credit_id (one person can hold several crew
-- credits on one movie). person_id is not a foreign key: credits arrive before their people,
-- and a credited person can be gone from TMDB.
CREATE TABLE credit (
    credit_id            TEXT PRIMARY KEY,
    movie_id             INTEGER NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    person_id            INTEGER NOT NULL,
    kind                 TEXT NOT NULL CHECK (kind IN ('cast', 'crew')),
    name                 TEXT,
    original_name        TEXT,
    character            TEXT,
    cast_order           INTEGER,
    department           TEXT,
    job                  TEXT,
    gender               INTEGER,
    known_for_department TEXT,
    profile_path         TEXT,
    popularity           REAL,
    adult                INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX credit_movie  ON credit (movie_id, kind, cast_order);
CREATE INDEX credit_person ON credit (person_id);

-- Stage 5: one row per person, as /person/{id} describes them.
-- also_known_as is the JSON array text TMDB sends (["...", "..."]).
CREATE TABLE people (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT,
    also_known_as        TEXT,
    biography            TEXT,
    birthday             TEXT,
    deathday             TEXT,
    gender               INTEGER,
    known_for_department TEXT,
    place_of_birth       TEXT,
    profile_path         TEXT,
    popularity           REAL,
    imdb_id              TEXT,
    homepage             TEXT,
    adult                INTEGER NOT NULL DEFAULT 0,
    source_hash          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX people_popularity ON people (popularity);
CREATE INDEX people_name       ON people (name);

-- IDs TMDB answered 404 (status_code 34) for: deleted or merged upstream. Kept so that a
-- mirror neither refetches nor resurrects them.
CREATE TABLE gone (
    kind    TEXT NOT NULL CHECK (kind IN ('movie', 'person')),
    id      INTEGER NOT NULL,
    gone_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;

-- One row per ndjson-load run: what /stats reports as the last load.
CREATE TABLE load_log (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    read        INTEGER NOT NULL,
    inserted    INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    unchanged   INTEGER NOT NULL,
    deleted     INTEGER NOT NULL,
    rejected    INTEGER NOT NULL
);
