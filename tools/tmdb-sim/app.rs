//! The simulator's request handling: routing, the token check, the rate limit, injected
//! faults, statistics, and the catalog's current day (advanced by `POST /__mutate`).
//!
//! Order for `/3` requests: token (401), rate limit (429), fault, then the answer. Exports need
//! no token and are never faulted; `/__` routes are neither counted nor faulted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use serde::Serialize;

use crate::appends::{self, Form, Subs};
use crate::catalog::{Catalog, DayEffects};
use crate::changes::{self, Kind};
use crate::discover::{self, HitCache, Row};
use crate::errors::{self, ApiError};
use crate::export::{self, ExportKind};
use crate::faults::{Fault, Faults};
use crate::http::{Handler, Reply, Request, Response};
use crate::index::Index;
use crate::lists;
use crate::mutate::{self, Counts, Summary};
use crate::routes::Route;
use crate::stats::{BodySizes, Stats};
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

/// The simulator: its catalog, its current day, its behaviour and what it has answered.
pub struct App {
    pub cat: Catalog,
    days: RwLock<Days>,
    behaviour: Behaviour,
    limiter: Mutex<Bucket>,
    counter: AtomicU64,
    stats: Mutex<Stats>,
    discover_rows: Mutex<Option<(u32, Arc<Vec<Row>>)>>,
    discover_hits: HitCache,
    index: Mutex<Option<(u32, Arc<Index>)>>,
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
            discover_hits: HitCache::default(),
            index: Mutex::new(None),
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

    /// The answer of an API route, and the movie or person it delivers (for the statistics).
    fn answer(
        &self,
        route: Route,
        req: &Request,
    ) -> (Result<Response, ApiError>, Option<(Kind, u64)>) {
        let (day, effects) = self.snapshot();
        let cat = &self.cat;
        let json = |body: Result<Vec<u8>, ApiError>| body.map(|b| Response::json(200, b));
        match route {
            Route::Genres => (json(Ok(genres_body())), None),
            Route::Discover => (
                json(discover::answer(
                    cat,
                    day,
                    &self.rows(day),
                    req,
                    &self.discover_hits,
                    &|| self.index(day),
                )),
                None,
            ),
            Route::Configuration => (
                json(Ok(tmdb_core::tmdb::CONFIGURATION
                    .trim_end()
                    .as_bytes()
                    .to_vec())),
                None,
            ),
            Route::Search(kind) => (value(lists::search(&self.index(day), kind, req)), None),
            Route::Find(external) => (value(lists::find(&self.index(day), external, req)), None),
            Route::Collection(id) => (
                value(by_id(id, |id| lists::collection(&self.index(day), id))),
                None,
            ),
            Route::Company(id) => (
                value(by_id(id, |id| lists::company(&self.index(day), id))),
                None,
            ),
            Route::Keyword(id) => (
                value(by_id(id, |id| lists::keyword(&self.index(day), id))),
                None,
            ),
            Route::KeywordMovies(id) => (
                value(by_id(id, |id| {
                    lists::keyword_movies(&self.index(day), id, req)
                })),
                None,
            ),
            Route::PersonMovieCredits(id) => (
                value(by_id(id, |id| lists::movie_credits(&self.index(day), id))),
                None,
            ),
            Route::Changes(kind) => (json(changes::answer(cat, day, &effects, kind, req)), None),
            Route::Movie(id) => {
                // TMDB allows at most 20 appended sub-resources and ignores unknown ones.
                let list = req.param("append_to_response").unwrap_or("");
                if list.split(',').filter(|s| !s.is_empty()).count() > 20 {
                    return (Err(errors::too_many_appends()), None);
                }
                match self.live_movie(id, day) {
                    Some((slot, id)) => (
                        json(Ok(movie::details_body(cat, slot, day, Subs::parse(list)))),
                        Some((Kind::Movie, id)),
                    ),
                    None => (Err(errors::not_found()), None),
                }
            }
            Route::MovieSub(id, sub) => match self.live_movie(id, day) {
                Some((slot, _)) => {
                    let f = movie::facts(cat, slot, day);
                    let form = Form::Alone {
                        country: req.param("country"),
                    };
                    let mut body = Vec::new();
                    appends::write(cat, &f, day, sub, form, &mut body);
                    (json(Ok(body)), None)
                }
                None => (Err(errors::not_found()), None),
            },
            Route::Person(id) => {
                let list = req.param("append_to_response").unwrap_or("");
                if list.split(',').filter(|s| !s.is_empty()).count() > 20 {
                    return (Err(errors::too_many_appends()), None);
                }
                match self.live_person(id, day) {
                    Some(slot) => (
                        json(Ok(person::body(cat, slot, day, person::Subs::parse(list)))),
                        Some((Kind::Person, cat.person_id(slot))),
                    ),
                    None => (Err(errors::not_found()), None),
                }
            }
            Route::PersonSub(id, sub) => match self.live_person(id, day) {
                Some(slot) => {
                    let mut body = Vec::new();
                    let id = Some(cat.person_id(slot));
                    person::write_sub(cat, slot, day, sub, id, &mut body);
                    (json(Ok(body)), None)
                }
                None => (Err(errors::not_found()), None),
            },
            _ => (Err(errors::not_found()), None),
        }
    }

    fn live_person(&self, id: &str, day: u32) -> Option<u64> {
        let slot = self.cat.person_slot(id.parse::<u64>().ok()?)?;
        self.cat.person_alive(slot, day).then_some(slot)
    }

    fn live_movie(&self, id: &str, day: u32) -> Option<(u64, u64)> {
        let id = id.parse::<u64>().ok()?;
        let slot = self.cat.movie_slot(id)?;
        self.cat.movie_alive(slot, day).then_some((slot, id))
    }

    /// The catalog index of `day`, built once per day when a route first needs it.
    fn index(&self, day: u32) -> Arc<Index> {
        let mut cache = self.index.lock().unwrap();
        match &*cache {
            Some((d, index)) if *d == day => Arc::clone(index),
            _ => {
                let index = Arc::new(Index::build(&self.cat, day));
                *cache = Some((day, Arc::clone(&index)));
                index
            }
        }
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

    /// A `/3` request: token, rate limit, fault, then the answer.
    fn api(&self, route: Route, req: &Request) -> (Reply, Option<(Kind, u64)>) {
        if let Some(token) = &self.behaviour.token
            && !tmdb_core::tmdb::authorized(
                token,
                req.authorization.as_deref(),
                req.param("api_key"),
            )
        {
            return (Reply::Send(errors::invalid_key().into_response()), None);
        }
        let refused = self.behaviour.rate.and_then(|rate| {
            let mut bucket = self.limiter.lock().unwrap();
            bucket.take(rate).map(|wait| (rate, wait, bucket.refused))
        });
        if let Some((rate, retry_after, count)) = refused {
            let mut resp = errors::rate_limited(count, rate).into_response();
            resp.headers.push(("Retry-After", retry_after.to_string()));
            return (Reply::Send(resp), None);
        }
        let fault = self
            .behaviour
            .faults
            .pick(self.counter.fetch_add(1, Ordering::Relaxed));
        if let Some(f) = fault {
            self.stats.lock().unwrap().fault(f);
            if let Some(reply) = f.replace() {
                return (reply, None);
            }
        }
        let (result, delivered) = self.answer(route, req);
        let resp = result.unwrap_or_else(ApiError::into_response);
        match fault {
            Some(Fault::Stall) => (Reply::Stall(self.behaviour.faults.stall, resp), delivered),
            Some(Fault::Truncated) => (Reply::Truncate(resp), None),
            _ => (Reply::Send(resp), delivered),
        }
    }

    fn exports_route(&self, name: &str) -> Reply {
        let (day, _) = self.snapshot();
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

    /// `/__stats` and `/__mutate`: the simulator's own controls.
    fn internal(&self, route: Route, req: &Request) -> Reply {
        match (route, req.method.as_str()) {
            (Route::Stats, "GET") => {
                let body =
                    serde_json::to_vec(&*self.stats.lock().unwrap()).expect("stats serialize");
                Reply::Send(Response::json(200, body))
            }
            (Route::Mutate, "POST") => match req.param("days").unwrap_or("1").parse::<u32>() {
                Ok(n) if (1..=366).contains(&n) => {
                    let summary = self.mutate(n);
                    eprintln!(
                        "tmdb-sim: advanced {n} day(s), now day {} ({})",
                        summary.day, summary.today
                    );
                    Reply::Send(Response::json(
                        200,
                        serde_json::to_vec(&summary).expect("summary serializes"),
                    ))
                }
                _ => Reply::Send(errors::invalid_param("days").into_response()),
            },
            _ => Reply::Send(errors::method_not_allowed().into_response()),
        }
    }
}

impl Handler for App {
    fn handle(&self, req: &Request) -> Reply {
        let route = Route::parse(&req.path);
        if matches!(route, Route::Stats | Route::Mutate) {
            return self.internal(route, req);
        }
        let (reply, delivered) = if req.method != "GET" {
            (
                Reply::Send(errors::method_not_allowed().into_response()),
                None,
            )
        } else if let Route::Export(name) = route {
            (self.exports_route(name), None)
        } else if route.is_api(&req.path) {
            self.api(route, req)
        } else {
            (Reply::Send(errors::not_found().into_response()), None)
        };
        let (reply, sizes) = encode(reply, req.accepts_gzip);
        let status = match &reply {
            Reply::Send(r) | Reply::Stall(_, r) | Reply::Truncate(r) => Some(r.status),
            Reply::Drop => None,
        };
        let mut stats = self.stats.lock().unwrap();
        stats.record(route.label(), status, delivered);
        if let Some(sizes) = sizes {
            stats.bytes(sizes);
        }
        reply
    }
}

/// TMDB's CDN compresses JSON answers for clients that accept gzip, as CDNs do from about a
/// kilobyte on; smaller ones go as they are.
const GZIP_FROM: usize = 1024;

/// The reply as sent to a client that does or does not take gzip, and its body's sizes (none
/// for a dropped connection).
fn encode(reply: Reply, accepts_gzip: bool) -> (Reply, Option<BodySizes>) {
    let gzip = |mut response: Response| {
        let built = response.body.len();
        let gzipped = accepts_gzip
            && built >= GZIP_FROM
            && response.content_type.starts_with("application/json");
        if gzipped {
            response.body = crate::export::gzip(&response.body);
            response
                .headers
                .push(("Content-Encoding", "gzip".to_owned()));
        }
        let sizes = BodySizes {
            built,
            sent: response.body.len(),
            gzipped,
        };
        (response, Some(sizes))
    };
    match reply {
        Reply::Send(r) => {
            let (r, sizes) = gzip(r);
            (Reply::Send(r), sizes)
        }
        Reply::Stall(pause, r) => {
            let (r, sizes) = gzip(r);
            (Reply::Stall(pause, r), sizes)
        }
        Reply::Truncate(r) => {
            let (r, sizes) = gzip(r);
            (Reply::Truncate(r), sizes)
        }
        Reply::Drop => (Reply::Drop, None),
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

/// A list route's answer as a response body or TMDB's refusal.
fn value(
    answer: Result<serde_json::Value, tmdb_core::tmdb::Refusal>,
) -> Result<Response, ApiError> {
    answer
        .map(|v| Response::json(200, serde_json::to_vec(&v).expect("JSON serializes")))
        .map_err(errors::refused)
}

/// The numeric id of a path segment, else TMDB's 404.
fn by_id<T>(
    segment: &str,
    answer: impl FnOnce(u64) -> Result<T, tmdb_core::tmdb::Refusal>,
) -> Result<T, tmdb_core::tmdb::Refusal> {
    answer(
        segment
            .parse()
            .map_err(|_| tmdb_core::tmdb::Refusal::NotFound)?,
    )
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
