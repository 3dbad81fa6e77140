//! `cached_bm25`: FTS5's own bm25 ranking, with each phrase's document count remembered.
//!
//! FTS5's bm25() computes every phrase's IDF afresh for each query by visiting every row that
//! contains the phrase (`"mi"*` is in ~128,000 titles of a 1,000,000-movie mirror: ~3 ms),
//! although the count depends only on the data. This function computes exactly what
//! SQLite's fts5_aux.c computes (same constants, same operations in the same order, so the
//! same doubles and the same order of results), but takes each phrase's count from a cache
//! all workers share (`Shared::phrase_count`), keyed by table and phrase and emptied with
//! everything else when the data changes. It counts with `xQueryPhrase` only on a miss.
//!
//! SQL: `cached_bm25(<fts table>, '<fts table name>', <fts query>, <column weights>...)`.
//! The FTS query must be the MATCH expression, as `queries::fts_query` builds it: quoted words
//! separated by spaces, none containing a quote, the last one possibly followed by `*`. Each
//! quoted word is one FTS5 phrase, which names it in the cache. When the number of words
//! differs from the number of phrases FTS5 parsed, the phrases are counted uncached.
//!
//! All of tmdb-serve's unsafe code for SQLite's C interfaces is here. Nothing in the callbacks
//! panics on purpose; a panic would still be caught before it reached SQLite's C frames.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::Connection;
use rusqlite::ffi::{
    self, Fts5Context, Fts5ExtensionApi, fts5_api, sqlite3_context, sqlite3_value,
};

use crate::cache::Shared;

/// bm25's k1 and b, as in fts5_aux.c.
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// What the ranking function of one connection needs: the shared caches, and the epoch
/// taken before the current query started reading (a count is only stored under the epoch
/// of data at least as old as what it was counted from).
pub struct Ranker {
    shared: Arc<Shared>,
    epoch: AtomicU64,
}

impl Ranker {
    /// Call before running a query that ranks (`Db::begin` does, before every answer it
    /// computes): counts made by it are stored under the epoch of now, which no data the query
    /// can read is older than. Without it they are stored under an older epoch, which after
    /// any change means not at all: slower, never wrong.
    pub fn begin(&self) {
        self.epoch.store(self.shared.epoch(), Ordering::SeqCst);
    }
}

/// Registers `cached_bm25` on `conn`; the returned handle is for [`Ranker::begin`].
pub fn register(conn: &Connection, shared: Arc<Shared>) -> rusqlite::Result<Arc<Ranker>> {
    let ranker = Arc::new(Ranker {
        epoch: AtomicU64::new(shared.epoch()),
        shared,
    });
    let api = fts5_api(conn)?;
    let user_data = Arc::into_raw(Arc::clone(&ranker)) as *mut c_void;
    // SAFETY: `api` is the connection's live fts5_api (it lives as long as the connection).
    // SQLite owns `user_data` from here on and hands it to `drop_ranker` exactly once, when
    // the function is replaced or the connection closes, including when registration fails.
    let rc = unsafe {
        match (*api).xCreateFunction {
            Some(create) => create(
                api,
                c"cached_bm25".as_ptr(),
                user_data,
                Some(cached_bm25),
                Some(drop_ranker),
            ),
            None => {
                drop_ranker(user_data);
                ffi::SQLITE_MISUSE
            }
        }
    };
    check(rc, "cannot register cached_bm25")?;
    Ok(ranker)
}

/// The connection's `fts5_api`, as SQLite documents getting it: `SELECT fts5(?1)` with a
/// pointer bound to the `fts5_api_ptr` type, which the statement fills in.
fn fts5_api(conn: &Connection) -> rusqlite::Result<*mut fts5_api> {
    let mut api: *mut fts5_api = ptr::null_mut();
    let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
    // SAFETY: the handle is the open connection's; the statement is finalized before
    // returning; `api` outlives the statement, and the pointer type name is a static C string
    // as sqlite3_bind_pointer requires.
    let rc = unsafe {
        let db = conn.handle();
        let mut rc = ffi::sqlite3_prepare_v2(
            db,
            c"SELECT fts5(?1)".as_ptr(),
            -1,
            &mut stmt,
            ptr::null_mut(),
        );
        if rc == ffi::SQLITE_OK {
            rc = ffi::sqlite3_bind_pointer(
                stmt,
                1,
                (&raw mut api).cast::<c_void>(),
                c"fts5_api_ptr".as_ptr(),
                None,
            );
        }
        if rc == ffi::SQLITE_OK && ffi::sqlite3_step(stmt) != ffi::SQLITE_ROW {
            rc = ffi::sqlite3_errcode(db);
        }
        ffi::sqlite3_finalize(stmt);
        rc
    };
    check(rc, "cannot reach FTS5")?;
    if api.is_null() {
        return Err(error(ffi::SQLITE_ERROR, "this SQLite has no FTS5"));
    }
    Ok(api)
}

fn check(rc: c_int, message: &str) -> rusqlite::Result<()> {
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(error(rc, message))
    }
}

fn error(rc: c_int, message: &str) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(ffi::Error::new(rc), Some(message.to_owned()))
}

/// xDestroy of the function's user data.
unsafe extern "C" fn drop_ranker(user_data: *mut c_void) {
    // SAFETY: `user_data` came from `Arc::into_raw` in `register`, and SQLite calls this once.
    drop(unsafe { Arc::from_raw(user_data as *const Ranker) });
}

/// Per-query data, kept with xSetAuxdata as bm25 keeps its own: computed on the first row.
struct QueryData {
    avgdl: f64,
    idf: Vec<f64>,
    /// Scratch for each row's weighted phrase frequencies.
    freq: Vec<f64>,
}

unsafe extern "C" fn drop_query_data(data: *mut c_void) {
    // SAFETY: `data` came from `Box::into_raw` in `query_data`; SQLite frees it once.
    drop(unsafe { Box::from_raw(data.cast::<QueryData>()) });
}

/// The FTS5 extension API and context SQLite passed to one call of the function.
struct Api<'a> {
    api: &'a Fts5ExtensionApi,
    fts: *mut Fts5Context,
}

/// An SQLite result code that is not SQLITE_OK.
type Code = c_int;

macro_rules! call {
    ($api:expr, $name:ident ( $($arg:expr),* )) => {
        match $api.api.$name {
            // SAFETY (for every use): the function pointer comes from the Fts5ExtensionApi
            // SQLite passed to this call, with the Fts5Context of the same call, which are
            // valid for the duration of the call; out-pointers point to live locals.
            Some(f) => unsafe { f($api.fts, $($arg),*) },
            None => return Err(ffi::SQLITE_MISUSE),
        }
    };
}

fn rc(rc: c_int) -> Result<(), Code> {
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(rc)
    }
}

/// The ranking function (an `fts5_extension_function`).
unsafe extern "C" fn cached_bm25(
    api: *const Fts5ExtensionApi,
    fts: *mut Fts5Context,
    ctx: *mut sqlite3_context,
    n_val: c_int,
    values: *mut *mut sqlite3_value,
) {
    let run = AssertUnwindSafe(|| {
        // SAFETY: SQLite passes a valid API table and `n_val` valid argument values for the
        // duration of this call.
        let (api, args) = unsafe {
            let args: &[*mut sqlite3_value] = match usize::try_from(n_val) {
                Ok(n) if n > 0 && !values.is_null() => std::slice::from_raw_parts(values, n),
                _ => &[],
            };
            (Api { api: &*api, fts }, args)
        };
        score(&api, args)
    });
    match catch_unwind(run) {
        // SAFETY: `ctx` is this call's context.
        Ok(Ok(score)) => unsafe { ffi::sqlite3_result_double(ctx, score) },
        Ok(Err(code)) => unsafe { ffi::sqlite3_result_error_code(ctx, code) },
        Err(_) => unsafe {
            ffi::sqlite3_result_error(ctx, c"cached_bm25: internal error".as_ptr(), -1);
        },
    }
}

/// bm25 of the current row, as fts5Bm25Function computes it.
fn score(api: &Api<'_>, args: &[*mut sqlite3_value]) -> Result<f64, Code> {
    if args.len() < 2 {
        return Err(ffi::SQLITE_MISUSE);
    }
    // SAFETY: see `query_data`; this call is the only user while it runs.
    let data = unsafe { &mut *query_data(api, args)? };
    data.freq.fill(0.0);
    let mut n_inst: c_int = 0;
    rc(call!(api, xInstCount(&mut n_inst)))?;
    for i in 0..n_inst {
        let (mut phrase, mut column, mut offset): (c_int, c_int, c_int) = (0, 0, 0);
        rc(call!(api, xInst(i, &mut phrase, &mut column, &mut offset)))?;
        // The column weights come after the table name and the query (bm25's come first).
        let weight = usize::try_from(column)
            .ok()
            .and_then(|c| args.get(2 + c))
            // SAFETY: an argument value of this call.
            .map_or(1.0, |&v| unsafe { ffi::sqlite3_value_double(v) });
        let slot = usize::try_from(phrase)
            .ok()
            .and_then(|p| data.freq.get_mut(p))
            .ok_or(ffi::SQLITE_CORRUPT)?;
        *slot += weight;
    }
    let mut n_tok: c_int = 0;
    rc(call!(api, xColumnSize(-1, &mut n_tok)))?;
    let d = f64::from(n_tok);
    let mut score = 0.0;
    for (idf, freq) in data.idf.iter().zip(&data.freq) {
        score += idf * ((freq * (K1 + 1.0)) / (freq + K1 * (1.0 - B + B * d / data.avgdl)));
    }
    Ok(-score)
}

/// The query's [`QueryData`], computed and attached on the first row. The query owns it:
/// it stays valid until the query ends, and only the current call of the function uses it.
fn query_data(api: &Api<'_>, args: &[*mut sqlite3_value]) -> Result<*mut QueryData, Code> {
    let existing = call!(api, xGetAuxdata(0)).cast::<QueryData>();
    if !existing.is_null() {
        return Ok(existing);
    }
    let n_phrase = call!(api, xPhraseCount());
    let phrases = usize::try_from(n_phrase).map_err(|_| ffi::SQLITE_CORRUPT)?;
    let mut n_row: i64 = 0;
    rc(call!(api, xRowCount(&mut n_row)))?;
    let mut n_token: i64 = 0;
    rc(call!(api, xColumnTotalSize(-1, &mut n_token)))?;
    let avgdl = n_token as f64 / n_row as f64;

    // SAFETY: argument values of this call; SQLite's text stays valid while they are unchanged.
    let table = unsafe { text(args[0]) };
    let query = unsafe { text(args[1]) };
    let ranker = call!(api, xUserData()).cast::<Ranker>();
    // SAFETY: the user data registered with this function in `register`, alive as long as the
    // function is.
    let ranker = unsafe { &*ranker };
    let words = query.and_then(|q| cache_names(q, phrases));
    let mut idf = Vec::with_capacity(phrases);
    for i in 0..n_phrase {
        let key = table
            .zip(words.as_ref())
            .and_then(|(table, words)| Some(format!("{table}\u{1}{}", words.get(i as usize)?)));
        let hits = match key.as_deref().and_then(|k| ranker.shared.phrase_count(k)) {
            Some(hits) => hits,
            None => {
                let hits = phrase_rows(api, i)?;
                if let Some(key) = &key {
                    ranker
                        .shared
                        .put_phrase_count(ranker.epoch.load(Ordering::SeqCst), key, hits);
                }
                hits
            }
        };
        let mut value = (((n_row - hits) as f64 + 0.5) / (hits as f64 + 0.5)).ln();
        if value <= 0.0 {
            value = 1e-6;
        }
        idf.push(value);
    }
    let data = Box::into_raw(Box::new(QueryData {
        avgdl,
        idf,
        freq: vec![0.0; phrases],
    }));
    // On failure xSetAuxdata calls the destructor itself.
    rc(call!(
        api,
        xSetAuxdata(data.cast::<c_void>(), Some(drop_query_data))
    ))?;
    Ok(data)
}

/// The number of rows phrase `i` occurs in, counted as bm25 counts it.
fn phrase_rows(api: &Api<'_>, i: c_int) -> Result<i64, Code> {
    let mut hits: i64 = 0;
    rc(call!(
        api,
        xQueryPhrase(i, (&raw mut hits).cast::<c_void>(), Some(count_row))
    ))?;
    Ok(hits)
}

unsafe extern "C" fn count_row(
    _api: *const Fts5ExtensionApi,
    _fts: *mut Fts5Context,
    user_data: *mut c_void,
) -> c_int {
    // SAFETY: `user_data` is the `hits` local of `phrase_rows`, alive during xQueryPhrase.
    unsafe { *user_data.cast::<i64>() += 1 };
    ffi::SQLITE_OK
}

/// A text argument, if it is text and UTF-8.
///
/// # Safety
/// `value` must be a live argument value; the text borrowed from it must not outlive it.
unsafe fn text<'a>(value: *mut sqlite3_value) -> Option<&'a str> {
    // SAFETY: per this function's contract; sqlite3_value_text returns NUL-terminated UTF-8
    // or NULL.
    unsafe {
        if ffi::sqlite3_value_type(value) != ffi::SQLITE_TEXT {
            return None;
        }
        let p: *const c_char = ffi::sqlite3_value_text(value).cast();
        if p.is_null() {
            return None;
        }
        CStr::from_ptr(p).to_str().ok()
    }
}

/// The cache name of each phrase of an FTS query as `fts_query` writes it (the quoted word and
/// its `*` if any), or `None` when the query is not of that form or FTS5 parsed a different
/// number of phrases from it.
fn cache_names(query: &str, phrases: usize) -> Option<Vec<&str>> {
    let words: Vec<&str> = query.split(' ').collect();
    let well_formed = words.iter().all(|w| {
        let body = w.strip_suffix('*').unwrap_or(w);
        body.len() >= 2
            && body.starts_with('"')
            && body.ends_with('"')
            && !body[1..body.len() - 1].contains('"')
    });
    (well_formed && words.len() == phrases).then_some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_names_are_the_quoted_words_or_nothing() {
        assert_eq!(
            cache_names("\"kalo\" \"mim\"*", 2),
            Some(vec!["\"kalo\"", "\"mim\"*"])
        );
        assert_eq!(cache_names("\"kalo\" \"mim\"*", 1), None);
        assert_eq!(cache_names("kalo mim*", 2), None);
        assert_eq!(cache_names("\"a\"b\"", 1), None);
        assert_eq!(cache_names("\"\"", 1), Some(vec!["\"\""]));
    }
}
