-- tmdb-mirror schema, version 13: the index of tmdb-serve's runtime filter (`/movies?runtime_min=
-- &runtime_max=`, docs/architecture.md). The other filters of the native API (keyword, company,
-- certification by country, watch provider by country) already have theirs (version 9).
-- A runtime range alone is the movies between two lengths, sorted by one of the list sorts and
-- filtered by the adult flag, a language, a status or a vote floor: with those columns in the
-- index, the range is counted and sorted from the index alone, without reading a movie row
-- (EXPLAIN QUERY PLAN: "USING COVERING INDEX movie_runtime_cover"). Without it every list with
-- a runtime range read the whole table. Movies with no runtime are left out: no range matches.
-- It also serves /3/discover/movie's with_runtime.gte/.lte.
CREATE INDEX movie_runtime_cover ON movie (runtime, adult, popularity, vote_average, vote_count,
    title, original_language, status, release_date) WHERE runtime IS NOT NULL;
