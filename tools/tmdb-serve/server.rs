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

use std::collections::{HashMap, VecDeque};
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

/// How requests reach the database.
///
/// - SQLite: each tokio worker answers its request itself, with a connection it takes from
///   [`Connections`]; a SQLite answer never waits for another process, so it never waits.
/// - A database server (PostgreSQL, MySQL): each connection has a thread of its own that answers the
///   requests of one queue, oldest first ([`Threads`]). A request spends most of its time
///   waiting for the server, which a tokio worker must not do; handing the wait over with
///   `block_in_place` moved the worker to a new thread at every request (a third more of
///   tmdb-serve's CPU time per answer by id), and woke the requests waiting for a connection
///   in no order.
pub enum Pool {
    Connections(Connections),
    Threads(Threads),
}

impl Pool {
    /// Opens `size` connections now, so that a database that cannot be read fails at start,
    /// and none needs opening later when descriptors may have run out.
    pub fn open(source: Source, shared: Arc<Shared>, size: usize) -> Result<Pool> {
        Ok(match source {
            Source::Sqlite(..) => Pool::Connections(Connections::open(source, shared, size)?),
            Source::Postgres(_) | Source::Mysql(_) => {
                Pool::Threads(Threads::open(&source, &shared, size)?)
            }
        })
    }

    /// Answers one request.
    pub async fn handle(&self, request: http::Request) -> Response {
        match self {
            Pool::Connections(connections) => connections.answer(&request),
            Pool::Threads(threads) => match threads.submit(request).await {
                Ok(response) => response,
                Err(_) => internal_error(),
            },
        }
    }

    /// [`Pool::handle`] for a thread outside the runtime (the warm-up), which may block.
    fn handle_blocking(&self, request: http::Request) -> Response {
        match self {
            Pool::Connections(connections) => connections.answer(&request),
            Pool::Threads(threads) => {
                let (reply, answer) = tokio::sync::oneshot::channel();
                threads.queue.push(Job { request, reply });
                answer.blocking_recv().unwrap_or_else(|_| internal_error())
            }
        }
    }

    fn shared(&self) -> &Shared {
        match self {
            Pool::Connections(connections) => &connections.shared,
            Pool::Threads(threads) => &threads.shared,
        }
    }
}

/// The read-only connections the tokio workers answer with, each by one request at a time.
pub struct Connections {
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

impl Connections {
    fn open(source: Source, shared: Arc<Shared>, size: usize) -> Result<Connections> {
        let dbs = (0..size)
            .map(|_| Db::open(&source, Arc::clone(&shared)))
            .collect::<Result<Vec<Db>>>()?;
        Ok(Connections {
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

    fn answer(&self, request: &http::Request) -> Response {
        let Some(db) = self.take() else {
            return internal_error();
        };
        let (response, db) = answer_with(request, db);
        self.give_back(db);
        response
    }

    /// Returns a connection taken by [`Connections::take`] (None: it was given up).
    fn give_back(&self, db: Option<Db>) {
        // Only when a request waits: the wake-up is a system call the SQLite answers, which
        // never wait, would pay on every request.
        if lock(&self.idle).give_back(db) {
            self.returned.notify_one();
        }
    }

    /// A connection for one request: an idle one, else a new one while fewer than the pool's
    /// size are open (in place of one given up after a panic), else the next one given back.
    /// SQLite answers never wait: each worker answers one request at a time.
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

/// Answers `request` with `db`, and gives `db` back unless the answer panicked. A panic is a
/// bug of ours; it costs this request a 500 and the connection it used (which may be
/// mid-statement), never the server.
fn answer_with(request: &http::Request, mut db: Db) -> (Response, Option<Db>) {
    let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        routes::handle(request, &mut db)
    }));
    match answer {
        Ok(response) => (response, Some(db)),
        Err(_) => (internal_error(), None),
    }
}

/// The connections to a database server, each answering on a thread of its own the requests
/// of one queue, oldest first. A thread whose connection was lost (the server restarted) opens
/// a new one and asks its answer again; one given up after a panic, for its next request.
pub struct Threads {
    shared: Arc<Shared>,
    queue: Arc<Queue>,
}

/// A request and where its answer goes.
struct Job {
    request: http::Request,
    reply: tokio::sync::oneshot::Sender<Response>,
}

/// The requests waiting for a connection, oldest first.
#[derive(Default)]
struct Queue {
    jobs: Mutex<VecDeque<Job>>,
    /// Signalled when a request is queued.
    queued: Condvar,
}

impl Queue {
    fn push(&self, job: Job) {
        lock(&self.jobs).push_back(job);
        self.queued.notify_one();
    }

    fn is_empty(&self) -> bool {
        lock(&self.jobs).is_empty()
    }

    /// The oldest request, once there is one.
    fn pop(&self) -> Job {
        let mut jobs = lock(&self.jobs);
        loop {
            if let Some(job) = jobs.pop_front() {
                return job;
            }
            jobs = self
                .queued
                .wait(jobs)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

impl Threads {
    fn open(source: &Source, shared: &Arc<Shared>, size: usize) -> Result<Threads> {
        let queue = Arc::new(Queue::default());
        let dbs = (0..size)
            .map(|_| Db::open(source, Arc::clone(shared)))
            .collect::<Result<Vec<Db>>>()?;
        for (i, db) in dbs.into_iter().enumerate() {
            let (source, shared, queue) = (source.clone(), Arc::clone(shared), Arc::clone(&queue));
            std::thread::Builder::new()
                .name(format!("db-{i}"))
                .spawn(move || answer_queue(&queue, &source, &shared, Some(db)))?;
        }
        Ok(Threads {
            shared: Arc::clone(shared),
            queue,
        })
    }

    /// Queues `request`; its answer, once a connection's thread has given it.
    async fn submit(
        &self,
        request: http::Request,
    ) -> Result<Response, tokio::sync::oneshot::error::RecvError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.queue.push(Job { request, reply });
        answer.await
    }
}

/// A connection's thread: answers the requests of `queue` for as long as the server runs.
fn answer_queue(queue: &Queue, source: &Source, shared: &Arc<Shared>, mut db: Option<Db>) {
    let reopen = || match Db::open(source, Arc::clone(shared)) {
        Ok(new) => Some(new),
        Err(err) => {
            http::warn(format_args!("cannot open a database connection: {err:#}"));
            None
        }
    };
    loop {
        let job = queue.pop();
        let current = match db.take() {
            Some(current) if !current.is_broken() => Some(current),
            _ => reopen(),
        };
        let response = match current {
            Some(current) => {
                let (mut response, mut kept) = answer_with(&job.request, current);
                // The database closed the connection under the answer (a restart, a failover,
                // an administrator): a read-only answer can be asked again, once, on a new one.
                if response.status == 500
                    && kept.as_ref().is_some_and(Db::is_broken_after_failure)
                    && let Some(new) = reopen()
                {
                    (response, kept) = answer_with(&job.request, new);
                }
                db = kept;
                response
            }
            None => internal_error(),
        };
        // The client may have gone meanwhile; nothing is owed to it then.
        let _ = job.reply.send(response);
        // A read-only transaction has nothing to keep: ending it cannot lose an answer.
        if let Some(current) = &mut db
            && queue.is_empty()
            && let Err(err) = current.finish()
        {
            http::warn(format_args!("cannot end a read-only transaction: {err}"));
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
            self.pool.handle_blocking(http::Request {
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
            let (app, conn) = (Arc::clone(&app), Arc::clone(&conn));
            async move { Ok::<_, Infallible>(app.answer(&conn, request).await) }
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
    async fn answer(
        &self,
        conn: &ConnState,
        request: hyper::Request<Incoming>,
    ) -> hyper::Response<Full<Bytes>> {
        conn.busy.store(true, Ordering::Relaxed);
        let started = Instant::now();
        let (parts, body) = request.into_parts();
        let method = parts.method.as_str();
        let url = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let path = url.split('?').next().unwrap_or("");
        let (response, close) = match self.respond(method, url, path, &parts, &body) {
            Answer::Ready(response, close) => (response, close),
            Answer::Database(request) => (self.pool.handle(request).await, false),
        };
        let negotiation = Negotiation::from_headers(&parts.headers);
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

    /// The answer before hygiene, and whether the connection must close after it, when it
    /// needs no database; else the request the database answers.
    fn respond(
        &self,
        method: &str,
        url: &str,
        path: &str,
        parts: &hyper::http::request::Parts,
        body: &Incoming,
    ) -> Answer {
        if let Some((name, _)) = parts
            .headers
            .iter()
            .find(|(_, value)| !value.as_bytes().is_ascii())
        {
            let message = format!("header {name} holds bytes that are not ASCII");
            return Answer::Ready(ApiError::bad_request(None, message).into_response(), false);
        }
        if !body.is_end_stream() {
            // Closing, rather than reading what may be a terabyte to keep the connection.
            let refused =
                ApiError::status(413, "this API is read-only: a request cannot carry a body");
            return Answer::Ready(refused.into_response(), true);
        }
        let known = url.len() <= routes::MAX_URL && Route::parse(path).is_some();
        if path == "/metrics" || path == "/metrics/" {
            let response = match method {
                "GET" | "HEAD" => self.metrics(),
                "OPTIONS" => http::preflight(),
                _ => ApiError::method_not_allowed(method).into_response(),
            };
            return Answer::Ready(response, false);
        }
        if method == "OPTIONS" && known {
            return Answer::Ready(http::preflight(), false);
        }
        Answer::Database(http::Request {
            method: method.to_owned(),
            url: url.to_owned(),
            authorization: parts
                .headers
                .get(hyper::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        })
    }

    fn metrics(&self) -> Response {
        let shared = self.pool.shared();
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

/// What [`App::respond`] found a request needs.
enum Answer {
    /// This answer, and whether the connection closes after it.
    Ready(Response, bool),
    /// The database's answer to this request.
    Database(http::Request),
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
