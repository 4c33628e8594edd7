//! A fake of Anthropic's analytics APIs, served by axum on 127.0.0.1, built from
//! `shared/api/anthropic-apis.md`: a deterministic synthetic organisation through every endpoint
//! allot syncs, with the documented shapes, limits and errors, and switchable faults. Tests and
//! the demo talk to it instead of the network.
//!
//! Endpoints: the Usage and Cost Analytics API's `analytics/cost` and `analytics/usage` (beta),
//! the Enterprise Analytics API's `user_cost_report`, `user_usage_report`, `cost_report`,
//! `usage_report` (legacy since 2026-10-29), `users`, `summaries`, `apps/chat/projects`,
//! `skills`, `connectors`, and the Admin API's `usage_report/claude_code`.
//!
//! Where the spec is unsure ([U] there) this fake makes one choice, listed in [`ASSUMPTIONS`].

mod cost;
mod engagement;
mod limits;
mod listings;
mod paging;
#[cfg(test)]
mod tests;
pub mod truth;
mod usage_cost;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use allot_synth::Org;
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde_json::Value;

pub use limits::RateLimiter;

/// The choices this fake makes where the API documentation is unsure, in one place.
pub const ASSUMPTIONS: &[&str] = &[
    "error bodies use Anthropic's standard envelope {type, error {type, message}, request_id}",
    "429 answers carry a retry-after header in whole seconds",
    "a key of the wrong family gets 401 on cost/usage and Admin endpoints, 404 on engagement ones",
    "`users` pages default to 20 rows (the support article; the reference says 100)",
    "`summaries` periods are named starting_at/ending_at and a request spans at most 31 days",
    "per-user reports are ordered by day, then user id, then grouped dimensions",
    "Enterprise cost amounts have six decimals; Claude Code estimated_cost.amount is whole cents",
    "engagement data of a day is available after `engagement_lag_days` (1 by default)",
    "the Claude Code Admin endpoint shares the 60 requests a minute bucket",
    "Usage and Cost Analytics API (analytics/cost, analytics/usage): the same choices as the client's `allot_sync::usage_cost::ASSUMPTIONS`",
    "analytics/cost and analytics/usage take the Analytics key or the Admin key, and answer 400 without `anthropic-beta: analytics-usage-cost-2026-08-24`",
    "analytics/cost and analytics/usage pages default to 100 rows, at most 1000; rows are ordered by day, then by amount (or tokens) descending",
    "analytics/cost and analytics/usage serve `time_bucket_width` 1d or none (one row for the range); `requests` is null (the fake does not count requests)",
    "the organisation's non-seat cost is split among an evaluation API key, an ETL service account (on its own key), a sandbox key in the default workspace, a federated identity, an `agent_actor` (a type allot does not know) and no actor at all; some engineers run Claude Code on a shared key",
];

/// Faults the server can be told to inject, so clients prove they survive them. Each counts
/// requests from one; `None` or 0 means never.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Every Nth request answers this status instead (e.g. 429, 500, 503, 504).
    pub error_every: Option<(u64, u16)>,
    /// Every Nth request that carries a cursor answers 410 (the cursor expired), once per query.
    pub expire_cursor_every: Option<u64>,
    /// Every Nth request's connection drops half-way through the body.
    pub drop_every: Option<u64>,
    /// Every Nth request's body is cut short (a complete HTTP answer with half a JSON document).
    pub truncate_every: Option<u64>,
    /// Every Nth request is answered only after this long (for client timeouts).
    pub slow_every: Option<(u64, std::time::Duration)>,
    /// Answers as an API that changed under its clients would: `amount` is renamed
    /// `amount_minor` and `email_address` `mail` in every answer (for `allot sync --check`).
    pub drift: bool,
}

impl Faults {
    /// A mix of every fault, for clients that must survive them all.
    pub fn all() -> Faults {
        Faults {
            error_every: Some((7, 503)),
            expire_cursor_every: Some(5),
            drop_every: Some(11),
            truncate_every: Some(13),
            slow_every: None,
            drift: false,
        }
    }
}

/// How the fake behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// The fake's "today" (UTC): cost data exists up to the day before.
    pub today: NaiveDate,
    /// The Analytics API key it accepts (scope read:analytics).
    pub analytics_key: String,
    /// The Admin API key it accepts (Claude Code Analytics).
    pub admin_key: String,
    /// Requests per minute across the whole API (the documented default is 60).
    pub rate_per_minute: u32,
    /// Days after which an engagement day is available (1 since July 2026; 3 before).
    pub engagement_lag_days: i64,
    /// Faults to inject.
    pub faults: Faults,
    /// Whether the Usage and Cost Analytics API answers (an organisation without it answers
    /// 404, as before its launch).
    pub usage_cost_api: bool,
    /// The only days revisions move (empty: every day less than 30 days old), so a test can
    /// revise one day and see that a sync refetches that day alone.
    pub revised_days: Vec<NaiveDate>,
    /// API keys renamed in the Admin API's listing: (key id, name); the last one for a key
    /// wins. Empty: every key keeps the organisation's name for it.
    pub key_names: Vec<(String, String)>,
}

impl Config {
    /// A fake whose today is `today`, accepting `key` as the Analytics key and `key` with an
    /// `-admin` suffix as the Admin key, with the documented 60 requests a minute.
    pub fn new(today: NaiveDate, key: &str) -> Config {
        Config {
            today,
            analytics_key: key.to_string(),
            admin_key: format!("{key}-admin"),
            rate_per_minute: 60,
            engagement_lag_days: 1,
            faults: Faults::default(),
            usage_cost_api: true,
            revised_days: Vec::new(),
            key_names: Vec::new(),
        }
    }
}

/// The units of one query (or of one day of it), each a group of rows kept as JSON text
/// (a third of a parsed row's memory), cached so paging through it stays cheap.
type Units = Arc<Vec<Vec<Box<str>>>>;

/// The most row text the cache holds, whatever the organisation's size: a query is made one
/// day at a time where it has a row per day, so the fake's memory is about a few days of the
/// largest query, never the whole window's answers (which sank a 20,000-person sync at 23 GB).
const CACHE_BYTES: usize = 192 << 20;

/// Queries' units, least recently made first out once they hold more than [`CACHE_BYTES`].
#[derive(Default)]
struct Cache {
    units: HashMap<String, (Units, usize)>,
    order: std::collections::VecDeque<String>,
    bytes: usize,
}

/// The server's state: its configuration, organisation, rate limiter and counters.
pub struct State {
    /// How it behaves.
    pub config: Config,
    /// The synthetic organisation it serves.
    pub org: Org,
    /// The organisation-wide token bucket.
    pub limiter: Mutex<RateLimiter>,
    /// Requests seen, for fault injection and tests.
    pub requests: AtomicU64,
    /// Requests with a cursor seen, for fault injection.
    pub cursor_requests: AtomicU64,
    /// Requests seen by the slow-answer fault.
    slow_requests: AtomicU64,
    /// How many times recent (unsettled) values have been revised.
    pub revision: AtomicU32,
    cache: Mutex<Cache>,
    expired: Mutex<std::collections::HashSet<u64>>,
}

impl State {
    /// State for `config`, serving the demo organisation.
    pub fn new(config: Config) -> Arc<State> {
        State::with_org(config, allot_synth::demo_org())
    }

    /// State for `config`, serving `org`.
    pub fn with_org(config: Config, org: Org) -> Arc<State> {
        let limiter = RateLimiter::new(config.rate_per_minute);
        Arc::new(State {
            config,
            org,
            limiter: Mutex::new(limiter),
            requests: AtomicU64::new(0),
            cursor_requests: AtomicU64::new(0),
            slow_requests: AtomicU64::new(0),
            revision: AtomicU32::new(0),
            cache: Mutex::new(Cache::default()),
            expired: Mutex::new(std::collections::HashSet::new()),
        })
    }

    /// Revises every value less than 30 days old, as Anthropic does while cost settles.
    pub fn revise(&self) {
        self.revision.fetch_add(1, Ordering::SeqCst);
    }

    /// The current revision.
    pub fn revision(&self) -> u32 {
        self.revision.load(Ordering::SeqCst)
    }

    /// The revision values of `day` are served at: the current one, or 0 for a day the
    /// configuration does not revise.
    pub fn revision_on(&self, day: NaiveDate) -> u32 {
        if self.config.revised_days.is_empty() || self.config.revised_days.contains(&day) {
            self.revision()
        } else {
            0
        }
    }

    /// Admits a request of `family`: counts it, applies the rate limit, checks the key and
    /// injects an error fault. Returns the request's number.
    fn admit(&self, headers: &HeaderMap, family: Family) -> Result<u64, ApiError> {
        let n = self.requests.fetch_add(1, Ordering::SeqCst) + 1;
        if let Err(wait) = self.limiter.lock().expect("limiter").take() {
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                "Rate limit exceeded. Too many requests.",
            );
            e.retry_after = Some(wait);
            return Err(e);
        }
        let key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
        let accepted = match family {
            Family::Admin | Family::Listing => key == Some(self.config.admin_key.as_str()),
            Family::Cost | Family::Engagement => key == Some(self.config.analytics_key.as_str()),
            Family::UsageCost => {
                key == Some(self.config.admin_key.as_str())
                    || key == Some(self.config.analytics_key.as_str())
            }
        };
        if !accepted {
            return Err(match family {
                Family::Engagement => ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found_error",
                    "The API key is missing, invalid, or does not have the read:analytics scope.",
                ),
                _ => ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "authentication_error",
                    "Missing or invalid API key.",
                ),
            });
        }
        if let Some((every, code)) = self.config.faults.error_every {
            if every > 0 && n.is_multiple_of(every) {
                return Err(ApiError::status(code));
            }
        }
        Ok(n)
    }

    /// The units (rows, or buckets) of one query, computed once per query and revision while
    /// the cache holds them.
    fn units(&self, key: &str, make: impl FnOnce() -> Vec<Vec<Value>>) -> Units {
        let key = format!("{key}|{}", self.revision());
        if let Some((u, _)) = self.cache.lock().expect("cache").units.get(&key) {
            return u.clone();
        }
        let units: Vec<Vec<Box<str>>> = make()
            .into_iter()
            .map(|unit| {
                unit.iter()
                    .map(|row| row.to_string().into_boxed_str())
                    .collect()
            })
            .collect();
        let bytes: usize = units.iter().flatten().map(|row| row.len() + 16).sum();
        let units = Arc::new(units);
        let mut cache = self.cache.lock().expect("cache");
        if cache.units.contains_key(&key) {
            return units;
        }
        while cache.bytes + bytes > CACHE_BYTES {
            let Some(oldest) = cache.order.pop_front() else {
                break;
            };
            if let Some((_, freed)) = cache.units.remove(&oldest) {
                cache.bytes -= freed;
            }
        }
        cache.bytes += bytes;
        cache.order.push_back(key.clone());
        cache.units.insert(key, (units.clone(), bytes));
        units
    }

    /// A successful JSON answer to request `n`, with the body faults applied.
    fn respond(&self, n: u64, body: &Value) -> Response {
        let drifted;
        let body = if self.config.faults.drift {
            drifted = drift(body);
            &drifted
        } else {
            body
        };
        let bytes = serde_json::to_vec(body).expect("JSON");
        let every = |f: Option<u64>| f.is_some_and(|e| e > 0 && n.is_multiple_of(e));
        if every(self.config.faults.drop_every) {
            // Headers, half the body, then the connection breaks.
            let half = bytes[..bytes.len() / 2].to_vec();
            let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
                Ok(half),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected fault: connection dropped",
                )),
            ];
            let mut r = Response::new(Body::from_stream(futures_util::stream::iter(chunks)));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            return r;
        }
        let bytes = if every(self.config.faults.truncate_every) {
            bytes[..bytes.len() / 2].to_vec()
        } else {
            bytes
        };
        let mut r = Response::new(Body::from(bytes));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        r
    }
}

/// Which API family (and so which key and which auth error) an endpoint belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// Enterprise cost and usage endpoints: 401 on a bad key.
    Cost,
    /// Enterprise engagement endpoints: 404 on a bad key.
    Engagement,
    /// Claude Code Analytics Admin API.
    Admin,
    /// The Usage and Cost Analytics API: the Analytics key or the Admin key, 401 otherwise.
    UsageCost,
    /// The Admin API's listings (API keys, workspaces, users): the Admin key only.
    Listing,
}

/// The routes of the fake API.
pub fn router(state: Arc<State>) -> Router {
    const A: &str = "/v1/organizations/analytics";
    Router::new()
        .route(
            &format!("{A}/user_cost_report"),
            get(cost::user_cost_report),
        )
        .route(
            &format!("{A}/user_usage_report"),
            get(cost::user_usage_report),
        )
        .route(&format!("{A}/cost_report"), get(cost::cost_report))
        .route(&format!("{A}/usage_report"), get(cost::usage_report))
        .route(&format!("{A}/cost"), get(usage_cost::cost))
        .route(&format!("{A}/usage"), get(usage_cost::usage))
        .route(&format!("{A}/users"), get(engagement::users))
        .route(&format!("{A}/summaries"), get(engagement::summaries))
        .route(
            &format!("{A}/apps/chat/projects"),
            get(engagement::projects),
        )
        .route(&format!("{A}/skills"), get(engagement::skills))
        .route(&format!("{A}/connectors"), get(engagement::connectors))
        .route(
            "/v1/organizations/usage_report/claude_code",
            get(engagement::claude_code),
        )
        .route("/v1/organizations/api_keys", get(listings::api_keys))
        .route(
            "/v1/organizations/workspaces",
            get(listings::workspaces_list),
        )
        .route("/v1/organizations/users", get(listings::users_list))
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found_error",
                "No such endpoint in the fake Anthropic API.",
            )
        })
        .layer(axum::middleware::from_fn_with_state(state.clone(), slow))
        .with_state(state)
}

/// The slow-answer fault: every Nth request waits before it is handled.
async fn slow(
    axum::extract::State(state): axum::extract::State<Arc<State>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let Some((every, delay)) = state.config.faults.slow_every {
        let n = state.slow_requests.fetch_add(1, Ordering::SeqCst) + 1;
        if every > 0 && n.is_multiple_of(every) {
            tokio::time::sleep(delay).await;
        }
    }
    next.run(req).await
}

/// Serves the fake on `listener` until the task is dropped.
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<State>) -> std::io::Result<()> {
    axum::serve(listener, router(state)).await
}

/// Binds 127.0.0.1 on a free port and serves `state` on a background task; returns the base URL.
pub async fn spawn(state: Arc<State>) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = serve(listener, state).await;
    });
    Ok(format!("http://{addr}"))
}

/// An error in Anthropic's envelope: `{"type":"error","error":{"type","message"},"request_id"}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind,
            message: message.into(),
            retry_after: None,
        }
    }

    fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }

    fn status(code: u16) -> ApiError {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let kind = match code {
            429 => "rate_limit_error",
            504 => "timeout_error",
            529 => "overloaded_error",
            _ => "api_error",
        };
        let mut e = ApiError::new(status, kind, format!("injected fault {code}"));
        if code == 429 {
            e.retry_after = Some(1);
        }
        e
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "type": "error",
            "error": { "type": self.kind, "message": self.message },
            "request_id": "req_fake",
        });
        let mut r = (self.status, Json(body)).into_response();
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                r.headers_mut().insert("retry-after", v);
            }
        }
        r
    }
}

/// `body` with the renames of the drift fault applied at every depth.
fn drift(body: &Value) -> Value {
    match body {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let k = match k.as_str() {
                        "amount" => "amount_minor".to_string(),
                        "email_address" => "mail".to_string(),
                        other => other.to_string(),
                    };
                    (k, drift(v))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(drift).collect()),
        other => other.clone(),
    }
}
