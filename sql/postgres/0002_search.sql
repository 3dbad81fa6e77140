-- Search over movie titles and people names: a tsvector with accents removed (unaccent), so
-- "amelie" finds "Amélie", and a GIN index on it. The 'simple' configuration keeps every word
-- as written (no stemming, no stop words), as the SQLite mirror's FTS5 tokenizer does.
--
-- unaccent is a trusted extension (PostgreSQL 13 and later): the owner of the database may
-- create it. Where that is refused, a superuser runs `CREATE EXTENSION unaccent;` in the
-- database once (README.md, "PostgreSQL").
CREATE EXTENSION IF NOT EXISTS unaccent;

-- unaccent() depends on a dictionary that could change, so PostgreSQL calls it STABLE and will
-- not index it; naming the dictionary makes the result fixed, which an index needs.
CREATE FUNCTION tmdb_search_text(VARIADIC parts text[]) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_tsvector('simple'::regconfig,
        unaccent('unaccent'::regdictionary, coalesce(array_to_string(parts, ' '), '')));

CREATE INDEX movie_search ON movie USING gin (tmdb_search_text(title, original_title));
CREATE INDEX people_search ON people USING gin (tmdb_search_text(name, also_known_as #>> '{}'));
