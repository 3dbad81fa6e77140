-- tmdb-mirror schema, version 7: prefix indexes of 2 and 3 characters for people search, as
-- version 5 gave title search. tmdb-serve matches the last word typed as a prefix; without a
-- prefix index FTS5 merges the document list of every name term starting with it. On the
-- serve benchmark's 1,000,000-movie mirror (500,000 people), a name and a 3-character prefix
-- cost 3.4x less with the index, a 2-character prefix 4.5x less; the answers are the same.
-- The table is made again with the option (FTS5 cannot add it) and refilled from people; the
-- triggers of version 2 name the table, not its definition, so they keep it in step as before.
-- Both search indexes are then merged into one segment each, as ndjson-load leaves them after
-- a load that changed them (movie_fts was rebuilt by version 5 in several).
DROP TABLE people_fts;
CREATE VIRTUAL TABLE people_fts USING fts5 (
    name, also_known_as,
    content = 'people', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
INSERT INTO people_fts (people_fts) VALUES ('rebuild');
INSERT INTO people_fts (people_fts) VALUES ('optimize');
INSERT INTO movie_fts (movie_fts) VALUES ('optimize');
