//! Rows as tab-separated text, the bulk format both server backends read: PostgreSQL's
//! `COPY ... FROM STDIN` (text format) and MySQL's `LOAD DATA LOCAL INFILE` (its default field
//! and line terminators). One line per row, `\N` for NULL, backslash escapes for the characters
//! that would end a value or a row.

use std::fmt::Write as _;

use rusqlite::types::Value as Sql;

/// Appends one value. A flag's 0/1 is read by PostgreSQL's boolean input as false/true and by
/// MySQL's BOOLEAN (a tiny integer) as itself.
pub fn encode(out: &mut String, value: &Sql) {
    match value {
        Sql::Null => out.push_str("\\N"),
        Sql::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        // Rust prints the shortest decimal that reads back as the same double.
        Sql::Real(r) => {
            let _ = write!(out, "{r}");
        }
        Sql::Text(text) => escape(out, text),
        Sql::Blob(bytes) => escape(out, &String::from_utf8_lossy(bytes)),
    }
}

/// Appends `values` as one row, each followed by a tab, without the line's end: the caller may
/// add a column of its own before it.
pub fn encode_row(out: &mut String, values: &[Sql]) {
    for value in values {
        encode(out, value);
        out.push('\t');
    }
}

fn escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            // MySQL reads \0 as a NUL character; PostgreSQL cannot store one, and its loader
            // rejects such a record before it gets here.
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_separates_values() {
        let mut out = String::new();
        for value in [
            Sql::Null,
            Sql::Integer(-7),
            Sql::Real(2.522_000_000_000_000_2),
            Sql::Text("a\tb\nc\\d\re\0f".into()),
            Sql::Text(String::new()),
        ] {
            encode(&mut out, &value);
            out.push('|');
        }
        assert_eq!(out, "\\N|-7|2.5220000000000002|a\\tb\\nc\\\\d\\re\\0f||");
    }
}
