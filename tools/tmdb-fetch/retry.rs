//! What to do with an answer, and how long to wait before trying again.
//!
//! docs/tmdb.md, "Errors" and "Rate limit": 404 (status_code 34) means the ID is gone; 401 means
//! the token is refused and the run stops; 429 and every 5xx (JSON or a CDN's HTML page) are
//! transient, as are 408 and failures below HTTP (connection refused or reset, timeouts, truncated
//! or invalid bodies); any other 4xx is our request's fault and retrying cannot help.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What an HTTP status means for the request that got it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx: read the body.
    Success,
    /// 404: TMDB no longer has this ID (a tombstone, not a failure).
    Gone,
    /// 401: stop the whole run.
    AuthRefused,
    /// 429: pause every worker, slow down, try again.
    Throttled,
    /// 5xx, 408: try again after a backoff.
    Transient,
    /// Other statuses: fail this request now.
    Permanent,
}

pub fn classify(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Success,
        401 => Verdict::AuthRefused,
        404 => Verdict::Gone,
        429 => Verdict::Throttled,
        408 | 500..=599 => Verdict::Transient,
        _ => Verdict::Permanent,
    }
}

/// Exponential backoff with full jitter (a uniformly random wait up to the exponential bound),
/// so that workers that failed together do not retry together.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    pub const DEFAULT: Backoff = Backoff {
        base: Duration::from_millis(250),
        cap: Duration::from_secs(20),
    };

    /// The bound for the `retry`-th retry (0-based): `base * 2^retry`, at most `cap`.
    pub fn bound(self, retry: u32) -> Duration {
        self.base
            .saturating_mul(1u32 << retry.min(20))
            .min(self.cap)
    }

    /// A random wait in `[0, bound(retry)]`.
    pub fn delay(self, retry: u32) -> Duration {
        self.bound(retry).mul_f64(random_fraction())
    }
}

/// A uniform number in `[0, 1)`: SplitMix64 over a shared counter seeded by the clock. Jitter
/// needs spread, not secrecy.
fn random_fraction() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut seed = STATE.load(Ordering::Relaxed);
    if seed == 0 {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        let _ = STATE.compare_exchange(0, nanos | 1, Ordering::Relaxed, Ordering::Relaxed);
        seed = STATE.load(Ordering::Relaxed);
    }
    let mut z = seed.wrapping_add(STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// `Retry-After` in seconds (TMDB's legacy limiter sent seconds; an HTTP date is not worth
/// parsing here and falls back to the backoff).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(300.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified_as_reference_md_says() {
        let cases = [
            (200, Verdict::Success),
            (401, Verdict::AuthRefused),
            (404, Verdict::Gone),
            (429, Verdict::Throttled),
            (500, Verdict::Transient),
            (502, Verdict::Transient),
            (503, Verdict::Transient),
            (504, Verdict::Transient),
            (408, Verdict::Transient),
            (400, Verdict::Permanent),
            (403, Verdict::Permanent),
            (422, Verdict::Permanent),
        ];
        for (status, want) in cases {
            assert_eq!(classify(status), want, "{status}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitters_below_its_bound() {
        let b = Backoff::DEFAULT;
        assert_eq!(b.bound(0), Duration::from_millis(250));
        assert_eq!(b.bound(1), Duration::from_millis(500));
        assert_eq!(b.bound(4), Duration::from_secs(4));
        assert_eq!(b.bound(7), Duration::from_secs(20));
        assert_eq!(b.bound(60), Duration::from_secs(20));
        let delays: Vec<Duration> = (0..200).map(|_| b.delay(3)).collect();
        assert!(delays.iter().all(|d| *d <= b.bound(3)));
        let distinct: std::collections::HashSet<_> = delays.iter().collect();
        assert!(distinct.len() > 150, "jitter should spread the waits");
    }

    #[test]
    fn retry_after_is_seconds() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
