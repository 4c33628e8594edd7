//! A fake of Anthropic's analytics APIs, served by axum on 127.0.0.1, built from
//! `shared/api/anthropic-apis.md`: the synthetic demo organisation's cost through the documented
//! shapes, with the documented limits (key, 2026-01-01 floor, 365-day lookback, 31-day windows,
//! cursors bound to their query, 60 requests a minute) and switchable faults. Tests and the demo
//! talk to it instead of the network.
//!
//! So far: `GET /v1/organizations/analytics/user_cost_report`. The other endpoints of the spec
//! (usage, org-level cost and usage, engagement, Claude Code) are still to come.

mod cost;
mod limits;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use allot_synth::Org;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;

pub use cost::{ground_truth, CostRow};
pub use limits::RateLimiter;

/// Faults the server can be told to inject, so clients prove they survive them.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Every Nth request (counting all) answers this status instead (e.g. 500, 503, 504, 429).
    pub error_every: Option<(u64, u16)>,
    /// Every Nth request that carries a cursor answers 410: the cursor expired.
    pub expire_cursor_every: Option<u64>,
}

/// How the fake behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// The fake's "today" (UTC): data exists up to the day before.
    pub today: NaiveDate,
    /// The Analytics API key it accepts (scope read:analytics).
    pub analytics_key: String,
    /// Requests per minute across the whole API (the documented default is 60).
    pub rate_per_minute: u32,
    /// Faults to inject.
    pub faults: Faults,
}

impl Config {
    /// A fake whose today is `today`, accepting `key`, with the documented 60 requests a minute.
    pub fn new(today: NaiveDate, key: &str) -> Config {
        Config {
            today,
            analytics_key: key.to_string(),
            rate_per_minute: 60,
            faults: Faults::default(),
        }
    }
}

/// The server's state: its configuration, organisation, rate limiter and request counter.
pub struct State {
    /// How it behaves.
    pub config: Config,
    /// The synthetic organisation it serves.
    pub org: Org,
    /// The organisation-wide token bucket.
    pub limiter: Mutex<RateLimiter>,
    /// Requests seen, for fault injection.
    pub requests: AtomicU64,
    /// Requests with a cursor seen, for fault injection.
    pub cursor_requests: AtomicU64,
}

impl State {
    /// State for `config`, serving the demo organisation.
    pub fn new(config: Config) -> Arc<State> {
        let limiter = RateLimiter::new(config.rate_per_minute);
        Arc::new(State {
            config,
            org: allot_synth::demo_org(),
            limiter: Mutex::new(limiter),
            requests: AtomicU64::new(0),
            cursor_requests: AtomicU64::new(0),
        })
    }

    fn next_request(&self) -> u64 {
        self.requests.fetch_add(1, Ordering::SeqCst) + 1
    }
}

/// The routes of the fake API.
pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route(
            "/v1/organizations/analytics/user_cost_report",
            get(cost::user_cost_report),
        )
        .with_state(state)
}

/// Serves the fake on `listener` until the task is dropped.
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<State>) -> std::io::Result<()> {
    axum::serve(listener, router(state)).await
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
