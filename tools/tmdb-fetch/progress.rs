//! Progress on stderr: the tools' one bar (`tmdb_core::progress`) when stderr is a terminal;
//! otherwise (logs, make) one short line every 15 seconds, so long runs show they are alive
//! without flooding a log.
//! Also the final summary line, which is always printed.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use tmdb_core::progress::{self, Unit};
use tokio::task::JoinHandle;

use crate::client::{Client, Stats};

const LOG_EVERY: Duration = Duration::from_secs(15);

/// What a run did, for the summary line.
#[derive(Debug, Default)]
pub struct Counts {
    pub fetched: AtomicU64,
    pub gone: AtomicU64,
    pub failed: AtomicU64,
    pub skipped: AtomicU64,
}

pub struct Progress {
    label: &'static str,
    total: Option<u64>,
    started: Instant,
    pub counts: Counts,
    client: Arc<Client>,
    bar: Option<ProgressBar>,
    ticker: Mutex<Option<JoinHandle<()>>>,
}

impl Progress {
    /// Starts showing progress of `label` (the subcommand) over `total` items when known.
    pub fn start(label: &'static str, total: Option<u64>, client: Arc<Client>) -> Arc<Progress> {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = progress::bar(&format!("tmdb-fetch {label}"), total, Unit::Items);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let progress = Arc::new(Progress {
            label,
            total,
            started: Instant::now(),
            counts: Counts::default(),
            client,
            bar,
            ticker: Mutex::new(None),
        });
        if progress.bar.is_none() {
            let weak = Arc::downgrade(&progress);
            let handle = tokio::spawn(async move {
                loop {
                    tokio::time::sleep(LOG_EVERY).await;
                    match weak.upgrade() {
                        Some(progress) => eprintln!("{}", progress.line()),
                        None => return,
                    }
                }
            });
            *progress.lock_ticker() = Some(handle);
        }
        progress
    }

    /// One item done: fetched, gone or failed (the counter to bump).
    pub fn done(&self, counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.inc(1);
            let failed = self.counts.failed.load(Ordering::Relaxed);
            if failed > 0 {
                bar.set_message(format!("{failed} failed"));
            }
        }
    }

    /// Prints one line on stderr without tearing the bar.
    pub fn note(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    fn line(&self) -> String {
        let done = self.counts.fetched.load(Ordering::Relaxed)
            + self.counts.gone.load(Ordering::Relaxed)
            + self.counts.failed.load(Ordering::Relaxed);
        let of = self.total.map(|n| format!("/{n}")).unwrap_or_default();
        format!(
            "tmdb-fetch: {}: {done}{of} done, {} failed, {}",
            self.label,
            self.counts.failed.load(Ordering::Relaxed),
            progress::rate(self.rate(), "req")
        )
    }

    fn rate(&self) -> f64 {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        Stats::get(&self.client.stats.requests) as f64 / secs
    }

    /// Passes `result` through, printing the summary first when it is an error: a run that
    /// stops still says what it did.
    pub fn or_finish<T>(&self, result: anyhow::Result<T>) -> anyhow::Result<T> {
        if result.is_err() {
            self.finish();
        }
        result
    }

    /// Stops the bar or the ticker and prints the summary line.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if let Some(handle) = self.lock_ticker().take() {
            handle.abort();
        }
        eprintln!("{}", self.summary());
    }

    /// `tmdb-fetch: movies: fetched N, gone G, failed F, skipped S, retries R, 429s Q,
    /// requests T in E.Es (X req/s)`
    pub fn summary(&self) -> String {
        let c = &self.counts;
        let s = &self.client.stats;
        format!(
            "tmdb-fetch: {}: fetched {}, gone {}, failed {}, skipped {}, retries {}, 429s {}, \
             requests {} in {:.1}s ({})",
            self.label,
            Stats::get(&c.fetched),
            Stats::get(&c.gone),
            Stats::get(&c.failed),
            Stats::get(&c.skipped),
            Stats::get(&s.retries),
            Stats::get(&s.throttled),
            Stats::get(&s.requests),
            self.started.elapsed().as_secs_f64(),
            progress::rate(self.rate(), "req")
        )
    }

    fn lock_ticker(&self) -> std::sync::MutexGuard<'_, Option<JoinHandle<()>>> {
        self.ticker.lock().unwrap_or_else(|e| e.into_inner())
    }
}
