//! The one rate limiter of the process: every API request of every worker takes a slot here.
//!
//! Slots are spaced evenly at the current rate with no burst allowance, so the process never
//! sends more than `--rate` requests in any second (TMDB counts per address). A 429 pauses
//! every worker (until `Retry-After`, or a backoff when TMDB sends none) and halves the rate;
//! the rate then climbs back by a twentieth of `--rate` per calm second. 429s answering
//! requests sent before the last cut do not cut again: with 20 requests in flight one burst
//! of 429s is one signal, not twenty.
//!
//! [`Bucket`] is the arithmetic on explicit instants (unit-tested); [`Limiter`] adds the lock
//! and the sleeping.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The lowest fraction of `--rate` a run of 429s can push the process down to.
const MIN_FACTOR: f64 = 1.0 / 64.0;
/// How much of `--rate` comes back per second once 429s stop.
const RECOVERY_PER_SEC: f64 = 0.05;
/// How long after a cut the rate stays down before it starts climbing.
const CALM: Duration = Duration::from_secs(5);

/// Token-bucket state with a rate that 429s lower.
#[derive(Debug)]
pub struct Bucket {
    base_rate: f64,
    factor: f64,
    next_slot: Instant,
    paused_until: Instant,
    last_cut: Option<Instant>,
    updated: Instant,
}

impl Bucket {
    pub fn new(rate: f64, now: Instant) -> Bucket {
        Bucket {
            base_rate: rate,
            factor: 1.0,
            next_slot: now,
            paused_until: now,
            last_cut: None,
            updated: now,
        }
    }

    /// Requests per second allowed now.
    pub fn rate(&self) -> f64 {
        self.base_rate * self.factor
    }

    /// Reserves the next free slot at or after `now`.
    pub fn reserve(&mut self, now: Instant) -> Instant {
        self.recover(now);
        let slot = now.max(self.next_slot).max(self.paused_until);
        self.next_slot = slot + Duration::from_secs_f64(1.0 / self.rate());
        slot
    }

    /// Whether a pause set after a slot was reserved still holds at `now`.
    pub fn is_paused(&self, now: Instant) -> bool {
        self.paused_until > now
    }

    /// A 429 answered a request sent at `sent_at`: pause everyone for `pause`, and cut the
    /// rate unless a cut already followed that request.
    pub fn throttle(&mut self, now: Instant, sent_at: Instant, pause: Duration) {
        self.paused_until = self.paused_until.max(now + pause);
        if self.last_cut.is_some_and(|cut| sent_at < cut) {
            return;
        }
        self.recover(now);
        self.factor = (self.factor / 2.0).max(MIN_FACTOR);
        self.last_cut = Some(now);
        self.updated = now;
    }

    fn recover(&mut self, now: Instant) {
        let calm_from = match self.last_cut {
            Some(cut) => (cut + CALM).max(self.paused_until),
            None => return,
        };
        if now <= calm_from {
            return;
        }
        let since = self.updated.max(calm_from);
        let gained = now.saturating_duration_since(since).as_secs_f64() * RECOVERY_PER_SEC;
        self.factor = (self.factor + gained).min(1.0);
        self.updated = now;
    }
}

/// The shared limiter: [`Bucket`] behind a lock, with async waiting.
#[derive(Debug)]
pub struct Limiter {
    bucket: Mutex<Bucket>,
}

impl Limiter {
    pub fn new(rate: f64) -> Limiter {
        Limiter {
            bucket: Mutex::new(Bucket::new(rate, Instant::now())),
        }
    }

    /// Waits for a slot; returns when the request may be sent (its send time).
    pub async fn acquire(&self) -> Instant {
        loop {
            let slot = self.lock().reserve(Instant::now());
            tokio::time::sleep_until(slot.into()).await;
            let now = Instant::now();
            // A 429 that arrived while this slot waited pauses it too.
            if !self.lock().is_paused(now) {
                return now;
            }
        }
    }

    /// See [`Bucket::throttle`].
    pub fn throttle(&self, sent_at: Instant, pause: Duration) {
        self.lock().throttle(Instant::now(), sent_at, pause);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Bucket> {
        // The bucket holds plain numbers: a panic elsewhere cannot leave it inconsistent.
        self.bucket.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn slots_are_spaced_at_the_rate_without_burst() {
        let t0 = Instant::now();
        let mut b = Bucket::new(40.0, t0);
        let slots: Vec<Instant> = (0..5).map(|_| b.reserve(t0)).collect();
        for (i, slot) in slots.iter().enumerate() {
            assert_eq!(*slot - t0, ms(25 * i as u64));
        }
        // After idling, no credit is saved up: the next slot is now.
        let later = t0 + Duration::from_secs(10);
        assert_eq!(b.reserve(later), later);
        assert_eq!(b.reserve(later), later + ms(25));
    }

    #[test]
    fn a_429_pauses_everyone_and_halves_the_rate_once_per_burst() {
        let t0 = Instant::now();
        let mut b = Bucket::new(40.0, t0);
        let sent = b.reserve(t0);
        let now = t0 + ms(100);
        b.throttle(now, sent, Duration::from_secs(2));
        assert!(b.is_paused(now));
        assert_eq!(b.rate(), 20.0);
        // Requests that were already in flight answer 429 too: no further cut.
        b.throttle(now + ms(10), sent, Duration::from_secs(2));
        assert_eq!(b.rate(), 20.0);
        let resume = b.reserve(now + ms(20));
        assert_eq!(resume, now + ms(10) + Duration::from_secs(2));
        // A 429 for a request sent after the cut cuts again.
        b.throttle(resume + ms(5), resume, Duration::from_secs(1));
        assert_eq!(b.rate(), 10.0);
    }

    #[test]
    fn the_rate_recovers_after_a_calm_period_and_never_passes_the_flag() {
        let t0 = Instant::now();
        let mut b = Bucket::new(40.0, t0);
        b.throttle(t0, t0, Duration::from_secs(1));
        assert_eq!(b.rate(), 20.0);
        b.reserve(t0 + Duration::from_secs(4));
        assert_eq!(b.rate(), 20.0, "still calm-waiting");
        b.reserve(t0 + Duration::from_secs(9));
        assert!((b.rate() - 28.0).abs() < 1e-9, "{}", b.rate());
        b.reserve(t0 + Duration::from_secs(60));
        assert_eq!(b.rate(), 40.0);
    }

    #[test]
    fn cuts_stop_at_a_floor() {
        let t0 = Instant::now();
        let mut b = Bucket::new(40.0, t0);
        for i in 0..20 {
            let t = t0 + ms(i);
            b.throttle(t, t, ms(1));
        }
        assert_eq!(b.rate(), 40.0 * MIN_FACTOR);
    }
}
