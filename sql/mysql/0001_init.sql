-- The MySQL/MariaDB mirror: the same tables, keys, column names and values as the SQLite mirror
-- (sql/*.sql, docs/data-contract.md), with MySQL's types. Integers are BIGINT, decimals DOUBLE,
-- flags BOOLEAN (0/1, as in SQLite), lists of strings and `extra` JSON. Dates stay text: TMDB
-- sends "" for an unknown date, and the mirror keeps values as sent. `absent` is a bit set of up
-- to 40 bits.
--
-- Text is utf8mb4 with the binary collation, so keys compare byte for byte ("" and NULL stay
-- apart, "a" and "A" are two keys). Columns that are keys or indexed whole are VARCHAR(255) (an
-- index holds at most 3072 bytes); longer text is LONGTEXT. Titles and names, which no key
-- holds, use utf8mb4_unicode_ci so that their FULLTEXT indexes match without case or accents
-- ("amelie" finds "Amélie").
--
-- MySQL commits each CREATE by itself: every statement here can run again (IF NOT EXISTS), so a
-- migration cut short is completed by the next run. Foreign keys are table constraints: MySQL
-- ignores a REFERENCES written on a column.

CREATE TABLE IF NOT EXISTS genre (
    id                   BIGINT PRIMARY KEY,
    name                 LONGTEXT NOT NULL,
    extra                JSON,
    INDEX genre_name (name(191))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS movie_ids (
    id                   BIGINT PRIMARY KEY,
    adult                BOOLEAN NOT NULL DEFAULT 0,
    video                BOOLEAN NOT NULL DEFAULT 0,
    popularity           DOUBLE,
    original_title       LONGTEXT
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS movie (
    id                   BIGINT PRIMARY KEY,
    title                LONGTEXT COLLATE utf8mb4_unicode_ci,
    original_title       LONGTEXT COLLATE utf8mb4_unicode_ci,
    original_language    VARCHAR(255),
    overview             LONGTEXT,
    release_date         VARCHAR(255),
    runtime              BIGINT,
    status               VARCHAR(255),
    adult                BOOLEAN NOT NULL DEFAULT 0,
    video                BOOLEAN NOT NULL DEFAULT 0,
    poster_path          LONGTEXT,
    backdrop_path        LONGTEXT,
    vote_average         DOUBLE,
    vote_count           BIGINT,
    popularity           DOUBLE,
    budget               BIGINT,
    revenue              BIGINT,
    imdb_id              VARCHAR(255),
    homepage             LONGTEXT,
    tagline              LONGTEXT,
    collection_id        BIGINT,
    origin_country       JSON,
    source_hash          BIGINT NOT NULL DEFAULT 0,
    softcore             BOOLEAN,
    wikidata_id          VARCHAR(255),
    facebook_id          LONGTEXT,
    instagram_id         LONGTEXT,
    twitter_id           LONGTEXT,
    extra                JSON,
    absent               BIGINT,
    INDEX movie_popularity (popularity),
    INDEX movie_vote_average (vote_average),
    INDEX movie_vote_count (vote_count),
    INDEX movie_title (title(191)),
    INDEX movie_original_language (original_language, popularity),
    INDEX movie_status (status, popularity),
    INDEX movie_release_date (release_date, id),
    INDEX movie_imdb_id (imdb_id),
    INDEX movie_wikidata_id (wikidata_id),
    INDEX movie_collection (collection_id),
    FULLTEXT INDEX movie_search (title, original_title)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS movie_genre (
    movie_id             BIGINT NOT NULL,
    genre_id             BIGINT NOT NULL,
    ord                  BIGINT,
    FOREIGN KEY (movie_id) REFERENCES movie (id) ON DELETE CASCADE,
    PRIMARY KEY (movie_id, genre_id),
    INDEX movie_genre_genre (genre_id, movie_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS credit (
    credit_id            VARCHAR(255) PRIMARY KEY,
    movie_id             BIGINT NOT NULL,
    person_id            BIGINT NOT NULL,
    kind                 VARCHAR(255) NOT NULL CHECK (kind IN ('cast', 'crew')),
    name                 LONGTEXT,
    original_name        LONGTEXT,
    `character`          LONGTEXT,
    cast_order           BIGINT,
    department           LONGTEXT,
    job                  LONGTEXT,
    gender               BIGINT,
    known_for_department LONGTEXT,
    profile_path         LONGTEXT,
    popularity           DOUBLE,
    adult                BOOLEAN NOT NULL DEFAULT 0,
    ord                  BIGINT,
    cast_id              BIGINT,
    extra                JSON,
    absent               BIGINT,
    FOREIGN KEY (movie_id) REFERENCES movie (id) ON DELETE CASCADE,
    INDEX credit_movie (movie_id, kind, cast_order),
    INDEX credit_person (person_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS people (
    id                   BIGINT PRIMARY KEY,
    name                 LONGTEXT COLLATE utf8mb4_unicode_ci,
    also_known_as        JSON,
    biography            LONGTEXT,
    birthday             LONGTEXT,
    deathday             LONGTEXT,
    gender               BIGINT,
    known_for_department LONGTEXT,
    place_of_birth       LONGTEXT,
    profile_path         LONGTEXT,
    popularity           DOUBLE,
    imdb_id              VARCHAR(255),
    homepage             LONGTEXT,
    adult                BOOLEAN NOT NULL DEFAULT 0,
    source_hash          BIGINT NOT NULL DEFAULT 0,
    wikidata_id          VARCHAR(255),
    facebook_id          LONGTEXT,
    instagram_id         LONGTEXT,
    twitter_id           LONGTEXT,
    tiktok_id            LONGTEXT,
    youtube_id           LONGTEXT,
    freebase_mid         LONGTEXT,
    freebase_id          LONGTEXT,
    tvrage_id            BIGINT,
    extra                JSON,
    absent               BIGINT,
    INDEX people_popularity (popularity),
    INDEX people_name (name(191)),
    INDEX people_imdb_id (imdb_id),
    INDEX people_wikidata_id (wikidata_id),
    FULLTEXT INDEX people_search (name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS gone (
    kind                 VARCHAR(255) NOT NULL CHECK (kind IN ('movie', 'person')),
    id                   BIGINT NOT NULL,
    gone_at              VARCHAR(20) NOT NULL,
    PRIMARY KEY (kind, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS load_log (
    id                   BIGINT AUTO_INCREMENT PRIMARY KEY,
    kind                 VARCHAR(255) NOT NULL,
    started_at           VARCHAR(20) NOT NULL,
    finished_at          VARCHAR(20) NOT NULL,
    `read`               BIGINT NOT NULL,
    inserted             BIGINT NOT NULL,
    updated              BIGINT NOT NULL,
    unchanged            BIGINT NOT NULL,
    deleted              BIGINT NOT NULL,
    rejected             BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS collection (
    id                   BIGINT PRIMARY KEY,
    name                 LONGTEXT,
    poster_path          LONGTEXT,
    backdrop_path        LONGTEXT,
    extra                JSON
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS company (
    id                   BIGINT PRIMARY KEY,
    name                 LONGTEXT,
    logo_path            LONGTEXT,
    origin_country       LONGTEXT,
    extra                JSON
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS keyword (
    id                   BIGINT PRIMARY KEY,
    name                 LONGTEXT,
    extra                JSON
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS watch_provider (
    id                   BIGINT PRIMARY KEY,
    provider_name        LONGTEXT,
    logo_path            LONGTEXT,
    extra                JSON
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS movie_company (
    movie_id             BIGINT NOT NULL,
    ord                  BIGINT NOT NULL,
    company_id           BIGINT NOT NULL,
    FOREIGN KEY (movie_id) REFERENCES movie (id) ON DELETE CASCADE,
    PRIMARY KEY (movie_id, ord),
    INDEX movie_company_company (company_id, movie_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS movie_country (
    movie_id             BIGINT NOT NULL,
    ord                  BIGINT NOT NULL,
    iso_3166_1           VARCHAR(255),
    name                 LONGTEXT,
    extra                JSON,
    absent               BIGINT,
    FOREIGN KEY (movie_id) REFERENCES movie (id) ON DELETE CASCADE,
    PRIMARY KEY (movie_id, ord),
    INDEX movie_country_country (iso_3166_1, movie_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS movie_language (
    movie_id             BIGINT NOT NULL,
    ord                  BIGINT NOT NULL,
    iso_639_1            VARCHAR(255),
    english_name         LONGTEXT,
    name                 LONGTEXT,
    extra                JSON,
    absent               BIGINT,
    FOREIGN KEY (movie_id) REFERENCES movie (id) ON DELETE CASCADE,
    PRIMARY KEY (movie_id, ord),
    INDEX movie_language_language (iso_639_1, movie_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS movie_keyword (
    movie_id             BIGINT NOT NULL,
    ord                  BIGINT NOT NULL,
    keyword_id           BIGINT NOT NULL,
    FOREIGN KEY (movie_id) REFERENCES movie (id) ON DELETE CASCADE,
    PRIMARY KEY (movie_id, ord),
    INDEX movie_keyword_keyword (keyword_id, movie_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS release_date (
    movie_id             BIGINT NOT NULL,
    ord                  BIGINT NOT NULL,
    iso_3166_1           VARCHAR(255),
    certification        VARCHAR(255),
    descriptors          JSON,
    iso_639_1            VARCHAR(255),
    note                 LONGTEXT,
    release_date         VARCHAR(255),
    type                 BIGINT,
    extra                JSON,
    absent               BIGINT,
    FOREIGN KEY (movie_id) REFERENCES movie (id) ON DELETE CASCADE,
    PRIMARY KEY (movie_id, ord),
    INDEX release_date_certification (iso_3166_1, certification, movie_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS alternative_title (
    movie_id             BIGINT NOT NULL,
    ord                  BIGINT NOT NULL,
    iso_3166_1           VARCHAR(255),
    title                LONGTEXT,
    type                 LONGTEXT,
    extra                JSON,
    absent               BIGINT,
    FOREIGN KEY (movie_id) REFERENCES movie (id) ON DELETE CASCADE,
    PRIMARY KEY (movie_id, ord)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS translation (
    movie_id             BIGINT NOT NULL,
    ord                  BIGINT NOT NULL,
    iso_3166_1           VARCHAR(255),
    iso_639_1            VARCHAR(255),
    name                 LONGTEXT,
    english_name         LONGTEXT,
    title                LONGTEXT,
    overview             LONGTEXT,
    tagline              LONGTEXT,
    homepage             LONGTEXT,
    runtime              BIGINT,
    extra                JSON,
    absent               BIGINT,
    FOREIGN KEY (movie_id) REFERENCES movie (id) ON DELETE CASCADE,
    PRIMARY KEY (movie_id, ord)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS video (
    movie_id             BIGINT NOT NULL,
    ord                  BIGINT NOT NULL,
    id                   LONGTEXT,
    iso_639_1            VARCHAR(255),
    iso_3166_1           VARCHAR(255),
    name                 LONGTEXT,
    `key`                LONGTEXT,
    site                 LONGTEXT,
    size                 BIGINT,
    type                 LONGTEXT,
    official             BOOLEAN,
    published_at         LONGTEXT,
    extra                JSON,
    absent               BIGINT,
    FOREIGN KEY (movie_id) REFERENCES movie (id) ON DELETE CASCADE,
    PRIMARY KEY (movie_id, ord)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS image (
    movie_id             BIGINT NOT NULL,
    kind                 VARCHAR(255) NOT NULL,
    ord                  BIGINT NOT NULL,
    aspect_ratio         DOUBLE,
    file_path            LONGTEXT,
    height               BIGINT,
    iso_3166_1           VARCHAR(255),
    iso_639_1            VARCHAR(255),
    vote_average         DOUBLE,
    vote_count           BIGINT,
    width                BIGINT,
    extra                JSON,
    absent               BIGINT,
    FOREIGN KEY (movie_id) REFERENCES movie (id) ON DELETE CASCADE,
    PRIMARY KEY (movie_id, kind, ord)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS watch_link (
    movie_id             BIGINT NOT NULL,
    iso_3166_1           VARCHAR(255) NOT NULL,
    link                 LONGTEXT,
    FOREIGN KEY (movie_id) REFERENCES movie (id) ON DELETE CASCADE,
    PRIMARY KEY (movie_id, iso_3166_1)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS movie_watch_provider (
    movie_id             BIGINT NOT NULL,
    iso_3166_1           VARCHAR(255) NOT NULL,
    kind                 VARCHAR(255) NOT NULL,
    ord                  BIGINT NOT NULL,
    provider_id          BIGINT NOT NULL,
    display_priority     BIGINT,
    FOREIGN KEY (movie_id) REFERENCES movie (id) ON DELETE CASCADE,
    PRIMARY KEY (movie_id, iso_3166_1, kind, ord),
    INDEX movie_watch_provider_provider (provider_id, iso_3166_1, kind, movie_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS person_translation (
    person_id            BIGINT NOT NULL,
    ord                  BIGINT NOT NULL,
    iso_3166_1           VARCHAR(255),
    iso_639_1            VARCHAR(255),
    name                 LONGTEXT,
    english_name         LONGTEXT,
    biography            LONGTEXT,
    extra                JSON,
    absent               BIGINT,
    FOREIGN KEY (person_id) REFERENCES people (id) ON DELETE CASCADE,
    PRIMARY KEY (person_id, ord)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS person_image (
    person_id            BIGINT NOT NULL,
    ord                  BIGINT NOT NULL,
    aspect_ratio         DOUBLE,
    file_path            LONGTEXT,
    height               BIGINT,
    iso_3166_1           VARCHAR(255),
    iso_639_1            VARCHAR(255),
    vote_average         DOUBLE,
    vote_count           BIGINT,
    width                BIGINT,
    extra                JSON,
    absent               BIGINT,
    FOREIGN KEY (person_id) REFERENCES people (id) ON DELETE CASCADE,
    PRIMARY KEY (person_id, ord)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- How far `ndjson-load --since-last-load` got in each stage file, as in the SQLite mirror
-- (sql/0011_load_checkpoint.sql tells why; docs/record.md "Loading" tells the rule).
CREATE TABLE IF NOT EXISTS load_checkpoint (
    path                 VARCHAR(768) PRIMARY KEY,
    kind                 VARCHAR(255) NOT NULL,
    bytes                BIGINT NOT NULL,
    `lines`              BIGINT NOT NULL,
    head                 VARBINARY(256) NOT NULL,
    tail                 VARBINARY(256) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
