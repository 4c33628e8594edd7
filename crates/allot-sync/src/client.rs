//! The HTTP client: one organisation-wide token bucket shared by every request, retries with
//! exponential backoff and jitter that honour `retry-after`, cursor pagination that restarts on
//! 410, and errors that name the endpoint and what to check (never the key).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Mutex;

use crate::error::SyncError;
use crate::key::ApiKey;

/// The production base URL.
pub const ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";

/// How the client talks to the API.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL (`https://api.anthropic.com`, or the fake's `http://127.0.0.1:PORT`).
    pub base_url: String,
    /// Requests per minute across all endpoints (the documented default is 60).
    pub rate_per_minute: u32,
    /// Attempts per request before giving up on transient failures.
    pub max_attempts: u32,
    /// First backoff; doubled on every retry, with jitter.
    pub backoff: Duration,
    /// Longest backoff.
    pub max_backoff: Duration,
    /// Timeout of one request.
    pub timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> ClientConfig {
        ClientConfig {
            base_url: ANTHROPIC_BASE_URL.into(),
            rate_per_minute: 60,
            max_attempts: 8,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            timeout: Duration::from_secs(60),
        }
    }
}

/// Counters of a client's work, for the sync summary and the benchmark.
#[derive(Debug, Default)]
pub struct Stats {
    /// HTTP requests sent.
    pub requests: AtomicU64,
    /// Requests retried after a transient failure.
    pub retries: AtomicU64,
    /// Of those, answered 429.
    pub rate_limited: AtomicU64,
    /// Paginations restarted after 410.
    pub restarts: AtomicU64,
}

/// A token bucket: `rate` tokens a minute, holding at most `rate`, shared by concurrent requests.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    /// A full bucket for `per_minute` requests a minute.
    pub fn new(per_minute: u32) -> TokenBucket {
        let rate = f64::from(per_minute.max(1));
        TokenBucket {
            rate,
            state: Mutex::new((rate, Instant::now())),
        }
    }

    /// Waits for a token and takes it.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut s = self.state.lock().await;
                let now = Instant::now();
                let refill = now.duration_since(s.1).as_secs_f64() * self.rate / 60.0;
                s.0 = (s.0 + refill).min(self.rate);
                s.1 = now;
                if s.0 >= 1.0 {
                    s.0 -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - s.0) * 60.0 / self.rate)
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Empties the bucket: the server said we were too fast.
    pub async fn drain(&self) {
        let mut s = self.state.lock().await;
        s.0 = 0.0;
        s.1 = Instant::now();
    }
}

/// Why one attempt failed.
enum Attempt {
    /// The answer.
    Done(Value),
    /// Worth retrying, after at least this long.
    Transient(String, Option<Duration>),
    /// The cursor expired: restart pagination.
    Expired,
    /// Final.
    Fatal(SyncError),
}

/// The analytics API client. Cheap to clone; clones share the bucket and the counters.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    config: Arc<ClientConfig>,
    bucket: Arc<TokenBucket>,
    stats: Arc<Stats>,
    jitter: Arc<AtomicU64>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.config.base_url)
            .finish_non_exhaustive()
    }
}

fn hint(status: u16) -> &'static str {
    match status {
        400 => "check the dates (from 2026-01-01, at most 365 days back, before today, windows of at most 31 days) and the parameters",
        401 => "check the key: ANTHROPIC_ANALYTICS_API_KEY for /analytics endpoints, ANTHROPIC_ADMIN_API_KEY for the Claude Code report; an Admin key cannot call the Enterprise Analytics API (it may call analytics/cost and analytics/usage)",
        403 => "the key lacks the permission this endpoint needs",
        404 => "the key is missing, invalid or lacks the read:analytics scope, or the base URL is wrong",
        _ => "see the API's message",
    }
}

/// Why a request got no answer, in words a person can act on: "could not connect (Connection
/// refused (os error 111))", "timed out", with the deepest cause the HTTP stack gives; never
/// the URL (it may carry parameters) nor a header.
fn why(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut deepest = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        deepest = s.to_string();
        source = s.source();
    }
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "no answer"
    };
    if deepest == e.to_string() {
        format!("{kind} ({e})")
    } else {
        format!("{kind} ({deepest})")
    }
}

impl Client {
    /// A client for `config`.
    pub fn new(config: ClientConfig) -> Result<Client, SyncError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("allot/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SyncError::Plan(format!("cannot start the HTTP client: {e}")))?;
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64 | 1);
        Ok(Client {
            http,
            bucket: Arc::new(TokenBucket::new(config.rate_per_minute)),
            config: Arc::new(config),
            stats: Arc::new(Stats::default()),
            jitter: Arc::new(AtomicU64::new(seed)),
        })
    }

    /// The client's counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The backoff before retry `retry` (1-based): doubling from the base, capped, with jitter
    /// between half and the full amount.
    fn backoff(&self, retry: u32) -> Duration {
        let base = self.config.backoff.as_secs_f64() * 2f64.powi(retry.saturating_sub(1) as i32);
        let capped = base.min(self.config.max_backoff.as_secs_f64());
        let mut x = self.jitter.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.jitter.store(x, Ordering::Relaxed);
        let frac = 0.5 + (x % 1000) as f64 / 2000.0;
        Duration::from_secs_f64(capped * frac)
    }

    async fn attempt(
        &self,
        path: &str,
        key: &ApiKey,
        params: &[(String, String)],
        beta: Option<&str>,
    ) -> Attempt {
        self.bucket.acquire().await;
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let url = format!("{}{path}", self.config.base_url.trim_end_matches('/'));
        // Marked sensitive, the key is redacted from any debug output of the HTTP stack.
        let Ok(mut secret) = reqwest::header::HeaderValue::from_str(key.expose()) else {
            return Attempt::Fatal(SyncError::Plan(
                "the API key holds characters an HTTP header cannot carry".into(),
            ));
        };
        secret.set_sensitive(true);
        let mut request = self
            .http
            .get(&url)
            .header("x-api-key", secret)
            .header("anthropic-version", "2023-06-01");
        if let Some(beta) = beta {
            request = request.header("anthropic-beta", beta);
        }
        let sent = request.query(params).send().await;
        let resp = match sent {
            Ok(r) => r,
            // Connection refused or reset, timeouts: the error text names the URL, never headers.
            Err(e) => return Attempt::Transient(format!("request failed: {}", why(e)), None),
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(|s| Duration::from_secs_f64(s.max(0.0)));
        let body = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                return Attempt::Transient(
                    format!(
                        "the connection dropped while reading the answer: {}",
                        e.without_url()
                    ),
                    None,
                )
            }
        };
        let message = || {
            serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect())
        };
        match status {
            200..=299 => match serde_json::from_slice::<Value>(&body) {
                Ok(v) => Attempt::Done(v),
                Err(e) => {
                    Attempt::Transient(format!("the answer was cut short or not JSON: {e}"), None)
                }
            },
            410 => Attempt::Expired,
            429 => {
                self.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
                self.bucket.drain().await;
                Attempt::Transient(format!("429: {}", message()), retry_after)
            }
            408 | 500..=599 => Attempt::Transient(format!("{status}: {}", message()), retry_after),
            _ => Attempt::Fatal(SyncError::Rejected {
                endpoint: path.to_string(),
                status,
                message: message(),
                hint: hint(status),
            }),
        }
    }

    /// One request, retried on transient failures. `Ok(None)` when the cursor expired.
    async fn get(
        &self,
        path: &str,
        key: &ApiKey,
        params: &[(String, String)],
        beta: Option<&str>,
    ) -> Result<Option<Value>, SyncError> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (last, after) = match self.attempt(path, key, params, beta).await {
                Attempt::Done(v) => return Ok(Some(v)),
                Attempt::Fatal(e) => return Err(e),
                Attempt::Expired => return Ok(None),
                Attempt::Transient(last, after) => (last, after),
            };
            if attempts >= self.config.max_attempts {
                return Err(SyncError::GaveUp {
                    endpoint: path.to_string(),
                    attempts,
                    last,
                });
            }
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
            let wait = self.backoff(attempts).max(after.unwrap_or_default());
            tracing::debug!(
                endpoint = path,
                attempt = attempts,
                ?wait,
                "retrying: {last}"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// Every page of a paginated endpoint: follows `next_page` until it is null (engagement
    /// endpoints send no `has_more`), restarting from the first page when a cursor expires.
    /// Returns the pages' bodies in order.
    pub async fn pages(
        &self,
        path: &str,
        key: &ApiKey,
        params: &[(String, String)],
    ) -> Result<Vec<Value>, SyncError> {
        self.pages_beta(path, key, params, None).await
    }

    /// [`Client::pages`] of an endpoint in beta: every request carries the `anthropic-beta`
    /// header `beta`.
    pub async fn pages_beta(
        &self,
        path: &str,
        key: &ApiKey,
        params: &[(String, String)],
        beta: Option<&str>,
    ) -> Result<Vec<Value>, SyncError> {
        self.pages_map(path, key, params, beta, &mut |_, page| Ok(page))
            .await
    }

    /// [`Client::pages_beta`] that hands each page to `keep` as it arrives and holds only
    /// what `keep` returns: a sync's memory is then a page and what it kept, not a window of
    /// pages. `keep` is told each page's place in its pass (0 for the first): after an
    /// expired cursor the pages kept so far are dropped and paging starts again at 0, so
    /// whatever `keep` set aside elsewhere it forgets there.
    pub async fn pages_map<T>(
        &self,
        path: &str,
        key: &ApiKey,
        params: &[(String, String)],
        beta: Option<&str>,
        keep: &mut (dyn FnMut(usize, Value) -> Result<T, SyncError> + Send),
    ) -> Result<Vec<T>, SyncError> {
        let mut restarts = 0;
        'restart: loop {
            let mut pages = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let mut p = params.to_vec();
                if let Some(c) = &cursor {
                    p.push(("page".into(), c.clone()));
                }
                let Some(body) = self.get(path, key, &p, beta).await? else {
                    restarts += 1;
                    self.stats.restarts.fetch_add(1, Ordering::Relaxed);
                    if restarts > 10 {
                        return Err(SyncError::GaveUp {
                            endpoint: path.to_string(),
                            attempts: restarts,
                            last: "the page cursor kept expiring (410)".into(),
                        });
                    }
                    continue 'restart;
                };
                cursor = body["next_page"].as_str().map(str::to_string);
                pages.push(keep(pages.len(), body)?);
                if cursor.is_none() {
                    return Ok(pages);
                }
            }
        }
    }

    /// One unpaginated request (e.g. `summaries`).
    pub async fn one(
        &self,
        path: &str,
        key: &ApiKey,
        params: &[(String, String)],
    ) -> Result<Value, SyncError> {
        self.one_beta(path, key, params, None).await
    }

    /// [`Client::one`] with the `anthropic-beta` header `beta`.
    pub async fn one_beta(
        &self,
        path: &str,
        key: &ApiKey,
        params: &[(String, String)],
        beta: Option<&str>,
    ) -> Result<Value, SyncError> {
        for _ in 0..self.config.max_attempts {
            if let Some(v) = self.get(path, key, params, beta).await? {
                return Ok(v);
            }
        }
        Err(SyncError::GaveUp {
            endpoint: path.to_string(),
            attempts: self.config.max_attempts,
            last: "410 on an unpaginated request".into(),
        })
    }
}
