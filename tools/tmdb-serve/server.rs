//! The network side of tmdb-serve: accepting connections, HTTP/1 with hyper, and the bounds on
//! what a client can make the server hold.
//!
//! - A request head (request line and headers) is at most [`MAX_HEAD`] bytes: past that hyper
//!   answers 431 (414 for a request line alone past its own larger limit) and closes, so a
//!   header flood costs one small buffer per connection.
//! - A head must arrive within [`HEAD_TIMEOUT`]; hyper runs the same timer while a keep-alive
//!   connection waits for its next request, so it is also the idle timeout.
//! - A request that carries a body is answered 413 and its connection closed without the body
//!   being read: a read-only API has no use for one.
//! - At most `max_connections` are open. At the cap the connection idle longest (a half-sent
//!   request, a keep-alive client between requests) is closed to make room, so a crowd of slow
//!   clients cannot lock out a normal one; when every connection is mid-request, new ones wait
//!   in the listen queue.
//! - A failed accept (out of descriptors) also closes the idlest connection, then retries after
//!   a pause that grows to a second: the listening socket is never given up.
//! - hyper is built for HTTP/1.0 and 1.1 only: a `HTTP/2.0` request line is a 400, and a
//!   connection that opens with HTTP/2's prior-knowledge preface is closed at once.
//! - Malformed request lines and headers are hyper's 400, bytes that are not ASCII in a path
//!   too; header values (where HTTP tolerates them) are refused here.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::Result;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::{Body as _, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::cache::Shared;
use crate::http::{self, ApiError, Hygiene, Negotiation, Response};
use crate::metrics::{Metrics, Snapshot};
use crate::queries::{Db, Source};
use crate::routes::{self, Route};

/// The largest request head read (request line and headers together).
pub const MAX_HEAD: usize = 16 * 1024;
/// How long a client has to send a request head, and how long an idle connection is kept.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// The first and the longest pause after a failed accept.
const PAUSE_MIN: Duration = Duration::from_millis(10);
const PAUSE_MAX: Duration = Duration::from_secs(1);

/// The read-only connections the requests use, each by one request at a time.
pub struct Pool {
    source: Source,
    shared: Arc<Shared>,
    size: usize,
    idle: Mutex<Idle>,
    /// Signalled when a connection is given back (or given up).
    returned: Condvar,
}

/// The connections not in use, how many are open in all, and how many requests wait for one.
struct Idle {
    dbs: Vec<Db>,
    open: usize,
    waiting: usize,
}

impl Idle {
    /// Gives `db` back (None: it was given up), and whether a request waits for it.
    fn give_back(&mut self, db: Option<Db>) -> bool {
        match db {
            Some(db) => self.dbs.push(db),
            None => self.open -= 1,
        }
        self.waiting > 0
    }
}

impl Pool {
    /// Opens `size` connections now, so that a database that cannot be read fails at start,
    /// and none needs opening later when descriptors may have run out.
    pub fn open(source: Source, shared: Arc<Shared>, size: usize) -> Result<Pool> {
        let dbs = (0..size)
            .map(|_| Db::open(&source, Arc::clone(&shared)))
            .collect::<Result<Vec<Db>>>()?;
        Ok(Pool {
            source,
            shared,
            size,
            idle: Mutex::new(Idle {
                dbs,
                open: size,
                waiting: 0,
            }),
            returned: Condvar::new(),
        })
    }

    /// Answers one request with a connection of the pool (see [`Pool::take`]).
    pub fn handle(&self, request: &http::Request) -> Response {
        match self.source {
            Source::Sqlite(..) => self.answer(request),
            // The PostgreSQL client blocks on a runtime of its own, which tokio refuses
            // inside a worker unless the worker first hands its other tasks to another thread.
            Source::Postgres(_) => tokio::task::block_in_place(|| self.answer(request)),
        }
    }

    fn answer(&self, request: &http::Request) -> Response {
        let Some(mut db) = self.take() else {
            return internal_error();
        };
        // A panic is a bug of ours; it costs this request a 500 and the connection it used
        // (which may be mid-statement), never the server.
        let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            routes::handle(request, &mut db)
        }));
        let (response, db) = match answer {
            Ok(response) => (response, Some(db)),
            Err(_) => (internal_error(), None),
        };
        self.give_back(db);
        response
    }

    /// Returns a connection taken by [`Pool::take`] (None: it was given up).
    fn give_back(&self, db: Option<Db>) {
        // Only when a request waits: the wake-up is a system call the SQLite answers, which
        // never wait, would pay on every request.
        if lock(&self.idle).give_back(db) {
            self.returned.notify_one();
        }
    }

    /// A connection for one request: an idle one, else a new one while fewer than the pool's
    /// size are open (in place of one given up after a panic, or of a PostgreSQL connection
    /// the server closed, as a restart of it does), else the next one given back. SQLite
    /// answers never wait: each worker answers one request at a time. A PostgreSQL request
    /// blocks its thread and tokio starts another worker meanwhile, so without the bound every
    /// client connection got a database connection of its own, past what the server's
    /// `max_connections` was sized for, each busy backend costing CPU time of its own.
    fn take(&self) -> Option<Db> {
        let mut idle = lock(&self.idle);
        loop {
            while let Some(db) = idle.dbs.pop() {
                if !db.is_broken() {
                    return Some(db);
                }
                idle.open -= 1;
            }
            if idle.open < self.size {
                idle.open += 1;
                drop(idle);
                return match Db::open(&self.source, Arc::clone(&self.shared)) {
                    Ok(db) => Some(db),
                    Err(err) => {
                        self.give_back(None);
                        http::warn(format_args!(
                            "cannot open another database connection: {err:#}"
                        ));
                        None
                    }
                };
            }
            idle.waiting += 1;
            idle = self
                .returned
                .wait(idle)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            idle.waiting -= 1;
        }
    }
}

fn internal_error() -> Response {
    ApiError::internal("internal error").into_response()
}

/// Everything a request needs, shared by all connections.
pub struct App {
    pool: Pool,
    hygiene: Hygiene,
    metrics: Metrics,
    conns: Conns,
}

impl App {
    pub fn new(pool: Pool, hygiene: Hygiene, max_connections: usize) -> App {
        App {
            pool,
            hygiene,
            metrics: Metrics::default(),
            conns: Conns {
                cap: max_connections.max(1),
                started: Instant::now(),
                next_id: AtomicU64::new(0),
                live: Mutex::new(HashMap::new()),
                released: Notify::new(),
            },
        }
    }

    /// Runs the request of the answers listed in [`routes::WARM_TARGETS`], which fills the
    /// shared caches (call it on a thread of its own while the server already answers).
    pub fn warm_up(&self) {
        for target in routes::WARM_TARGETS {
            self.pool.handle(&http::Request {
                method: "GET".to_owned(),
                url: (*target).to_owned(),
                authorization: None,
            });
        }
    }

    /// Accepts and answers on every listener until the process is stopped.
    pub async fn serve(self: Arc<Self>, listeners: Vec<std::net::TcpListener>) -> Result<()> {
        let mut loops = Vec::new();
        for listener in listeners {
            listener.set_nonblocking(true)?;
            let listener = TcpListener::from_std(listener)?;
            loops.push(tokio::spawn(Arc::clone(&self).accept_loop(listener)));
        }
        for accept in loops {
            accept.await?;
        }
        Ok(())
    }

    async fn accept_loop(self: Arc<Self>, listener: TcpListener) {
        let mut pause = PAUSE_MIN;
        let mut failures = 0_u64;
        loop {
            self.make_room().await;
            match listener.accept().await {
                Ok((stream, _)) => {
                    if failures > 0 {
                        http::warn(format_args!(
                            "accepting again after {failures} failed accepts"
                        ));
                        failures = 0;
                        pause = PAUSE_MIN;
                    }
                    self.metrics.connections.fetch_add(1, Ordering::Relaxed);
                    let (id, state) = self.conns.register();
                    tokio::spawn(Arc::clone(&self).connection(stream, id, state));
                }
                Err(err) => {
                    self.metrics.accept_errors.fetch_add(1, Ordering::Relaxed);
                    if failures == 0 {
                        http::warn(format_args!("accept failed ({err}); retrying"));
                    }
                    failures += 1;
                    // Out of descriptors: the idlest connection gives its one back.
                    let exhausted = matches!(
                        err.raw_os_error(),
                        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
                    );
                    if exhausted && self.conns.evict_idlest() {
                        self.metrics.evicted.fetch_add(1, Ordering::Relaxed);
                    }
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(PAUSE_MAX);
                }
            }
        }
    }

    /// Returns once there is room for one more connection under the cap.
    async fn make_room(&self) {
        loop {
            let released = self.conns.released.notified();
            if self.conns.len() < self.conns.cap {
                return;
            }
            if self.conns.evict_idlest() {
                self.metrics.evicted.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            released.await;
        }
    }

    async fn connection(self: Arc<Self>, stream: TcpStream, id: u64, state: Arc<ConnState>) {
        let _registered = Registered { app: &self, id };
        // Answers go out in one write, but a response that does not must not wait 40 ms for
        // the client's delayed ACK.
        let _ = stream.set_nodelay(true);
        let app = Arc::clone(&self);
        let conn = Arc::clone(&state);
        let service = service_fn(move |request| {
            std::future::ready(Ok::<_, Infallible>(app.answer(&conn, &request)))
        });
        let http = http1::Builder::new()
            // A client may send its request and shut its side down before reading the answer.
            .half_close(true)
            .timer(TokioTimer::new())
            .header_read_timeout(HEAD_TIMEOUT)
            .max_buf_size(MAX_HEAD)
            .serve_connection(TokioIo::new(stream), service);
        tokio::select! {
            result = http => {
                if let Err(err) = result
                    && (err.is_parse() || err.is_parse_too_large() || err.is_timeout())
                {
                    self.metrics.bad_heads.fetch_add(1, Ordering::Relaxed);
                }
            }
            () = state.evicted.notified() => {}
        }
    }

    /// Answers one request and logs it; whatever the client sent, it gets an answer.
    fn answer(
        &self,
        conn: &ConnState,
        request: &hyper::Request<Incoming>,
    ) -> hyper::Response<Full<Bytes>> {
        conn.busy.store(true, Ordering::Relaxed);
        let started = Instant::now();
        let method = request.method().as_str();
        let url = request.uri().path_and_query().map_or("/", |p| p.as_str());
        let path = url.split('?').next().unwrap_or("");
        let (response, close) = self.respond(method, url, path, request);
        let negotiation = Negotiation::from_headers(request.headers());
        let mut response = http::finish(response, method, &negotiation, &self.hygiene);
        if close {
            response.headers_mut().insert(
                hyper::header::CONNECTION,
                hyper::header::HeaderValue::from_static("close"),
            );
        }
        let status = response.status().as_u16();
        let bytes = response
            .headers()
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse().ok())
            .unwrap_or(0);
        http::log(method, url, status, bytes, started);
        self.metrics.observe(path, status, started.elapsed());
        conn.touch(self.conns.now_ms());
        conn.busy.store(false, Ordering::Relaxed);
        response
    }

    /// The answer before hygiene, and whether the connection must close after it.
    fn respond(
        &self,
        method: &str,
        url: &str,
        path: &str,
        request: &hyper::Request<Incoming>,
    ) -> (Response, bool) {
        if let Some((name, _)) = request
            .headers()
            .iter()
            .find(|(_, value)| !value.as_bytes().is_ascii())
        {
            let message = format!("header {name} holds bytes that are not ASCII");
            return (ApiError::bad_request(None, message).into_response(), false);
        }
        if !request.body().is_end_stream() {
            // Closing, rather than reading what may be a terabyte to keep the connection.
            let refused =
                ApiError::status(413, "this API is read-only: a request cannot carry a body");
            return (refused.into_response(), true);
        }
        let known = url.len() <= routes::MAX_URL && Route::parse(path).is_some();
        if path == "/metrics" || path == "/metrics/" {
            let response = match method {
                "GET" | "HEAD" => self.metrics(),
                "OPTIONS" => http::preflight(),
                _ => ApiError::method_not_allowed(method).into_response(),
            };
            return (response, false);
        }
        if method == "OPTIONS" && known {
            return (http::preflight(), false);
        }
        let request = http::Request {
            method: method.to_owned(),
            url: url.to_owned(),
            authorization: request
                .headers()
                .get(hyper::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        };
        (self.pool.handle(&request), false)
    }

    fn metrics(&self) -> Response {
        let shared = &self.pool.shared;
        let (cache_hits, cache_misses) = shared.hits_and_misses();
        let text = self.metrics.render(&Snapshot {
            open_connections: self.conns.len(),
            cache_hits,
            cache_misses,
            data_version: shared.epoch(),
            discover_index: shared
                .discover_index(shared.epoch())
                .map_or((0, 0), |index| (index.len() as u64, index.bytes() as u64)),
        });
        Response {
            status: 200,
            content_type: "text/plain; version=0.0.4; charset=utf-8",
            body: text.into_bytes(),
            headers: vec![("Cache-Control", "no-store".to_owned())],
        }
    }
}

/// The open connections, for the cap and for choosing which to close.
struct Conns {
    cap: usize,
    started: Instant,
    next_id: AtomicU64,
    live: Mutex<HashMap<u64, Arc<ConnState>>>,
    /// Signalled when a connection closes.
    released: Notify,
}

struct ConnState {
    /// A request is being answered.
    busy: AtomicBool,
    /// When it last answered (or opened), in ms since the server started.
    last_active_ms: AtomicU64,
    /// Closes the connection.
    evicted: Notify,
}

impl ConnState {
    fn touch(&self, now_ms: u64) {
        self.last_active_ms.store(now_ms, Ordering::Relaxed);
    }
}

impl Conns {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn len(&self) -> usize {
        lock(&self.live).len()
    }

    fn register(&self) -> (u64, Arc<ConnState>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(ConnState {
            busy: AtomicBool::new(false),
            last_active_ms: AtomicU64::new(self.now_ms()),
            evicted: Notify::new(),
        });
        lock(&self.live).insert(id, Arc::clone(&state));
        (id, state)
    }

    /// Closes the connection idle longest, if one is not mid-request.
    fn evict_idlest(&self) -> bool {
        let mut live = lock(&self.live);
        let idlest = live
            .iter()
            .filter(|(_, c)| !c.busy.load(Ordering::Relaxed))
            .min_by_key(|(_, c)| c.last_active_ms.load(Ordering::Relaxed))
            .map(|(id, _)| *id);
        match idlest.and_then(|id| live.remove(&id)) {
            Some(state) => {
                state.evicted.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Removes a connection from [`Conns`] when its task ends, however it ends.
struct Registered<'a> {
    app: &'a App,
    id: u64,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        lock(&self.app.conns.live).remove(&self.id);
        self.app.conns.released.notify_one();
    }
}

/// A poisoned lock only means a request panicked while holding it; the data is still whole.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
