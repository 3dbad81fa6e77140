-- tmdb-mirror schema, version 2: full-text search over movie titles and people's names.
-- External-content FTS5 tables (the text lives once, in movie and people), kept in step by
-- triggers, so every writer keeps them right without knowing they exist. Diacritics are
-- folded so that "amelie" finds "Amélie". The update triggers fire only when an indexed value
-- really changes (SQLite fires UPDATE OF for every column named in SET, changed or not), so a
-- reload that updates popularity does not churn the index.

CREATE VIRTUAL TABLE movie_fts USING fts5 (
    title, original_title,
    content = 'movie', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER movie_fts_insert AFTER INSERT ON movie BEGIN
    INSERT INTO movie_fts (rowid, title, original_title)
    VALUES (new.id, new.title, new.original_title);
END;
CREATE TRIGGER movie_fts_delete AFTER DELETE ON movie BEGIN
    INSERT INTO movie_fts (movie_fts, rowid, title, original_title)
    VALUES ('delete', old.id, old.title, old.original_title);
END;
CREATE TRIGGER movie_fts_update AFTER UPDATE OF title, original_title ON movie
WHEN old.title IS NOT new.title OR old.original_title IS NOT new.original_title BEGIN
    INSERT INTO movie_fts (movie_fts, rowid, title, original_title)
    VALUES ('delete', old.id, old.title, old.original_title);
    INSERT INTO movie_fts (rowid, title, original_title)
    VALUES (new.id, new.title, new.original_title);
END;

CREATE VIRTUAL TABLE people_fts USING fts5 (
    name, also_known_as,
    content = 'people', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER people_fts_insert AFTER INSERT ON people BEGIN
    INSERT INTO people_fts (rowid, name, also_known_as)
    VALUES (new.id, new.name, new.also_known_as);
END;
CREATE TRIGGER people_fts_delete AFTER DELETE ON people BEGIN
    INSERT INTO people_fts (people_fts, rowid, name, also_known_as)
    VALUES ('delete', old.id, old.name, old.also_known_as);
END;
CREATE TRIGGER people_fts_update AFTER UPDATE OF name, also_known_as ON people
WHEN old.name IS NOT new.name OR old.also_known_as IS NOT new.also_known_as BEGIN
    INSERT INTO people_fts (people_fts, rowid, name, also_known_as)
    VALUES ('delete', old.id, old.name, old.also_known_as);
    INSERT INTO people_fts (rowid, name, also_known_as)
    VALUES (new.id, new.name, new.also_known_as);
END;
