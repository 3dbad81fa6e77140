//! The simulator's request handling: routing, the token check, the rate limit, injected
//! faults, statistics, and the catalog's current day (advanced by `POST /__mutate`).
//!
//! Order for `/3` requests: token (401), rate limit (429), fault, then the answer. Exports need
//! no token and are never faulted; `/__` routes are neither counted nor faulted.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use serde::Serialize;

use crate::catalog::{Catalog, DayEffects};
use crate::changes::{self, Kind};
use crate::discover::{self, Row};
use crate::errors::{self, ApiError};
use crate::export::{self, ExportKind};
use crate::faults::{Fault, Faults};
use crate::http::{Handler, Reply, Request, Response};
use crate::mutate::{self, Counts, Summary};
use crate::{dates, movie, person};

/// How the simulator behaves beyond its catalog.
#[derive(Debug, Clone)]
pub struct Behaviour {
    pub token: Option<String>,
    pub rate: Option<f64>,
    pub faults: Faults,
}

/// The catalog's current day and what happened on each day so far.
struct Days {
    day: u32,
    /// `effects[d - 1]` is day d.
    effects: Arc<Vec<DayEffects>>,
}

/// Gzipped export files by day and kind.
type ExportCache = HashMap<(u32, ExportKind), Arc<Vec<u8>>>;

pub struct App {
    pub cat: Catalog,
    days: RwLock<Days>,
    behaviour: Behaviour,
    limiter: Mutex<Bucket>,
    counter: AtomicU64,
    stats: Mutex<Stats>,
    discover_rows: Mutex<Option<(u32, Arc<Vec<Row>>)>>,
    exports: Mutex<ExportCache>,
}

impl App {
    pub fn new(cat: Catalog, behaviour: Behaviour) -> App {
        let rate = behaviour.rate.unwrap_or(0.0);
        App {
            cat,
            days: RwLock::new(Days {
                day: 0,
                effects: Arc::new(Vec::new()),
            }),
            behaviour,
            limiter: Mutex::new(Bucket {
                tokens: rate.max(1.0),
                last: Instant::now(),
                refused: 0,
            }),
            counter: AtomicU64::new(0),
            stats: Mutex::new(Stats::default()),
            discover_rows: Mutex::new(None),
            exports: Mutex::new(HashMap::new()),
        }
    }

    /// The current day and the effects of every day up to it.
    pub fn snapshot(&self) -> (u32, Arc<Vec<DayEffects>>) {
        let d = self.days.read().unwrap();
        (d.day, Arc::clone(&d.effects))
    }

    /// Advances the catalog `n` days; the summary counts what those days did.
    pub fn mutate(&self, n: u32) -> Summary {
        let mut d = self.days.write().unwrap();
        let mut effects = (*d.effects).clone();
        let (mut movie, mut person) = (Counts::default(), Counts::default());
        for day in d.day + 1..=d.day + n {
            let e = mutate::day_effects(&self.cat, day);
            movie.add(&e.movie);
            person.add(&e.person);
            effects.push(e);
        }
        d.day += n;
        d.effects = Arc::new(effects);
        Summary {
            days: n,
            day: d.day,
            today: dates::format(self.cat.date_of(d.day)),
            movie,
            person,
        }
    }

    fn route(
        &self,
        req: &Request,
    ) -> (
        &'static str,
        Option<(Kind, u64)>,
        Result<Response, ApiError>,
    ) {
        let (day, effects) = self.snapshot();
        let cat = &self.cat;
        let parts: Vec<&str> = req.path.trim_end_matches('/').split('/').skip(2).collect();
        let ok = |body: Vec<u8>| Ok(Response::json(200, body));
        match parts.as_slice() {
            ["genre", "movie", "list"] => ("/3/genre/movie/list", None, ok(genres_body())),
            ["discover", "movie"] => {
                let rows = self.rows(day);
                (
                    "/3/discover/movie",
                    None,
                    discover::answer(cat, day, &rows, req).map(|b| Response::json(200, b)),
                )
            }
            ["movie", "changes"] => (
                "/3/movie/changes",
                None,
                changes::answer(cat, day, &effects, Kind::Movie, req)
                    .map(|b| Response::json(200, b)),
            ),
            ["person", "changes"] => (
                "/3/person/changes",
                None,
                changes::answer(cat, day, &effects, Kind::Person, req)
                    .map(|b| Response::json(200, b)),
            ),
            ["movie", id] => {
                let appends: Vec<&str> = req
                    .param("append_to_response")
                    .unwrap_or("")
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .collect();
                if appends.len() > 20 {
                    return ("/3/movie/{id}", None, Err(errors::too_many_appends()));
                }
                let with_credits = appends.contains(&"credits");
                match self.live_movie(id, day) {
                    Some((slot, id)) => (
                        "/3/movie/{id}",
                        Some((Kind::Movie, id)),
                        ok(movie::details_body(cat, slot, day, with_credits)),
                    ),
                    None => ("/3/movie/{id}", None, Err(errors::not_found())),
                }
            }
            ["movie", id, "credits"] => match self.live_movie(id, day) {
                Some((slot, _)) => (
                    "/3/movie/{id}/credits",
                    None,
                    ok(movie::credits_body(cat, slot, day)),
                ),
                None => ("/3/movie/{id}/credits", None, Err(errors::not_found())),
            },
            ["person", id] => match id
                .parse::<u64>()
                .ok()
                .and_then(|id| cat.person_slot(id))
                .filter(|&s| cat.person_alive(s, day))
            {
                Some(slot) => (
                    "/3/person/{id}",
                    Some((Kind::Person, cat.person_id(slot))),
                    ok(person::body(cat, slot, day)),
                ),
                None => ("/3/person/{id}", None, Err(errors::not_found())),
            },
            _ => ("other", None, Err(errors::not_found())),
        }
    }

    fn live_movie(&self, id: &str, day: u32) -> Option<(u64, u64)> {
        let id = id.parse::<u64>().ok()?;
        let slot = self.cat.movie_slot(id)?;
        self.cat.movie_alive(slot, day).then_some((slot, id))
    }

    /// Discover's rows for `day`, computed once per day.
    fn rows(&self, day: u32) -> Arc<Vec<Row>> {
        let mut cache = self.discover_rows.lock().unwrap();
        match &*cache {
            Some((d, rows)) if *d == day => Arc::clone(rows),
            _ => {
                let rows = Arc::new(discover::rows(&self.cat, day));
                *cache = Some((day, Arc::clone(&rows)));
                rows
            }
        }
    }

    /// An export file's gzipped bytes for `day`, built once per day and kind.
    pub fn export(&self, day: u32, kind: ExportKind) -> Arc<Vec<u8>> {
        let mut cache = self.exports.lock().unwrap();
        cache.retain(|(d, _), _| *d == day);
        Arc::clone(
            cache
                .entry((day, kind))
                .or_insert_with(|| Arc::new(export::gzip(&export::lines(&self.cat, day, kind)))),
        )
    }

    fn api(&self, req: &Request) -> (String, Reply, Option<(Kind, u64)>) {
        if let Some(token) = &self.behaviour.token {
            let expected = format!("Bearer {token}");
            if req.authorization.as_deref() != Some(expected.as_str()) {
                return (
                    "auth".into(),
                    Reply::Send(errors::invalid_key().into_response()),
                    None,
                );
            }
        }
        let refused = self.behaviour.rate.and_then(|rate| {
            self.limiter
                .lock()
                .unwrap()
                .take(rate)
                .map(|wait| (rate, wait))
        });
        if let Some((rate, retry_after)) = refused {
            let count = self.limiter.lock().unwrap().refused;
            let mut resp = errors::rate_limited(count, rate).into_response();
            resp.headers.push(("Retry-After", retry_after.to_string()));
            return (self.route_name(req), Reply::Send(resp), None);
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let fault = self.behaviour.faults.pick(n);
        if let Some(f) = fault {
            self.stats.lock().unwrap().fault(f);
            if let Some(reply) = f.replace() {
                return (self.route_name(req), reply, None);
            }
        }
        let (route, delivered, result) = self.route(req);
        let resp = result.unwrap_or_else(ApiError::into_response);
        let reply = match fault {
            Some(Fault::Stall) => Reply::Stall(self.behaviour.faults.stall, resp),
            Some(Fault::Truncated) => Reply::Truncate(resp),
            _ => Reply::Send(resp),
        };
        let delivered = if matches!(reply, Reply::Truncate(_)) {
            None
        } else {
            delivered
        };
        (route.into(), reply, delivered)
    }

    /// The route label of a request the fault answered before routing.
    fn route_name(&self, req: &Request) -> String {
        let parts: Vec<&str> = req.path.trim_end_matches('/').split('/').skip(2).collect();
        match parts.as_slice() {
            ["genre", "movie", "list"] => "/3/genre/movie/list",
            ["discover", "movie"] => "/3/discover/movie",
            ["movie", "changes"] => "/3/movie/changes",
            ["person", "changes"] => "/3/person/changes",
            ["movie", _] => "/3/movie/{id}",
            ["movie", _, "credits"] => "/3/movie/{id}/credits",
            ["person", _] => "/3/person/{id}",
            _ => "other",
        }
        .into()
    }

    fn exports_route(&self, req: &Request) -> Reply {
        let (day, _) = self.snapshot();
        let name = req.path.trim_start_matches("/p/exports/");
        match export::parse_name(name) {
            Some((kind, date)) if date <= self.cat.date_of(day) => {
                let body = self.export(day, kind);
                Reply::Send(Response {
                    status: 200,
                    content_type: "application/octet-stream",
                    headers: Vec::new(),
                    body: body.to_vec(),
                })
            }
            _ => Reply::Send(Response {
                status: 404,
                content_type: "application/xml",
                headers: Vec::new(),
                body: export::MISSING.as_bytes().to_vec(),
            }),
        }
    }

    fn internal(&self, req: &Request) -> Reply {
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/__stats") => {
                let body =
                    serde_json::to_vec(&*self.stats.lock().unwrap()).expect("stats serialize");
                Reply::Send(Response::json(200, body))
            }
            ("POST", "/__mutate") => match req.param("days").unwrap_or("1").parse::<u32>() {
                Ok(n) if (1..=366).contains(&n) => Reply::Send(Response::json(
                    200,
                    serde_json::to_vec(&self.mutate(n)).expect("summary serializes"),
                )),
                _ => Reply::Send(errors::invalid_param("days").into_response()),
            },
            _ => Reply::Send(errors::not_found().into_response()),
        }
    }
}

impl Handler for App {
    fn handle(&self, req: &Request) -> Reply {
        if req.path.starts_with("/__") {
            return self.internal(req);
        }
        let (route, reply, delivered) = if req.method != "GET" {
            (
                "other".to_owned(),
                Reply::Send(errors::method_not_allowed().into_response()),
                None,
            )
        } else if req.path.starts_with("/3/") {
            self.api(req)
        } else if req.path.starts_with("/p/exports/") {
            ("/p/exports".to_owned(), self.exports_route(req), None)
        } else {
            (
                "other".to_owned(),
                Reply::Send(errors::not_found().into_response()),
                None,
            )
        };
        let status = match &reply {
            Reply::Send(r) | Reply::Stall(_, r) | Reply::Truncate(r) => Some(r.status),
            Reply::Drop => None,
        };
        self.stats.lock().unwrap().record(&route, status, delivered);
        reply
    }
}

/// A token bucket holding one second of requests.
struct Bucket {
    tokens: f64,
    last: Instant,
    refused: u64,
}

impl Bucket {
    /// Takes a token, or tells how many whole seconds until one is available.
    fn take(&mut self, rate: f64) -> Option<u64> {
        let now = Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.last).as_secs_f64() * rate).min(rate.max(1.0));
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            None
        } else {
            self.refused += 1;
            Some(((1.0 - self.tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

/// `GET /__stats`.
#[derive(Serialize, Default)]
struct Stats {
    /// Requests to `/3` and `/p/exports` (not `/__`).
    requests: u64,
    by_route: BTreeMap<String, u64>,
    by_status: BTreeMap<String, u64>,
    faults: BTreeMap<&'static str, u64>,
    /// 200 bodies fully delivered, per ID.
    deliveries: Deliveries,
}

#[derive(Serialize, Default)]
struct Deliveries {
    movie: BTreeMap<u64, u64>,
    person: BTreeMap<u64, u64>,
}

impl Stats {
    fn record(&mut self, route: &str, status: Option<u16>, delivered: Option<(Kind, u64)>) {
        self.requests += 1;
        *self.by_route.entry(route.to_owned()).or_default() += 1;
        if let Some(s) = status {
            *self.by_status.entry(s.to_string()).or_default() += 1;
        }
        if let Some((kind, id)) = delivered {
            let map = if kind == Kind::Movie {
                &mut self.deliveries.movie
            } else {
                &mut self.deliveries.person
            };
            *map.entry(id).or_default() += 1;
        }
    }

    fn fault(&mut self, f: Fault) {
        *self.faults.entry(f.name()).or_default() += 1;
    }
}

fn genres_body() -> Vec<u8> {
    #[derive(Serialize)]
    struct G {
        id: u32,
        name: &'static str,
    }
    #[derive(Serialize)]
    struct Body {
        genres: Vec<G>,
    }
    let genres = movie::GENRES
        .iter()
        .map(|&(id, name)| G { id, name })
        .collect();
    serde_json::to_vec(&Body { genres }).expect("genres serialize")
}
