//! The shared core of tmdb-mirror's binaries.
//!
//! What lives here is what every tool must do the same way: reading NDJSON lines with their
//! `file:line` positions (and the truncated-last-line rule), parsing ID lines, reading the
//! shared configuration (`TMDB_TOKEN`, `TMDB_API_URL`, `TMDB_EXPORT_URL`, `DB`, `.env`) with a
//! token that never prints itself, mapping outcomes to exit statuses, opening the mirror with
//! its migrations (SQLite: `db`; PostgreSQL: `pg`; MySQL/MariaDB: `mysql`), and drawing
//! progress (one bar style, one rate format).
//!
//! The mapping of TMDB records onto tables lives here too (`record`), because the loader
//! writes it and the server reads it back: one description for both.
//!
//! What does not live here: HTTP (tokio/reqwest belong to `tmdb-fetch`, the servers have
//! their own).
#![deny(missing_docs)]

pub mod date;
pub mod db;
pub mod env;
pub mod exit;
pub mod ids;
pub mod model;
pub mod mysql;
pub mod ndjson;
pub mod pg;
pub mod progress;
pub mod read;
pub mod record;
pub mod tmdb;
