-- tmdb-mirror schema, version 11: how far `ndjson-load --since-last-load` got in each file.
-- The pipeline's stage files only grow (a rerun appends what it fetched), so a rerun loads the
-- lines after this point, not the whole file again: a whole reload would put the older copies
-- the file holds back over records a later `make update` refreshed, and bring back movies it
-- deleted. `head` and `tail` (the first bytes of the file and the last ones before `bytes`)
-- tell that the file is still the one loaded. The point moves after a load's last batch, and
-- only when no line was rejected. docs/record.md "Loading" tells the rule.
CREATE TABLE load_checkpoint (
    path  TEXT PRIMARY KEY,
    kind  TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    lines INTEGER NOT NULL,
    head  BLOB NOT NULL,
    tail  BLOB NOT NULL
) WITHOUT ROWID;
