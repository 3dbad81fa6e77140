//! tmdb-mirror's integration tests: one test binary that runs the real binaries (built by
//! `cargo test`) against the real simulator over loopback, and the real Makefile targets.
//! One module per tool or stage; shared helpers live in `util`.

// Spawning tmdb-sim, scratch folders, running binaries with actionable failure output.
mod util;

// ndjson-ids: set operations over ID files and the mirror's ID sets.
mod ids;

// ndjson-load: loading every kind into SQLite files; reloads, rejects, kill -9 and resume.
mod load;

// tmdb-sim: TMDB's shapes, errors, faults, discover, changes, exports, mutation, the dump.
mod sim;
