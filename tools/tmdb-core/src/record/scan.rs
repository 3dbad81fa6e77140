//! The movie and person flattenings of [`flatten`], read straight from the line's bytes.
//!
//! `flatten` reads a record from a tree of JSON values: every object of the line becomes a map
//! and every string an allocation before the first row is built, and building and dropping
//! that tree was half of a movie load's parsing. This module walks the line once with
//! serde_json's own parser (so numbers and strings are read exactly as the tree reads them),
//! driven by `spec`: each field goes straight into its column, and only what the description
//! does not know becomes a JSON value, for `extra`.
//!
//! It gives up (`None`) on anything out of the ordinary: a value of the wrong type, a missing
//! key a row cannot do without, a key given twice, JSON that is not valid. The caller then
//! flattens the line with `flatten`, which names the field that was wrong, or gives the rows of
//! a line that was odd but valid. The rows of a line therefore never depend on which of the two
//! read it (tests/record.rs compares them on every sim record and every capture), and a refused
//! line is refused with the same words.

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use foldhash::HashMap;
use rusqlite::types::Value as Sql;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::flatten::{self, Rows};
use super::spec::{self, Nulls, Role, Table, Ty};

type Row = (&'static Table, Vec<Sql>);

/// The rows of a movie line (`source_hash` stored with it), or `None` when `flatten::movie`
/// must read it (see the module's comment). Some rows are also a promise that the line is a
/// JSON object with a `title`, which `flatten::object` and the kind checks need.
pub fn movie(line: &[u8], source_hash: i64) -> Option<Rows> {
    scan(line, MovieSeed { source_hash })
}

/// The rows of a person line (`source_hash` stored with it), or `None` when `flatten::person`
/// must read it. Some rows are also a promise that the line is a JSON object with a `name`
/// and none of the keys in `foreign`: the keys that make a line look like another kind's, which
/// the caller's kind check decides from the tree.
pub fn person(line: &[u8], source_hash: i64, foreign: &[&str]) -> Option<Rows> {
    scan(
        line,
        PersonSeed {
            source_hash,
            foreign,
        },
    )
}

/// The rows `seed` reads from the whole line, or `None` when it gave up.
fn scan<'de, S: DeserializeSeed<'de, Value = Rows>>(line: &'de [u8], seed: S) -> Option<Rows> {
    // One check of the whole line (long runs of ASCII go fast) rather than one per string.
    let line = std::str::from_utf8(line).ok()?;
    let mut de = serde_json::Deserializer::from_str(line);
    let rows = seed.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(rows)
}

/// Leaves the line to `flatten`.
fn give_up<E: de::Error>() -> E {
    E::custom("left to the value tree")
}

/// Where a key of a table's object goes.
#[derive(Clone, Copy)]
enum Slot {
    /// The field at this position of `table.fields`.
    Field(usize),
    /// The sub-object at this position of `Lookup::outers` (`data`, `external_ids`).
    Outer(usize),
}

/// A table's fields by JSON key.
struct Lookup {
    top: HashMap<&'static str, Slot>,
    /// Each sub-object's key, and its fields: (key inside it, position in `table.fields`).
    outers: Vec<(&'static str, Vec<(&'static str, usize)>)>,
}

fn lookup(table: &Table) -> &'static Lookup {
    static ALL: OnceLock<HashMap<&'static str, Lookup>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        spec::TABLES
            .iter()
            .map(|table| {
                let mut top = HashMap::default();
                let mut outers: Vec<(&'static str, Vec<(&'static str, usize)>)> = Vec::new();
                for (at, field) in table.fields.iter().enumerate() {
                    match field.split() {
                        (None, key) => {
                            top.insert(key, Slot::Field(at));
                        }
                        (Some(outer), inner) => {
                            let j = match outers.iter().position(|(key, _)| *key == outer) {
                                Some(j) => j,
                                None => {
                                    outers.push((outer, Vec::new()));
                                    top.insert(outer, Slot::Outer(outers.len() - 1));
                                    outers.len() - 1
                                }
                            };
                            outers[j].1.push((inner, at));
                        }
                    }
                }
                (table.name, Lookup { top, outers })
            })
            .collect()
    });
    &all[table.name]
}

/// An object key, borrowed from the line unless it had escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// A field's value as its column stores it (`flatten::column_value`); `None` for a null.
struct Column(Ty);

impl<'de> DeserializeSeed<'de> for Column {
    type Value = Option<Sql>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Column {
    type Value = Option<Sql>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {:?}", self.0)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        match self.0 {
            Ty::Bool => Ok(Some(Sql::Integer(i64::from(v)))),
            _ => Err(give_up()),
        }
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        match self.0 {
            Ty::Int => Ok(Some(Sql::Integer(v))),
            Ty::Real => Ok(Some(Sql::Real(v as f64))),
            _ => Err(give_up()),
        }
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        match self.0 {
            Ty::Int => i64::try_from(v)
                .map(|v| Some(Sql::Integer(v)))
                .map_err(|_| give_up()),
            Ty::Real => Ok(Some(Sql::Real(v as f64))),
            _ => Err(give_up()),
        }
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        match self.0 {
            Ty::Real => Ok(Some(Sql::Real(v))),
            _ => Err(give_up()),
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match self.0 {
            Ty::Text => Ok(Some(Sql::Text(v.to_owned()))),
            _ => Err(give_up()),
        }
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        match self.0 {
            Ty::Text => Ok(Some(Sql::Text(v))),
            _ => Err(give_up()),
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if self.0 != Ty::Strings {
            return Err(give_up());
        }
        // The list's JSON text, as `Value::to_string` writes it.
        let mut items: Vec<String> = Vec::new();
        while let Some(item) = seq.next_element::<String>()? {
            items.push(item);
        }
        let text = serde_json::to_string(&items).map_err(|_| give_up())?;
        Ok(Some(Sql::Text(text)))
    }
}

/// A positive integer ID that fits SQLite's signed integers (`flatten::id_value`).
struct PositiveId;

impl<'de> DeserializeSeed<'de> for PositiveId {
    type Value = i64;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<i64, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PositiveId {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a positive integer")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v)
            .ok()
            .filter(|&id| id > 0)
            .ok_or_else(give_up)
    }
}

/// A row being read from one JSON object: the caller's lead columns, then a slot per field.
struct Obj {
    table: &'static Table,
    lookup: &'static Lookup,
    row: Vec<Sql>,
    lead: usize,
    /// The fields read (bit i: `table.fields[i]`); one given twice is left to `flatten`.
    seen: u64,
    /// The fields whose null their NOT NULL column cannot hold: kept in `extra`.
    nulls_kept: u64,
    /// The sub-objects read (bit j: `lookup.outers[j]`).
    outers_seen: u64,
    extra: Map<String, Value>,
    /// A root's `external_ids.imdb_id`, when its `external_ids` was an object that had one.
    imdb: Option<Value>,
}

impl Obj {
    fn new(table: &'static Table, lead: Vec<Sql>) -> Obj {
        let mut row = lead;
        let lead = row.len();
        row.reserve_exact(table.fields.len() + 2);
        row.resize(lead + table.fields.len(), Sql::Null);
        Obj {
            table,
            lookup: lookup(table),
            row,
            lead,
            seen: 0,
            nulls_kept: 0,
            outers_seen: 0,
            extra: Map::new(),
            imdb: None,
        }
    }

    /// Reads the value of `key` when it is a field or the sub-object fields come from; false
    /// (and nothing read) when it is neither.
    fn known<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match self.lookup.top.get(key) {
            None => Ok(false),
            Some(&Slot::Field(at)) => {
                let value = map.next_value_seed(Column(self.table.fields[at].ty))?;
                self.set(at, value)?;
                Ok(true)
            }
            Some(&Slot::Outer(j)) => {
                if self.outers_seen & (1 << j) != 0 {
                    return Err(give_up());
                }
                self.outers_seen |= 1 << j;
                map.next_value_seed(Outer { obj: self, at: j })?;
                Ok(true)
            }
        }
    }

    fn set<E: de::Error>(&mut self, at: usize, value: Option<Sql>) -> Result<(), E> {
        if self.seen & (1 << at) != 0 {
            return Err(give_up());
        }
        self.seen |= 1 << at;
        self.row[self.lead + at] = match (value, self.table.fields[at].nulls) {
            (Some(value), _) => value,
            (None, Nulls::Column) => Sql::Null,
            (None, Nulls::Extra) => {
                self.nulls_kept |= 1 << at;
                Sql::Integer(0)
            }
        };
        Ok(())
    }

    /// A key the description does not know: its value is kept in `extra`.
    fn unknown<'de, A: MapAccess<'de>>(
        &mut self,
        key: Cow<'de, str>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let value: Value = map.next_value()?;
        if self.extra.contains_key(key.as_ref()) {
            return Err(give_up());
        }
        self.extra.insert(key.into_owned(), value);
        Ok(())
    }

    /// Reads every key of the object: fields, sub-objects, the rest into `extra`.
    fn read_all<'de, A: MapAccess<'de>>(&mut self, map: &mut A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(Key)? {
            if !self.known(&key, map)? {
                self.unknown(key, map)?;
            }
        }
        Ok(())
    }

    /// The finished row, as `flatten` ends one: a missing field is NULL (0 in a NOT NULL
    /// column) with its bit in `absent`, which also gets `more_absent`; then `extra`.
    fn finish(mut self, more_absent: u64) -> Vec<Sql> {
        let mut absent = more_absent;
        for (bit, field) in self.table.fields.iter().enumerate() {
            if self.seen & (1 << bit) == 0 {
                absent |= 1 << bit;
                if field.nulls == Nulls::Extra {
                    self.row[self.lead + bit] = Sql::Integer(0);
                }
            } else if self.nulls_kept & (1 << bit) != 0 {
                flatten::put(&mut self.extra, field.key, Value::Null);
            }
        }
        flatten::finish(self.table, &mut self.row, self.extra, absent);
        self.row
    }
}

/// The sub-object some fields of `obj` come from: null (kept whole in `extra`, its fields
/// absent) or an object whose other keys go to `extra` under its key.
struct Outer<'o> {
    obj: &'o mut Obj,
    at: usize,
}

impl<'de> DeserializeSeed<'de> for Outer<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Outer<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object or null")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        let key = self.obj.lookup.outers[self.at].0;
        self.obj.extra.insert(key.to_owned(), Value::Null);
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let lookup: &'static Lookup = self.obj.lookup;
        let (outer, inners) = &lookup.outers[self.at];
        // A root's `external_ids.imdb_id` repeats its `imdb_id`: the root decides.
        let imdb = self.obj.table.role == Role::Root && *outer == "external_ids";
        while let Some(key) = map.next_key_seed(Key)? {
            if let Some(&(_, at)) = inners.iter().find(|(inner, _)| *inner == key) {
                let value = map.next_value_seed(Column(self.obj.table.fields[at].ty))?;
                self.obj.set(at, value)?;
            } else if imdb && key == "imdb_id" {
                if self.obj.imdb.is_some() {
                    return Err(give_up());
                }
                self.obj.imdb = Some(map.next_value()?);
            } else {
                let value: Value = map.next_value()?;
                put_new(&mut self.obj.extra, outer, key, value)?;
            }
        }
        Ok(())
    }
}

/// Sets `extra[outer][key]`, giving up when it is set already.
fn put_new<E: de::Error>(
    extra: &mut Map<String, Value>,
    outer: &str,
    key: Cow<'_, str>,
    value: Value,
) -> Result<(), E> {
    let sub = extra
        .entry(outer)
        .or_insert_with(|| Value::Object(Map::new()));
    match sub {
        Value::Object(sub) if !sub.contains_key(key.as_ref()) => {
            sub.insert(key.into_owned(), value);
            Ok(())
        }
        _ => Err(give_up()),
    }
}

/// What to make of each object of a list.
trait Each {
    fn object<'de, A: MapAccess<'de>>(&mut self, ord: usize, map: A) -> Result<(), A::Error>;
}

/// A JSON array of objects, each given to `E` with its position.
struct List<'e, E>(&'e mut E);

impl<'de, E: Each> DeserializeSeed<'de> for List<'_, E> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, E: Each> Visitor<'de> for List<'_, E> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of objects")
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        let mut ord = 0;
        while seq
            .next_element_seed(Element {
                each: &mut *self.0,
                ord,
            })?
            .is_some()
        {
            ord += 1;
        }
        Ok(())
    }
}

struct Element<'e, E> {
    each: &'e mut E,
    ord: usize,
}

impl<'de, E: Each> DeserializeSeed<'de> for Element<'_, E> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, E: Each> Visitor<'de> for Element<'_, E> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.each.object(self.ord, map)
    }
}

/// Rows of a child table, one per object; `lead` gives each its lead columns (the record's
/// ID is set when the whole line is read), `check` what its row cannot do without.
struct Children<'r, L> {
    table: &'static Table,
    rows: &'r mut Vec<Row>,
    lead: L,
    check: fn(&[Sql]) -> bool,
}

impl<L: FnMut(usize) -> Vec<Sql>> Each for Children<'_, L> {
    fn object<'de, A: MapAccess<'de>>(&mut self, ord: usize, mut map: A) -> Result<(), A::Error> {
        let mut obj = Obj::new(self.table, (self.lead)(ord));
        obj.read_all(&mut map)?;
        let row = obj.finish(0);
        if !(self.check)(&row) {
            return Err(give_up());
        }
        self.rows.push((self.table, row));
        Ok(())
    }
}

fn any_row(_: &[Sql]) -> bool {
    true
}

/// Rows of a child table led by the record's ID and their position (`ord`).
fn ordered<'r>(
    table: &'static Table,
    rows: &'r mut Vec<Row>,
) -> Children<'r, fn(usize) -> Vec<Sql>> {
    Children {
        table,
        rows,
        lead: |ord| vec![Sql::Integer(0), int(ord)],
        check: any_row,
    }
}

/// A credit's key and its person (`flatten::movie` refuses a credit without them).
fn credit_row(row: &[Sql]) -> bool {
    matches!(row[3], Sql::Text(_)) && matches!(row[4], Sql::Integer(id) if id > 0)
}

/// A shared entity read from an object with its ID under `id_key` (and, for a watch
/// provider's offer, the listing's `display_priority`): its row, its ID and that priority.
struct Entity {
    table: &'static Table,
    id_key: &'static str,
    priority: bool,
}

type EntityRow = (Vec<Sql>, i64, Option<Sql>);

impl<'de> DeserializeSeed<'de> for Entity {
    type Value = EntityRow;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<EntityRow, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Entity {
    type Value = EntityRow;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EntityRow, A::Error> {
        let mut obj = Obj::new(self.table, vec![Sql::Integer(0)]);
        let mut id = None;
        let mut priority: Option<Option<Sql>> = None;
        while let Some(key) = map.next_key_seed(Key)? {
            if obj.known(&key, &mut map)? {
                continue;
            }
            if key == self.id_key {
                if id.replace(map.next_value_seed(PositiveId)?).is_some() {
                    return Err(give_up());
                }
            } else if self.priority && key == "display_priority" {
                if priority
                    .replace(map.next_value_seed(Column(Ty::Int))?)
                    .is_some()
                {
                    return Err(give_up());
                }
            } else {
                obj.unknown(key, &mut map)?;
            }
        }
        let id = id.ok_or_else(give_up)?;
        obj.row[0] = Sql::Integer(id);
        Ok((obj.finish(0), id, priority.flatten()))
    }
}

/// Shared entities in order, each followed by the movie's link to it: `genres`,
/// `production_companies`, `keywords.keywords`.
struct Linked<'r> {
    table: &'static Table,
    link: &'static Table,
    rows: &'r mut Vec<Row>,
}

impl Each for Linked<'_> {
    fn object<'de, A: MapAccess<'de>>(&mut self, ord: usize, map: A) -> Result<(), A::Error> {
        let entity = Entity {
            table: self.table,
            id_key: "id",
            priority: false,
        };
        let (row, id, _) = entity.visit_map(map)?;
        // A genre's name is the one value its table cannot do without.
        if self.table.name == spec::GENRE.name && !matches!(row[1], Sql::Text(_)) {
            return Err(give_up());
        }
        self.rows.push((self.table, row));
        let link = vec![Sql::Integer(0), int(ord), Sql::Integer(id)];
        self.rows.push((self.link, link));
        Ok(())
    }
}

/// `release_dates.results[]`: per country, its dates; `ord` runs over all of them.
struct Groups<'r> {
    rows: &'r mut Vec<Row>,
    ord: usize,
    /// The previous group's country.
    last: Option<Sql>,
}

impl Each for Groups<'_> {
    fn object<'de, A: MapAccess<'de>>(&mut self, _: usize, mut map: A) -> Result<(), A::Error> {
        let start = self.rows.len();
        let mut country: Option<Sql> = None;
        let mut dates_seen = false;
        while let Some(key) = map.next_key_seed(Key)? {
            match key.as_ref() {
                "iso_3166_1" => {
                    let value = map.next_value_seed(Column(Ty::Text))?;
                    if country.replace(value.unwrap_or(Sql::Null)).is_some() {
                        return Err(give_up());
                    }
                }
                "release_dates" => {
                    if std::mem::replace(&mut dates_seen, true) {
                        return Err(give_up());
                    }
                    let base = self.ord;
                    map.next_value_seed(List(&mut Children {
                        table: &spec::RELEASE_DATE,
                        rows: &mut *self.rows,
                        lead: |i| vec![Sql::Integer(0), int(base + i), Sql::Null],
                        check: any_row,
                    }))?;
                    self.ord += self.rows.len() - start;
                }
                // Kept by `flatten` in the record's `extra`.
                _ => return Err(give_up()),
            }
        }
        // What rows cannot say, `flatten` keeps in `extra`: a group without dates or without
        // its country key, or one of the same country as the group before (the rows would
        // make them one group).
        let Some(country) = country else {
            return Err(give_up());
        };
        if self.rows.len() == start || self.last.as_ref() == Some(&country) {
            return Err(give_up());
        }
        self.last = Some(country.clone());
        for (_, row) in &mut self.rows[start..] {
            row[2] = country.clone();
        }
        Ok(())
    }
}

/// The rows of a movie line, gathered by part, in the order `flatten::movie` makes them.
#[derive(Default)]
struct Parts {
    collection: Option<(Vec<Sql>, i64)>,
    genres: Vec<Row>,
    companies: Vec<Row>,
    countries: Vec<Row>,
    languages: Vec<Row>,
    cast: Vec<Row>,
    crew: Vec<Row>,
    keywords: Vec<Row>,
    release_dates: Vec<Row>,
    titles: Vec<Row>,
    translations: Vec<Row>,
    videos: Vec<Row>,
    /// Per `spec::MOVIE_IMAGE_KINDS`.
    images: [Vec<Row>; 3],
    /// Per country of `watch/providers.results`, as read.
    watch: Vec<(String, Vec<Row>)>,
}

/// The appends with a wrapper object, and the keys of it that the mirror reads.
#[derive(Clone, Copy)]
enum Append {
    Credits,
    Keywords,
    ReleaseDates,
    AlternativeTitles,
    Translations,
    Videos,
    Images,
    WatchProviders,
}

impl Append {
    fn of(key: &str) -> Option<Append> {
        Some(match key {
            "credits" => Append::Credits,
            "keywords" => Append::Keywords,
            "release_dates" => Append::ReleaseDates,
            "alternative_titles" => Append::AlternativeTitles,
            "translations" => Append::Translations,
            "videos" => Append::Videos,
            "images" => Append::Images,
            "watch/providers" => Append::WatchProviders,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Append::Credits => "credits",
            Append::Keywords => "keywords",
            Append::ReleaseDates => "release_dates",
            Append::AlternativeTitles => "alternative_titles",
            Append::Translations => "translations",
            Append::Videos => "videos",
            Append::Images => "images",
            Append::WatchProviders => "watch/providers",
        }
    }

    fn lists(self) -> &'static [&'static str] {
        match self {
            Append::Credits => &["cast", "crew"],
            Append::Keywords => &["keywords"],
            Append::ReleaseDates | Append::Videos | Append::WatchProviders => &["results"],
            Append::AlternativeTitles => &["titles"],
            Append::Translations => &["translations"],
            Append::Images => spec::MOVIE_IMAGE_KINDS,
        }
    }
}

/// The lists of an append's wrapper that have a table, each read by its position in the
/// wrapper's list of them.
trait Lists {
    fn list<'de, A: MapAccess<'de>>(&mut self, at: usize, map: &mut A) -> Result<(), A::Error>;
}

/// An append's wrapper (named `name` in the record): the lists of `lists` given to `read`,
/// its other keys into the record's `extra`.
struct Wrapper<'p, R> {
    name: &'p str,
    lists: &'static [&'static str],
    read: &'p mut R,
    extra: &'p mut Map<String, Value>,
}

impl<'de, R: Lists> DeserializeSeed<'de> for Wrapper<'_, R> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, R: Lists> Visitor<'de> for Wrapper<'_, R> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = 0u32;
        while let Some(key) = map.next_key_seed(Key)? {
            let Some(at) = self.lists.iter().position(|list| *list == key) else {
                let value: Value = map.next_value()?;
                put_new(self.extra, self.name, key, value)?;
                continue;
            };
            if seen & (1 << at) != 0 {
                return Err(give_up());
            }
            seen |= 1 << at;
            self.read.list(at, &mut map)?;
        }
        Ok(())
    }
}

/// A wrapper's one list, of one child table (a person's `translations` and `images`).
impl<L: FnMut(usize) -> Vec<Sql>> Lists for Children<'_, L> {
    fn list<'de, A: MapAccess<'de>>(&mut self, _: usize, map: &mut A) -> Result<(), A::Error> {
        map.next_value_seed(List(self))
    }
}

/// A movie's append: its lists into `parts`.
struct MovieLists<'p> {
    append: Append,
    parts: &'p mut Parts,
}

impl Lists for MovieLists<'_> {
    fn list<'de, A: MapAccess<'de>>(&mut self, at: usize, map: &mut A) -> Result<(), A::Error> {
        let p = &mut *self.parts;
        match self.append {
            Append::Credits => {
                let (rows, kind) = match at {
                    0 => (&mut p.cast, "cast"),
                    _ => (&mut p.crew, "crew"),
                };
                map.next_value_seed(List(&mut Children {
                    table: &spec::CREDIT,
                    rows,
                    lead: |ord| vec![Sql::Integer(0), Sql::Text(kind.to_owned()), int(ord)],
                    check: credit_row,
                }))
            }
            Append::Keywords => map.next_value_seed(List(&mut Linked {
                table: &spec::KEYWORD,
                link: &spec::MOVIE_KEYWORD,
                rows: &mut p.keywords,
            })),
            Append::ReleaseDates => map.next_value_seed(List(&mut Groups {
                last: None,
                rows: &mut p.release_dates,
                ord: 0,
            })),
            Append::AlternativeTitles | Append::Translations | Append::Videos => {
                let (table, rows) = match self.append {
                    Append::AlternativeTitles => (&spec::ALTERNATIVE_TITLE, &mut p.titles),
                    Append::Translations => (&spec::TRANSLATION, &mut p.translations),
                    _ => (&spec::VIDEO, &mut p.videos),
                };
                map.next_value_seed(List(&mut ordered(table, rows)))
            }
            Append::Images => {
                let kind = self.append.lists()[at];
                map.next_value_seed(List(&mut Children {
                    table: &spec::IMAGE,
                    rows: &mut p.images[at],
                    lead: |ord| vec![Sql::Integer(0), Sql::Text(kind.to_owned()), int(ord)],
                    check: any_row,
                }))
            }
            Append::WatchProviders => map.next_value_seed(Countries(&mut p.watch)),
        }
    }
}

/// `watch/providers.results`: an object of countries.
struct Countries<'w>(&'w mut Vec<(String, Vec<Row>)>);

impl<'de> DeserializeSeed<'de> for Countries<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Countries<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(country) = map.next_key_seed(Key)? {
            let rows = map.next_value_seed(Listing { country: &country })?;
            self.0.push((country.into_owned(), rows));
        }
        Ok(())
    }
}

/// One country's listing: its `link`, and a list of offers per kind. Anything else (which
/// `flatten` keeps in `extra`) is left to `flatten`.
struct Listing<'c> {
    country: &'c str,
}

impl<'de> DeserializeSeed<'de> for Listing<'_> {
    type Value = Vec<Row>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Row>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Listing<'_> {
    type Value = Vec<Row>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Row>, A::Error> {
        let mut items: Vec<(Cow<'de, str>, Vec<Row>)> = Vec::new();
        while let Some(key) = map.next_key_seed(Key)? {
            let rows = map.next_value_seed(Offers {
                country: self.country,
                key: &key,
            })?;
            items.push((key, rows));
        }
        // A country with nothing listed has no row to say it: `flatten` keeps it in `extra`.
        if items.is_empty() {
            return Err(give_up());
        }
        // In key order, as `flatten` reads the listing's map.
        items.sort_by(|a, b| a.0.cmp(&b.0));
        if items.windows(2).any(|pair| pair[0].0 == pair[1].0) {
            return Err(give_up());
        }
        Ok(items.into_iter().flat_map(|(_, rows)| rows).collect())
    }
}

/// The value of a listing's key: `link` (a string or null), or a list of offers.
struct Offers<'k> {
    country: &'k str,
    key: &'k str,
}

impl Offers<'_> {
    fn link<E: de::Error>(self, link: Sql) -> Result<Vec<Row>, E> {
        if self.key != "link" {
            return Err(give_up());
        }
        let row = vec![Sql::Integer(0), Sql::Text(self.country.to_owned()), link];
        Ok(vec![(&spec::WATCH_LINK, row)])
    }
}

impl<'de> DeserializeSeed<'de> for Offers<'_> {
    type Value = Vec<Row>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Row>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Offers<'_> {
    type Value = Vec<Row>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a link or a list of offers")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Vec<Row>, E> {
        self.link(Sql::Null)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<Row>, E> {
        self.link(Sql::Text(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Vec<Row>, E> {
        self.link(Sql::Text(v))
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Vec<Row>, S::Error> {
        let mut rows = Vec::new();
        let offer = || Entity {
            table: &spec::WATCH_PROVIDER,
            id_key: "provider_id",
            priority: true,
        };
        let mut ord = 0;
        while let Some((row, provider, priority)) = seq.next_element_seed(offer())? {
            rows.push((&spec::WATCH_PROVIDER, row));
            let link = vec![
                Sql::Integer(0),
                Sql::Text(self.country.to_owned()),
                Sql::Text(self.key.to_owned()),
                int(ord),
                Sql::Integer(provider),
                priority.unwrap_or(Sql::Null),
            ];
            rows.push((&spec::MOVIE_WATCH_PROVIDER, link));
            ord += 1;
        }
        // An empty list of offers has no row to say it: `flatten` keeps it in `extra`.
        if rows.is_empty() {
            return Err(give_up());
        }
        Ok(rows)
    }
}

/// `belongs_to_collection`: null, or the collection.
struct Collection<'p>(&'p mut Option<(Vec<Sql>, i64)>);

impl<'de> DeserializeSeed<'de> for Collection<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for Collection<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let entity = Entity {
            table: &spec::COLLECTION,
            id_key: "id",
            priority: false,
        };
        let (row, id, _) = entity.deserialize(d)?;
        *self.0 = Some((row, id));
        Ok(())
    }
}

fn int(i: usize) -> Sql {
    Sql::Integer(i as i64)
}

/// What a record's own object (a movie, a person) must have, and must not, to be read here.
struct Root<'f> {
    table: &'static Table,
    /// The lead columns, the record's ID first (set once read).
    lead: Vec<Sql>,
    /// The field without which the line is not a record of this kind (ndjson-load's
    /// `require`: a movie's `title`, a person's `name`).
    required: &'static str,
    /// Keys that make the line look like another kind's: left to the caller's kind check, as
    /// is a line of only the ID and `required`.
    foreign: &'f [&'f str],
}

impl Root<'_> {
    /// Reads the record's object: its fields and `external_ids` into its row, its `id`, the
    /// rest into `extra`, but for the other keys of `table.nested` (appends, lists, the
    /// collection), which `part` reads (given the record's `extra` for the keys of a wrapper
    /// the mirror does not read). Returns the ID and the finished row.
    fn read<'de, A: MapAccess<'de>>(
        self,
        map: &mut A,
        mut part: impl FnMut(&str, &mut A, &mut Map<String, Value>) -> Result<(), A::Error>,
    ) -> Result<(i64, Vec<Sql>), A::Error> {
        let table = self.table;
        let mut record = Obj::new(table, self.lead);
        let mut id = None;
        // The keys of `table.nested` present (bit i: `table.nested[i]`).
        let mut nested = 0u64;
        let mut keys = 0;
        while let Some(key) = map.next_key_seed(Key)? {
            if self.foreign.contains(&key.as_ref()) {
                return Err(give_up());
            }
            keys += 1;
            let at = table.nested.iter().position(|k| *k == key);
            if let Some(at) = at {
                if nested & (1 << at) != 0 {
                    return Err(give_up());
                }
                nested |= 1 << at;
            }
            if record.known(&key, map)? {
                continue; // a field, or `external_ids`
            }
            if key == "id" {
                if id.replace(map.next_value_seed(PositiveId)?).is_some() {
                    return Err(give_up());
                }
                continue;
            }
            match at {
                None => record.unknown(key, map)?,
                Some(_) => part(&key, map, &mut record.extra)?,
            }
        }
        let id = id.ok_or_else(give_up)?;
        let field = |name: &str| {
            let at = table.fields.iter().position(|f| f.key == name);
            at.expect("a field of the record's table")
        };
        // A line without it is not a record of this kind, and one with nothing else (a genre
        // line has just an id and a name) is left to the caller's kind check too.
        if record.seen & (1 << field(self.required)) == 0 || keys <= 2 {
            return Err(give_up());
        }
        let mut absent = 0u64;
        for (at, key) in table.nested.iter().enumerate() {
            if !key.contains('.') && nested & (1 << at) == 0 {
                absent |= 1 << table.nested_bit(key);
            }
        }
        // external_ids.imdb_id repeats the details' imdb_id: remembered as "the same", or kept.
        let imdb_at = field("imdb_id");
        let imdb = (record.seen & (1 << imdb_at) != 0).then(|| &record.row[record.lead + imdb_at]);
        let same_imdb = match record.imdb.take() {
            Some(ext) => {
                let same = match (&ext, imdb) {
                    (Value::String(ext), Some(Sql::Text(imdb))) => ext == imdb,
                    (Value::Null, Some(Sql::Null)) => true,
                    _ => false,
                };
                if !same {
                    flatten::put(&mut record.extra, "external_ids.imdb_id", ext);
                }
                same
            }
            None => false,
        };
        if !same_imdb {
            absent |= 1 << table.nested_bit("external_ids.imdb_id");
        }
        record.row[0] = Sql::Integer(id);
        Ok((id, record.finish(absent)))
    }
}

/// The record's rows: its own, then `rows` (read before its ID was known) with the ID in the
/// first column of each that hangs off it.
fn record_rows(id: i64, own: Row, rows: impl IntoIterator<Item = Vec<Row>>) -> Rows {
    let rows: Vec<Vec<Row>> = rows.into_iter().collect();
    let mut all = Vec::with_capacity(1 + rows.iter().map(Vec::len).sum::<usize>());
    all.push(own);
    for list in rows {
        all.extend(list);
    }
    for (table, row) in &mut all[1..] {
        if table.role == Role::Child {
            row[0] = Sql::Integer(id);
        }
    }
    Rows { id, rows: all }
}

struct MovieSeed {
    source_hash: i64,
}

impl<'de> DeserializeSeed<'de> for MovieSeed {
    type Value = Rows;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Rows, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MovieSeed {
    type Value = Rows;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a movie object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Rows, A::Error> {
        let table = &spec::MOVIE;
        let mut parts = Parts::default();
        let root = Root {
            table,
            // id, source_hash, collection_id (set below)
            lead: vec![Sql::Integer(0), Sql::Integer(self.source_hash), Sql::Null],
            required: "title",
            // A line with a title is a movie's to ndjson-load's kind check.
            foreign: &[],
        };
        let (id, mut row) = root.read(&mut map, |key, map, extra| {
            let p = &mut parts;
            match key {
                "belongs_to_collection" => map.next_value_seed(Collection(&mut p.collection)),
                "genres" => map.next_value_seed(List(&mut Linked {
                    table: &spec::GENRE,
                    link: &spec::MOVIE_GENRE,
                    rows: &mut p.genres,
                })),
                "production_companies" => map.next_value_seed(List(&mut Linked {
                    table: &spec::COMPANY,
                    link: &spec::MOVIE_COMPANY,
                    rows: &mut p.companies,
                })),
                "production_countries" => {
                    map.next_value_seed(List(&mut ordered(&spec::MOVIE_COUNTRY, &mut p.countries)))
                }
                "spoken_languages" => {
                    map.next_value_seed(List(&mut ordered(&spec::MOVIE_LANGUAGE, &mut p.languages)))
                }
                append => match Append::of(append) {
                    Some(append) => map.next_value_seed(Wrapper {
                        name: append.name(),
                        lists: append.lists(),
                        read: &mut MovieLists { append, parts: p },
                        extra,
                    }),
                    // A top-level key named `external_ids.imdb_id`.
                    None => Err(give_up()),
                },
            }
        })?;
        if let Some((_, collection_id)) = &parts.collection {
            row[2] = Sql::Integer(*collection_id);
        }

        let Parts {
            collection,
            genres,
            companies,
            countries,
            languages,
            cast,
            crew,
            keywords,
            release_dates,
            titles,
            translations,
            videos,
            images,
            mut watch,
        } = parts;
        // A credit_id listed twice: `flatten` keeps the lists whole in `extra`.
        if flatten::credit_listed_twice(cast.iter().chain(&crew)) {
            return Err(give_up());
        }
        // In country order, as `flatten` reads the results' map.
        watch.sort_by(|a, b| a.0.cmp(&b.0));
        if watch.windows(2).any(|pair| pair[0].0 == pair[1].0) {
            return Err(give_up());
        }
        let collection = collection.map(|(row, _)| vec![(&spec::COLLECTION, row)]);
        let lists = [
            genres,
            companies,
            countries,
            languages,
            cast,
            crew,
            keywords,
            release_dates,
            titles,
            translations,
            videos,
        ];
        let rows = collection
            .into_iter()
            .chain(lists)
            .chain(images)
            .chain(watch.into_iter().map(|(_, rows)| rows));
        Ok(record_rows(id, (table, row), rows))
    }
}

struct PersonSeed<'f> {
    source_hash: i64,
    foreign: &'f [&'f str],
}

impl<'de> DeserializeSeed<'de> for PersonSeed<'_> {
    type Value = Rows;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Rows, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PersonSeed<'_> {
    type Value = Rows;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a person object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Rows, A::Error> {
        let table = &spec::PERSON;
        let mut translations = Vec::new();
        let mut images = Vec::new();
        let root = Root {
            table,
            lead: vec![Sql::Integer(0), Sql::Integer(self.source_hash)],
            required: "name",
            foreign: self.foreign,
        };
        let (id, row) = root.read(&mut map, |key, map, extra| {
            // Each append wraps one list, of one child table.
            let (list, child, rows): (&'static [&'static str], _, _) = match key {
                "translations" => (
                    &["translations"],
                    &spec::PERSON_TRANSLATION,
                    &mut translations,
                ),
                "images" => (&["profiles"], &spec::PERSON_IMAGE, &mut images),
                // A top-level key named `external_ids.imdb_id`.
                _ => return Err(give_up()),
            };
            map.next_value_seed(Wrapper {
                name: key,
                lists: list,
                read: &mut ordered(child, rows),
                extra,
            })
        })?;
        // In `flatten::person`'s order, whichever came first in the line.
        Ok(record_rows(id, (table, row), [translations, images]))
    }
}
