//! `GET /__stats`: what the simulator answered, so tests can check what a client asked for
//! (e.g. that a resumed fetch did not fetch an ID twice).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::changes::Kind;
use crate::faults::Fault;

/// Counts since the simulator started; `/__` routes are not counted.
#[derive(Serialize, Default)]
pub struct Stats {
    /// Requests to `/3` and `/p/exports`.
    requests: u64,
    /// Requests per route label (`/3/movie/{id}`, `/p/exports`, `other`...).
    by_route: BTreeMap<&'static str, u64>,
    /// Requests per HTTP status sent (a dropped connection sends none).
    by_status: BTreeMap<u16, u64>,
    /// Injected faults per kind.
    faults: BTreeMap<&'static str, u64>,
    /// 200 bodies of `/3/movie/{id}` and `/3/person/{id}` delivered whole, per ID.
    deliveries: Deliveries,
    /// Bytes of the bodies answered, as built and as sent (gzipped for clients that take it).
    body_bytes: u64,
    sent_bytes: u64,
    /// Answers sent gzipped.
    gzipped: u64,
}

/// One answer's body: its length as built and as sent, and whether it went gzipped.
pub struct BodySizes {
    pub built: usize,
    pub sent: usize,
    pub gzipped: bool,
}

#[derive(Serialize, Default)]
struct Deliveries {
    movie: BTreeMap<u64, u64>,
    person: BTreeMap<u64, u64>,
}

impl Stats {
    pub fn record(
        &mut self,
        route: &'static str,
        status: Option<u16>,
        delivered: Option<(Kind, u64)>,
    ) {
        self.requests += 1;
        *self.by_route.entry(route).or_default() += 1;
        if let Some(s) = status {
            *self.by_status.entry(s).or_default() += 1;
        }
        if let Some((kind, id)) = delivered {
            let map = match kind {
                Kind::Movie => &mut self.deliveries.movie,
                Kind::Person => &mut self.deliveries.person,
            };
            *map.entry(id).or_default() += 1;
        }
    }

    pub fn bytes(&mut self, sizes: BodySizes) {
        self.body_bytes += sizes.built as u64;
        self.sent_bytes += sizes.sent as u64;
        self.gzipped += u64::from(sizes.gzipped);
    }

    pub fn fault(&mut self, f: Fault) {
        *self.faults.entry(f.name()).or_default() += 1;
    }
}
