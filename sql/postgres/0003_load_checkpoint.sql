-- How far `ndjson-load --since-last-load` got in each stage file, as in the SQLite mirror
-- (sql/0011_load_checkpoint.sql tells why; docs/record.md "Loading" tells the rule).
CREATE TABLE load_checkpoint (
    path  text PRIMARY KEY,
    kind  text NOT NULL,
    bytes bigint NOT NULL,
    lines bigint NOT NULL,
    head  bytea NOT NULL,
    tail  bytea NOT NULL
);
