-- tmdb-mirror schema, version 12: indexes for TMDB's own routes under /3 (docs/tmdb-routes.md).
-- /3/find looks a movie or a person up by any external ID it takes (imdb_id and wikidata_id are
-- indexed since version 9). Partial indexes: most records have no such ID, and NULLs are never
-- looked up. (A runtime range alone uses movie_runtime_cover, version 13.)
-- Discover's totals count every match: this index covers the columns its filters read on
-- movie itself, so a count reads a narrow index rather than the whole rows (overviews...).
CREATE INDEX movie_discover ON movie (adult, video, release_date, original_language, vote_count,
    vote_average, runtime, popularity);
CREATE INDEX movie_facebook_id  ON movie (facebook_id) WHERE facebook_id IS NOT NULL;
CREATE INDEX movie_instagram_id ON movie (instagram_id) WHERE instagram_id IS NOT NULL;
CREATE INDEX movie_twitter_id   ON movie (twitter_id) WHERE twitter_id IS NOT NULL;
CREATE INDEX people_facebook_id  ON people (facebook_id) WHERE facebook_id IS NOT NULL;
CREATE INDEX people_instagram_id ON people (instagram_id) WHERE instagram_id IS NOT NULL;
CREATE INDEX people_twitter_id   ON people (twitter_id) WHERE twitter_id IS NOT NULL;
CREATE INDEX people_tiktok_id    ON people (tiktok_id) WHERE tiktok_id IS NOT NULL;
CREATE INDEX people_youtube_id   ON people (youtube_id) WHERE youtube_id IS NOT NULL;
