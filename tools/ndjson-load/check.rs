//! Why an ID or gone line was rejected, in words a user can act on: `field "kind" is missing`.
//! (Movies, people and genres are checked field by field as they are read, by
//! `tmdb_core::record::flatten`.)
//!
//! serde_json's typed errors say where in the line parsing stopped (`line 1 column 17`), not
//! which field was wrong. Rejected lines are rare, so this module re-reads a line that failed
//! the typed parse as a loose JSON value and walks it against a table of the fields each kind
//! stores. It only explains: accepting or refusing a line is the typed parse's decision.

use serde_json::Value;

use crate::kinds::Kind;

/// What a stored field must hold. Every field may also be null except where `required`.
#[derive(Clone, Copy)]
enum Expect {
    /// A positive integer (IDs).
    Id,
    Number,
    Bool,
    Str,
    /// `movie`/`person`.
    ItemKind,
}

/// One field of a record: its JSON name, what it must hold, and whether it may be absent.
#[derive(Clone, Copy)]
struct Field {
    name: &'static str,
    expect: Expect,
    required: bool,
}

const fn opt(name: &'static str, expect: Expect) -> Field {
    Field {
        name,
        expect,
        required: false,
    }
}

const fn req(name: &'static str, expect: Expect) -> Field {
    Field {
        name,
        expect,
        required: true,
    }
}

// The tables below read as a schema: `req("id", Id)`.
use Expect::*;

const MOVIE_ID: &[Field] = &[
    req("id", Id),
    opt("adult", Bool),
    opt("video", Bool),
    opt("popularity", Number),
    opt("original_title", Str),
];

const GONE: &[Field] = &[req("id", Id), req("kind", ItemKind)];

fn fields(kind: Kind) -> &'static [Field] {
    match kind {
        Kind::Gone => GONE,
        Kind::MovieIds | Kind::Genres | Kind::Movies | Kind::People => MOVIE_ID,
    }
}

/// The reason `line` failed the typed parse with `err`.
pub fn explain(kind: Kind, line: &[u8], err: &serde_json::Error) -> String {
    let value: Value = match serde_json::from_slice(line) {
        Ok(value) => value,
        Err(err) => return format!("invalid JSON: {err}"),
    };
    if !value.is_object() {
        return match kind {
            Kind::MovieIds => {
                "not an ID: expected an integer or a JSON object with an integer \"id\"".into()
            }
            _ => format!("expected a JSON object, found {}", type_name(&value)),
        };
    }
    match find_problem(&value, fields(kind)) {
        Some(problem) => problem,
        // The table and the types disagree: still say what serde said rather than nothing.
        None => err.to_string(),
    }
}

fn find_problem(object: &Value, fields: &[Field]) -> Option<String> {
    for field in fields {
        let path = field.name;
        match object.get(field.name) {
            None | Some(Value::Null) if field.required => {
                return Some(format!("field \"{path}\" is missing"));
            }
            None | Some(Value::Null) => {}
            Some(value) => {
                if let Some(problem) = check_value(value, field.expect, path) {
                    return Some(problem);
                }
            }
        }
    }
    None
}

fn check_value(value: &Value, expect: Expect, path: &str) -> Option<String> {
    let wrong = |what: &str| {
        Some(format!(
            "field \"{path}\" is not {what} (found {})",
            type_name(value)
        ))
    };
    match expect {
        Id if value
            .as_u64()
            .is_none_or(|id| id == 0 || id > i64::MAX as u64) =>
        {
            wrong("a positive integer")
        }
        Number if !value.is_number() => wrong("a number"),
        Bool if !value.is_boolean() => wrong("true or false"),
        Str if !value.is_string() => wrong("a string"),
        ItemKind if !matches!(value.as_str(), Some("movie" | "person")) => {
            wrong("\"movie\" or \"person\"")
        }
        _ => None,
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a fractional number",
        Value::Number(n) if n.is_i64() && n.as_i64() < Some(0) => "a negative number",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
