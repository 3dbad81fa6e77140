-- tmdb-mirror schema, version 6: genre_movie_by_date, the movies of each genre in date order,
-- for the filtered movie lists of tmdb-serve that give a genre and a year.
-- Such a list used to read the year's range of movie_date_cover (~7,600 movies a year on a
-- 1,000,000-movie mirror) and probe movie_genre once per movie: ~3 ms a list. Here a genre and
-- a year are one range of the key (~700 rows), and every filter and sort key of a list is in
-- the row, so the range alone gives the list's ids, its order and its count.
--
-- One row per (genre, movie) of movie JOIN movie_genre whose movie has a release_date; the
-- columns are movie's, with movie's names (id is the movie's id). Undated movies are left
-- out: no year matches them and no other list reads this table, and leaving them out lets the
-- key start with release_date (a WITHOUT ROWID key cannot hold NULL), so the table is its own
-- covering index, stored once.
--
-- Kept in step by triggers, so every writer (ndjson-load, the sqlite3 shell, a script) keeps
-- it right without knowing it exists. Each side of the join has its triggers, so the table
-- follows the join whether or not foreign keys are on: a movie deleted with foreign keys off
-- leaves its movie_genre rows, which join nothing. A movie's rows go before the movie does
-- (BEFORE DELETE), while its movie_genre rows can still say which genres it had; the cascade
-- that then deletes them finds no movie and so nothing left to delete. The update trigger
-- fires only when a copied value really changes (SQLite fires UPDATE OF for every column
-- named in SET, changed or not), so a reload of an unchanged record costs nothing here.
CREATE TABLE genre_movie_by_date (
    genre_id          INTEGER NOT NULL,
    release_date      TEXT NOT NULL,
    id                INTEGER NOT NULL,
    adult             INTEGER NOT NULL,
    popularity        REAL,
    vote_average      REAL,
    vote_count        INTEGER,
    title             TEXT,
    original_language TEXT,
    status            TEXT,
    PRIMARY KEY (genre_id, release_date, id)
) WITHOUT ROWID;

-- In key order, so the B-tree is written left to right.
INSERT INTO genre_movie_by_date (genre_id, release_date, id, adult, popularity, vote_average,
    vote_count, title, original_language, status)
SELECT mg.genre_id, m.release_date, m.id, m.adult, m.popularity, m.vote_average,
    m.vote_count, m.title, m.original_language, m.status
FROM movie_genre mg JOIN movie m ON m.id = mg.movie_id
WHERE m.release_date IS NOT NULL
ORDER BY mg.genre_id, m.release_date, m.id;

CREATE TRIGGER genre_movie_by_date_genre_insert AFTER INSERT ON movie_genre BEGIN
    INSERT INTO genre_movie_by_date (genre_id, release_date, id, adult, popularity,
        vote_average, vote_count, title, original_language, status)
    SELECT new.genre_id, m.release_date, m.id, m.adult, m.popularity, m.vote_average,
        m.vote_count, m.title, m.original_language, m.status
    FROM movie m WHERE m.id = new.movie_id AND m.release_date IS NOT NULL;
END;
CREATE TRIGGER genre_movie_by_date_genre_delete AFTER DELETE ON movie_genre BEGIN
    DELETE FROM genre_movie_by_date
    WHERE genre_id = old.genre_id
      AND release_date = (SELECT release_date FROM movie WHERE id = old.movie_id)
      AND id = old.movie_id;
END;
CREATE TRIGGER genre_movie_by_date_genre_update AFTER UPDATE ON movie_genre BEGIN
    DELETE FROM genre_movie_by_date
    WHERE genre_id = old.genre_id
      AND release_date = (SELECT release_date FROM movie WHERE id = old.movie_id)
      AND id = old.movie_id;
    INSERT INTO genre_movie_by_date (genre_id, release_date, id, adult, popularity,
        vote_average, vote_count, title, original_language, status)
    SELECT new.genre_id, m.release_date, m.id, m.adult, m.popularity, m.vote_average,
        m.vote_count, m.title, m.original_language, m.status
    FROM movie m WHERE m.id = new.movie_id AND m.release_date IS NOT NULL;
END;

-- A movie inserted after its movie_genre rows (possible with foreign keys off).
CREATE TRIGGER genre_movie_by_date_movie_insert AFTER INSERT ON movie
WHEN new.release_date IS NOT NULL BEGIN
    INSERT INTO genre_movie_by_date (genre_id, release_date, id, adult, popularity,
        vote_average, vote_count, title, original_language, status)
    SELECT mg.genre_id, new.release_date, new.id, new.adult, new.popularity, new.vote_average,
        new.vote_count, new.title, new.original_language, new.status
    FROM movie_genre mg WHERE mg.movie_id = new.id;
END;
CREATE TRIGGER genre_movie_by_date_movie_delete BEFORE DELETE ON movie
WHEN old.release_date IS NOT NULL BEGIN
    DELETE FROM genre_movie_by_date
    WHERE genre_id IN (SELECT genre_id FROM movie_genre WHERE movie_id = old.id)
      AND release_date = old.release_date AND id = old.id;
END;
CREATE TRIGGER genre_movie_by_date_movie_update AFTER UPDATE OF id, release_date, adult,
    popularity, vote_average, vote_count, title, original_language, status ON movie
WHEN old.id IS NOT new.id OR old.release_date IS NOT new.release_date
  OR old.adult IS NOT new.adult OR old.popularity IS NOT new.popularity
  OR old.vote_average IS NOT new.vote_average OR old.vote_count IS NOT new.vote_count
  OR old.title IS NOT new.title OR old.original_language IS NOT new.original_language
  OR old.status IS NOT new.status BEGIN
    DELETE FROM genre_movie_by_date
    WHERE genre_id IN (SELECT genre_id FROM movie_genre WHERE movie_id = old.id)
      AND release_date = old.release_date AND id = old.id;
    INSERT INTO genre_movie_by_date (genre_id, release_date, id, adult, popularity,
        vote_average, vote_count, title, original_language, status)
    SELECT mg.genre_id, new.release_date, new.id, new.adult, new.popularity, new.vote_average,
        new.vote_count, new.title, new.original_language, new.status
    FROM movie_genre mg WHERE mg.movie_id = new.id AND new.release_date IS NOT NULL;
END;
