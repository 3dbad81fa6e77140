-- The PostgreSQL mirror: the same tables, keys, column names and values as the SQLite mirror
-- (sql/*.sql, docs/data-contract.md), with PostgreSQL's types. Integers are bigint (TMDB's
-- budgets and revenues pass 2^31, and ids may), decimals double precision, flags boolean, JSON
-- (lists of strings, `extra`) jsonb. Dates stay text: TMDB sends "" for an unknown date, and
-- the mirror keeps values as sent. `absent` is a bit set of up to 40 bits.

CREATE TABLE genre (
    id    bigint PRIMARY KEY,
    name  text NOT NULL,
    extra jsonb
);
CREATE INDEX genre_name ON genre (lower(name));

CREATE TABLE movie_ids (
    id             bigint PRIMARY KEY,
    adult          boolean NOT NULL DEFAULT false,
    video          boolean NOT NULL DEFAULT false,
    popularity     double precision,
    original_title text
);

CREATE TABLE movie (
    id                bigint PRIMARY KEY,
    title             text,
    original_title    text,
    original_language text,
    overview          text,
    release_date      text,
    runtime           bigint,
    status            text,
    adult             boolean NOT NULL DEFAULT false,
    video             boolean NOT NULL DEFAULT false,
    poster_path       text,
    backdrop_path     text,
    vote_average      double precision,
    vote_count        bigint,
    popularity        double precision,
    budget            bigint,
    revenue           bigint,
    imdb_id           text,
    homepage          text,
    tagline           text,
    collection_id     bigint,
    origin_country    jsonb,
    source_hash       bigint NOT NULL DEFAULT 0,
    softcore          boolean,
    wikidata_id       text,
    facebook_id       text,
    instagram_id      text,
    twitter_id        text,
    extra             jsonb,
    absent            bigint
);
CREATE INDEX movie_popularity        ON movie (popularity);
CREATE INDEX movie_vote_average      ON movie (vote_average);
CREATE INDEX movie_vote_count        ON movie (vote_count);
CREATE INDEX movie_title             ON movie (title);
CREATE INDEX movie_original_language ON movie (original_language, popularity);
CREATE INDEX movie_status            ON movie (status, popularity);
CREATE INDEX movie_release_date      ON movie (release_date, id);
CREATE INDEX movie_imdb_id     ON movie (imdb_id) WHERE imdb_id IS NOT NULL;
CREATE INDEX movie_wikidata_id ON movie (wikidata_id) WHERE wikidata_id IS NOT NULL;
CREATE INDEX movie_collection  ON movie (collection_id) WHERE collection_id IS NOT NULL;

CREATE TABLE movie_genre (
    movie_id bigint NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    genre_id bigint NOT NULL,
    ord      bigint,
    PRIMARY KEY (movie_id, genre_id)
);
CREATE INDEX movie_genre_genre ON movie_genre (genre_id, movie_id);

CREATE TABLE credit (
    credit_id            text PRIMARY KEY,
    movie_id             bigint NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    person_id            bigint NOT NULL,
    kind                 text NOT NULL CHECK (kind IN ('cast', 'crew')),
    name                 text,
    original_name        text,
    character            text,
    cast_order           bigint,
    department           text,
    job                  text,
    gender               bigint,
    known_for_department text,
    profile_path         text,
    popularity           double precision,
    adult                boolean NOT NULL DEFAULT false,
    ord                  bigint,
    cast_id              bigint,
    extra                jsonb,
    absent               bigint
);
CREATE INDEX credit_movie  ON credit (movie_id, kind, cast_order);
CREATE INDEX credit_person ON credit (person_id);

CREATE TABLE people (
    id                   bigint PRIMARY KEY,
    name                 text,
    also_known_as        jsonb,
    biography            text,
    birthday             text,
    deathday             text,
    gender               bigint,
    known_for_department text,
    place_of_birth       text,
    profile_path         text,
    popularity           double precision,
    imdb_id              text,
    homepage             text,
    adult                boolean NOT NULL DEFAULT false,
    source_hash          bigint NOT NULL DEFAULT 0,
    wikidata_id          text,
    facebook_id          text,
    instagram_id         text,
    twitter_id           text,
    tiktok_id            text,
    youtube_id           text,
    freebase_mid         text,
    freebase_id          text,
    tvrage_id            bigint,
    extra                jsonb,
    absent               bigint
);
CREATE INDEX people_popularity  ON people (popularity);
CREATE INDEX people_name        ON people (name);
CREATE INDEX people_imdb_id     ON people (imdb_id) WHERE imdb_id IS NOT NULL;
CREATE INDEX people_wikidata_id ON people (wikidata_id) WHERE wikidata_id IS NOT NULL;

CREATE TABLE gone (
    kind    text NOT NULL CHECK (kind IN ('movie', 'person')),
    id      bigint NOT NULL,
    gone_at text NOT NULL
        DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    PRIMARY KEY (kind, id)
);

CREATE TABLE load_log (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL,
    started_at  text NOT NULL,
    finished_at text NOT NULL,
    read        bigint NOT NULL,
    inserted    bigint NOT NULL,
    updated     bigint NOT NULL,
    unchanged   bigint NOT NULL,
    deleted     bigint NOT NULL,
    rejected    bigint NOT NULL
);

CREATE TABLE collection (
    id            bigint PRIMARY KEY,
    name          text,
    poster_path   text,
    backdrop_path text,
    extra         jsonb
);

CREATE TABLE company (
    id             bigint PRIMARY KEY,
    name           text,
    logo_path      text,
    origin_country text,
    extra          jsonb
);

CREATE TABLE keyword (
    id    bigint PRIMARY KEY,
    name  text,
    extra jsonb
);

CREATE TABLE watch_provider (
    id            bigint PRIMARY KEY,
    provider_name text,
    logo_path     text,
    extra         jsonb
);

CREATE TABLE movie_company (
    movie_id   bigint NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    ord        bigint NOT NULL,
    company_id bigint NOT NULL,
    PRIMARY KEY (movie_id, ord)
);
CREATE INDEX movie_company_company ON movie_company (company_id, movie_id);

CREATE TABLE movie_country (
    movie_id   bigint NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    ord        bigint NOT NULL,
    iso_3166_1 text,
    name       text,
    extra      jsonb,
    absent     bigint,
    PRIMARY KEY (movie_id, ord)
);
CREATE INDEX movie_country_country ON movie_country (iso_3166_1, movie_id);

CREATE TABLE movie_language (
    movie_id     bigint NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    ord          bigint NOT NULL,
    iso_639_1    text,
    english_name text,
    name         text,
    extra        jsonb,
    absent       bigint,
    PRIMARY KEY (movie_id, ord)
);
CREATE INDEX movie_language_language ON movie_language (iso_639_1, movie_id);

CREATE TABLE movie_keyword (
    movie_id   bigint NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    ord        bigint NOT NULL,
    keyword_id bigint NOT NULL,
    PRIMARY KEY (movie_id, ord)
);
CREATE INDEX movie_keyword_keyword ON movie_keyword (keyword_id, movie_id);

CREATE TABLE release_date (
    movie_id      bigint NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    ord           bigint NOT NULL,
    iso_3166_1    text,
    certification text,
    descriptors   jsonb,
    iso_639_1     text,
    note          text,
    release_date  text,
    type          bigint,
    extra         jsonb,
    absent        bigint,
    PRIMARY KEY (movie_id, ord)
);
CREATE INDEX release_date_certification ON release_date (iso_3166_1, certification, movie_id);

CREATE TABLE alternative_title (
    movie_id   bigint NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    ord        bigint NOT NULL,
    iso_3166_1 text,
    title      text,
    type       text,
    extra      jsonb,
    absent     bigint,
    PRIMARY KEY (movie_id, ord)
);

CREATE TABLE translation (
    movie_id     bigint NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    ord          bigint NOT NULL,
    iso_3166_1   text,
    iso_639_1    text,
    name         text,
    english_name text,
    title        text,
    overview     text,
    tagline      text,
    homepage     text,
    runtime      bigint,
    extra        jsonb,
    absent       bigint,
    PRIMARY KEY (movie_id, ord)
);

CREATE TABLE video (
    movie_id     bigint NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    ord          bigint NOT NULL,
    id           text,
    iso_639_1    text,
    iso_3166_1   text,
    name         text,
    key          text,
    site         text,
    size         bigint,
    type         text,
    official     boolean,
    published_at text,
    extra        jsonb,
    absent       bigint,
    PRIMARY KEY (movie_id, ord)
);

CREATE TABLE image (
    movie_id     bigint NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    kind         text NOT NULL,
    ord          bigint NOT NULL,
    aspect_ratio double precision,
    file_path    text,
    height       bigint,
    iso_3166_1   text,
    iso_639_1    text,
    vote_average double precision,
    vote_count   bigint,
    width        bigint,
    extra        jsonb,
    absent       bigint,
    PRIMARY KEY (movie_id, kind, ord)
);

CREATE TABLE watch_link (
    movie_id   bigint NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    iso_3166_1 text NOT NULL,
    link       text,
    PRIMARY KEY (movie_id, iso_3166_1)
);

CREATE TABLE movie_watch_provider (
    movie_id         bigint NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
    iso_3166_1       text NOT NULL,
    kind             text NOT NULL,
    ord              bigint NOT NULL,
    provider_id      bigint NOT NULL,
    display_priority bigint,
    PRIMARY KEY (movie_id, iso_3166_1, kind, ord)
);
CREATE INDEX movie_watch_provider_provider
    ON movie_watch_provider (provider_id, iso_3166_1, kind, movie_id);

CREATE TABLE person_translation (
    person_id    bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    ord          bigint NOT NULL,
    iso_3166_1   text,
    iso_639_1    text,
    name         text,
    english_name text,
    biography    text,
    extra        jsonb,
    absent       bigint,
    PRIMARY KEY (person_id, ord)
);

CREATE TABLE person_image (
    person_id    bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    ord          bigint NOT NULL,
    aspect_ratio double precision,
    file_path    text,
    height       bigint,
    iso_3166_1   text,
    iso_639_1    text,
    vote_average double precision,
    vote_count   bigint,
    width        bigint,
    extra        jsonb,
    absent       bigint,
    PRIMARY KEY (person_id, ord)
);
