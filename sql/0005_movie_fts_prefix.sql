-- tmdb-mirror schema, version 5: prefix indexes of 2 and 3 characters for title search.
-- tmdb-serve matches the last word typed as a prefix (search as you type). Without a prefix
-- index FTS5 merges the document list of every term starting with it: "lo"* is ~150,000
-- movies on a 1,000,000-movie mirror and took ~10 ms per search before any ranking; with the
-- index it is one list (~2 ms). Longer prefixes match few terms and need none. The table is
-- made again with the option (FTS5 cannot add it) and refilled from movie; the triggers of
-- version 2 name the table, not its definition, so they keep it in step as before.
DROP TABLE movie_fts;
CREATE VIRTUAL TABLE movie_fts USING fts5 (
    title, original_title,
    content = 'movie', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
INSERT INTO movie_fts (movie_fts) VALUES ('rebuild');
