//! `/3/discover/movie` and the native movie lists from memory: the movie table's filter and
//! sort columns and the genre links, kept as bitsets and sorted permutations, so that a
//! request's exact total and its page cost microseconds instead of a count and a sort of its
//! matches in SQL (100-300 ms on 1,000,000 movies).
//!
//! - Movies are rows `0..n` in id order ([`Index::ids`]).
//! - Each sort TMDB offers is one permutation of the rows, read from the database itself
//!   (`ORDER BY column ASC, id ASC`), so ties, NULLs and text order are the database's own;
//!   the descending order is the same permutation backwards (`column DESC, id DESC`, NULLs
//!   last, as the SQL path sorts).
//! - A filter on a value (release date, runtime, votes) is an interval of its column's
//!   permutation, found by a binary search of the column's distinct values; its rows are put
//!   together from a few precomputed suffix bitsets of the permutation and the rows at the
//!   interval's two edges. Flags, genres and languages are bitsets or row lists.
//! - Filters that are sets of movie ids in a table of their own: keywords, companies and
//!   people are asked of the database by the same SQL the SQL path uses, then intersected;
//!   certifications by country and watch providers by country and kind of offer are rows
//!   kept here (a US rating or two large providers are a few hundred thousand movies of
//!   1,000,000, whose ids took SQLite 20-50 ms to read at every request).
//!
//! The count is the bitset's population; the page is a walk of the sort's permutation, or for
//! a few matches a partial sort of them by their rank in it.
//!
//! The index is only valid for the data it was read from: [`keep_built`] builds it on a thread
//! of its own after start-up and again after each data change (`cache.rs` drops it and says
//! so), and requests use the SQL path while no index of their data's epoch exists.

use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tmdb_core::read::{self, Dialect, Param as SqlValue, Read, Row, Val};
use tmdb_core::tmdb::PAGE_SIZE;
use tmdb_core::tmdb::query::{Discover, SortField};

use super::lists::value;
use crate::cache::Shared;
use crate::params::{MovieSort, Sort};
use crate::queries::{Db, MovieFilter, Source};

/// How many suffix bitsets a filtered column keeps: an interval's edges are then at most
/// `n / SUFFIXES` rows each to set or clear one by one (31,250 on 1,000,000 movies), for
/// 125 KB a bitset.
const SUFFIXES: usize = 32;

/// What sorting one match costs, in steps of a walk of an order (a random read of its rank
/// against a sequential read and a bit test: roughly ten, on the 1,000,000-movie bench mirror).
const GATHER_STEPS: u64 = 10;

/// How long the builder waits before trying again after a failed build (a lost PostgreSQL
/// connection, a column holding a type the mirror never writes).
const RETRY: Duration = Duration::from_secs(30);

/// One bit per row.
#[derive(Clone)]
struct Bits(Vec<u64>);

impl Bits {
    fn zeros(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }

    fn ones(n: usize) -> Bits {
        let mut bits = Bits(vec![u64::MAX; n.div_ceil(64)]);
        if n % 64 != 0
            && let Some(last) = bits.0.last_mut()
        {
            *last = (1 << (n % 64)) - 1;
        }
        bits
    }

    fn set(&mut self, row: u32) {
        self.0[row as usize / 64] |= 1 << (row % 64);
    }

    fn unset(&mut self, row: u32) {
        self.0[row as usize / 64] &= !(1 << (row % 64));
    }

    fn has(&self, row: u32) -> bool {
        self.0[row as usize / 64] & (1 << (row % 64)) != 0
    }

    fn and(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= b;
        }
    }

    fn and_not(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= !b;
        }
    }

    fn or(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }

    fn clear(&mut self) {
        self.0.fill(0);
    }

    fn count(&self) -> u64 {
        self.0.iter().map(|w| u64::from(w.count_ones())).sum()
    }

    /// The rows whose bit is set, in order.
    fn rows(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().enumerate().flat_map(|(i, &word)| {
            let mut word = word;
            std::iter::from_fn(move || {
                (word != 0).then(|| {
                    let bit = word.trailing_zeros();
                    word &= word - 1;
                    (i * 64) as u32 + bit
                })
            })
        })
    }

    fn bytes(&self) -> usize {
        self.0.len() * 8
    }
}

/// The rows of one value (a genre, a language): a bitset when that is smaller than a list.
enum Rows {
    Dense(Bits),
    Sparse(Vec<u32>),
}

impl Rows {
    /// `rows`, sorted and without repeats, out of `n`.
    fn new(rows: Vec<u32>, n: usize) -> Rows {
        if rows.len() * 32 > n {
            let mut bits = Bits::zeros(n);
            for &row in &rows {
                bits.set(row);
            }
            Rows::Dense(bits)
        } else {
            Rows::Sparse(rows)
        }
    }

    fn add_to(&self, bits: &mut Bits) {
        match self {
            Rows::Dense(dense) => bits.or(dense),
            Rows::Sparse(rows) => rows.iter().for_each(|&row| bits.set(row)),
        }
    }

    /// Keeps in `set` only these rows.
    fn keep(&self, set: &mut Bits) {
        match self {
            Rows::Dense(dense) => set.and(dense),
            Rows::Sparse(rows) => {
                let mut kept = Bits::zeros(set.0.len() * 64);
                for &row in rows.iter().filter(|&&row| set.has(row)) {
                    kept.set(row);
                }
                *set = kept;
            }
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Rows::Dense(bits) => bits.bytes(),
            Rows::Sparse(rows) => rows.len() * 4,
        }
    }
}

/// The rows in the order of one column: `perm` lists them, `rank` (kept for the sorts only)
/// says where each row is in it. The first `nulls` of them hold NULL (every database the
/// mirror runs on sorts NULL lowest, as read.rs makes it).
struct Order {
    perm: Vec<u32>,
    rank: Vec<u32>,
    nulls: usize,
}

impl Order {
    fn new(perm: Vec<u32>, ranked: bool, nulls: usize) -> Order {
        let mut rank = Vec::new();
        if ranked {
            rank = vec![0; perm.len()];
            for (at, &row) in perm.iter().enumerate() {
                rank[row as usize] = at as u32;
            }
        }
        Order { perm, rank, nulls }
    }

    fn bytes(&self) -> usize {
        (self.perm.len() + self.rank.len()) * 4
    }
}

/// A column the filters compare with a bound: its order, its distinct values and where each
/// starts in that order (the NULLs, which no bound matches, come first), and the suffix
/// bitsets that make an interval of the order a bitset cheaply.
struct Column<T> {
    order: Order,
    values: Vec<T>,
    starts: Vec<u32>,
    /// `suffixes[k - 1]`: the rows at `k * step` and after in the order, for `k` in
    /// `1..SUFFIXES`.
    suffixes: Vec<Bits>,
    step: usize,
}

impl<T: PartialOrd> Column<T> {
    /// From the rows in the database's order and their values (None for NULL). Refused when
    /// the database's order is not the order this compares values in: the bounds would then
    /// find the wrong rows.
    fn new(name: &str, ordered: Vec<(u32, Option<T>)>, ranked: bool) -> read::Result<Column<T>> {
        let n = ordered.len();
        let mut perm = Vec::with_capacity(n);
        let mut values: Vec<T> = Vec::new();
        let mut starts = Vec::new();
        for (at, (row, value)) in ordered.into_iter().enumerate() {
            perm.push(row);
            let Some(value) = value else {
                if !values.is_empty() {
                    return Err(unordered(name));
                }
                continue;
            };
            match values.last().map(|last| last.partial_cmp(&value)) {
                Some(Some(Ordering::Equal)) => {}
                None | Some(Some(Ordering::Less)) => {
                    values.push(value);
                    starts.push(at as u32);
                }
                Some(_) => return Err(unordered(name)),
            }
        }
        let nulls = starts.first().map_or(n, |&s| s as usize);
        let step = n.div_ceil(SUFFIXES).max(1);
        let suffixes = (1..SUFFIXES)
            .map(|k| {
                let mut bits = Bits::zeros(n);
                for &row in perm.get(k * step..).unwrap_or_default() {
                    bits.set(row);
                }
                bits
            })
            .collect();
        Ok(Column {
            order: Order::new(perm, ranked, nulls),
            values,
            starts,
            suffixes,
            step,
        })
    }

    /// Where the first value that is not `below` the bound starts (the end when none).
    fn start_of(&self, below: impl Fn(&T) -> bool) -> usize {
        let i = self.values.partition_point(below);
        self.starts
            .get(i)
            .map_or(self.order.perm.len(), |&s| s as usize)
    }

    /// The interval of the order whose values are `>= gte` and `<= lte` (non-NULL).
    fn interval(&self, gte: Option<&T>, lte: Option<&T>) -> (usize, usize) {
        let lo = match gte {
            Some(bound) => self.start_of(|v| v < bound),
            None => self.start_of(|_| false),
        };
        let hi = match lte {
            Some(bound) => self.start_of(|v| v <= bound),
            None => self.order.perm.len(),
        };
        (lo, hi)
    }

    /// Keeps in `set` only the rows of `lo..hi` of the order.
    fn keep(&self, set: &mut Bits, (lo, hi): (usize, usize)) {
        let n = self.order.perm.len();
        let perm = &self.order.perm;
        if lo >= hi {
            set.clear();
            return;
        }
        if hi - lo <= self.step {
            let mut inside = Bits::zeros(n);
            perm[lo..hi].iter().for_each(|&row| inside.set(row));
            set.and(&inside);
            return;
        }
        // The rows from `lo` on: a suffix bitset and the rows before it down to `lo` (those of
        // them in `set` noted first, as the suffix clears them).
        if lo > 0 {
            let k = lo.div_ceil(self.step);
            let edge = (k * self.step).min(n);
            let kept: Vec<u32> = perm[lo..edge]
                .iter()
                .copied()
                .filter(|&row| set.has(row))
                .collect();
            match self.suffixes.get(k.wrapping_sub(1)) {
                Some(suffix) => set.and(suffix),
                None => set.clear(),
            }
            kept.into_iter().for_each(|row| set.set(row));
        }
        // Less the rows from `hi` on, the same way.
        if hi < n {
            let k = hi.div_ceil(self.step);
            if let Some(suffix) = self.suffixes.get(k.wrapping_sub(1)) {
                set.and_not(suffix);
            }
            let edge = (k * self.step).min(n);
            perm[hi..edge].iter().for_each(|&row| set.unset(row));
        }
    }

    fn bytes(&self) -> usize {
        self.order.bytes()
            + self.starts.len() * 4
            + self.values.len() * std::mem::size_of::<T>()
            + self.suffixes.iter().map(Bits::bytes).sum::<usize>()
    }
}

/// A text value as the database compares it with `=`: byte for byte, but MySQL's and
/// MariaDB's `utf8mb4_bin` (the mirror's text keys there, sql/mysql/0001_init.sql) is a PAD
/// SPACE collation, for which `'PG-13' = 'PG-13 '`: there trailing spaces do not count.
fn text_key(pad_space: bool, text: &[u8]) -> &[u8] {
    if pad_space {
        let end = text
            .iter()
            .rposition(|&b| b != b' ')
            .map_or(0, |last| last + 1);
        &text[..end]
    } else {
        text
    }
}

/// Each key's rows, sorted and without repeats (a movie can have a link twice: two release
/// types with one certification, a provider by two kinds).
fn rows_by<K: Eq + std::hash::Hash>(by: HashMap<K, Vec<u32>>, n: usize) -> HashMap<K, Rows> {
    by.into_iter()
        .map(|(key, mut rows)| {
            rows.sort_unstable();
            rows.dedup();
            (key, Rows::new(rows, n))
        })
        .collect()
}

fn unordered(column: &str) -> read::Error {
    read::Error::Value(format!(
        "movie.{column} is not sorted by the database as the discover index compares it"
    ))
}

/// A movie-id filter asked of the database: the movies `select` lists pass (or, `without`,
/// are left out); `None` matches no movie.
pub struct Linked {
    pub select: Option<String>,
    pub params: Vec<SqlValue>,
    pub without: bool,
}

/// Where `id` is in `ids` (ascending), searched from its start in steps that double; None
/// when it is not there.
fn gallop(ids: &[i64], id: i64) -> Option<usize> {
    let mut end = 1;
    while end < ids.len() && ids[end - 1] < id {
        end *= 2;
    }
    let start = end / 2;
    let end = end.min(ids.len());
    ids[start..end].binary_search(&id).ok().map(|at| start + at)
}

/// A table entry for an id that is no movie's.
const NO_ROW: u32 = u32::MAX;

/// Movie rows by id: a table from the smallest id to the largest when the ids are dense enough
/// (TMDB's are: ~1.5 ids a movie; at most 16 bytes a movie), else a binary search of the ids.
/// The build looks each sort's rows up by id 1,000,000 times on a large mirror (the table took
/// a third of its time off the search's), and so do list pages and keyword or company sets:
/// one read where the search read ~20 places of an 8 MB array.
struct RowsById {
    first: i64,
    /// Empty when the ids are too sparse.
    table: Vec<u32>,
}

impl RowsById {
    fn new(ids: &[i64]) -> RowsById {
        let first = ids.first().copied().unwrap_or_default();
        let span = ids.last().map_or(0, |&last| last.abs_diff(first) + 1);
        let mut table = Vec::new();
        if span <= 4 * ids.len() as u64 {
            table = vec![NO_ROW; span as usize];
            for (row, &id) in ids.iter().enumerate() {
                table[(id - first) as usize] = row as u32;
            }
        }
        RowsById { first, table }
    }

    /// Movie `id`'s row among `ids` (the ids this was made from).
    fn find(&self, ids: &[i64], id: i64) -> Option<u32> {
        if self.table.is_empty() {
            return ids.binary_search(&id).ok().map(|row| row as u32);
        }
        id.checked_sub(self.first)
            .and_then(|at| self.table.get(usize::try_from(at).ok()?))
            .copied()
            .filter(|&row| row != NO_ROW)
    }
}

/// The rows of a page's movies ([`Index::page_rows`]), whose genres are asked for as the
/// database returns the page: in the page's order, less any movie it no longer holds.
pub struct PageRows<'a> {
    index: &'a Index,
    rows: Vec<(i64, u32)>,
    next: usize,
}

impl PageRows<'_> {
    /// Movie `id`'s row: the next of the page's that is it, else any of them.
    fn row(&mut self, id: i64) -> Option<usize> {
        while let Some(&(at, row)) = self.rows.get(self.next) {
            self.next += 1;
            if at == id {
                return Some(row as usize);
            }
        }
        let at = self.rows.iter().position(|&(at, _)| at == id)?;
        Some(self.rows[at].1 as usize)
    }

    /// Movie `id`'s genre ids as its TMDB list item gives them (`lists::ITEM`: by `ord`, ties
    /// by id); None for a movie not on the page.
    pub fn genre_ids(&mut self, id: i64) -> Option<Vec<i64>> {
        let index = self.index;
        let places = index.genre_places(self.row(id)?);
        Some(
            places
                .iter()
                .map(|&p| index.genre_values[p as usize])
                .collect(),
        )
    }

    /// Writes movie `id`'s genres into `out` as its native list item gives them
    /// (`json::MOVIE_GENRES`: by id, each with its name, null for a genre the `genre` table
    /// lacks), as JSON text for `json::Writer`; false for a movie not on the page.
    pub fn write_genres(&mut self, id: i64, out: &mut Vec<u8>) -> bool {
        let index = self.index;
        let Some(row) = self.row(id) else {
            return false;
        };
        let mut places = index.genre_places(row).to_vec();
        // The places are in the order of the ids.
        places.sort_unstable();
        out.push(b'[');
        for (i, place) in places.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(&index.genre_objects[place as usize]);
        }
        out.push(b']');
        true
    }
}

/// A value as SQLite's sort compares it, for telling equal ones apart from the rest (NaN,
/// which SQLite cannot store, would be unequal to itself).
#[derive(PartialEq)]
enum SortValue {
    Null,
    Number(f64),
    Text(Vec<u8>),
}

/// The discover index of one state of the mirror.
pub struct Index {
    /// The movie ids, ascending: row `r` is movie `ids[r]`.
    ids: Vec<i64>,
    rows_by_id: RowsById,
    /// Whether the database compares text ignoring trailing spaces (see [`text_key`]).
    pad_space: bool,
    adult: Bits,
    video: Bits,
    genres: HashMap<i64, Rows>,
    /// Each row's genres as its list item lists them (`lists::ITEM`'s `genre_ids`):
    /// `genre_list[genre_starts[r]..genre_starts[r + 1]]`, each a place in `genre_values`.
    genre_starts: Vec<u32>,
    genre_list: Vec<u32>,
    genre_values: Vec<i64>,
    /// Each of `genre_values` as a native list item writes it, `{"id":..,"name":..}` (the
    /// `genre` table's name, null where it has none): written once here, copied per item.
    genre_objects: Vec<Vec<u8>>,
    languages: HashMap<Vec<u8>, Rows>,
    statuses: HashMap<Vec<u8>, Rows>,
    /// By country and certification (`release_date`).
    certifications: HashMap<(Vec<u8>, Vec<u8>), Rows>,
    /// By provider: each country and kind of offer it has movies in (`movie_watch_provider`).
    providers: HashMap<i64, Vec<Offers>>,
    release_date: Column<Vec<u8>>,
    runtime: Column<i64>,
    vote_average: Column<f64>,
    vote_count: Column<i64>,
    popularity: Order,
    /// Each row's place among popularity's distinct values, ascending (see `build`).
    popularity_group: Vec<u32>,
    revenue: Order,
    title: Order,
    original_title: Order,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Index({} movies, {} bytes)",
            self.ids.len(),
            self.bytes()
        )
    }
}

/// Column `i` as an integer, NULL as None; another type is refused (SQLite may hold one in any
/// column, and the index would compare it otherwise than SQL does).
fn int(row: &Row<'_>, i: usize, name: &str) -> read::Result<Option<i64>> {
    match row.get(i)? {
        Val::Null => Ok(None),
        Val::Int(n) => Ok(Some(n)),
        _ => Err(read::Error::Value(format!(
            "movie.{name} holds a value that is not an integer"
        ))),
    }
}

impl Index {
    /// Reads the index from the mirror; `conn` should read one state of it (a transaction).
    pub fn build(conn: &dyn Read) -> read::Result<Index> {
        let mut ids = Vec::new();
        let (mut adult, mut video) = (Vec::new(), Vec::new());
        let (mut language, mut status) = (Vec::new(), Vec::new());
        let pad_space = conn.dialect() == Dialect::Mysql;
        let text = |row: &Row<'_>, i: usize| -> read::Result<Option<Vec<u8>>> {
            Ok(match row.get(i)? {
                Val::Text(t) => Some(text_key(pad_space, t).to_vec()),
                _ => None,
            })
        };
        conn.each(
            "SELECT m.id, m.adult, m.video, m.original_language, m.status FROM movie m \
             ORDER BY m.id",
            &[],
            &mut |row| {
                ids.push(int(row, 0, "id")?.unwrap_or_default());
                adult.push(int(row, 1, "adult")?.unwrap_or_default() != 0);
                video.push(int(row, 2, "video")?.unwrap_or_default() != 0);
                language.push(text(row, 3)?);
                status.push(text(row, 4)?);
                Ok(())
            },
        )?;
        let n = ids.len();
        if u32::try_from(n).is_err() || ids.windows(2).any(|w| w[0] >= w[1]) {
            return Err(read::Error::Value("movie ids out of order".to_owned()));
        }
        let rows_by_id = RowsById::new(&ids);
        let find = |id: i64| rows_by_id.find(&ids, id);
        let row_of = |id: i64| -> read::Result<u32> {
            find(id).ok_or_else(|| read::Error::Value(format!("movie {id} appeared while reading")))
        };
        let flags = |set: &[bool]| {
            let mut bits = Bits::zeros(n);
            (0..n as u32)
                .filter(|&r| set[r as usize])
                .for_each(|r| bits.set(r));
            bits
        };
        let (adult, video) = (flags(&adult), flags(&video));
        // The rows of each text value, in row order.
        let by_text = |values: Vec<Option<Vec<u8>>>| {
            let mut by: HashMap<Vec<u8>, Vec<u32>> = HashMap::new();
            for (row, value) in values.into_iter().enumerate() {
                if let Some(value) = value {
                    by.entry(value).or_default().push(row as u32);
                }
            }
            by.into_iter()
                .map(|(value, rows)| (value, Rows::new(rows, n)))
                .collect()
        };
        let languages = by_text(language);
        let statuses = by_text(status);
        let mut by_genre: HashMap<i64, Vec<u32>> = HashMap::new();
        // (row, ord, genre): NULL ords (a mirror loaded before they existed) sort first, as in
        // SQL.
        let mut listed: Vec<(u32, Option<i64>, i64)> = Vec::new();
        conn.each(
            "SELECT movie_id, genre_id, ord FROM movie_genre",
            &[],
            &mut |row| {
                let Some(movie) = row.int(0)? else {
                    return Ok(());
                };
                // A list item lists it as it is: the index could not.
                let Val::Int(genre) = row.get(1)? else {
                    return Err(read::Error::Value(
                        "movie_genre.genre_id holds a value that is not an integer".to_owned(),
                    ));
                };
                // A link to a movie the table does not hold matches nothing in SQL either.
                if let Some(at) = find(movie) {
                    by_genre.entry(genre).or_default().push(at);
                    let ord = match row.get(2)? {
                        Val::Null => None,
                        Val::Int(ord) => Some(ord),
                        // SQL would sort it among the numbers its own way.
                        _ => {
                            return Err(read::Error::Value(
                                "movie_genre.ord holds a value that is not an integer".to_owned(),
                            ));
                        }
                    };
                    listed.push((at, ord, genre));
                }
                Ok(())
            },
        )?;
        listed.sort_unstable();
        let mut genre_values: Vec<i64> = by_genre.keys().copied().collect();
        genre_values.sort_unstable();
        let mut genre_starts = Vec::with_capacity(n + 1);
        let mut genre_list = Vec::with_capacity(listed.len());
        let mut next = listed.iter().peekable();
        if u32::try_from(listed.len()).is_err() {
            return Err(read::Error::Value("too many movie_genre rows".to_owned()));
        }
        for at in 0..n as u32 {
            genre_starts.push(genre_list.len() as u32);
            while let Some((_, _, genre)) = next.next_if(|(row, _, _)| *row == at) {
                let place = genre_values
                    .binary_search(genre)
                    .expect("genre_values holds every genre listed");
                genre_list.push(place as u32);
            }
        }
        genre_starts.push(genre_list.len() as u32);
        drop(listed);
        let mut names: HashMap<i64, Value> = HashMap::new();
        conn.each("SELECT id, name FROM genre", &[], &mut |row| {
            if let Some(id) = row.int(0)? {
                // As the database's json_object writes it: "" stays "". Bytes that are not
                // UTF-8 make SQL's whole array unreadable ([]), which the index would not do.
                if let Val::Text(name) = row.get(1)?
                    && std::str::from_utf8(name).is_err()
                {
                    return Err(read::Error::Value(format!(
                        "genre {id} has a name that is not UTF-8"
                    )));
                }
                names.insert(id, value(row, 1, false)?);
            }
            Ok(())
        })?;
        let genre_objects = genre_values
            .iter()
            .map(|&id| {
                let name = names.remove(&id).unwrap_or(Value::Null);
                // Keys in the order a `Value` object writes them.
                serde_json::to_vec(&serde_json::json!({"id": id, "name": name}))
            })
            .collect::<Result<_, _>>()
            .map_err(|err| read::Error::Value(format!("a genre as JSON: {err}")))?;
        let genres = rows_by(by_genre, n);
        // A movie's certifications by country and its watch providers by country and kind of
        // offer: a value the SQL compares with `=` matches the same key here ([`text_key`]).
        let mut by_certification: HashMap<(Vec<u8>, Vec<u8>), Vec<u32>> = HashMap::new();
        conn.each(
            "SELECT movie_id, iso_3166_1, certification FROM release_date",
            &[],
            &mut |row| {
                if let (Some(movie), Some(country), Some(certification)) =
                    (row.int(0)?.and_then(&find), text(row, 1)?, text(row, 2)?)
                {
                    by_certification
                        .entry((country, certification))
                        .or_default()
                        .push(movie);
                }
                Ok(())
            },
        )?;
        let mut by_offer: HashMap<(i64, Vec<u8>, Vec<u8>), Vec<u32>> = HashMap::new();
        conn.each(
            "SELECT movie_id, provider_id, iso_3166_1, kind FROM movie_watch_provider",
            &[],
            &mut |row| {
                if let (Some(movie), Some(provider), Some(country), Some(kind)) = (
                    row.int(0)?.and_then(&find),
                    row.int(1)?,
                    text(row, 2)?,
                    text(row, 3)?,
                ) {
                    by_offer
                        .entry((provider, country, kind))
                        .or_default()
                        .push(movie);
                }
                Ok(())
            },
        )?;
        let mut providers: HashMap<i64, Vec<Offers>> = HashMap::new();
        for ((provider, country, kind), rows) in rows_by(by_offer, n) {
            providers.entry(provider).or_default().push(Offers {
                country,
                kind,
                rows,
            });
        }
        // The rows in the database's order of `column`, each with its value read by `value`.
        let ordered = |column: &str,
                       value: &dyn Fn(&Row<'_>) -> read::Result<()>|
         -> read::Result<Vec<u32>> {
            let mut perm = Vec::with_capacity(n);
            conn.each(
                &format!("SELECT m.id, m.{column} FROM movie m ORDER BY m.{column} ASC, m.id ASC"),
                &[],
                &mut |row| {
                    perm.push(row_of(int(row, 0, "id")?.unwrap_or_default())?);
                    value(row)
                },
            )?;
            if perm.len() != n {
                return Err(read::Error::Value(
                    "movies changed while reading".to_owned(),
                ));
            }
            Ok(perm)
        };
        let order = |column: &str| -> read::Result<Order> {
            let (nulls, valued) = (Cell::new(0), Cell::new(false));
            let perm = ordered(column, &|row| {
                if !matches!(row.get(1)?, Val::Null) {
                    valued.set(true);
                } else if valued.get() {
                    return Err(unordered(column));
                } else {
                    nulls.set(nulls.get() + 1);
                }
                Ok(())
            })?;
            Ok(Order::new(perm, true, nulls.get()))
        };
        // Popularity's order, and each row's place among its distinct values in that order
        // (equal values share one, as SQLite's sort sees them: 2 and 2.0 are equal), which a
        // title search's ties need ([`Index::sort_ranked`]; SQLite's searches only).
        /// Popularity's values as they come in order: the group of each, the last one, its
        /// group, and the NULLs so far.
        #[derive(Default)]
        struct Groups {
            in_order: Vec<u32>,
            previous: Option<SortValue>,
            group: u32,
            nulls: usize,
        }
        let groups = std::cell::RefCell::new(Groups::default());
        let perm = ordered("popularity", &|row| {
            let value = match row.get(1)? {
                Val::Null => SortValue::Null,
                Val::Int(x) => SortValue::Number(x as f64),
                Val::Real(x) => SortValue::Number(x),
                Val::Text(t) => SortValue::Text(t.to_vec()),
            };
            let g = &mut *groups.borrow_mut();
            match &g.previous {
                Some(previous) if *previous == value => {}
                Some(_) if value == SortValue::Null => return Err(unordered("popularity")),
                Some(_) => g.group += 1,
                None => {}
            }
            g.nulls += usize::from(value == SortValue::Null);
            g.previous = Some(value);
            g.in_order.push(g.group);
            Ok(())
        })?;
        let Groups {
            in_order, nulls, ..
        } = groups.into_inner();
        let mut popularity_group = vec![0; n];
        for (&row, group) in perm.iter().zip(in_order) {
            popularity_group[row as usize] = group;
        }
        let popularity = Order::new(perm, true, nulls);
        // A column with its values: the rows and values in order.
        fn column<T: PartialOrd>(
            perm: Vec<u32>,
            values: Vec<Option<T>>,
            name: &str,
            ranked: bool,
        ) -> read::Result<Column<T>> {
            Column::new(name, perm.into_iter().zip(values).collect(), ranked)
        }
        let texts = std::cell::RefCell::new(Vec::new());
        let dates = ordered("release_date", &|row| {
            texts.borrow_mut().push(match row.get(1)? {
                Val::Text(t) => Some(t.to_vec()),
                Val::Null => None,
                _ => return Err(read::Error::Value("movie.release_date is not text".into())),
            });
            Ok(())
        })?;
        let release_date = column(dates, texts.take(), "release_date", true)?;
        let ints = std::cell::RefCell::new(Vec::new());
        let read_int = |name: &'static str| {
            let ints = &ints;
            move |row: &Row<'_>| {
                ints.borrow_mut().push(int(row, 1, name)?);
                Ok(())
            }
        };
        let perm = ordered("runtime", &read_int("runtime"))?;
        let runtime = column(perm, ints.take(), "runtime", false)?;
        let perm = ordered("vote_count", &read_int("vote_count"))?;
        let vote_count = column(perm, ints.take(), "vote_count", true)?;
        let reals = std::cell::RefCell::new(Vec::new());
        let perm = ordered("vote_average", &|row| {
            reals.borrow_mut().push(match row.get(1)? {
                Val::Null => None,
                Val::Int(x) => Some(x as f64),
                Val::Real(x) if !x.is_nan() => Some(x),
                _ => {
                    return Err(read::Error::Value(
                        "movie.vote_average holds a value that is not a number".into(),
                    ));
                }
            });
            Ok(())
        })?;
        let vote_average = column(perm, reals.take(), "vote_average", true)?;
        Ok(Index {
            pad_space,
            adult,
            video,
            genres,
            genre_starts,
            genre_list,
            genre_values,
            genre_objects,
            languages,
            statuses,
            certifications: rows_by(by_certification, n),
            providers,
            release_date,
            runtime,
            vote_average,
            vote_count,
            popularity,
            popularity_group,
            revenue: order("revenue")?,
            title: order("title")?,
            original_title: order("original_title")?,
            rows_by_id,
            ids,
        })
    }

    /// Movie `id`'s row, if the index holds it.
    fn row_of(&self, id: i64) -> Option<u32> {
        self.rows_by_id.find(&self.ids, id)
    }

    /// Whether the index answers `q` as SQL would: not for a NaN vote average bound, which
    /// each database compares its own way.
    pub fn answers(&self, q: &Discover) -> bool {
        ![q.vote_average_gte, q.vote_average_lte]
            .iter()
            .flatten()
            .any(|x| x.is_nan())
    }

    /// Sorts a title search's matches, `(movie id, rank)`, as SQL's `ORDER BY rank,
    /// m.popularity DESC, m.id` does (`queries::Db::search_movies`), leaving out the adult
    /// ones unless `include_adult`. None when a rank is NaN or a movie is not in the index
    /// (the data changed since it was built): SQL then sorts them.
    pub fn sort_ranked(
        &self,
        mut matches: Vec<(i64, f64)>,
        include_adult: bool,
    ) -> Option<Vec<(i64, f64)>> {
        // In id order (as the search index gives them already), each match's row is found
        // from the previous one's by galloping: a binary search of all the ids for each of a
        // common word's ~10,000 matches cost more than the search itself.
        matches.sort_unstable_by_key(|m| m.0);
        let mut keyed = Vec::with_capacity(matches.len());
        let mut from = 0;
        for (id, rank) in matches {
            let row = from + gallop(&self.ids[from..], id)?;
            from = row;
            if rank.is_nan() {
                return None;
            }
            if include_adult || !self.adult.has(row as u32) {
                keyed.push((rank, self.popularity_group[row], id));
            }
        }
        keyed.sort_unstable_by(|a, b| {
            (a.0.partial_cmp(&b.0).unwrap_or(Ordering::Equal))
                .then(b.1.cmp(&a.1))
                .then(a.2.cmp(&b.2))
        });
        Some(keyed.into_iter().map(|(rank, _, id)| (id, rank)).collect())
    }

    /// A page's movies as rows of the index, each looked up once; None when the index does
    /// not hold one of them.
    pub fn page_rows(&self, ids: &[i64]) -> Option<PageRows<'_>> {
        let rows = ids
            .iter()
            .map(|&id| Some((id, self.row_of(id)?)))
            .collect::<Option<Vec<_>>>()?;
        Some(PageRows {
            index: self,
            rows,
            next: 0,
        })
    }

    /// Row `row`'s genres as places in `genre_values`, by `ord` (ties by id).
    fn genre_places(&self, row: usize) -> &[u32] {
        let (from, to) = (self.genre_starts[row], self.genre_starts[row + 1]);
        &self.genre_list[from as usize..to as usize]
    }

    /// The movies indexed.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// The memory the index holds, in bytes.
    pub fn bytes(&self) -> usize {
        let rows = |map: &mut dyn Iterator<Item = &Rows>| map.map(Rows::bytes).sum::<usize>();
        self.ids.len() * 8
            + self.rows_by_id.table.len() * 4
            + self.adult.bytes()
            + self.video.bytes()
            + rows(&mut self.genres.values())
            + (self.genre_starts.len() + self.genre_list.len()) * 4
            + self.genre_values.len() * 8
            + self.genre_objects.iter().map(Vec::len).sum::<usize>()
            + self.popularity_group.len() * 4
            + rows(&mut self.languages.values())
            + rows(&mut self.statuses.values())
            + rows(&mut self.certifications.values())
            + rows(&mut self.providers.values().flatten().map(|offers| &offers.rows))
            + self.release_date.bytes()
            + self.runtime.bytes()
            + self.vote_average.bytes()
            + self.vote_count.bytes()
            + [
                &self.popularity,
                &self.revenue,
                &self.title,
                &self.original_title,
            ]
            .iter()
            .map(|o| o.bytes())
            .sum::<usize>()
    }

    /// The rows that pass every filter of `q` but the linked ones, and the interval of the
    /// sort's order they all lie in.
    fn matches(&self, q: &Discover) -> (Bits, (usize, usize)) {
        let n = self.ids.len();
        let mut set = Bits::ones(n);
        if !q.include_adult {
            set.and_not(&self.adult);
        }
        if !q.include_video {
            set.and_not(&self.video);
        }
        let union = |ids: &mut dyn Iterator<Item = &i64>| {
            let mut any = Bits::zeros(n);
            for id in ids {
                if let Some(rows) = self.genres.get(id) {
                    rows.add_to(&mut any);
                }
            }
            any
        };
        // One value's rows are kept as they are; several are made one bitset first.
        let keep = |set: &mut Bits, rows: Option<&Rows>| match rows {
            Some(rows) => rows.keep(set),
            None => set.clear(),
        };
        for group in &q.with_genres {
            match group.as_slice() {
                [genre] => keep(&mut set, self.genres.get(genre)),
                _ => set.and(&union(&mut group.iter())),
            }
        }
        if !q.without_genres.is_empty() {
            set.and_not(&union(&mut q.without_genres.iter()));
        }
        if let Some(lang) = &q.language {
            keep(&mut set, self.languages.get(self.key(lang)));
        }
        if let Some(cert) = &q.certification {
            // Any of the allowed certifications in the country (a `.lte` or `.gte` is a list of
            // them already): ~500,000 movies for the US up to PG-13 on 1,000,000, which SQL
            // read as ids for 100 ms or more.
            let mut any = Bits::zeros(n);
            for allowed in &cert.allowed {
                let key = (self.key(&cert.country).to_vec(), self.key(allowed).to_vec());
                if let Some(rows) = self.certifications.get(&key) {
                    rows.add_to(&mut any);
                }
            }
            set.and(&any);
        }
        if let Some(p) = &q.providers {
            for group in &p.ids {
                set.and(&self.offered(group, p.region.as_ref(), Some(&p.kinds)));
            }
        }
        let mut intervals = Vec::new();
        if q.needs_date() {
            // `release_date <> ''` and every bound: the latest lower, the earliest upper one.
            let year = |y: i64, md: &str| format!("{y:04}-{md}").into_bytes();
            let lower = [
                q.date_gte.as_ref().map(|d| d.clone().into_bytes()),
                q.year.map(|y| year(y, "01-01")),
            ];
            let upper = [
                q.date_lte.as_ref().map(|d| d.clone().into_bytes()),
                q.year.map(|y| year(y, "12-31")),
            ];
            let column = &self.release_date;
            let mut lo = column.start_of(|v| v.is_empty());
            for bound in lower.iter().flatten() {
                lo = lo.max(column.interval(Some(bound), None).0);
            }
            let mut hi = n;
            for bound in upper.iter().flatten() {
                hi = hi.min(column.interval(None, Some(bound)).1);
            }
            column.keep(&mut set, (lo, hi));
            intervals.push((SortField::ReleaseDate, (lo, hi)));
        }
        if q.runtime_gte.is_some() || q.runtime_lte.is_some() {
            let range = self
                .runtime
                .interval(q.runtime_gte.as_ref(), q.runtime_lte.as_ref());
            self.runtime.keep(&mut set, range);
        }
        if q.vote_average_gte.is_some() || q.vote_average_lte.is_some() {
            let range = self
                .vote_average
                .interval(q.vote_average_gte.as_ref(), q.vote_average_lte.as_ref());
            self.vote_average.keep(&mut set, range);
            intervals.push((SortField::VoteAverage, range));
        }
        if q.vote_count_gte.is_some() || q.vote_count_lte.is_some() {
            let range = self
                .vote_count
                .interval(q.vote_count_gte.as_ref(), q.vote_count_lte.as_ref());
            self.vote_count.keep(&mut set, range);
            intervals.push((SortField::VoteCount, range));
        }
        let within = intervals
            .into_iter()
            .find(|(field, _)| *field == q.sort.0)
            .map_or((0, n), |(_, range)| range);
        (set, within)
    }

    fn order(&self, field: SortField) -> &Order {
        match field {
            SortField::Popularity => &self.popularity,
            SortField::Revenue => &self.revenue,
            SortField::ReleaseDate => &self.release_date.order,
            SortField::Title => &self.title,
            SortField::OriginalTitle => &self.original_title,
            SortField::VoteAverage => &self.vote_average.order,
            SortField::VoteCount => &self.vote_count.order,
        }
    }

    /// The total and the page's movie ids of `q`, whose linked filters the database answered
    /// as `linked` (each the movie ids of one [`Linked`], or None for one that matches none).
    pub fn page(&self, q: &Discover, linked: &[(Option<Vec<i64>>, bool)]) -> (u64, Vec<i64>) {
        let (mut set, within) = self.matches(q);
        for (ids, without) in linked {
            let mut of = Bits::zeros(self.ids.len());
            for &id in ids.iter().flatten() {
                if let Some(row) = self.row_of(id) {
                    of.set(row);
                }
            }
            if *without {
                set.and_not(&of);
            } else {
                set.and(&of);
            }
        }
        let total = set.count();
        let offset = (q.page - 1) * PAGE_SIZE;
        if offset >= total {
            return (total, Vec::new());
        }
        let wanted = (offset + PAGE_SIZE).min(total) as usize;
        let sorted = Sorted {
            order: self.order(q.sort.0),
            descending: q.sort.1,
            nulls_last: false,
        };
        let ids = self
            .first_rows(&set, total, wanted, &sorted, within)
            .iter()
            .skip(offset as usize)
            .map(|&row| self.ids[row as usize])
            .collect();
        (total, ids)
    }

    /// A native movie list (`/movies` and the lists like it; `queries::Db::movies`): its total
    /// and the ids of its rows `start..end`, as the SQL of `queries::movie_from` and
    /// `queries::movie_order` would give them. `linked` holds the movie ids of the keyword and
    /// the company filtered on, which the database gives.
    pub fn list(
        &self,
        f: &MovieFilter,
        sort: Sort<MovieSort>,
        linked: &[Vec<i64>],
        start: usize,
        end: usize,
    ) -> (u64, Vec<i64>) {
        let n = self.ids.len();
        let mut set = Bits::ones(n);
        if !f.include_adult {
            set.and_not(&self.adult);
        }
        let keep = |set: &mut Bits, rows: Option<&Rows>| match rows {
            Some(rows) => rows.keep(set),
            None => set.clear(),
        };
        if let Some(genre) = f.genre_id {
            keep(&mut set, self.genres.get(&genre));
        }
        if let Some(lang) = &f.language {
            keep(&mut set, self.languages.get(self.key(lang)));
        }
        if let Some(status) = &f.status {
            keep(&mut set, self.statuses.get(self.key(status)));
        }
        if let Some((country, certification)) = &f.certification {
            let key = (self.key(country).to_vec(), self.key(certification).to_vec());
            keep(&mut set, self.certifications.get(&key));
        }
        if let Some((provider, country)) = &f.provider {
            set.and(&self.offered(&[*provider], Some(country), None));
        }
        let field = match sort.field {
            MovieSort::Popularity => SortField::Popularity,
            MovieSort::ReleaseDate => SortField::ReleaseDate,
            MovieSort::VoteAverage => SortField::VoteAverage,
            MovieSort::VoteCount => SortField::VoteCount,
            MovieSort::Title => SortField::Title,
        };
        let mut within = (0, n);
        if let Some(year) = f.year {
            // `release_date >= 'Y-01-01' AND release_date < 'Y+1-01-01'`, as the SQL has it.
            let from = format!("{year:04}-01-01").into_bytes();
            let until = format!("{:04}-01-01", year + 1).into_bytes();
            let column = &self.release_date;
            let range = (
                column.start_of(|v| *v < from),
                column.start_of(|v| *v < until),
            );
            column.keep(&mut set, range);
            if field == SortField::ReleaseDate {
                within = range;
            }
        }
        if let Some(votes) = f.min_votes {
            let range = self.vote_count.interval(Some(&votes), None);
            self.vote_count.keep(&mut set, range);
            if field == SortField::VoteCount {
                within = range;
            }
        }
        if f.runtime_min.is_some() || f.runtime_max.is_some() {
            let range = self
                .runtime
                .interval(f.runtime_min.as_ref(), f.runtime_max.as_ref());
            self.runtime.keep(&mut set, range);
        }
        for ids in linked {
            let mut of = Bits::zeros(n);
            for &id in ids {
                if let Some(row) = self.row_of(id) {
                    of.set(row);
                }
            }
            set.and(&of);
        }
        let total = set.count();
        let end = end.min(usize::try_from(total).unwrap_or(usize::MAX));
        if start >= end {
            return (total, Vec::new());
        }
        // Ascending puts NULLs last (`ASC NULLS LAST`), descending is the order reversed.
        let sorted = Sorted {
            order: self.order(field),
            descending: sort.descending,
            nulls_last: !sort.descending,
        };
        let ids = self.first_rows(&set, total, end, &sorted, within)[start..]
            .iter()
            .map(|&row| self.ids[row as usize])
            .collect();
        (total, ids)
    }

    /// A text value as the index keys it ([`text_key`]).
    fn key<'a>(&self, text: &'a str) -> &'a [u8] {
        text_key(self.pad_space, text.as_bytes())
    }

    /// The movies any of `providers` offers in `country` (any country when None) as one of
    /// `kinds` (any kind when None).
    fn offered(
        &self,
        providers: &[i64],
        country: Option<&String>,
        kinds: Option<&Vec<String>>,
    ) -> Bits {
        let mut any = Bits::zeros(self.ids.len());
        for offers in providers.iter().filter_map(|p| self.providers.get(p)) {
            for offer in offers {
                if country.is_none_or(|c| offer.country == self.key(c))
                    && kinds.is_none_or(|kinds| kinds.iter().any(|k| offer.kind == self.key(k)))
                {
                    offer.rows.add_to(&mut any);
                }
            }
        }
        any
    }

    /// The first `wanted` rows of `set` (of `total` rows, all within the interval `within`
    /// of the order) in the order of `sorted`.
    fn first_rows(
        &self,
        set: &Bits,
        total: u64,
        wanted: usize,
        sorted: &Sorted<'_>,
        within: (usize, usize),
    ) -> Vec<u32> {
        let order = sorted.order;
        let (lo, hi) = within;
        // Two ways to the page. A walk of the order reads it in sequence, testing each row's
        // bit, until the page is full: about wanted * (interval / total) steps if the matches
        // were spread evenly, but up to the whole interval when they sit late in the order (a
        // filter correlated with the sort, such as old years by popularity). Sorting the
        // matches reads each one's rank at random, about GATHER_STEPS steps of a walk each.
        // So: sort when an even walk is already dearer, else walk until it has cost what the
        // sort would have, then sort.
        let gather = total.saturating_mul(GATHER_STEPS);
        let walk = wanted as u64 * (hi - lo) as u64 / total;
        let mut rows = None;
        if walk < gather {
            let budget = usize::try_from(gather).unwrap_or(usize::MAX);
            let perm = &order.perm;
            rows = if sorted.descending {
                take_walked(perm[lo..hi].iter().rev(), set, wanted, budget)
            } else if sorted.nulls_last {
                // The valued rows of the interval, then its NULL ones.
                let nulls = order.nulls.clamp(lo, hi);
                let walked = perm[nulls..hi].iter().chain(&perm[lo..nulls]);
                take_walked(walked, set, wanted, budget)
            } else {
                take_walked(perm[lo..hi].iter(), set, wanted, budget)
            };
        }
        rows.unwrap_or_else(|| {
            let n = order.perm.len() as u32;
            let nulls = order.nulls as u32;
            // Rank and row in one word, so the selection compares words and reads no rank.
            let mut keyed: Vec<u64> = set
                .rows()
                .map(|row| {
                    let rank = order.rank[row as usize];
                    let rank = if sorted.descending {
                        u32::MAX - rank
                    } else if sorted.nulls_last {
                        // The order turned so that its NULLs come after the rest.
                        if rank < nulls {
                            rank + (n - nulls)
                        } else {
                            rank - nulls
                        }
                    } else {
                        rank
                    };
                    (u64::from(rank) << 32) | u64::from(row)
                })
                .collect();
            if wanted < keyed.len() {
                keyed.select_nth_unstable(wanted);
                keyed.truncate(wanted);
            }
            keyed.sort_unstable();
            keyed.into_iter().map(|key| key as u32).collect()
        })
    }
}

/// The movies a watch provider offers in one country as one kind of offer (flatrate, rent...).
struct Offers {
    country: Vec<u8>,
    kind: Vec<u8>,
    rows: Rows,
}

/// An order to take rows in: one of the index's, maybe reversed, maybe with its NULLs moved
/// after its values.
struct Sorted<'a> {
    order: &'a Order,
    descending: bool,
    nulls_last: bool,
}

/// The first `wanted` rows of `order` in `set`, unless that takes more than `budget` steps.
fn take_walked<'a>(
    order: impl Iterator<Item = &'a u32>,
    set: &Bits,
    wanted: usize,
    budget: usize,
) -> Option<Vec<u32>> {
    let mut rows = Vec::with_capacity(wanted);
    for (step, &row) in order.enumerate() {
        if step >= budget {
            return None;
        }
        if set.has(row) {
            rows.push(row);
            if rows.len() == wanted {
                return Some(rows);
            }
        }
    }
    Some(rows)
}

/// Keeps the discover index of the mirror's current data built, on the calling thread, for
/// ever: builds it, hands it to `shared` for the epoch it was read at, waits for the data to
/// change, and builds again. Its own connection, so that no request waits for it; kept
/// between builds, so that its change counter notices a load committed since the last one
/// before the index is stamped with an epoch (a new connection would take that state as its
/// first).
pub fn keep_built(source: Source, shared: Arc<Shared>) {
    let mut db: Option<Db> = None;
    let mut last: Option<Arc<Index>> = None;
    loop {
        // The epoch before the data is read: a change committed after this point is seen by
        // some connection, which moves the epoch on, and the index is then refused or dropped.
        let epoch = shared.epoch();
        // On SQLite each connection notices a load on its own, so one load moves the epoch on
        // once per connection, as each answers its next request. When this connection has
        // seen no change since it read the last index, that index is still the data's.
        if let (Some(open), Some(index)) = (db.as_mut(), &last)
            && open.unchanged()
        {
            shared.put_discover_index(epoch, Arc::clone(index));
            shared.wait_for_change(epoch, None);
            continue;
        }
        last = None;
        let started = Instant::now();
        let built = match db.take() {
            Some(db) => Ok(db),
            None => Db::open(&source, Arc::clone(&shared)).map_err(|e| format!("{e:#}")),
        }
        .and_then(|mut open| {
            let index = read_snapshot(&mut open, &shared, epoch).map_err(|e| e.to_string());
            db = Some(open);
            index
        });
        match built {
            Ok(Some(index)) => {
                crate::http::warn(format_args!(
                    "discover index of {} movies built in {:.1} s ({} MB)",
                    index.len(),
                    started.elapsed().as_secs_f64(),
                    index.bytes() >> 20
                ));
                let index = Arc::new(index);
                shared.put_discover_index(epoch, Arc::clone(&index));
                last = Some(index);
                shared.wait_for_change(epoch, None);
            }
            // The data changed as it was about to be read: read it again.
            Ok(None) => {}
            Err(err) => {
                crate::http::warn(format_args!(
                    "cannot build the discover index ({err}); discover and the movie lists read SQL meanwhile"
                ));
                db = None;
                shared.wait_for_change(epoch, Some(RETRY));
            }
        }
    }
}

/// Reads the index in one transaction of `db`; None when the data changed since `epoch`.
fn read_snapshot(db: &mut Db, shared: &Shared, epoch: u64) -> read::Result<Option<Index>> {
    // Opens a read transaction and notices a change this connection has not seen (moving the
    // epoch on).
    db.begin()?;
    let index = if shared.epoch() == epoch {
        Index::build(db.conn()).map(Some)
    } else {
        Ok(None)
    };
    // The COMMIT goes now: the builder then waits for the next change, and an open
    // transaction would hold its snapshot meanwhile.
    db.end();
    db.finish()?;
    index
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{Page, SearchSort};
    use rusqlite::{Connection, params};
    use tmdb_core::read::Searched;

    /// xorshift64: the same mirror and requests on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        fn chance(&mut self, percent: u64) -> bool {
            self.below(100) < percent
        }

        fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
            &items[self.below(items.len() as u64) as usize]
        }
    }

    /// A mirror of `n` movies with few distinct values (ties in every sort), NULLs and empty
    /// strings where the schema allows them, adult and video movies, and every link table
    /// discover filters on, a link to a missing movie among them.
    fn mirror(n: u64, rng: &mut Rng) -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        tmdb_core::db::migrate(&mut conn).unwrap();
        // Off so that a link to a missing movie can be written (as a loader with them off can).
        conn.pragma_update(None, "foreign_keys", false).unwrap();
        let tx = conn.transaction().unwrap();
        // Genres 1-5 named ("" too, as TMDB may send it); 6 and 7 not in the table.
        tx.execute_batch(
            "INSERT INTO genre (id, name) VALUES (1, 'Drama'), (2, 'Été'), (3, ''), (4, 'Action'), \
             (5, 'War')",
        )
        .unwrap();
        let words = [
            "Zebra", "zebra", "Été", "Alpha", "alpha", "Night", "Ōkami", "The",
        ];
        let title = |rng: &mut Rng| -> Option<String> {
            match rng.below(20) {
                0 => None,
                1 => Some(String::new()),
                _ => Some(
                    (0..=rng.below(2))
                        .map(|_| *rng.pick(&words))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            }
        };
        for i in 0..n {
            let id = (i * 3 + rng.below(3) + 1) as i64;
            let year = rng.below(12);
            let date = match rng.below(20) {
                0 => None,
                1 => Some(String::new()),
                _ => Some(format!(
                    "{}-{:02}-{:02}",
                    1990 + year,
                    1 + rng.below(12),
                    [1, 15, 28, 31][rng.below(4) as usize]
                )),
            };
            let maybe = |null: bool, value: Value| if null { Value::Null } else { value };
            let runtime = maybe(rng.chance(10), Value::from(60 + 10 * rng.below(8)));
            let vote_average = maybe(
                rng.chance(5),
                Value::from(*rng.pick(&[0.0, 5.5, 6.0, 7.25, 8.0, 10.0])),
            );
            let vote_count = maybe(rng.chance(5), Value::from(rng.below(50)));
            // Later years more popular, as on TMDB: a year's movies sit together in the
            // popularity order, where a walk of it runs long and gives way to a sort.
            let popularity = maybe(
                rng.chance(5),
                Value::from((year * 2 + rng.below(4)) as f64 / 4.0),
            );
            let revenue = maybe(rng.chance(20), Value::from(rng.below(5) * 1_000_000));
            // Swedish and genre 7 are rare: kept as lists of rows, not bitsets.
            let language = match rng.below(50) {
                0 | 1 => Value::Null,
                2 => Value::from("sv"),
                _ => Value::from(*rng.pick(&["en", "fr", "ja", "de"])),
            };
            let sql = |v: &Value| match v {
                Value::Null => rusqlite::types::Value::Null,
                Value::String(s) => rusqlite::types::Value::Text(s.clone()),
                Value::Number(x) if x.is_i64() => {
                    rusqlite::types::Value::Integer(x.as_i64().unwrap())
                }
                Value::Number(x) => rusqlite::types::Value::Real(x.as_f64().unwrap()),
                _ => unreachable!(),
            };
            tx.execute(
                "INSERT INTO movie (id, title, original_title, original_language, release_date, \
                 runtime, adult, video, vote_average, vote_count, popularity, revenue, status) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params![
                    id,
                    title(rng),
                    title(rng),
                    sql(&language),
                    date,
                    sql(&runtime),
                    rng.chance(10),
                    rng.chance(10),
                    sql(&vote_average),
                    sql(&vote_count),
                    sql(&popularity),
                    sql(&revenue),
                    *rng.pick(&[Some("Released"), Some("Rumored"), Some(""), None]),
                ],
            )
            .unwrap();
            let rare = rng.chance(2).then_some((9, 7));
            // Genres in random order (a list item gives them by ord, not by id), and some rows
            // without an ord, as loaded before ords existed (they come first, then by id).
            let genres: Vec<_> = (0..rng.below(4))
                .map(|o| (o, 1 + rng.below(6)))
                .chain(rare)
                .collect();
            for (ord, genre) in genres {
                let ord = (!rng.chance(10)).then_some(ord as i64);
                tx.execute(
                    "INSERT OR IGNORE INTO movie_genre (movie_id, genre_id, ord) VALUES (?, ?, ?)",
                    params![id, genre as i64, ord],
                )
                .unwrap();
            }
            for ord in 0..rng.below(3) {
                tx.execute(
                    "INSERT INTO movie_keyword (movie_id, ord, keyword_id) VALUES (?, ?, ?)",
                    params![id, ord as i64, 1 + rng.below(10) as i64],
                )
                .unwrap();
                tx.execute(
                    "INSERT INTO movie_company (movie_id, ord, company_id) VALUES (?, ?, ?)",
                    params![id, ord as i64, 1 + rng.below(8) as i64],
                )
                .unwrap();
            }
            for c in 0..rng.below(4) {
                tx.execute(
                    "INSERT INTO credit (credit_id, movie_id, person_id, kind) VALUES (?, ?, ?, ?)",
                    params![
                        format!("{id}-{c}"),
                        id,
                        1 + rng.below(30) as i64,
                        *rng.pick(&["cast", "crew"])
                    ],
                )
                .unwrap();
            }
            for ord in 0..rng.below(3) {
                tx.execute(
                    "INSERT INTO release_date (movie_id, ord, iso_3166_1, certification) \
                     VALUES (?, ?, ?, ?)",
                    params![
                        id,
                        ord as i64,
                        *rng.pick(&["US", "DE"]),
                        *rng.pick(&["G", "PG", "PG-13", "R", "NC-17", "", "12"])
                    ],
                )
                .unwrap();
                tx.execute(
                    "INSERT INTO movie_watch_provider (movie_id, iso_3166_1, kind, ord, \
                     provider_id) VALUES (?, ?, ?, ?, ?)",
                    params![
                        id,
                        *rng.pick(&["US", "DE"]),
                        *rng.pick(&["flatrate", "rent", "buy", "free"]),
                        ord as i64,
                        1 + rng.below(5) as i64
                    ],
                )
                .unwrap();
            }
        }
        // Links to a movie the mirror does not hold match nothing on either path.
        tx.execute(
            "INSERT INTO movie_genre (movie_id, genre_id, ord) VALUES (?, 1, 0)",
            params![n as i64 * 3 + 10],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO movie_keyword (movie_id, ord, keyword_id) VALUES (?, 0, 1)",
            params![n as i64 * 3 + 10],
        )
        .unwrap();
        tx.commit().unwrap();
        conn
    }

    /// A random discover request: any of TMDB's filters, any sort, pages 1-5 (and past).
    fn request(rng: &mut Rng) -> Vec<(String, String)> {
        let mut q: Vec<(&str, String)> = Vec::new();
        let ids = |rng: &mut Rng, max: u64| -> String {
            let mut out = (1 + rng.below(max)).to_string();
            for _ in 0..rng.below(3) {
                out.push(if rng.chance(50) { ',' } else { '|' });
                out.push_str(&(1 + rng.below(max)).to_string());
            }
            out
        };
        let sorts = [
            "popularity",
            "revenue",
            "primary_release_date",
            "release_date",
            "title",
            "original_title",
            "vote_average",
            "vote_count",
        ];
        if !rng.chance(10) {
            let order = if rng.chance(50) { "asc" } else { "desc" };
            q.push(("sort_by", format!("{}.{order}", rng.pick(&sorts))));
        }
        if rng.chance(40) {
            q.push(("with_genres", ids(rng, 7)));
        }
        if rng.chance(15) {
            q.push(("without_genres", ids(rng, 7)));
        }
        let date = |rng: &mut Rng| {
            format!(
                "{}-{:02}-{:02}",
                1989 + rng.below(14),
                1 + rng.below(12),
                1 + rng.below(28)
            )
        };
        for name in [
            "primary_release_date.gte",
            "primary_release_date.lte",
            "release_date.gte",
            "release_date.lte",
        ] {
            if rng.chance(12) {
                q.push((name, date(rng)));
            }
        }
        if rng.chance(15) {
            q.push(("primary_release_year", (1989 + rng.below(14)).to_string()));
        }
        if rng.chance(8) {
            q.push(("year", (1989 + rng.below(14)).to_string()));
        }
        if rng.chance(20) {
            q.push((
                "with_original_language",
                (*rng.pick(&["en", "fr", "ja", "de", "sv", "xx"])).to_owned(),
            ));
        }
        for (name, max) in [
            ("with_runtime.gte", 150),
            ("with_runtime.lte", 150),
            ("vote_count.gte", 55),
            ("vote_count.lte", 55),
        ] {
            if rng.chance(12) {
                q.push((name, rng.below(max).to_string()));
            }
        }
        for name in ["vote_average.gte", "vote_average.lte"] {
            if rng.chance(12) {
                q.push((
                    name,
                    (*rng.pick(&["0", "5.5", "6", "7.3", "8", "10", "-1"])).to_owned(),
                ));
            }
        }
        for (name, max) in [
            ("with_keywords", 11),
            ("without_keywords", 11),
            ("with_companies", 9),
            ("without_companies", 9),
            ("with_cast", 31),
            ("with_crew", 31),
            ("with_people", 31),
        ] {
            if rng.chance(6) {
                q.push((name, ids(rng, max)));
            }
        }
        if rng.chance(10) {
            q.push((
                "certification_country",
                (*rng.pick(&["US", "DE"])).to_owned(),
            ));
            match rng.below(4) {
                0 => q.push(("certification", "PG|R|12".to_owned())),
                1 => q.push(("certification.lte", "PG-13".to_owned())),
                2 => q.push(("certification", "G|PG ".to_owned())),
                _ => q.push(("certification.gte", "R".to_owned())),
            }
        }
        if rng.chance(10) {
            q.push(("with_watch_providers", ids(rng, 6)));
            if rng.chance(50) {
                q.push(("watch_region", (*rng.pick(&["US", "DE", "US "])).to_owned()));
            }
            if rng.chance(50) {
                let kinds = *rng.pick(&["rent|buy", "flatrate", "xyz", "free|ads"]);
                q.push(("with_watch_monetization_types", kinds.to_owned()));
            }
        } else if rng.chance(3) {
            q.push(("watch_region", "US".to_owned()));
        }
        if rng.chance(25) {
            q.push(("include_adult", "true".to_owned()));
        }
        if rng.chance(25) {
            q.push(("include_video", "true".to_owned()));
        }
        if rng.chance(50) {
            q.push(("page", (1 + rng.below(6)).to_string()));
        }
        q.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    /// The index answers exactly what the SQL path answers, on thousands of random requests.
    #[test]
    fn the_index_answers_as_sql_does() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let conn = mirror(3000, &mut rng);
        let index = Index::build(&conn).unwrap();
        assert_eq!(index.len(), 3000);
        let sparse = |rows: Option<&Rows>| matches!(rows, Some(Rows::Sparse(_)));
        assert!(sparse(index.languages.get(&b"sv"[..])) && sparse(index.genres.get(&7)));
        assert!(!sparse(index.languages.get(&b"en"[..])) && !sparse(index.genres.get(&1)));
        let (mut nonempty, mut many) = (0, 0);
        let mut compare = |index: &Index, requests: usize| {
            for _ in 0..requests {
                let pairs = request(&mut rng);
                let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
                let sql = super::super::lists::discover(&conn, &get, None).unwrap();
                let memory = super::super::lists::discover(&conn, &get, Some(index)).unwrap();
                assert_eq!(memory, sql, "{pairs:?}");
                if let Ok(answer) = &sql {
                    let answer = answer.value();
                    // Every movie of the page held: its genres came from the index.
                    let results = answer["results"].as_array().unwrap();
                    let ids: Vec<i64> = results.iter().map(|m| m["id"].as_i64().unwrap()).collect();
                    assert!(index.page_rows(&ids).is_some());
                    let results = answer["results"].as_array().unwrap().len();
                    nonempty += usize::from(results > 0);
                    many += usize::from(answer["total_results"].as_u64().unwrap() > 200);
                }
            }
        };
        compare(&index, 4000);
        // Ids too sparse for the build's table by id: it looks them up by binary search.
        conn.execute_batch(
            "INSERT INTO movie (id, title, popularity, release_date, vote_count) \
             VALUES (1000000000000, 'Zebra', 5, '1995-01-01', 3);
             INSERT INTO movie_genre (movie_id, genre_id, ord) VALUES (1000000000000, 1, 0);",
        )
        .unwrap();
        let index = Index::build(&conn).unwrap();
        assert_eq!(index.len(), 3001);
        compare(&index, 500);
        assert!(nonempty > 1000 && many > 500, "{nonempty} {many}");
    }

    /// A random native list request (`Db::movies`): every filter, sort and paging.
    fn native_request(rng: &mut Rng) -> (MovieFilter, Sort<MovieSort>, Page) {
        let maybe = |percent, rng: &mut Rng| rng.chance(percent);
        let filter = MovieFilter {
            year: maybe(30, rng).then(|| 1988 + rng.below(16) as i64),
            genre_id: maybe(30, rng).then(|| 1 + rng.below(8) as i64),
            language: maybe(20, rng).then(|| (*rng.pick(&["en", "fr", "sv", "xx"])).to_owned()),
            status: maybe(20, rng).then(|| (*rng.pick(&["Released", "Rumored", ""])).to_owned()),
            include_adult: maybe(25, rng),
            min_votes: maybe(15, rng).then(|| rng.below(55) as i64),
            keyword_id: maybe(10, rng).then(|| 1 + rng.below(11) as i64),
            company_id: maybe(10, rng).then(|| 1 + rng.below(9) as i64),
            certification: maybe(20, rng).then(|| {
                let country = *rng.pick(&["US", "DE", "FR"]);
                let certification = *rng.pick(&["G", "PG", "", "12", "R", "pg"]);
                (country.to_owned(), certification.to_owned())
            }),
            provider: maybe(20, rng).then(|| {
                (
                    1 + rng.below(6) as i64,
                    (*rng.pick(&["US", "DE"])).to_owned(),
                )
            }),
            runtime_min: maybe(15, rng).then(|| 50 + rng.below(90) as i64),
            runtime_max: maybe(15, rng).then(|| 50 + rng.below(90) as i64),
        };
        let sort = Sort {
            field: *rng.pick(&[
                MovieSort::Popularity,
                MovieSort::ReleaseDate,
                MovieSort::VoteAverage,
                MovieSort::VoteCount,
                MovieSort::Title,
            ]),
            descending: rng.chance(50),
        };
        let page = Page {
            page: 1 + rng.below(8) as i64,
            limit: *rng.pick(&[1, 20, 100]),
        };
        (filter, sort, page)
    }

    /// `Db::movies` answers from the index exactly what it answers by SQL.
    #[test]
    fn the_index_answers_native_lists_as_sql_does() {
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let conn = mirror(3000, &mut rng);
        let path =
            std::env::temp_dir().join(format!("tmdb-serve-native-index-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        conn.execute("VACUUM INTO ?1", [path.to_str().unwrap()])
            .unwrap();
        let open = |shared: Arc<Shared>| {
            let source = Source::Sqlite(path.clone(), tmdb_core::db::ReadAccess::Shared);
            Db::open(&source, shared).unwrap()
        };
        // Two workers, each with caches of its own (the list cache keeps a list's first ids).
        let mut sql = open(Arc::new(Shared::default()));
        let mut memory = open(Arc::new(Shared::default()));
        let index = Index::build(&conn).unwrap();
        let (mut nonempty, mut many) = (0, 0);
        for _ in 0..4000 {
            let (filter, sort, page) = native_request(&mut rng);
            let want = sql.movies(&filter, sort, page, None).unwrap();
            let got = memory.movies(&filter, sort, page, Some(&index)).unwrap();
            assert_eq!(
                (got.total, &got.results),
                (want.total, &want.results),
                "{filter:?} {sort:?} {page:?}"
            );
            // Every movie of the page held: its genres came from the index.
            let ids: Vec<i64> = got
                .results
                .iter()
                .map(|m| m.value()["id"].as_i64().unwrap())
                .collect();
            assert!(index.page_rows(&ids).is_some());
            nonempty += usize::from(!want.results.is_empty());
            many += usize::from(want.total > 300);
        }
        assert!(nonempty > 1000 && many > 300, "{nonempty} {many}");
        drop((sql, memory));
        let _ = std::fs::remove_file(&path);
    }

    /// A title search ranked in memory answers what SQL answers: the same matches, ranks,
    /// popularity ties (and NULLs) broken by id, both orders, every page, adult films or not.
    #[test]
    fn the_index_ranks_title_searches_as_sql_does() {
        let mut rng = Rng(0x5851_F42D_4C95_7F2D);
        let conn = mirror(3000, &mut rng);
        // One title four times: equal ranks, two equal popularities (then by id), a NULL one.
        conn.execute_batch(
            "INSERT INTO movie (id, title, popularity) VALUES (2000000001, 'Quokka', 5.0), \
             (2000000000, 'Quokka', 5.0), (2000000002, 'Quokka', 6), (2000000003, 'Quokka', NULL);",
        )
        .unwrap();
        let path =
            std::env::temp_dir().join(format!("tmdb-serve-search-index-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        conn.execute("VACUUM INTO ?1", [path.to_str().unwrap()])
            .unwrap();
        let open = || {
            let source = Source::Sqlite(path.clone(), tmdb_core::db::ReadAccess::Shared);
            Db::open(&source, Arc::new(Shared::default())).unwrap()
        };
        let (mut sql, mut memory) = (open(), open());
        let index = Index::build(&conn).unwrap();
        let words = [
            "zebra", "alpha", "night", "ete", "okami", "the", "z", "al", "nig", "quokka",
        ];
        let mut many = 0;
        for _ in 0..1500 {
            let text = (0..=rng.below(2))
                .map(|_| *rng.pick(&words))
                .collect::<Vec<_>>()
                .join(" ");
            let fts = crate::queries::fts_query(Dialect::Sqlite, &text).unwrap();
            let filter = MovieFilter {
                include_adult: rng.chance(30),
                ..MovieFilter::default()
            };
            let sort = Sort {
                field: SearchSort::Relevance,
                descending: !rng.chance(30),
            };
            let page = Page {
                page: 1 + rng.below(4) as i64,
                limit: *rng.pick(&[1, 20, 100]),
            };
            for db in [&mut sql, &mut memory] {
                db.begin().unwrap();
            }
            let want = sql.search_movies(&fts, &filter, sort, page, None).unwrap();
            let got = memory
                .search_movies(&fts, &filter, sort, page, Some(&index))
                .unwrap();
            assert_eq!(
                (got.total, &got.results),
                (want.total, &want.results),
                "{text:?} {filter:?} {sort:?} {page:?}"
            );
            // The index ranked them (SQL did not): it held every match and no rank was NaN.
            let ranked_ids = Dialect::Sqlite
                .search(Searched::Movies, "m")
                .ranked_ids
                .unwrap();
            let matches = read::rows(memory.conn(), &ranked_ids, &[SqlValue::Text(fts)], |r| {
                let rank = match r.get(1)? {
                    Val::Real(x) => x,
                    _ => f64::NAN,
                };
                Ok((r.int(0)?.unwrap(), rank))
            })
            .unwrap();
            let ranked = index.sort_ranked(matches, filter.include_adult).unwrap();
            assert_eq!(ranked.len() as i64, want.total);
            many += usize::from(want.total > 100 && !want.results.is_empty());
            for db in [&mut sql, &mut memory] {
                db.end();
            }
        }
        assert!(many > 300, "{many}");
        drop((sql, memory));
        let _ = std::fs::remove_file(&path);
    }

    /// What a list item would show otherwise than SQL (a genre id that is not an integer, a
    /// genre name that is not UTF-8) leaves the mirror without an index, answered by SQL.
    #[test]
    fn the_index_refuses_genres_it_could_not_list_as_sql_does() {
        let mut rng = Rng(7);
        for bad in [
            "INSERT INTO movie_genre (movie_id, genre_id, ord) VALUES ((SELECT min(id) FROM movie), 'x', 9)",
            "UPDATE genre SET name = CAST(X'FF' AS TEXT) WHERE id = 1",
        ] {
            let conn = mirror(50, &mut rng);
            Index::build(&conn).unwrap();
            conn.execute(bad, []).unwrap();
            let err = Index::build(&conn).unwrap_err().to_string();
            assert!(err.contains("genre"), "{bad}: {err}");
        }
    }

    /// A movie's row by id, from the table or by search, is the one the ids say.
    #[test]
    fn rows_are_found_by_id_whether_ids_are_dense_or_not() {
        let mut rng = Rng(5);
        // Dense ids (a table) with a negative one, sparse ones (a search), and none.
        for (n, spread) in [(1000, 3), (1000, 40), (50, 1_000_000_000), (0, 1)] {
            let mut ids: Vec<i64> = (0..n).map(|_| rng.below(n * spread) as i64).collect();
            if n > 0 {
                ids.push(-7);
            }
            ids.sort_unstable();
            ids.dedup();
            let rows = RowsById::new(&ids);
            assert_eq!(rows.table.is_empty(), n == 0 || spread > 3, "{n} {spread}");
            // Every id and its neighbours, the ends, and ids drawn at random.
            let near = ids.iter().flat_map(|&id| [id - 1, id, id + 1]);
            let far = [i64::MIN, -1, 0, i64::MAX];
            let drawn: Vec<i64> = (0..1000)
                .map(|_| rng.below(n * spread + 5) as i64)
                .collect();
            for id in near.chain(far).chain(drawn) {
                let want = ids.binary_search(&id).ok().map(|row| row as u32);
                assert_eq!(rows.find(&ids, id), want, "{id} of {n} {spread}");
            }
        }
    }

    /// Galloping finds every id where it is, and none that is not there.
    #[test]
    fn galloping_finds_exactly_the_ids_there() {
        for n in [0, 1, 2, 3, 7, 64, 100] {
            let ids: Vec<i64> = (0..n).map(|i| 2 * i as i64).collect();
            for id in -1..=2 * n as i64 {
                let want = ids.binary_search(&id).ok();
                assert_eq!(gallop(&ids, id), want, "{id} in {n}");
            }
        }
    }

    /// An interval of a column's order comes out the same whatever its edges and length.
    #[test]
    fn intervals_keep_exactly_their_rows() {
        let n = 1000;
        let ordered: Vec<(u32, Option<i64>)> = (0..n as u32)
            .map(|r| ((r * 7) % n as u32, (r >= 10).then_some(i64::from(r / 3))))
            .collect();
        let column = Column::new("x", ordered.clone(), false).unwrap();
        for (gte, lte) in [
            (None, None),
            (Some(0), Some(2)),
            (Some(5), None),
            (None, Some(300)),
        ]
        .into_iter()
        .chain((0..40).map(|i| (Some(i * 7), Some(i * 9 + 3))))
        {
            let mut set = Bits::ones(n);
            column.keep(&mut set, column.interval(gte.as_ref(), lte.as_ref()));
            let expected: Vec<u32> = {
                let mut rows: Vec<u32> = ordered
                    .iter()
                    .filter(|(_, v)| {
                        v.is_some_and(|v| gte.is_none_or(|g| v >= g) && lte.is_none_or(|l| v <= l))
                    })
                    .map(|(r, _)| *r)
                    .collect();
                rows.sort_unstable();
                rows
            };
            assert_eq!(set.rows().collect::<Vec<_>>(), expected, "{gte:?} {lte:?}");
        }
        // Values the database gave out of this order are refused, not mis-indexed.
        assert!(Column::new("x", vec![(0, Some(2)), (1, Some(1))], false).is_err());
        assert!(Column::new("x", vec![(0, Some(2)), (1, None)], false).is_err());
    }
}
