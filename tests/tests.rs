//! tmdb-mirror's integration tests: one test binary that runs the real binaries (built by
//! `cargo test`) against the real simulator over loopback, and the real Makefile targets.
//! One module per tool or stage; shared helpers live in `util`.

// Spawning tmdb-sim, scratch folders, running binaries with actionable failure output.
mod util;

// ndjson-ids: set operations over ID files and the mirror's ID sets.
mod ids;

// tmdb-sim: TMDB's shapes, errors, faults, discover, changes, exports, mutation, the dump.
mod sim;

// The whole record: real TMDB captures fetched, loaded and served back exactly under /3.
mod record;

// TMDB's own /3 routes: the mirror answers each as tmdb-sim does (discover with random filter
// combinations), a required token, and TMDB's captures.
mod tmdb_routes;

// ndjson-load: loading every kind into SQLite files; reloads, rejects, kill -9 and resume.
mod load;

// tmdb-fetch: every subcommand against tmdb-sim, faults, 429s, checkpoints, a refused token.
mod fetch;

// The pipeline: make mirror / refetch-failed / export / demo against tmdb-sim, checked against
// its ground truth; kill -9 of make and resume.
mod pipeline;

// tmdb-export: Parquet, NDJSON and CSV files equal to the database; kill -9; bad usage.
mod export;

// tmdb-serve: every route, filter and error over loopback on a real SQLite mirror.
mod serve;

// tmdb-serve's native API on the whole record: a mirror made by `make mirror` against tmdb-sim,
// every field, filter and route of the record compared with the simulator's ground truth.
mod serve_record;

// tmdb-serve under attack: bodies, header floods, slow and half-sent requests, descriptor
// exhaustion, HTTP/2, bytes that are not ASCII, a read-only folder; /metrics.
mod serve_limits;

// The browse page in headless Chromium against the real tmdb-serve.
mod browse;

// make update: after tmdb-sim's --mutate days, the mirror equals the new truth with few requests.
mod update;

// A newcomer's first hour: make test's dependencies, make clean, database URLs, make serve after
// make demo, make install, and the messages that say what to do next.
mod newcomer;

// PostgreSQL mirrors against a server the tests start: make mirror and make update equal the
// SQLite mirror row by row, kill -9 and rerun, two loads at once, bad URLs and passwords.
mod postgres;

// tmdb-serve on PostgreSQL: every route answers as on the SQLite mirror of the same data, two
// servers see a load, the pool stays small, connections the database closes are replaced
// without a failed answer, bad URLs and passwords stop it with one line.
mod postgres_serve;

// MySQL/MariaDB mirrors against a MariaDB the tests start: make mirror and make update equal the
// SQLite mirror row by row, kill -9 and rerun, two loads at once, bad URLs and passwords.
mod mysql;

// tmdb-serve on MariaDB: the PostgreSQL serve tests' bodies (util::served) against a MariaDB.
mod mysql_serve;

// The README's `sh runnable` examples, each run against the demo mirror.
mod readme;
