//! Injected faults (`--fault-rate`, `--fault-seed`, `--stall-ms`): what real clients meet on
//! TMDB's CDN (docs/tmdb.md, "Errors"): 502 HTML pages, 503 and 500 JSON, connections closed
//! without an answer, stalls, and bodies cut short. Which request gets which fault is a pure
//! function of the seed and the request's number among `/3` requests, so a run is replayable.

use std::time::Duration;

use crate::errors;
use crate::http::{Reply, Response};
use crate::rng::{hash, tag};

/// One kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Html502,
    Json503,
    Json500,
    Dropped,
    Stall,
    Truncated,
}

const ALL: [Fault; 6] = [
    Fault::Html502,
    Fault::Json503,
    Fault::Json500,
    Fault::Dropped,
    Fault::Stall,
    Fault::Truncated,
];

/// The CDN's error page: not JSON.
const BAD_GATEWAY: &str = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" \"http://www.w3.org/TR/html4/loose.dtd\">\n<HTML><HEAD><META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=iso-8859-1\">\n<TITLE>ERROR: The request could not be satisfied</TITLE>\n</HEAD><BODY>\n<H1>502 ERROR</H1>\n<H2>The request could not be satisfied.</H2>\n<HR noshade size=\"1px\">\nCloudFront wasn't able to connect to the origin.\n</BODY></HTML>\n";

impl Fault {
    /// The name used in `/__stats`.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Html502 => "html_502",
            Fault::Json503 => "json_503",
            Fault::Json500 => "json_500",
            Fault::Dropped => "dropped",
            Fault::Stall => "stall",
            Fault::Truncated => "truncated",
        }
    }

    /// The reply that replaces the real answer, or `None` when the fault alters its delivery.
    pub fn replace(self) -> Option<Reply> {
        match self {
            Fault::Html502 => Some(Reply::Send(Response {
                status: 502,
                content_type: "text/html",
                headers: Vec::new(),
                body: BAD_GATEWAY.as_bytes().to_vec(),
            })),
            Fault::Json503 => Some(Reply::Send(
                errors::envelope(503, 9, "Service offline - try again later.").into_response(),
            )),
            Fault::Json500 => Some(Reply::Send(
                errors::envelope(
                    500,
                    11,
                    "Internal error: Something went wrong, contact TMDB.",
                )
                .into_response(),
            )),
            Fault::Dropped => Some(Reply::Drop),
            Fault::Stall | Fault::Truncated => None,
        }
    }
}

/// The fault configuration.
#[derive(Debug, Clone)]
pub struct Faults {
    /// Fraction of `/3` requests that get a fault, 0 to 1.
    pub rate: f64,
    pub seed: u64,
    pub stall: Duration,
}

impl Faults {
    /// The fault (if any) of the `n`th `/3` request (0-based).
    pub fn pick(&self, n: u64) -> Option<Fault> {
        if self.rate <= 0.0 {
            return None;
        }
        let h = hash(&[self.seed, tag::FAULT, n]);
        let u = (h >> 11) as f64 / (1u64 << 53) as f64;
        (u < self.rate).then(|| ALL[(hash(&[h]) % ALL.len() as u64) as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_follow_the_rate_and_the_seed() {
        let f = Faults {
            rate: 0.2,
            seed: 3,
            stall: Duration::ZERO,
        };
        let picks: Vec<Option<Fault>> = (0..10_000).map(|n| f.pick(n)).collect();
        let count = picks.iter().flatten().count();
        assert!((1700..2300).contains(&count), "{count}");
        for kind in ALL {
            assert!(picks.contains(&Some(kind)), "{kind:?} never drawn");
        }
        let again: Vec<Option<Fault>> = (0..10_000).map(|n| f.pick(n)).collect();
        assert_eq!(picks, again);
        let other = Faults { seed: 4, ..f };
        assert_ne!(
            picks,
            (0..10_000).map(|n| other.pick(n)).collect::<Vec<_>>()
        );
        assert_eq!(
            Faults {
                rate: 0.0,
                seed: 3,
                stall: Duration::ZERO
            }
            .pick(1),
            None
        );
    }
}
