//! The shared core of tmdb-mirror's binaries.
//!
//! What lives here is what every tool must do the same way: reading NDJSON lines with their
//! `file:line` positions (and the truncated-last-line rule), parsing ID lines, reading the
//! shared configuration (`TMDB_TOKEN`, `TMDB_API_URL`, `TMDB_EXPORT_URL`, `DB`, `.env`) with a
//! token that never prints itself, mapping outcomes to exit statuses, and opening the SQLite
//! mirror with its migrations.
//!
//! What does not live here: HTTP (tokio/reqwest belong to `tmdb-fetch`, tiny_http to the
//! servers), and the mapping of TMDB records onto tables (that is `ndjson-load`'s job).
#![deny(missing_docs)]

pub mod db;
pub mod env;
pub mod exit;
pub mod ids;
pub mod model;
pub mod ndjson;
