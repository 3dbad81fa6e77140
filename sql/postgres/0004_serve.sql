-- What tmdb-serve needs of a PostgreSQL mirror beyond the tables.
--
-- tmdb_change_counter: one row whose number every load raises in each batch it commits (and
-- when it records its run in load_log). tmdb-serve keeps answers until the data changes; it
-- reads this number at every request, as it reads SQLite's `PRAGMA data_version`, and drops
-- what it kept when the number moved. Being a row, it reaches read replicas with the data it
-- counts: a server reading a replica sees the change when the replica has replayed it.
CREATE TABLE tmdb_change_counter (
    changes bigint NOT NULL
);
INSERT INTO tmdb_change_counter (changes) VALUES (0);

-- The SQLite mirror's genre_movie_by_date (sql/0006) is a copy that serves one shape of list
-- from one range of its key; PostgreSQL plans the same list from movie_genre's index, so here
-- it is a view with the same columns and rows.
CREATE VIEW genre_movie_by_date AS
SELECT mg.genre_id, m.release_date, m.id, m.adult, m.popularity, m.vote_average,
    m.vote_count, m.title, m.original_language, m.status
FROM movie_genre mg JOIN movie m ON m.id = mg.movie_id
WHERE m.release_date IS NOT NULL;

-- A search as tmdb-serve writes it ('word' & 'prefix':*), with accents removed as
-- tmdb_search_text removes them from what is searched.
CREATE FUNCTION tmdb_search_query(query text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_tsquery('simple'::regconfig, unaccent('unaccent'::regdictionary, query));

-- What is searched is split into words at ASCII punctuation, as SQLite's FTS5 tokenizer splits
-- it and as tmdb-serve splits a query: PostgreSQL's own parser keeps "a.b" or "<b>" whole, or
-- drops it as markup, so "<b>" in a title was not found by "b". The indexes are rebuilt for
-- the new definition.
CREATE OR REPLACE FUNCTION tmdb_search_text(VARIADIC parts text[]) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_tsvector('simple'::regconfig,
        translate(unaccent('unaccent'::regdictionary, coalesce(array_to_string(parts, ' '), '')),
            '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~', '                                '));
REINDEX INDEX movie_search;
REINDEX INDEX people_search;
