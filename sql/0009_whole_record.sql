-- tmdb-mirror schema, version 9: the whole record. Every field and append of a movie or person
-- record has a home, so tmdb-serve can rebuild TMDB's own JSON from the tables
-- (docs/data-contract.md "The whole record").
--
-- Conventions of every table below, and of the columns added to the older ones:
-- - column names are TMDB's field names; `ord` is the position in the array TMDB sent;
-- - values are stored as TMDB sent them: "" stays "", null stays NULL, true/false are 1/0;
--   JSON arrays of strings (origin_country, descriptors) are kept as their JSON text;
-- - `extra` is a JSON object of what the mirror does not know yet (a key TMDB added, an
--   append with no table), merged back into the object when it is rebuilt;
-- - `absent` is a bit set of the known keys the object did not have (bit i: the i-th field of
--   the table's description in tools/tmdb-core/src/record/spec.rs); NULL when it had them all.
-- Forward-only: never edit after it lands.

-- Records loaded before this version kept only part of what TMDB sent, and "" became NULL in
-- a few columns: forget their hashes, so the next load of the same files writes them whole
-- instead of skipping them as unchanged.
UPDATE movie SET source_hash = 0;
UPDATE people SET source_hash = 0;

ALTER TABLE movie ADD COLUMN softcore INTEGER;
ALTER TABLE movie ADD COLUMN wikidata_id TEXT;
ALTER TABLE movie ADD COLUMN facebook_id TEXT;
ALTER TABLE movie ADD COLUMN instagram_id TEXT;
ALTER TABLE movie ADD COLUMN twitter_id TEXT;
ALTER TABLE movie ADD COLUMN extra TEXT;
ALTER TABLE movie ADD COLUMN absent INTEGER;
CREATE INDEX movie_imdb_id     ON movie (imdb_id) WHERE imdb_id IS NOT NULL;
CREATE INDEX movie_wikidata_id ON movie (wikidata_id) WHERE wikidata_id IS NOT NULL;
CREATE INDEX movie_collection  ON movie (collection_id) WHERE collection_id IS NOT NULL;

ALTER TABLE people ADD COLUMN wikidata_id TEXT;
ALTER TABLE people ADD COLUMN facebook_id TEXT;
ALTER TABLE people ADD COLUMN instagram_id TEXT;
ALTER TABLE people ADD COLUMN twitter_id TEXT;
ALTER TABLE people ADD COLUMN tiktok_id TEXT;
ALTER TABLE people ADD COLUMN youtube_id TEXT;
ALTER TABLE people ADD COLUMN freebase_mid TEXT;
ALTER TABLE people ADD COLUMN freebase_id TEXT;
ALTER TABLE people ADD COLUMN tvrage_id INTEGER;
ALTER TABLE people ADD COLUMN extra TEXT;
ALTER TABLE people ADD COLUMN absent INTEGER;
CREATE INDEX people_imdb_id     ON people (imdb_id) WHERE imdb_id IS NOT NULL;
CREATE INDEX people_wikidata_id ON people (wikidata_id) WHERE wikidata_id IS NOT NULL;

-- Entities several movies share; the last record loaded that names one writes it.
ALTER TABLE genre ADD COLUMN extra TEXT;

CREATE TABLE collection (
    id            INTEGER PRIMARY KEY,
    name          TEXT,
    poster_path   TEXT,
    backdrop_path TEXT,
    extra         TEXT
);

CREATE TABLE company (
    id             INTEGER PRIMARY KEY,
    name           TEXT,
    logo_path      TEXT,
    origin_country TEXT,
    extra          TEXT
);

CREATE TABLE keyword (
    id    INTEGER PRIMARY KEY,
    name  TEXT,
    extra TEXT
);

CREATE TABLE watch_provider (
    id            INTEGER PRIMARY KEY,
    provider_name TEXT,
    logo_path     TEXT,
    extra         TEXT
);

-- The order of a movie's genres and of its cast and crew lists.
ALTER TABLE movie_genre ADD COLUMN ord INTEGER;
ALTER TABLE credit ADD COLUMN ord INTEGER;
ALTER TABLE credit ADD COLUMN cast_id INTEGER;
ALTER TABLE credit ADD COLUMN extra TEXT;
ALTER TABLE credit ADD COLUMN absent INTEGER;

-- What hangs off a movie: replaced whole whenever the movie is loaded again, deleted with it.
CREATE TABLE movie_company (
    movie_id   INTEGER NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    ord        INTEGER NOT NULL,
    company_id INTEGER NOT NULL,
    PRIMARY KEY (movie_id, ord)
) WITHOUT ROWID;
CREATE INDEX movie_company_company ON movie_company (company_id, movie_id);

CREATE TABLE movie_country (
    movie_id   INTEGER NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    ord        INTEGER NOT NULL,
    iso_3166_1 TEXT,
    name       TEXT,
    extra      TEXT,
    absent     INTEGER,
    PRIMARY KEY (movie_id, ord)
) WITHOUT ROWID;
CREATE INDEX movie_country_country ON movie_country (iso_3166_1, movie_id);

CREATE TABLE movie_language (
    movie_id     INTEGER NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    ord          INTEGER NOT NULL,
    iso_639_1    TEXT,
    english_name TEXT,
    name         TEXT,
    extra        TEXT,
    absent       INTEGER,
    PRIMARY KEY (movie_id, ord)
) WITHOUT ROWID;
CREATE INDEX movie_language_language ON movie_language (iso_639_1, movie_id);

CREATE TABLE movie_keyword (
    movie_id   INTEGER NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    ord        INTEGER NOT NULL,
    keyword_id INTEGER NOT NULL,
    PRIMARY KEY (movie_id, ord)
) WITHOUT ROWID;
CREATE INDEX movie_keyword_keyword ON movie_keyword (keyword_id, movie_id);

-- release_dates: TMDB groups the dates by country; `ord` runs over the dates of every country
-- in the order sent, so the groups come back in their order too.
CREATE TABLE release_date (
    movie_id      INTEGER NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    ord           INTEGER NOT NULL,
    iso_3166_1    TEXT,
    certification TEXT,
    descriptors   TEXT,
    iso_639_1     TEXT,
    note          TEXT,
    release_date  TEXT,
    type          INTEGER,
    extra         TEXT,
    absent        INTEGER,
    PRIMARY KEY (movie_id, ord)
) WITHOUT ROWID;
CREATE INDEX release_date_certification ON release_date (iso_3166_1, certification, movie_id);

CREATE TABLE alternative_title (
    movie_id   INTEGER NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    ord        INTEGER NOT NULL,
    iso_3166_1 TEXT,
    title      TEXT,
    type       TEXT,
    extra      TEXT,
    absent     INTEGER,
    PRIMARY KEY (movie_id, ord)
) WITHOUT ROWID;

CREATE TABLE translation (
    movie_id     INTEGER NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    ord          INTEGER NOT NULL,
    iso_3166_1   TEXT,
    iso_639_1    TEXT,
    name         TEXT,
    english_name TEXT,
    title        TEXT,
    overview     TEXT,
    tagline      TEXT,
    homepage     TEXT,
    runtime      INTEGER,
    extra        TEXT,
    absent       INTEGER,
    PRIMARY KEY (movie_id, ord)
) WITHOUT ROWID;

CREATE TABLE video (
    movie_id     INTEGER NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    ord          INTEGER NOT NULL,
    id           TEXT,
    iso_639_1    TEXT,
    iso_3166_1   TEXT,
    name         TEXT,
    key          TEXT,
    site         TEXT,
    size         INTEGER,
    type         TEXT,
    official     INTEGER,
    published_at TEXT,
    extra        TEXT,
    absent       INTEGER,
    PRIMARY KEY (movie_id, ord)
) WITHOUT ROWID;

-- images: kind is the list TMDB put the image in (backdrops, logos, posters).
CREATE TABLE image (
    movie_id     INTEGER NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    ord          INTEGER NOT NULL,
    aspect_ratio REAL,
    file_path    TEXT,
    height       INTEGER,
    iso_3166_1   TEXT,
    iso_639_1    TEXT,
    vote_average REAL,
    vote_count   INTEGER,
    width        INTEGER,
    extra        TEXT,
    absent       INTEGER,
    PRIMARY KEY (movie_id, kind, ord)
) WITHOUT ROWID;

-- watch/providers: per country a link and lists by kind (flatrate, rent, buy, ads, free, and
-- whatever kind TMDB adds).
CREATE TABLE watch_link (
    movie_id   INTEGER NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    iso_3166_1 TEXT NOT NULL,
    link       TEXT,
    PRIMARY KEY (movie_id, iso_3166_1)
) WITHOUT ROWID;

CREATE TABLE movie_watch_provider (
    movie_id         INTEGER NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    iso_3166_1       TEXT NOT NULL,
    kind             TEXT NOT NULL,
    ord              INTEGER NOT NULL,
    provider_id      INTEGER NOT NULL,
    display_priority INTEGER,
    PRIMARY KEY (movie_id, iso_3166_1, kind, ord)
) WITHOUT ROWID;
CREATE INDEX movie_watch_provider_provider
    ON movie_watch_provider (provider_id, iso_3166_1, kind, movie_id);

-- What hangs off a person.
CREATE TABLE person_translation (
    person_id    INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    ord          INTEGER NOT NULL,
    iso_3166_1   TEXT,
    iso_639_1    TEXT,
    name         TEXT,
    english_name TEXT,
    biography    TEXT,
    extra        TEXT,
    absent       INTEGER,
    PRIMARY KEY (person_id, ord)
) WITHOUT ROWID;

CREATE TABLE person_image (
    person_id    INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    ord          INTEGER NOT NULL,
    aspect_ratio REAL,
    file_path    TEXT,
    height       INTEGER,
    iso_3166_1   TEXT,
    iso_639_1    TEXT,
    vote_average REAL,
    vote_count   INTEGER,
    width        INTEGER,
    extra        TEXT,
    absent       INTEGER,
    PRIMARY KEY (person_id, ord)
) WITHOUT ROWID;
