//! TMDB's JSON of a movie or person, rebuilt from the mirror's tables: for a record loaded from
//! a line, the body equals that line (key order aside, numbers by value), for the appends the
//! line had and the caller asks for.

use serde_json::{Map, Number, Value};

use super::spec::{self, Table, Ty};
use crate::read::{self, Param, Read, Result, Row, Val};

/// Every `append_to_response` name TMDB knows for movies. An unknown key of a record kept in
/// `extra` under one of these names is an append: it is answered only when asked for, like the
/// appends that have tables.
const TMDB_MOVIE_APPENDS: &[&str] = &[
    "account_states",
    "alternative_titles",
    "changes",
    "credits",
    "external_ids",
    "images",
    "keywords",
    "lists",
    "recommendations",
    "release_dates",
    "reviews",
    "similar",
    "translations",
    "videos",
    "watch/providers",
];

/// The same for people.
const TMDB_PERSON_APPENDS: &[&str] = &[
    "changes",
    "combined_credits",
    "external_ids",
    "images",
    "latest",
    "movie_credits",
    "tagged_images",
    "translations",
    "tv_credits",
];

/// The JSON value of column `i` of `row`, read as type `ty`.
fn json(row: &Row<'_>, i: usize, ty: Ty) -> Result<Value> {
    Ok(match (row.get(i)?, ty) {
        (Val::Null, _) => Value::Null,
        (Val::Int(n), Ty::Bool) => Value::Bool(n != 0),
        (Val::Int(n), Ty::Real) => Number::from_f64(n as f64).map_or(Value::Null, Value::Number),
        (Val::Int(n), _) => Value::from(n),
        (Val::Real(x), _) => Number::from_f64(x).map_or(Value::Null, Value::Number),
        (Val::Text(t), Ty::Strings) => serde_json::from_slice(t).unwrap_or(Value::Null),
        (Val::Text(t), _) => Value::String(read::owned_text(t)),
    })
}

/// The `extra` object at column `i` (empty when NULL).
fn extra(row: &Row<'_>, i: usize) -> Result<Map<String, Value>> {
    Ok(match row.get(i)? {
        Val::Text(t) => match serde_json::from_slice(t) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        },
        _ => Map::new(),
    })
}

/// Merges `extra` into `target`: objects key by key, anything else replaces.
fn merge(target: &mut Map<String, Value>, extra: Map<String, Value>) {
    for (key, value) in extra {
        match (target.get_mut(&key), value) {
            (Some(Value::Object(old)), Value::Object(new)) => merge(old, new),
            (_, value) => {
                target.insert(key, value);
            }
        }
    }
}

/// The SELECT list of `table`'s fields, then `extra` and `absent` where it has them.
fn select_list(table: &Table) -> String {
    let mut columns: Vec<&str> = table.fields.iter().map(|f| f.column).collect();
    if table.extra {
        columns.push("extra");
    }
    if table.absent {
        columns.push("absent");
    }
    columns.join(", ")
}

/// Builds the object of `table` from `row`, whose fields start at column `at`, and returns
/// it with the row's `absent` bits. A sub-object of dotted fields is made when `with_sub` says
/// its outer key belongs in the object. `extra` is merged in when `with_extra`; a record's own
/// is merged by the caller, last, after the parts that come from other tables.
fn object(
    table: &Table,
    row: &Row<'_>,
    at: usize,
    with_sub: &dyn Fn(&str) -> bool,
    with_extra: bool,
) -> Result<(Map<String, Value>, u64)> {
    let n = table.fields.len();
    let absent = if table.absent {
        row.int(at + n + usize::from(table.extra))?.unwrap_or(0) as u64
    } else {
        0
    };
    let mut map = Map::new();
    for (bit, field) in table.fields.iter().enumerate() {
        let (outer, inner) = field.split();
        let target = match outer {
            None => &mut map,
            Some(outer) if with_sub(outer) => map
                .entry(outer)
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("a sub-object"),
            Some(_) => continue,
        };
        if absent & (1 << bit) == 0 {
            target.insert(inner.to_owned(), json(row, at + bit, field.ty)?);
        }
    }
    if table.extra && with_extra {
        merge(&mut map, extra(row, at + n)?);
    }
    Ok((map, absent))
}

/// A child row: the values of the lead columns asked for, and the object.
type ChildRow = (Vec<Value>, Map<String, Value>);

/// The rows of a child `table` of record `id`, as objects in order. `lead` names the lead
/// columns to read before the fields (their values come first in the returned vector).
fn children(
    db: &dyn Read,
    table: &Table,
    id: i64,
    lead: &[&str],
    order: &str,
) -> Result<Vec<ChildRow>> {
    let mut columns = lead.join(", ");
    if !lead.is_empty() {
        columns.push_str(", ");
    }
    columns.push_str(&select_list(table));
    let sql = format!(
        "SELECT {columns} FROM {} WHERE {} = ?1 ORDER BY {order}",
        table.name, table.lead[0]
    );
    read::rows(db, &sql, &[Param::Int(id)], |row| {
        let leads = (0..lead.len())
            .map(|i| json(row, i, Ty::Text))
            .collect::<Result<Vec<_>>>()?;
        let (map, _) = object(table, row, lead.len(), &|_| true, true)?;
        Ok((leads, map))
    })
}

/// The objects of a list of entities (`genres`, `production_companies`, `keywords`) linked
/// to movie `id` through `link`, in order: the entity's id, fields and extra.
fn entities(db: &dyn Read, link: &Table, entity: &Table, id: i64) -> Result<Vec<Value>> {
    let entity_column = link.lead[2];
    let fields = entity
        .fields
        .iter()
        .map(|f| format!("e.{}", f.column))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT l.{entity_column}, {fields}, e.extra FROM {} l LEFT JOIN {} e ON e.id = l.{entity_column}
         WHERE l.movie_id = ?1 ORDER BY l.ord",
        link.name, entity.name
    );
    read::rows(db, &sql, &[Param::Int(id)], |row| {
        let (mut map, _) = object(entity, row, 1, &|_| true, true)?;
        map.insert("id".to_owned(), json(row, 0, Ty::Int)?);
        Ok(Value::Object(map))
    })
}

/// Splits an `append_to_response` value into names.
pub fn appends(list: &str) -> Vec<&str> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// The movie `id` as TMDB's `/movie/{id}?append_to_response=...` body, with the appends in
/// `wanted` that the mirror holds for it; None when the mirror has no such movie.
pub fn movie(db: &dyn Read, id: i64, wanted: &[&str]) -> Result<Option<Value>> {
    let table = &spec::MOVIE;
    let sql = format!(
        "SELECT collection_id, {} FROM movie WHERE id = ?1",
        select_list(table)
    );
    let found = read::first(db, &sql, &[Param::Int(id)], |row| {
        let collection = row.int(0)?;
        let absent_at = 1 + table.fields.len() + 1;
        let absent = row.int(absent_at)?.unwrap_or(0) as u64;
        let has = |key: &str| absent & (1 << table.nested_bit(key)) == 0;
        let with_sub = |outer: &str| has(outer) && wanted.contains(&outer);
        let (map, _) = object(table, row, 1, &with_sub, false)?;
        let extra = extra(row, 1 + table.fields.len())?;
        Ok((collection, map, extra, absent))
    })?;
    let Some((collection, mut map, extra, absent)) = found else {
        return Ok(None);
    };
    let has = |key: &str| absent & (1 << table.nested_bit(key)) == 0;
    let asked = |key: &str| has(key) && wanted.contains(&key);
    map.insert("id".to_owned(), Value::from(id));

    if has("belongs_to_collection") {
        let value = match collection {
            None => Value::Null,
            Some(cid) => collection_object(db, cid)?,
        };
        map.insert("belongs_to_collection".to_owned(), value);
    }
    if has("genres") {
        let genres = entities(db, &spec::MOVIE_GENRE, &spec::GENRE, id)?;
        map.insert("genres".to_owned(), Value::Array(genres));
    }
    if has("production_companies") {
        let companies = entities(db, &spec::MOVIE_COMPANY, &spec::COMPANY, id)?;
        map.insert("production_companies".to_owned(), Value::Array(companies));
    }
    for (key, table) in [
        ("production_countries", &spec::MOVIE_COUNTRY),
        ("spoken_languages", &spec::MOVIE_LANGUAGE),
    ] {
        if has(key) {
            let list = objects(children(db, table, id, &[], "ord")?);
            map.insert(key.to_owned(), Value::Array(list));
        }
    }
    if asked("external_ids") {
        external_ids(&mut map, has("external_ids.imdb_id"));
    }
    if asked("credits") {
        let rows = children(db, &spec::CREDIT, id, &["kind"], "kind, ord")?;
        let (mut cast, mut crew) = (Vec::new(), Vec::new());
        for (lead, credit) in rows {
            match lead[0].as_str() {
                Some("cast") => cast.push(Value::Object(credit)),
                _ => crew.push(Value::Object(credit)),
            }
        }
        map.insert("credits".to_owned(), wrap([("cast", cast), ("crew", crew)]));
    }
    if asked("keywords") {
        let keywords = entities(db, &spec::MOVIE_KEYWORD, &spec::KEYWORD, id)?;
        map.insert("keywords".to_owned(), wrap([("keywords", keywords)]));
    }
    if asked("release_dates") {
        let rows = children(db, &spec::RELEASE_DATE, id, &["iso_3166_1"], "ord")?;
        let mut results: Vec<Value> = Vec::new();
        let mut current: Option<(Value, Vec<Value>)> = None;
        for (lead, date) in rows {
            let country = lead.into_iter().next().unwrap_or(Value::Null);
            match &mut current {
                Some((c, dates)) if *c == country => dates.push(Value::Object(date)),
                _ => {
                    if let Some((c, dates)) = current.take() {
                        results.push(release_group(c, dates));
                    }
                    current = Some((country, vec![Value::Object(date)]));
                }
            }
        }
        if let Some((c, dates)) = current {
            results.push(release_group(c, dates));
        }
        map.insert("release_dates".to_owned(), wrap([("results", results)]));
    }
    for (append, list, table) in [
        ("alternative_titles", "titles", &spec::ALTERNATIVE_TITLE),
        ("translations", "translations", &spec::TRANSLATION),
        ("videos", "results", &spec::VIDEO),
    ] {
        if asked(append) {
            let items = objects(children(db, table, id, &[], "ord")?);
            map.insert(append.to_owned(), wrap([(list, items)]));
        }
    }
    if asked("images") {
        let rows = children(db, &spec::IMAGE, id, &["kind"], "kind, ord")?;
        let mut lists: Vec<(&str, Vec<Value>)> = spec::MOVIE_IMAGE_KINDS
            .iter()
            .map(|k| (*k, Vec::new()))
            .collect();
        for (lead, image) in rows {
            let kind = lead[0].as_str().unwrap_or_default();
            if let Some((_, list)) = lists.iter_mut().find(|(k, _)| *k == kind) {
                list.push(Value::Object(image));
            }
        }
        map.insert("images".to_owned(), wrap(lists));
    }
    if asked("watch/providers") {
        map.insert("watch/providers".to_owned(), watch_providers(db, id)?);
    }

    merge(
        &mut map,
        answered(
            extra,
            spec::MOVIE_APPENDS,
            TMDB_MOVIE_APPENDS,
            &asked,
            wanted,
        ),
    );
    Ok(Some(Value::Object(map)))
}

/// Completes the `external_ids` object of a record: there even when none of its fields came
/// back, and with the record's `imdb_id` when the two were the same.
fn external_ids(map: &mut Map<String, Value>, same_imdb: bool) {
    let imdb = map.get("imdb_id").cloned().unwrap_or(Value::Null);
    let ext = map
        .entry("external_ids")
        .or_insert_with(|| Value::Object(Map::new()));
    if let (Value::Object(ext), true) = (ext, same_imdb) {
        ext.insert("imdb_id".to_owned(), imdb);
    }
}

/// What of a record's `extra` the answer holds: a key that is no append always; what an append
/// with tables kept (its wrapper's unknown keys) when that append is answered; an append with
/// no table when it is asked for.
fn answered(
    mut extra: Map<String, Value>,
    with_tables: &[&str],
    all_appends: &[&str],
    asked: &dyn Fn(&str) -> bool,
    wanted: &[&str],
) -> Map<String, Value> {
    extra.retain(|key, _| {
        if with_tables.contains(&key.as_str()) {
            asked(key)
        } else if all_appends.contains(&key.as_str()) {
            wanted.contains(&key.as_str())
        } else {
            true
        }
    });
    extra
}

fn objects(rows: Vec<ChildRow>) -> Vec<Value> {
    rows.into_iter().map(|(_, m)| Value::Object(m)).collect()
}

fn wrap<'a>(lists: impl IntoIterator<Item = (&'a str, Vec<Value>)>) -> Value {
    let mut map = Map::new();
    for (key, list) in lists {
        map.insert(key.to_owned(), Value::Array(list));
    }
    Value::Object(map)
}

fn release_group(country: Value, dates: Vec<Value>) -> Value {
    let mut map = Map::new();
    map.insert("iso_3166_1".to_owned(), country);
    map.insert("release_dates".to_owned(), Value::Array(dates));
    Value::Object(map)
}

fn collection_object(db: &dyn Read, cid: i64) -> Result<Value> {
    let table = &spec::COLLECTION;
    let sql = format!(
        "SELECT {} FROM collection WHERE id = ?1",
        select_list(table)
    );
    let found = read::first(db, &sql, &[Param::Int(cid)], |row| {
        Ok(object(table, row, 0, &|_| true, true)?.0)
    })?;
    let mut map = found.unwrap_or_default();
    map.insert("id".to_owned(), Value::from(cid));
    Ok(Value::Object(map))
}

fn watch_providers(db: &dyn Read, id: i64) -> Result<Value> {
    let mut results = Map::new();
    let rows = read::rows(
        db,
        "SELECT iso_3166_1, link FROM watch_link WHERE movie_id = ?1 ORDER BY iso_3166_1",
        &[Param::Int(id)],
        |row| Ok((row.text(0)?.unwrap_or_default(), json(row, 1, Ty::Text)?)),
    )?;
    for (country, link) in rows {
        let mut listing = Map::new();
        listing.insert("link".to_owned(), link);
        results.insert(country, Value::Object(listing));
    }
    let provider = &spec::WATCH_PROVIDER;
    let fields = provider
        .fields
        .iter()
        .map(|f| format!("p.{}", f.column))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT w.iso_3166_1, w.kind, w.provider_id, w.display_priority, {fields}, p.extra
         FROM movie_watch_provider w LEFT JOIN watch_provider p ON p.id = w.provider_id
         WHERE w.movie_id = ?1 ORDER BY w.iso_3166_1, w.kind, w.ord"
    );
    let rows = read::rows(db, &sql, &[Param::Int(id)], |row| {
        let country = row.text(0)?.unwrap_or_default();
        let kind = row.text(1)?.unwrap_or_default();
        let (mut offer, _) = object(provider, row, 4, &|_| true, true)?;
        offer.insert("provider_id".to_owned(), json(row, 2, Ty::Int)?);
        offer.insert("display_priority".to_owned(), json(row, 3, Ty::Int)?);
        Ok((country, kind, offer))
    })?;
    for (country, kind, offer) in rows {
        let listing = results
            .entry(country)
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .expect("an object");
        listing
            .entry(kind)
            .or_insert_with(|| Value::Array(Vec::new()))
            .as_array_mut()
            .expect("an array")
            .push(Value::Object(offer));
    }
    let mut map = Map::new();
    map.insert("results".to_owned(), Value::Object(results));
    Ok(Value::Object(map))
}

/// The person `id` as TMDB's `/person/{id}?append_to_response=...` body, with the appends in
/// `wanted` that the mirror holds for them; None when the mirror has no such person.
pub fn person(db: &dyn Read, id: i64, wanted: &[&str]) -> Result<Option<Value>> {
    let table = &spec::PERSON;
    let sql = format!("SELECT {} FROM people WHERE id = ?1", select_list(table));
    let found = read::first(db, &sql, &[Param::Int(id)], |row| {
        let absent = row.int(table.fields.len() + 1)?.unwrap_or(0) as u64;
        let has = |key: &str| absent & (1 << table.nested_bit(key)) == 0;
        let with_sub = |outer: &str| has(outer) && wanted.contains(&outer);
        let (map, _) = object(table, row, 0, &with_sub, false)?;
        Ok((map, extra(row, table.fields.len())?, absent))
    })?;
    let Some((mut map, extra, absent)) = found else {
        return Ok(None);
    };
    let has = |key: &str| absent & (1 << table.nested_bit(key)) == 0;
    let asked = |key: &str| has(key) && wanted.contains(&key);
    map.insert("id".to_owned(), Value::from(id));
    if asked("external_ids") {
        external_ids(&mut map, has("external_ids.imdb_id"));
    }
    if asked("translations") {
        let items = objects(children(db, &spec::PERSON_TRANSLATION, id, &[], "ord")?);
        map.insert("translations".to_owned(), wrap([("translations", items)]));
    }
    if asked("images") {
        let items = objects(children(db, &spec::PERSON_IMAGE, id, &[], "ord")?);
        map.insert("images".to_owned(), wrap([("profiles", items)]));
    }
    merge(
        &mut map,
        answered(
            extra,
            spec::PERSON_APPENDS,
            TMDB_PERSON_APPENDS,
            &asked,
            wanted,
        ),
    );
    Ok(Some(Value::Object(map)))
}
