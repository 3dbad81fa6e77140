//! The one HTTP client of a run: connection reuse, the shared [`Limiter`], retries with
//! backoff, and the counters behind the summary line.
//!
//! [`Client::get`] turns everything TMDB or the network can do to one request into an
//! [`Outcome`] (a value, gone, or failed after its retries); the only error it returns is a
//! refused token, which must stop the run. The token travels in a header marked sensitive and
//! never appears in a URL, a log line or an error.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use serde::de::DeserializeOwned;
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

/// Counters for the summary line.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub throttled: AtomicU64,
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
    limiter: Limiter,
    backoff: Backoff,
    retries: u32,
    timeout: Duration,
    verbose: bool,
    pub stats: Stats,
}

/// The answer to one attempt, or the reason there was none.
type Attempt = std::result::Result<(u16, Option<Duration>, Vec<u8>), &'static str>;

impl Client {
    pub fn new(config: &Config) -> Result<Client> {
        // reqwest is built without a default TLS provider (see Cargo.toml); ring it is.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(config.concurrency)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .read_timeout(config.timeout)
            .tcp_nodelay(true)
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
            limiter: Limiter::new(config.rate),
            backoff: Backoff::DEFAULT,
            retries: config.retries,
            timeout: config.timeout,
            verbose: config.verbose,
            stats: Stats::default(),
        })
    }

    /// The underlying client, for downloads outside the API (the export files).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// GETs `path` (with its query, under the API root), retrying what is transient, and
    /// hands a 2xx body to `parse`; a body `parse` refuses (cut short, not JSON) is retried.
    pub async fn get<T>(
        &self,
        path: &str,
        parse: impl Fn(Vec<u8>) -> std::result::Result<T, String>,
    ) -> Result<Outcome<T>> {
        let url = format!("{}{path}", self.api_url);
        let mut attempts = 0;
        let mut retries = 0;
        let mut throttled = 0;
        loop {
            attempts += 1;
            let sent_at = self.limiter.acquire().await;
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            let (status, error) = match self.send(&url).await {
                Err(kind) => (None, kind.to_owned()),
                Ok((status, retry_after, body)) => match classify(status) {
                    Verdict::Success => match parse(body) {
                        Ok(value) => return Ok(Outcome::Done(value)),
                        Err(why) => (Some(status), why),
                    },
                    Verdict::Gone => return Ok(Outcome::Gone { attempts }),
                    Verdict::AuthRefused => {
                        return Err(AuthRefused {
                            message: json::error_message(&body),
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
                        format!("HTTP {status}: {}", json::error_message(&body)),
                    ),
                    Verdict::Permanent => {
                        return Ok(Outcome::Failed(Failure {
                            status: Some(status),
                            error: format!("HTTP {status}: {}", json::error_message(&body)),
                            attempts,
                        }));
                    }
                },
            };
            if retries >= self.retries || status == Some(429) {
                return Ok(Outcome::Failed(Failure {
                    status,
                    error,
                    attempts,
                }));
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
        let parse = |body: Vec<u8>| {
            serde_json::from_slice::<T>(&body).map_err(|err| format!("unexpected body: {err}"))
        };
        match self.get(path, parse).await? {
            Outcome::Done(value) => Ok(value),
            Outcome::Gone { .. } => anyhow::bail!("GET {path}: HTTP 404: TMDB has no such list"),
            Outcome::Failed(f) => {
                anyhow::bail!("GET {path}: {} (after {} attempts)", f.error, f.attempts)
            }
        }
    }

    async fn send(&self, url: &str) -> Attempt {
        let mut request = self.http.get(url).timeout(self.timeout);
        if let Some(auth) = &self.auth {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        let response = request.send().await.map_err(|err| {
            if err.is_timeout() {
                "timeout"
            } else {
                "connection failed"
            }
        })?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = response.bytes().await.map_err(|err| {
            if err.is_timeout() {
                "timeout"
            } else {
                "truncated body"
            }
        })?;
        Ok((status, retry_after, body.into()))
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
