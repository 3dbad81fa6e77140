-- What tmdb-serve needs of a MySQL/MariaDB mirror beyond the tables.
--
-- tmdb_change_counter: one row whose number every load raises in each batch it commits (and
-- when it records its run in load_log). tmdb-serve keeps answers until the data changes; it
-- reads this number at every request, as it reads SQLite's `PRAGMA data_version`, and drops
-- what it kept when the number moved. Being a row, it reaches replicas with the data it counts.
CREATE TABLE IF NOT EXISTS tmdb_change_counter (
    changes              BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
INSERT INTO tmdb_change_counter (changes)
    SELECT 0 FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM tmdb_change_counter);

-- The SQLite mirror's genre_movie_by_date (sql/0006) is a copy that serves one shape of list
-- from one range of its key; MySQL plans the same list from movie_genre's index, so here it is
-- a view with the same columns and rows.
CREATE OR REPLACE VIEW genre_movie_by_date AS
SELECT mg.genre_id, m.release_date, m.id, m.adult, m.popularity, m.vote_average,
    m.vote_count, m.title, m.original_language, m.status
FROM movie_genre mg JOIN movie m ON m.id = mg.movie_id
WHERE m.release_date IS NOT NULL;

-- Search matches people by their other names too, as the SQLite and PostgreSQL mirrors do:
-- one FULLTEXT index over name and also_known_as, which must share a collation (still JSON,
-- checked as such). Both indexes are built again without InnoDB's stopword list, so that
-- "the" or "it" in a title is found as SQLite finds it. Words shorter than the server's
-- innodb_ft_min_token_size (3 by default) are not indexed at all: README, "MySQL / MariaDB".
ALTER TABLE people MODIFY also_known_as LONGTEXT CHARACTER SET utf8mb4
    COLLATE utf8mb4_unicode_ci CHECK (json_valid(also_known_as));
SET SESSION innodb_ft_enable_stopword = OFF;
ALTER TABLE movie DROP INDEX IF EXISTS movie_search;
ALTER TABLE movie ADD FULLTEXT INDEX IF NOT EXISTS movie_search (title, original_title);
ALTER TABLE people DROP INDEX IF EXISTS people_search;
ALTER TABLE people ADD FULLTEXT INDEX IF NOT EXISTS people_search (name, also_known_as);
