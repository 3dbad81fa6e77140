//! What the workers remember between requests: answers by request target, counts
//! (`total_results`, genre sizes, row counts) that cost a scan each on a large mirror, and the
//! ordered ids of the lists that are small enough to keep whole.
//!
//! All are only valid for the data they were computed from. Each worker asks its own
//! connection for SQLite's `data_version` before every request; the first to see a change (a
//! commit by ndjson-load) calls [`Shared::invalidate`], which empties every cache and moves
//! the epoch on, so an answer computed from older data is never stored afterwards.
//!
//! The discover index (`tmdb/discover_index.rs`) is kept here too, with the epoch it was read
//! at: [`Shared::invalidate`] drops it and wakes the thread that builds it again.
//!
//! The bounds are crude on purpose: past the limits the whole cache starts afresh, which
//! keeps memory bounded without the bookkeeping of an LRU.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::http::Response;
use crate::tmdb::discover_index::Index;

/// At most this many answer bytes are kept.
const RESPONSE_BYTES_MAX: usize = 64 << 20;
/// At most this many answers are kept.
const RESPONSES_MAX: usize = 20_000;
/// At most this many counts are kept.
const COUNTS_MAX: usize = 20_000;
/// At most this many search phrase counts are kept. They are apart from the other counts,
/// which every new search adds one to (its total), so that those do not push out the few
/// thousand phrases most searches are made of, each of which costs a scan to count again.
const PHRASE_COUNTS_MAX: usize = 200_000;
/// At most this many lists are kept (each at most [`LIST_HEAD`] ids: 16 MB in all).
const LISTS_MAX: usize = 20_000;
/// The first this many ids of a list are kept: a page of the largest limit, the first five
/// of the default one. Keeping more costs every first request of a list a longer sort (a
/// year's list on 1,000,000 movies: ~20% more time for 500).
pub const LIST_HEAD: usize = 100;

/// Caches shared by every worker.
#[derive(Debug, Default)]
pub struct Shared {
    epoch: AtomicU64,
    responses: Mutex<Responses>,
    counts: Mutex<HashMap<String, i64>>,
    phrase_counts: Mutex<HashMap<String, i64>>,
    lists: Mutex<HashMap<String, Kept>>,
    /// Counts by value of one column (a runtime range's total is a sum of them).
    histograms: Mutex<HashMap<String, Histogram>>,
    /// The discover index and the epoch of the data it was read from.
    discover: Mutex<Option<(u64, Arc<Index>)>>,
    /// Signalled when the epoch moves on (with `discover` held, so no waiter misses it).
    changed: Condvar,
    /// Answers found and not found in the cache (for `/metrics`).
    hits: AtomicU64,
    misses: AtomicU64,
}

/// How many rows hold each value of a column: (value, rows), by value.
pub type Histogram = Arc<[(i64, i64)]>;

/// A list query's total and its first [`LIST_HEAD`] (or fewer) ids in order.
#[derive(Debug, Clone)]
pub struct Kept {
    pub total: i64,
    pub head: Arc<[i64]>,
}

#[derive(Debug, Default)]
struct Responses {
    by_target: HashMap<String, Response>,
    bytes: usize,
}

impl Shared {
    /// The current epoch: take it before computing something to [`Shared::put_response`] or
    /// [`Shared::put_count`] afterwards.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// The data changed: forget everything.
    pub fn invalidate(&self) {
        // Epoch first: a worker that computed from the old data and stores after this point
        // carries the old epoch and is turned away.
        self.epoch.fetch_add(1, Ordering::SeqCst);
        let mut responses = lock(&self.responses);
        responses.by_target.clear();
        responses.bytes = 0;
        lock(&self.counts).clear();
        lock(&self.phrase_counts).clear();
        lock(&self.lists).clear();
        lock(&self.histograms).clear();
        *lock(&self.discover) = None;
        self.changed.notify_all();
    }

    /// The discover index, if it was read from the data of `epoch`.
    pub fn discover_index(&self, epoch: u64) -> Option<Arc<Index>> {
        lock(&self.discover)
            .as_ref()
            .filter(|(built, _)| *built == epoch)
            .map(|(_, index)| Arc::clone(index))
    }

    /// Keeps the discover index read at `epoch`, unless the data changed since.
    pub fn put_discover_index(&self, epoch: u64, index: Arc<Index>) {
        let mut kept = lock(&self.discover);
        if self.epoch() == epoch {
            *kept = Some((epoch, index));
        }
    }

    /// Waits until the epoch is no longer `epoch` (or `timeout` passed).
    pub fn wait_for_change(&self, epoch: u64, timeout: Option<Duration>) {
        let mut kept = lock(&self.discover);
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        while self.epoch() == epoch {
            kept = match deadline {
                None => self
                    .changed
                    .wait(kept)
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(std::time::Instant::now());
                    if left.is_zero() {
                        return;
                    }
                    self.changed
                        .wait_timeout(kept, left)
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .0
                }
            };
        }
    }

    pub fn response(&self, target: &str) -> Option<Response> {
        let found = lock(&self.responses).by_target.get(target).cloned();
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Answers found and not found in the cache since the start.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    pub fn put_response(&self, epoch: u64, target: &str, response: &Response) {
        let mut responses = lock(&self.responses);
        if self.epoch() != epoch {
            return;
        }
        let size = target.len() + response.body.len();
        if responses.bytes + size > RESPONSE_BYTES_MAX || responses.by_target.len() >= RESPONSES_MAX
        {
            responses.by_target.clear();
            responses.bytes = 0;
        }
        if let Some(old) = responses
            .by_target
            .insert(target.to_owned(), response.clone())
        {
            responses.bytes -= target.len() + old.body.len();
        }
        responses.bytes += size;
    }

    pub fn count(&self, key: &str) -> Option<i64> {
        lock(&self.counts).get(key).copied()
    }

    pub fn put_count(&self, epoch: u64, key: &str, count: i64) {
        self.put_bounded(&self.counts, COUNTS_MAX, epoch, key, count);
    }

    /// How many rows of an FTS table contain a phrase (`rank.rs`), by table and phrase.
    pub fn phrase_count(&self, key: &str) -> Option<i64> {
        lock(&self.phrase_counts).get(key).copied()
    }

    pub fn put_phrase_count(&self, epoch: u64, key: &str, count: i64) {
        self.put_bounded(&self.phrase_counts, PHRASE_COUNTS_MAX, epoch, key, count);
    }

    /// A list query's total and first ids (`queries::Db::list`).
    pub fn list(&self, key: &str) -> Option<Kept> {
        lock(&self.lists).get(key).cloned()
    }

    pub fn put_list(&self, epoch: u64, key: &str, list: Kept) {
        self.put_bounded(&self.lists, LISTS_MAX, epoch, key, list);
    }

    /// The counts by value of a column, for a query (`queries::RuntimeTotal`).
    pub fn histogram(&self, key: &str) -> Option<Histogram> {
        lock(&self.histograms).get(key).cloned()
    }

    pub fn put_histogram(&self, epoch: u64, key: &str, histogram: Histogram) {
        self.put_bounded(&self.histograms, COUNTS_MAX, epoch, key, histogram);
    }

    /// Stores a value computed at `epoch` unless the data changed since; a full map starts
    /// afresh.
    fn put_bounded<T>(
        &self,
        map: &Mutex<HashMap<String, T>>,
        max: usize,
        epoch: u64,
        key: &str,
        value: T,
    ) {
        let mut values = lock(map);
        if self.epoch() != epoch {
            return;
        }
        if values.len() >= max {
            values.clear();
        }
        values.insert(key.to_owned(), value);
    }
}

/// A poisoned lock only means another worker panicked mid-update of a cache; the maps are
/// still valid maps, so carry on rather than take every worker down.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str) -> Response {
        Response {
            status: 200,
            content_type: "text/plain",
            body: body.as_bytes().to_vec(),
            headers: Vec::new(),
        }
    }

    #[test]
    fn answers_from_before_an_invalidation_are_not_stored() {
        let shared = Shared::default();
        let epoch = shared.epoch();
        shared.put_response(epoch, "/a", &answer("one"));
        assert_eq!(shared.response("/a").unwrap().body, b"one");
        shared.invalidate();
        assert!(shared.response("/a").is_none());
        shared.put_response(epoch, "/a", &answer("stale"));
        shared.put_count(epoch, "k", 3);
        assert!(shared.response("/a").is_none());
        assert_eq!(shared.count("k"), None);
        shared.put_count(shared.epoch(), "k", 4);
        assert_eq!(shared.count("k"), Some(4));
    }

    #[test]
    fn phrase_counts_are_apart_and_dropped_on_invalidation() {
        let shared = Shared::default();
        let epoch = shared.epoch();
        shared.put_phrase_count(epoch, "k", 7);
        for i in 0..COUNTS_MAX {
            shared.put_count(epoch, &i.to_string(), 1);
        }
        assert_eq!(
            shared.phrase_count("k"),
            Some(7),
            "other counts do not push it out"
        );
        assert_eq!(shared.count("k"), None);
        shared.invalidate();
        assert_eq!(shared.phrase_count("k"), None);
        shared.put_phrase_count(epoch, "k", 8);
        assert_eq!(shared.phrase_count("k"), None, "counted from older data");
    }

    fn kept(total: i64, head: &[i64]) -> Kept {
        Kept {
            total,
            head: head.into(),
        }
    }

    #[test]
    fn lists_are_dropped_on_invalidation_and_bounded() {
        let shared = Shared::default();
        let epoch = shared.epoch();
        shared.put_list(epoch, "a", kept(3, &[3, 1, 2]));
        shared.put_list(epoch, "a", kept(2, &[3, 1]));
        let a = shared.list("a").unwrap();
        assert_eq!((a.total, &a.head[..]), (2, &[3, 1][..]));
        // Past the bound the cache starts afresh.
        for i in 0..LISTS_MAX {
            shared.put_list(epoch, &i.to_string(), kept(1, &[1]));
        }
        assert!(shared.list("a").is_none());
        assert_eq!(lock(&shared.lists).len(), 1);
        shared.invalidate();
        assert!(shared.list(&(LISTS_MAX - 1).to_string()).is_none());
        shared.put_list(epoch, "a", kept(1, &[1]));
        assert!(shared.list("a").is_none(), "listed from older data");
    }

    #[test]
    fn replacing_an_answer_keeps_the_byte_count_right() {
        let shared = Shared::default();
        shared.put_response(0, "/a", &answer("12345"));
        shared.put_response(0, "/a", &answer("12"));
        assert_eq!(lock(&shared.responses).bytes, 4);
    }
}
