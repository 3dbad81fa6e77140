//! A TMDB movie or person record (one NDJSON line) into the rows of the mirror's tables.
//!
//! Every value is checked against the type its field has in `spec`; a line that does not fit
//! is refused with the path of the first field that did not (`credits.cast[3].order: expected
//! an integer, found a string`). What the description does not know is kept in `extra`, what
//! the object lacked in `absent`, so `rebuild` can give back exactly what came in.

use foldhash::{HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

use rusqlite::types::Value as Sql;
use serde_json::{Map, Value};

use super::spec::{self, Field, Nulls, Role, Table, Ty};

/// The rows one record becomes: the record's own row first, then the shared entities it names,
/// then what hangs off it. Each row holds the values of `table.columns()`, in order.
#[derive(Debug)]
pub struct Rows {
    /// The record's ID.
    pub id: i64,
    /// Every row, the record's own first.
    pub rows: Vec<(&'static Table, Vec<Sql>)>,
}

impl Rows {
    /// The number of rows of `table`.
    pub fn count(&self, table: &Table) -> usize {
        self.rows
            .iter()
            .filter(|(t, _)| t.name == table.name)
            .count()
    }
}

/// Why a record was refused: the field (as a path into the record) and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `credits.cast[3].order`; empty for the record as a whole.
    pub field: String,
    /// What was wrong with it.
    pub reason: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "field \"{}\" {}", self.field, self.reason)
        }
    }
}

/// Where a value is in its record, formatted only when a refusal names it.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(Path::Root, key) => f.write_str(key),
            Path::Key(parent, key) => write!(f, "{parent}.{key}"),
            Path::Index(parent, at) => write!(f, "{parent}[{at}]"),
        }
    }
}

fn refuse(at: Path<'_>, reason: impl Into<String>) -> Refusal {
    Refusal {
        field: at.to_string(),
        reason: reason.into(),
    }
}

/// A JSON value's type as a reason names it (`found a string`).
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a fractional number",
        Value::Number(n) if n.as_i64().is_some_and(|i| i < 0) => "a negative number",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn expected(at: Path<'_>, what: &str, value: &Value) -> Refusal {
    refuse(at, format!("is not {what} (found {})", type_name(value)))
}

/// The line as a JSON object, or why it is not one.
pub fn object(line: &[u8]) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(refuse(
            Path::Root,
            format!("expected a JSON object, found {}", type_name(&other)),
        )),
        Err(err) => Err(refuse(Path::Root, format!("invalid JSON: {err}"))),
    }
}

/// A positive integer ID that fits SQLite's signed integers.
fn id_value(value: Option<&Value>, at: Path<'_>) -> Result<i64, Refusal> {
    match value {
        None | Some(Value::Null) => Err(refuse(at, "is missing")),
        Some(value) => value
            .as_i64()
            .filter(|&id| id > 0)
            .ok_or_else(|| expected(at, "a positive integer", value)),
    }
}

/// The `id` of a record.
pub fn record_id(map: &Map<String, Value>) -> Result<i64, Refusal> {
    id_value(map.get("id"), Path::Key(&Path::Root, "id"))
}

/// One field's value as stored, or the refusal. A null in a NOT NULL column is stored as 0
/// and reported back (`true`) so the caller keeps the null in `extra`.
fn column_value(field: &Field, value: &Value, at: Path<'_>) -> Result<(Sql, bool), Refusal> {
    let sql = match (field.ty, value) {
        (_, Value::Null) => {
            return Ok(match field.nulls {
                Nulls::Column => (Sql::Null, false),
                Nulls::Extra => (Sql::Integer(0), true),
            });
        }
        (Ty::Int, Value::Number(n)) => match n.as_i64() {
            Some(i) => Sql::Integer(i),
            None => return Err(expected(at, "an integer", value)),
        },
        (Ty::Real, Value::Number(n)) => Sql::Real(n.as_f64().expect("a JSON number is finite")),
        (Ty::Text, Value::String(s)) => Sql::Text(s.clone()),
        (Ty::Bool, Value::Bool(b)) => Sql::Integer(i64::from(*b)),
        (Ty::Strings, Value::Array(items)) => {
            if let Some(at_item) = items.iter().position(|item| !item.is_string()) {
                return Err(expected(
                    Path::Index(&at, at_item),
                    "a string",
                    &items[at_item],
                ));
            }
            Sql::Text(value.to_string())
        }
        (Ty::Int, _) => return Err(expected(at, "an integer", value)),
        (Ty::Real, _) => return Err(expected(at, "a number", value)),
        (Ty::Text, _) => return Err(expected(at, "a string", value)),
        (Ty::Bool, _) => return Err(expected(at, "true or false", value)),
        (Ty::Strings, _) => return Err(expected(at, "a list of strings", value)),
    };
    Ok((sql, false))
}

/// The keys of a table's fields, split once: `read_fields` runs for every object of every
/// record, and splitting each field's key for each key of the object was a sixth of a load's
/// parsing time.
struct Keys {
    /// `field.split()` of each field, in field order.
    split: Vec<(Option<&'static str>, &'static str)>,
    /// The top-level keys that are fields.
    fields: HashSet<&'static str>,
    /// The keys of the sub-objects some fields come from (`data`, `external_ids`).
    outers: Vec<&'static str>,
}

fn keys(table: &Table) -> &'static Keys {
    static ALL: OnceLock<HashMap<&'static str, Keys>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        spec::TABLES
            .iter()
            .map(|table| {
                let split: Vec<_> = table.fields.iter().map(Field::split).collect();
                let fields = split
                    .iter()
                    .filter_map(|(outer, inner)| outer.is_none().then_some(*inner))
                    .collect();
                let mut outers: Vec<_> = split.iter().filter_map(|(outer, _)| *outer).collect();
                outers.sort_unstable();
                outers.dedup();
                let keys = Keys {
                    split,
                    fields,
                    outers,
                };
                (table.name, keys)
            })
            .collect()
    });
    &all[table.name]
}

/// Reads `table.fields` from `map` into `row`; unknown keys (not fields, not `handled`) go
/// to `extra`. Returns the bits of the fields `map` lacked.
fn read_fields(
    table: &Table,
    map: &Map<String, Value>,
    at: Path<'_>,
    handled: &[&str],
    row: &mut Vec<Sql>,
    extra: &mut Map<String, Value>,
) -> Result<u64, Refusal> {
    let keys = keys(table);
    let mut absent = 0u64;
    for (bit, (field, &(outer, inner))) in table.fields.iter().zip(&keys.split).enumerate() {
        let (value, field_at) = match outer {
            None => (map.get(inner), Path::Key(&at, inner)),
            Some(outer) => match map.get(outer) {
                Some(Value::Object(sub)) => (sub.get(inner), Path::Key(&at, outer)),
                Some(Value::Null) | None => (None, Path::Key(&at, outer)),
                Some(other) => return Err(expected(Path::Key(&at, outer), "an object", other)),
            },
        };
        let Some(value) = value else {
            absent |= 1 << bit;
            row.push(match field.nulls {
                Nulls::Column => Sql::Null,
                Nulls::Extra => Sql::Integer(0),
            });
            continue;
        };
        let field_at = match outer {
            None => field_at,
            Some(_) => Path::Key(&field_at, inner),
        };
        let (sql, null_kept) = column_value(field, value, field_at)?;
        if null_kept {
            put(extra, field.key, Value::Null);
        }
        row.push(sql);
    }
    for (key, value) in map {
        // A field, or the sub-object some fields come from (`data`, `external_ids`).
        let is_field = keys.fields.contains(key.as_str());
        let is_outer = keys.outers.contains(&key.as_str());
        if is_field || (!is_outer && handled.contains(&key.as_str())) {
            continue;
        }
        if !is_outer {
            extra.insert(key.clone(), value.clone());
            continue;
        }
        // The sub-object's keys that are not fields are extra too (a null sub-object is kept
        // whole, its fields being absent).
        match value {
            Value::Object(sub) => {
                for (inner, value) in sub {
                    let is_inner = |k: &str| k.split_once('.') == Some((key.as_str(), inner));
                    let known = keys.split.contains(&(Some(key.as_str()), inner.as_str()))
                        || handled.iter().any(|h| is_inner(h));
                    if !known {
                        put(extra, &format!("{key}.{inner}"), value.clone());
                    }
                }
            }
            Value::Null => {
                extra.insert(key.clone(), Value::Null);
            }
            _ => {}
        }
    }
    Ok(absent)
}

/// Sets `extra[a][b]` for key `a.b`, `extra[a]` for key `a`.
pub(super) fn put(extra: &mut Map<String, Value>, key: &str, value: Value) {
    match key.split_once('.') {
        None => {
            extra.insert(key.to_owned(), value);
        }
        Some((outer, inner)) => {
            let sub = extra
                .entry(outer.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(sub) = sub {
                sub.insert(inner.to_owned(), value);
            }
        }
    }
}

/// Ends a row with its `extra` (JSON text, NULL when empty) and `absent` (NULL when 0).
pub(super) fn finish(table: &Table, row: &mut Vec<Sql>, extra: Map<String, Value>, absent: u64) {
    if table.extra {
        row.push(if extra.is_empty() {
            Sql::Null
        } else {
            Sql::Text(Value::Object(extra).to_string())
        });
    }
    if table.absent {
        row.push(if absent == 0 {
            Sql::Null
        } else {
            Sql::Integer(absent as i64)
        });
    }
}

/// The rows being gathered for one record.
struct Builder {
    id: i64,
    rows: Vec<(&'static Table, Vec<Sql>)>,
}

impl Builder {
    /// A row of `table` from `map`: `lead`, then the fields, `extra` and `absent`.
    fn object(
        &mut self,
        table: &'static Table,
        lead: Vec<Sql>,
        map: &Map<String, Value>,
        at: Path<'_>,
        handled: &[&str],
    ) -> Result<(), Refusal> {
        let mut row = lead;
        row.reserve(table.fields.len() + 2);
        let mut extra = Map::new();
        let absent = read_fields(table, map, at, handled, &mut row, &mut extra)?;
        finish(table, &mut row, extra, absent);
        self.rows.push((table, row));
        Ok(())
    }

    /// A shared entity (`genre`, `company`...) named by `map`; returns its ID.
    fn entity(
        &mut self,
        table: &'static Table,
        map: &Map<String, Value>,
        at: Path<'_>,
        id_key: &str,
        handled: &[&str],
    ) -> Result<i64, Refusal> {
        debug_assert_eq!(table.role, Role::Entity);
        let id = id_value(map.get(id_key), Path::Key(&at, id_key))?;
        let mut handled = handled.to_vec();
        handled.push(id_key);
        self.object(table, vec![Sql::Integer(id)], map, at, &handled)?;
        Ok(id)
    }

    fn link(&mut self, table: &'static Table, values: Vec<Sql>) {
        self.rows.push((table, values));
    }
}

/// The objects of the array under `key` of `map` (none when absent), or the refusal.
fn objects<'m>(
    map: &'m Map<String, Value>,
    key: &str,
    at: Path<'_>,
) -> Result<Vec<&'m Map<String, Value>>, Refusal> {
    let list = match map.get(key) {
        None => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(other) => return Err(expected(Path::Key(&at, key), "an array", other)),
    };
    let list_at = Path::Key(&at, key);
    list.iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(map) => Ok(map),
            other => Err(expected(Path::Index(&list_at, i), "an object", other)),
        })
        .collect()
}

/// The object under `key` (an append's wrapper), or None when absent.
fn wrapper<'m>(
    map: &'m Map<String, Value>,
    key: &str,
    at: Path<'_>,
) -> Result<Option<&'m Map<String, Value>>, Refusal> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::Object(sub)) => Ok(Some(sub)),
        Some(other) => Err(expected(Path::Key(&at, key), "an object", other)),
    }
}

/// Keys of an append's wrapper that the mirror does not read go to the record's `extra`.
fn wrapper_extra(
    wrapper: &Map<String, Value>,
    name: &str,
    known: &[&str],
    extra: &mut Map<String, Value>,
) {
    for (key, value) in wrapper {
        if !known.contains(&key.as_str()) {
            put(extra, &format!("{name}.{key}"), value.clone());
        }
    }
}

fn int(i: usize) -> Sql {
    Sql::Integer(i as i64)
}

/// Flattens a movie record; `source_hash` is stored with it.
pub fn movie(map: &Map<String, Value>, source_hash: i64) -> Result<Rows, Refusal> {
    let root = Path::Root;
    let id = record_id(map)?;
    let mut b = Builder {
        id,
        rows: Vec::new(),
    };
    let table = &spec::MOVIE;
    let mut handled: Vec<&str> = vec!["id", "external_ids.imdb_id"];
    handled.extend(table.nested.iter().filter(|key| !key.contains('.')));

    // The movie's own row: lead (id, source_hash, collection_id), fields, extra, absent.
    let collection = match map.get("belongs_to_collection") {
        None | Some(Value::Null) => None,
        Some(Value::Object(c)) => Some(c),
        Some(other) => {
            return Err(expected(
                Path::Key(&root, "belongs_to_collection"),
                "an object",
                other,
            ));
        }
    };
    let collection_id = match collection {
        Some(c) => Sql::Integer(id_value(
            c.get("id"),
            Path::Key(&Path::Key(&root, "belongs_to_collection"), "id"),
        )?),
        None => Sql::Null,
    };
    let mut row = vec![Sql::Integer(id), Sql::Integer(source_hash), collection_id];
    let mut extra = Map::new();
    let mut absent = read_fields(table, map, root, &handled, &mut row, &mut extra)?;
    for key in table.nested {
        if !key.contains('.') && !map.contains_key(*key) {
            absent |= 1 << table.nested_bit(key);
        }
    }
    // external_ids.imdb_id repeats the details' imdb_id: remembered as "the same", or kept.
    let same_imdb = match map.get("external_ids") {
        Some(Value::Object(ext)) => match ext.get("imdb_id") {
            Some(v) if Some(v) == map.get("imdb_id") => true,
            Some(v) => {
                put(&mut extra, "external_ids.imdb_id", v.clone());
                false
            }
            None => false,
        },
        _ => false,
    };
    if !same_imdb {
        absent |= 1 << table.nested_bit("external_ids.imdb_id");
    }

    if let Some(c) = collection {
        let at = Path::Key(&root, "belongs_to_collection");
        b.entity(&spec::COLLECTION, c, at, "id", &[])?;
    }
    for (ord, g) in objects(map, "genres", root)?.into_iter().enumerate() {
        let at = Path::Index(&Path::Key(&root, "genres"), ord);
        genre_name(g, at)?;
        let genre = b.entity(&spec::GENRE, g, at, "id", &[])?;
        b.link(
            &spec::MOVIE_GENRE,
            vec![Sql::Integer(id), int(ord), Sql::Integer(genre)],
        );
    }
    for (ord, c) in objects(map, "production_companies", root)?
        .into_iter()
        .enumerate()
    {
        let at = Path::Index(&Path::Key(&root, "production_companies"), ord);
        let company = b.entity(&spec::COMPANY, c, at, "id", &[])?;
        b.link(
            &spec::MOVIE_COMPANY,
            vec![Sql::Integer(id), int(ord), Sql::Integer(company)],
        );
    }
    for (key, table) in [
        ("production_countries", &spec::MOVIE_COUNTRY),
        ("spoken_languages", &spec::MOVIE_LANGUAGE),
    ] {
        for (ord, item) in objects(map, key, root)?.into_iter().enumerate() {
            let at = Path::Index(&Path::Key(&root, key), ord);
            b.object(table, vec![Sql::Integer(id), int(ord)], item, at, &[])?;
        }
    }

    if let Some(credits) = wrapper(map, "credits", root)? {
        let at = Path::Key(&root, "credits");
        wrapper_extra(credits, "credits", &["cast", "crew"], &mut extra);
        for kind in ["cast", "crew"] {
            for (ord, credit) in objects(credits, kind, at)?.into_iter().enumerate() {
                let credit_at = Path::Index(&Path::Key(&at, kind), ord);
                // The table's key and its person: a credit without them cannot be stored.
                match credit.get("credit_id") {
                    Some(Value::String(_)) => {}
                    Some(other) => {
                        return Err(expected(
                            Path::Key(&credit_at, "credit_id"),
                            "a string",
                            other,
                        ));
                    }
                    None => return Err(refuse(Path::Key(&credit_at, "credit_id"), "is missing")),
                }
                id_value(credit.get("id"), Path::Key(&credit_at, "id"))?;
                let lead = vec![Sql::Integer(id), Sql::Text(kind.to_owned()), int(ord)];
                b.object(&spec::CREDIT, lead, credit, credit_at, &[])?;
            }
        }
        // A credit_id listed twice is one row of `credit` (its key): the lists are kept whole
        // in `extra` too, so that the record still comes back exactly.
        let credits_rows = b.rows.iter().filter(|(t, _)| t.name == spec::CREDIT.name);
        if credit_listed_twice(credits_rows) {
            for kind in ["cast", "crew"] {
                if let Some(list) = credits.get(kind) {
                    put(&mut extra, &format!("credits.{kind}"), list.clone());
                }
            }
        }
    }
    if let Some(keywords) = wrapper(map, "keywords", root)? {
        let at = Path::Key(&root, "keywords");
        wrapper_extra(keywords, "keywords", &["keywords"], &mut extra);
        for (ord, k) in objects(keywords, "keywords", at)?.into_iter().enumerate() {
            let k_at = Path::Index(&Path::Key(&at, "keywords"), ord);
            let keyword = b.entity(&spec::KEYWORD, k, k_at, "id", &[])?;
            b.link(
                &spec::MOVIE_KEYWORD,
                vec![Sql::Integer(id), int(ord), Sql::Integer(keyword)],
            );
        }
    }
    if let Some(dates) = wrapper(map, "release_dates", root)? {
        let at = Path::Key(&root, "release_dates");
        wrapper_extra(dates, "release_dates", &["results"], &mut extra);
        let mut ord = 0;
        let groups = objects(dates, "results", at)?;
        // Country groups that the rows cannot say again keep the whole list in `extra` too: a
        // group without dates or without its country key, with keys besides those two, or of
        // the same country as the group before it (the rows would make them one group).
        let odd = |i: usize| {
            let group = groups[i];
            group
                .keys()
                .any(|k| k != "iso_3166_1" && k != "release_dates")
                || !group.contains_key("iso_3166_1")
                || (i > 0 && groups[i - 1].get("iso_3166_1") == group.get("iso_3166_1"))
                || group
                    .get("release_dates")
                    .and_then(Value::as_array)
                    .is_none_or(Vec::is_empty)
        };
        if (0..groups.len()).any(odd) {
            put(
                &mut extra,
                "release_dates.results",
                dates["results"].clone(),
            );
        }
        for (i, group) in groups.into_iter().enumerate() {
            let group_at = Path::Index(&Path::Key(&at, "results"), i);
            let country = match group.get("iso_3166_1") {
                Some(Value::String(c)) => Sql::Text(c.clone()),
                Some(Value::Null) | None => Sql::Null,
                Some(other) => {
                    return Err(expected(
                        Path::Key(&group_at, "iso_3166_1"),
                        "a string",
                        other,
                    ));
                }
            };
            for (j, date) in objects(group, "release_dates", group_at)?
                .into_iter()
                .enumerate()
            {
                let date_at = Path::Index(&Path::Key(&group_at, "release_dates"), j);
                let lead = vec![Sql::Integer(id), int(ord), country.clone()];
                b.object(&spec::RELEASE_DATE, lead, date, date_at, &[])?;
                ord += 1;
            }
        }
    }
    for (append, list, table) in [
        ("alternative_titles", "titles", &spec::ALTERNATIVE_TITLE),
        ("translations", "translations", &spec::TRANSLATION),
        ("videos", "results", &spec::VIDEO),
    ] {
        if let Some(w) = wrapper(map, append, root)? {
            let at = Path::Key(&root, append);
            wrapper_extra(w, append, &[list], &mut extra);
            for (ord, item) in objects(w, list, at)?.into_iter().enumerate() {
                let item_at = Path::Index(&Path::Key(&at, list), ord);
                b.object(table, vec![Sql::Integer(id), int(ord)], item, item_at, &[])?;
            }
        }
    }
    if let Some(images) = wrapper(map, "images", root)? {
        let at = Path::Key(&root, "images");
        wrapper_extra(images, "images", spec::MOVIE_IMAGE_KINDS, &mut extra);
        for kind in spec::MOVIE_IMAGE_KINDS {
            for (ord, image) in objects(images, kind, at)?.into_iter().enumerate() {
                let image_at = Path::Index(&Path::Key(&at, kind), ord);
                let lead = vec![Sql::Integer(id), Sql::Text((*kind).to_owned()), int(ord)];
                b.object(&spec::IMAGE, lead, image, image_at, &[])?;
            }
        }
    }
    if let Some(watch) = wrapper(map, "watch/providers", root)? {
        let at = Path::Key(&root, "watch/providers");
        wrapper_extra(watch, "watch/providers", &["results"], &mut extra);
        if let Some(results) = wrapper(watch, "results", at)? {
            let results_at = Path::Key(&at, "results");
            for (country, listing) in results {
                let country_at = Path::Key(&results_at, country);
                let Value::Object(listing) = listing else {
                    return Err(expected(country_at, "an object", listing));
                };
                watch_country(&mut b, country, listing, country_at, &mut extra)?;
            }
        }
    }

    finish(table, &mut row, extra, absent);
    b.rows.insert(0, (table, row));
    Ok(Rows {
        id: b.id,
        rows: b.rows,
    })
}

/// One country of `watch/providers.results`: its link, and a list per kind of offer (any key
/// holding a list is a kind, so a kind TMDB adds is kept too).
fn watch_country(
    b: &mut Builder,
    country: &str,
    listing: &Map<String, Value>,
    at: Path<'_>,
    extra: &mut Map<String, Value>,
) -> Result<(), Refusal> {
    let id = b.id;
    if listing.is_empty() {
        // A country with nothing listed has no row to say it.
        listing_extra(extra, country);
    }
    for (key, value) in listing {
        match (key.as_str(), value) {
            ("link", Value::String(_) | Value::Null) => {
                let link = match value {
                    Value::String(s) => Sql::Text(s.clone()),
                    _ => Sql::Null,
                };
                b.link(
                    &spec::WATCH_LINK,
                    vec![Sql::Integer(id), Sql::Text(country.to_owned()), link],
                );
            }
            (kind, Value::Array(offers)) if !offers.is_empty() => {
                for (ord, offer) in objects(listing, kind, at)?.into_iter().enumerate() {
                    let offer_at = Path::Index(&Path::Key(&at, kind), ord);
                    let handled = ["display_priority"];
                    let provider = b.entity(
                        &spec::WATCH_PROVIDER,
                        offer,
                        offer_at,
                        "provider_id",
                        &handled,
                    )?;
                    let priority = match offer.get("display_priority") {
                        None | Some(Value::Null) => Sql::Null,
                        Some(v) => {
                            let field = &spec::MOVIE_WATCH_PROVIDER.fields[0];
                            column_value(field, v, Path::Key(&offer_at, "display_priority"))?.0
                        }
                    };
                    b.link(
                        &spec::MOVIE_WATCH_PROVIDER,
                        vec![
                            Sql::Integer(id),
                            Sql::Text(country.to_owned()),
                            Sql::Text(kind.to_owned()),
                            int(ord),
                            Sql::Integer(provider),
                            priority,
                        ],
                    );
                }
            }
            // Anything else, an empty list of offers too (no row can say it), is kept in
            // `extra` where it was.
            (key, value) => {
                listing_extra(extra, country).insert(key.to_owned(), value.clone());
            }
        }
    }
    Ok(())
}

/// Whether a `credit_id` is listed twice among a movie's credit rows: one row of `credit` (its
/// key) then stands for both, so the lists are kept whole in `extra` too.
pub(super) fn credit_listed_twice<'r>(
    rows: impl Iterator<Item = &'r (&'static Table, Vec<Sql>)>,
) -> bool {
    let at = spec::CREDIT.lead.len()
        + spec::CREDIT
            .fields
            .iter()
            .position(|f| f.key == "credit_id")
            .expect("credit_id is a field of credit");
    let mut ids: Vec<&str> = rows
        .filter_map(|(_, row)| match &row[at] {
            Sql::Text(credit_id) => Some(credit_id.as_str()),
            _ => None,
        })
        .collect();
    ids.sort_unstable();
    ids.windows(2).any(|pair| pair[0] == pair[1])
}

/// The object kept in `extra` for the listing of `country`: `watch/providers.results.{country}`.
fn listing_extra<'e>(
    extra: &'e mut Map<String, Value>,
    country: &str,
) -> &'e mut Map<String, Value> {
    fn object<'m>(map: &'m mut Map<String, Value>, key: &str) -> &'m mut Map<String, Value> {
        map.entry(key)
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .expect("an object")
    }
    let watch = object(extra, "watch/providers");
    let results = object(watch, "results");
    object(results, country)
}

/// Flattens a person record; `source_hash` is stored with it.
pub fn person(map: &Map<String, Value>, source_hash: i64) -> Result<Rows, Refusal> {
    let root = Path::Root;
    let id = record_id(map)?;
    let mut b = Builder {
        id,
        rows: Vec::new(),
    };
    let table = &spec::PERSON;
    let mut handled: Vec<&str> = vec!["id", "external_ids.imdb_id"];
    handled.extend(table.nested.iter().filter(|key| !key.contains('.')));
    let mut row = vec![Sql::Integer(id), Sql::Integer(source_hash)];
    let mut extra = Map::new();
    let mut absent = read_fields(table, map, root, &handled, &mut row, &mut extra)?;
    for key in table.nested {
        if !key.contains('.') && !map.contains_key(*key) {
            absent |= 1 << table.nested_bit(key);
        }
    }
    let same_imdb = match map.get("external_ids") {
        Some(Value::Object(ext)) => match ext.get("imdb_id") {
            Some(v) if Some(v) == map.get("imdb_id") => true,
            Some(v) => {
                put(&mut extra, "external_ids.imdb_id", v.clone());
                false
            }
            None => false,
        },
        _ => false,
    };
    if !same_imdb {
        absent |= 1 << table.nested_bit("external_ids.imdb_id");
    }
    if let Some(w) = wrapper(map, "translations", root)? {
        let at = Path::Key(&root, "translations");
        wrapper_extra(w, "translations", &["translations"], &mut extra);
        for (ord, item) in objects(w, "translations", at)?.into_iter().enumerate() {
            let item_at = Path::Index(&Path::Key(&at, "translations"), ord);
            let lead = vec![Sql::Integer(id), int(ord)];
            b.object(&spec::PERSON_TRANSLATION, lead, item, item_at, &[])?;
        }
    }
    if let Some(w) = wrapper(map, "images", root)? {
        let at = Path::Key(&root, "images");
        wrapper_extra(w, "images", &["profiles"], &mut extra);
        for (ord, item) in objects(w, "profiles", at)?.into_iter().enumerate() {
            let item_at = Path::Index(&Path::Key(&at, "profiles"), ord);
            let lead = vec![Sql::Integer(id), int(ord)];
            b.object(&spec::PERSON_IMAGE, lead, item, item_at, &[])?;
        }
    }
    finish(table, &mut row, extra, absent);
    b.rows.insert(0, (table, row));
    Ok(Rows {
        id: b.id,
        rows: b.rows,
    })
}

/// A genre's name is the one value its table cannot do without.
fn genre_name(map: &Map<String, Value>, at: Path<'_>) -> Result<(), Refusal> {
    match map.get("name") {
        Some(Value::String(_)) => Ok(()),
        Some(other) => Err(expected(Path::Key(&at, "name"), "a string", other)),
        None => Err(refuse(Path::Key(&at, "name"), "is missing")),
    }
}

/// A genre line of `--kind genres` (`{"id","name"}` and whatever TMDB adds).
pub fn genre(map: &Map<String, Value>) -> Result<Rows, Refusal> {
    let mut b = Builder {
        id: record_id(map)?,
        rows: Vec::new(),
    };
    genre_name(map, Path::Root)?;
    b.entity(&spec::GENRE, map, Path::Root, "id", &[])?;
    Ok(Rows {
        id: b.id,
        rows: b.rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extra_of(rows: &Rows) -> Value {
        let (table, row) = &rows.rows[0];
        let at = table.columns().position(|c| c == "extra").unwrap();
        match &row[at] {
            Sql::Text(text) => serde_json::from_str(text).unwrap(),
            _ => Value::Null,
        }
    }

    #[test]
    fn unknown_keys_at_every_level_go_to_extra() {
        let line = serde_json::json!({
            "id": 1, "title": "x", "imdb_id": "tt1", "new_field": 7,
            "external_ids": {"id": 1, "imdb_id": "tt2", "wikidata_id": "Q1"},
            "credits": {"id": 1, "cast": [], "crew": []},
        });
        let rows = movie(line.as_object().unwrap(), 0).unwrap();
        assert_eq!(
            extra_of(&rows),
            serde_json::json!({
                "new_field": 7,
                "external_ids": {"id": 1, "imdb_id": "tt2"},
                "credits": {"id": 1},
            })
        );
    }
}
