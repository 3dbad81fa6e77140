//! The whole record: how TMDB's movie and person records map onto the mirror's tables, and back.
//!
//! - [`spec`]: the one description of the tables (columns, types, what a null becomes);
//! - [`flatten`]: a record line into rows, refusing a line whose fields have the wrong types;
//!   [`scan`]: the same rows of a movie or person line, read without building its tree of JSON
//!   values;
//! - [`store`]: the rows into SQLite; [`store_pg`]: into PostgreSQL, [`store_mysql`]: into
//!   MySQL/MariaDB, a batch at a time, both from [`text_rows`];
//! - [`rebuild`]: TMDB's JSON again, from the tables.
//!
//! docs/record.md tells the contract in prose: values as TMDB sent them, array order
//! in `ord`, unknown keys in `extra`, missing keys in `absent`.

pub mod flatten;
pub mod rebuild;
pub mod scan;
pub mod spec;
pub mod store;
pub mod store_mysql;
pub mod store_pg;
pub mod text_rows;
