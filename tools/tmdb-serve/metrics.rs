//! `GET /metrics`: what the server has done since it started, in Prometheus' text format.
//!
//! Requests are counted by route pattern (`/movies/{id}`, never the id itself, so the number of
//! series stays bounded whatever clients ask for) and status, with a latency histogram.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::routes::Route;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Counters the server updates as it goes.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<HashMap<(String, u16), Histogram>>,
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections closed to make room for new ones at the connection cap.
    pub evicted: AtomicU64,
    /// Failed accepts (out of descriptors, a reset during the handshake).
    pub accept_errors: AtomicU64,
    /// Connections closed for a request head that was malformed, too large or too slow.
    pub bad_heads: AtomicU64,
}

#[derive(Debug, Default)]
struct Histogram {
    /// Observations at or below each bucket's bound (cumulative, as Prometheus wants them).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Gauges read when the metrics are asked for.
pub struct Snapshot {
    pub open_connections: usize,
    pub cache_hits: u64,
    pub cache_misses: u64,
    pub data_version: u64,
    /// The movies and bytes of the discover index of the current data ((0, 0) while none).
    pub discover_index: (u64, u64),
}

impl Metrics {
    /// Counts one answered request.
    pub fn observe(&self, path: &str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let mut requests = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let histogram = requests.entry((route_label(path), status)).or_default();
        for (bound, count) in BUCKETS.iter().zip(histogram.buckets.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    /// The text exposition format, version 0.0.4.
    pub fn render(&self, now: &Snapshot) -> String {
        let mut out = String::new();
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut series: Vec<_> = requests.iter().collect();
        series.sort_by(|a, b| a.0.cmp(b.0));
        out.push_str("# HELP tmdb_serve_requests_total Requests answered, by route and status.\n");
        out.push_str("# TYPE tmdb_serve_requests_total counter\n");
        for ((route, status), h) in &series {
            let _ = writeln!(
                out,
                "tmdb_serve_requests_total{{route=\"{route}\",status=\"{status}\"}} {}",
                h.count
            );
        }
        out.push_str(
            "# HELP tmdb_serve_request_duration_seconds Time from request head to answer.\n",
        );
        out.push_str("# TYPE tmdb_serve_request_duration_seconds histogram\n");
        for ((route, status), h) in &series {
            let labels = format!("route=\"{route}\",status=\"{status}\"");
            for (bound, count) in BUCKETS.iter().zip(h.buckets) {
                let _ = writeln!(
                    out,
                    "tmdb_serve_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "tmdb_serve_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "tmdb_serve_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "tmdb_serve_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        drop(requests);
        let load = |n: &AtomicU64| n.load(Ordering::Relaxed);
        let scalars: [(&str, &str, &str, u64); 10] = [
            (
                "tmdb_serve_open_connections",
                "gauge",
                "Client connections open now.",
                now.open_connections as u64,
            ),
            (
                "tmdb_serve_connections_total",
                "counter",
                "Client connections accepted.",
                load(&self.connections),
            ),
            (
                "tmdb_serve_connections_evicted_total",
                "counter",
                "Idle connections closed to make room at the connection cap.",
                load(&self.evicted),
            ),
            (
                "tmdb_serve_accept_errors_total",
                "counter",
                "Failed accepts (the server backs off and keeps listening).",
                load(&self.accept_errors),
            ),
            (
                "tmdb_serve_bad_request_heads_total",
                "counter",
                "Connections closed for a malformed, oversized or slow request head.",
                load(&self.bad_heads),
            ),
            (
                "tmdb_serve_cache_hits_total",
                "counter",
                "Answers served from the answer cache.",
                now.cache_hits,
            ),
            (
                "tmdb_serve_cache_misses_total",
                "counter",
                "Answers computed because the cache did not hold them.",
                now.cache_misses,
            ),
            (
                "tmdb_serve_data_version",
                "gauge",
                "Changes to the database seen since the server started.",
                now.data_version,
            ),
            (
                "tmdb_serve_discover_index_movies",
                "gauge",
                "Movies in the discover index of the current data (0 while it is built: discover and the movie lists read SQL).",
                now.discover_index.0,
            ),
            (
                "tmdb_serve_discover_index_bytes",
                "gauge",
                "Memory held by the discover index of the current data.",
                now.discover_index.1,
            ),
        ];
        for (name, kind, help, value) in scalars {
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
            );
        }
        out
    }
}

/// The route pattern a path matches (`/movies/{id}`), or `unmatched`.
fn route_label(path: &str) -> String {
    if Route::parse(path).is_none() {
        return "unmatched".to_owned();
    }
    let decoded = crate::params::decode_path(path).unwrap_or_default();
    let trimmed = decoded
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(&decoded);
    trimmed
        .split('/')
        .map(|segment| {
            if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_route_patterns() {
        assert_eq!(route_label("/movies/550"), "/movies/{id}");
        assert_eq!(
            route_label("/movies/%35%35%30/credits/"),
            "/movies/{id}/credits"
        );
        assert_eq!(route_label("/"), "/");
        assert_eq!(route_label("/movies/"), "/movies");
        assert_eq!(route_label("/no/such/thing"), "unmatched");
    }

    #[test]
    fn histograms_are_cumulative() {
        let metrics = Metrics::default();
        metrics.observe("/movies/1", 200, Duration::from_micros(700));
        metrics.observe("/movies/2", 200, Duration::from_millis(30));
        let text = metrics.render(&Snapshot {
            open_connections: 1,
            cache_hits: 2,
            cache_misses: 3,
            data_version: 4,
            discover_index: (5, 6),
        });
        for line in [
            "tmdb_serve_requests_total{route=\"/movies/{id}\",status=\"200\"} 2",
            "tmdb_serve_request_duration_seconds_bucket{route=\"/movies/{id}\",status=\"200\",le=\"0.0005\"} 0",
            "tmdb_serve_request_duration_seconds_bucket{route=\"/movies/{id}\",status=\"200\",le=\"0.001\"} 1",
            "tmdb_serve_request_duration_seconds_bucket{route=\"/movies/{id}\",status=\"200\",le=\"0.05\"} 2",
            "tmdb_serve_request_duration_seconds_bucket{route=\"/movies/{id}\",status=\"200\",le=\"+Inf\"} 2",
            "tmdb_serve_open_connections 1",
            "tmdb_serve_data_version 4",
            "tmdb_serve_discover_index_movies 5",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }
}
