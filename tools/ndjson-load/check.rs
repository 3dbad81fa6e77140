//! Why a line was rejected, in words a user can act on: `field "runtime" is not an integer`,
//! `field "credits.cast[3].credit_id" is missing`.
//!
//! serde_json's typed errors say where in the line parsing stopped (`line 1 column 417`), not
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
    Int,
    Number,
    Bool,
    Str,
    StrList,
    /// `movie`/`person`.
    ItemKind,
    /// An object with these fields.
    Object(&'static [Field]),
    /// A list of objects with these fields.
    ObjectList(&'static [Field]),
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

const GENRE: &[Field] = &[req("id", Id), req("name", Str)];

const MOVIE_ID: &[Field] = &[
    req("id", Id),
    opt("adult", Bool),
    opt("video", Bool),
    opt("popularity", Number),
    opt("original_title", Str),
];

const CREDIT: &[Field] = &[
    req("credit_id", Str),
    req("id", Id),
    opt("name", Str),
    opt("original_name", Str),
    opt("character", Str),
    opt("order", Int),
    opt("department", Str),
    opt("job", Str),
    opt("gender", Int),
    opt("known_for_department", Str),
    opt("profile_path", Str),
    opt("popularity", Number),
    opt("adult", Bool),
];

const MOVIE: &[Field] = &[
    req("id", Id),
    opt("title", Str),
    opt("original_title", Str),
    opt("original_language", Str),
    opt("overview", Str),
    opt("release_date", Str),
    opt("runtime", Int),
    opt("status", Str),
    opt("adult", Bool),
    opt("video", Bool),
    opt("poster_path", Str),
    opt("backdrop_path", Str),
    opt("vote_average", Number),
    opt("vote_count", Int),
    opt("popularity", Number),
    opt("budget", Int),
    opt("revenue", Int),
    opt("imdb_id", Str),
    opt("homepage", Str),
    opt("tagline", Str),
    opt("belongs_to_collection", Object(&[req("id", Id)])),
    opt("origin_country", StrList),
    opt("genres", ObjectList(&[req("id", Id)])),
    opt(
        "credits",
        Object(&[
            opt("cast", ObjectList(CREDIT)),
            opt("crew", ObjectList(CREDIT)),
        ]),
    ),
];

const PERSON: &[Field] = &[
    req("id", Id),
    opt("name", Str),
    opt("also_known_as", StrList),
    opt("biography", Str),
    opt("birthday", Str),
    opt("deathday", Str),
    opt("gender", Int),
    opt("known_for_department", Str),
    opt("place_of_birth", Str),
    opt("profile_path", Str),
    opt("popularity", Number),
    opt("imdb_id", Str),
    opt("homepage", Str),
    opt("adult", Bool),
];

const GONE: &[Field] = &[req("id", Id), req("kind", ItemKind)];

fn fields(kind: Kind) -> &'static [Field] {
    match kind {
        Kind::Genres => GENRE,
        Kind::MovieIds => MOVIE_ID,
        Kind::Movies => MOVIE,
        Kind::People => PERSON,
        Kind::Gone => GONE,
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
    match find_problem(&value, fields(kind), "") {
        Some(problem) => problem,
        // The table and the types disagree: still say what serde said rather than nothing.
        None => err.to_string(),
    }
}

fn find_problem(object: &Value, fields: &[Field], prefix: &str) -> Option<String> {
    for field in fields {
        let path = format!("{prefix}{}", field.name);
        match object.get(field.name) {
            None | Some(Value::Null) if field.required => {
                return Some(format!("field \"{path}\" is missing"));
            }
            None | Some(Value::Null) => {}
            Some(value) => {
                if let Some(problem) = check_value(value, field.expect, &path) {
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
        Int if value.as_i64().is_none() => wrong("an integer"),
        Number if !value.is_number() => wrong("a number"),
        Bool if !value.is_boolean() => wrong("true or false"),
        Str if !value.is_string() => wrong("a string"),
        ItemKind if !matches!(value.as_str(), Some("movie" | "person")) => {
            wrong("\"movie\" or \"person\"")
        }
        StrList => match value.as_array() {
            None => wrong("a list of strings"),
            Some(items) => items
                .iter()
                .position(|item| !item.is_string())
                .and_then(|at| check_value(&items[at], Str, &format!("{path}[{at}]"))),
        },
        Object(fields) => match value.is_object() {
            false => wrong("an object"),
            true => find_problem(value, fields, &format!("{path}.")),
        },
        ObjectList(fields) => match value.as_array() {
            None => wrong("a list"),
            Some(items) => items.iter().enumerate().find_map(|(at, item)| {
                let here = format!("{path}[{at}]");
                match item.is_object() {
                    false => check_value(item, Object(fields), &here),
                    true => find_problem(item, fields, &format!("{here}.")),
                }
            }),
        },
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

#[cfg(test)]
mod tests {
    use crate::kinds::{Kind, parse};

    fn reason(kind: Kind, line: &str) -> String {
        parse(kind, line.as_bytes()).unwrap_err()
    }

    #[test]
    fn names_the_wrong_field() {
        let cases = [
            (
                Kind::Movies,
                r#"{"id":1,"runtime":"120"}"#,
                "field \"runtime\" is not an integer (found a string)",
            ),
            (Kind::Movies, r#"{"title":"x"}"#, "field \"id\" is missing"),
            (
                Kind::Movies,
                r#"{"id":"7"}"#,
                "field \"id\" is not a positive integer (found a string)",
            ),
            (
                Kind::Movies,
                r#"{"id":-7}"#,
                "field \"id\" is not a positive integer (found a negative number)",
            ),
            (
                Kind::Movies,
                r#"{"id":1,"genres":[{"id":2},{"name":"x"}]}"#,
                "field \"genres[1].id\" is missing",
            ),
            (
                Kind::Movies,
                r#"{"id":1,"credits":{"cast":[],"crew":[{"credit_id":"a","id":2,"order":1.5}]}}"#,
                "field \"credits.crew[0].order\" is not an integer (found a fractional number)",
            ),
            (
                Kind::People,
                r#"{"id":1,"also_known_as":["a",3]}"#,
                "field \"also_known_as[1]\" is not a string (found a number)",
            ),
            (
                Kind::Gone,
                r#"{"id":1,"kind":"tv"}"#,
                "field \"kind\" is not \"movie\" or \"person\" (found a string)",
            ),
            (Kind::Gone, r#"{"id":1}"#, "field \"kind\" is missing"),
            (
                Kind::Genres,
                r#"[1]"#,
                "expected a JSON object, found a list",
            ),
            (
                Kind::MovieIds,
                r#""5""#,
                "not an ID: expected an integer or a JSON object with an integer \"id\"",
            ),
        ];
        for (kind, line, want) in cases {
            assert_eq!(reason(kind, line), want, "{line}");
        }
    }

    #[test]
    fn bad_json_says_so() {
        let got = reason(Kind::Movies, r#"{"id":1,"title":"x""#);
        assert!(got.starts_with("invalid JSON: "), "{got}");
    }
}
