//! The type each exported column gets, from the schema the source declares and the record
//! description (tools/tmdb-core/src/record/spec.rs), never from a list kept here.
//!
//! - INTEGER is a 64-bit integer, REAL a double, TEXT a string;
//! - a column the record description calls a boolean (stored 1/0) is a boolean, one it calls a
//!   list of strings (stored as JSON text, `["US","FR"]`) is a list of strings;
//! - a TEXT column that holds at least one value and only `YYYY-MM-DD` dates is a date;
//!   `movie.release_date` is not one wherever TMDB sent `""` for an unknown date, and stays a
//!   string so that `""` and NULL stay apart.
//!
//! The database may still hold a value its column's type cannot (SQLite keeps what it is
//! given): the writer then reports a [`Misfit`] and the column is exported as strings instead,
//! with a line on stderr, never by bending the value. docs/export.md says the same for users.

use std::fmt;

use anyhow::Result;
use tmdb_core::record::spec::{self, Ty};

use crate::source::{Column, Declared, Source, Value};

/// The type of an exported column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A 64-bit integer.
    Integer,
    /// A double.
    Real,
    /// true/false (stored as 1/0).
    Boolean,
    /// A calendar date (stored as `YYYY-MM-DD`).
    Date,
    /// A string; also what any value becomes in a column widened after a [`Misfit`].
    Text,
    /// A list of strings (stored as a JSON array).
    Strings,
}

impl Kind {
    /// What the type is called in messages.
    fn name(self) -> &'static str {
        match self {
            Kind::Integer => "an integer",
            Kind::Real => "a number",
            Kind::Boolean => "a boolean (0 or 1)",
            Kind::Date => "a date",
            Kind::Text => "text",
            Kind::Strings => "a JSON list of strings",
        }
    }
}

/// A column with the type it is exported as.
#[derive(Debug, Clone)]
pub struct Typed {
    /// The column's name.
    pub name: String,
    /// Its exported type.
    pub kind: Kind,
    /// Whether it may hold NULL.
    pub nullable: bool,
}

/// The exported type of every column of `table`.
pub fn plan(source: &dyn Source, table: &str, columns: &[Column]) -> Result<Vec<Typed>> {
    let described = spec::TABLES.iter().find(|t| t.name == table);
    columns
        .iter()
        .map(|c| {
            let ty = described
                .and_then(|t| t.fields.iter().find(|f| f.column == c.name))
                .map(|f| f.ty);
            let kind = match (c.declared, ty) {
                (Declared::Integer, Some(Ty::Bool)) => Kind::Boolean,
                (Declared::Integer, _) => Kind::Integer,
                (Declared::Real, _) => Kind::Real,
                (Declared::Text, Some(Ty::Strings)) => Kind::Strings,
                (Declared::Text, _) if source.is_date(table, &c.name)? => Kind::Date,
                (Declared::Text | Declared::Other, _) => Kind::Text,
            };
            Ok(Typed {
                name: c.name.clone(),
                kind,
                nullable: c.nullable,
            })
        })
        .collect()
}

/// A value its column's type cannot hold, found while writing.
#[derive(Debug)]
pub struct Misfit {
    /// The column's position.
    pub column: usize,
    /// The column's name.
    pub name: String,
    /// The type it was being exported as.
    pub kind: Kind,
    /// The row's position in the scan, from 1.
    pub row: u64,
    /// The value, as a short description.
    pub value: String,
}

impl Misfit {
    /// Describes `value` in column `column` of row `row`.
    pub fn new(column: &Typed, at: usize, row: u64, value: &Value<'_>) -> Misfit {
        let value = match value {
            Value::Null => "NULL".to_owned(),
            Value::Integer(n) => format!("integer {n}"),
            Value::Real(x) => format!("number {x}"),
            Value::Text(t) => {
                let text = String::from_utf8_lossy(t);
                let short: String = text.chars().take(40).collect();
                format!("text {short:?}")
            }
            Value::Blob(b) => format!("a blob of {} bytes", b.len()),
        };
        Misfit {
            column: at,
            name: column.name.clone(),
            kind: column.kind,
            row,
            value,
        }
    }
}

impl fmt::Display for Misfit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: row {} holds {}, not {}",
            self.name,
            self.row,
            self.value,
            self.kind.name()
        )
    }
}

impl std::error::Error for Misfit {}

/// The days from 1970-01-01 to a `YYYY-MM-DD` date, or None if it is not one.
pub fn days_since_epoch(text: &[u8]) -> Option<i32> {
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        text.get(r)?.iter().try_fold(0u32, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    if text.len() != 10 || text[4] != b'-' || text[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let days = tmdb_core::date::days_from_civil(i64::from(y), m, d)?;
    i32::try_from(days).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_count_days_from_the_epoch() {
        for (text, days) in [
            ("1970-01-01", Some(0)),
            ("1969-12-31", Some(-1)),
            ("2000-03-01", Some(11_017)),
            ("2024-02-29", Some(19_782)),
            ("0001-01-01", Some(-719_162)),
            ("2023-02-29", None),
            ("2023-13-01", None),
            ("2023-1-01", None),
            ("", None),
            ("2023-01-01T00:00:00Z", None),
        ] {
            assert_eq!(days_since_epoch(text.as_bytes()), days, "{text}");
        }
    }
}
