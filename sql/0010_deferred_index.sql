-- tmdb-mirror schema, version 10: the secondary indexes a first load builds after its rows.
-- ndjson-load loading movies into an empty mirror drops the non-unique indexes of the tables
-- that hang off a movie (credit_person, movie_keyword_keyword...), writes every batch, then
-- creates them again from the rows: one sort per index instead of a million random inserts
-- into it. Each dropped index is listed here, with the statement that creates it, in the same
-- transaction that drops it; the transaction that creates it again deletes its row. A load
-- killed in between leaves a mirror whose rows are whole batches and whose missing indexes
-- are listed here: the next ndjson-load run (of any kind) creates them. docs/record.md
-- "Loading" tells the rule.
CREATE TABLE deferred_index (
    name TEXT PRIMARY KEY,
    sql  TEXT NOT NULL
);
