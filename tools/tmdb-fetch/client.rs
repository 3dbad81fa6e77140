//! The one HTTP client of a run: connection reuse, the shared [`Limiter`], retries with
//! backoff, and the counters behind the summary line.
//!
//! [`Client::get`] turns everything TMDB or the network can do to one request into an
//! [`Outcome`] (a value, gone, or failed after its retries); the only error it returns is a
//! refused token, which must stop the run. The token travels in a header marked sensitive and
//! never appears in a URL; whatever the server says (error messages, refusals) is scrubbed of
//! it before it is printed or written, since a server may echo the request's headers.
//!
//! No answer is trusted for its size: a body is read up to `--max-body` bytes and an answer
//! announcing or sending more fails its request. Failures name their cause (a redirect loop, a
//! malformed status line, oversized headers, a body too large) rather than a blanket
//! "connection failed".

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use serde::de::DeserializeOwned;
use tmdb_core::env::Token;
use tmdb_core::exit::AuthRefused;

use crate::config::Config;
use crate::json;
use crate::limiter::Limiter;
use crate::retry::{Backoff, Verdict, classify, parse_retry_after};

/// 429s one request may wait out before it counts as failed; they do not use up `--retries`
/// because the limiter slows the whole process down instead.
const MAX_THROTTLED: u32 = 32;
/// The shortest pause after a 429 that came without `Retry-After`.
const MIN_THROTTLE_PAUSE: Duration = Duration::from_secs(1);
/// Connection attempts failing in a row, across all workers, after which the API counts as
/// unreachable (about half a minute of backoff at 20 workers): the run stops, to be resumed
/// later, instead of listing every remaining ID as failed.
const UNREACHABLE_AFTER: u64 = 100;
/// Redirects followed for one request; TMDB itself redirects at most once (a merged ID).
const MAX_REDIRECTS: usize = 5;

/// What happened to one request after its retries.
#[derive(Debug)]
pub enum Outcome<T> {
    /// A 2xx with a body that parsed.
    Done(T),
    /// 404: TMDB no longer has it.
    Gone { attempts: u32 },
    /// Still failing after every retry, or refused for good (another 4xx).
    Failed(Failure),
}

/// Why a request failed, for `--failed` lines and error messages.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: Option<u16>,
    pub error: String,
    pub attempts: u32,
}

/// A 2xx body as the caller's parser gets it.
pub struct Body {
    pub bytes: Vec<u8>,
    /// The path (under the API root, with its query) that answered, when redirects led away
    /// from the one asked for.
    pub redirected_to: Option<String>,
}

/// Why a parser refused a 2xx body.
pub enum Refusal {
    /// Cut short or not JSON: another attempt may bring it whole.
    Retry(String),
    /// Whole but wrong (another record than the one asked for): retrying cannot help.
    Fail(String),
}

/// Counters for the summary line.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub throttled: AtomicU64,
    /// Connection attempts that failed since the last HTTP answer.
    unanswered: AtomicU64,
}

impl Stats {
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

pub struct Client {
    http: reqwest::Client,
    api_url: String,
    auth: Option<HeaderValue>,
    token: Option<Token>,
    limiter: Limiter,
    backoff: Backoff,
    retries: u32,
    timeout: Duration,
    max_body: u64,
    verbose: bool,
    pub stats: Stats,
}

/// `after 1 attempt`, `after 9 attempts`.
pub fn after_attempts(n: u32) -> String {
    if n == 1 {
        "after 1 attempt".to_owned()
    } else {
        format!("after {n} attempts")
    }
}

/// Why an attempt brought no usable answer.
#[derive(Debug)]
pub struct NoAnswer {
    pub kind: NoAnswerKind,
    /// The status, when the trouble came after it (in the body).
    pub status: Option<u16>,
    pub error: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoAnswerKind {
    /// No connection could be made: counts towards "the API is unreachable".
    Connect,
    /// Timeouts, dropped connections, malformed answers: worth another attempt.
    Transient,
    /// Redirect loops, oversized bodies: the same request would meet the same fate.
    Permanent,
}

impl NoAnswer {
    fn new(kind: NoAnswerKind, error: impl Into<String>) -> NoAnswer {
        NoAnswer {
            kind,
            status: None,
            error: error.into(),
        }
    }

    fn with_status(self, status: u16) -> NoAnswer {
        NoAnswer {
            status: Some(status),
            ..self
        }
    }
}

/// The answer to one attempt: status, `Retry-After`, body, the final URL.
struct Answer {
    status: u16,
    retry_after: Option<Duration>,
    body: Vec<u8>,
    url: reqwest::Url,
}

type Attempt = std::result::Result<Answer, NoAnswer>;

impl Client {
    pub fn new(config: &Config) -> Result<Client> {
        // reqwest is built without a default TLS provider (see Cargo.toml); ring it is.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(config.concurrency)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .read_timeout(config.timeout)
            .tcp_nodelay(true)
            .redirect(redirect_policy())
            .user_agent(concat!("tmdb-mirror/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("cannot set up the HTTP client")?;
        let auth = match &config.token {
            Some(token) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                    .ok()
                    .context("the TMDB token holds characters an HTTP header cannot carry")?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        Ok(Client {
            http,
            api_url: config.api_url.clone(),
            auth,
            token: config.token.clone(),
            limiter: Limiter::new(config.rate),
            backoff: Backoff::DEFAULT,
            retries: config.retries,
            timeout: config.timeout,
            max_body: config.max_body,
            verbose: config.verbose,
            stats: Stats::default(),
        })
    }

    /// The underlying client, for downloads outside the API (the export files).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// `text` with every occurrence of the token replaced: for anything a server said.
    pub fn scrub(&self, text: &str) -> String {
        match &self.token {
            Some(token) => token.redact(text),
            None => text.to_owned(),
        }
    }

    /// GETs `path` (with its query, under the API root), retrying what is transient, and
    /// hands a 2xx body to `parse`; a body `parse` refuses with [`Refusal::Retry`] is retried.
    pub async fn get<T>(
        &self,
        path: &str,
        parse: impl Fn(Body) -> std::result::Result<T, Refusal>,
    ) -> Result<Outcome<T>> {
        let url = format!("{}{path}", self.api_url);
        let mut attempts = 0;
        let mut retries = 0;
        let mut throttled = 0;
        loop {
            attempts += 1;
            let sent_at = self.limiter.acquire().await;
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            let answer = self.send(&url).await;
            self.check_reachable(&answer)?;
            let failed = |status, error: String| {
                Ok(Outcome::Failed(Failure {
                    status,
                    error: self.scrub(&error),
                    attempts,
                }))
            };
            let (status, error) = match answer {
                Err(NoAnswer {
                    kind: NoAnswerKind::Permanent,
                    status,
                    error,
                }) => return failed(status, error),
                Err(NoAnswer { status, error, .. }) => (status, error),
                Ok(Answer {
                    status,
                    retry_after,
                    body,
                    url: answered,
                }) => match classify(status) {
                    Verdict::Success => {
                        let body = Body {
                            bytes: body,
                            redirected_to: self.redirected(&url, &answered),
                        };
                        match parse(body) {
                            Ok(value) => return Ok(Outcome::Done(value)),
                            Err(Refusal::Fail(why)) => return failed(Some(status), why),
                            Err(Refusal::Retry(why)) => (Some(status), why),
                        }
                    }
                    Verdict::Gone => return Ok(Outcome::Gone { attempts }),
                    Verdict::AuthRefused => {
                        return Err(AuthRefused {
                            message: self.server_message(&body),
                        }
                        .into());
                    }
                    Verdict::Throttled if throttled < MAX_THROTTLED => {
                        throttled += 1;
                        self.stats.throttled.fetch_add(1, Ordering::Relaxed);
                        self.stats.retries.fetch_add(1, Ordering::Relaxed);
                        let pause = retry_after.unwrap_or_else(|| {
                            self.backoff.delay(throttled).max(MIN_THROTTLE_PAUSE)
                        });
                        self.log(path, "HTTP 429", attempts, pause);
                        // The pause is the limiter's: every worker waits it out.
                        self.limiter.throttle(sent_at, pause);
                        continue;
                    }
                    Verdict::Throttled | Verdict::Transient => (
                        Some(status),
                        format!("HTTP {status}: {}", self.server_message(&body)),
                    ),
                    Verdict::Permanent => {
                        let error = format!("HTTP {status}: {}", self.server_message(&body));
                        return failed(Some(status), error);
                    }
                },
            };
            let error = self.scrub(&error);
            if retries >= self.retries || status == Some(429) {
                return failed(status, error);
            }
            let wait = self.backoff.delay(retries);
            retries += 1;
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
            self.log(path, &error, attempts, wait);
            tokio::time::sleep(wait).await;
        }
    }

    /// GETs a list or page that the run cannot do without: anything but a parsed body is an
    /// error naming the request.
    pub async fn get_required<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let parse = |body: Body| {
            serde_json::from_slice::<T>(&body.bytes)
                .map_err(|err| Refusal::Retry(format!("unexpected body: {err}")))
        };
        match self.get(path, parse).await? {
            Outcome::Done(value) => Ok(value),
            Outcome::Gone { .. } => anyhow::bail!("GET {path}: HTTP 404: TMDB has no such list"),
            Outcome::Failed(f) => {
                anyhow::bail!("GET {path}: {} ({})", f.error, after_attempts(f.attempts))
            }
        }
    }

    /// TMDB's message in an error body, scrubbed (before it is shortened, so that no part of
    /// the token survives a cut).
    fn server_message(&self, body: &[u8]) -> String {
        json::error_message(body, |text| self.scrub(text))
    }

    /// The path under the API root that answered, when it is not the one asked for.
    fn redirected(&self, asked: &str, answered: &reqwest::Url) -> Option<String> {
        let answered = answered.as_str();
        if answered == asked {
            return None;
        }
        Some(match answered.strip_prefix(self.api_url.as_str()) {
            Some(path) => path.to_owned(),
            None => answered.to_owned(),
        })
    }

    fn check_reachable(&self, answer: &Attempt) -> Result<()> {
        let unanswered = &self.stats.unanswered;
        match answer {
            Err(NoAnswer {
                kind: NoAnswerKind::Connect,
                error,
                ..
            }) => {
                let n = unanswered.fetch_add(1, Ordering::Relaxed) + 1;
                if n >= UNREACHABLE_AFTER {
                    anyhow::bail!(
                        "cannot connect to {}: {n} connection attempts in a row failed \
                         (last: {}); what was fetched is written, run again to resume",
                        self.api_url,
                        self.scrub(error)
                    );
                }
            }
            Err(_) => {}
            Ok(_) => unanswered.store(0, Ordering::Relaxed),
        }
        Ok(())
    }

    async fn send(&self, url: &str) -> Attempt {
        let mut request = self.http.get(url).timeout(self.timeout);
        if let Some(auth) = &self.auth {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        let mut response = request.send().await.map_err(|err| describe(&err))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let url = response.url().clone();
        let body = read_body(&mut response, self.max_body)
            .await
            .map_err(|trouble| trouble.with_status(status))?;
        Ok(Answer {
            status,
            retry_after,
            body,
            url,
        })
    }

    fn log(&self, path: &str, error: &str, attempts: u32, wait: Duration) {
        if self.verbose {
            eprintln!(
                "tmdb-fetch: GET {path}: {error} (attempt {attempts}); retrying in {:.1}s",
                wait.as_secs_f64()
            );
        }
    }
}

/// Reads a body of at most `limit` bytes. The buffer is sized from `Content-Length` when the
/// server sends one (plus a byte, so the caller can end the line without reallocating), and
/// is never allowed past the limit: an endless or oversized body fails as soon as it shows.
async fn read_body(response: &mut reqwest::Response, limit: u64) -> Result<Vec<u8>, NoAnswer> {
    let too_large = |what: String| {
        NoAnswer::new(
            NoAnswerKind::Permanent,
            format!(
                "body_too_large: {what}, over the limit of {} (--max-body)",
                bytes_text(limit)
            ),
        )
    };
    let announced = response.content_length();
    if let Some(len) = announced.filter(|&len| len > limit) {
        return Err(too_large(format!("Content-Length {}", bytes_text(len))));
    }
    let mut body = Vec::with_capacity(announced.map_or(1 << 16, |len| len as usize + 1));
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return Ok(body),
            Err(err) if err.is_timeout() => {
                return Err(NoAnswer::new(NoAnswerKind::Transient, "timeout"));
            }
            Err(err) => {
                return Err(NoAnswer::new(
                    NoAnswerKind::Transient,
                    format!("truncated body: {}", root_cause(&err)),
                ));
            }
        };
        if (body.len() + chunk.len()) as u64 > limit {
            let received = (body.len() + chunk.len()) as u64;
            return Err(too_large(format!(
                "{} received and more coming",
                bytes_text(received)
            )));
        }
        body.extend_from_slice(&chunk);
    }
}

/// `64 MB`, `1.5 kB`, `300 bytes`.
pub fn bytes_text(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} bytes"),
        1_000..1_000_000 => format!("{} kB", trim_float(n as f64 / 1e3)),
        1_000_000..1_000_000_000 => format!("{} MB", trim_float(n as f64 / 1e6)),
        _ => format!("{} GB", trim_float(n as f64 / 1e9)),
    }
}

fn trim_float(x: f64) -> String {
    let text = format!("{x:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_owned)
}

/// Redirects are followed, but a loop is named as one rather than run into the limit.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().contains(attempt.url()) {
            let error = format!("redirect loop: {} again", attempt.url().path());
            attempt.error(error)
        } else if attempt.previous().len() > MAX_REDIRECTS {
            let error = format!("more than {MAX_REDIRECTS} redirects");
            attempt.error(error)
        } else {
            attempt.follow()
        }
    })
}

/// The innermost message of an error chain: where hyper or the OS says what went wrong.
fn root_cause(err: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// What a request that got no HTTP answer ran into, in words that name the cause.
pub fn describe(err: &reqwest::Error) -> NoAnswer {
    use NoAnswerKind::*;
    if err.is_timeout() {
        return NoAnswer::new(Transient, "timeout");
    }
    let root = root_cause(err);
    if err.is_redirect() {
        return NoAnswer::new(Permanent, root);
    }
    if err.is_connect() {
        return NoAnswer::new(Connect, format!("cannot connect: {root}"));
    }
    // hyper's words for an answer it could not parse.
    let named = match root.as_str() {
        "message head is too large" => Some("oversized response headers"),
        "invalid HTTP status-code parsed" | "invalid HTTP version parsed" => {
            Some("bad status line")
        }
        "invalid HTTP header parsed" => Some("bad response header"),
        _ => None,
    };
    match named {
        Some(name) => NoAnswer::new(Transient, format!("{name} ({root})")),
        None => NoAnswer::new(Transient, format!("no answer: {root}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(bytes_text(300), "300 bytes");
        assert_eq!(bytes_text(1_500), "1.5 kB");
        assert_eq!(bytes_text(64_000_000), "64 MB");
        assert_eq!(bytes_text(3_000_000_000), "3 GB");
    }
}
