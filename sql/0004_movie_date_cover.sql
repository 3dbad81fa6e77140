-- tmdb-mirror schema, version 4: a covering index for the filtered movie lists of tmdb-serve.
-- A list filtered by year (a release_date range) used to read every movie of that year from
-- the table for its adult flag and sort key: ~7,700 random row reads a year on a 1,000,000-movie
-- mirror. With the sort keys and the usual filters in the index, the range, the adult test,
-- the language test and the sort are served from the index alone (EXPLAIN QUERY PLAN: "USING
-- COVERING INDEX movie_date_cover"). It starts with release_date, so it also serves everything
-- movie_release_date did (date ranges, sort by release_date); that index is dropped so that a
-- load keeps one index on release_date to maintain, not two.
-- id comes second so that "ORDER BY release_date, id" (the sort with its tie-break) is the
-- index order itself, as it was with movie_release_date, whose entries end with the rowid.
CREATE INDEX movie_date_cover ON movie (release_date, id, adult, popularity, vote_average,
    vote_count, title, original_language);
DROP INDEX movie_release_date;
