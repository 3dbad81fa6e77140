-- tmdb-mirror schema, version 3: fill the full-text indexes with the rows that were already in
-- movie and people when version 2 created them. Version 2's triggers only follow rows written
-- after it, so a mirror upgraded from version 1 had titles that search could not find, and the
-- first update or delete of such a row failed with "database disk image is malformed" (FTS5
-- asked to remove an entry it never held). 'rebuild' re-reads the content tables; on a mirror
-- created at version 2 or later it rewrites the same index.

INSERT INTO movie_fts (movie_fts) VALUES ('rebuild');
INSERT INTO people_fts (people_fts) VALUES ('rebuild');
